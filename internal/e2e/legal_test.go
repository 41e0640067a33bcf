package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/clerk/clerk-sdk-go/v2"
	clerkuser "github.com/clerk/clerk-sdk-go/v2/user"

	"github.com/portalhq/portal/internal/testutil/portaltest"
)

const (
	termsURL   = "https://acme.example/terms"
	privacyURL = "https://acme.example/privacy"
	legalError = "Tick the box to agree to the terms before you continue."
)

// legalEnv turns express consent on, with both documents.
func legalEnv() map[string]string {
	return map[string]string{"PORTAL_LEGAL_CONSENT": "true", "PORTAL_TERMS_URL": termsURL, "PORTAL_PRIVACY_URL": privacyURL}
}

// wantConsentBox checks the consent box on pg: a real, required checkbox
// named legal_accepted whose label is tied to it and reads "I agree to the
// Terms of Service and Privacy Policy", each document a link that opens
// in a new tab without giving it the portal's window; ticked as wanted.
func wantConsentBox(t *testing.T, pg *page, ticked bool) {
	t.Helper()
	box := pg.Doc.Find(`input[type="checkbox"][name="legal_accepted"]`)
	if box.Length() != 1 {
		t.Fatalf("%d consent boxes on %s, want 1:\n%s", box.Length(), pg.URL, pg.Body)
	}
	id, _ := box.Attr("id")
	if _, req := box.Attr("required"); !req || id == "" {
		t.Errorf("consent box id %q, required %v; want an id and required", id, req)
	}
	if _, on := box.Attr("checked"); on != ticked {
		t.Errorf("consent box checked %v, want %v", on, ticked)
	}
	label := pg.Doc.Find(`label[for="` + id + `"]`)
	if got := strings.Join(strings.Fields(label.Text()), " "); got != "I agree to the Terms of Service (opens in a new tab) and Privacy Policy (opens in a new tab)" {
		t.Errorf("label %q", got)
	}
	links := label.Find("a")
	if links.Length() != 2 {
		t.Fatalf("%d links in the label, want 2", links.Length())
	}
	for i, want := range []string{termsURL, privacyURL} {
		a := links.Eq(i)
		href, _ := a.Attr("href")
		target, _ := a.Attr("target")
		rel, _ := a.Attr("rel")
		if href != want || target != "_blank" || !strings.Contains(" "+rel+" ", " noopener ") {
			t.Errorf("link %d: href %q target %q rel %q; want %s in a new tab, noopener", i, href, target, rel, want)
		}
	}
}

// wantConsentMessage checks that the box says why the form came back, in
// a message tied to it.
func wantConsentMessage(t *testing.T, pg *page) {
	t.Helper()
	box := pg.Doc.Find(`input[name="legal_accepted"]`)
	msg := pg.Doc.Find("#legal_accepted-error")
	if got := strings.TrimSpace(msg.Text()); got != legalError {
		t.Errorf("message by the box %q, want %q:\n%s", got, legalError, pg.text())
	}
	if by, _ := box.Attr("aria-describedby"); by != "legal_accepted-error" {
		t.Errorf("box aria-describedby %q, want the message", by)
	}
	if inv, _ := box.Attr("aria-invalid"); inv != "true" {
		t.Errorf("box aria-invalid %q", inv)
	}
}

// PORTAL_LEGAL_CONSENT: the sign-up form has the box; sent without it the
// form comes back (422) with everything typed but the password and the
// box's message, and nothing is made or sent. A mistake elsewhere keeps the
// box ticked. Ticked, the sign-up goes on as before, and the account's
// legal_accepted_at, read through Clerk's SDK and in user.created, is the
// moment it was sent.
func TestSignUpNeedsTheConsentBox(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{Env: legalEnv()})
	b := newBrowser(t, p)
	const app = "http://localhost:5173/dashboard"
	form := b.get(withRedirect("/sign-up", app))
	wantConsentBox(t, form, false)

	typed := map[string]string{"email_address": "ada@example.com", "password": goodPassword,
		"first_name": "Ada", "last_name": "Lovelace"}
	pg := b.submit(form, signUpForm, typed)
	if pg.Status != http.StatusUnprocessableEntity {
		t.Fatalf("without the box: status %d, want 422:\n%s", pg.Status, pg.text())
	}
	wantConsentBox(t, pg, false)
	wantConsentMessage(t, pg)
	for _, name := range []string{"email_address", "first_name", "last_name"} {
		if v, _ := inputValue(pg, name); v != typed[name] {
			t.Errorf("%s = %q, want %q kept", name, v, typed[name])
		}
	}
	if v, has := inputValue(pg, "password"); has || strings.Contains(pg.Body, goodPassword) {
		t.Errorf("the password is echoed back (value %q)", v)
	}
	if got, _ := pg.Doc.Find(signUpForm + ` input[name="redirect_url"]`).Attr("value"); got != app {
		t.Errorf("redirect_url %q kept, want %q", got, app)
	}
	if n := count(t, p); n.users != 0 || len(p.SMTP.Messages()) != 0 {
		t.Fatalf("refused, yet %d users made and %d emails sent", n.users, len(p.SMTP.Messages()))
	}

	// Ticked, with a password too short: the box stays ticked.
	short := b.submit(pg, signUpForm, map[string]string{"password": "short", "legal_accepted": "true"})
	if short.Status != http.StatusUnprocessableEntity || short.Doc.Find("#legal_accepted-error").Length() != 0 {
		t.Fatalf("short password: status %d, box message %q", short.Status, short.Doc.Find("#legal_accepted-error").Text())
	}
	wantConsentBox(t, short, true)

	before := time.Now()
	verify := b.submit(short, signUpForm, map[string]string{"password": goodPassword})
	after := time.Now()
	if verify.Status != http.StatusOK || verify.Doc.Find(verifyForm).Length() == 0 {
		t.Fatalf("ticked: status %d, want the code step:\n%s", verify.Status, verify.text())
	}
	code := p.SMTP.WaitFor(t, "ada@example.com", mailWait).Code()
	wantHandBack(t, b.submit(verify, verifyForm, map[string]string{"code": code}), http.StatusSeeOther, app)

	u := userByEmail(t, p, "ada@example.com")
	got, err := clerkuser.NewClient(clerkConfig(p)).Get(context.Background(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.LegalAcceptedAt == nil || *got.LegalAcceptedAt < before.UnixMilli() || *got.LegalAcceptedAt > after.UnixMilli() {
		t.Errorf("legal_accepted_at %v, want the moment the form was sent (%d–%d ms)", got.LegalAcceptedAt, before.UnixMilli(), after.UnixMilli())
	}
	if o := lastUserObject(t, p, u.ID, "user.created"); o.LegalAcceptedAt == nil || got.LegalAcceptedAt == nil ||
		*o.LegalAcceptedAt != *got.LegalAcceptedAt {
		t.Errorf("user.created legal_accepted_at %v, want %v", o.LegalAcceptedAt, got.LegalAcceptedAt)
	}
}

// Consent off (the default): no box, and accounts have no
// legal_accepted_at (null in the Backend API's JSON).
func TestSignUpWithoutConsentHasNoBox(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	b := newBrowser(t, p)
	if n := b.get("/sign-up").Doc.Find(`input[name="legal_accepted"]`).Length(); n != 0 {
		t.Errorf("%d consent boxes with consent off", n)
	}
	signUp(t, p, b, "ada@example.com", "")
	u := userByEmail(t, p, "ada@example.com")
	var raw map[string]json.RawMessage
	if r := api(t, p, http.MethodGet, "/v1/users/"+u.ID, nil, &raw); r.Status != http.StatusOK || string(raw["legal_accepted_at"]) != "null" {
		t.Errorf("GET user: status %d, legal_accepted_at %s; want null", r.Status, raw["legal_accepted_at"])
	}
}

// Through a provider (the oidctest provider gives a verified address and
// names): no account until the person ticks the box on the consent step,
// which shows the box and a Continue button only; without it the step
// comes back with the box's message. Ticked, the account is made and the
// browser handed back. That account signing in again is not asked.
func TestProviderSignUpGoesThroughTheConsentStep(t *testing.T) {
	p, _ := startWithOIDC(t, portaltest.Options{Env: legalEnv()})
	const app = "http://localhost:5173/dashboard"
	b := newBrowser(t, p)
	step := viaProvider(t, b, providerButton(t, b.get(withRedirect("/sign-up", app)), corp))
	if step.Status != http.StatusOK || step.URL.Path != "/sign-up/continue" {
		t.Fatalf("after the provider: status %d at %s, want the consent step:\n%s", step.Status, step.URL, step.text())
	}
	const continueForm = `form[action="/sign-up/continue"]`
	wantConsentBox(t, step, false)
	var asked []string
	step.Doc.Find(continueForm + ` input:not([type="hidden"])`).Each(func(_ int, in *goquery.Selection) {
		name, _ := in.Attr("name")
		asked = append(asked, name)
	})
	if len(asked) != 1 || asked[0] != "legal_accepted" {
		t.Errorf("the consent step asks for %v, want the box only", asked)
	}
	if btn := strings.TrimSpace(step.Doc.Find(continueForm + ` button[type="submit"]`).Text()); btn != "Continue" {
		t.Errorf("button %q, want Continue", btn)
	}
	if n := count(t, p); n.users != 0 || n.sessions != 0 {
		t.Fatalf("before the box: %+v made, want nothing", n)
	}

	again := b.submit(step, continueForm, nil)
	if again.Status != http.StatusUnprocessableEntity {
		t.Fatalf("without the box: status %d, want 422:\n%s", again.Status, again.text())
	}
	wantConsentMessage(t, again)
	if n := count(t, p); n.users != 0 {
		t.Fatalf("without the box: %d users made", n.users)
	}

	before := time.Now()
	wantHandBack(t, b.submit(again, continueForm, map[string]string{"legal_accepted": "true"}), http.StatusSeeOther, app)
	after := time.Now()
	u := userByEmail(t, p, "ada@example.com")
	if u.LegalAcceptedAt == nil || u.LegalAcceptedAt.Before(before.Truncate(time.Millisecond)) || u.LegalAcceptedAt.After(after) {
		t.Errorf("legal_accepted_at %v, want the moment the box was sent", u.LegalAcceptedAt)
	}
	if len(u.ExternalAccounts) != 1 {
		t.Errorf("external accounts %+v, want the provider's", u.ExternalAccounts)
	}

	// Signing in again, in another browser: straight back to the app.
	b2 := newBrowser(t, p)
	wantHandBack(t, viaProvider(t, b2, providerButton(t, b2.get(withRedirect("/sign-in", app)), corp)), http.StatusSeeOther, app)
	if n := count(t, p); n.users != 1 {
		t.Errorf("%d users, want 1", n.users)
	}
}

// The Backend API takes legal_accepted_at and skip_legal_checks on user
// creation as Clerk does: while consent is on, a user needs one of them
// (422 form_param_missing otherwise); the time, in RFC 3339, comes back in
// milliseconds, in user.created too; PATCH may set it later.
func TestBackendAPILegalAcceptedAt(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{Env: legalEnv()})
	users := clerkuser.NewClient(clerkConfig(p))
	ctx := context.Background()

	_, err := users.Create(ctx, &clerkuser.CreateParams{EmailAddresses: &[]string{"ada@example.com"},
		SkipPasswordRequirement: clerk.Bool(true)})
	wantSDKError(t, err, http.StatusUnprocessableEntity, "form_param_missing")
	var apiErr *clerk.APIErrorResponse
	if errors.As(err, &apiErr) && len(apiErr.Errors) == 1 {
		var meta map[string]any
		_ = json.Unmarshal(apiErr.Errors[0].Meta, &meta)
		if meta["param_name"] != "legal_accepted_at" || !strings.Contains(apiErr.Errors[0].LongMessage, "skip_legal_checks") {
			t.Errorf("error %+v, want param legal_accepted_at and the way out", apiErr.Errors[0])
		}
	}
	_, err = users.Create(ctx, &clerkuser.CreateParams{EmailAddresses: &[]string{"ada@example.com"},
		SkipPasswordRequirement: clerk.Bool(true), LegalAcceptedAt: str("20 October 2024")})
	wantSDKError(t, err, http.StatusUnprocessableEntity, "form_param_format_invalid")
	if n := count(t, p); n.users != 0 {
		t.Fatalf("refused creations made %d users", n.users)
	}

	ada, err := users.Create(ctx, &clerkuser.CreateParams{EmailAddresses: &[]string{"ada@example.com"},
		SkipPasswordRequirement: clerk.Bool(true), LegalAcceptedAt: str("2024-10-20T07:15:20.902Z")})
	if err != nil {
		t.Fatal(err)
	}
	const want = int64(1729408520902)
	if ada.LegalAcceptedAt == nil || *ada.LegalAcceptedAt != want {
		t.Errorf("legal_accepted_at %v, want %d", ada.LegalAcceptedAt, want)
	}
	if o := lastUserObject(t, p, ada.ID, "user.created"); o.LegalAcceptedAt == nil || *o.LegalAcceptedAt != want {
		t.Errorf("user.created legal_accepted_at %v, want %d", o.LegalAcceptedAt, want)
	}

	grace, err := users.Create(ctx, &clerkuser.CreateParams{EmailAddresses: &[]string{"grace@example.com"},
		SkipPasswordRequirement: clerk.Bool(true), SkipLegalChecks: clerk.Bool(true)})
	if err != nil || grace.LegalAcceptedAt != nil {
		t.Fatalf("skip_legal_checks: %+v, %v; want a user without legal_accepted_at", grace, err)
	}
	updated, err := users.Update(ctx, grace.ID, &clerkuser.UpdateParams{LegalAcceptedAt: str("2025-01-02T03:04:05+01:00")})
	if err != nil || updated.LegalAcceptedAt == nil || *updated.LegalAcceptedAt != time.Date(2025, 1, 2, 2, 4, 5, 0, time.UTC).UnixMilli() {
		t.Errorf("PATCH legal_accepted_at: %+v, %v", updated, err)
	}
	if o := lastUserObject(t, p, grace.ID, "user.updated"); o.LegalAcceptedAt == nil || updated == nil ||
		updated.LegalAcceptedAt == nil || *o.LegalAcceptedAt != *updated.LegalAcceptedAt {
		t.Errorf("user.updated legal_accepted_at %v", o.LegalAcceptedAt)
	}
}
