package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/testutil/portaltest"
)

func inputValue(pg *page, name string) (string, bool) {
	return pg.Doc.Find(`input[name="` + name + `"]`).First().Attr("value")
}

// REQ-PW-01: a too-short password re-renders the form with the reason,
// keeping what was typed except the password.
func TestSignUpShortPasswordKeepsTheForm_REQ_PW_01(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	b := newBrowser(t, p)
	typed := map[string]string{"email_address": "grace@example.com", "password": "tiny-secret",
		"first_name": "Grace", "last_name": "Hopper"}
	pg := b.submit(b.get("/sign-up"), signUpForm, typed)

	if pg.Status != http.StatusUnprocessableEntity {
		t.Fatalf("status %d, want 422", pg.Status)
	}
	if !strings.Contains(pg.text(), "at least 15 characters") {
		t.Errorf("the page does not say why:\n%s", pg.text())
	}
	for _, name := range []string{"email_address", "first_name", "last_name"} {
		if v, _ := inputValue(pg, name); v != typed[name] {
			t.Errorf("%s = %q, want %q kept", name, v, typed[name])
		}
	}
	if v, has := inputValue(pg, "password"); has || strings.Contains(pg.Body, typed["password"]) {
		t.Errorf("the password is echoed back (value %q)", v)
	}
	if n := len(p.SMTP.Messages()); n != 0 {
		t.Errorf("%d emails sent for an invalid form", n)
	}
}

// verifyPage starts a sign-up and returns the verify page and the emailed code.
func verifyPage(t *testing.T, p *portaltest.Portal, b *browser, email string) (*page, string) {
	t.Helper()
	pg := b.submit(b.get("/sign-up"), signUpForm, map[string]string{
		"email_address": email, "password": goodPassword, "first_name": "Ada", "last_name": "Lovelace"})
	if pg.Status != http.StatusOK {
		t.Fatalf("sign-up: status %d:\n%s", pg.Status, pg.text())
	}
	return pg, p.SMTP.WaitFor(t, email, mailWait).Code()
}

// otherCode returns a well-formed code that is not code.
func otherCode(code string) string {
	d := (code[0]-'0'+1)%10 + '0'
	return string(d) + code[1:]
}

// REQ-OTP-04: a wrong code says so; after five wrong codes even the right
// one is refused.
func TestWrongCodes_REQ_OTP_04(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	b := newBrowser(t, p)
	verify, code := verifyPage(t, p, b, "ada@example.com")

	for i := range 5 {
		pg := b.submit(verify, verifyForm, map[string]string{"code": otherCode(code)})
		if pg.Status != http.StatusUnprocessableEntity || !strings.Contains(pg.text(), "That code is incorrect") {
			t.Fatalf("wrong code %d: status %d:\n%s", i+1, pg.Status, pg.text())
		}
	}
	pg := b.submit(verify, verifyForm, map[string]string{"code": code})
	if !strings.Contains(pg.text(), "Too many incorrect attempts") {
		t.Errorf("right code after 5 wrong ones: status %d:\n%s", pg.Status, pg.text())
	}
	if pg.Status < 400 || pg.setCookie("__session") != nil || pg.Header.Get("Location") != "" {
		t.Errorf("right code after 5 wrong ones: status %d Location %q, want a refusal", pg.Status, pg.Header.Get("Location"))
	}
}

// REQ-OTP-03: a flow belongs to the browser that started it; another
// browser holding its ID is told it has expired.
func TestFlowOfAnotherBrowser_REQ_OTP_03(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	owner := newBrowser(t, p)
	verify, code := verifyPage(t, p, owner, "ada@example.com")
	signUpID, _ := verify.Doc.Find(verifyForm + ` input[name="sign_up"]`).Attr("value")
	step := passwordStep(t, owner, "someone@example.com", "")
	signInID, _ := step.Doc.Find(passwordForm + ` input[name="sign_in"]`).Attr("value")

	thief := newBrowser(t, p)
	for _, path := range []string{
		"/sign-up/verify-email-address?sign_up=" + signUpID,
		"/sign-in/factor-one?sign_in=" + signInID,
	} {
		pg := thief.get(path)
		if pg.Status != http.StatusGone || !strings.Contains(pg.text(), "expired") {
			t.Errorf("GET %s from another browser: status %d:\n%s", path, pg.Status, pg.text())
		}
	}
	// Even with the right code and a valid CSRF token of its own.
	pg := thief.submit(verify, verifyForm, map[string]string{"code": code, "_csrf": thief.csrf()})
	if pg.Status != http.StatusGone || pg.setCookie("__session") != nil {
		t.Errorf("POST of another browser's flow: status %d:\n%s", pg.Status, pg.text())
	}
	// The owner can still finish.
	done := owner.submit(verify, verifyForm, map[string]string{"code": code})
	if done.Status != http.StatusOK || done.URL.Path != "/" || owner.cookie("__session") == "" {
		t.Errorf("the owner could not finish: status %d at %s via %v", done.Status, done.URL, done.Via)
	}
}

// A second submit of a step that already signed the browser in (a double
// click, or the back button and the form sent again) goes on to the app as
// the first did, rather than saying the sign-in or sign-up has expired; a
// reload of the step's page does too. A browser that signed out since is
// still told it has expired, and gets no session.
func TestSecondSubmitAfterFinishingGoesToTheApp(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	up := newBrowser(t, p)
	verify := up.submit(up.get(withRedirect("/sign-up", appURL)), signUpForm, map[string]string{
		"email_address": "ada@example.com", "password": goodPassword})
	code := p.SMTP.WaitFor(t, "ada@example.com", mailWait).Code()
	wantHandBack(t, up.submit(verify, verifyForm, map[string]string{"code": code}), http.StatusSeeOther, appURL)
	wantHandBack(t, up.submit(verify, verifyForm, map[string]string{"code": code}), http.StatusSeeOther, appURL)
	wantHandBack(t, up.get(flowPath(verify)), http.StatusSeeOther, appURL)

	in := newBrowser(t, p)
	step := passwordStep(t, in, "ada@example.com", appURL)
	wantHandBack(t, in.submit(step, passwordForm, map[string]string{"password": goodPassword}), http.StatusSeeOther, appURL)
	wantHandBack(t, in.submit(step, passwordForm, map[string]string{"password": goodPassword}), http.StatusSeeOther, appURL)
	wantHandBack(t, in.get(flowPath(step)), http.StatusSeeOther, appURL)

	in.submit(in.get("/sign-out"), signOutForm, nil)
	again := in.submit(step, passwordForm, map[string]string{"password": goodPassword})
	wantText(t, "the same form after signing out", again, http.StatusGone, "expired")
	noSession(t, "the same form after signing out", again)
}

// A sign-up that is over (finished, or expired) says so on its own page
// with a way to start the sign-up again, also when "Resend code" is
// pressed on a page left open, rather than showing the code form again
// with the message above it; and "Start again" goes to the sign-up form,
// not to sign-in.
func TestFinishedSignUpResendSaysStartAgain(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{})
	b := newBrowser(t, p)
	verify, code := verifyPage(t, p, b, "ada@example.com")
	b.submit(verify, verifyForm, map[string]string{"code": code})
	b.submit(b.get("/sign-out"), signOutForm, nil)

	resend := b.submit(verify, `form[action="/sign-up/verify-email-address/resend"]`, nil)
	wantText(t, "resend of a finished sign-up", resend, http.StatusGone, "This sign-up has expired")
	if n := resend.Doc.Find(verifyForm).Length(); n != 0 {
		t.Errorf("the expired sign-up still shows its code form:\n%s", resend.Body)
	}
	if href := resend.Doc.Find(`a:contains("Start again")`).AttrOr("href", ""); href != "/sign-up" {
		t.Errorf("Start again goes to %q, want /sign-up", href)
	}

	other := newBrowser(t, p)
	stale, _ := verifyPage(t, p, other, "bob@example.com")
	clock.Advance(3 * time.Hour)
	gone := other.get(flowPath(stale))
	wantText(t, "an expired sign-up", gone, http.StatusGone, "This sign-up has expired")
	if href := gone.Doc.Find(`a:contains("Start again")`).AttrOr("href", ""); href != "/sign-up" {
		t.Errorf("Start again on an expired sign-up goes to %q, want /sign-up", href)
	}
}

// "Start again" on an expired sign-in or sign-up keeps the app the flow
// was to return to, so starting over still ends there; another browser
// opening the same flow's address learns nothing of it and starts plain.
func TestStartAgainKeepsTheAppToReturnTo(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{})
	signUp(t, p, newBrowser(t, p), "ada@example.com", "")
	startAgain := func(pg *page) string {
		t.Helper()
		return pg.Doc.Find(`a:contains("Start again")`).AttrOr("href", "")
	}

	b := newBrowser(t, p)
	pw := passwordStep(t, b, "ada@example.com", appURL)
	up := b.submit(b.get(withRedirect("/sign-up", appURL)), signUpForm, map[string]string{
		"email_address": "bob@example.com", "password": goodPassword, "first_name": "Bob", "last_name": "Babbage"})
	if up.Status != http.StatusOK {
		t.Fatalf("sign-up: status %d:\n%s", up.Status, up.text())
	}
	clock.Advance(31 * time.Minute) // past the flows' half hour

	late := b.submit(pw, passwordForm, map[string]string{"password": goodPassword})
	wantText(t, "an expired sign-in", late, http.StatusGone, "This sign-in has expired")
	if href, want := startAgain(late), withRedirect("/sign-in", appURL); href != want {
		t.Fatalf("Start again on an expired sign-in goes to %q, want %q", href, want)
	}
	wantHandBack(t, b.submit(b.submit(b.get(startAgain(late)), signInForm, map[string]string{"identifier": "ada@example.com"}),
		passwordForm, map[string]string{"password": goodPassword}), http.StatusSeeOther, appURL)

	gone := b.get(flowPath(up))
	wantText(t, "an expired sign-up", gone, http.StatusGone, "This sign-up has expired")
	if href, want := startAgain(gone), withRedirect("/sign-up", appURL); href != want {
		t.Errorf("Start again on an expired sign-up goes to %q, want %q", href, want)
	}

	other := newBrowser(t, p)
	passwordStep(t, other, "ada@example.com", "")
	if href := startAgain(other.get(flowPath(pw))); href != "/sign-in" {
		t.Errorf("another browser's Start again goes to %q, want a plain /sign-in", href)
	}
}

// "Change" on the verify step goes back to the sign-up form with what was
// typed (all but the password) and the app to return to, so that fixing a
// mistyped address does not mean typing everything again, and puts the
// person in the address field.
func TestSignUpChangeKeepsWhatWasTyped(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	b := newBrowser(t, p)
	typed := map[string]string{"email_address": "ada@exmaple.com", "first_name": "Ada", "last_name": "Lovelace"}
	fields := map[string]string{"password": goodPassword}
	for k, v := range typed {
		fields[k] = v
	}
	verify := signUpWith(b, fields, appURL)
	wantText(t, "after the sign-up form", verify, http.StatusOK, "Verify your email")
	href, ok := verify.Doc.Find(`a.cl-identityPreviewEditButton`).Attr("href")
	if !ok {
		t.Fatalf("the verify step has no Change link:\n%s", verify.Body)
	}
	form := b.get(href)
	wantText(t, "after Change", form, http.StatusOK, "Create your account")
	for name, want := range typed {
		if v, _ := inputValue(form, name); v != want {
			t.Errorf("after Change %s = %q, want %q kept", name, v, want)
		}
	}
	if v, _ := inputValue(form, "password"); v != "" {
		t.Errorf("after Change the password is filled in")
	}
	if v, _ := inputValue(form, "redirect_url"); v != appURL {
		t.Errorf("after Change redirect_url = %q, want %q", v, appURL)
	}
	// The person came back to fix the address: they land in it, not in
	// First name.
	if focused := form.Doc.Find(`input[autofocus]`); focused.Length() != 1 || focused.AttrOr("name", "") != "email_address" {
		t.Errorf("after Change the focus is on %d fields, first %q; want the email address alone",
			focused.Length(), focused.AttrOr("name", ""))
	}
	// A refusal on the form still takes the person to the field at fault.
	refused := b.submit(form, signUpForm, map[string]string{"password": "short"})
	if focused := refused.Doc.Find(`input[autofocus]`); focused.AttrOr("name", "") != "password" {
		t.Errorf("after a refused password the focus is on %q, want the password", focused.AttrOr("name", ""))
	}
}

// A code is read as people type it: in full-width digits from a Japanese
// keyboard, in two groups, with spaces around; the code field leaves that
// to the portal (no pattern for the browser to refuse it with a message
// of its own, in its own language).
func TestCodesAsTyped(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	b := newBrowser(t, p)
	verify, code := verifyPage(t, p, b, "ada@example.com")
	if _, ok := verify.Doc.Find(`#code-field`).Attr("pattern"); ok {
		t.Errorf("the code field has a pattern: the browser would refuse \"123 456\" in words of its own")
	}
	fullWidth := strings.Map(func(r rune) rune { return r - '0' + '０' }, code)
	typed := " " + fullWidth[:9] + " " + fullWidth[9:] + " " // three full-width digits are 9 bytes
	wantText(t, "code typed in groups of full-width digits", b.submit(verify, verifyForm, map[string]string{"code": typed}), http.StatusOK, "You're signed in")
}

// A code sent late in a sign-up's half hour works for the ten minutes its
// email promises: sending it extends the sign-up to at least as long.
func TestLateCodeLivesAsLongAsItsEmailSays(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{})
	b := newBrowser(t, p)
	verify, _ := verifyPage(t, p, b, "ada@example.com")
	clock.Advance(25 * time.Minute)
	resent := b.submit(verify, `form[action="/sign-up/verify-email-address/resend"]`, nil)
	wantText(t, "resent", resent, http.StatusOK, "ada@example.com")
	mails := mailTo(p.SMTP, "ada@example.com")
	if len(mails) != 2 || !strings.Contains(mails[1].Text, "10 minutes") {
		t.Fatalf("%d emails; the last says:\n%s", len(mails), mails[len(mails)-1].Text)
	}
	clock.Advance(8 * time.Minute) // 33 minutes in: past the sign-up's first half hour
	wantText(t, "the late code", b.submit(resent, verifyForm, map[string]string{"code": mails[1].Code()}),
		http.StatusOK, "You're signed in")
}
