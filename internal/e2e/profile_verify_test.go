package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/account"
	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/testutil/portaltest"
	"github.com/portalhq/portal/internal/user"
)

// addUnverified has the operator give userID an unverified email address
// or phone number through the Backend API and returns its ID.
func addUnverified(t *testing.T, p *portaltest.Portal, kind, userID, value string) string {
	t.Helper()
	path, field := "/v1/email_addresses", "email_address"
	if kind == user.Phone {
		path, field = "/v1/phone_numbers", "phone_number"
	}
	var out struct {
		ID string `json:"id"`
	}
	if r := api(t, p, http.MethodPost, path, map[string]any{"user_id": userID, field: value, "verified": false}, &out); r.Status != http.StatusOK {
		t.Fatalf("the operator adding %s: %d %s", value, r.Status, r.Body)
	}
	return out.ID
}

// An email address the operator added unverified shows as "Unverified",
// with Verify and Remove but no Make primary. Verify asks first (after
// "Confirm it's you" when the last proof is old), emails a code, refuses a
// wrong one on the page, and the right one verifies the address in place,
// writing user.updated; then it can be made primary.
func TestVerifyingAnUnverifiedEmailAddress(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{})
	b := newBrowser(t, p)
	signUp(t, p, b, "ada@example.com", "")
	ada := userByEmail(t, p, "ada@example.com")
	id := addUnverified(t, p, user.Email, ada.ID, "ada@work.example")
	verifyPath := "/user/email-addresses/" + id + "/verify"

	pg := b.get("/user")
	item := pg.Doc.Find(`li[data-identifier="` + id + `"]`)
	if got := strings.Join(strings.Fields(item.Text()), " "); !strings.Contains(got, "ada@work.example Unverified") ||
		strings.Contains(got, "Make primary") {
		t.Errorf("the unverified address on /user reads %q, want it marked Unverified and without Make primary", got)
	}
	if href, _ := item.Find(`a:contains("Verify")`).Attr("href"); href != verifyPath {
		t.Fatalf("Verify links to %q, want %s:\n%s", href, verifyPath, pg.text())
	}
	if got := b.get("/user/email-addresses/" + id + "/primary"); got.Status != http.StatusNotFound {
		t.Errorf("making the unverified address primary: status %d, want 404", got.Status)
	}

	clock.Advance(account.ReverifyWindow)
	wantReverify(t, "Verify after the last proof went stale", b.getRaw(verifyPath), verifyPath)
	pg = b.submit(b.get(verifyPath), reverifyForm, map[string]string{"password": goodPassword})
	wantText(t, "the Verify page after confirming it's you", pg, http.StatusOK, "Verify ada@work.example?", "We'll email it a code")
	if pg.URL.Path != verifyPath {
		t.Fatalf("after confirming it's you: at %s, want %s", pg.URL, verifyPath)
	}

	events0 := countEvents(t, p, ada.ID, events.UserUpdated)
	pg = b.submit(pg, confirmForm(pg), nil)
	wantText(t, "the code page", pg, http.StatusOK, "Verify your email address", "ada@work.example")
	if pg.Doc.Find(`button[value="email_link"]`).Length() != 0 {
		t.Error("verifying an address the account has offers an emailed link, whose email speaks of adding it")
	}
	m := p.SMTP.WaitFor(t, "ada@work.example", mailWait)
	if !strings.Contains(m.Text, "verify this email address") || m.Code() == "" {
		t.Errorf("the email to the address: %q\n%s", m.Subject, m.Text)
	}

	codePage := pg
	wrong := b.submit(pg, identifierCodeForm, map[string]string{"code": otherCode(m.Code())})
	if wrong.Status != http.StatusUnprocessableEntity || messageFor(wrong, "code") == "" {
		t.Fatalf("a wrong code: status %d, message %q", wrong.Status, messageFor(wrong, "code"))
	}
	if u := userByID(t, p, ada.ID); u.Has(user.Email, "ada@work.example") {
		t.Fatal("a wrong code verified the address")
	}
	pg = b.submit(wrong, identifierCodeForm, map[string]string{"code": m.Code()})
	wantText(t, "after the right code", pg, http.StatusOK, "The email address is verified.")
	wantNoText(t, "after the right code", pg, "Unverified")
	u := wantVerified(t, p, user.Email, "ada@work.example")
	if u.ID != ada.ID || identifierID(t, u, "ada@work.example") != id {
		t.Errorf("the address was verified as another identifier or account: %+v", u.Identifiers)
	}
	if got := countEvents(t, p, ada.ID, events.UserUpdated); got != events0+1 {
		t.Errorf("%d user.updated events for the verification, want 1", got-events0)
	}
	o := lastUser(t, p, ada.ID)
	for _, e := range o.EmailAddresses {
		if e.EmailAddress == "ada@work.example" && (e.Verification == nil || e.Verification.Status != "verified") {
			t.Errorf("user.updated shows the address %+v, want verified", e.Verification)
		}
	}
	if href, _ := pg.Doc.Find(`li[data-identifier="` + id + `"] a:contains("Make primary")`).Attr("href"); href == "" {
		t.Error("the verified address cannot be made primary")
	}
	// The code page opened again says it is done; Verify again too.
	wantText(t, "the code page again", b.get(flowPath(codePage)), http.StatusOK, "The email address is verified.")
	wantText(t, "Verify again", b.get(verifyPath), http.StatusOK, "The email address is verified.")
	// The verified address signs in.
	wantHandBack(t, signIn(t, newBrowser(t, p), "ada@work.example", goodPassword, appURL), http.StatusSeeOther, appURL)
}

// A number the operator added unverified is verified by a texted code,
// through Twilio, with the limits of adding one: a new code asked for
// within the cooldown is not sent, and the page says when to ask again.
func TestVerifyingAnUnverifiedPhoneNumber(t *testing.T) {
	p, _, tw := startTwilio(t, phoneEnv)
	b := newBrowser(t, p)
	signUp(t, p, b, "ada@example.com", "")
	ada := userByEmail(t, p, "ada@example.com")
	id := addUnverified(t, p, user.Phone, ada.ID, "+14155550100")

	pg := b.get("/user")
	wantText(t, "/user", pg, http.StatusOK, "+1 415-555-0100", "Unverified")
	pg = b.get(pg.Doc.Find(`li[data-identifier="`+id+`"] a:contains("Verify")`).AttrOr("href", "(none)"))
	wantText(t, "the Verify page", pg, http.StatusOK, "Verify +1 415-555-0100?", "We'll text it a code")
	pg = b.submit(pg, confirmForm(pg), nil)
	wantText(t, "the code page", pg, http.StatusOK, "+1 415-555-0100")
	m := smsTo(t, tw, "+14155550100")
	if !strings.Contains(m.Body, "verify this number") {
		t.Errorf("the text says %q", m.Body)
	}
	// The code page's resend keeps the cooldown of an addition.
	resent := b.submit(pg, identifierSendForm, nil)
	if resent.Status != http.StatusTooManyRequests || !strings.Contains(resent.text(), "You can ask for a new code in") {
		t.Errorf("a new code at once: status %d:\n%s", resent.Status, resent.text())
	}
	if n := len(tw.Messages()); n != 1 {
		t.Errorf("%d texts sent, want 1", n)
	}

	pg = b.submit(pg, identifierCodeForm, map[string]string{"code": m.Code()})
	wantText(t, "after the code", pg, http.StatusOK, "The phone number is verified.")
	if u := wantVerified(t, p, user.Phone, "+14155550100"); identifierID(t, u, "+14155550100") != id {
		t.Errorf("the number was verified as another identifier: %+v", u.Identifiers)
	}
	if o := lastUser(t, p, ada.ID); len(o.PhoneNumbers) != 1 || o.PhoneNumbers[0].Verification == nil ||
		o.PhoneNumbers[0].Verification.Status != "verified" {
		t.Errorf("user.updated shows the numbers %+v, want one verified", o.PhoneNumbers)
	}
}

// An address removed while its code is on the way is not verified back
// into existence: the code page says it is gone. Someone else's
// identifier is not found.
func TestVerifyingAnAddressThatWent(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	b := newBrowser(t, p)
	signUp(t, p, b, "ada@example.com", "")
	ada := userByEmail(t, p, "ada@example.com")
	id := addUnverified(t, p, user.Email, ada.ID, "ada@work.example")

	grace := newBrowser(t, p)
	signUp(t, p, grace, "grace@example.com", "")
	if pg := grace.get("/user/email-addresses/" + id + "/verify"); pg.Status != http.StatusNotFound {
		t.Errorf("another account's Verify page: status %d, want 404", pg.Status)
	}
	if pg := grace.post("/user/email-addresses/"+id+"/verify", nil); pg.Status == http.StatusSeeOther {
		t.Errorf("another account's Verify: %d to %s", pg.Status, pg.Header.Get("Location"))
	}

	pg := b.get("/user/email-addresses/" + id + "/verify")
	pg = b.submit(pg, confirmForm(pg), nil)
	code := p.SMTP.WaitFor(t, "ada@work.example", mailWait).Code()
	if r := api(t, p, http.MethodDelete, "/v1/email_addresses/"+id, nil, nil); r.Status != http.StatusOK {
		t.Fatalf("the operator removing it: %d %s", r.Status, r.Body)
	}
	pg = b.submit(pg, identifierCodeForm, map[string]string{"code": code})
	wantText(t, "the code after removal", pg, http.StatusGone, "no longer on your account")
	if u := userByID(t, p, ada.ID); len(u.Identifiers) != 1 {
		t.Errorf("ada has %+v, want her one address", u.Identifiers)
	}
}
