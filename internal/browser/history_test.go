package browser

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// TestBackAndReloadAfterAMistakeResubmitNothing: a step sent back with a
// mistake (a wrong code, a wrong password) is the answer to a POST. A
// reload of it, or Back to it from the next step, made the browser ask to
// send the form again, or show its "Confirm Form Resubmission" error page
// (ERR_CACHE_MISS). The page takes the step's own address instead: a
// reload shows the step again, and Back after the step is done shows
// where the flow is now.
func TestBackAndReloadAfterAMistakeResubmitNothing(t *testing.T) {
	t.Parallel()
	w := startWith(t, portaltest.Options{})
	b := w.b

	w.signUpToCode(b, email)
	step := b.url()
	code := w.p.SMTP.WaitFor(t, email, 10*time.Second).Code()
	b.typeInto("code-field", "000000")
	if st := b.submit("enter a wrong code", `form[action="/sign-up/verify-email-address"]`); st != http.StatusUnprocessableEntity {
		b.fatalf("a wrong code: status %d, want 422", st)
	}
	if got := b.url(); got != step {
		b.fatalf("the step sent back with the wrong code is at %s, want its own address %s", got, step)
	}
	if st := b.load("reload the step", chromedp.Reload()); st != http.StatusOK {
		b.fatalf("reloading the step sent back with a mistake: status %d, want 200 (the step, not the form sent again)", st)
	}
	b.expectPage("Verify your email · Portal", "Verify your email")

	b.typeInto("code-field", "000000")
	b.submit("enter a wrong code again", `form[action="/sign-up/verify-email-address"]`)
	b.typeInto("code-field", code)
	b.submit("enter the right code", `form[action="/sign-up/verify-email-address"]`)
	b.expectPage("Signed in · Portal", "You're signed in")
	b.back("h1")
	b.expectPage("Signed in · Portal", "You're signed in")

	// Signing in again: a wrong password, the right one, then Back.
	b.open(w.p.URL + "/sign-out")
	b.submit("sign out", `form[action="/sign-out"]`)
	b.open(w.p.URL + "/sign-in")
	b.typeInto("identifier-field", email)
	b.submit("submit the address", `form[action="/sign-in"]`)
	w.expectPasswordPage()
	b.typeInto("password-field", wrong)
	if st := b.submit("enter a wrong password", `form[action^="/sign-in/factor-one"]`); st != http.StatusUnprocessableEntity {
		b.fatalf("a wrong password: status %d, want 422", st)
	}
	if got := b.url(); !strings.Contains(got, "/sign-in/factor-one?sign_in=") {
		b.fatalf("the password step sent back is at %s, want its own address", got)
	}
	b.typeInto("password-field", password)
	b.submit("enter the password", `form[action^="/sign-in/factor-one"]`)
	b.expectPage("Signed in · Portal", "You're signed in")
	b.back("h1")
	b.expectPage("Signed in · Portal", "You're signed in")

	// "Confirm it's you" before a change: a wrong password, the right
	// one, then Back from the page it let in.
	b.open(w.p.URL + "/user/verify?return=%2Fuser%2Fpassword")
	b.expectPage("Confirm it's you · Portal", "Enter your password")
	b.typeInto("password-field", wrong)
	if st := b.submit("confirm with a wrong password", `form[action="/user/verify"]`); st != http.StatusUnprocessableEntity {
		b.fatalf("a wrong password: status %d, want 422", st)
	}
	if got := b.url(); !strings.Contains(got, "/user/verify?return=%2Fuser%2Fpassword") {
		b.fatalf("confirming it's you sent back at %s, want its own address", got)
	}
	b.typeInto("password-field", password)
	b.submit("confirm with the password", `form[action="/user/verify"]`)
	b.expectPage("Password · Portal", "Change your password")
	b.back("h1")
	b.expectPage("Confirm it's you · Portal", "Enter your password") // asked again, as a page
}
