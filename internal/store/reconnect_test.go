package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/store"
	"github.com/portalhq/portal/internal/testutil/pgtest"
)

// After PostgreSQL ended the pool's connections (a restart, a failover,
// an operator's pg_terminate_backend) while the database itself answers,
// reads, writes and transactions go on: the ended connections are found
// before use and replaced. Before, the first statement on each ended
// connection that had been used in the last second failed with SQLSTATE
// 57P01 (admin_shutdown) or a closed connection, and the request that
// made it answered 500.
func TestStoreAfterTheServerEndedTheConnections(t *testing.T) {
	url := pgtest.URL(t)
	st := openURL(t, url, store.Postgres)
	u := createUser(t, st, "ada@example.com")
	const idle = 5
	for _, c := range []struct {
		name string
		run  func(ctx context.Context) error
	}{
		{"read", func(ctx context.Context) error {
			_, err := st.Q.UserByID(ctx, u.ID)
			return err
		}},
		{"write", func(ctx context.Context) error {
			return st.Q.RecordSignIn(ctx, u.ID, time.Now())
		}},
		{"transaction", func(ctx context.Context) error {
			return st.InTx(ctx, func(q *store.Q) error {
				if err := q.LockUser(ctx, u.ID); err != nil {
					return err
				}
				return q.SetNames(ctx, u.ID, "Ada", "Lovelace", time.Now())
			})
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			pgtest.HoldIdle(t, st.DB(), idle)
			if n := pgtest.EndConnections(t, url); n < idle {
				t.Fatalf("ended %d connections, want at least the %d idle ones", n, idle)
			}
			// Every idle connection is dead: more uses than there are.
			for i := range idle + 1 {
				if err := c.run(t.Context()); err != nil {
					t.Fatalf("%s %d after the server ended the connections: %v", c.name, i+1, err)
				}
			}
		})
	}
}

// A transaction whose connection the server ends runs again on another
// only while nothing of it can have been committed and fn has had no
// answer to act on; after an answer, or at COMMIT, the error stands and
// fn is not run again.
func TestTransactionWhoseConnectionTheServerEnds(t *testing.T) {
	url := pgtest.URL(t)
	st := openURL(t, url, store.Postgres)
	u := createUser(t, st, "ada@example.com")
	first := func(t *testing.T) string {
		t.Helper()
		got, err := st.Q.UserByID(t.Context(), u.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.FirstName
	}
	t.Run("before its first answer", func(t *testing.T) {
		runs := 0
		err := st.InTx(t.Context(), func(q *store.Q) error {
			if runs++; runs == 1 {
				pgtest.EndConnections(t, url)
			}
			if err := q.LockUser(t.Context(), u.ID); err != nil {
				return err
			}
			return q.SetNames(t.Context(), u.ID, "Ada", "", time.Now())
		})
		if err != nil || runs != 2 || first(t) != "Ada" {
			t.Fatalf("InTx: %v after %d runs, first name %q; want it run again and committed", err, runs, first(t))
		}
	})
	t.Run("after an answer", func(t *testing.T) {
		runs := 0
		err := st.InTx(t.Context(), func(q *store.Q) error {
			runs++
			if err := q.LockUser(t.Context(), u.ID); err != nil {
				return err
			}
			pgtest.EndConnections(t, url)
			return q.SetNames(t.Context(), u.ID, "Grace", "", time.Now())
		})
		if err == nil || runs != 1 || first(t) != "Ada" {
			t.Fatalf("InTx: %v after %d runs, first name %q; want the error after one run, nothing changed", err, runs, first(t))
		}
	})
	t.Run("at commit", func(t *testing.T) {
		runs := 0
		err := st.InTx(t.Context(), func(q *store.Q) error {
			runs++
			pgtest.EndConnections(t, url)
			return nil
		})
		if err == nil || runs != 1 {
			t.Fatalf("InTx: %v after %d runs; want the commit's error after one run", err, runs)
		}
	})
}

// Behind TLS the check before use looks at the encrypted stream: an idle
// connection the server has said nothing on is used again, not replaced,
// and one it ended is replaced.
func TestCheckBeforeUseBehindTLS(t *testing.T) {
	url := strings.Replace(pgtest.URL(t), "sslmode=disable", "sslmode=require", 1)
	if !strings.Contains(url, "sslmode=require") {
		t.Fatalf("no sslmode=disable to replace in %s", url)
	}
	st := openURL(t, url, store.Postgres)
	db := st.DB()
	db.SetMaxOpenConns(1)
	pid := func() int {
		t.Helper()
		var pid int
		var tls bool
		if err := db.QueryRowContext(t.Context(), `SELECT pg_backend_pid(), ssl FROM pg_stat_ssl
			WHERE pid = pg_backend_pid()`).Scan(&pid, &tls); err != nil {
			t.Fatal(err)
		}
		if !tls {
			t.Fatal("the connection does not use TLS")
		}
		return pid
	}
	was := pid()
	for i := range 3 {
		if now := pid(); now != was {
			t.Fatalf("use %d: backend %d, want the idle connection's %d again", i+2, now, was)
		}
	}
	pgtest.EndConnections(t, url)
	if now := pid(); now == was {
		t.Fatalf("backend %d again after the server ended it", now)
	}
}
