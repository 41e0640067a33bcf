// Package account is what a signed-in person changes about their own
// account on /user: names, username and image; email addresses and phone
// numbers; password; devices; deleting the account. Sensitive changes need
// a recent proof of identity on the session (reverification, REQ-SES-06),
// and every change writes its event in the same transaction.
package account

import (
	"context"
	"errors"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/avatar"
	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/factors"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/org"
	"github.com/portalhq/portal/internal/password"
	"github.com/portalhq/portal/internal/phone"
	"github.com/portalhq/portal/internal/restrict"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/signin"
	"github.com/portalhq/portal/internal/user"
)

// Repo is what account management needs from the store.
type Repo interface {
	session.Repo
	org.Repo // deleting an account takes it out of its organizations
	flow.CodeStore
	flow.OnceCreator // a double click starts one addition or verification
	FlowByID(ctx context.Context, id string) (*flow.Flow, error)
	UpdateFlow(ctx context.Context, f *flow.Flow) error
	CreateIdentifier(ctx context.Context, i user.Identifier) error
	DeleteIdentifier(ctx context.Context, userID, id string) error
	SetPrimaryEmail(ctx context.Context, userID, identifierID string, at time.Time) error
	SetPrimaryPhone(ctx context.Context, userID, identifierID string, at time.Time) error
	SetNames(ctx context.Context, userID, first, last string, at time.Time) error
	SetLocale(ctx context.Context, userID, locale string, at time.Time) error
	SetUsername(ctx context.Context, i user.Identifier) error
	SetPassword(ctx context.Context, userID, hash string, at time.Time) error
	TouchUser(ctx context.Context, userID string, at time.Time) error
	PutUserImage(ctx context.Context, img user.Image) error
	DeleteUserImage(ctx context.Context, userID string) error
	DeleteUser(ctx context.Context, userID string) error
	// IdentifierOwner is the user identifierID belongs to.
	IdentifierOwner(ctx context.Context, identifierID string) (string, error)
	// VerifyIdentifier marks an unverified identifier of userID verified.
	VerifyIdentifier(ctx context.Context, userID, identifierID string, at time.Time) error
	// factors.Repo: the operator reserves a number for second-factor codes
	// in the same transaction as the other changes to it.
	factors.Repo
}

// Notifier sends what account changes send.
type Notifier interface {
	SendCode(ctx context.Context, to, code, purpose string) error
	SendLink(ctx context.Context, to, link, purpose string) error
	SendSMSCode(ctx context.Context, to, code, purpose string) error
	SendPasswordChanged(ctx context.Context, to, locale string) error
	// SendPrimaryEmailChanged tells the old primary address, to, that the
	// account now uses newAddress (REQ-PW-07).
	SendPrimaryEmailChanged(ctx context.Context, to, locale, newAddress string) error
}

// Service changes accounts on behalf of their owners.
type Service struct {
	Clock    clockwork.Clock
	Repo     Repo
	InTx     func(ctx context.Context, fn func(Repo) error) error
	Sessions *session.Service
	Codes    *flow.Codes
	Notifier Notifier
	Hasher   *password.Hasher
	Policy   password.Policy
	// Password checks a current password with the sign-in lockout, so this
	// is no easier a place to guess passwords (REQ-RL-03).
	Password *signin.PasswordStrategy
	Images   *avatar.Resizer
	// Reverify lists the ways to confirm who one is, in the order offered.
	ReverifyFactors []Factor
	// SignIn is what the instance accepts at sign-in, for the rule that an
	// account always keeps a way in.
	SignIn      user.SignInOptions
	PhoneRegion string
	Countries   *phone.Allowlist
	AppName     string
	BaseURL     string // links are built from it, never from the request
	// Orgs takes a deleted account out of its organizations; nil when the
	// instance has none to leave (tests).
	Orgs *org.Service
	// AllowDeletion lets people delete their own account.
	AllowDeletion bool
	// Restrict refuses email addresses, phone numbers and usernames the
	// operator's lists exclude (nil: none).
	Restrict *restrict.Rules
	// Factors reserves phone numbers for second-factor codes when the
	// operator asks (nil: refused).
	Factors *factors.Service
	// UserAbilities are what the instance lets users do, for the user
	// objects of the events written.
	UserAbilities user.Abilities
}

// ErrReverify means the change needs a fresh proof of identity first.
var ErrReverify = apperr.New(apperr.Forbidden, "For your security, confirm it's you before making this change.").T("account.error.reverify")

// FormError reports problems with several fields of a form at once.
type FormError struct {
	Fields map[string]*apperr.Error // field name → its problem
}

func (e *FormError) Error() string { return "account: invalid form" }

// Fresh reports whether sess proved who it is recently enough for a
// sensitive change.
func (s *Service) Fresh(sess *session.Session) bool {
	return sess.ReverifiedWithin(s.Clock.Now(), ReverifyWindow)
}

// locked reads the user inside r after taking its row lock, so that checks
// on the whole account ("a way to sign in remains") and the change they
// allow are one atomic step (REQ-AC-06).
func locked(ctx context.Context, r Repo, userID string, now time.Time) (*user.User, error) {
	if err := r.TouchUser(ctx, userID, now); err != nil {
		return nil, err
	}
	return r.UserByID(ctx, userID)
}

// lockUser holds userID's row for the transaction without changing it;
// user.ErrNoUser when there is no such user.
func lockUser(ctx context.Context, r Repo, userID string) error {
	if err := r.LockUser(ctx, userID); isNotFound(err) {
		return user.ErrNoUser
	} else if err != nil {
		return err
	}
	return nil
}

// updated writes user.updated with the user as it now is.
func (s *Service) updated(ctx context.Context, r Repo, userID string, now time.Time) error {
	u, err := r.UserByID(ctx, userID)
	if err != nil {
		return err
	}
	e, err := events.New(events.UserUpdated, u.ID, u.ToObject(now, s.UserAbilities), now)
	if err != nil {
		return err
	}
	return r.InsertEvent(ctx, e)
}

func isNotFound(err error) bool { return errors.Is(err, apperr.ErrNotFound) }
