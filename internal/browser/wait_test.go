package browser

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/portalhq/portal/internal/testutil/portaltest"
	"github.com/portalhq/portal/internal/user"
)

// TestLinkWaitingPageDoesNotReloadUnderThePerson: the page that waits for
// an emailed sign-in link no longer reloads itself every few seconds (axe:
// meta-refresh, WCAG 2.2.1) when scripts run; static/wait.js asks in the
// background instead, and once the link is opened on another device, this
// tab continues to the app by itself.
func TestLinkWaitingPageDoesNotReloadUnderThePerson(t *testing.T) {
	t.Parallel()
	w := startWith(t, portaltest.Options{Env: map[string]string{"PORTAL_FACTORS": "email_link,email_code,password"}})
	b := w.b
	w.signUp()
	w.signOut()

	b.load("click Sign in on the app", chromedp.Click(chromedp.ID("sign-in")))
	b.typeInto("identifier-field", email)
	b.submit("submit the email", `form[action="/sign-in"]`)
	b.expectPage("Check your email · Portal", "Check your email")
	link := w.p.SMTP.WaitFor(t, email, 10*time.Second).Link()

	b.do("mark this document", chromedp.Evaluate[chromedp.Void](`window.stillHere = "yes"`))
	time.Sleep(4 * time.Second) // longer than the 3 s the <noscript> refresh waits
	if got := b.eval(`String(window.stillHere)`); got != "yes" {
		b.fatalf("the waiting page reloaded by itself while nothing had changed")
	}

	phone := b.otherContext()
	phone.open(link)
	phone.submit("press Sign in on the other device", `form[action="/v1/verify"]`)
	phone.expectPage("You're signed in on your other device · Portal", "You're signed in on your other device")

	for deadline := time.Now().Add(10 * time.Second); !strings.HasPrefix(b.url(), w.app.URL); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			b.fatalf("the waiting tab did not continue by itself after the link was opened")
		}
	}
	u, err := w.p.Store.Q.UserByIdentifier(context.Background(), user.Email, email)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := b.bounded()
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("signed-in"))); err != nil {
		b.fatalf("the app page: %v", err)
	}
	w.expectSignedIn(u.ID)
}
