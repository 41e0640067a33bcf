// Package portaltest starts a real Portal in-process for tests: real store
// (SQLite in a temporary directory, or PostgreSQL), real SMTP through an
// in-process server, real HTTP on a loopback port.
package portaltest

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/app"
	"github.com/portalhq/portal/internal/config"
	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/notify"
	"github.com/portalhq/portal/internal/password"
	"github.com/portalhq/portal/internal/testutil/smtptest"
)

// Portal is a running instance.
type Portal struct {
	*app.Portal
	URL  string // http://localhost:PORT
	SMTP *smtptest.Server
}

// Options adjust the instance.
type Options struct {
	Env      map[string]string // extra PORTAL_* settings
	Clock    clockwork.Clock   // nil = real clock
	Postgres bool              // use a fresh schema on PORTAL_TEST_POSTGRES_URL
	Hasher   *password.Hasher  // nil = cheap argon2id parameters for speed
	Log      io.Writer         // nil = discard
}

// FastHasher hashes with small argon2id parameters so tests stay fast.
func FastHasher() *password.Hasher {
	return password.NewHasher(password.Params{Memory: 1024, Time: 1, Threads: 1}, 4, 5*time.Second)
}

// Start builds and serves a portal on localhost, stopped by t.Cleanup.
func Start(t testing.TB, opt Options) *Portal {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	base := fmt.Sprintf("http://localhost:%d", port)
	smtp := smtptest.Start(t)
	env := map[string]string{
		"PORTAL_ADDR":         l.Addr().String(),
		"PORTAL_BASE_URL":     base,
		"PORTAL_DATABASE_URL": "sqlite:" + t.TempDir() + "/portal.db",
		"PORTAL_LOG_LEVEL":    "warn",
	}
	if opt.Postgres {
		env["PORTAL_DATABASE_URL"] = PostgresURL(t)
	}
	for k, v := range opt.Env {
		env[k] = v
	}
	var environ []string
	for k, v := range env {
		environ = append(environ, k+"="+v)
	}
	cfg, err := config.Load(nil, func(k string) string { return env[k] }, environ)
	if err != nil {
		t.Fatal(err)
	}
	hasher := opt.Hasher
	if hasher == nil {
		hasher = FastHasher()
	}
	logw := opt.Log
	if logw == nil {
		logw = io.Discard
	}
	mailer, err := notify.NewSMTP(smtp.URL(), "Portal <no-reply@portal.test>", notify.WithTLSConfig(smtp.TLSConfig()))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p, err := app.Build(ctx, cfg, app.Options{Clock: opt.Clock, Mailer: mailer, Log: logw, Hasher: hasher})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	p.UseListener(l)
	done := make(chan error, 1)
	go func() { done <- p.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		p.Close()
	})
	waitReady(t, l.Addr().String())
	return &Portal{Portal: p, URL: base, SMTP: smtp}
}

func waitReady(t testing.TB, addr string) {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("portal did not listen on %s", addr)
}

// DefaultPostgresURL is where make test finds PostgreSQL unless
// PORTAL_TEST_POSTGRES_URL says otherwise.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// PostgresURL creates a fresh schema for the test on the test server and
// returns a URL whose search_path points at it. The schema is dropped at the
// end. A missing server fails the test with what to do: it never skips.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv("PORTAL_TEST_POSTGRES_URL")
	if base == "" {
		base = DefaultPostgresURL
	}
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		t.Fatalf("PostgreSQL is not reachable at %s (%v): start it (make test does: pg_ctlcluster … start) or set PORTAL_TEST_POSTGRES_URL", base, err)
	}
	schema := "t_" + strings.ToLower(id.Random(12))
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		db.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = db.Exec("DROP SCHEMA " + schema + " CASCADE")
		db.Close()
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}
