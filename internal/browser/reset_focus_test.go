package browser

import (
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestResetPasswordTakesTheFocus: after "Forgot password?" and the emailed
// code, "Set a new password" has one field, and the person lands in it,
// ready to type, as on every other step of signing in; a new password the
// portal refuses takes them back to it, announced with its message, not to
// the top of the page.
func TestResetPasswordTakesTheFocus(t *testing.T) {
	t.Parallel()
	w := start(t, nil)
	b := w.b
	b.emulateFocus()
	w.signUp()
	w.signOut()

	b.load("click Sign in on the app", chromedp.Click(chromedp.ID("sign-in")))
	b.typeInto("identifier-field", email)
	b.submit("submit the email", `form[action="/sign-in"]`)
	w.expectPasswordPage()
	b.load("click Forgot password?", chromedp.Click(chromedp.CSS(`a[href^="/sign-in/forgot-password"]`)))
	b.load("choose the emailed reset code", chromedp.Click(chromedp.CSS(`button[value="reset_password_email_code"]`)))
	b.expectPage("Reset your password · Portal", "Reset your password")
	b.typeInto("code-field", w.p.SMTP.WaitFor(t, email, 10*time.Second).Code())
	b.submit("submit the reset code", `form[action="/sign-in/factor-one"]`)
	b.expectPage("Set a new password · Portal", "Set a new password")
	b.expectFocusOn("password-field")

	// The browser's own check stops a short password before it is sent;
	// the portal's answer is what a browser without that check gets.
	b.do("lift the minimum length", chromedp.Evaluate[chromedp.Void](`document.getElementById("password-field").removeAttribute("minlength")`))
	b.typeInto("password-field", "short")
	if st := b.submit("submit a new password too short", `form[action="/sign-in/reset-password"]`); st != http.StatusUnprocessableEntity {
		b.fatalf("a new password too short: status %d, want 422", st)
	}
	b.expectFieldError("password")
}

// expectFocusOn waits the moment Chromium takes to apply autofocus after
// the load event, then checks that the element with that id has the focus.
func (b *tab) expectFocusOn(id string) {
	b.t.Helper()
	got := ""
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if got = b.eval(`String(document.activeElement.id)`); got == id {
			return
		}
	}
	b.fatalf("the focus is on %q, want #%s", got, id)
}
