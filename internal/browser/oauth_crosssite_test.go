package browser

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/testutil/oidctest"
	"github.com/portalhq/portal/internal/testutil/portaltest"
	"github.com/portalhq/portal/internal/user"
)

// TestOAuthStartedByAnotherSiteWaitsForThePerson_REQ_SES_07: a link on
// another site's page (the relying app stands in for it) straight to the
// provider's start is followed by Chromium with Sec-Fetch-Site naming that
// site, and stops at the portal's page asking the person to continue; the
// provider, which would answer at once, is not reached and nobody is signed
// up. Pressing Continue, a navigation from the portal's own page, goes on.
func TestOAuthStartedByAnotherSiteWaitsForThePerson_REQ_SES_07(t *testing.T) {
	t.Parallel()
	op := oidctest.Start(t)
	op.SetUser("corp-xsite", email, true, "Ada", "Lovelace")
	w := startWith(t, portaltest.Options{Env: corpSSO(op)})
	b := w.b
	b.open(w.app.URL)
	w.expectSignedOut()
	start := w.p.URL + "/sign-in/oauth/oidc_corp?" + url.Values{"redirect_url": {w.app.URL}}.Encode()
	b.eval(`(() => { const a = document.createElement("a"); a.id = "xsite"; a.href = ` + strconv.Quote(start) +
		`; a.textContent = "Sign in with Corp SSO"; document.body.append(a); return "ok" })()`)
	b.load("click a link to the provider's start on another site", chromedp.Click(chromedp.ID("xsite")))

	b.expectURL(w.p.URL + "/sign-in/oauth/oidc_corp")
	if got := b.text("h1"); got != "Continue with Corp SSO?" {
		b.fatalf("heading %q, want the question", got)
	}
	if _, err := w.p.Store.Q.UserByIdentifier(context.Background(), user.Email, email); !errors.Is(err, apperr.ErrNotFound) {
		b.fatalf("an account exists before the person pressed anything: %v", err)
	}
	if got := b.text("a.cl-formButtonPrimary"); got != "Continue with Corp SSO" {
		b.fatalf("button %q", got)
	}
	b.load("press Continue with Corp SSO", chromedp.Click(chromedp.CSS("a.cl-formButtonPrimary")))
	u, err := w.p.Store.Q.UserByIdentifier(context.Background(), user.Email, email)
	if err != nil {
		b.fatalf("no account after continuing: %v", err)
	}
	w.expectSignedIn(u.ID)
}
