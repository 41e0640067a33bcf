// Package pgtest gives each test its own schema on the test PostgreSQL
// server. It is kept apart from portaltest so that store tests need not
// build the whole application.
package pgtest

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"

	"github.com/portalhq/portal/internal/id"
)

// DefaultURL is where make test finds PostgreSQL unless
// PORTAL_TEST_POSTGRES_URL says otherwise.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// URL creates a fresh schema for the test and returns a URL whose
// search_path points at it; the schema is dropped at the end of the test.
// An unreachable server fails the test with what to do: it never skips,
// because a skipped PostgreSQL run would let a dialect bug through unseen.
func URL(t testing.TB) string {
	t.Helper()
	base := os.Getenv("PORTAL_TEST_POSTGRES_URL")
	if base == "" {
		base = DefaultURL
	}
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("pgtest: PORTAL_TEST_POSTGRES_URL %s: %v", redacted(base), err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		t.Fatalf("PostgreSQL is not reachable at %s (%v): start it (make test does: pg_ctlcluster … start) or set PORTAL_TEST_POSTGRES_URL", redacted(base), err)
	}
	schema := "t_" + strings.ToLower(id.Random(12))
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		db.Close()
		t.Fatal(err)
	}
	// Registered before the caller's own cleanups, so it runs after them:
	// the caller's pool is closed by the time the schema is dropped.
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := db.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("pgtest: drop schema %s: %v", schema, err)
		}
		db.Close()
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}

func redacted(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// WaitForLockWaiters returns once n connections to the test's database
// wait for a lock — the transactions a deadlock test holds up — and fails
// the test when they do not come to within ten seconds.
func WaitForLockWaiters(t testing.TB, db *sql.DB, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var got int
		err := db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&got)
		if err != nil {
			t.Fatal(err)
		}
		if got >= n {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("fewer than %d transactions came to wait for a lock", n)
}
