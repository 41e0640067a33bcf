package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/testutil/webauthntest"
	"github.com/portalhq/portal/internal/user"
)

// Every page that asks before taking something away — an address, a phone
// number, a passkey, the authenticator app, codes by text message, a
// connected account, a device — presses it with the red danger button; a
// page that adds or changes something keeps the primary one.
func TestDestructiveConfirmationsUseTheDangerButton(t *testing.T) {
	p, clock, tw := startTwilio(t, phoneEnv)
	b := newBrowser(t, p)
	wantHandBack(t, signUpByPhone(t, b, tw, "+1 415 555 0100", adaPhone, appURL), http.StatusSeeOther, appURL)
	addEmail(t, p, b, "ada@example.com")
	enrolTOTP(t, b, clock)
	b.submit(b.get("/user/security/phone"), `form[action="/user/security/phone"]`, nil)
	addPasskey(t, b, newKey(t, p), webauthntest.Ceremony{})
	ada := wantVerified(t, p, user.Phone, adaPhone)
	id, _ := b.get("/user/security").Doc.Find(`[data-testid=passkey] input[name=name]`).Attr("id")
	passkey := "/user/security/passkeys/" + strings.TrimPrefix(id, "rename-") + "/remove"

	confirmation := func(path string, danger bool) {
		t.Helper()
		pg := b.get(path)
		button := pg.Doc.Find(`form[action="` + path + `"] button[type=submit]`)
		if pg.Status != http.StatusOK || button.Length() != 1 {
			t.Errorf("%s: %d, %d buttons:\n%s", path, pg.Status, button.Length(), pg.text())
			return
		}
		if button.HasClass("cl-formButtonDanger") != danger {
			t.Errorf("%s: button %q has class %q, danger wanted: %v", path, strings.TrimSpace(button.Text()), button.AttrOr("class", ""), danger)
		}
	}
	for _, c := range []struct {
		path   string
		danger bool
	}{
		{"/user/email-addresses/" + identifierID(t, ada, "ada@example.com") + "/remove", true},
		{passkey, true},
		{"/user/security/totp/remove", true},
		{"/user/security/phone/remove", true},
		{"/user/sessions/revoke-others", true},
		{"/user/email-addresses/" + identifierID(t, ada, "ada@example.com") + "/primary", false},
		{"/user/security/backup-codes", false}, // new codes, shown at once
	} {
		confirmation(c.path, c.danger)
	}
	// The number receives the second step's codes: removing it is refused
	// at once until they are turned off, and then asked.
	b.submit(b.get("/user/security/phone/remove"), `form[action="/user/security/phone/remove"]`, nil)
	confirmation("/user/phone-numbers/"+identifierID(t, ada, adaPhone)+"/remove", true)
}
