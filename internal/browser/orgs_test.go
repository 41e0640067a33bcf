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

const inviteeEmail = "grace.hopper@example.com"

// TestOrganizationsEndToEnd follows two people through real Chromium: Ada
// creates an organization from the app and invites Grace; Grace, in a
// browser of her own, opens the emailed link, signs up with the address
// filled in and lands on the app as a member of the organization; she
// switches to her personal account and back; Ada makes her an admin, and
// Grace's next token (after the handshake) says so; Ada, with JavaScript
// off, removes her, confirming it on the page that asks, and Grace's next
// token has no organization. The app reads org_id and org_role only from a
// __session it verified against the JWKS.
func TestOrganizationsEndToEnd(t *testing.T) {
	t.Parallel()
	clock := clockwork.NewFakeClockAt(time.Now())
	w := start(t, clock)
	ada := w.b
	w.signUp()
	if got := ada.text("#organization"); got != "Personal account" {
		ada.fatalf("before any organization the app shows %q", got)
	}

	// Ada creates the organization from the app: it becomes active.
	ada.open(w.p.URL + "/create-organization?redirect_url=" + url.QueryEscape(w.app.URL))
	ada.expectPage("Create organization · Portal", "Create organization")
	ada.typeInto("name-field", "Acme Rockets")
	ada.submit("create the organization", `form[action="/create-organization"]`)
	ada.expectURL(w.app.URL)
	orgID := ada.text("#org-id")
	if !strings.HasPrefix(orgID, "org_") || ada.text("#org-role") != "org:admin" {
		ada.fatalf("after creating, the app shows %q as %q", orgID, ada.text("#org-role"))
	}

	// She invites Grace from the organization's page.
	ada.open(w.p.URL + "/organization?redirect_url=" + url.QueryEscape(w.app.URL))
	ada.expectPage("Acme Rockets · Portal", "Acme Rockets")
	ada.load("open the Invitations tab", chromedp.Click(chromedp.CSS(`.cl-orgNav a[href*="/invitations"]`)))
	ada.typeInto("email_address-field", inviteeEmail)
	ada.submit("send the invitation", `form[action$="/invitations"]`)
	if got := ada.text(".cl-alert--success"); got != "The invitation is on its way." {
		ada.fatalf("after inviting: %q", got)
	}
	link := w.p.SMTP.WaitFor(t, inviteeEmail, 10*time.Second).Link()

	// Grace, in another browser context (her own cookies), accepts by
	// signing up.
	grace := ada.otherContext()
	grace.open(link)
	grace.expectURL(w.p.URL + "/sign-up?")
	if got := grace.value("#email_address-field"); got != inviteeEmail {
		grace.fatalf("sign-up email field = %q, want the invited address", got)
	}
	grace.typeInto("password-field", password)
	// The link came through her mailbox, which is what a code would
	// prove: she lands on the app without one.
	grace.submit("sign up", `form[action="/sign-up"]`)
	grace.expectURL(w.app.URL)
	expectOrg(grace, orgID, "org:member")

	// She switches to her personal account and back.
	grace.open(w.p.URL + "/switch-organization?redirect_url=" + url.QueryEscape(w.app.URL))
	grace.expectPage("Switch organization · Portal", "Switch organization")
	grace.load("choose the personal account", chromedp.Click(chromedp.CSS(`button[name="organization_id"][value=""]`)))
	grace.expectURL(w.app.URL)
	if got := grace.text("#organization"); got != "Personal account" {
		grace.fatalf("after choosing the personal account the app shows %q", got)
	}
	grace.open(w.p.URL + "/switch-organization?redirect_url=" + url.QueryEscape(w.app.URL))
	grace.load("choose Acme Rockets", chromedp.Click(chromedp.CSS(`button[name="organization_id"][value="`+orgID+`"]`)))
	expectOrg(grace, orgID, "org:member")

	// Ada makes Grace an admin.
	ada.open(w.p.URL + "/organizations/" + orgID + "/members")
	ada.do("choose the admin role", chromedp.SetValue(chromedp.CSS(`form[action$="/role"] select`), "org:admin"))
	if st := ada.submit("change the role", `form[action$="/role"]`); st != http.StatusOK {
		ada.fatalf("change role: status %d", st)
	}
	if got := ada.text(".cl-alert--success"); got != "The role is changed." {
		ada.fatalf("after changing the role: %q", got)
	}

	// Grace's token expires; the app fetches the next one through the
	// handshake, and it carries the new role.
	clock.Advance(w.p.Config.SessionTokenTTL + tokenLeeway + time.Second)
	grace.open(w.app.URL)
	expectOrg(grace, orgID, "org:admin")

	// Ada removes Grace, scripts off: Remove asks first, saying what it
	// costs; Cancel leaves her be; Remove on the question takes her out.
	ada.disableJavaScript()
	members := w.p.URL + "/organizations/" + orgID + "/members?redirect_url=" + url.QueryEscape(w.app.URL)
	ada.open(members)
	removeGrace := chromedp.Click(chromedp.CSS(`a[aria-label="Remove ` + inviteeEmail + `"]`))
	ada.load("click Remove beside Grace", removeGrace)
	question := "Remove " + inviteeEmail + " from Acme Rockets?"
	ada.expectPage(question+" · Portal", question)
	if got := ada.text(".cl-main .cl-text"); !strings.HasPrefix(got, inviteeEmail+" loses access to Acme Rockets in every app") {
		ada.fatalf("the question says %q", got)
	}
	ada.load("click Cancel", chromedp.Click(chromedp.CSS(`footer a`)))
	ada.expectURL(members)
	ada.load("click Remove beside Grace again", removeGrace)
	ada.submit("confirm the removal", `form[action$="/remove"]`)
	ada.expectURL(w.p.URL + "/organizations/" + orgID + "/members?")
	if got := ada.text(".cl-alert--success"); got != "The member is removed." {
		ada.fatalf("after removing: %q", got)
	}
	if got := ada.text("tbody"); strings.Contains(got, inviteeEmail) {
		ada.fatalf("Grace is still listed: %q", got)
	}

	// Grace's next token carries no organization.
	clock.Advance(w.p.Config.SessionTokenTTL + tokenLeeway + time.Second)
	grace.open(w.app.URL)
	if got := grace.text("#organization"); got != "Personal account" {
		grace.fatalf("after her removal the app shows %q", got)
	}
}

// expectOrg checks the app page shows the organization and role it read
// from its verified token.
func expectOrg(b *tab, orgID, role string) {
	b.t.Helper()
	if got := b.text("#org-id"); got != orgID {
		b.fatalf("the app shows organization %q, want %q", got, orgID)
	}
	if got := b.text("#org-role"); got != role {
		b.fatalf("the app shows role %q, want %q", got, role)
	}
}

// otherContext opens a tab in a new browser context of b's Chromium: its
// own cookies and storage, as a second person's browser would have.
func (b *tab) otherContext() *tab {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	b.t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		b.fatalf("new browser context: %v", err)
	}
	return &tab{t: b.t, ctx: ctx, deadline: b.deadline, output: b.output}
}
