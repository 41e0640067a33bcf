package browser

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/jonboulle/clockwork"
)

// signUpToCode fills in the portal's own sign-up page in b with address
// and the test password, sends it, and expects the page that asks for the
// emailed code.
func (w *world) signUpToCode(b *tab, address string) {
	w.t.Helper()
	b.open(w.p.URL + "/sign-up")
	b.typeInto("email_address-field", address)
	b.typeInto("password-field", password)
	b.submit("submit the sign-up form", `form[action="/sign-up"]`)
	b.expectURL(w.p.URL + "/sign-up/verify-email-address?")
	b.expectPage("Verify your email · Portal", "Verify your email")
}

// signUpOnPortal signs a person up in b on the portal's own sign-up page
// (no app involved) and leaves them signed in there.
func (w *world) signUpOnPortal(b *tab, address string) {
	w.t.Helper()
	w.signUpToCode(b, address)
	b.typeInto("code-field", w.p.SMTP.WaitFor(w.t, address, 10*time.Second).Code())
	b.submit("enter the emailed code", `form[action="/sign-up/verify-email-address"]`)
	b.expectPage("Signed in · Portal", "You're signed in")
}

// TestJoinAnInvitationFromTheSwitcher: Grace, who has an account, is
// invited to Ada's organization; without opening the email she finds the
// invitation on /switch-organization (Clerk's OrganizationSwitcher), with
// the organization and her role, presses Join, and the organization is in
// her list; choosing it hands the app a token that names it.
func TestJoinAnInvitationFromTheSwitcher(t *testing.T) {
	t.Parallel()
	w := start(t, clockwork.NewFakeClockAt(time.Now()))
	ada := w.b
	w.signUp()
	grace := ada.otherContext()
	w.signUpOnPortal(grace, inviteeEmail)

	ada.open(w.p.URL + "/create-organization")
	ada.typeInto("name-field", "Acme Rockets")
	ada.submit("create the organization", `form[action="/create-organization"]`)
	ada.open(w.p.URL + "/organization")
	orgID := afterPrefix(ada, w.p.URL+"/organizations/")
	ada.open(w.p.URL + "/organizations/" + orgID + "/invitations")
	ada.typeInto("email_address-field", inviteeEmail)
	ada.submit("invite Grace", `form[action$="/invitations"]`)
	w.p.SMTP.WaitFor(t, inviteeEmail, 10*time.Second) // sent, and left unopened

	grace.open(w.p.URL + "/switch-organization?redirect_url=" + url.QueryEscape(w.app.URL))
	grace.expectPage("Switch organization · Portal", "Switch organization")
	if got := grace.text(`[data-testid=org-invitation]`); !strings.Contains(got, "Acme Rockets") || !strings.Contains(got, "Member") {
		grace.fatalf("the invitation reads %q, want the organization and the role", got)
	}
	if st := grace.load("press Join", chromedp.Click(chromedp.CSS(`[data-testid=org-invitation] form[action$="/accept"] button`))); st != http.StatusOK {
		grace.fatalf("join: status %d", st)
	}
	grace.expectURL(w.p.URL + "/switch-organization?")
	if got := grace.text(".cl-alert--success"); got != "Welcome! You joined the organization." {
		grace.fatalf("after joining the page says %q", got)
	}
	choose := `button[name="organization_id"][value="` + orgID + `"]`
	if got := grace.text(choose); !strings.Contains(got, "Acme Rockets") {
		grace.fatalf("the list offers %q for the organization", got)
	}
	if n := grace.eval(`String(document.querySelectorAll('[data-testid=org-invitation]').length)`); n != "0" {
		grace.fatalf("%s invitations still shown after joining", n)
	}
	grace.load("choose Acme Rockets", chromedp.Click(chromedp.CSS(choose)))
	grace.expectURL(w.app.URL)
	expectOrg(grace, orgID, "org:member")
}
