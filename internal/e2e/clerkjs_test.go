package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/config"
	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// clerkModules is a node_modules holding Clerk's Node.js SDKs (the
// versions the Makefile's CLERK_NPM names, installed by `make deps` from
// the npm registry; not kept here): PORTAL_TEST_CLERK_MODULES, else where
// `make deps` puts them. Missing, or without Node.js, the test fails: a
// skipped check of the SDK would read as a passing one.
func clerkModules(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("PORTAL_TEST_CLERK_MODULES")
	if dir == "" {
		if cache, err := os.UserCacheDir(); err == nil {
			dir = filepath.Join(cache, "portal-test", "clerk-js", "node_modules")
		}
	}
	for _, pkg := range []string{"@clerk/backend", "@clerk/express", "express"} {
		if _, err := os.Stat(filepath.Join(dir, pkg, "package.json")); err != nil {
			t.Fatalf("%s is needed for this test and was not found (%v): run `make deps`, which installs Clerk's SDKs "+
				"from the npm registry, or set PORTAL_TEST_CLERK_MODULES=/path/to/node_modules", pkg, err)
		}
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatalf("Node.js 20 or later is needed to run Clerk's SDKs: %v", err)
	}
	return dir
}

// clerkState is what authenticateRequest decided for one request.
type clerkState struct {
	Status    string `json:"status"`
	Reason    string `json:"reason"`
	UserID    string `json:"userId"`
	SessionID string `json:"sessionId"`
	OrgID     string `json:"orgId"`
	OrgRole   string `json:"orgRole"`
	// CanManageMembers is the SDK's has({permission:
	// "org:sys_memberships:manage"}).
	CanManageMembers bool   `json:"canManageMembers"`
	Location         string `json:"location"`
	SignIn           string `json:"signIn"`
}

type clerkRequest struct {
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
}

// authenticate runs Clerk's authenticateRequest on reqs as an app's
// server set up for the portal does: the portal's publishable key, the
// secret key with the portal as apiUrl (for the JWKS), the portal as
// proxyUrl (it is served over http here), and the app's origins.
func authenticate(t *testing.T, modules string, p *portaltest.Portal, parties []string, reqs ...clerkRequest) []clerkState {
	t.Helper()
	return authenticateWith(t, modules, p, map[string]any{"authorizedParties": parties}, reqs...)
}

// authenticateWith is authenticate with more of authenticateRequest's
// options. proxyUrl is the portal's when it is served over http://, as
// the README says; over https:// the publishable key alone finds it (and
// Node.js trusts the test certificate).
func authenticateWith(t *testing.T, modules string, p *portaltest.Portal, options map[string]any, reqs ...clerkRequest) []clerkState {
	t.Helper()
	var env []string
	if strings.HasPrefix(p.URL, "http://") {
		options["proxyUrl"] = p.URL
	}
	if p.CertPEM != nil {
		ca := filepath.Join(t.TempDir(), "portal-ca.pem")
		if err := os.WriteFile(ca, p.CertPEM, 0o600); err != nil {
			t.Fatal(err)
		}
		env = append(env, "NODE_EXTRA_CA_CERTS="+ca)
	}
	pk := (&config.Config{BaseURL: p.URL}).PublishableKey()
	if pk == "" {
		t.Fatalf("no publishable key for %s", p.URL)
	}
	var states []clerkState
	runNode(t, "clerk_authenticate.cjs", map[string]any{
		"modules":  modules,
		"client":   map[string]any{"secretKey": p.SecretKey, "publishableKey": pk, "apiUrl": p.URL, "telemetry": map[string]any{"disabled": true}},
		"options":  options,
		"requests": reqs,
	}, &states, env...)
	if len(states) != len(reqs) {
		t.Fatalf("node answered %d states, want %d", len(states), len(reqs))
	}
	return states
}

// runNode runs testdata/script under Node.js with input, as JSON, on its
// stdin, and reads what it prints, JSON too, into out; env is added to the
// environment.
func runNode(t *testing.T, script string, input, out any, env ...string) {
	t.Helper()
	in, err := json.Marshal(input)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("node", filepath.Join("testdata", script))
	cmd.Stdin = bytes.NewReader(in)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	raw, err := cmd.Output()
	if err != nil {
		t.Fatalf("node %s: %v\n%s", script, err, stderr.String())
	}
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatalf("node %s answered %q: %v", script, raw, err)
	}
}

// appPage is a browser's request for a page of the app at target: the
// cookies b holds for it, as a navigation sends them.
func appPage(b *browser, target string) clerkRequest {
	u, _ := url.Parse(target)
	var cookies []string
	for _, c := range b.jar.Cookies(u) {
		cookies = append(cookies, c.Name+"="+c.Value)
	}
	return clerkRequest{URL: target, Headers: map[string]string{
		"cookie": strings.Join(cookies, "; "), "sec-fetch-dest": "document", "accept": "text/html"}}
}

// A relying app whose server uses Clerk's own SDK (@clerk/backend's
// authenticateRequest, which Clerk's framework middlewares are built on)
// works with the portal: it reads the portal's session token from the
// cookie or an Authorization header and verifies it with the JWKS the
// Backend API serves; an expired token sends the browser through the
// portal's handshake, which comes back with a fresh one; after sign-out
// the handshake clears the cookies and the SDK reads the person as signed
// out, with no loop. A token issued for another app is refused (azp). The
// active organization and role come through as the SDK's orgId and
// orgRole.
func TestClerkBackendAuthenticateRequest(t *testing.T) {
	modules := clerkModules(t)
	// Over http:// (development) the SDK reaches the portal through its
	// proxyUrl; over https://, as in production, the key alone finds it.
	for _, scheme := range []string{"http", "https"} {
		t.Run(scheme, func(t *testing.T) { authenticateRequestOver(t, modules, scheme) })
	}
}

func authenticateRequestOver(t *testing.T, modules, scheme string) {
	// The portal's clock runs ten minutes behind, so the token the
	// sign-up hands back has expired for the SDK, which keeps real time.
	clock := clockwork.NewFakeClockAt(time.Now().Add(-10 * time.Minute))
	p := portaltest.Start(t, portaltest.Options{Host: "127.0.0.1", Clock: clock, TLS: scheme == "https",
		Env: map[string]string{"PORTAL_ALLOWED_REDIRECT_ORIGINS": scheme + "://127.0.0.1:*"}})
	origin := scheme + "://127.0.0.1:3000"
	app := origin + "/dashboard"
	parties := []string{origin}
	b := newBrowser(t, p)
	wantHandBack(t, signUp(t, p, b, "ada@example.com", app), http.StatusSeeOther, app)

	st := authenticate(t, modules, p, parties, appPage(b, app))[0]
	handshake := p.URL + "/v1/client/handshake?redirect_url=" + url.QueryEscape(app) + "&"
	if st.Status != "handshake" || !strings.HasPrefix(st.Location, handshake) {
		t.Fatalf("an expired token: %+v, want a handshake through %s…", st, handshake)
	}

	clock.Advance(10 * time.Minute)
	back := b.getRaw(st.Location)
	token := wantHandBack(t, back, http.StatusTemporaryRedirect, app)
	var c claims
	if parsed, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.RS256}); err != nil || parsed.UnsafeClaimsWithoutVerification(&c) != nil {
		t.Fatalf("the handshake's token does not parse: %v", err)
	}

	bearer := clerkRequest{URL: "http://127.0.0.1:3000/api/me", Headers: map[string]string{"authorization": "Bearer " + token}}
	for i, st := range authenticate(t, modules, p, parties, appPage(b, app), bearer) {
		if st.Status != "signed-in" || st.UserID != c.Subject || st.SessionID != c.SID || st.CanManageMembers {
			t.Errorf("request %d with the fresh token: %+v, want signed in as %s in %s, no organization's permissions", i+1, st, c.Subject, c.SID)
		}
	}
	if st := authenticate(t, modules, p, []string{"http://127.0.0.1:9999"}, appPage(b, app))[0]; st.Status != "signed-out" {
		t.Errorf("another app's server: %+v, want signed out (the token's azp is this app)", st)
	}

	// With an organization active, the SDK reads it from the token.
	org := verifyOrg(t, p, wantHandBack(t, b.submit(b.get(withRedirect("/create-organization", app)), createOrgForm,
		map[string]string{"name": "Acme Rockets"}), http.StatusSeeOther, app))
	if st := authenticate(t, modules, p, parties, appPage(b, app))[0]; st.Status != "signed-in" || st.OrgID != org.OrgID ||
		st.OrgRole != "org:admin" || !st.CanManageMembers {
		t.Errorf("with %s active: %+v, want it as orgId with the role org:admin, allowed to manage members", org.OrgID, st)
	}

	uat := b.cookie("__client_uat")
	out := b.submit(b.get("/sign-out"), signOutForm, nil)
	if out.Status >= 400 {
		t.Fatalf("sign-out: %d\n%s", out.Status, out.text())
	}
	st = authenticate(t, modules, p, parties, appPage(b, app))[0]
	if st.Status != "signed-out" {
		t.Errorf("after sign-out: %+v, want signed out", st)
	}
	// Clerk's redirect-to-sign-in helper finds the portal's own sign-in
	// page from the key (over https://, which the SDK assumes), with
	// Clerk's redirect_url back to the page.
	if want := "https://" + mustParse(t, p.URL).Host + "/sign-in?redirect_url=" + url.QueryEscape(app); st.SignIn != want {
		t.Errorf("Clerk's redirectToSignIn: %q, want %q", st.SignIn, want)
	}
	// An app still holding the signed-in __client_uat but no token (its
	// cookies from before the sign-out, say) asks the portal, which
	// clears them; the SDK then reads signed out and sends no one round.
	stale := appPage(b, app)
	stale.Headers["cookie"] = "__client_uat=" + uat
	st = authenticate(t, modules, p, parties, stale)[0]
	if st.Status != "handshake" || !strings.HasPrefix(st.Location, handshake) {
		t.Fatalf("a stale __client_uat: %+v, want a handshake", st)
	}
	if back := b.getRaw(st.Location); back.Status != http.StatusTemporaryRedirect || back.Header.Get("Location") != app {
		t.Fatalf("the handshake of a signed-out browser: %d to %q, want 307 to %s", back.Status, back.Header.Get("Location"), app)
	}
	if st := authenticate(t, modules, p, parties, appPage(b, app))[0]; st.Status != "signed-out" {
		t.Errorf("after the signed-out handshake: %+v, want signed out", st)
	}
}

// Clerk's organization sync (authenticateRequest's organizationSyncOptions)
// works through the portal's handshake: on a page of the app whose path
// names an organization other than the active one, the SDK sends the
// browser through the handshake with organization_id set to the path's
// slug, and the portal makes that organization active and hands back a
// token naming it; a personal-account path makes none active. A slug the
// person is not a member of leaves the active one as it was (REQ-AC-02).
func TestClerkBackendOrganizationSync(t *testing.T) {
	modules := clerkModules(t)
	p := portaltest.Start(t, portaltest.Options{Host: "127.0.0.1",
		Env: map[string]string{"PORTAL_ALLOWED_REDIRECT_ORIGINS": "http://127.0.0.1:*"}})
	const app = "http://127.0.0.1:3000"
	b := newBrowser(t, p)
	wantHandBack(t, signUp(t, p, b, "ada@example.com", app+"/"), http.StatusSeeOther, app+"/")
	create := func(name string) orgClaims {
		return verifyOrg(t, p, wantHandBack(t, b.submit(b.get(withRedirect("/create-organization", app+"/")), createOrgForm,
			map[string]string{"name": name}), http.StatusSeeOther, app+"/"))
	}
	acme := create("Acme Rockets")
	beta := create("Beta")
	other := newBrowser(t, p)
	wantHandBack(t, signUp(t, p, other, "eve@example.com", app+"/"), http.StatusSeeOther, app+"/")
	evil := verifyOrg(t, p, wantHandBack(t, other.submit(other.get(withRedirect("/create-organization", app+"/")), createOrgForm,
		map[string]string{"name": "Evil"}), http.StatusSeeOther, app+"/"))

	options := func() map[string]any {
		return map[string]any{"authorizedParties": []string{app},
			"organizationSyncOptions": map[string]any{
				"organizationPatterns":    []string{"/orgs/:slug", "/orgs/:slug/(.*)"},
				"personalAccountPatterns": []string{"/me", "/me/(.*)"}}}
	}
	// visit loads path in the app: through the handshake when the SDK
	// asks for one, then what the SDK reads.
	visit := func(path string) clerkState {
		t.Helper()
		st := authenticateWith(t, modules, p, options(), appPage(b, app+path))[0]
		if st.Status != "handshake" {
			return st
		}
		if want := p.URL + "/v1/client/handshake?redirect_url=" + url.QueryEscape(app+path) + "&"; !strings.HasPrefix(st.Location, want) {
			t.Fatalf("%s: handshake through %q, want %s…", path, st.Location, want)
		}
		wantHandBack(t, b.getRaw(st.Location), http.StatusTemporaryRedirect, app+path)
		return authenticateWith(t, modules, p, options(), appPage(b, app+path))[0]
	}
	if st := visit("/orgs/beta/settings"); st.Status != "signed-in" || st.OrgID != beta.OrgID {
		t.Errorf("the active organization's page: %+v, want %s", st, beta.OrgID)
	}
	if st := visit("/orgs/acme-rockets/settings"); st.Status != "signed-in" || st.OrgID != acme.OrgID || st.OrgRole != "org:admin" {
		t.Errorf("another of the person's organizations: %+v, want %s made active", st, acme.OrgID)
	}
	if st := visit("/me"); st.Status != "signed-in" || st.OrgID != "" {
		t.Errorf("a personal-account page: %+v, want no organization active", st)
	}
	if st := visit("/orgs/acme-rockets"); st.OrgID != acme.OrgID {
		t.Errorf("back to Acme: %+v", st)
	}
	// Someone else's organization: the SDK asks, and the portal's token
	// keeps the active one. (The SDK, still seeing a mismatch, would ask
	// again until its own loop guard, a cookie of the app's, stops it.)
	st := authenticateWith(t, modules, p, options(), appPage(b, app+"/orgs/"+evil.OrgSlug))[0]
	if st.Status != "handshake" || !strings.Contains(st.Location, "&organization_id="+evil.OrgSlug) {
		t.Fatalf("someone else's organization: %+v, want a handshake naming it", st)
	}
	kept := verifyOrg(t, p, wantHandBack(t, b.getRaw(st.Location), http.StatusTemporaryRedirect, app+"/orgs/"+evil.OrgSlug))
	if kept.OrgID != acme.OrgID {
		t.Errorf("the handshake for someone else's organization: org_id %q, want %s still active", kept.OrgID, acme.OrgID)
	}
}
