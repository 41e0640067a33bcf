package e2e

import (
	"context"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/app"
	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/config"
	"github.com/portalhq/portal/internal/testutil/oidctest"
	"github.com/portalhq/portal/internal/testutil/portaltest"
	"github.com/portalhq/portal/internal/user"
)

const continueForm = `form[action="/sign-up/continue"]`

// wantNoAccount fails if email has an account, or any user or session was
// made since before.
func wantNoAccount(t *testing.T, p *portaltest.Portal, what, email string, before tally) {
	t.Helper()
	if _, err := p.Store.Q.UserByIdentifier(context.Background(), user.Email, email); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("%s: %s has an account (%v)", what, email, err)
	}
	if n := count(t, p); n != before {
		t.Errorf("%s: made %+v, before %+v", what, n, before)
	}
}

// wantContinueWidget fails unless pg is the continue step showing the
// Turnstile widget in its form, its script under the page's nonce, and a
// CSP that lets it run.
func wantContinueWidget(t *testing.T, what string, pg *page) {
	t.Helper()
	if pg.URL.Path != "/sign-up/continue" || pg.Doc.Find(continueForm+` .cf-turnstile[data-sitekey="`+captchaSite+`"]`).Length() != 1 {
		t.Fatalf("%s: want the continue step with the widget, got %d at %s:\n%s", what, pg.Status, pg.URL, pg.Body)
	}
	script := pg.Doc.Find(`script[src="https://challenges.cloudflare.com/turnstile/v0/api.js"]`)
	csp := pg.Header.Get("Content-Security-Policy")
	if nonce, _ := script.Attr("nonce"); script.Length() != 1 || nonce == "" || !strings.Contains(csp, "'nonce-"+nonce+"'") {
		t.Errorf("%s: widget script %d, nonce %q; CSP %s", what, script.Length(), nonce, csp)
	}
	for _, want := range []string{"https://challenges.cloudflare.com; style-src", "frame-src 'self' https://challenges.cloudflare.com;"} {
		if !strings.Contains(csp, want) {
			t.Errorf("%s: CSP lacks %q: %s", what, want, csp)
		}
	}
	if btn := strings.TrimSpace(pg.Doc.Find(continueForm + ` button[type="submit"]`).Text()); btn != "Continue" {
		t.Errorf("%s: button %q, want Continue", what, btn)
	}
}

// REQ-RL-04, REQ-IN-09: with bot protection on, a provider sign-up that
// would make a new account (the provider gave everything needed) stops
// at the continue step, which shows the widget; no account exists yet.
// Continue without a token, with one the provider refuses, or with one it
// has seen (spent elsewhere) comes back 422 with the
// message and makes nothing; the provider is asked with the client's
// address from the trusted proxy. A passed check makes the account and
// hands the browser back. Existing accounts signing in through the
// provider are not checked: the one just made, and one made otherwise
// whose verified address the provider gives (linked).
func TestCaptchaProviderSignUp_REQ_RL_04(t *testing.T) {
	sv := newSiteverify(t, passToken)
	env := captchaEnv(sv.URL)
	env["PORTAL_TRUSTED_PROXIES"] = "127.0.0.1/32"
	p, op := startWithOIDC(t, portaltest.Options{Env: env})
	b := newBrowser(t, p)
	b.header = http.Header{"X-Forwarded-For": {"203.0.113.7"}}
	before := count(t, p)

	step := viaProvider(t, b, providerButton(t, b.get(withRedirect("/sign-up", appURL)), corp))
	if step.Status != http.StatusOK {
		t.Fatalf("after the provider: status %d at %s, want the continue step:\n%s", step.Status, step.URL, step.text())
	}
	wantContinueWidget(t, "after the provider", step)
	if !strings.Contains(step.text(), "Confirm that you're not a robot to finish creating your account.") {
		t.Errorf("the step does not say what is left:\n%s", step.text())
	}
	if n := step.Doc.Find(continueForm + ` input:not([type="hidden"])`).Length(); n != 0 {
		t.Errorf("the step asks for %d fields, want the check alone", n)
	}
	wantNoAccount(t, p, "before the check", "ada@example.com", before)

	pg := b.submit(step, continueForm, nil)
	wantText(t, "Continue without a token", pg, http.StatusUnprocessableEntity, robotMessage)
	wantContinueWidget(t, "without a token", pg)
	if n := len(sv.requests()); n != 0 {
		t.Errorf("an empty token was sent to the provider (%d requests)", n)
	}
	wantNoAccount(t, p, "without a token", "ada@example.com", before)

	pg = b.submit(pg, continueForm, map[string]string{"cf-turnstile-response": "forged"})
	wantText(t, "Continue with a refused token", pg, http.StatusUnprocessableEntity, robotMessage)
	wantContinueWidget(t, "with a refused token", pg)
	reqs := sv.requests()
	if len(reqs) != 1 || reqs[0].Get("secret") != captchaSecret || reqs[0].Get("response") != "forged" ||
		reqs[0].Get("remoteip") != "203.0.113.7" {
		t.Fatalf("siteverify got %v; want the secret, the token and remoteip 203.0.113.7", reqs)
	}
	wantNoAccount(t, p, "with a refused token", "ada@example.com", before)

	// A token the provider has seen, spent elsewhere, is refused once
	// the sign-up has not moved on meanwhile (as it would have after a
	// double click's first press: TestContinuePressedTwiceLandsOnTheApp).
	sv.mu.Lock()
	sv.used["spent-token"] = true
	sv.mu.Unlock()
	pg = b.submit(pg, continueForm, map[string]string{"cf-turnstile-response": "spent-token"})
	wantText(t, "Continue with a spent token", pg, http.StatusUnprocessableEntity, robotMessage)
	wantNoAccount(t, p, "with a spent token", "ada@example.com", before)

	wantHandBack(t, b.submit(pg, continueForm, map[string]string{"cf-turnstile-response": passToken}), http.StatusSeeOther, appURL)
	u := userByEmail(t, p, "ada@example.com")
	if len(u.ExternalAccounts) != 1 || u.ExternalAccounts[0].Subject != "user-1" {
		t.Errorf("external accounts %+v, want the provider's", u.ExternalAccounts)
	}
	asked := len(sv.requests())

	// The existing account signing in through the provider, in another
	// browser: straight back, nothing asked.
	b2 := newBrowser(t, p)
	wantHandBack(t, viaProvider(t, b2, providerButton(t, b2.get(withRedirect("/sign-in", appURL)), corp)), http.StatusSeeOther, appURL)
	// An account made otherwise (here the Backend API), its verified
	// address given by the provider: linked and signed in, nothing asked.
	if r := api(t, p, http.MethodPost, "/v1/users", map[string]any{"email_address": []string{"grace@example.com"}}, nil); r.Status != http.StatusOK {
		t.Fatalf("POST /v1/users: %d %s", r.Status, r.Body)
	}
	op.SetUser("corp-grace", "grace@example.com", true, "Grace", "Hopper")
	b3 := newBrowser(t, p)
	wantHandBack(t, viaProvider(t, b3, providerButton(t, b3.get(withRedirect("/sign-in", appURL)), corp)), http.StatusSeeOther, appURL)
	if linkedTo(t, p, "corp-grace") != userByEmail(t, p, "grace@example.com").ID {
		t.Error("corp-grace is not linked to grace's account")
	}
	if n := len(sv.requests()); n != asked {
		t.Errorf("sign-ins of existing accounts asked siteverify %d times", n-asked)
	}
	if n := count(t, p); n.users != 2 {
		t.Errorf("%d users, want ada's and grace's", n.users)
	}
}

// A provider that gives no address: the continue step asks for it, the
// consent box and the check together. A refused check brings the step
// back with what was typed (the address, the ticked box); a passed one
// goes on to verify the address, and the code makes the account.
func TestCaptchaProviderSignUpKeepsWhatWasTyped_REQ_RL_04(t *testing.T) {
	sv := newSiteverify(t, passToken)
	env := captchaEnv(sv.URL)
	for k, v := range legalEnv() {
		env[k] = v
	}
	p, op := startWithOIDC(t, portaltest.Options{Env: env})
	op.SetUser("corp-anon", "", false, "Ada", "Lovelace")
	b := newBrowser(t, p)
	before := count(t, p)
	step := viaProvider(t, b, providerButton(t, b.get(withRedirect("/sign-up", appURL)), corp))
	wantContinueWidget(t, "after the provider", step)
	wantConsentBox(t, step, false)

	typed := map[string]string{"email_address": "ada@example.com", "legal_accepted": "true", "cf-turnstile-response": "forged"}
	pg := b.submit(step, continueForm, typed)
	wantText(t, "a refused token", pg, http.StatusUnprocessableEntity, robotMessage)
	wantContinueWidget(t, "a refused token", pg)
	if v, _ := inputValue(pg, "email_address"); v != "ada@example.com" {
		t.Errorf("the address typed was lost: %q", v)
	}
	wantConsentBox(t, pg, true)
	wantNoAccount(t, p, "a refused token", "ada@example.com", before)
	if len(p.SMTP.Messages()) != 0 {
		t.Fatalf("mail sent after a failed check: %d", len(p.SMTP.Messages()))
	}

	typed["cf-turnstile-response"] = passToken
	verify := b.submit(pg, continueForm, typed)
	wantText(t, "a passed check", verify, http.StatusOK, "Verify your email")
	code := p.SMTP.WaitFor(t, "ada@example.com", mailWait).Code()
	wantHandBack(t, b.submit(verify, verifyForm, map[string]string{"code": code}), http.StatusSeeOther, appURL)
	if linkedTo(t, p, "corp-anon") != userByEmail(t, p, "ada@example.com").ID {
		t.Error("the provider account is not connected to the new account")
	}
}

// REQ-LOG-02: the check that cannot be made on the continue step refuses
// (503, its own message), and makes nothing.
func TestCaptchaProviderSignUpFailsClosed_REQ_LOG_02(t *testing.T) {
	sv := newSiteverify(t, passToken)
	env := captchaEnv(sv.URL)
	env["PORTAL_CAPTCHA_SECRET_KEY"] = "another-secret" // siteverify answers invalid-input-secret
	p, _ := startWithOIDC(t, portaltest.Options{Env: env})
	b := newBrowser(t, p)
	before := count(t, p)
	step := viaProvider(t, b, providerButton(t, b.get("/sign-up"), corp))
	pg := b.submit(step, continueForm, map[string]string{"cf-turnstile-response": passToken})
	wantText(t, "siteverify refusing the secret", pg, http.StatusServiceUnavailable, downMessage)
	wantContinueWidget(t, "siteverify refusing the secret", pg)
	wantNoAccount(t, p, "the check not made", "ada@example.com", before)
}

// PORTAL_CAPTCHA_OAUTH_BYPASS: a provider named there signs up as before,
// at once, with nothing asked; another provider on the same instance is
// checked. With the consent box on, the bypassed provider's continue step
// shows the box alone, and its policy does not widen for a widget it does
// not show.
func TestCaptchaProviderBypass(t *testing.T) {
	sv := newSiteverify(t, passToken)
	corpOP, otherOP := oidctest.Start(t), oidctest.Start(t)
	env := withOIDC(withOIDC(captchaEnv(sv.URL), "corp", corpDisplay, corpOP), "other", "Other SSO", otherOP)
	env["PORTAL_CAPTCHA_OAUTH_BYPASS"] = "corp"
	p := portaltest.Start(t, portaltest.Options{Env: env})

	b := newBrowser(t, p)
	wantHandBack(t, viaProvider(t, b, providerButton(t, b.get(withRedirect("/sign-up", appURL)), corp)), http.StatusSeeOther, appURL)
	userByEmail(t, p, "ada@example.com")
	if n := len(sv.requests()); n != 0 {
		t.Errorf("a bypassed provider's sign-up asked siteverify %d times", n)
	}

	otherOP.SetUser("other-grace", "grace@example.com", true, "Grace", "Hopper")
	b = newBrowser(t, p)
	wantContinueWidget(t, "another provider", viaProvider(t, b, providerButton(t, b.get("/sign-up"), "oidc_other")))

	for k, v := range legalEnv() {
		env[k] = v
	}
	lp := portaltest.Start(t, portaltest.Options{Env: env})
	lb := newBrowser(t, lp)
	step := viaProvider(t, lb, providerButton(t, lb.get(withRedirect("/sign-up", appURL)), corp))
	if step.Status != http.StatusOK || step.URL.Path != "/sign-up/continue" {
		t.Fatalf("bypassed, with consent on: status %d at %s, want the consent step", step.Status, step.URL)
	}
	wantConsentBox(t, step, false)
	if step.Doc.Find(".cf-turnstile").Length() != 0 || strings.Contains(step.Body, "challenges.cloudflare.com") {
		t.Errorf("a widget for a bypassed provider:\n%s", step.Body)
	}
	if csp := step.Header.Get("Content-Security-Policy"); strings.Contains(csp, "cloudflare") || strings.Contains(csp, "frame-src") {
		t.Errorf("the consent step's policy widens for a widget it does not show: %s", csp)
	}
	wantHandBack(t, lb.submit(step, continueForm, map[string]string{"legal_accepted": "true"}), http.StatusSeeOther, appURL)
	if n := len(sv.requests()); n != 0 {
		t.Errorf("siteverify asked %d times for bypassed providers", n)
	}
}

// An invitation is proof enough, through a provider as on the form: the
// invitee signing up from the invitation's link with the invited address
// makes the account at once, nothing asked. When the provider gives no
// address, the step asks for it with the widget, and the invited address
// typed there goes on without a token (to its verification).
func TestCaptchaProviderSkippedForTheInvitee(t *testing.T) {
	sv := newSiteverify(t)
	p, op := startWithOIDC(t, portaltest.Options{Env: captchaEnv(sv.URL)})
	invitationID, link := invite(t, p, "bob@example.com")
	op.SetUser("corp-bob", "bob@example.com", true, "Bob", "B")
	b := newBrowser(t, p)
	wantHandBack(t, viaProvider(t, b, providerButton(t, b.get(link), corp)), http.StatusSeeOther, appURL)
	tookUp(t, p, "bob@example.com", invitationID)

	_, carolLink := invite(t, p, "carol@example.com")
	op.SetUser("corp-carol", "", false, "Carol", "C")
	b = newBrowser(t, p)
	step := viaProvider(t, b, providerButton(t, b.get(carolLink), corp))
	wantContinueWidget(t, "no address from the provider", step)
	verify := b.submit(step, continueForm, map[string]string{"email_address": "carol@example.com"})
	wantText(t, "the invited address typed", verify, http.StatusOK, "Verify your email")
	p.SMTP.WaitFor(t, "carol@example.com", mailWait)
	if n := len(sv.requests()); n != 0 {
		t.Errorf("siteverify asked %d times for an invitee", n)
	}
}

// A bypass naming no configured provider stops start-up with a message
// naming PORTAL_CAPTCHA_OAUTH_BYPASS and the providers there are.
func TestCaptchaProviderBypassUnknownStopsStartUp(t *testing.T) {
	sv := newSiteverify(t)
	env := withOIDC(captchaEnv(sv.URL), "corp", corpDisplay, oidctest.Start(t))
	env["PORTAL_DATABASE_URL"] = "sqlite:" + filepath.Join(t.TempDir(), "portal.db")
	env["PORTAL_CAPTCHA_OAUTH_BYPASS"] = "corp,github"
	cfg, err := config.FromMap(env)
	if err == nil {
		p, err := app.Build(context.Background(), cfg, app.Options{Log: io.Discard})
		if err == nil {
			p.Close()
			t.Fatal("started with a bypass naming github, which is not configured")
		}
	}
	if err == nil || !strings.Contains(err.Error(), `PORTAL_CAPTCHA_OAUTH_BYPASS: "github" is not a configured sign-in provider`) ||
		!strings.Contains(err.Error(), "corp") {
		t.Fatalf("start-up error %v, want it to name PORTAL_CAPTCHA_OAUTH_BYPASS, github and the configured corp", err)
	}
}

// The continue step sent twice at once (a double click on "Continue"),
// where a provider sign-up waits for consent alone or for the bot check
// too: the first press makes the account, and the second, the answer the
// browser shows, hands it back to the app as well rather than saying the
// sign-up has ended or that the check's token was spent. One account is
// made. Sent again a moment later (the back button, then Continue), the
// form still lands on the app. REQ-RL-04: a spent token makes nothing
// new, since the account exists already. In the last case the provider
// holds the first press's pass until it has told the second press its
// token was spent, so that press is still waiting for the first when it
// learns so.
func TestContinuePressedTwiceLandsOnTheApp(t *testing.T) {
	for _, c := range []struct {
		name            string
		check, holdPass bool
	}{{"consent", false, false}, {"consent and bot check", true, false}, {"spent while the first press checks", true, true}} {
		t.Run(c.name, func(t *testing.T) {
			env := legalEnv()
			fields := map[string]string{"legal_accepted": "true"}
			if c.check {
				sv := newSiteverify(t, passToken)
				sv.holdPass = c.holdPass
				for k, v := range captchaEnv(sv.URL) {
					env[k] = v
				}
				fields["cf-turnstile-response"] = passToken
			}
			p, _ := startWithOIDC(t, portaltest.Options{Env: env})
			b := newBrowser(t, p)
			step := viaProvider(t, b, providerButton(t, b.get(withRedirect("/sign-up", appURL)), corp))
			if step.URL.Path != "/sign-up/continue" {
				t.Fatalf("after the provider: %d at %s, want the continue step:\n%s", step.Status, step.URL, step.text())
			}
			action, vals := b.formValues(step, continueForm, fields)
			for i, pg := range sendTwice(t, b, action, vals) {
				if pg.Status != http.StatusSeeOther || pg.Header.Get("Location") != appURL || pg.setCookie("__session") == nil {
					t.Fatalf("answer %d: %d to %q, want a hand-back to %s:\n%s", i+1, pg.Status, pg.Header.Get("Location"), appURL, pg.text())
				}
			}
			if n := count(t, p); n.users != 1 {
				t.Errorf("%d users made, want 1", n.users)
			}
			if !signedIn(t, b) {
				t.Errorf("the browser is not signed in after the double click")
			}
			wantHandBack(t, b.send(b.request(http.MethodPost, action.String(), vals)), http.StatusSeeOther, appURL)
			if n := count(t, p); n.users != 1 {
				t.Errorf("%d users after the form was sent again, want 1", n.users)
			}
		})
	}
}

// With hCaptcha as the provider the continue step shows hCaptcha's
// widget and script, its policy allows hCaptcha's hosts, and the token
// hCaptcha's widget posts (h-captcha-response) is the one checked: none
// is refused, a passed one makes the account.
func TestCaptchaProviderSignUpWithHCaptcha_REQ_RL_04(t *testing.T) {
	sv := newSiteverify(t, passToken)
	env := captchaEnv(sv.URL)
	env["PORTAL_CAPTCHA_PROVIDER"] = "hcaptcha"
	p, _ := startWithOIDC(t, portaltest.Options{Env: env})
	b := newBrowser(t, p)
	before := count(t, p)
	step := viaProvider(t, b, providerButton(t, b.get(withRedirect("/sign-up", appURL)), corp))
	if step.URL.Path != "/sign-up/continue" || step.Doc.Find(continueForm+` .h-captcha[data-sitekey="`+captchaSite+`"]`).Length() != 1 ||
		step.Doc.Find(`script[src="https://js.hcaptcha.com/1/api.js"]`).Length() != 1 {
		t.Fatalf("want the continue step with hCaptcha's widget, got %d at %s:\n%s", step.Status, step.URL, step.Body)
	}
	if csp := step.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "https://*.hcaptcha.com") || strings.Contains(csp, "cloudflare") {
		t.Errorf("the step's policy: %s", csp)
	}
	wantText(t, "Continue without a token", b.submit(step, continueForm, nil), http.StatusUnprocessableEntity, robotMessage)
	wantNoAccount(t, p, "without a token", "ada@example.com", before)
	wantHandBack(t, b.submit(step, continueForm, map[string]string{"h-captcha-response": passToken}), http.StatusSeeOther, appURL)
	if reqs := sv.requests(); len(reqs) != 1 || reqs[0].Get("response") != passToken {
		t.Errorf("siteverify got %v, want the hCaptcha token once", reqs)
	}
}
