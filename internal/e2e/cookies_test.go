package e2e

import (
	"bytes"
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/testutil/oidctest"
	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// cookieLog records every Set-Cookie header a browser receives.
type cookieLog struct {
	next http.RoundTripper
	mu   sync.Mutex
	seen []setCookie
	n    int // responses so far
	// elsewhere is everything else the browser exchanged — request URLs,
	// Location headers and response bodies — where a token must not be.
	elsewhere []string
}

type setCookie struct {
	raw  string // the header as sent
	url  string // the request that got it
	resp int    // which response of the browser's it came in
}

func (l *cookieLog) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := l.next.RoundTrip(r)
	if err == nil && r.URL.Scheme == "https" {
		body, rerr := io.ReadAll(resp.Body)
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(body))
		if rerr != nil {
			return nil, rerr
		}
		l.mu.Lock()
		l.n++
		for _, h := range resp.Header.Values("Set-Cookie") {
			l.seen = append(l.seen, setCookie{raw: h, url: r.Method + " " + r.URL.Path, resp: l.n})
		}
		l.elsewhere = append(l.elsewhere, r.URL.String(), resp.Header.Get("Location"), string(body))
		l.mu.Unlock()
	}
	return resp, err
}

// recordCookies makes b log the cookies the portal sets.
func recordCookies(b *browser) *cookieLog {
	next := b.hc.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	l := &cookieLog{next: next}
	b.hc.Transport = l
	return l
}

// contractCookies are the names DESIGN.md fixes, shared with relying apps,
// so they cannot take a __Host- prefix.
var contractCookies = map[string]bool{"__client": true, "__session": true, "__client_uat": true}

// Every cookie the portal sets over HTTPS, on the way through its main
// journeys (language choice, sign-up with an emailed code, the hand-back,
// a handshake refresh, application and organization invitation links, a
// provider sign-in):
//   - REQ-CK-01: Secure, and the portal's own cookies carry the __Host-
//     prefix (host-only, Path=/) or, kept to a path, __Secure-;
//   - REQ-CK-02: HttpOnly, except __client_uat, which apps' scripts read;
//     and the session token and the __client value travel only in
//     Set-Cookie: never in a URL, a Location or a page;
//   - REQ-CK-03: SameSite stated on every one, and Lax for each of them
//     (T5: no provider here posts its callback, so nothing needs None, and
//     Strict would lose the cookies on the way back from a provider);
//   - REQ-CK-04: name and value within 4096 bytes, and no address, name or
//     user ID in clear, nor under a layer of base64;
//   - REQ-CK-05: the portal's session cookie expires with the session's
//     absolute lifetime, yet the server does not rely on that: a browser
//     that still sends it after the lifetime is signed out.
func TestEveryCookieIsHardened_REQ_CK_01_to_05(t *testing.T) {
	op := oidctest.Start(t)
	clock := clockwork.NewFakeClockAt(time.Now())
	p := portaltest.Start(t, portaltest.Options{TLS: true, Clock: clock, Env: withOIDC(nil, "corp", corpDisplay, op)})
	if !strings.HasPrefix(p.URL, "https://") {
		t.Fatalf("portal at %s, want HTTPS", p.URL)
	}
	b := newBrowser(t, p)
	log := recordCookies(b)

	b.get("/sign-in?locale=de")
	c, _ := verify(t, p, wantHandBack(t, signUp(t, p, b, "ada@example.com", appURL), http.StatusSeeOther, appURL))
	clock.Advance(tokenTTL + time.Second)
	wantHandBack(t, b.getRaw(handshakePath(appURL)), http.StatusTemporaryRedirect, appURL)

	var inv struct {
		URL string `json:"url"`
	}
	if r := api(t, p, http.MethodPost, "/v1/invitations", map[string]any{"email_address": "bob@example.com", "notify": false}, &inv); r.Status != http.StatusOK {
		t.Fatalf("POST /v1/invitations: %d %s", r.Status, r.Body)
	}
	other := newBrowser(t, p)
	otherLog := recordCookies(other)
	other.get(inv.URL)
	viaProvider(t, other, providerButton(t, other.get(withRedirect("/sign-in", appURL)), corp))

	var acme struct {
		ID string `json:"id"`
	}
	if r := api(t, p, http.MethodPost, "/v1/organizations", map[string]any{"name": "Acme", "created_by": c.Subject}, &acme); r.Status != http.StatusOK {
		t.Fatalf("POST /v1/organizations: %d %s", r.Status, r.Body)
	}
	if r := api(t, p, http.MethodPost, "/v1/organizations/"+acme.ID+"/invitations",
		map[string]any{"email_address": "cy@example.com", "role": "org:member"}, nil); r.Status != http.StatusOK {
		t.Fatalf("POST /v1/organizations/%s/invitations: %d %s", acme.ID, r.Status, r.Body)
	}
	cy := newBrowser(t, p)
	cyLog := recordCookies(cy)
	cy.get(p.SMTP.WaitFor(t, "cy@example.com", mailWait).Link())

	type secret struct{ name, value string }
	var secrets []secret
	byName := map[string]*http.Cookie{}
	for i, l := range []*cookieLog{log, otherLog, cyLog} {
		// One answer sets a cookie once: a second value in the same
		// response leaves the browser to pick, and a reader of the
		// headers to wonder which.
		type set struct {
			resp int
			name string
		}
		seen := map[set]string{}
		for _, sc := range l.all() {
			if ck, err := http.ParseSetCookie(sc.raw); err == nil {
				k := set{sc.resp, ck.Name}
				if first, dup := seen[k]; dup {
					t.Errorf("browser %d, %s sets %s twice in one response:\n%s\n%s", i, sc.url, ck.Name, first, sc.raw)
				}
				seen[k] = sc.raw
			}
		}
	}
	for _, sc := range append(append(log.all(), otherLog.all()...), cyLog.all()...) {
		ck, err := http.ParseSetCookie(sc.raw)
		if err != nil {
			t.Errorf("%s: unparsable Set-Cookie %q: %v", sc.url, sc.raw, err)
			continue
		}
		byName[ck.Name] = ck
		name := ck.Name
		switch {
		case contractCookies[name]:
		case strings.HasPrefix(name, "__Host-"):
			if ck.Path != "/" || ck.Domain != "" {
				t.Errorf("%s: %s has Path %q, Domain %q; a __Host- cookie needs Path=/ and no Domain", sc.url, name, ck.Path, ck.Domain)
			}
		case strings.HasPrefix(name, "__Secure-"):
		default:
			t.Errorf("%s: cookie %s has neither the __Host- nor the __Secure- prefix (REQ-CK-01)", sc.url, name)
		}
		if !ck.Secure {
			t.Errorf("%s: %s is not Secure (REQ-CK-01): %s", sc.url, name, sc.raw)
		}
		if !ck.HttpOnly && name != "__client_uat" {
			t.Errorf("%s: %s is not HttpOnly (REQ-CK-02): %s", sc.url, name, sc.raw)
		}
		if !strings.Contains(strings.ToLower(sc.raw), "samesite=") {
			t.Errorf("%s: %s does not state SameSite (REQ-CK-03): %s", sc.url, name, sc.raw)
		} else if ck.SameSite != http.SameSiteLaxMode {
			t.Errorf("%s: %s is not SameSite=Lax (REQ-CK-03): %s", sc.url, name, sc.raw)
		}
		if n := len(ck.Name) + len(ck.Value); n > 4096 {
			t.Errorf("%s: %s is %d bytes (REQ-CK-04)", sc.url, name, n)
		}
		for _, pii := range []string{"ada@", "bob@", "cy@", "example.com", "Ada", "Lovelace", c.Subject, c.SID} {
			seen := readings(ck.Value)
			if name == "__session" && (pii == c.Subject || pii == c.SID) {
				// The session token is a JWT by contract (DESIGN.md): its
				// sub and sid claims are readable, its signature not forged.
				seen = seen[:2]
			}
			for _, v := range seen {
				if strings.Contains(v, pii) {
					t.Errorf("%s: %s carries %q in clear (REQ-CK-04): %s", sc.url, name, pii, ck.Value)
					break
				}
			}
		}
		if (name == "__session" || name == "__client") && len(ck.Value) >= 20 {
			secrets = append(secrets, secret{name, ck.Value})
		}
	}
	for _, want := range []string{"__client", "__session", "__client_uat", "__Host-csrf", "__Host-portal_locale",
		"__Host-app_invitation", "__Host-invitation", "__Secure-oauth"} {
		if byName[want] == nil {
			t.Errorf("the journeys never set %s; the audit did not cover it (saw %v)", want, keys(byName))
		}
	}

	// REQ-CK-02: tokens only ever in Set-Cookie.
	if len(secrets) == 0 {
		t.Fatal("no __session or __client value seen; the check below would prove nothing")
	}
	for _, l := range []*cookieLog{log, otherLog, cyLog} {
		for _, where := range l.everywhereElse() {
			for _, s := range secrets {
				for _, v := range []string{s.value, url.QueryEscape(s.value)} {
					if strings.Contains(where, v) {
						t.Errorf("a %s value appears outside Set-Cookie (REQ-CK-02): in %.200q", s.name, where)
					}
				}
			}
		}
	}

	// REQ-CK-05: __client lasts as long as a session may, no longer.
	const lifetime = 7 * 24 * time.Hour // PORTAL_SESSION_MAX_LIFETIME default
	if ck := byName["__client"]; ck == nil || time.Duration(ck.MaxAge)*time.Second != lifetime {
		t.Errorf("__client Max-Age %v, want the session lifetime %v", ck, lifetime)
	}
	// ...but the server ends the session itself: the browser below still
	// sends __client (its jar runs on the real clock), and is signed out.
	clock.Advance(lifetime)
	if b.cookie("__client") == "" {
		t.Fatal("the browser dropped __client; the check below would prove nothing")
	}
	hs := b.getRaw(handshakePath(appURL))
	if sc := hs.setCookie("__client_uat"); hs.Status != http.StatusTemporaryRedirect || sc == nil || sc.Value != "0" {
		t.Errorf("handshake past the session's lifetime: %d, __client_uat %v; want 307 signing the app out", hs.Status, sc)
	}
	if pg := b.getRaw("/user"); pg.Status != http.StatusSeeOther || !strings.HasPrefix(pg.Header.Get("Location"), "/sign-in") {
		t.Errorf("GET /user past the session's lifetime: %d to %q, want the sign-in page", pg.Status, pg.Header.Get("Location"))
	}
}

func (l *cookieLog) all() []setCookie {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]setCookie(nil), l.seen...)
}

func (l *cookieLog) everywhereElse() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.elsewhere...)
}

// readings are the ways a cookie value may be read without a key: as is,
// URL-unescaped, and base64-decoded (each part of a dotted or
// pipe-separated value too, once more nested).
func readings(v string) []string {
	out := []string{v}
	u, err := url.QueryUnescape(v)
	if err != nil {
		u = v
	}
	out = append(out, u)
	decode := func(s string) []string {
		var got []string
		for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == '.' || r == '|' }) {
			for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
				if b, err := enc.DecodeString(part); err == nil {
					got = append(got, string(b))
					break
				}
			}
		}
		return got
	}
	for _, d := range decode(out[len(out)-1]) {
		out = append(out, d)
		out = append(out, decode(d)...)
	}
	return out
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
