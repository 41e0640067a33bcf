package e2e

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/testutil/portaltest"
)

const (
	captchaSite   = "0x4AAAAAAAsite-key"
	captchaSecret = "0x4AAAAAAAsecret-never-logged"
	passToken     = "XXXX.DUMMY.TOKEN.pass"
	robotMessage  = "Please complete the check that you're not a robot."
	downMessage   = "We couldn't check that you're not a robot. Please try again in a moment."
)

// siteverify is a loopback stand-in for Turnstile's and hCaptcha's
// siteverify endpoint (a form POST of secret, response, remoteip answered
// by {"success","error-codes"}): tokens in pass succeed once each, as at
// the real one, and every request is recorded.
type siteverify struct {
	*httptest.Server
	mu   sync.Mutex
	got  []url.Values
	pass map[string]bool
	used map[string]bool
	// host is the site a passed check names ("localhost", the test
	// portal's, unless changed).
	host string
	// holdPass, when set before the first request, makes a passing
	// answer wait until a spent token has been answered (or 5 s): the
	// first press of a double click still checking when the second
	// learns that its token was spent.
	holdPass  bool
	spentOnce sync.Once
	spent     chan struct{}
}

func newSiteverify(t *testing.T, pass ...string) *siteverify {
	s := &siteverify{pass: map[string]bool{}, used: map[string]bool{}, host: "localhost", spent: make(chan struct{})}
	for _, p := range pass {
		s.pass[p] = true
	}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.ParseForm() != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.got = append(s.got, r.PostForm)
		tok := r.PostForm.Get("response")
		ans := map[string]any{"success": false, "error-codes": []string{"invalid-input-response"}}
		hold := false
		switch {
		case r.PostForm.Get("secret") != captchaSecret:
			ans["error-codes"] = []string{"invalid-input-secret"}
		case s.used[tok]:
			ans["error-codes"] = []string{"timeout-or-duplicate"}
			defer s.spentOnce.Do(func() { close(s.spent) })
		case s.pass[tok]:
			s.used[tok] = true
			ans = map[string]any{"success": true, "error-codes": []string{}, "hostname": s.host}
			hold = s.holdPass
		}
		s.mu.Unlock()
		if hold {
			select {
			case <-s.spent:
			case <-time.After(5 * time.Second):
			}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(ans)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *siteverify) requests() []url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]url.Values(nil), s.got...)
}

func captchaEnv(verifyURL string) map[string]string {
	return map[string]string{
		"PORTAL_CAPTCHA_PROVIDER":   "turnstile",
		"PORTAL_CAPTCHA_SITE_KEY":   captchaSite,
		"PORTAL_CAPTCHA_SECRET_KEY": captchaSecret,
		"PORTAL_CAPTCHA_VERIFY_URL": verifyURL,
	}
}

// syncLog collects a portal's log lines.
type syncLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var adaFields = map[string]string{"email_address": "ada@example.com", "password": goodPassword,
	"first_name": "Ada", "last_name": "Lovelace"}

// wantFormKept fails unless pg is the sign-up form again with what was
// typed (the password aside) and says msg.
func wantFormKept(t *testing.T, what string, pg *page, status int, msg string) {
	t.Helper()
	wantText(t, what, pg, status, msg)
	for name, want := range map[string]string{"email_address": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace", "password": ""} {
		if got, _ := pg.Doc.Find(signUpForm + ` input[name="` + name + `"]`).Attr("value"); got != want {
			t.Errorf("%s: field %s = %q, want %q", what, name, got, want)
		}
	}
	if pg.Doc.Find(signUpForm+` .cf-turnstile[data-sitekey="`+captchaSite+`"]`).Length() != 1 {
		t.Errorf("%s: the form has no widget to try again with", what)
	}
}

// REQ-RL-04: with bot protection on, the sign-up page shows the Turnstile
// widget and loads its script under the page's nonce, and the CSP allows
// the provider. A post without a token or with one the provider refuses
// re-renders the form with what was typed and sends nothing; the provider
// is asked with the secret, the token and the client's address (from the
// trusted proxy's X-Forwarded-For). A passed check starts the sign-up, and
// its code creates the account.
func TestCaptchaSignUp_REQ_RL_04(t *testing.T) {
	sv := newSiteverify(t, passToken)
	env := captchaEnv(sv.URL + "/turnstile/v0/siteverify")
	env["PORTAL_TRUSTED_PROXIES"] = "127.0.0.1/32"
	logs := &syncLog{}
	p := portaltest.Start(t, portaltest.Options{Env: env, Log: logs})
	b := newBrowser(t, p)
	b.header = http.Header{"X-Forwarded-For": {"203.0.113.7"}}

	form := b.get(withRedirect("/sign-up", appURL))
	if form.Doc.Find(signUpForm+` .cf-turnstile[data-sitekey="`+captchaSite+`"]`).Length() != 1 {
		t.Fatalf("no Turnstile widget in the sign-up form:\n%s", form.Body)
	}
	script := form.Doc.Find(`script[src="https://challenges.cloudflare.com/turnstile/v0/api.js"]`)
	csp := form.Header.Get("Content-Security-Policy")
	if nonce, _ := script.Attr("nonce"); script.Length() != 1 || nonce == "" || !strings.Contains(csp, "'nonce-"+nonce+"'") {
		t.Errorf("widget script %d, nonce %q; CSP %s", script.Length(), nonce, csp)
	}
	for _, want := range []string{"script-src 'self' 'nonce-", "https://challenges.cloudflare.com; style-src",
		"frame-src 'self' https://challenges.cloudflare.com;"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP lacks %q: %s", want, csp)
		}
	}
	if !strings.Contains(form.Doc.Find("noscript").Text(), "needs JavaScript") {
		t.Errorf("no <noscript> note for a browser without JavaScript")
	}

	// No token (JavaScript off, or the check not done): nothing asked, nothing sent.
	pg := b.submit(form, signUpForm, adaFields)
	wantFormKept(t, "without a token", pg, http.StatusUnprocessableEntity, robotMessage)
	if n := len(sv.requests()); n != 0 {
		t.Errorf("an empty token was sent to the provider (%d requests)", n)
	}

	// A token the provider refuses.
	fields := map[string]string{"cf-turnstile-response": "forged"}
	for k, v := range adaFields {
		fields[k] = v
	}
	pg = b.submit(pg, signUpForm, fields)
	wantFormKept(t, "with a refused token", pg, http.StatusUnprocessableEntity, robotMessage)
	reqs := sv.requests()
	if len(reqs) != 1 || reqs[0].Get("secret") != captchaSecret || reqs[0].Get("response") != "forged" ||
		reqs[0].Get("remoteip") != "203.0.113.7" {
		t.Fatalf("siteverify got %v; want the secret, the token and remoteip 203.0.113.7", reqs)
	}
	if len(p.SMTP.Messages()) != 0 {
		t.Fatalf("mail sent after a failed check: %d", len(p.SMTP.Messages()))
	}

	// Passed: the sign-up starts and its code makes the account.
	fields["cf-turnstile-response"] = passToken
	verify := b.submit(pg, signUpForm, fields)
	wantText(t, "with a passed check", verify, http.StatusOK, "Verify your email")
	code := p.SMTP.WaitFor(t, "ada@example.com", mailWait).Code()
	wantHandBack(t, b.submit(verify, verifyForm, map[string]string{"code": code}), http.StatusSeeOther, appURL)
	if len(sv.requests()) != 2 {
		t.Errorf("siteverify asked %d times, want 2", len(sv.requests()))
	}
	if strings.Contains(logs.String(), captchaSecret) {
		t.Errorf("the secret key is in the log:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "captcha not passed") {
		t.Errorf("the failed checks were not logged (REQ-LOG-01):\n%s", logs.String())
	}
}

// REQ-RL-04: a site key may be allowed on several sites, so a check
// passed on another one (siteverify's hostname is not the base URL's
// host) proves nothing here: the form comes back as for a refused token,
// and the log names both hosts.
func TestCaptchaSolvedOnAnotherSiteRefused_REQ_RL_04(t *testing.T) {
	sv := newSiteverify(t, passToken)
	sv.host = "forms.example.net"
	logs := &syncLog{}
	p := portaltest.Start(t, portaltest.Options{Env: captchaEnv(sv.URL), Log: logs})
	b := newBrowser(t, p)
	fields := map[string]string{"cf-turnstile-response": passToken}
	for k, v := range adaFields {
		fields[k] = v
	}
	pg := b.submit(b.get("/sign-up"), signUpForm, fields)
	wantFormKept(t, "a check passed on another site", pg, http.StatusUnprocessableEntity, robotMessage)
	if len(p.SMTP.Messages()) != 0 {
		t.Errorf("mail sent after a check passed on another site")
	}
	if l := logs.String(); !strings.Contains(l, "captcha not passed") || !strings.Contains(l, "forms.example.net") ||
		!strings.Contains(l, "localhost") {
		t.Errorf("the log does not say where the check was passed:\n%s", l)
	}
}

// REQ-LOG-02: a provider that cannot be reached, or answers with an error,
// refuses the sign-up (fail closed) with its own message and a warning in
// the log; nothing is sent.
func TestCaptchaUnavailableFailsClosed_REQ_LOG_02(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String() + "/siteverify"
	l.Close()
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "upstream down", http.StatusBadGateway)
	}))
	t.Cleanup(broken.Close)
	wrongSecret := newSiteverify(t, passToken)

	for name, verifyURL := range map[string]string{"unreachable": closed, "502": broken.URL, "secret refused": wrongSecret.URL} {
		t.Run(name, func(t *testing.T) {
			env := captchaEnv(verifyURL)
			if name == "secret refused" {
				env["PORTAL_CAPTCHA_SECRET_KEY"] = "another-secret"
			}
			logs := &syncLog{}
			p := portaltest.Start(t, portaltest.Options{Env: env, Log: logs})
			b := newBrowser(t, p)
			fields := map[string]string{"cf-turnstile-response": passToken}
			for k, v := range adaFields {
				fields[k] = v
			}
			pg := b.submit(b.get("/sign-up"), signUpForm, fields)
			wantFormKept(t, name, pg, http.StatusServiceUnavailable, downMessage)
			if strings.Contains(pg.text(), robotMessage) {
				t.Errorf("%s: the person is blamed: %s", name, pg.text())
			}
			if len(p.SMTP.Messages()) != 0 {
				t.Errorf("%s: mail sent without a check", name)
			}
			if !strings.Contains(logs.String(), "captcha could not be checked") || strings.Contains(logs.String(), env["PORTAL_CAPTCHA_SECRET_KEY"]) {
				t.Errorf("%s: want a warning without the secret in the log:\n%s", name, logs.String())
			}
		})
	}
}

// The sign-up form sent twice at once (a double click) carries one token,
// which the provider accepts once: the second press still lands on the
// first press's flow, and one code is sent, on both engines. A spent token
// starts nothing else: with other fields it is refused.
func TestCaptchaDoubleClickSignUpSendsOneCode(t *testing.T) {
	engines(t, func(t *testing.T, postgres bool) {
		sv := newSiteverify(t, passToken)
		p := portaltest.Start(t, portaltest.Options{Postgres: postgres, Env: captchaEnv(sv.URL)})
		b := newBrowser(t, p)
		fields := map[string]string{"cf-turnstile-response": passToken}
		for k, v := range adaFields {
			fields[k] = v
		}
		action, vals := b.formValues(withClient(t, b, appURL), signUpForm, fields)
		landing := sameLanding(t, "sign-up sent twice", sendTwice(t, b, action, vals), "/sign-up/verify-email-address?")
		if mails := mailTo(p.SMTP, "ada@example.com"); len(mails) != 1 {
			t.Fatalf("%d emails to ada@example.com, want 1", len(mails))
		}
		// The same again a moment later (Enter, then a click) lands there too.
		again := b.send(b.request(http.MethodPost, action.String(), vals))
		if again.Status != http.StatusSeeOther || again.Header.Get("Location") != landing {
			t.Fatalf("the same start again: %d to %q, want 303 to %s", again.Status, again.Header.Get("Location"), landing)
		}
		// The spent token with another password, or another address,
		// starts nothing, and is refused at once: the start that spent it
		// is stored, so waiting for it (a password hash per try) could not
		// change the answer.
		vals.Set("password", goodPassword+"-other")
		began := time.Now()
		other := b.send(b.request(http.MethodPost, action.String(), vals))
		wantText(t, "a spent token with another password", other, http.StatusUnprocessableEntity, robotMessage)
		vals.Set("password", goodPassword)
		vals.Set("email_address", "grace@example.com")
		other = b.send(b.request(http.MethodPost, action.String(), vals))
		wantText(t, "a spent token with other fields", other, http.StatusUnprocessableEntity, robotMessage)
		if took := time.Since(began); took > 2*time.Second {
			t.Errorf("the two refusals of a spent token took %v: they waited for a start that was stored already", took)
		}
		if mails := mailTo(p.SMTP, "grace@example.com"); len(mails) != 0 {
			t.Fatalf("a spent token sent %d emails", len(mails))
		}
		if mails := mailTo(p.SMTP, "ada@example.com"); len(mails) != 1 {
			t.Fatalf("%d emails to ada@example.com after the refusals, want 1", len(mails))
		}
		verify := b.get(landing)
		mails := mailTo(p.SMTP, "ada@example.com")
		wantHandBack(t, b.submit(verify, verifyForm, map[string]string{"code": mails[0].Code()}), http.StatusSeeOther, appURL)
	})
}

// The waitlist form asks for the check too; a passed check puts the
// address on the list, and a double click's second press reads the same
// confirmation.
func TestCaptchaWaitlist_REQ_RL_04(t *testing.T) {
	sv := newSiteverify(t, passToken)
	env := captchaEnv(sv.URL)
	env["PORTAL_SIGN_UP_MODE"] = "waitlist"
	p := portaltest.Start(t, portaltest.Options{Env: env})
	b := newBrowser(t, p)
	const waitForm = `form[action="/waitlist"]`
	page := b.get("/waitlist")
	if page.Doc.Find(waitForm+" .cf-turnstile").Length() != 1 {
		t.Fatalf("no widget on the waitlist form:\n%s", page.Body)
	}
	pg := b.submit(page, waitForm, map[string]string{"email_address": "ada@example.com"})
	wantText(t, "waitlist without a token", pg, http.StatusUnprocessableEntity, robotMessage)
	if v, _ := pg.Doc.Find(`input[name="email_address"]`).Attr("value"); v != "ada@example.com" {
		t.Errorf("the address typed was lost: %q", v)
	}
	action, vals := b.formValues(pg, waitForm, map[string]string{"email_address": "ada@example.com", "cf-turnstile-response": passToken})
	for i, ans := range sendTwice(t, b, action, vals) {
		wantText(t, "waitlist sent twice, answer "+string(rune('1'+i)), ans, http.StatusOK, "You're on the waitlist")
	}
	deadline := time.Now().Add(mailWait)
	for len(mailTo(p.SMTP, "ada@example.com")) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := len(mailTo(p.SMTP, "ada@example.com")); n != 1 {
		t.Errorf("%d confirmations, want 1", n)
	}
}

// A double click on the waitlist form for an address that gets no new
// entry (it has an account, or is on the list already) reads the same
// confirmation twice, as for a new address (REQ-RL-05): the first press
// notes its passed check for that address where every portal sees it. A
// spent token says nothing about any other address, on the list or not:
// it is refused, on both engines.
func TestCaptchaWaitlistDoubleClickAndSpentToken_REQ_RL_05(t *testing.T) {
	engines(t, func(t *testing.T, postgres bool) {
		sv := newSiteverify(t, passToken, "second-pass")
		env := captchaEnv(sv.URL)
		env["PORTAL_SIGN_UP_MODE"] = "waitlist"
		p := portaltest.Start(t, portaltest.Options{Env: env, Postgres: postgres})
		if r := api(t, p, http.MethodPost, "/v1/users", map[string]any{"email_address": []string{"grace@example.com"}}, nil); r.Status != http.StatusOK {
			t.Fatalf("POST /v1/users: %d %s", r.Status, r.Body)
		}
		b := newBrowser(t, p)
		const waitForm = `form[action="/waitlist"]`
		page := b.get("/waitlist")
		action, vals := b.formValues(page, waitForm, map[string]string{"email_address": "grace@example.com", "cf-turnstile-response": passToken})
		for i, ans := range sendTwice(t, b, action, vals) {
			wantText(t, "an address with an account sent twice, answer "+string(rune('1'+i)), ans, http.StatusOK, "You're on the waitlist")
		}
		// A new address joins; the first token, spent, is no pass for it
		// though it has just joined.
		_, vals = b.formValues(page, waitForm, map[string]string{"email_address": "ada@example.com", "cf-turnstile-response": "second-pass"})
		wantText(t, "a new address", b.send(b.request(http.MethodPost, action.String(), vals)), http.StatusOK, "You're on the waitlist")
		vals.Set("cf-turnstile-response", passToken)
		pg := b.send(b.request(http.MethodPost, action.String(), vals))
		wantText(t, "a spent token for an address that just joined", pg, http.StatusUnprocessableEntity, robotMessage)
	})
}

// Bot protection is off unless configured: no widget, no script, and no
// provider in the policy. Configured, the policy names the provider on
// the pages with the widget only.
func TestCaptchaOffByDefaultAndCSPOnlyWhereShown_REQ_HDR_01(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	b := newBrowser(t, p)
	pg := b.get("/sign-up")
	if pg.Doc.Find(".cf-turnstile, .h-captcha, noscript").Length() != 0 || strings.Contains(pg.Body, "challenges.cloudflare.com") {
		t.Errorf("a widget without configuration:\n%s", pg.Body)
	}
	if csp := pg.Header.Get("Content-Security-Policy"); strings.Contains(csp, "cloudflare") || strings.Contains(csp, "frame-src") {
		t.Errorf("CSP without configuration: %s", csp)
	}

	sv := newSiteverify(t)
	env := captchaEnv(sv.URL)
	env["PORTAL_CAPTCHA_PROVIDER"] = "hcaptcha"
	hp := portaltest.Start(t, portaltest.Options{Env: env})
	hb := newBrowser(t, hp)
	up := hb.get("/sign-up")
	if up.Doc.Find(`.h-captcha[data-sitekey="`+captchaSite+`"]`).Length() != 1 ||
		up.Doc.Find(`script[src="https://js.hcaptcha.com/1/api.js"]`).Length() != 1 {
		t.Errorf("no hCaptcha widget:\n%s", up.Body)
	}
	csp := up.Header.Get("Content-Security-Policy")
	for _, d := range []string{"script-src", "frame-src", "connect-src", "style-src"} {
		if !strings.Contains(csp, d) || !strings.Contains(strings.SplitN(strings.SplitN(csp, d, 2)[1], ";", 2)[0], "https://*.hcaptcha.com") {
			t.Errorf("%s lacks hCaptcha: %s", d, csp)
		}
	}
	if in := hb.get("/sign-in").Header.Get("Content-Security-Policy"); strings.Contains(in, "hcaptcha") {
		t.Errorf("the sign-in page's CSP allows the widget it does not show: %s", in)
	}
}

// An invitation is proof enough: its link's sign-up form has no widget,
// and the invited address signs up without a token; another address
// typed into the same form needs the check.
func TestCaptchaSkippedForTheInvitedAddress(t *testing.T) {
	sv := newSiteverify(t)
	p := portaltest.Start(t, portaltest.Options{Env: captchaEnv(sv.URL)})
	var created struct {
		URL string `json:"url"`
	}
	if r := api(t, p, http.MethodPost, "/v1/invitations", map[string]any{"email_address": "bob@example.com"}, &created); r.Status != http.StatusOK {
		t.Fatalf("POST /v1/invitations: %d %s", r.Status, r.Body)
	}
	bob := newBrowser(t, p)
	form := bob.get(created.URL)
	if form.Doc.Find(signUpForm).Length() != 1 || form.Doc.Find(".cf-turnstile").Length() != 0 {
		t.Fatalf("the invitation's sign-up form: want it without a widget:\n%s", form.Body)
	}
	other := bob.submit(form, signUpForm, map[string]string{"email_address": "bobby@example.com", "password": goodPassword})
	wantText(t, "another address", other, http.StatusUnprocessableEntity, robotMessage)
	if other.Doc.Find(".cf-turnstile").Length() != 1 {
		t.Errorf("the form for another address has no widget")
	}
	wantText(t, "the invited address", bob.submit(form, signUpForm, map[string]string{"password": goodPassword}),
		http.StatusOK, "You're signed in as bob@example.com.")
	if n := len(sv.requests()); n != 0 {
		t.Errorf("siteverify asked %d times for an invitee", n)
	}
}
