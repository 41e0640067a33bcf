package org_test

import (
	"errors"
	"testing"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/org"
)

// Removing again what an organization removed (a member, one who left, a
// domain) says so to whoever manages it; anyone else, another
// organization's admin and the Backend API get what a made-up ID gets
// (REQ-AC-02).
func TestRemovingAgainSaysAlreadyRemoved_REQ_AC_02(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ada, bob, cy, dan, eve := e.person("ada@example.com"), e.person("bob@example.com"), e.person("cy@example.com"),
			e.person("dan@example.com"), e.person("eve@example.com")
		acme, evil := e.create(ada, "Acme"), e.create(eve, "Evil")
		bobs, cys := e.join(ada, bob, acme, org.RoleMember), e.join(ada, cy, acme, org.RoleMember)
		e.join(ada, dan, acme, org.RoleMember)
		d := e.domain(ada, acme, "acme-rockets.test")

		if err := e.svc.RemoveMember(ctx, ada.actor, acme.ID, bobs.ID); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.Leave(ctx, cy.actor, acme.ID, "Acme"); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.RemoveDomain(ctx, ada.actor, acme.ID, d.ID); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			what string
			err  error
			want error
		}{
			{"removed member", e.svc.RemoveMember(ctx, ada.actor, acme.ID, bobs.ID), org.ErrMemberRemovedAlready},
			{"member who left", e.svc.RemoveMember(ctx, ada.actor, acme.ID, cys.ID), org.ErrMemberRemovedAlready},
			{"removed domain", e.svc.RemoveDomain(ctx, ada.actor, acme.ID, d.ID), org.ErrDomainRemovedAlready},
			{"member without the permission", e.svc.RemoveMember(ctx, dan.actor, acme.ID, bobs.ID), org.ErrForbidden},
			{"domain, member without the permission", e.svc.RemoveDomain(ctx, dan.actor, acme.ID, d.ID), org.ErrForbidden},
			{"the removed member", e.svc.RemoveMember(ctx, bob.actor, acme.ID, bobs.ID), org.ErrNotFound},
			{"another organization's admin", e.svc.RemoveMember(ctx, eve.actor, evil.ID, bobs.ID), org.ErrNotFound},
			{"domain, another organization's admin", e.svc.RemoveDomain(ctx, eve.actor, evil.ID, d.ID), org.ErrNotFound},
			{"domain, an outsider", e.svc.RemoveDomain(ctx, eve.actor, acme.ID, d.ID), org.ErrNotFound},
		} {
			if !errors.Is(c.err, c.want) {
				t.Errorf("%s: %v, want %v", c.what, c.err, c.want)
			}
		}
		// The Backend API's removal answers as for any missing membership.
		if _, err := e.svc.Admin().RemoveMember(ctx, acme.ID, bob.ID); !errors.Is(err, org.ErrNotFound) {
			t.Errorf("Backend API: %v", err)
		}
	})
}

// A member keeps a role no longer configured when the form sends it back
// unchanged; nobody can be given it anew.
func TestRoleNoLongerConfiguredIsKeptUnchanged(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ada, bob, cy := e.person("ada@example.com"), e.person("bob@example.com"), e.person("cy@example.com")
		acme := e.create(ada, "Acme")
		bobs, cys := e.join(ada, bob, acme, org.RoleMember), e.join(ada, cy, acme, org.RoleMember)
		if err := e.st.Q.UpdateMembershipRole(ctx, bobs.ID, "org:billing", e.clock.Now()); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.ChangeRole(ctx, ada.actor, acme.ID, bobs.ID, "org:billing"); !errors.Is(err, org.ErrRoleUnchanged) {
			t.Errorf("saving the role unchanged: %v, want ErrRoleUnchanged", err)
		}
		if m := e.membership(acme, bob); m.Role != "org:billing" {
			t.Errorf("role after saving it unchanged: %q", m.Role)
		}
		if err := e.svc.ChangeRole(ctx, ada.actor, acme.ID, cys.ID, "org:billing"); apperr.CodeOf(err) != apperr.Invalid {
			t.Errorf("giving a role no longer configured: %v", err)
		}
		if err := e.svc.ChangeRole(ctx, cy.actor, acme.ID, bobs.ID, "org:nope"); !errors.Is(err, org.ErrForbidden) {
			t.Errorf("a member without the permission, with a made-up role: %v (the permission comes first)", err)
		}
	})
}
