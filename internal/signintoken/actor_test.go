package signintoken_test

import (
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/signintoken"
	"github.com/portalhq/portal/internal/user"
)

func (e *env) createActor(in signintoken.ActorInput) (*signintoken.Token, string, string) {
	e.t.Helper()
	tok, ticket, link, err := e.svc.CreateActor(e.t.Context(), in)
	if err != nil {
		e.t.Fatalf("CreateActor: %v", err)
	}
	return tok, ticket, link
}

var support = json.RawMessage(`{"sub":"user_support"}`)

// An actor token is a sign-in token with an actor: act_ ID, Clerk's
// defaults (an hour; sessions of 30 minutes), the same kind of link, and
// only its hash kept.
func TestCreateActorToken(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		u := e.account("ada@example.com")
		tok, ticket, link := e.createActor(signintoken.ActorInput{UserID: u.ID,
			Actor: json.RawMessage(` {"sub": "user_support", "reason": "ticket 42", "level": 2} `)})
		if !strings.HasPrefix(tok.ID, "act_") || tok.Status != signintoken.Pending || tok.UserID != u.ID || !tok.Impersonates() {
			t.Errorf("token = %+v", tok)
		}
		if want := e.clock.Now().Add(time.Hour); !tok.ExpiresAt.Equal(want) {
			t.Errorf("expires at %v, want Clerk's hour %v", tok.ExpiresAt, want)
		}
		if tok.SessionMax != 30*time.Minute {
			t.Errorf("session lifetime %v, want Clerk's 30 minutes", tok.SessionMax)
		}
		// Re-encoded: keys sorted, once each, numbers as they were.
		if string(tok.Actor) != `{"level":2,"reason":"ticket 42","sub":"user_support"}` {
			t.Errorf("actor = %s", tok.Actor)
		}
		lu, err := url.Parse(link)
		if err != nil || lu.Path != "/sign-in" || lu.Query().Get("__clerk_ticket") != ticket {
			t.Errorf("link = %q, want the sign-in page with __clerk_ticket=<token>", link)
		}
		stored, err := e.st.Q.SignInTokenByID(t.Context(), tok.ID)
		if err != nil {
			t.Fatal(err)
		}
		if stored.TokenHash != signintoken.Hash(ticket) || string(stored.Actor) != string(tok.Actor) || stored.SessionMax != tok.SessionMax {
			t.Errorf("stored %+v: want the token's hash, its actor and session lifetime", stored)
		}
		obj, _ := json.Marshal(tok.ToActorObject(ticket, link))
		var got map[string]any
		_ = json.Unmarshal(obj, &got)
		if got["object"] != "actor_token" || got["id"] != tok.ID || got["status"] != "pending" || got["user_id"] != u.ID ||
			got["token"] != ticket || got["url"] != link || got["actor"].(map[string]any)["sub"] != "user_support" ||
			got["created_at"] != float64(e.clock.Now().UnixMilli()) {
			t.Errorf("object = %s", obj)
		}

		short, _, _ := e.createActor(signintoken.ActorInput{UserID: u.ID, Actor: support,
			ExpiresInSeconds: ptr(int64(600)), SessionMaxDurationInSeconds: ptr(int64(300))})
		if !short.ExpiresAt.Equal(e.clock.Now().Add(10*time.Minute)) || short.SessionMax != 5*time.Minute {
			t.Errorf("600 s token, 300 s session: %v, %v", short.ExpiresAt, short.SessionMax)
		}
	})
}

// Clerk's refusals: no actor or no actor.sub, lifetimes out of range, an
// unknown user, a user who may not sign in.
func TestCreateActorTokenRefusals(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		e.svc.SessionLifetime = 24 * time.Hour
		u := e.account("ada@example.com")
		for _, bad := range []string{``, `null`, `"user_support"`, `[{"sub":"x"}]`, `{}`, `{"sub":""}`, `{"sub":42}`,
			`{"id":"user_support"}`, `{"sub":"x","pad":"` + strings.Repeat("x", 1100) + `"}`} {
			_, _, _, err := e.svc.CreateActor(ctx, signintoken.ActorInput{UserID: u.ID, Actor: json.RawMessage(bad)})
			if ae, ok := apperr.As(err); !ok || ae.Code != apperr.Invalid || ae.Field != "actor" {
				t.Errorf("actor %.40q: %v, want invalid actor", bad, err)
			}
		}
		for param, in := range map[string][]signintoken.ActorInput{
			"expires_in_seconds": {{ExpiresInSeconds: ptr(int64(0))}, {ExpiresInSeconds: ptr(int64(2592001))}},
			// The instance's sessions last a day: an impersonation no longer.
			"session_max_duration_in_seconds": {{SessionMaxDurationInSeconds: ptr(int64(-5))},
				{SessionMaxDurationInSeconds: ptr(int64(86401))}},
		} {
			for _, x := range in {
				x.UserID, x.Actor = u.ID, support
				_, _, _, err := e.svc.CreateActor(ctx, x)
				if ae, ok := apperr.As(err); !ok || ae.Code != apperr.Invalid || ae.Field != param {
					t.Errorf("%s out of range: %v, want invalid %s", param, err, param)
				}
			}
		}
		if tok, _, _ := e.createActor(signintoken.ActorInput{UserID: u.ID, Actor: support,
			SessionMaxDurationInSeconds: ptr(int64(86400))}); tok.SessionMax != 24*time.Hour {
			t.Errorf("a day's session: %v", tok.SessionMax)
		}
		if _, _, _, err := e.svc.CreateActor(ctx, signintoken.ActorInput{UserID: "user_nobody", Actor: support}); !errors.Is(err, signintoken.ErrUserNotFound) {
			t.Errorf("unknown user: %v, want ErrUserNotFound", err)
		}
		if _, _, _, err := e.svc.CreateActor(ctx, signintoken.ActorInput{Actor: support}); apperr.CodeOf(err) != apperr.Invalid {
			t.Errorf("no user_id: %v, want invalid", err)
		}
		banned := e.account("banned@example.com", func(u *user.User) { u.Banned = true })
		if _, _, _, err := e.svc.CreateActor(ctx, signintoken.ActorInput{UserID: banned.ID, Actor: support}); !errors.Is(err, signintoken.ErrActorCannotSignIn) {
			t.Errorf("banned user: %v, want ErrActorCannotSignIn", err)
		}
	})
}

// An actor token is used once like a sign-in token, dies at its expiry and
// when revoked; the two kinds of token are revoked each by its own
// endpoint only.
func TestActorTokenUseOnceRevokeAndExpiry(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		u := e.account("ada@example.com")
		tok, ticket, _ := e.createActor(signintoken.ActorInput{UserID: u.ID, Actor: support})
		if got, _, err := e.svc.Peek(ctx, ticket); err != nil || got.ID != tok.ID || string(got.Actor) != string(support) {
			t.Fatalf("Peek: %+v %v", got, err)
		}
		used, err := e.svc.UseIn(ctx, e.st.Q, ticket)
		if err != nil || used.Status != signintoken.Accepted || !used.Impersonates() || used.SessionMax != 30*time.Minute {
			t.Fatalf("first use: %+v %v", used, err)
		}
		if _, err := e.svc.UseIn(ctx, e.st.Q, ticket); !errors.Is(err, signintoken.ErrGone) {
			t.Errorf("second use: %v, want ErrGone", err)
		}
		if _, err := e.svc.RevokeActor(ctx, tok.ID); !errors.Is(err, signintoken.ErrActorNotPending) {
			t.Errorf("revoking a used token: %v, want ErrActorNotPending", err)
		}

		tok2, ticket2, _ := e.createActor(signintoken.ActorInput{UserID: u.ID, Actor: support})
		if _, err := e.svc.Revoke(ctx, tok2.ID); !errors.Is(err, signintoken.ErrNotFound) {
			t.Errorf("an actor token through the sign-in tokens' revoke: %v, want ErrNotFound", err)
		}
		sit, _, _ := e.create(u.ID, nil)
		if _, err := e.svc.RevokeActor(ctx, sit.ID); !errors.Is(err, signintoken.ErrActorNotFound) {
			t.Errorf("a sign-in token through the actor tokens' revoke: %v, want ErrActorNotFound", err)
		}
		e.clock.Advance(time.Second)
		rev, err := e.svc.RevokeActor(ctx, tok2.ID)
		if err != nil || rev.Status != signintoken.Revoked || !rev.UpdatedAt.Equal(e.clock.Now()) {
			t.Fatalf("RevokeActor: %+v %v", rev, err)
		}
		if obj := rev.ToActorObject("", ""); obj.Object != "actor_token" || obj.Status != "revoked" || obj.Token != "" || obj.URL != "" ||
			string(obj.Actor) != string(support) {
			t.Errorf("revoked object = %+v", obj)
		}
		if _, err := e.svc.UseIn(ctx, e.st.Q, ticket2); !errors.Is(err, signintoken.ErrGone) {
			t.Errorf("use after revoke: %v, want ErrGone", err)
		}
		if _, err := e.svc.RevokeActor(ctx, id.New(id.ActorToken)); !errors.Is(err, signintoken.ErrActorNotFound) {
			t.Errorf("revoking an unknown ID: %v, want ErrActorNotFound", err)
		}

		_, ticket3, _ := e.createActor(signintoken.ActorInput{UserID: u.ID, Actor: support, ExpiresInSeconds: ptr(int64(60))})
		e.clock.Advance(time.Minute)
		if _, _, err := e.svc.Peek(ctx, ticket3); !errors.Is(err, signintoken.ErrGone) {
			t.Errorf("peek when expired: %v, want ErrGone", err)
		}
		if _, err := e.svc.UseIn(ctx, e.st.Q, ticket3); !errors.Is(err, signintoken.ErrGone) {
			t.Errorf("use when expired: %v, want ErrGone", err)
		}
	})
}
