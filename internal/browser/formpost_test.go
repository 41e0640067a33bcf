package browser

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// Apple answers a sign-in with a cross-site POST to the callback
// (form_post). Chromium sends that POST without the portal's
// SameSite=Lax cookies; the portal answers it with a redirect to a GET of
// the same callback, and Chromium sends that top-level GET with them — so
// the callback sees the browser's __client and any invitation it keeps.
// Shown on the CSRF cookie, which every portal page sets (Lax, like the
// others), as the browser reports it sent or blocked it on each hop.
func TestFormPostCallbackGetsTheLaxCookies(t *testing.T) {
	t.Parallel()
	w := startWith(t, portaltest.Options{Env: map[string]string{
		"PORTAL_OAUTH_APPLE_CLIENT_ID": "com.example.portal", "PORTAL_OAUTH_APPLE_CLIENT_SECRET": "s"}})
	b := w.b
	callback := w.p.URL + "/v1/oauth_callback/apple"
	// The provider's page, on another site (127.0.0.1, not localhost).
	provider := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) {
		rw.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(rw, `<!doctype html><form method="post" action="%s"><input type="hidden" name="code" value="c0de">`+
			`<input type="hidden" name="state" value="st"><button type="submit">Continue</button></form>`, callback)
	}))
	t.Cleanup(provider.Close)
	if !strings.HasPrefix(provider.URL, "http://127.0.0.1") || !strings.HasPrefix(w.p.URL, "http://localhost") {
		t.Fatalf("provider %s and portal %s must be different sites", provider.URL, w.p.URL)
	}

	b.open(w.p.URL + "/sign-in")
	if b.cookie(w.p.URL, "__csrf") == "" {
		b.fatalf("the sign-in page set no __csrf cookie to watch")
	}

	var (
		mu       sync.Mutex
		hops     = map[network.RequestID][]string{} // URLs of a navigation, redirects included
		sentCSRF = map[network.RequestID][]bool{}   // per hop, in order: was __csrf sent?
	)
	if err := chromedp.Listen(b.ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			hops[e.RequestID] = append(hops[e.RequestID], e.Request.Method+" "+e.Request.URL)
		case *network.EventRequestWillBeSentExtraInfo:
			for _, c := range e.AssociatedCookies {
				if c.Cookie.Name == "__csrf" {
					sentCSRF[e.RequestID] = append(sentCSRF[e.RequestID], len(c.BlockedReasons) == 0)
				}
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	b.open(provider.URL)
	b.submit("post the provider's answer cross-site", "form")

	mu.Lock()
	defer mu.Unlock()
	for rid, urls := range hops {
		if len(urls) == 0 || !strings.HasPrefix(urls[0], "POST "+callback) {
			continue
		}
		if len(urls) < 2 || !strings.HasPrefix(urls[1], "GET "+callback+"?") {
			t.Fatalf("the cross-site POST was followed by %v, want a GET of the callback", urls)
		}
		u, _ := url.Parse(strings.TrimPrefix(urls[1], "GET "))
		if u.Query().Get("code") != "c0de" || u.Query().Get("state") != "st" {
			t.Errorf("the GET carries %v, want the posted fields", u.Query())
		}
		if got := sentCSRF[rid]; len(got) < 2 || got[0] || !got[1] {
			t.Errorf("__csrf sent on the POST and the GET: %v; want blocked on the POST (SameSite=Lax), sent on the GET", got)
		}
		return
	}
	t.Fatalf("no POST to the callback seen; requests: %v", hops)
}
