package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/user"

	"github.com/portalhq/portal/internal/testutil/portaltest"
)

func raw(s string) *json.RawMessage { m := json.RawMessage(s); return &m }

func str(s string) *string { return &s }

// wantSDKError checks err is the API error code, as Clerk's SDK decodes it.
func wantSDKError(t *testing.T, err error, status int, code string) {
	t.Helper()
	var apiErr *clerk.APIErrorResponse
	if !errors.As(err, &apiErr) {
		t.Fatalf("err = %v, want a *clerk.APIErrorResponse", err)
	}
	if apiErr.HTTPStatusCode != status || len(apiErr.Errors) != 1 || apiErr.Errors[0].Code != code {
		t.Errorf("err = %s, want %d %s", apiErr.Error(), status, code)
	}
}

func jsonEqual(t *testing.T, what string, got json.RawMessage, want string) {
	t.Helper()
	var a, b any
	if err := json.Unmarshal(got, &a); err != nil {
		t.Fatalf("%s: %v in %s", what, err, got)
	}
	_ = json.Unmarshal([]byte(want), &b)
	ga, _ := json.Marshal(a)
	wb, _ := json.Marshal(b)
	if string(ga) != string(wb) {
		t.Errorf("%s = %s, want %s", what, ga, wb)
	}
}

// Clerk's Go SDK, pointed at the portal, creates, lists, reads, updates
// and deletes users, and decodes every answer with the values written.
func TestClerkSDKManagesUsers(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	users := user.NewClient(clerkConfig(p))
	ctx := context.Background()

	created, err := users.Create(ctx, &user.CreateParams{
		EmailAddresses: &[]string{"Ada@Example.com"}, Password: str(goodPassword),
		FirstName: str("Ada"), LastName: str("Lovelace"), Username: str("ada_l"), ExternalID: str("ext-1"),
		PublicMetadata:  raw(`{"plan":"pro","limits":{"seats":5}}`),
		PrivateMetadata: raw(`{"stripe":"cus_1"}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	if created.Object != "user" || created.ID[:5] != "user_" || *created.FirstName != "Ada" || *created.Username != "ada_l" ||
		!created.PasswordEnabled || created.TwoFactorEnabled || created.Banned || created.Locked ||
		created.ExternalID == nil || *created.ExternalID != "ext-1" || created.CreatedAt == 0 {
		t.Errorf("created = %+v", created)
	}
	if len(created.EmailAddresses) != 1 || created.EmailAddresses[0].EmailAddress != "ada@example.com" ||
		created.EmailAddresses[0].Verification.Status != "verified" || created.PrimaryEmailAddressID == nil ||
		*created.PrimaryEmailAddressID != created.EmailAddresses[0].ID {
		t.Errorf("email addresses = %+v", created.EmailAddresses)
	}
	jsonEqual(t, "public_metadata", created.PublicMetadata, `{"plan":"pro","limits":{"seats":5}}`)
	jsonEqual(t, "private_metadata", created.PrivateMetadata, `{"stripe":"cus_1"}`)
	if created.CreatedAt < p.Clock.Now().Add(-time.Minute).UnixMilli() {
		t.Errorf("created_at %d is not in milliseconds", created.CreatedAt)
	}

	// A second user to list and filter against.
	other, err := users.Create(ctx, &user.CreateParams{EmailAddresses: &[]string{"grace@example.com"},
		FirstName: str("Grace"), SkipPasswordRequirement: clerk.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}

	got, err := users.Get(ctx, created.ID)
	if err != nil || got.ID != created.ID || *got.LastName != "Lovelace" {
		t.Errorf("Get = %+v, %v", got, err)
	}
	list, err := users.List(ctx, &user.ListParams{EmailAddresses: []string{"ada@example.com"}})
	if err != nil || list.TotalCount != 1 || len(list.Users) != 1 || list.Users[0].ID != created.ID {
		t.Errorf("List(email) = %+v, %v", list, err)
	}
	all, err := users.List(ctx, &user.ListParams{})
	if err != nil || all.TotalCount != 2 || len(all.Users) != 2 || all.Users[0].ID != other.ID {
		t.Errorf("List() = %d users of %d, %v; want both, newest first", len(all.Users), all.TotalCount, err)
	}
	byQuery, err := users.List(ctx, &user.ListParams{Query: str("grac")})
	if err != nil || len(byQuery.Users) != 1 || byQuery.Users[0].ID != other.ID {
		t.Errorf("List(query=grac) = %+v, %v", byQuery, err)
	}

	updated, err := users.Update(ctx, created.ID, &user.UpdateParams{FirstName: str("Augusta"),
		UnsafeMetadata: raw(`{"theme":"dark"}`)})
	if err != nil || *updated.FirstName != "Augusta" || *updated.LastName != "Lovelace" {
		t.Fatalf("Update = %+v, %v", updated, err)
	}
	jsonEqual(t, "unsafe_metadata", updated.UnsafeMetadata, `{"theme":"dark"}`)
	merged, err := users.UpdateMetadata(ctx, created.ID, &user.UpdateMetadataParams{
		PublicMetadata: raw(`{"limits":{"storage":10},"plan":null,"beta":true}`)})
	if err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, "merged public_metadata", merged.PublicMetadata, `{"limits":{"seats":5,"storage":10},"beta":true}`)
	jsonEqual(t, "private_metadata after a public merge", merged.PrivateMetadata, `{"stripe":"cus_1"}`)

	if v, err := users.VerifyPassword(ctx, &user.VerifyPasswordParams{UserID: created.ID, Password: goodPassword}); err != nil || !v.Verified {
		t.Errorf("VerifyPassword(right) = %+v, %v", v, err)
	}
	_, err = users.VerifyPassword(ctx, &user.VerifyPasswordParams{UserID: created.ID, Password: wrongPassword})
	wantSDKError(t, err, http.StatusUnprocessableEntity, "incorrect_password")
	// A body without the password says it is missing, not that it is wrong.
	e := wantAPIError(t, api(t, p, http.MethodPost, "/v1/users/"+created.ID+"/verify_password", map[string]any{}, nil),
		http.StatusUnprocessableEntity, "form_param_missing")
	if e.Errors[0].Meta["param_name"] != "password" {
		t.Errorf("verify_password without a password: meta %v", e.Errors[0].Meta)
	}
	wantAPIError(t, api(t, p, http.MethodPost, "/v1/users/user_missing/verify_password", nil, nil), http.StatusNotFound, "resource_not_found")

	for _, step := range []struct {
		name           string
		do             func(context.Context, string) (*clerk.User, error)
		banned, locked bool
	}{{"ban", users.Ban, true, false}, {"unban", users.Unban, false, false},
		{"lock", users.Lock, false, true}, {"unlock", users.Unlock, false, false}} {
		u, err := step.do(ctx, created.ID)
		if err != nil || u.Banned != step.banned || u.Locked != step.locked {
			t.Errorf("%s = banned %v locked %v, %v", step.name, u.Banned, u.Locked, err)
		}
	}

	del, err := users.Delete(ctx, created.ID)
	if err != nil || !del.Deleted || del.ID != created.ID || del.Object != "user" {
		t.Errorf("Delete = %+v, %v", del, err)
	}
	_, err = users.Get(ctx, created.ID)
	wantSDKError(t, err, http.StatusNotFound, "resource_not_found")
	if n, err := users.Count(ctx, &user.ListParams{}); err != nil || n.TotalCount != 1 || n.Object != "total_count" {
		t.Errorf("Count after delete = %+v, %v", n, err)
	}
}

// PATCH /v1/users/{id} refuses another user's external_id as a taken
// username is refused, naming external_id; users without one, and a user
// keeping its own, are not refused.
func TestUpdateUserTakenExternalID(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	users := user.NewClient(clerkConfig(p))
	ctx := context.Background()
	var ada, grace *clerk.User
	for _, u := range []struct {
		into  **clerk.User
		email string
	}{{&ada, "ada@example.com"}, {&grace, "grace@example.com"}} {
		created, err := users.Create(ctx, &user.CreateParams{EmailAddresses: &[]string{u.email}})
		if err != nil {
			t.Fatal(err)
		}
		*u.into = created
	}
	if _, err := users.Update(ctx, ada.ID, &user.UpdateParams{ExternalID: str("crm-1")}); err != nil {
		t.Fatal(err)
	}
	if _, err := users.Update(ctx, ada.ID, &user.UpdateParams{ExternalID: str("crm-1"), FirstName: str("Ada")}); err != nil {
		t.Errorf("ada keeping her own external_id: %v", err)
	}
	_, err := users.Update(ctx, grace.ID, &user.UpdateParams{ExternalID: str("crm-1"), FirstName: str("Grace")})
	wantSDKError(t, err, http.StatusUnprocessableEntity, "form_identifier_exists")
	var apiErr *clerk.APIErrorResponse
	if errors.As(err, &apiErr) && len(apiErr.Errors) == 1 {
		var meta map[string]any
		_ = json.Unmarshal(apiErr.Errors[0].Meta, &meta)
		if meta["param_name"] != "external_id" || !strings.Contains(apiErr.Errors[0].LongMessage, "external ID is taken") {
			t.Errorf("error = %+v, meta %s; want external_id named", apiErr.Errors[0], apiErr.Errors[0].Meta)
		}
	}
	if got, err := users.Get(ctx, grace.ID); err != nil || got.FirstName != nil || got.ExternalID != nil {
		t.Errorf("grace after the refused change = %+v, %v; want her unchanged", got, err)
	}
	if list, err := users.List(ctx, &user.ListParams{ExternalIDs: []string{"crm-1"}}); err != nil || len(list.Users) != 1 ||
		list.Users[0].ID != ada.ID {
		t.Errorf("users with external_id crm-1 = %+v, %v; want ada alone", list, err)
	}
	// Once ada gives it up, grace may have it.
	if _, err := users.Update(ctx, ada.ID, &user.UpdateParams{ExternalID: str("")}); err != nil {
		t.Fatal(err)
	}
	if got, err := users.Update(ctx, grace.ID, &user.UpdateParams{ExternalID: str("crm-1")}); err != nil ||
		got.ExternalID == nil || *got.ExternalID != "crm-1" {
		t.Errorf("grace taking the external_id ada gave up = %+v, %v", got, err)
	}
}

// Creating users reports the problem with the field it belongs to.
func TestCreateUserErrors(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	users := user.NewClient(clerkConfig(p))
	ctx := context.Background()
	if _, err := users.Create(ctx, &user.CreateParams{EmailAddresses: &[]string{"ada@example.com"}, Password: str(goodPassword),
		PhoneNumbers: &[]string{"+14155550100"}, Username: str("ada_l"), ExternalID: str("crm-1")}); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		params *user.CreateParams
		status int
		code   string
		param  string
	}{
		"taken email": {&user.CreateParams{EmailAddresses: &[]string{"ADA@example.com"}}, 422, "form_identifier_exists", "email_address"},
		// The field that is taken is named, not the first one given.
		"taken username": {&user.CreateParams{EmailAddresses: &[]string{"b@example.com"}, Username: str("Ada_L"), Password: str(goodPassword)},
			422, "form_identifier_exists", "username"},
		"taken phone": {&user.CreateParams{EmailAddresses: &[]string{"b@example.com"}, PhoneNumbers: &[]string{"+1 415 555 0100"}},
			422, "form_identifier_exists", "phone_number"},
		// external_id is unique within the instance, as Clerk documents it.
		"taken external_id": {&user.CreateParams{EmailAddresses: &[]string{"b@example.com"}, ExternalID: str("crm-1")},
			422, "form_identifier_exists", "external_id"},
		"bad email": {&user.CreateParams{EmailAddresses: &[]string{"not-an-email"}}, 422, "form_param_format_invalid", "email_address"},
		// Each password refusal has Clerk's own code, so an app that maps
		// Clerk's codes to its messages tells them apart.
		"short password": {&user.CreateParams{EmailAddresses: &[]string{"b@example.com"}, Password: str("short")}, 422, "form_password_length_too_short", "password"},
		"long password": {&user.CreateParams{EmailAddresses: &[]string{"b@example.com"}, Password: str(strings.Repeat("long enough ", 22))},
			422, "form_password_length_too_long", "password"},
		"password over 1 KiB": {&user.CreateParams{EmailAddresses: &[]string{"b@example.com"}, Password: str(strings.Repeat("é", 600))},
			422, "form_password_size_in_bytes_exceeded", "password"},
		"common password": {&user.CreateParams{EmailAddresses: &[]string{"b@example.com"}, Password: str("1qaz2wsx3edc4rfv")},
			422, "form_password_pwned", "password"},
		"password with the address in it": {&user.CreateParams{EmailAddresses: &[]string{"brunhilde@example.com"},
			Password: str("brunhilde-is-my-secret")}, 422, "form_password_not_strong_enough", "password"},
		"bad digest": {&user.CreateParams{EmailAddresses: &[]string{"b@example.com"}, PasswordDigest: str("$2a$10$xx"),
			PasswordHasher: str("bcrypt")}, 422, "form_password_digest_invalid_code", "password_digest"},
		"metadata not an object":  {&user.CreateParams{EmailAddresses: &[]string{"b@example.com"}, PublicMetadata: raw(`[1]`)}, 422, "form_param_format_invalid", "public_metadata"},
		"nothing to sign in with": {&user.CreateParams{FirstName: str("X")}, 422, "form_param_missing", "email_address"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := users.Create(ctx, c.params)
			wantSDKError(t, err, c.status, c.code)
			var apiErr *clerk.APIErrorResponse
			if errors.As(err, &apiErr) && len(apiErr.Errors) == 1 {
				var meta map[string]any
				_ = json.Unmarshal(apiErr.Errors[0].Meta, &meta)
				if meta["param_name"] != c.param {
					t.Errorf("meta = %s, want param_name %s", apiErr.Errors[0].Meta, c.param)
				}
			}
		})
	}
}

// external_id is at most 255 bytes (not characters: an app stores it in a
// column sized in bytes) without control characters, on POST and PATCH
// alike; a refusal is the API's usual 422 naming external_id, and a
// refused PATCH changes nothing.
func TestExternalIDLengthAndCharacters(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	longest := strings.Repeat("é", 127) + "x" // 255 bytes, 128 characters
	var ada struct {
		ID         string  `json:"id"`
		ExternalID *string `json:"external_id"`
	}
	if r := api(t, p, http.MethodPost, "/v1/users", map[string]any{"email_address": []string{"ada@example.com"},
		"external_id": longest}, &ada); r.Status != http.StatusOK || ada.ExternalID == nil || *ada.ExternalID != longest {
		t.Fatalf("POST with a 255-byte external_id: %d %s", r.Status, r.Body)
	}
	if r := api(t, p, http.MethodPatch, "/v1/users/"+ada.ID, map[string]any{"external_id": "crm 1/ünïcode-ok"}, nil); r.Status != http.StatusOK {
		t.Fatalf("PATCH with spaces and letters: %d %s", r.Status, r.Body)
	}
	for name, v := range map[string]string{
		"256 bytes":        strings.Repeat("é", 128),
		"newline":          "crm\n1",
		"tab":              "crm\t1",
		"NUL":              "crm\x001",
		"DEL":              "crm\x7f1",
		"C1 control (NEL)": "crm\u00851",
	} {
		t.Run(name, func(t *testing.T) {
			r := apiCall(t, p, http.MethodPost, "/v1/users", "Bearer "+p.SecretKey,
				map[string]any{"email_address": []string{"grace@example.com"}, "external_id": v})
			if e := wantAPIError(t, r, http.StatusUnprocessableEntity, "form_param_format_invalid"); e.Errors[0].Meta["param_name"] != "external_id" ||
				!strings.Contains(e.Errors[0].LongMessage, "255 bytes") {
				t.Errorf("POST: %+v, want external_id named with its limit", e.Errors[0])
			}
			r = apiCall(t, p, http.MethodPatch, "/v1/users/"+ada.ID, "Bearer "+p.SecretKey,
				map[string]any{"external_id": v, "first_name": "Ada"})
			if e := wantAPIError(t, r, http.StatusUnprocessableEntity, "form_param_format_invalid"); e.Errors[0].Meta["param_name"] != "external_id" {
				t.Errorf("PATCH: %+v, want external_id named", e.Errors[0])
			}
		})
	}
	var got struct {
		FirstName  *string `json:"first_name"`
		ExternalID *string `json:"external_id"`
	}
	api(t, p, http.MethodGet, "/v1/users/"+ada.ID, nil, &got)
	if got.FirstName != nil || got.ExternalID == nil || *got.ExternalID != "crm 1/ünïcode-ok" {
		t.Errorf("ada after the refused changes: first_name %v external_id %v; want them as they were", got.FirstName, got.ExternalID)
	}
	var n struct {
		TotalCount int `json:"total_count"`
	}
	if api(t, p, http.MethodGet, "/v1/users/count", nil, &n); n.TotalCount != 1 {
		t.Errorf("%d users, want ada alone: a refused POST creates nobody", n.TotalCount)
	}
}

// A user's last_active_at is when they last signed in or used a session,
// as Clerk's: null before, set at sign-up, moved by a token refresh a
// minute on; the list filters and orders by it and by creation time.
func TestUserLastActiveAt(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{})
	type listed struct {
		ID           string `json:"id"`
		LastActiveAt *int64 `json:"last_active_at"`
		CreatedAt    int64  `json:"created_at"`
	}
	idle := apiUser(t, p, "idle@example.com") // made by the API: never active
	clock.Advance(time.Second)
	ada := signedUp(t, p, "ada@example.com")
	signedUpAt := clock.Now().UnixMilli()

	get := func(id string) listed {
		t.Helper()
		var u listed
		if r := api(t, p, http.MethodGet, "/v1/users/"+id, nil, &u); r.Status != http.StatusOK {
			t.Fatalf("GET user: %d %s", r.Status, r.Body)
		}
		return u
	}
	if u := get(idle); u.LastActiveAt != nil {
		t.Errorf("a user never signed in has last_active_at %d", *u.LastActiveAt)
	}
	if u := get(ada.id); u.LastActiveAt == nil || *u.LastActiveAt != signedUpAt {
		t.Fatalf("after sign-up last_active_at = %v, want %d", u.LastActiveAt, signedUpAt)
	}

	clock.Advance(2 * time.Minute)
	ada.token(t, p) // the app refreshes its token through the handshake
	refreshedAt := clock.Now().UnixMilli()
	if u := get(ada.id); u.LastActiveAt == nil || *u.LastActiveAt != refreshedAt {
		t.Fatalf("after a refresh last_active_at = %v, want %d", u.LastActiveAt, refreshedAt)
	}

	list := func(query string) string {
		t.Helper()
		var us []listed
		if r := api(t, p, http.MethodGet, "/v1/users?"+query, nil, &us); r.Status != http.StatusOK {
			t.Fatalf("GET /v1/users?%s: %d %s", query, r.Status, r.Body)
		}
		var ids []string
		for _, u := range us {
			switch u.ID {
			case idle:
				ids = append(ids, "idle")
			case ada.id:
				ids = append(ids, "ada")
			}
		}
		return strings.Join(ids, " ")
	}
	ms := func(v int64) string { return strconv.FormatInt(v, 10) }
	for query, want := range map[string]string{
		"order_by=-last_active_at":                            "ada idle", // never active last, either way
		"order_by=%2Blast_active_at":                          "ada idle",
		"last_active_at_after=" + ms(signedUpAt):              "ada",
		"last_active_at_after=" + ms(refreshedAt):             "",
		"last_active_at_since=" + ms(refreshedAt):             "ada",
		"last_active_at_before=" + ms(refreshedAt+1):          "ada",
		"last_active_at_before=" + ms(refreshedAt):            "",
		"created_at_before=" + ms(signedUpAt-500):             "idle",
		"created_at_after=" + ms(signedUpAt-500) + "&limit=5": "ada",
	} {
		if got := list(query); got != want {
			t.Errorf("GET /v1/users?%s lists %q, want %q", query, got, want)
		}
	}
	e := wantAPIError(t, api(t, p, http.MethodGet, "/v1/users?last_active_at_after=yesterday", nil, nil),
		http.StatusUnprocessableEntity, "form_param_format_invalid")
	if e.Errors[0].Meta["param_name"] != "last_active_at_after" {
		t.Errorf("a malformed time names %v", e.Errors[0].Meta)
	}
}
