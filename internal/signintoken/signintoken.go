// Package signintoken is Clerk's sign-in tokens: the operator creates,
// through the Backend API, a one-time link that signs a given user in
// without a password (welcome emails, support, a hand-over from another
// system). Opening the link shows a confirmation page; only the person's
// press of its button uses the token (REQ-OTP-09, REQ-SES-07), and the
// sign-in itself goes through the signin package like every other.
//
// Clerk's actor tokens (actor.go) are sign-in tokens with an actor: the
// same links, single use and revocation, but the session they start is an
// impersonation, in which the actor acts for the user.
//
// Only the token's hash is kept: the token and its link are answered once,
// when the token is created.
package signintoken

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/user"
)

// Statuses, Clerk's. A pending token past its expiry can no longer be used
// but is still reported as pending, as Clerk does.
const (
	Pending  = "pending"
	Accepted = "accepted"
	Revoked  = "revoked"
)

// Path is the page the link opens, and Param its query parameter (Clerk's
// names, so that links built for Clerk's Account Portal work here).
const (
	Path  = "/sign-in"
	Param = "__clerk_ticket"
)

const (
	// DefaultTTL is how long a token lasts unless expires_in_seconds says
	// otherwise: Clerk's 30 days.
	DefaultTTL = 30 * 24 * time.Hour
	// MaxSeconds bounds expires_in_seconds. Clerk documents the 30-day
	// default and no maximum; Portal holds a link that signs a person in
	// without any other proof to that default at most.
	MaxSeconds = int64(DefaultTTL / time.Second)
	// maxTicket bounds what is looked up: a token is 43 characters.
	maxTicket = 100
)

// Token is one sign-in token, or an actor token.
type Token struct {
	ID        string
	UserID    string
	TokenHash string
	Status    string
	ExpiresAt time.Time
	CreatedAt time.Time
	UpdatedAt time.Time
	// Actor is set on an actor token only: the actor object, with its
	// "sub", compact JSON.
	Actor json.RawMessage
	// SessionMax is an actor token's session_max_duration_in_seconds.
	SessionMax time.Duration
}

// Impersonates reports whether t is an actor token.
func (t *Token) Impersonates() bool { return len(t.Actor) > 0 }

// Live reports whether t can still be used at now.
func (t *Token) Live(now time.Time) bool { return t.Status == Pending && now.Before(t.ExpiresAt) }

// Hash is what the store keeps of a token: a plain SHA-256, as for an
// invitation's ticket (256 random bits need no slow hash).
func Hash(ticket string) string { return id.HashSecret(ticket) }

// Repo is what the service needs of the store.
type Repo interface {
	Spender
	CreateSignInToken(ctx context.Context, t *Token) error
	SignInTokenByID(ctx context.Context, id string) (*Token, error)
	UserByID(ctx context.Context, id string) (*user.User, error)
}

// Spender is what using a token needs of the store, within the
// transaction that signs the person in (signin.Repo has it).
type Spender interface {
	SignInTokenByHash(ctx context.Context, hash string) (*Token, error)
	// UpdateSignInToken saves status and updated_at when the stored
	// status is still from; otherwise ErrConflict (ErrNotFound when there
	// is no such token).
	UpdateSignInToken(ctx context.Context, t *Token, from string) error
}

// Service runs sign-in tokens.
type Service struct {
	Clock   clockwork.Clock
	Repo    Repo
	InTx    func(ctx context.Context, fn func(Repo) error) error
	BaseURL string // links are built from it
	// SessionLifetime is the instance's session lifetime, which bounds an
	// actor token's session_max_duration_in_seconds (0: MaxSeconds).
	SessionLifetime time.Duration
}

// Errors a person or the Backend API sees.
var (
	ErrNotFound     = apperr.New(apperr.NotFound, "No sign-in token has that ID.")
	ErrUserNotFound = apperr.New(apperr.NotFound, "No user with that ID exists.")
	// ErrCannotSignIn refuses a token for an account that may not sign in
	// now; the link would only lead to a refusal.
	ErrCannotSignIn = apperr.Field(apperr.Invalid, "user_id",
		"This user is banned or locked and can't sign in, so no sign-in token can be made for them.")
	ErrNotPending = apperr.New(apperr.Conflict, "Only a pending sign-in token can be revoked.").Coded("sign_in_token_cannot_be_revoked_code")
	// ErrGone: unknown, used, revoked and expired tokens read alike.
	ErrGone = apperr.New(apperr.Expired,
		"This sign-in link can't be used: it has expired, was revoked or was already used. Ask for a new one.").T("error.sign_in_token.gone")
)

// CreateInput is POST /v1/sign_in_tokens.
type CreateInput struct {
	UserID           string
	ExpiresInSeconds *int64 // nil = DefaultTTL
}

// Create makes a token for a user who may sign in and returns it with its
// token and link, which are not kept.
func (s *Service) Create(ctx context.Context, in CreateInput) (*Token, string, string, error) {
	ttl, err := lifetime("expires_in_seconds", in.ExpiresInSeconds, DefaultTTL, MaxSeconds)
	if err != nil {
		return nil, "", "", err
	}
	return s.create(ctx, &Token{ID: id.New(id.SignInToken), UserID: in.UserID}, ttl, ErrCannotSignIn)
}

// lifetime reads an optional number of seconds between 1 and maxSeconds
// (def when absent).
func lifetime(param string, seconds *int64, def time.Duration, maxSeconds int64) (time.Duration, error) {
	if seconds == nil {
		return def, nil
	}
	if n := *seconds; n < 1 || n > maxSeconds {
		return 0, apperr.Field(apperr.Invalid, param, fmt.Sprintf("%s must be between 1 and %d (%s).", param, maxSeconds, span(maxSeconds)))
	}
	return time.Duration(*seconds) * time.Second, nil
}

// span says n seconds in the largest whole unit.
func span(n int64) string {
	unit, name := int64(1), "second"
	for _, u := range []struct {
		secs int64
		name string
	}{{86400, "day"}, {3600, "hour"}, {60, "minute"}} {
		if n >= u.secs && n%u.secs == 0 {
			unit, name = u.secs, u.name
			break
		}
	}
	if n/unit != 1 {
		name += "s"
	}
	return fmt.Sprintf("%d %s", n/unit, name)
}

// create fills in and stores t (its ID, user and, for an actor token, its
// actor set) for a user who may sign in; refused answers one who may not.
func (s *Service) create(ctx context.Context, t *Token, ttl time.Duration, refused error) (*Token, string, string, error) {
	if t.UserID == "" {
		return nil, "", "", apperr.Field(apperr.Invalid, "user_id", "Give the user_id of the user the token signs in.")
	}
	u, err := s.Repo.UserByID(ctx, t.UserID)
	if errors.Is(err, apperr.ErrNotFound) {
		return nil, "", "", ErrUserNotFound
	} else if err != nil {
		return nil, "", "", err
	}
	now := s.Clock.Now()
	if u.Banned || u.Locked(now) {
		return nil, "", "", refused
	}
	ticket := id.Secret(32)
	t.TokenHash, t.Status, t.ExpiresAt, t.CreatedAt, t.UpdatedAt = Hash(ticket), Pending, now.Add(ttl), now, now
	if err := s.Repo.CreateSignInToken(ctx, t); err != nil {
		return nil, "", "", err
	}
	return t, ticket, s.Link(ticket), nil
}

// Link is the link for ticket: the sign-in page with Clerk's parameter.
func (s *Service) Link(ticket string) string {
	return s.BaseURL + Path + "?" + url.Values{Param: {ticket}}.Encode()
}

// Revoke withdraws a pending sign-in token (expired or not); its link
// stops working. An accepted or revoked one is ErrNotPending; an actor
// token is not a sign-in token (ErrNotFound).
func (s *Service) Revoke(ctx context.Context, tokenID string) (*Token, error) {
	return s.revoke(ctx, tokenID, false, ErrNotFound, ErrNotPending)
}

func (s *Service) revoke(ctx context.Context, tokenID string, actor bool, notFound, notPending error) (*Token, error) {
	var t *Token
	err := s.InTx(ctx, func(r Repo) error {
		var err error
		if t, err = r.SignInTokenByID(ctx, tokenID); errors.Is(err, apperr.ErrNotFound) || err == nil && t.Impersonates() != actor {
			return notFound
		} else if err != nil {
			return err
		}
		if t.Status != Pending {
			return notPending
		}
		t.Status, t.UpdatedAt = Revoked, s.Clock.Now()
		if err := r.UpdateSignInToken(ctx, t, Pending); errors.Is(err, apperr.ErrConflict) {
			return notPending
		} else if err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// Peek returns the live token ticket names and its user, using nothing:
// the confirmation page shows whose account the link opens. Anything
// else reads as ErrGone.
func (s *Service) Peek(ctx context.Context, ticket string) (*Token, *user.User, error) {
	if ticket == "" || len(ticket) > maxTicket {
		return nil, nil, ErrGone
	}
	t, err := s.Repo.SignInTokenByHash(ctx, Hash(ticket))
	if err != nil || !t.Live(s.Clock.Now()) {
		return nil, nil, gone(err)
	}
	u, err := s.Repo.UserByID(ctx, t.UserID)
	if err != nil {
		return nil, nil, gone(err)
	}
	return t, u, nil
}

// UseIn spends the token ticket names within r, a transaction the caller
// runs (the one that signs the person in, so that a refusal leaves the
// token unused): pending to accepted by a conditional update, so that of
// two uses at once one wins. Unknown, used, revoked and expired tokens are
// ErrGone.
func (s *Service) UseIn(ctx context.Context, r Spender, ticket string) (*Token, error) {
	if ticket == "" || len(ticket) > maxTicket {
		return nil, ErrGone
	}
	t, err := r.SignInTokenByHash(ctx, Hash(ticket))
	if err != nil {
		return nil, gone(err)
	}
	now := s.Clock.Now()
	if !t.Live(now) {
		return nil, ErrGone
	}
	t.Status, t.UpdatedAt = Accepted, now
	if err := r.UpdateSignInToken(ctx, t, Pending); errors.Is(err, apperr.ErrConflict) {
		return nil, ErrGone
	} else if err != nil {
		return nil, err
	}
	return t, nil
}

func gone(err error) error {
	if err == nil || errors.Is(err, apperr.ErrNotFound) {
		return ErrGone
	}
	return err
}

// Object is a sign-in token as the Backend API shows it, with Clerk's
// names; token and url only when it is created.
type Object struct {
	Object    string `json:"object"`
	ID        string `json:"id"`
	Status    string `json:"status"`
	UserID    string `json:"user_id"`
	Token     string `json:"token,omitempty"`
	URL       string `json:"url,omitempty"`
	CreatedAt int64  `json:"created_at"`
	UpdatedAt int64  `json:"updated_at"`
}

// ToObject converts t; ticket and link are given only when it was just
// created.
func (t *Token) ToObject(ticket, link string) Object {
	return Object{Object: "sign_in_token", ID: t.ID, Status: t.Status, UserID: t.UserID, Token: ticket, URL: link,
		CreatedAt: t.CreatedAt.UnixMilli(), UpdatedAt: t.UpdatedAt.UnixMilli()}
}
