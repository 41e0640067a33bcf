package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// REQ-SES-07 (ASVS 7.6.2): a provider sign-in is a GET, so any other site
// can start one in a person's browser — a link, a script's navigation, a
// redirect. A provider that remembers the person's consent then answers at
// once, and without a check the person would be signed in (or an account
// made for them, or a provider account linked) without doing anything on
// the portal. A start that comes from another site (Sec-Fetch-Site
// cross-site or same-site) therefore stops at a page of the portal asking
// the person to continue: no pending cookie, no trip to the provider, no
// session; continuing from that page (same-origin) goes on as ever.
func TestOAuthStartFromAnotherSiteAsksFirst_REQ_SES_07(t *testing.T) {
	p, op := startWithOIDC(t, portaltest.Options{})
	const app = appOrigin + "/dashboard"
	op.SetUser("xsite-1", "xsite@example.com", true, "Cross", "Site")
	start := "/sign-in/oauth/" + corp + "?" + url.Values{"intent": {"sign_up"}, "redirect_url": {app}}.Encode()

	for _, site := range []string{"cross-site", "same-site"} {
		t.Run(site, func(t *testing.T) {
			b := newBrowser(t, p)
			before := count(t, p)
			pg := b.postForm(http.MethodGet, start, nil, map[string]string{"Sec-Fetch-Site": site, "Sec-Fetch-Mode": "navigate"})
			if pg.Status != http.StatusOK || pg.Header.Get("Location") != "" {
				t.Fatalf("a start from %s: %d to %q, want a page of the portal:\n%s", site, pg.Status, pg.Header.Get("Location"), pg.text())
			}
			if ck := pg.setCookie("__oauth"); ck != nil && ck.Value != "" {
				t.Errorf("a start from %s set the pending cookie", site)
			}
			if n := count(t, p); n != before {
				t.Errorf("a start from %s made %+v, before %+v", site, n, before)
			}
			cont := pg.Doc.Find(`a.cl-formButtonPrimary`)
			href, _ := cont.Attr("href")
			if cont.Length() != 1 || !strings.Contains(cont.Text(), "Continue with "+corpDisplay) {
				t.Fatalf("no Continue with %s button:\n%s", corpDisplay, pg.Body)
			}
			if got, want := b.abs(href).RequestURI(), b.abs(start).RequestURI(); got != want {
				t.Errorf("continue leads to %q, want the same start %q", got, want)
			}
			// The person presses it: a navigation from the portal's own page.
			b.header = http.Header{"Sec-Fetch-Site": {"same-origin"}}
			wantHandBack(t, viaProvider(t, b, href), http.StatusSeeOther, app)
		})
	}

	// The portal's own button, an address typed or bookmarked (none), and
	// a browser that sends no Sec-Fetch-Site go straight to the provider.
	for _, site := range []string{"same-origin", "none", ""} {
		b := newBrowser(t, p)
		h := map[string]string{}
		if site != "" {
			h["Sec-Fetch-Site"] = site
		}
		pg := b.postForm(http.MethodGet, start, nil, h)
		if pg.Status != http.StatusSeeOther || !strings.HasPrefix(pg.Header.Get("Location"), op.Issuer()) {
			t.Errorf("a start with Sec-Fetch-Site %q: %d to %q, want 303 to the provider", site, pg.Status, pg.Header.Get("Location"))
		}
	}
}
