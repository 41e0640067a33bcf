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

// waitForApp waits until b shows the app signed in as userID.
func (w *world) waitForApp(b *tab, what string) {
	w.t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !strings.HasPrefix(b.url(), w.app.URL); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			b.fatalf("%s: the tab did not reach the app", what)
		}
	}
	ctx, cancel := b.bounded()
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("signed-in"))); err != nil {
		b.fatalf("%s: the app page: %v", what, err)
	}
}

// TestEmailLinkOpenedInAnotherTab: the emailed link opened in another tab
// of the same browser signs in that tab (on a new client, REQ-SES-02), and
// the tab waiting for it goes on to the app by itself; Back from the app
// in either tab leads to the app again, not to an expired page.
func TestEmailLinkOpenedInAnotherTab(t *testing.T) {
	t.Parallel()
	w := startWith(t, portaltest.Options{Env: map[string]string{"PORTAL_FACTORS": "email_link,email_code,password"}})
	b := w.b
	w.signUp()
	w.signOut()
	u, err := w.p.Store.Q.UserByIdentifier(context.Background(), user.Email, email)
	if err != nil {
		t.Fatal(err)
	}

	b.load("click Sign in on the app", chromedp.Click(chromedp.ID("sign-in")))
	b.typeInto("identifier-field", email)
	b.submit("submit the email", `form[action="/sign-in"]`)
	b.expectPage("Check your email · Portal", "Check your email")
	link := w.p.SMTP.WaitFor(t, email, 10*time.Second).Link()

	other := b.sibling()
	other.open(link)
	other.submit("press Sign in in the other tab", `form[action="/v1/verify"]`)
	w.waitForApp(other, "the tab that opened the link")
	w.waitForApp(b, "the waiting tab")
	w.expectSignedIn(u.ID)

	b.back("body")
	w.waitForApp(b, "Back from the app in the waiting tab")
	other.back("body")
	if u := other.url(); !strings.HasPrefix(u, w.app.URL) && !strings.Contains(u, "/v1/verify") {
		other.fatalf("Back in the link's tab: at %s", u)
	}
	if strings.Contains(other.text("body"), "expired") {
		other.fatalf("Back in the link's tab shows an expired page")
	}
}
