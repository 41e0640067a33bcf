package browser

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/testutil/portaltest"
	"github.com/portalhq/portal/internal/user"
)

// testTimeout bounds each browser test as a whole, Chromium's start included.
const testTimeout = 60 * time.Second

const (
	email    = "ada.lovelace@example.com"
	password = "violet kettle orbit sandal 1987" // 15+ characters, on no blocklist (REQ-PW-01, REQ-PW-05)
	wrong    = "violet kettle orbit sandal 1988"
)

// world is a portal, a relying app on another localhost port and a browser.
type world struct {
	t   *testing.T
	p   *portaltest.Portal
	app *relyingApp
	b   *tab
}

// start brings up the three; clock, when not nil, is the time of both the
// portal and the app.
func start(t *testing.T, clock clockwork.Clock) *world {
	t.Helper()
	return startWith(t, portaltest.Options{Clock: clock})
}

// startWith is start with the portal configured by opt.
func startWith(t *testing.T, opt portaltest.Options) *world {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test: `make unit` (-short) leaves it out; `make test` runs it")
	}
	b := openTab(t, testTimeout)
	p := portaltest.Start(t, opt)
	return &world{t: t, p: p, app: startRelyingApp(t, p.URL, p.Clock.Now), b: b}
}

// TestSignUpSignOutSignInAgain follows a person from the app to the portal
// and back: sign up with a password and an emailed code, land on the app,
// which verifies the token with a JOSE library against the JWKS
// (REQ-JWT-01…06); sign out; sign in again, first with a wrong password,
// which shows a message and keeps the email (REQ-PW-06: autocomplete
// tokens a password manager relies on). Every POST goes through the real
// forms, CSRF token included (REQ-SES-08).
func TestSignUpSignOutSignInAgain(t *testing.T) {
	t.Parallel()
	// A fake clock, starting now, lets the session token expire without
	// waiting for it.
	clock := clockwork.NewFakeClockAt(time.Now())
	w := start(t, clock)
	b := w.b

	userID := w.signUp()
	if got := b.text("#js"); got != "JavaScript on" {
		b.fatalf("scripts should run in this test: #js says %q", got)
	}

	w.signOut()

	// Sign in again, with a typo first.
	b.load("click Sign in on the app", chromedp.Click(chromedp.ID("sign-in")))
	w.expectIdentifierPage()
	b.typeInto("identifier-field", email)
	b.submit("submit the email", `form[action="/sign-in"]`)
	w.expectPasswordPage()

	b.typeInto("password-field", wrong)
	if st := b.submit("submit a wrong password", `form[action="/sign-in/factor-one"]`); st != http.StatusUnprocessableEntity {
		b.fatalf("wrong password: status %d, want 422", st)
	}
	// The page sent back says so first, in its title.
	b.expectPage("Error: Enter your password · Portal", "Enter your password")
	if got := b.text("#password-error"); !regexp.MustCompile(`^Password is incorrect`).MatchString(got) {
		b.fatalf("password error = %q, want it to start with %q", got, "Password is incorrect")
	}
	if got := b.attr("#password-field", "aria-invalid"); got != "true" {
		b.fatalf("password field aria-invalid = %q, want true", got)
	}
	if got := b.value("#password-field"); got != "" {
		b.fatalf("the wrong password came back in the field (%d chars); it must never be echoed", len(got))
	}

	// Going back to the identifier step, the typed address is still there.
	b.back("#password-field")
	b.back("#identifier-field")
	w.expectIdentifierPage()
	if got := b.value("#identifier-field"); got != email {
		b.fatalf("after going back, the email field holds %q, want %q", got, email)
	}
	b.submit("submit the kept email", `form[action="/sign-in"]`)
	w.expectPasswordPage()

	b.typeInto("password-field", password)
	b.submit("submit the right password", `form[action="/sign-in/factor-one"]`)
	w.expectSignedIn(userID)

	// Once the token has expired, the app sends the browser through the
	// handshake, which brings back a fresh token for the same user.
	old := b.cookie(w.app.URL, "__session")
	clock.Advance(w.p.Config.SessionTokenTTL + tokenLeeway + time.Second)
	if _, err := w.app.verify(context.Background(), old); !errors.Is(err, jwt.ErrExpired) {
		t.Fatalf("the old token should now be expired for the app, got %v", err)
	}
	b.open(w.app.URL)
	w.expectSignedIn(userID)
	if fresh := b.cookie(w.app.URL, "__session"); fresh == old {
		b.fatalf("the handshake did not replace the expired token")
	}
}

// TestSignInWithJavaScriptOff runs the same journey with scripts disabled:
// every page is a plain form, so nothing may depend on JavaScript.
func TestSignInWithJavaScriptOff(t *testing.T) {
	t.Parallel()
	w := start(t, nil)
	b := w.b
	b.disableJavaScript()

	userID := w.signUp()
	if got := b.text("#js"); got != "JavaScript off" {
		b.fatalf("scripts ran although they were disabled: #js says %q", got)
	}
	w.signOut()

	b.load("click Sign in on the app", chromedp.Click(chromedp.ID("sign-in")))
	w.expectIdentifierPage()
	b.typeInto("identifier-field", email)
	b.submit("submit the email", `form[action="/sign-in"]`)
	w.expectPasswordPage()
	b.typeInto("password-field", password)
	b.submit("submit the password", `form[action="/sign-in/factor-one"]`)
	w.expectSignedIn(userID)
	if got := b.text("#js"); got != "JavaScript off" {
		b.fatalf("scripts ran although they were disabled: #js says %q", got)
	}
}

// signUp opens the app signed out, goes to the portal's sign-up page
// through the sign-in page, creates the account, enters the emailed code,
// and returns the new user's ID once the app shows it.
func (w *world) signUp() string {
	w.t.Helper()
	b := w.b

	// The first visit goes through the handshake: the app cannot know yet
	// whether the browser is signed in at the portal.
	b.open(w.app.URL)
	w.expectSignedOut()

	b.load("click Sign in on the app", chromedp.Click(chromedp.ID("sign-in")))
	w.expectIdentifierPage()

	b.load("click Sign up", chromedp.Click(chromedp.CSS(`footer a[href^="/sign-up"]`)))
	b.expectURL(w.p.URL + "/sign-up?redirect_url=")
	b.expectPage("Create your account · Portal", "Create your account")
	w.expectAutocomplete("#email_address-field", "email")
	w.expectAutocomplete("#password-field", "new-password")
	b.typeInto("email_address-field", email)
	b.typeInto("password-field", password)
	if st := b.submit("submit the sign-up form", `form[action="/sign-up"]`); st != http.StatusOK {
		b.fatalf("sign-up: status %d", st)
	}

	b.expectURL(w.p.URL + "/sign-up/verify-email-address?sign_up=")
	b.expectPage("Verify your email · Portal", "Verify your email")
	if got := b.text(".cl-identityPreviewText"); got != email {
		b.fatalf("verify page shows %q, want the address %q", got, email)
	}
	w.expectAutocomplete("#code-field", "one-time-code")
	if got := b.attr("#code-field", "inputmode"); got != "numeric" {
		b.fatalf("code field inputmode = %q, want numeric", got)
	}
	code := w.p.SMTP.WaitFor(w.t, email, 10*time.Second).Code()
	if !regexp.MustCompile(`^[0-9]{6}$`).MatchString(code) {
		b.fatalf("emailed code %q is not 6 digits", code)
	}
	b.typeInto("code-field", code)
	b.submit("submit the code", `form[action="/sign-up/verify-email-address"]`)

	u, err := w.p.Store.Q.UserByIdentifier(context.Background(), user.Email, email)
	if err != nil {
		b.fatalf("the new user is not in the store: %v", err)
	}
	w.expectSignedIn(u.ID)
	return u.ID
}

// signOut confirms sign-out on the portal and expects to be back on the app,
// signed out.
func (w *world) signOut() {
	w.t.Helper()
	b := w.b
	b.open(w.p.URL + "/sign-out?redirect_url=" + url.QueryEscape(w.app.URL))
	b.expectPage("Sign out · Portal", "Sign out")
	if got := b.text(".cl-identityPreviewText"); got != email {
		b.fatalf("sign-out page shows %q, want %q", got, email)
	}
	b.submit("click Sign out", `form[action="/sign-out"]`)
	w.expectSignedOut()
	if got := b.cookie(w.app.URL, "__client_uat"); got != "0" {
		b.fatalf("__client_uat = %q after sign-out, want 0", got)
	}
}

func (w *world) expectIdentifierPage() {
	w.t.Helper()
	w.b.expectURL(w.p.URL + "/sign-in?redirect_url=")
	w.b.expectPage("Sign in · Portal", "Sign in to Portal")
	want := "username" // passkeys, when enabled, are offered in autofill
	if slices.Contains(w.p.Config.EnabledFactors(), "passkey") {
		want = "username webauthn"
	}
	w.expectAutocomplete("#identifier-field", want)
}

// expectPasswordPage checks the password step, which must still say which
// account it is for.
func (w *world) expectPasswordPage() {
	w.t.Helper()
	b := w.b
	b.expectURL(w.p.URL + "/sign-in/factor-one")
	b.expectPage("Enter your password · Portal", "Enter your password")
	if got := b.text(".cl-identityPreviewText"); got != email {
		b.fatalf("password page shows the account %q, want %q", got, email)
	}
	// A password manager needs the account beside the password field.
	if got := b.value("#username-field"); got != email {
		b.fatalf("hidden username field = %q, want %q", got, email)
	}
	w.expectAutocomplete("#username-field", "username")
	w.expectAutocomplete("#password-field", "current-password")
}

func (w *world) expectSignedIn(userID string) {
	w.t.Helper()
	b := w.b
	b.expectURL(w.app.URL)
	b.expectPage("Relying app", "Relying app")
	if got, want := b.text("#signed-in"), "Signed in as "+userID; got != want {
		b.fatalf("app says %q, want %q", got, want)
	}
}

func (w *world) expectSignedOut() {
	w.t.Helper()
	b := w.b
	b.expectURL(w.app.URL)
	b.expectPage("Relying app", "Relying app")
	b.text("#signed-out")
	want := w.p.URL + "/sign-in?redirect_url=" + url.QueryEscape(w.app.URL)
	if got := b.attr("#sign-in", "href"); got != want {
		b.fatalf("Sign in link = %q, want %q", got, want)
	}
}

func (w *world) expectAutocomplete(css, want string) {
	w.t.Helper()
	if got := w.b.attr(css, "autocomplete"); got != want {
		w.b.fatalf("%s autocomplete = %q, want %q", css, got, want)
	}
}
