package account

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/signin"
	"github.com/portalhq/portal/internal/user"
)

// ReverifyWindow is how long a proof of identity lets sensitive changes
// through: changing the password, an email address or phone number,
// signing out devices, deleting the account (REQ-SES-05/06).
const ReverifyWindow = 10 * time.Minute

// Factor is one way to confirm who one is before a sensitive change: the
// password, an emailed or texted code, a passkey, the authenticator app.
// Service.ReverifyFactors lists those an instance offers.
type Factor interface {
	Name() string // a strategy name: "password", "email_code", "passkey", "totp", …
	Offered(u *user.User) bool
	// Prepare starts the factor, e.g. sends a code; nothing for a password.
	Prepare(ctx context.Context, sess *session.Session, u *user.User, m flow.Meta) error
	// Attempt checks what the person typed; nil means confirmed.
	Attempt(ctx context.Context, sess *session.Session, u *user.User, in flow.Input) error
	// Renews says which of the session's factor times a confirmation moves
	// (the token's fva claim): first, second, or both for a passkey.
	Renews() (first, second bool)
}

var errNoFactor = apperr.New(apperr.Invalid, "That way of confirming it's you isn't available. Choose another.").T("account.error.reverify_unavailable")

// ReverifyOffered lists the factors u can confirm with, in order.
func (s *Service) ReverifyOffered(u *user.User) []string {
	var out []string
	for _, f := range s.ReverifyFactors {
		if f.Offered(u) {
			out = append(out, f.Name())
		}
	}
	return out
}

// PrepareReverify starts a factor, e.g. sends a code.
func (s *Service) PrepareReverify(ctx context.Context, sess *session.Session, u *user.User, strategy string, m flow.Meta) error {
	f := s.factor(u, strategy)
	if f == nil {
		return errNoFactor
	}
	return f.Prepare(ctx, sess, u, m)
}

// Reverify checks a factor and, when it passes, records on the session that
// the person proved who they are now.
func (s *Service) Reverify(ctx context.Context, sess *session.Session, u *user.User, strategy string, in flow.Input) error {
	f := s.factor(u, strategy)
	if f == nil {
		return errNoFactor
	}
	if err := f.Attempt(ctx, sess, u, in); err != nil {
		return err
	}
	first, second := f.Renews()
	return s.Sessions.Reverified(ctx, sess, first, second)
}

func (s *Service) factor(u *user.User, strategy string) Factor {
	i := slices.IndexFunc(s.ReverifyFactors, func(f Factor) bool { return f.Name() == strategy && f.Offered(u) })
	if i < 0 {
		return nil
	}
	return s.ReverifyFactors[i]
}

// PasswordFactor confirms with the account's password, counting failures
// towards the same lockout as sign-in (REQ-RL-03).
type PasswordFactor struct {
	Check *signin.PasswordStrategy
}

func (p *PasswordFactor) Name() string { return flow.Password }

func (p *PasswordFactor) Offered(u *user.User) bool { return u.PasswordHash != "" }

func (p *PasswordFactor) Prepare(context.Context, *session.Session, *user.User, flow.Meta) error {
	return nil
}

func (p *PasswordFactor) Renews() (first, second bool) { return true, false }

func (p *PasswordFactor) Attempt(ctx context.Context, _ *session.Session, u *user.User, in flow.Input) error {
	if in.Password == "" {
		return apperr.Field(apperr.Invalid, "password", "Enter your password.").T("account.error.enter_password")
	}
	if err := p.Check.Attempt(ctx, nil, u, in); err != nil {
		return err // a wrong password is answered as for any account
	}
	if u.PasswordCompromised() {
		return ErrPasswordCompromised
	}
	return nil
}

// ErrPasswordCompromised answers the right password of an account whose
// password is marked as compromised: it proves nothing any more, here as at
// sign-in (Clerk refuses it on reverification too). Only the right password
// hears it, so the mark tells nothing to whoever does not know it.
var ErrPasswordCompromised = apperr.Field(apperr.Invalid, "password",
	"Your password may have been exposed, so it can't be used to confirm it's you. Choose another way below.").T("account.error.reverify_compromised")

// CodeFactor confirms with a code sent to the account's primary email
// address (flow.EmailCode) or phone number (flow.PhoneCode). Codes are
// keyed by the session, so a code proves nothing on another one.
type CodeFactor struct {
	Strategy string
	Codes    *flow.Codes
	Store    flow.CodeStore
	Notifier Notifier
}

func (c *CodeFactor) Name() string { return c.Strategy }

func (c *CodeFactor) Offered(u *user.User) bool { return c.target(u) != "" }

func (c *CodeFactor) target(u *user.User) string {
	if c.Strategy == flow.PhoneCode {
		return u.PrimaryPhone()
	}
	if e := u.VerifiedEmails(); len(e) > 0 {
		return e[0]
	}
	return ""
}

// Destination is where the code goes, to show the person.
func (c *CodeFactor) Destination(u *user.User) string { return c.target(u) }

func (c *CodeFactor) Prepare(ctx context.Context, sess *session.Session, u *user.User, m flow.Meta) error {
	to := c.target(u)
	code, err := c.Codes.Issue(ctx, c.Store, sess.ID, c.Strategy, to, m.IP)
	if err != nil {
		if e, ok := apperr.As(err); ok && e.Code == apperr.RateLimited && c.sameStart(ctx, sess, to) {
			return nil // lands on the code page of the code on its way
		}
		return err
	}
	if c.Strategy == flow.PhoneCode {
		err = c.Notifier.SendSMSCode(ctx, to, code, "reverify")
	} else {
		err = c.Notifier.SendCode(ctx, to, code, "reverify")
	}
	if err != nil {
		_ = c.Codes.Cancel(ctx, c.Store, sess.ID, c.Strategy) // unsent: no cooldown, no cap
	}
	return err
}

// sameStart reports whether the session was sent a code to to within
// flow.SameStartWindow that is still unused: the button pressed twice (a
// double click, or Enter and then a click), whose second press the
// cooldown refused, which goes on with the first code instead of an error.
// The store keeps the session's codes one at a time (InsertVerificationOnce),
// so two presses at once send one code too.
func (c *CodeFactor) sameStart(ctx context.Context, sess *session.Session, to string) bool {
	v, err := c.Store.LatestVerification(ctx, sess.ID, c.Strategy)
	if err != nil || v == nil {
		return false
	}
	now := c.Codes.Clock.Now()
	return v.Target == to && v.ConsumedAt == nil && v.Attempts == 0 && now.Before(v.ExpireAt) &&
		now.Sub(v.CreatedAt) < flow.SameStartWindow
}

func (c *CodeFactor) Renews() (first, second bool) { return true, false }

func (c *CodeFactor) Attempt(ctx context.Context, sess *session.Session, _ *user.User, in flow.Input) error {
	_, err := c.Codes.Check(ctx, c.Store, sess.ID, c.Strategy, in.Code)
	return err
}

// ReverifyDestination says where a code factor sends its code, "" for
// other factors.
func (s *Service) ReverifyDestination(u *user.User, strategy string) string {
	if c, ok := s.factor(u, strategy).(*CodeFactor); ok {
		return c.Destination(u)
	}
	return ""
}

// ReverifySends reports whether strategy sends a code that has to be asked
// for first (an emailed or texted code), unlike a password, a passkey or
// the authenticator app.
func (s *Service) ReverifySends(u *user.User, strategy string) bool {
	_, ok := s.factor(u, strategy).(*CodeFactor)
	return ok
}

// PasskeyFactor confirms with one of the account's passkeys, through the
// sign-in ceremony bound to the session's browser (its __client): the
// options come from the sign-in passkey endpoint. User verification makes
// a passkey both factors, so it renews both factor times.
type PasskeyFactor struct {
	SignIn *signin.PasskeyStrategy
}

func (p *PasskeyFactor) Name() string { return flow.Passkey }

func (p *PasskeyFactor) Offered(u *user.User) bool { return u.Passkeys > 0 }

func (p *PasskeyFactor) Prepare(context.Context, *session.Session, *user.User, flow.Meta) error {
	return nil
}

func (p *PasskeyFactor) Renews() (first, second bool) { return true, true }

// Attempt checks the assertion as a sign-in would, with the session
// standing in for the flow; a passkey of another account is refused.
func (p *PasskeyFactor) Attempt(ctx context.Context, sess *session.Session, u *user.User, in flow.Input) error {
	f := &flow.Flow{ID: sess.ID, Kind: "reverification", ClientID: sess.ClientID, UserID: u.ID}
	return p.SignIn.Attempt(ctx, f, u, in)
}

// TOTPFactor confirms with a code from the authenticator app. Each code
// works once, and wrong ones count towards the sign-in lockout, as at the
// second step of sign-in, so six digits cannot be guessed here at leisure
// (REQ-RL-01).
type TOTPFactor struct {
	Clock    clockwork.Clock
	Checker  signin.Checker
	Failures signin.FailureRecorder
	Lockout  signin.Lockout
}

func (t *TOTPFactor) Name() string { return flow.TOTP }

func (t *TOTPFactor) Offered(u *user.User) bool { return u.TOTP }

func (t *TOTPFactor) Prepare(context.Context, *session.Session, *user.User, flow.Meta) error {
	return nil
}

func (t *TOTPFactor) Renews() (first, second bool) { return false, true }

func (t *TOTPFactor) Attempt(ctx context.Context, _ *session.Session, u *user.User, in flow.Input) error {
	now := t.Clock.Now()
	if u.Locked(now) {
		return signin.ErrCannotSignIn
	}
	code := strings.TrimSpace(in.Code)
	if code == "" { // checks nothing, so guesses nothing: not a failure
		return signin.ErrEnterCode
	}
	err := t.Checker.VerifyTOTP(ctx, u.ID, code)
	if e, ok := apperr.As(err); ok && e.Code == apperr.Invalid {
		if rerr := t.Lockout.Fail(ctx, t.Failures, u, now); rerr != nil {
			return rerr
		}
	}
	return err
}
