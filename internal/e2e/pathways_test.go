package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// REQ-RL-03: one network's attempts are counted together whichever way in
// it tries. Spent on wrong passwords, the budget is gone for an emailed
// code, a sign-up code, a sign-in token and a passkey alike — even with
// the right code — while another network is unaffected.
func TestAttemptLimitSpansPathways_REQ_RL_03(t *testing.T) {
	const perIP, perIdentifier = 60, 20 // attempts per 10 minutes
	p, _ := startFake(t, portaltest.Options{Env: map[string]string{"PORTAL_TRUSTED_PROXIES": "127.0.0.1/32"}})
	from := func(ip string) *browser {
		b := newBrowser(t, p)
		b.header = http.Header{"X-Forwarded-For": {ip}}
		return b
	}
	signUp(t, p, from("198.51.100.1"), "ada@example.com", "")
	var users []struct {
		ID string `json:"id"`
	}
	api(t, p, http.MethodGet, "/v1/users", nil, &users)

	// The attacker's network readies each way in before spending its budget.
	b := from("203.0.113.9")
	codePage := b.submit(passwordStep(t, b, "ada@example.com", ""), prepareForm, map[string]string{"strategy": "email_code"})
	code := p.SMTP.WaitFor(t, "ada@example.com", mailWait).Code()
	verifyPage := b.submit(b.get("/sign-up"), signUpForm, map[string]string{
		"email_address": "eve@example.com", "password": goodPassword, "first_name": "Eve", "last_name": "X"})
	signUpCode := p.SMTP.WaitFor(t, "eve@example.com", mailWait).Code()
	var tok struct {
		URL string `json:"url"`
	}
	api(t, p, http.MethodPost, "/v1/sign_in_tokens", map[string]any{"user_id": users[0].ID}, &tok)
	ticketPage := b.get(tok.URL)

	var step *page
	for n := range perIP {
		if n%(perIdentifier/2) == 0 {
			step = passwordStep(t, b, fmt.Sprintf("nobody%d@example.com", n), "")
		}
		if pg := b.submit(step, passwordForm, map[string]string{"password": wrongPassword}); pg.Status != http.StatusUnprocessableEntity {
			t.Fatalf("password attempt %d: status %d", n+1, pg.Status)
		}
	}

	for what, pg := range map[string]*page{
		"the right emailed code": b.submit(codePage, codeForm, map[string]string{"code": code}),
		"the right sign-up code": b.submit(verifyPage, verifyForm, map[string]string{"code": signUpCode}),
		"a sign-in token":        b.submit(ticketPage, ticketForm, nil),
		"a passkey":              b.postForm(http.MethodPost, "/sign-in/passkey", url.Values{"_csrf": {b.csrf()}, "challenge_id": {"x"}, "credential": {"{}"}}, nil),
	} {
		if pg.Status != http.StatusTooManyRequests || pg.setCookie("__session") != nil {
			t.Errorf("%s after %d wrong passwords: status %d, want 429 and no session", what, perIP, pg.Status)
		}
	}

	other := from("198.51.100.2")
	wantHandBack(t, signIn(t, other, "ada@example.com", goodPassword, appURL), http.StatusSeeOther, appURL)
}
