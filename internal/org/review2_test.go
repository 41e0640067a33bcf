package org_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/org"
)

// REVIEW2 (defect): Decline checks the invitation's status but not its
// expiry, unlike Join (invitee checks Live): an invitation past its
// expiry, which the switcher no longer offers and the Backend API reports
// as expired, can still be declined by a direct POST, which rewrites it as
// revoked and sends the organization an organizationInvitation.revoked
// webhook that nobody in the organization caused.
func TestReview2DeclineAnExpiredInvitationIsGone(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ada, bob := e.person("ada@example.com"), e.person("bob@example.com")
		acme := e.create(ada, "Acme")
		e.invite(ada, acme, "bob@example.com", "")
		inv := mustPending(t, e, acme.ID)
		e.clock.Advance(60 * 24 * time.Hour)
		if err := e.svc.Decline(ctx, bob.actor, inv.ID); !errors.Is(err, org.ErrInvitationGone) {
			t.Errorf("declining an expired invitation: %v, want ErrInvitationGone (as Join answers)", err)
		}
		if got := e.eventTypes(inv.ID); !slices.Equal(got, []string{events.InvitationCreated}) {
			t.Errorf("events of the expired invitation = %v, want only its creation", got)
		}
	})
}
