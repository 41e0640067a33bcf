package org_test

import (
	"errors"
	"testing"

	"github.com/portalhq/portal/internal/org"
)

// MemberToRemove, which the confirmation before removing a member reads,
// names the member and refuses what RemoveMember would, before anyone is
// asked to confirm it; RemoveMember refuses one's own membership even with
// another admin beside (leaving is Leave's, confirmed by the name), and the
// last admin hears first that the organization needs one (REQ-AC-06).
func TestMemberToRemoveRefusesWhatRemovingWould_REQ_AC_06(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ada, bob, dan := e.person("ada@example.com"), e.person("bob@example.com"), e.person("dan@example.com")
		acme := e.create(ada, "Acme")
		adaM := e.membership(acme, ada)
		if _, _, err := e.svc.MemberToRemove(ctx, ada.actor, acme.ID, adaM.ID); !errors.Is(err, org.ErrLastAdmin) {
			t.Errorf("the last admin, herself: %v", err)
		}
		bobM := e.join(ada, bob, acme, org.RoleAdmin)
		danM := e.join(ada, dan, acme, org.RoleMember)

		acc, m, err := e.svc.MemberToRemove(ctx, ada.actor, acme.ID, bobM.ID)
		if err != nil || acc.Org.Name != "Acme" || m.ID != bobM.ID || m.FirstName != "bob" || m.Email != "bob@example.com" {
			t.Fatalf("Bob to remove: %+v, %+v, %v", acc, m, err)
		}
		for _, c := range []struct {
			what string
			err  error
			want error
		}{
			{"herself, another admin beside", e.svc.RemoveMember(ctx, ada.actor, acme.ID, adaM.ID), org.ErrRemoveSelf},
			{"confirming herself", second(e.svc.MemberToRemove(ctx, ada.actor, acme.ID, adaM.ID)), org.ErrRemoveSelf},
			{"a member without the permission", second(e.svc.MemberToRemove(ctx, dan.actor, acme.ID, bobM.ID)), org.ErrForbidden},
		} {
			if !errors.Is(c.err, c.want) {
				t.Errorf("%s: %v, want %v", c.what, c.err, c.want)
			}
		}
		if err := e.svc.RemoveMember(ctx, ada.actor, acme.ID, danM.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.svc.MemberToRemove(ctx, ada.actor, acme.ID, danM.ID); !errors.Is(err, org.ErrMemberRemovedAlready) {
			t.Errorf("confirming a removed member: %v", err)
		}
		e.membership(acme, ada)
		e.membership(acme, bob)
	})
}

func second[A, B any](_ A, _ B, err error) error { return err }
