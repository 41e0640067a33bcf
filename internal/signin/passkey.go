package signin

import (
	"context"
	"errors"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/passkey"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/user"
)

// Passkeys runs WebAuthn sign-in ceremonies (passkey.Service).
type Passkeys interface {
	BeginLogin(ctx context.Context, flowID string) (optionsJSON []byte, challengeID string, err error)
	FinishLogin(ctx context.Context, challengeID, flowID string, responseJSON []byte) (*passkey.Credential, error)
}

// PasskeyStrategy signs in with a passkey: a discoverable credential with
// user verification, so it is both factors at once. Its ceremonies are
// bound to the browser's client, not to one flow, because the "Sign in
// with a passkey" button and autofill start before any identifier is typed.
type PasskeyStrategy struct {
	Clock    clockwork.Clock
	Passkeys Passkeys
}

var (
	// ErrPasskeyOtherAccount: the passkey chosen belongs to someone other
	// than the account the identifier named.
	ErrPasskeyOtherAccount = apperr.New(apperr.Unauthorized, "That passkey belongs to another account. Choose the passkey for this one, or use another way to sign in.").T("error.signin.passkey_other_account")
	// ErrCannotSignIn: the person proved who they are, but the account may
	// not sign in (banned, or locked after too many failed attempts).
	ErrCannotSignIn = apperr.New(apperr.Forbidden, "This account can't sign in right now. Try again later or contact the site's support.").T("error.signin.cannot_sign_in_now")
)

func (p *PasskeyStrategy) Name() string { return flow.Passkey }

// Offered when the account has a passkey; an unknown account looks like an
// account without one. (Service.Strict offers it to everyone: a person
// without a passkey gets the browser's own "no passkey" answer.)
func (p *PasskeyStrategy) Offered(_ *flow.Flow, u *user.User) bool { return u != nil && u.Passkeys > 0 }

func (p *PasskeyStrategy) Prepare(context.Context, *flow.Flow, *user.User, flow.Meta) error {
	return nil
}

// Attempt verifies an assertion made for the flow's browser; the passkey
// must be the account's.
func (p *PasskeyStrategy) Attempt(ctx context.Context, f *flow.Flow, u *user.User, in flow.Input) error {
	cred, err := p.Passkeys.FinishLogin(ctx, in.ChallengeID, f.ClientID, in.Credential)
	if err != nil {
		return err
	}
	if u == nil || cred.UserID != u.ID {
		return ErrPasskeyOtherAccount
	}
	return passkeyMaySignIn(u)
}

// canSignIn applies the account rules the password factor applies (banned,
// locked) to factors that identify the person on their own.
func canSignIn(u *user.User, now time.Time) error {
	if u.Banned || u.Locked(now) {
		return ErrCannotSignIn
	}
	return nil
}

// passkeyMaySignIn is canSignIn for a passkey: a ban or the operator's lock
// refuse it, but not the lock wrong passwords or codes set. A passkey
// cannot be guessed, and that lock stops the guessing of what can
// (REQ-RL-01: it disables the authenticator attacked), so someone locking
// another person's password out does not lock out their passkey too
// (REQ-RL-02, malicious lockout).
func passkeyMaySignIn(u *user.User) error {
	if !u.Allowed() {
		return ErrCannotSignIn
	}
	return nil
}

// BeginPasskey starts a passkey sign-in for the browser clientID.
func (s *Service) BeginPasskey(ctx context.Context, clientID string) ([]byte, error) {
	st := s.passkeyStrategy()
	if st == nil {
		return nil, errNoPasskeys
	}
	opts, _, err := st.Passkeys.BeginLogin(ctx, clientID)
	return opts, err
}

var errNoPasskeys = apperr.New(apperr.Invalid, "Passkeys aren't enabled on this site. Sign in another way.").T("error.signin.no_passkeys")

// SignInWithPasskey signs in whoever owns the passkey the browser clientID
// used, without an identifier typed first (the button, or autofill). It
// records the sign-in as a flow of its own and completes it through the
// same path as every other factor, so the account rules apply and the
// session events are written. A counter that went backwards fails with
// passkey.ErrCloneWarning in the chain (REQ-WA-09): log it.
func (s *Service) SignInWithPasskey(ctx context.Context, clientID, redirectURL string, in flow.Input, meta flow.Meta) (*session.Session, *flow.Flow, error) {
	st := s.passkeyStrategy()
	if st == nil {
		return nil, nil, errNoPasskeys
	}
	cred, err := st.Passkeys.FinishLogin(ctx, in.ChallengeID, clientID, in.Credential)
	if err != nil {
		return nil, nil, err
	}
	u, err := s.Repo.UserByID(ctx, cred.UserID)
	if errors.Is(err, apperr.ErrNotFound) {
		return nil, nil, ErrCannotSignIn
	}
	if err != nil {
		return nil, nil, err
	}
	if err := passkeyMaySignIn(u); err != nil {
		return nil, nil, err
	}
	f := s.newFlowFor(clientID, u, redirectURL)
	f.Data.Strategy = flow.Passkey
	if err := s.Repo.CreateFlow(ctx, f); err != nil {
		return nil, nil, err
	}
	sess, err := s.complete(ctx, f, u, meta, flow.Passkey)
	return sess, f, err
}

// newFlowFor is a sign-in flow for a user already known (no identifier was
// typed): it names the account by its primary identifier.
func (s *Service) newFlowFor(clientID string, u *user.User, redirectURL string) *flow.Flow {
	now := s.Clock.Now()
	kind, value := user.Email, u.PrimaryEmail()
	switch {
	case value != "":
	case u.Username() != "":
		kind, value = user.Username, u.Username()
	case u.PrimaryPhone() != "":
		kind, value = user.Phone, u.PrimaryPhone()
	}
	return &flow.Flow{ID: id.New(id.SignIn), Kind: flow.SignIn, ClientID: clientID, Status: flow.NeedsFirstFactor,
		UserID: u.ID, Identifier: value, RedirectURL: redirectURL, CreatedAt: now, UpdatedAt: now,
		ExpireAt: now.Add(flow.Lifetime), Data: flow.Data{IdentifierKind: kind}}
}

func (s *Service) passkeyStrategy() *PasskeyStrategy {
	for _, st := range s.Strategies {
		if p, ok := st.(*PasskeyStrategy); ok {
			return p
		}
	}
	return nil
}

// PasskeysEnabled reports whether passkeys are a first factor here.
func (s *Service) PasskeysEnabled() bool { return s.passkeyStrategy() != nil }
