package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/phonenumber"
	"github.com/clerk/clerk-sdk-go/v2/user"
	"golang.org/x/crypto/bcrypt"

	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// Importing second factors and original dates through POST /v1/users and
// PATCH /v1/users/{id} (totp_secret, backup_codes) and POST
// /v1/organizations (created_at), as Clerk's Backend API takes them.

// importedSecret is an authenticator app's secret on the old system.
const importedSecret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

// importMFAUser makes ada@example.com with a password, importedSecret and
// codes through clerk-sdk-go's user.Create, as a migration would.
func importMFAUser(t *testing.T, p *portaltest.Portal, secret string, codes ...string) string {
	t.Helper()
	params := &user.CreateParams{EmailAddresses: &[]string{"ada@example.com"}, Password: str(goodPassword),
		TOTPSecret: str(secret)}
	if len(codes) > 0 {
		params.BackupCodes = &codes
	}
	u, err := user.NewClient(clerkConfig(p)).Create(context.Background(), params)
	if err != nil {
		t.Fatal(err)
	}
	if !u.TwoFactorEnabled || !u.TOTPEnabled || u.BackupCodeEnabled != (len(codes) > 0) {
		t.Errorf("created: two_factor_enabled %v, totp_enabled %v, backup_code_enabled %v; want on",
			u.TwoFactorEnabled, u.TOTPEnabled, u.BackupCodeEnabled)
	}
	return u.ID
}

// An authenticator app brought from another system (totp_secret, here in
// lower case and spaced as old systems print it) is on as if set up here:
// the answer and user.created say so, sign-in asks for its code after the
// password and takes a code computed from the secret, once, and the
// account page shows the app and the imported backup codes. REQ-IN-09:
// the password alone gives no session.
func TestImportedAuthenticatorAppSignsIn_REQ_IN_09(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{})
	id := importMFAUser(t, p, "jbsw y3dp ehpk 3pxp jbsw y3dp ehpk 3pxp", "k7m2-p9q4", "135790")
	var created struct {
		ID               string `json:"id"`
		TwoFactorEnabled bool   `json:"two_factor_enabled"`
		TOTPEnabled      bool   `json:"totp_enabled"`
		BackupCode       bool   `json:"backup_code_enabled"`
	}
	evs := eventsAfter(t, p, 0)
	if len(evs) != 1 || evs[0].Type != events.UserCreated || json.Unmarshal(evs[0].Data, &created) != nil ||
		created.ID != id || !created.TwoFactorEnabled || !created.TOTPEnabled || !created.BackupCode {
		t.Errorf("events after the import: %v, user.created %+v", evs, created)
	}

	b := newBrowser(t, p)
	second := signIn(t, b, "ada@example.com", goodPassword, appURL)
	wantText(t, "after the password", second, http.StatusOK, "Two-step verification", "authenticator app")
	if second.URL.Path != "/sign-in/factor-two" || b.cookie("__session") != "" || activeSessions(t, p, id) != 0 {
		t.Fatalf("after the password: at %s, __session %q", second.URL, b.cookie("__session"))
	}
	wantText(t, "a wrong code", b.submit(second, factorTwoForm, map[string]string{"code": otherCode(totpCode(t, importedSecret, clock.Now()))}),
		http.StatusUnprocessableEntity, "That code is incorrect")
	code := totpCode(t, importedSecret, clock.Now())
	wantHandBack(t, b.submit(second, factorTwoForm, map[string]string{"code": code}), http.StatusSeeOther, appURL)

	again := newBrowser(t, p)
	wantText(t, "the same code again", again.submit(signIn(t, again, "ada@example.com", goodPassword, appURL),
		factorTwoForm, map[string]string{"code": code}), http.StatusUnprocessableEntity, "That code is incorrect")

	security := b.get("/user/security")
	if security.Status != http.StatusOK || security.Doc.Find(`a[href="/user/security/totp/remove"]`).Length() != 1 ||
		security.Doc.Find(`a[href="/user/security/totp"]`).Length() != 0 || !strings.Contains(security.text(), "2 unused codes") {
		t.Errorf("/user/security (%d) does not show the imported app and 2 backup codes:\n%s", security.Status, security.text())
	}
}

// Backup codes brought from another system — plain, typed in any case with
// or without their dashes, six digits too, or as bcrypt digests — each work
// once, at sign-in's second step as through verify_totp, and the plain ones
// are stored hashed as the portal's own (REQ-OTP-03: single use; REQ-OTP-05:
// only a salted slow hash is kept).
func TestImportedBackupCodesWorkOnce_REQ_OTP_03_REQ_OTP_05(t *testing.T) {
	p, _ := startFake(t, portaltest.Options{})
	digest, err := bcrypt.GenerateFromPassword([]byte("wq3z-8vn5"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	id := importMFAUser(t, p, importedSecret, "K7M2-P9Q4", "135790", string(digest), "spare-code-01")
	stored, err := p.Store.Q.UnusedBackupCodes(context.Background(), id)
	if err != nil || len(stored) != 4 {
		t.Fatalf("stored codes: %+v, %v", stored, err)
	}
	kept := 0
	for _, c := range stored {
		switch {
		case c.Hash == string(digest):
			kept++
		case !strings.HasPrefix(c.Hash, "$argon2id$v=19$m=4096,t=1,p=1$"):
			t.Errorf("a plain code stored as %q, want the portal's own argon2id hash", c.Hash)
		}
		for _, plain := range []string{"k7m2p9q4", "135790", "sparecode01"} {
			if strings.Contains(strings.ToLower(c.Hash), plain) {
				t.Errorf("stored %q holds the code %s", c.Hash, plain)
			}
		}
	}
	if kept != 1 {
		t.Errorf("the bcrypt digest is stored %d times, want once as given", kept)
	}

	useBackup := func(what, code string) *page {
		t.Helper()
		b := newBrowser(t, p)
		step := b.submit(signIn(t, b, "ada@example.com", goodPassword, appURL), factorTwoPrepare,
			map[string]string{"strategy": "backup_code"})
		wantText(t, what, step, http.StatusOK, "Enter a backup code")
		return b.submit(step, factorTwoForm, map[string]string{"code": code})
	}
	incorrect := func(what, code string) {
		t.Helper()
		wantText(t, what, useBackup(what, code), http.StatusUnprocessableEntity, "That code is incorrect")
	}
	wantHandBack(t, useBackup("a plain code, typed otherwise", "k7m2p9q4"), http.StatusSeeOther, appURL)
	incorrect("the plain code again", "K7M2-P9Q4")
	wantHandBack(t, useBackup("a bcrypt digest's code", "wq3z-8vn5"), http.StatusSeeOther, appURL)
	incorrect("the bcrypt digest's code again", "wq3z-8vn5")
	verifyTOTP(t, p, id, "135790", "backup_code") // six digits, which the app refuses
	wrongTOTP(t, p, "six digits again", id, "135790")
	incorrect("six digits at sign-in after verify_totp", "135790")
	if n := userByEmail(t, p, "ada@example.com").BackupCodes; n != 1 {
		t.Errorf("%d backup codes left, want 1", n)
	}
}

// What cannot be imported is refused, naming the parameter with Clerk's
// code, and nothing is made or announced, the valid parts included: a
// secret that is not Base32 or too short (invalid_totp_secret_code), backup
// codes without the app they stand in for, empty, short or duplicate codes,
// a digest bcrypt cannot check or of too high a cost, too many codes, a
// value of the wrong type; a second factor the instance does not offer
// (PORTAL_SECOND_FACTORS) is 403 feature_not_enabled.
func TestImportMFARefusals(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	costly, err := bcrypt.GenerateFromPassword([]byte("abcd1234"), 13)
	if err != nil {
		t.Fatal(err)
	}
	many := make([]string, 21)
	for i := range many {
		many[i] = fmt.Sprintf("code-%04d", i)
	}
	type refusal struct {
		body         map[string]any
		status       int
		code, param  string
		longContains string
	}
	for what, c := range map[string]refusal{
		"a secret not Base32": {map[string]any{"totp_secret": "JBSWY3DPEHPK3PX1JBSWY3DPEHPK3PXP"},
			422, "invalid_totp_secret_code", "totp_secret", "not Base32"},
		"a hex secret": {map[string]any{"totp_secret": "48656c6c6f21deadbeef48656c6c6f21deadbeef"},
			422, "invalid_totp_secret_code", "totp_secret", "not Base32"},
		"a short secret": {map[string]any{"totp_secret": "JBSWY3DPEHPK3"},
			422, "invalid_totp_secret_code", "totp_secret", "at least 80 bits"},
		"a secret not a string": {map[string]any{"totp_secret": 123456},
			422, "form_param_format_invalid", "totp_secret", "string"},
		"codes without a secret": {map[string]any{"backup_codes": []string{"abcd1234"}},
			422, "form_conditional_param_missing", "totp_secret", "backup_codes"},
		"an empty code": {map[string]any{"totp_secret": importedSecret, "backup_codes": []string{"abcd1234", " "}},
			422, "form_param_format_invalid", "backup_codes", "Backup code 2 of 2 is empty"},
		"a short code": {map[string]any{"totp_secret": importedSecret, "backup_codes": []string{"12-345"}},
			422, "form_param_format_invalid", "backup_codes", "6 to 32 characters"},
		"a broken digest": {map[string]any{"totp_secret": importedSecret, "backup_codes": []string{string(costly[:40])}},
			422, "form_param_format_invalid", "backup_codes", "bcrypt"},
		"a costly digest": {map[string]any{"totp_secret": importedSecret, "backup_codes": []string{string(costly)}},
			422, "form_param_format_invalid", "backup_codes", "cost at most 12"},
		"a code twice": {map[string]any{"totp_secret": importedSecret, "backup_codes": []string{"abcd-1234", "ABCD1234"}},
			422, "form_param_duplicate", "backup_codes", "twice"},
		"too many codes": {map[string]any{"totp_secret": importedSecret, "backup_codes": many},
			422, "form_param_array_size_exceeded", "backup_codes", "20"},
		"codes not an array": {map[string]any{"totp_secret": importedSecret, "backup_codes": "abcd1234"},
			422, "form_param_format_invalid", "backup_codes", "array"},
	} {
		body := map[string]any{"email_address": []string{"ada@example.com"}, "password": goodPassword}
		for k, v := range c.body {
			body[k] = v
		}
		e := wantAPIError(t, api(t, p, http.MethodPost, "/v1/users", body, nil), c.status, c.code)
		if got := e.Errors[0]; got.Meta["param_name"] != c.param || !strings.Contains(got.LongMessage, c.longContains) {
			t.Errorf("%s: %+v, want %s named and %q said", what, got, c.param, c.longContains)
		}
	}
	if n, err := user.NewClient(clerkConfig(p)).Count(context.Background(), &user.ListParams{}); err != nil || n.TotalCount != 0 {
		t.Errorf("users after the refusals: %+v, %v", n, err)
	}
	if evs := eventsAfter(t, p, 0); len(evs) != 0 {
		t.Errorf("events after the refusals: %v", evs)
	}
	for env, c := range map[string]refusal{
		"phone_code,backup_code": {map[string]any{"totp_secret": importedSecret}, 403, "feature_not_enabled", "totp_secret", "PORTAL_SECOND_FACTORS"},
		"totp": {map[string]any{"totp_secret": importedSecret, "backup_codes": []string{"abcd1234"}},
			403, "feature_not_enabled", "backup_codes", "PORTAL_SECOND_FACTORS"},
	} {
		off := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_SECOND_FACTORS": env}})
		c.body["email_address"], c.body["password"] = []string{"ada@example.com"}, goodPassword
		e := wantAPIError(t, api(t, off, http.MethodPost, "/v1/users", c.body, nil), c.status, c.code)
		if got := e.Errors[0]; got.Meta["param_name"] != c.param || !strings.Contains(got.LongMessage, c.longContains) {
			t.Errorf("PORTAL_SECOND_FACTORS=%s: %+v, want %s named", env, got, c.param)
		}
		if evs := eventsAfter(t, off, 0); len(evs) != 0 {
			t.Errorf("PORTAL_SECOND_FACTORS=%s: events after the refusal: %v", env, evs)
		}
	}
}

// An importer keeps when each organization was made: created_at (RFC 3339,
// as for users) is the organization's created_at in the answer, in GET, in
// the list's order and in organization.created; it is updated now, and its
// first admin's membership starts now. A malformed or future one is
// refused naming created_at, and nothing is made; PATCH does not take it.
func TestImportKeepsOrganizationCreatedAt(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ada := newTestUser(t, p, "ada@example.com")
	type orgJSON struct {
		ID        string `json:"id"`
		CreatedAt int64  `json:"created_at"`
		UpdatedAt int64  `json:"updated_at"`
	}
	var newer, old orgJSON
	if r := api(t, p, http.MethodPost, "/v1/organizations", map[string]any{"name": "Newer"}, &newer); r.Status != http.StatusOK {
		t.Fatalf("POST: %d %s", r.Status, r.Body)
	}
	before := time.Now()
	if r := api(t, p, http.MethodPost, "/v1/organizations", map[string]any{"name": "Old Co", "created_by": ada.ID,
		"created_at": "2018-07-08T09:10:11.123+02:00"}, &old); r.Status != http.StatusOK {
		t.Fatalf("POST with created_at: %d %s", r.Status, r.Body)
	}
	want := time.Date(2018, 7, 8, 7, 10, 11, 123e6, time.UTC).UnixMilli()
	if old.CreatedAt != want || old.UpdatedAt < before.UnixMilli() {
		t.Errorf("created_at %d, updated_at %d; want %d and now", old.CreatedAt, old.UpdatedAt, want)
	}
	var got orgJSON
	if api(t, p, http.MethodGet, "/v1/organizations/"+old.ID, nil, &got); got.CreatedAt != want {
		t.Errorf("GET: created_at %d, want %d", got.CreatedAt, want)
	}
	var list struct {
		Data []orgJSON `json:"data"`
	}
	for order, first := range map[string]string{"": newer.ID, "%2Bcreated_at": old.ID, "-created_at": newer.ID} {
		api(t, p, http.MethodGet, "/v1/organizations?order_by="+order, nil, &list)
		if len(list.Data) != 2 || list.Data[0].ID != first {
			t.Errorf("order_by=%s lists %+v, want %s first", order, list.Data, first)
		}
	}
	var members struct {
		Data []struct {
			CreatedAt int64 `json:"created_at"`
		} `json:"data"`
	}
	api(t, p, http.MethodGet, "/v1/organizations/"+old.ID+"/memberships", nil, &members)
	if len(members.Data) != 1 || members.Data[0].CreatedAt < before.UnixMilli() {
		t.Errorf("the first admin's membership: %+v, want one made now", members.Data)
	}
	evs, err := p.Store.Q.EventsOfObject(context.Background(), old.ID)
	var hooked orgJSON
	if err != nil || len(evs) == 0 || evs[0].Type != events.OrganizationCreated ||
		json.Unmarshal(evs[0].Data, &hooked) != nil || hooked.CreatedAt != want {
		t.Errorf("organization.created: %+v, %v; want created_at %d", evs, err, want)
	}

	for what, v := range map[string]string{
		"not RFC 3339": "2018-07-08 09:10:11",
		"a date only":  "2018-07-08",
		"the future":   time.Now().Add(time.Hour).Format(time.RFC3339),
	} {
		e := wantAPIError(t, api(t, p, http.MethodPost, "/v1/organizations", map[string]any{"name": "Bad " + what,
			"created_at": v}, nil), http.StatusUnprocessableEntity, "form_param_format_invalid")
		if e.Errors[0].Meta["param_name"] != "created_at" {
			t.Errorf("%s: error names %v, want created_at", what, e.Errors[0].Meta["param_name"])
		}
	}
	api(t, p, http.MethodGet, "/v1/organizations", nil, &list)
	if len(list.Data) != 2 {
		t.Errorf("organizations after the refusals: %+v, want 2", list.Data)
	}
	wantAPIError(t, api(t, p, http.MethodPatch, "/v1/organizations/"+old.ID, map[string]any{"created_at": "2017-01-01T00:00:00Z"}, nil),
		http.StatusUnprocessableEntity, "form_param_unknown")
}

// The same on PATCH /v1/users/{id}, as Clerk's UpdateUser takes them: for a
// user migrated before their second factors, or whose app or codes changed
// on the old system meanwhile.

// otherSecret is a second authenticator-app secret.
const otherSecret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

// patchMFA sends totp_secret and backup_codes (when given) through
// clerk-sdk-go's user.Update.
func patchMFA(t *testing.T, p *portaltest.Portal, id, secret string, codes ...string) {
	t.Helper()
	params := &user.UpdateParams{}
	if secret != "" {
		params.TOTPSecret = str(secret)
	}
	if len(codes) > 0 {
		params.BackupCodes = &codes
	}
	u, err := user.NewClient(clerkConfig(p)).Update(context.Background(), id, params)
	if err != nil {
		t.Fatal(err)
	}
	if !u.TwoFactorEnabled {
		t.Errorf("after the update: two_factor_enabled false")
	}
}

// signInWithApp signs in as ada with the password and code at the second
// step, which must ask for the authenticator app's code.
func signInWithApp(t *testing.T, p *portaltest.Portal, what, code string) *page {
	t.Helper()
	b := newBrowser(t, p)
	second := signIn(t, b, "ada@example.com", goodPassword, appURL)
	wantText(t, what, second, http.StatusOK, "Two-step verification", "authenticator app")
	return b.submit(second, factorTwoForm, map[string]string{"code": code})
}

// signInWithBackupCode signs in as ada with the password and a backup code.
func signInWithBackupCode(t *testing.T, p *portaltest.Portal, what, code string) *page {
	t.Helper()
	b := newBrowser(t, p)
	step := b.submit(signIn(t, b, "ada@example.com", goodPassword, appURL), factorTwoPrepare,
		map[string]string{"strategy": "backup_code"})
	wantText(t, what, step, http.StatusOK, "Enter a backup code")
	return b.submit(step, factorTwoForm, map[string]string{"code": code})
}

// A password-only user given an authenticator app by PATCH has it as if set
// up on /user/security: the answer and user.updated (one, as for any PATCH)
// say so, the next sign-in asks for its code after the password and takes a
// code computed from the secret, and a session open before goes on, as it
// does when the person adds an app themselves. REQ-IN-09: the password
// alone gives no session.
func TestPatchGivesAuthenticatorApp_REQ_IN_09(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{})
	id := apiUser(t, p, "ada@example.com")
	before := newBrowser(t, p)
	wantHandBack(t, signIn(t, before, "ada@example.com", goodPassword, appURL), http.StatusSeeOther, appURL)
	seq := lastEvent(t, p)

	patchMFA(t, p, id, "jbsw y3dp ehpk 3pxp jbsw y3dp ehpk 3pxp")
	evs := eventsAfter(t, p, seq)
	var o struct {
		TwoFactorEnabled bool `json:"two_factor_enabled"`
		TOTPEnabled      bool `json:"totp_enabled"`
		BackupCode       bool `json:"backup_code_enabled"`
	}
	if len(evs) != 1 || evs[0].Type != events.UserUpdated || json.Unmarshal(evs[0].Data, &o) != nil ||
		!o.TwoFactorEnabled || !o.TOTPEnabled || o.BackupCode {
		t.Errorf("events after the PATCH: %v, user.updated %+v; want one, the app on and no backup codes", evs, o)
	}
	if n := activeSessions(t, p, id); n != 1 {
		t.Errorf("%d sessions after the PATCH, want the one open before", n)
	}
	if security := before.get("/user/security"); security.Status != http.StatusOK ||
		security.Doc.Find(`a[href="/user/security/totp/remove"]`).Length() != 1 {
		t.Errorf("/user/security in the session open before (%d) does not show the app:\n%s", security.Status, security.text())
	}

	second := signIn(t, newBrowser(t, p), "ada@example.com", goodPassword, appURL)
	if second.URL.Path != "/sign-in/factor-two" || activeSessions(t, p, id) != 1 {
		t.Fatalf("after the password: at %s with %d sessions", second.URL, activeSessions(t, p, id))
	}
	wantText(t, "a wrong code", signInWithApp(t, p, "the second step", otherCode(totpCode(t, importedSecret, clock.Now()))),
		http.StatusUnprocessableEntity, "That code is incorrect")
	wantHandBack(t, signInWithApp(t, p, "the second step", totpCode(t, importedSecret, clock.Now())), http.StatusSeeOther, appURL)
}

// A secret given to a user who has an authenticator app replaces it, as
// removing it and setting up another on /user/security would, without
// ending their sessions: the old app's codes are refused, at sign-in and
// through verify_totp, and the new one's accepted. Backup codes not given
// are left as they were. On both engines.
func TestPatchReplacesAuthenticatorApp(t *testing.T) {
	engines(t, func(t *testing.T, postgres bool) {
		p, clock := startFake(t, portaltest.Options{Postgres: postgres})
		id := importMFAUser(t, p, importedSecret, "k7m2-p9q4", "spare-code-01")
		before := newBrowser(t, p)
		wantHandBack(t, signInWithAppIn(t, before, totpCode(t, importedSecret, clock.Now())), http.StatusSeeOther, appURL)
		clock.Advance(30 * time.Second)

		patchMFA(t, p, id, otherSecret)
		if o := lastUser(t, p, id); !o.TOTPEnabled || !o.BackupCodeEnabled {
			t.Errorf("user.updated: totp_enabled %v, backup_code_enabled %v; want both on", o.TOTPEnabled, o.BackupCodeEnabled)
		}
		if n := activeSessions(t, p, id); n != 1 {
			t.Errorf("%d sessions after the PATCH, want the one open before", n)
		}
		if totp, err := p.Store.Q.TOTPOfUser(context.Background(), id); err != nil || totp.ConfirmedAt == nil || totp.LastUsedStep != 0 {
			t.Errorf("the stored app: %+v, %v; want the new one, confirmed and unused", totp, err)
		}
		old := totpCode(t, importedSecret, clock.Now())
		wantText(t, "the old app's code", signInWithApp(t, p, "the second step", old),
			http.StatusUnprocessableEntity, "That code is incorrect")
		wrongTOTP(t, p, "the old app's code", id, old)
		wantHandBack(t, signInWithApp(t, p, "the second step", totpCode(t, otherSecret, clock.Now())), http.StatusSeeOther, appURL)
		clock.Advance(30 * time.Second)
		verifyTOTP(t, p, id, totpCode(t, otherSecret, clock.Now()), "totp")
		wantHandBack(t, signInWithBackupCode(t, p, "a backup code from before", "K7M2P9Q4"), http.StatusSeeOther, appURL)

		if n := userByEmail(t, p, "ada@example.com").BackupCodes; n != 1 {
			t.Errorf("%d backup codes left, want 1", n)
		}
	})
}

// signInWithAppIn signs in as ada in b with the password and the app's code.
func signInWithAppIn(t *testing.T, b *browser, code string) *page {
	t.Helper()
	second := signIn(t, b, "ada@example.com", goodPassword, appURL)
	wantText(t, "the second step", second, http.StatusOK, "Two-step verification")
	return b.submit(second, factorTwoForm, map[string]string{"code": code})
}

// Backup codes given by PATCH replace the user's, used or not: the old ones
// are refused, the new ones work once. They need a second factor to stand
// in for, which may be one the user has: the app, or text-message codes
// (whose generated codes they then replace) — REQ-OTP-03: single use.
func TestPatchReplacesBackupCodes_REQ_OTP_03(t *testing.T) {
	p, _ := startFake(t, portaltest.Options{Env: map[string]string{"PORTAL_IDENTIFIERS": "email,phone"}})
	id := importMFAUser(t, p, importedSecret, "k7m2-p9q4", "spare-code-01")
	digest, err := bcrypt.GenerateFromPassword([]byte("wq3z-8vn5"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	seq := lastEvent(t, p)
	patchMFA(t, p, id, "", "n3w1-c0d3", string(digest))
	if evs := eventsAfter(t, p, seq); len(evs) != 1 || evs[0].Type != events.UserUpdated {
		t.Errorf("events after the PATCH: %v, want one user.updated", evs)
	}
	if n := userByEmail(t, p, "ada@example.com").BackupCodes; n != 2 {
		t.Errorf("%d backup codes after the PATCH, want the 2 given", n)
	}
	wantText(t, "an old code", signInWithBackupCode(t, p, "the backup-code step", "k7m2-p9q4"),
		http.StatusUnprocessableEntity, "That code is incorrect")
	wrongTOTP(t, p, "another old code", id, "spare-code-01")
	wantHandBack(t, signInWithBackupCode(t, p, "the backup-code step", "N3W1C0D3"), http.StatusSeeOther, appURL)
	wantText(t, "the new code again", signInWithBackupCode(t, p, "the backup-code step", "n3w1-c0d3"),
		http.StatusUnprocessableEntity, "That code is incorrect")
	verifyTOTP(t, p, id, "wq3z-8vn5", "backup_code")
	wrongTOTP(t, p, "the digest's code again", id, "wq3z-8vn5")

	// Text-message codes are a second factor too: a user whose old system
	// texted them brings their backup codes once the number is reserved.
	ctx := context.Background()
	grace, err := user.NewClient(clerkConfig(p)).Create(ctx, &user.CreateParams{EmailAddresses: &[]string{"grace@example.com"},
		Password: str(goodPassword)})
	if err != nil {
		t.Fatal(err)
	}
	phones := phonenumber.NewClient(clerkConfig(p))
	num, err := phones.Create(ctx, &phonenumber.CreateParams{UserID: &grace.ID, PhoneNumber: str("+1 415 555 0100"), Verified: clerk.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	reserved, err := phones.Update(ctx, num.ID, &phonenumber.UpdateParams{ReservedForSecondFactor: clerk.Bool(true)})
	if err != nil || len(reserved.BackupCodes) == 0 {
		t.Fatalf("reserving: %+v, %v", reserved, err)
	}
	patchMFA(t, p, grace.ID, "", "0ld-sy5tem-c0de")
	if g := userByEmail(t, p, "grace@example.com"); g.TOTP || g.BackupCodes != 1 {
		t.Errorf("after the PATCH: app %v, %d backup codes; want no app and the 1 given", g.TOTP, g.BackupCodes)
	}
	wrongTOTP(t, p, "a code issued with the number", grace.ID, reserved.BackupCodes[0])
	verifyTOTP(t, p, grace.ID, "0LD SY5TEM C0DE", "backup_code")
}

// mfaState is what a refused PATCH must leave as it was: the user as GET
// answers it, the stored app and backup codes, and the events.
type mfaState struct {
	user   string
	totp   string
	codes  string
	events int
}

func mfaStateOf(t *testing.T, p *portaltest.Portal, id string) mfaState {
	t.Helper()
	r := api(t, p, http.MethodGet, "/v1/users/"+id, nil, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("GET: %d %s", r.Status, r.Body)
	}
	ctx := context.Background()
	totp, err := p.Store.Q.TOTPOfUser(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	codes, err := p.Store.Q.UnusedBackupCodes(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return mfaState{user: string(r.Body), totp: fmt.Sprintf("%+v", *totp), codes: fmt.Sprintf("%+v", codes),
		events: len(eventsAfter(t, p, 0))}
}

// A PATCH with an authenticator app or backup codes that cannot be taken is
// refused as on creation, naming the parameter with Clerk's code, and
// leaves the user entirely as it was — the valid parts of the request
// (a name, a new secret, a new password signing the other sessions out)
// included: GET answers the same, the stored app and codes are the same
// rows, no event is written and sessions go on. Backup codes for a user
// with no second factor to stand in for are refused as backup codes
// without a secret are on creation. On both engines.
func TestPatchMFARefusalsChangeNothing(t *testing.T) {
	engines(t, func(t *testing.T, postgres bool) {
		p, clock := startFake(t, portaltest.Options{Postgres: postgres})
		id := importMFAUser(t, p, importedSecret, "k7m2-p9q4")
		wantHandBack(t, signInWithApp(t, p, "the second step", totpCode(t, importedSecret, clock.Now())), http.StatusSeeOther, appURL)
		costly, err := bcrypt.GenerateFromPassword([]byte("abcd1234"), 13)
		if err != nil {
			t.Fatal(err)
		}
		many := make([]string, 21)
		for i := range many {
			many[i] = fmt.Sprintf("code-%04d", i)
		}
		sessions := activeSessions(t, p, id)
		want := mfaStateOf(t, p, id)
		for what, c := range map[string]struct {
			body        map[string]any
			status      int
			code, param string
		}{
			"a secret not Base32": {map[string]any{"totp_secret": "JBSWY3DPEHPK3PX1JBSWY3DPEHPK3PXP"},
				422, "invalid_totp_secret_code", "totp_secret"},
			"a short secret": {map[string]any{"totp_secret": "JBSWY3DPEHPK3"}, 422, "invalid_totp_secret_code", "totp_secret"},
			"a secret not a string": {map[string]any{"totp_secret": 123456},
				422, "form_param_format_invalid", "totp_secret"},
			"a good secret and an empty code": {map[string]any{"totp_secret": otherSecret, "backup_codes": []string{"abcd1234", " "}},
				422, "form_param_format_invalid", "backup_codes"},
			"a short code": {map[string]any{"backup_codes": []string{"12-345"}}, 422, "form_param_format_invalid", "backup_codes"},
			"a costly digest": {map[string]any{"backup_codes": []string{string(costly)}},
				422, "form_param_format_invalid", "backup_codes"},
			"a code twice": {map[string]any{"backup_codes": []string{"abcd-1234", "ABCD1234"}},
				422, "form_param_duplicate", "backup_codes"},
			"too many codes": {map[string]any{"totp_secret": otherSecret, "backup_codes": many},
				422, "form_param_array_size_exceeded", "backup_codes"},
			"codes not an array": {map[string]any{"backup_codes": "abcd1234"}, 422, "form_param_format_invalid", "backup_codes"},
			"a new password signing out and a bad code": {map[string]any{"password": "another-" + goodPassword,
				"sign_out_of_other_sessions": true, "backup_codes": []string{"12-345"}}, 422, "form_param_format_invalid", "backup_codes"},
		} {
			c.body["first_name"] = "Grace"
			e := wantAPIError(t, api(t, p, http.MethodPatch, "/v1/users/"+id, c.body, nil), c.status, c.code)
			if got := e.Errors[0].Meta["param_name"]; got != c.param {
				t.Errorf("%s: names %v, want %s", what, got, c.param)
			}
			if got := mfaStateOf(t, p, id); got != want {
				t.Errorf("%s changed the user:\n%+v\nwant\n%+v", what, got, want)
			}
			if n := activeSessions(t, p, id); n != sessions {
				t.Errorf("%s: %d sessions, want %d", what, n, sessions)
			}
		}
		verifyTOTP(t, p, id, "k7m2-p9q4", "backup_code") // the old code stands
		clock.Advance(30 * time.Second)
		wantHandBack(t, signInWithApp(t, p, "the password and app from before", totpCode(t, importedSecret, clock.Now())),
			http.StatusSeeOther, appURL)

		// Backup codes for a password-only user: nothing to stand in for.
		grace := apiUser(t, p, "grace@example.com")
		seq := lastEvent(t, p)
		e := wantAPIError(t, api(t, p, http.MethodPatch, "/v1/users/"+grace, map[string]any{"first_name": "Grace",
			"backup_codes": []string{"abcd1234"}}, nil), http.StatusUnprocessableEntity, "form_conditional_param_missing")
		if e.Errors[0].Meta["param_name"] != "totp_secret" {
			t.Errorf("codes alone: names %v, want totp_secret", e.Errors[0].Meta["param_name"])
		}
		if g := userByEmail(t, p, "grace@example.com"); g.FirstName != "" || g.BackupCodes != 0 || len(eventsAfter(t, p, seq)) != 0 {
			t.Errorf("codes alone changed the user: %+v", g)
		}

		// A second factor the instance does not offer: 403, nothing changed.
		for env, c := range map[string]struct {
			body  map[string]any
			param string
		}{
			"phone_code,backup_code": {map[string]any{"totp_secret": importedSecret}, "totp_secret"},
			"totp":                   {map[string]any{"totp_secret": importedSecret, "backup_codes": []string{"abcd1234"}}, "backup_codes"},
		} {
			off := portaltest.Start(t, portaltest.Options{Postgres: postgres, Env: map[string]string{"PORTAL_SECOND_FACTORS": env}})
			id := apiUser(t, off, "ada@example.com")
			seq := lastEvent(t, off)
			c.body["first_name"] = "Grace"
			e := wantAPIError(t, api(t, off, http.MethodPatch, "/v1/users/"+id, c.body, nil), http.StatusForbidden, "feature_not_enabled")
			if e.Errors[0].Meta["param_name"] != c.param {
				t.Errorf("PORTAL_SECOND_FACTORS=%s: names %v, want %s", env, e.Errors[0].Meta["param_name"], c.param)
			}
			if u := userByEmail(t, off, "ada@example.com"); u.FirstName != "" || u.TOTP || len(eventsAfter(t, off, seq)) != 0 {
				t.Errorf("PORTAL_SECOND_FACTORS=%s: the user changed: %+v", env, u)
			}
		}
	})
}
