package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/testutil/portaltest"
	"github.com/portalhq/portal/internal/testutil/webauthntest"
	"github.com/portalhq/portal/internal/user"
)

// "Confirm it's you" with a passkey beside other ways says "or" once: the
// line between the way shown and every other — the passkey button and the
// other methods alike —, and none after the passkey when it is the way
// shown. Where the passkey is the only other way, the line hides with its
// button in a browser without WebAuthn.
func TestReverifyPageSaysOrOnce(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{})
	b := newBrowser(t, p)
	signUp(t, p, b, "ada@example.com", "")
	addPasskey(t, b, newKey(t, p), webauthntest.Ceremony{})
	clock.Advance(11 * time.Minute)
	for _, c := range []struct{ path, first, second string }{
		{"/user/verify?return=%2Fuser", reverifyForm, ".cl-passkeyForm"},
		{"/user/verify?return=%2Fuser&strategy=passkey", ".cl-passkeyForm", "form.cl-alternativeMethods"},
		{"/user/verify?return=%2Fuser&strategy=email_code", reverifyPrepare, ".cl-passkeyForm"},
	} {
		pg := b.get(c.path)
		or := pg.Doc.Find(".cl-dividerText")
		if pg.Status != http.StatusOK || or.Length() != 1 {
			t.Errorf("%s: %d, %d dividers:\n%s", c.path, pg.Status, or.Length(), pg.Body)
			continue
		}
		// The one "or" sits between the way shown and the others, in the
		// order the page reads (the others may share a box with it).
		all := pg.Doc.Find("*")
		at := func(sel string) int { return all.IndexOfSelection(pg.Doc.Find(sel).First()) }
		if first, line, second := at(c.first), all.IndexOfSelection(or), at(c.second); first < 0 || second < 0 || !(first < line && line < second) {
			t.Errorf("%s: the divider is not between %s and %s:\n%s", c.path, c.first, c.second, pg.Body)
		}
		if _, ok := or.Attr("data-passkey-only"); ok {
			t.Errorf("%s: the divider hides without WebAuthn although other methods follow it", c.path)
		}
		if n := pg.Doc.Find(".cl-passkeyForm").Length(); n != 1 {
			t.Errorf("%s: %d passkey forms", c.path, n)
		}
	}
}

// A password the operator marked as compromised confirms nothing on
// /user/verify, as at sign-in: typed right, it is refused with a message
// that says why and points to the other ways offered (the emailed code
// here, which then works); typed wrong, it is answered as for any
// account, so the mark tells nothing to whoever does not know the
// password. Nor does it confirm anything as the current password on
// /user/password: a new password refused by the policy there leaves the
// session unconfirmed.
func TestReverifyRefusesACompromisedPassword_REQ_SES_06(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{})
	b := newBrowser(t, p)
	signUp(t, p, b, "ada@example.com", "")
	ada := userByEmail(t, p, "ada@example.com")
	markCompromised(t, p, ada.ID, nil)
	clock.Advance(11 * time.Minute)

	const add = "/user/email-addresses/new"
	confirm := b.get(add)
	wantText(t, "confirm it's you", confirm, http.StatusOK, "confirm it's you")
	wrong := b.submit(confirm, reverifyForm, map[string]string{"password": wrongPassword})
	if got := messageFor(wrong, "password"); wrong.Status != http.StatusUnprocessableEntity || got != "Password is incorrect. Try again, or use another method." {
		t.Errorf("a wrong password: %d %q", wrong.Status, got)
	}
	right := b.submit(confirm, reverifyForm, map[string]string{"password": goodPassword})
	want := "Your password may have been exposed, so it can't be used to confirm it's you. Choose another way below."
	if got := messageFor(right, "password"); right.Status != http.StatusUnprocessableEntity || got != want {
		t.Fatalf("the marked password: %d %q at %s, want 422 %q", right.Status, got, right.URL, want)
	}
	if right.Doc.Find(`button[name=strategy][value=email_code]`).Length() != 1 {
		t.Errorf("the refusal offers no emailed code:\n%s", right.text())
	}
	if strings.Contains(wrong.text(), "exposed") {
		t.Error("a wrong password heard of the mark")
	}
	wantReverify(t, "after the refused password", b.getRaw(add), add)

	// The current password on /user/password: a new one the policy
	// refuses does not leave the session confirmed by the marked one.
	pw := b.get("/user/password")
	short := b.submit(pw, passwordPageForm, map[string]string{"current_password": goodPassword, "password": "short"})
	if short.Status != http.StatusUnprocessableEntity {
		t.Fatalf("a short new password: %d:\n%s", short.Status, short.text())
	}
	wantReverify(t, "after the marked current password", b.getRaw(add), add)

	// Another way does confirm it.
	sent := b.submit(right, reverifyPrepare, map[string]string{"strategy": "email_code"})
	code := p.SMTP.WaitFor(t, "ada@example.com", mailWait).Code()
	back := b.submit(sent, reverifyForm, map[string]string{"code": code})
	if back.URL.Path != add || back.Doc.Find(addEmailForm).Length() != 1 {
		t.Errorf("after the emailed code: at %s:\n%s", back.URL, back.text())
	}
}

// Where the password is the only way to confirm it's you, the refusal says
// to change it first, which the account page does with the same password.
func TestReverifyCompromisedPasswordOnlyWay(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{Env: map[string]string{"PORTAL_IDENTIFIERS": "username"}})
	b := newBrowser(t, p)
	wantHandBack(t, signUpWith(b, map[string]string{"username": "ada_l", "password": goodPassword,
		"first_name": "Ada", "last_name": "Lovelace"}, appURL), http.StatusSeeOther, appURL)
	ada, err := p.Store.Q.UserByIdentifier(context.Background(), user.Username, "ada_l")
	if err != nil {
		t.Fatal(err)
	}
	markCompromised(t, p, ada.ID, nil)
	clock.Advance(11 * time.Minute)
	right := b.submit(b.get("/user/verify?return=%2Fuser%2Fdelete"), reverifyForm, map[string]string{"password": goodPassword})
	want := "Your password may have been exposed, so it can't be used to confirm it's you. Change it first with “Change password” on your account page."
	if got := messageFor(right, "password"); right.Status != http.StatusUnprocessableEntity || got != want {
		t.Errorf("the marked password, the only way: %d %q, want 422 %q", right.Status, got, want)
	}
	if right.Doc.Find(".cl-alternativeMethods, .cl-dividerText").Length() != 0 {
		t.Errorf("other ways shown where there are none:\n%s", right.Body)
	}
	// As it says: the password changes with itself as the current one.
	done := b.submit(b.get("/user/password"), passwordPageForm, map[string]string{"current_password": goodPassword, "password": goodPassword + "-new"})
	if done.URL.Path != "/user" {
		t.Errorf("changing the marked password: %d at %s:\n%s", done.Status, done.URL, done.text())
	}
}

// Confirming it's you loses nothing the person typed: a form posted after
// the 10 minutes sends them to "Confirm it's you", and once they have, the
// form comes back as they filled it in — the new address or number, the
// phrase that deletes the account —, one press from done. The values go in
// no URL; they are kept once, for that page and that session only.
func TestReverifyKeepsWhatWasTyped_REQ_SES_06(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{})
	b := newBrowser(t, p)
	signUp(t, p, b, "ada@example.com", "")

	const add = "/user/email-addresses/new"
	form := b.get(add)
	clock.Advance(11 * time.Minute)
	confirm := b.submit(form, addEmailForm, map[string]string{"email_address": "ada@work.example"})
	wantText(t, "the stale addition", confirm, http.StatusOK, "confirm it's you")
	for _, loc := range confirm.Via {
		if strings.Contains(loc, "work.example") {
			t.Errorf("the typed address is in a URL: %s", loc)
		}
	}
	back := b.submit(confirm, reverifyForm, map[string]string{"password": goodPassword})
	if got := back.Doc.Find(addEmailForm+` input[name=email_address]`).AttrOr("value", ""); back.URL.Path != add || got != "ada@work.example" {
		t.Fatalf("after confirming: at %s, the address field holds %q:\n%s", back.URL, got, back.text())
	}
	if got := b.get(add).Doc.Find(`input[name=email_address]`).AttrOr("value", ""); got != "" {
		t.Errorf("the kept address came back twice: %q", got)
	}
	sent := b.submit(back, addEmailForm, nil)
	wantText(t, "one press later", sent, http.StatusOK, "Verify your email address", "ada@work.example")

	// Deleting the account: the phrase comes back, the button still asks.
	del := b.get("/user/delete")
	clock.Advance(11 * time.Minute)
	confirm = b.submit(del, deletePageForm, map[string]string{"confirmation": "Delete account"})
	back = b.submit(confirm, reverifyForm, map[string]string{"password": goodPassword})
	if got := back.Doc.Find(deletePageForm+` input[name=confirmation]`).AttrOr("value", ""); back.URL.Path != "/user/delete" || got != "Delete account" {
		t.Fatalf("after confirming a deletion: at %s, the phrase field holds %q:\n%s", back.URL, got, back.text())
	}
	if userByEmail(t, p, "ada@example.com") == nil {
		t.Fatal("the account went without the button")
	}

	// Kept for the session that typed it: signed out and in again in the
	// same browser, the page comes back empty.
	form = b.get(add)
	clock.Advance(11 * time.Minute)
	b.submit(form, addEmailForm, map[string]string{"email_address": "ada@home.example"})
	b.submit(b.get("/sign-out"), signOutForm, nil)
	signIn(t, b, "ada@example.com", goodPassword, "")
	if got := b.get(add).Doc.Find(`input[name=email_address]`).AttrOr("value", ""); got != "" {
		t.Errorf("another session was shown the kept address %q", got)
	}
}

// The same for a phone number.
func TestReverifyKeepsTheTypedPhoneNumber(t *testing.T) {
	p, clock, tw := startTwilio(t, phoneEnv)
	b := newBrowser(t, p)
	wantHandBack(t, signUpByPhone(t, b, tw, "+1 415 555 0100", adaPhone, appURL), http.StatusSeeOther, appURL)
	const add, addForm = "/user/phone-numbers/new", `form[action="/user/phone-numbers"]`
	form := b.get(add)
	clock.Advance(11 * time.Minute)
	confirm := b.submit(form, addForm, map[string]string{"phone_number": "+1 415 555 0199"})
	back := b.submit(confirm, reverifyForm, map[string]string{"password": goodPassword})
	if got := back.Doc.Find(addForm+` input[name=phone_number]`).AttrOr("value", ""); back.URL.Path != add || got != "+1 415 555 0199" {
		t.Fatalf("after confirming: at %s, the number field holds %q:\n%s", back.URL, got, back.text())
	}
}
