package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/testutil/oidctest"
	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// Headings of the pages that refuse a provider sign-in.
const (
	cantFinish = "This sign-in attempt can't be finished"
	didntWork  = "Signing in with " + corpDisplay + " didn't work"
)

// Every way of forging, replaying or misdelivering a provider's answer ends
// on a page that says so, with a way back, and with no session and no user
// (REQ-OA-01…03, REQ-OA-06). Each case uses a fresh browser on one portal
// with two OpenID providers, "corp" and "other".
func TestOAuthCallbackAttacks(t *testing.T) {
	corpOP, otherOP := oidctest.Start(t), oidctest.Start(t)
	log := &syncBuffer{}
	env := withOIDC(withOIDC(nil, "corp", corpDisplay, corpOP), "other", "Other SSO", otherOP)
	p, clock := startFake(t, portaltest.Options{Env: env, Log: log})
	const app = appOrigin + "/dashboard"

	// start is the corp button's URL, as the sign-in page offers it.
	start := func(t *testing.T, b *browser) string {
		return providerButton(t, b.get(withRedirect("/sign-in", app)), corp)
	}
	deliver := func(b *browser, cb *url.URL) *page { return b.getRaw(cb.String()) }
	// logSays checks the log written since mark for the cause of a refusal.
	logSays := func(t *testing.T, mark int, what string) {
		t.Helper()
		if got := log.String()[mark:]; !strings.Contains(got, what) {
			t.Errorf("the log does not say %q:\n%s", what, got)
		}
	}

	// REQ-OA-01: the state must be the one sealed in this browser's cookie.
	t.Run("tampered state", func(t *testing.T) {
		b := newBrowser(t, p)
		cb, _ := toCallback(t, b, start(t, b))
		before := count(t, p)
		q := cb.Query()
		q.Set("state", q.Get("state")+"x")
		cb.RawQuery = q.Encode()
		wantOAuthRefused(t, p, deliver(b, cb), before, http.StatusBadRequest, cantFinish)
	})

	t.Run("no state", func(t *testing.T) {
		b := newBrowser(t, p)
		cb, _ := toCallback(t, b, start(t, b))
		before := count(t, p)
		q := cb.Query()
		q.Del("state")
		cb.RawQuery = q.Encode()
		wantOAuthRefused(t, p, deliver(b, cb), before, http.StatusBadRequest, cantFinish)
	})

	// REQ-OA-01: a state is used once. The same browser cannot use it again
	// (the cookie was cleared), nor can someone who copied the cookie as
	// well (the provider's code is single-use).
	t.Run("replayed callback", func(t *testing.T) {
		b := newBrowser(t, p)
		corpOP.SetUser("replay-1", "replay@example.com", true, "Re", "Play")
		cb, pending := toCallback(t, b, start(t, b))
		first := deliver(b, cb)
		wantHandBack(t, first, http.StatusSeeOther, app) // REQ-OA-07: 303, never 307
		if c := first.setCookie("__oauth"); c == nil || c.MaxAge >= 0 {
			t.Errorf("the callback did not clear the pending cookie: %+v", c)
		}

		before, mark := count(t, p), log.Len()
		wantOAuthRefused(t, p, deliver(b, cb), before, http.StatusBadRequest, cantFinish)

		thief := newBrowser(t, p)
		thief.jar.SetCookies(cb, []*http.Cookie{{Name: "__oauth", Value: pending, Path: "/v1/oauth_callback/"}})
		wantOAuthRefused(t, p, deliver(thief, cb), before, http.StatusBadRequest, didntWork)
		logSays(t, mark, "code exchange refused")
	})

	// REQ-OA-03: a code and state from corp, delivered to other's callback.
	t.Run("callback for another provider", func(t *testing.T) {
		b := newBrowser(t, p)
		cb, _ := toCallback(t, b, start(t, b))
		before, mark := count(t, p), log.Len()
		cb.Path = "/v1/oauth_callback/oidc_other"
		wantOAuthRefused(t, p, deliver(b, cb), before, http.StatusBadRequest, cantFinish)
		logSays(t, mark, "callback for a different provider")
	})

	// REQ-OA-03 (RFC 9207): an iss naming another issuer.
	t.Run("callback naming another issuer", func(t *testing.T) {
		b := newBrowser(t, p)
		cb, _ := toCallback(t, b, start(t, b))
		before, mark := count(t, p), log.Len()
		q := cb.Query()
		q.Set("iss", otherOP.Issuer())
		cb.RawQuery = q.Encode()
		wantOAuthRefused(t, p, deliver(b, cb), before, http.StatusBadRequest, didntWork)
		logSays(t, mark, "callback iss does not match the provider")
	})

	// The sealed cookie, changed by one character, no longer opens: no
	// state, nonce or PKCE verifier to go on.
	t.Run("tampered pending cookie", func(t *testing.T) {
		b := newBrowser(t, p)
		cb, pending := toCallback(t, b, start(t, b))
		before := count(t, p)
		i := len(pending) / 2
		flipped := "A"
		if pending[i] == 'A' {
			flipped = "B"
		}
		b.jar.SetCookies(cb, []*http.Cookie{{Name: "__oauth", Value: pending[:i] + flipped + pending[i+1:], Path: "/v1/oauth_callback/"}})
		wantOAuthRefused(t, p, deliver(b, cb), before, http.StatusBadRequest, cantFinish)
	})

	// A cookie sealed by another portal, with that portal's code and state:
	// this portal cannot open it, so it has no verifier to send.
	t.Run("pending cookie from another portal", func(t *testing.T) {
		p2 := portaltest.Start(t, portaltest.Options{Env: withOIDC(nil, "corp", corpDisplay, corpOP)})
		b2 := newBrowser(t, p2)
		cb2, pending := toCallback(t, b2, providerButton(t, b2.get("/sign-in"), corp))
		b := newBrowser(t, p)
		cb := b.abs(cb2.RequestURI())
		b.jar.SetCookies(cb, []*http.Cookie{{Name: "__oauth", Value: pending, Path: "/v1/oauth_callback/"}})
		before := count(t, p)
		wantOAuthRefused(t, p, deliver(b, cb), before, http.StatusBadRequest, cantFinish)
	})

	// REQ-OA-02: a code obtained in another flow (the attacker's), injected
	// into this browser's callback with this browser's own state. The state
	// checks out; the provider refuses the code because this browser's PKCE
	// verifier is not the one its challenge was made from.
	t.Run("injected code fails PKCE", func(t *testing.T) {
		victim, attacker := newBrowser(t, p), newBrowser(t, p)
		cbVictim, _ := toCallback(t, victim, start(t, victim))
		cbAttacker, _ := toCallback(t, attacker, start(t, attacker))
		before, mark := count(t, p), log.Len()
		q := cbVictim.Query()
		q.Set("code", cbAttacker.Query().Get("code"))
		cbVictim.RawQuery = q.Encode()
		wantOAuthRefused(t, p, deliver(victim, cbVictim), before, http.StatusBadRequest, didntWork)
		logSays(t, mark, "Code challenge did not match hashed code verifier")
	})

	// REQ-OA-06: the ID token is checked, whatever the token endpoint says.
	for _, tc := range []struct {
		name, log string
		arm       func()
	}{
		{"ID token signed with another key", "failed to verify signature", corpOP.SignNextIDTokenWithOtherKey},
		{"ID token for another client", "expected audience", func() { corpOP.NextIDTokenAudience("another-client") }},
		{"ID token with another nonce", "ID token nonce mismatch", func() { corpOP.NextIDTokenNonce("not-the-one-sent") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			corpOP.SetUser("forged-1", "forged@example.com", true, "For", "Ged")
			b := newBrowser(t, p)
			href := start(t, b)
			before, mark := count(t, p), log.Len()
			tc.arm()
			wantOAuthRefused(t, p, viaProvider(t, b, href), before, http.StatusBadRequest, didntWork)
			logSays(t, mark, tc.log)
		})
	}

	t.Run("consent denied", func(t *testing.T) {
		b := newBrowser(t, p)
		href := start(t, b)
		before := count(t, p)
		corpOP.DenyNext("access_denied")
		pg := viaProvider(t, b, href)
		wantOAuthRefused(t, p, pg, before, http.StatusBadRequest, "You cancelled signing in with "+corpDisplay)
		if !strings.Contains(pg.text(), "Nothing was changed") {
			t.Errorf("the page does not reassure:\n%s", pg.text())
		}
		// The way back keeps where the person was going.
		want := "/sign-in?redirect_url=" + url.QueryEscape(app)
		if href, _ := pg.Doc.Find(`a[href^="/sign-in"]`).Attr("href"); href != want {
			t.Errorf("way back %q, want %q", href, want)
		}
	})

	// Last, since it moves the clock: a pending sign-in lasts ten minutes.
	t.Run("expired pending sign-in", func(t *testing.T) {
		b := newBrowser(t, p)
		cb, _ := toCallback(t, b, start(t, b))
		before := count(t, p)
		clock.Advance(10*time.Minute + time.Second)
		wantOAuthRefused(t, p, deliver(b, cb), before, http.StatusBadRequest, cantFinish)
	})
}

// Apple answers with a cross-site POST (form_post), which browsers send
// without SameSite=Lax cookies — __client, a kept invitation. The portal
// turns it into a top-level GET of the same callback, carrying every
// field, which browsers send with them; the POST itself uses up nothing
// (the pending cookie stays for the GET).
func TestFormPostCallbackContinuesAsAGet(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{
		"PORTAL_OAUTH_APPLE_CLIENT_ID": "com.example.portal", "PORTAL_OAUTH_APPLE_CLIENT_SECRET": "s"}})
	b := newBrowser(t, p)
	form := url.Values{"code": {"c0de"}, "state": {"st/ate"}, "user": {`{"name":{"firstName":"Ada","lastName":"L"}}`}}
	pg := b.postForm(http.MethodPost, "/v1/oauth_callback/apple", form, nil)
	if pg.Status != http.StatusSeeOther {
		t.Fatalf("form_post callback: %d, want 303 to the GET callback", pg.Status)
	}
	loc, err := url.Parse(pg.Header.Get("Location"))
	if err != nil || loc.Path != "/v1/oauth_callback/apple" || loc.Host != "" {
		t.Fatalf("form_post callback goes to %q, want this portal's GET callback", pg.Header.Get("Location"))
	}
	for k := range form {
		if loc.Query().Get(k) != form.Get(k) {
			t.Errorf("field %s: %q on the GET, want %q", k, loc.Query().Get(k), form.Get(k))
		}
	}
	if len(pg.resp.Cookies()) != 0 {
		t.Errorf("the POST set cookies %v; the GET must find the pending cookie as it was", pg.resp.Cookies())
	}
	if r := b.postForm(http.MethodPost, "/v1/oauth_callback/"+corp, form, nil); r.Status != http.StatusMethodNotAllowed && r.Status != http.StatusNotFound {
		t.Errorf("POST to a provider that does not use form_post: %d", r.Status)
	}
}
