package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// wantNoSentClaim fails when a page whose code or link never went out
// still says one was sent.
func wantNoSentClaim(t *testing.T, what string, pg *page) {
	t.Helper()
	for _, claim := range []string{"we sent", "we texted", "Waiting for you to open the link"} {
		if strings.Contains(pg.text(), claim) {
			t.Errorf("%s: the page says %q although nothing was sent:\n%s", what, claim, pg.text())
		}
	}
}

// When the mail server refuses the sign-up's code, the verify page says
// the email could not be sent, and nothing above it claims "Enter the code
// we sent to …". Opened again, it says no code came and how to get one;
// "Resend code" then sends one that finishes the sign-up.
func TestSignUpCodeNotSentSaysSo(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	p.SMTP.Refuse("ada@example.com")
	b := newBrowser(t, p)
	failed := signUpWith(b, map[string]string{"email_address": "ada@example.com", "password": goodPassword, "first_name": "Ada"}, appURL)
	wantText(t, "the sign-up whose email failed", failed, http.StatusServiceUnavailable, "Verify your email",
		"We couldn't send the email just now.", "Resend code")
	wantNoSentClaim(t, "the sign-up whose email failed", failed)

	again := b.get("/sign-up/verify-email-address?sign_up=" + failed.Doc.Find(`input[name=sign_up]`).First().AttrOr("value", ""))
	wantText(t, "the verify page opened again", again, http.StatusOK,
		"We couldn't email a code to ada@example.com. Press “Resend code” to try again.")
	wantNoSentClaim(t, "the verify page opened again", again)

	p.SMTP.Accept("ada@example.com")
	sent := b.submit(again, `form[action="/sign-up/verify-email-address/resend"]`, nil)
	wantText(t, "after Resend code", sent, http.StatusOK, "Enter the code we sent to ada@example.com.")
	if strings.Contains(sent.text(), "couldn't") {
		t.Errorf("after the code was sent, the page still says it wasn't:\n%s", sent.text())
	}
	code := p.SMTP.WaitFor(t, "ada@example.com", mailWait).Code()
	wantHandBack(t, b.submit(sent, verifyForm, map[string]string{"code": code}), http.StatusSeeOther, appURL)
}

// The same for a sign-up verified by an emailed link: the waiting page
// neither says a link was sent nor waits for one (no self-refresh), and
// "Resend link" sends one.
func TestSignUpLinkNotSentSaysSo(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{Env: signUpLinkEnv})
	p.SMTP.Refuse("ada@example.com")
	b := newBrowser(t, p)
	failed := signUpWith(b, map[string]string{"email_address": "ada@example.com", "first_name": "Ada"}, appURL)
	wantText(t, "the sign-up whose link failed", failed, http.StatusServiceUnavailable, "We couldn't send the email just now.")
	wantNoSentClaim(t, "the sign-up whose link failed", failed)
	if failed.Doc.Find(`script[src="/static/wait.js"]`).Length() > 0 {
		t.Errorf("the page reloads itself waiting for a link that was never sent")
	}
	again := b.get("/sign-up/verify-email-address?sign_up=" + failed.Doc.Find(`input[name=sign_up]`).First().AttrOr("value", ""))
	wantText(t, "the waiting page opened again", again, http.StatusOK,
		"We couldn't email a link to ada@example.com. Press “Resend link” to try again.")
	wantNoSentClaim(t, "the waiting page opened again", again)

	p.SMTP.Accept("ada@example.com")
	sent := b.submit(again, `form[action="/sign-up/verify-email-address/resend"]`, nil)
	wantText(t, "after Resend link", sent, http.StatusOK, "Waiting for you to open the link")
	if sent.Doc.Find(`script[src="/static/wait.js"]`).Length() == 0 {
		t.Errorf("the page no longer reloads itself waiting for the link it sent")
	}
	waitMail(t, p, "ada@example.com", 0)
}

// A sign-up by phone whose text the provider refused says it could not be
// texted, and "Resend code" texts one.
func TestSignUpTextNotSentSaysSo(t *testing.T) {
	p, _, tw := startTwilio(t, phoneEnv)
	tw.FailNext(http.StatusServiceUnavailable, 30001, "Queue overflow")
	b := newBrowser(t, p)
	failed := signUpWith(b, map[string]string{"phone_number": "+1 415 555 0100", "password": goodPassword, "first_name": "Ada"}, appURL)
	wantText(t, "the sign-up whose text failed", failed, failed.Status, "Verify your phone number")
	if failed.Status == http.StatusOK {
		t.Fatalf("the failed text was answered 200:\n%s", failed.text())
	}
	wantNoSentClaim(t, "the sign-up whose text failed", failed)

	again := b.get("/sign-up/verify-phone-number?sign_up=" + failed.Doc.Find(`input[name=sign_up]`).First().AttrOr("value", ""))
	wantText(t, "the verify page opened again", again, http.StatusOK, "We couldn't text a code to", "Press “Resend code” to try again.")
	wantNoSentClaim(t, "the verify page opened again", again)

	sent := b.submit(again, phoneResendForm, nil)
	wantText(t, "after Resend code", sent, http.StatusOK, "Enter the code we sent to")
	wantHandBack(t, b.submit(sent, phoneVerifyForm, map[string]string{"code": smsTo(t, tw, adaPhone).Code()}),
		http.StatusSeeOther, appURL)
}

// Signing in by an emailed code or link, sent as the identifier is given:
// when the mail server refuses it, the identifier step stays, with what
// was typed and the reason, rather than a step asking for a code or link
// that never came.
func TestSignInCodeOrLinkNotSentStaysOnTheIdentifier(t *testing.T) {
	for _, factor := range []string{"email_code", "email_link"} {
		t.Run(factor, func(t *testing.T) {
			p := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_FACTORS": factor}})
			apiUser(t, p, "grace@example.com")
			p.SMTP.Refuse("grace@example.com")
			b := newBrowser(t, p)
			failed := b.submit(b.get(withRedirect("/sign-in", appURL)), signInForm, map[string]string{"identifier": "grace@example.com"})
			wantText(t, "the step whose email failed", failed, http.StatusServiceUnavailable, "We couldn't send the email just now.")
			wantNoSentClaim(t, "the step whose email failed", failed)
			if v := failed.Doc.Find(`input[name=identifier]`).AttrOr("value", ""); v != "grace@example.com" {
				t.Errorf("the identifier field holds %q, want what was typed", v)
			}
		})
	}
}

// REQ-RL-05 with the mail server down: a sign-up with an address that has
// an account (whose owner's notice fails to go) reads exactly as one with
// a new address (whose code fails to go), on the answer to the form and on
// the verify page opened again, whether by code or by link; and no query
// parameter makes a page say "not sent" for a code that went.
func TestNotSentPagesDoNotRevealAccounts_REQ_RL_05(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
	}{{"code", nil}, {"link", signUpLinkEnv}} {
		t.Run(tc.name, func(t *testing.T) {
			p := portaltest.Start(t, portaltest.Options{Env: tc.env})
			apiUser(t, p, knownEmail)
			const newEmail = "newcomer@example.com"
			p.SMTP.Refuse(knownEmail)
			p.SMTP.Refuse(newEmail)
			try := func(email string) (failed, again *page) {
				b := newBrowser(t, p)
				failed = signUpWith(b, map[string]string{"email_address": email, "password": goodPassword,
					"first_name": "Eve"}, appURL)
				flowID := failed.Doc.Find(`input[name=sign_up]`).First().AttrOr("value", "")
				if flowID == "" {
					t.Fatalf("%s: no sign-up on the page:\n%s", email, failed.text())
				}
				path := "/sign-up/verify-email-address?sign_up="
				return failed, b.get(path + flowID)
			}
			kf, ka := try(knownEmail)
			nf, na := try(newEmail)
			if nf.Status != http.StatusServiceUnavailable {
				t.Errorf("the new address's sign-up: status %d, want 503 (the email failed)", nf.Status)
			}
			sameAnswer(t, "the form's answer, mail server down", kf, nf, knownEmail, newEmail)
			sameAnswer(t, "the verify page opened again, mail server down", ka, na, knownEmail, newEmail)
			wantNoSentClaim(t, "the new address's page", na)

			// A sent code is announced as sent whatever the URL adds.
			p.SMTP.Accept(newEmail)
			b := newBrowser(t, p)
			sent := signUpWith(b, map[string]string{"email_address": newEmail, "password": goodPassword,
				"first_name": "Eve"}, appURL)
			forced := b.get(sent.URL.RequestURI() + "&not_sent=1&notice=not_sent&error=not_sent")
			if strings.Contains(forced.text(), "couldn't") {
				t.Errorf("query parameters made the page say nothing was sent:\n%s", forced.text())
			}
		})
	}
}
