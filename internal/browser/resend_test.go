package browser

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/jonboulle/clockwork"
)

// TestResendComesOnWhenTheWaitIsOver: after a code is sent, "Resend code"
// is disabled for a while, with the wait in words. When the wait is over
// the button comes on in place (static/resend.js), without the page
// reloading under the person, who would otherwise have to know to reload
// it; pressing it sends a new code.
func TestResendComesOnWhenTheWaitIsOver(t *testing.T) {
	t.Parallel()
	clock := clockwork.NewFakeClockAt(time.Now())
	w := start(t, clock)
	b := w.b

	b.open(w.p.URL + "/sign-up")
	b.typeInto("email_address-field", email)
	b.typeInto("password-field", password)
	b.submit("submit the sign-up form", `form[action="/sign-up"]`)
	b.expectPage("Verify your email · Portal", "Verify your email")
	w.p.SMTP.WaitFor(t, email, 10*time.Second)

	// 28 of the 30 seconds pass; the page, opened again, has 2 to wait.
	clock.Advance(28 * time.Second)
	b.open(b.url())
	const resend = `form.cl-resend button`
	if got := b.eval(`String(document.querySelector("` + resend + `").disabled)`); got != "true" {
		b.fatalf("Resend code should wait: disabled = %s", got)
	}
	if got := b.text("#resend-wait"); got != "You can ask for a new code in 2 seconds" {
		b.fatalf("the wait in words: %q", got)
	}
	b.do("mark this document", chromedp.Evaluate[chromedp.Void](`window.stillHere = "yes"`))

	for deadline := time.Now().Add(8 * time.Second); b.eval(`String(document.querySelector("`+resend+`").disabled)`) != "false"; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			b.fatalf("Resend code stayed disabled after the wait was over")
		}
	}
	if got := b.eval(`String(window.stillHere)`); got != "yes" {
		b.fatalf("the page reloaded: the button should come on in place")
	}
	if got := b.text("#resend-wait"); got != "Didn't get it?" {
		b.fatalf("with the wait over the text says %q, want \"Didn't get it?\"", got)
	}

	clock.Advance(2 * time.Second) // the portal's clock catches up with the browser's
	b.load("press Resend code", chromedp.Click(chromedp.CSS(resend)))
	if got := b.text(`[role="status"]`); !strings.HasPrefix(got, "A new code is on its way") {
		b.fatalf("after Resend: notice %q", got)
	}
	w.p.SMTP.WaitFor(t, email, 10*time.Second)
}
