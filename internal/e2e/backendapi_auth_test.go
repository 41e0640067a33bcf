package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/portalhq/portal/handlers"
	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// Every Backend API route refuses a request without the secret key: none,
// a wrong one, a publishable key, another scheme; cookies count for nothing
// there, which is why these routes skip the CSRF check.
func TestBackendAPIRefusesRequestsWithoutTheSecretKey(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	b := newBrowser(t, p)
	signUp(t, p, b, "ada@example.com", appURL) // a signed-in browser's cookies are no key either
	n := 0
	for _, r := range handlers.Routes() {
		if !r.API {
			continue
		}
		n++
		path := pathParam.ReplaceAllString(r.Path, "x")
		for auth, code := range map[string]string{
			"":                                   "authorization_header_missing",
			"Bearer sk_test_wrong":               "authentication_invalid",
			"Bearer " + p.SecretKey + "x":        "authentication_invalid",
			"Bearer pk_test_Y2xlcmsuZXhhbXBsZSQ": "authentication_invalid",
			"Basic " + p.SecretKey:               "authorization_header_format_invalid",
			"bearer " + p.SecretKey:              "authorization_header_format_invalid",
		} {
			res := apiCall(t, p, r.Method, path, auth, nil)
			e := wantAPIError(t, res, http.StatusUnauthorized, code)
			if strings.HasPrefix(auth, "Bearer pk_") && !strings.Contains(e.Errors[0].LongMessage, "publishable") {
				t.Errorf("%s %s: a publishable key is refused without saying so: %+v", r.Method, path, e)
			}
		}
		withCookies := b.postForm(r.Method, path, nil, map[string]string{"Origin": p.URL, "Sec-Fetch-Site": "same-origin"})
		if withCookies.Status != http.StatusUnauthorized {
			t.Errorf("%s %s with a signed-in browser's cookies: status %d, want 401", r.Method, path, withCookies.Status)
		}
	}
	if n < 20 {
		t.Fatalf("only %d API routes in the table", n)
	}
	// With the key, an unknown path is a JSON 404, not an HTML page.
	wantAPIError(t, apiCall(t, p, http.MethodGet, "/v1/nothing_here", "Bearer "+p.SecretKey, nil),
		http.StatusNotFound, "resource_not_found")
}

// Deny by default (REQ-AC-01): a route under /v1/ is the Backend API's,
// behind the secret key, unless it is one of the few a browser or a
// provider calls, each named here with what protects it instead. A new
// /v1/ route added without api() fails here rather than answering anyone.
func TestEveryV1RouteIsBehindTheSecretKeyOrNamed_REQ_AC_01(t *testing.T) {
	browserFacing := map[string]string{
		"GET /v1/verify":                                   "the emailed link's confirmation page (its one-time token)",
		"POST /v1/verify":                                  "the emailed link's confirmation (its one-time token, CSRF)",
		"GET /v1/client/handshake":                         "the __client cookie, handing back only to allowed redirect URLs",
		"GET /v1/oauth_callback/:provider":                 "the sealed one-time OAuth state",
		"POST /v1/oauth_callback/:provider":                "the sealed one-time OAuth state (form_post)",
		"OPTIONS /v1/client/sessions/:id/tokens":           "CORS preflight for allowed origins",
		"POST /v1/client/sessions/:id/tokens":              "the __client cookie and allowed origins",
		"OPTIONS /v1/client/sessions/:id/tokens/:template": "CORS preflight for allowed origins",
		"POST /v1/client/sessions/:id/tokens/:template":    "the __client cookie and allowed origins",
	}
	for _, r := range handlers.Routes() {
		key := r.Method + " " + r.Path
		if !strings.HasPrefix(r.Path, "/v1/") || r.API {
			continue
		}
		if _, ok := browserFacing[key]; !ok {
			t.Errorf("%s is under /v1/ but not a Backend API route: wrap it with api() (the secret key) or name what protects it here", key)
		}
		delete(browserFacing, key)
	}
	for key := range browserFacing {
		t.Errorf("%s is named here but no longer routed outside the API: drop it", key)
	}
}

// A POST, PATCH or DELETE with the key to a path or method the API does not
// have (a typo, an empty ID) is answered in JSON too, 404 or 405, not with
// the HTML page that refuses a form without its CSRF token: nothing is
// routed there, so there is nothing for the check to protect.
func TestBackendAPIUnknownPathsAnswerJSONWhateverTheMethod(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	for _, c := range []struct {
		method, path string
		status       int
		code         string
	}{
		{http.MethodPost, "/v1/user", http.StatusNotFound, "resource_not_found"},
		{http.MethodPatch, "/v1/users/", http.StatusNotFound, "resource_not_found"},
		{http.MethodDelete, "/v1/organizations/org_x/membership/user_x", http.StatusNotFound, "resource_not_found"},
		{http.MethodPut, "/v1/users/user_x", http.StatusMethodNotAllowed, "request_method_not_allowed"},
		{http.MethodDelete, "/v1/jwks", http.StatusMethodNotAllowed, "request_method_not_allowed"},
	} {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			wantAPIError(t, apiCall(t, p, c.method, c.path, "Bearer "+p.SecretKey, nil), c.status, c.code)
		})
	}
}

// A wrong method is answered as the unknown path is: the long_message
// names the method and the path, and lists the methods the path takes,
// which the Allow header carries too.
func TestBackendAPIWrongMethodNamesTheMethodsAllowed(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	for _, c := range []struct {
		method, path string
		allowed      []string
	}{
		{http.MethodPut, "/v1/users/user_x", []string{"GET", "PATCH", "DELETE"}},
		{http.MethodDelete, "/v1/jwks", []string{"GET"}},
		{http.MethodPatch, "/v1/webhooks/endpoints", []string{"GET", "POST"}},
	} {
		r := apiCall(t, p, c.method, c.path, "Bearer "+p.SecretKey, nil)
		long := wantAPIError(t, r, http.StatusMethodNotAllowed, "request_method_not_allowed").Errors[0].LongMessage
		if !strings.Contains(long, c.method+" "+c.path) {
			t.Errorf("%s %s: long_message %q does not name the method and path", c.method, c.path, long)
		}
		allow := r.Header.Get("Allow")
		for _, m := range c.allowed {
			if !strings.Contains(long, m) || !strings.Contains(allow, m) {
				t.Errorf("%s %s: long_message %q, Allow %q; want both to list %s", c.method, c.path, long, allow, m)
			}
		}
		if strings.Contains(allow, c.method) {
			t.Errorf("%s %s: Allow %q lists the refused method", c.method, c.path, allow)
		}
	}
}

// A required parameter that is absent (not sent, null, "" or []) is 422
// form_param_missing naming it, as Clerk's API answers, on every endpoint
// alike; one present but malformed stays form_param_format_invalid.
func TestBackendAPIAbsentParameterIsMissingNotMalformed(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_WEBHOOK_ALLOW_PRIVATE": "true"}})
	var u struct{ ID string }
	api(t, p, http.MethodPost, "/v1/users", map[string]any{"email_address": []string{"ada@example.com"}}, &u)
	var o struct{ ID string }
	api(t, p, http.MethodPost, "/v1/organizations", map[string]any{"name": "Acme", "created_by": u.ID}, &o)
	org := "/v1/organizations/" + o.ID
	for _, c := range []struct {
		method, path string
		body         any
		param, code  string
	}{
		{http.MethodPost, "/v1/users", map[string]any{}, "email_address", "form_param_missing"},
		{http.MethodPost, "/v1/users", map[string]any{"email_address": []string{}}, "email_address", "form_param_missing"},
		{http.MethodPost, "/v1/email_addresses", map[string]any{}, "user_id", "form_param_missing"},
		{http.MethodPost, "/v1/email_addresses", map[string]any{"user_id": u.ID}, "email_address", "form_param_missing"},
		{http.MethodPost, "/v1/email_addresses", map[string]any{"user_id": u.ID, "email_address": "nope"}, "email_address", "form_param_format_invalid"},
		{http.MethodPost, "/v1/phone_numbers", map[string]any{"user_id": u.ID, "phone_number": nil}, "phone_number", "form_param_missing"},
		{http.MethodPost, "/v1/jwt_templates", map[string]any{}, "name", "form_param_missing"},
		{http.MethodPost, "/v1/webhooks/endpoints", map[string]any{}, "url", "form_param_missing"},
		{http.MethodPost, "/v1/webhooks/endpoints", map[string]any{"url": "not a url"}, "url", "form_param_format_invalid"},
		{http.MethodPost, "/v1/invitations", map[string]any{}, "email_address", "form_param_missing"},
		{http.MethodPost, "/v1/invitations", map[string]any{"email_address": "nope"}, "email_address", "form_param_format_invalid"},
		{http.MethodPost, "/v1/sign_in_tokens", map[string]any{"user_id": ""}, "user_id", "form_param_missing"},
		{http.MethodPost, "/v1/actor_tokens", map[string]any{"user_id": u.ID}, "actor", "form_param_missing"},
		{http.MethodPost, "/v1/waitlist_entries", map[string]any{}, "email_address", "form_param_missing"},
		{http.MethodPost, "/v1/waitlist_entries/bulk", []any{map[string]any{}}, "email_address", "form_param_missing"},
		{http.MethodPost, "/v1/organizations", map[string]any{}, "name", "form_param_missing"},
		{http.MethodPost, org + "/memberships", map[string]any{}, "user_id", "form_param_missing"},
		{http.MethodPost, org + "/memberships", map[string]any{"user_id": u.ID}, "role", "form_param_missing"},
		{http.MethodPost, org + "/invitations", map[string]any{}, "email_address", "form_param_missing"},
		{http.MethodPost, org + "/domains", map[string]any{}, "name", "form_param_missing"},
		{http.MethodGet, "/v1/sessions", nil, "user_id", "form_param_missing"},
		// Unchanged: these answered form_param_missing already.
		{http.MethodPost, "/v1/allowlist_identifiers", map[string]any{}, "identifier", "form_param_missing"},
		{http.MethodPost, "/v1/users/" + u.ID + "/verify_password", map[string]any{}, "password", "form_param_missing"},
		{http.MethodPost, "/v1/users/" + u.ID + "/verify_totp", map[string]any{}, "code", "form_param_missing"},
	} {
		t.Run(fmt.Sprintf("%s %s %v", c.method, c.path, c.body), func(t *testing.T) {
			e := wantAPIError(t, api(t, p, c.method, c.path, c.body, nil), http.StatusUnprocessableEntity, c.code)
			if got := e.Errors[0]; got.Meta["param_name"] != c.param {
				t.Errorf("meta %v, want param_name %s", got.Meta, c.param)
			}
		})
	}
}

// A body of the wrong JSON shape is answered in the API's words, naming
// the field and the JSON it takes, never the portal's Go types. A body that
// is not the endpoint's JSON at all is Clerk's 400 request_body_invalid; a
// field of the wrong type is 422 form_param_format_invalid naming it, even
// when what was sent ([] or "") would read as absent.
func TestBackendAPIWrongTypesAreNamedInJSONTerms(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	for _, c := range []struct {
		path, body, param, want string
	}{
		{"/v1/users", `[]`, "", "The body must be a JSON object."},
		{"/v1/organizations", `"acme"`, "", "The body must be a JSON object."},
		{"/v1/invitations/bulk", `{"email_address":"a@example.com"}`, "", "The body must be an array of JSON objects."},
		{"/v1/users", `{"email_address":["a@example.com"]`, "", "The body is not valid JSON."},
		{"/v1/users", `{"email_address":"a@example.com"}`, "email_address", "email_address must be an array of strings, not a string."},
		{"/v1/users", `{"skip_password_checks":"yes"}`, "skip_password_checks", "skip_password_checks must be true or false, not a string."},
		{"/v1/users", `{"email_address":["a@example.com"],"username":[]}`, "username", "username must be a string, not an array."},
		{"/v1/jwt_templates", `{"name":[]}`, "name", "name must be a string, not an array."},
		{"/v1/organizations", `{"name":"Acme","max_allowed_memberships":"5"}`, "max_allowed_memberships", "max_allowed_memberships must be a whole number, not a string."},
		{"/v1/sessions/sess_x/tokens", `{"expires_in_seconds":1.5}`, "expires_in_seconds", "expires_in_seconds must be a whole number, not 1.5."},
		{"/v1/waitlist_entries/bulk", `[{"email_address":["a@example.com"]}]`, "email_address", "email_address must be a string, not an array."},
	} {
		t.Run(c.path+" "+c.body, func(t *testing.T) {
			status, code := http.StatusUnprocessableEntity, "form_param_format_invalid"
			if c.param == "" {
				status, code = http.StatusBadRequest, "request_body_invalid"
			}
			e := wantAPIError(t, apiCall(t, p, http.MethodPost, c.path, "Bearer "+p.SecretKey, json.RawMessage(c.body)), status, code)
			if got := e.Errors[0]; got.LongMessage != c.want || c.param != "" && got.Meta["param_name"] != c.param {
				t.Errorf("error = %q %v, want %q naming %q", got.LongMessage, got.Meta, c.want, c.param)
			}
		})
	}
}

// paginated takes true or false on every list that has it; a misspelled
// value is refused, as on /v1/allowlist_identifiers, rather than quietly
// answering the bare array.
func TestBackendAPIPaginatedIsTrueOrFalse(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	var u struct{ ID string }
	api(t, p, http.MethodPost, "/v1/users", map[string]any{"email_address": []string{"ada@example.com"}}, &u)
	for _, path := range []string{"/v1/sessions?user_id=" + u.ID + "&", "/v1/invitations?", "/v1/jwt_templates?",
		"/v1/allowlist_identifiers?"} {
		e := wantAPIError(t, api(t, p, http.MethodGet, path+"paginated=yes", nil, nil),
			http.StatusUnprocessableEntity, "form_param_format_invalid")
		if e.Errors[0].Meta["param_name"] != "paginated" {
			t.Errorf("%s: meta %v, want param_name paginated", path, e.Errors[0].Meta)
		}
		var page struct {
			Data       []any `json:"data"`
			TotalCount *int  `json:"total_count"`
		}
		if r := api(t, p, http.MethodGet, path+"paginated=true", nil, &page); r.Status != http.StatusOK || page.TotalCount == nil {
			t.Errorf("%s paginated=true: %d %s", path, r.Status, r.Body)
		}
	}
}

// Answers carry Content-Type: application/json exactly, with no charset:
// Clerk's JS SDK compares the string.
func TestBackendAPIContentTypeIsExact(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	for _, path := range []string{"/v1/users", "/v1/users/count", "/v1/jwks", "/v1/users/user_missing"} {
		r := api(t, p, http.MethodGet, path, nil, nil)
		if ct := r.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("GET %s: Content-Type %q", path, ct)
		}
	}
}

// The key may make 1000 requests per 10 seconds; the next is refused with
// Retry-After until the window has passed.
func TestBackendAPIIsRateLimitedPerKey(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{})
	for i := range 1000 {
		if r := apiCall(t, p, http.MethodGet, "/v1/jwks", "Bearer "+p.SecretKey, nil); r.Status != http.StatusOK {
			t.Fatalf("request %d: %d", i+1, r.Status)
		}
	}
	r := apiCall(t, p, http.MethodGet, "/v1/jwks", "Bearer "+p.SecretKey, nil)
	wantAPIError(t, r, http.StatusTooManyRequests, "too_many_requests")
	if r.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	clock.Advance(10 * time.Second)
	if r := apiCall(t, p, http.MethodGet, "/v1/jwks", "Bearer "+p.SecretKey, nil); r.Status != http.StatusOK {
		t.Errorf("after the window: %d", r.Status)
	}
}
