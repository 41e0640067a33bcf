package signintoken

import (
	"bytes"
	"context"
	"encoding/json"
	"time"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/id"
)

// Actor tokens, Clerk's /v1/actor_tokens: a sign-in token that starts an
// impersonation session. The operator names the user and the actor (who
// acts for them: {"sub":"user_…"}, and whatever else the apps should see);
// the link signs a browser in as the user, once, after the confirmation
// page's button, without asking for any factor; the session's tokens carry
// the actor as the act claim, and the session lasts
// session_max_duration_in_seconds at most.

const (
	// ActorDefaultTTL is how long an actor token lasts unless
	// expires_in_seconds says otherwise: Clerk's hour.
	ActorDefaultTTL = time.Hour
	// ActorDefaultSession is the lifetime of the session an actor token
	// starts unless session_max_duration_in_seconds says otherwise:
	// Clerk's 30 minutes.
	ActorDefaultSession = 30 * time.Minute
	// MaxActorBytes bounds the actor object: it rides in every session
	// token of the session, and a cookie holds 4 KB.
	MaxActorBytes = 1024
)

// Errors of actor tokens the Backend API shows.
var (
	ErrActorNotFound = apperr.New(apperr.NotFound, "No actor token has that ID.")
	// ErrActorCannotSignIn refuses an actor token for an account that may
	// not sign in now: the session it would start is refused too.
	ErrActorCannotSignIn = apperr.Field(apperr.Invalid, "user_id",
		"This user is banned or locked and can't sign in, so no actor token can be made for them.")
	ErrActorNotPending = apperr.New(apperr.Conflict, "Only a pending actor token can be revoked.").Coded("actor_token_cannot_be_revoked_code")

	errActor = apperr.Field(apperr.Invalid, "actor",
		`Give the actor as a JSON object whose "sub" is the ID of who impersonates the user, such as {"sub":"user_…"}.`)
	errActorSize = apperr.Field(apperr.Invalid, "actor",
		"The actor object must be at most 1024 bytes as JSON: every session token of the session carries it.")
)

// ActorInput is POST /v1/actor_tokens.
type ActorInput struct {
	UserID                      string
	Actor                       json.RawMessage
	ExpiresInSeconds            *int64 // nil = ActorDefaultTTL
	SessionMaxDurationInSeconds *int64 // nil = ActorDefaultSession
}

// CreateActor makes an actor token for a user who may sign in and returns
// it with its token and link, which are not kept. The session it starts
// lasts no longer than the instance's own sessions.
func (s *Service) CreateActor(ctx context.Context, in ActorInput) (*Token, string, string, error) {
	ttl, err := lifetime("expires_in_seconds", in.ExpiresInSeconds, ActorDefaultTTL, MaxSeconds)
	if err != nil {
		return nil, "", "", err
	}
	maxSession := MaxSeconds
	if s.SessionLifetime > 0 {
		maxSession = max(1, int64(s.SessionLifetime/time.Second))
	}
	life, err := lifetime("session_max_duration_in_seconds", in.SessionMaxDurationInSeconds,
		min(ActorDefaultSession, time.Duration(maxSession)*time.Second), maxSession)
	if err != nil {
		return nil, "", "", err
	}
	actor, err := ParseActor(in.Actor)
	if err != nil {
		return nil, "", "", err
	}
	return s.create(ctx, &Token{ID: id.New(id.ActorToken), UserID: in.UserID, Actor: actor, SessionMax: life},
		ttl, ErrActorCannotSignIn)
}

// RevokeActor withdraws a pending actor token (expired or not); its link
// stops working. An accepted or revoked one is ErrActorNotPending; a
// sign-in token is not an actor token (ErrActorNotFound).
func (s *Service) RevokeActor(ctx context.Context, tokenID string) (*Token, error) {
	return s.revoke(ctx, tokenID, true, ErrActorNotFound, ErrActorNotPending)
}

// ParseActor checks an actor object — a JSON object with a non-empty
// string "sub" — and returns it re-encoded: keys sorted and each once, so
// that what the tokens carry is what every JSON parser reads the same way.
func ParseActor(raw json.RawMessage) (json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return nil, errActor
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var obj map[string]any
	if err := d.Decode(&obj); err != nil || d.More() {
		return nil, errActor
	}
	if sub, ok := obj["sub"].(string); !ok || sub == "" {
		return nil, errActor
	}
	out, err := json.Marshal(obj)
	if err != nil {
		return nil, errActor
	}
	if len(out) > MaxActorBytes {
		return nil, errActorSize
	}
	return out, nil
}

// ActorSub is the sub of an actor object ParseActor accepted; "" for
// anything else.
func ActorSub(actor json.RawMessage) string {
	var a struct {
		Sub string `json:"sub"`
	}
	if json.Unmarshal(actor, &a) != nil {
		return ""
	}
	return a.Sub
}

// ActorObject is an actor token as the Backend API shows it, with Clerk's
// names; token and url only when it is created.
type ActorObject struct {
	Object    string          `json:"object"`
	ID        string          `json:"id"`
	Status    string          `json:"status"`
	UserID    string          `json:"user_id"`
	Actor     json.RawMessage `json:"actor"`
	Token     string          `json:"token,omitempty"`
	URL       string          `json:"url,omitempty"`
	CreatedAt int64           `json:"created_at"`
	UpdatedAt int64           `json:"updated_at"`
}

// ToActorObject converts an actor token; ticket and link are given only
// when it was just created.
func (t *Token) ToActorObject(ticket, link string) ActorObject {
	return ActorObject{Object: "actor_token", ID: t.ID, Status: t.Status, UserID: t.UserID, Actor: t.Actor,
		Token: ticket, URL: link, CreatedAt: t.CreatedAt.UnixMilli(), UpdatedAt: t.UpdatedAt.UnixMilli()}
}
