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
// The URL names its connections after the schema (application_name), so
// that EndConnections finds them, and only them, among other tests'.
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
	return base + sep + "search_path=" + schema + "&application_name=" + schema
}

// EndConnections has the server end every connection opened with url (a
// URL from URL) but its own, as a restart or an operator's
// pg_terminate_backend does, and returns once their backends have exited,
// so the ended connections' clients have been told (57P01, then the
// socket closed). It reports how many it ended. Other tests' connections,
// and the server, are left alone.
func EndConnections(t testing.TB, url string) int {
	t.Helper()
	name := applicationName(t, url)
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	// pg_terminate_backend with a timeout waits for the backend to exit.
	err = db.QueryRowContext(t.Context(), `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 10000))
		FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()`, name).Scan(&n)
	if err != nil {
		t.Fatalf("pgtest: end the connections of %s: %v", name, err)
	}
	return n
}

func applicationName(t testing.TB, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("pgtest: %s: %v", redacted(raw), err)
	}
	name := u.Query().Get("application_name")
	if name == "" || name != u.Query().Get("search_path") {
		t.Fatalf("pgtest: %s is not a URL from pgtest.URL", redacted(raw))
	}
	return name
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

// HoldIdle leaves n connections idle in db's pool, each of them handed out
// a moment ago. The pgx driver pings a pooled connection before handing it
// out again only when it sat idle for over a second, so a connection the
// server ends in that second is found out only by the statement that
// uses it: the gap the pool must close by itself, which tests of it
// must open on purpose.
func HoldIdle(t testing.TB, db *sql.DB, n int) {
	t.Helper()
	// Twice: a connection's first hand-out again is always pinged (it has
	// never been), and from then on a second passes before the next.
	for range 2 {
		conns := make([]*sql.Conn, 0, n)
		// A connection that fails its ping (one ended earlier) is dropped
		// by the pool, and another taken.
		for tries := 0; len(conns) < n; tries++ {
			c, err := db.Conn(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if err := c.PingContext(t.Context()); err != nil {
				c.Close()
				if tries > 3*n {
					t.Fatal(err)
				}
				continue
			}
			conns = append(conns, c)
		}
		for _, c := range conns {
			c.Close()
		}
	}
}

// Role creates a login role of the test's own (r_ and 12 random letters)
// with the given privileges on schema ("USAGE", "USAGE, CREATE", "ALL"),
// through admin, and returns its name. At the end of the test — after
// what the test started later has stopped, before the schema goes — what
// it owns and the role itself are dropped, through admin.
func Role(t testing.TB, admin *sql.DB, schema, privileges string) string {
	t.Helper()
	role := "r_" + strings.ToLower(id.Random(12))
	for _, q := range []string{"CREATE ROLE " + role + " LOGIN", "GRANT " + privileges + " ON SCHEMA " + schema + " TO " + role} {
		if _, err := admin.ExecContext(t.Context(), q); err != nil {
			t.Fatalf("pgtest: %s: %v", q, err)
		}
	}
	t.Cleanup(func() {
		for _, q := range []string{"DROP OWNED BY " + role, "DROP ROLE " + role} {
			if _, err := admin.ExecContext(context.Background(), q); err != nil {
				t.Errorf("pgtest: %s: %v", q, err)
			}
		}
	})
	return role
}
