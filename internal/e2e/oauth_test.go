package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/testutil/oidctest"
	"github.com/portalhq/portal/internal/testutil/portaltest"
	"github.com/portalhq/portal/internal/user"
)

// corp is the generic OpenID provider most tests configure.
const (
	corp        = "oidc_corp"
	corpDisplay = "Corp SSO"
)

// withOIDC adds op to env as the generic OpenID provider "oidc_"+name.
func withOIDC(env map[string]string, name, display string, op *oidctest.Server) map[string]string {
	if env == nil {
		env = map[string]string{}
	}
	pre := "PORTAL_OIDC_" + strings.ToUpper(name) + "_"
	env[pre+"ISSUER"], env[pre+"CLIENT_ID"] = op.Issuer(), op.ClientID
	env[pre+"CLIENT_SECRET"], env[pre+"DISPLAY_NAME"] = op.ClientSecret, display
	return env
}

// startWithOIDC runs a portal with one generic OpenID provider, "corp",
// besides whatever opt configures.
func startWithOIDC(t *testing.T, opt portaltest.Options) (*portaltest.Portal, *oidctest.Server) {
	t.Helper()
	op := oidctest.Start(t)
	opt.Env = withOIDC(opt.Env, "corp", corpDisplay, op)
	return portaltest.Start(t, opt), op
}

// providerButton returns where the provider's button on pg leads.
func providerButton(t *testing.T, pg *page, provider string) string {
	t.Helper()
	href, ok := pg.Doc.Find(`a.cl-socialButtonsBlockButton__` + provider).Attr("href")
	if !ok {
		t.Fatalf("no %s button on %s (status %d):\n%s", provider, pg.URL, pg.Status, pg.text())
	}
	return href
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

// toCallback goes as far as the provider's answer without delivering it:
// it returns the callback URL the provider redirected to and the sealed
// pending cookie the portal set for it.
func toCallback(t *testing.T, b *browser, start string) (*url.URL, string) {
	t.Helper()
	pg := b.getRaw(start)
	pending := pg.setCookie("__oauth")
	if pg.Status != http.StatusSeeOther || pending == nil || pending.Value == "" {
		t.Fatalf("start %s: status %d, __oauth %v, want a 303 to the provider with the cookie:\n%s", start, pg.Status, pending, pg.text())
	}
	pg = b.send(b.request(http.MethodGet, pg.Header.Get("Location"), nil))
	if pg.Status != http.StatusFound {
		t.Fatalf("provider: status %d, want 302 back:\n%s", pg.Status, pg.Body)
	}
	return mustParse(t, pg.Header.Get("Location")), pending.Value
}

// tally counts what the portal ever created, read from its event outbox.
type tally struct{ users, sessions int }

func count(t *testing.T, p *portaltest.Portal) tally {
	t.Helper()
	evs, err := p.Store.Q.EventsAfter(context.Background(), 0, 100_000)
	if err != nil {
		t.Fatal(err)
	}
	var n tally
	for _, e := range evs {
		switch e.Type {
		case events.UserCreated:
			n.users++
		case events.SessionCreated:
			n.sessions++
		}
	}
	return n
}

// wantOAuthRefused checks that pg is a page refusing a provider sign-in with
// status and heading, and that nothing was given: no session token on the
// response and no user or session created since before.
func wantOAuthRefused(t *testing.T, p *portaltest.Portal, pg *page, before tally, status int, heading string) {
	t.Helper()
	if pg.Status != status {
		t.Errorf("status %d, want %d:\n%s", pg.Status, status, pg.text())
	}
	if got := strings.TrimSpace(pg.Doc.Find("h1").First().Text()); !strings.Contains(got, heading) {
		t.Errorf("heading %q, want it to say %q:\n%s", got, heading, pg.text())
	}
	if href, _ := pg.Doc.Find(`a[href^="/sign-in"]`).Attr("href"); href == "" {
		t.Errorf("the page offers no way back to sign in:\n%s", pg.text())
	}
	if c := pg.setCookie("__session"); c != nil && c.Value != "" {
		t.Errorf("a refused sign-in set __session")
	}
	if after := count(t, p); after != before {
		t.Errorf("refused, yet created users/sessions: before %+v, after %+v", before, after)
	}
}

// userByEmail returns the user with the address, failing the test if none.
func userByEmail(t *testing.T, p *portaltest.Portal, email string) *user.User {
	t.Helper()
	u, err := p.Store.Q.UserByIdentifier(context.Background(), user.Email, email)
	if err != nil {
		t.Fatalf("user %s: %v", email, err)
	}
	return u
}

// lastUserObject returns the user object of the newest event of type typ
// about userID.
func lastUserObject(t *testing.T, p *portaltest.Portal, userID, typ string) user.Object {
	t.Helper()
	evs, err := p.Store.Q.EventsOfObject(context.Background(), userID)
	if err != nil {
		t.Fatal(err)
	}
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Type == typ {
			var o user.Object
			if err := json.Unmarshal(evs[i].Data, &o); err != nil {
				t.Fatalf("%s event: %v", typ, err)
			}
			return o
		}
	}
	t.Fatalf("no %s event for %s", typ, userID)
	return user.Object{}
}

// hasExternal reports whether a user object lists the provider account.
func hasExternal(o user.Object, provider, subject string) bool {
	for _, x := range o.ExternalAccounts {
		if x.Provider == "oauth_"+provider && x.ProviderUserID == subject {
			return true
		}
	}
	return false
}

// The start of a provider sign-in sends the browser to the provider with a
// fresh state, a nonce and an S256 PKCE challenge (REQ-OA-01, REQ-OA-02),
// to the callback path of that provider only (REQ-OA-03), and binds them to
// the browser in a host-only, HttpOnly cookie limited to the callback
// (REQ-CK-06). A state given to the start is ignored (REQ-OA-01). The
// hand-back after the callback is a 303 (REQ-OA-07).
func TestOAuthSignUpThenSignIn(t *testing.T) {
	p, _ := startWithOIDC(t, portaltest.Options{})
	const app = "http://localhost:5173/dashboard"
	b := newBrowser(t, p)
	start := b.get(withRedirect("/sign-in", app))
	if !strings.Contains(start.text(), "Continue with "+corpDisplay) {
		t.Fatalf("no provider button on /sign-in:\n%s", start.text())
	}
	href := providerButton(t, start, corp)

	pg := b.getRaw(href + "&state=chosen-by-someone")
	auth := mustParse(t, pg.Header.Get("Location")).Query()
	if s := auth.Get("state"); len(s) < 40 || s == "chosen-by-someone" {
		t.Errorf("state %q: want a fresh random value", s)
	}
	if auth.Get("code_challenge_method") != "S256" || len(auth.Get("code_challenge")) != 43 || len(auth.Get("nonce")) < 40 {
		t.Errorf("authorization request lacks S256 PKCE or a nonce: %v", auth)
	}
	if got, want := auth.Get("redirect_uri"), p.URL+"/v1/oauth_callback/"+corp; got != want {
		t.Errorf("redirect_uri %q, want %q", got, want)
	}
	ck := pg.setCookie("__oauth")
	if ck == nil || !ck.HttpOnly || ck.Path != "/v1/oauth_callback/" || ck.Domain != "" ||
		ck.SameSite != http.SameSiteLaxMode || ck.MaxAge <= 0 || ck.MaxAge > 600 {
		t.Errorf("pending cookie %+v: want host-only, HttpOnly, Lax, the callback path and at most 10 minutes", ck)
	}

	wantHandBack(t, viaProvider(t, b, href), http.StatusSeeOther, app)
	u := userByEmail(t, p, "ada@example.com")
	if len(u.ExternalAccounts) != 1 || u.ExternalAccounts[0].Subject != "user-1" || u.PasswordHash != "" {
		t.Fatalf("new user: external accounts %+v, password set %v", u.ExternalAccounts, u.PasswordHash != "")
	}

	// Again, in another browser: the same user, not a second one.
	b2 := newBrowser(t, p)
	tok := wantHandBack(t, viaProvider(t, b2, providerButton(t, b2.get(withRedirect("/sign-in", app)), corp)), http.StatusSeeOther, app)
	if c, _ := verify(t, p, tok); c.Subject != u.ID {
		t.Errorf("second sign-in is %s, want %s", c.Subject, u.ID)
	}
	if n := count(t, p); n.users != 1 {
		t.Errorf("%d users created, want 1", n.users)
	}
}

// The start-up log names each provider's callback URL, which is what an
// operator registers with the provider.
func TestOAuthStartupLogsCallbackURLs(t *testing.T) {
	corpOP, otherOP := oidctest.Start(t), oidctest.Start(t)
	log := &syncBuffer{}
	env := withOIDC(map[string]string{"PORTAL_LOG_LEVEL": "info"}, "corp", corpDisplay, corpOP)
	p := portaltest.Start(t, portaltest.Options{Log: log, Env: withOIDC(env, "other", "Other SSO", otherOP)})
	for _, name := range []string{"oidc_corp", "oidc_other"} {
		if want := p.URL + "/v1/oauth_callback/" + name; !strings.Contains(log.String(), want) {
			t.Errorf("start-up log does not name %s:\n%s", want, log.String())
		}
	}
}

// syncBuffer is a log written by the portal's goroutines and read by the test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

// Len is how much has been written, a mark to read the log from.
func (s *syncBuffer) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Len()
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}
