package org_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/org"
)

// Resend on an invitation this organization already revoked, that was
// accepted or replaced, and Change role on a member it already removed (a
// stale tab), say what became of it to whoever manages the organization,
// as Revoke and Remove do. Anyone else, another organization's admin and
// the Backend API get what a made-up ID gets (REQ-AC-02).
func TestResendAndChangeRoleOnWhatIsGoneSayWhat_REQ_AC_02(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ada, bob, cy, dan, eve := e.person("ada@example.com"), e.person("bob@example.com"), e.person("cy@example.com"),
			e.person("dan@example.com"), e.person("eve@example.com")
		acme, evil := e.create(ada, "Acme"), e.create(eve, "Evil")

		bobTicket := e.invite(ada, acme, bob.email, org.RoleMember)
		accepted := mustPending(t, e, acme.ID)
		if _, _, err := e.svc.Accept(ctx, bob.actor, bobTicket); err != nil {
			t.Fatal(err)
		}
		bobs := e.membership(acme, bob)
		cys := e.join(ada, cy, acme, org.RoleMember)
		e.join(ada, dan, acme, org.RoleMember)
		if err := e.svc.RemoveMember(ctx, ada.actor, acme.ID, bobs.ID); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.Leave(ctx, cy.actor, acme.ID, "Acme"); err != nil {
			t.Fatal(err)
		}

		e.invite(ada, acme, "fay@example.com", "")
		revoked := mustPending(t, e, acme.ID)
		if err := e.svc.Revoke(ctx, ada.actor, acme.ID, revoked.ID); err != nil {
			t.Fatal(err)
		}
		e.invite(ada, acme, "gus@example.com", "")
		replaced := mustPending(t, e, acme.ID)
		e.clock.Advance(7*24*time.Hour + time.Second)
		e.invite(ada, acme, "gus@example.com", "") // replaces the expired one

		for _, c := range []struct {
			what string
			err  error
			want error
		}{
			{"role of a removed member", e.svc.ChangeRole(ctx, ada.actor, acme.ID, bobs.ID, org.RoleAdmin), org.ErrMemberRemovedAlready},
			{"role of a member who left", e.svc.ChangeRole(ctx, ada.actor, acme.ID, cys.ID, org.RoleAdmin), org.ErrMemberRemovedAlready},
			{"resend a revoked invitation", e.svc.Resend(ctx, ada.actor, acme.ID, revoked.ID), org.ErrInvitationRevokedAlready},
			{"resend an accepted invitation", e.svc.Resend(ctx, ada.actor, acme.ID, accepted.ID), org.ErrInvitationAcceptedAlready},
			{"resend a replaced invitation", e.svc.Resend(ctx, ada.actor, acme.ID, replaced.ID), org.ErrInvitationReplacedAlready},
			{"role, member without the permission", e.svc.ChangeRole(ctx, dan.actor, acme.ID, bobs.ID, org.RoleAdmin), org.ErrForbidden},
			{"resend, member without the permission", e.svc.Resend(ctx, dan.actor, acme.ID, revoked.ID), org.ErrForbidden},
			{"role, the removed member", e.svc.ChangeRole(ctx, bob.actor, acme.ID, bobs.ID, org.RoleAdmin), org.ErrNotFound},
			{"role, another organization's admin", e.svc.ChangeRole(ctx, eve.actor, evil.ID, bobs.ID, org.RoleAdmin), org.ErrNotFound},
			{"resend, another organization's admin", e.svc.Resend(ctx, eve.actor, evil.ID, revoked.ID), org.ErrNotFound},
			{"resend, an outsider", e.svc.Resend(ctx, eve.actor, acme.ID, revoked.ID), org.ErrNotFound},
		} {
			if !errors.Is(c.err, c.want) {
				t.Errorf("%s: %v, want %v", c.what, c.err, c.want)
			}
		}
		// The Backend API answers as for any missing membership.
		if _, err := e.svc.Admin().SetRole(ctx, acme.ID, bob.ID, org.RoleAdmin); !errors.Is(err, org.ErrNotFound) {
			t.Errorf("Backend API: %v", err)
		}
	})
}

// Saving a member's role unchanged changes nothing and says so
// (ErrRoleUnchanged), so the page does not claim a change; the Backend
// API takes it as done.
func TestChangeRoleUnchangedSaysSo(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ada, bob := e.person("ada@example.com"), e.person("bob@example.com")
		acme := e.create(ada, "Acme")
		bobs := e.join(ada, bob, acme, org.RoleMember)
		before := len(e.eventTypes(bobs.ID))
		if err := e.svc.ChangeRole(ctx, ada.actor, acme.ID, bobs.ID, org.RoleMember); !errors.Is(err, org.ErrRoleUnchanged) {
			t.Errorf("saving the role unchanged: %v, want ErrRoleUnchanged", err)
		}
		if got := len(e.eventTypes(bobs.ID)); got != before {
			t.Errorf("saving the role unchanged sent %d events", got-before)
		}
		if _, err := e.svc.Admin().SetRole(ctx, acme.ID, bob.ID, org.RoleMember); err != nil {
			t.Errorf("Backend API, role unchanged: %v", err)
		}
	})
}

// A member search that is not UTF-8 is refused with its own reason, so
// the page can say so rather than list everyone silently.
func TestCheckMemberSearch(t *testing.T) {
	for _, c := range []struct {
		query string
		want  error
	}{
		{"bob", nil},
		{strings.Repeat("é", 100), nil},
		{strings.Repeat("é", 101), org.ErrQueryTooLong},
		{"b\xffob", org.ErrQueryUnreadable},
	} {
		if err := org.CheckMemberSearch(c.query); !errors.Is(err, c.want) || c.want == nil && err != nil {
			t.Errorf("CheckMemberSearch(%q) = %v, want %v", c.query, err, c.want)
		}
	}
}
