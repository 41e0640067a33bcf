package browser

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// TestSPAFetchRefreshesTheToken runs the README's script for a
// single-page app, as written, in Chromium: the page calls its own API
// with fetch(); while __session is good the cookie is enough; once it has
// expired the API's 401 names the session, the script asks the portal's
// token endpoint (cross-origin, with the __client cookie) for a fresh
// token and the call goes through with it as Bearer; once the session has
// been revoked the portal refuses, and the page goes to sign in.
func TestSPAFetchRefreshesTheToken(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("browser test: `make unit` (-short) leaves it out; `make test` runs it")
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	script, _, ok := strings.Cut(after(t, string(readme), "res.status(401).json({ sid: e.payload.sid });` (`jose` throws `JWTExpired` only once the\n  signature and `iss` have checked out). The page's side:\n\n```js\n"), "```\n")
	if !ok {
		t.Fatal("README: the single-page app's script has no end")
	}

	clock := clockwork.NewFakeClockAt(time.Now())
	b := openTab(t, testTimeout)
	p := portaltest.Start(t, portaltest.Options{Clock: clock})
	app := startSPA(t, p.URL, clock.Now, strings.ReplaceAll(script, "https://accounts.example.com", p.URL))
	w := &world{t: t, p: p, app: app.relyingApp, b: b}
	userID := w.signUp()

	b.open(app.origin + "/spa")
	call := func(step string) string {
		t.Helper()
		ctx, cancel := b.bounded()
		defer cancel()
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](
			`api('/api/me').then(async r => r.status + ' ' + await r.text())`, chromedp.EvalAwaitPromise))
		if err != nil {
			b.fatalf("%s: %v", step, err)
		}
		return got
	}
	if got, want := call("call the API with a good cookie"), "200 cookie "+userID; got != want {
		b.fatalf("with a good __session the API answered %q, want %q", got, want)
	}

	clock.Advance(p.Config.SessionTokenTTL + tokenLeeway + time.Second)
	if got, want := call("call the API once the cookie's token has expired"), "200 bearer "+userID; got != want {
		b.fatalf("after the token expired the API answered %q, want %q (a fresh token from the portal)", got, want)
	}
	if got, want := call("call the API again"), "200 bearer "+userID; got != want {
		b.fatalf("the next call answered %q, want %q with the token the script kept", got, want)
	}

	app.mu.Lock()
	sid := app.lastSID
	app.mu.Unlock()
	req, err := http.NewRequest(http.MethodPost, p.URL+"/v1/sessions/"+sid+"/revoke", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+p.SecretKey)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("revoke %s: %d", sid, res.StatusCode)
	}
	clock.Advance(p.Config.SessionTokenTTL + tokenLeeway + time.Second)
	b.load("call the API after the session was revoked", chromedp.Evaluate[chromedp.Void](`api('/api/me'); 0`))
	w.expectIdentifierPage()
	if u := b.url(); !strings.HasSuffix(u, "?redirect_url="+url.QueryEscape(app.origin+"/spa")) {
		b.fatalf("sign-in at %s, want redirect_url back to the app's page", u)
	}
}

// after returns what follows start in s, or fails.
func after(t *testing.T, s, start string) string {
	t.Helper()
	_, rest, ok := strings.Cut(s, start)
	if !ok {
		t.Fatalf("README has no %q", start)
	}
	return rest
}

// spaApp is the relying app of the other browser tests (its "/" signs a
// person in) with a single-page app beside it: /spa, a page whose script
// is the README's, and /api/me, an API that takes the session token from
// Authorization: Bearer or else __session and answers 401 naming the
// session of an expired token of its own, as the README tells it to.
type spaApp struct {
	*relyingApp
	script string

	mu      sync.Mutex
	lastSID string // of the last token the API accepted
}

func startSPA(t *testing.T, portalURL string, now func() time.Time, script string) *spaApp {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	origin := fmt.Sprintf("http://localhost:%d", l.Addr().(*net.TCPAddr).Port)
	a := &spaApp{relyingApp: &relyingApp{URL: origin + "/", origin: origin, portal: portalURL,
		client: &http.Client{Timeout: 5 * time.Second}, now: now}, script: script}
	srv := &http.Server{Handler: a, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return a
}

func (a *spaApp) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/spa":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>SPA</title></head>"+
			"<body><h1>SPA</h1><script>\n%s</script></body></html>", a.script)
	case "/api/me":
		a.me(w, r)
	default:
		a.relyingApp.ServeHTTP(w, r)
	}
}

func (a *spaApp) me(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	raw, via := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "), "bearer"
	if raw == "" {
		via = "cookie"
		if ck, err := r.Cookie("__session"); err == nil {
			raw = ck.Value
		}
	}
	claims, extra, err := a.verifyAll(r.Context(), raw)
	switch {
	case err == nil:
		a.mu.Lock()
		a.lastSID = extra.SessionID
		a.mu.Unlock()
		fmt.Fprintf(w, "%s %s", via, claims.Subject)
	case errors.Is(err, jwt.ErrExpired):
		w.WriteHeader(http.StatusUnauthorized)
		_ = json.NewEncoder(w).Encode(map[string]string{"sid": a.expiredSID(r.Context(), raw)})
	default:
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, "{}")
	}
}

// expiredSID is the sid of a token verifyAll found expired: its signature
// and issuer checked out; it must name this app.
func (a *spaApp) expiredSID(ctx context.Context, raw string) string {
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return ""
	}
	keys, err := a.jwks(ctx)
	if err != nil {
		return ""
	}
	found := keys.Key(tok.Headers[0].KeyID)
	var extra appClaims
	if len(found) != 1 || tok.Claims(found[0].Public(), &extra) != nil || extra.AuthorizedParty != a.origin {
		return ""
	}
	return extra.SessionID
}
