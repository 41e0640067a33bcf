package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/testutil/portaltest"
	"github.com/portalhq/portal/internal/testutil/webauthntest"
	"github.com/portalhq/portal/internal/user"
)

const (
	compromisedMsg    = "Your password may have been exposed, so it has to be changed before you can sign in."
	compromisedNewPw  = "Your password may have been exposed. Choose a new one to finish signing in."
	exposedAgainMsg   = "Choose a different password: your old one may have been exposed."
	compromisedHeader = "Change your password"
)

// userAnswer is what these tests read of the Backend API's user object.
type userAnswer struct {
	ID              string `json:"id"`
	Object          string `json:"object"`
	PasswordEnabled bool   `json:"password_enabled"`
	UpdatedAt       int64  `json:"updated_at"`
}

// markCompromised calls set_compromised with body (nil for none) and
// returns the user it answers.
func markCompromised(t *testing.T, p *portaltest.Portal, userID string, body any) userAnswer {
	t.Helper()
	var u userAnswer
	if r := api(t, p, http.MethodPost, "/v1/users/"+userID+"/password/set_compromised", body, &u); r.Status != http.StatusOK {
		t.Fatalf("set_compromised: %d %s", r.Status, r.Body)
	}
	return u
}

// Clerk's POST /v1/users/{id}/password/set_compromised and
// …/unset_compromised: the user object back, user.updated in the same
// transaction, sessions revoked only when asked (each with its
// session.revoked), and Clerk's errors.
func TestBackendAPISetPasswordCompromised(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ada := apiUser(t, p, "ada@example.com")
	elsewhere, _ := verify(t, p, wantHandBack(t, signIn(t, newBrowser(t, p), "ada@example.com", goodPassword, appURL),
		http.StatusSeeOther, appURL))
	updates := countEvents(t, p, ada, events.UserUpdated)

	// No body at all, as @clerk/backend's unsetPasswordCompromised sends
	// and a plain curl would: revoke_all_sessions is false.
	got := markCompromised(t, p, ada, nil)
	if got.ID != ada || got.Object != "user" || !got.PasswordEnabled {
		t.Errorf("set_compromised answered %+v, want the user", got)
	}
	if n := countEvents(t, p, ada, events.UserUpdated); n != updates+1 {
		t.Errorf("%d user.updated after set_compromised, want %d", n, updates+1)
	}
	if s := sessionStatus(t, p, elsewhere.SID); s != session.Active {
		t.Errorf("without revoke_all_sessions the session is %s, want it left active", s)
	}
	stored, err := p.Store.Q.UserByID(context.Background(), ada)
	if err != nil || !stored.PasswordCompromised() {
		t.Fatalf("stored user after set_compromised: %+v, %v; want the password marked", stored, err)
	}
	first := *stored.PasswordCompromisedAt

	// Asking again with revoke_all_sessions ends every session, each with
	// session.revoked, and keeps when the password was first marked.
	markCompromised(t, p, ada, map[string]any{"revoke_all_sessions": true})
	if s := sessionStatus(t, p, elsewhere.SID); s != session.Revoked {
		t.Errorf("with revoke_all_sessions the session is %s, want revoked", s)
	}
	if n := countEvents(t, p, elsewhere.SID, events.SessionRevoked); n != 1 {
		t.Errorf("%d session.revoked events, want 1", n)
	}
	if stored, _ = p.Store.Q.UserByID(context.Background(), ada); !stored.PasswordCompromisedAt.Equal(first) {
		t.Errorf("marked again at %v, want the first mark %v kept", stored.PasswordCompromisedAt, first)
	}

	// Clerk's errors: an unknown user, a user without a password, a field
	// the endpoint does not take.
	wantAPIError(t, api(t, p, http.MethodPost, "/v1/users/user_nobody/password/set_compromised", nil, nil),
		http.StatusNotFound, "resource_not_found")
	wantAPIError(t, api(t, p, http.MethodPost, "/v1/users/user_nobody/password/unset_compromised", nil, nil),
		http.StatusNotFound, "resource_not_found")
	var grace userAnswer
	api(t, p, http.MethodPost, "/v1/users", map[string]any{"email_address": []string{"grace@example.com"}}, &grace)
	e := wantAPIError(t, api(t, p, http.MethodPost, "/v1/users/"+grace.ID+"/password/set_compromised", nil, nil),
		http.StatusBadRequest, "no_password_set")
	if m := e.Errors[0]; m.Message != "no password set" || m.LongMessage != "This user does not have a password set for their account" {
		t.Errorf("no_password_set = %+v, want Clerk's messages", m)
	}
	if n := countEvents(t, p, grace.ID, events.UserUpdated); n != 0 {
		t.Errorf("a refused set_compromised wrote %d user.updated", n)
	}
	wantAPIError(t, api(t, p, http.MethodPost, "/v1/users/"+ada+"/password/set_compromised",
		json.RawMessage(`{"revoke_sessions":true}`), nil), http.StatusUnprocessableEntity, "form_param_unknown")

	// Until unset, the password signs nobody in; after, it does again.
	wantText(t, "the marked password", signIn(t, newBrowser(t, p), "ada@example.com", goodPassword, appURL),
		http.StatusOK, compromisedMsg)
	updates = countEvents(t, p, ada, events.UserUpdated)
	var un userAnswer
	if r := api(t, p, http.MethodPost, "/v1/users/"+ada+"/password/unset_compromised", nil, &un); r.Status != http.StatusOK || un.ID != ada {
		t.Fatalf("unset_compromised: %d %s", r.Status, r.Body)
	}
	if n := countEvents(t, p, ada, events.UserUpdated); n != updates+1 {
		t.Errorf("%d user.updated after unset_compromised, want %d", n, updates+1)
	}
	wantHandBack(t, signIn(t, newBrowser(t, p), "ada@example.com", goodPassword, appURL), http.StatusSeeOther, appURL)

	// A new password set through the API is not the marked one: it clears
	// the mark too.
	markCompromised(t, p, ada, nil)
	if r := api(t, p, http.MethodPatch, "/v1/users/"+ada, map[string]any{"password": newPassword}, nil); r.Status != http.StatusOK {
		t.Fatalf("PATCH password: %d %s", r.Status, r.Body)
	}
	wantHandBack(t, signIn(t, newBrowser(t, p), "ada@example.com", newPassword, appURL), http.StatusSeeOther, appURL)
}

// An instance without passwords has none to mark: Clerk's 403
// password_disabled.
func TestBackendAPISetPasswordCompromisedWithoutPasswords(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_FACTORS": "email_code"}})
	var u userAnswer
	api(t, p, http.MethodPost, "/v1/users", map[string]any{"email_address": []string{"ada@example.com"}}, &u)
	e := wantAPIError(t, api(t, p, http.MethodPost, "/v1/users/"+u.ID+"/password/set_compromised", nil, nil),
		http.StatusForbidden, "password_disabled")
	if !strings.Contains(e.Errors[0].LongMessage, "Cannot force a password reset") {
		t.Errorf("password_disabled long_message = %q", e.Errors[0].LongMessage)
	}
}

// REQ-RL-05: a wrong password for a marked account is answered as a
// wrong password for any account, byte for byte but for the address; the
// right one is told it must be changed and is taken into the reset, which
// refuses the marked password, ends signed in with a new one and clears
// the mark (REQ-PW-03).
func TestCompromisedPasswordSignInGoesThroughTheReset_REQ_RL_05_REQ_PW_03(t *testing.T) {
	var log syncBuffer
	p := portaltest.Start(t, portaltest.Options{Log: &log, Env: map[string]string{"PORTAL_LOG_FORMAT": "json", "PORTAL_LOG_LEVEL": "info"}})
	ada := apiUser(t, p, "ada@example.com")
	apiUser(t, p, "grace@example.com")
	markCompromised(t, p, ada, nil)

	marked := signIn(t, newBrowser(t, p), "ada@example.com", wrongPassword, appURL)
	plain := signIn(t, newBrowser(t, p), "grace@example.com", wrongPassword, appURL)
	wantText(t, "a wrong password for the marked account", marked, http.StatusUnprocessableEntity, badPasswordMsg)
	if normalise(marked.Body, "ada@example.com") != normalise(plain.Body, "grace@example.com") {
		t.Errorf("a wrong password reads differently for a marked account:\n%s\n---\n%s", marked.Body, plain.Body)
	}

	b := newBrowser(t, p)
	forgot := signIn(t, b, "ada@example.com", goodPassword, appURL)
	if forgot.setCookie("__session") != nil || len(forgot.Via) != 1 || !strings.HasPrefix(forgot.Via[0], "/sign-in/forgot-password?") {
		t.Fatalf("the right password went via %v, want the forgot-password page and no session", forgot.Via)
	}
	wantText(t, "the right password", forgot, http.StatusOK, compromisedHeader, compromisedMsg,
		"Email a reset code to ada@example.com")
	if strings.Contains(forgot.text(), "Forgot your password?") {
		t.Error("the page asks whether the person forgot a password they just typed")
	}
	// REQ-LOG-01: logged as a refused attempt with its own reason (Clerk's
	// sign_in.password.compromised), unlike the wrong passwords above.
	reasons := map[string]int{}
	for _, l := range logLines(t, &log) {
		if l["msg"] == "authentication attempt" && l["factor"] == "password" {
			reasons[fmt.Sprint(l["outcome"], " ", l["reason"])]++
		}
	}
	if reasons["failed password_compromised"] != 1 || reasons["failed invalid"] != 2 {
		t.Errorf("password attempts logged %v, want 1 failed password_compromised and 2 failed invalid", reasons)
	}
	codePage := b.submit(forgot, prepareForm, map[string]string{"strategy": "reset_password_email_code"})
	choose := b.submit(codePage, codeForm, map[string]string{"code": p.SMTP.WaitFor(t, "ada@example.com", mailWait).Code()})
	newPasswordPage(t, choose)
	wantText(t, "the new-password page", choose, http.StatusOK, compromisedNewPw)

	again := b.submit(choose, newPasswordForm, map[string]string{"password": goodPassword})
	wantText(t, "the marked password as the new one", again, http.StatusUnprocessableEntity, exposedAgainMsg)
	if again.Doc.Find(`input[name="password"]`).AttrOr("value", "") != "" {
		t.Error("the refused password is written back into the form")
	}
	wantHandBack(t, b.submit(again, newPasswordForm, map[string]string{"password": newPassword}), http.StatusSeeOther, appURL)
	if stored, err := p.Store.Q.UserByID(context.Background(), ada); err != nil || stored.PasswordCompromisedAt != nil {
		t.Errorf("after the reset the mark is %v (%v), want none", stored.PasswordCompromisedAt, err)
	}
	if n := p.SMTP.WaitFor(t, "ada@example.com", mailWait); !strings.Contains(n.Subject, "password was changed") {
		t.Errorf("email after the reset: %q, want the password-changed notice", n.Subject)
	}
	oldPasswordFails(t, p, "ada@example.com")
}

// Clerk's reset-password session task: another first factor (here an
// emailed code) signs in as ever, but the app gets its token only after a
// new password is chosen, without being asked for the code again.
func TestCompromisedPasswordOtherFactorSetsANewOneFirst(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ada := apiUser(t, p, "ada@example.com")
	markCompromised(t, p, ada, nil)

	b := newBrowser(t, p)
	codePage := b.submit(passwordStep(t, b, "ada@example.com", appURL), prepareForm, map[string]string{"strategy": "email_code"})
	choose := b.submit(codePage, codeForm, map[string]string{"code": p.SMTP.WaitFor(t, "ada@example.com", mailWait).Code()})
	if choose.setCookie("__session") != nil {
		t.Fatal("a token was handed out before the new password")
	}
	newPasswordPage(t, choose)
	wantText(t, "after the code", choose, http.StatusOK, compromisedNewPw)
	signedOutAtHandshake(t, "before the new password", b)

	tok := wantHandBack(t, b.submit(choose, newPasswordForm, map[string]string{"password": newPassword}), http.StatusSeeOther, appURL)
	if c, _ := verify(t, p, tok); c.Subject != ada {
		t.Errorf("token for %s, want %s", c.Subject, ada)
	}
	if stored, err := p.Store.Q.UserByID(context.Background(), ada); err != nil || stored.PasswordCompromised() {
		t.Errorf("after the new password the user is still marked (%v)", err)
	}
	oldPasswordFails(t, p, "ada@example.com")
}

// newPasswordFirst checks pg, where a way in other than the password
// landed b, is the new-password step with its reason, and that no token
// reached b on the way; then it sets newPassword and returns the token
// handed back to appURL.
func newPasswordFirst(t *testing.T, what string, b *browser, pg *page) string {
	t.Helper()
	if pg.URL.Path != "/sign-in/reset-password" || b.cookie("__session") != "" {
		t.Fatalf("%s: at %s with __session %q, want the new-password step and no token:\n%s",
			what, pg.URL, b.cookie("__session"), pg.text())
	}
	noSession(t, what, pg)
	newPasswordPage(t, pg)
	wantText(t, what, pg, http.StatusOK, compromisedNewPw)
	return wantHandBack(t, b.submit(pg, newPasswordForm, map[string]string{"password": newPassword}), http.StatusSeeOther, appURL)
}

// markedByEmail marks the password of the account with email.
func markedByEmail(t *testing.T, p *portaltest.Portal, email string) string {
	t.Helper()
	u, err := p.Store.Q.UserByIdentifier(context.Background(), user.Email, email)
	if err != nil {
		t.Fatal(err)
	}
	markCompromised(t, p, u.ID, nil)
	return u.ID
}

// A passkey is both factors: after the new password the session is still
// multi-factor (fva [0,0]), with no second step asked.
func TestCompromisedPasswordPasskeySetsANewOneFirst(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	b := newBrowser(t, p)
	wantHandBack(t, signUp(t, p, b, "ada@example.com", appURL), http.StatusSeeOther, appURL)
	k := newKey(t, p)
	wantText(t, "adding a passkey", addPasskey(t, b, k, webauthntest.Ceremony{}), http.StatusOK, "Your passkey is ready")
	markedByEmail(t, p, "ada@example.com")

	in := newBrowser(t, p)
	tok := newPasswordFirst(t, "the passkey", in, signInWithPasskey(t, in, k, webauthntest.Ceremony{}, appURL))
	if got := fva(t, p, tok); got != [2]int{0, 0} {
		t.Errorf("fva %v after a passkey and a new password, want [0 0]", got)
	}
}

// A provider account signs in as ever, and a marked password is replaced
// before the app gets a token.
func TestCompromisedPasswordProviderSetsANewOneFirst(t *testing.T) {
	p, _ := startWithOIDC(t, portaltest.Options{})
	b := newBrowser(t, p)
	wantHandBack(t, viaProvider(t, b, providerButton(t, b.get(withRedirect("/sign-in", appURL)), corp)), http.StatusSeeOther, appURL)
	id := userByEmail(t, p, "ada@example.com").ID
	if r := api(t, p, http.MethodPatch, "/v1/users/"+id, map[string]any{"password": goodPassword}, nil); r.Status != http.StatusOK {
		t.Fatalf("PATCH password: %d %s", r.Status, r.Body)
	}
	markCompromised(t, p, id, nil)

	in := newBrowser(t, p)
	newPasswordFirst(t, "the provider", in, viaProvider(t, in, providerButton(t, in.get(withRedirect("/sign-in", appURL)), corp)))
	if userByEmail(t, p, "ada@example.com").PasswordCompromised() {
		t.Error("still marked after the new password")
	}
}

// The Backend API's sign-in tokens too.
func TestCompromisedPasswordSignInTokenSetsANewOneFirst(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	id := apiUser(t, p, "ada@example.com")
	markCompromised(t, p, id, nil)
	var tok struct {
		URL string `json:"url"`
	}
	if r := api(t, p, http.MethodPost, "/v1/sign_in_tokens", map[string]any{"user_id": id}, &tok); r.Status != http.StatusOK {
		t.Fatalf("POST /v1/sign_in_tokens: %d %s", r.Status, r.Body)
	}
	b := newBrowser(t, p)
	newPasswordFirst(t, "the sign-in token", b,
		b.submit(b.get(mustParse(t, tok.URL).RequestURI()+"&redirect_url="+url.QueryEscape(appURL)), ticketForm, nil))
}

// As in Clerk, where the reset-password task follows a complete sign-in:
// the second factor comes first, then the new password, and the session
// reports both factors.
func TestCompromisedPasswordAfterTheSecondFactor(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{})
	b := newBrowser(t, p)
	wantHandBack(t, signUp(t, p, b, "ada@example.com", appURL), http.StatusSeeOther, appURL)
	secret, _ := enrolTOTP(t, b, clock)
	markedByEmail(t, p, "ada@example.com")
	clock.Advance(time.Minute)

	in := newBrowser(t, p)
	codePage := in.submit(passwordStep(t, in, "ada@example.com", appURL), prepareForm, map[string]string{"strategy": "email_code"})
	step := in.submit(codePage, codeForm, map[string]string{"code": p.SMTP.WaitFor(t, "ada@example.com", mailWait).Code()})
	wantText(t, "after the code", step, http.StatusOK, "Two-step verification")
	noSession(t, "the code", step)
	choose := in.submit(step, factorTwoForm, map[string]string{"code": totpCode(t, secret, clock.Now())})
	if got := fva(t, p, newPasswordFirst(t, "the second factor", in, choose)); got[1] < 0 {
		t.Errorf("fva %v, want the second factor's age", got)
	}
}

// The account page's password change clears the mark too, and refuses the
// marked password as the new one. A session from before the mark goes on
// (set_compromised revokes sessions only when asked), and confirms with
// the current password as before, since it is still the one that works.
func TestCompromisedPasswordChangedOnTheAccountPage(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{})
	b := newBrowser(t, p)
	wantHandBack(t, signUp(t, p, b, "ada@example.com", appURL), http.StatusSeeOther, appURL)
	id := markedByEmail(t, p, "ada@example.com")
	clock.Advance(11 * time.Minute) // the sign-in no longer counts as a recent proof: the current password is asked

	pg := b.get("/user/password")
	same := b.submit(pg, passwordPageForm, map[string]string{"current_password": goodPassword, "password": goodPassword})
	wantText(t, "the marked password as the new one", same, http.StatusUnprocessableEntity, exposedAgainMsg)
	wantText(t, "a new password", b.submit(same, passwordPageForm, map[string]string{"current_password": goodPassword,
		"password": newPassword}), http.StatusOK, "Your password is saved.")
	if stored, err := p.Store.Q.UserByID(context.Background(), id); err != nil || stored.PasswordCompromisedAt != nil {
		t.Errorf("after the change the mark is %v (%v), want none", stored.PasswordCompromisedAt, err)
	}
	wantHandBack(t, signIn(t, newBrowser(t, p), "ada@example.com", newPassword, appURL), http.StatusSeeOther, appURL)
}
