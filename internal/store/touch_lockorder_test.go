package store_test

import (
	"testing"
	"time"

	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/store"
	"github.com/portalhq/portal/internal/testutil/pgtest"
)

// A token refresh touching a session while a transaction that holds the
// user's row ends that session (a ban, a password change signing out the
// other devices, a sign-in ending the client's session) must not deadlock.
// Those transactions lock the user first, then the sessions; TouchSession,
// which writes both, must take them in the same order. Taken the other way
// (the session row first), PostgreSQL finds a deadlock and aborts one of
// the two: the ban or the refresh fails.
func TestTouchSessionLocksTheUserBeforeTheSession(t *testing.T) {
	s := openURL(t, pgtest.URL(t), store.Postgres)
	ctx := t.Context()
	sess := storeSession(t, s, createClient(t, s), base)

	locked := make(chan struct{})
	touched := make(chan error, 1)
	err := s.InTx(ctx, func(q *store.Q) error {
		if err := q.LockUser(ctx, sess.UserID); err != nil {
			return err
		}
		close(locked)
		go func() { touched <- s.Q.TouchSession(ctx, sess.ID, at(time.Minute)) }()
		pgtest.WaitForLockWaiters(t, s.DB(), 1)
		_, err := q.EndSession(ctx, sess.ID, session.Revoked, at(time.Minute))
		return err
	})
	<-locked
	if err != nil {
		t.Errorf("the transaction holding the user: %v", err)
	}
	if err := <-touched; err != nil {
		t.Errorf("TouchSession: %v", err)
	}
}
