package e2e

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/org"
	"github.com/portalhq/portal/internal/testutil/portaltest"
)

func joinForm(invitationID string) string {
	return `form[action="/switch-organization/invitations/` + invitationID + `/accept"]`
}

func declineForm(invitationID string) string {
	return `form[action="/switch-organization/invitations/` + invitationID + `/decline"]`
}

// pendingTo is the ID of orgID's pending invitation to email.
func pendingTo(t *testing.T, p *portaltest.Portal, orgID, email string) string {
	t.Helper()
	inv, err := p.Store.Q.PendingInvitation(context.Background(), orgID, email)
	if err != nil {
		t.Fatalf("pending invitation of %s to %s: %v", orgID, email, err)
	}
	return inv.ID
}

// A signed-in person sees on /switch-organization the invitations sent to
// their addresses, with the organization and the role, and joins one with
// a button: a member now, the invitation accepted, both events written, the
// organization in their list; the app's redirect_url stays with them. They
// decline another, which is revoked.
func TestSwitcherShowsWaitingInvitations(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ada := signedUp(t, p, "ada@example.com")
	acme, beta := ada.createOrg(t, p, "Acme Rockets"), ada.createOrg(t, p, "Beta Works")
	bob := signedUp(t, p, "bob@example.com")
	ada.invite(t, p, acme.OrgID, "bob@example.com", org.RoleAdmin)
	ada.invite(t, p, beta.OrgID, "bob@example.com", org.RoleMember)
	acmeInv, betaInv := pendingTo(t, p, acme.OrgID, "bob@example.com"), pendingTo(t, p, beta.OrgID, "bob@example.com")

	pg := bob.b.get(withRedirect("/switch-organization", appURL))
	wantText(t, "the switcher", pg, http.StatusOK, "Invitations", "Acme Rockets", "Admin", "Beta Works", "Member")
	if n := pg.Doc.Find(switchOrgForm + ` button[name="organization_id"][value="` + acme.OrgID + `"]`).Length(); n != 0 {
		t.Fatal("Acme is offered to switch to before Bob joined it")
	}
	join := pg.Doc.Find(joinForm(acmeInv) + ` button[type="submit"]`)
	if label, _ := join.Attr("aria-label"); join.Text() != "Join" || label != "Join Acme Rockets" {
		t.Errorf("join button %q labelled %q", join.Text(), label)
	}
	if v, _ := pg.Doc.Find(joinForm(acmeInv) + ` input[name="redirect_url"]`).Attr("value"); v != appURL {
		t.Errorf("join form carries redirect_url %q", v)
	}

	joined := bob.b.submit(pg, joinForm(acmeInv), nil)
	wantText(t, "after joining", joined, http.StatusOK, "Welcome! You joined the organization.")
	if joined.URL.Path != "/switch-organization" || joined.URL.Query().Get("redirect_url") != appURL {
		t.Errorf("after joining the browser is at %s", joined.URL)
	}
	if joined.Doc.Find(switchOrgForm+` button[name="organization_id"][value="`+acme.OrgID+`"]`).Length() != 1 {
		t.Errorf("Acme is not in Bob's list after joining:\n%s", joined.text())
	}
	if joined.Doc.Find(joinForm(acmeInv)).Length() != 0 {
		t.Error("the accepted invitation is still offered")
	}
	m, err := p.Store.Q.MembershipOf(context.Background(), acme.OrgID, bob.id)
	if err != nil || m.Role != org.RoleAdmin {
		t.Fatalf("Bob's membership = %+v, %v", m, err)
	}
	if got := eventTypes(eventsOf(t, p, acmeInv)); !slices.Equal(got, []string{events.InvitationCreated, events.InvitationAccepted}) {
		t.Errorf("events of the invitation = %v", got)
	}
	if got := eventTypes(eventsOf(t, p, m.ID)); !slices.Equal(got, []string{events.MembershipCreated}) {
		t.Errorf("events of the membership = %v", got)
	}
	// He may now choose it, and the app's token names it.
	done := bob.b.submit(joined, switchOrgForm, map[string]string{"organization_id": acme.OrgID})
	if c := verifyOrg(t, p, wantHandBack(t, done, http.StatusSeeOther, appURL)); c.OrgID != acme.OrgID || c.OrgRole != org.RoleAdmin {
		t.Errorf("token after choosing the joined organization = %+v", c)
	}

	declined := bob.b.submit(bob.b.get("/switch-organization"), declineForm(betaInv), nil)
	wantText(t, "after declining", declined, http.StatusOK, "You declined the invitation.")
	if strings.Contains(declined.text(), "Beta Works") {
		t.Error("the declined invitation is still shown")
	}
	if got := eventTypes(eventsOf(t, p, betaInv)); !slices.Equal(got, []string{events.InvitationCreated, events.InvitationRevoked}) {
		t.Errorf("events of the declined invitation = %v", got)
	}
	if _, err := p.Store.Q.MembershipOf(context.Background(), beta.OrgID, bob.id); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("declining made Bob a member: %v", err)
	}
}

// REQ-AC-06: pressing "Join" twice (a double click, or the form again from
// the back button) is not an error once the first made the person a
// member: they land where the first would have taken them, and the
// invitation is still used once. The same for the emailed link's "Join".
func TestJoinPressedTwice_REQ_AC_06(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ada := signedUp(t, p, "ada@example.com")
	acme := ada.createOrg(t, p, "Acme")
	bob := signedUp(t, p, "bob@example.com")
	ada.invite(t, p, acme.OrgID, "bob@example.com", "")
	inv := pendingTo(t, p, acme.OrgID, "bob@example.com")

	pg := bob.b.get(withRedirect("/switch-organization", appURL))
	wantText(t, "first join", bob.b.submit(pg, joinForm(inv), nil), http.StatusOK, "Welcome! You joined the organization.")
	again := bob.b.submit(pg, joinForm(inv), nil)
	wantText(t, "second join", again, http.StatusOK, "Welcome! You joined the organization.")
	if strings.Contains(again.text(), "can't be used") || again.URL.Query().Get("redirect_url") != appURL {
		t.Errorf("the second join at %s says:\n%s", again.URL, again.text())
	}
	if got := eventTypes(eventsOf(t, p, inv)); !slices.Equal(got, []string{events.InvitationCreated, events.InvitationAccepted}) {
		t.Errorf("events of the invitation = %v", got)
	}

	link := ada.invite(t, p, acme.OrgID, "carol@example.com", "")
	carol := signedUp(t, p, "carol@example.com")
	confirm := carol.b.get(link)
	verifyOrg(t, p, wantHandBack(t, carol.b.submit(confirm, acceptForm, nil), http.StatusSeeOther, appURL))
	c := verifyOrg(t, p, wantHandBack(t, carol.b.submit(confirm, acceptForm, nil), http.StatusSeeOther, appURL))
	if c.OrgID != acme.OrgID {
		t.Errorf("token after the second press = %+v", c)
	}
	// Someone else posting the used ticket still learns nothing.
	eve := signedUp(t, p, "eve@example.com")
	ticket := mustParse(t, link).Query().Get("ticket")
	if pg := eve.b.postForm(http.MethodPost, "/accept-invitation", url.Values{"_csrf": {eve.b.csrf()}, "ticket": {ticket}}, nil); pg.Status != http.StatusGone {
		t.Errorf("eve posts carol's used ticket: status %d", pg.Status)
	}
	// Nor does someone else's used invitation become theirs to "join".
	if pg := eve.b.postForm(http.MethodPost, "/switch-organization/invitations/"+inv+"/accept", url.Values{"_csrf": {eve.b.csrf()}}, nil); pg.Status != http.StatusNotFound {
		t.Errorf("eve joins by bob's used invitation: status %d", pg.Status)
	}
}

// Pressing "Decline" twice, or on an invitation withdrawn meanwhile, ends
// as declining does: nothing is left to join. The invitation is revoked
// once.
func TestDeclinePressedTwice(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ada := signedUp(t, p, "ada@example.com")
	acme := ada.createOrg(t, p, "Acme")
	bob := signedUp(t, p, "bob@example.com")
	ada.invite(t, p, acme.OrgID, "bob@example.com", "")
	inv := pendingTo(t, p, acme.OrgID, "bob@example.com")

	pg := bob.b.get(withRedirect("/switch-organization", appURL))
	wantText(t, "first decline", bob.b.submit(pg, declineForm(inv), nil), http.StatusOK, "You declined the invitation.")
	again := bob.b.submit(pg, declineForm(inv), nil)
	wantText(t, "second decline", again, http.StatusOK, "You declined the invitation.")
	if strings.Contains(again.text(), "Ask for a new one") {
		t.Errorf("the second press says:\n%s", again.text())
	}
	if got := eventTypes(eventsOf(t, p, inv)); !slices.Equal(got, []string{events.InvitationCreated, events.InvitationRevoked}) {
		t.Errorf("events of the invitation = %v", got)
	}
}

// Joining a full organization says so on the switcher, which stays as it
// was; someone else's invitation cannot be joined or declined (404, nothing
// written), and the forms need the CSRF token (REQ-SES-08).
func TestSwitcherJoinRefusals_REQ_AC_02_REQ_SES_08(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_ORG_MAX_MEMBERS": "2"}})
	ada := signedUp(t, p, "ada@example.com")
	acme := ada.createOrg(t, p, "Acme")
	bob, eve := signedUp(t, p, "bob@example.com"), signedUp(t, p, "eve@example.com")
	ada.invite(t, p, acme.OrgID, "bob@example.com", "")
	inv := pendingTo(t, p, acme.OrgID, "bob@example.com")

	for _, action := range []string{"accept", "decline"} {
		pg := eve.b.postForm(http.MethodPost, "/switch-organization/invitations/"+inv+"/"+action,
			url.Values{"_csrf": {eve.b.csrf()}}, nil)
		if pg.Status != http.StatusNotFound {
			t.Errorf("eve %ss bob's invitation: status %d", action, pg.Status)
		}
		pg = bob.b.postForm(http.MethodPost, "/switch-organization/invitations/"+inv+"/"+action, url.Values{}, nil)
		if pg.Status != http.StatusForbidden {
			t.Errorf("%s without the CSRF token: status %d", action, pg.Status)
		}
	}
	if got := eventTypes(eventsOf(t, p, inv)); !slices.Equal(got, []string{events.InvitationCreated}) {
		t.Errorf("refusals wrote events: %v", got)
	}

	// The organization fills up (Ada and Carol) while Bob's invitation waits.
	carol := newTestUser(t, p, "carol@example.com")
	addTestMember(t, p, acme.OrgID, carol, org.RoleMember)
	pg := bob.b.get("/switch-organization")
	full := bob.b.submit(pg, joinForm(inv), nil)
	wantText(t, "joining a full organization", full, http.StatusConflict, "This organization has reached its member limit.", "Acme")
	if full.Doc.Find(`[role="alert"]`).Length() == 0 {
		t.Error("the refusal is not announced")
	}
}

func eventTypes(evs []events.Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Type)
	}
	return out
}
