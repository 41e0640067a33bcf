package e2e

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// REQ-RL-06: the address rate limits count is the TCP peer's unless the
// peer is a trusted proxy, and then the first hop that proxy did not vouch
// for. A visitor who makes up a new X-Forwarded-For and X-Real-IP for every
// attempt is still one visitor: straight to the portal, and behind a
// trusted proxy that appends the real address to what the visitor sent.
func TestSpoofedForwardedForDoesNotEscapeLimits_REQ_RL_06(t *testing.T) {
	const perIP, perIdentifier = 60, 20 // attempts per 10 minutes (TestAttemptsPerIPAreLimited)
	for _, tc := range []struct {
		name, trusted string
		xff           func(n int) string
	}{
		{"no proxy", "", func(n int) string { return fmt.Sprintf("198.51.100.%d", n+1) }},
		{"behind a trusted proxy", "127.0.0.1/32", func(n int) string { return fmt.Sprintf("198.51.100.%d, 203.0.113.7", n+1) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, _ := startFake(t, portaltest.Options{Env: map[string]string{"PORTAL_TRUSTED_PROXIES": tc.trusted}})
			b := newBrowser(t, p)
			var step *page
			attempt := func(n int) *page {
				b.header = http.Header{"X-Forwarded-For": {tc.xff(n)}, "X-Real-Ip": {fmt.Sprintf("192.0.2.%d", n+1)}}
				if n%(perIdentifier/2) == 0 {
					step = passwordStep(t, b, fmt.Sprintf("nobody%d@example.com", n), "")
				}
				return b.submit(step, passwordForm, map[string]string{"password": wrongPassword})
			}
			for n := range perIP {
				if pg := attempt(n); pg.Status != http.StatusUnprocessableEntity {
					t.Fatalf("attempt %d: status %d, want 422:\n%s", n+1, pg.Status, pg.text())
				}
			}
			if pg := attempt(perIP); pg.Status != http.StatusTooManyRequests {
				t.Fatalf("attempt %d from new made-up addresses: status %d, want 429", perIP+1, pg.Status)
			}
		})
	}
}
