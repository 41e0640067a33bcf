package e2e

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/testutil/portaltest"
	"github.com/portalhq/portal/internal/user"
)

// failedSignIns is the account's failure count towards the lockout.
func failedSignIns(t *testing.T, p *portaltest.Portal, kind, value string) int {
	t.Helper()
	u, err := p.Store.Q.UserByIdentifier(context.Background(), kind, value)
	if err != nil {
		t.Fatalf("user %s: %v", value, err)
	}
	return u.FailedSignIns
}

// REQ-RL-01: at the second step, wrong codes count towards the account's
// lockout, but an answer with nothing to check guesses nothing: an empty
// code, as many times as the lockout threshold (10), is asked to be typed
// and the counter does not move, so the right code still signs in. A
// wrong code counts.
func TestSecondFactorEmptyCodeDoesNotCount_REQ_RL_01(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{})
	b := newBrowser(t, p)
	signUp(t, p, b, "ada@example.com", "")
	secret, _ := enrolTOTP(t, b, clock)
	clock.Advance(time.Minute)

	in := newBrowser(t, p)
	step := signIn(t, in, "ada@example.com", goodPassword, appURL)
	for i := range 10 {
		code := ""
		if i%2 == 1 {
			code = "   "
		}
		pg := in.submit(step, factorTwoForm, map[string]string{"code": code})
		wantText(t, "an empty code", pg, http.StatusUnprocessableEntity, "Enter the code to continue")
		noSession(t, "an empty code", pg)
	}
	if n := failedSignIns(t, p, user.Email, "ada@example.com"); n != 0 {
		t.Fatalf("%d failures counted for empty codes, want 0", n)
	}
	wantText(t, "a wrong code", in.submit(step, factorTwoForm, map[string]string{"code": "000000"}),
		http.StatusUnprocessableEntity, "That code is incorrect")
	if n := failedSignIns(t, p, user.Email, "ada@example.com"); n != 1 {
		t.Fatalf("%d failures counted after a wrong code, want 1", n)
	}
	wantHandBack(t, in.submit(step, factorTwoForm, map[string]string{"code": totpCode(t, secret, clock.Now())}),
		http.StatusSeeOther, appURL)
}

// REQ-RL-01, REQ-OTP-04: a texted second-step code submitted before any
// was sent (the text failed as the password passed) is told to get one
// first and does not count, ten times over; once a code is sent, an empty
// answer neither counts nor spends one of the code's attempts, a wrong one
// counts, and the texted code signs in.
func TestSecondFactorCodeBeforeAnyWasSentDoesNotCount_REQ_RL_01(t *testing.T) {
	p, _, tw := startTwilio(t, phoneEnv)
	b := newBrowser(t, p)
	wantHandBack(t, signUpByPhone(t, b, tw, "+1 415 555 0100", adaPhone, appURL), http.StatusSeeOther, appURL)
	b.submit(b.get("/user/security/phone"), `form[action="/user/security/phone"]`, nil)
	b.submit(b.get("/sign-out"), signOutForm, nil)

	in := newBrowser(t, p)
	tw.FailNext(http.StatusServiceUnavailable, 30001, "Queue overflow")
	step := in.submit(passwordStep(t, in, "+1 415 555 0100", appURL), passwordForm, map[string]string{"password": goodPassword})
	wantText(t, "after the failed text", step, http.StatusOK, "couldn't text a code")
	for range 10 {
		pg := in.submit(step, factorTwoForm, map[string]string{"code": "123456"})
		wantText(t, "a code before any was sent", pg, http.StatusUnprocessableEntity, "No code was sent yet")
		noSession(t, "a code before any was sent", pg)
	}
	if n := failedSignIns(t, p, user.Phone, adaPhone); n != 0 {
		t.Fatalf("%d failures counted for codes before any was sent, want 0", n)
	}

	sent := in.submit(step, `form[action="/sign-in/factor-two/prepare"]:has(input[name=strategy][value=phone_code])`, nil)
	wantText(t, "after Resend code", sent, http.StatusOK, "Enter the code we texted")
	code := smsTo(t, tw, adaPhone).Code()
	for range 5 { // as many as a code's attempts
		wantText(t, "an empty code", in.submit(sent, factorTwoForm, map[string]string{"code": ""}),
			http.StatusUnprocessableEntity, "Enter the code to continue")
	}
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	wantText(t, "a wrong code", in.submit(sent, factorTwoForm, map[string]string{"code": wrong}),
		http.StatusUnprocessableEntity, "That code is incorrect")
	if n := failedSignIns(t, p, user.Phone, adaPhone); n != 1 {
		t.Fatalf("%d failures counted after a wrong code, want 1", n)
	}
	wantHandBack(t, in.submit(sent, factorTwoForm, map[string]string{"code": code}), http.StatusSeeOther, appURL)
}

// REQ-RL-01: confirming it's you with the authenticator app counts wrong
// codes towards the same lockout as sign-in, but an empty code checks
// nothing: it is asked to be typed, ten times over, and does not count.
func TestReverifyWithTheAppEmptyCodeDoesNotCount_REQ_RL_01(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{})
	b := newBrowser(t, p)
	signUp(t, p, b, "ada@example.com", "")
	secret, _ := enrolTOTP(t, b, clock)
	clock.Advance(15 * time.Minute)

	useApp := b.submit(b.get("/user/security/backup-codes"), reverifyPrepare, map[string]string{"strategy": "totp"})
	for range 10 {
		wantText(t, "an empty code", b.submit(useApp, reverifyForm, map[string]string{"code": " "}),
			http.StatusUnprocessableEntity, "Enter the code to continue")
	}
	if n := failedSignIns(t, p, user.Email, "ada@example.com"); n != 0 {
		t.Fatalf("%d failures counted for empty codes, want 0", n)
	}
	b.submit(useApp, reverifyForm, map[string]string{"code": "000000"})
	if n := failedSignIns(t, p, user.Email, "ada@example.com"); n != 1 {
		t.Fatalf("%d failures counted after a wrong code, want 1", n)
	}
	wantText(t, "after the app's code", b.submit(useApp, reverifyForm, map[string]string{"code": totpCode(t, secret, clock.Now())}),
		http.StatusOK, "Get new backup codes")
}
