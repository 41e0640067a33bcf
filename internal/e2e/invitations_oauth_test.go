package e2e

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/testutil/portaltest"
	"github.com/portalhq/portal/internal/user"
)

const notInvitedAccount = "To take up your invitation, use an account with the address it was sent to, verified by the provider, or create your account with the form below."

// invite creates an application invitation to email with public metadata
// {"plan":"pro"} and the app as its redirect URL, and returns its ID and
// emailed link.
func invite(t *testing.T, p *portaltest.Portal, email string) (string, string) {
	t.Helper()
	var created struct {
		ID  string `json:"id"`
		URL string `json:"url"`
	}
	if r := api(t, p, http.MethodPost, "/v1/invitations", map[string]any{"email_address": email,
		"public_metadata": map[string]any{"plan": "pro"}, "redirect_url": appURL}, &created); r.Status != http.StatusOK {
		t.Fatalf("POST /v1/invitations: %d %s", r.Status, r.Body)
	}
	return created.ID, p.SMTP.WaitFor(t, email, mailWait).Link()
}

// invitationStatus is the invitation's status as the Backend API lists it.
func invitationStatus(t *testing.T, p *portaltest.Portal, invitationID string) string {
	t.Helper()
	var list []struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	if r := api(t, p, http.MethodGet, "/v1/invitations", nil, &list); r.Status != http.StatusOK {
		t.Fatalf("GET /v1/invitations: %d %s", r.Status, r.Body)
	}
	for _, l := range list {
		if l.ID == invitationID {
			return l.Status
		}
	}
	t.Fatalf("invitation %s is not listed", invitationID)
	return ""
}

// tookUp checks that the account of email was made having taken the
// invitation up: user.created already carries its public metadata, and
// the invitation reads accepted.
func tookUp(t *testing.T, p *portaltest.Portal, email, invitationID string) *user.User {
	t.Helper()
	u := userByEmail(t, p, email)
	jsonEqual(t, "public_metadata", u.PublicMetadata, `{"plan":"pro"}`)
	jsonEqual(t, "user.created public_metadata", lastUserObject(t, p, u.ID, events.UserCreated).PublicMetadata, `{"plan":"pro"}`)
	if s := invitationStatus(t, p, invitationID); s != "accepted" {
		t.Errorf("the invitation is %q, want accepted", s)
	}
	return u
}

// On a restricted instance (PORTAL_SIGN_UP_MODE=restricted) the invitation's
// link opens a sign-up page with the provider buttons; an account at the
// provider with another address is refused on that page, which says why
// and keeps the form (nothing is made), and the account with the invited
// address, verified by the provider, signs up at once: the person lands on
// the invitation's redirect URL signed in, the account having taken the
// invitation up as it was created. A stranger sees no buttons, and a
// provider callback without the invitation cookie still makes nothing.
func TestRestrictedProviderSignUpByInvitation(t *testing.T) {
	p, op := startWithOIDC(t, portaltest.Options{Env: map[string]string{"PORTAL_SIGN_UP_MODE": "restricted"}})
	invitationID, link := invite(t, p, "bob@example.com")

	b := newBrowser(t, p)
	form := b.get(link)
	if form.Status != http.StatusOK || form.Doc.Find(signUpForm).Length() != 1 {
		t.Fatalf("the invitation link: status %d at %s, want the sign-up form:\n%s", form.Status, form.URL, form.text())
	}
	button := providerButton(t, form, corp)

	op.SetUser("corp-robert", "robert@example.com", true, "Robert", "B")
	before := count(t, p)
	refused := viaProvider(t, b, button)
	wantText(t, "another provider address", refused, http.StatusForbidden, notInvitedAccount)
	if v, _ := refused.Doc.Find(signUpForm + ` input[name="email_address"]`).Attr("value"); v != "bob@example.com" {
		t.Errorf("the refusal's form holds %q, want the invited address", v)
	}
	providerButton(t, refused, corp) // another account may be tried
	if n := count(t, p); n != before || b.cookie("__session") != "" {
		t.Errorf("the refusal made %+v (before %+v) or a session", n, before)
	}
	if _, err := p.Store.Q.UserByIdentifier(context.Background(), user.Email, "robert@example.com"); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("the refused provider account has an account here: %v", err)
	}

	op.SetUser("corp-bob-unverified", "bob@example.com", false, "Bob", "B")
	wantText(t, "the address unverified by the provider", viaProvider(t, b, button), http.StatusForbidden, notInvitedAccount)

	op.SetUser("corp-bob", "Bob@Example.com", true, "Bob", "B")
	done := viaProvider(t, b, button)
	tok := wantHandBack(t, done, http.StatusSeeOther, appURL)
	bob := tookUp(t, p, "bob@example.com", invitationID)
	if c, _ := verify(t, p, tok); c.Subject != bob.ID {
		t.Errorf("signed in as %s, want bob %s", c.Subject, bob.ID)
	}
	if linkedTo(t, p, "corp-bob") != bob.ID {
		t.Error("corp-bob is not connected to bob's new account")
	}

	stranger := newBrowser(t, p)
	if pg := stranger.get("/sign-up"); pg.Doc.Find(`a.cl-socialButtonsBlockButton__`+corp).Length() != 0 {
		t.Errorf("a stranger's /sign-up offers the provider:\n%s", pg.text())
	}
	// The stranger follows bob's button without bob's cookie.
	op.SetUser("corp-eve", "eve@example.com", true, "Eve", "E")
	before = count(t, p)
	wantText(t, "a provider sign-up without the invitation", viaProvider(t, stranger, button), http.StatusForbidden, invitationOnly)
	if n := count(t, p); n != before || stranger.cookie("__session") != "" {
		t.Errorf("the stranger's refusal made %+v (before %+v) or a session", n, before)
	}
}

// On a public instance a provider sign-up from the invitation's link takes
// the invitation up as the account is created, so user.created already
// carries its public metadata; a provider account with another address
// signs up as usual and leaves the invitation pending.
func TestProviderSignUpByInvitation(t *testing.T) {
	p, op := startWithOIDC(t, portaltest.Options{})
	invitationID, link := invite(t, p, "bob@example.com")
	b := newBrowser(t, p)
	op.SetUser("corp-bob", "bob@example.com", true, "Bob", "B")
	wantHandBack(t, viaProvider(t, b, providerButton(t, b.get(link), corp)), http.StatusSeeOther, appURL)
	tookUp(t, p, "bob@example.com", invitationID)

	carolID, carolLink := invite(t, p, "carol@example.com")
	b = newBrowser(t, p)
	op.SetUser("corp-dan", "dan@example.com", true, "Dan", "D")
	wantHandBack(t, viaProvider(t, b, providerButton(t, b.get(carolLink), corp)), http.StatusSeeOther, appURL)
	jsonEqual(t, "dan's user.created public_metadata",
		lastUserObject(t, p, userByEmail(t, p, "dan@example.com").ID, events.UserCreated).PublicMetadata, `{}`)
	if s := invitationStatus(t, p, carolID); s != "pending" {
		t.Errorf("carol's invitation is %q after dan signed up, want pending", s)
	}
}
