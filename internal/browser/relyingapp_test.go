package browser

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// relyingApp is the smallest app that uses the portal the way the contract
// tells apps to: it trusts nothing but a __session token whose signature
// checks out against the portal's JWKS. It knows only the portal's base URL,
// and verifies with a general JOSE library rather than the portal's own
// code, so a token that only the portal could read would fail here.
type relyingApp struct {
	URL    string // the page a person opens, and the redirect target
	origin string // what azp must say
	portal string // base URL of the portal, which is also the issuer
	client *http.Client
	now    func() time.Time
}

// tokenLeeway absorbs clock skew between portal and app (REQ-JWT-04); the
// portal already backdates nbf, so a few seconds is plenty.
const tokenLeeway = 5 * time.Second

var errNoToken = errors.New("no __session cookie")

// startRelyingApp serves the app on a loopback port, addressed as localhost
// so that the browser sends it the portal's host-only cookies (cookies
// ignore the port).
// now is the app's clock, shared with the portal's in tests that move time.
func startRelyingApp(t *testing.T, portalURL string, now func() time.Time) *relyingApp {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	origin := fmt.Sprintf("http://localhost:%d", l.Addr().(*net.TCPAddr).Port)
	a := &relyingApp{URL: origin + "/", origin: origin, portal: portalURL,
		client: &http.Client{Timeout: 5 * time.Second}, now: now}
	srv := &http.Server{Handler: a, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return a
}

func (a *relyingApp) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	here := a.origin + r.URL.RequestURI()
	var raw string
	if ck, err := r.Cookie("__session"); err == nil {
		raw = ck.Value
	}
	claims, extra, err := a.verifyAll(r.Context(), raw)
	switch {
	case err == nil:
		a.render(w, http.StatusOK, appPage{UserID: claims.Subject, OrgID: extra.OrgID, OrgRole: extra.OrgRole,
			Actor: actorSub(extra.Actor), AccountURL: a.portal + "/user?redirect_url=" + url.QueryEscape(here)})
	case errors.Is(err, errNoToken) || errors.Is(err, jwt.ErrExpired):
		// __client_uat=0 means the portal said "signed out"; anything else
		// (including no cookie yet) means only the portal knows, so ask it.
		// The portal always answers with __client_uat set, so this cannot loop.
		if ck, _ := r.Cookie("__client_uat"); ck == nil || ck.Value != "0" {
			http.Redirect(w, r, a.portal+"/v1/client/handshake?redirect_url="+url.QueryEscape(here), http.StatusFound)
			return
		}
		a.render(w, http.StatusOK, appPage{SignInURL: a.portal + "/sign-in?redirect_url=" + url.QueryEscape(here)})
	default:
		a.render(w, http.StatusUnauthorized, appPage{Rejected: err.Error()})
	}
}

// actorSub is the sub of an act claim, "" without one.
func actorSub(act map[string]any) string {
	sub, _ := act["sub"].(string)
	return sub
}

// appClaims are the claims the app reads besides the registered ones.
type appClaims struct {
	AuthorizedParty string `json:"azp"`
	SessionID       string `json:"sid"`
	OrgID           string `json:"org_id"`
	OrgRole         string `json:"org_role"`
	// Actor is the act claim of an impersonation session.
	Actor map[string]any `json:"act"`
}

// verify checks the session token as the contract asks of every app:
// RS256 only (REQ-JWT-02), key chosen by kid from the portal's JWKS and
// never from the token (REQ-JWT-03), typ JWT (REQ-JWT-05), signature before
// claims (REQ-JWT-01), iss, exp and nbf (REQ-JWT-04), and azp naming this
// app (REQ-JWT-06).
func (a *relyingApp) verify(ctx context.Context, raw string) (*jwt.Claims, error) {
	c, _, err := a.verifyAll(ctx, raw)
	return c, err
}

// verifyAll is verify that also returns the portal's own claims.
func (a *relyingApp) verifyAll(ctx context.Context, raw string) (*jwt.Claims, *appClaims, error) {
	if raw == "" {
		return nil, nil, errNoToken
	}
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return nil, nil, fmt.Errorf("parse: %w", err)
	}
	if len(tok.Headers) != 1 || tok.Headers[0].KeyID == "" {
		return nil, nil, errors.New("want one signature with a kid")
	}
	if typ, _ := tok.Headers[0].ExtraHeaders[jose.HeaderType].(string); typ != "JWT" { // REQ-JWT-05
		return nil, nil, fmt.Errorf("typ %q is not a session token", typ)
	}
	keys, err := a.jwks(ctx)
	if err != nil {
		return nil, nil, err
	}
	found := keys.Key(tok.Headers[0].KeyID)
	if len(found) != 1 {
		return nil, nil, fmt.Errorf("kid %q is not in the JWKS", tok.Headers[0].KeyID)
	}
	var std jwt.Claims
	var extra appClaims
	if err := tok.Claims(found[0].Public(), &std, &extra); err != nil {
		return nil, nil, fmt.Errorf("signature: %w", err)
	}
	if std.Expiry == nil || std.NotBefore == nil {
		return nil, nil, errors.New("exp and nbf are required")
	}
	if err := std.ValidateWithLeeway(jwt.Expected{Issuer: a.portal, Time: a.now()}, tokenLeeway); err != nil {
		return nil, nil, err
	}
	if extra.AuthorizedParty != a.origin {
		return nil, nil, fmt.Errorf("azp %q is not this app (%s)", extra.AuthorizedParty, a.origin)
	}
	if !strings.HasPrefix(std.Subject, "user_") || !strings.HasPrefix(extra.SessionID, "sess_") {
		return nil, nil, fmt.Errorf("unexpected sub %q / sid %q", std.Subject, extra.SessionID)
	}
	return &std, &extra, nil
}

// jwks fetches the key set on every request: a real app caches it and
// refetches on an unknown kid, which matters for speed, not for the test.
func (a *relyingApp) jwks(ctx context.Context) (*jose.JSONWebKeySet, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.portal+"/.well-known/jwks.json", nil)
	if err != nil {
		return nil, err
	}
	res, err := a.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("jwks: status %d", res.StatusCode)
	}
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(res.Body).Decode(&set); err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	return &set, nil
}

type appPage struct {
	UserID     string
	OrgID      string
	OrgRole    string
	Actor      string // who acts for the user, in an impersonation session
	SignInURL  string
	Rejected   string
	AccountURL string // the portal's account page, coming back here
}

// The script only reports whether scripts run, so a test can tell that
// JavaScript really was off.
var appTemplate = template.Must(template.New("app").Parse(`<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Relying app</title></head>
<body>
<h1>Relying app</h1>
{{if .UserID}}<p id="signed-in">Signed in as <code id="user-id">{{.UserID}}</code></p>
<p><a id="account" href="{{.AccountURL}}">Manage account</a></p>
{{if .Actor}}<p id="actor">Impersonated by <code>{{.Actor}}</code></p>{{end}}
<p id="organization">{{if .OrgID}}Organization <code id="org-id">{{.OrgID}}</code> as <code id="org-role">{{.OrgRole}}</code>{{else}}Personal account{{end}}</p>
{{else if .Rejected}}<p id="rejected">Session rejected: {{.Rejected}}</p>
{{else}}<p id="signed-out">You are signed out.</p>
<p><a id="sign-in" href="{{.SignInURL}}">Sign in</a></p>
{{end}}<p id="js">JavaScript off</p>
<script>document.getElementById("js").textContent = "JavaScript on";</script>
</body>
</html>`))

func (a *relyingApp) render(w http.ResponseWriter, status int, p appPage) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_ = appTemplate.Execute(w, p)
}
