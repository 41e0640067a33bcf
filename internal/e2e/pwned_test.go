package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/testutil/portaltest"
	"github.com/portalhq/portal/internal/testutil/pwnedtest"
)

const (
	// breachedPassword passes every local check (long, not common, no
	// context word) but the fake range API lists it as seen in breaches.
	breachedPassword = "amber-falcon-window-seventeen-9"
	breachedMsg      = "This password has appeared in a data breach and can't be used. Please choose another."
	breachedSignIn   = "Your password has appeared in a data breach, so it has to be changed before you can sign in."
)

// startPwned starts a portal whose breached-password check asks a
// loopback fake of the range API listing breached.
func startPwned(t *testing.T, log *syncBuffer, breached ...string) (*portaltest.Portal, *pwnedtest.Server) {
	t.Helper()
	fake := pwnedtest.Start(t, breached...)
	opt := portaltest.Options{Env: map[string]string{"PORTAL_PASSWORD_BREACH_CHECK": "true",
		"PORTAL_PWNED_PASSWORDS_URL": fake.URL, "PORTAL_LOG_FORMAT": "json", "PORTAL_LOG_LEVEL": "info"}}
	if log != nil {
		opt.Log = log
	}
	return portaltest.Start(t, opt), fake
}

// onlyPrefixesSent checks every request the fake received was
// GET /range/{5 upper-case hex digits}, padded, and nothing more.
func onlyPrefixesSent(t *testing.T, fake *pwnedtest.Server) {
	t.Helper()
	for i, r := range fake.Requests() {
		prefix, ok := strings.CutPrefix(r.Path, "/range/")
		if r.Method != http.MethodGet || !ok || len(prefix) != 5 || strings.Trim(prefix, "0123456789ABCDEF") != "" ||
			r.RawQuery != "" || r.Body != 0 || r.Header.Get("Add-Padding") != "true" {
			t.Errorf("lookup %d: %s %s?%s, %d body bytes, Add-Padding %q; want GET /range/<5 hex>, padded, nothing else",
				i, r.Method, r.Path, r.RawQuery, r.Body, r.Header.Get("Add-Padding"))
		}
	}
}

// REQ-PW-05 (ASVS 6.2.12): wherever a new password is set — sign-up, the
// "Forgot password?" reset, /user/password, the Backend API — one seen in
// a data breach is refused on the password field with a reason, after the
// local checks, and only five hex digits of its SHA-1 leave the portal.
func TestBreachedPasswordRefusedWhereverSet_REQ_PW_05(t *testing.T) {
	p, fake := startPwned(t, nil, breachedPassword)

	// Sign-up: the form comes back with what was typed, never the password.
	b := newBrowser(t, p)
	pg := b.submit(b.get("/sign-up"), signUpForm, map[string]string{"email_address": "ada@example.com",
		"password": breachedPassword, "first_name": "Ada", "last_name": "Lovelace"})
	if pg.Status != http.StatusUnprocessableEntity || messageFor(pg, "password") != breachedMsg {
		t.Fatalf("sign-up with a breached password: %d, password message %q; want 422 %q", pg.Status, messageFor(pg, "password"), breachedMsg)
	}
	if got := pg.Doc.Find(`input[name="email_address"]`).AttrOr("value", ""); got != "ada@example.com" {
		t.Errorf("the email address typed came back as %q", got)
	}
	if got := pg.Doc.Find(`input[name="first_name"]`).AttrOr("value", ""); got != "Ada" {
		t.Errorf("the first name typed came back as %q", got)
	}
	if got := pg.Doc.Find(`input[name="password"]`).AttrOr("value", ""); got != "" {
		t.Error("the refused password is written back into the form")
	}
	// A local refusal asks nothing of the API.
	before := len(fake.Requests())
	b.submit(b.get("/sign-up"), signUpForm, map[string]string{"email_address": "ada@example.com", "password": "too-short"})
	if n := len(fake.Requests()); n != before {
		t.Errorf("a password the length check refused was looked up (%d lookups, want %d)", n, before)
	}
	wantHandBack(t, signUp(t, p, newBrowser(t, p), "ada@example.com", appURL), http.StatusSeeOther, appURL)

	// The reset.
	rb := newBrowser(t, p)
	codePage := rb.submit(forgotPage(t, rb, "ada@example.com"), prepareForm, map[string]string{"strategy": "reset_password_email_code"})
	choose := newPasswordPage(t, rb.submit(codePage, codeForm, map[string]string{"code": p.SMTP.WaitFor(t, "ada@example.com", mailWait).Code()}))
	wantText(t, "the reset to a breached password", rb.submit(choose, newPasswordForm, map[string]string{"password": breachedPassword}),
		http.StatusUnprocessableEntity, breachedMsg)
	wantHandBack(t, rb.submit(choose, newPasswordForm, map[string]string{"password": newPassword}), http.StatusSeeOther, appURL)
	p.SMTP.WaitFor(t, "ada@example.com", mailWait) // the password-changed notice

	// /user/password, just signed in (no current password asked).
	pg = rb.submit(rb.get("/user/password"), passwordPageForm, map[string]string{"password": breachedPassword})
	if pg.Status != http.StatusUnprocessableEntity || messageFor(pg, "password") != breachedMsg {
		t.Errorf("/user/password to a breached password: %d, message %q; want 422 %q", pg.Status, messageFor(pg, "password"), breachedMsg)
	}

	// The Backend API: Clerk's 422 form_password_pwned on the password
	// parameter, unless skip_password_checks (Clerk's way to import).
	e := wantAPIError(t, api(t, p, http.MethodPost, "/v1/users", map[string]any{"email_address": []string{"grace@example.com"},
		"password": breachedPassword}, nil), http.StatusUnprocessableEntity, "form_password_pwned")
	if m := e.Errors[0]; m.Meta["param_name"] != "password" || m.LongMessage != breachedMsg ||
		m.Message != "Password has been found in an online data breach" {
		t.Errorf("form_password_pwned = %+v", m)
	}
	var grace userAnswer
	if r := api(t, p, http.MethodPost, "/v1/users", map[string]any{"email_address": []string{"grace@example.com"},
		"password": breachedPassword, "skip_password_checks": true}, &grace); r.Status != http.StatusOK {
		t.Fatalf("POST /v1/users with skip_password_checks: %d %s", r.Status, r.Body)
	}
	wantAPIError(t, api(t, p, http.MethodPatch, "/v1/users/"+grace.ID, map[string]any{"password": breachedPassword}, nil),
		http.StatusUnprocessableEntity, "form_password_pwned")
	lookups := len(fake.Requests())
	if r := api(t, p, http.MethodPatch, "/v1/users/"+grace.ID, map[string]any{"password": breachedPassword,
		"skip_password_checks": true}, nil); r.Status != http.StatusOK {
		t.Errorf("PATCH with skip_password_checks: %d %s", r.Status, r.Body)
	}
	if n := len(fake.Requests()); n != lookups {
		t.Errorf("skip_password_checks still looked the password up")
	}
	onlyPrefixesSent(t, fake)
}

// REQ-PW-05, REQ-PW-03 (force a change on evidence of compromise),
// REQ-RL-05: the right password found in a breach at sign-in takes the
// person into the change-password reset, saying why, and marks it as
// compromised so every other way in asks for a new one too; a wrong
// password is answered as ever, without a lookup.
func TestBreachedPasswordAtSignIn_REQ_PW_05_REQ_PW_03_REQ_RL_05(t *testing.T) {
	var log syncBuffer
	p, fake := startPwned(t, &log)
	ada := apiUser(t, p, "ada@example.com")
	apiUser(t, p, "grace@example.com")
	fake.Add(goodPassword, 3) // breached since it was set

	before := len(fake.Requests())
	wrong := signIn(t, newBrowser(t, p), "ada@example.com", wrongPassword, appURL)
	plain := signIn(t, newBrowser(t, p), "grace@example.com", wrongPassword, appURL)
	wantText(t, "a wrong password", wrong, http.StatusUnprocessableEntity, badPasswordMsg)
	if normalise(wrong.Body, "ada@example.com") != normalise(plain.Body, "grace@example.com") {
		t.Errorf("a wrong password reads differently:\n%s\n---\n%s", wrong.Body, plain.Body)
	}
	if n := len(fake.Requests()); n != before {
		t.Errorf("a wrong password was looked up (%d lookups, want %d)", n, before)
	}

	b := newBrowser(t, p)
	forgot := signIn(t, b, "ada@example.com", goodPassword, appURL)
	if forgot.setCookie("__session") != nil || len(forgot.Via) != 1 || !strings.HasPrefix(forgot.Via[0], "/sign-in/forgot-password?") {
		t.Fatalf("the right, breached password went via %v, want the forgot-password page and no session", forgot.Via)
	}
	wantText(t, "the right, breached password", forgot, http.StatusOK, compromisedHeader, breachedSignIn)
	if stored, err := p.Store.Q.UserByID(context.Background(), ada); err != nil || !stored.PasswordCompromised() {
		t.Errorf("after the sign-in the password is not marked as compromised (%v)", err)
	}
	// Marked, the next sign-in needs no lookup and is refused as ever.
	lookups := len(fake.Requests())
	wantText(t, "the marked password again", signIn(t, newBrowser(t, p), "ada@example.com", goodPassword, appURL),
		http.StatusOK, compromisedMsg)
	if n := len(fake.Requests()); n != lookups {
		t.Errorf("a password marked already was looked up again")
	}
	reasons := map[string]int{}
	for _, l := range logLines(t, &log) {
		if l["msg"] == "authentication attempt" && l["factor"] == "password" {
			reasons[fmt.Sprint(l["outcome"], " ", l["reason"])]++
		}
	}
	if reasons["failed password_breached"] != 1 || reasons["failed password_compromised"] != 1 {
		t.Errorf("password attempts logged %v, want one password_breached, then one password_compromised", reasons)
	}

	codePage := b.submit(forgot, prepareForm, map[string]string{"strategy": "reset_password_email_code"})
	choose := newPasswordPage(t, b.submit(codePage, codeForm, map[string]string{"code": p.SMTP.WaitFor(t, "ada@example.com", mailWait).Code()}))
	wantText(t, "the breached password as the new one", b.submit(choose, newPasswordForm, map[string]string{"password": goodPassword}),
		http.StatusUnprocessableEntity, breachedMsg)
	wantHandBack(t, b.submit(choose, newPasswordForm, map[string]string{"password": newPassword}), http.StatusSeeOther, appURL)
	if stored, _ := p.Store.Q.UserByID(context.Background(), ada); stored.PasswordCompromised() {
		t.Error("the new password is still marked")
	}
	p.SMTP.WaitFor(t, "ada@example.com", mailWait) // the password-changed notice
	oldPasswordFails(t, p, "ada@example.com")
	onlyPrefixesSent(t, fake)
}

// When the range API cannot be asked, the check fails open: the password
// is accepted at sign-up and signs in, and a warning is logged — without
// the password.
func TestBreachCheckFailsOpen(t *testing.T) {
	var log syncBuffer
	p, fake := startPwned(t, &log, breachedPassword)
	fake.Fail(http.StatusServiceUnavailable)

	b := newBrowser(t, p)
	verifyPage := b.submit(b.get(withRedirect("/sign-up", appURL)), signUpForm, map[string]string{
		"email_address": "ada@example.com", "password": breachedPassword})
	wantText(t, "sign-up with the API down", verifyPage, http.StatusOK, "Verify your email")
	wantHandBack(t, b.submit(verifyPage, verifyForm, map[string]string{"code": p.SMTP.WaitFor(t, "ada@example.com", mailWait).Code()}),
		http.StatusSeeOther, appURL)
	wantHandBack(t, signIn(t, newBrowser(t, p), "ada@example.com", breachedPassword, appURL), http.StatusSeeOther, appURL)
	if len(fake.Requests()) < 2 {
		t.Errorf("%d lookups, want one at sign-up and one at sign-in", len(fake.Requests()))
	}
	warned := 0
	for _, l := range logLines(t, &log) {
		if strings.Contains(fmt.Sprint(l["msg"]), "breached-password check failed") && l["level"] == "WARN" {
			warned++
		}
	}
	if warned != 1 {
		t.Errorf("%d warnings for two failed lookups, want 1 (at most one a minute)", warned)
	}
	if out := log.String(); strings.Contains(out, breachedPassword) || strings.Contains(out, pwnedtest.SHA1(breachedPassword)[:5]) {
		t.Error("the log holds the password or its hash's prefix")
	}
}
