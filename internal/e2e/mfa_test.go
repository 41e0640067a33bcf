package e2e

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/testutil/portaltest"
	"github.com/portalhq/portal/internal/testutil/totptest"
	"github.com/portalhq/portal/internal/user"
)

// totpCode is the RFC 6238 code of secret at, computed independently of
// the portal.
func totpCode(t *testing.T, secret string, at time.Time) string { return totptest.Code(t, secret, at) }

// enrolTOTP sets up an authenticator app from /user/security for the
// signed-in browser: it reads the secret shown for manual entry, confirms
// with a code and returns the secret and the backup codes shown once.
func enrolTOTP(t *testing.T, b *browser, clock clockwork.Clock) (string, []string) {
	t.Helper()
	setup := b.get("/user/security/totp")
	secret := strings.TrimSpace(setup.Doc.Find(`[data-testid=totp-secret]`).Text())
	if setup.Status != http.StatusOK || len(secret) != 32 || setup.Doc.Find(".cl-qrCode svg path").Length() != 1 {
		t.Fatalf("TOTP setup page (status %d) without a secret or an inline QR code:\n%s", setup.Status, setup.Body)
	}
	done := b.submit(setup, totpForm, map[string]string{"code": totpCode(t, secret, clock.Now())})
	wantText(t, "after confirming the app", done, http.StatusOK, "Your authenticator app is on", "won't be shown again")
	var codes []string
	done.Doc.Find(`[data-testid=backup-codes] code`).Each(func(_ int, s *goquery.Selection) { codes = append(codes, s.Text()) })
	if len(codes) != 10 {
		t.Fatalf("%d backup codes shown, want 10:\n%s", len(codes), done.text())
	}
	return secret, codes
}

// REQ-IN-09: after the password, an account with an authenticator app is
// at needs_second_factor and has no session: no later URL — the first
// factor step, the sign-in page, the app, the handshake, the portal's own
// pages — yields one. Then the app's code signs in (once), with both
// factor ages in fva; a backup code does too, once.
func TestSecondFactorCannotBeSkipped_REQ_IN_09(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{})
	b := newBrowser(t, p)
	wantHandBack(t, signUp(t, p, b, "ada@example.com", appURL), http.StatusSeeOther, appURL)
	secret, backup := enrolTOTP(t, b, clock)
	u, _ := p.Store.Q.UserByIdentifier(context.Background(), user.Email, "ada@example.com")
	if !u.TOTP || u.BackupCodes != 10 {
		t.Fatalf("stored: TOTP %v, %d backup codes", u.TOTP, u.BackupCodes)
	}
	b.submit(b.get("/sign-out"), signOutForm, nil)
	clock.Advance(time.Minute)

	in := newBrowser(t, p)
	second := signIn(t, in, "ada@example.com", goodPassword, appURL)
	wantText(t, "after the password", second, http.StatusOK, "Two-step verification", "authenticator app")
	if second.URL.Path != "/sign-in/factor-two" || in.cookie("__session") != "" {
		t.Fatalf("after the password: at %s, __session %q", second.URL, in.cookie("__session"))
	}
	flowID := second.URL.Query().Get("sign_in")

	if pg := in.getRaw("/sign-in/factor-one?sign_in=" + flowID); pg.Status != http.StatusSeeOther ||
		!strings.HasPrefix(pg.Header.Get("Location"), "/sign-in/factor-two?") {
		t.Errorf("factor-one of a flow at its second step: %d to %q", pg.Status, pg.Header.Get("Location"))
	}
	for _, path := range []string{withRedirect("/sign-in", appURL), "/", "/user", "/user/security", "/sign-up?redirect_url=" + url.QueryEscape(appURL)} {
		pg := in.getRaw(path)
		noSession(t, "GET "+path, pg)
		if loc := pg.Header.Get("Location"); strings.HasPrefix(loc, appOrigin) {
			t.Errorf("GET %s handed back to %s", path, loc)
		}
	}
	hs := in.getRaw(handshakePath(appURL))
	if hs.Status != http.StatusTemporaryRedirect || hs.setCookie("__client_uat") == nil || hs.setCookie("__client_uat").Value != "0" {
		t.Errorf("handshake mid-flow: %d, __client_uat %+v", hs.Status, hs.setCookie("__client_uat"))
	}
	noSession(t, "handshake", hs)
	again := in.postForm(http.MethodPost, "/sign-in/factor-one", url.Values{"_csrf": {in.csrf()}, "sign_in": {flowID},
		"strategy": {"password"}, "password": {goodPassword}}, nil)
	noSession(t, "the password again", again)
	// Sent back to the second step, as GET factor-one is: the form of a
	// step the flow is past (a double click's second copy) goes where the
	// flow is, and never round it.
	if again.Status != http.StatusSeeOther || again.Header.Get("Location") != "/sign-in/factor-two?sign_in="+flowID {
		t.Errorf("the password again: %d to %q, want 303 to the second step", again.Status, again.Header.Get("Location"))
	}
	emailInstead := in.submit(second, factorTwoForm, map[string]string{"strategy": "email_code", "code": "123456"})
	wantText(t, "email as a second factor (REQ-OTP-07)", emailInstead, http.StatusUnprocessableEntity, "isn't available")
	if n := activeSessions(t, p, u.ID); n != 0 {
		t.Fatalf("%d active sessions before the second factor", n)
	}

	wantText(t, "a wrong code", in.submit(second, factorTwoForm, map[string]string{"code": "000000"}),
		http.StatusUnprocessableEntity, "That code is incorrect")
	clock.Advance(time.Minute)
	code := totpCode(t, secret, clock.Now())
	tok := wantHandBack(t, in.submit(second, factorTwoForm, map[string]string{"code": code}), http.StatusSeeOther, appURL)
	clock.Advance(2 * time.Minute)
	if got := fva(t, p, wantHandBack(t, in.getRaw(handshakePath(appURL)), http.StatusTemporaryRedirect, appURL)); got != [2]int{3, 2} {
		t.Errorf("fva two minutes after a second factor given a minute after the first: %v, want [3 2]", got)
	}

	// The same code cannot sign in again, even in its window.
	clock.Advance(-2 * time.Minute)
	if c, _ := verify(t, p, tok); c.Subject != u.ID {
		t.Errorf("signed in as %s", c.Subject)
	}
	replay := newBrowser(t, p)
	step := signIn(t, replay, "ada@example.com", goodPassword, appURL)
	wantText(t, "a used code", replay.submit(step, factorTwoForm, map[string]string{"code": code}),
		http.StatusUnprocessableEntity, "That code is incorrect")

	// A backup code, chosen instead, works once.
	useBackup := replay.submit(step, factorTwoPrepare, map[string]string{"strategy": "backup_code"})
	wantText(t, "choosing a backup code", useBackup, http.StatusOK, "Enter a backup code")
	wantHandBack(t, replay.submit(useBackup, factorTwoForm, map[string]string{"code": strings.ToUpper(backup[0])}), http.StatusSeeOther, appURL)
	third := newBrowser(t, p)
	step = third.submit(signIn(t, third, "ada@example.com", goodPassword, appURL), factorTwoPrepare, map[string]string{"strategy": "backup_code"})
	wantText(t, "a used backup code", third.submit(step, factorTwoForm, map[string]string{"code": backup[0]}),
		http.StatusUnprocessableEntity, "That code is incorrect")
	if u, _ = p.Store.Q.UserByID(context.Background(), u.ID); u.BackupCodes != 9 {
		t.Errorf("%d backup codes left, want 9", u.BackupCodes)
	}
}

// Wrong second-factor codes count towards the account lockout like wrong
// passwords (REQ-RL-01): six digits cannot be guessed at leisure.
func TestSecondFactorGuessesLockTheAccount_REQ_RL_01(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{Env: map[string]string{"PORTAL_LOCKOUT_THRESHOLD": "3"}})
	b := newBrowser(t, p)
	signUp(t, p, b, "ada@example.com", appURL)
	secret, _ := enrolTOTP(t, b, clock)
	clock.Advance(time.Minute)
	in := newBrowser(t, p)
	step := signIn(t, in, "ada@example.com", goodPassword, appURL)
	for range 3 {
		in.submit(step, factorTwoForm, map[string]string{"code": "000000"})
	}
	wantText(t, "the right code after three wrong ones", in.submit(step, factorTwoForm,
		map[string]string{"code": totpCode(t, secret, clock.Now())}), http.StatusForbidden, "can't sign in right now")
}

// REQ-OTP-06: codes by text message go to a verified number, after the
// risk is explained; the code is texted as soon as the password passed. A
// texted first factor is not asked for again as the second one: the same
// phone twice is one factor, so the backup code is asked for instead.
func TestSMSSecondFactor_REQ_OTP_06(t *testing.T) {
	p, _, tw := startTwilio(t, phoneEnv)
	b := newBrowser(t, p)
	wantHandBack(t, signUpByPhone(t, b, tw, "+1 415 555 0100", adaPhone, appURL), http.StatusSeeOther, appURL)
	enable := b.get("/user/security/phone")
	wantText(t, "turning texts on", enable, http.StatusOK, "+1 415-555-0100", "less safe")
	on := b.submit(enable, `form[action="/user/security/phone"]`, nil)
	wantText(t, "after turning texts on", on, http.StatusOK, "Codes by text message are on")
	var backup []string
	on.Doc.Find(`[data-testid=backup-codes] code`).Each(func(_ int, s *goquery.Selection) { backup = append(backup, s.Text()) })
	b.submit(b.get("/sign-out"), signOutForm, nil)

	in := newBrowser(t, p)
	step := in.submit(passwordStep(t, in, "+1 415 555 0100", appURL), passwordForm, map[string]string{"password": goodPassword})
	wantText(t, "after the password", step, http.StatusOK, "Check your phone", "+1••••••0100")
	wantHandBack(t, in.submit(step, factorTwoForm, map[string]string{"code": smsTo(t, tw, adaPhone).Code()}),
		http.StatusSeeOther, appURL)

	// A texted first factor: the second step asks for something else.
	other := newBrowser(t, p)
	codePage := other.submit(passwordStep(t, other, "+1 415 555 0100", appURL), prepareForm, map[string]string{"strategy": "phone_code"})
	second := other.submit(codePage, codeForm, map[string]string{"code": smsTo(t, tw, adaPhone).Code()})
	wantText(t, "after a texted first factor", second, http.StatusOK, "Enter a backup code")
	if second.Doc.Find(`button[value="phone_code"]`).Length() != 0 {
		t.Error("the same phone is offered as the second factor")
	}
	wantHandBack(t, other.submit(second, factorTwoForm, map[string]string{"code": backup[0]}), http.StatusSeeOther, appURL)
}

// REQ-SES-06: a change to the second factors needs a factor verified in the
// last 10 minutes (fake clock), the same check as every account change.
// Past that, /user/verify is asked and the change continues afterwards;
// the token's fva reports the new age.
func TestSecurityReverificationExpires_REQ_SES_06(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{})
	b := newBrowser(t, p)
	wantHandBack(t, signUp(t, p, b, "ada@example.com", appURL), http.StatusSeeOther, appURL)
	clock.Advance(9 * time.Minute)
	if pg := b.get("/user/security/totp"); pg.Doc.Find(totpForm).Length() == 0 {
		t.Fatalf("nine minutes after signing up: not the setup page:\n%s", pg.text())
	}
	clock.Advance(2 * time.Minute)
	stale := b.getRaw("/user/security/totp")
	if stale.Status != http.StatusSeeOther || stale.Header.Get("Location") != "/user/verify?return=%2Fuser%2Fsecurity%2Ftotp" {
		t.Fatalf("eleven minutes after: %d to %q", stale.Status, stale.Header.Get("Location"))
	}
	// The POST behind the page is guarded the same way.
	post := b.postForm(http.MethodPost, "/user/security/totp", url.Values{"_csrf": {b.csrf()}, "code": {"123456"}}, nil)
	if post.Status != http.StatusSeeOther || !strings.HasPrefix(post.Header.Get("Location"), "/user/verify?") {
		t.Errorf("stale POST: %d to %q", post.Status, post.Header.Get("Location"))
	}
	confirm := b.follow(stale)
	wantText(t, "confirm it's you", confirm, http.StatusOK, "confirm it's you")
	wantText(t, "a wrong password", b.submit(confirm, reverifyForm, map[string]string{"password": wrongPassword}),
		http.StatusUnprocessableEntity, "Password is incorrect")
	back := b.submit(confirm, reverifyForm, map[string]string{"password": goodPassword})
	if back.URL.Path != "/user/security/totp" || back.Doc.Find(totpForm).Length() == 0 {
		t.Fatalf("after confirming: at %s:\n%s", back.URL, back.text())
	}
	if got := fva(t, p, wantHandBack(t, b.getRaw(handshakePath(appURL)), http.StatusTemporaryRedirect, appURL)); got != [2]int{0, -1} {
		t.Errorf("fva after reverifying: %v, want [0 -1]", got)
	}
	// "Continue to" never leaves the account pages.
	for _, next := range []string{"https://evil.example/", "//evil.example/user", "/user/../sign-out", "/sign-in"} {
		pg := b.submit(b.get("/user/verify?return="+url.QueryEscape(next)), reverifyForm, map[string]string{"password": goodPassword})
		if pg.URL.Path != "/user" {
			t.Errorf("return %q: ended at %s", next, pg.URL)
		}
	}
}

// Without a password, the emailed code confirms it's you; an enrolled
// authenticator app does too, renewing the second factor's age.
func TestReverifyByEmailCodeOrApp_REQ_SES_06(t *testing.T) {
	p, clock := startWithOIDCFake(t)
	b := newBrowser(t, p.Portal)
	wantHandBack(t, viaProvider(t, b, providerButton(t, b.get(withRedirect("/sign-in", appURL)), corp)), http.StatusSeeOther, appURL)
	secret, _ := enrolTOTP(t, b, clock)
	clock.Advance(15 * time.Minute)
	confirm := b.get("/user/security/backup-codes")
	wantText(t, "confirm it's you", confirm, http.StatusOK, "confirm it's you")
	if confirm.Doc.Find(`input[name=password]`).Length() != 0 {
		t.Error("a password is asked of an account without one")
	}
	sent := b.submit(confirm, reverifyPrepare, map[string]string{"strategy": "email_code"})
	wantText(t, "after asking for the code", sent, http.StatusOK, "ada@example.com") // the signed-in person's own address, unmasked
	m := p.SMTP.WaitFor(t, "ada@example.com", mailWait)
	if !strings.Contains(m.Text, "confirm it's you") {
		t.Errorf("reverification email:\n%s", m.Text)
	}
	back := b.submit(sent, reverifyForm, map[string]string{"code": m.Code()})
	wantText(t, "after the code", back, http.StatusOK, "Get new backup codes")

	clock.Advance(15 * time.Minute)
	confirm = b.get("/user/security/backup-codes")
	useApp := b.submit(confirm, reverifyPrepare, map[string]string{"strategy": "totp"})
	back = b.submit(useApp, reverifyForm, map[string]string{"code": totpCode(t, secret, clock.Now())})
	wantText(t, "after the app's code", back, http.StatusOK, "Get new backup codes")
	if got := fva(t, p.Portal, wantHandBack(t, b.getRaw(handshakePath(appURL)), http.StatusTemporaryRedirect, appURL)); got != [2]int{15, 0} {
		t.Errorf("fva after reverifying with the app: %v, want [15 0]", got)
	}
}

// A provider sign-in is a first factor only: an account with a second
// factor takes the second step before any session exists.
func TestOAuthSignInThenSecondFactor(t *testing.T) {
	p, clock := startWithOIDCFake(t)
	b := newBrowser(t, p.Portal)
	wantHandBack(t, viaProvider(t, b, providerButton(t, b.get(withRedirect("/sign-in", appURL)), corp)), http.StatusSeeOther, appURL)
	secret, _ := enrolTOTP(t, b, clock)
	clock.Advance(time.Minute)
	in := newBrowser(t, p.Portal)
	step := viaProvider(t, in, providerButton(t, in.get(withRedirect("/sign-in", appURL)), corp))
	wantText(t, "after the provider", step, http.StatusOK, "Two-step verification")
	noSession(t, "the provider's callback", step)
	wantHandBack(t, in.submit(step, factorTwoForm, map[string]string{"code": totpCode(t, secret, clock.Now())}),
		http.StatusSeeOther, appURL)
}

// A password reset of an account with a second factor sets the password,
// then asks for the second factor before signing in.
func TestPasswordResetThenSecondFactor(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{})
	b := newBrowser(t, p)
	signUp(t, p, b, "ada@example.com", appURL)
	secret, _ := enrolTOTP(t, b, clock)
	clock.Advance(time.Minute)
	r := newBrowser(t, p)
	codePage := r.submit(forgotPage(t, r, "ada@example.com"), prepareForm, map[string]string{"strategy": "reset_password_email_code"})
	choose := r.submit(codePage, codeForm, map[string]string{"code": p.SMTP.WaitFor(t, "ada@example.com", mailWait).Code()})
	step := r.submit(choose, newPasswordForm, map[string]string{"password": newPassword})
	wantText(t, "after the new password", step, http.StatusOK, "Two-step verification")
	noSession(t, "the reset", step)
	wantHandBack(t, r.submit(step, factorTwoForm, map[string]string{"code": totpCode(t, secret, clock.Now())}),
		http.StatusSeeOther, appURL)
}

// PORTAL_REQUIRE_MFA: a person without a second factor is led to set one up
// right after signing in; no app gets a token until then, through the
// hand-back or the handshake.
func TestRequiredMFAEnrolment(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{Env: map[string]string{"PORTAL_REQUIRE_MFA": "true"}})
	b := newBrowser(t, p)
	pg := signUp(t, p, b, "ada@example.com", appURL)
	noSession(t, "sign-up", pg)
	wantText(t, "after sign-up", pg, http.StatusOK, "requires a second step")
	if pg.URL.Path != "/user/security" {
		t.Fatalf("after sign-up: at %s", pg.URL)
	}
	hs := b.getRaw(handshakePath(appURL))
	noSession(t, "handshake before enrolling", hs)
	if c := hs.setCookie("__client_uat"); hs.Status != http.StatusTemporaryRedirect || c == nil || c.Value != "0" {
		t.Errorf("handshake before enrolling: %d, %+v", hs.Status, c)
	}
	// Nor does the app's front end, asking for the session's token with
	// the browser's cookie (getToken), whatever it knows of the session.
	tok := b.postForm(http.MethodPost, "/v1/client/sessions/"+activeSessionOf(t, p, "ada@example.com")+"/tokens", nil,
		map[string]string{"Origin": appOrigin, "Sec-Fetch-Site": "same-site"})
	if tok.Status != http.StatusUnauthorized || strings.Contains(tok.Body, "jwt") {
		t.Errorf("client token before enrolling: %d %s, want 401 as for a signed-out browser", tok.Status, tok.Body)
	}
	// The setup link keeps where to go afterwards.
	href, _ := pg.Doc.Find(`a:contains("Set up an authenticator app")`).Attr("href")
	setup := b.get(href)
	secret := strings.TrimSpace(setup.Doc.Find(`[data-testid=totp-secret]`).Text())
	codes := b.submit(setup, totpForm, map[string]string{"code": totpCode(t, secret, clock.Now())})
	cont, _ := codes.Doc.Find(`a:contains("I've saved them")`).Attr("href")
	if cont != "/sign-in?redirect_url="+url.QueryEscape(appURL) {
		t.Fatalf("continue link %q", cont)
	}
	wantHandBack(t, b.follow(b.getRaw(cont)), http.StatusSeeOther, appURL)
	// The last second factor cannot be removed while it is required.
	wantText(t, "removing the only second factor", b.submit(b.get("/user/security/totp/remove"), `form[action="/user/security/totp/remove"]`, nil),
		http.StatusUnprocessableEntity, "requires a second step")
}

// Pressing "Turn on" twice (or again from a stale tab) finds the app on:
// the second answer says so, or goes on to the app when it was the setup
// asked for after sign-in, instead of "Remove it first to set up another".
func TestTurningOnTheAuthenticatorAppTwice(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{})
	b := newBrowser(t, p)
	signUp(t, p, b, "ada@example.com", "")
	setup := b.get("/user/security/totp")
	code := totpCode(t, strings.TrimSpace(setup.Doc.Find(`[data-testid=totp-secret]`).Text()), clock.Now())
	wantText(t, "the first press", b.submit(setup, totpForm, map[string]string{"code": code}), http.StatusOK, "Your authenticator app is on")
	again := b.submit(setup, totpForm, map[string]string{"code": code})
	wantText(t, "the second press", again, http.StatusOK, "Your authenticator app is on.", "10 unused codes")
	if again.URL.Path != "/user/security" || strings.Contains(again.text(), "Remove it first") {
		t.Errorf("the second press: at %s:\n%s", again.URL, again.text())
	}

	p, clock = startFake(t, portaltest.Options{Env: map[string]string{"PORTAL_REQUIRE_MFA": "true"}})
	b = newBrowser(t, p)
	href, _ := signUp(t, p, b, "ada@example.com", appURL).Doc.Find(`a:contains("Set up an authenticator app")`).Attr("href")
	setup = b.get(href)
	code = totpCode(t, strings.TrimSpace(setup.Doc.Find(`[data-testid=totp-secret]`).Text()), clock.Now())
	wantText(t, "the first press, asked for after sign-up", b.submit(setup, totpForm, map[string]string{"code": code}), http.StatusOK, "I've saved them")
	wantHandBack(t, b.submit(setup, totpForm, map[string]string{"code": code}), http.StatusSeeOther, appURL)
}

// With MFA required and organizations required too, the tasks after
// sign-in come in order: the second factor first (no session reaches an
// organization without it), then choosing an organization; the app gets a
// token only after both.
func TestRequiredMFABeforeOrganizationTask(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{Env: map[string]string{"PORTAL_REQUIRE_MFA": "true",
		"PORTAL_PERSONAL_ACCOUNTS": "false"}})
	b := newBrowser(t, p)
	pg := signUp(t, p, b, "ada@example.com", appURL)
	if pg.URL.Path != "/user/security" {
		t.Fatalf("after sign-up: at %s, want the second-factor setup first", pg.URL)
	}
	href, _ := pg.Doc.Find(`a:contains("Set up an authenticator app")`).Attr("href")
	setup := b.get(href)
	secret := strings.TrimSpace(setup.Doc.Find(`[data-testid=totp-secret]`).Text())
	codes := b.submit(setup, totpForm, map[string]string{"code": totpCode(t, secret, clock.Now())})
	cont, _ := codes.Doc.Find(`a:contains("I've saved them")`).Attr("href")
	task := b.get(cont)
	if task.URL.Path != "/switch-organization" || task.URL.Query().Get("redirect_url") != appURL {
		t.Fatalf("after enrolling: at %s, want the choose-organization task", task.URL)
	}
	noSession(t, "the organization task", task)
	create := b.get(task.Doc.Find(`a[href^="/create-organization"]`).AttrOr("href", ""))
	wantHandBack(t, b.submit(create, createOrgForm, map[string]string{"name": "Acme"}), http.StatusSeeOther, appURL)
}

type oidcPortal struct{ *portaltest.Portal }

// startWithOIDCFake is startWithOIDC on a fake clock.
func startWithOIDCFake(t *testing.T) (oidcPortal, *clockwork.FakeClock) {
	t.Helper()
	clock := clockwork.NewFakeClockAt(time.Now())
	p, _ := startWithOIDC(t, portaltest.Options{Clock: clock})
	return oidcPortal{p}, clock
}

// An email link is a first factor only: opened on another device it signs
// that device in only when no second factor is due (even where the
// instance lets other devices sign in), and the browser that asked takes
// the second step; opened in the same browser, the second step follows.
func TestEmailLinkThenSecondFactor(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{Env: map[string]string{"PORTAL_FACTORS": "email_link,email_code,password",
		"PORTAL_EMAIL_LINK_OTHER_DEVICE_SESSION": "true"}})
	owner := newBrowser(t, p)
	signUp(t, p, owner, "ada@example.com", "")
	secret, _ := enrolTOTP(t, owner, clock)
	clock.Advance(time.Minute)

	for _, sameBrowser := range []bool{false, true} {
		b := newBrowser(t, p)
		wait := b.submit(b.get(withRedirect("/sign-in", appURL)), signInForm, map[string]string{"identifier": "ada@example.com"})
		link := p.SMTP.WaitFor(t, "ada@example.com", mailWait).Link()
		var step *page
		if sameBrowser {
			step = b.submit(b.get(link), linkConfirmForm, nil)
		} else {
			phone := newBrowser(t, p)
			done := phone.submit(phone.get(link), linkConfirmForm, nil)
			wantText(t, "the other device", done, http.StatusOK, "other device")
			noSession(t, "the other device", done)
			if phone.cookie("__session") != "" || phone.getRaw("/").Status != http.StatusSeeOther {
				t.Error("the other device is signed in")
			}
			step = b.get(flowPath(wait))
		}
		wantText(t, "the browser that asked", step, http.StatusOK, "Two-step verification")
		clock.Advance(30 * time.Second)
		wantHandBack(t, b.submit(step, factorTwoForm, map[string]string{"code": totpCode(t, secret, clock.Now())}),
			http.StatusSeeOther, appURL)
	}
}

// A code pasted from the email with the space or line break around it
// confirms it's you, as it signs in; it is not taken for a wrong code
// that uses up one of the code's attempts (REQ-SES-06, REQ-OTP-04).
func TestReverifyCodePastedWithSpaces_REQ_SES_06(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{})
	b := newBrowser(t, p)
	signUp(t, p, b, "ada@example.com", "")
	clock.Advance(15 * time.Minute)
	confirm := b.get("/user/security/totp")
	sent := b.submit(confirm, reverifyPrepare, map[string]string{"strategy": "email_code"})
	code := p.SMTP.WaitFor(t, "ada@example.com", mailWait).Code()
	back := b.submit(sent, reverifyForm, map[string]string{"code": " " + code + "\n"})
	if back.URL.Path != "/user/security/totp" || back.Doc.Find(totpForm).Length() == 0 {
		t.Fatalf("after the pasted code: %d at %s:\n%s", back.Status, back.URL, back.text())
	}
}

// Back on the second step after signing in (the back button, a stale
// tab), choosing another way goes on to the app, as pressing Continue
// again does, instead of saying the sign-in expired.
func TestOtherSecondFactorAfterSigningIn(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{})
	b := newBrowser(t, p)
	signUp(t, p, b, "ada@example.com", "")
	secret, _ := enrolTOTP(t, b, clock)
	clock.Advance(time.Minute)
	in := newBrowser(t, p)
	step := signIn(t, in, "ada@example.com", goodPassword, appURL)
	wantHandBack(t, in.submit(step, factorTwoForm, map[string]string{"code": totpCode(t, secret, clock.Now())}),
		http.StatusSeeOther, appURL)
	wantHandBack(t, in.submit(step, factorTwoPrepare, map[string]string{"strategy": "backup_code"}), http.StatusSeeOther, appURL)
}

// When the text with the second-step code could not be sent as the
// password passed (here Twilio is overloaded), the page says so and
// offers to send it again, instead of asking for a code "we texted" that
// never came; "Resend code" then texts one that signs in.
func TestSecondFactorTextNotSent(t *testing.T) {
	p, _, tw := startTwilio(t, phoneEnv)
	b := newBrowser(t, p)
	wantHandBack(t, signUpByPhone(t, b, tw, "+1 415 555 0100", adaPhone, appURL), http.StatusSeeOther, appURL)
	b.submit(b.get("/user/security/phone"), `form[action="/user/security/phone"]`, nil)
	b.submit(b.get("/sign-out"), signOutForm, nil)

	in := newBrowser(t, p)
	texts := len(tw.Messages())
	tw.FailNext(http.StatusServiceUnavailable, 30001, "Queue overflow")
	step := in.submit(passwordStep(t, in, "+1 415 555 0100", appURL), passwordForm, map[string]string{"password": goodPassword})
	wantText(t, "after the failed text", step, http.StatusOK, "couldn't text a code to +1••••••0100", "Resend code")
	if strings.Contains(step.text(), "we texted") {
		t.Errorf("the page says a code was texted:\n%s", step.text())
	}
	if n := len(tw.Messages()); n != texts {
		t.Fatalf("%d texts sent through a failing provider", n-texts)
	}
	sent := in.submit(step, `form[action="/sign-in/factor-two/prepare"]:has(input[name=strategy][value=phone_code])`, nil)
	wantText(t, "after Resend code", sent, http.StatusOK, "Enter the code we texted to +1••••••0100")
	if strings.Contains(sent.text(), "couldn't text") {
		t.Errorf("after the text was sent, the page still says it wasn't:\n%s", sent.text())
	}
	wantHandBack(t, in.submit(sent, factorTwoForm, map[string]string{"code": smsTo(t, tw, adaPhone).Code()}),
		http.StatusSeeOther, appURL)
}
