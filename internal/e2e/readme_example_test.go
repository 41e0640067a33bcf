package e2e

import (
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/examples/relyingapp"
	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// between returns the text of s after the line start and before the line
// end, or fails.
func between(t *testing.T, name, s, start, end string) string {
	t.Helper()
	_, rest, ok := strings.Cut(s, start+"\n")
	if !ok {
		t.Fatalf("%s has no %q", name, start)
	}
	body, _, ok := strings.Cut(rest, end)
	if !ok {
		t.Fatalf("%s has no %q after %q", name, end, start)
	}
	return strings.TrimSpace(body)
}

// The README's minimal Go app is examples/relyingapp, character for
// character, and it accepts the portal's session token for its app and
// refuses one that expired or was issued for another app (REQ-JWT-04,
// REQ-JWT-06).
func TestReadmeRelyingAppExample(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("../../examples/relyingapp/relyingapp.go")
	if err != nil {
		t.Fatal(err)
	}
	quoted := between(t, "README.md", string(readme), "A minimal Go app (go-jose):\n\n```go", "```\n")
	if code := between(t, "relyingapp.go", string(src), "// README begin", "// README end"); code != quoted {
		t.Fatalf("README's Go example and examples/relyingapp differ:\nREADME:\n%s\n\nrelyingapp.go:\n%s", quoted, code)
	}

	// The example names https://accounts.example.com and
	// https://app.example.com; the portal is given those names.
	const app = "https://app.example.com/"
	start := func(clock clockwork.Clock) *portaltest.Portal {
		return portaltest.Start(t, portaltest.Options{TLS: true, Clock: clock, Env: map[string]string{
			"PORTAL_BASE_URL":                 "https://accounts.example.com",
			"PORTAL_ALLOWED_REDIRECT_ORIGINS": "https://app.example.com,https://other.example.com"}})
	}
	request := func(tok string) *http.Request {
		r, err := http.NewRequest(http.MethodGet, app, nil)
		if err != nil {
			t.Fatal(err)
		}
		r.AddCookie(&http.Cookie{Name: "__session", Value: tok})
		return r
	}

	p := start(nil)
	b := newBrowser(t, p)
	tok := wantHandBack(t, signUp(t, p, b, "ada@example.com", app), http.StatusSeeOther, app)
	c, _ := verify(t, p, tok)
	relyingapp.SetKeys(*jwks(t, p))
	if sub, err := relyingapp.UserID(request(tok)); err != nil || sub != c.Subject {
		t.Errorf("the README's app read %q, %v; want %q", sub, err, c.Subject)
	}
	other := wantHandBack(t, b.getRaw(handshakePath("https://other.example.com/")), http.StatusTemporaryRedirect, "https://other.example.com/")
	if sub, err := relyingapp.UserID(request(other)); err == nil || err.Error() != "token issued for another app" {
		t.Errorf("the README's app read another app's token as %q, %v; want it refused for its azp", sub, err)
	}

	// The example judges time by the real clock: a portal a few minutes
	// behind issues a token that has expired by then.
	late := start(clockwork.NewFakeClockAt(time.Now().Add(-tokenTTL - time.Minute)))
	lb := newBrowser(t, late)
	expired := wantHandBack(t, signUp(t, late, lb, "ada@example.com", app), http.StatusSeeOther, app)
	relyingapp.SetKeys(*jwks(t, late))
	if sub, err := relyingapp.UserID(request(expired)); !errors.Is(err, jwt.ErrExpired) {
		t.Errorf("the README's app read an expired token as %q, %v; want jwt.ErrExpired", sub, err)
	}
}
