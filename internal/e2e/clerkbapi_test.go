package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// A relying app's server that manages users through Clerk's JavaScript
// client (@clerk/backend's createClerkClient, pointed at the portal with
// apiUrl and the secret key) gets from the portal what Clerk would give:
// each call's answer reads into Clerk's own objects (users, organizations,
// memberships, invitations, sessions, JWKS, JWT templates, identifiers,
// sign-in tokens, the waitlist); a session made through it gives tokens,
// plain and from a JWT template, that the SDK's verifyToken accepts; and
// an unknown user is the SDK's 404 error with Clerk's code.
func TestClerkBackendAPIClientJS(t *testing.T) {
	modules := clerkModules(t)
	p := portaltest.Start(t, portaltest.Options{})
	type result struct {
		Value json.RawMessage `json:"value"`
		Error *struct {
			Status int `json:"status"`
			Errors []struct {
				Code string `json:"code"`
			} `json:"errors"`
		} `json:"error"`
	}
	var got map[string]result
	runNode(t, "clerk_backend_api.cjs", map[string]any{"modules": modules, "apiUrl": p.URL, "secretKey": p.SecretKey}, &got)
	var created struct {
		ID              string `json:"id"`
		Email           string `json:"email"`
		PasswordEnabled bool   `json:"passwordEnabled"`
		CreatedAt       int64  `json:"createdAt"`
	}
	if r := got["users.createUser"]; r.Error != nil || json.Unmarshal(r.Value, &created) != nil ||
		!strings.HasPrefix(created.ID, "user_") || created.Email != "grace@example.com" || !created.PasswordEnabled || created.CreatedAt < 1e12 {
		t.Fatalf("users.createUser: %s %+v", r.Value, r.Error)
	}
	uid := created.ID
	var org struct {
		ID   string `json:"id"`
		Slug string `json:"slug"`
	}
	_ = json.Unmarshal(got["organizations.createOrganization"].Value, &org)
	want := map[string]string{
		"users.getUserList":                           `["` + uid + `"]`,
		"users.getCount":                              `1`,
		"users.getUser":                               `{"name":"Grace Hopper","email":"grace@example.com","plan":"pro"}`,
		"users.updateUser":                            `"Murray"`,
		"users.updateUserMetadata":                    `{"tier":2}`,
		"users.verifyPassword":                        `{"verified":true}`,
		"users.banUser":                               `true`,
		"users.unbanUser":                             `false`,
		"users.lockUser":                              `true`,
		"users.unlockUser":                            `false`,
		"organizations.createOrganization":            `{"id":"` + org.ID + `","slug":"acme-rockets"}`,
		"organizations.getOrganizationList":           `{"total":1,"slugs":["acme-rockets"]}`,
		"organizations.updateOrganization":            `"Acme"`,
		"organizations.getOrganizationMembershipList": `[["org:admin","` + uid + `"]]`,
		"organizations.revokeOrganizationInvitation":  `"revoked"`,
		"users.getOrganizationMembershipList":         `["acme-rockets"]`,
		"invitations.revokeInvitation":                `"revoked"`,
		"sessions.getSessionList":                     `0`,
		"sessions.getToken template":                  `true`,
		"verifyToken":                                 `[true,true]`,
		"sessions.revokeSession":                      `"revoked"`,
		"jwks.getJwks":                                `[["RS256","sig"]]`,
		"jwtTemplates.create":                         `"hasura"`,
		"emailAddresses.createEmailAddress":           `"grace2@example.com"`,
		"phoneNumbers.createPhoneNumber":              `"+14155550100"`,
		"signInTokens.createSignInToken":              `"pending"`,
		"waitlistEntries.create":                      `"pending"`,
		"organizations.deleteOrganization":            `true`,
		"users.deleteUser":                            `true`,
	}
	if !strings.HasPrefix(org.ID, "org_") {
		t.Errorf("organizations.createOrganization: %s", got["organizations.createOrganization"].Value)
	}
	for call, w := range want {
		r, ok := got[call]
		switch {
		case !ok:
			t.Errorf("%s: not run", call)
		case r.Error != nil:
			t.Errorf("%s: error %+v", call, *r.Error)
		case string(r.Value) != w:
			t.Errorf("%s: read %s, want %s", call, r.Value, w)
		}
	}
	if r := got["sessions.getToken"]; r.Error != nil || !strings.HasPrefix(string(r.Value), `"ey`) {
		t.Errorf("sessions.getToken: %s %+v", r.Value, r.Error)
	}
	if r := got["sessions.createSession"]; r.Error != nil || !strings.Contains(string(r.Value), `"status":"active","userId":"`+uid+`"`) {
		t.Errorf("sessions.createSession: %s %+v", r.Value, r.Error)
	}
	for _, call := range []string{"organizations.createOrganizationInvitation", "invitations.createInvitation"} {
		if r := got[call]; r.Error != nil || !strings.Contains(string(r.Value), `"status":"pending"`) {
			t.Errorf("%s: %s %+v", call, r.Value, r.Error)
		}
	}
	if r := got["users.getUser unknown"]; r.Error == nil || r.Error.Status != 404 || len(r.Error.Errors) == 0 || r.Error.Errors[0].Code != "resource_not_found" {
		t.Errorf("an unknown user: %s %+v, want the SDK's 404 with resource_not_found", r.Value, r.Error)
	}
}
