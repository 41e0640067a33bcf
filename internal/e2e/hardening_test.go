package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/portalhq/portal/handlers"
	"github.com/portalhq/portal/internal/admin"
	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// REQ-SES-07: a session only ever starts from something the person did on
// the portal (a POST carrying the CSRF token, REQ-SES-08). Fetching any
// page of the route table — with junk tickets, tokens and codes, as a
// cross-site link or an image tag would — signs nobody in: no session in
// the store, no __session cookie. Routes added later are covered.
func TestNoGETSignsAnyoneIn_REQ_SES_07(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	if r := api(t, p, http.MethodPost, "/v1/users", map[string]any{"email_address": []string{"ada@example.com"},
		"password": goodPassword}, nil); r.Status != http.StatusOK {
		t.Fatalf("Backend API create: %d %s", r.Status, r.Body)
	}
	junk := url.Values{"ticket": {"x"}, "token": {"x"}, "code": {"123456"}, "__clerk_ticket": {"x"},
		"identifier": {"ada@example.com"}, "redirect_url": {appURL}, "state": {"x"}}.Encode()
	n := 0
	for _, r := range handlers.Routes() {
		if r.Method != http.MethodGet || r.API {
			continue
		}
		n++
		b := newBrowser(t, p)
		path := pathParam.ReplaceAllString(r.Path, "x")
		for _, target := range []string{path, path + "?" + junk} {
			pg := b.getRaw(target)
			if sc := pg.setCookie("__session"); sc != nil && sc.Value != "" {
				t.Errorf("GET %s set a session token", target)
			}
			if pg.Status >= 500 {
				t.Errorf("GET %s: %d", target, pg.Status)
			}
		}
	}
	if n < 10 {
		t.Fatalf("only %d GET routes in the table: is handlers.Routes() still the table?", n)
	}
	if got, err := p.Store.Q.CountSessions(context.Background(), admin.SessionFilter{}); err != nil || got != 0 {
		t.Errorf("%d sessions after fetching every page, %v; want none", got, err)
	}
}

// REQ-HDR-07: no TRACE, no directory listings, no debug endpoints and no
// version banners.
func TestNoTraceListingDebugOrBanner_REQ_HDR_07(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	do := func(method, path string) (*http.Response, string) {
		t.Helper()
		req, err := http.NewRequest(method, p.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, string(body)
	}
	// TRACE is refused like any unsafe request without the CSRF token, and
	// nothing of the request comes back.
	if resp, body := do("TRACE", "/sign-in"); resp.StatusCode < 400 || strings.Contains(body, "TRACE") ||
		strings.Contains(body, "Go-http-client") {
		t.Errorf("TRACE /sign-in: %d %q; want a refusal echoing nothing", resp.StatusCode, body)
	}
	// No route answers CONNECT with a 2xx (.ci/vulncheck.accepted relies
	// on it for GO-2026-6613).
	conn, err := net.Dial("tcp", strings.TrimPrefix(p.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n")
	if resp, err := http.ReadResponse(bufio.NewReader(conn), nil); err != nil || resp.StatusCode < 400 {
		t.Errorf("CONNECT: %v, %v; want a refusal", resp, err)
	}
	for _, path := range []string{"/static/", "/static", "/themes/", "/debug/pprof/", "/debug/vars", "/metrics",
		"/.git/config", "/.env", "/static/../go.mod"} {
		resp, body := do(http.MethodGet, path)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, resp.StatusCode)
		}
		for _, leak := range []string{"Index of", `href="portal.css"`, "<pre>", "goroutine", "cmdline", "module github.com"} {
			if strings.Contains(body, leak) {
				t.Errorf("GET %s shows %q:\n%s", path, leak, body)
			}
		}
	}
	for _, path := range []string{"/sign-in", "/nowhere", "/static/portal.css", "/v1/users"} {
		resp, body := do(http.MethodGet, path)
		for _, h := range []string{"Server", "X-Powered-By", "X-AspNet-Version", "Via"} {
			if v := resp.Header.Get(h); v != "" {
				t.Errorf("GET %s answers %s: %s", path, h, v)
			}
		}
		for _, banner := range []string{"echo", "Echo", "go1.", "labstack"} {
			if strings.Contains(body, banner) {
				t.Errorf("GET %s: the body names %q", path, banner)
			}
		}
	}
}

// REQ-IN-02: every value reaches SQL as a parameter and ORDER BY columns
// come from allowlists, so hostile list parameters of the Backend API are
// data: quotes match nothing, LIKE's wildcards match themselves, and an
// order_by that is not a column is refused before any query.
func TestHostileListParametersAreData_REQ_IN_02(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	for _, u := range []map[string]any{
		{"email_address": []string{"ada@example.com"}, "first_name": "Ada"},
		{"email_address": []string{"pct@example.com"}, "first_name": "100%_sure"},
		{"email_address": []string{"quote@example.com"}, "first_name": "O'Brien"},
	} {
		if r := api(t, p, http.MethodPost, "/v1/users", u, nil); r.Status != http.StatusOK {
			t.Fatalf("create %v: %d %s", u, r.Status, r.Body)
		}
	}
	api(t, p, http.MethodPost, "/v1/invitations", map[string]any{"email_address": "bob@example.com", "notify": false}, nil)
	count := func(path string) int {
		t.Helper()
		var list []map[string]any
		if r := api(t, p, http.MethodGet, path, nil, &list); r.Status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, r.Status, r.Body)
		}
		return len(list)
	}
	for q, want := range map[string]int{
		"' OR '1'='1": 0, "\" OR 1=1 --": 0, "'; DROP TABLE users; --": 0,
		"%": 1, "%_": 1, "0%_s": 1, "O'Brien": 1, `\`: 0, // (every ID has a "_")
	} {
		if got := count("/v1/users?query=" + url.QueryEscape(q)); got != want {
			t.Errorf("GET /v1/users?query=%s: %d users, want %d", q, got, want)
		}
		if got := count("/v1/invitations?query=" + url.QueryEscape(q)); got != 0 {
			t.Errorf("GET /v1/invitations?query=%s: %d invitations, want 0", q, got)
		}
	}
	for _, path := range []string{"/v1/users", "/v1/invitations", "/v1/organizations"} {
		for _, order := range []string{"created_at;DROP TABLE users", "(SELECT 1)", "id", "-email_address,1"} {
			r := api(t, p, http.MethodGet, path+"?order_by="+url.QueryEscape(order), nil, nil)
			if r.Status != http.StatusUnprocessableEntity {
				t.Errorf("GET %s?order_by=%s: %d, want 422", path, order, r.Status)
			}
		}
	}
	if got := count("/v1/users"); got != 3 {
		t.Errorf("%d users after it all, want 3", got)
	}
}

// REQ-PW-10: a new instance has no account at all — nothing to sign in
// with until someone signs up or the operator creates one.
func TestNoAccountShipsEnabled_REQ_PW_10(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	var n struct {
		TotalCount int `json:"total_count"`
	}
	if r := api(t, p, http.MethodGet, "/v1/users/count", nil, &n); r.Status != http.StatusOK || n.TotalCount != 0 {
		t.Errorf("GET /v1/users/count on a new instance: %d, %d users; want none", r.Status, n.TotalCount)
	}
	for _, who := range []string{"admin", "admin@example.com", "root", "test@example.com"} {
		b := newBrowser(t, p)
		pg := b.submit(b.get("/sign-in"), signInForm, map[string]string{"identifier": who})
		if pg.Status == http.StatusOK && pg.Doc.Find(passwordForm).Length() > 0 {
			pg = b.submit(pg, passwordForm, map[string]string{"password": who})
		}
		if sc := pg.setCookie("__session"); sc != nil && sc.Value != "" {
			t.Errorf("signed in as %q on a new instance", who)
		}
	}
}

// REQ-OA-08 concerns portals that hand relying apps a code to exchange.
// Portal issues none: the hand-back is the 303 to the app's own URL,
// unchanged (no code, token or state added to it), with the session in
// cookies, so there is no code to replay, leak in a Referer or misdirect.
func TestHandBackCarriesNoCode_REQ_OA_08(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	target := appURL + "&extra=1"
	done := signUp(t, p, newBrowser(t, p), "ada@example.com", target)
	if loc := done.Header.Get("Location"); done.Status != http.StatusSeeOther || loc != target {
		t.Fatalf("hand-back: %d to %q, want 303 to exactly %q", done.Status, loc, target)
	}
	u, _ := url.Parse(done.Header.Get("Location"))
	for _, k := range []string{"code", "token", "__clerk_handshake", "__session", "ticket"} {
		if u.Query().Has(k) {
			t.Errorf("hand-back URL carries %s", k)
		}
	}
}
