package passkey_test

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/passkey"
)

// TestBrowserCeremonies drives static/passkeys.js in Chromium with a virtual
// authenticator against this package: what a real browser sends must pass
// the same checks as the software authenticator's responses. It runs once
// with the browser's JSON helpers (parse*OptionsFromJSON, toJSON) and once
// with them removed, as in browsers that predate them.
func TestBrowserCeremonies(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	for _, tc := range []struct {
		name, before string
		native       bool
	}{
		{"native JSON helpers", "", true},
		{"script's own conversion", `delete PublicKeyCredential.parseCreationOptionsFromJSON;
delete PublicKeyCredential.parseRequestOptionsFromJSON; delete PublicKeyCredential.prototype.toJSON;`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			app := startPasskeyApp(t)
			b := openBrowser(t, tc.before)
			b.addAuthenticator()
			b.load("open a page", chromedp.Navigate(app.url+"/done"))
			if b.eval(`typeof PublicKeyCredential.parseRequestOptionsFromJSON === "function" && typeof PublicKeyCredential.prototype.toJSON === "function"`) != tc.native {
				t.Fatalf("JSON helpers present: %v, want %v", !tc.native, tc.native)
			}
			ceremonies(t, app, b)
		})
	}
}

func ceremonies(t *testing.T, app *passkeyApp, b *browser) {
	// Register: the form, hidden until the script finds WebAuthn, posts the
	// new credential and the server redirects.
	b.load("open register page", chromedp.Navigate(app.url+"/register"))
	b.clickThenWaitFor("add a passkey", chromedp.Click(chromedp.CSS("#register button")), app.url+"/done")
	if got := b.text("h1"); got != "added Chrome on Linux" {
		b.fatalf("after registering: %q", got)
	}

	// The same authenticator again: excludeCredentials makes the browser
	// refuse, and the page says why.
	b.load("open register page again", chromedp.Navigate(app.url+"/register"))
	b.run("add a second passkey", func(ctx context.Context) error {
		_, err := chromedp.Run(ctx, chromedp.Click(chromedp.CSS("#register button")))
		return err
	})
	if got := b.text("#register [data-passkey-error]"); got != "This device already has a passkey for your account." {
		b.fatalf("error shown: %q", got)
	}

	// Sign in: autofill starts by itself where the browser supports it; the
	// button must cancel it and run its own ceremony.
	b.load("open sign-in page", chromedp.Navigate(app.url+"/sign-in"))
	if b.eval(`PublicKeyCredential.isConditionalMediationAvailable()`) {
		b.run("wait for autofill", func(ctx context.Context) error {
			for app.loginOptions.Load() == 0 {
				if ctx.Err() != nil {
					return errors.New("autofill fetched no options")
				}
				time.Sleep(20 * time.Millisecond)
			}
			return nil
		})
	}
	// Clicked from script: while an autofill request is pending, Chromium
	// never acknowledges a mouse event sent over DevTools (the page itself
	// goes on and signs in). On a loaded machine the virtual authenticator
	// may answer the autofill request before the click, and the page has
	// already moved on to /done: there is no button left to click then.
	jsClick := chromedp.Evaluate[chromedp.Void](`document.querySelector("#login button")?.click()`)
	b.clickThenWaitFor("sign in with a passkey", jsClick, app.url+"/done")
	if got := b.text("h1"); got != "signed in as user_a" {
		b.fatalf("after signing in: %q", got)
	}
	creds, _ := app.store.CredentialsOfUser(context.Background(), "user_a")
	if len(creds) != 1 || creds[0].LastUsedAt == nil {
		t.Errorf("stored: %+v", creds)
	}
}

// Without WebAuthn the passkey UI stays hidden and the rest of the page works.
func TestBrowserWithoutWebAuthn(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	app := startPasskeyApp(t)
	b := openBrowser(t, `delete window.PublicKeyCredential;`)
	b.load("open sign-in page", chromedp.Navigate(app.url+"/sign-in"))
	b.run("wait for the script", func(ctx context.Context) error {
		_, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.readyState === "complete"`))
		return err
	})
	if b.eval(`document.documentElement.classList.contains("has-webauthn") || !document.querySelector("#login").hidden`) {
		b.fatalf("passkey UI shown without WebAuthn")
	}
	if app.loginOptions.Load() != 0 {
		t.Error("options fetched without WebAuthn")
	}
}

type passkeyApp struct {
	url          string
	store        *memStore
	loginOptions atomic.Int32
}

// startPasskeyApp serves the two pages the script's contract describes,
// with handlers as thin as the portal's should be.
func startPasskeyApp(t *testing.T) *passkeyApp {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// WebAuthn needs a secure context: localhost is one, 127.0.0.1 has no
	// domain to be an RP ID.
	origin := fmt.Sprintf("http://localhost:%d", ln.Addr().(*net.TCPAddr).Port)
	app := &passkeyApp{url: origin, store: newMemStore()}
	svc, err := passkey.New(passkey.Config{RPID: "localhost", RPName: "Test", Origins: []string{origin}},
		clockwork.NewRealClock(), app.store)
	if err != nil {
		t.Fatal(err)
	}
	script, err := os.ReadFile(filepath.Join("..", "..", "static", "passkeys.js"))
	if err != nil {
		t.Fatal(err)
	}
	const user = "user_a"
	page := func(w http.ResponseWriter, body string) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'") // no inline script
		fmt.Fprintf(w, `<!doctype html><html><head><meta name="csrf-token" content="tok">
<script src="/passkeys.js" defer></script></head><body>%s</body></html>`, body)
	}
	fail := func(w http.ResponseWriter, err error) {
		msg := "Something went wrong."
		if e, ok := apperr.As(err); ok {
			msg = e.Message
		}
		t.Logf("refused: %v", err)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnprocessableEntity)
		fmt.Fprintf(w, `{"error":%q}`, msg)
	}
	csrf := func(w http.ResponseWriter, r *http.Request) bool {
		if r.FormValue("_csrf") != "tok" || (r.Header.Get("Accept") == "application/json" && r.Header.Get("X-CSRF-Token") != "tok") {
			http.Error(w, "csrf", http.StatusForbidden)
			return false
		}
		return true
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /passkeys.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		_, _ = w.Write(script)
	})
	mux.HandleFunc("GET /register", func(w http.ResponseWriter, r *http.Request) {
		page(w, `<form id="register" method="post" action="/register" data-passkey-register
 data-options-url="/register/options" data-passkey-only hidden>
<input type="hidden" name="_csrf" value="tok"><button type="submit">Add a passkey</button>
<p data-passkey-error role="alert" hidden></p></form>`)
	})
	mux.HandleFunc("POST /register/options", func(w http.ResponseWriter, r *http.Request) {
		if !csrf(w, r) {
			return
		}
		existing, _ := app.store.CredentialsOfUser(r.Context(), user)
		opts, _, err := svc.BeginRegistration(r.Context(), passkey.UserInfo{ID: user, Name: "ada@example.com"}, existing)
		if err != nil {
			fail(w, err)
			return
		}
		_, _ = w.Write(opts)
	})
	mux.HandleFunc("POST /register", func(w http.ResponseWriter, r *http.Request) {
		if !csrf(w, r) {
			return
		}
		cred, err := svc.FinishRegistration(r.Context(), user, r.FormValue("challenge_id"), []byte(r.FormValue("credential")), r.UserAgent())
		if err != nil {
			fail(w, err)
			return
		}
		http.Redirect(w, r, "/done?msg="+url.QueryEscape("added "+cred.Name), http.StatusSeeOther)
	})
	mux.HandleFunc("GET /sign-in", func(w http.ResponseWriter, r *http.Request) {
		page(w, `<form method="post" action="/identify"><input name="identifier" autocomplete="username webauthn">
<button type="submit">Continue</button></form>
<form id="login" method="post" action="/sign-in" data-passkey-login data-options-url="/sign-in/options" data-passkey-only hidden>
<input type="hidden" name="_csrf" value="tok"><input type="hidden" name="sign_in" value="sia_1">
<button type="submit">Sign in with a passkey</button><p data-passkey-error hidden></p></form>`)
	})
	mux.HandleFunc("POST /sign-in/options", func(w http.ResponseWriter, r *http.Request) {
		if !csrf(w, r) {
			return
		}
		app.loginOptions.Add(1)
		opts, _, err := svc.BeginLogin(r.Context(), r.FormValue("sign_in"))
		if err != nil {
			fail(w, err)
			return
		}
		_, _ = w.Write(opts)
	})
	mux.HandleFunc("POST /sign-in", func(w http.ResponseWriter, r *http.Request) {
		if !csrf(w, r) {
			return
		}
		cred, err := svc.FinishLogin(r.Context(), r.FormValue("challenge_id"), r.FormValue("sign_in"), []byte(r.FormValue("credential")))
		if err != nil {
			fail(w, err)
			return
		}
		http.Redirect(w, r, "/done?msg="+url.QueryEscape("signed in as "+cred.UserID), http.StatusSeeOther)
	})
	mux.HandleFunc("GET /done", func(w http.ResponseWriter, r *http.Request) {
		page(w, "<h1>"+html.EscapeString(r.URL.Query().Get("msg"))+"</h1>")
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return app
}

type browser struct {
	t        *testing.T
	ctx      context.Context
	deadline time.Time
}

// openBrowser starts Chromium; before runs in every page ahead of its scripts.
func openBrowser(t *testing.T, before string) *browser {
	t.Helper()
	exe := os.Getenv("CHROMIUM")
	if exe == "" {
		for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
			if p, err := exec.LookPath(name); err == nil {
				exe = p
				break
			}
		}
	}
	if exe == "" {
		// A skipped browser test looks like a passing one in CI.
		t.Fatal("Chromium not found: run `make deps`, or set CHROMIUM=/path/to/chrome")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancelTab(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	b := &browser{t: t, ctx: ctx, deadline: time.Now().Add(30 * time.Second)}
	if before != "" {
		b.run("add script", func(ctx context.Context) error {
			_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: before})
			return err
		})
	}
	return b
}

// addAuthenticator plugs in a platform authenticator that holds passkeys,
// verifies the user and needs no touch.
func (b *browser) addAuthenticator() {
	b.t.Helper()
	b.run("add virtual authenticator", func(ctx context.Context) error {
		if _, err := chromedp.Call(ctx, webauthn.Enable, webauthn.EnableParams{}); err != nil {
			return err
		}
		_, err := chromedp.Call(ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
			Options: &webauthn.VirtualAuthenticatorOptions{
				Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: webauthn.Ctap2versionCtap21,
				Transport: webauthn.AuthenticatorTransportInternal, HasResidentKey: true,
				HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true,
			},
		})
		return err
	})
}

func (b *browser) eval(js string) bool {
	b.t.Helper()
	var v bool
	b.run("evaluate "+js, func(ctx context.Context) error {
		var err error
		v, err = chromedp.Run(ctx, chromedp.Evaluate[bool](js, chromedp.EvalAwaitPromise))
		return err
	})
	return v
}

func (b *browser) run(step string, fn func(ctx context.Context) error) {
	b.t.Helper()
	ctx, cancel := context.WithDeadline(b.ctx, b.deadline)
	defer cancel()
	if err := fn(ctx); err != nil {
		b.fatalf("%s: %v", step, err)
	}
}

// load runs steps that navigate and waits for the page that arrives.
func (b *browser) load(step string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	b.run(step, func(ctx context.Context) error {
		res, err := chromedp.RunResponse(ctx, steps...)
		if err == nil && res == nil {
			err = errors.New("no page loaded")
		}
		return err
	})
}

// clickThenWaitFor clicks and waits until the tab is at a URL starting with
// prefix: the script posts, waits for the authenticator and then submits,
// so the navigation starts some time after the click.
func (b *browser) clickThenWaitFor(step string, click chromedp.Action[chromedp.Void], prefix string) {
	b.t.Helper()
	b.run(step, func(ctx context.Context) error {
		if _, err := chromedp.Run(ctx, click); err != nil {
			return err
		}
		for {
			loc, err := chromedp.Run(ctx, chromedp.Location())
			if err != nil {
				return err
			}
			if strings.HasPrefix(loc, prefix) {
				_, err := chromedp.Run(ctx, chromedp.WaitReady(chromedp.CSS("h1")))
				return err
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

func (b *browser) text(css string) string {
	b.t.Helper()
	var s string
	// Read by script, again until there is text: on a loaded machine the
	// page may load twice (the autofill request and the click both sign
	// in), and a DevTools node found in the first goes stale under a query.
	read := chromedp.Evaluate[string](fmt.Sprintf(`(document.querySelector(%q) || {}).innerText || ""`, css))
	b.run("text of "+css, func(ctx context.Context) error {
		for {
			var err error
			if s, err = chromedp.Run(ctx, read); err == nil && strings.TrimSpace(s) != "" {
				return nil
			}
			if ctx.Err() != nil {
				return fmt.Errorf("no text in %s (%v)", css, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
	return strings.TrimSpace(s)
}

func (b *browser) fatalf(format string, args ...any) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	body, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	b.t.Fatalf("%s\nat %s, page text:\n%s", fmt.Sprintf(format, args...), loc, body)
}
