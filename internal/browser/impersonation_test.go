package browser

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/actortoken"
	"github.com/clerk/clerk-sdk-go/v2/user"
)

// TestImpersonation follows support staff through an actor token, as a
// person sees it: the link's page says plainly that it signs in as Ada on
// behalf of the support account, and that this is an impersonation; its
// button lands on the app, signed in as Ada, and the app — verifying the
// token with a JOSE library — sees who is acting. Every portal page then
// shows the banner at the top, naming both, and its Sign out button ends
// the impersonation only: Ada's own browser stays signed in, without a
// banner. Support's browser runs no JavaScript.
func TestImpersonation(t *testing.T) {
	t.Parallel()
	w := start(t, nil)
	adaID := w.signUp()

	apiURL, key := w.p.URL+"/v1", w.p.SecretKey
	cfg := &clerk.ClientConfig{BackendConfig: clerk.BackendConfig{URL: &apiURL, Key: &key}}
	ctx := context.Background()
	staff, err := user.NewClient(cfg).Create(ctx, &user.CreateParams{EmailAddresses: &[]string{"support@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := actortoken.NewClient(cfg).Create(ctx, &actortoken.CreateParams{UserID: clerk.String(adaID),
		Actor: json.RawMessage(`{"sub":"` + staff.ID + `"}`)})
	if err != nil {
		t.Fatal(err)
	}

	support := w.b.otherContext()
	support.disableJavaScript() // forms and links only: nothing here needs scripts
	support.open(*tok.URL + "&redirect_url=" + url.QueryEscape(w.app.URL))
	support.expectPage("Sign in · Portal", "Sign in as "+email+", impersonated by support@example.com")
	if got := support.text(".cl-identityPreviewText"); got != email {
		support.fatalf("the page shows the account %q, want %q", got, email)
	}
	if got := support.text(".cl-main .cl-text"); !strings.HasPrefix(got, "This starts an impersonation session: you act in Portal as "+email) ||
		!strings.HasSuffix(got, "It ends after 30 minutes.") {
		support.fatalf("the page says %q", got)
	}
	support.submit("click Sign in as Ada", `form[action="/sign-in/ticket"]`)
	support.expectURL(w.app.URL)
	if got := support.text("#signed-in"); got != "Signed in as "+adaID {
		support.fatalf("app says %q, want Ada", got)
	}
	if got := support.text("#actor"); got != "Impersonated by "+staff.ID {
		support.fatalf("app says %q, want the actor from the token's act claim", got)
	}

	// Every portal page, from the app's account link on.
	support.load("click Manage account", chromedp.Click(chromedp.ID("account")))
	support.expectPage("Your account · Portal", "Your account")
	for _, path := range []string{"", "/user/security", "/create-organization"} {
		if path != "" {
			support.open(w.p.URL + path)
		}
		want := "You are signed in as " + email + ", impersonated by support@example.com."
		if got := support.text(`aside[data-testid="impersonation"] p`); got != want {
			support.fatalf("banner says %q, want %q", got, want)
		}
		// First thing on the page, in view, whatever is scrolled to.
		if top := support.eval(`String(document.querySelector('[data-testid="impersonation"]').getBoundingClientRect().top)`); top != "0" {
			support.fatalf("banner's top at %s px, want 0", top)
		}
	}

	support.submit("click the banner's Sign out", `aside[data-testid="impersonation"] form`)
	support.expectPage("Sign in · Portal", "Sign in to Portal")
	support.open(w.app.URL)
	if got := support.text("#signed-out"); got != "You are signed out." {
		support.fatalf("app after the impersonation ended: %q", got)
	}

	// Ada's own browser: still signed in, no banner.
	w.b.open(w.p.URL + "/user")
	w.b.expectPage("Your account · Portal", "Your account")
	if n := w.b.eval(`String(document.querySelectorAll('[data-testid="impersonation"]').length)`); n != "0" {
		w.b.fatalf("Ada's own browser shows %s impersonation banners", n)
	}
}
