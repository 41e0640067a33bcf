package e2e

import (
	"net/http"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// A sign-up left at its verify page in one tab while another tab of the
// same browser signs in: the sign-in moves the browser to a new client
// (REQ-SES-02), and the first tab's code still finishes the sign-up, as it
// did before, instead of saying the sign-up has expired. The new session
// replaces the other tab's: the browser holds one session.
func TestSignUpInOneTabAfterSigningInInAnother(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	signUp(t, p, newBrowser(t, p), "ada@example.com", "")

	b := newBrowser(t, p)
	verifyPage := b.submit(b.get(withRedirect("/sign-up", appURL)), signUpForm, map[string]string{
		"email_address": "grace@example.com", "password": goodPassword, "first_name": "Grace", "last_name": "Hopper"})
	if verifyPage.Status != http.StatusOK {
		t.Fatalf("sign-up form: %d:\n%s", verifyPage.Status, verifyPage.text())
	}
	code := p.SMTP.WaitFor(t, "grace@example.com", mailWait).Code()

	// The other tab.
	ada, _ := verify(t, p, wantHandBack(t, signIn(t, b, "ada@example.com", goodPassword, appURL), http.StatusSeeOther, appURL))

	tok := wantHandBack(t, b.submit(verifyPage, verifyForm, map[string]string{"code": code}), http.StatusSeeOther, appURL)
	if c, _ := verify(t, p, tok); c.SID != activeSessionOf(t, p, "grace@example.com") {
		t.Errorf("the token is not Grace's session")
	}
	if st := sessionStatus(t, p, ada.SID); st != "ended" {
		t.Errorf("the other tab's session of Ada is %q in a browser now signed in as Grace, want ended", st)
	}
}

// A sign-in's code page left open in one tab while another tab of the same
// browser signs in with the password: the code typed in the first tab
// still signs in.
func TestCodeInOneTabAfterSigningInInAnother(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_FACTORS": "email_code,password"}})
	signUp(t, p, newBrowser(t, p), "ada@example.com", "")

	b := newBrowser(t, p)
	codePage := b.submit(b.get(withRedirect("/sign-in", appURL)), signInForm, map[string]string{"identifier": "ada@example.com"})
	if codePage.Doc.Find(codeForm+` input[name="code"]`).Length() == 0 {
		t.Fatalf("want the code page:\n%s", codePage.text())
	}
	code := p.SMTP.WaitFor(t, "ada@example.com", mailWait).Code()

	// The other tab signs in with the password.
	other := b.submit(b.get(withRedirect("/sign-in", appOrigin+"/other")), signInForm, map[string]string{"identifier": "ada@example.com"})
	pw := b.submit(other, `form.cl-alternativeMethods`, map[string]string{"strategy": "password"})
	first, _ := verify(t, p, wantHandBack(t, b.submit(pw, passwordForm, map[string]string{"password": goodPassword}), http.StatusSeeOther, appOrigin+"/other"))

	wantHandBack(t, b.submit(codePage, codeForm, map[string]string{"code": code}), http.StatusSeeOther, appURL)
	if st := sessionStatus(t, p, first.SID); st != "ended" {
		t.Errorf("the other tab's session is %q, want ended: the browser holds one session", st)
	}
}

// REQ-SES-02: a flow someone else began with the __client they planted
// in the browser is not taken up by that browser once it has signed in
// (the browser's own flows from before are; the tests above).
func TestPlantedClientsFlowNotTakenUpAfterSignIn_REQ_SES_02(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	signUp(t, p, newBrowser(t, p), "ada@example.com", "")

	attacker := newBrowser(t, p)
	verify := attacker.submit(attacker.get("/sign-up"), signUpForm, map[string]string{
		"email_address": "mallory@example.com", "password": goodPassword, "first_name": "M", "last_name": "M"})
	if verify.Status != http.StatusOK {
		t.Fatalf("attacker's sign-up: %d:\n%s", verify.Status, verify.text())
	}
	code := p.SMTP.WaitFor(t, "mallory@example.com", mailWait).Code()
	victim := newBrowser(t, p)
	plant(t, attacker, victim)
	wantHandBack(t, signIn(t, victim, "ada@example.com", goodPassword, appURL), http.StatusSeeOther, appURL)

	// The victim's browser, led to the attacker's flow with its code.
	pg := victim.get(verify.URL.RequestURI())
	if pg.Status != http.StatusGone {
		t.Errorf("the attacker's verify page in the victim's browser: %d, want 410:\n%s", pg.Status, pg.text())
	}
	action, vals := victim.formValues(verify, verifyForm, map[string]string{"code": code})
	vals.Set("_csrf", victim.csrf())
	done := victim.send(victim.request(http.MethodPost, action.String(), vals))
	if done.setCookie("__session") != nil && done.setCookie("__session").Value != "" {
		t.Errorf("the victim's browser finished the attacker's sign-up: %d to %q", done.Status, done.Header.Get("Location"))
	}
}

// The verify form of a sign-up left open in another tab, sent twice (a
// double click) after this browser signed in elsewhere: the second copy,
// which still carries the client the browser held before the sign-up
// finished, follows to the app too (REQ-SES-02's 10 s handoff), instead of
// saying the sign-up has expired.
func TestSignUpInOneTabAfterSigningInInAnotherDoubleSubmit_REQ_SES_02(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	signUp(t, p, newBrowser(t, p), "ada@example.com", "")

	b := newBrowser(t, p)
	verifyPage := b.submit(b.get(withRedirect("/sign-up", appURL)), signUpForm, map[string]string{
		"email_address": "grace@example.com", "password": goodPassword, "first_name": "Grace", "last_name": "Hopper"})
	code := p.SMTP.WaitFor(t, "grace@example.com", mailWait).Code()
	wantHandBack(t, signIn(t, b, "ada@example.com", goodPassword, appURL), http.StatusSeeOther, appURL)

	held := b.cookie("__client")
	wantHandBack(t, b.submit(verifyPage, verifyForm, map[string]string{"code": code}), http.StatusSeeOther, appURL)
	b.jar.SetCookies(b.base, []*http.Cookie{{Name: "__client", Value: held, Path: "/"}}) // the second copy's cookie
	second := b.submit(verifyPage, verifyForm, map[string]string{"code": code})
	tok := wantHandBack(t, second, http.StatusSeeOther, appURL)
	if c, _ := verify(t, p, tok); c.SID != activeSessionOf(t, p, "grace@example.com") {
		t.Errorf("the second answer's token is not Grace's session")
	}
	if second.setCookie("__client") == nil {
		t.Errorf("the second answer does not give the browser the new client")
	}
}

// An email link asked for in one tab, opened in a third tab after a second
// tab of the same browser signed in: it is this browser's own link, so it
// signs in here and goes on to the app, rather than saying the person was
// signed in on another device.
func TestLinkOpenedInThisBrowserAfterAnotherTabSignedIn_REQ_SES_02(t *testing.T) {
	p, _, b, _, link := startLink(t, linkEnv)

	// The second tab signs in with the password.
	other := b.submit(b.get(withRedirect("/sign-in", appOrigin+"/other")), signInForm, map[string]string{"identifier": "ada@example.com"})
	pw := b.submit(other, `form.cl-alternativeMethods`, map[string]string{"strategy": "password"})
	first, _ := verify(t, p, wantHandBack(t, b.submit(pw, passwordForm, map[string]string{"password": goodPassword}), http.StatusSeeOther, appOrigin+"/other"))

	// The third tab opens the first tab's link.
	done := b.submit(b.get(link), linkConfirmForm, nil)
	wantHandBack(t, done, http.StatusSeeOther, appURL)
	if st := sessionStatus(t, p, first.SID); st != "ended" {
		t.Errorf("the second tab's session is %q, want ended: the browser holds one session", st)
	}
}

// "Resend code" pressed on a code page left behind after the code signed
// in (the back button, another tab) goes on to the app, as the other
// buttons of a finished sign-in do, and sends nothing.
func TestResendOnAFinishedSignInGoesToTheApp(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{Env: map[string]string{"PORTAL_FACTORS": "email_code"}})
	signUp(t, p, newBrowser(t, p), "ada@example.com", "")
	b := newBrowser(t, p)
	codePage := b.submit(b.get(withRedirect("/sign-in", appURL)), signInForm, map[string]string{"identifier": "ada@example.com"})
	code := p.SMTP.WaitFor(t, "ada@example.com", mailWait).Code()
	wantHandBack(t, b.submit(codePage, codeForm, map[string]string{"code": code}), http.StatusSeeOther, appURL)
	before := len(mailTo(p.SMTP, "ada@example.com"))
	clock.Advance(31 * time.Second)

	resend := `form[action="/sign-in/factor-one/prepare"]:has(input[name="strategy"][value="email_code"])`
	wantHandBack(t, b.submit(codePage, resend, nil), http.StatusSeeOther, appURL)
	if n := len(mailTo(p.SMTP, "ada@example.com")) - before; n != 0 {
		t.Errorf("%d emails sent by Resend on a finished sign-in, want none", n)
	}
}
