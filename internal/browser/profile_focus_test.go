package browser

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// TestAccountFormErrorsTakeTheFocus: a refused change on the account page
// and the password page takes the person to the field to fix, announced
// and tied to its message, as on the sign-in and sign-up pages — not to
// the top of a long page with the message somewhere below: a name with a
// control character, a file that is no image, a new password too short, a
// wrong current password. The password page, opened, starts at its first
// field.
func TestAccountFormErrorsTakeTheFocus(t *testing.T) {
	t.Parallel()
	clock := clockwork.NewFakeClockAt(time.Now())
	w := startWithin(t, portaltest.Options{Clock: clock}, testTimeout)
	b := w.b
	w.signUp()

	b.open(w.p.URL + "/user")
	// A control character pasted with the name; no key types it.
	b.do("put a bell in the last name", chromedp.Evaluate[chromedp.Void](`document.getElementById("last_name-field").value = "King\u0007"`))
	b.submit("save a name with a control character", `form[action="/user/profile"]`)
	b.expectFieldError("last_name")

	notImage := filepath.Join(t.TempDir(), "notes.png")
	if err := os.WriteFile(notImage, []byte("not a picture"), 0o644); err != nil {
		t.Fatal(err)
	}
	b.do("choose a file that is no image", chromedp.SetUploadFiles(chromedp.ID("image-field"), []string{notImage}))
	b.submit("upload it", `form[action="/user/profile-image"]`)
	b.expectFieldError("image")

	b.open(w.p.URL + "/user/password")
	b.expectPage("Password · Portal", "Change your password")
	if got := b.eval(`document.activeElement.id`); got != "password-field" {
		b.fatalf("the password page opens with the focus on %q, want the new password field", got)
	}
	b.do("lift the minimum length", chromedp.Evaluate[chromedp.Void](`document.getElementById("password-field").removeAttribute("minlength")`))
	b.typeInto("password-field", "short")
	b.submit("a new password too short", `form[action="/user/password"]`)
	b.expectFieldError("password")

	clock.Advance(11 * time.Minute) // no longer freshly confirmed: the current password is asked
	b.open(w.p.URL + "/user/password")
	b.typeInto("current_password-field", wrong)
	b.typeInto("password-field", "amber falcon lighthouse tundra 2024")
	b.submit("a wrong current password", `form[action="/user/password"]`)
	b.expectFieldError("current_password")
}
