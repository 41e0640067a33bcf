package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// REQ-RL-03: one network's attempts are counted together whichever way in
// it tries. Spent on wrong passwords, the budget is gone for an emailed
// code, a sign-up code, a password-reset code, a sign-in token and a passkey alike — even with
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
	rb := from("203.0.113.9")
	resetPage := rb.submit(forgotPage(t, rb, "ada@example.com"), prepareForm, map[string]string{"strategy": "reset_password_email_code"})
	resetCode := p.SMTP.WaitFor(t, "ada@example.com", mailWait).Code()
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
		"the right reset code":   rb.submit(resetPage, codeForm, map[string]string{"code": resetCode}),
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

// REQ-RL-03, the second step: a network that has spent its attempt budget
// cannot finish a sign-in with an authenticator app's code, a backup code
// or a texted code either — each the right one, each on a second step the
// network reached with the right password before spending the budget —
// while another network still signs in with the second factor.
func TestAttemptLimitSpansSecondFactors_REQ_RL_03(t *testing.T) {
	const perIP = 60 // attempts per 10 minutes
	env := map[string]string{"PORTAL_TRUSTED_PROXIES": "127.0.0.1/32"}
	for k, v := range phoneEnv {
		env[k] = v
	}
	p, clock, tw := startTwilio(t, env)
	from := func(ip string) *browser {
		b := newBrowser(t, p)
		b.header = http.Header{"X-Forwarded-For": {ip}}
		return b
	}

	// Ada has an authenticator app and backup codes; Bob, a phone number
	// that gets codes by text message.
	ada := from("198.51.100.1")
	wantHandBack(t, signUp(t, p, ada, "ada@example.com", appURL), http.StatusSeeOther, appURL)
	secret, backup := enrolTOTP(t, ada, clock)
	bob := from("198.51.100.1")
	wantHandBack(t, signUpByPhone(t, bob, tw, "+1 415 555 0100", adaPhone, appURL), http.StatusSeeOther, appURL)
	wantText(t, "turning texts on", bob.submit(bob.get("/user/security/phone"), `form[action="/user/security/phone"]`, nil),
		http.StatusOK, "Codes by text message are on")
	clock.Advance(time.Minute)

	// The attacker's network knows both passwords and readies each second
	// step before spending its budget.
	attacker := "203.0.113.9"
	totpBrowser := from(attacker)
	totpStep := signIn(t, totpBrowser, "ada@example.com", goodPassword, appURL)
	wantText(t, "the app's step", totpStep, http.StatusOK, "authenticator app")
	backupBrowser := from(attacker)
	backupStep := backupBrowser.submit(signIn(t, backupBrowser, "ada@example.com", goodPassword, appURL),
		factorTwoPrepare, map[string]string{"strategy": "backup_code"})
	wantText(t, "the backup code step", backupStep, http.StatusOK, "Enter a backup code")
	smsBrowser := from(attacker)
	smsStep := smsBrowser.submit(passwordStep(t, smsBrowser, "+1 415 555 0100", appURL), passwordForm,
		map[string]string{"password": goodPassword})
	wantText(t, "the texted step", smsStep, http.StatusOK, "Check your phone")
	smsCode := smsTo(t, tw, adaPhone).Code()

	// Wrong passwords on other identifiers use up what is left.
	b := from(attacker)
	var step *page
	limited := false
	for n := range perIP {
		if n%10 == 0 {
			step = passwordStep(t, b, fmt.Sprintf("nobody%d@example.com", n), "")
		}
		pg := b.submit(step, passwordForm, map[string]string{"password": wrongPassword})
		if pg.Status == http.StatusTooManyRequests {
			limited = true
			break
		}
		if pg.Status != http.StatusUnprocessableEntity {
			t.Fatalf("password attempt %d: status %d", n+1, pg.Status)
		}
	}
	if !limited {
		t.Fatalf("%d attempts from one network and none refused", perIP)
	}

	code := totpCode(t, secret, clock.Now())
	for what, pg := range map[string]*page{
		"the right app code":    totpBrowser.submit(totpStep, factorTwoForm, map[string]string{"code": code}),
		"the right backup code": backupBrowser.submit(backupStep, factorTwoForm, map[string]string{"code": backup[0]}),
		"the right texted code": smsBrowser.submit(smsStep, factorTwoForm, map[string]string{"code": smsCode}),
	} {
		if pg.Status != http.StatusTooManyRequests || pg.setCookie("__session") != nil {
			t.Errorf("%s after the network's budget is spent: status %d, want 429 and no session", what, pg.Status)
		}
	}

	// Another network is unaffected, and the codes still work there.
	other := from("198.51.100.2")
	wantHandBack(t, other.submit(signIn(t, other, "ada@example.com", goodPassword, appURL), factorTwoForm,
		map[string]string{"code": code}), http.StatusSeeOther, appURL)
}

// REQ-RL-03, the email link: opening links spends from the network's
// attempts as codes do. After 60 made-up links from one network, the right
// one is refused there too (429, Retry-After, "Too many attempts") and left
// unspent: opened on another network, it still signs in the browser that
// asked for it.
func TestAttemptLimitCoversEmailLinks_REQ_RL_03(t *testing.T) {
	const perIP = 60 // attempts per 10 minutes
	env := map[string]string{"PORTAL_TRUSTED_PROXIES": "127.0.0.1/32"}
	for k, v := range linkEnv {
		env[k] = v
	}
	p, _, _, _, link := startLink(t, env)
	from := func(ip string) *browser {
		b := newBrowser(t, p)
		b.header = http.Header{"X-Forwarded-For": {ip}}
		return b
	}
	b := from("203.0.113.9")
	confirm := b.get(link)
	for n := range perIP {
		pg := b.postForm(http.MethodPost, "/v1/verify", url.Values{"_csrf": {b.csrf()}, "token": {fmt.Sprintf("made-up-%d", n)}}, nil)
		if pg.Status == http.StatusTooManyRequests {
			t.Fatalf("made-up link %d refused as too many, want the limit at %d", n+1, perIP)
		}
	}
	pg := b.submit(confirm, linkConfirmForm, nil)
	wantText(t, "the right link after the network's budget", pg, http.StatusTooManyRequests,
		"Too many attempts", "Too many attempts from your network")
	if pg.Header.Get("Retry-After") == "" || pg.setCookie("__session") != nil {
		t.Errorf("the refused link: Retry-After %q, __session %v; want a wait and no session",
			pg.Header.Get("Retry-After"), pg.setCookie("__session"))
	}

	other := from("198.51.100.2")
	wantText(t, "the link on another network", other.submit(other.get(link), linkConfirmForm, nil),
		http.StatusOK, "signed in on your other device")
}

// REQ-RL-03, REQ-RL-04: one network's 30 starts per 10 minutes are shared by
// every costly form. Spent on sign-in starts, they are gone for a sign-up,
// asking for an email link, asking for a password-reset code and sending an
// organization invitation — each refused 429 with the network message and
// Retry-After, what was typed kept — while another network goes on.
func TestStartLimitSpansCostlyForms_REQ_RL_03_REQ_RL_04(t *testing.T) {
	const perIP = 30 // starts per 10 minutes
	p, _ := startFake(t, portaltest.Options{Env: map[string]string{
		"PORTAL_TRUSTED_PROXIES": "127.0.0.1/32", "PORTAL_FACTORS": "password,email_code,email_link"}})
	from := func(b *browser, ip string) *browser {
		c := *b // the same cookies, seen from ip
		c.header = http.Header{"X-Forwarded-For": {ip}}
		return &c
	}
	const home, attacker = "198.51.100.1", "203.0.113.9"
	ada := from(newBrowser(t, p), home)
	wantHandBack(t, signUp(t, p, ada, "ada@example.com", appURL), http.StatusSeeOther, appURL)
	wantHandBack(t, ada.submit(ada.get(withRedirect("/create-organization", appURL)), createOrgForm,
		map[string]string{"name": "Acme"}), http.StatusSeeOther, appURL)
	orgs, err := p.Store.Q.OrganizationsOfUser(t.Context(), userByEmail(t, p, "ada@example.com").ID)
	if err != nil || len(orgs) != 1 {
		t.Fatalf("ada's organizations: %v, %v", orgs, err)
	}
	invitations := "/organizations/" + orgs[0].ID + "/invitations"
	inviteForm := `form[action="` + invitations + `"]`

	// The attacker's network readies each form, then spends its starts.
	b := from(newBrowser(t, p), attacker)
	linkStep := passwordStep(t, b, "ada@example.com", "")
	fb := from(newBrowser(t, p), attacker)
	forgot := forgotPage(t, fb, "ada@example.com")
	adaThere := from(ada, attacker) // Ada's own browser, on that network
	invitePage := adaThere.get(invitations)
	limited := false
	for n := range perIP {
		pg := b.submit(b.get("/sign-in"), signInForm, map[string]string{"identifier": fmt.Sprintf("nobody%d@example.com", n)})
		if pg.Status == http.StatusTooManyRequests {
			limited = true
			break
		}
	}
	if !limited {
		t.Fatalf("%d starts from one network and none refused", perIP)
	}

	refused := func(what string, pg *page) {
		t.Helper()
		wantText(t, what, pg, http.StatusTooManyRequests, "Too many attempts from your network")
		if pg.Header.Get("Retry-After") == "" {
			t.Errorf("%s: no Retry-After", what)
		}
	}
	signUpPage := b.submit(b.get("/sign-up"), signUpForm, map[string]string{
		"email_address": "eve@example.com", "password": goodPassword, "first_name": "Eve", "last_name": "X"})
	refused("a sign-up", signUpPage)
	if got := signUpPage.Doc.Find(`input[name="email_address"]`).AttrOr("value", ""); got != "eve@example.com" {
		t.Errorf("the refused sign-up lost the address typed: %q", got)
	}
	refused("asking for an email link", b.submit(linkStep, prepareForm, map[string]string{"strategy": "email_link"}))
	refused("asking for a reset code", fb.submit(forgot, prepareForm, map[string]string{"strategy": "reset_password_email_code"}))
	invited := adaThere.submit(invitePage, inviteForm, map[string]string{"email_address": "bob@example.com", "role": "org:member"})
	refused("sending an invitation", invited)
	if got := invited.Doc.Find(`[name="email_address"]`).Text() + invited.Doc.Find(`[name="email_address"]`).AttrOr("value", ""); !strings.Contains(got, "bob@example.com") {
		t.Errorf("the refused invitation lost the address typed: %q", got)
	}

	// At home, Ada invites as before.
	pg := ada.submit(ada.get(invitations), inviteForm, map[string]string{"email_address": "bob@example.com", "role": "org:member"})
	wantText(t, "an invitation from another network", pg, http.StatusOK, "The invitation is on its way.")
}
