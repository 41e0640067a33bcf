package browser

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/portalhq/portal/internal/testutil/portaltest"
	"github.com/portalhq/portal/internal/user"
)

// standInWidget does what Turnstile's script does on implicit rendering,
// for this test: finds each .cf-turnstile, puts the challenge frame from
// the provider's origin in it, and the token field. Policy violations are
// kept in window.cspViolations.
const standInWidget = `window.cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
	window.cspViolations.push(e.violatedDirective + " " + e.blockedURI);
});
var origin = new URL(document.currentScript.src).origin;
document.querySelectorAll(".cf-turnstile").forEach(function (el) {
	var frame = document.createElement("iframe");
	frame.title = "Widget containing a stand-in challenge";
	frame.src = origin + "/challenge";
	// Turnstile's sizes (hCaptcha's are alike: 303×78, compact 164×144).
	var compact = el.dataset.size === "compact";
	frame.style.width = compact ? "150px" : "300px";
	frame.style.height = compact ? "140px" : "65px";
	frame.style.border = "0";
	frame.onload = function () { el.dataset.loaded = "true"; };
	el.appendChild(frame);
	var input = document.createElement("input");
	input.type = "hidden";
	input.name = "cf-turnstile-response";
	input.value = "stand-in-token";
	el.appendChild(input);
});`

// standInChallenge is the page of the stand-in widget's frame.
const standInChallenge = `<!doctype html><html lang="en"><title>Challenge</title><p>Verified</p></html>`

// refusingCaptchaProvider is the stand-in provider of the page matrix's
// bot-protected portal: the widget above, and a siteverify that refuses
// every token, as the provider answers a bot's.
func refusingCaptchaProvider(t *testing.T) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api.js":
			w.Header().Set("Content-Type", "text/javascript")
			_, _ = w.Write([]byte(standInWidget))
		case "/challenge":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write([]byte(standInChallenge))
		case "/siteverify":
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"success":false,"error-codes":["invalid-input-response"]}`))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

// TestSignUpWithCaptcha: bot protection on, with the widget's script and
// siteverify served by a loopback stand-in. The sign-up page loads the
// script under its CSP (its nonce, the provider's origin), passes axe, and
// the widget's token goes with the form: the person signs up and lands on
// the app, and the provider was asked about that token (REQ-RL-04).
func TestSignUpWithCaptcha(t *testing.T) {
	t.Parallel()
	var (
		mu     sync.Mutex
		asked  []url.Values
		served int
	)
	provider := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		switch r.URL.Path {
		case "/api.js":
			served++
			w.Header().Set("Content-Type", "text/javascript")
			_, _ = w.Write([]byte(standInWidget))
		case "/challenge":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write([]byte(standInChallenge))
		case "/siteverify":
			_ = r.ParseForm()
			asked = append(asked, r.PostForm)
			w.Header().Set("Content-Type", "application/json")
			ok := r.PostForm.Get("secret") == "stand-in-secret" && r.PostForm.Get("response") == "stand-in-token"
			if ok {
				_, _ = w.Write([]byte(`{"success":true,"error-codes":[],"hostname":"localhost"}`))
			} else {
				_, _ = w.Write([]byte(`{"success":false,"error-codes":["invalid-input-response"]}`))
			}
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(provider.Close)

	w := startWith(t, portaltest.Options{Env: map[string]string{
		"PORTAL_CAPTCHA_PROVIDER":   "turnstile",
		"PORTAL_CAPTCHA_SITE_KEY":   "1x00000000000000000000AA",
		"PORTAL_CAPTCHA_SECRET_KEY": "stand-in-secret",
		"PORTAL_CAPTCHA_VERIFY_URL": provider.URL + "/siteverify",
		"PORTAL_CAPTCHA_SCRIPT_URL": provider.URL + "/api.js",
	}})
	b := w.b

	b.open(w.app.URL)
	w.expectSignedOut()
	b.load("click Sign in on the app", chromedp.Click(chromedp.ID("sign-in")))
	w.expectIdentifierPage()
	b.load("click Sign up", chromedp.Click(chromedp.CSS(`footer a[href^="/sign-up"]`)))
	b.expectPage("Create your account · Portal", "Create your account")
	b.do("wait for the widget's token field", chromedp.WaitReady(chromedp.CSS(`form[action="/sign-up"] .cf-turnstile input[name="cf-turnstile-response"]`)))
	b.do("wait for the widget's frame", chromedp.WaitReady(chromedp.CSS(`.cf-turnstile[data-loaded="true"]`)))
	if v := b.eval(`window.cspViolations.join("; ")`); v != "" {
		t.Errorf("the page's policy blocked the widget: %s", v)
	}
	for _, v := range b.axe(axeScript(t)) {
		if v.blocking() {
			t.Errorf("axe: %s", v)
		}
	}
	// The widget's normal size is wider than the form at 320 px: the page
	// would scroll sideways (WCAG 1.4.10), so it asks for the compact one.
	b.do("320 px viewport", chromedp.EmulateViewport(narrowWidth, narrowHeight))
	if got := b.eval(`document.documentElement.scrollWidth + " px"`); got != "320 px" {
		t.Errorf("at 320 px the sign-up page with the widget is %s wide", got)
	}

	b.typeInto("email_address-field", email)
	b.typeInto("password-field", password)
	if st := b.submit("submit the sign-up form", `form[action="/sign-up"]`); st != http.StatusOK {
		b.fatalf("sign-up: status %d", st)
	}
	b.expectPage("Verify your email · Portal", "Verify your email")
	b.typeInto("code-field", w.p.SMTP.WaitFor(t, email, 10*time.Second).Code())
	b.submit("submit the code", `form[action="/sign-up/verify-email-address"]`)
	u, err := w.p.Store.Q.UserByIdentifier(context.Background(), user.Email, email)
	if err != nil {
		b.fatalf("the new user is not in the store: %v", err)
	}
	w.expectSignedIn(u.ID)

	mu.Lock()
	defer mu.Unlock()
	if served == 0 || len(asked) != 1 || asked[0].Get("response") != "stand-in-token" || asked[0].Get("remoteip") == "" {
		t.Errorf("script served %d times; siteverify asked %v; want once, about the widget's token", served, asked)
	}
}
