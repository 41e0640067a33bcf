package e2e

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/testutil/pgtest"
	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// POST /v1/users/{id}/verify_totp, as @clerk/backend's users.verifyTOTP
// sends it (clerk-sdk-go v2.4.2 has no such method).

// verifiedCode is verify_totp's answer.
type verifiedCode struct {
	Verified bool   `json:"verified"`
	CodeType string `json:"code_type"`
}

// verifyTOTP checks code for userID and wants it accepted as codeType.
func verifyTOTP(t *testing.T, p *portaltest.Portal, userID, code, codeType string) {
	t.Helper()
	var got verifiedCode
	if r := api(t, p, http.MethodPost, "/v1/users/"+userID+"/verify_totp", map[string]any{"code": code}, &got); r.Status != http.StatusOK ||
		r.Header.Get("Content-Type") != "application/json" || !got.Verified || got.CodeType != codeType {
		t.Fatalf("verify_totp: %d %s, want verified %s", r.Status, r.Body, codeType)
	}
}

// wrongTOTP checks code for userID and wants it refused as Clerk refuses a
// wrong code: 422 totp_incorrect_code naming code.
func wrongTOTP(t *testing.T, p *portaltest.Portal, what, userID, code string) {
	t.Helper()
	e := wantAPIError(t, api(t, p, http.MethodPost, "/v1/users/"+userID+"/verify_totp", map[string]any{"code": code}, nil),
		http.StatusUnprocessableEntity, "totp_incorrect_code")
	if e.Errors[0].Meta["param_name"] != "code" {
		t.Errorf("%s: meta %v, want param_name code", what, e.Errors[0].Meta)
	}
}

// The app's code is verified once, and sign-in's replay guard and this
// are one: a code used here does not sign in, and one sign-in used is not
// verified here. A backup code is verified once and spent. REQ-OTP-03.
func TestBackendAPIVerifiesTOTP_REQ_OTP_03(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{})
	b := newBrowser(t, p)
	wantHandBack(t, signUp(t, p, b, "ada@example.com", appURL), http.StatusSeeOther, appURL)
	secret, backup := enrolTOTP(t, b, clock)
	ada := userByEmail(t, p, "ada@example.com")

	wrongTOTP(t, p, "the code that turned the app on", ada.ID, totpCode(t, secret, clock.Now()))
	clock.Advance(time.Minute)
	code := totpCode(t, secret, clock.Now())
	verifyTOTP(t, p, ada.ID, code, "totp")
	wrongTOTP(t, p, "the same code again", ada.ID, code)
	wrongTOTP(t, p, "a wrong code", ada.ID, otherCode(totpCode(t, secret, clock.Now().Add(time.Minute))))
	wrongTOTP(t, p, "not a code at all", ada.ID, "12345")
	in := newBrowser(t, p)
	wantText(t, "signing in with a code verify_totp used", in.submit(signIn(t, in, "ada@example.com", goodPassword, appURL),
		factorTwoForm, map[string]string{"code": code}), http.StatusUnprocessableEntity, "That code is incorrect")

	clock.Advance(time.Minute)
	code = totpCode(t, secret, clock.Now())
	in = newBrowser(t, p)
	wantHandBack(t, in.submit(signIn(t, in, "ada@example.com", goodPassword, appURL), factorTwoForm,
		map[string]string{"code": code}), http.StatusSeeOther, appURL)
	wrongTOTP(t, p, "a code sign-in used", ada.ID, code)

	// A backup code, however typed, once; the next one still works.
	verifyTOTP(t, p, ada.ID, " "+strings.ToUpper(backup[0])+" ", "backup_code")
	wrongTOTP(t, p, "the same backup code again", ada.ID, backup[0])
	if n := userByEmail(t, p, "ada@example.com").BackupCodes; n != 9 {
		t.Errorf("%d backup codes left, want 9", n)
	}
	verifyTOTP(t, p, ada.ID, backup[1], "backup_code")
	wrongTOTP(t, p, "a made-up backup code", ada.ID, "abcde-fghjk")
	if n := userByEmail(t, p, "ada@example.com").BackupCodes; n != 8 {
		t.Errorf("%d backup codes left, want 8", n)
	}
	in = newBrowser(t, p)
	step := in.submit(signIn(t, in, "ada@example.com", goodPassword, appURL), factorTwoPrepare, map[string]string{"strategy": "backup_code"})
	wantText(t, "signing in with a backup code verify_totp spent", in.submit(step, factorTwoForm, map[string]string{"code": backup[1]}),
		http.StatusUnprocessableEntity, "That code is incorrect")
}

// What is not a check: an unknown user is 404 (whatever was sent), a
// missing code 422 form_param_missing, a user without an authenticator app
// or backup codes 400 totp_disabled, Clerk's code for it — also once
// support took the app away.
func TestBackendAPIVerifyTOTPRefusals(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{})
	grace := apiUser(t, p, "grace@example.com")
	for _, body := range []any{map[string]any{"code": "123456"}, map[string]any{}, nil} {
		wantAPIError(t, api(t, p, http.MethodPost, "/v1/users/user_missing/verify_totp", body, nil), http.StatusNotFound, "resource_not_found")
	}
	for _, body := range []any{map[string]any{}, map[string]any{"code": ""}, map[string]any{"code": "  "}, map[string]any{"code": nil}} {
		e := wantAPIError(t, api(t, p, http.MethodPost, "/v1/users/"+grace+"/verify_totp", body, nil),
			http.StatusUnprocessableEntity, "form_param_missing")
		if e.Errors[0].Meta["param_name"] != "code" {
			t.Errorf("%v: meta %v, want param_name code", body, e.Errors[0].Meta)
		}
	}
	wantAPIError(t, api(t, p, http.MethodPost, "/v1/users/"+grace+"/verify_totp", map[string]any{"code": 123456}, nil),
		http.StatusUnprocessableEntity, "form_param_format_invalid")
	e := wantAPIError(t, api(t, p, http.MethodPost, "/v1/users/"+grace+"/verify_totp", map[string]any{"code": "123456"}, nil),
		http.StatusBadRequest, "totp_disabled")
	if !strings.Contains(e.Errors[0].LongMessage, "no authenticator app") {
		t.Errorf("totp_disabled says %q", e.Errors[0].LongMessage)
	}

	b := newBrowser(t, p)
	wantHandBack(t, signUp(t, p, b, "ada@example.com", appURL), http.StatusSeeOther, appURL)
	_, backup := enrolTOTP(t, b, clock)
	ada := userByEmail(t, p, "ada@example.com")
	if r := api(t, p, http.MethodDelete, "/v1/users/"+ada.ID+"/totp", nil, nil); r.Status != http.StatusOK {
		t.Fatalf("DELETE totp: %d %s", r.Status, r.Body)
	}
	wantAPIError(t, api(t, p, http.MethodPost, "/v1/users/"+ada.ID+"/verify_totp", map[string]any{"code": backup[0]}, nil),
		http.StatusBadRequest, "totp_disabled")
}

// REQ-OTP-04, REQ-RL-01: six digits cannot be guessed through the API.
// Ten codes for one user are checked at once, then one every six minutes;
// past that even the right code is refused, 429 with Retry-After, and the
// refusal is logged. A success starts the count over. Another user is not
// held up, and the account's sign-in is not locked by the API's guesses
// (REQ-RL-02: no malicious lockout through an app).
func TestBackendAPIVerifyTOTPLimitsGuesses_REQ_OTP_04(t *testing.T) {
	p, clock, log := startLogged(t)
	b := newBrowser(t, p)
	wantHandBack(t, signUp(t, p, b, "ada@example.com", appURL), http.StatusSeeOther, appURL)
	secret, _ := enrolTOTP(t, b, clock)
	ada := userByEmail(t, p, "ada@example.com")
	b2 := newBrowser(t, p)
	wantHandBack(t, signUp(t, p, b2, "grace@example.com", appURL), http.StatusSeeOther, appURL)
	graceSecret, _ := enrolTOTP(t, b2, clock)
	grace := userByEmail(t, p, "grace@example.com")
	clock.Advance(time.Minute)

	guess := func(n int) {
		t.Helper()
		for i := range n {
			wrongTOTP(t, p, fmt.Sprintf("guess %d", i+1), ada.ID, otherCode(totpCode(t, secret, clock.Now())))
		}
	}
	limited := func(what string) {
		t.Helper()
		r := api(t, p, http.MethodPost, "/v1/users/"+ada.ID+"/verify_totp", map[string]any{"code": totpCode(t, secret, clock.Now())}, nil)
		wantAPIError(t, r, http.StatusTooManyRequests, "too_many_requests")
		if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || s < 1 || s > 6*60+1 {
			t.Errorf("%s: Retry-After %q", what, r.Header.Get("Retry-After"))
		}
	}
	guess(10)
	limited("the right code after ten wrong ones")
	verifyTOTP(t, p, grace.ID, totpCode(t, graceSecret, clock.Now()), "totp")
	in := newBrowser(t, p)
	wantHandBack(t, in.submit(signIn(t, in, "ada@example.com", goodPassword, appURL), factorTwoForm,
		map[string]string{"code": totpCode(t, secret, clock.Now())}), http.StatusSeeOther, appURL)

	// Six minutes earn one check back.
	clock.Advance(6*time.Minute + time.Second)
	guess(1)
	limited("a second code six minutes later")
	clock.Advance(6*time.Minute + time.Second)
	verifyTOTP(t, p, ada.ID, totpCode(t, secret, clock.Now()), "totp")
	guess(10)
	limited("after a success and ten wrong codes")

	n := 0
	for _, l := range logLines(t, log.syncBuffer) {
		if l["msg"] == "rate limited" && l["limit"] == "verify_totp" && l["user_id"] == ada.ID {
			n++
		}
	}
	if n != 3 {
		t.Errorf("%d refusals logged, want 3", n)
	}
}

// REQ-LOG-01: every code checked is an authentication attempt, logged with
// its step (backend_api), what it was checked as, its outcome and the
// account — never the code.
func TestBackendAPIVerifyTOTPIsLogged_REQ_LOG_01(t *testing.T) {
	p, clock, log := startLogged(t)
	b := newBrowser(t, p)
	wantHandBack(t, signUp(t, p, b, "ada@example.com", appURL), http.StatusSeeOther, appURL)
	secret, backup := enrolTOTP(t, b, clock)
	ada := userByEmail(t, p, "ada@example.com")
	grace := apiUser(t, p, "grace@example.com")
	log.keep("TOTP secret", secret)
	for _, c := range backup {
		log.keep("backup code", c)
	}
	clock.Advance(time.Minute)
	code := totpCode(t, secret, clock.Now())
	wrong := otherCode(totpCode(t, secret, clock.Now().Add(time.Minute)))
	log.keep("TOTP code", code)
	log.keep("wrong TOTP code", wrong)

	wrongTOTP(t, p, "a wrong code", ada.ID, wrong)
	verifyTOTP(t, p, ada.ID, code, "totp")
	verifyTOTP(t, p, ada.ID, backup[0], "backup_code")
	wrongTOTP(t, p, "a spent backup code", ada.ID, backup[0])
	wantAPIError(t, api(t, p, http.MethodPost, "/v1/users/user_missing/verify_totp", map[string]any{"code": code}, nil),
		http.StatusNotFound, "resource_not_found")
	wantAPIError(t, api(t, p, http.MethodPost, "/v1/users/"+grace+"/verify_totp", map[string]any{"code": code}, nil),
		http.StatusBadRequest, "totp_disabled")

	log.wantNoSecrets()
	who := map[any]string{ada.ID: "ada", grace: "grace", "": "nobody"}
	count := map[string]int{}
	for _, l := range logLines(t, log.syncBuffer) {
		if l["msg"] != "authentication attempt" || l["step"] != "backend_api" {
			continue
		}
		count[fmt.Sprint(l["factor"], " ", l["outcome"], " ", l["reason"], " ", who[l["user_id"]])]++
		if l["ip"] != "127.0.0.1" || l["request_id"] == "" {
			t.Errorf("attempt logged without its ip or request_id: %v", l)
		}
	}
	for key, n := range map[string]int{
		"totp failed invalid ada":         1,
		"totp succeeded <nil> ada":        1,
		"backup_code succeeded <nil> ada": 1,
		"backup_code failed invalid ada":  1,
		"totp failed not_found nobody":    1,
		"totp failed invalid grace":       1, // nothing to check the code against
	} {
		if count[key] != n {
			t.Errorf("%d log lines %q, want %d", count[key], key, n)
		}
	}
	if len(count) != 6 {
		t.Errorf("attempts logged: %v", count)
	}
}

// Two machines on one PostgreSQL database share verify_totp's limit: ten
// codes for one user in all, not ten on each (REQ-OTP-04, REQ-RL-02).
func TestBackendAPIVerifyTOTPLimitHoldsAcrossMachines_REQ_OTP_04(t *testing.T) {
	db := pgtest.URL(t)
	one := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_DATABASE_URL": db}})
	two := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_DATABASE_URL": db}})
	b := newBrowser(t, one)
	wantHandBack(t, signUp(t, one, b, "ada@example.com", appURL), http.StatusSeeOther, appURL)
	secret, _ := enrolTOTP(t, b, clockwork.NewRealClock())
	ada := userByEmail(t, one, "ada@example.com")
	for i := range 10 {
		p := []*portaltest.Portal{one, two}[i%2]
		wrongTOTP(t, p, fmt.Sprintf("guess %d", i+1), ada.ID, otherCode(totpCode(t, secret, time.Now())))
	}
	for n, p := range []*portaltest.Portal{one, two} {
		r := api(t, p, http.MethodPost, "/v1/users/"+ada.ID+"/verify_totp", map[string]any{"code": otherCode(totpCode(t, secret, time.Now()))}, nil)
		if r.Status != http.StatusTooManyRequests {
			t.Errorf("machine %d after ten guesses in all: %d %s, want 429", n+1, r.Status, r.Body)
		}
	}
}
