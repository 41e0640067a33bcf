package org_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/org"
	"github.com/portalhq/portal/internal/user"
)

// addEmail gives p another address, verified or not.
func (e *env) addEmail(p *person, email string, verified bool) {
	e.t.Helper()
	now := e.clock.Now()
	i := user.Identifier{ID: id.New(id.Identifier), UserID: p.ID, Kind: user.Email, Value: email, CreatedAt: now, UpdatedAt: now}
	if verified {
		i.VerifiedAt = &now
	}
	if err := e.st.Q.CreateIdentifier(e.t.Context(), i); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) waiting(p *person) []string {
	e.t.Helper()
	list, err := e.svc.Waiting(e.t.Context(), p.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, w := range list {
		if w.Org.ID != w.OrgID || w.Org.Name == "" {
			e.t.Errorf("invitation %s comes with organization %+v", w.ID, w.Org)
		}
		out = append(out, w.Org.Name+" "+w.Email+" "+w.Role)
	}
	return out
}

// The invitations waiting for a person are those to any of their verified
// addresses that can still be accepted, from organizations they are not in.
func TestWaitingInvitations(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ada, bob := e.person("ada@example.com"), e.person("bob@example.com")
		e.addEmail(bob, "bob@work.example", true)
		e.addEmail(bob, "bob@unverified.example", false)
		acme, beta, gamma, delta := e.create(ada, "Acme"), e.create(ada, "Beta"), e.create(ada, "Gamma"), e.create(ada, "Delta")
		e.invite(ada, acme, "bob@example.com", org.RoleAdmin)
		e.clock.Advance(time.Second)
		e.invite(ada, beta, "bob@work.example", "")
		e.invite(ada, gamma, "bob@unverified.example", "")
		e.join(ada, bob, delta, org.RoleMember)
		// Bob is a member of Delta already: an invitation there (sent before
		// he had this address) is not his to take.
		now := e.clock.Now()
		if err := e.st.Q.CreateInvitation(ctx, &org.Invitation{ID: id.New(id.OrgInvite), OrgID: delta.ID, Email: "bob@work.example",
			Role: org.RoleMember, Status: org.Pending, TicketHash: org.HashTicket(id.Secret(32)), CreatedAt: now, UpdatedAt: now,
			ExpireAt: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if got, want := e.waiting(bob), []string{"Acme bob@example.com org:admin", "Beta bob@work.example org:member"}; !slices.Equal(got, want) {
			t.Errorf("waiting = %q, want %q", got, want)
		}
		if got := e.waiting(ada); len(got) != 0 {
			t.Errorf("the inviter has invitations waiting: %q", got)
		}
		// Revoked and expired ones wait no more.
		if err := e.svc.Revoke(ctx, ada.actor, beta.ID, mustPending(t, e, beta.ID).ID); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(8 * 24 * time.Hour)
		if got := e.waiting(bob); len(got) != 0 {
			t.Errorf("after revoking one and the other expiring: %q", got)
		}
	})
}

// Joining from the list makes the person a member with the invitation's
// role, marks it accepted and writes both events, leaving the active
// organization as it was; the invitation is used once, by its invitee only.
func TestJoinFromTheList_REQ_AC_02_REQ_AC_06(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ada, bob, eve := e.person("ada@example.com"), e.person("bob@example.com"), e.person("eve@example.com")
		acme := e.create(ada, "Acme")
		e.addEmail(bob, "bob@work.example", true)
		e.invite(ada, acme, "bob@work.example", org.RoleAdmin)
		inv := mustPending(t, e, acme.ID)
		before := len(e.allEvents())

		// Eve cannot take it: it reads as missing, and nothing is written.
		if _, err := e.svc.Join(ctx, eve.actor, inv.ID); !errors.Is(err, org.ErrNotFound) {
			t.Errorf("eve joins with bob's invitation: %v, want ErrNotFound", err)
		}
		if err := e.svc.Decline(ctx, eve.actor, inv.ID); !errors.Is(err, org.ErrNotFound) {
			t.Errorf("eve declines bob's invitation: %v, want ErrNotFound", err)
		}
		if _, err := e.svc.Join(ctx, bob.actor, id.New(id.OrgInvite)); !errors.Is(err, org.ErrNotFound) {
			t.Errorf("unknown invitation: %v, want ErrNotFound", err)
		}
		if n := len(e.allEvents()); n != before {
			t.Errorf("refusals wrote %d events", n-before)
		}

		o, err := e.svc.Join(ctx, bob.actor, inv.ID)
		if err != nil || o.ID != acme.ID {
			t.Fatalf("bob joins: %v, %v", o, err)
		}
		m := e.membership(acme, bob)
		if m.Role != org.RoleAdmin {
			t.Errorf("role = %q, want the invitation's", m.Role)
		}
		if got := e.activeOrg(bob); got != "" {
			t.Errorf("joining from the list made %q active", got)
		}
		if got := e.eventTypes(inv.ID); !slices.Equal(got, []string{events.InvitationCreated, events.InvitationAccepted}) {
			t.Errorf("events of the invitation = %v", got)
		}
		if got := e.eventTypes(m.ID); !slices.Equal(got, []string{events.MembershipCreated}) {
			t.Errorf("events of the membership = %v", got)
		}
		after, err := e.st.Q.InvitationByID(ctx, inv.ID)
		if err != nil || after.Status != org.Accepted {
			t.Errorf("invitation after joining = %+v, %v", after, err)
		}
		// Still single use; the pages tell a second press by the same person
		// (ErrJoinedAlready) from an invitation that is gone.
		if _, err := e.svc.Join(ctx, bob.actor, inv.ID); !errors.Is(err, org.ErrInvitationGone) || !errors.Is(err, org.ErrJoinedAlready) {
			t.Errorf("joining twice: %v, want ErrInvitationGone as ErrJoinedAlready", err)
		}
		if got := e.waiting(bob); len(got) != 0 {
			t.Errorf("still waiting after joining: %q", got)
		}
	})
}

// Joining from the list counts against the member limit like the link.
func TestJoinFromTheListKeepsTheMemberLimit(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ada, bob := e.person("ada@example.com"), e.person("bob@example.com")
		acme := e.create(ada, "Acme")
		e.invite(ada, acme, "bob@example.com", "")
		e.svc.Policy.MaxMembers = 1
		if _, err := e.svc.Join(t.Context(), bob.actor, mustPending(t, e, acme.ID).ID); !errors.Is(err, org.ErrMemberLimit) {
			t.Errorf("joining a full organization: %v, want ErrMemberLimit", err)
		}
	})
}

// Declining revokes the invitation (Clerk's invitation has no declined
// status): organizationInvitation.revoked is written, its link stops
// working and it waits no more.
func TestDeclineAnInvitation(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ada, bob := e.person("ada@example.com"), e.person("bob@example.com")
		acme := e.create(ada, "Acme")
		ticket := e.invite(ada, acme, "bob@example.com", "")
		inv := mustPending(t, e, acme.ID)
		if err := e.svc.Decline(ctx, bob.actor, inv.ID); err != nil {
			t.Fatal(err)
		}
		if got := e.eventTypes(inv.ID); !slices.Equal(got, []string{events.InvitationCreated, events.InvitationRevoked}) {
			t.Errorf("events of the invitation = %v", got)
		}
		if got := e.waiting(bob); len(got) != 0 {
			t.Errorf("still waiting after declining: %q", got)
		}
		if _, _, err := e.svc.Accept(ctx, bob.actor, ticket); !errors.Is(err, org.ErrInvitationGone) {
			t.Errorf("the link after declining: %v, want ErrInvitationGone", err)
		}
		if err := e.svc.Decline(ctx, bob.actor, inv.ID); !errors.Is(err, org.ErrInvitationGone) {
			t.Errorf("declining twice: %v, want ErrInvitationGone", err)
		}
		if _, err := e.st.Q.MembershipOf(ctx, acme.ID, bob.ID); err == nil {
			t.Error("bob became a member by declining")
		}
		// The organization may invite the address again.
		e.invite(ada, acme, "bob@example.com", "")
	})
}
