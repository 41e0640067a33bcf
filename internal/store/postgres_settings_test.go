package store_test

import (
	"database/sql"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/store"
	"github.com/portalhq/portal/internal/testutil/pgtest"
)

// uriValue encodes v for a query parameter of a PostgreSQL URL, as libpq
// and pgx read them: '+' is itself, not a space.
func uriValue(v string) string { return strings.ReplaceAll(url.QueryEscape(v), "+", "%20") }

// Every pooled PostgreSQL connection waits at most 10 s for a lock and is
// ended after 60 s idle inside a transaction, unless the session already
// has a limit from elsewhere, which wins: the database URL (a parameter of
// its own or its options), PGOPTIONS, or ALTER ROLE … SET, a limit of 0
// (no limit) too; the server's own 0 counts as none. The defaults are set once a connection is made, not in
// its startup message, which a pooler such as PgBouncer would refuse and
// which would override the role's settings. Before, the server's defaults
// applied: no limit to either.
func TestPostgresSessionSettings(t *testing.T) {
	for _, c := range []struct {
		name, params   string
		env            string // PGOPTIONS
		role           string // ALTER ROLE … SET, as "name = 'value'"s
		lock, idleInTx string
	}{
		{name: "defaults", lock: "10000", idleInTx: "60000"},
		{name: "URL options", params: "options=" + uriValue("-c lock_timeout=250ms"), lock: "250", idleInTx: "60000"},
		{name: "URL parameters", params: "lock_timeout=3s&idle_in_transaction_session_timeout=5s", lock: "3000", idleInTx: "5000"},
		// 0 given for the portal's sessions is PostgreSQL's "no limit".
		{name: "URL options 0", params: "options=" + uriValue("-c lock_timeout=0 -c idle_in_transaction_session_timeout=0"),
			lock: "0", idleInTx: "0"},
		{name: "URL parameter 0", params: "lock_timeout=0", lock: "0", idleInTx: "60000"},
		{name: "PGOPTIONS 0", env: "-c lock_timeout=0", lock: "0", idleInTx: "60000"},
		{name: "ALTER ROLE 0", role: "idle_in_transaction_session_timeout = 0", lock: "10000", idleInTx: "0"},
		{name: "PGOPTIONS", env: "-c idle_in_transaction_session_timeout=4s", lock: "10000", idleInTx: "4000"},
		{name: "ALTER ROLE", role: "lock_timeout = '2s'", lock: "2000", idleInTx: "60000"},
	} {
		t.Run(c.name, func(t *testing.T) {
			u := pgtest.URL(t)
			if c.env != "" {
				t.Setenv("PGOPTIONS", c.env)
			}
			if c.role != "" {
				u = withRole(t, u, c.role)
			}
			if c.params != "" {
				u += "&" + c.params
			}
			s := openURL(t, u, store.Postgres)
			db := s.DB()
			// Several connections at once, so that each is one of its own.
			var conns []*sql.Conn
			for range 3 {
				conn, err := db.Conn(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
				conns = append(conns, conn)
			}
			for i, conn := range conns {
				var lock, idle string
				if err := conn.QueryRowContext(t.Context(), `SELECT
					(SELECT setting FROM pg_settings WHERE name = 'lock_timeout'),
					(SELECT setting FROM pg_settings WHERE name = 'idle_in_transaction_session_timeout')`).Scan(&lock, &idle); err != nil {
					t.Fatal(err)
				}
				if lock != c.lock || idle != c.idleInTx {
					t.Errorf("connection %d: lock_timeout %s ms, idle_in_transaction_session_timeout %s ms; want %s and %s",
						i, lock, idle, c.lock, c.idleInTx)
				}
			}
		})
	}
}

// withRole creates a login role of the test's own, with settings set on
// it (ALTER ROLE … SET), that may create the test's tables, and returns u
// connecting as it. The role is dropped at the end of the test.
func withRole(t *testing.T, u, settings string) string {
	t.Helper()
	parsed, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	schema := parsed.Query().Get("search_path")
	admin, err := sql.Open("pgx", u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	// Dropped after the store is closed (its cleanup registered later runs
	// first), before the schema is: the role's tables go with it.
	role := pgtest.Role(t, admin, schema, "ALL")
	if _, err := admin.ExecContext(t.Context(), "ALTER ROLE "+role+" SET "+settings); err != nil {
		t.Fatal(err)
	}
	parsed.User = url.User(role)
	return parsed.String()
}

// A migration that cannot get the lock it needs (another session holds
// the version table, as a stuck migration or a psql session would) fails
// once its lock wait is over, with a message naming the wait and the
// session with the oldest open transaction, instead of waiting for ever.
// The wait is cut short through the URL, which migrations follow too.
func TestMigrationBlockedOnALockSaysSo(t *testing.T) {
	u := pgtest.URL(t)
	openURL(t, u, store.Postgres)
	holder, err := sql.Open("pgx", u)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	tx, err := holder.BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var pid int
	if err := tx.QueryRowContext(t.Context(), `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(t.Context(), `LOCK TABLE goose_db_version IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}

	s, err := store.Open(t.Context(), u+"&options="+uriValue("-c lock_timeout=300ms"))
	if err == nil {
		s.Close()
		t.Fatal("Open migrated while another session held the version table")
	}
	msg := err.Error()
	for _, want := range []string{"waited 300ms (lock_timeout) for a lock another database session holds",
		"pg_terminate_backend", fmt.Sprintf("pid %d (", pid), "idle in transaction"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the error does not say %q:\n%s", want, msg)
		}
	}
	if !store.Busy(err) {
		t.Errorf("the error is not Busy: %v", err)
	}

	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	openURL(t, u, store.Postgres)
}

// A session the server ends for sitting idle inside a transaction past
// idle_in_transaction_session_timeout (25P03) is a lost connection: the
// request is answered "try again", as after a restart, not a 500. The
// transaction had an answer, so it is not run again.
func TestTransactionIdlePastTheTimeoutIsConnectionLost(t *testing.T) {
	u := pgtest.URL(t)
	s := openURL(t, u+"&idle_in_transaction_session_timeout=100ms", store.Postgres)
	usr := createUser(t, s, "ada@example.com")
	name, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	watch, err := sql.Open("pgx", u)
	if err != nil {
		t.Fatal(err)
	}
	defer watch.Close()
	runs := 0
	err = s.InTx(t.Context(), func(q *store.Q) error {
		runs++
		if err := q.LockUser(t.Context(), usr.ID); err != nil {
			return err
		}
		// Idle in the transaction until the server has ended the session.
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			var n int
			if err := watch.QueryRowContext(t.Context(), `SELECT count(*) FROM pg_stat_activity
				WHERE application_name = $1 AND state = 'idle in transaction'`,
				name.Query().Get("application_name")).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the server did not end the idle transaction's session")
			}
		}
		return q.SetNames(t.Context(), usr.ID, "Grace", "", time.Now())
	})
	if !store.ConnectionLost(err) || runs != 1 {
		t.Fatalf("InTx: %v after %d runs; want a lost connection after one run", err, runs)
	}
	got, err := s.Q.UserByID(t.Context(), usr.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.FirstName != "" {
		t.Fatalf("first name %q, want none: the transaction was rolled back", got.FirstName)
	}
}
