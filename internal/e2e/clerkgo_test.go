package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2"
	clerkhttp "github.com/clerk/clerk-sdk-go/v2/http"
	clerkjwks "github.com/clerk/clerk-sdk-go/v2/jwks"

	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// A Go app whose server uses clerk-sdk-go's middleware reads the
// portal's session token as Clerk's: WithHeaderAuthorization, with the
// JWKS from the Backend API (the SDK's client pointed at the portal) and
// the token taken from the __session cookie, puts the user, the session
// and the active organization in the request's context; a token for
// another app (azp) is refused with 401, and a request without one goes
// on with no claims.
func TestClerkGoMiddlewareReadsTheSessionToken(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	b := newBrowser(t, p)
	wantHandBack(t, signUp(t, p, b, "ada@example.com", appURL), http.StatusSeeOther, appURL)
	org := verifyOrg(t, p, wantHandBack(t, b.submit(b.get(withRedirect("/create-organization", appURL)), createOrgForm,
		map[string]string{"name": "Acme Rockets"}), http.StatusSeeOther, appURL))
	token := b.cookie("__session")

	app := func(parties ...string) http.Handler {
		return clerkhttp.WithHeaderAuthorization(
			clerkhttp.JWKSClient(clerkjwks.NewClient(clerkConfig(p))),
			// The SDK takes only Clerk's issuers unless told the
			// instance's own: the portal's base URL.
			clerkhttp.ProxyURL(p.URL),
			clerkhttp.AuthorizedPartyMatches(parties...),
			clerkhttp.AuthorizationJWTExtractor(func(r *http.Request) string {
				if c, err := r.Cookie("__session"); err == nil {
					return c.Value
				}
				return ""
			}),
		)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			claims, ok := clerk.SessionClaimsFromContext(r.Context())
			if !ok {
				fmt.Fprint(w, "signed out")
				return
			}
			fmt.Fprintf(w, "%s %s %s %s", claims.Subject, claims.SessionID, claims.ActiveOrganizationID, claims.ActiveOrganizationRole)
		}))
	}
	get := func(h http.Handler, cookie string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, appURL, nil)
		if cookie != "" {
			req.AddCookie(&http.Cookie{Name: "__session", Value: cookie})
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}

	ours := app(appOrigin)
	want := fmt.Sprintf("%s %s %s %s", org.Subject, org.SID, org.OrgID, "org:admin")
	if w := get(ours, token); w.Code != http.StatusOK || w.Body.String() != want {
		t.Errorf("the app's own token: %d %q, want 200 %q", w.Code, w.Body, want)
	}
	if w := get(app("https://other.example.com"), token); w.Code != http.StatusUnauthorized {
		t.Errorf("another app's server: %d %q, want 401", w.Code, w.Body)
	}
	if w := get(ours, ""); w.Code != http.StatusOK || w.Body.String() != "signed out" {
		t.Errorf("no token: %d %q, want the handler without claims", w.Code, w.Body)
	}
}
