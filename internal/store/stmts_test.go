package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/store"
)

// testStatements checks the statement cache under Q (prepared statements on
// SQLite): a query behaves the same run first inside a transaction, after
// it, after a rollback and outside any transaction, and a pool full of
// transactions each running a query for the first time does not wait on
// itself.
func testStatements(t *testing.T, open func(t *testing.T) *store.Store) {
	t.Run("the same query in and out of transactions", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		inTx := store.Tx[session.Repo](s)
		c1 := session.Client{ID: id.New(id.Client), CreatedAt: base, UpdatedAt: base}
		boom := errors.New("boom")
		// First use of both queries inside a transaction that rolls back.
		err := inTx(ctx, func(r session.Repo) error {
			if err := r.CreateClient(ctx, c1); err != nil {
				return err
			}
			if _, err := r.ClientByID(ctx, c1.ID); err != nil {
				t.Errorf("in the transaction: %v", err)
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx = %v, want the function's error", err)
		}
		if _, err := s.Q.ClientByID(ctx, c1.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("after rollback: %v, want ErrNotFound", err)
		}
		// Again, committed; then outside; then in a transaction again.
		for i := range 3 {
			c := session.Client{ID: id.New(id.Client), CreatedAt: at(time.Duration(i)), UpdatedAt: base}
			if err := inTx(ctx, func(r session.Repo) error { return r.CreateClient(ctx, c) }); err != nil {
				t.Fatal(err)
			}
			got, err := s.Q.ClientByID(ctx, c.ID)
			if err != nil || got.ID != c.ID {
				t.Fatalf("outside after commit %d: %v, %v", i, got, err)
			}
			err = inTx(ctx, func(r session.Repo) error {
				got, err := r.ClientByID(ctx, c.ID)
				if err == nil && got.ID != c.ID {
					t.Errorf("in a transaction: %s, want %s", got.ID, c.ID)
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		// A duplicate still reads as a conflict through a prepared statement.
		c := session.Client{ID: id.New(id.Client), CreatedAt: base, UpdatedAt: base}
		if err := s.Q.CreateClient(ctx, c); err != nil {
			t.Fatal(err)
		}
		if err := s.Q.CreateClient(ctx, c); err == nil {
			t.Error("a duplicate client was inserted")
		}
	})

	t.Run("a pool of transactions each preparing a first query", func(t *testing.T) {
		s := open(t)
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		inTx := store.Tx[session.Repo](s)
		start := time.Now()
		errs := race(t, s, 12, func(i int) error {
			c := session.Client{ID: id.New(id.Client), CreatedAt: base, UpdatedAt: base}
			return inTx(ctx, func(r session.Repo) error {
				// Long enough for the other goroutines to take the rest
				// of the pool (on SQLite they wait in BEGIN IMMEDIATE).
				time.Sleep(100 * time.Millisecond)
				if err := r.CreateClient(ctx, c); err != nil {
					return err
				}
				_, err := r.ClientByID(ctx, c.ID)
				return err
			})
		})
		for _, err := range errs {
			if err != nil {
				t.Errorf("transaction: %v", err)
			}
		}
		// SQLite waits up to its busy timeout (10 s) for a lock: a
		// transaction waiting for a connection the others hold would show
		// as errors or as a wait of that length.
		if d := time.Since(start); d > 8*time.Second {
			t.Errorf("12 small transactions took %v", d)
		}
	})

	t.Run("close closes the statements and the pool", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		c := session.Client{ID: id.New(id.Client), CreatedAt: base, UpdatedAt: base}
		if err := s.Q.CreateClient(ctx, c); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Q.ClientByID(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if _, err := s.Q.ClientByID(ctx, c.ID); err == nil {
			t.Error("a query after Close succeeded")
		}
		if n := s.DB().Stats().OpenConnections; n != 0 {
			t.Errorf("%d connections open after Close", n)
		}
	})
}
