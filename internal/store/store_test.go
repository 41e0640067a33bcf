package store_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/portalhq/portal/internal/account"
	"github.com/portalhq/portal/internal/factors"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/newdevice"
	"github.com/portalhq/portal/internal/notify"
	"github.com/portalhq/portal/internal/passkey"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/signin"
	"github.com/portalhq/portal/internal/signup"
	"github.com/portalhq/portal/internal/store"
	"github.com/portalhq/portal/internal/testutil/pgtest"
	"github.com/portalhq/portal/internal/token"
)

// The domain packages declare the repositories they need; *store.Q is the
// one implementation, and store.Tx relies on it (a missing method would
// otherwise only show as a panic inside a transaction).
var (
	_ signin.Repo         = (*store.Q)(nil)
	_ signin.PasswordRepo = (*store.Q)(nil)
	_ signup.Repo         = (*store.Q)(nil)
	_ session.Repo        = (*store.Q)(nil)
	_ account.Repo        = (*store.Q)(nil)
	_ token.KeyStore      = (*store.Q)(nil)
	_ flow.CodeStore      = (*store.Q)(nil)
	_ notify.OutboxStore  = (*store.Q)(nil)
	_ passkey.Store       = (*store.Q)(nil)
	_ factors.Repo        = (*store.Q)(nil)
	_ newdevice.Repo      = (*store.Q)(nil)
)

func TestContractSQLite(t *testing.T) {
	runContract(t, func(t *testing.T) *store.Store {
		return openURL(t, sqliteURL(t), store.SQLite)
	})
	t.Run("open twice applies migrations once", func(t *testing.T) { testReopen(t, sqliteURL(t)) })
}

func TestContractPostgres(t *testing.T) {
	pgtest.URL(t) // a missing server fails here once, not in every subtest
	runContract(t, func(t *testing.T) *store.Store {
		return openURL(t, pgtest.URL(t), store.Postgres)
	})
	t.Run("open twice applies migrations once", func(t *testing.T) { testReopen(t, pgtest.URL(t)) })
}

func sqliteURL(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "portal.db") }

func openURL(t *testing.T, url string, want store.Dialect) *store.Store {
	t.Helper()
	s, err := store.Open(t.Context(), url)
	if err != nil {
		t.Fatalf("open %s: %v", want, err)
	}
	t.Cleanup(func() { s.Close() })
	if s.Dialect() != want {
		t.Fatalf("Dialect() = %q, want %q", s.Dialect(), want)
	}
	return s
}

// testReopen opens one database twice, as a restarted portal does, and
// checks the second Open neither fails nor loses what the first stored.
func testReopen(t *testing.T, url string) {
	ctx := t.Context()
	first, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	u := newUser("reopen@example.com")
	if err := first.Q.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	second, err := store.Open(ctx, url)
	if err != nil {
		t.Fatalf("second Open: %v", err)
	}
	defer second.Close()
	if err := second.Migrate(ctx); err != nil {
		t.Fatalf("third migration run: %v", err)
	}
	if _, err := second.Q.UserByID(ctx, u.ID); err != nil {
		t.Fatalf("user stored before reopening: %v", err)
	}
}

// SQLite allows one writer at a time. WAL, busy_timeout and BEGIN IMMEDIATE
// (store.go) make concurrent transactions queue instead of failing with
// "database is locked", which a deferred BEGIN upgrading to a write lock
// would do under load.
func TestSQLiteConcurrentTransactionsQueue(t *testing.T) {
	s := openURL(t, sqliteURL(t), store.SQLite)
	ctx := t.Context()
	const n = 50
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			errs <- s.InTx(ctx, func(q *store.Q) error {
				// Read first: the write lock must already be held, or the
				// upgrade of this read transaction is what fails.
				if _, err := q.UserByIdentifier(ctx, "email_address", fmt.Sprintf("w%d@example.com", i)); !errors.Is(err, store.ErrNotFound) {
					return fmt.Errorf("lookup: %v", err)
				}
				return q.CreateUser(ctx, newUser(fmt.Sprintf("w%d@example.com", i)))
			})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent InTx: %v", err)
		}
	}
	var count int
	if err := s.DB().QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&count); err != nil {
		t.Fatal(err)
	}
	if count != n {
		t.Errorf("%d users stored, want %d", count, n)
	}
}

func TestOpenBadURL(t *testing.T) {
	ctx := t.Context()
	notADir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notADir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, url string
		want      []string // substrings of the error
		secret    string   // must not appear in the error
	}{
		{"unknown scheme", "mysql://root:hunter2@db/portal", []string{"unsupported database URL", "sqlite:PATH", "postgres://"}, "hunter2"},
		{"empty", "", []string{"unsupported database URL"}, ""},
		{"sqlite without path", "sqlite:", []string{"empty path"}, ""},
		{"sqlite in memory", "sqlite::memory:", []string{"in-memory databases are not supported"}, ""},
		{"sqlite under a file", "sqlite:" + filepath.Join(notADir, "portal.db"), []string{"create directory", notADir + " is a file, not a directory"}, ""},
		{"sqlite under a file, deeper", "sqlite:" + filepath.Join(notADir, "data", "portal.db"), []string{notADir + " is a file, not a directory"}, ""},
		{"sqlite names a directory", "sqlite:" + filepath.Dir(notADir), []string{"is a directory", "PORTAL_DATABASE_URL names the database file", "e.g. sqlite:" + filepath.Join(filepath.Dir(notADir), "portal.db")}, ""},
		{"postgres port not a number", "postgres://portal:hunter2@127.0.0.1:notaport/portal", []string{"PORTAL_DATABASE_URL", "invalid port", "postgres://user:password@host:5432/database"}, "hunter2"},
		{"postgres not listening", "postgres://portal:hunter2@127.0.0.1:1/portal?sslmode=disable&connect_timeout=2", []string{"connect to postgres://…@127.0.0.1:1"}, "hunter2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
			defer cancel()
			s, err := store.Open(ctx, c.url)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%q) succeeded", c.url)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if c.secret != "" && strings.Contains(err.Error(), c.secret) {
				t.Errorf("error reveals the password: %q", err)
			}
		})
	}
}

// PostgreSQL's default sslmode=prefer tries each server twice (with TLS,
// then without); a server that is not there is said to be so once.
func TestPostgresConnectErrorSaysEachFailureOnce(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	s, err := store.Open(ctx, "postgres://portal@127.0.0.1:1/portal?connect_timeout=2") // no sslmode: prefer
	if err == nil {
		s.Close()
		t.Fatal("Open on a closed port succeeded")
	}
	if n := strings.Count(err.Error(), "connection refused"); n != 1 {
		t.Errorf("the refusal is said %d times, want once:\n%v", n, err)
	}
	// A name that does not resolve: pgx says the lookup's error, then
	// says it again within another line.
	s, err = store.Open(ctx, "postgres://portal@nosuchhost.invalid:5432/portal?connect_timeout=2")
	if err == nil {
		s.Close()
		t.Fatal("Open on a name that does not resolve succeeded")
	}
	if n := strings.Count(err.Error(), "lookup nosuchhost.invalid"); n != 1 {
		t.Errorf("the failed lookup is said %d times, want once:\n%v", n, err)
	}
	var ce *pgconn.ConnectError
	if !errors.As(err, &ce) {
		t.Errorf("the error no longer unwraps to pgconn's: %v", err)
	}
}

// A PostgreSQL URL naming a database the server does not have says to
// create it or correct the name.
func TestPostgresWithoutTheDatabaseSaysToCreateIt(t *testing.T) {
	u, err := url.Parse(pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/portal_nosuch_" + strings.ToLower(id.Random(8))
	s, err := store.Open(t.Context(), u.String())
	if err == nil {
		s.Close()
		t.Fatal("Open on a database that does not exist succeeded")
	}
	for _, want := range []string{"does not exist", "createdb " + u.Path[1:], "PORTAL_DATABASE_URL"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

// SQLite reads the file name as a URI, so a '#' or '?' in a directory name
// (Go names a repeated subtest "name#01") must not end the path early and
// open a different file, shared with whatever else ends there.
func TestSQLitePathWithURICharacters(t *testing.T) {
	for _, dir := range []string{"run#01", "what?", "100%"} {
		t.Run(dir, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), dir, "portal.db")
			s := openURL(t, "sqlite:"+path, store.SQLite)
			if err := s.Q.CreateUser(t.Context(), newUser("ada@example.com")); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(path); err != nil {
				t.Errorf("the database is not at %s: %v", path, err)
			}
			if entries, _ := os.ReadDir(filepath.Dir(filepath.Dir(path))); len(entries) != 1 {
				t.Errorf("files beside %s: %v", dir, entries)
			}
		})
	}
}
