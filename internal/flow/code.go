package flow

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/big"
	"time"

	"github.com/jonboulle/clockwork"

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
	Target     string // where it was sent
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
	// CountVerificationAttempt adds one failed attempt unless max is reached;
	// it reports whether the attempt was counted.
	CountVerificationAttempt(ctx context.Context, id string, max int) (bool, error)
	// ConsumeVerification marks it used; false when it already was.
	ConsumeVerification(ctx context.Context, id string, at time.Time) (bool, error)
}

// Codes issues and checks one-time codes.
type Codes struct {
	Clock clockwork.Clock
	Key   []byte // HMAC key; codes are stored as HMAC(key, id:code)
}

// Issue creates a new code for flowID, superseding earlier ones. It refuses
// while the previous code is younger than ResendAfter.
func (c *Codes) Issue(ctx context.Context, st CodeStore, flowID, strategy, target string) (string, error) {
	now := c.Clock.Now()
	prev, err := st.LatestVerification(ctx, flowID, strategy)
	if err != nil {
		return "", err
	}
	if wait := ResendWait(prev, now); wait > 0 {
		return "", &apperr.Error{Code: apperr.RateLimited, Field: "code",
			Message: fmt.Sprintf("You can ask for a new code in %d seconds.", int(wait.Seconds()+0.999))}
	}
	code, err := randomDigits(CodeDigits)
	if err != nil {
		return "", err
	}
	v := Verification{ID: id.New(id.Verification), FlowID: flowID, Strategy: strategy, Target: target,
		CreatedAt: now, ExpireAt: now.Add(CodeTTL)}
	v.SecretHash = c.hash(v.ID, code)
	if err := st.InsertVerification(ctx, v); err != nil {
		return "", err
	}
	return code, nil
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

// Check verifies code against the newest code of the flow and consumes it.
func (c *Codes) Check(ctx context.Context, st CodeStore, flowID, strategy, code string) (*Verification, error) {
	v, err := st.LatestVerification(ctx, flowID, strategy)
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, apperr.Field(apperr.Invalid, "code", "No code was sent yet. Ask for a new code.")
	}
	now := c.Clock.Now()
	switch {
	case v.ConsumedAt != nil:
		return nil, apperr.Field(apperr.Expired, "code", "This code was already used. Ask for a new code.")
	case !now.Before(v.ExpireAt):
		return nil, apperr.Field(apperr.Expired, "code", "This code has expired. Ask for a new code.")
	case v.Attempts >= MaxAttempts:
		return nil, apperr.Field(apperr.Expired, "code", "Too many incorrect attempts. Ask for a new code.")
	}
	if !validDigits(code) || !hmac.Equal([]byte(c.hash(v.ID, code)), []byte(v.SecretHash)) {
		counted, err := st.CountVerificationAttempt(ctx, v.ID, MaxAttempts)
		if err != nil {
			return nil, err
		}
		if !counted {
			return nil, apperr.Field(apperr.Expired, "code", "Too many incorrect attempts. Ask for a new code.")
		}
		return nil, apperr.Field(apperr.Invalid, "code", "That code is incorrect. Check the latest email and try again.")
	}
	ok, err := st.ConsumeVerification(ctx, v.ID, now)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, apperr.Field(apperr.Expired, "code", "This code was already used. Ask for a new code.")
	}
	v.ConsumedAt = &now
	return v, nil
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
