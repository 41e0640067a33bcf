package signin_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/factors"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/signin"
	"github.com/portalhq/portal/internal/signintoken"
)

func (e *env) actorTicketFor(userID string, sessionSeconds int64) (*signintoken.Token, string) {
	e.t.Helper()
	tok, ticket, _, err := e.svc.Tickets.CreateActor(e.t.Context(), signintoken.ActorInput{UserID: userID,
		Actor: json.RawMessage(`{"sub":"user_support"}`), SessionMaxDurationInSeconds: &sessionSeconds})
	if err != nil {
		e.t.Fatal(err)
	}
	return tok, ticket
}

// An actor token signs the browser in as the user once, without the
// second factor the user enrolled (impersonation stands in for them): the
// session records the actor, lasts the token's session lifetime at most,
// and session.created says who acts. The user's last sign-in stays as it
// was: this was not them.
func TestActorTicketStartsAnImpersonationSession(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		e.tickets()
		e.svc.SecondFactors = []flow.Strategy{&signin.TOTPStrategy{}}
		u := e.account("ada@example.com")
		if err := e.st.Q.SaveTOTP(ctx, factors.TOTP{UserID: u.ID, Secret: "sealed", CreatedAt: e.clock.Now()}); err != nil {
			t.Fatal(err)
		}
		if ok, err := e.st.Q.ConfirmTOTP(ctx, u.ID, 1, e.clock.Now()); err != nil || !ok {
			t.Fatalf("ConfirmTOTP: %v %v", ok, err)
		}
		before := e.user(u.ID).LastSignInAt
		tok, ticket := e.actorTicketFor(u.ID, 900)
		client := e.client()
		e.clock.Advance(time.Second)

		sess, f, err := e.svc.SignInWithTicket(ctx, client, ticket, "https://app.example.com/", meta)
		if err != nil {
			t.Fatal(err)
		}
		e.signedIn(sess, client, f.ID, u.ID)
		got, err := e.st.Q.SessionByID(ctx, sess.ID)
		if err != nil {
			t.Fatal(err)
		}
		if string(got.Actor) != `{"sub":"user_support"}` || !got.Impersonated() {
			t.Errorf("session actor = %s, want the token's", got.Actor)
		}
		if want := e.clock.Now().Add(15 * time.Minute); !got.ExpireAt.Equal(want) {
			t.Errorf("session ends at %v, want %v: the token's 900 s", got.ExpireAt, want)
		}
		if got.SecondFactorAt != nil || got.ReverifiedAt != nil {
			t.Errorf("second factor %v, reverified %v: an impersonation proves neither", got.SecondFactorAt, got.ReverifiedAt)
		}
		if st := e.tokenStatus(tok.ID); st != signintoken.Accepted {
			t.Errorf("token %q, want accepted", st)
		}
		if after := e.user(u.ID).LastSignInAt; !samePtrTime(before, after) {
			t.Errorf("last sign-in moved from %v to %v", before, after)
		}
		evs, err := e.st.Q.EventsOfObject(ctx, sess.ID)
		if err != nil || len(evs) != 1 {
			t.Fatalf("events %v %v", evs, err)
		}
		var data struct {
			Actor map[string]any `json:"actor"`
		}
		if err := json.Unmarshal(evs[0].Data, &data); err != nil || data.Actor["sub"] != "user_support" {
			t.Errorf("session.created data %s: want actor.sub user_support", evs[0].Data)
		}

		// Once only.
		_, _, err = e.svc.SignInWithTicket(ctx, e.client(), ticket, "", meta)
		wantTicketGone(t, err)
	})
}

func samePtrTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

// The session lasts the token's session_max_duration_in_seconds, never
// longer than the instance's sessions, and ends after ten minutes without
// activity whatever the instance allows; the user's own sessions keep the
// instance's rules.
func TestImpersonationSessionLifetime(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		e.tickets()
		e.sessions.Policy.MaxLifetime = time.Hour
		u := e.account("ada@example.com")
		_, long := e.actorTicketFor(u.ID, 7200) // the service's own bound is not wired here
		sess, _, err := e.svc.SignInWithTicket(ctx, e.client(), long, "", meta)
		if err != nil {
			t.Fatal(err)
		}
		if want := e.clock.Now().Add(time.Hour); !sess.ExpireAt.Equal(want) {
			t.Errorf("2 h asked, instance's 1 h: ends at %v, want %v", sess.ExpireAt, want)
		}

		client := e.client()
		_, ticket := e.actorTicketFor(u.ID, 1800)
		imp, _, err := e.svc.SignInWithTicket(ctx, client, ticket, "", meta)
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(9 * time.Minute)
		if cur, err := e.sessions.Current(ctx, imp.ClientID); err != nil || cur == nil || cur.ID != imp.ID {
			t.Fatalf("after 9 idle minutes: %+v %v, want the session still", cur, err)
		}
		e.clock.Advance(9 * time.Minute) // active 9 minutes ago: still in
		if cur, _ := e.sessions.Current(ctx, imp.ClientID); cur == nil {
			t.Fatal("9 minutes after the last activity the session ended")
		}
		e.clock.Advance(10 * time.Minute)
		if cur, _ := e.sessions.Current(ctx, imp.ClientID); cur != nil {
			t.Errorf("10 idle minutes: session %s still live, want it expired", cur.ID)
		}
		if got, _ := e.st.Q.SessionByID(ctx, imp.ID); got.Status != session.Expired {
			t.Errorf("status %q, want expired", got.Status)
		}

		// The user's own session on the same instance: no idle limit.
		own := e.client()
		f := e.start(own, "ada@example.com")
		mine, err := e.password(own, f.ID, pw)
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(30 * time.Minute)
		if cur, _ := e.sessions.Current(ctx, mine.ClientID); cur == nil || cur.ID != mine.ID || cur.Impersonated() {
			t.Errorf("the user's own session after 30 idle minutes: %+v", cur)
		}

		// Past its lifetime, activity or not.
		client2 := e.client()
		_, short := e.actorTicketFor(u.ID, 300)
		brief, _, err := e.svc.SignInWithTicket(ctx, client2, short, "", meta)
		if err != nil {
			t.Fatal(err)
		}
		for range 5 {
			e.clock.Advance(time.Minute)
			e.sessions.Current(ctx, brief.ClientID)
		}
		if cur, _ := e.sessions.Current(ctx, brief.ClientID); cur != nil {
			t.Errorf("5 busy minutes into a 300 s impersonation: still live")
		}
	})
}

// A ban or lock refuses an actor token as it refuses any sign-in, and
// leaves it unused.
func TestActorTicketRefusedForABannedUser(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		e.tickets()
		u := e.account("ada@example.com")
		tok, ticket := e.actorTicketFor(u.ID, 1800)
		e.setBanned(u.ID, true)
		_, _, err := e.svc.SignInWithTicket(t.Context(), e.client(), ticket, "", meta)
		wantErr(t, "banned", err, apperr.Forbidden, "error.signin.cannot_sign_in_now")
		if st := e.tokenStatus(tok.ID); st != signintoken.Pending {
			t.Errorf("token %q after the refusal, want pending", st)
		}
		if len(e.sessionsOf(u.ID)) != 0 {
			t.Errorf("sessions %v, want none", e.sessionsOf(u.ID))
		}
	})
}
