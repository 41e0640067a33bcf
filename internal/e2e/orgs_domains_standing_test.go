package e2e

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// People at a domain verified in automatic_invitation mode can join at
// any time: long past PORTAL_ORG_INVITATION_TTL, /switch-organization
// still offers the invitation and Join takes it, also when it ran out
// between the page and the press (still used once, REQ-AC-06). One who
// declines is not offered it again, there or through the Backend API.
func TestAutomaticInvitationWaitsWhileTheDomainInvites_REQ_AC_06(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{Env: map[string]string{"PORTAL_ORG_INVITATION_TTL": "10m"}})
	ctx := context.Background()
	ada := signedUp(t, p, "ada@acme.test")
	acme := ada.createOrg(t, p, "Acme Rockets")
	carol, dan := signedUp(t, p, "carol@acme.test"), signedUp(t, p, "dan@acme.test")
	if r := api(t, p, http.MethodPost, "/v1/organizations/"+acme.OrgID+"/domains",
		map[string]any{"name": "acme.test", "enrollment_mode": "automatic_invitation"}, nil); r.Status != http.StatusOK {
		t.Fatalf("add the domain: %d %s", r.Status, r.Body)
	}
	carolInv, danInv := pendingTo(t, p, acme.OrgID, "carol@acme.test"), pendingTo(t, p, acme.OrgID, "dan@acme.test")

	clock.Advance(time.Hour)
	pg := carol.b.get("/switch-organization")
	if pg.Doc.Find(joinForm(carolInv)).Length() != 1 {
		t.Fatalf("an hour after it was made, carol's automatic invitation is not offered:\n%s", pg.text())
	}
	clock.Advance(time.Hour) // runs out again before she presses Join
	wantText(t, "joining", carol.b.submit(pg, joinForm(carolInv), nil), http.StatusOK, "Welcome! You joined the organization.")
	if _, err := p.Store.Q.MembershipOf(ctx, acme.OrgID, carol.id); err != nil {
		t.Fatalf("carol is not a member: %v", err)
	}
	if got := eventTypes(eventsOf(t, p, carolInv)); !slices.Equal(got, []string{events.InvitationCreated, events.InvitationAccepted}) {
		t.Errorf("events of carol's invitation = %v", got)
	}

	pg = dan.b.get("/switch-organization")
	clock.Advance(time.Hour)
	wantText(t, "declining", dan.b.submit(pg, declineForm(danInv), nil), http.StatusOK, "You declined the invitation.")
	if got := eventTypes(eventsOf(t, p, danInv)); !slices.Equal(got, []string{events.InvitationCreated, events.InvitationRevoked}) {
		t.Errorf("events of dan's invitation = %v", got)
	}
	clock.Advance(time.Hour)
	if got := dan.b.get("/switch-organization"); strings.Contains(got.text(), "Acme Rockets") {
		t.Errorf("dan declined and is offered Acme again:\n%s", got.text())
	}
	var list struct {
		TotalCount int `json:"total_count"`
	}
	if r := api(t, p, http.MethodGet, "/v1/users/"+dan.id+"/organization_invitations?status=pending", nil, &list); r.Status != http.StatusOK || list.TotalCount != 0 {
		t.Errorf("dan's pending invitations through the Backend API: %d %s", r.Status, r.Body)
	}
	if _, err := p.Store.Q.MembershipOf(ctx, acme.OrgID, dan.id); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("declining made dan a member: %v", err)
	}
}
