package e2e

import (
	"net/http"
	"testing"

	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// The README's "Retries": with no idempotency keys, a request sent again
// after a timeout meets its first attempt's result, each in a way an
// integration can tell from an error: the user created again is 422
// form_identifier_exists (and the lookup by address finds it), the
// invitation sent again 400 duplicate_record, the user
// deleted again 404 resource_not_found, the session revoked again 200
// and still revoked.
func TestBackendAPIRetriesMeetTheFirstAttempt(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	body := map[string]any{"email_address": []string{"ada@example.com"}}
	var u struct {
		ID string `json:"id"`
	}
	if r := api(t, p, http.MethodPost, "/v1/users", body, &u); r.Status != http.StatusOK {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	wantAPIError(t, api(t, p, http.MethodPost, "/v1/users", body, nil), http.StatusUnprocessableEntity, "form_identifier_exists")
	var found []struct {
		ID string `json:"id"`
	}
	if r := api(t, p, http.MethodGet, "/v1/users?email_address=ada@example.com", nil, &found); r.Status != http.StatusOK ||
		len(found) != 1 || found[0].ID != u.ID {
		t.Errorf("lookup by address: %d %s, want %s", r.Status, r.Body, u.ID)
	}

	inv := map[string]any{"email_address": "grace@example.com"}
	if r := api(t, p, http.MethodPost, "/v1/invitations", inv, nil); r.Status != http.StatusOK {
		t.Fatalf("invitation: %d %s", r.Status, r.Body)
	}
	wantAPIError(t, api(t, p, http.MethodPost, "/v1/invitations", inv, nil), http.StatusBadRequest, "duplicate_record")

	var s struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	if r := api(t, p, http.MethodPost, "/v1/sessions", map[string]any{"user_id": u.ID}, &s); r.Status != http.StatusOK {
		t.Fatalf("session: %d %s", r.Status, r.Body)
	}
	for i := range 2 {
		s.Status = ""
		if r := api(t, p, http.MethodPost, "/v1/sessions/"+s.ID+"/revoke", nil, &s); r.Status != http.StatusOK || s.Status != "revoked" {
			t.Errorf("revoke #%d: %d %s, want 200 revoked", i+1, r.Status, r.Body)
		}
	}

	if r := api(t, p, http.MethodDelete, "/v1/users/"+u.ID, nil, nil); r.Status != http.StatusOK {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	wantAPIError(t, api(t, p, http.MethodDelete, "/v1/users/"+u.ID, nil, nil), http.StatusNotFound, "resource_not_found")
}
