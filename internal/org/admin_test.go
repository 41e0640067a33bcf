package org_test

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/org"
)

// The Backend API is nobody's member and asks no role, but the rules that
// keep an organization sound hold for it as for a person (REQ-AC-06): the
// last admin stays, the member limit holds, an invitation is used once.
// Every change writes its events with it.
func TestAdminKeepsTheRules_REQ_AC_06(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx, adm := t.Context(), e.svc.Admin()
		ada, bob, cy := e.person("ada@example.com"), e.person("bob@example.com"), e.person("cy@example.com")
		two := 2
		o, err := adm.Create(ctx, org.AdminCreateInput{Name: "Acme", CreatedBy: ada.ID, MaxMembers: &two,
			PublicMetadata: json.RawMessage(`{"plan":"pro"}`)})
		if err != nil {
			t.Fatal(err)
		}
		if o.Slug != "acme" || string(o.PublicMetadata) != `{"plan":"pro"}` || string(o.PrivateMetadata) != `{}` ||
			o.MaxAllowedMemberships != 2 || o.CreatedBy != ada.ID {
			t.Errorf("created %+v", o)
		}
		if got := e.eventTypes(o.ID); !slices.Equal(got, []string{events.OrganizationCreated}) {
			t.Errorf("organization events %v", got)
		}
		if e.membership(&org.Organization{ID: o.ID}, ada).Role != org.RoleAdmin {
			t.Error("created_by is not the first admin")
		}
		if e.activeOrg(ada) != "" {
			t.Error("an API creation changed the creator's active organization")
		}

		// The last admin can neither be demoted nor removed.
		if _, err := adm.SetRole(ctx, o.ID, ada.ID, org.RoleMember); !errors.Is(err, org.ErrLastAdmin) {
			t.Errorf("demoting the last admin: %v", err)
		}
		if _, err := adm.RemoveMember(ctx, o.ID, ada.ID); !errors.Is(err, org.ErrLastAdmin) {
			t.Errorf("removing the last admin: %v", err)
		}

		// The member limit counts members.
		m, err := adm.AddMember(ctx, o.ID, bob.ID, org.RoleMember)
		if err != nil || m.Role != org.RoleMember || m.PublicUserData.UserID != bob.ID ||
			m.PublicUserData.Identifier != "bob@example.com" || m.Organization.ID != o.ID {
			t.Fatalf("AddMember = %+v, %v", m, err)
		}
		if got := e.eventTypes(m.ID); !slices.Equal(got, []string{events.MembershipCreated}) {
			t.Errorf("membership events %v", got)
		}
		if _, err := adm.AddMember(ctx, o.ID, cy.ID, org.RoleMember); !errors.Is(err, org.ErrMemberLimit) {
			t.Errorf("a third member of two: %v", err)
		}
		if _, err := adm.Invite(ctx, o.ID, org.AdminInviteInput{Email: "dee@example.com", Role: org.RoleMember}); !errors.Is(err, org.ErrMemberLimit) {
			t.Errorf("an invitation beyond the limit: %v", err)
		}

		// With two admins one may go.
		if m, err = adm.SetRole(ctx, o.ID, bob.ID, org.RoleAdmin); err != nil || m.Role != org.RoleAdmin {
			t.Fatalf("SetRole = %+v, %v", m, err)
		}
		if gone, err := adm.RemoveMember(ctx, o.ID, ada.ID); err != nil || gone.PublicUserData.UserID != ada.ID {
			t.Fatalf("RemoveMember = %+v, %v", gone, err)
		}
		if _, err := adm.SetRole(ctx, o.ID, ada.ID, org.RoleAdmin); !errors.Is(err, org.ErrNotFound) {
			t.Errorf("role of a removed member: %v", err)
		}
		if _, err := adm.AddMember(ctx, o.ID, bob.ID, org.RoleAdmin); !isCode(err, apperr.Conflict) || !isField(err, "user_id") {
			t.Errorf("adding a member twice: %v", err)
		}
		if _, err := adm.AddMember(ctx, o.ID, "user_missing", org.RoleAdmin); !isCode(err, apperr.NotFound) {
			t.Errorf("adding a user who does not exist: %v", err)
		}

		// An invitation works once, and not after it is revoked.
		inv, err := adm.Invite(ctx, o.ID, org.AdminInviteInput{Email: "cy@example.com", Role: org.RoleMember,
			InviterID: bob.ID, ExpiresInDays: 3, PrivateMetadata: json.RawMessage(`{"source":"crm"}`)})
		if err != nil || inv.Status != org.Pending || inv.InviterUserID != bob.ID ||
			inv.ExpiresAt != e.clock.Now().AddDate(0, 0, 3).UnixMilli() || string(inv.PrivateMetadata) != `{"source":"crm"}` {
			t.Fatalf("Invite = %+v, %v", inv, err)
		}
		ticket := e.mail.ticket(t, "cy@example.com")
		if _, _, err := e.svc.Accept(ctx, cy.actor, ticket); err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.svc.Accept(ctx, cy.actor, ticket); !errors.Is(err, org.ErrInvitationGone) {
			t.Errorf("second acceptance: %v", err)
		}
		if _, err := adm.Revoke(ctx, o.ID, inv.ID); !errors.Is(err, org.ErrInvitationAcceptedAlready) {
			t.Errorf("revoking an accepted invitation: %v, want ErrInvitationAcceptedAlready", err)
		}
		if _, err := adm.RemoveMember(ctx, o.ID, cy.ID); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Second) // so that the lists below have an order
		inv, err = adm.Invite(ctx, o.ID, org.AdminInviteInput{Email: "cy@example.com", Role: org.RoleMember})
		if err != nil {
			t.Fatal(err)
		}
		if inv, err = adm.Revoke(ctx, o.ID, inv.ID); err != nil || inv.Status != org.Revoked {
			t.Fatalf("Revoke = %+v, %v", inv, err)
		}
		if _, _, err := e.svc.Accept(ctx, cy.actor, e.mail.ticket(t, "cy@example.com")); !errors.Is(err, org.ErrInvitationGone) {
			t.Errorf("accepting a revoked invitation: %v", err)
		}
		if got := e.eventTypes(inv.ID); !slices.Equal(got, []string{events.InvitationCreated, events.InvitationRevoked}) {
			t.Errorf("invitation events %v", got)
		}
		if _, err := adm.Invite(ctx, o.ID, org.AdminInviteInput{Email: "dee@example.com", Role: org.RoleMember,
			InviterID: ada.ID}); !isField(err, "inviter_user_id") {
			t.Errorf("an inviter who is no member: %v", err)
		}

		list, total, err := adm.Invitations(ctx, o.ID, org.InvitationFilter{Statuses: []string{org.Accepted, org.Revoked}})
		if err != nil || total != 2 || len(list) != 2 || list[0].ID != inv.ID {
			t.Errorf("Invitations = %+v, %d, %v", list, total, err)
		}

		// An invitation left past its expiry reads "expired" wherever it
		// shows, as the status filter counts it, not "pending".
		e.clock.Advance(time.Second)
		late, err := adm.Invite(ctx, o.ID, org.AdminInviteInput{Email: "eve@example.com", Role: org.RoleMember, ExpiresInDays: 1})
		if err != nil || late.Status != org.Pending {
			t.Fatalf("Invite = %+v, %v", late, err)
		}
		e.clock.Advance(25 * time.Hour)
		if got, err := adm.Invitation(ctx, o.ID, late.ID); err != nil || got.Status != org.Expired {
			t.Errorf("Invitation past expiry = %q, %v; want expired", got.Status, err)
		}
		list, total, err = adm.Invitations(ctx, o.ID, org.InvitationFilter{Statuses: []string{org.Expired}})
		if err != nil || total != 1 || len(list) != 1 || list[0].ID != late.ID || list[0].Status != org.Expired {
			t.Errorf("Invitations(expired) = %+v, %d, %v", list, total, err)
		}
		if list, _, _ = adm.Invitations(ctx, o.ID, org.InvitationFilter{}); len(list) == 0 || list[0].ID != late.ID || list[0].Status != org.Expired {
			t.Errorf("Invitations() first = %+v; want the late one, expired", list)
		}
		if _, total, _ = adm.Invitations(ctx, o.ID, org.InvitationFilter{Statuses: []string{org.Pending}}); total != 0 {
			t.Errorf("Invitations(pending) counts %d; the only pending one has expired", total)
		}

		// Deleting asks no password and writes organization.deleted.
		d, err := adm.Delete(ctx, o.ID)
		if err != nil || !d.Deleted || d.ID != o.ID || d.Slug != "acme" {
			t.Fatalf("Delete = %+v, %v", d, err)
		}
		if got := e.eventTypes(o.ID); got[len(got)-1] != events.OrganizationDeleted {
			t.Errorf("organization events %v", got)
		}
		if _, err := adm.Get(ctx, o.ID, false); !errors.Is(err, org.ErrNotFound) {
			t.Errorf("Get after delete: %v", err)
		}
	})
}

// Updates change only what is given; metadata merges deeply; a taken slug
// and bad input are refused with the field named; a failed change writes
// no event.
func TestAdminUpdatesAndLists(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx, adm := t.Context(), e.svc.Admin()
		ada := e.person("ada@example.com")
		a, err := adm.Create(ctx, org.AdminCreateInput{Name: "Acme", CreatedBy: ada.ID})
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Second)
		b, err := adm.Create(ctx, org.AdminCreateInput{Name: "Beta", Slug: "beta-co"})
		if err != nil {
			t.Fatal(err)
		}
		name := "Acme Inc"
		got, err := adm.Update(ctx, a.ID, org.AdminUpdateInput{Name: &name,
			PrivateMetadata: json.RawMessage(`{"crm":{"id":7,"tier":"gold"}}`)})
		if err != nil || got.Name != name || got.Slug != "acme" || string(got.PrivateMetadata) != `{"crm":{"id":7,"tier":"gold"}}` {
			t.Fatalf("Update = %+v, %v", got, err)
		}
		got, err = adm.MergeMetadata(ctx, a.ID, json.RawMessage(`{"x":1}`), json.RawMessage(`{"crm":{"tier":null,"seats":5}}`))
		if err != nil || string(got.PrivateMetadata) != `{"crm":{"id":7,"seats":5}}` || string(got.PublicMetadata) != `{"x":1}` {
			t.Fatalf("MergeMetadata = %+v, %v", got, err)
		}
		before := len(e.allEvents())
		taken := "beta-co"
		if _, err := adm.Update(ctx, a.ID, org.AdminUpdateInput{Slug: &taken}); !errors.Is(err, org.ErrSlugTaken) {
			t.Errorf("taken slug: %v", err)
		}
		if _, err := adm.MergeMetadata(ctx, a.ID, json.RawMessage(`[1]`), nil); !isField(err, "public_metadata") {
			t.Errorf("metadata not an object: %v", err)
		}
		neg := -1
		if _, err := adm.Update(ctx, a.ID, org.AdminUpdateInput{MaxMembers: &neg}); !isField(err, "max_allowed_memberships") {
			t.Errorf("negative limit: %v", err)
		}
		if n := len(e.allEvents()); n != before {
			t.Errorf("refused changes wrote %d events", n-before)
		}
		if bySlug, err := adm.Get(ctx, "BETA-CO", true); err != nil || bySlug.ID != b.ID || bySlug.MembersCount == nil || *bySlug.MembersCount != 0 {
			t.Errorf("Get(slug) = %+v, %v", bySlug, err)
		}

		list, total, err := adm.List(ctx, org.OrgFilter{}, true)
		if err != nil || total != 2 || len(list) != 2 || list[0].ID != b.ID || *list[1].MembersCount != 1 {
			t.Errorf("List = %+v, %d, %v", list, total, err)
		}
		list, total, err = adm.List(ctx, org.OrgFilter{UserIDs: []string{ada.ID}}, false)
		if err != nil || total != 1 || list[0].ID != a.ID || list[0].MembersCount != nil {
			t.Errorf("List(user) = %+v, %d, %v", list, total, err)
		}
		list, total, err = adm.List(ctx, org.OrgFilter{Query: "BET", OrderBy: "name", Limit: 1}, false)
		if err != nil || total != 1 || list[0].ID != b.ID {
			t.Errorf("List(query) = %+v, %d, %v", list, total, err)
		}
		if _, _, err := adm.List(ctx, org.OrgFilter{OrderBy: "slug"}, false); !isField(err, "order_by") {
			t.Errorf("unknown order: %v", err)
		}
		members, total, err := adm.Memberships(ctx, a.ID, org.MemberFilter{Roles: []string{org.RoleAdmin}})
		if err != nil || total != 1 || members[0].PublicUserData.UserID != ada.ID || members[0].Organization.Name != name {
			t.Errorf("Memberships = %+v, %d, %v", members, total, err)
		}
		if _, _, err := adm.Memberships(ctx, "org_missing", org.MemberFilter{}); !errors.Is(err, org.ErrNotFound) {
			t.Errorf("memberships of a missing organization: %v", err)
		}
	})
}

func isCode(err error, code apperr.Code) bool {
	e, ok := apperr.As(err)
	return ok && e.Code == code
}

func isField(err error, field string) bool {
	e, ok := apperr.As(err)
	return ok && e.Field == field
}
