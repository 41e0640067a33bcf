package e2e

import (
	"context"
	"net/http"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2/organization"
	"github.com/clerk/clerk-sdk-go/v2/organizationdomain"

	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// REVIEW2 (defect): a verified domain in automatic_invitation mode invites
// whoever gets a verified address there through sign-up, /user and
// POST /v1/users (org.Service.Enroll), but not an address the Backend API
// adds verified (POST /v1/email_addresses {verified: true}) or marks
// verified later (PATCH /v1/email_addresses/:id {verified: true}):
// account.Service.OperatorAdd and OperatorUpdate never call Enroll, so the
// same person is invited or not depending on which way their address was
// verified.
func TestReview2AddressVerifiedThroughBackendAPIGetsAutomaticInvitation(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ctx := context.Background()
	acme, err := organization.NewClient(clerkConfig(p)).Create(ctx, &organization.CreateParams{Name: str("Acme")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := organizationdomain.NewClient(clerkConfig(p)).Create(ctx, acme.ID, &organizationdomain.CreateParams{
		Name: str("acme.test"), EnrollmentMode: str("automatic_invitation")}); err != nil {
		t.Fatal(err)
	}
	gus := newTestUser(t, p, "gus@elsewhere.test")
	if r := api(t, p, http.MethodPost, "/v1/email_addresses", map[string]any{"user_id": gus.ID,
		"email_address": "gus@acme.test", "verified": true}, nil); r.Status != http.StatusOK {
		t.Fatalf("POST /v1/email_addresses: %d %s", r.Status, r.Body)
	}
	if _, err := p.Store.Q.PendingInvitation(ctx, acme.ID, "gus@acme.test"); err != nil {
		t.Errorf("an address added verified through the Backend API got no automatic invitation: %v", err)
	}

	hal := newTestUser(t, p, "hal@elsewhere.test")
	var added struct {
		ID string `json:"id"`
	}
	if r := api(t, p, http.MethodPost, "/v1/email_addresses", map[string]any{"user_id": hal.ID,
		"email_address": "hal@acme.test", "verified": false}, &added); r.Status != http.StatusOK {
		t.Fatalf("POST /v1/email_addresses: %d %s", r.Status, r.Body)
	}
	if _, err := p.Store.Q.PendingInvitation(ctx, acme.ID, "hal@acme.test"); err == nil {
		t.Fatal("an unverified address was invited")
	}
	if r := api(t, p, http.MethodPatch, "/v1/email_addresses/"+added.ID, map[string]any{"verified": true}, nil); r.Status != http.StatusOK {
		t.Fatalf("PATCH /v1/email_addresses: %d %s", r.Status, r.Body)
	}
	if _, err := p.Store.Q.PendingInvitation(ctx, acme.ID, "hal@acme.test"); err != nil {
		t.Errorf("an address marked verified through the Backend API got no automatic invitation: %v", err)
	}
}
