package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/testutil/portaltest"
	"github.com/portalhq/portal/internal/user"
)

// REQ-LOG-01: the passwords and codes checked outside sign-in are
// authentication attempts too — the current password on /user/password,
// the password asked before deleting an organization, the Backend API's
// verify_password, the code or link that proves an added email address,
// the first code of an authenticator app being set up, the code that
// proves an organization's domain — each logged with its step, factor and
// outcome, the account, and none of the secrets.
func TestLogsChecksOutsideSignIn_REQ_LOG_01(t *testing.T) {
	p, clock, log := startLogged(t)
	keep := log.keep
	ada := signedUp(t, p, "ada@example.com")

	// The authenticator app: a wrong first code, then the right one.
	setup := ada.b.get("/user/security/totp")
	secret := strings.TrimSpace(setup.Doc.Find(`[data-testid=totp-secret]`).Text())
	keep("TOTP secret", secret)
	code := totpCode(t, secret, clock.Now())
	keep("TOTP code", code)
	wantText(t, "a wrong app code", ada.b.submit(setup, totpForm, map[string]string{"code": otherCode(code)}),
		http.StatusUnprocessableEntity)
	wantText(t, "the app's code", ada.b.submit(setup, totpForm, map[string]string{"code": code}),
		http.StatusOK, "Your authenticator app is on")

	// An added email address: a wrong code, then the right one.
	pg := ada.b.submit(ada.b.get("/user/email-addresses/new"), addEmailForm, map[string]string{"email_address": "ada@work.example"})
	code = p.SMTP.WaitFor(t, "ada@work.example", mailWait).Code()
	keep("identifier code", code)
	wantText(t, "a wrong identifier code", ada.b.submit(pg, identifierCodeForm, map[string]string{"code": otherCode(code)}),
		http.StatusUnprocessableEntity)
	wantText(t, "the identifier code", ada.b.submit(pg, identifierCodeForm, map[string]string{"code": code}),
		http.StatusOK, "The email address is verified")
	// And one by link.
	pg = ada.b.submit(ada.b.get("/user/email-addresses/new"), addEmailForm, map[string]string{"email_address": "ada@home.example"})
	ada.b.submit(pg, identifierSendForm, map[string]string{"strategy": "email_link"})
	link := p.SMTP.WaitFor(t, "ada@home.example", mailWait).Link()
	keep("identifier link token", tokenOf(t, link))
	wantText(t, "the identifier link", ada.b.submit(ada.b.get(link), linkVerifyForm, nil), http.StatusOK, "The email address is verified")

	// An organization's domain: a wrong code, then the right one.
	acme := ada.createOrg(t, p, "Acme")
	added := ada.b.submit(ada.b.get("/organizations/"+acme.OrgID), domainForm(acme.OrgID), map[string]string{"domain": "acme.test"})
	dp := added.URL.Path
	sent := ada.b.submit(added, domainStepForm(dp, "send-code"), map[string]string{"email_address": "it@acme.test"})
	code = p.SMTP.WaitFor(t, "it@acme.test", mailWait).Code()
	keep("domain code", code)
	wantText(t, "a wrong domain code", ada.b.submit(sent, domainStepForm(dp, "verify"), map[string]string{"code": otherCode(code)}),
		http.StatusUnprocessableEntity, "That code is incorrect.")
	wantText(t, "the domain code", ada.b.submit(sent, domainStepForm(dp, "verify"), map[string]string{"code": code}),
		http.StatusOK, "The domain is verified.")

	// Deleting the organization once the sign-in is old: the password.
	clock.Advance(11 * time.Minute)
	general := ada.b.get("/organizations/" + acme.OrgID)
	wantText(t, "a wrong password to delete", ada.b.submit(general, orgDeleteForm, map[string]string{"confirm_name": "Acme", "password": wrongPassword}),
		http.StatusUnprocessableEntity, "Password is incorrect")
	wantText(t, "the password to delete", ada.b.submit(general, orgDeleteForm, map[string]string{"confirm_name": "Acme", "password": goodPassword}),
		http.StatusOK, "The organization is deleted.")

	// Changing the password: the current one, wrong then right.
	keep("new password", newPassword)
	pg = ada.b.get("/user/password")
	pg = ada.b.submit(pg, passwordPageForm, map[string]string{"current_password": wrongPassword, "password": newPassword})
	if pg.Status != http.StatusUnprocessableEntity {
		t.Fatalf("wrong current password: status %d", pg.Status)
	}
	wantText(t, "the current password", ada.b.submit(pg, passwordPageForm, map[string]string{"current_password": goodPassword, "password": newPassword}),
		http.StatusOK, "Your password is saved.")

	// The Backend API's verify_password: wrong, right, an unknown user.
	path := "/v1/users/" + ada.id + "/verify_password"
	wantAPIError(t, api(t, p, http.MethodPost, path, map[string]any{"password": wrongPassword}, nil), http.StatusUnprocessableEntity, "incorrect_password")
	if r := api(t, p, http.MethodPost, path, map[string]any{"password": newPassword}, nil); r.Status != http.StatusOK {
		t.Fatalf("verify_password: %d %s", r.Status, r.Body)
	}
	wantAPIError(t, api(t, p, http.MethodPost, "/v1/users/user_missing/verify_password", map[string]any{"password": newPassword}, nil),
		http.StatusNotFound, "resource_not_found")

	log.wantNoSecrets()
	count := map[string]int{}
	for _, l := range logLines(t, log.syncBuffer) {
		if l["msg"] != "authentication attempt" {
			continue
		}
		key := fmt.Sprint(l["step"], " ", l["factor"], " ", l["outcome"])
		if l["outcome"] == "failed" {
			key += " " + fmt.Sprint(l["reason"])
		}
		count[key]++
		if l["step"] == "sign_up_verification" {
			continue
		}
		want := ada.id
		if l["reason"] == "not_found" {
			want = ""
		}
		if l["user_id"] != want || l["ip"] != "127.0.0.1" || l["request_id"] == "" {
			t.Errorf("attempt logged without its account (%s), ip or request_id: %v", want, l)
		}
	}
	for key, n := range map[string]int{
		"factor_enrollment totp failed invalid":             1,
		"factor_enrollment totp succeeded":                  1,
		"identifier_verification email_code failed invalid": 1,
		"identifier_verification email_code succeeded":      1,
		"identifier_verification email_link succeeded":      1,
		"domain_verification email_code failed invalid":     1,
		"domain_verification email_code succeeded":          1,
		"organization_deletion password failed invalid":     1,
		"organization_deletion password succeeded":          1,
		"password_change password failed invalid":           1,
		"password_change password succeeded":                1,
		"backend_api password failed invalid":               1,
		"backend_api password succeeded":                    1,
		"backend_api password failed not_found":             1,
	} {
		if count[key] != n {
			t.Errorf("%d log lines %q, want %d", count[key], key, n)
		}
	}
	if t.Failed() {
		t.Log(count)
	}
}

// REQ-RL-01, REQ-RL-03: the password asked before deleting an organization
// counts towards the account's lockout like a sign-in's: after the
// threshold of wrong ones the account is locked, sign-in refuses even the
// right password, and so does the prompt, until the lock lapses.
func TestOrgDeletionPasswordLocksTheAccount_REQ_RL_03(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{})
	ada := signedUp(t, p, "ada@example.com")
	acme := ada.createOrg(t, p, "Acme")
	clock.Advance(11 * time.Minute)
	general := ada.b.get("/organizations/" + acme.OrgID)
	for i := range lockoutThreshold {
		pg := ada.b.submit(general, orgDeleteForm, map[string]string{"confirm_name": "Acme", "password": wrongPassword})
		if pg.Status != http.StatusUnprocessableEntity {
			t.Fatalf("wrong password %d: status %d", i+1, pg.Status)
		}
	}
	u, err := p.Store.Q.UserByIdentifier(context.Background(), user.Email, "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if !u.Locked(clock.Now()) {
		t.Fatalf("%d wrong passwords at the organization's deletion left the account unlocked", lockoutThreshold)
	}
	if m := p.SMTP.WaitFor(t, "ada@example.com", mailWait); !strings.Contains(m.Subject, "Sign-in to your Portal account is paused") {
		t.Errorf("the lock notice: %q", m.Subject)
	}
	wantText(t, "sign-in with the right password while locked", signIn(t, newBrowser(t, p), "ada@example.com", goodPassword, appURL),
		http.StatusUnprocessableEntity, badPasswordMsg)
	wantText(t, "the right password to delete while locked",
		ada.b.submit(general, orgDeleteForm, map[string]string{"confirm_name": "Acme", "password": goodPassword}),
		http.StatusUnprocessableEntity, "Password is incorrect")
	clock.Advance(lockoutDuration + time.Second)
	wantText(t, "the right password once the lock lapsed",
		ada.b.submit(general, orgDeleteForm, map[string]string{"confirm_name": "Acme", "password": goodPassword}),
		http.StatusOK, "The organization is deleted.")
}

const orgDeleteForm = `form[action$="/delete"]`
