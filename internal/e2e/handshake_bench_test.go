package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/testutil/portaltest"
	"github.com/portalhq/portal/internal/token"
)

// BenchmarkHandshake is `make bench`'s handshake refresh in-process, for
// profiles and allocation counts: distinct signed-in browsers round-robin
// on GET /v1/client/handshake through the whole handler stack (no
// network). sign is the RS256 signature alone on the same key; what the
// refresh costs beyond it is the handshake's own work.
//
//	go test -run '^$' -bench Handshake -benchmem ./internal/e2e/
func BenchmarkHandshake(b *testing.B) {
	clock := clockwork.NewFakeClockAt(time.Now())
	p := portaltest.Start(b, portaltest.Options{Clock: clock})
	b.Run("refresh", func(b *testing.B) { benchRefresh(b, p, clock) })
	b.Run("sign", func(b *testing.B) {
		b.ReportAllocs()
		now := time.Now()
		for b.Loop() {
			c, err := token.NewSessionClaims(token.SessionParams{Issuer: p.URL, UserID: "user_x", SessionID: "sess_x",
				AuthorizedParty: appOrigin, Now: now, TTL: time.Minute, FirstFactorAt: now})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := p.Signer.Sign(c); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkHandshakePostgres is BenchmarkHandshake's refresh on
// PostgreSQL, where every query takes a pooled connection that is checked
// before use (store.Open).
//
//	go test -run '^$' -bench HandshakePostgres -benchmem ./internal/e2e/
func BenchmarkHandshakePostgres(b *testing.B) {
	clock := clockwork.NewFakeClockAt(time.Now())
	benchRefresh(b, portaltest.Start(b, portaltest.Options{Clock: clock, Postgres: true}), clock)
}

// benchRuns numbers benchRefresh's calls: -count runs a sub-benchmark
// again on the same portal, where an address already signed up gets no
// code (the owner is emailed instead), so each call signs up its own, a
// day later on the portal's clock than the last (past the per-IP sign-up
// limit).
var benchRuns atomic.Int64

// benchRefresh signs up 16 browsers on p and refreshes their tokens in
// turn.
func benchRefresh(b *testing.B, p *portaltest.Portal, clock *clockwork.FakeClock) {
	b.Helper()
	const browsers = 16
	run := benchRuns.Add(1)
	clock.Advance(24 * time.Hour)
	var reqs []*http.Request
	for i := range browsers {
		br := newBrowser(b, p)
		email := fmt.Sprintf("bench%d-%02d@example.com", run, i)
		verify := br.submit(br.get(withRedirect("/sign-up", appURL)), signUpForm, map[string]string{
			"email_address": email, "password": goodPassword, "first_name": "Ada", "last_name": "Lovelace"})
		code := p.SMTP.WaitFor(b, email, mailWait).Code()
		if done := br.submit(verify, verifyForm, map[string]string{"code": code}); done.Status != http.StatusSeeOther {
			b.Fatalf("sign-up %d: status %d", i, done.Status)
		}
		req := httptest.NewRequest(http.MethodGet, p.URL+handshakePath(appURL), nil)
		req.Header.Set("Cookie", "__client="+br.cookie("__client"))
		reqs = append(reqs, req)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		w := httptest.NewRecorder()
		p.Handler.ServeHTTP(w, reqs[i%browsers])
		if w.Code != http.StatusTemporaryRedirect || len(w.Header().Values("Set-Cookie")) != 2 {
			b.Fatalf("status %d, cookies %q", w.Code, w.Header().Values("Set-Cookie"))
		}
	}
}
