package browser

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/portalhq/portal/internal/testutil/portaltest"
	"github.com/portalhq/portal/internal/waitlist"
)

// TestJoinTheWaitlist follows a person on a waitlist instance, JavaScript
// off (the page is a plain form): from the app to sign-in, whose "no
// account?" link leads to the waiting list, redirect kept; /sign-up leads
// there too. They type their address into the labelled email field,
// press the button and read that they are on the list; the entry is in
// the store and the confirmation email arrives.
func TestJoinTheWaitlist(t *testing.T) {
	t.Parallel()
	w := startWith(t, portaltest.Options{Env: map[string]string{"PORTAL_SIGN_UP_MODE": "waitlist"}})
	b := w.b
	b.disableJavaScript()

	b.open(w.app.URL)
	w.expectSignedOut()
	b.load("click Sign in on the app", chromedp.Click(chromedp.ID("sign-in")))
	w.expectIdentifierPage()
	if got := b.text(`footer a[href^="/waitlist"]`); got != "Join the waitlist" {
		b.fatalf("the sign-in page's link to the waitlist reads %q", got)
	}
	b.load("click Join the waitlist", chromedp.Click(chromedp.CSS(`footer a[href^="/waitlist"]`)))
	b.expectURL(w.p.URL + "/waitlist?redirect_url=" + url.QueryEscape(w.app.URL))
	b.expectPage("Join the waitlist · Portal", "Join the waitlist")

	// The field a person and a password manager can rely on.
	if got := b.attr(`label[for="email_address-field"]`, "for"); got != "email_address-field" {
		b.fatalf("no label for the email field")
	}
	for attr, want := range map[string]string{"type": "email", "name": "email_address", "autocomplete": "email"} {
		if got := b.attr("#email_address-field", attr); got != want {
			b.fatalf("email field %s = %q, want %q", attr, got, want)
		}
	}

	// /sign-up without an invitation comes here as well, redirect kept.
	if st := b.open(w.p.URL + "/sign-up?redirect_url=" + url.QueryEscape(w.app.URL)); st != http.StatusOK {
		b.fatalf("/sign-up: status %d", st)
	}
	b.expectURL(w.p.URL + "/waitlist?redirect_url=" + url.QueryEscape(w.app.URL))

	b.typeInto("email_address-field", email)
	if st := b.submit("join the waitlist", `form[action="/waitlist"]`); st != http.StatusOK {
		b.fatalf("joining: status %d", st)
	}
	b.expectPage("You're on the waitlist · Portal", "You're on the waitlist")
	if got, want := b.text(`[role="status"]`), "Thanks! We'll email "+email+" as soon as you can create your account."; got != want {
		b.fatalf("confirmation %q, want %q", got, want)
	}
	if got := b.attr(`footer a[href^="/sign-in"]`, "href"); got != "/sign-in?redirect_url="+url.QueryEscape(w.app.URL) {
		b.fatalf("the confirmation's sign-in link %q lost the redirect", got)
	}

	list, total, err := w.p.Store.Q.ListWaitlistEntries(context.Background(), waitlist.Filter{Limit: 10})
	if err != nil || total != 1 || list[0].Email != email || list[0].Status != waitlist.Pending {
		t.Fatalf("the waitlist holds %+v (%d), %v; want %s, pending", list, total, err, email)
	}
	if m := w.p.SMTP.WaitFor(t, email, 10*time.Second); m.Subject != "You're on the Portal waitlist" {
		t.Errorf("confirmation email subject %q", m.Subject)
	}
}
