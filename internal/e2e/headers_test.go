package e2e

import (
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/portalhq/portal/handlers"
	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// cacheable are the routes allowed to answer with something other than
// Cache-Control: no-store, because what they serve is the same for
// everyone or named by an unguessable, immutable URL (REQ-HDR-06).
var cacheable = map[string]bool{
	"/static/*":                   true,
	"/.well-known/jwks.json":      true,
	"/theme.css":                  true,
	"/theme-custom.css":           true,
	"/theme-logo":                 true,
	"/images/:file":               true, // public by design, as Clerk's image URLs
	"/organizations/:org_id/logo": true, // private, to members
}

var routeParam = regexp.MustCompile(`:[a-z_]+`)

// wantSecurityHeaders checks one answer of the portal against REQ-HDR-02
// and REQ-HDR-06: nosniff and a Referrer-Policy everywhere, HSTS for a year
// with subdomains in production only, COOP on documents, a charset on every
// text body (the JSON of the APIs has none: RFC 8259 defines no charset
// parameter, and Clerk's SDK compares the string, DESIGN "Backend API"), and
// no-store on everything but the few cacheable routes.
func wantSecurityHeaders(t *testing.T, what, route string, production bool, status int, h http.Header, body string) {
	t.Helper()
	if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("%s (%d): X-Content-Type-Options %q, want nosniff", what, status, got)
	}
	switch rp := h.Get("Referrer-Policy"); rp {
	case "strict-origin-when-cross-origin", "no-referrer":
	default:
		t.Errorf("%s (%d): Referrer-Policy %q", what, status, rp)
	}
	hsts := h.Get("Strict-Transport-Security")
	if production && hsts != "max-age=31536000; includeSubDomains" {
		t.Errorf("%s (%d): HSTS %q in production, want a year with subdomains", what, status, hsts)
	}
	if !production && hsts != "" {
		t.Errorf("%s (%d): HSTS %q in development", what, status, hsts)
	}
	ct := h.Get("Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	switch {
	case body == "" && ct == "":
	case err != nil:
		t.Errorf("%s (%d): Content-Type %q: %v", what, status, ct, err)
	case strings.HasPrefix(mt, "text/") || strings.HasSuffix(mt, "+xml") || strings.HasSuffix(mt, "/xml") ||
		mt == "application/javascript":
		if !strings.EqualFold(params["charset"], "utf-8") {
			t.Errorf("%s (%d): Content-Type %q, want charset=utf-8", what, status, ct)
		}
	case mt == "application/json":
		if strings.HasPrefix(route, "/v1/") && ct != "application/json" && !strings.HasPrefix(route, "/v1/client/") {
			t.Errorf("%s (%d): Content-Type %q, want application/json exactly", what, status, ct)
		}
	case strings.HasPrefix(mt, "image/"): // binary: no charset
	default:
		t.Errorf("%s (%d): Content-Type %q is neither text with a charset, JSON nor an image", what, status, ct)
	}
	if mt == "text/html" && h.Get("Cross-Origin-Opener-Policy") != "same-origin" {
		t.Errorf("%s (%d): a document without COOP same-origin", what, status)
	}
	if cc := h.Get("Cache-Control"); !cacheable[route] && cc != "no-store" {
		t.Errorf("%s (%d): Cache-Control %q, want no-store", what, status, cc)
	}
}

// REQ-HDR-02, REQ-HDR-06: every route of the route table, GET as a signed-in
// member of an organization and as a stranger, every other method without
// a session, the Backend API with its key, static files and the error pages
// (404, 405, 413, a refused cross-site POST) carry the headers, in
// development and in production. A new route is in the sweep by being in
// handlers.Routes.
func TestEveryAnswerCarriesItsHeaders_REQ_HDR_02_REQ_HDR_06(t *testing.T) {
	for _, production := range []bool{false, true} {
		name := "development"
		env := map[string]string{"PORTAL_MAX_BODY_BYTES": "64KiB"}
		if production {
			name = "production"
			env = map[string]string{"PORTAL_MAX_BODY_BYTES": "64KiB",
				"PORTAL_ENV": "production", "PORTAL_SECRET_KEY": "sk_test_" + strings.Repeat("k", 40),
				"PORTAL_COOKIE_SECRET": strings.Repeat("c", 40), "PORTAL_SMTP_URL": "smtp://localhost:2525"}
		}
		t.Run(name, func(t *testing.T) {
			p := portaltest.Start(t, portaltest.Options{TLS: production, Env: env})
			member := newBrowser(t, p)
			c, _ := verify(t, p, wantHandBack(t, signUp(t, p, member, "ada@example.com", appURL), http.StatusSeeOther, appURL))
			var org struct {
				ID string `json:"id"`
			}
			if r := api(t, p, http.MethodPost, "/v1/organizations", map[string]any{"name": "Acme", "created_by": c.Subject}, &org); r.Status != http.StatusOK {
				t.Fatalf("create org: %d %s", r.Status, r.Body)
			}
			fill := func(path string) string {
				path = strings.ReplaceAll(path, ":org_id", org.ID)
				path = strings.ReplaceAll(path, ":id", c.Subject) // a user's, where a route takes one
				return routeParam.ReplaceAllString(path, "x")
			}
			check := func(b *browser, what, route string, req *http.Request) {
				t.Helper()
				pg := b.send(req)
				wantSecurityHeaders(t, what, route, production, pg.Status, pg.Header, pg.Body)
			}
			stranger := newBrowser(t, p)
			for _, r := range handlers.Routes() {
				path := fill(r.Path)
				switch {
				case r.API:
					req := member.request(r.Method, path, nil)
					req.Header.Set("Authorization", "Bearer "+p.SecretKey)
					if r.Method != http.MethodGet {
						req = member.request(r.Method, path, url.Values{})
						req.Header.Set("Authorization", "Bearer "+p.SecretKey)
						req.Header.Set("Content-Type", "application/json")
					}
					if r.Method == http.MethodDelete || strings.Contains(r.Path, "/users/:id") && r.Method != http.MethodGet {
						continue // keep Ada for the pages below; the GETs show the API's headers
					}
					check(member, r.Method+" "+path+" (API)", r.Path, req)
				case r.Method == http.MethodGet || r.Method == http.MethodHead:
					check(member, r.Method+" "+path+" (member)", r.Path, member.request(r.Method, path, nil))
					check(stranger, r.Method+" "+path+" (stranger)", r.Path, stranger.request(r.Method, path, nil))
				default: // with the CSRF token, so that the handler answers
					check(stranger, r.Method+" "+path+" (stranger)", r.Path, stranger.request(r.Method, path, url.Values{"_csrf": {stranger.csrf()}}))
				}
			}

			for _, f := range []string{"portal.css", "wait.js", "passkeys.js", "favicon.svg", "nothing-here.css"} {
				check(stranger, "GET /static/"+f, "/static/*", stranger.request(http.MethodGet, "/static/"+f, nil))
			}
			check(stranger, "GET /nowhere", "/nowhere", stranger.request(http.MethodGet, "/nowhere", nil))
			check(stranger, "DELETE /sign-in", "/sign-in", stranger.request(http.MethodDelete, "/sign-in", nil))
			big := stranger.request(http.MethodPost, "/sign-in", url.Values{"identifier": {strings.Repeat("a", 70<<10)}})
			check(stranger, "POST /sign-in too large", "/sign-in", big)
			forged := stranger.request(http.MethodPost, "/sign-in", url.Values{"identifier": {"ada@example.com"}})
			forged.Header.Set("Origin", "https://evil.example")
			check(stranger, "POST /sign-in cross-site", "/sign-in", forged)
		})
	}
}
