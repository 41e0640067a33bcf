package flow

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"
	"unicode"

	"github.com/jonboulle/clockwork"
	"golang.org/x/text/width"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/id"
)

// Rules for one-time codes (REQ-OTP-01..05).
const (
	CodeDigits  = 6
	CodeTTL     = 10 * time.Minute
	MaxAttempts = 5
	ResendAfter = 30 * time.Second
)

// Verification is one code sent for a flow. Only its keyed hash is stored.
type Verification struct {
	ID         string
	FlowID     string
	Strategy   string // "email_code", …
	Channel    string // "email" or "sms"
	Target     string // where it was sent
	IP         string // who asked for it (send caps per network)
	SecretHash string
	Attempts   int
	CreatedAt  time.Time
	ExpireAt   time.Time
	ConsumedAt *time.Time
}

// CodeStore persists verifications. Consume and attempt counting are atomic
// in the store so that two concurrent submissions cannot both succeed.
type CodeStore interface {
	LatestVerification(ctx context.Context, flowID, strategy string) (*Verification, error)
	InsertVerification(ctx context.Context, v Verification) error
	// InsertVerificationOnce stores v unless its flow has a verification of
	// the same strategy created after since; it reports whether it stored
	// v. Check and insert are one step, so two requests at once (a
	// double-clicked "Resend") cannot both pass the cooldown.
	InsertVerificationOnce(ctx context.Context, v Verification, since time.Time) (bool, error)
	// CountVerificationAttempt adds one attempt unless max is reached or the
	// verification was used; it reports whether the attempt was counted.
	CountVerificationAttempt(ctx context.Context, id string, max int) (bool, error)
	// ConsumeVerification marks it used; false when it already was.
	ConsumeVerification(ctx context.Context, id string, at time.Time) (bool, error)
	// DeleteVerification removes a verification whose message never left.
	DeleteVerification(ctx context.Context, id string) error
	// VerificationByHash finds a link's verification by its token hash.
	VerificationByHash(ctx context.Context, hash string) (*Verification, error)
	// CountSends counts verifications sent since q.Since matching q's
	// non-empty fields.
	CountSends(ctx context.Context, q SendQuery) (int, error)
}

// SendQuery selects sent verifications for the send caps.
type SendQuery struct {
	Channel string
	Target  string
	IP      string
	Since   time.Time
}

// Codes issues and checks one-time codes and email links.
type Codes struct {
	Clock  clockwork.Clock
	Key    []byte // HMAC key; codes are stored as HMAC(key, id:code)
	Limits SendLimits
}

// Issue creates a new code for flowID, superseding earlier ones. It refuses
// while the previous code is younger than ResendAfter, and past the send
// caps.
func (c *Codes) Issue(ctx context.Context, st CodeStore, flowID, strategy, target, ip string) (string, error) {
	v, err := c.begin(ctx, st, flowID, strategy, target, ip)
	if err != nil {
		return "", err
	}
	code, err := randomDigits(CodeDigits)
	if err != nil {
		return "", err
	}
	v.SecretHash = c.hash(v.ID, code)
	if err := c.insert(ctx, st, v); err != nil {
		return "", err
	}
	return code, nil
}

// IssueLink creates a single-use link token for flowID (REQ-OTP-01..05:
// 256 random bits, stored as its SHA-256, 10 minutes).
func (c *Codes) IssueLink(ctx context.Context, st CodeStore, flowID, strategy, target, ip string) (string, error) {
	v, err := c.begin(ctx, st, flowID, strategy, target, ip)
	if err != nil {
		return "", err
	}
	tok := id.Secret(32)
	v.SecretHash = linkHash(tok)
	if err := c.insert(ctx, st, v); err != nil {
		return "", err
	}
	return tok, nil
}

// insert stores v unless another request stored one for the same flow and
// strategy since begin looked (both pressed within the cooldown): then the
// cooldown's answer, and the code already on its way is the one to use.
func (c *Codes) insert(ctx context.Context, st CodeStore, v *Verification) error {
	ok, err := st.InsertVerificationOnce(ctx, *v, v.CreatedAt.Add(-ResendAfter))
	if err != nil || ok {
		return err
	}
	return resendWaitError(ResendAfter)
}

// begin applies the cooldown and caps and returns the verification to store.
func (c *Codes) begin(ctx context.Context, st CodeStore, flowID, strategy, target, ip string) (*Verification, error) {
	now := c.Clock.Now()
	prev, err := st.LatestVerification(ctx, flowID, strategy)
	if err != nil {
		return nil, err
	}
	if wait := ResendWait(prev, now); wait > 0 {
		return nil, resendWaitError(wait)
	}
	channel := Channel(strategy)
	if err := c.Limits.check(ctx, st, channel, target, ip, now); err != nil {
		return nil, err
	}
	return &Verification{ID: id.New(id.Verification), FlowID: flowID, Strategy: strategy, Channel: channel,
		Target: target, IP: ip, CreatedAt: now, ExpireAt: now.Add(CodeTTL)}, nil
}

// resendWaitError says how long until a new code may be asked for.
func resendWaitError(wait time.Duration) error {
	secs, unit := int(wait.Seconds()+0.999), "seconds"
	if secs == 1 {
		unit = "second"
	}
	return apperr.Field(apperr.RateLimited, "code", fmt.Sprintf("You can ask for a new code in %d %s.", secs, unit)).
		T("error.code.resend_wait", "Count", secs)
}

// CheckLink verifies and consumes a link token.
func (c *Codes) CheckLink(ctx context.Context, st CodeStore, token string) (*Verification, error) {
	if len(token) < 40 || len(token) > 64 {
		return nil, ErrLinkInvalid
	}
	v, err := st.VerificationByHash(ctx, linkHash(token))
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, ErrLinkInvalid
	}
	now := c.Clock.Now()
	if v.ConsumedAt != nil {
		return nil, ErrLinkUsed
	}
	if !now.Before(v.ExpireAt) {
		return nil, ErrLinkExpired
	}
	ok, err := st.ConsumeVerification(ctx, v.ID, now)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrLinkUsed
	}
	v.ConsumedAt = &now
	return v, nil
}

// PeekLink finds a link's verification without consuming it, for the
// confirmation page a GET shows (mail scanners prefetch links: REQ-OTP-09).
func (c *Codes) PeekLink(ctx context.Context, st CodeStore, token string) (*Verification, error) {
	if len(token) < 40 || len(token) > 64 {
		return nil, ErrLinkInvalid
	}
	v, err := st.VerificationByHash(ctx, linkHash(token))
	switch {
	case err != nil:
		return nil, err
	case v == nil:
		return nil, ErrLinkInvalid
	case v.ConsumedAt != nil:
		return nil, ErrLinkUsed
	case !c.Clock.Now().Before(v.ExpireAt):
		return nil, ErrLinkExpired
	}
	return v, nil
}

// LinkFlowID is the flow a link token was made for, whether or not the
// link can still be used (spent, expired), "" for a token that names none:
// the page about a spent link may still say where it led.
func (c *Codes) LinkFlowID(ctx context.Context, st CodeStore, token string) string {
	if len(token) < 40 || len(token) > 64 {
		return ""
	}
	v, err := st.VerificationByHash(ctx, linkHash(token))
	if err != nil || v == nil {
		return ""
	}
	return v.FlowID
}

// Link errors, shown on a page that offers to ask for a new link.
var (
	ErrLinkInvalid = apperr.New(apperr.Invalid, "This link isn't valid. It may have been copied incompletely. Ask for a new one.").T("error.link.invalid")
	ErrLinkExpired = apperr.New(apperr.Expired, "This link has expired. Links work for 10 minutes. Ask for a new one.").T("error.link.expired")
	ErrLinkUsed    = apperr.New(apperr.Expired, "This link was already used. Each link works once. Ask for a new one if you need to.").T("error.link.used")
)

// cancelTimeout bounds Cancel once the request's own context is no longer
// its limit.
const cancelTimeout = 5 * time.Second

func linkHash(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:])
}

// Cancel forgets the newest code or link of the flow for strategy, after its
// message could not be sent: the person may ask again at once, and it does
// not count against the send caps. It runs even when the request's context
// has ended (out of time, or the browser gone), which is often why the
// send failed: left behind, the unsent code would be announced as sent and
// hold the person to its cooldown.
func (c *Codes) Cancel(ctx context.Context, st CodeStore, flowID, strategy string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cancelTimeout)
	defer cancel()
	v, err := st.LatestVerification(ctx, flowID, strategy)
	if err != nil || v == nil {
		return err
	}
	return st.DeleteVerification(ctx, v.ID)
}

// ResendWait is how long until a new code may be sent after prev.
func ResendWait(prev *Verification, now time.Time) time.Duration {
	if prev == nil {
		return 0
	}
	if w := prev.CreatedAt.Add(ResendAfter).Sub(now); w > 0 {
		return w
	}
	return 0
}

// ErrNoCodeSent is in the chain of Check's error when the flow has no code
// of that strategy to check against: nothing was guessed, so callers that
// count failures (the sign-in lockout) leave it out.
var ErrNoCodeSent = errors.New("flow: no code was sent")

// CleanCode reads a code as a person types or pastes it: full-width digits
// (a Japanese keyboard's) as ASCII, the spaces around it dropped, and a
// six-digit code written in groups ("123 456", "123-456") joined. Anything
// else is left for its checker (backup codes have their own form).
func CleanCode(typed string) string {
	s := strings.TrimFunc(width.Narrow.String(typed), unicode.IsSpace)
	joined := strings.Map(func(r rune) rune {
		if r == '-' || unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
	if len(joined) == CodeDigits && strings.Trim(joined, "0123456789") == "" {
		return joined
	}
	return s
}

// Check verifies code against the newest code of the flow and consumes it.
// Every submission, right or wrong, first takes one of the code's attempts
// in the store: judging first and counting after would let a burst of
// parallel guesses all be judged against the same stale count
// (REQ-OTP-04).
func (c *Codes) Check(ctx context.Context, st CodeStore, flowID, strategy, code string) (*Verification, error) {
	v, err := st.LatestVerification(ctx, flowID, strategy)
	if err != nil {
		return nil, err
	}
	if v == nil {
		e := apperr.Field(apperr.Invalid, "code", "No code was sent yet. Ask for a new code.").T("error.code.none_sent")
		e.Err = ErrNoCodeSent
		return nil, e
	}
	now := c.Clock.Now()
	switch {
	case v.ConsumedAt != nil:
		return nil, errCodeUsed()
	case !now.Before(v.ExpireAt):
		return nil, apperr.Field(apperr.Expired, "code", "This code has expired. Ask for a new code.").T("error.code.expired")
	case v.Attempts >= MaxAttempts:
		return nil, errTooManyAttempts()
	}
	counted, err := st.CountVerificationAttempt(ctx, v.ID, MaxAttempts)
	if err != nil {
		return nil, err
	}
	if !counted { // spent meanwhile: used, or out of attempts
		if cur, err := st.LatestVerification(ctx, flowID, strategy); err == nil && cur != nil &&
			cur.ID == v.ID && cur.ConsumedAt != nil {
			return nil, errCodeUsed()
		}
		return nil, errTooManyAttempts()
	}
	if !validDigits(code) || !hmac.Equal([]byte(c.hash(v.ID, code)), []byte(v.SecretHash)) {
		if Channel(strategy) == "sms" {
			return nil, apperr.Field(apperr.Invalid, "code", "That code is incorrect. Check the latest text message and try again.").T("error.code.incorrect_sms")
		}
		return nil, apperr.Field(apperr.Invalid, "code", "That code is incorrect. Check the latest email and try again.").T("error.code.incorrect_email")
	}
	ok, err := st.ConsumeVerification(ctx, v.ID, now)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errCodeUsed()
	}
	v.ConsumedAt = &now
	return v, nil
}

// The two ways a code is spent; fresh values, so no caller shares one.
// ErrCodeUsed is what the refusal of a code used already wraps: a request
// that finds its code used by another one sent at the same moment (a
// double click) may wait for that one to finish the flow.
var ErrCodeUsed = errors.New("flow: code already used")

func errCodeUsed() error {
	e := apperr.Field(apperr.Expired, "code", "This code was already used. Ask for a new code.").T("error.code.used")
	e.Err = ErrCodeUsed
	return e
}

func errTooManyAttempts() error {
	return apperr.Field(apperr.Expired, "code", "Too many incorrect attempts. Ask for a new code.").T("error.code.too_many")
}

func (c *Codes) hash(vid, code string) string {
	m := hmac.New(sha256.New, c.Key)
	m.Write([]byte(vid))
	m.Write([]byte{':'})
	m.Write([]byte(code))
	return hex.EncodeToString(m.Sum(nil))
}

func randomDigits(n int) (string, error) {
	max := big.NewInt(1)
	for range n {
		max.Mul(max, big.NewInt(10))
	}
	v, err := rand.Int(rand.Reader, max)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%0*d", n, v), nil
}

func validDigits(s string) bool {
	if len(s) != CodeDigits {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
