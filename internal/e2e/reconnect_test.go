package e2e

import (
	"net/http"
	"testing"

	"github.com/portalhq/portal/internal/testutil/pgtest"
	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// A PostgreSQL restart, failover or pg_terminate_backend ends the
// portal's pooled connections; the requests that come next are answered
// as ever, not with an error page. Before, each connection the server had
// ended and the portal had used in the last second failed the request
// that took it next with a 500 (SQLSTATE 57P01).
func TestRequestsAfterPostgresEndedTheConnections(t *testing.T) {
	db := pgtest.URL(t)
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_DATABASE_URL": db}})
	b := newBrowser(t, p)
	wantHandBack(t, signUp(t, p, b, "ada@example.com", appURL), http.StatusSeeOther, appURL)
	end := func() {
		t.Helper()
		pgtest.HoldIdle(t, p.Store.DB(), 5)
		if n := pgtest.EndConnections(t, db); n < 5 {
			t.Fatalf("ended %d connections, want at least the 5 idle ones", n)
		}
	}

	end()
	wantHandBack(t, b.getRaw(handshakePath(appURL)), http.StatusTemporaryRedirect, appURL)

	other := newBrowser(t, p)
	start := other.get(withRedirect("/sign-in", appURL))
	end()
	pg := other.submit(start, signInForm, map[string]string{"identifier": "ada@example.com"})
	if pg.Status != http.StatusOK || pg.Doc.Find(passwordForm).Length() == 0 {
		t.Fatalf("identifier step: status %d, want the password page:\n%s", pg.Status, pg.text())
	}
	end()
	wantHandBack(t, other.submit(pg, passwordForm, map[string]string{"password": goodPassword}), http.StatusSeeOther, appURL)
}
