package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// wantLinksOpen follows every link to the portal on pg and checks that
// each opens a page (after the redirects of "Confirm it's you"), none a
// "Page not found".
func wantLinksOpen(t *testing.T, b *browser, what string, pg *page) {
	t.Helper()
	for _, a := range pg.Doc.Find(`main a[href^="/"]`).EachIter() {
		href := a.AttrOr("href", "")
		if got := b.get(href); got.Status != http.StatusOK {
			t.Errorf("%s: the link %q (%s) opens a %d:\n%s", what, strings.TrimSpace(a.Text()), href, got.Status, got.text())
		}
	}
}

// Where phone numbers are no identifier, a person cannot add one (the
// operator adds them through the Backend API, for text-message codes):
// the account page lists the number the operator added without an "Add a
// phone number" that opens "Page not found", and the security page does
// not tell someone without a number to add one first — there is no way
// to. Where people do add numbers, the security page links to where.
func TestPhoneLinksLeadSomewhere(t *testing.T) {
	p, _ := startFake(t, portaltest.Options{Env: map[string]string{"PORTAL_SECOND_FACTORS": "totp,backup_code,phone_code"}})
	b := newBrowser(t, p)
	signUp(t, p, b, "ada@example.com", appURL)
	pg := b.get("/user/security")
	wantText(t, "the security page without a number", pg, http.StatusOK, "Authenticator app")
	wantNoText(t, "the security page without a number", pg, "Add and verify a phone number")
	wantLinksOpen(t, b, "the security page without a number", pg)

	ada := userByEmail(t, p, "ada@example.com")
	if r := api(t, p, http.MethodPost, "/v1/phone_numbers", map[string]any{"user_id": ada.ID, "phone_number": "+14155550100",
		"verified": true}, nil); r.Status != http.StatusOK {
		t.Fatalf("adding a number through the Backend API: %d %s", r.Status, r.Body)
	}
	pg = b.get("/user")
	wantText(t, "the account page with the operator's number", pg, http.StatusOK, "Phone numbers", "+1 415-555-0100")
	wantLinksOpen(t, b, "the account page with the operator's number", pg)
	wantText(t, "the security page with a number", b.get("/user/security"), http.StatusOK, "Text codes to +1 415-555-0100")

	p, _ = startFake(t, portaltest.Options{Env: phoneEnv})
	b = newBrowser(t, p)
	signUp(t, p, b, "ada@example.com", appURL)
	pg = b.get("/user/security")
	if href, _ := pg.Doc.Find(`a:contains("Add a phone number")`).Attr("href"); href != "/user/phone-numbers/new" {
		t.Errorf(`the security page of someone without a number: "Add a phone number" links to %q, want /user/phone-numbers/new:\n%s`,
			href, pg.text())
	}
	wantLinksOpen(t, b, "the security page where people add numbers", pg)
}
