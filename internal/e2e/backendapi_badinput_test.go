package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/portalhq/portal/handlers"
	portalorg "github.com/portalhq/portal/internal/org"
	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// What an integrator sends by mistake, to every Backend API route: bodies
// that are not JSON or not the endpoint's JSON, fields of the wrong type,
// null, unknown fields, IDs that name nothing or name something else.
// Whatever it is, the answer is never a 5xx, and an error is Clerk's shape
// with Content-Type: application/json exactly.
func TestBackendAPIBadInputNeverBreaksTheContract(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{Env: map[string]string{"PORTAL_WEBHOOK_ALLOW_PRIVATE": "true"}})
	calls := 0
	call := func(method, path string, body any) apiResponse {
		if calls++; calls%900 == 0 { // stay under the key's 1000 requests per 10 s
			clock.Advance(11 * time.Second)
		}
		return apiCall(t, p, method, path, "Bearer "+p.SecretKey, body)
	}
	var u, o struct{ ID string }
	api(t, p, http.MethodPost, "/v1/users", map[string]any{"email_address": []string{"ada@example.com"}}, &u)
	api(t, p, http.MethodPost, "/v1/organizations", map[string]any{"name": "Acme", "created_by": u.ID}, &o)

	bodies := []string{``, `{`, `{}}`, `null`, `[]`, `[null]`, `[1]`, `[{}]`, `"s"`, `123`, `true`, `{"bogus":1}`,
		`{"user_id":5,"email_address":5,"phone_number":5,"name":5,"role":5,"url":5,"identifier":5,"slug":5}`,
		`{"user_id":{},"email_address":{},"name":[],"role":[],"public_metadata":"x","private_metadata":1,"claims":"x"}`,
		`{"user_id":null,"email_address":null,"name":null,"role":null,"identifier":null}`,
		`{"expires_in_seconds":-1,"limit":"x","notify":"yes","verified":"no","primary":1}`}
	// Deleting comes last, so that the other routes meet a live user and
	// organization as well as IDs that name nothing or something else.
	var routes []handlers.Route
	for _, del := range []bool{false, true} {
		for _, r := range handlers.Routes() {
			if r.API && (r.Method == http.MethodDelete) == del {
				routes = append(routes, r)
			}
		}
	}
	for _, r := range routes {
		for _, id := range []string{u.ID, o.ID, "user_nope", "x", "%20"} {
			path := strings.NewReplacer(":id", id, ":user_id", u.ID).Replace(r.Path)
			path = pathParam.ReplaceAllString(path, "nope")
			sent := bodies
			if r.Method == http.MethodGet || r.Method == http.MethodDelete {
				sent = []string{``}
			}
			for _, b := range sent {
				var body any
				if b != "" {
					body = json.RawMessage(b)
				}
				res := call(r.Method, path, body)
				what := fmt.Sprintf("%s %s %s", r.Method, path, b)
				if ct := res.Header.Get("Content-Type"); ct != "application/json" {
					t.Errorf("%s: Content-Type %q", what, ct)
				}
				if res.Status >= 500 {
					t.Errorf("%s: %d %s", what, res.Status, res.Body)
					continue
				}
				if res.Status < 400 {
					continue
				}
				var e clerkErrors
				if err := json.Unmarshal(res.Body, &e); err != nil || len(e.Errors) != 1 {
					t.Errorf("%s: error body %s", what, res.Body)
					continue
				}
				if got := e.Errors[0]; got.Code == "" || got.Message == "" || got.LongMessage == "" || got.Meta == nil {
					t.Errorf("%s: error %+v, want code, message, long_message and meta", what, got)
				}
			}
		}
	}
}

// Each mistake gets the status and code Clerk's API gives it, naming the
// parameter at fault; in a bulk array, the item too (meta.index, from 0).
func TestBackendAPIBadInputAnswers(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	var u, o struct{ ID string }
	api(t, p, http.MethodPost, "/v1/users", map[string]any{"email_address": []string{"ada@example.com"}}, &u)
	api(t, p, http.MethodPost, "/v1/organizations", map[string]any{"name": "Acme", "created_by": u.ID}, &o)
	org := "/v1/organizations/" + o.ID
	// What is no longer pending, and what is there already.
	must := func(method, path string, body, out any) {
		t.Helper()
		if r := api(t, p, method, path, body, out); r.Status != http.StatusOK {
			t.Fatalf("%s %s: %d %s", method, path, r.Status, r.Body)
		}
	}
	var inv, sit, act, oinv, full struct{ ID string }
	must("POST", "/v1/invitations", map[string]any{"email_address": "inv@example.com", "notify": false}, &inv)
	must("POST", "/v1/invitations/"+inv.ID+"/revoke", nil, nil)
	must("POST", "/v1/invitations", map[string]any{"email_address": "pending@example.com", "notify": false}, nil)
	must("POST", "/v1/sign_in_tokens", map[string]any{"user_id": u.ID}, &sit)
	must("POST", "/v1/sign_in_tokens/"+sit.ID+"/revoke", nil, nil)
	must("POST", "/v1/actor_tokens", map[string]any{"user_id": u.ID, "actor": map[string]any{"sub": "user_support"}}, &act)
	must("POST", "/v1/actor_tokens/"+act.ID+"/revoke", nil, nil)
	must("POST", org+"/invitations", map[string]any{"email_address": "cy@example.com", "role": "org:member"}, &oinv)
	must("POST", org+"/invitations/"+oinv.ID+"/revoke", nil, nil)
	must("POST", org+"/invitations", map[string]any{"email_address": "dee@example.com", "role": "org:member"}, nil)
	must("POST", org+"/domains", map[string]any{"name": "acme.test"}, nil)
	must("POST", "/v1/organizations", map[string]any{"name": "Full", "created_by": u.ID}, &full)
	for i := range portalorg.MaxDomains {
		must("POST", "/v1/organizations/"+full.ID+"/domains", map[string]any{"name": fmt.Sprintf("d%d.test", i)}, nil)
	}
	const (
		missing   = "form_param_missing"
		malformed = "form_param_format_invalid"
		notFound  = "resource_not_found"
		body      = "request_body_invalid"
	)
	noIndex := -1
	for _, c := range []struct {
		name, method, path, body string
		status                   int
		code, param              string
		index                    int // of meta.index; -1 for none
	}{
		// Bodies that are not the endpoint's JSON.
		{"truncated JSON", "POST", "/v1/users", `{"email_address":["b@example.com"]`, 400, body, "", noIndex},
		{"trailing text", "POST", "/v1/users", `{"email_address":["b@example.com"]} x`, 400, body, "", noIndex},
		{"array for object", "PATCH", "/v1/users/" + u.ID, `[{"first_name":"Ada"}]`, 400, body, "", noIndex},
		{"number for object", "POST", org + "/memberships", `42`, 400, body, "", noIndex},
		{"object for bulk array", "POST", "/v1/waitlist_entries/bulk", `{"email_address":"b@example.com"}`, 400, body, "", noIndex},
		// Fields of the wrong type: malformed, whatever the value.
		{"number for string", "POST", "/v1/organizations", `{"name":5}`, 422, malformed, "name", noIndex},
		{"object for array", "POST", "/v1/users", `{"email_address":{}}`, 422, malformed, "email_address", noIndex},
		{"array for string", "POST", "/v1/jwt_templates", `{"name":[]}`, 422, malformed, "name", noIndex},
		{"empty string for bool", "POST", "/v1/email_addresses", `{"user_id":"` + u.ID + `","email_address":"b@example.com","verified":""}`, 422, malformed, "verified", noIndex},
		{"string for object", "PATCH", "/v1/users/" + u.ID + "/metadata", `{"public_metadata":"x"}`, 422, malformed, "public_metadata", noIndex},
		// Nothing where something is required: null, no body, or only a
		// misspelt name.
		{"null body", "POST", "/v1/users", `null`, 422, missing, "email_address", noIndex},
		{"no body", "POST", "/v1/organizations", ``, 422, missing, "name", noIndex},
		// A name the endpoint does not take is named, not ignored: the
		// caller learns of the typo instead of believing it was applied.
		{"camelCase name", "POST", "/v1/invitations", `{"emailAddress":"b@example.com"}`, 422, "form_param_unknown", "emailAddress", noIndex},
		{"a name in other letter case", "POST", "/v1/invitations", `{"Email_Address":"b@example.com"}`, 422, "form_param_unknown", "Email_Address", noIndex},
		{"a bulk item's name in other letter case", "POST", "/v1/invitations/bulk", `[{"email_address":"e@example.com"},{"EMAIL_ADDRESS":"f@example.com"}]`, 422, "form_param_unknown", "EMAIL_ADDRESS", 1},
		{"field Portal does not take", "POST", "/v1/users", `{"email_address":["t@example.com"],"web3_wallet":"0x0123456789abcdef0123456789abcdef01234567"}`, 422, "form_param_unknown", "web3_wallet", noIndex},
		{"unknown field in a bulk item", "POST", "/v1/invitations/bulk", `[{"email_address":"c@example.com"},{"email_address":"d@example.com","notfy":false}]`, 422, "form_param_unknown", "notfy", 1},
		{"null field", "POST", "/v1/organizations", `{"name":null}`, 422, missing, "name", noIndex},
		// Bulk arrays: the item at fault is named, whichever it is.
		{"bulk item without the field", "POST", "/v1/invitations/bulk",
			`[{"email_address":"b@example.com"},{}]`, 422, missing, "email_address", 1},
		{"bulk item null", "POST", "/v1/invitations/bulk",
			`[{"email_address":"b@example.com"},null]`, 422, missing, "email_address", 1},
		{"bulk item empty", "POST", "/v1/waitlist_entries/bulk",
			`[{"email_address":"b@example.com"},{"email_address":""},{"email_address":"c@example.com"}]`, 422, missing, "email_address", 1},
		{"bulk first of two empty", "POST", "/v1/waitlist_entries/bulk", `[{},{}]`, 422, missing, "email_address", 0},
		{"bulk item malformed", "POST", "/v1/invitations/bulk",
			`[{"email_address":"b@example.com"},{"email_address":"nope"}]`, 422, malformed, "email_address", 1},
		{"bulk item of the wrong type", "POST", "/v1/waitlist_entries/bulk",
			`[{"email_address":"b@example.com"},{"email_address":5}]`, 422, malformed, "email_address", noIndex},
		// IDs that name nothing, or something of another kind.
		{"unknown user", "GET", "/v1/users/user_nope", ``, 404, notFound, "", noIndex},
		{"organization ID as a user's", "GET", "/v1/users/" + o.ID, ``, 404, notFound, "", noIndex},
		{"user ID as an organization's", "PATCH", "/v1/organizations/" + u.ID, `{"name":"X"}`, 404, notFound, "", noIndex},
		{"user ID as a session's", "POST", "/v1/sessions/" + u.ID + "/revoke", ``, 404, notFound, "", noIndex},
		{"unknown session token", "POST", "/v1/sessions/sess_nope/tokens", ``, 404, notFound, "", noIndex},
		{"unknown email address", "DELETE", "/v1/email_addresses/idn_nope", ``, 404, notFound, "", noIndex},
		{"unknown template", "GET", "/v1/jwt_templates/jtmp_nope", ``, 404, notFound, "", noIndex},
		{"member of an unknown organization", "DELETE", "/v1/organizations/org_nope/memberships/" + u.ID, ``, 404, notFound, "", noIndex},
		{"unknown invitation", "POST", "/v1/invitations/inv_nope/revoke", ``, 404, notFound, "", noIndex},
		// limit and offset out of range, or not whole numbers.
		{"limit negative", "GET", "/v1/users?limit=-1", ``, 422, malformed, "limit", noIndex},
		{"limit zero", "GET", "/v1/users?limit=0", ``, 422, malformed, "limit", noIndex},
		{"limit zero, organizations", "GET", "/v1/organizations?limit=0", ``, 422, malformed, "limit", noIndex},
		{"limit zero, sessions", "GET", "/v1/sessions?user_id=" + u.ID + "&limit=0", ``, 422, malformed, "limit", noIndex},
		{"limit zero, memberships", "GET", org + "/memberships?limit=0", ``, 422, malformed, "limit", noIndex},
		{"limit over 500", "GET", "/v1/organizations?limit=501", ``, 422, malformed, "limit", noIndex},
		{"limit past int64", "GET", "/v1/invitations?limit=99999999999999999999", ``, 422, malformed, "limit", noIndex},
		{"limit not a number", "GET", "/v1/jwt_templates?limit=ten", ``, 422, malformed, "limit", noIndex},
		{"limit fractional", "GET", "/v1/waitlist_entries?limit=1.5", ``, 422, malformed, "limit", noIndex},
		{"offset negative", "GET", "/v1/users?offset=-1", ``, 422, malformed, "offset", noIndex},
		{"offset not a number", "GET", org + "/invitations?offset=x", ``, 422, malformed, "offset", noIndex},
		{"order_by unknown", "GET", "/v1/users?order_by=password", ``, 422, malformed, "order_by", noIndex},
		{"order_by bare minus", "GET", "/v1/organizations?order_by=-", ``, 422, malformed, "order_by", noIndex},
		{"sessions without a filter", "GET", "/v1/sessions", ``, 422, missing, "user_id", noIndex},
		// Conflicts: Clerk's own code for each, not form_identifier_exists
		// (a value another record holds), which names no field here or is
		// not what happened.
		{"invitation pending already", "POST", "/v1/invitations", `{"email_address":"pending@example.com"}`,
			400, "duplicate_record", "email_address", noIndex},
		{"invited twice in one request", "POST", "/v1/invitations/bulk",
			`[{"email_address":"x@example.com"},{"email_address":"x@example.com"}]`, 422, "form_param_duplicate", "email_address", 1},
		{"waitlisted twice in one request", "POST", "/v1/waitlist_entries/bulk",
			`[{"email_address":"x@example.com"},{"email_address":"x@example.com"}]`, 422, "form_param_duplicate", "email_address", 1},
		{"invitation revoked already", "POST", "/v1/invitations/" + inv.ID + "/revoke", ``,
			400, "invitation_already_revoked", "", noIndex},
		{"sign-in token revoked already", "POST", "/v1/sign_in_tokens/" + sit.ID + "/revoke", ``,
			400, "sign_in_token_cannot_be_revoked_code", "", noIndex},
		{"actor token revoked already", "POST", "/v1/actor_tokens/" + act.ID + "/revoke", ``,
			400, "actor_token_cannot_be_revoked_code", "", noIndex},
		{"organization invitation revoked already", "POST", org + "/invitations/" + oinv.ID + "/revoke", ``,
			404, "organization_invitation_not_pending", "", noIndex},
		{"organization invitation pending already", "POST", org + "/invitations", `{"email_address":"dee@example.com","role":"org:member"}`,
			400, "organization_invitation_not_unique", "email_address", noIndex},
		{"member invited", "POST", org + "/invitations", `{"email_address":"ada@example.com","role":"org:member"}`,
			400, "already_a_member_in_organization", "email_address", noIndex},
		{"member added again", "POST", org + "/memberships", `{"user_id":"` + u.ID + `","role":"org:member"}`,
			400, "already_a_member_in_organization", "user_id", noIndex},
		{"domain added again", "POST", org + "/domains", `{"name":"acme.test"}`,
			422, "organization_domain_already_exists_same_organization", "name", noIndex},
		{"domain past the quota", "POST", "/v1/organizations/" + full.ID + "/domains", `{"name":"more.test"}`,
			403, "organization_domain_quota_exceeded", "name", noIndex},
	} {
		t.Run(c.name, func(t *testing.T) {
			var b any
			if c.body != "" {
				b = json.RawMessage(c.body)
			}
			e := wantAPIError(t, apiCall(t, p, c.method, c.path, "Bearer "+p.SecretKey, b), c.status, c.code)
			meta := e.Errors[0].Meta
			if c.param != "" && meta["param_name"] != c.param {
				t.Errorf("meta %v, want param_name %s", meta, c.param)
			}
			index, hasIndex := meta["index"].(float64)
			if c.index == noIndex && hasIndex || c.index != noIndex && (!hasIndex || int(index) != c.index) {
				t.Errorf("meta %v, want index %d (-1: none)", meta, c.index)
			}
		})
	}

	// What is well formed is answered: limits in range, Clerk's order_by
	// forms, a repeated filter as a list of values.
	for _, path := range []string{"/v1/users?limit=1&offset=0", "/v1/users?limit=500&offset=1000000",
		"/v1/users?order_by=-created_at", "/v1/users?order_by=%2Bcreated_at", "/v1/organizations?order_by=name",
		"/v1/users?user_id=user_nope&user_id=" + u.ID, "/v1/users?user_id[]=" + u.ID,
		"/v1/organizations?user_id=" + u.ID + "&user_id=user_nope"} {
		if r := api(t, p, http.MethodGet, path, nil, nil); r.Status != http.StatusOK {
			t.Errorf("GET %s: %d %s", path, r.Status, r.Body)
		}
	}
	var both []struct{ ID string }
	api(t, p, http.MethodGet, "/v1/users?user_id=user_nope&user_id="+u.ID, nil, &both)
	if len(both) != 1 || both[0].ID != u.ID {
		t.Errorf("user_id=user_nope&user_id=%s: %+v, want ada", u.ID, both)
	}
}

// A refused request changes nothing: a bulk array with one bad item adds
// none of the others, a PATCH with one bad field leaves the good ones
// unwritten, a POST refused for its second identifier keeps no user.
func TestBackendAPIRefusedRequestsWriteNothing(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	var u struct{ ID string }
	api(t, p, http.MethodPost, "/v1/users", map[string]any{"email_address": []string{"ada@example.com"}}, &u)
	for _, c := range []struct{ method, path, body string }{
		{"POST", "/v1/invitations/bulk", `[{"email_address":"b@example.com"},{"email_address":"c@example.com"},{}]`},
		{"POST", "/v1/invitations/bulk", `[{"email_address":"b@example.com"},{"email_address":"ada@example.com"}]`},
		{"POST", "/v1/waitlist_entries/bulk", `[{"email_address":"b@example.com"},{"email_address":"nope"}]`},
		{"POST", "/v1/users", `{"email_address":["b@example.com"],"phone_number":["not a number"]}`},
		{"POST", "/v1/users", `{"email_address":["b@example.com","ADA@example.com"]}`},
		{"PATCH", "/v1/users/" + u.ID, `{"first_name":"Ada","username":[]}`},
		{"PATCH", "/v1/users/" + u.ID, `{"first_name":"Ada","legal_accepted_at":"yesterday"}`},
	} {
		if r := api(t, p, c.method, c.path, json.RawMessage(c.body), nil); r.Status < 400 || r.Status >= 500 {
			t.Errorf("%s %s %s: %d %s, want it refused", c.method, c.path, c.body, r.Status, r.Body)
		}
	}
	var page struct {
		TotalCount int `json:"total_count"`
	}
	if api(t, p, http.MethodGet, "/v1/invitations?paginated=true", nil, &page); page.TotalCount != 0 {
		t.Errorf("%d invitations after refused bulk requests, want none", page.TotalCount)
	}
	if api(t, p, http.MethodGet, "/v1/waitlist_entries", nil, &page); page.TotalCount != 0 {
		t.Errorf("%d waitlist entries after a refused bulk request, want none", page.TotalCount)
	}
	if api(t, p, http.MethodGet, "/v1/users/count", nil, &page); page.TotalCount != 1 {
		t.Errorf("%d users after refused creations, want ada alone", page.TotalCount)
	}
	var ada struct {
		FirstName *string `json:"first_name"`
	}
	if api(t, p, http.MethodGet, "/v1/users/"+u.ID, nil, &ada); ada.FirstName != nil {
		t.Errorf("first_name %q after refused updates, want none", *ada.FirstName)
	}
}

// A body sent as a form rather than JSON is refused as Clerk refuses a
// Content-Type it does not take (415 unsupported_content_type), not
// answered as if every field were missing; JSON labelled with a charset is
// JSON.
func TestBackendAPIBodyContentType(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	send := func(ct, body string) apiResponse {
		return apiSend(t, p, http.MethodPost, "/v1/users", "Bearer "+p.SecretKey, ct, strings.NewReader(body))
	}
	wantAPIError(t, send("application/x-www-form-urlencoded", "email_address=b%40example.com"),
		http.StatusUnsupportedMediaType, "unsupported_content_type")
	if r := send("application/json; charset=utf-8", `{"email_address":["b@example.com"]}`); r.Status != http.StatusOK ||
		r.Header.Get("Content-Type") != "application/json" {
		t.Errorf("JSON with a charset: %d %q %s", r.Status, r.Header.Get("Content-Type"), r.Body)
	}
}
