package org_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/org"
	"github.com/portalhq/portal/internal/store"
	"github.com/portalhq/portal/internal/user"
)

// pendingTo is the pending invitation of o to email, expired or not.
func (e *env) pendingTo(o *org.Organization, email string) *org.Invitation {
	e.t.Helper()
	inv, err := e.st.Q.PendingInvitation(e.t.Context(), o.ID, email)
	if err != nil {
		e.t.Fatalf("pending invitation to %s: %v", email, err)
	}
	return inv
}

// An automatic invitation waits as long as its domain invites: past its
// expiry the person's list renews it (the same invitation, a new period,
// no new event), the Backend API shows it pending, and Join takes one that
// ran out since the list was shown. Still single-use (REQ-AC-06).
func TestAutomaticInvitationStandsWhileItsDomainInvites_REQ_AC_06(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ada := e.person("ada@acme.test")
		acme := e.create(ada, "Acme")
		carol, dan := e.person("carol@acme.test"), e.person("dan@acme.test")
		d := e.domain(ada, acme, "acme.test")
		if _, err := e.svc.SetEnrollmentMode(ctx, ada.actor, acme.ID, d.ID, org.AutomaticInvitation, false); err != nil {
			t.Fatal(err)
		}
		first := e.pendingTo(acme, "carol@acme.test")

		e.clock.Advance(30 * 24 * time.Hour) // well past PORTAL_ORG_INVITATION_TTL
		if got := e.waiting(carol); !slices.Equal(got, []string{"Acme carol@acme.test org:member"}) {
			t.Fatalf("after its expiry carol waits for %q", got)
		}
		renewed := e.pendingTo(acme, "carol@acme.test")
		if renewed.ID != first.ID || !renewed.ExpireAt.After(e.clock.Now()) || renewed.TicketHash == first.TicketHash {
			t.Errorf("renewed = %+v, want %s live again with a new ticket", renewed, first.ID)
		}
		if got := e.eventTypes(first.ID); !slices.Equal(got, []string{events.InvitationCreated}) {
			t.Errorf("events after renewal = %v", got)
		}
		// The Backend API's list of dan's invitations renews his too.
		objs, _, err := e.svc.Admin().UserInvitations(ctx, dan.ID, org.InvitationFilter{})
		if err != nil || len(objs) != 1 || objs[0].Status != org.Pending || objs[0].OrganizationID != acme.ID {
			t.Errorf("UserInvitations(dan) = %+v, %v; want Acme's, pending", objs, err)
		}

		// Shown, then run out before Join is pressed: Join takes it.
		e.clock.Advance(30 * 24 * time.Hour)
		if _, err := e.svc.Join(ctx, carol.actor, first.ID); err != nil {
			t.Fatalf("joining through an automatic invitation that ran out: %v", err)
		}
		e.membership(acme, carol)
		if got := e.eventTypes(first.ID); !slices.Equal(got, []string{events.InvitationCreated, events.InvitationAccepted}) {
			t.Errorf("events after joining = %v", got)
		}
		if _, err := e.svc.Join(ctx, carol.actor, first.ID); !errors.Is(err, org.ErrInvitationGone) {
			t.Errorf("joining twice: %v, want the invitation gone", err)
		}
		if got := e.waiting(carol); len(got) != 0 {
			t.Errorf("a member waits for %q", got)
		}
	})
}

// Declining an automatic invitation, before or after its expiry, revokes
// it for good: it is not renewed nor offered again, when the mode is set
// again, with or without a change in between, nor when the person verifies
// another address at the domain. The decline is the person's: whoever
// holds the address later is invited.
func TestDeclinedAutomaticInvitationStaysDeclined(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ada := e.person("ada@acme.test")
		acme := e.create(ada, "Acme")
		carol, dan := e.person("carol@acme.test"), e.person("dan@acme.test")
		d := e.domain(ada, acme, "acme.test")
		if _, err := e.svc.SetEnrollmentMode(ctx, ada.actor, acme.ID, d.ID, org.AutomaticInvitation, false); err != nil {
			t.Fatal(err)
		}
		carolInv, danInv := e.pendingTo(acme, "carol@acme.test"), e.pendingTo(acme, "dan@acme.test")
		if err := e.svc.Decline(ctx, carol.actor, carolInv.ID); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(30 * 24 * time.Hour)
		// Dan's ran out unseen; he declines it from a page shown before.
		if err := e.svc.Decline(ctx, dan.actor, danInv.ID); err != nil {
			t.Fatalf("declining a standing automatic invitation: %v", err)
		}
		if got := e.eventTypes(danInv.ID); !slices.Equal(got, []string{events.InvitationCreated, events.InvitationRevoked}) {
			t.Errorf("events of dan's declined invitation = %v", got)
		}
		if _, err := e.svc.SetEnrollmentMode(ctx, ada.actor, acme.ID, d.ID, org.AutomaticInvitation, false); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(30 * 24 * time.Hour)
		for _, p := range []*person{carol, dan} {
			if got := e.waiting(p); len(got) != 0 {
				t.Errorf("%s declined and is offered %q", p.email, got)
			}
		}
		if _, err := e.svc.Join(ctx, dan.actor, danInv.ID); !errors.Is(err, org.ErrInvitationGone) {
			t.Errorf("joining through a declined invitation: %v, want it gone", err)
		}

		// The domain set to invite again, after a spell of manual
		// invitations: erin, who never declined, is invited; carol is not
		// asked again. Dan has deleted his account, and dana, who signed
		// up with his old address, declined nothing: she is invited.
		erin := e.person("erin@acme.test")
		if err := e.st.Q.DeleteUser(ctx, dan.ID); err != nil {
			t.Fatal(err)
		}
		dana := e.person("dan@acme.test")
		e.setModes(ada, d, org.ManualInvitation, org.AutomaticInvitation)
		for p, want := range map[*person]string{erin: "Acme erin@acme.test org:member", dana: "Acme dan@acme.test org:member"} {
			if got := e.waiting(p); !slices.Equal(got, []string{want}) {
				t.Errorf("%s, at the domain, waits for %q", p.FirstName, got)
			}
		}
		// Nor when carol verifies another address there.
		now := e.clock.Now()
		work := user.Identifier{ID: id.New(id.Identifier), UserID: carol.ID, Kind: user.Email, Value: "carol.work@acme.test",
			VerifiedAt: &now, CreatedAt: now, UpdatedAt: now}
		withWork := carol.User
		withWork.Identifiers = append(slices.Clone(carol.Identifiers), work)
		if err := store.Tx[org.Repo](e.st)(ctx, func(r org.Repo) error {
			if err := r.(identifiers).CreateIdentifier(ctx, work); err != nil {
				return err
			}
			return e.svc.Enroll(ctx, r, &withWork, []string{work.Value})
		}); err != nil {
			t.Fatal(err)
		}
		if got := e.waiting(carol); len(got) != 0 {
			t.Errorf("carol declined and is asked again: %q", got)
		}
		if _, err := e.st.Q.PendingInvitation(ctx, acme.ID, "carol.work@acme.test"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("an invitation to carol's new address: %v", err)
		}
		// The admins can still invite her by hand, and that invitation
		// stands as any other: past its expiry her list renews it.
		e.invite(ada, acme, "carol.work@acme.test", org.RoleMember)
		hand := e.pendingTo(acme, "carol.work@acme.test")
		e.clock.Advance(30 * 24 * time.Hour)
		if got := e.waiting(carol); !slices.Equal(got, []string{"Acme carol.work@acme.test org:member"}) {
			t.Errorf("invited by hand, carol waits for %q after its expiry", got)
		}
		if renewed := e.pendingTo(acme, "carol.work@acme.test"); renewed.ID != hand.ID || !renewed.ExpireAt.After(e.clock.Now()) {
			t.Errorf("the hand invitation was not renewed: %+v", renewed)
		}
		// Joining answers her decline: removed later, she is invited
		// again once the domain is set to invite again.
		if _, err := e.svc.Join(ctx, carol.actor, hand.ID); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.RemoveMember(ctx, ada.actor, acme.ID, e.membership(acme, carol).ID); err != nil {
			t.Fatal(err)
		}
		e.setModes(ada, d, org.ManualInvitation, org.AutomaticInvitation)
		if got := e.waiting(carol); len(got) != 1 || !strings.HasPrefix(got[0], "Acme carol") {
			t.Errorf("carol, a member since her decline and removed, waits for %q; want Acme's invitation", got)
		}
	})
}

// Declining an organization's invitation withdraws its suggestion to the
// person, not yet asked for, and its domains suggest it to them no more.
func TestDeclineWithdrawsTheSuggestion(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ada := e.person("ada@acme.test")
		acme := e.create(ada, "Acme")
		carol := e.person("carol@acme.test")
		d := e.suggesting(ada, acme, "acme.test")
		if got := e.suggested(carol); !slices.Equal(got, []string{"Acme carol@acme.test " + org.Suggested}) {
			t.Fatalf("carol is suggested %q", got)
		}
		e.invite(ada, acme, "carol@acme.test", org.RoleMember)
		if err := e.svc.Decline(ctx, carol.actor, e.pendingTo(acme, "carol@acme.test").ID); err != nil {
			t.Fatal(err)
		}
		if got := e.suggested(carol); len(got) != 0 {
			t.Errorf("after declining Acme's invitation carol is suggested %q", got)
		}
		e.setModes(ada, d, org.ManualInvitation, org.AutomaticSuggestion)
		if got := e.suggested(carol); len(got) != 0 {
			t.Errorf("with the domain suggesting again carol is suggested %q", got)
		}
	})
}

// Only what the domain still offers stands: an invitation by hand with
// another role keeps its expiry, as do all once the domain invites no more
// (another mode without delete_pending, removed); a full organization
// renews nothing.
func TestExpiredInvitationsThatNoLongerStand(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ada := e.person("ada@acme.test")
		acme, beta := e.create(ada, "Acme"), e.create(ada, "Beta")
		e.addEmail(ada, "ada@beta.test", true)
		carol, bob := e.person("carol@acme.test"), e.person("bob@beta.test")
		d := e.domain(ada, acme, "acme.test")
		if _, err := e.svc.SetEnrollmentMode(ctx, ada.actor, acme.ID, d.ID, org.AutomaticInvitation, false); err != nil {
			t.Fatal(err)
		}
		e.invite(ada, acme, "hal@acme.test", org.RoleAdmin) // by hand, to someone without an account yet
		hal := e.person("hal@acme.test")
		bd := e.domain(ada, beta, "beta.test")
		if _, err := e.svc.SetEnrollmentMode(ctx, ada.actor, beta.ID, bd.ID, org.AutomaticInvitation, false); err != nil {
			t.Fatal(err)
		}
		carolInv, bobInv := e.pendingTo(acme, "carol@acme.test"), e.pendingTo(beta, "bob@beta.test")

		e.clock.Advance(30 * 24 * time.Hour)
		if got := e.waiting(hal); len(got) != 0 {
			t.Errorf("hal's admin invitation by hand came back: %q", got)
		}
		// Acme turns to manual without delete_pending, Beta removes its domain.
		if _, err := e.svc.SetEnrollmentMode(ctx, ada.actor, acme.ID, d.ID, org.ManualInvitation, false); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.RemoveDomain(ctx, ada.actor, beta.ID, bd.ID); err != nil {
			t.Fatal(err)
		}
		for _, p := range []*person{carol, bob} {
			if got := e.waiting(p); len(got) != 0 {
				t.Errorf("%s waits for %q", p.email, got)
			}
		}
		if _, err := e.svc.Join(ctx, carol.actor, carolInv.ID); !errors.Is(err, org.ErrInvitationGone) {
			t.Errorf("joining after the mode changed: %v, want it gone", err)
		}
		if _, err := e.svc.Join(ctx, bob.actor, bobInv.ID); !errors.Is(err, org.ErrInvitationGone) {
			t.Errorf("joining after the domain was removed: %v, want it gone", err)
		}

		// Acme invites again (carol's expired invitation is replaced), then
		// runs out of room: carol's is not renewed.
		if _, err := e.svc.SetEnrollmentMode(ctx, ada.actor, acme.ID, d.ID, org.AutomaticInvitation, false); err != nil {
			t.Fatal(err)
		}
		e.svc.Policy.MaxMembers = 2
		e.clock.Advance(30 * 24 * time.Hour)
		e.join(ada, e.person("zed@elsewhere.test"), acme, org.RoleMember) // now full
		if got := e.waiting(carol); len(got) != 0 {
			t.Errorf("in a full organization carol waits for %q", got)
		}
	})
}
