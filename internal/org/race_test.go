package org_test

import (
	"errors"
	"testing"

	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/org"
)

// REQ-AC-06: two admins demoting each other at the same moment. Each alone
// would be allowed; together they would leave no admin. Exactly one wins.
func TestRaceAdminsDemoteEachOther_REQ_AC_06(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		for round := range 5 {
			ada, bob := e.person(name("ada", round)), e.person(name("bob", round))
			acme := e.create(ada, "Acme "+string(rune('a'+round)))
			adaM := e.membership(acme, ada)
			bobM := e.join(ada, bob, acme, org.RoleAdmin)
			errs := race(t, e.st, 2, func(i int) error {
				if i == 0 {
					return e.svc.ChangeRole(t.Context(), ada.actor, acme.ID, bobM.ID, org.RoleMember)
				}
				return e.svc.ChangeRole(t.Context(), bob.actor, acme.ID, adaM.ID, org.RoleMember)
			})
			ok := 0
			for _, err := range errs {
				switch {
				case err == nil:
					ok++
				case !errors.Is(err, org.ErrForbidden) && !errors.Is(err, org.ErrLastAdmin):
					t.Errorf("unexpected error: %v", err)
				}
			}
			admins, err := e.st.Q.CountMembersWithRoles(t.Context(), acme.ID, []string{org.RoleAdmin})
			if ok != 1 || admins != 1 || err != nil {
				t.Fatalf("round %d: %d demotions succeeded, %d admins left (%v); want 1 and 1", round, ok, admins, err)
			}
		}
	})
}

// REQ-AC-06: one invitation accepted from two sessions at once makes one
// membership and one organizationInvitation.accepted.
func TestRaceAcceptTwice_REQ_AC_06(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ada, bob := e.person("ada@example.com"), e.person("bob@example.com")
		bob2 := *bob
		bob2.actor.SessionID = e.person("bob-other-session@example.com").actor.SessionID
		acme := e.create(ada, "Acme")
		ticket := e.invite(ada, acme, bob.email, "")
		inv := mustPending(t, e, acme.ID)
		actors := []org.Actor{bob.actor, bob2.actor, bob.actor, bob2.actor}
		errs := race(t, e.st, len(actors), func(i int) error {
			_, _, err := e.svc.Accept(t.Context(), actors[i], ticket)
			return err
		})
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, org.ErrInvitationGone):
				t.Errorf("unexpected error: %v", err)
			}
		}
		if ok != 1 {
			t.Errorf("%d accepts succeeded, want 1", ok)
		}
		if n, _ := e.st.Q.CountMembers(t.Context(), acme.ID); n != 2 {
			t.Errorf("%d members, want 2", n)
		}
		accepted := 0
		for _, typ := range e.eventTypes(inv.ID) {
			if typ == events.InvitationAccepted {
				accepted++
			}
		}
		if accepted != 1 {
			t.Errorf("%d accepted events, want 1", accepted)
		}
	})
}

// REQ-AC-06, REQ-IN-10: invitations sent before the limit was lowered,
// accepted all at once, fill the organization up to its limit and no further.
func TestRaceAcceptsAtMemberLimit_REQ_AC_06_REQ_IN_10(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ada := e.person("ada@example.com")
		acme := e.create(ada, "Acme")
		var people []*person
		var tickets []string
		for i := range 6 {
			p := e.person(name("guest", i))
			people = append(people, p)
			tickets = append(tickets, e.invite(ada, acme, p.email, ""))
		}
		e.svc.Policy.MaxMembers = 3 // ada and two more
		errs := race(t, e.st, len(people), func(i int) error {
			_, _, err := e.svc.Accept(t.Context(), people[i].actor, tickets[i])
			return err
		})
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, org.ErrMemberLimit):
				t.Errorf("unexpected error: %v", err)
			}
		}
		n, _ := e.st.Q.CountMembers(t.Context(), acme.ID)
		if ok != 2 || n != 3 {
			t.Errorf("%d accepts succeeded, %d members; want 2 and 3", ok, n)
		}
	})
}

func name(who string, i int) string { return who + string(rune('a'+i)) + "@example.com" }
