package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/testutil/oidctest"
	"github.com/portalhq/portal/internal/testutil/portaltest"
	"github.com/portalhq/portal/internal/testutil/webauthntest"
)

// The sign-in page marks the way this browser last signed in ("Last used",
// Clerk's lastAuthenticationStrategyBadge) on that provider's button only,
// after signing out too, and the Backend API answers the client's
// last_authentication_strategy; a browser that signed in with a password,
// or never signed in, sees no mark.
func TestSignInMarksTheProviderThisBrowserLastUsed(t *testing.T) {
	corpOP, acmeOP := oidctest.Start(t), oidctest.Start(t)
	env := withOIDC(withOIDC(nil, "corp", corpDisplay, corpOP), "acme", "Acme ID", acmeOP)
	p := portaltest.Start(t, portaltest.Options{Env: env})
	const app = "http://localhost:5173/dashboard"

	badges := func(what string, b *browser) map[string]string {
		t.Helper()
		pg := b.get(withRedirect("/sign-in", app))
		if pg.Status != http.StatusOK {
			t.Fatalf("%s: /sign-in answered %d", what, pg.Status)
		}
		got := map[string]string{}
		for _, provider := range []string{corp, "oidc_acme"} {
			btn := pg.Doc.Find(`a.cl-socialButtonsBlockButton__` + provider)
			if btn.Length() != 1 {
				t.Fatalf("%s: %d %s buttons", what, btn.Length(), provider)
			}
			got[provider] = btn.Find(".cl-lastAuthenticationStrategyBadge").Text()
		}
		if n := pg.Doc.Find(".cl-lastAuthenticationStrategyBadge").Length(); n > 1 {
			t.Errorf("%s: %d Last used marks on the page, want one at most", what, n)
		}
		return got
	}

	fresh := newBrowser(t, p)
	if got := badges("a browser that never signed in", fresh); got[corp] != "" || got["oidc_acme"] != "" {
		t.Errorf("a browser that never signed in sees %v, want no mark", got)
	}

	b := newBrowser(t, p)
	tok := wantHandBack(t, viaProvider(t, b, providerButton(t, b.get(withRedirect("/sign-in", app)), "oidc_acme")), http.StatusSeeOther, app)
	c, _ := verify(t, p, tok)
	b.submit(b.get("/sign-out"), signOutForm, nil)
	if got := badges("signed out after Acme", b); got["oidc_acme"] != "Last used" || got[corp] != "" {
		t.Errorf("after signing in with Acme and out: marks %v, want Last used on Acme alone", got)
	}
	// Read out, the button says both, apart: "Continue with Acme ID, Last used".
	if name := strings.Join(strings.Fields(b.get("/sign-in").Doc.Find(`a.cl-socialButtonsBlockButton__oidc_acme`).Text()), " "); name != "Continue with Acme ID , Last used" {
		t.Errorf("the marked button's text is %q, want its label, a comma for screen readers, and Last used", name)
	}
	var client struct {
		LastAuthenticationStrategy *string `json:"last_authentication_strategy"`
	}
	sid := c.SID
	var sess struct {
		ClientID string `json:"client_id"`
	}
	if r := api(t, p, http.MethodGet, "/v1/sessions/"+sid, nil, &sess); r.Status != http.StatusOK {
		t.Fatalf("GET /v1/sessions/%s: %d %s", sid, r.Status, r.Body)
	}
	if r := api(t, p, http.MethodGet, "/v1/clients/"+sess.ClientID, nil, &client); r.Status != http.StatusOK {
		t.Fatalf("GET /v1/clients: %d %s", r.Status, r.Body)
	}
	if s := client.LastAuthenticationStrategy; s == nil || *s != "oauth_oidc_acme" {
		t.Errorf("last_authentication_strategy = %v, want oauth_oidc_acme", s)
	}

	// The same browser signs in with the other provider: the mark moves.
	wantHandBack(t, viaProvider(t, b, providerButton(t, b.get(withRedirect("/sign-in", app)), corp)), http.StatusSeeOther, app)
	b.submit(b.get("/sign-out"), signOutForm, nil)
	if got := badges("signed out after Corp", b); got[corp] != "Last used" || got["oidc_acme"] != "" {
		t.Errorf("after signing in with Corp: marks %v, want Last used on Corp alone", got)
	}

	// A password sign-in marks no button: the identifier field is its way.
	pw := newBrowser(t, p)
	wantHandBack(t, signUp(t, p, pw, "grace@example.com", app), http.StatusSeeOther, app)
	pw.submit(pw.get("/sign-out"), signOutForm, nil)
	if got := badges("signed out after a password sign-up", pw); got[corp] != "" || got["oidc_acme"] != "" {
		t.Errorf("after a password sign-up: marks %v, want none", got)
	}
}

// After a passkey sign-in, the passkey button is the one marked.
func TestSignInMarksThePasskeyWhenThisBrowserLastUsedOne(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	owner := newBrowser(t, p)
	wantHandBack(t, signUp(t, p, owner, "ada@example.com", appURL), http.StatusSeeOther, appURL)
	k := newKey(t, p)
	wantText(t, "adding a passkey", addPasskey(t, owner, k, webauthntest.Ceremony{}), http.StatusOK, "Your passkey is ready")

	mark := func(b *browser) string {
		t.Helper()
		return b.get("/sign-in").Doc.Find(`form[data-passkey-login] button .cl-lastAuthenticationStrategyBadge`).Text()
	}
	owner.submit(owner.get("/sign-out"), signOutForm, nil)
	if got := mark(owner); got != "" {
		t.Errorf("after a password sign-up: passkey button marked %q, want no mark", got)
	}
	in := newBrowser(t, p)
	wantHandBack(t, signInWithPasskey(t, in, k, webauthntest.Ceremony{}, appURL), http.StatusSeeOther, appURL)
	in.submit(in.get("/sign-out"), signOutForm, nil)
	if got := mark(in); got != "Last used" {
		t.Errorf("after a passkey sign-in: passkey button marked %q, want Last used", got)
	}
}
