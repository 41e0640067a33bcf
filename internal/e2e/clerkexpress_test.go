package e2e

import (
	"bufio"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/config"
	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// startExpressApp runs testdata/clerk_express_app.cjs against p and
// returns the app's origin; the process ends with the test.
func startExpressApp(t *testing.T, modules string, p *portaltest.Portal) string {
	t.Helper()
	cmd := exec.Command("node", filepath.Join("testdata", "clerk_express_app.cjs"))
	cmd.Env = append(os.Environ(),
		"CLERK_MODULES="+modules,
		"CLERK_PUBLISHABLE_KEY="+(&config.Config{BaseURL: p.URL}).PublishableKey(),
		"CLERK_SECRET_KEY="+p.SecretKey,
		"CLERK_API_URL="+p.URL,
		"CLERK_PROXY_URL="+p.URL,
		"CLERK_TELEMETRY_DISABLED=1",
		"PORTAL_SIGN_IN="+p.URL+"/sign-in")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	line := make(chan string, 1)
	go func() {
		s := bufio.NewScanner(out)
		s.Scan()
		line <- s.Text()
	}()
	select {
	case l := <-line:
		port, ok := strings.CutPrefix(l, "listening ")
		if !ok {
			t.Fatalf("the Express app said %q:\n%s", l, stderr.String())
		}
		return "http://127.0.0.1:" + port
	case <-time.After(20 * time.Second):
		t.Fatalf("the Express app did not start:\n%s", stderr.String())
	}
	return ""
}

// A person using an Express app that authenticates with Clerk's own
// middleware (@clerk/express's clerkMiddleware and getAuth, set up by
// Clerk's environment variables alone, pointed at the portal): the app
// sends them to the portal to sign in, and they come back signed in;
// once the token has expired the middleware sends the browser through the
// portal's handshake and back, still signed in as the same session, and
// the app reads the user through @clerk/express's clerkClient (the
// Backend API); after signing out at the portal the app sends them to
// sign in again.
func TestClerkExpressAppSignsInThroughThePortal(t *testing.T) {
	modules := clerkModules(t)
	// The portal's clock runs ten minutes behind until the handshake, so
	// the token the sign-in hands back has expired for the app.
	clock := clockwork.NewFakeClockAt(time.Now().Add(-10 * time.Minute))
	p := portaltest.Start(t, portaltest.Options{Host: "127.0.0.1", Clock: clock,
		Env: map[string]string{"PORTAL_ALLOWED_REDIRECT_ORIGINS": "http://127.0.0.1:*"}})
	if r := api(t, p, http.MethodPost, "/v1/users", map[string]any{"email_address": []string{"ada@example.com"}, "password": goodPassword}, nil); r.Status != http.StatusOK {
		t.Fatalf("POST /v1/users: %d %s", r.Status, r.Body)
	}
	app := startExpressApp(t, modules, p)
	dashboard := app + "/dashboard"
	b := newBrowser(t, p)
	// A browser's navigation, which the middleware may redirect.
	b.header = http.Header{"Sec-Fetch-Dest": {"document"}, "Accept": {"text/html"}}

	first := b.getRaw(dashboard)
	signInPage := p.URL + "/sign-in?redirect_url=" + url.QueryEscape(dashboard)
	if first.Status != http.StatusFound || first.Header.Get("Location") != signInPage {
		t.Fatalf("the app signed out: %d to %q, want 302 to %s", first.Status, first.Header.Get("Location"), signInPage)
	}
	pg := b.submit(b.get(first.Header.Get("Location")), signInForm, map[string]string{"identifier": "ada@example.com"})
	wantHandBack(t, b.submit(pg, passwordForm, map[string]string{"password": goodPassword}), http.StatusSeeOther, dashboard)

	expired := b.getRaw(dashboard)
	handshake := p.URL + "/v1/client/handshake?redirect_url=" + url.QueryEscape(dashboard) + "&"
	if expired.Status != http.StatusTemporaryRedirect || !strings.HasPrefix(expired.Header.Get("Location"), handshake) {
		t.Fatalf("the app with an expired token: %d to %q, want 307 to %s…\n%s", expired.Status, expired.Header.Get("Location"), handshake, expired.Body)
	}
	clock.Advance(10 * time.Minute)
	c, _ := verify(t, p, wantHandBack(t, b.getRaw(expired.Header.Get("Location")), http.StatusTemporaryRedirect, dashboard))
	signedIn := b.getRaw(dashboard)
	if want := "Signed in as " + c.Subject + " (ada@example.com) in " + c.SID; signedIn.Status != http.StatusOK || signedIn.Body != want {
		t.Fatalf("the app after the handshake: %d %q, want 200 %q", signedIn.Status, signedIn.Body, want)
	}

	if out := b.submit(b.get("/sign-out"), signOutForm, nil); out.Status >= 400 {
		t.Fatalf("sign-out: %d\n%s", out.Status, out.text())
	}
	if again := b.getRaw(dashboard); again.Status != http.StatusFound || again.Header.Get("Location") != signInPage {
		t.Errorf("the app after signing out: %d to %q, want 302 to %s", again.Status, again.Header.Get("Location"), signInPage)
	}
}
