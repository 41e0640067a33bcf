package browser

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestShowPassword: the password field has a "Show" button, as Clerk's
// has, that shows what was typed so a person can check it, and "Hide"
// hides it again; the field keeps the focus. A screen reader names the
// button for its field ("Show Password", then "Hide Password"): the name
// says the state, and starts with the word on the button, so a person
// using voice control can say it. A password shown when the form is sent
// still signs in (static/password.js makes it a password again first, for
// the browser's password manager).
func TestShowPassword(t *testing.T) {
	t.Parallel()
	w := start(t, nil)
	b := w.b
	userID := w.signUp()
	w.signOut()

	b.load("click Sign in on the app", chromedp.Click(chromedp.ID("sign-in")))
	b.typeInto("identifier-field", email)
	b.submit("submit the email", `form[action="/sign-in"]`)
	w.expectPasswordPage()

	const toggle = `button[aria-controls="password-field"]`
	if got := b.eval(`String(document.querySelector('` + toggle + `')?.checkVisibility())`); got != "true" {
		b.fatalf("no Show button by the password field (visible: %s)", got)
	}
	expectNamed := func(when, want string) {
		t.Helper()
		// A toggle's name stays put while aria-pressed changes; this one's
		// name changes, so it must not be a toggle as well.
		if role, name, props := b.axNode(toggle); role != "button" || name != want || props["pressed"] != "" {
			b.fatalf("%s a screen reader hears %s %q (pressed %q), want button %q, no pressed state", when, role, name, props["pressed"], want)
		}
	}
	// The field's type after a press: the page answers the click in its
	// own time, which on a busy machine may come after the click returns.
	typeBecomes := func(when, want string) {
		t.Helper()
		ctx, cancel := b.bounded()
		defer cancel()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector("#password-field").type === "`+want+`"`,
			chromedp.WithPollingTimeout(5*time.Second))); err != nil {
			b.fatalf("%s the field is type=%q, want %s", when, b.attr("#password-field", "type"), want)
		}
	}
	expectNamed("before Show", "Show Password")
	b.typeInto("password-field", password)
	b.do("press Show", chromedp.Click(chromedp.CSS(toggle)))
	typeBecomes("after Show", "text")
	if got := b.text(toggle); got != "Hide" {
		b.fatalf("after Show the button says %q, want Hide", got)
	}
	if got := b.eval(`document.activeElement.id`); got != "password-field" {
		b.fatalf("after Show the focus is on %q, want the password field", got)
	}
	expectNamed("after Show", "Hide Password")
	b.do("press Hide", chromedp.Click(chromedp.CSS(toggle)))
	typeBecomes("after Hide", "password")
	expectNamed("after Hide", "Show Password")

	b.do("press Show again", chromedp.Click(chromedp.CSS(toggle)))
	typeBecomes("after Show again", "text")
	// Hold the first submit to see the field as the form goes.
	b.do("hold the form once", chromedp.Evaluate[chromedp.Void](`
		window.hold = (e) => { e.preventDefault(); window.sentAs = document.querySelector("#password-field").type; };
		document.querySelector("#password-field").form.addEventListener("submit", window.hold);`))
	b.do("press Sign in (held)", chromedp.Click(chromedp.CSS(`form[action="/sign-in/factor-one"] button[type=submit]`)))
	if got := b.eval(`String(window.sentAs)`); got != "password" {
		b.fatalf("the field went as type=%q, want password", got)
	}
	b.do("let the form go", chromedp.Evaluate[chromedp.Void](`document.querySelector("#password-field").form.removeEventListener("submit", window.hold)`))
	b.submit("sign in", `form[action="/sign-in/factor-one"]`)
	w.expectSignedIn(userID)
}
