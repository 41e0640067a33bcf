package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/admin"
	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// A field an endpoint does not take is 422 form_param_unknown (README:
// "nothing is applied: a typo or a Clerk field Portal lacks … is not
// silently dropped") on the endpoints that share a body shape with another
// too: the metadata endpoints take only metadata, PATCH /v1/users/{id}
// not what only POST takes, PATCH /v1/organizations/{id} not created_by,
// a membership's PATCH not user_id (its path names the member). Each of
// these used to answer 200 having applied nothing of the field.
func TestBackendAPIUnknownFieldsOfSharedBodies(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	var u, o struct{ ID string }
	api(t, p, http.MethodPost, "/v1/users", map[string]any{"email_address": []string{"ada@example.com"}}, &u)
	api(t, p, http.MethodPost, "/v1/organizations", map[string]any{"name": "Acme", "created_by": u.ID}, &o)
	org := "/v1/organizations/" + o.ID
	for _, c := range []struct {
		name, method, path, body, param string
	}{
		{"a name in the user's metadata", "PATCH", "/v1/users/" + u.ID + "/metadata", `{"first_name":"Eve"}`, "first_name"},
		{"a password in the user's metadata", "PATCH", "/v1/users/" + u.ID + "/metadata", `{"public_metadata":{},"password":"x"}`, "password"},
		{"an address on a user's update", "PATCH", "/v1/users/" + u.ID, `{"email_address":["eve@example.com"]}`, "email_address"},
		{"a phone number on a user's update", "PATCH", "/v1/users/" + u.ID, `{"phone_number":["+14155550100"]}`, "phone_number"},
		{"skip_password_requirement on a user's update", "PATCH", "/v1/users/" + u.ID, `{"skip_password_requirement":true}`, "skip_password_requirement"},
		{"a name in the organization's metadata", "PATCH", org + "/metadata", `{"name":"Evil"}`, "name"},
		{"created_by on an organization's update", "PATCH", org, `{"created_by":"` + u.ID + `"}`, "created_by"},
		{"a slug in a membership's metadata", "PATCH", org + "/memberships/" + u.ID + "/metadata", `{"slug":"evil"}`, "slug"},
		{"user_id on a membership's update", "PATCH", org + "/memberships/" + u.ID, `{"role":"org:admin","user_id":"user_other"}`, "user_id"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := wantAPIError(t, apiCall(t, p, c.method, c.path, "Bearer "+p.SecretKey, json.RawMessage(c.body)),
				http.StatusUnprocessableEntity, "form_param_unknown")
			if got := e.Errors[0].Meta["param_name"]; got != c.param {
				t.Errorf("meta %v, want param_name %s", e.Errors[0].Meta, c.param)
			}
		})
	}
	// What each takes still works.
	for _, c := range []struct{ method, path, body string }{
		{"PATCH", "/v1/users/" + u.ID + "/metadata", `{"public_metadata":{"a":1},"private_metadata":{"b":2},"unsafe_metadata":{"c":3}}`},
		{"PATCH", "/v1/users/" + u.ID, `{"first_name":"Ada","skip_legal_checks":true,"sign_out_of_other_sessions":false}`},
		{"PATCH", org + "/metadata", `{"public_metadata":{"a":1},"private_metadata":{"b":2}}`},
		{"PATCH", org, `{"name":"Acme Inc","max_allowed_memberships":5}`},
		{"PATCH", org + "/memberships/" + u.ID + "/metadata", `{"public_metadata":{"a":1},"private_metadata":{"b":2}}`},
		{"PATCH", org + "/memberships/" + u.ID, `{"role":"org:admin"}`},
	} {
		if r := apiCall(t, p, c.method, c.path, "Bearer "+p.SecretKey, json.RawMessage(c.body)); r.Status != http.StatusOK {
			t.Errorf("%s %s %s: %d %s", c.method, c.path, c.body, r.Status, r.Body)
		}
	}
}

// A refused order_by on GET /v1/users lists what it may be, every column
// the list sorts by (last_active_at among them since it became one).
func TestBackendAPIUsersOrderByRefusalNamesEveryColumn(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	e := wantAPIError(t, apiCall(t, p, http.MethodGet, "/v1/users?order_by=password", "Bearer "+p.SecretKey, nil),
		http.StatusUnprocessableEntity, "form_param_format_invalid")
	for name := range admin.OrderColumns() {
		if !strings.Contains(e.Errors[0].LongMessage, name) {
			t.Errorf("long_message %q does not name %s", e.Errors[0].LongMessage, name)
		}
	}
}
