package session_test

import (
	"testing"
	"time"

	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/store"
	"github.com/portalhq/portal/internal/testutil/domaintest"
	"github.com/portalhq/portal/internal/testutil/pgtest"
	"github.com/portalhq/portal/internal/token"
)

// A sign-in on a client whose session a ban is ending at the same moment
// must not deadlock with it on PostgreSQL. The ban holds the user's row and
// then ends the sessions; a sign-in that ended the client's sessions first
// and then wrote the user (last_active_at) took the two the other way round,
// and PostgreSQL aborted one of them. Start takes the user first, waits
// for the ban, and reads its outcome.
func TestSignInTakesTheUserBeforeTheSessions(t *testing.T) {
	st, clock := domaintest.Open(t, pgtest.URL(t))
	signer, err := token.NewSigner(t.Context(), st.Q, clock, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	svc := &session.Service{Clock: clock, Signer: signer, Issuer: "https://accounts.example.com", Repo: st.Q,
		InTx: store.Tx[session.Repo](st), Policy: session.Policy{TokenTTL: time.Minute, MaxLifetime: lifetime}}
	e := &env{t: t, st: st, clock: clock, svc: svc}
	_, first := e.signIn()
	clock.Advance(time.Minute) // the sign-in to come moves last_active_at
	ctx := t.Context()

	started := make(chan error, 1)
	err = st.InTx(ctx, func(q *store.Q) error {
		if err := q.LockUser(ctx, first.UserID); err != nil { // as a ban does
			return err
		}
		go func() {
			started <- svc.InTx(ctx, func(r session.Repo) error {
				_, err := svc.Start(ctx, r, session.Proof{ClientID: first.ClientID, UserID: first.UserID,
					IP: "203.0.113.9", UserAgent: "Firefox", Strategy: "password", FirstFactorAt: clock.Now()})
				return err
			})
		}()
		pgtest.WaitForLockWaiters(t, st.DB(), 1)
		_, err := q.EndSession(ctx, first.ID, session.Revoked, clock.Now())
		return err
	})
	if err != nil {
		t.Errorf("the ban: %v", err)
	}
	if err := <-started; err != nil {
		t.Errorf("the sign-in: %v", err)
	}
}
