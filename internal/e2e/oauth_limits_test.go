package e2e

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/testutil/oidctest"
	"github.com/portalhq/portal/internal/testutil/pgtest"
	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// tooManyFromNetwork is what the page says when the network's failed
// provider callbacks are used up.
const tooManyFromNetwork = "Too many attempts from your network"

// forgedCallback is a provider's answer nobody's provider gave: a made-up
// code and state, and no pending cookie.
const forgedCallback = "/v1/oauth_callback/" + corp + "?code=made-up&state=made-up"

// wantLimited checks a 429 "Too many attempts" page that says what, tells
// when to come back in Retry-After and offers a way back, with no session.
func wantLimited(t *testing.T, what string, pg *page, say, back string) {
	t.Helper()
	wantText(t, what, pg, http.StatusTooManyRequests, "Too many attempts", say)
	if s, err := strconv.Atoi(pg.Header.Get("Retry-After")); err != nil || s < 1 {
		t.Errorf("%s: Retry-After %q, want a number of seconds", what, pg.Header.Get("Retry-After"))
	}
	if pg.Doc.Find(`a[href^="`+back+`"]`).Length() == 0 {
		t.Errorf("%s: no way back to %s:\n%s", what, back, pg.text())
	}
	if c := pg.setCookie("__session"); c != nil && c.Value != "" {
		t.Errorf("%s: a limited request set __session", what)
	}
}

// REQ-RL-03: a provider's callbacks are limited like the other ways in,
// counting only those that fail (a forged or replayed answer, a refused
// code): 60 per 10 minutes from one network. Past them the network's
// callbacks, even a genuine one, and its starts get the "Too many attempts"
// page (429, Retry-After); an office signing everyone in through its SSO
// behind one address is never held back by its own successes, nor by people
// cancelling at the provider.
func TestOAuthFailedCallbacksLimitedPerNetwork_REQ_RL_03(t *testing.T) {
	const perNetwork = 60 // handlers.defaultLimits().oauthFailed
	op := oidctest.Start(t)
	p := portaltest.Start(t, portaltest.Options{Env: withOIDC(map[string]string{
		"PORTAL_TRUSTED_PROXIES": "127.0.0.1/32"}, "corp", corpDisplay, op)})
	from := func(ip string) *browser {
		b := newBrowser(t, p)
		b.header = http.Header{"X-Forwarded-For": {ip}}
		return b
	}

	// The office: more sign-ins than the limit, all through its SSO, and
	// as many people who change their mind at the provider: neither counts.
	op.SetUser("corp-ada", "ada@example.com", true, "Ada", "Lovelace")
	for n := range perNetwork + 5 {
		b := from("198.51.100.7")
		if pg := viaProvider(t, b, providerButton(t, b.get(withRedirect("/sign-in", appURL)), corp)); pg.Status != http.StatusSeeOther {
			t.Fatalf("the office's sign-in %d: status %d, want 303 to the app:\n%s", n+1, pg.Status, pg.text())
		}
		op.DenyNext("access_denied")
		b = from("198.51.100.7")
		pg := viaProvider(t, b, providerButton(t, b.get(withRedirect("/sign-in", appURL)), corp))
		wantText(t, "cancelled at the provider", pg, http.StatusBadRequest, "You cancelled signing in with "+corpDisplay)
	}

	// Someone else's network readies a genuine round trip, then sends
	// forged answers until the limit.
	attacker := from("203.0.113.9")
	cb, _ := toCallback(t, attacker, providerButton(t, attacker.get(withRedirect("/sign-in", appURL)), corp))
	for n := range perNetwork {
		if pg := from("203.0.113.9").getRaw(forgedCallback); pg.Status != http.StatusBadRequest {
			t.Fatalf("forged callback %d: status %d, want 400:\n%s", n+1, pg.Status, pg.text())
		}
	}
	wantLimited(t, "a forged callback past the limit", from("203.0.113.9").getRaw(forgedCallback), tooManyFromNetwork, "/sign-in")
	before := count(t, p)
	wantLimited(t, "the network's genuine callback", attacker.getRaw(cb.String()), tooManyFromNetwork, "/sign-in?redirect_url=")
	if after := count(t, p); after != before {
		t.Errorf("a limited callback created users or sessions: %+v, then %+v", before, after)
	}
	b := from("203.0.113.9")
	wantLimited(t, "a start from the network", b.getRaw(providerButton(t, b.get(withRedirect("/sign-in", appURL)), corp)),
		tooManyFromNetwork, "/sign-in?redirect_url=")

	// The office signs in as before.
	office := from("198.51.100.7")
	if pg := viaProvider(t, office, providerButton(t, office.get("/sign-in"), corp)); pg.Status >= 400 {
		t.Fatalf("the office after another network was limited: status %d:\n%s", pg.Status, pg.text())
	}
}

// REQ-RL-03: one round trip's answer cannot be tried again and again from
// many networks: its sealed cookie, replayed with wrong states, is refused
// after 3 failures, and then even with the right state ("start again").
func TestOAuthFailedCallbacksLimitedPerRoundTrip_REQ_RL_03(t *testing.T) {
	op := oidctest.Start(t)
	p := portaltest.Start(t, portaltest.Options{Env: withOIDC(map[string]string{
		"PORTAL_TRUSTED_PROXIES": "127.0.0.1/32"}, "corp", corpDisplay, op)})
	op.SetUser("corp-ada", "ada@example.com", true, "Ada", "Lovelace")
	b := newBrowser(t, p)
	cb, pending := toCallback(t, b, providerButton(t, b.get(withRedirect("/sign-in", appURL)), corp))

	replay := func(ip, state string) *page {
		thief := newBrowser(t, p)
		thief.header = http.Header{"X-Forwarded-For": {ip}}
		thief.jar.SetCookies(cb, []*http.Cookie{{Name: "__oauth", Value: pending, Path: "/v1/oauth_callback/"}})
		u := *cb
		q := u.Query()
		q.Set("state", state)
		u.RawQuery = q.Encode()
		return thief.getRaw(u.String())
	}
	for n, ip := range []string{"192.0.2.1", "192.0.2.2", "192.0.2.3"} {
		if pg := replay(ip, "guess"+strconv.Itoa(n)); pg.Status != http.StatusBadRequest {
			t.Fatalf("replay %d with a wrong state: status %d, want 400:\n%s", n+1, pg.Status, pg.text())
		}
	}
	before := count(t, p)
	pg := replay("192.0.2.4", cb.Query().Get("state"))
	wantLimited(t, "the round trip after 3 failures, with the right state", pg,
		"Too many tries to finish this attempt. Please start again.", "/sign-in?redirect_url=")
	if after := count(t, p); after != before {
		t.Errorf("a limited round trip created users or sessions: %+v, then %+v", before, after)
	}

	// A new round trip from the same browser goes through.
	pg = viaProvider(t, b, providerButton(t, b.get(withRedirect("/sign-in", appURL)), corp))
	wantHandBack(t, pg, http.StatusSeeOther, appURL)
}

// REQ-RL-03, OAuth linking: one user starts connecting provider accounts
// at most 10 times an hour; past that /user's Connect button leads to the
// "Too many attempts" page (429, Retry-After) with the way back to the
// account, and nothing is sent to the provider. Another user connects.
func TestOAuthConnectLimitedPerUser_REQ_RL_03(t *testing.T) {
	const perUser = 10 // handlers.defaultLimits().connect
	p, op := startWithOIDC(t, portaltest.Options{})
	b := newBrowser(t, p)
	signUp(t, p, b, "dana@example.com", appURL)
	for n := range perUser {
		start := providerButton(t, b.get("/user"), corp)
		if pg := b.getRaw(start); pg.Status != http.StatusSeeOther || !strings.HasPrefix(pg.Header.Get("Location"), op.Issuer()) {
			t.Fatalf("connect start %d: status %d to %q, want 303 to the provider:\n%s", n+1, pg.Status, pg.Header.Get("Location"), pg.text())
		}
	}
	pg := b.getRaw(providerButton(t, b.get("/user"), corp))
	wantLimited(t, "connect start past the limit", pg, "Too many attempts to connect an account", "/user")
	if pg.setCookie("__oauth") != nil {
		t.Error("a limited connect start set the pending cookie")
	}

	eve := newBrowser(t, p)
	signUp(t, p, eve, "eve@example.com", appURL)
	op.SetUser("corp-eve", "eve@corp.example", true, "Eve", "E")
	pg = viaProvider(t, eve, providerButton(t, eve.get("/user"), corp))
	wantText(t, "another user connecting", pg, http.StatusOK, "Your "+corpDisplay+" account is connected.")
}

// REQ-RL-03 on several machines: two portals on one PostgreSQL database
// count a network's failed callbacks together, 60 in all, so past them
// both refuse, whichever saw the failures.
func TestOAuthFailedCallbacksLimitHoldsAcrossMachines_REQ_RL_03(t *testing.T) {
	const perNetwork = 60
	db := pgtest.URL(t)
	op := oidctest.Start(t)
	start := func() *portaltest.Portal {
		return portaltest.Start(t, portaltest.Options{Env: withOIDC(map[string]string{"PORTAL_DATABASE_URL": db}, "corp", corpDisplay, op)})
	}
	one, two := start(), start()
	for n := range perNetwork {
		p := one
		if n >= perNetwork/2 {
			p = two // the second machine's own count reaches only half
		}
		if pg := newBrowser(t, p).getRaw(forgedCallback); pg.Status != http.StatusBadRequest {
			t.Fatalf("forged callback %d: status %d, want 400:\n%s", n+1, pg.Status, pg.text())
		}
	}
	for n, p := range []*portaltest.Portal{one, two} {
		wantLimited(t, "machine "+strconv.Itoa(n+1)+" past the limit in all", newBrowser(t, p).getRaw(forgedCallback),
			tooManyFromNetwork, "/sign-in")
	}
}

// REQ-RL-03 without malicious lockout by an outage: when the provider's
// token endpoint fails (5xx, no OAuth answer), the person is told the
// provider did not answer (502) and nothing counts against the network, so
// an office keeps signing in once the provider is back.
func TestOAuthProviderOutageDoesNotCount_REQ_RL_03(t *testing.T) {
	const perNetwork = 60
	p, op := startWithOIDC(t, portaltest.Options{})
	op.SetUser("corp-ada", "ada@example.com", true, "Ada", "Lovelace")
	op.FailTokens(perNetwork+5, http.StatusServiceUnavailable)
	for n := range perNetwork + 5 {
		b := newBrowser(t, p)
		pg := viaProvider(t, b, providerButton(t, b.get(withRedirect("/sign-in", appURL)), corp))
		wantText(t, "sign-in "+strconv.Itoa(n+1)+" while the provider fails", pg, http.StatusBadGateway,
			corpDisplay+" didn't answer as expected")
	}
	b := newBrowser(t, p)
	wantHandBack(t, viaProvider(t, b, providerButton(t, b.get(withRedirect("/sign-in", appURL)), corp)), http.StatusSeeOther, appURL)
}
