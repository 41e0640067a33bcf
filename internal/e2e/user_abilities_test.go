package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// A user object says what the instance lets its user do, as Clerk's does:
// delete_self_enabled is PORTAL_ALLOW_ACCOUNT_DELETION and
// create_organization_enabled PORTAL_ORG_CREATION, in the Backend API's
// answers and in the user.created webhooks alike, whether the user was
// made through the API or signed up on the page. (They read false and
// true whatever the settings before.)
func TestUserObjectSaysWhatTheInstanceAllows(t *testing.T) {
	for _, c := range []struct {
		name                  string
		env                   map[string]string
		deleteSelf, createOrg bool
	}{
		{"by default", nil, true, true},
		{"with both off", map[string]string{"PORTAL_ALLOW_ACCOUNT_DELETION": "false", "PORTAL_ORG_CREATION": "false"}, false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := portaltest.Start(t, portaltest.Options{Env: c.env})
			type abilities struct {
				ID         string `json:"id"`
				DeleteSelf bool   `json:"delete_self_enabled"`
				CreateOrg  bool   `json:"create_organization_enabled"`
			}
			want := func(what string, got abilities) {
				t.Helper()
				if got.DeleteSelf != c.deleteSelf || got.CreateOrg != c.createOrg {
					t.Errorf("%s: delete_self_enabled %v, create_organization_enabled %v; want %v, %v",
						what, got.DeleteSelf, got.CreateOrg, c.deleteSelf, c.createOrg)
				}
			}
			var made abilities
			api(t, p, http.MethodPost, "/v1/users", map[string]any{"email_address": []string{"bob@example.com"},
				"skip_password_requirement": true}, &made)
			want("POST /v1/users", made)
			var read abilities
			api(t, p, http.MethodGet, "/v1/users/"+made.ID, nil, &read)
			want("GET /v1/users/{id}", read)
			var list []abilities
			api(t, p, http.MethodGet, "/v1/users", nil, &list)
			if len(list) != 1 {
				t.Fatalf("GET /v1/users: %d users", len(list))
			}
			want("GET /v1/users", list[0])

			signed, _ := verify(t, p, wantHandBack(t, signUp(t, p, newBrowser(t, p), "ada@example.com", appURL),
				http.StatusSeeOther, appURL))
			evs, err := p.Store.Q.EventsAfter(context.Background(), 0, 1000)
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]bool{}
			for _, e := range evs {
				if e.Type != events.UserCreated {
					continue
				}
				var data abilities
				if err := json.Unmarshal(e.Data, &data); err != nil {
					t.Fatal(err)
				}
				want("user.created of "+data.ID, data)
				seen[data.ID] = true
			}
			if !seen[made.ID] || !seen[signed.Subject] {
				t.Errorf("user.created for %v, want %s (API) and %s (sign-up)", seen, made.ID, signed.Subject)
			}
		})
	}
}
