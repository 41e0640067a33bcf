// Package portaltest starts a real Portal in-process for tests: real store
// (SQLite in a temporary directory, or PostgreSQL), real SMTP through an
// in-process server, real HTTP on a loopback port.
package portaltest

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/app"
	"github.com/portalhq/portal/internal/config"
	"github.com/portalhq/portal/internal/notify"
	"github.com/portalhq/portal/internal/password"
	"github.com/portalhq/portal/internal/testutil/pgtest"
	"github.com/portalhq/portal/internal/testutil/smtptest"
	"github.com/portalhq/portal/internal/testutil/testcert"
)

// Portal is a running instance.
type Portal struct {
	*app.Portal
	URL  string           // http://localhost:PORT, or https:// with Options.TLS
	SMTP *smtptest.Server // nil with Options.DevOutbox
	// CertPool trusts the portal's certificate under Options.TLS; else nil.
	CertPool *x509.CertPool
	// CertPEM is that certificate in PEM, for clients outside Go (Node.js's
	// NODE_EXTRA_CA_CERTS); nil without Options.TLS.
	CertPEM []byte
}

// Options adjust the instance.
type Options struct {
	Env      map[string]string // extra PORTAL_* settings
	Clock    clockwork.Clock   // nil = real clock
	Postgres bool              // use a fresh schema on PORTAL_TEST_POSTGRES_URL
	Hasher   *password.Hasher  // nil = cheap argon2id parameters for speed
	Log      io.Writer         // nil = discard
	// TLS serves over HTTPS with a throwaway certificate (Portal.CertPool
	// trusts it), so the base URL is https:// and cookies are Secure, as
	// in production.
	TLS bool
	// DevOutbox sends mail to the development outbox (/dev/outbox), as an
	// instance without SMTP settings does, instead of over SMTP.
	DevOutbox bool
	// Host names the portal in its base URL: "localhost" unless set (for
	// a dotted name such as "127.0.0.1", which Clerk's publishable keys
	// need).
	Host string
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
	host := cmp.Or(opt.Host, "localhost")
	base := fmt.Sprintf("http://%s:%d", host, port)
	var (
		pool    *x509.CertPool
		certPEM []byte
	)
	if opt.TLS {
		cert, certPool, err := testcert.SelfSigned()
		if err != nil {
			t.Fatal(err)
		}
		l = tls.NewListener(l, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
		base, pool = fmt.Sprintf("https://%s:%d", host, port), certPool
		certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]})
	}
	env := map[string]string{
		"PORTAL_ADDR":         l.Addr().String(),
		"PORTAL_BASE_URL":     base,
		"PORTAL_DATABASE_URL": "sqlite:" + t.TempDir() + "/portal.db",
		"PORTAL_LOG_LEVEL":    "warn",
		// The new sign-in email is off unless a test turns it on: most
		// tests sign in from fresh browsers, and that email, sent after
		// the answer, would race the messages they wait for or count.
		"PORTAL_NOTIFY_NEW_SIGN_IN": "false",
		// No test reaches the internet: the breached-password check is off
		// unless a test turns it on, pointed at a fake of the range API
		// (PORTAL_PWNED_PASSWORDS_URL).
		"PORTAL_PASSWORD_BREACH_CHECK": "false",
	}
	if opt.Postgres {
		env["PORTAL_DATABASE_URL"] = pgtest.URL(t)
	}
	for k, v := range opt.Env {
		env[k] = v
	}
	cfg, err := config.FromMap(env)
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
	var (
		smtp   *smtptest.Server
		mailer notify.Mailer // nil: the dev outbox
	)
	if !opt.DevOutbox {
		smtp = smtptest.Start(t)
		if mailer, err = notify.NewSMTP(smtp.URL(), "Portal <no-reply@portal.test>", notify.WithTLSConfig(smtp.TLSConfig())); err != nil {
			t.Fatal(err)
		}
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
	return &Portal{Portal: p, URL: base, SMTP: smtp, CertPool: pool, CertPEM: certPEM}
}

// HTTPClient is a client for p that trusts its certificate under
// Options.TLS; it follows redirects and keeps no cookies.
func (p *Portal) HTTPClient() *http.Client {
	if p.CertPool == nil {
		return http.DefaultClient
	}
	return &http.Client{Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: p.CertPool, MinVersion: tls.VersionTLS12}}}
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
