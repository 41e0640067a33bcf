package e2e

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2/user"
	"golang.org/x/crypto/argon2"

	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// An importer keeps when each user signed up: created_at (RFC 3339, as
// clerk-sdk-go's CreateParams.CreatedAt sends it) is the user's created_at
// in the answer, in GET, in the created_at filters and order, and in the
// user.created event; the user is updated now. A malformed or future one
// is refused naming created_at, and nothing is made.
func TestImportKeepsCreatedAt(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	users := user.NewClient(clerkConfig(p))
	ctx := context.Background()
	before := time.Now()
	old, err := users.Create(ctx, &user.CreateParams{EmailAddresses: &[]string{"old@example.com"},
		CreatedAt: str("2019-03-04T05:06:07.891Z"), SkipPasswordRequirement: boolPtr(true)})
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2019, 3, 4, 5, 6, 7, 891e6, time.UTC).UnixMilli()
	if old.CreatedAt != want || old.UpdatedAt < before.UnixMilli() {
		t.Errorf("created_at %d, updated_at %d; want %d and now", old.CreatedAt, old.UpdatedAt, want)
	}
	if _, err := users.Create(ctx, &user.CreateParams{EmailAddresses: &[]string{"new@example.com"},
		SkipPasswordRequirement: boolPtr(true)}); err != nil {
		t.Fatal(err)
	}
	if got, err := users.Get(ctx, old.ID); err != nil || got.CreatedAt != want {
		t.Errorf("GET: created_at %v, %v; want %d", got, err, want)
	}
	var listed []struct {
		ID        string `json:"id"`
		CreatedAt int64  `json:"created_at"`
	}
	api(t, p, http.MethodGet, fmt.Sprintf("/v1/users?created_at_before=%d", before.UnixMilli()), nil, &listed)
	if len(listed) != 1 || listed[0].ID != old.ID {
		t.Errorf("created_at_before now lists %+v, want only the imported user", listed)
	}
	api(t, p, http.MethodGet, "/v1/users?order_by=%2Bcreated_at", nil, &listed)
	if len(listed) != 2 || listed[0].ID != old.ID {
		t.Errorf("oldest first lists %+v, want the imported user first", listed)
	}
	var created struct {
		ID        string `json:"id"`
		CreatedAt int64  `json:"created_at"`
	}
	for _, e := range eventsAfter(t, p, 0) {
		if e.Type == events.UserCreated && json.Unmarshal(e.Data, &created) == nil && created.ID == old.ID {
			break
		}
	}
	if created.ID != old.ID || created.CreatedAt != want {
		t.Errorf("user.created carries %+v, want created_at %d", created, want)
	}
	for what, v := range map[string]string{
		"not RFC 3339": "2019-03-04 05:06:07",
		"a date only":  "2019-03-04",
		"the future":   time.Now().Add(time.Hour).Format(time.RFC3339),
	} {
		r := api(t, p, http.MethodPost, "/v1/users", map[string]any{"email_address": []string{"bad@example.com"},
			"skip_password_requirement": true, "created_at": v}, nil)
		e := wantAPIError(t, r, http.StatusUnprocessableEntity, "form_param_format_invalid")
		if e.Errors[0].Meta["param_name"] != "created_at" {
			t.Errorf("%s: error names %v, want created_at", what, e.Errors[0].Meta["param_name"])
		}
	}
	if n, err := users.Count(ctx, &user.ListParams{}); err != nil || n.TotalCount != 2 {
		t.Errorf("users after the refusals: %+v, %v; want 2", n, err)
	}
}

// A password typed with a decomposed accent, as some keyboards send it,
// whose argon2id digest the old system made from those bytes, signs in
// through the pages and is then stored as the portal's own argon2id hash
// (REQ-PW-04: verified as received; REQ-PW-08). Before, the portal only
// compared the NFC form, and such an imported user could never sign in.
func TestImportedArgon2idOfUnnormalisedPasswordSignsIn_REQ_PW_04(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	pw := "cafe\u0301-otter-harbour-lantern-42"
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		t.Fatal(err)
	}
	b64 := base64.RawStdEncoding
	digest := fmt.Sprintf("$argon2id$v=19$m=4096,t=3,p=1$%s$%s", b64.EncodeToString(salt),
		b64.EncodeToString(argon2.IDKey([]byte(pw), salt, 3, 4096, 1, 32)))
	u, err := user.NewClient(clerkConfig(p)).Create(context.Background(), &user.CreateParams{
		EmailAddresses: &[]string{"ada@example.com"}, PasswordDigest: str(digest), PasswordHasher: str("argon2id")})
	if err != nil {
		t.Fatal(err)
	}
	wantHandBack(t, signIn(t, newBrowser(t, p), "ada@example.com", pw, appURL), http.StatusSeeOther, appURL)
	stored, err := p.Store.Q.UserByID(context.Background(), u.ID)
	if err != nil || stored.PasswordHash == digest || !strings.HasPrefix(stored.PasswordHash, "$argon2id$") {
		t.Fatalf("hash after sign-in = %q, %v; want the portal's own argon2id", stored.PasswordHash, err)
	}
	wantHandBack(t, signIn(t, newBrowser(t, p), "ada@example.com", pw, appURL), http.StatusSeeOther, appURL)
}

// A user none of whose identifiers the instance takes at sign-in
// (PORTAL_IDENTIFIERS) could never sign in: importing a phone-only user
// into an email-only instance is refused, 422 naming phone_number with
// what to change, and nothing is made or announced. With phone among the
// identifiers the same user is made and reaches the code step at sign-in.
func TestImportRefusesAUserWhoCouldNeverSignIn(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	for what, c := range map[string]struct {
		body  map[string]any
		field string
	}{
		"phone only": {map[string]any{"phone_number": []string{"+14155550123"}, "skip_password_requirement": true},
			"phone_number"},
		"username only": {map[string]any{"username": "ada_lovelace", "password": goodPassword}, "username"},
	} {
		e := wantAPIError(t, api(t, p, http.MethodPost, "/v1/users", c.body, nil),
			http.StatusUnprocessableEntity, "form_param_format_invalid")
		if got := e.Errors[0]; got.Meta["param_name"] != c.field || !strings.Contains(got.LongMessage, "PORTAL_IDENTIFIERS") {
			t.Errorf("%s: %+v, want %s named and PORTAL_IDENTIFIERS in the message", what, got, c.field)
		}
	}
	if evs := eventsAfter(t, p, 0); len(evs) != 0 {
		t.Errorf("events after the refusals: %v", evs)
	}
	if n, err := user.NewClient(clerkConfig(p)).Count(context.Background(), &user.ListParams{}); err != nil || n.TotalCount != 0 {
		t.Errorf("users after the refusals: %+v, %v", n, err)
	}
	// A user with an address and a phone number is fine on an email instance.
	if r := api(t, p, http.MethodPost, "/v1/users", map[string]any{"email_address": []string{"ada@example.com"},
		"phone_number": []string{"+14155550124"}, "skip_password_requirement": true}, nil); r.Status != http.StatusOK {
		t.Errorf("email and phone: %d %s", r.Status, r.Body)
	}

	phones := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_IDENTIFIERS": "email,phone"}})
	if r := api(t, phones, http.MethodPost, "/v1/users", map[string]any{"phone_number": []string{"+14155550123"},
		"skip_password_requirement": true}, nil); r.Status != http.StatusOK {
		t.Fatalf("phone only where phones sign in: %d %s", r.Status, r.Body)
	}
	b := newBrowser(t, phones)
	pg := b.submit(b.get("/sign-in"), signInForm, map[string]string{"identifier": "+14155550123"})
	if pg.Status != http.StatusOK || !strings.Contains(pg.text(), "Check your phone") {
		t.Errorf("phone-only sign-in: %d %s", pg.Status, pg.text())
	}
}
