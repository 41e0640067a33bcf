package browser

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/portalhq/portal/internal/testutil/oidctest"
	"github.com/portalhq/portal/internal/testutil/portaltest"
	"github.com/portalhq/portal/internal/user"
)

// TestSignUpAndInThroughOpenIDProvider signs up with a button on the
// sign-in page, through a real OpenID provider on loopback (PKCE, nonce and
// a signed ID token, REQ-OA-01/02/06), lands on the app with a session it
// verifies against the JWKS, signs out, and signs in the same way again:
// the same user, found by (provider, subject) (REQ-OA-04). The provider's
// redirect back is a cross-site navigation, so this also proves the pending
// cookie survives it in a real browser.
func TestSignUpAndInThroughOpenIDProvider(t *testing.T) {
	t.Parallel()
	op := oidctest.Start(t)
	op.SetUser("corp-ada", email, true, "Ada", "Lovelace")
	w := startWith(t, portaltest.Options{Env: map[string]string{
		"PORTAL_OIDC_CORP_ISSUER":        op.Issuer(),
		"PORTAL_OIDC_CORP_CLIENT_ID":     op.ClientID,
		"PORTAL_OIDC_CORP_CLIENT_SECRET": op.ClientSecret,
		"PORTAL_OIDC_CORP_DISPLAY_NAME":  "Corp SSO",
	}})
	b := w.b
	const button = `a.cl-socialButtonsBlockButton__oidc_corp`

	b.open(w.app.URL)
	w.expectSignedOut()
	b.load("click Sign in on the app", chromedp.Click(chromedp.ID("sign-in")))
	w.expectIdentifierPage()
	if got := b.text(button); got != "Continue with Corp SSO" {
		b.fatalf("provider button says %q", got)
	}
	b.load("click Continue with Corp SSO", chromedp.Click(chromedp.CSS(button)))

	u, err := w.p.Store.Q.UserByIdentifier(context.Background(), user.Email, email)
	if err != nil {
		b.fatalf("no user was created through the provider: %v", err)
	}
	if len(u.ExternalAccounts) != 1 || u.ExternalAccounts[0].Subject != "corp-ada" {
		b.fatalf("new user's external accounts: %+v", u.ExternalAccounts)
	}
	w.expectSignedIn(u.ID)

	w.signOut()
	if b.cookie(w.p.URL+"/v1/oauth_callback/oidc_corp", "__oauth") != "" {
		b.fatalf("the pending sign-in cookie outlived its callback")
	}

	b.load("click Sign in on the app", chromedp.Click(chromedp.ID("sign-in")))
	w.expectIdentifierPage()
	b.load("click Continue with Corp SSO again", chromedp.Click(chromedp.CSS(button)))
	w.expectSignedIn(u.ID)
}
