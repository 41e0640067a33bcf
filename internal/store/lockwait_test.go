package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/store"
)

// A write that waits for a lock another session holds gives up after the
// engine's lock wait (PostgreSQL's lock_timeout, SQLite's busy timeout)
// with an error store.Busy recognises, having written nothing, on the pool
// and in a transaction; once the other session lets go, the same write
// goes through. Before, on PostgreSQL it waited for as long as the lock
// was held, holding a pool connection.
//
// The lock wait here is cut to 200 ms on the one connection the store is
// left to use, so the test does not wait the default 10 s (which
// TestPostgresSessionSettings checks).
func testLockWait(t *testing.T, open func(t *testing.T) *store.Store) {
	s := open(t)
	ctx := t.Context()
	u := createUser(t, s, "ada@example.com")
	if err := s.Q.SetNames(ctx, u.ID, "Ada", "", time.Now()); err != nil {
		t.Fatal(err)
	}

	db := s.DB()
	db.SetMaxOpenConns(2)
	holder, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	waiter, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	short := `SET lock_timeout = '200ms'`
	if s.Dialect() == store.SQLite {
		short = `PRAGMA busy_timeout = 200`
	}
	if _, err := waiter.ExecContext(ctx, short); err != nil {
		t.Fatal(err)
	}
	waiter.Close() // back to the pool: the one connection the store can take

	// The other session: on PostgreSQL it locks the user's row, on
	// SQLite it takes the write lock (every transaction does, up front).
	tx, err := holder.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if s.Dialect() == store.Postgres {
		if _, err := tx.ExecContext(ctx, `SELECT 1 FROM users WHERE id = $1 FOR UPDATE`, u.ID); err != nil {
			t.Fatal(err)
		}
	}

	rename := func(q *store.Q) error {
		if err := q.LockUser(ctx, u.ID); err != nil {
			return err
		}
		return q.SetNames(ctx, u.ID, "Grace", "Hopper", time.Now())
	}
	for _, c := range []struct {
		name string
		run  func() error
	}{
		{"on the pool", func() error { return s.Q.SetNames(ctx, u.ID, "Grace", "Hopper", time.Now()) }},
		{"in a transaction", func() error { return s.InTx(ctx, rename) }},
	} {
		err := c.run()
		if !store.Busy(err) || store.ConnectionLost(err) || errors.Is(err, store.ErrNotFound) {
			t.Fatalf("%s while another session holds the lock: %v (Busy %v, ConnectionLost %v); want a Busy error",
				c.name, err, store.Busy(err), store.ConnectionLost(err))
		}
		got, err := s.Q.UserByID(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.FirstName != "Ada" || got.LastName != "" {
			t.Fatalf("%s: names %q %q after the write gave up, want Ada and none: nothing written", c.name,
				got.FirstName, got.LastName)
		}
	}

	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if err := s.InTx(ctx, rename); err != nil {
		t.Fatalf("the same write once the lock is let go: %v", err)
	}
	got, err := s.Q.UserByID(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.FirstName != "Grace" || got.LastName != "Hopper" {
		t.Fatalf("names %q %q, want Grace Hopper", got.FirstName, got.LastName)
	}
	if store.Busy(nil) || store.Busy(errors.New("database is locked")) || store.Busy(store.ErrConflict) {
		t.Error("Busy is true of an error that is no lock wait's")
	}
}
