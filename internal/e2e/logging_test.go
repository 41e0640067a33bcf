package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// logLines parses the portal's JSON log.
func logLines(t *testing.T, log *syncBuffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(log.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line is not JSON: %q: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

// REQ-LOG-01: whole flows run through the real portal with every log level
// on, and then its log holds none of the secrets that went by — codes,
// passwords, link and sign-in tokens, the __session, __client and CSRF
// cookies, the secret key — while every authentication attempt is there
// with its factor, failures and the lock included.
func TestLogsKeepSecretsOutButRecordAttempts_REQ_LOG_01(t *testing.T) {
	p, clock, log := startLogged(t)
	keep := log.keep

	// Sign-up with an emailed code.
	b := newBrowser(t, p)
	verifyPage := b.submit(b.get(withRedirect("/sign-up", appURL)), signUpForm, map[string]string{
		"email_address": "ada@example.com", "password": goodPassword, "first_name": "Ada", "last_name": "Lovelace"})
	code := p.SMTP.WaitFor(t, "ada@example.com", mailWait).Code()
	keep("sign-up code", code)
	keep("__session", wantHandBack(t, b.submit(verifyPage, verifyForm, map[string]string{"code": code}), http.StatusSeeOther, appURL))
	keep("__client", b.cookie("__client"))
	keep("CSRF cookie", b.csrf())

	// The handshake refreshes the token.
	clock.Advance(tokenTTL + time.Second)
	keep("refreshed __session", wantHandBack(t, b.getRaw(handshakePath(appURL)), http.StatusTemporaryRedirect, appURL))

	// Sign-in with the password.
	in := newBrowser(t, p)
	keep("__session after password", wantHandBack(t, signIn(t, in, "ada@example.com", goodPassword, appURL), http.StatusSeeOther, appURL))
	keep("__client after password", in.cookie("__client"))

	// Sign-in with an emailed code.
	cb := newBrowser(t, p)
	codePage := cb.submit(passwordStep(t, cb, "ada@example.com", appURL), prepareForm, map[string]string{"strategy": "email_code"})
	signInCode := p.SMTP.WaitFor(t, "ada@example.com", mailWait).Code()
	keep("sign-in code", signInCode)
	wrongCode := "000000"
	if signInCode == wrongCode {
		wrongCode = "000001"
	}
	cb.submit(codePage, codeForm, map[string]string{"code": wrongCode})
	wantHandBack(t, cb.submit(codePage, codeForm, map[string]string{"code": signInCode}), http.StatusSeeOther, appURL)

	// Sign-in with an emailed link.
	lb := newBrowser(t, p)
	lb.submit(passwordStep(t, lb, "ada@example.com", appURL), prepareForm, map[string]string{"strategy": "email_link"})
	link := p.SMTP.WaitFor(t, "ada@example.com", mailWait).Link()
	keep("link token", tokenOf(t, link))
	wantHandBack(t, lb.submit(lb.get(link), linkConfirmForm, nil), http.StatusSeeOther, appURL)

	// A password reset by emailed code.
	rb := newBrowser(t, p)
	resetPage := rb.submit(forgotPage(t, rb, "ada@example.com"), prepareForm, map[string]string{"strategy": "reset_password_email_code"})
	resetCode := p.SMTP.WaitFor(t, "ada@example.com", mailWait).Code()
	keep("reset code", resetCode)
	choose := newPasswordPage(t, rb.submit(resetPage, codeForm, map[string]string{"code": resetCode}))
	keep("new password", newPassword)
	wantHandBack(t, rb.submit(choose, newPasswordForm, map[string]string{"password": newPassword}), http.StatusSeeOther, appURL)
	p.SMTP.WaitFor(t, "ada@example.com", mailWait) // the password-changed notice

	// The Backend API with the secret key, a sign-in token made with it and
	// used, and a request with a wrong key.
	var tok struct {
		URL string `json:"url"`
	}
	var users []struct {
		ID string `json:"id"`
	}
	api(t, p, http.MethodGet, "/v1/users", nil, &users)
	if r := api(t, p, http.MethodPost, "/v1/sign_in_tokens", map[string]any{"user_id": users[0].ID}, &tok); r.Status != http.StatusOK {
		t.Fatalf("sign-in token: %d %s", r.Status, r.Body)
	}
	u, err := url.Parse(tok.URL)
	if err != nil {
		t.Fatal(err)
	}
	keep("sign-in token", u.Query().Get("__clerk_ticket"))
	tb := newBrowser(t, p)
	wantHandBack(t, tb.submit(tb.get(tok.URL+"&redirect_url="+url.QueryEscape(appURL)), ticketForm, nil), http.StatusSeeOther, appURL)
	const wrongKey = "sk_test_NotTheKeyButStillASecretValue"
	keep("wrong secret key", wrongKey)
	if r := apiCall(t, p, http.MethodGet, "/v1/users", "Bearer "+wrongKey, nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("wrong key: %d", r.Status)
	}

	// Wrong passwords until the account locks.
	fb := newBrowser(t, p)
	step := passwordStep(t, fb, "ada@example.com", "")
	var lastFailed string
	for range lockoutThreshold {
		lastFailed = fb.submit(step, passwordForm, map[string]string{"password": wrongPassword}).Header.Get("X-Request-Id")
	}
	// The right password while locked is refused as a wrong one to the
	// visitor, and logged as refused for the lock.
	lockedTry := fb.submit(step, passwordForm, map[string]string{"password": newPassword}).Header.Get("X-Request-Id")
	p.SMTP.WaitFor(t, "ada@example.com", mailWait) // the lock notice

	log.wantNoSecrets()

	// Every attempt is there, with its step, factor and outcome.
	count := map[string]int{}
	var locked, apiRefused bool
	for _, l := range logLines(t, log.syncBuffer) {
		switch l["msg"] {
		case "authentication attempt":
			key := fmt.Sprint(l["step"], " ", l["factor"], " ", l["outcome"])
			if l["outcome"] == "failed" {
				key += " " + fmt.Sprint(l["reason"])
			}
			if l["request_id"] == lockedTry && l["reason"] != "locked" {
				t.Errorf("the right password while locked is logged as %v, want reason locked", l["reason"])
			}
			if l["ip"] != "127.0.0.1" || l["request_id"] == "" {
				t.Errorf("attempt logged without ip or request_id: %v", l)
			}
			count[key]++
		case "account locked after failed attempts":
			locked = l["user_id"] == users[0].ID && l["level"] == "WARN" && l["request_id"] == lastFailed
		case "backend API authentication failed":
			apiRefused = true
		}
	}
	for key, n := range map[string]int{
		"sign_up_verification email_code succeeded":        1,
		"first_factor password succeeded":                  1,
		"first_factor email_code failed invalid":           1,
		"first_factor email_code succeeded":                1,
		"first_factor email_link succeeded":                1,
		"first_factor reset_password_email_code succeeded": 1,
		"first_factor ticket succeeded":                    1,
		"first_factor password failed invalid":             lockoutThreshold,
		"first_factor password failed locked":              1,
	} {
		if count[key] != n {
			t.Errorf("%d log lines %q, want %d", count[key], key, n)
		}
	}
	if !locked {
		t.Error("the lock is not logged as a warning naming the account and the request that locked it")
	}
	if !apiRefused {
		t.Error("the wrong secret key is not logged")
	}
	if t.Failed() {
		t.Log(log.String())
	}
}

// watchedLog is a portal's log, written as JSON at debug level, and the
// secrets a test saw go by, none of which may be in it (REQ-LOG-01).
type watchedLog struct {
	*syncBuffer
	t       *testing.T
	secrets []string
}

// startLogged starts a portal on a fake clock whose log w watches, with
// the passwords and the secret key already kept.
func startLogged(t *testing.T) (*portaltest.Portal, *clockwork.FakeClock, *watchedLog) {
	t.Helper()
	w := &watchedLog{syncBuffer: &syncBuffer{}, t: t}
	p, clock := startFake(t, portaltest.Options{Log: w.syncBuffer, Env: map[string]string{
		"PORTAL_LOG_LEVEL": "debug", "PORTAL_LOG_FORMAT": "json"}})
	w.keep("password", goodPassword)
	w.keep("wrong password", wrongPassword)
	w.keep("secret key", p.SecretKey)
	return p, clock, w
}

// keep records a secret the log must not hold; an empty one is a broken test.
func (w *watchedLog) keep(what, s string) {
	w.t.Helper()
	if s == "" {
		w.t.Fatalf("no %s to look for", what)
	}
	w.secrets = append(w.secrets, s)
}

// wantNoSecrets fails the test for each kept secret the log holds.
func (w *watchedLog) wantNoSecrets() {
	w.t.Helper()
	text := w.String()
	for _, s := range w.secrets {
		if strings.Contains(text, s) {
			w.t.Errorf("the log holds a secret %q", s)
		}
	}
}
