package e2e

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/allowlistidentifier"
	"github.com/clerk/clerk-sdk-go/v2/blocklistidentifier"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/testutil/pgtest"
	"github.com/portalhq/portal/internal/testutil/portaltest"
	"github.com/portalhq/portal/internal/user"
)

// Clerk's Go SDK (blocklistidentifier) blocks an address at run time: from
// that answer on, a new address on the list is refused at sign-up (422 on
// the field, nothing sent or written), an account holding one is refused
// at the sign-in identifier step, and the session it had gets no fresh
// token. Removing the entry lets both in again, with nothing restarted.
func TestBlocklistIdentifiersThroughClerkSDK(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ctx := t.Context()
	blocklist := blocklistidentifier.NewClient(clerkConfig(p))
	if r := api(t, p, http.MethodPost, "/v1/users", map[string]any{"email_address": []string{"ada@blocked.example"},
		"password": goodPassword}, nil); r.Status != http.StatusOK {
		t.Fatalf("Backend API create: %d %s", r.Status, r.Body)
	}
	signedIn := newBrowser(t, p)
	wantHandBack(t, signIn(t, signedIn, "ada@blocked.example", goodPassword, appURL), http.StatusSeeOther, appURL)

	entry, err := blocklist.Create(ctx, &blocklistidentifier.CreateParams{Identifier: clerk.String("*@Blocked.example")})
	if err != nil {
		t.Fatal(err)
	}
	if entry.Object != "blocklist_identifier" || !strings.HasPrefix(entry.ID, "blid_") || entry.Identifier != "*@blocked.example" ||
		entry.IdentifierType != "email_address" || entry.CreatedAt == 0 || entry.UpdatedAt != entry.CreatedAt {
		t.Errorf("created %+v", entry)
	}
	list, err := blocklist.List(ctx, &blocklistidentifier.ListParams{})
	if err != nil || list.TotalCount != 1 || len(list.BlocklistIdentifiers) != 1 || list.BlocklistIdentifiers[0].ID != entry.ID {
		t.Fatalf("List = %+v, %v; want the entry", list, err)
	}

	// Sign-up: refused on the field, what was typed kept.
	typed := map[string]string{"email_address": "eve@blocked.example", "password": goodPassword,
		"first_name": "Eve", "last_name": "Visitor"}
	wantRefusedNow(t, p, signUpWith(newBrowser(t, p), typed, ""), typed)
	// Sign-in: refused at the identifier step.
	b := newBrowser(t, p)
	pg := b.submit(b.get("/sign-in"), signInForm, map[string]string{"identifier": "ada@blocked.example"})
	if pg.Status != http.StatusUnprocessableEntity || fieldErrorOf(pg, "identifier") != refusedEmail {
		t.Fatalf("sign-in with a blocked address: status %d, error %q:\n%s", pg.Status, fieldErrorOf(pg, "identifier"), pg.text())
	}
	// The session ada had before: no fresh token.
	hs := signedIn.getRaw(handshakePath(appURL))
	if sc := hs.setCookie("__session"); hs.Status != http.StatusTemporaryRedirect || sc == nil || sc.Value != "" {
		t.Errorf("handshake of the blocked account's session: %d, __session %+v; want it cleared", hs.Status, sc)
	}

	// A second entry for the same domain, however written, is refused as
	// Clerk refuses a duplicate list entry: 400 duplicate_record.
	_, err = blocklist.Create(ctx, &blocklistidentifier.CreateParams{Identifier: clerk.String("@blocked.example")})
	var apiErr *clerk.APIErrorResponse
	if !asAPIError(err, &apiErr) || apiErr.HTTPStatusCode != http.StatusBadRequest ||
		apiErr.Errors[0].Code != "duplicate_record" ||
		apiErr.Errors[0].LongMessage != "*@blocked.example is on the blocklist already ("+entry.ID+")." {
		t.Errorf("duplicate: %v, want 400 duplicate_record naming the entry", err)
	}

	deleted, err := blocklist.Delete(ctx, entry.ID)
	if err != nil || !deleted.Deleted || deleted.ID != entry.ID || deleted.Object != "blocklist_identifier" {
		t.Fatalf("Delete = %+v, %v", deleted, err)
	}
	wantHandBack(t, signUp(t, p, newBrowser(t, p), "eve@blocked.example", appURL), http.StatusSeeOther, appURL)
	wantVerified(t, p, user.Email, "eve@blocked.example")
	wantHandBack(t, signIn(t, newBrowser(t, p), "ada@blocked.example", goodPassword, appURL), http.StatusSeeOther, appURL)
	if _, err := blocklist.Delete(ctx, entry.ID); !asAPIError(err, &apiErr) || apiErr.HTTPStatusCode != http.StatusNotFound {
		t.Errorf("deleting twice: %v, want 404", err)
	}
}

// Clerk's Go SDK (allowlistidentifier) widens an allowlist the
// configuration set: an address PORTAL_ALLOWLIST alone refuses signs up
// once it is added. With notify the address is sent an application
// invitation, whose ID the entry carries. Removing the entry closes the
// door again.
func TestAllowlistIdentifiersThroughClerkSDK(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_ALLOWLIST": "@corp.example"}})
	ctx := t.Context()
	allowlist := allowlistidentifier.NewClient(clerkConfig(p))
	typed := map[string]string{"email_address": "guest@partner.example", "password": goodPassword,
		"first_name": "Grace", "last_name": "Guest"}
	wantRefusedNow(t, p, signUpWith(newBrowser(t, p), typed, ""), typed)

	guest, err := allowlist.Create(ctx, &allowlistidentifier.CreateParams{Identifier: clerk.String("Guest@Partner.example"),
		Notify: clerk.Bool(false)})
	if err != nil {
		t.Fatal(err)
	}
	if guest.Object != "allowlist_identifier" || !strings.HasPrefix(guest.ID, "alid_") || guest.Identifier != "guest@partner.example" ||
		guest.IdentifierType != "email_address" || guest.InvitationID != nil {
		t.Errorf("created %+v", guest)
	}
	wantHandBack(t, signUp(t, p, newBrowser(t, p), "guest@partner.example", appURL), http.StatusSeeOther, appURL)
	wantVerified(t, p, user.Email, "guest@partner.example")

	// notify: an invitation email, whose link opens sign-up for the address.
	invited, err := allowlist.Create(ctx, &allowlistidentifier.CreateParams{Identifier: clerk.String("bob@partner.example"),
		Notify: clerk.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if invited.InvitationID == nil || !strings.HasPrefix(*invited.InvitationID, "inv_") {
		t.Fatalf("notified entry %+v has no invitation", invited)
	}
	form := newBrowser(t, p).get(p.SMTP.WaitFor(t, "bob@partner.example", mailWait).Link())
	if v, _ := form.Doc.Find(signUpForm + ` input[name="email_address"]`).Attr("value"); form.Status != http.StatusOK || v != "bob@partner.example" {
		t.Errorf("the invitation link: status %d, address %q; want the sign-up form for bob", form.Status, v)
	}

	list, err := allowlist.List(ctx, &allowlistidentifier.ListParams{})
	if err != nil || list.TotalCount != 2 || len(list.AllowlistIdentifiers) != 2 ||
		list.AllowlistIdentifiers[0].ID != invited.ID || list.AllowlistIdentifiers[1].ID != guest.ID {
		t.Fatalf("List = %+v, %v; want both, newest first", list, err)
	}
	// Without paginated=true Clerk answers a bare array.
	var bare []map[string]any
	if r := api(t, p, http.MethodGet, "/v1/allowlist_identifiers", nil, &bare); r.Status != http.StatusOK || len(bare) != 2 ||
		r.Header.Get("Content-Type") != "application/json" {
		t.Errorf("GET without paginated: %d %s", r.Status, r.Body)
	}

	// Refusals, shaped as Clerk's: a malformed identifier, none at all, a
	// phone number to notify (Portal invites by email only), an address
	// with an account to notify (the invitation's own refusal, a taken
	// identifier, not the list's duplicate_record).
	apiUser(t, p, "held@example.com")
	for _, tc := range []struct {
		body       string
		code, want string
	}{
		{`{"identifier":"not an address"}`, "form_param_format_invalid", `"not an address" is not an email address, @domain, phone number or username`},
		{`{}`, "form_param_missing", "Give the identifier to add"},
		{`{"identifier":"+14155550100","notify":true}`, "form_param_format_invalid", "Portal sends invitations by email only"},
		{`{"identifier":"held@example.com","notify":true}`, "form_identifier_exists", "held@example.com already has an account."},
	} {
		r := api(t, p, http.MethodPost, "/v1/allowlist_identifiers", json.RawMessage(tc.body), nil)
		if e := wantAPIError(t, r, http.StatusUnprocessableEntity, tc.code); !strings.Contains(e.Errors[0].LongMessage, tc.want) {
			t.Errorf("%s: long_message %q, want %q", tc.body, e.Errors[0].LongMessage, tc.want)
		}
	}

	if _, err := allowlist.Delete(ctx, guest.ID); err != nil {
		t.Fatal(err)
	}
	typed["email_address"] = "guest2@partner.example"
	wantRefusedNow(t, p, signUpWith(newBrowser(t, p), typed, ""), typed)
	// The account made while the entry stood keeps signing in.
	wantHandBack(t, signIn(t, newBrowser(t, p), "guest@partner.example", goodPassword, appURL), http.StatusSeeOther, appURL)
}

// wantRefusedNow checks a sign-up form came back 422 with the refusal under
// the address, what was typed kept, and no email and no account for the
// address (other traffic of the test may have gone before).
func wantRefusedNow(t *testing.T, p *portaltest.Portal, pg *page, typed map[string]string) {
	t.Helper()
	addr := typed["email_address"]
	if pg.Status != http.StatusUnprocessableEntity || fieldErrorOf(pg, "email_address") != refusedEmail {
		t.Fatalf("sign-up with %s: status %d, error %q; want 422 %q:\n%s", addr, pg.Status,
			fieldErrorOf(pg, "email_address"), refusedEmail, pg.text())
	}
	for _, name := range []string{"email_address", "first_name", "last_name"} {
		if got, _ := inputValue(pg, name); got != typed[name] {
			t.Errorf("%s = %q, want %q kept", name, got, typed[name])
		}
	}
	for _, m := range p.SMTP.Messages() {
		if slices.Contains(m.To, addr) {
			t.Errorf("an email went to the refused %s: %s", addr, m.Subject)
		}
	}
	if _, err := p.Store.Q.UserByIdentifier(t.Context(), user.Email, addr); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("account for the refused %s: %v", addr, err)
	}
}

// Two portals on one PostgreSQL database are two machines of one
// deployment: an entry one of them adds through the Backend API refuses a
// sign-up on the other at once, and its removal there lets the sign-up
// through, with nothing restarted or cached.
func TestStoredListsReachEveryMachine(t *testing.T) {
	db := pgtest.URL(t)
	one := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_DATABASE_URL": db}})
	two := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_DATABASE_URL": db}})
	blocklist := blocklistidentifier.NewClient(clerkConfig(one))
	entry, err := blocklist.Create(t.Context(), &blocklistidentifier.CreateParams{Identifier: clerk.String("eve@example.com")})
	if err != nil {
		t.Fatal(err)
	}
	typed := map[string]string{"email_address": "eve@example.com", "password": goodPassword,
		"first_name": "Eve", "last_name": "Visitor"}
	wantRefusedNow(t, two, signUpWith(newBrowser(t, two), typed, ""), typed)
	if _, err := blocklistidentifier.NewClient(clerkConfig(two)).Delete(t.Context(), entry.ID); err != nil {
		t.Fatal(err)
	}
	wantHandBack(t, signUp(t, one, newBrowser(t, one), "eve@example.com", appURL), http.StatusSeeOther, appURL)
}
