package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/testutil/portaltest"
	"github.com/portalhq/portal/internal/testutil/twiliotest"
	"github.com/portalhq/portal/internal/testutil/webauthntest"
	"github.com/portalhq/portal/internal/user"
)

// An account always keeps a way to sign in, whatever route tries to take
// the last one away (REQ-AC-06: the check and the change are one
// transaction). Disconnecting the last provider account is refused too:
// TestOAuthCannotDisconnectLastWayIn.
func TestLastWayToSignInCannotBeRemoved(t *testing.T) {
	t.Run("the only email address", func(t *testing.T) {
		p := portaltest.Start(t, portaltest.Options{})
		b := newBrowser(t, p)
		signUp(t, p, b, "ada@example.com", "")
		ada := userByEmail(t, p, "ada@example.com")
		remove := "/user/email-addresses/" + identifierID(t, ada, "ada@example.com") + "/remove"
		// Remove beside it says so at once: no confirmation that can only
		// be refused. A POST straight to the route is refused too.
		pg := b.get(remove)
		wantText(t, "asking to remove the only address", pg, http.StatusOK, "You can't remove your only way to sign in")
		if pg.Doc.Find(`form[action="`+remove+`"]`).Length() != 0 {
			t.Errorf("the refusal still offers the Remove form:\n%s", pg.text())
		}
		wantText(t, "removing the only address", b.post(remove, nil), http.StatusUnprocessableEntity, "You can't remove your only way to sign in")
		// This instance takes no phone numbers: the way out names none.
		if alert := pg.Doc.Find(".cl-alert").Text(); !strings.Contains(alert, "Add another email address or sign-in method") {
			t.Errorf("on an instance without phone numbers the refusal says %q, want it to suggest an email address, not a number", alert)
		}
		wantVerified(t, p, user.Email, "ada@example.com")
	})

	t.Run("the primary email address while another exists", func(t *testing.T) {
		p := portaltest.Start(t, portaltest.Options{})
		b := newBrowser(t, p)
		signUp(t, p, b, "ada@example.com", "")
		addEmail(t, p, b, "ada@work.example")
		remove := "/user/email-addresses/" + identifierID(t, userByEmail(t, p, "ada@example.com"), "ada@example.com") + "/remove"
		wantText(t, "asking to remove the primary address", b.get(remove), http.StatusOK, "Make another address primary")
		wantText(t, "removing the primary address", b.post(remove, nil), http.StatusUnprocessableEntity, "Make another address primary")
	})

	t.Run("the only phone number", func(t *testing.T) {
		p, _, tw := startTwilio(t, map[string]string{"PORTAL_IDENTIFIERS": "phone", "PORTAL_FACTORS": "phone_code"})
		b := newBrowser(t, p)
		wantHandBack(t, signUpByPhone(t, b, tw, adaPhone, adaPhone, appURL), http.StatusSeeOther, appURL)
		ada := wantVerified(t, p, user.Phone, adaPhone)
		pg := b.get("/user")
		wantText(t, "/user on a phone instance", pg, http.StatusOK, "Phone numbers", "+1 415-555-0100")
		remove := "/user/phone-numbers/" + identifierID(t, ada, adaPhone) + "/remove"
		asked := b.get(remove)
		wantText(t, "asking to remove the only number", asked, http.StatusOK,
			"You can't remove your only way to sign in. Add another phone number or sign-in method first.")
		if alert := asked.Doc.Find(".cl-alert").Text(); strings.Contains(alert, "email") {
			t.Errorf("on an instance that signs in by phone alone the refusal suggests an email address: %q", alert)
		}
		wantText(t, "removing the only number", b.post(remove, nil), http.StatusUnprocessableEntity, "You can't remove your only way to sign in")
		wantVerified(t, p, user.Phone, adaPhone)
	})

	// A passkey is a way in too (one rule, user.CanSignIn, for every
	// removal): with one, the only email address can go; then the passkey
	// is the last way in and stays.
	t.Run("a passkey keeps an account without an address", func(t *testing.T) {
		p := portaltest.Start(t, portaltest.Options{})
		b := newBrowser(t, p)
		signUp(t, p, b, "ada@example.com", "")
		ada := userByEmail(t, p, "ada@example.com")
		addPasskey(t, b, newKey(t, p), webauthntest.Ceremony{})
		pg := b.get("/user/email-addresses/" + identifierID(t, ada, "ada@example.com") + "/remove")
		pg = b.submit(pg, confirmForm(pg), nil)
		if pg.Status != http.StatusOK || pg.URL.Path != "/user" {
			t.Fatalf("removing the address beside a passkey: %d at %s:\n%s", pg.Status, pg.URL, pg.text())
		}
		if u := userByID(t, p, ada.ID); len(u.Identifiers) != 0 || u.Passkeys != 1 {
			t.Fatalf("after removing the address: %d identifiers, %d passkeys", len(u.Identifiers), u.Passkeys)
		}
		id, _ := b.get("/user/security").Doc.Find(`[data-testid=passkey] input[name=name]`).Attr("id")
		removePath := "/user/security/passkeys/" + strings.TrimPrefix(id, "rename-") + "/remove"
		wantText(t, "removing the last passkey", b.submit(b.get(removePath), `form[action="`+removePath+`"]`, nil),
			http.StatusUnprocessableEntity, "You can't remove your only way to sign in.")
		if u := userByID(t, p, ada.ID); u.Passkeys != 1 {
			t.Errorf("passkeys after the refusal: %d", u.Passkeys)
		}
	})

	// The number that receives second-factor codes is not taken away with
	// the codes unnoticed: they are turned off first.
	t.Run("the number receiving second-factor codes", func(t *testing.T) {
		p, _, tw := startTwilio(t, phoneEnv)
		b := newBrowser(t, p)
		wantHandBack(t, signUpByPhone(t, b, tw, "+1 415 555 0100", adaPhone, appURL), http.StatusSeeOther, appURL)
		addEmail(t, p, b, "ada@example.com")
		b.submit(b.get("/user/security/phone"), `form[action="/user/security/phone"]`, nil)
		ada := wantVerified(t, p, user.Phone, adaPhone)
		remove := "/user/phone-numbers/" + identifierID(t, ada, adaPhone) + "/remove"
		wantText(t, "asking to remove the second-factor number", b.get(remove),
			http.StatusOK, "Turn off codes by text message")
		wantText(t, "removing the second-factor number", b.post(remove, nil),
			http.StatusUnprocessableEntity, "Turn off codes by text message")
		b.submit(b.get("/user/security/phone/remove"), `form[action="/user/security/phone/remove"]`, nil)
		pg := b.get(remove)
		if pg = b.submit(pg, confirmForm(pg), nil); pg.Status != http.StatusOK || pg.URL.Path != "/user" {
			t.Errorf("with texts off, removing the number: %d at %s:\n%s", pg.Status, pg.URL, pg.text())
		}
	})

	// There is no way to remove a password: an empty one is refused by the
	// policy and the old one stays.
	t.Run("the password", func(t *testing.T) {
		p := portaltest.Start(t, portaltest.Options{})
		b := newBrowser(t, p)
		signUp(t, p, b, "ada@example.com", "")
		pg := b.submit(b.get("/user/password"), passwordPageForm, map[string]string{"password": ""})
		if pg.Status != http.StatusUnprocessableEntity || messageFor(pg, "password") == "" {
			t.Errorf("empty password: status %d, message %q", pg.Status, messageFor(pg, "password"))
		}
		wantHandBack(t, signIn(t, newBrowser(t, p), "ada@example.com", goodPassword, appURL), http.StatusSeeOther, appURL)
	})
}

// REQ-AC-02: a session ID of another user, an unknown one and one already
// ended all get the same answer, and nothing happens to the other user's
// session (nor to their email address, asked for by its ID). The user's own other devices do sign out, effective at their
// next token refresh (REQ-SES-05).
func TestSignOutDeviceByID_REQ_AC_02_REQ_SES_05(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	grace := newBrowser(t, p)
	g, _ := verify(t, p, wantHandBack(t, signUp(t, p, grace, "grace@example.com", appURL), http.StatusSeeOther, appURL))
	b := newBrowser(t, p)
	signUp(t, p, b, "ada@example.com", appURL)
	phone := newBrowser(t, p)
	phone.header = http.Header{"User-Agent": {"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"}}
	other, _ := verify(t, p, wantHandBack(t, signIn(t, phone, "ada@example.com", goodPassword, appURL), http.StatusSeeOther, appURL))

	pg := b.get("/user")
	devices := pg.Doc.Find(".cl-device")
	if devices.Length() != 2 || !strings.Contains(devices.First().Text(), "This device") ||
		!strings.Contains(devices.Eq(1).Text(), "Safari 17 on iOS 17.5") {
		t.Fatalf("devices:\n%s", devices.Text())
	}

	theirs := b.post("/user/sessions/"+g.SID+"/revoke", nil)
	unknown := b.post("/user/sessions/"+id.New(id.Session)+"/revoke", nil)
	for name, pg := range map[string]*page{"another user's session": theirs, "an unknown session": unknown} {
		wantText(t, name, pg, http.StatusNotFound, "That device was not found")
	}
	if normalise(theirs.Body) != normalise(unknown.Body) {
		t.Error("another user's session and an unknown one get different answers")
	}
	if got := sessionStatus(t, p, g.SID); got != session.Active {
		t.Fatalf("grace's session is %s", got)
	}
	// Grace's email address by its ID: not found either, whatever the step.
	gid := identifierID(t, userByID(t, p, g.Subject), "grace@example.com")
	for _, action := range []string{"remove", "primary"} {
		path := "/user/email-addresses/" + gid + "/" + action
		wantText(t, "GET "+path, b.get(path), http.StatusNotFound, "was not found")
		wantText(t, "POST "+path, b.post(path, nil), http.StatusNotFound, "was not found")
	}
	wantVerified(t, p, user.Email, "grace@example.com")
	wantHandBack(t, grace.getRaw(handshakePath(appURL)), http.StatusTemporaryRedirect, appURL)

	pg = b.submit(b.get("/user"), `form[action="/user/sessions/`+other.SID+`/revoke"]`, nil)
	wantText(t, "after signing the phone out", pg, http.StatusOK, "The device is signed out.")
	if pg.Doc.Find(".cl-device").Length() != 1 {
		t.Errorf("the phone is still listed:\n%s", pg.Doc.Find(".cl-device").Text())
	}
	signedOutAtHandshake(t, "the phone", phone)
	if n := countEvents(t, p, other.SID, events.SessionRevoked); n != 1 {
		t.Errorf("%d session.revoked events for the phone, want 1", n)
	}
	again := b.post("/user/sessions/"+other.SID+"/revoke", nil)
	unknown = b.post("/user/sessions/"+id.New(id.Session)+"/revoke", nil)
	if again.Status != http.StatusNotFound || normalise(again.Body) != normalise(unknown.Body) {
		t.Errorf("an ended session: status %d, or a different answer", again.Status)
	}
}

// REQ-SES-06: ten minutes after the person last proved who they are,
// every sensitive change goes through /user/verify first and then
// continues where it was going; /user/verify sends nowhere else.
func TestReverificationExpires_REQ_SES_06(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{})
	b := newBrowser(t, p)
	signUp(t, p, b, "ada@example.com", "")
	// A second address, which may be removed: asking to remove one that
	// may not (the only or primary one) is answered at once, with no
	// password asked for a change that cannot happen.
	addEmail(t, p, b, "ada@work.example")
	ada := userByEmail(t, p, "ada@example.com")
	own, work := identifierID(t, ada, "ada@example.com"), identifierID(t, ada, "ada@work.example")
	if pg := b.get("/user/password"); pg.Doc.Find("#current_password-field").Length() != 0 {
		t.Error("just signed in, the password form asks for the current password")
	}

	clock.Advance(11 * time.Minute)
	for path, back := range map[string]string{
		"/user/email-addresses/new":                 "/user/email-addresses/new",
		"/user/email-addresses/" + work + "/remove": "/user/email-addresses/" + work + "/remove",
		"/user/delete":                              "/user/delete",
	} {
		wantReverify(t, "GET "+path, b.getRaw(path), back)
	}
	for path, back := range map[string]string{
		"/user/email-addresses":                     "/user/email-addresses/new",
		"/user/email-addresses/" + own + "/primary": "/user/email-addresses/" + own + "/primary",
		"/user/sessions/revoke-others":              "/user/sessions/revoke-others",
		"/user/delete":                              "/user/delete",
	} {
		wantReverify(t, "POST "+path, b.post(path, url.Values{"email_address": {"x@example.com"}, "confirmation": {"Delete account"}}), back)
	}
	if _, err := p.Store.Q.UserByID(t.Context(), ada.ID); err != nil {
		t.Fatalf("the account is gone: %v", err)
	}
	if pg := b.get("/user/password"); pg.Doc.Find("#current_password-field").Length() != 1 {
		t.Error("eleven minutes on, the password form does not ask for the current password")
	}

	pg := b.get("/user/email-addresses/new")
	wantText(t, "the verify page", pg, http.StatusOK, "Enter your password", "confirm it's you")
	if u := pg.URL.RequestURI(); u != "/user/verify?return=%2Fuser%2Femail-addresses%2Fnew" {
		t.Errorf("at %s", u)
	}
	wrong := b.submit(pg, reverifyForm, map[string]string{"password": wrongPassword})
	if wrong.Status != http.StatusUnprocessableEntity || !strings.Contains(messageFor(wrong, "password"), "incorrect") {
		t.Errorf("wrong password: status %d, message %q", wrong.Status, messageFor(wrong, "password"))
	}
	pg = b.submit(wrong, reverifyForm, map[string]string{"password": goodPassword})
	if pg.Status != http.StatusOK || pg.URL.Path != "/user/email-addresses/new" || pg.Doc.Find(addEmailForm).Length() != 1 {
		t.Fatalf("after the password: status %d at %s", pg.Status, pg.URL)
	}

	// A code by email is the other way; the verify page only ever returns
	// to an account page.
	clock.Advance(11 * time.Minute)
	pg = b.get("/user/verify?return=" + url.QueryEscape("https://evil.example/x"))
	pg = b.submit(pg, reverifyPrepare, map[string]string{"strategy": "email_code"})
	wantText(t, "after asking for a code", pg, http.StatusOK, "Check your email", "ada@example.com")
	m := p.SMTP.WaitFor(t, "ada@example.com", mailWait)
	if !strings.Contains(m.Text, "confirm it's you") {
		t.Errorf("the code email does not say what it is for:\n%s", m.Text)
	}
	pg = b.postForm(http.MethodPost, "/user/verify", url.Values{"_csrf": {b.csrf()}, "strategy": {"email_code"},
		"code": {m.Code()}, "return": {"https://evil.example/x"}}, nil)
	if pg.Status != http.StatusSeeOther || pg.Header.Get("Location") != "/user" {
		t.Errorf("after the code: %d to %q, want 303 to /user", pg.Status, pg.Header.Get("Location"))
	}
	if pg := b.getRaw("/user/delete"); pg.Status != http.StatusOK {
		t.Errorf("reverified, /user/delete: status %d", pg.Status)
	}
}

// REQ-SES-05, REQ-SES-06: "Sign out" beside another device, or "Sign out of
// all other devices", pressed when the last proof is old, asks the person
// to confirm it's them and then still signs the device out, after one more
// press on a page that says which — not back on /user with nothing done.
func TestSigningOutDevicesAfterConfirming_REQ_SES_05_REQ_SES_06(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{})
	b := newBrowser(t, p)
	signUp(t, p, b, "ada@example.com", appURL)
	phone, laptop := newBrowser(t, p), newBrowser(t, p)
	phone.header = http.Header{"User-Agent": {"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"}}
	other, _ := verify(t, p, wantHandBack(t, signIn(t, phone, "ada@example.com", goodPassword, appURL), http.StatusSeeOther, appURL))
	third, _ := verify(t, p, wantHandBack(t, signIn(t, laptop, "ada@example.com", goodPassword, appURL), http.StatusSeeOther, appURL))

	clock.Advance(11 * time.Minute)
	pg := b.submit(b.get("/user"), `form[action="/user/sessions/`+other.SID+`/revoke"]`, nil)
	wantText(t, "the stale press", pg, http.StatusOK, "confirm it's you")
	pg = b.submit(pg, reverifyForm, map[string]string{"password": goodPassword})
	wantText(t, "after confirming", pg, http.StatusOK, "Sign out Safari 17 on iOS 17.5?") // the page asks
	if sessionStatus(t, p, other.SID) != session.Active {
		t.Fatal("the phone was signed out before the press on the confirmation page")
	}
	wantText(t, "after the press", b.submit(pg, confirmForm(pg), nil), http.StatusOK, "The device is signed out.")
	signedOutAtHandshake(t, "the phone", phone)

	clock.Advance(11 * time.Minute)
	pg = b.submit(b.get("/user"), `form[action="/user/sessions/revoke-others"]`, nil)
	pg = b.submit(pg, reverifyForm, map[string]string{"password": goodPassword})
	wantText(t, "after confirming", pg, http.StatusOK, "Sign out of all other devices?")
	wantText(t, "after the press", b.submit(pg, confirmForm(pg), nil), http.StatusOK, "Every other device is signed out.")
	if got := sessionStatus(t, p, third.SID); got == session.Active {
		t.Errorf("the laptop's session is %s", got)
	}

	// A device already signed out gets the usual answer.
	wantText(t, "the page of a signed-out device", b.get("/user/sessions/"+other.SID+"/revoke"), http.StatusNotFound, "That device was not found")
}

// REQ-PW-07: changing the password takes the current one (or a fresh
// reverification), explains the policy next to the field, can sign out
// every other device (REQ-SES-05) and is announced by email.
func TestChangePassword_REQ_PW_07(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{})
	b := newBrowser(t, p)
	c, _ := verify(t, p, wantHandBack(t, signUp(t, p, b, "ada@example.com", appURL), http.StatusSeeOther, appURL))
	laptop := newBrowser(t, p)
	other, _ := verify(t, p, wantHandBack(t, signIn(t, laptop, "ada@example.com", goodPassword, appURL), http.StatusSeeOther, appURL))
	clock.Advance(11 * time.Minute)

	pg := b.get("/user/password")
	wantText(t, "the password page", pg, http.StatusOK, "Change your password", "Sign out of all other devices")
	if _, on := pg.Doc.Find("#sign_out_others-field").Attr("checked"); !on {
		t.Error("signing out other devices is not offered by default")
	}
	// Two password fields, each labelled for what it is.
	for id, want := range map[string]string{"current_password-field": "Current password", "password-field": "New password"} {
		if got := strings.TrimSpace(pg.Doc.Find(`label[for="` + id + `"]`).Contents().First().Text()); got != want {
			t.Errorf("label of #%s = %q, want %q", id, got, want)
		}
	}
	const newPassword = "quartz-meadow-pelican-umbrella-7"
	pg = b.submit(pg, passwordPageForm, map[string]string{"current_password": wrongPassword, "password": newPassword})
	if pg.Status != http.StatusUnprocessableEntity || messageFor(pg, "current_password") != "Your current password is incorrect." {
		t.Fatalf("wrong current password: status %d, message %q", pg.Status, messageFor(pg, "current_password"))
	}
	pg = b.submit(pg, passwordPageForm, map[string]string{"current_password": goodPassword, "password": "short"})
	if pg.Status != http.StatusUnprocessableEntity || !strings.Contains(messageFor(pg, "password"), "at least 15 characters") {
		t.Fatalf("short password: status %d, message %q", pg.Status, messageFor(pg, "password"))
	}
	if pg.Doc.Find("#current_password-field").Length() != 0 {
		t.Error("the current password was proven, yet asked again")
	}
	pg = b.submit(pg, passwordPageForm, map[string]string{"password": newPassword})
	wantText(t, "after changing", pg, http.StatusOK, "Your password is saved.")

	signedOutAtHandshake(t, "the other device", laptop)
	if got := sessionStatus(t, p, other.SID); got != session.Revoked {
		t.Errorf("the other device's session is %s, want revoked", got)
	}
	if got := sessionStatus(t, p, c.SID); got != session.Active {
		t.Errorf("this device's session is %s, want active", got)
	}
	if m := p.SMTP.WaitFor(t, "ada@example.com", mailWait); !strings.Contains(m.Subject, "password was changed") {
		t.Errorf("notice subject %q", m.Subject)
	}
	if o := lastUser(t, p, c.Subject); !o.PasswordEnabled {
		t.Error("user.updated says no password")
	}
	wantHandBack(t, signIn(t, newBrowser(t, p), "ada@example.com", newPassword, appURL), http.StatusSeeOther, appURL)
}

// An account without a password sets one after confirming by email code;
// there is no current password to ask for.
func TestSetFirstPassword(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{Env: map[string]string{"PORTAL_SIGN_UP_REQUIRED": "email_address",
		"PORTAL_SIGN_UP_FIELDS": "email_address"}})
	b := newBrowser(t, p)
	pg := signUpWith(b, map[string]string{"email_address": "ada@example.com"}, "")
	b.submit(pg, verifyForm, map[string]string{"code": p.SMTP.WaitFor(t, "ada@example.com", mailWait).Code()})
	wantText(t, "/user", b.get("/user"), http.StatusOK, "Set a password")
	clock.Advance(11 * time.Minute)

	wantReverify(t, "GET /user/password", b.getRaw("/user/password"), "/user/password")
	pg = b.get("/user/password")
	wantText(t, "verify page", pg, http.StatusOK, "We'll send a code to ada@example.com")
	pg = b.submit(pg, reverifyPrepare, nil)
	pg = b.submit(pg, reverifyForm, map[string]string{"code": p.SMTP.WaitFor(t, "ada@example.com", mailWait).Code()})
	wantText(t, "after the code", pg, http.StatusOK, "Set a password")
	if pg.Doc.Find("#current_password-field").Length() != 0 {
		t.Error("an account without a password is asked for its current one")
	}
	pg = b.submit(pg, passwordPageForm, map[string]string{"password": goodPassword})
	wantText(t, "after setting", pg, http.StatusOK, "Your password is saved.")
	wantHandBack(t, signIn(t, newBrowser(t, p), "ada@example.com", goodPassword, appURL), http.StatusSeeOther, appURL)
}

// REQ-SES-05: deleting the account ends every session, writes user.deleted
// and lands on a page saying so; the address is free again afterwards.
func TestDeleteAccount_REQ_SES_05(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	b := newBrowser(t, p)
	c, _ := verify(t, p, wantHandBack(t, signUp(t, p, b, "ada@example.com", appURL), http.StatusSeeOther, appURL))
	phone := newBrowser(t, p)
	other, _ := verify(t, p, wantHandBack(t, signIn(t, phone, "ada@example.com", goodPassword, appURL), http.StatusSeeOther, appURL))
	b.get("/user?redirect_url=" + url.QueryEscape(appURL))

	pg := b.submit(b.get("/user/delete"), deletePageForm, map[string]string{"confirmation": "delete"})
	if pg.Status != http.StatusUnprocessableEntity || !strings.Contains(messageFor(pg, "confirmation"), `Type "Delete account"`) {
		t.Fatalf("wrong confirmation: status %d, message %q", pg.Status, messageFor(pg, "confirmation"))
	}
	if v, _ := pg.Doc.Find("#confirmation-field").Attr("value"); v != "delete" {
		t.Errorf("typed confirmation not kept: %q", v)
	}
	pg = b.submit(pg, deletePageForm, map[string]string{"confirmation": "delete ACCOUNT"})
	wantText(t, "after deleting", pg, http.StatusOK, "Your account is deleted")
	if pg.URL.Path != "/user/deleted" {
		t.Errorf("landed on %s", pg.URL)
	}
	if href, _ := pg.Doc.Find("footer a").Attr("href"); href != appURL {
		t.Errorf("the done page links to %q, want the app", href)
	}
	if b.cookie("__client_uat") != "0" {
		t.Error("this browser's __client_uat is not 0")
	}
	if _, err := p.Store.Q.UserByID(t.Context(), c.Subject); err == nil {
		t.Fatal("the user is still there")
	}
	signedOutAtHandshake(t, "this browser", b)
	signedOutAtHandshake(t, "the other device", phone)
	for _, sid := range []string{c.SID, other.SID} {
		if n := countEvents(t, p, sid, events.SessionRevoked); n != 1 {
			t.Errorf("%d session.revoked events for %s, want 1", n, sid)
		}
	}
	evs := eventsOf(t, p, c.Subject)
	last := evs[len(evs)-1]
	var d user.Deleted
	if err := json.Unmarshal(last.Data, &d); err != nil || last.Type != events.UserDeleted || !d.Deleted || d.ID != c.Subject || d.Object != "user" {
		t.Errorf("last event %s %s", last.Type, last.Data)
	}
	if pg := b.get("/user"); pg.URL.Path != "/sign-in" {
		t.Errorf("/user after deletion: at %s", pg.URL)
	}
	signUp(t, p, newBrowser(t, p), "ada@example.com", "")
}

// An instance can keep accounts from being deleted by their owners.
func TestAccountDeletionCanBeTurnedOff(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_ALLOW_ACCOUNT_DELETION": "false"}})
	b := newBrowser(t, p)
	c, _ := verify(t, p, wantHandBack(t, signUp(t, p, b, "ada@example.com", appURL), http.StatusSeeOther, appURL))
	if pg := b.get("/user"); pg.Doc.Find(`a[href="/user/delete"]`).Length() != 0 {
		t.Error("/user offers to delete the account")
	}
	if pg := b.get("/user/delete"); pg.Status != http.StatusNotFound {
		t.Errorf("GET /user/delete: status %d", pg.Status)
	}
	if pg := b.post("/user/delete", url.Values{"confirmation": {"Delete account"}}); pg.Status != http.StatusNotFound {
		t.Errorf("POST /user/delete: status %d", pg.Status)
	}
	if _, err := p.Store.Q.UserByID(t.Context(), c.Subject); err != nil {
		t.Fatalf("the user is gone: %v", err)
	}
}

// REQ-AC-06: two removals racing cannot together take away the last way
// in, each fine on its own. On PostgreSQL, whose transactions do not
// serialise by themselves, the user's row lock makes check and removal
// one step.
func TestConcurrentRemovalsKeepAWayIn_REQ_AC_06(t *testing.T) {
	tw := twiliotest.Start(t, twilioSID, twilioToken)
	p := portaltest.Start(t, portaltest.Options{Postgres: true, Env: twilioEnv(tw, map[string]string{
		"PORTAL_IDENTIFIERS": "email,phone", "PORTAL_FACTORS": "email_code,phone_code",
		"PORTAL_SIGN_UP_FIELDS": "email_address", "PORTAL_SIGN_UP_REQUIRED": "email_address"})})
	b := newBrowser(t, p)
	pg := signUpWith(b, map[string]string{"email_address": "ada@example.com"}, "")
	b.submit(pg, verifyForm, map[string]string{"code": p.SMTP.WaitFor(t, "ada@example.com", mailWait).Code()})
	pg = b.submit(b.get("/user/phone-numbers/new"), `form[action="/user/phone-numbers"]`, map[string]string{"phone_number": adaPhone})
	b.submit(pg, identifierCodeForm, map[string]string{"code": smsTo(t, tw, adaPhone).Code()})
	ada := wantVerified(t, p, user.Phone, adaPhone)

	paths := []string{
		"/user/email-addresses/" + identifierID(t, ada, "ada@example.com") + "/remove",
		"/user/phone-numbers/" + identifierID(t, ada, adaPhone) + "/remove",
	}
	results := make([]int, len(paths))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, path := range paths {
		wg.Go(func() {
			<-start
			results[i] = b.post(path, nil).Status
		})
	}
	close(start)
	wg.Wait()
	slices.Sort(results)
	if !slices.Equal(results, []int{http.StatusSeeOther, http.StatusUnprocessableEntity}) {
		t.Errorf("statuses %v, want one removal and one refusal", results)
	}
	if u := userByID(t, p, ada.ID); !u.CanSignIn(user.SignInOptions{Email: true, Phone: true, Factors: []string{"email_code", "phone_code"}}) {
		t.Errorf("the account has no way in left: %+v", u.Identifiers)
	}
}
