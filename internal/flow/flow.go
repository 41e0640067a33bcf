// Package flow holds what sign-in and sign-up flows share: the persisted flow
// record, one-time verifications (codes) and the strategy contract every
// factor implements.
package flow

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/user"
)

// Kinds of flow.
const (
	SignIn = "sign_in"
	SignUp = "sign_up"
)

// Statuses, as Clerk names them.
const (
	NeedsIdentifier     = "needs_identifier"
	NeedsFirstFactor    = "needs_first_factor"
	NeedsSecondFactor   = "needs_second_factor"
	NeedsNewPassword    = "needs_new_password"
	MissingRequirements = "missing_requirements"
	Complete            = "complete"
	Abandoned           = "abandoned"
)

// Lifetime of an unfinished flow.
const Lifetime = 30 * time.Minute

// Flow is a sign-in or sign-up in progress, bound to the client that began it.
type Flow struct {
	ID          string
	Kind        string
	ClientID    string
	Status      string
	UserID      string // sign-in: the account the identifier names, if any
	Identifier  string // normalised identifier typed by the person
	Data        Data
	RedirectURL string // validated target on completion; "" = the portal's home
	SessionID   string // set when complete
	CreatedAt   time.Time
	UpdatedAt   time.Time
	ExpireAt    time.Time
	Version     int // optimistic concurrency: updates must match
}

// Data is the strategy state a flow carries. Secrets are never stored here
// in clear: the sign-up password is kept as its hash.
type Data struct {
	FirstName    string `json:"first_name,omitempty"`
	LastName     string `json:"last_name,omitempty"`
	PasswordHash string `json:"password_hash,omitempty"`
	// Strategy is the factor (sign-in) or verification (sign-up) chosen last.
	Strategy string `json:"strategy,omitempty"`
	// Chosen is set once the person picked a factor on the page (rather
	// than the one the start chose for them): the flow has moved on from
	// its start, so the same start again begins afresh.
	Chosen        bool       `json:"chosen,omitempty"`
	FirstFactorAt *time.Time `json:"first_factor_at,omitempty"`
	// FirstFactor is the factor that passed when the flow went on to
	// needs_second_factor; Strategy then names the second factor chosen.
	FirstFactor string `json:"first_factor,omitempty"`

	// Sign-in: the kind of identifier typed (user.Email, user.Phone, user.Username).
	IdentifierKind string `json:"identifier_kind,omitempty"`
	// LinkVerifiedAt is set when an email link for this flow was confirmed
	// on another device; the flow's own browser then completes by itself.
	LinkVerifiedAt *time.Time `json:"link_verified_at,omitempty"`
	// Browser is the mark of the browser that began the flow
	// (session.BrowserMark: a hash of its CSRF secret). A link confirmed
	// on another device completes the flow only in that browser, not in
	// another that holds the flow's client cookie (REQ-SES-02).
	Browser string `json:"browser,omitempty"`
	// ResetVerifiedAt is set when a password-reset code was verified; the
	// flow then needs a new password.
	ResetVerifiedAt *time.Time `json:"reset_verified_at,omitempty"`
	// PasswordCompromised is set once the person proved who they are — the
	// password itself, or every factor sign-in asks — on an account whose
	// password is marked as compromised: the pages say why a new one is
	// needed. Never before (REQ-RL-05).
	PasswordCompromised bool `json:"password_compromised,omitempty"`
	// PasswordBreached is set with PasswordCompromised when the mark came
	// from this very sign-in: the right password, found in a data breach
	// (Pwned Passwords). The pages say so rather than "may have been
	// exposed".
	PasswordBreached bool `json:"password_breached,omitempty"`
	// FactorsPassed is set when every factor sign-in asks passed but the
	// password is marked as compromised: the flow needs a new password
	// (ResetVerifiedAt is then when it began to), and the session starts
	// once it is set, with FirstFactorAt and SecondFactorAt (nil without a
	// second factor), without asking for any factor again.
	FactorsPassed  bool       `json:"factors_passed,omitempty"`
	SecondFactorAt *time.Time `json:"second_factor_at,omitempty"`

	// IdentifierID, on an account's verify_identifier flow, is the
	// unverified email address or phone number already on the account that
	// the code verifies; empty when the flow adds a new one.
	IdentifierID string `json:"identifier_id,omitempty"`

	// Sign-up fields.
	Email         string `json:"email,omitempty"`
	Phone         string `json:"phone,omitempty"`
	Username      string `json:"username,omitempty"`
	EmailVerified bool   `json:"email_verified,omitempty"`
	PhoneVerified bool   `json:"phone_verified,omitempty"`
	// VerifiedBy is the verification that passed last (EmailCode,
	// EmailLink, PhoneCode): how the new account's first session was proved.
	VerifiedBy string `json:"verified_by,omitempty"`
	// ExistingUser marks a sign-up whose email already belongs to someone:
	// the visitor sees the same steps, the owner gets an email instead.
	ExistingUser bool `json:"existing_user,omitempty"`
	// PhoneTaken marks a sign-up whose phone number already belongs to
	// someone: the steps look the same, no text is sent.
	PhoneTaken bool `json:"phone_taken,omitempty"`
	// External is the provider account a sign-up through OAuth connects to
	// the new user; Missing lists the fields the person must still give.
	External *External `json:"external,omitempty"`
	Missing  []string  `json:"missing,omitempty"`
	// InvitationID is the application invitation a sign-up began from,
	// taken up as the account is created.
	InvitationID string `json:"invitation_id,omitempty"`
	// LegalAcceptedAt is when the person ticked the box agreeing to the
	// instance's legal documents; the account is created with it.
	LegalAcceptedAt *time.Time `json:"legal_accepted_at,omitempty"`
	// Locale is the language the person asked the sign-up's first page in
	// (i18n.PersonLocale), "" when none the portal speaks: the new user's
	// locale, wherever the sign-up is finished (an emailed link may be
	// opened on another device).
	Locale string `json:"locale,omitempty"`
	// Captcha is the hash (captcha.Hash) of the bot-protection token a
	// sign-up's start passed with: the same start sent again (a double
	// click) carries the token the provider has now seen, and is known by it.
	Captcha string `json:"captcha,omitempty"`
}

// External is what a provider said about the person, kept on a sign-up
// flow until the account exists.
type External struct {
	Provider      string `json:"provider"`
	Subject       string `json:"subject"`
	Email         string `json:"email,omitempty"`
	EmailVerified bool   `json:"email_verified,omitempty"`
	FirstName     string `json:"first_name,omitempty"`
	LastName      string `json:"last_name,omitempty"`
	Username      string `json:"username,omitempty"`
	AvatarURL     string `json:"avatar_url,omitempty"`
	// AccountID is the ID the external account will have, chosen when the
	// sign-up began; Token, the provider's token set sealed to that ID,
	// stored with the account (nil: none granted). Both are empty on
	// sign-ups begun before tokens were kept.
	AccountID string           `json:"account_id,omitempty"`
	Token     *user.OAuthToken `json:"token,omitempty"`
}

// Encode marshals d for the store.
func (d Data) Encode() string {
	b, _ := json.Marshal(d)
	return string(b)
}

// DecodeData parses stored flow data.
func DecodeData(s string) (Data, error) {
	var d Data
	if s == "" {
		return d, nil
	}
	err := json.Unmarshal([]byte(s), &d)
	return d, err
}

// Expired reports whether the flow can no longer be used at now.
func (f *Flow) Expired(now time.Time) bool { return !now.Before(f.ExpireAt) }

// SameStartWindow is how long after a sign-in, a sign-up or an account's
// verification of an address (adding or verifying it) was started from a
// form the same start from the same browser (a double click, Enter and then
// a click, the form sent again at once) goes on with that flow instead of
// beginning another: it sends nothing, so the code already on its way is
// the one that works. A code asked for on "Confirm it's you" is the same:
// asked for again within it, it lands on the code page of the first.
const SameStartWindow = 10 * time.Second

// OnceCreator stores the flows a form starts, once per start.
type OnceCreator interface {
	// CreateFlowOnce stores f unless a flow of f's kind that f's client
	// created at or after since satisfies same: it returns that flow then,
	// and created false. The starts of one client are serialized in the
	// store (across every portal sharing it), so of two identical starts
	// sent together exactly one stores its flow. same runs while they are
	// held: it must be quick and must not touch the store.
	CreateFlowOnce(ctx context.Context, f *Flow, since time.Time, same func(*Flow) bool) (got *Flow, created bool, err error)
}

// RecentLister lists the flows a form started lately.
type RecentLister interface {
	// RecentFlows returns the flows of kind that clientID created at or
	// after since, newest first.
	RecentFlows(ctx context.Context, clientID, kind string, since time.Time) ([]*Flow, error)
}

// Finder reads flows; the sign-in and sign-up stores implement it.
type Finder interface {
	FlowByID(ctx context.Context, id string) (*Flow, error)
}

// Find returns the usable flow of kind with flowID: nil and gone when it is
// unknown, of another kind, or expired at now. clientID, when not empty, must
// be the browser that began it (or, after a sign-in moved that browser to
// a new client, the browser holding it: see below).
func Find(ctx context.Context, st Finder, kind, flowID, clientID string, now time.Time, gone error) (*Flow, error) {
	f, err := st.FlowByID(ctx, flowID)
	if errors.Is(err, apperr.ErrNotFound) {
		return nil, gone
	}
	if err != nil {
		return nil, err
	}
	if f.Kind != kind || f.Expired(now) {
		return nil, gone
	}
	if clientID == "" || f.ClientID == clientID {
		return f, nil
	}
	if !previousOwner(ctx, st, f, clientID) {
		return nil, gone
	}
	// A finished flow is also the browser's after the sign-in it ended in
	// moved the browser to a new client (REQ-SES-02): the same final form
	// sent again, or the back button, goes on as the first answer did.
	if f.Status == Complete {
		return f, nil
	}
	if !takeUp(ctx, f, clientID) {
		return nil, gone
	}
	return f, nil
}

// takeUp moves an unfinished flow of the browser's previous client to its
// current one, clientID, when the sign-in came from another of its tabs:
// the page left open there (a code to type, a sign-up to verify, an email
// link to open) goes on. Only in the browser that began it, known by its
// CSRF secret (in ctx), which no sibling site can plant: a flow someone
// else began with a __client they planted here is not taken up. It goes on
// as the current client's, whose session its sign-in then replaces (the
// browser holds one session).
func takeUp(ctx context.Context, f *Flow, clientID string) bool {
	if !session.SameBrowser(f.Data.Browser, session.SecretFrom(ctx)) {
		return false
	}
	f.ClientID = clientID
	return true
}

// OwnedBy reports whether the browser holding clientID began f: with that
// client, or with the one it held before its last sign-in (then only in
// the same browser, and f is moved to clientID, as Find does).
func OwnedBy(ctx context.Context, st Finder, f *Flow, clientID string) bool {
	if clientID == "" {
		return false
	}
	if f.ClientID == clientID {
		return true
	}
	return previousOwner(ctx, st, f, clientID) && takeUp(ctx, f, clientID)
}

// clientHistory is what a Finder may know besides: the client a browser
// held before its last sign-in.
type clientHistory interface {
	PreviousClient(ctx context.Context, clientID string) (string, error)
}

// PreviousOwner reports whether f was begun by the client the browser
// holding clientID held before its last sign-in (st must know clients'
// history; false otherwise).
func PreviousOwner(ctx context.Context, st Finder, f *Flow, clientID string) bool {
	return previousOwner(ctx, st, f, clientID)
}

// previousOwner reports whether f was begun by the client the browser
// holding clientID held before its last sign-in.
func previousOwner(ctx context.Context, st Finder, f *Flow, clientID string) bool {
	h, ok := st.(clientHistory)
	if !ok {
		return false
	}
	prev, err := h.PreviousClient(ctx, clientID)
	return err == nil && prev != "" && prev == f.ClientID
}

// Began returns the flow of kind with flowID that the browser clientID
// began, usable or not (expired, finished), or nil: what the page saying
// it is over may still use of it, such as the app it was to return to.
// Without a clientID nothing is known.
func Began(ctx context.Context, st Finder, kind, flowID, clientID string) *Flow {
	if flowID == "" || clientID == "" {
		return nil
	}
	f, err := st.FlowByID(ctx, flowID)
	if err != nil || f.Kind != kind || f.ClientID != clientID && !previousOwner(ctx, st, f, clientID) {
		return nil
	}
	return f
}
