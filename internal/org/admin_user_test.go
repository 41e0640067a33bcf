package org_test

import (
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/org"
	"github.com/portalhq/portal/internal/user"
)

// wantField checks err is a safe error of code naming field.
func wantField(t *testing.T, what string, err error, code apperr.Code, field string) {
	t.Helper()
	if e, ok := apperr.As(err); !ok || e.Code != code || e.Field != field {
		t.Errorf("%s: %v, want %s on %s", what, err, code, field)
	}
}

// A user's memberships, newest first and in pages, each the object the
// organization's own list answers; every membership of the instance in the
// orders Clerk offers. An unknown user and bad pages are refused.
func TestAdminListsMembershipsAcrossOrganizations(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx, adm := t.Context(), e.svc.Admin()
		ada, bob := e.person("ada@example.com"), e.person("bob@example.com")
		acme := e.create(ada, "Acme")
		e.clock.Advance(time.Second)
		beta := e.create(bob, "Beta")
		e.clock.Advance(time.Second)
		e.join(bob, ada, beta, org.RoleMember)

		list, total, err := adm.UserMemberships(ctx, ada.ID, 0, 0)
		if err != nil || total != 2 || len(list) != 2 {
			t.Fatalf("UserMemberships = %+v (total %d), %v", list, total, err)
		}
		if list[0].Organization.ID != beta.ID || list[0].Role != org.RoleMember || list[1].Organization.ID != acme.ID ||
			list[1].Role != org.RoleAdmin {
			t.Errorf("Ada's memberships, newest first: %+v", list)
		}
		// The same object as the organization's member list.
		of, _, err := adm.Memberships(ctx, beta.ID, org.MemberFilter{UserIDs: []string{ada.ID}})
		if err != nil || len(of) != 1 {
			t.Fatalf("Beta's member list: %+v, %v", of, err)
		}
		if got, want := list[0], of[0]; !reflect.DeepEqual(got, want) || got.Organization.Name != "Beta" ||
			got.PublicUserData.Identifier != "ada@example.com" {
			t.Errorf("listed for the user %+v\nlisted for the organization %+v", got, want)
		}
		page, total, err := adm.UserMemberships(ctx, ada.ID, 1, 1)
		if err != nil || total != 2 || len(page) != 1 || page[0].Organization.ID != acme.ID {
			t.Errorf("second page of one: %+v (total %d), %v", page, total, err)
		}
		if _, _, err := adm.UserMemberships(ctx, "user_nobody", 0, 0); !errors.Is(err, user.ErrNoUser) {
			t.Errorf("an unknown user: %v, want ErrNoUser", err)
		}
		_, _, err = adm.UserMemberships(ctx, ada.ID, 501, 0)
		wantField(t, "limit 501", err, apperr.Invalid, "limit")
		_, _, err = adm.UserMemberships(ctx, ada.ID, 10, -1)
		wantField(t, "offset -1", err, apperr.Invalid, "offset")

		all, total, err := adm.InstanceMemberships(ctx, "", 0, 0)
		if err != nil || total != 3 || len(all) != 3 || all[0].PublicUserData.UserID != ada.ID ||
			all[0].Organization.ID != beta.ID || all[2].Organization.ID != acme.ID {
			t.Errorf("every membership, newest first: %+v (total %d), %v", all, total, err)
		}
		byEmail, _, err := adm.InstanceMemberships(ctx, "-email_address", 1, 0)
		if err != nil || len(byEmail) != 1 || byEmail[0].PublicUserData.UserID != bob.ID {
			t.Errorf("-email_address first: %+v, %v", byEmail, err)
		}
		_, _, err = adm.InstanceMemberships(ctx, "role", 0, 0)
		wantField(t, "order_by role", err, apperr.Invalid, "order_by")
	})
}

// A user's invitations are those sent to any of their verified addresses,
// whatever organization sent them and whether they joined it: pending ones
// unless other statuses are asked for, newest first, a pending one past its
// expiry reading expired, each naming its organization.
func TestAdminListsAUsersInvitations(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx, adm := t.Context(), e.svc.Admin()
		ada, bob := e.person("ada@example.com"), e.person("bob@example.com")
		e.addEmail(bob, "bob@work.example", true)
		e.addEmail(bob, "bob@unverified.example", false)
		acme, beta, gamma, delta := e.create(ada, "Acme"), e.create(ada, "Beta"), e.create(ada, "Gamma"), e.create(ada, "Delta")
		e.join(ada, bob, acme, org.RoleAdmin) // accepted
		e.clock.Advance(time.Second)
		e.invite(ada, beta, "bob@work.example", org.RoleMember) // pending
		e.clock.Advance(time.Second)
		e.invite(ada, gamma, "bob@example.com", org.RoleMember) // revoked below
		if err := e.svc.Revoke(ctx, ada.actor, gamma.ID, mustPending(t, e, gamma.ID).ID); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Second)
		e.invite(ada, delta, "bob@unverified.example", org.RoleMember) // not his yet
		e.invite(ada, delta, "cy@example.com", org.RoleMember)         // someone else's

		orgsOf := func(statuses ...string) ([]string, int) {
			t.Helper()
			list, total, err := adm.UserInvitations(ctx, bob.ID, org.InvitationFilter{Statuses: statuses})
			if err != nil {
				t.Fatalf("UserInvitations(%v): %v", statuses, err)
			}
			var out []string
			for _, inv := range list {
				d := inv.PublicOrganizationData
				if d == nil || d.ID != inv.OrganizationID || d.Name == "" || d.Slug == "" {
					t.Errorf("invitation %s names its organization as %+v", inv.ID, d)
					continue
				}
				out = append(out, d.Name+" "+inv.Status)
			}
			return out, total
		}
		for _, c := range []struct {
			statuses []string
			want     []string
		}{
			{nil, []string{"Beta pending"}},
			{[]string{org.Accepted}, []string{"Acme accepted"}},
			{[]string{org.Pending, org.Accepted, org.Revoked}, []string{"Gamma revoked", "Beta pending", "Acme accepted"}},
		} {
			if got, total := orgsOf(c.statuses...); !slices.Equal(got, c.want) || total != len(c.want) {
				t.Errorf("statuses %v: %q (total %d), want %q", c.statuses, got, total, c.want)
			}
		}
		page, total, err := adm.UserInvitations(ctx, bob.ID, org.InvitationFilter{
			Statuses: []string{org.Pending, org.Accepted, org.Revoked}, Limit: 1, Offset: 1})
		if err != nil || total != 3 || len(page) != 1 || page[0].OrganizationID != beta.ID || page[0].EmailAddress != "bob@work.example" {
			t.Errorf("second page of one: %+v (total %d), %v", page, total, err)
		}

		// Past its expiry the pending one reads expired.
		e.clock.Advance(8 * 24 * time.Hour)
		if got, _ := orgsOf(); len(got) != 0 {
			t.Errorf("pending after the expiry: %q", got)
		}
		if got, _ := orgsOf(org.Expired); !slices.Equal(got, []string{"Beta expired"}) {
			t.Errorf("expired: %q", got)
		}
		if list, total, err := adm.UserInvitations(ctx, ada.ID, org.InvitationFilter{}); err != nil || len(list) != 0 || total != 0 {
			t.Errorf("the inviter's invitations: %+v (total %d), %v", list, total, err)
		}
		if _, _, err := adm.UserInvitations(ctx, "user_nobody", org.InvitationFilter{}); !errors.Is(err, user.ErrNoUser) {
			t.Errorf("an unknown user: %v, want ErrNoUser", err)
		}
		_, _, err = adm.UserInvitations(ctx, bob.ID, org.InvitationFilter{Statuses: []string{"declined"}})
		wantField(t, "status declined", err, apperr.Invalid, "status")
		_, _, err = adm.UserInvitations(ctx, bob.ID, org.InvitationFilter{Limit: -1})
		wantField(t, "limit -1", err, apperr.Invalid, "limit")
	})
}
