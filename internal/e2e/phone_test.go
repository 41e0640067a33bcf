package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/testutil/portaltest"
	"github.com/portalhq/portal/internal/testutil/twiliotest"
	"github.com/portalhq/portal/internal/user"
)

const (
	adaPhone = "+14155550100"
	bobPhone = "+14155550101"
	ukPhone  = "+447400123456"
)

// phoneEnv takes email or phone at sign-up (only the password is required)
// and offers the password first at sign-in.
var phoneEnv = map[string]string{"PORTAL_IDENTIFIERS": "email,phone", "PORTAL_SIGN_UP_REQUIRED": "password"}

// signUpByPhone signs up with number alone and returns the verify page's
// answer to the texted code.
func signUpByPhone(t *testing.T, b *browser, tw *twiliotest.Server, number, e164, target string) *page {
	t.Helper()
	verify := signUpWith(b, map[string]string{"phone_number": number, "password": goodPassword, "first_name": "Ada"}, target)
	wantText(t, "after the sign-up form", verify, http.StatusOK, "Verify your phone number")
	return b.submit(verify, phoneVerifyForm, map[string]string{"code": smsTo(t, tw, e164).Code()})
}

// Sign-up with a phone number texts a code through Twilio's Messages API
// (as the configured account and sender) and creates an account with the
// number verified in E.164; the number then signs in by texted code.
func TestPhoneSignUpAndSignIn_REQ_IN_07(t *testing.T) {
	p, _, tw := startTwilio(t, phoneEnv)
	b := newBrowser(t, p)
	verify := signUpWith(b, map[string]string{"phone_number": "+1 (415) 555-0100", "password": goodPassword}, appURL)
	wantText(t, "after the sign-up form", verify, http.StatusOK, "Verify your phone number", "+1 415-555-0100")
	m := smsTo(t, tw, adaPhone)
	if !strings.Contains(m.Body, "to verify your phone number") || !strings.Contains(m.Body, "#"+m.Code()) {
		t.Errorf("text body %q: want the purpose and the @domain #code line", m.Body)
	}
	wantHandBack(t, b.submit(verify, phoneVerifyForm, map[string]string{"code": m.Code()}), http.StatusSeeOther, appURL)
	wantVerified(t, p, user.Phone, adaPhone)
	if len(p.SMTP.Messages()) != 0 {
		t.Error("a phone-only sign-up sent email")
	}

	// Sign in: the password comes first; the text is one button away.
	in := newBrowser(t, p)
	step := passwordStep(t, in, "+1 415 555 0100", appURL)
	codePage := in.submit(step, prepareForm, map[string]string{"strategy": "phone_code"})
	wantText(t, "after choosing the text", codePage, http.StatusOK, "Check your phone", "+1 415-555-0100")
	m = smsTo(t, tw, adaPhone)
	if !strings.Contains(m.Body, "to sign in") {
		t.Errorf("sign-in text %q does not say what it is for", m.Body)
	}
	wantHandBack(t, in.submit(codePage, codeForm, map[string]string{"code": m.Code()}), http.StatusSeeOther, appURL)
}

// The sign-in steps show a typed phone number as sign-up does ("+1
// 415-555-0100", not "+14155550100"): on the password step, its "Text a
// code" choice, the code step, the reset choices and the new-password
// step. Password managers still get the number as the account keeps it.
func TestSignInShowsThePhoneNumberAsSignUpDoes(t *testing.T) {
	p, _, tw := startTwilio(t, phoneEnv)
	wantHandBack(t, signUpByPhone(t, newBrowser(t, p), tw, "+1 (415) 555-0100", adaPhone, appURL), http.StatusSeeOther, appURL)
	const shown = "+1 415-555-0100"
	formatted := func(what string, pg *page, texts ...string) {
		t.Helper()
		wantText(t, what, pg, http.StatusOK, texts...)
		if strings.Contains(pg.text(), adaPhone) {
			t.Errorf("%s shows the raw %s:\n%s", what, adaPhone, pg.text())
		}
	}

	b := newBrowser(t, p)
	step := passwordStep(t, b, "+1 415 555 0100", "")
	formatted("the password step", step, shown, "Text a code to "+shown)
	if v := step.Doc.Find(`input[name="username"]`).AttrOr("value", ""); v != adaPhone {
		t.Errorf("the password manager's username is %q, want %q", v, adaPhone)
	}
	formatted("the code step", b.submit(step, prepareForm, map[string]string{"strategy": "phone_code"}), "Check your phone", shown)
	smsTo(t, tw, adaPhone)

	r := newBrowser(t, p)
	forgot := forgotPage(t, r, "+1 415 555 0100")
	formatted("the reset choices", forgot, "Text a reset code to "+shown)
	codePage := r.submit(forgot, prepareForm, map[string]string{"strategy": "reset_password_phone_code"})
	formatted("the reset code step", codePage, shown)
	choose := newPasswordPage(t, r.submit(codePage, codeForm, map[string]string{"code": smsTo(t, tw, adaPhone).Code()}))
	formatted("the new-password step", choose, shown)
	if v := choose.Doc.Find(`input[name="username"]`).AttrOr("value", ""); v != adaPhone {
		t.Errorf("the new-password step's username for password managers is %q, want %q", v, adaPhone)
	}
}

// With phone numbers only, national input is read in the default region;
// the code is texted as soon as the number is entered; an unknown number,
// or a taken one at sign-up, sees the same steps and nothing is texted:
// texts go only to numbers verified or being verified by their owner
// (REQ-OTP-06, REQ-RL-05).
func TestPhoneOnlyInstance_REQ_OTP_06(t *testing.T) {
	p, _, tw := startTwilio(t, map[string]string{"PORTAL_IDENTIFIERS": "phone", "PORTAL_FACTORS": "phone_code",
		"PORTAL_PHONE_DEFAULT_REGION": "US"})
	wantHandBack(t, signUpByPhone(t, newBrowser(t, p), tw, "(415) 555-0100", adaPhone, appURL), http.StatusSeeOther, appURL)

	b := newBrowser(t, p)
	codePage := b.submit(b.get(withRedirect("/sign-in", appURL)), signInForm, map[string]string{"identifier": "415.555.0100"})
	wantText(t, "after the number", codePage, http.StatusOK, "Check your phone")
	wantHandBack(t, b.submit(codePage, codeForm, map[string]string{"code": smsTo(t, tw, adaPhone).Code()}),
		http.StatusSeeOther, appURL)

	stranger := newBrowser(t, p)
	pg := stranger.submit(stranger.get("/sign-in"), signInForm, map[string]string{"identifier": "415 555 0101"})
	wantText(t, "an unknown number", pg, http.StatusOK, "Check your phone")
	// Signing up again with a taken number looks the same and texts nothing.
	again := signUpWith(newBrowser(t, p), map[string]string{"phone_number": "+1 415 555 0100"}, "")
	wantText(t, "a taken number at sign-up", again, http.StatusOK, "Verify your phone number")
	if n := len(tw.Messages()); n != 2 {
		t.Errorf("%d texts sent, want 2 (sign-up and sign-in): an unknown or taken number got one", n)
	}
}

// A number Twilio refuses gets the reason on the page; and
// "Resend code" texts it at once.
func TestPhoneProviderErrorThenResend(t *testing.T) {
	p, _, tw := startTwilio(t, phoneEnv)
	b := newBrowser(t, p)
	tw.FailNext(http.StatusBadRequest, 21211, "The 'To' number +14155550100 is not a valid phone number.")
	failed := signUpWith(b, map[string]string{"phone_number": adaPhone, "password": goodPassword}, appURL)
	wantText(t, "after Twilio refused", failed, http.StatusUnprocessableEntity, "This number can't receive text messages")
	if strings.Contains(failed.Body, "21211") || strings.Contains(failed.Body, "twilio") {
		t.Errorf("the page shows the provider's details:\n%s", failed.text())
	}
	noTexts(t, tw)

	// A text that never left is forgotten: no cooldown before asking again.
	resent := b.submit(failed, phoneResendForm, nil)
	wantText(t, "resend", resent, http.StatusOK, "A new code is on its way to +1 415-555-0100")
	wantHandBack(t, b.submit(resent, phoneVerifyForm, map[string]string{"code": smsTo(t, tw, adaPhone).Code()}),
		http.StatusSeeOther, appURL)
}

// A Twilio that takes the request and never answers is given up on in
// time for the person to be told the text could not be sent: the send
// gets half of PORTAL_WRITE_TIMEOUT, as an email's does. Before, it
// waited its own 10 s, and on the sign-in code step the request ran out
// of time first: "Something interrupted this request … if what you sent
// went through", not that no text was sent.
func TestStalledTwilioStillAnswersThePerson(t *testing.T) {
	tw := twiliotest.Start(t, twilioSID, twilioToken)
	env := twilioEnv(tw, phoneEnv)
	env["PORTAL_WRITE_TIMEOUT"] = "3s"
	p := portaltest.Start(t, portaltest.Options{Env: env})
	tw.StallNext()
	start := time.Now()
	pg := signUpWith(newBrowser(t, p), map[string]string{"phone_number": adaPhone, "password": goodPassword}, "")
	wantText(t, "sign-up with Twilio stalled", pg, http.StatusServiceUnavailable, "couldn't send the text message")
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("the answer took %v, longer than the write timeout", took)
	}

	wantHandBack(t, signUpByPhone(t, newBrowser(t, p), tw, "+1 (415) 555-0100", adaPhone, appURL), http.StatusSeeOther, appURL)
	in := newBrowser(t, p)
	step := passwordStep(t, in, "+1 415 555 0100", appURL)
	tw.StallNext()
	start = time.Now()
	pg = in.submit(step, prepareForm, map[string]string{"strategy": "phone_code"})
	wantText(t, "sign-in code with Twilio stalled", pg, http.StatusServiceUnavailable, "couldn't send the text message")
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("the answer took %v, longer than the write timeout", took)
	}
}

// Wrong Twilio credentials (twiliotest answers 401) are the operator's
// problem: the person is told to try again, not that the number is wrong.
func TestPhoneProviderRefusesCredentials(t *testing.T) {
	tw := twiliotest.Start(t, twilioSID, twilioToken)
	env := twilioEnv(tw, phoneEnv)
	env["PORTAL_TWILIO_AUTH_TOKEN"] = "not-the-token"
	p := portaltest.Start(t, portaltest.Options{Env: env})
	pg := signUpWith(newBrowser(t, p), map[string]string{"phone_number": adaPhone, "password": goodPassword}, "")
	wantText(t, "with wrong credentials", pg, http.StatusServiceUnavailable, "couldn't send the text message")
	noTexts(t, tw)
}

// REQ-OTP-10: with PORTAL_SMS_COUNTRIES=US a UK number is refused before
// anything is sent.
func TestSMSCountryAllowlist_REQ_OTP_10(t *testing.T) {
	env := map[string]string{"PORTAL_SMS_COUNTRIES": "US"}
	for k, v := range phoneEnv {
		env[k] = v
	}
	p, _, tw := startTwilio(t, env)
	pg := signUpWith(newBrowser(t, p), map[string]string{"phone_number": "+44 7400 123456", "password": goodPassword}, "")
	wantText(t, "a UK number", pg, http.StatusUnprocessableEntity, "can't send text messages to numbers in this country")
	wantHandBack(t, signUpByPhone(t, newBrowser(t, p), tw, "+1 415 555 0100", adaPhone, appURL), http.StatusSeeOther, appURL)
	for _, m := range tw.Messages() {
		if m.To == ukPhone {
			t.Errorf("a text went to %s", ukPhone)
		}
	}
}

// REQ-OTP-10: the instance-wide breaker (PORTAL_SMS_LIMIT_PER_MINUTE=1)
// pauses texts to every number and says so; a minute later they flow again.
func TestSMSBreaker_REQ_OTP_10(t *testing.T) {
	env := map[string]string{"PORTAL_SMS_LIMIT_PER_MINUTE": "1"}
	for k, v := range phoneEnv {
		env[k] = v
	}
	p, clock, tw := startTwilio(t, env)
	first := signUpWith(newBrowser(t, p), map[string]string{"phone_number": adaPhone, "password": goodPassword}, "")
	wantText(t, "first number", first, http.StatusOK, "Verify your phone number")
	smsTo(t, tw, adaPhone)

	b := newBrowser(t, p)
	paused := signUpWith(b, map[string]string{"phone_number": bobPhone, "password": goodPassword}, appURL)
	wantText(t, "second number", paused, http.StatusServiceUnavailable, "Text messages are paused")
	if n := len(tw.Messages()); n != 1 {
		t.Fatalf("%d texts sent, want 1", n)
	}

	clock.Advance(time.Minute + time.Second)
	resent := b.submit(paused, phoneResendForm, nil)
	wantText(t, "a minute later", resent, http.StatusOK, "A new code is on its way")
	wantHandBack(t, b.submit(resent, phoneVerifyForm, map[string]string{"code": smsTo(t, tw, bobPhone).Code()}),
		http.StatusSeeOther, appURL)
}

// An account with a phone number and no email address is named by its
// number on the portal's home page, not by an empty "()" or nothing at all.
func TestHomeNamesAPhoneOnlyAccount(t *testing.T) {
	p, _, tw := startTwilio(t, phoneEnv)
	named := signUpByPhone(t, newBrowser(t, p), tw, "+1 415 555 0100", adaPhone, "")
	wantText(t, "home after a phone sign-up with a name", named, http.StatusOK, "You're signed in as Ada (+1 415-555-0100).")

	b := newBrowser(t, p)
	verify := signUpWith(b, map[string]string{"phone_number": "+1 415 555 0101", "password": goodPassword}, "")
	unnamed := b.submit(verify, phoneVerifyForm, map[string]string{"code": smsTo(t, tw, bobPhone).Code()})
	wantText(t, "home after a phone sign-up without a name", unnamed, http.StatusOK, "You're signed in as +1 415-555-0101.")
}

// A sign-up that verifies the email address and then the phone number:
// the email's code form sent again after the first press moved on (a late
// double click, or Back and resend) goes to the phone step and costs the
// texted code none of its attempts, instead of being judged against it.
func TestStaleEmailCodeFormGoesToThePhoneStep(t *testing.T) {
	p, _, tw := startTwilio(t, map[string]string{"PORTAL_IDENTIFIERS": "email,phone",
		"PORTAL_SIGN_UP_REQUIRED": "email_address,phone_number,password"})
	b := newBrowser(t, p)
	verifyEmail := signUpWith(b, map[string]string{"email_address": "ada@example.com", "phone_number": "+1 415 555 0123",
		"password": goodPassword, "first_name": "Ada"}, appURL)
	wantText(t, "the email step", verifyEmail, http.StatusOK, "Verify your email")
	code := p.SMTP.WaitFor(t, "ada@example.com", mailWait).Code()
	phoneStep := b.submit(verifyEmail, verifyForm, map[string]string{"code": code})
	wantText(t, "the phone step", phoneStep, http.StatusOK, "Verify your phone number")

	again := b.follow(b.postForm(http.MethodPost, "/sign-up/verify-email-address", url.Values{"_csrf": {b.csrf()},
		"sign_up": {verifyEmail.Doc.Find(verifyForm+` input[name="sign_up"]`).AttrOr("value", "")}, "code": {code}}, nil))
	wantText(t, "the email form sent again", again, http.StatusOK, "Verify your phone number")
	if strings.Contains(again.text(), "incorrect") {
		t.Errorf("the email code was judged against the texted one:\n%s", again.text())
	}
	texted := smsTo(t, tw, "+14155550123").Code()
	for range 4 { // the texted code keeps all five of its attempts
		wantText(t, "a wrong texted code", b.submit(again, phoneVerifyForm, map[string]string{"code": otherCode(texted)}),
			http.StatusUnprocessableEntity, "That code is incorrect")
	}
	wantHandBack(t, b.submit(again, phoneVerifyForm, map[string]string{"code": texted}), http.StatusSeeOther, appURL)
}
