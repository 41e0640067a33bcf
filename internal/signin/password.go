package signin

import (
	"context"
	"log/slog"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/password"
	"github.com/portalhq/portal/internal/user"
)

// PasswordRepo is what the password factor needs from the store.
type PasswordRepo interface {
	FailureRecorder
	// RehashPassword stores a stronger hash of the same password (a
	// compromised mark stays: it is still that password).
	RehashPassword(ctx context.Context, userID, oldHash, newHash string) error
}

// FailureRecorder counts a failed attempt towards an account's lockout and
// reports whether it locked the account.
type FailureRecorder interface {
	RecordFailedSignIn(ctx context.Context, userID string, threshold int, lockFor time.Duration, now time.Time) (bool, error)
}

// Lockout is the failed-attempt policy (REQ-RL-01/02), and whom to tell
// when it locks an account (REQ-RL-07).
type Lockout struct {
	Threshold int           // consecutive failures before locking (10)
	Duration  time.Duration // how long the lock lasts (1 h)
	// Notifier emails the owner when failures lock their account; nil
	// tells nobody.
	Notifier LockNotifier
	// Later runs the email in the background, with ctx's values (the
	// person's language) but not its end, so the attempt that locks an
	// account takes no longer than any other (an unknown account never
	// locks, and a slower answer would tell the two apart). nil runs it at
	// once (tests).
	Later func(ctx context.Context, fn func(context.Context) error)
	// Log records each lock, an anti-automation trigger (REQ-LOG-01); nil
	// records nothing.
	Log *slog.Logger
}

// LockNotifier tells an account's owner that failed attempts locked it.
type LockNotifier interface {
	SendSignInLocked(ctx context.Context, to, locale string, attempts int, until time.Time) error
}

// Fail counts a failed attempt of u's at now; when it locks the account,
// the owner is told at their primary email address.
func (l Lockout) Fail(ctx context.Context, r FailureRecorder, u *user.User, now time.Time) error {
	if l.Threshold <= 0 {
		return nil
	}
	locked, err := r.RecordFailedSignIn(ctx, u.ID, l.Threshold, l.Duration, now)
	if err != nil || !locked {
		return err
	}
	to, locale, until := u.PrimaryEmail(), u.Locale, now.Add(l.Duration)
	if l.Log != nil {
		l.Log.LogAttrs(ctx, slog.LevelWarn, "account locked after failed attempts",
			slog.String("user_id", u.ID), slog.Int("attempts", l.Threshold), slog.Time("until", until))
	}
	if l.Notifier == nil || to == "" {
		return nil
	}
	send := func(ctx context.Context) error {
		return l.Notifier.SendSignInLocked(ctx, to, locale, l.Threshold, until)
	}
	if l.Later == nil {
		return send(ctx)
	}
	l.Later(ctx, send)
	return nil
}

// ErrBadPassword is the one answer to every failed password attempt: wrong
// password, unknown account, locked account, account without a password. It
// reveals nothing about which (REQ-RL-05).
var ErrBadPassword = apperr.Field(apperr.Invalid, "password", "Password is incorrect. Try again, or use another method.").T("error.signin.bad_password")

// ErrPasswordRequired answers an empty password (a browser whose required
// check was turned off, a script): nothing was tried, so nothing is
// hashed or counted towards the lockout, for any account or none alike.
var ErrPasswordRequired = apperr.Field(apperr.Invalid, "password", "Enter your password.").T("error.signin.password_required")

// ErrPasswordLocked and ErrPasswordBanned answer a password for a locked
// or banned account: to the visitor they are ErrBadPassword word for word
// (REQ-RL-05), but the log says why (reason "locked", "banned"), so
// whoever answers "my right password is refused" sees the lock there.
var (
	ErrPasswordLocked = ErrBadPassword.T("error.signin.bad_password")
	ErrPasswordBanned = ErrBadPassword.T("error.signin.bad_password")
)

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
	if in.Password == "" {
		return ErrPasswordRequired
	}
	now := p.Clock.Now()
	if u == nil || u.PasswordHash == "" || u.Locked(now) || u.Banned {
		if err := p.Hasher.DummyVerify(ctx, in.Password); apperr.CodeOf(err) == apperr.Unavailable {
			return err
		}
		switch {
		case u == nil || u.PasswordHash == "":
			return ErrBadPassword
		case u.Banned:
			return ErrPasswordBanned
		default:
			return ErrPasswordLocked
		}
	}
	ok, rehash, err := p.Hasher.Verify(ctx, in.Password, u.PasswordHash)
	if err != nil {
		return err
	}
	if !ok {
		if err := p.Lockout.Fail(ctx, p.Repo, u, now); err != nil {
			return err
		}
		return ErrBadPassword
	}
	if rehash {
		if h, err := p.Hasher.Hash(ctx, in.Password); err == nil {
			_ = p.Repo.RehashPassword(ctx, u.ID, u.PasswordHash, h) // best effort: the old hash still works
		}
	}
	return nil
}
