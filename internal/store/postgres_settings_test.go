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

// setting reads a PostgreSQL setting, in its base unit (milliseconds for
// the timeouts), on a connection of db's pool.
func setting(t *testing.T, db *sql.DB, name string) string {
	t.Helper()
	var v string
	if err := db.QueryRowContext(t.Context(), `SELECT setting FROM pg_settings WHERE name = $1`, name).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// Every pooled PostgreSQL connection waits at most 10 s for a lock and is
// ended after 60 s idle inside a transaction, unless the database URL
// says otherwise, as a parameter of its own or in options (which the
// server reads as it starts the session): the URL wins. A setting whose
// name merely ends the same (deadlock_timeout) is not taken for it.
// Before, the server's defaults applied: no limit to either.
func TestPostgresSessionSettings(t *testing.T) {
	for _, c := range []struct {
		name, params   string
		lock, idleInTx string
	}{
		{"defaults", "", "10000", "60000"},
		{"options -c", "options=" + uriValue("-c lock_timeout=250ms"), "250", "60000"},
		{"options -c, several", "options=" + uriValue(`-c application_name=a\ b -cidle_in_transaction_session_timeout=5s`),
			"10000", "5000"},
		{"options --", "options=" + uriValue("--lock-timeout=4s"), "4000", "60000"},
		{"parameters", "lock_timeout=3s&idle_in_transaction_session_timeout=0", "3000", "0"},
		{"deadlock_timeout is another", "options=" + uriValue("-c deadlock_timeout=2s"), "10000", "60000"},
	} {
		t.Run(c.name, func(t *testing.T) {
			u := pgtest.URL(t)
			if c.params != "" {
				u += "&" + c.params
			}
			s := openURL(t, u, store.Postgres)
			if got := setting(t, s.DB(), "lock_timeout"); got != c.lock {
				t.Errorf("lock_timeout = %s ms, want %s", got, c.lock)
			}
			if got := setting(t, s.DB(), "idle_in_transaction_session_timeout"); got != c.idleInTx {
				t.Errorf("idle_in_transaction_session_timeout = %s ms, want %s", got, c.idleInTx)
			}
		})
	}
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
