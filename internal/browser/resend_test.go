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
// it; pressing it sends a new code. A screen reader is told, politely and
// without the focus leaving the code field: the words and the button are
// in a live region, read whole, so "Didn't get it? Resend code" is said
// when the words change.
func TestResendComesOnWhenTheWaitIsOver(t *testing.T) {
	t.Parallel()
	clock := clockwork.NewFakeClockAt(time.Now())
	w := start(t, clock)
	b := w.b

	w.signUpToCode(b, email)
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
	focused := b.eval(`document.activeElement.id`)
	if focused == "" {
		b.fatalf("nothing has the focus on the code page: the test cannot tell whether it moves")
	}
	// Chromium marks the region's root, not each node in it.
	const region = `form.cl-resend`
	if _, _, props := b.axNode(region); props["live"] != "polite" || props["atomic"] != "true" {
		b.fatalf("the resend form is no polite live region read whole: live %q, atomic %q", props["live"], props["atomic"])
	}
	if got := b.eval(`String(document.querySelector("` + region + `").contains(document.querySelector("#resend-wait")))`); got != "true" {
		b.fatalf("the wait's words are outside the live region")
	}

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
	if got := b.eval(`document.querySelector("` + region + `").innerText.replace(/\s+/g, " ").trim()`); got != "Didn't get it? Resend code" {
		b.fatalf("the live region now reads %q, want \"Didn't get it? Resend code\"", got)
	}
	if got := b.eval(`document.activeElement.id`); got != focused {
		b.fatalf("when the button came on the focus moved from #%s to %q", focused, got)
	}

	clock.Advance(2 * time.Second) // the portal's clock catches up with the browser's
	b.load("press Resend code", chromedp.Click(chromedp.CSS(resend)))
	if got := b.text(`[role="status"]`); !strings.HasPrefix(got, "A new code is on its way") {
		b.fatalf("after Resend: notice %q", got)
	}
	w.p.SMTP.WaitFor(t, email, 10*time.Second)
}
