package e2e

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/org"
	"github.com/portalhq/portal/internal/testutil/portaltest"
)

func domainForm(orgID string) string { return `form[action="/organizations/` + orgID + `/domains"]` }

// domainStepForm is a form of a domain's page, from the path of the page.
func domainStepForm(path, step string) string {
	return `form[action="` + path + `/` + step + `"]`
}

// An admin adds a verified domain on the organization's settings, verifies
// it with a code emailed to an address there, and turns on automatic
// invitations: the person who already has an address there, the one who
// signs up with one and the one who adds one on /user each find an
// invitation on /switch-organization (REQ-OTP-01…05 through the code
// machinery). Every form keeps what was typed when it is refused and says
// why.
func TestVerifiedDomainsOnTheOrganizationPage(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ada := signedUp(t, p, "ada@example.com")
	carol := signedUp(t, p, "carol@acme-rockets.test") // has an address there already
	acme := ada.createOrg(t, p, "Acme Rockets")
	bob := signedUp(t, p, "bob@example.com")
	ada.invite(t, p, acme.OrgID, "bob@example.com", org.RoleMember)
	bob.b.submit(bob.b.get("/switch-organization"), joinForm(pendingTo(t, p, acme.OrgID, "bob@example.com")), nil)

	settings := ada.b.get("/organizations/" + acme.OrgID)
	wantText(t, "the settings", settings, http.StatusOK, "Verified domains", "No domains yet.")
	if pg := bob.b.get("/organizations/" + acme.OrgID); pg.Doc.Find(`[data-testid="org-domains"]`).Length() != 0 {
		t.Error("a member without org:sys_domains:read sees the domains")
	}

	refused := ada.b.submit(settings, domainForm(acme.OrgID), map[string]string{"domain": "Gmail.com"})
	wantText(t, "a free email domain", refused, http.StatusUnprocessableEntity,
		"gmail.com is a free email service anyone can sign up with")
	if v, _ := refused.Doc.Find(`#domain-field`).Attr("value"); v != "Gmail.com" {
		t.Errorf("the domain field kept %q", v)
	}
	if refused.Doc.Find(`#domain-field[aria-invalid="true"]`).Length() != 1 {
		t.Error("the refused field is not marked invalid")
	}

	added := ada.b.submit(settings, domainForm(acme.OrgID), map[string]string{"domain": "Acme-Rockets.test"})
	wantText(t, "after adding", added, http.StatusOK, "The domain is added.", "acme-rockets.test", "Unverified",
		"enter an email address at acme-rockets.test")
	domainID := strings.TrimPrefix(added.URL.Path, "/organizations/"+acme.OrgID+"/domains/")
	dp := added.URL.Path
	if !strings.HasPrefix(domainID, "orgdmn_") {
		t.Fatalf("after adding the browser is at %s", added.URL)
	}

	elsewhere := ada.b.submit(added, domainStepForm(dp, "send-code"), map[string]string{"email_address": "it@elsewhere.test"})
	wantText(t, "an address elsewhere", elsewhere, http.StatusUnprocessableEntity,
		"Enter an address at acme-rockets.test, like name@acme-rockets.test.")
	if v, _ := elsewhere.Doc.Find(`#email_address-field`).Attr("value"); v != "it@elsewhere.test" {
		t.Errorf("the email field kept %q", v)
	}
	// Nothing typed (a browser that does not check required) is asked for
	// an address, not told that "" is no email address.
	empty := ada.b.submit(added, domainStepForm(dp, "send-code"), map[string]string{"email_address": " "})
	wantText(t, "no address", empty, http.StatusUnprocessableEntity,
		"Enter an address at acme-rockets.test, like name@acme-rockets.test.")
	sent := ada.b.submit(elsewhere, domainStepForm(dp, "send-code"), map[string]string{"email_address": "it@acme-rockets.test"})
	wantText(t, "after sending", sent, http.StatusOK, "The code is on its way.", "We sent a code to it@acme-rockets.test.")
	// The code field, which takes the focus, is described by the notice
	// and the sentence saying where the code went: a screen reader says
	// them with the field.
	var said []string
	for _, id := range strings.Fields(sent.Doc.Find(`#code-field`).AttrOr("aria-describedby", "")) {
		said = append(said, strings.TrimSpace(sent.Doc.Find("#"+id).Text()))
	}
	if got := strings.Join(said, " "); !strings.Contains(got, "The code is on its way.") || !strings.Contains(got, "We sent a code to it@acme-rockets.test.") {
		t.Errorf("the code field is described as %q", got)
	}
	mail := p.SMTP.WaitFor(t, "it@acme-rockets.test", mailWait)
	// Whoever gets it learns who asks, for what, and that ignoring it is safe.
	if text := strings.Join(strings.Fields(mail.Text), " "); !strings.Contains(text,
		"Acme Rockets asks to use the email domain acme-rockets.test in Portal") ||
		!strings.Contains(text, "nothing changes without the code") {
		t.Errorf("the code email says:\n%s", mail.Text)
	}
	wrong := ada.b.submit(sent, domainStepForm(dp, "verify"), map[string]string{"code": otherCode(mail.Code())})
	wantText(t, "a wrong code", wrong, http.StatusUnprocessableEntity, "That code is incorrect.")
	verified := ada.b.submit(wrong, domainStepForm(dp, "verify"), map[string]string{"code": mail.Code()})
	wantText(t, "after the code", verified, http.StatusOK, "The domain is verified.", "Verified with it@acme-rockets.test.",
		"Manual invitations", "Automatic invitations", "Automatic suggestions")

	saved := ada.b.submit(verified, domainStepForm(dp, "enrollment"), map[string]string{"enrollment_mode": "automatic_invitation"})
	wantText(t, "after choosing automatic invitations", saved, http.StatusOK, "Your changes are saved.",
		"1 pending invitation to an address at acme-rockets.test.")
	if saved.Doc.Find(`input[name="enrollment_mode"][value="automatic_invitation"][checked]`).Length() != 1 {
		t.Error("the chosen mode is not checked")
	}
	unknown := ada.b.postForm(http.MethodPost, dp+"/enrollment",
		map[string][]string{"_csrf": {ada.b.csrf()}, "enrollment_mode": {"everyone"}}, nil)
	wantText(t, "an unknown mode", unknown, http.StatusUnprocessableEntity,
		"Choose manual_invitation, automatic_invitation or automatic_suggestion.")
	if got := eventTypes(eventsOf(t, p, domainID)); !slices.Equal(got,
		[]string{events.DomainCreated, events.DomainUpdated, events.DomainUpdated}) {
		t.Errorf("events of the domain = %v", got)
	}

	// Carol, who had an address there, finds the invitation.
	wantText(t, "carol's switcher", carol.b.get("/switch-organization"), http.StatusOK, "Invitations", "Acme Rockets", "Member")
	// Dave signs up with an address there: the invitation is waiting.
	dave := signedUp(t, p, "dave@acme-rockets.test")
	wantText(t, "dave's switcher", dave.b.get("/switch-organization"), http.StatusOK, "Invitations", "Acme Rockets")
	// Bob, a member already, gets none for the address he adds there.
	addEmail(t, p, bob.b, "bob@acme-rockets.test")
	if _, err := p.Store.Q.PendingInvitation(context.Background(), acme.OrgID, "bob@acme-rockets.test"); err == nil {
		t.Error("a member was invited for a new address")
	}
	// Eve adds an address there on /user: the invitation follows.
	eve := signedUp(t, p, "eve@example.com")
	addEmail(t, p, eve.b, "eve@acme-rockets.test")
	wantText(t, "eve's switcher", eve.b.get("/switch-organization"), http.StatusOK, "Invitations", "Acme Rockets")
	n := 0
	for _, m := range p.SMTP.Messages() {
		if slices.Contains(m.To, "carol@acme-rockets.test") {
			n++
		}
	}
	if n != 1 { // the sign-up code only
		t.Errorf("carol was sent %d emails; automatic invitations are not emailed", n)
	}

	// Going back to manual invitations, the admin may take back what the
	// domain gave and nobody used: a checkbox, offered while any waits.
	page := ada.b.get(dp)
	wantText(t, "the domain page", page, http.StatusOK, "3 pending invitations to addresses at acme-rockets.test.")
	box := page.Doc.Find(domainStepForm(dp, "enrollment") + ` input#delete_pending-field[type="checkbox"][name="delete_pending"]`)
	if box.Length() != 1 || box.Is("[checked]") {
		t.Fatal("no unchecked delete_pending checkbox in the enrollment form")
	}
	if l := strings.TrimSpace(page.Doc.Find(`label[for="delete_pending-field"]`).Text()); l !=
		"Also revoke the pending invitations and withdraw the suggestions to addresses at acme-rockets.test" {
		t.Errorf("the checkbox's label says %q", l)
	}
	cleared := ada.b.submit(page, domainStepForm(dp, "enrollment"),
		map[string]string{"enrollment_mode": "manual_invitation", "delete_pending": "true"})
	wantText(t, "after clearing", cleared, http.StatusOK, "Your changes are saved.",
		"0 pending invitations to addresses at acme-rockets.test.")
	if cleared.Doc.Find(`#delete_pending-field`).Length() != 0 {
		t.Error("the checkbox is still offered with nothing pending")
	}
	if pg := carol.b.get("/switch-organization"); strings.Contains(pg.Doc.Find("main").Text(), "Acme Rockets") {
		t.Error("carol's revoked invitation still shows on her switcher")
	}

	page = ada.b.get(dp)
	removed := ada.b.submit(page, domainStepForm(dp, "remove"), nil)
	wantText(t, "after removing", removed, http.StatusOK, "The domain is removed.", "No domains yet.")
	if removed.URL.Path != "/organizations/"+acme.OrgID {
		t.Errorf("after removing the browser is at %s", removed.URL)
	}
}

// The admin's own verified address at the domain verifies it as it is
// added, as Clerk does.
func TestOwnAddressVerifiesTheDomainAtOnce(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ada := signedUp(t, p, "ada@acme.test")
	acme := ada.createOrg(t, p, "Acme")
	pg := ada.b.submit(ada.b.get("/organizations/"+acme.OrgID), domainForm(acme.OrgID), map[string]string{"domain": "acme.test"})
	wantText(t, "after adding", pg, http.StatusOK, "The domain is verified.", "Verified with ada@acme.test.")
}

// A domain page left open while the domain was verified in another tab:
// "Send code" there says it is verified, instead of a 409 whose message
// the verified page has no place for.
func TestSendCodeForADomainVerifiedMeanwhile(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ada := signedUp(t, p, "ada@example.com")
	acme := ada.createOrg(t, p, "Acme")
	stale := ada.b.submit(ada.b.get("/organizations/"+acme.OrgID), domainForm(acme.OrgID), map[string]string{"domain": "acme.test"})
	dp := stale.URL.Path

	other := ada.b.submit(stale, domainStepForm(dp, "send-code"), map[string]string{"email_address": "it@acme.test"})
	code := p.SMTP.WaitFor(t, "it@acme.test", mailWait).Code()
	wantText(t, "verified in the other tab", ada.b.submit(other, domainStepForm(dp, "verify"), map[string]string{"code": code}),
		http.StatusOK, "The domain is verified.")

	pg := ada.b.submit(stale, domainStepForm(dp, "send-code"), map[string]string{"email_address": "it@acme.test"})
	wantText(t, "send code from the stale page", pg, http.StatusOK, "The domain is verified.", "Verified with it@acme.test.")
}
