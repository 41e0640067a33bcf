package redirect_test

import (
	"errors"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/redirect"
)

// testOrigins is the policy most tests run against; allowedByModel below
// restates it independently of the package's matcher.
var testOrigins = []string{
	"https://app.example.com",
	"https://*.example.org",
	"http://localhost:*",
	"http://[0:0::1]:8080",
}

const portal = "https://accounts.example.net/"

func newPolicy(t testing.TB) *redirect.Policy {
	t.Helper()
	p, err := redirect.NewPolicy(testOrigins)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func portalBase(t testing.TB) *url.URL {
	t.Helper()
	u, err := url.Parse(portal)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// hostile are targets that must never be followed (REQ-HDR-05): each is either
// outside the allowlist or something a browser could read differently from
// url.Parse (REQ-IN-06).
var hostile = []string{
	"",
	"//evil.com",
	"///evil.com",
	`/\evil.com`,
	`\\evil.com`,
	`https:\\evil.com`,
	`https://app.example.com\@evil.com`,
	`https://evil.com\.app.example.com`,
	"https://app.example.com@evil.com",
	"https://user:pass@app.example.com",
	"https://@app.example.com",
	"https://app.example.com;@evil.com",
	"https://app.example.com:443@evil.com",
	"javascript:alert(1)",
	"JavaScript:alert(1)",
	"javascript://app.example.com/%0aalert(1)",
	"data:text/html,<script>alert(1)</script>",
	"vbscript:msgbox(1)",
	"file:///etc/passwd",
	"ftp://app.example.com/",
	"ws://app.example.com/",
	"java\tscript:alert(1)",
	"https://app.exa\nmple.com",
	"https://app.example.com\r\nSet-Cookie:x=1",
	"https://app.example.com/\x00",
	"\x00https://app.example.com",
	" https://app.example.com",
	"https://app.example.com\t",
	"https://app.example.com/ x",
	"https://app.example.com\x7f",
	"https://app.example.com%2F@evil.com",
	"https:%2F%2Fevil.com",
	"%2F%2Fevil.com",
	"%252F%252Fevil.com",
	"https://%61pp.example.com",
	"https://app.example.com%00",
	"https://app.example.com%2eevil.com",
	"https://app.example.com:8443",
	"https://app.example.com:444/",
	"https://app.example.com:0443x",
	"https://app.example.com.evil.com",
	"https://evil.com/https://app.example.com",
	"https://evil.com#@app.example.com",
	"https://evil.com?@app.example.com",
	"https://evilapp.example.com",
	"https://app.example.com.",
	"http://app.example.com",
	"HTTPS://EVIL.COM",
	"https://ápp.example.com",
	"https://app\u3002example.com",
	"https://app.example.com\u2028",
	"https://xn--pp-9ia.example.com",
	"https://example.org",
	"https://evilexample.org",
	"https://a..example.org",
	"https://.example.org",
	"https://*.example.org",
	"https://a.example.org.",
	"http://a.example.org",
	"https:evil.com",
	"https:/evil.com",
	"https:///app.example.com",
	"http://127.0.0.1:3000",
	"http://localhost.:3000",
	"http://localhost:0",
	"http://localhost:65536",
	"http://localhost:3000:3000",
	"http://localhost:",
	"http://localhost:+80",
	"http://2130706433:3000",
	"http://0x7f.0.0.1:3000",
	"http://127.1:3000",
	"http://[::1]:3000",
	"http://[::ffff:127.0.0.1]:8080",
	"http://[::1%25eth0]:8080",
	"http://[::1]]:8080",
	"https://[app.example.com]",
	"https://app.example.com/" + strings.Repeat("a", redirect.MaxLen),
	"\xff\xfehttps://app.example.com",
	"/relative/path",
	"app.example.com",
}

func TestCheckRefusesHostileTargets_REQ_HDR_05_REQ_IN_06(t *testing.T) {
	p := newPolicy(t)
	for _, raw := range hostile {
		t.Run(strconv.Quote(short(raw)), func(t *testing.T) {
			u, err := p.Check(raw)
			assertRefused(t, u, err)
		})
	}
}

func TestCheckOrPortalRefusesHostileTargets_REQ_HDR_05_REQ_IN_06(t *testing.T) {
	p := newPolicy(t)
	extra := []string{
		"/%2F%2Fevil.com",
		"/%2f/evil.com",
		"/%5Cevil.com",
		"/\t/evil.com",
		"user",
		"?next=1",
		"#frag",
		"http://accounts.example.net/",
		"https://accounts.example.net:8443/",
		"https://evil@accounts.example.net/",
		"https://accounts.example.net.evil.com/",
	}
	for _, raw := range append(slices.Clone(hostile), extra...) {
		if raw == "/relative/path" {
			continue // a portal path, accepted here
		}
		t.Run(strconv.Quote(short(raw)), func(t *testing.T) {
			u, err := p.CheckOrPortal(raw, portalBase(t))
			assertRefused(t, u, err)
		})
	}
}

func assertRefused(t *testing.T, u *url.URL, err error) {
	t.Helper()
	if err == nil {
		t.Fatalf("accepted as %s", u)
	}
	e, ok := apperr.As(err)
	if !ok || e.Code != apperr.Invalid || e.Message != redirect.RefusedMessage {
		t.Fatalf("want apperr Invalid with the refusal message, got %#v", err)
	}
	if u != nil {
		t.Fatalf("refusal returned a URL %s", u)
	}
}

func TestCheckAccepts(t *testing.T) {
	p := newPolicy(t)
	cases := []struct{ raw, want, origin string }{
		{"https://app.example.com", "https://app.example.com", "https://app.example.com"},
		{"https://app.example.com/", "https://app.example.com/", "https://app.example.com"},
		{"https://app.example.com:443/cb", "https://app.example.com/cb", "https://app.example.com"},
		{"https://app.example.com:00443/cb", "https://app.example.com/cb", "https://app.example.com"},
		{"HTTPS://APP.Example.COM/Path?Q=1&r=https://evil.com#Frag", "https://app.example.com/Path?Q=1&r=https://evil.com#Frag", "https://app.example.com"},
		{"https://app.example.com/caf%C3%A9?q=%2F%2F#a@b", "https://app.example.com/caf%C3%A9?q=%2F%2F#a@b", "https://app.example.com"},
		{"https://app.example.com//evil.com", "https://app.example.com//evil.com", "https://app.example.com"},
		{"https://app.example.com/@evil.com", "https://app.example.com/@evil.com", "https://app.example.com"},
		{"https://a.example.org/", "https://a.example.org/", "https://a.example.org"},
		{"https://a.b.c.example.org/cb?x=1", "https://a.b.c.example.org/cb?x=1", "https://a.b.c.example.org"},
		{"https://xn--bcher-kva.example.org/", "https://xn--bcher-kva.example.org/", "https://xn--bcher-kva.example.org"},
		{"https://0x7f.example.org/", "https://0x7f.example.org/", "https://0x7f.example.org"},
		{"http://localhost:3000/callback", "http://localhost:3000/callback", "http://localhost:3000"},
		{"http://localhost/", "http://localhost/", "http://localhost"},
		{"http://localhost:80", "http://localhost", "http://localhost"},
		{"http://LOCALHOST:65535", "http://localhost:65535", "http://localhost:65535"},
		{"http://[::1]:8080/x", "http://[::1]:8080/x", "http://[::1]:8080"},
		{"http://[0:0:0:0:0:0:0:1]:8080/x", "http://[::1]:8080/x", "http://[::1]:8080"},
	}
	for _, c := range cases {
		t.Run(c.raw, func(t *testing.T) {
			u, err := p.Check(c.raw)
			if err != nil {
				t.Fatal(err)
			}
			if got := u.String(); got != c.want {
				t.Errorf("String() = %q, want %q", got, c.want)
			}
			if got := redirect.Origin(u); got != c.origin {
				t.Errorf("Origin = %q, want %q", got, c.origin)
			}
		})
	}
}

func TestExactOriginMatching(t *testing.T) {
	p, err := redirect.NewPolicy([]string{"http://localhost:3000", "https://a.com:443", "https://b.com:8443"})
	if err != nil {
		t.Fatal(err)
	}
	for raw, ok := range map[string]bool{
		"http://localhost:3000/x": true,
		"http://localhost:3001/x": false,
		"http://localhost/x":      false,
		"http://127.0.0.1:3000/x": false,
		"https://localhost:3000/": false,
		"https://a.com/":          true,
		"https://a.com:443/":      true,
		"https://b.com:8443/":     true,
		"https://b.com/":          false,
	} {
		if _, err := p.Check(raw); (err == nil) != ok {
			t.Errorf("Check(%q) err = %v, want allowed=%v", raw, err, ok)
		}
	}
}

func TestCheckOrPortalAccepts(t *testing.T) {
	p := newPolicy(t)
	base := portalBase(t)
	cases := map[string]string{
		"/":                                     "https://accounts.example.net/",
		"/user?tab=security#mfa":                "https://accounts.example.net/user?tab=security#mfa",
		"/a/../b":                               "https://accounts.example.net/b",
		"/%252F%252Fevil.com":                   "https://accounts.example.net/%252F%252Fevil.com",
		"https://accounts.example.net/x?y=1":    "https://accounts.example.net/x?y=1",
		"https://ACCOUNTS.example.net:443/x":    "https://accounts.example.net/x",
		"https://app.example.com/after-sign-in": "https://app.example.com/after-sign-in",
		"http://localhost:5173/":                "http://localhost:5173/",
		"https://deep.sub.example.org/?a=b#c":   "https://deep.sub.example.org/?a=b#c",
		"/sign-in?redirect_url=https%3A%2F%2Fx": "https://accounts.example.net/sign-in?redirect_url=https%3A%2F%2Fx",
	}
	for raw, want := range cases {
		u, err := p.CheckOrPortal(raw, base)
		if err != nil {
			t.Errorf("CheckOrPortal(%q): %v", raw, err)
			continue
		}
		if u.String() != want {
			t.Errorf("CheckOrPortal(%q) = %q, want %q", raw, u, want)
		}
	}
	if base.String() != portal {
		t.Errorf("portal base was modified: %s", base)
	}
}

func TestNewPolicyRejectsBadPatterns(t *testing.T) {
	for _, bad := range []string{
		"",
		"   ",
		"app.example.com",
		"ftp://app.example.com",
		"javascript://app.example.com",
		"https://app.example.com/path",
		"https://app.example.com/?x=1",
		"https://app.example.com#f",
		"https://user@app.example.com",
		`https://app.example.com\`,
		"https://app.exa mple.com",
		"https://%61pp.example.com",
		"https://ápp.example.com",
		"https://",
		"https://*",
		"https://*.",
		"https://*.com",
		"https://*.*.example.com",
		"https://a.*.example.com",
		"https://*example.com",
		"https://app*.example.com",
		"https://*.127.0.0.1",
		"https://*.[::1]",
		"https://app.example.com.",
		"https://app..example.com",
		"https://127.1",
		"https://2130706433",
		"https://[::1%eth0]",
		"https://[::1",
		"https://[example.com]",
		"https://app.example.com:",
		"https://app.example.com:0",
		"https://app.example.com:65536",
		"https://app.example.com:80a",
		"https://app.example.com:**",
		"https://app.example.com:1:2",
	} {
		_, err := redirect.NewPolicy([]string{"https://ok.example.com", bad})
		if err == nil {
			t.Errorf("NewPolicy accepted %q", bad)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, strconv.Quote(bad)) || !strings.Contains(msg, "#2") || !strings.Contains(msg, "https://*.example.com") {
			t.Errorf("error for %q should name the entry and the accepted forms: %s", bad, msg)
		}
	}
}

func TestNewPolicyNormalisesPatterns(t *testing.T) {
	p, err := redirect.NewPolicy([]string{" HTTPS://App.Example.com:443/ ", "http://LOCALHOST:*", "https://*.localhost", "http://127.0.0.1:3000"})
	if err != nil {
		t.Fatal(err)
	}
	for _, raw := range []string{"https://app.example.com/", "http://localhost:1234/", "https://a.localhost/", "http://127.0.0.1:3000/"} {
		if _, err := p.Check(raw); err != nil {
			t.Errorf("Check(%q): %v", raw, err)
		}
	}
	if _, err := p.Check("https://localhost/"); err == nil {
		t.Error("wildcard *.localhost matched its apex")
	}
	empty, err := redirect.NewPolicy(nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := empty.Check("https://app.example.com"); err == nil {
		t.Error("empty policy allowed a target")
	}
}

func TestOrigin(t *testing.T) {
	for raw, want := range map[string]string{
		"https://App.Example.com:443/x?y#z": "https://app.example.com",
		"http://localhost:80/":              "http://localhost",
		"http://localhost:3000":             "http://localhost:3000",
		"https://a.com:80":                  "https://a.com:80",
		"http://[0::1]:8080/":               "http://[::1]:8080",
		"HTTPS://a.com":                     "https://a.com",
	} {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		if got := redirect.Origin(u); got != want {
			t.Errorf("Origin(%q) = %q, want %q", raw, got, want)
		}
	}
}

func TestPickPrecedence(t *testing.T) {
	all := url.Values{}
	for _, name := range redirect.Params() {
		all.Set(name, "https://app.example.com/"+name)
	}
	order := map[redirect.Kind][]string{
		redirect.SignIn: {"sign_in_force_redirect_url", "redirect_url", "after_sign_in_url", "sign_in_fallback_redirect_url"},
		redirect.SignUp: {"sign_up_force_redirect_url", "redirect_url", "after_sign_up_url", "sign_up_fallback_redirect_url"},
	}
	p := newPolicy(t)
	for kind, names := range order {
		q := cloneValues(all)
		for _, want := range names {
			raw, param := redirect.Pick(q, kind)
			if param != want || raw != "https://app.example.com/"+want {
				t.Errorf("kind %d: Pick = %q from %q, want %q", kind, raw, param, want)
			}
			u, err := p.Resolve(q, kind)
			if err != nil || u.Path != "/"+want {
				t.Errorf("kind %d: Resolve = %v, %v; want path /%s", kind, u, err, want)
			}
			q.Del(want)
		}
		if raw, param := redirect.Pick(q, kind); raw != "" || param != "" {
			t.Errorf("kind %d: Pick picked %q from %q, which is the other flow's parameter", kind, raw, param)
		}
	}
}

func TestPickSkipsEmptyAndTakesFirstValue(t *testing.T) {
	q := url.Values{
		"sign_in_force_redirect_url": {""},
		"redirect_url":               {"", "https://app.example.com/1", "https://app.example.com/2"},
	}
	raw, param := redirect.Pick(q, redirect.SignIn)
	if raw != "https://app.example.com/1" || param != "redirect_url" {
		t.Errorf("Pick = %q, %q", raw, param)
	}
}

func TestResolveRefusesHostileInAnyParameter_REQ_HDR_05(t *testing.T) {
	p := newPolicy(t)
	for _, kind := range []redirect.Kind{redirect.SignIn, redirect.SignUp} {
		for _, bad := range redirect.Params() {
			q := url.Values{}
			for _, name := range redirect.Params() {
				q.Set(name, "https://app.example.com/ok")
			}
			q.Set(bad, "https://evil.com/")
			u, err := p.Resolve(q, kind)
			assertRefused(t, u, err)
			if e, _ := apperr.As(err); e.Field != bad {
				t.Errorf("kind %d: refusal names field %q, want %q", kind, e.Field, bad)
			}
		}
	}
	// A second, hostile value of the chosen parameter is not skipped either.
	q := url.Values{"redirect_url": {"https://app.example.com/", "//evil.com"}}
	u, err := p.Resolve(q, redirect.SignIn)
	assertRefused(t, u, err)
}

func TestResolveNoneAndPortal(t *testing.T) {
	p := newPolicy(t)
	u, err := p.Resolve(url.Values{"email_address": {"a@b.c"}, "redirect_url": {""}}, redirect.SignIn)
	if u != nil || err != nil {
		t.Errorf("Resolve with no target = %v, %v; want nil, nil", u, err)
	}
	q := url.Values{"redirect_url": {"/user"}}
	if u, err := p.Resolve(q, redirect.SignIn); err == nil {
		t.Errorf("Resolve accepted a portal path without a portal base: %v", u)
	}
	u, err = p.ResolveOrPortal(q, redirect.SignIn, portalBase(t))
	if err != nil || u.String() != "https://accounts.example.net/user" {
		t.Errorf("ResolveOrPortal = %v, %v", u, err)
	}
	q.Set("after_sign_up_url", "//evil.com")
	u, err = p.ResolveOrPortal(q, redirect.SignIn, portalBase(t))
	assertRefused(t, u, err)
}

func TestParamsIsFresh(t *testing.T) {
	a := redirect.Params()
	if len(a) != 7 {
		t.Fatalf("Params() = %v", a)
	}
	a[0] = "mutated"
	if redirect.Params()[0] == "mutated" {
		t.Error("Params shares its slice between calls")
	}
}

func cloneValues(v url.Values) url.Values {
	c := url.Values{}
	for k, vs := range v {
		c[k] = slices.Clone(vs)
	}
	return c
}

func short(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}

// FuzzCheck: whatever Check accepts must, as the raw input and as the URL the
// portal would put in Location, be read by a browser-like parser as an allowed
// origin with no user info (REQ-HDR-05, REQ-IN-06).
func FuzzCheck(f *testing.F) {
	for _, s := range hostile {
		f.Add(s)
	}
	for _, s := range []string{
		"https://app.example.com/cb?x=1#y", "https://a.b.example.org:443/", "http://localhost:3000/",
		"http://[::1]:8080/", "https://app.example.com:0443/", "https://APP.example.com//x@y",
	} {
		f.Add(s)
	}
	p := newPolicy(f)
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := p.Check(raw)
		if err != nil {
			if u != nil {
				t.Fatal("refusal returned a URL")
			}
			return
		}
		if u.User != nil {
			t.Fatalf("accepted %q with user info", raw)
		}
		want := redirect.Origin(u)
		if !allowedByModel(want) {
			t.Fatalf("accepted %q with origin %s outside the policy", raw, want)
		}
		for _, s := range []string{raw, u.String()} {
			got, hasUser, ok := browserOrigin(s)
			if !ok || hasUser || got != want {
				t.Fatalf("browser reads %q as %q (user info %v, ok %v); Check said %s", s, got, hasUser, ok, want)
			}
			re, err := url.Parse(s)
			if err != nil || re.User != nil || redirect.Origin(re) != want {
				t.Fatalf("url.Parse(%q) disagrees: %v %v", s, re, err)
			}
		}
	})
}

// FuzzCheckOrPortal: accepted targets land on the portal or an allowed origin.
func FuzzCheckOrPortal(f *testing.F) {
	for _, s := range hostile {
		f.Add(s)
	}
	f.Add("/user?x=1")
	f.Add("/%2F%2Fevil.com")
	p := newPolicy(f)
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := p.CheckOrPortal(raw, portalBase(t))
		if err != nil {
			return
		}
		got, hasUser, ok := browserOrigin(u.String())
		if !ok || hasUser || (got != "https://accounts.example.net" && !allowedByModel(got)) {
			t.Fatalf("CheckOrPortal(%q) = %s, which a browser reads as %q (user %v)", raw, u, got, hasUser)
		}
	})
}

// allowedByModel restates testOrigins by hand.
func allowedByModel(origin string) bool {
	scheme, hostPort, _ := strings.Cut(origin, "://")
	switch {
	case scheme == "https" && hostPort == "app.example.com":
		return true
	case scheme == "https" && strings.HasSuffix(hostPort, ".example.org") && !strings.Contains(hostPort, ":"):
		return validLabels(strings.TrimSuffix(hostPort, ".example.org"))
	case scheme == "http" && (hostPort == "localhost" || strings.HasPrefix(hostPort, "localhost:")):
		return true
	case scheme == "http" && hostPort == "[::1]:8080":
		return true
	}
	return false
}

func validLabels(s string) bool {
	for _, l := range strings.Split(s, ".") {
		if l == "" {
			return false
		}
	}
	return true
}

// browserOrigin is a small model of how a WHATWG URL parser finds the origin
// of an http(s) URL: it strips tabs and newlines, treats backslashes as
// slashes, skips any run of slashes after the scheme, takes user info up to
// the last "@" and percent-decodes the host.
func browserOrigin(raw string) (origin string, hasUser, ok bool) {
	s := strings.TrimFunc(raw, func(r rune) bool { return r <= ' ' })
	s = strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(s)
	scheme, rest, found := strings.Cut(s, ":")
	scheme = strings.ToLower(scheme)
	if !found || (scheme != "http" && scheme != "https") {
		return "", false, false
	}
	rest = strings.TrimLeft(rest, `/\`)
	if end := strings.IndexAny(rest, `/\?#`); end >= 0 {
		rest = rest[:end]
	}
	if at := strings.LastIndexByte(rest, '@'); at >= 0 {
		hasUser, rest = true, rest[at+1:]
	}
	host, port := rest, ""
	if i := strings.LastIndexByte(rest, ':'); i >= 0 && !strings.HasSuffix(rest, "]") {
		host, port = rest[:i], rest[i+1:]
	}
	host, err := url.PathUnescape(host)
	if err != nil {
		return "", hasUser, false
	}
	host = strings.ToLower(host)
	if v6, found := strings.CutPrefix(host, "["); found {
		a, err := netip.ParseAddr(strings.TrimSuffix(v6, "]"))
		if err != nil {
			return "", hasUser, false
		}
		host = "[" + a.String() + "]"
	}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil {
			return "", hasUser, false
		}
		port = strconv.Itoa(n)
		if (scheme == "http" && n == 80) || (scheme == "https" && n == 443) {
			port = ""
		}
	}
	if port != "" {
		return scheme + "://" + host + ":" + port, hasUser, true
	}
	return scheme + "://" + host, hasUser, true
}

// BeyondCookies names the allowed origins the app cookies never reach:
// host-only cookies reach the portal's own host alone (any port), a cookie
// domain reaches itself and its subdomains. Each is named as configured,
// in canonical form.
func TestBeyondCookies(t *testing.T) {
	p, err := redirect.NewPolicy([]string{"https://app.example.com", "https://*.example.com",
		"https://APP.example.org:8443", "http://localhost:*", "http://[0:0::1]:8080", "https://example.com"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		host, domain string
		want         []string
	}{
		{"accounts.example.com", "", []string{"https://app.example.com", "https://*.example.com",
			"https://app.example.org:8443", "http://localhost:*", "http://[::1]:8080", "https://example.com"}},
		{"accounts.example.com", "example.com", []string{"https://app.example.org:8443", "http://localhost:*", "http://[::1]:8080"}},
		{"accounts.example.com", ".Example.com", []string{"https://app.example.org:8443", "http://localhost:*", "http://[::1]:8080"}},
		{"localhost", "", []string{"https://app.example.com", "https://*.example.com",
			"https://app.example.org:8443", "http://[::1]:8080", "https://example.com"}},
		{"app.example.com", "", []string{"https://*.example.com", "https://app.example.org:8443", "http://localhost:*",
			"http://[::1]:8080", "https://example.com"}},
	} {
		if got := p.BeyondCookies(c.host, c.domain); !slices.Equal(got, c.want) {
			t.Errorf("portal %s, cookie domain %q: %q, want %q", c.host, c.domain, got, c.want)
		}
	}
}

// A refusal's log line says what an allowed origin differs in when the
// app is only a scheme, a loopback name or a port away from it, the usual
// slips of a first integration, and nothing more when none is close.
func TestRefusalNamesTheNearMiss(t *testing.T) {
	p, err := redirect.NewPolicy([]string{"https://app.example.com", "http://localhost:*", "http://devbox.internal:5173", "https://api.example.com:8443"})
	if err != nil {
		t.Fatal(err)
	}
	portal, _ := url.Parse("https://accounts.example.com")
	for _, c := range []struct{ target, want string }{
		{"http://app.example.com/", "https://app.example.com is allowed, over https:// and not http://: open the app on https://app.example.com or allow http://app.example.com"},
		{"http://127.0.0.1:3000/", "http://localhost:3000 is allowed, and to a browser 127.0.0.1 is another host than localhost (its own origin, its own cookies): open the app on http://localhost:3000 or allow http://127.0.0.1:3000"},
		{"http://[::1]:3000/", "http://localhost:3000 is allowed, and to a browser [::1] is another host than localhost"},
		{"http://devbox.internal:5174/", "http://devbox.internal:5173 is allowed, on another port: allow http://devbox.internal:5174 too, or http://devbox.internal:* for any port"},
		{"https://api.example.com/", "https://api.example.com:8443 is allowed, on another port"},
		{"https://evil.example.net/", ""},
		{"https://app.example.com.evil.net/", ""},
	} {
		_, err := p.CheckOrPortal(c.target, portal)
		if err == nil {
			t.Fatalf("%s: allowed", c.target)
		}
		msg := errors.Unwrap(err).Error()
		_, hint, _ := strings.Cut(msg, "PORTAL_ALLOWED_REDIRECT_ORIGINS allows "+"https://app.example.com,http://localhost:*,http://devbox.internal:5173,https://api.example.com:8443")
		switch {
		case c.want == "" && hint != "":
			t.Errorf("%s: hint %q, want none", c.target, hint)
		case c.want != "" && !strings.Contains(hint, c.want):
			t.Errorf("%s: logged %q, want the hint %q", c.target, msg, c.want)
		}
		if _, err := p.Check(c.target); c.want != "" && !strings.Contains(errors.Unwrap(err).Error(), c.want) {
			t.Errorf("Check %s: %v, want the hint too", c.target, err)
		}
	}
}

// OverPlainHTTP names the allowed origins on http:// that are not this
// machine, which a portal's Secure cookies never reach.
func TestOverPlainHTTP(t *testing.T) {
	p, err := redirect.NewPolicy([]string{"http://app.example.com", "https://app.example.com", "http://localhost:*",
		"http://*.localhost:3000", "http://127.0.0.1:5173", "http://[::1]:8080", "http://*.example.org", "http://10.0.0.5:3000"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"http://app.example.com", "http://*.example.org", "http://10.0.0.5:3000"}
	if got := p.OverPlainHTTP(); !slices.Equal(got, want) {
		t.Errorf("OverPlainHTTP = %q, want %q", got, want)
	}
}
