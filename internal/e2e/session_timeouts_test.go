package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// REQ-SES-03 through the running portal, with PORTAL_SESSION_INACTIVITY_TIMEOUT
// and PORTAL_SESSION_MAX_LIFETIME set as the README advises for AAL2: a
// token refresh and a page of the portal each restart the idle clock; a
// browser left alone for the whole timeout is signed out at the handshake
// and on the portal's pages; one kept active is signed out at the lifetime
// all the same.
func TestSessionTimeoutsThroughThePortal_REQ_SES_03(t *testing.T) {
	const idle, lifetime = time.Hour, 24 * time.Hour
	p, clock := startFake(t, portaltest.Options{Env: map[string]string{
		"PORTAL_SESSION_INACTIVITY_TIMEOUT": "1h", "PORTAL_SESSION_MAX_LIFETIME": "24h"}})
	signedIn := func(what string, b *browser) {
		t.Helper()
		wantHandBack(t, b.getRaw(handshakePath(appURL)), http.StatusTemporaryRedirect, appURL)
		if pg := b.getRaw("/user"); pg.Status != http.StatusOK {
			t.Fatalf("%s: GET /user %d, want the profile", what, pg.Status)
		}
	}
	signedOutEverywhere := func(what string, b *browser) {
		t.Helper()
		signedOutAtHandshake(t, what, b)
		if pg := b.getRaw("/user"); pg.Status != http.StatusSeeOther || !strings.HasPrefix(pg.Header.Get("Location"), "/sign-in") {
			t.Errorf("%s: GET /user %d to %q, want the sign-in page", what, pg.Status, pg.Header.Get("Location"))
		}
	}

	// Idle: a token refresh, then a page, each restart the clock.
	idler := newBrowser(t, p)
	wantHandBack(t, signUp(t, p, idler, "ada@example.com", appURL), http.StatusSeeOther, appURL)
	clock.Advance(idle - 2*time.Minute)
	wantHandBack(t, idler.getRaw(handshakePath(appURL)), http.StatusTemporaryRedirect, appURL)
	clock.Advance(idle - 2*time.Minute)
	if pg := idler.getRaw("/user"); pg.Status != http.StatusOK {
		t.Fatalf("a refresh %v ago: GET /user %d", idle-2*time.Minute, pg.Status)
	}
	clock.Advance(idle - 2*time.Minute)
	signedIn("a page "+(idle-2*time.Minute).String()+" ago", idler)
	clock.Advance(idle)
	signedOutEverywhere("idle for the whole timeout", idler)

	// Absolute: activity every 50 minutes does not carry a session past
	// its lifetime.
	busy := newBrowser(t, p)
	wantHandBack(t, signIn(t, busy, "ada@example.com", goodPassword, appURL), http.StatusSeeOther, appURL)
	var elapsed time.Duration
	for elapsed+50*time.Minute < lifetime {
		clock.Advance(50 * time.Minute)
		elapsed += 50 * time.Minute
		signedIn("active, "+elapsed.String()+" after signing in", busy)
	}
	clock.Advance(lifetime - elapsed)
	signedOutEverywhere("active, at the lifetime", busy)
}
