package account

import (
	"context"
	"slices"
	"time"

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

// Factor is one way to confirm who one is before a sensitive change. The
// password and emailed or texted codes are here; passkeys and second
// factors add theirs to Service.ReverifyFactors.
type Factor interface {
	Name() string // a strategy name: "password", "email_code", …
	Offered(u *user.User) bool
	// Prepare starts the factor, e.g. sends a code; nothing for a password.
	Prepare(ctx context.Context, sess *session.Session, u *user.User, m flow.Meta) error
	// Attempt checks what the person typed; nil means confirmed.
	Attempt(ctx context.Context, sess *session.Session, u *user.User, in flow.Input) error
}

var errNoFactor = apperr.New(apperr.Invalid, "That way of confirming it's you isn't available. Choose another.")

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
	return s.Sessions.Reverified(ctx, sess)
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

func (p *PasswordFactor) Attempt(ctx context.Context, _ *session.Session, u *user.User, in flow.Input) error {
	if in.Password == "" {
		return apperr.Field(apperr.Invalid, "password", "Enter your password.")
	}
	return p.Check.Attempt(ctx, nil, u, in)
}

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
