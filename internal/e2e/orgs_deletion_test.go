package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/org"
	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// Deleting an account takes it out of its organizations with an
// organizationMembership.deleted for each, as leaving does; the only admin
// of an organization with other members is asked to hand it over first
// (from /user/delete), while the Backend API's deletion goes ahead.
func TestDeletedAccountsLeaveTheirOrganizations(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ada := signedUp(t, p, "ada@example.com")
	orgID := ada.createOrg(t, p, "Acme Rockets").OrgID
	adaMembership := userMembership(t, p, orgID, ada.id)
	bob := newTestUser(t, p, "bob@example.com")
	bobMembership := addTestMember(t, p, orgID, bob, org.RoleMember)

	pg := ada.b.submit(ada.b.get("/user/delete"), deletePageForm, map[string]string{"confirmation": "Delete account"})
	wantText(t, "the only admin deleting", pg, http.StatusConflict, "You're the only admin of Acme Rockets")
	if _, err := p.Store.Q.UserByID(context.Background(), ada.id); err != nil {
		t.Fatalf("Ada was deleted all the same: %v", err)
	}
	if n := countEvents(t, p, adaMembership, events.MembershipDeleted); n != 0 {
		t.Fatalf("%d membership events after the refusal", n)
	}

	if err := p.Store.Q.UpdateMembershipRole(context.Background(), bobMembership, org.RoleAdmin, p.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	pg = ada.b.submit(ada.b.get("/user/delete"), deletePageForm, map[string]string{"confirmation": "Delete account"})
	wantText(t, "deleting once Bob is an admin too", pg, http.StatusOK, "Your account is deleted")
	membershipGone(t, p, adaMembership, "ada@example.com")
	if n, err := p.Store.Q.CountMembers(context.Background(), orgID); err != nil || n != 1 {
		t.Errorf("the organization has %d members (%v), want Bob alone", n, err)
	}

	// The operator deletes Bob, the last member, through the Backend API.
	if r := api(t, p, http.MethodDelete, "/v1/users/"+bob.ID, nil, nil); r.Status != http.StatusOK {
		t.Fatalf("DELETE /v1/users: %d %s", r.Status, r.Body)
	}
	membershipGone(t, p, bobMembership, "bob@example.com")
}

// membershipGone checks the one organizationMembership.deleted of a
// membership, with the member's public data as it was.
func membershipGone(t *testing.T, p *portaltest.Portal, membershipID, email string) {
	t.Helper()
	var deleted []events.Event
	for _, e := range eventsOf(t, p, membershipID) {
		if e.Type == events.MembershipDeleted {
			deleted = append(deleted, e)
		}
	}
	if len(deleted) != 1 {
		t.Fatalf("%d organizationMembership.deleted for %s, want 1", len(deleted), membershipID)
	}
	var obj org.MembershipObject
	if err := json.Unmarshal(deleted[0].Data, &obj); err != nil || obj.ID != membershipID || obj.PublicUserData.Identifier != email {
		t.Errorf("event data %s (%v)", deleted[0].Data, err)
	}
}
