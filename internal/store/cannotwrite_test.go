package store_test

import (
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/store"
	"github.com/portalhq/portal/internal/testutil/pgtest"
)

// A PostgreSQL that takes no writes — a standby a failover left the
// portal pointed at, here a session made read-only — is a database that
// cannot write, as a full disk is; other failures are not. It is not
// ready (/readyz answers 503, saying why), though it answers reads.
func TestCannotWriteOnAReadOnlyPostgres(t *testing.T) {
	url := pgtest.URL(t)
	s, err := store.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Ready(t.Context()); err != nil {
		t.Errorf("a writable database is not ready: %v", err)
	}
	s.Close()
	ro, err := store.Open(t.Context(), url+"&default_transaction_read_only=on")
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if err := ro.Ready(t.Context()); err == nil || !strings.Contains(err.Error(), "transaction_read_only") {
		t.Errorf("a read-only database: Ready() = %v, want not ready, naming transaction_read_only", err)
	}
	err = ro.Q.CreateUser(t.Context(), newUser("ro@example.com"))
	if err == nil || !store.CannotWrite(fmt.Errorf("create: %w", err)) {
		t.Errorf("a write on a read-only database: CannotWrite(%v) = false", err)
	}
	if _, err := ro.Q.UserByID(t.Context(), "user_none"); store.CannotWrite(err) {
		t.Errorf("a read on it: CannotWrite(%v) = true", err)
	}
	if store.CannotWrite(errors.New("disk is full")) {
		t.Error("an error that is not the database's counts")
	}
}

// The portal's role made read-only, its connections ended (what a
// failover does to them): the portal is not ready, and writes are refused;
// the role writable again and the connections ended once more, it is ready
// and writes again, with the same store — no restart.
func TestReadyAgainOncePostgresTakesWrites(t *testing.T) {
	base := pgtest.URL(t)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	// admin is left alone when the portal's connections are ended.
	adminURL := *u
	q := u.Query()
	q.Set("application_name", "admin_"+q.Get("search_path"))
	adminURL.RawQuery = q.Encode()
	admin, err := sql.Open("pgx", adminURL.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	schema := u.Query().Get("search_path")
	role := pgtest.Role(t, admin, schema, "USAGE, CREATE")
	u.User = url.User(role)
	st, err := store.Open(t.Context(), u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Ready(t.Context()); err != nil {
		t.Fatalf("before: Ready() = %v", err)
	}
	setReadOnly := func(on bool) {
		t.Helper()
		q := "ALTER ROLE " + role + " RESET default_transaction_read_only"
		if on {
			q = "ALTER ROLE " + role + " SET default_transaction_read_only = on"
		}
		if _, err := admin.ExecContext(t.Context(), q); err != nil {
			t.Fatal(err)
		}
		pgtest.EndConnections(t, base)
	}

	setReadOnly(true)
	if err := st.Ready(t.Context()); err == nil || !strings.Contains(err.Error(), "cannot write") {
		t.Errorf("read-only: Ready() = %v, want not ready saying the database cannot write", err)
	}
	if err := st.Q.CreateUser(t.Context(), newUser("ro@example.com")); !store.CannotWrite(err) {
		t.Errorf("read-only: a write: %v, want it refused", err)
	}

	setReadOnly(false)
	if err := st.Ready(t.Context()); err != nil {
		t.Errorf("writable again: Ready() = %v, want ready", err)
	}
	if err := st.Q.CreateUser(t.Context(), newUser("rw@example.com")); err != nil {
		t.Errorf("writable again: a write: %v", err)
	}
}

// The start-up log names the database a machine is on (store.Where):
// PostgreSQL by host, port, database and schema, never the user name or a
// password, which the URL may carry.
func TestWhereNamesTheDatabaseWithoutCredentials(t *testing.T) {
	base := pgtest.URL(t)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword("postgres", "s3cret")
	st, err := store.Open(t.Context(), u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	want := "postgres://" + u.Host + u.Path + " search_path=" + u.Query().Get("search_path")
	if got := st.Where(); got != want || strings.Contains(got, "s3cret") {
		t.Errorf("Where() = %q, want %q", got, want)
	}
}
