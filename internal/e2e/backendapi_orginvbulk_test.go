package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/organization"

	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// Clerk's POST /v1/organizations/{id}/invitations/bulk, which its JS SDK
// calls as organizations.createOrganizationInvitationBulk: each item with
// its own role, inviter, expiry and metadata, made all together or none,
// answered as {"data","total_count"}; each invitee gets its email.
func TestOrganizationInvitationsBulk(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ada := newTestUser(t, p, "ada@example.com")
	ctx := context.Background()
	o, err := organization.NewClient(clerkConfig(p)).Create(ctx, &organization.CreateParams{Name: str("Acme"), CreatedBy: str(ada.ID)})
	if err != nil {
		t.Fatal(err)
	}
	path := "/v1/organizations/" + o.ID + "/invitations/bulk"

	var got struct {
		Data       []clerk.OrganizationInvitation `json:"data"`
		TotalCount int64                          `json:"total_count"`
	}
	r := api(t, p, http.MethodPost, path, []map[string]any{
		{"email_address": "Cy@Example.com", "role": "org:member", "inviter_user_id": ada.ID, "public_metadata": map[string]any{"team": "red"}},
		{"email_address": "dee@example.com", "role": "org:admin", "expires_in_days": 2},
	}, &got)
	if r.Status != http.StatusOK || got.TotalCount != 2 || len(got.Data) != 2 {
		t.Fatalf("bulk = %d %s", r.Status, r.Body)
	}
	cy, dee := got.Data[0], got.Data[1]
	if cy.Object != "organization_invitation" || !strings.HasPrefix(cy.ID, "orginv_") || cy.EmailAddress != "cy@example.com" ||
		cy.Role != "org:member" || cy.OrganizationID != o.ID || cy.Status != "pending" {
		t.Errorf("first invitation = %+v", cy)
	}
	jsonEqual(t, "first invitation public_metadata", cy.PublicMetadata, `{"team":"red"}`)
	if dee.EmailAddress != "dee@example.com" || dee.Role != "org:admin" || dee.ExpiresAt == nil || !aboutNow(p, *dee.ExpiresAt, 48*time.Hour) {
		t.Errorf("second invitation = %+v", dee)
	}
	for _, addr := range []string{"cy@example.com", "dee@example.com"} {
		if link := p.SMTP.WaitFor(t, addr, mailWait).Link(); !strings.Contains(link, "/accept-invitation?ticket=") {
			t.Errorf("%s: invitation email link %q", addr, link)
		}
	}
	evs, err := p.Store.Q.EventsOfObject(ctx, dee.ID)
	if err != nil || len(evs) != 1 || evs[0].Type != events.InvitationCreated {
		t.Errorf("second invitation's events = %+v, %v", evs, err)
	}

	// All or none: the second item refused, the first is not made either.
	r = apiCall(t, p, http.MethodPost, path, "Bearer "+p.SecretKey, []map[string]any{
		{"email_address": "eve@example.com", "role": "org:member"},
		{"email_address": "cy@example.com", "role": "org:member"},
	})
	if e := wantAPIError(t, r, http.StatusBadRequest, "organization_invitation_not_unique"); !strings.HasPrefix(e.Errors[0].LongMessage, "Invitation 2 of 2: ") {
		t.Errorf("refusal does not name the item: %s", r.Body)
	}
	r = apiCall(t, p, http.MethodPost, path, "Bearer "+p.SecretKey, []map[string]any{
		{"email_address": "eve@example.com", "role": "org:member"},
		{"email_address": "Eve@example.com", "role": "org:admin"},
	})
	wantAPIError(t, r, http.StatusUnprocessableEntity, "form_param_duplicate")
	r = apiCall(t, p, http.MethodPost, path, "Bearer "+p.SecretKey, []map[string]any{
		{"email_address": "eve@example.com", "role": "org:member"},
		{"role": "org:member"},
	})
	if e := wantAPIError(t, r, http.StatusUnprocessableEntity, "form_param_missing"); e.Errors[0].Meta["index"] != float64(1) {
		t.Errorf("missing address: meta %v", e.Errors[0].Meta)
	}
	r = apiCall(t, p, http.MethodPost, path, "Bearer "+p.SecretKey, json.RawMessage(`{"email_address":"eve@example.com"}`))
	wantAPIError(t, r, http.StatusBadRequest, "request_body_invalid")
	var list struct {
		TotalCount int `json:"total_count"`
	}
	api(t, p, http.MethodGet, "/v1/organizations/"+o.ID+"/invitations", nil, &list)
	if list.TotalCount != 2 {
		t.Errorf("%d invitations after the refused requests, want the first 2", list.TotalCount)
	}
}
