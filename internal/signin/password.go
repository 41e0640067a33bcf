package signin

import (
	"context"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/password"
	"github.com/portalhq/portal/internal/user"
)

// PasswordRepo is what the password factor needs from the store.
type PasswordRepo interface {
	RecordFailedSignIn(ctx context.Context, userID string, threshold int, lockFor time.Duration, now time.Time) error
	SetPassword(ctx context.Context, userID, hash string, at time.Time) error
}

// Lockout is the failed-attempt policy (REQ-RL-01/02).
type Lockout struct {
	Threshold int           // consecutive failures before locking (10)
	Duration  time.Duration // how long the lock lasts (1 h)
}

// ErrBadPassword is the one answer to every failed password attempt: wrong
// password, unknown account, locked account, account without a password. It
// reveals nothing about which (REQ-RL-05).
var ErrBadPassword = apperr.Field(apperr.Invalid, "password", "Password is incorrect. Try again, or use another method.").T("error.signin.bad_password")

// PasswordStrategy is the password first factor.
type PasswordStrategy struct {
	Clock   clockwork.Clock
	Hasher  *password.Hasher
	Repo    PasswordRepo
	Lockout Lockout
}

func (p *PasswordStrategy) Name() string { return flow.Password }

// Offered to accounts with a password, and to unknown identifiers too:
// hiding the step would tell the visitor that the account does not exist.
// (Service.Strict offers it to everyone; Attempt does the same work for all.)
func (p *PasswordStrategy) Offered(_ *flow.Flow, u *user.User) bool {
	return u == nil || u.PasswordHash != ""
}

func (p *PasswordStrategy) Prepare(context.Context, *flow.Flow, *user.User, flow.Meta) error {
	return nil
}

// Attempt does the same hashing work whatever the account's state, so status,
// message and timing match for known and unknown identifiers.
func (p *PasswordStrategy) Attempt(ctx context.Context, _ *flow.Flow, u *user.User, in flow.Input) error {
	now := p.Clock.Now()
	if u == nil || u.PasswordHash == "" || u.Locked(now) || u.Banned {
		if err := p.Hasher.DummyVerify(ctx, in.Password); apperr.CodeOf(err) == apperr.Unavailable {
			return err
		}
		return ErrBadPassword
	}
	ok, rehash, err := p.Hasher.Verify(ctx, in.Password, u.PasswordHash)
	if err != nil {
		return err
	}
	if !ok {
		if err := p.Repo.RecordFailedSignIn(ctx, u.ID, p.Lockout.Threshold, p.Lockout.Duration, now); err != nil {
			return err
		}
		return ErrBadPassword
	}
	if rehash {
		if h, err := p.Hasher.Hash(ctx, in.Password); err == nil {
			_ = p.Repo.SetPassword(ctx, u.ID, h, now) // best effort: the old hash still works
		}
	}
	return nil
}
