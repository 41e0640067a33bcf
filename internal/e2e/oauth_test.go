package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/testutil/oidctest"
	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// startWithOIDC runs a portal with one generic OpenID provider, "corp".
func startWithOIDC(t *testing.T) (*portaltest.Portal, *oidctest.Server) {
	t.Helper()
	op := oidctest.Start(t)
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{
		"PORTAL_OIDC_CORP_ISSUER":        op.Issuer(),
		"PORTAL_OIDC_CORP_CLIENT_ID":     op.ClientID,
		"PORTAL_OIDC_CORP_CLIENT_SECRET": op.ClientSecret,
		"PORTAL_OIDC_CORP_DISPLAY_NAME":  "Corp SSO",
	}})
	return p, op
}

// viaProvider follows a provider button: the portal's start URL, the
// provider's authorize endpoint (which approves at once) and the callback,
// stopping where the portal hands back to the app or shows a page.
func viaProvider(t *testing.T, b *browser, start string) *page {
	t.Helper()
	pg := b.send(b.request(http.MethodGet, start, nil))
	for range 5 {
		loc := pg.Header.Get("Location")
		if pg.Status < 300 || pg.Status > 399 || loc == "" {
			return pg
		}
		next := pg.URL.ResolveReference(mustParse(t, loc))
		if next.Host != b.base.Host && !strings.HasPrefix(next.Host, "127.0.0.1") {
			return pg // to the app
		}
		if next.Host == b.base.Host && !strings.HasPrefix(next.Path, "/v1/oauth_callback/") && next.Path != "/sign-up/continue" {
			return b.follow(pg)
		}
		pg = b.send(b.request(http.MethodGet, next.String(), nil))
	}
	return pg
}

func TestOAuthSignUpThenSignIn(t *testing.T) {
	p, _ := startWithOIDC(t)
	const app = "http://localhost:5173/dashboard"
	b := newBrowser(t, p)
	start := b.get(withRedirect("/sign-in", app))
	href, ok := start.Doc.Find(`a.cl-socialButtonsBlockButton__oidc_corp`).Attr("href")
	if !ok || !strings.Contains(start.Body, "Continue with Corp SSO") {
		t.Fatalf("no provider button on /sign-in:\n%s", start.Body)
	}
	pg := viaProvider(t, b, href)
	wantHandBack(t, pg, http.StatusSeeOther, app)
}
