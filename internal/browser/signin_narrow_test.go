package browser

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// spilled names the buttons whose words reach past their own border.
const spilled = `[...document.querySelectorAll("button, a.cl-formButtonSecondary")]
	.filter(el => el.getClientRects().length > 0 && el.scrollWidth > el.clientWidth + 1)
	.map(el => el.textContent.trim().slice(0, 40)).join("; ")`

// TestSignInMethodsFitALongAddress: a person with a long work address
// signs in on a 320 px phone. The other ways in that name the address
// ("Email a code to …", "Email a sign-in link to …" under the password
// and the code, "Email a reset code to …" after "Forgot password?") keep
// it inside their buttons, and the page does not scroll sideways.
func TestSignInMethodsFitALongAddress(t *testing.T) {
	t.Parallel()
	w := start(t, nil)
	b := w.b
	w.signUpOnPortal(b, longAddress)
	b.open(w.p.URL + "/sign-out")
	b.submit("sign out", `form[action="/sign-out"]`)

	b.do("320 px viewport", chromedp.EmulateViewport(narrowWidth, narrowHeight))
	fits := func(page string) {
		t.Helper()
		if got := b.eval(spilled); got != "" {
			b.fatalf("%s at %d px: words past the button's border: %s", page, narrowWidth, got)
		}
		if wide := b.eval(overflowScript); wide != "" {
			b.fatalf("%s at %d px: %s", page, narrowWidth, wide)
		}
	}
	b.open(w.p.URL + "/sign-in")
	b.typeInto("identifier-field", longAddress)
	b.submit("submit the address", `form[action="/sign-in"]`)
	b.expectPage("Enter your password · Portal", "Enter your password")
	fits("the password page")

	b.load("click Forgot password?", chromedp.Click(chromedp.CSS(`a[href^="/sign-in/forgot-password"]`)))
	b.expectPage("Forgot your password? · Portal", "Forgot your password?")
	fits("the forgot-password page")

	b.back(`button[value="email_code"]`)
	b.load("choose the emailed code", chromedp.Click(chromedp.CSS(`button[value="email_code"]`)))
	b.expectPage("Check your email · Portal", "Check your email")
	fits("the code page")
}
