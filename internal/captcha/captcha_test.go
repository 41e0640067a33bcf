package captcha_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/captcha"
)

const secret = "0x4AAAAAAA-secret-never-shown"

// siteverify is a loopback server speaking the providers' siteverify API
// (a form POST of secret, response and remoteip, answered with JSON): it
// answers each token with the JSON in answers and records every request.
type siteverify struct {
	*httptest.Server
	mu      sync.Mutex
	got     []*http.Request
	forms   []url.Values
	answers map[string]string
}

func newSiteverify(t *testing.T, answers map[string]string) *siteverify {
	t.Helper()
	s := &siteverify{answers: answers}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		s.mu.Lock()
		s.got, s.forms = append(s.got, r), append(s.forms, r.PostForm)
		s.mu.Unlock()
		ans, ok := s.answers[r.PostForm.Get("response")]
		if !ok {
			ans = `{"success":false,"error-codes":["invalid-input-response"]}`
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, ans)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *siteverify) requests() ([]*http.Request, []url.Values) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.got), slices.Clone(s.forms)
}

func newVerifier(t *testing.T, cfg captcha.Config) *captcha.Verifier {
	t.Helper()
	if cfg.Provider == "" {
		cfg.Provider = captcha.Turnstile
	}
	if cfg.Secret == "" {
		cfg.Secret = secret
	}
	cfg.SiteKey = "0x4AAAAAAA-site"
	if cfg.ScriptURL == "" {
		cfg.ScriptURL = "https://challenges.cloudflare.com/turnstile/v0/api.js"
	}
	v, err := captcha.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func passed(hostname string) string {
	b, _ := json.Marshal(map[string]any{"success": true, "error-codes": []string{}, "hostname": hostname,
		"challenge_ts": "2026-11-27T14:00:00Z"})
	return string(b)
}

func failed(codes ...string) string {
	b, _ := json.Marshal(map[string]any{"success": false, "error-codes": codes})
	return string(b)
}

// Each answer of the providers' siteverify comes out as the error the
// page needs: passed, not passed (the person tries again), spent (maybe a
// double click), or not checked at all (fail closed, REQ-LOG-02). The
// request carries the secret, the token and the client's address, as a
// form.
func TestVerifyAnswers(t *testing.T) {
	sv := newSiteverify(t, map[string]string{
		"pass":           passed("accounts.example.com"),
		"pass-no-host":   `{"success":true}`,
		"pass-upper-dot": passed("Accounts.Example.COM."),
		"elsewhere":      passed("evil.example.net"),
		"spent":          failed("timeout-or-duplicate"),
		"seen":           failed("already-seen-response"),
		"seen-or-bad":    failed("invalid-or-already-seen-response"),
		"expired":        failed("expired-input-response"),
		"bad-secret":     failed("invalid-input-secret"),
		"mismatch":       failed("sitekey-secret-mismatch"),
		"internal":       failed("internal-error"),
		"garbled":        `<html>Attention required</html>`,
		"no-success":     `{}`,
	})
	v := newVerifier(t, captcha.Config{VerifyURL: sv.URL + "/siteverify", Hostname: "accounts.example.com"})
	cases := []struct {
		token string
		want  error // nil: passed
		not   error // an error it must not be
	}{
		{"pass", nil, nil},
		{"pass-no-host", nil, nil},
		{"pass-upper-dot", nil, nil},
		{"elsewhere", captcha.ErrHostname, captcha.ErrSpent},
		{"forged", captcha.ErrInvalid, captcha.ErrSpent},
		{"expired", captcha.ErrInvalid, captcha.ErrSpent},
		{"no-success", captcha.ErrInvalid, captcha.ErrUnavailable},
		{"spent", captcha.ErrSpent, nil},
		{"seen", captcha.ErrSpent, nil},
		{"seen-or-bad", captcha.ErrSpent, nil},
		{"bad-secret", captcha.ErrUnavailable, captcha.ErrInvalid},
		{"mismatch", captcha.ErrUnavailable, captcha.ErrInvalid},
		{"internal", captcha.ErrUnavailable, captcha.ErrInvalid},
		{"garbled", captcha.ErrUnavailable, captcha.ErrInvalid},
	}
	for _, c := range cases {
		err := v.Verify(t.Context(), c.token, netip.MustParseAddr("::ffff:203.0.113.7"))
		switch {
		case c.want == nil && err != nil:
			t.Errorf("%s: %v, want passed", c.token, err)
		case c.want != nil && !errors.Is(err, c.want):
			t.Errorf("%s: %v, want %v", c.token, err, c.want)
		case c.not != nil && errors.Is(err, c.not):
			t.Errorf("%s: %v, must not be %v", c.token, err, c.not)
		}
		if err != nil && strings.Contains(err.Error(), secret) {
			t.Errorf("%s: the error shows the secret: %v", c.token, err)
		}
	}
	reqs, forms := sv.requests()
	if len(reqs) != len(cases) {
		t.Fatalf("%d requests, want %d", len(reqs), len(cases))
	}
	r, f := reqs[0], forms[0]
	if r.Method != http.MethodPost || r.URL.Path != "/siteverify" || r.URL.RawQuery != "" ||
		r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		t.Errorf("request %s %s, Content-Type %q; want a form POST with nothing in the URL", r.Method, r.URL, r.Header.Get("Content-Type"))
	}
	if f.Get("secret") != secret || f.Get("response") != "pass" || f.Get("remoteip") != "203.0.113.7" {
		t.Errorf("form %v; want the secret, the token and remoteip 203.0.113.7", f)
	}
}

// A token that cannot be one, or no token (JavaScript off), is refused
// without asking the provider; an unknown client address is left out.
func TestVerifyAsksOnlyWithAToken(t *testing.T) {
	sv := newSiteverify(t, map[string]string{"pass": passed("")})
	v := newVerifier(t, captcha.Config{VerifyURL: sv.URL})
	for _, token := range []string{"", strings.Repeat("x", captcha.MaxToken+1)} {
		if err := v.Verify(t.Context(), token, netip.Addr{}); !errors.Is(err, captcha.ErrInvalid) || errors.Is(err, captcha.ErrSpent) {
			t.Errorf("token of %d bytes: %v, want ErrInvalid", len(token), err)
		}
	}
	if reqs, _ := sv.requests(); len(reqs) != 0 {
		t.Fatalf("the provider was asked %d times without a token", len(reqs))
	}
	if err := v.Verify(t.Context(), "pass", netip.Addr{}); err != nil {
		t.Fatal(err)
	}
	if _, forms := sv.requests(); forms[0].Has("remoteip") {
		t.Errorf("remoteip sent without an address: %v", forms[0])
	}
}

// The providers' test secret keys answer with a made-up hostname
// (Turnstile's example.com): with them the hostname is not compared, so a
// development portal can use them.
func TestVerifyTestSecretSkipsHostname(t *testing.T) {
	sv := newSiteverify(t, map[string]string{"XXXX.DUMMY.TOKEN.XXXX": passed("example.com")})
	for _, s := range []string{"1x0000000000000000000000000000000AA", "0x0000000000000000000000000000000000000000"} {
		v := newVerifier(t, captcha.Config{Secret: s, VerifyURL: sv.URL, Hostname: "localhost"})
		if err := v.Verify(t.Context(), "XXXX.DUMMY.TOKEN.XXXX", netip.Addr{}); err != nil {
			t.Errorf("test secret %s: %v", s, err)
		}
	}
	v := newVerifier(t, captcha.Config{VerifyURL: sv.URL, Hostname: "localhost"})
	if err := v.Verify(t.Context(), "XXXX.DUMMY.TOKEN.XXXX", netip.Addr{}); !errors.Is(err, captcha.ErrHostname) {
		t.Errorf("a real secret with a token solved on example.com: %v, want ErrHostname", err)
	}
}

// REQ-LOG-02: a provider that is down, slow, or answers with another
// status fails closed, and a redirect is not followed: it would carry the
// secret, which is in the body, to another host. No error shows the
// secret.
func TestVerifyUnavailable_REQ_LOG_02(t *testing.T) {
	var leaked sync.Map
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		leaked.Store("secret", r.PostForm.Get("secret"))
		fmt.Fprint(w, passed(""))
	}))
	t.Cleanup(elsewhere.Close)
	redirecting := httptest.NewServer(http.RedirectHandler(elsewhere.URL, http.StatusTemporaryRedirect))
	t.Cleanup(redirecting.Close)
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "bad gateway", http.StatusBadGateway)
	}))
	t.Cleanup(down.Close)
	hang := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-hang }))
	t.Cleanup(func() { close(hang); slow.Close() })
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String() + "/siteverify?key=" + secret
	l.Close()

	for name, verifyURL := range map[string]string{"redirect": redirecting.URL, "502": down.URL, "slow": slow.URL, "closed": closed} {
		v := newVerifier(t, captcha.Config{VerifyURL: verifyURL})
		ctx := t.Context()
		if name == "slow" {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, 100*time.Millisecond)
			defer cancel()
		}
		err := v.Verify(ctx, "pass", netip.Addr{})
		if !errors.Is(err, captcha.ErrUnavailable) || errors.Is(err, captcha.ErrInvalid) {
			t.Errorf("%s: %v, want ErrUnavailable", name, err)
		}
		if err != nil && strings.Contains(err.Error(), secret) {
			t.Errorf("%s: the error shows the secret: %v", name, err)
		}
	}
	if s, ok := leaked.Load("secret"); ok {
		t.Errorf("the redirect was followed: the secret %q went to another host", s)
	}
}

// The secret stays out of everything that may be printed or logged.
func TestSecretNeverPrinted(t *testing.T) {
	cfg := captcha.Config{Provider: captcha.HCaptcha, SiteKey: "site", Secret: secret,
		VerifyURL: "https://api.hcaptcha.com/siteverify", ScriptURL: "https://js.hcaptcha.com/1/api.js"}
	v, err := captcha.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	slog.New(slog.NewJSONHandler(&log, nil)).Info("configured", "captcha", cfg, "verifier", v)
	for _, s := range []string{fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%v %+v %#v", v, v, v), log.String()} {
		if strings.Contains(s, secret) {
			t.Errorf("the secret is printed: %s", s)
		}
	}
}

// New refuses what would make every check fail or leak: an unknown
// provider, a missing key, a verify or script URL that is not absolute
// http(s).
func TestNewRefuses(t *testing.T) {
	good := captcha.Config{Provider: captcha.Turnstile, SiteKey: "site", Secret: secret,
		VerifyURL: "https://challenges.cloudflare.com/turnstile/v0/siteverify", ScriptURL: "https://challenges.cloudflare.com/turnstile/v0/api.js"}
	if _, err := captcha.New(good); err != nil {
		t.Fatal(err)
	}
	for name, change := range map[string]func(*captcha.Config){
		"provider":   func(c *captcha.Config) { c.Provider = "recaptcha" },
		"site key":   func(c *captcha.Config) { c.SiteKey = "" },
		"secret":     func(c *captcha.Config) { c.Secret = "" },
		"verify URL": func(c *captcha.Config) { c.VerifyURL = "/siteverify" },
		"script URL": func(c *captcha.Config) { c.ScriptURL = "javascript:alert(1)" },
	} {
		c := good
		change(&c)
		if _, err := captcha.New(c); err == nil {
			t.Errorf("%s: accepted", name)
		} else if strings.Contains(err.Error(), secret) {
			t.Errorf("%s: the error shows the secret: %v", name, err)
		}
	}
}

// The page's CSP widens for what each provider documents: Turnstile's one
// origin for script and frame; hCaptcha's domain and subdomains for
// script, frame, fetches and styles; a script served elsewhere (a proxy,
// a stand-in) brings its own origin only.
func TestSourcesAndWidget(t *testing.T) {
	ts := newVerifier(t, captcha.Config{VerifyURL: "https://challenges.cloudflare.com/turnstile/v0/siteverify"})
	if s := ts.Sources(); !slices.Equal(s.Script, []string{"https://challenges.cloudflare.com"}) ||
		!slices.Equal(s.Frame, s.Script) || s.Connect != nil || s.Style != nil {
		t.Errorf("Turnstile sources %+v", s)
	}
	if w := ts.Widget(); w.Class != "cf-turnstile" || w.Field != "cf-turnstile-response" {
		t.Errorf("Turnstile widget %+v", w)
	}
	hc := newVerifier(t, captcha.Config{Provider: captcha.HCaptcha, VerifyURL: "https://api.hcaptcha.com/siteverify",
		ScriptURL: "https://js.hcaptcha.com/1/api.js"})
	want := []string{"https://hcaptcha.com", "https://*.hcaptcha.com"}
	if s := hc.Sources(); !slices.Equal(s.Script, want) || !slices.Equal(s.Frame, want) || !slices.Equal(s.Connect, want) || !slices.Equal(s.Style, want) {
		t.Errorf("hCaptcha sources %+v", s)
	}
	if w := hc.Widget(); w.Class != "h-captcha" || w.Field != "h-captcha-response" {
		t.Errorf("hCaptcha widget %+v", w)
	}
	proxied := newVerifier(t, captcha.Config{Provider: captcha.HCaptcha, VerifyURL: "https://api.hcaptcha.com/siteverify",
		ScriptURL: "https://captcha.example.com/1/api.js"})
	if s := proxied.Sources(); !slices.Equal(s.Script, []string{"https://captcha.example.com"}) {
		t.Errorf("proxied hCaptcha sources %+v", s)
	}
}

// Hash tells the same token again, and shows nothing of it.
func TestHash(t *testing.T) {
	a, b := captcha.Hash("token-a"), captcha.Hash("token-b")
	if a != captcha.Hash("token-a") || a == b || strings.Contains(a, "token") || len(a) != 64 {
		t.Errorf("Hash: %q, %q", a, b)
	}
}
