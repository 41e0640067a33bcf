package browser

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/portalhq/portal/internal/testutil/oidctest"
	"github.com/portalhq/portal/internal/testutil/portaltest"
	"github.com/portalhq/portal/internal/user"
)

// corpSSO configures the loopback OpenID provider op as the portal's
// "Corp SSO" sign-in.
func corpSSO(op *oidctest.Server) map[string]string {
	return map[string]string{
		"PORTAL_OIDC_CORP_ISSUER":        op.Issuer(),
		"PORTAL_OIDC_CORP_CLIENT_ID":     op.ClientID,
		"PORTAL_OIDC_CORP_CLIENT_SECRET": op.ClientSecret,
		"PORTAL_OIDC_CORP_DISPLAY_NAME":  "Corp SSO",
	}
}

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
	w := startWith(t, portaltest.Options{Env: corpSSO(op)})
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

// TestSignUpAndInWithApple goes through Sign in with Apple's own shape of
// the flow in Chromium, against a stand-in that answers as Apple does
// (oidctest.ActAsApple): a client secret the portal signs with the team's
// ES256 key, an answer POSTed cross-site by the provider's page
// (form_post), the person's name only in that post's unsigned "user" field
// and only the first time, email_verified as a string. The person lands on
// the app signed in, named as Apple said; signing in again, when Apple
// sends no name, finds the same account and keeps the name.
func TestSignUpAndInWithApple(t *testing.T) {
	t.Parallel()
	op := oidctest.Start(t)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	op.ActAsApple(oidctest.Apple{TeamID: "TEAM123456", KeyID: "KEY1234567", Key: &key.PublicKey})
	op.SetUser("001234.abcdef.1234", email, true, "Ada", "Lovelace")
	w := startWith(t, portaltest.Options{Env: map[string]string{
		"PORTAL_OAUTH_APPLE_ISSUER":      op.Issuer(),
		"PORTAL_OAUTH_APPLE_CLIENT_ID":   op.ClientID,
		"PORTAL_OAUTH_APPLE_TEAM_ID":     "TEAM123456",
		"PORTAL_OAUTH_APPLE_KEY_ID":      "KEY1234567",
		"PORTAL_OAUTH_APPLE_PRIVATE_KEY": string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
	}})
	b := w.b
	const button = `a.cl-socialButtonsBlockButton__apple`
	// The second time, this browser's last sign-in was through Apple, and
	// its button says so.
	signInWithApple := func(step, mark string) {
		b.open(w.app.URL)
		b.load("click Sign in on the app", chromedp.Click(chromedp.ID("sign-in")))
		w.expectIdentifierPage()
		if got := b.text(button + ` .cl-socialButtonsBlockButtonText`); got != "Continue with Apple" {
			b.fatalf("provider button says %q", got)
		}
		got := ""
		if mark != "" {
			got = b.text(button + ` .cl-lastAuthenticationStrategyBadge`)
		} else if n := b.count(`.cl-lastAuthenticationStrategyBadge`); n != 0 {
			got = fmt.Sprintf("%d marks", n)
		}
		if got != mark {
			b.fatalf("%s: the Apple button's mark is %q, want %q", step, got, mark)
		}
		// Apple's page posts its answer by itself; wait for the app.
		b.do(step, chromedp.Click(chromedp.CSS(button)), chromedp.WaitVisible(chromedp.ID("signed-in")))
	}

	signInWithApple("continue with Apple, the first time", "")
	u, err := w.p.Store.Q.UserByIdentifier(context.Background(), user.Email, email)
	if err != nil {
		b.fatalf("no user was created through Apple: %v", err)
	}
	w.expectSignedIn(u.ID)
	if u.FirstName != "Ada" || u.LastName != "Lovelace" {
		t.Errorf("new user named %q %q, want Apple's Ada Lovelace", u.FirstName, u.LastName)
	}
	if len(u.ExternalAccounts) != 1 || u.ExternalAccounts[0].Subject != "001234.abcdef.1234" ||
		u.ExternalAccounts[0].Provider != "apple" {
		t.Errorf("external accounts %+v", u.ExternalAccounts)
	}
	if idn := u.Identifiers[0]; idn.Value != email || idn.VerifiedAt == nil {
		t.Errorf("email %+v, want verified (Apple's \"true\")", idn)
	}

	w.signOut()
	signInWithApple("continue with Apple again", "Last used")
	w.expectSignedIn(u.ID)
	again, err := w.p.Store.Q.UserByID(context.Background(), u.ID)
	if err != nil || again.FirstName != "Ada" || again.LastName != "Lovelace" {
		t.Errorf("after a sign-in without Apple's name: %+v, %v", again, err)
	}
}
