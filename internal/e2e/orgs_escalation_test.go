package e2e

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/store"
	"github.com/portalhq/portal/internal/testutil/portaltest"
	"github.com/portalhq/portal/internal/user"
)

// REQ-AC-03: a custom role that manages members but holds less than an
// admin (here org:manager: the member list, inviting, roles, removing)
// gives and touches no more than it holds. Posting straight to the routes,
// its holder can neither make a member an admin, nor invite one, nor
// demote or remove the admin above them; each refusal says why and
// changes nothing, and the members page offers none of it. What the role
// does hold still works. And as such a role cannot make anyone admin, the
// last admin cannot leave the organization to it (REQ-AC-06).
func TestManagerRoleCannotReachAboveItself_REQ_AC_03_REQ_AC_06(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{
		"PORTAL_ORG_ROLES": "org:manager=org:sys_memberships:read org:sys_memberships:manage"}})
	admin := signedUp(t, p, "admin@example.com")
	orgID := admin.createOrg(t, p, "Acme").OrgID
	manager := signedUp(t, p, "manager@example.com")
	addTestMember(t, p, orgID, &user.User{ID: manager.id}, "org:manager")
	plain := newTestUser(t, p, "plain@example.com")
	plainM := addTestMember(t, p, orgID, plain, "org:member")
	adminM := userMembership(t, p, orgID, admin.id)
	base := "/organizations/" + orgID + "/members/"

	roleOf := func(membershipID string) string {
		t.Helper()
		m, err := p.Store.Q.MembershipByID(context.Background(), membershipID)
		if errors.Is(err, store.ErrNotFound) {
			return "removed"
		} else if err != nil {
			t.Fatal(err)
		}
		return m.Role
	}
	const above = "can do more than"
	refused := func(what string, pg *page) {
		t.Helper()
		if pg.Status != http.StatusForbidden {
			t.Errorf("%s: status %d, want 403", what, pg.Status)
		}
		if !strings.Contains(pg.text(), above) {
			t.Errorf("%s: the page does not say why:\n%s", what, pg.text())
		}
		if got := roleOf(plainM); got != "org:member" {
			t.Errorf("%s: plain's role is %s now", what, got)
		}
		if got := roleOf(adminM); got != "org:admin" {
			t.Errorf("%s: the admin's role is %s now", what, got)
		}
	}
	refused("making a member admin", manager.b.post(base+plainM+"/role", url.Values{"role": {"org:admin"}}))
	refused("demoting the admin", manager.b.post(base+adminM+"/role", url.Values{"role": {"org:member"}}))
	refused("removing the admin", manager.b.post(base+adminM+"/remove", nil))
	refused("asking to remove the admin", manager.b.get(base+adminM+"/remove"))
	refused("inviting an admin", manager.b.post("/organizations/"+orgID+"/invitations",
		url.Values{"email_address": {"accomplice@example.com"}, "role": {"org:admin"}}))
	var invs struct {
		TotalCount int `json:"total_count"`
	}
	api(t, p, http.MethodGet, "/v1/organizations/"+orgID+"/invitations?status=pending", nil, &invs)
	if invs.TotalCount != 0 {
		t.Errorf("%d invitations stored after the refusal", invs.TotalCount)
	}

	// The page offers only what the role may do: no admin among the roles
	// to give, and neither a role select nor Remove on the admin's row.
	pg := manager.b.get(base[:len(base)-1])
	if n := pg.Doc.Find(`#` + plainM + ` select[name="role"] option[value="org:admin"]`).Length(); n != 0 {
		t.Errorf("the manager is offered org:admin for a member")
	}
	if pg.Doc.Find(`#`+plainM+` select[name="role"] option[value="org:manager"]`).Length() != 1 {
		t.Errorf("the manager is not offered their own role for a member")
	}
	if n := pg.Doc.Find(`#` + adminM + ` form, #` + adminM + ` a[href$="/remove"]`).Length(); n != 0 {
		t.Errorf("the admin's row offers the manager %d controls", n)
	}
	inv := manager.b.get("/organizations/" + orgID + "/invitations")
	if inv.Doc.Find(`select[name="role"] option[value="org:admin"]`).Length() != 0 {
		t.Errorf("the invitation form offers the manager org:admin")
	}

	// Nor is an admin's invitation to admin the manager's to resend or
	// revoke (its row offers neither).
	admin.invite(t, p, orgID, "second-admin@example.com", "org:admin")
	var pending struct {
		Data []struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"data"`
	}
	api(t, p, http.MethodGet, "/v1/organizations/"+orgID+"/invitations?status=pending", nil, &pending)
	if len(pending.Data) != 1 {
		t.Fatalf("pending invitations = %+v", pending.Data)
	}
	invID := pending.Data[0].ID
	if n := manager.b.get("/organizations/" + orgID + "/invitations").Doc.Find(`#` + invID + ` form`).Length(); n != 0 {
		t.Errorf("the admin invitation's row offers the manager %d forms", n)
	}
	for _, action := range []string{"resend", "revoke"} {
		pg := manager.b.post("/organizations/"+orgID+"/invitations/"+invID+"/"+action, nil)
		if pg.Status != http.StatusForbidden || !strings.Contains(pg.text(), "can't resend or revoke it") {
			t.Errorf("%s of an admin invitation by the manager: status %d:\n%s", action, pg.Status, pg.text())
		}
	}
	api(t, p, http.MethodGet, "/v1/organizations/"+orgID+"/invitations?status=pending", nil, &pending)
	if len(pending.Data) != 1 {
		t.Errorf("the admin invitation is no longer pending after the manager's refused revoke")
	}

	// What the role holds still works: a member made manager, an invitation
	// as a member.
	manager.b.post(base+plainM+"/role", url.Values{"role": {"org:manager"}})
	if got := roleOf(plainM); got != "org:manager" {
		t.Errorf("the manager could not make a member manager: role %s", got)
	}
	manager.invite(t, p, orgID, "newcomer@example.com", "org:member")
	// The admin cannot leave the organization to managers alone: none of
	// them could make anyone admin again (REQ-AC-06).
	left := admin.b.post("/organizations/"+orgID+"/leave", url.Values{"confirm_name": {"Acme"}})
	if !strings.Contains(left.text(), "at least one admin") || roleOf(adminM) != "org:admin" {
		t.Errorf("the only admin left an organization of managers: status %d, role %s:\n%s", left.Status, roleOf(adminM), left.text())
	}
	// And the admin still gives and takes every role.
	admin.b.post(base+plainM+"/role", url.Values{"role": {"org:admin"}})
	if got := roleOf(plainM); got != "org:admin" {
		t.Errorf("the admin could not make a member admin: role %s", got)
	}
}
