package e2e

import (
	"net/http"
	"testing"

	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// Usernames are an optional identifier, unique regardless of case; an
// account signs in with its username in any case.
func TestUsernames(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_IDENTIFIERS": "email,username"}})
	fields := func(email, username string) map[string]string {
		return map[string]string{"email_address": email, "username": username, "password": goodPassword,
			"first_name": "Ada", "last_name": "Lovelace"}
	}

	b := newBrowser(t, p)
	verify := signUpWith(b, fields("ada@example.com", "Ada_L"), "")
	wantText(t, "sign-up with Ada_L", verify, http.StatusOK, "Verify your email")
	code := p.SMTP.WaitFor(t, "ada@example.com", mailWait).Code()
	if done := b.submit(verify, verifyForm, map[string]string{"code": code}); done.Status != http.StatusOK || b.cookie("__session") == "" {
		t.Fatalf("verifying the sign-up: status %d at %s:\n%s", done.Status, done.URL, done.text())
	}

	wantHandBack(t, signIn(t, newBrowser(t, p), "ada_l", goodPassword, appURL), http.StatusSeeOther, appURL)
	wantHandBack(t, signIn(t, newBrowser(t, p), " ADA_L ", goodPassword, appURL), http.StatusSeeOther, appURL)

	for _, c := range []struct{ username, says string }{
		{"ADA_L", "That username is taken"},
		{"ada", "4 to 64 characters"},
		{"_ada", "starting with a letter or digit"},
		{"ada l", "Use letters, digits"},
	} {
		pg := signUpWith(newBrowser(t, p), fields("grace@example.com", c.username), "")
		wantText(t, "sign-up with "+c.username, pg, http.StatusUnprocessableEntity, c.says)
	}
	in := newBrowser(t, p)
	pg := in.submit(in.get("/sign-in"), signInForm, map[string]string{"identifier": "ada"})
	wantText(t, "sign-in with a 3-character username", pg, http.StatusUnprocessableEntity, "4 to 64 characters")
}
