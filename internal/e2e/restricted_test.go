package e2e

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/org"
	"github.com/portalhq/portal/internal/testutil/portaltest"
	"github.com/portalhq/portal/internal/user"
)

const invitationOnly = "Sign-up here is by invitation only. Ask an administrator to invite you."

// PORTAL_SIGN_UP_MODE=restricted (Clerk's invite-only mode): no sign-up
// form and no "Sign up" link for a stranger, whose form post is refused
// too; the operator's Backend API still makes accounts; a person invited to
// an organization signs up from the invitation's link, with the address it
// was sent to and no other.
func TestRestrictedSignUpIsByInvitation(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_SIGN_UP_MODE": "restricted"}})

	stranger := newBrowser(t, p)
	pg := stranger.get("/sign-up")
	wantText(t, "a stranger's /sign-up", pg, http.StatusForbidden, invitationOnly)
	if pg.Doc.Find(signUpForm).Length() != 0 {
		t.Error("a stranger is shown the sign-up form")
	}
	posted := stranger.postForm(http.MethodPost, "/sign-up", url.Values{"_csrf": {stranger.csrf()},
		"email_address": {"eve@example.com"}, "password": {goodPassword}}, nil)
	wantText(t, "a stranger's sign-up post", posted, http.StatusForbidden, invitationOnly)
	if _, err := p.Store.Q.UserByIdentifier(context.Background(), user.Email, "eve@example.com"); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("the refused post made an account: %v", err)
	}
	if n := len(p.SMTP.Messages()); n != 0 {
		t.Errorf("%d emails sent to a stranger", n)
	}
	if si := stranger.get("/sign-in"); si.Doc.Find(`a[href^="/sign-up"]`).Length() != 0 {
		t.Error("the sign-in page links to sign-up")
	}

	// The operator makes the first account; its owner signs in and invites.
	if r := api(t, p, http.MethodPost, "/v1/users", map[string]any{"email_address": []string{"ada@example.com"},
		"password": goodPassword}, nil); r.Status != http.StatusOK {
		t.Fatalf("Backend API create: %d %s", r.Status, r.Body)
	}
	adaB := newBrowser(t, p)
	c := verifyOrg(t, p, wantHandBack(t, signIn(t, adaB, "ada@example.com", goodPassword, appURL), http.StatusSeeOther, appURL))
	ada := &member{b: adaB, id: c.Subject, email: "ada@example.com"}
	acme := ada.createOrg(t, p, "Acme")
	link := ada.invite(t, p, acme.OrgID, "bob@example.com", org.RoleMember)

	bob := newBrowser(t, p)
	form := bob.get(link)
	if form.Status != http.StatusOK || form.Doc.Find(signUpForm).Length() != 1 {
		t.Fatalf("the invitation link: status %d at %s, want the sign-up form:\n%s", form.Status, form.URL, form.text())
	}
	other := bob.submit(form, signUpForm, map[string]string{"email_address": "bobby@example.com", "password": goodPassword})
	if got := fieldErrorOf(other, "email_address"); other.Status != http.StatusUnprocessableEntity ||
		got != "Use the address your invitation was sent to." {
		t.Errorf("signing up with another address: status %d, error %q", other.Status, got)
	}
	claims := verifyOrg(t, p, wantHandBack(t, bob.submit(form, signUpForm, map[string]string{"password": goodPassword}),
		http.StatusSeeOther, appURL))
	if claims.OrgID != acme.OrgID {
		t.Errorf("bob's token names org %q, want %q", claims.OrgID, acme.OrgID)
	}
}

// On a restricted instance a provider sign-in of someone without an account
// is refused with the reason and makes nothing; an account the operator made
// for the provider's address signs in with it as before.
func TestRestrictedProviderSignIn(t *testing.T) {
	p, _ := startWithOIDC(t, portaltest.Options{Env: map[string]string{"PORTAL_SIGN_UP_MODE": "restricted"}})
	b := newBrowser(t, p)
	before := count(t, p)
	pg := viaProvider(t, b, providerButton(t, b.get(withRedirect("/sign-in", appURL)), corp))
	wantOAuthRefused(t, p, pg, before, http.StatusForbidden, "Signing in with "+corpDisplay+" didn't work")
	if !strings.Contains(pg.text(), invitationOnly) {
		t.Errorf("the page does not say why:\n%s", pg.text())
	}

	if r := api(t, p, http.MethodPost, "/v1/users", map[string]any{"email_address": []string{"ada@example.com"},
		"skip_password_requirement": true}, nil); r.Status != http.StatusOK {
		t.Fatalf("Backend API create: %d %s", r.Status, r.Body)
	}
	b = newBrowser(t, p)
	wantHandBack(t, viaProvider(t, b, providerButton(t, b.get(withRedirect("/sign-in", appURL)), corp)), http.StatusSeeOther, appURL)
}
