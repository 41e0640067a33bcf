// Package signup is the sign-up flow: the fields the instance requires, then
// verification of the email address by code, then the account and a session
// are created together.
package signup

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/notify"
	"github.com/portalhq/portal/internal/password"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/user"
)

// Repo is what sign-up needs from the store.
type Repo interface {
	session.Repo
	flow.CodeStore
	CreateFlow(ctx context.Context, f *flow.Flow) error
	FlowByID(ctx context.Context, id string) (*flow.Flow, error)
	UpdateFlow(ctx context.Context, f *flow.Flow) error
	UserByIdentifier(ctx context.Context, kind, value string) (*user.User, error)
	CreateUser(ctx context.Context, u *user.User) error
}

// Service runs sign-up flows.
type Service struct {
	Clock        clockwork.Clock
	Repo         Repo
	InTx         func(ctx context.Context, fn func(Repo) error) error
	Sessions     *session.Service
	Hasher       *password.Hasher
	Policy       password.Policy
	Codes        *flow.Codes
	Notifier     flow.Notifier
	AppName      string
	RequireNames bool
}

// Form is what a person submitted on /sign-up.
type Form struct {
	Email     string
	Password  string
	FirstName string
	LastName  string
}

// ErrFlowGone is shown when a sign-up is unknown, expired, finished or
// belongs to another browser.
var ErrFlowGone = apperr.New(apperr.Expired, "This sign-up has expired. Please start again.")

// Start validates the form and sends the verification code. Every problem is
// reported at once, field by field, in a *FormError.
func (s *Service) Start(ctx context.Context, clientID string, in Form, redirectURL string) (*flow.Flow, error) {
	email, first, last, err := s.validate(in)
	if err != nil {
		return nil, err
	}
	hash, err := s.Hasher.Hash(ctx, in.Password)
	if err != nil {
		return nil, err
	}
	existing, err := s.Repo.UserByIdentifier(ctx, user.Email, email)
	if err != nil && !errors.Is(err, apperr.ErrNotFound) {
		return nil, err
	}
	now := s.Clock.Now()
	f := &flow.Flow{ID: id.New(id.SignUp), Kind: flow.SignUp, ClientID: clientID, Status: flow.MissingRequirements,
		Identifier: email, RedirectURL: redirectURL, CreatedAt: now, UpdatedAt: now, ExpireAt: now.Add(flow.Lifetime),
		Data: flow.Data{FirstName: first, LastName: last, PasswordHash: hash, ExistingUser: existing != nil,
			Strategy: flow.EmailCode}}
	if err := s.Repo.CreateFlow(ctx, f); err != nil {
		return nil, err
	}
	return f, s.send(ctx, f)
}

// Resend sends a new code (after the cooldown).
func (s *Service) Resend(ctx context.Context, f *flow.Flow) error {
	if f.Status != flow.MissingRequirements {
		return ErrFlowGone
	}
	return s.send(ctx, f)
}

// send issues a code. When the address already has an account the code goes
// nowhere and its owner is told instead, so the visitor sees the same steps
// either way (REQ-RL-05).
func (s *Service) send(ctx context.Context, f *flow.Flow) error {
	code, err := s.Codes.Issue(ctx, s.Repo, f.ID, flow.EmailCode, f.Identifier)
	if err != nil {
		return err
	}
	if f.Data.ExistingUser {
		return s.Notifier.SendExistingAccount(ctx, f.Identifier)
	}
	return s.Notifier.SendCode(ctx, f.Identifier, code, "sign-up")
}

// Load returns the flow when it belongs to clientID and can still be used.
func (s *Service) Load(ctx context.Context, clientID, flowID string) (*flow.Flow, error) {
	f, err := s.Repo.FlowByID(ctx, flowID)
	if errors.Is(err, apperr.ErrNotFound) {
		return nil, ErrFlowGone
	}
	if err != nil {
		return nil, err
	}
	if f.Kind != flow.SignUp || f.ClientID != clientID || f.Expired(s.Clock.Now()) {
		return nil, ErrFlowGone
	}
	return f, nil
}

// Verify checks the code and, when right, creates the user, its verified
// email address and a session in one transaction, with their events.
func (s *Service) Verify(ctx context.Context, f *flow.Flow, code string, meta flow.Meta) (*session.Session, error) {
	if f.Status != flow.MissingRequirements {
		return nil, ErrFlowGone
	}
	if _, err := s.Codes.Check(ctx, s.Repo, f.ID, flow.EmailCode, code); err != nil {
		return nil, err
	}
	var sess *session.Session
	err := s.InTx(ctx, func(r Repo) error {
		now := s.Clock.Now()
		u := &user.User{ID: id.New(id.User), FirstName: f.Data.FirstName, LastName: f.Data.LastName,
			PasswordHash: f.Data.PasswordHash, CreatedAt: now, UpdatedAt: now, LastSignInAt: &now}
		email := user.Identifier{ID: id.New(id.Identifier), UserID: u.ID, Kind: user.Email, Value: f.Identifier,
			VerifiedAt: &now, CreatedAt: now, UpdatedAt: now}
		u.PrimaryEmailID, u.Identifiers = email.ID, []user.Identifier{email}
		if err := r.CreateUser(ctx, u); err != nil {
			if errors.Is(err, apperr.ErrConflict) {
				return apperr.Field(apperr.Conflict, "code", "This email address was registered meanwhile. Sign in instead.")
			}
			return err
		}
		e, err := events.New(events.UserCreated, u.ID, u.ToObject(now), now)
		if err != nil {
			return err
		}
		if err := r.InsertEvent(ctx, e); err != nil {
			return err
		}
		if sess, err = s.Sessions.Start(ctx, r, f.ClientID, u.ID, meta.IP, meta.UserAgent, now); err != nil {
			return err
		}
		f.Status, f.UserID, f.SessionID, f.UpdatedAt, f.Data.FirstFactorAt = flow.Complete, u.ID, sess.ID, now, &now
		f.Data.PasswordHash = "" // the user has it now; the flow need not keep a copy
		if err := r.UpdateFlow(ctx, f); err != nil {
			if errors.Is(err, apperr.ErrConflict) {
				return ErrFlowGone
			}
			return err
		}
		return nil
	})
	return sess, err
}

// FormError reports problems with several sign-up fields at once.
type FormError struct {
	Fields map[string]string // field name → message
	err    error
}

func (e *FormError) Error() string { return "signup: invalid form" }
func (e *FormError) Unwrap() error { return e.err }

const maxName = 100

func (s *Service) validate(in Form) (email, first, last string, err error) {
	fields := map[string]string{}
	email, verr := notify.ValidAddress(in.Email)
	if verr != nil {
		fields["email_address"] = message(verr)
	}
	email = user.NormalizeEmail(email)
	first, last = strings.TrimSpace(in.FirstName), strings.TrimSpace(in.LastName)
	for name, v := range map[string]string{"first_name": first, "last_name": last} {
		switch {
		case s.RequireNames && v == "":
			fields[name] = "Enter your " + strings.ReplaceAll(name, "_", " ") + "."
		case !utf8.ValidString(v):
			fields[name] = "Use letters, spaces and punctuation only."
		case utf8.RuneCountInString(v) > maxName:
			fields[name] = "Use at most 100 characters."
		case strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }):
			fields[name] = "Use letters, spaces and punctuation only."
		}
	}
	local, _, _ := strings.Cut(email, "@")
	if in.Password == "" {
		fields["password"] = "Enter a password."
	} else if err := s.Policy.Check(in.Password, local, s.AppName, "portal"); err != nil {
		fields["password"] = message(err)
	}
	if len(fields) > 0 {
		return "", "", "", &FormError{Fields: fields}
	}
	return email, first, last, nil
}

func message(err error) string {
	if e, ok := apperr.As(err); ok {
		return e.Message
	}
	return "This value isn't valid."
}
