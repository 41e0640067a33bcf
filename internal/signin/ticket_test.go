package signin_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/factors"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/restrict"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/signin"
	"github.com/portalhq/portal/internal/signintoken"
	"github.com/portalhq/portal/internal/store"
)

// tickets wires sign-in tokens into e's service as app.Portal.wire does.
func (e *env) tickets() *signintoken.Service {
	e.t.Helper()
	e.svc.Tickets = &signintoken.Service{Clock: e.clock, Repo: e.st.Q, InTx: store.Tx[signintoken.Repo](e.st),
		BaseURL: "https://accounts.example.com"}
	return e.svc.Tickets
}

func (e *env) ticketFor(userID string) (*signintoken.Token, string) {
	e.t.Helper()
	tok, ticket, _, err := e.svc.Tickets.Create(e.t.Context(), signintoken.CreateInput{UserID: userID})
	if err != nil {
		e.t.Fatal(err)
	}
	return tok, ticket
}

func (e *env) setBanned(userID string, banned bool) {
	e.t.Helper()
	u := e.user(userID)
	u.Banned = banned
	if err := e.st.Q.SaveUser(e.t.Context(), u); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) tokenStatus(tokenID string) string {
	e.t.Helper()
	got, err := e.st.Q.SignInTokenByID(e.t.Context(), tokenID)
	if err != nil {
		e.t.Fatal(err)
	}
	return got.Status
}

// A sign-in token signs the browser in once, through the same session
// start as every factor (session.created, the sign-in recorded); a second
// use is refused and signs nobody in.
func TestTicketSignsInOnce(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		e.tickets()
		u := e.account("ada@example.com")
		tok, ticket := e.ticketFor(u.ID)
		client := e.client()

		sess, f, err := e.svc.SignInWithTicket(ctx, client, ticket, "https://app.example.com/welcome", meta)
		if err != nil {
			t.Fatal(err)
		}
		e.signedIn(sess, client, f.ID, u.ID)
		if f.Data.FirstFactor != flow.Ticket || f.RedirectURL != "https://app.example.com/welcome" || f.Identifier != "ada@example.com" {
			t.Errorf("flow = %+v", f)
		}
		if st := e.tokenStatus(tok.ID); st != signintoken.Accepted {
			t.Errorf("token status %q, want accepted", st)
		}
		if got := e.user(u.ID); got.LastSignInAt == nil || !got.LastSignInAt.Equal(e.clock.Now()) {
			t.Errorf("last sign-in = %v, want now", got.LastSignInAt)
		}

		other := e.client()
		sess2, _, err := e.svc.SignInWithTicket(ctx, other, ticket, "", meta)
		wantTicketGone(t, err)
		if sess2 != nil || len(e.sessionsOf(u.ID)) != 1 {
			t.Errorf("the second use made a session: %+v; sessions %v", sess2, e.sessionsOf(u.ID))
		}
	})
}

func wantTicketGone(t *testing.T, err error) {
	t.Helper()
	wantErr(t, "used, revoked or expired token", err, apperr.Expired, "error.sign_in_token.gone")
}

// Two uses of one token at once: one signs in, the other is refused.
func TestTicketRaceOneWins(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		e.tickets()
		u := e.account("ada@example.com")
		_, ticket := e.ticketFor(u.ID)
		clients := []string{e.client(), e.client(), e.client(), e.client()}
		errs := make(chan error, len(clients))
		start := make(chan struct{})
		for _, c := range clients {
			go func() {
				<-start
				_, _, err := e.svc.SignInWithTicket(t.Context(), c, ticket, "", meta)
				errs <- err
			}()
		}
		close(start)
		ok := 0
		for range clients {
			err := <-errs
			switch {
			case err == nil:
				ok++
			case errors.Is(err, signintoken.ErrGone), apperr.CodeOf(err) == apperr.Expired:
			default:
				// SQLite may make a loser wait for the lock and then see
				// the token spent; anything else is a failure.
				t.Errorf("a concurrent use: %v", err)
			}
		}
		if ok != 1 || len(e.sessionsOf(u.ID)) != 1 {
			t.Errorf("%d uses succeeded, %d sessions; want exactly one of each", ok, len(e.sessionsOf(u.ID)))
		}
	})
}

// A ban, a lock or the blocklist refuse the sign-in and leave the token
// unused, so that lifting them makes the link work again.
func TestTicketRefusedAccountKeepsTheToken(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		e.tickets()
		u := e.account("ada@example.com")
		tok, ticket := e.ticketFor(u.ID)
		client := e.client()

		e.setBanned(u.ID, true)
		_, _, err := e.svc.SignInWithTicket(ctx, client, ticket, "", meta)
		wantErr(t, "banned", err, apperr.Forbidden, "error.signin.cannot_sign_in_now")
		if st := e.tokenStatus(tok.ID); st != signintoken.Pending {
			t.Errorf("after a refusal the token is %q, want still pending", st)
		}
		e.setBanned(u.ID, false)

		// The blocklist is checked inside the transaction, by the session
		// start: the token's update is rolled back with it.
		rules, err := restrict.New(nil, []string{"ada@example.com"}, "US", false)
		if err != nil {
			t.Fatal(err)
		}
		e.sessions.Restrict = rules
		_, _, err = e.svc.SignInWithTicket(ctx, client, ticket, "", meta)
		if !errors.Is(err, session.ErrCannotSignIn) {
			t.Errorf("blocklisted: %v, want session.ErrCannotSignIn", err)
		}
		if st := e.tokenStatus(tok.ID); st != signintoken.Pending {
			t.Errorf("after a refusal in the transaction the token is %q, want still pending", st)
		}
		e.sessions.Restrict = nil

		sess, f, err := e.svc.SignInWithTicket(ctx, client, ticket, "", meta)
		if err != nil {
			t.Fatal(err)
		}
		e.signedIn(sess, client, f.ID, u.ID)
	})
}

// The token stands for the first factor only: an account with an
// authenticator app goes on to its second step, with no session yet
// (REQ-IN-09), and the token is spent.
func TestTicketKeepsTheSecondFactor_REQ_IN_09(t *testing.T) {
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
		tok, ticket := e.ticketFor(u.ID)
		client := e.client()
		sess, f, err := e.svc.SignInWithTicket(ctx, client, ticket, "", meta)
		if err != nil {
			t.Fatal(err)
		}
		if sess != nil {
			t.Fatalf("a session (%s) before the second factor", sess.ID)
		}
		got := e.load(client, f.ID)
		if got.Status != flow.NeedsSecondFactor || got.Data.FirstFactor != flow.Ticket || got.Data.FirstFactorAt == nil {
			t.Errorf("flow = %+v, want needs_second_factor after the ticket", got)
		}
		offered, err := e.svc.SecondFactorsOffered(ctx, got)
		if err != nil || !slices.Contains(offered, flow.TOTP) {
			t.Errorf("second factors offered = %v, %v", offered, err)
		}
		if st := e.tokenStatus(tok.ID); st != signintoken.Accepted {
			t.Errorf("token %q, want accepted", st)
		}
		if list, _ := e.st.Q.ActiveSessionsOfClient(ctx, client); len(list) != 0 {
			t.Errorf("client sessions %v, want none", list)
		}
	})
}

// A browser signed in as someone else is signed in as the token's user:
// the earlier session ends, as with any sign-in on that browser.
func TestTicketReplacesAnotherUsersSession(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		e.tickets()
		ada := e.account("ada@example.com")
		bob := e.account("bob@example.com")
		client := e.client()
		f := e.start(client, "bob@example.com")
		old, err := e.password(client, f.ID, pw)
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Second)
		_, ticket := e.ticketFor(ada.ID)
		sess, _, err := e.svc.SignInWithTicket(ctx, old.ClientID, ticket, "", meta)
		if err != nil {
			t.Fatal(err)
		}
		if sess.UserID != ada.ID {
			t.Errorf("session for %s, want Ada", sess.UserID)
		}
		if got, _ := e.st.Q.SessionByID(ctx, old.ID); got.Status != session.Ended {
			t.Errorf("Bob's session on that browser is %q, want ended", got.Status)
		}
		if len(e.sessionsOf(bob.ID)) != 0 {
			t.Errorf("Bob still has sessions: %v", e.sessionsOf(bob.ID))
		}
	})
}

// Without the service wired, a ticket signs nobody in.
func TestTicketWithoutTicketsIsGone(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		_, _, err := e.svc.SignInWithTicket(t.Context(), e.client(), "anything", "", meta)
		wantTicketGone(t, err)
	})
}
