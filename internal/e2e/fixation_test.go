package e2e

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/testutil/portaltest"
	"github.com/portalhq/portal/internal/testutil/smtptest"
	"github.com/portalhq/portal/internal/testutil/webauthntest"
)

// signedIn reports whether b's cookies sign it in: the sign-in page hands a
// signed-in browser straight back to the app.
func signedIn(t *testing.T, b *browser) bool {
	t.Helper()
	pg := b.get(withRedirect("/sign-in", appURL))
	return pg.Status == http.StatusSeeOther && pg.setCookie("__session") != nil
}

// plant gives victim the __client value attacker holds, as a sibling
// subdomain could (cookie tossing).
func plant(t *testing.T, attacker, victim *browser) {
	t.Helper()
	v := attacker.cookie("__client")
	if v == "" {
		t.Fatal("the attacker has no __client to plant")
	}
	victim.jar.SetCookies(victim.base, []*http.Cookie{{Name: "__client", Value: v, Path: "/"}})
}

// REQ-SES-02: a password sign-in moves the browser to a new client. The
// __client value it held before (here planted by someone else, who kept a
// copy) reaches nothing: its holder stays signed out while the browser that
// signed in is signed in.
func TestPasswordSignInDefeatsPlantedClient_REQ_SES_02(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	signUp(t, p, newBrowser(t, p), "ada@example.com", "")

	attacker := newBrowser(t, p)
	attacker.get("/sign-in") // a signed __client of the attacker's own
	victim := newBrowser(t, p)
	plant(t, attacker, victim)
	before := victim.cookie("__client")

	wantHandBack(t, signIn(t, victim, "ada@example.com", goodPassword, appURL), http.StatusSeeOther, appURL)
	if victim.cookie("__client") == before {
		t.Errorf("the sign-in left the browser's __client as it was")
	}
	if !signedIn(t, victim) {
		t.Errorf("the browser that signed in is signed out")
	}
	if signedIn(t, attacker) {
		t.Errorf("the planted __client's holder is signed in as the victim")
	}
}

// REQ-SES-02: the password form sent twice at once (a double click): the
// first answer signs in on a new client, and the second, carrying the old
// cookie, follows it to the app and is told the new cookie. Someone else
// holding the old __client and the flow's address does not.
func TestDoubleSubmitPasswordFollowsNewClient_REQ_SES_02(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	signUp(t, p, newBrowser(t, p), "ada@example.com", "")

	attacker := newBrowser(t, p)
	attacker.get("/sign-in")
	b := newBrowser(t, p)
	plant(t, attacker, b)
	old := b.cookie("__client")

	action, vals := b.formValues(passwordStep(t, b, "ada@example.com", appURL), passwordForm,
		map[string]string{"password": goodPassword})
	pages := sendTwice(t, b, action, vals)
	var fresh []string
	for i, pg := range pages {
		if pg.Status != http.StatusSeeOther || pg.Header.Get("Location") != appURL || pg.setCookie("__session") == nil {
			t.Fatalf("answer %d: %d to %q, want a hand-back to %s:\n%s", i+1, pg.Status, pg.Header.Get("Location"), appURL, pg.text())
		}
		ck := pg.setCookie("__client")
		if ck == nil || ck.Value == old {
			t.Fatalf("answer %d gives the browser no new __client", i+1)
		}
		fresh = append(fresh, ck.Value)
	}
	if !signedIn(t, b) {
		t.Errorf("the browser that signed in is signed out")
	}
	// The attacker replays the form's address with the old __client but
	// its own CSRF secret.
	replay := attacker.get(action.String() + "?" + "sign_in=" + vals.Get("sign_in"))
	if replay.setCookie("__session") != nil || (replay.setCookie("__client") != nil && replay.setCookie("__client").Value != old) {
		t.Errorf("the old __client's holder got the session: %d %v", replay.Status, replay.Header)
	}
	if signedIn(t, attacker) {
		t.Errorf("the planted __client's holder is signed in as the victim")
	}
}

// plantedPair is a browser about to sign in whose __client was planted by
// attacker, who kept a copy (cookie tossing from a sibling subdomain).
func plantedPair(t *testing.T, p *portaltest.Portal) (victim, attacker *browser) {
	t.Helper()
	attacker = newBrowser(t, p)
	attacker.get("/sign-in") // a signed __client of the attacker's own
	victim = newBrowser(t, p)
	plant(t, attacker, victim)
	return victim, attacker
}

// wantFixationDefeated checks a sign-in's answer done in victim, whose
// __client was planted (the value attacker holds): the answer hands back
// with a new __client, the victim's handshake gives a fresh token, and the
// attacker is signed out, its handshake clearing the app's cookies
// (REQ-SES-02, REQ-SES-04).
func wantFixationDefeated(t *testing.T, victim, attacker *browser, done *page) {
	t.Helper()
	planted := attacker.cookie("__client")
	wantHandBack(t, done, http.StatusSeeOther, appURL)
	if ck := done.setCookie("__client"); ck == nil || ck.Value == "" || ck.Value == planted {
		t.Errorf("the sign-in's answer gives the browser no new __client (%v)", ck)
	}
	if victim.cookie("__client") == planted {
		t.Fatalf("the browser that signed in still holds the planted __client")
	}
	hs := victim.getRaw(handshakePath(appURL))
	if sc := hs.setCookie("__session"); hs.Status != http.StatusTemporaryRedirect || sc == nil || sc.Value == "" || sc.MaxAge < 0 {
		t.Errorf("the signing-in browser's handshake: %d, __session %v; want a 307 with a fresh token", hs.Status, sc)
	}
	hs = attacker.getRaw(handshakePath(appURL))
	if sc, uat := hs.setCookie("__session"), hs.setCookie("__client_uat"); hs.Status != http.StatusTemporaryRedirect ||
		sc == nil || sc.Value != "" || sc.MaxAge >= 0 || uat == nil || uat.Value != "0" {
		t.Errorf("the planted __client's handshake: %d, __session %v, __client_uat %v; want them cleared", hs.Status, sc, uat)
	}
	if signedIn(t, attacker) {
		t.Errorf("the planted __client's holder is signed in as the victim")
	}
	if !signedIn(t, victim) {
		t.Errorf("the browser that signed in is signed out")
	}
}

// REQ-SES-02: every way in moves the browser to a new client, so a planted
// __client reaches nothing, whichever way the person signs in.
func TestEveryWayInDefeatsPlantedClient_REQ_SES_02(t *testing.T) {
	for _, tc := range []struct {
		name string
		// signIn brings victim (with attacker's __client) to the answer
		// that signs it in, to appURL.
		signIn func(t *testing.T, p *portaltest.Portal, victim *browser) *page
		opt    portaltest.Options
		oidc   bool
	}{
		{name: "email code", opt: portaltest.Options{Env: map[string]string{"PORTAL_FACTORS": "email_code"}},
			signIn: func(t *testing.T, p *portaltest.Portal, v *browser) *page {
				signUp(t, p, newBrowser(t, p), "ada@example.com", "")
				before := len(mailTo(p.SMTP, "ada@example.com"))
				codePage := v.submit(v.get(withRedirect("/sign-in", appURL)), signInForm, map[string]string{"identifier": "ada@example.com"})
				wantText(t, "the code page", codePage, http.StatusOK, "Check your email")
				return v.submit(codePage, codeForm, map[string]string{"code": waitMail(t, p, "ada@example.com", before).Code()})
			}},
		{name: "email link, same browser", opt: portaltest.Options{Env: linkEnv},
			signIn: func(t *testing.T, p *portaltest.Portal, v *browser) *page {
				signUp(t, p, newBrowser(t, p), "ada@example.com", "")
				before := len(mailTo(p.SMTP, "ada@example.com"))
				wait := v.submit(v.get(withRedirect("/sign-in", appURL)), signInForm, map[string]string{"identifier": "ada@example.com"})
				wantText(t, "the waiting page", wait, http.StatusOK, "Check your email")
				link := waitMail(t, p, "ada@example.com", before).Link()
				return v.submit(v.get(link), linkConfirmForm, nil)
			}},
		{name: "passkey",
			signIn: func(t *testing.T, p *portaltest.Portal, v *browser) *page {
				owner := newBrowser(t, p)
				signUp(t, p, owner, "ada@example.com", "")
				k := newKey(t, p)
				addPasskey(t, owner, k, webauthntest.Ceremony{})
				return signInWithPasskey(t, v, k, webauthntest.Ceremony{}, appURL)
			}},
		{name: "OAuth", oidc: true,
			signIn: func(t *testing.T, p *portaltest.Portal, v *browser) *page {
				other := newBrowser(t, p) // the account exists: this is a sign-in
				wantHandBack(t, viaProvider(t, other, providerButton(t, other.get(withRedirect("/sign-in", appURL)), corp)), http.StatusSeeOther, appURL)
				return viaProvider(t, v, providerButton(t, v.get(withRedirect("/sign-in", appURL)), corp))
			}},
		{name: "OAuth sign-up", oidc: true,
			signIn: func(t *testing.T, p *portaltest.Portal, v *browser) *page {
				return viaProvider(t, v, providerButton(t, v.get(withRedirect("/sign-up", appURL)), corp))
			}},
		{name: "sign-up verification",
			signIn: func(t *testing.T, p *portaltest.Portal, v *browser) *page {
				return signUp(t, p, v, "ada@example.com", appURL)
			}},
		{name: "sign-in token",
			signIn: func(t *testing.T, p *portaltest.Portal, v *browser) *page {
				var tok struct {
					URL string `json:"url"`
				}
				api(t, p, http.MethodPost, "/v1/sign_in_tokens", map[string]any{"user_id": apiUser(t, p, "ada@example.com")}, &tok)
				link := mustParse(t, tok.URL).RequestURI() + "&redirect_url=" + url.QueryEscape(appURL)
				return v.submit(v.get(link), ticketForm, nil)
			}},
		{name: "actor token",
			signIn: func(t *testing.T, p *portaltest.Portal, v *browser) *page {
				ada, bob := apiUser(t, p, "ada@example.com"), apiUser(t, p, "bob@example.com")
				var tok struct {
					URL string `json:"url"`
				}
				api(t, p, http.MethodPost, "/v1/actor_tokens", map[string]any{"user_id": bob, "actor": map[string]string{"sub": ada}}, &tok)
				link := mustParse(t, tok.URL).RequestURI() + "&redirect_url=" + url.QueryEscape(appURL)
				return v.submit(v.get(link), ticketForm, nil)
			}},
		{name: "password reset",
			signIn: func(t *testing.T, p *portaltest.Portal, v *browser) *page {
				signUp(t, p, newBrowser(t, p), "ada@example.com", "")
				before := len(mailTo(p.SMTP, "ada@example.com"))
				codePage := v.submit(forgotPage(t, v, "ada@example.com"), prepareForm, map[string]string{"strategy": "reset_password_email_code"})
				wantText(t, "the reset code page", codePage, http.StatusOK, "Reset your password")
				choose := newPasswordPage(t, v.submit(codePage, codeForm, map[string]string{"code": waitMail(t, p, "ada@example.com", before).Code()}))
				return v.submit(choose, newPasswordForm, map[string]string{"password": newPassword})
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var p *portaltest.Portal
			if tc.oidc {
				p, _ = startWithOIDC(t, tc.opt)
			} else {
				p = portaltest.Start(t, tc.opt)
			}
			victim, attacker := plantedPair(t, p)
			wantFixationDefeated(t, victim, attacker, tc.signIn(t, p, victim))
		})
	}
}

// waitMail waits for the message to addr after the first before ones.
func waitMail(t *testing.T, p *portaltest.Portal, addr string, before int) smtptest.Message {
	t.Helper()
	deadline := time.Now().Add(mailWait)
	for time.Now().Before(deadline) {
		if got := mailTo(p.SMTP, addr); len(got) > before {
			return got[before]
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no new email to %s", addr)
	return smtptest.Message{}
}

// REQ-SES-02: an email link opened on another device signs in the browser
// waiting for it, and only that one. The device that opened the link gets
// no session; neither does someone holding the waiting browser's planted
// __client, even knowing the flow's address and asking first: the flow
// completes only for the CSRF secret of the browser that began it.
func TestEmailLinkOtherDeviceSignsInOnlyTheWaitingBrowser_REQ_SES_02(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{Env: linkEnv})
	signUp(t, p, newBrowser(t, p), "ada@example.com", "")
	before := len(mailTo(p.SMTP, "ada@example.com"))
	victim, attacker := plantedPair(t, p)
	wait := victim.submit(victim.get(withRedirect("/sign-in", appURL)), signInForm, map[string]string{"identifier": "ada@example.com"})
	wantText(t, "the waiting page", wait, http.StatusOK, "Waiting for you to open the link")
	link := waitMail(t, p, "ada@example.com", before).Link()

	phone := newBrowser(t, p)
	opened := phone.submit(phone.get(link), linkConfirmForm, nil)
	wantText(t, "the other device", opened, http.StatusOK, "You're signed in on your other device")
	noSession(t, "the other device", opened)

	// The attacker polls the waiting page before the victim does.
	probe := func(b *browser) int {
		req := b.request(http.MethodGet, flowPath(wait), nil)
		req.Header.Set("X-Portal-Wait", "1")
		return b.send(req).Status
	}
	if st := probe(attacker); st != http.StatusNoContent {
		t.Errorf("the planted __client's probe: %d, want 204 (keep waiting)", st)
	}
	stolen := attacker.getRaw(flowPath(wait))
	if stolen.setCookie("__session") != nil || stolen.Status == http.StatusSeeOther && stolen.Header.Get("Location") == appURL {
		t.Errorf("the planted __client's GET of the waiting page: %d to %q, a session: %v",
			stolen.Status, stolen.Header.Get("Location"), stolen.setCookie("__session") != nil)
	}

	if st := probe(victim); st != http.StatusResetContent {
		t.Errorf("the waiting browser's probe: %d, want 205 (reload)", st)
	}
	wantFixationDefeated(t, victim, attacker, victim.getRaw(flowPath(wait)))
	for _, b := range []*browser{phone, attacker} {
		if signedIn(t, b) {
			t.Errorf("a browser other than the waiting one is signed in")
		}
	}
}

// The same for a sign-up verified by a link opened on another device: the
// browser that began it finishes it; the planted __client's holder does not.
func TestSignUpLinkOtherDeviceFinishesOnlyInTheWaitingBrowser_REQ_SES_02(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{Env: signUpLinkEnv})
	victim, attacker := plantedPair(t, p)
	wait := signUpWith(victim, map[string]string{"email_address": "ada@example.com", "first_name": "Ada"}, appURL)
	wantText(t, "after the sign-up form", wait, http.StatusOK, "Check your email")
	link := waitMail(t, p, "ada@example.com", 0).Link()
	phone := newBrowser(t, p)
	noSession(t, "the other device", phone.submit(phone.get(link), linkConfirmForm, nil))

	stolen := attacker.getRaw(flowPath(wait))
	if stolen.setCookie("__session") != nil {
		t.Errorf("the planted __client's GET of the waiting page got a session: %d to %q", stolen.Status, stolen.Header.Get("Location"))
	}
	wantFixationDefeated(t, victim, attacker, victim.getRaw(flowPath(wait)))
	if signedIn(t, phone) {
		t.Errorf("the device that opened the link is signed in")
	}
}

// The new client a sign-in gives the browser keeps what the old cookie
// held besides its ID: the app /user was opened from still has its "Back"
// link after signing out and in again (REQ-SES-02).
func TestSignInAgainKeepsTheAccountPagesBackLink_REQ_SES_02(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	b := newBrowser(t, p)
	wantHandBack(t, signUp(t, p, b, "ada@example.com", appURL), http.StatusSeeOther, appURL)
	pg := b.get("/user?redirect_url=" + url.QueryEscape(appURL))
	if href, _ := pg.Doc.Find(`footer a`).Attr("href"); href != appURL {
		t.Fatalf("back link = %q, want %q", href, appURL)
	}
	b.submit(b.get("/sign-out"), signOutForm, nil)
	old := b.cookie("__client")

	account := p.URL + "/user"
	if done := signIn(t, b, "ada@example.com", goodPassword, account); done.Status != http.StatusOK || done.URL.Path != "/user" {
		t.Fatalf("signing in again to /user: %d at %s:\n%s", done.Status, done.URL, done.text())
	} else if href, _ := done.Doc.Find(`footer a`).Attr("href"); href != appURL {
		t.Errorf("back link after signing in again = %q, want %q", href, appURL)
	}
	if b.cookie("__client") == old {
		t.Errorf("signing in again left the browser's __client as it was")
	}
}
