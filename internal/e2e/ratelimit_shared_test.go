package e2e

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/testutil/pgtest"
	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// Two machines on one PostgreSQL database share the per-network limits
// (REQ-RL-02, REQ-RL-04): 30 sign-in starts per 10 minutes from one address
// in all, not 30 on each. Before, each process counted its own, so a load
// balancer spreading a client over N machines allowed N times as much.
func TestRateLimitsHoldAcrossMachines_REQ_RL_02_REQ_RL_04(t *testing.T) {
	db := pgtest.URL(t)
	one := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_DATABASE_URL": db}})
	two := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_DATABASE_URL": db}})
	start := map[*portaltest.Portal]*page{}
	browsers := map[*portaltest.Portal]*browser{}
	for _, p := range []*portaltest.Portal{one, two} {
		browsers[p] = newBrowser(t, p)
		start[p] = browsers[p].get("/sign-in")
	}
	const limit = 30 // handlers.defaultLimits().start
	for i := range limit {
		p := one
		if i%2 == 1 {
			p = two
		}
		pg := browsers[p].submit(start[p], signInForm, map[string]string{"identifier": "nobody@example.com"})
		if pg.Status != http.StatusOK {
			t.Fatalf("start %d of %d (machine %d): status %d, want 200:\n%s", i+1, limit, i%2+1, pg.Status, pg.text())
		}
	}
	for n, p := range []*portaltest.Portal{one, two} {
		pg := browsers[p].submit(start[p], signInForm, map[string]string{"identifier": "nobody@example.com"})
		if pg.Status != http.StatusTooManyRequests || !strings.Contains(pg.text(), "Too many attempts from your network") {
			t.Fatalf("machine %d after %d starts in all: status %d, want 429 with the network message:\n%s",
				n+1, limit, pg.Status, pg.text())
		}
		if s, err := strconv.Atoi(pg.Header.Get("Retry-After")); err != nil || s < 1 || s > 20 {
			t.Errorf("machine %d: Retry-After %q, want the seconds until one more start is earned back (20 at most)",
				n+1, pg.Header.Get("Retry-After"))
		}
		if got := pg.Doc.Find(`input[name="identifier"]`).AttrOr("value", ""); got != "nobody@example.com" {
			t.Errorf("machine %d: the refused form lost what was typed: %q", n+1, got)
		}
	}
}
