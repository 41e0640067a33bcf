package e2e

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/portalhq/portal/handlers"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/testutil/portaltest"
)

var pathParam = regexp.MustCompile(`:[^/]+|\*`)

// stateChanging lists every route of the route table that is not a safe
// method, with path parameters filled in, so a route added later is covered
// without touching this test.
func stateChanging(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, r := range handlers.Routes() {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			continue
		}
		if r.NoCSRF != "" || r.API { // checked by TestOnlyBearerAPICallbacksAndTokenEndpointsSkipCSRF
			continue
		}
		out[r.Method+" "+r.Path] = pathParam.ReplaceAllString(r.Path, "x")
	}
	if len(out) == 0 {
		t.Fatal("the route table has no POST route: is handlers.Routes() still the table?")
	}
	return out
}

// The only routes that skip the CSRF check are the Backend API, which a
// cookie never authenticates (TestBackendAPIRefusesRequestsWithoutTheSecretKey
// shows every one of them refusing a signed-in browser); OAuth providers'
// form_post callbacks, whose one-time sealed state is the CSRF control
// (REQ-OA-01); and the front-end token endpoints, which change nothing and
// refuse every Origin but the allowed apps' (TestClientTokenCORS). Anything
// else marked so is a mistake.
func TestOnlyBearerAPICallbacksAndTokenEndpointsSkipCSRF(t *testing.T) {
	for _, r := range handlers.Routes() {
		switch {
		case r.API:
			if r.NoCSRF != "" || !strings.HasPrefix(r.Path, "/v1/") || strings.HasPrefix(r.Path, "/v1/client/") {
				t.Errorf("%s %s: an API route must be a Bearer route under /v1/ outside /v1/client/", r.Method, r.Path)
			}
		case r.NoCSRF != "":
			callback := strings.HasPrefix(r.Path, "/v1/oauth_callback/")
			tokens := strings.HasPrefix(r.Path, "/v1/client/sessions/:id/tokens")
			if r.Method != http.MethodPost || !callback && !tokens {
				t.Errorf("%s %s skips the CSRF check (%q): only provider callbacks may", r.Method, r.Path, r.NoCSRF)
			}
		}
	}
}

// REQ-SES-08, REQ-HDR-04: every state-changing route refuses a request
// without the CSRF token, and a cross-site one even with the token.
func TestEveryPOSTRouteRefusesCrossSite_REQ_SES_08_REQ_HDR_04(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	b := newBrowser(t, p)
	b.get("/sign-in")
	tok := b.csrf()
	other := newBrowser(t, p)
	other.get("/sign-in")

	cases := []struct {
		name    string
		form    url.Values
		header  map[string]string
		refused bool
	}{
		{"no token", url.Values{}, nil, true},
		{"another browser's token", url.Values{"_csrf": {other.csrf()}}, nil, true},
		{"foreign Origin", url.Values{"_csrf": {tok}}, map[string]string{"Origin": "https://evil.example"}, true},
		{"Sec-Fetch-Site cross-site", url.Values{"_csrf": {tok}}, map[string]string{"Sec-Fetch-Site": "cross-site"}, true},
		{"Sec-Fetch-Site same-site", url.Values{"_csrf": {tok}}, map[string]string{"Sec-Fetch-Site": "same-site"}, true},
		// The control: the same request from the portal's own page passes
		// the check, so the refusals above are the CSRF check's doing.
		{"same origin", url.Values{"_csrf": {tok}}, map[string]string{"Origin": p.URL, "Sec-Fetch-Site": "same-origin"}, false},
	}
	for route, path := range stateChanging(t) {
		method, _, _ := strings.Cut(route, " ")
		t.Run(route, func(t *testing.T) {
			b := b.in(t)
			for _, tc := range cases {
				pg := b.postForm(method, path, tc.form, tc.header)
				if got := pg.Status == http.StatusForbidden; got != tc.refused {
					t.Errorf("%s: status %d, refused=%v, want refused=%v", tc.name, pg.Status, got, tc.refused)
				}
				if tc.refused && !strings.Contains(pg.text(), "This form has expired") {
					t.Errorf("%s: page does not explain the refusal:\n%s", tc.name, pg.text())
				}
			}
			// A token copied into a forged form is useless without the cookie.
			if pg := newBrowser(t, p).postForm(method, path, url.Values{"_csrf": {tok}}, nil); pg.Status != http.StatusForbidden {
				t.Errorf("token without its cookie: status %d, want 403", pg.Status)
			}
		})
	}
}

// REQ-SES-08: a forged sign-out from another site leaves the session alone.
func TestCrossSiteSignOutIsIgnored_REQ_SES_08(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	b := newBrowser(t, p)
	c, _ := verify(t, p, wantHandBack(t, signUp(t, p, b, "ada@example.com", appURL), http.StatusSeeOther, appURL))

	for _, h := range []map[string]string{{"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://evil.example"}} {
		if pg := b.postForm(http.MethodPost, "/sign-out", url.Values{"_csrf": {b.csrf()}}, h); pg.Status != http.StatusForbidden {
			t.Errorf("sign-out with %v: status %d, want 403", h, pg.Status)
		}
	}
	s, err := p.Store.Q.SessionByID(context.Background(), c.SID)
	if err != nil || s.Status != session.Active {
		t.Fatalf("session after forged sign-outs: %+v, %v; want active", s, err)
	}
	wantHandBack(t, b.getRaw(handshakePath(appURL)), http.StatusTemporaryRedirect, appURL)
}

// A sign-in form sent after its CSRF token went stale gets the "form has
// expired" page, whose link back to sign-in keeps the app's redirect_url,
// so signing in from there still ends in the app. A redirect_url the
// policy refuses is dropped from the link, never offered.
func TestTheExpiredFormPageKeepsTheRedirect(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	signUp(t, p, newBrowser(t, p), "ada@example.com", "")

	b := newBrowser(t, p)
	refused := b.submit(b.get(withRedirect("/sign-in", appURL)), signInForm,
		map[string]string{"identifier": "ada@example.com", "_csrf": "stale"})
	if refused.Status != http.StatusForbidden {
		t.Fatalf("stale token: status %d, want 403:\n%s", refused.Status, refused.text())
	}
	back, ok := refused.Doc.Find(`a[href^="/sign-in"]`).Attr("href")
	if want := withRedirect("/sign-in", appURL); !ok || back != want {
		t.Fatalf("the way back is %q, want %q", back, want)
	}
	pw := b.submit(b.get(back), signInForm, map[string]string{"identifier": "ada@example.com"})
	if pw.Doc.Find(passwordForm).Length() == 0 {
		t.Fatalf("the way back leads to no password step: status %d\n%s", pw.Status, pw.text())
	}
	wantHandBack(t, b.submit(pw, passwordForm, map[string]string{"password": goodPassword}), http.StatusSeeOther, appURL)

	forged := b.postForm(http.MethodPost, "/sign-in", url.Values{"_csrf": {"stale"}, "redirect_url": {hostile}}, nil)
	if forged.Status != http.StatusForbidden {
		t.Fatalf("forged: status %d, want 403", forged.Status)
	}
	if back, _ := forged.Doc.Find(`a[href^="/sign-in"]`).Attr("href"); back != "/sign-in" || strings.Contains(forged.Body, "evil.example") {
		t.Errorf("with a refused redirect_url the way back is %q; want a plain /sign-in and no trace of it", back)
	}
}
