package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// With email codes as the only factor the identifier step sends the code
// at once and shows where to type it; there is no password anywhere.
func TestPasswordlessEmailCode(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_FACTORS": "email_code"}})
	up := newBrowser(t, p)
	if form := up.get("/sign-up"); form.Doc.Find(`input[name="password"]`).Length() != 0 {
		t.Error("the sign-up form asks for a password")
	}
	if done := signUp(t, p, up, "ada@example.com", appURL); done.Status != http.StatusSeeOther {
		t.Fatalf("sign-up: status %d:\n%s", done.Status, done.text())
	}

	b := newBrowser(t, p)
	codePage := b.submit(b.get(withRedirect("/sign-in", appURL)), signInForm, map[string]string{"identifier": "ada@example.com"})
	wantText(t, "after the identifier", codePage, http.StatusOK, "Check your email", "ada@example.com")
	if codePage.Doc.Find(codeForm+` input[name="code"]`).Length() == 0 || codePage.Doc.Find(`input[name="password"]`).Length() != 0 {
		t.Fatalf("want the code form and no password field:\n%s", codePage.Body)
	}
	m := p.SMTP.WaitFor(t, "ada@example.com", mailWait)
	if !strings.Contains(m.Text, "to sign in") {
		t.Errorf("the email does not say it is for signing in:\n%s", m.Text)
	}
	wantHandBack(t, b.submit(codePage, codeForm, map[string]string{"code": m.Code()}), http.StatusSeeOther, appURL)
}

// REQ-RL-04, REQ-OTP-10: past PORTAL_SEND_LIMIT_PER_IDENTIFIER_HOUR sends
// to one address, "Resend" explains the cap; the code already sent still
// works.
func TestSendCapOverHTTP_REQ_RL_04(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{Env: map[string]string{
		"PORTAL_FACTORS": "email_code,password", "PORTAL_SEND_LIMIT_PER_IDENTIFIER_HOUR": "2"}})
	signUp(t, p, newBrowser(t, p), "ada@example.com", "")
	clock.Advance(time.Hour + time.Second) // the sign-up's code leaves the window

	b := newBrowser(t, p)
	codePage := b.submit(b.get(withRedirect("/sign-in", appURL)), signInForm, map[string]string{"identifier": "ada@example.com"})
	wantText(t, "first send", codePage, http.StatusOK, "Check your email")
	p.SMTP.WaitFor(t, "ada@example.com", mailWait)

	early := b.submit(codePage, prepareForm, nil)
	wantText(t, "resend at once", early, http.StatusTooManyRequests, "You can ask for a new code in 30 seconds")

	clock.Advance(31 * time.Second)
	second := b.submit(codePage, prepareForm, nil)
	wantText(t, "second send", second, http.StatusOK, "Check your email")
	code := p.SMTP.WaitFor(t, "ada@example.com", mailWait).Code()

	clock.Advance(31 * time.Second)
	capped := b.submit(second, prepareForm, nil)
	wantText(t, "third send", capped, http.StatusTooManyRequests,
		"Too many codes were sent to this email address or phone number recently")
	if capped.Doc.Find(codeForm+` input[name="code"]`).Length() == 0 {
		t.Errorf("the capped page does not keep the code form:\n%s", capped.Body)
	}
	if n := len(p.SMTP.Messages()); n != 3 {
		t.Errorf("%d emails in all, want 3 (sign-up and two sign-in codes)", n)
	}
	wantHandBack(t, b.submit(capped, codeForm, map[string]string{"code": code}), http.StatusSeeOther, appURL)
}
