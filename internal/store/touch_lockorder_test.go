package store_test

import (
	"context"
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
		waitForLockWait(t, s)
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

// waitForLockWait returns once another connection of the test's database
// waits for a row lock (the touch, blocked by the transaction holding the
// user), or after a few seconds.
func waitForLockWait(t *testing.T, s *store.Store) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		var n int
		if err := s.DB().QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'
			AND query LIKE '%last_active_at%'`).Scan(&n); err == nil && n > 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Log("the touch never waited for a lock")
}
