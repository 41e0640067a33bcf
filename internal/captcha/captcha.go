// Package captcha checks the bot-protection widget's answer on sign-up:
// Cloudflare Turnstile or hCaptcha, which share one siteverify API (a form
// POST of secret, response and remoteip, answered by JSON with success and
// error-codes). A failure says why only as far as the page needs: the
// person did not pass (ErrInvalid, ErrSpent) or the check could not be made
// (ErrUnavailable), which refuses the sign-up too (fail closed).
package captcha

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Providers.
const (
	Turnstile = "turnstile"
	HCaptcha  = "hcaptcha"
)

// Timeout bounds one siteverify request, so a slow provider cannot hold a
// sign-up open.
const Timeout = 5 * time.Second

// MaxToken is the longest response token sent on: Turnstile's are at most
// 2048 characters, hCaptcha's shorter; anything longer is not one.
const MaxToken = 4096

var (
	// ErrInvalid: the widget's answer is missing or the provider refused
	// it; the person has to complete the check.
	ErrInvalid = errors.New("captcha: not passed")
	// ErrSpent is an ErrInvalid whose token the provider has seen before:
	// a form sent twice (a double click) spends it on the first.
	ErrSpent = fmt.Errorf("%w: token already used", ErrInvalid)
	// ErrHostname is an ErrInvalid whose check was passed on another site
	// that shows the same site key: the token proves nothing about this
	// form (Config.Hostname).
	ErrHostname = fmt.Errorf("%w: solved on another site", ErrInvalid)
	// ErrUnavailable: no answer could be had (network, timeout, the
	// provider's own failure, a refused secret key).
	ErrUnavailable = errors.New("captcha: could not be checked")
)

// Config configures a Verifier. Its String and LogValue leave the secret out.
type Config struct {
	Provider  string // Turnstile or HCaptcha
	SiteKey   string
	Secret    string
	VerifyURL string
	ScriptURL string
	// Hostname is the host the widget's pages are served from (the base
	// URL's). A site key may be allowed on several sites, and the provider
	// says on which one each token was solved: a token from another is
	// refused (ErrHostname). "" skips the comparison.
	Hostname   string
	HTTPClient *http.Client // nil = a plain client
}

func (c Config) String() string {
	return fmt.Sprintf("captcha(%s, site key %s, verify %s)", c.Provider, c.SiteKey, c.VerifyURL)
}

// LogValue keeps the secret out of structured logs.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(slog.String("provider", c.Provider), slog.String("site_key", c.SiteKey),
		slog.String("verify_url", c.VerifyURL), slog.String("script_url", c.ScriptURL))
}

// Verifier checks tokens with the provider and describes its widget.
type Verifier struct {
	provider, siteKey, secret string
	verifyURL, scriptURL      string
	hostname                  string
	client                    *http.Client
}

// New checks cfg and returns a Verifier.
func New(cfg Config) (*Verifier, error) {
	if cfg.Provider != Turnstile && cfg.Provider != HCaptcha {
		return nil, fmt.Errorf("captcha: unknown provider %q", cfg.Provider)
	}
	if cfg.SiteKey == "" || cfg.Secret == "" {
		return nil, errors.New("captcha: site key and secret key are required")
	}
	for _, raw := range []string{cfg.VerifyURL, cfg.ScriptURL} {
		if u, err := url.Parse(raw); err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
			return nil, fmt.Errorf("captcha: %q is not an absolute URL", raw)
		}
	}
	client := &http.Client{}
	if cfg.HTTPClient != nil {
		c := *cfg.HTTPClient
		client = &c
	}
	// The secret travels in the body: a redirect (307) would hand it to
	// another host, and siteverify never redirects.
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	v := &Verifier{provider: cfg.Provider, siteKey: cfg.SiteKey, secret: cfg.Secret,
		verifyURL: cfg.VerifyURL, scriptURL: cfg.ScriptURL, client: client}
	if !slices.Contains(testSecrets, cfg.Secret) {
		v.hostname = normalHost(cfg.Hostname)
	}
	return v, nil
}

func (v *Verifier) String() string   { return "captcha(" + v.provider + ", " + v.siteKey + ")" }
func (v *Verifier) GoString() string { return v.String() }

// Widget is what a page needs to show the check: the element the
// provider's script renders into (its class) with the site key, the script,
// and the form field the widget fills with its token.
type Widget struct {
	Class, SiteKey, ScriptURL, Field string
}

// Widget describes the provider's widget (implicit rendering).
func (v *Verifier) Widget() Widget {
	if v.provider == HCaptcha {
		return Widget{Class: "h-captcha", SiteKey: v.siteKey, ScriptURL: v.scriptURL, Field: "h-captcha-response"}
	}
	return Widget{Class: "cf-turnstile", SiteKey: v.siteKey, ScriptURL: v.scriptURL, Field: "cf-turnstile-response"}
}

// Sources are the origins a page with the widget must allow in its
// Content-Security-Policy, per directive.
type Sources struct {
	Script, Frame, Connect, Style []string
}

// Sources lists what the provider documents: Turnstile's script and
// challenge frame come from its one origin; hCaptcha's widget also
// fetches and styles from hcaptcha.com and its subdomains. A script URL
// pointed elsewhere (a proxy, a test's stand-in) brings its own origin.
func (v *Verifier) Sources() Sources {
	u, err := url.Parse(v.scriptURL)
	if err != nil {
		return Sources{}
	}
	origins := []string{u.Scheme + "://" + u.Host}
	if v.provider == HCaptcha {
		if h := strings.ToLower(u.Hostname()); h == "hcaptcha.com" || strings.HasSuffix(h, ".hcaptcha.com") {
			origins = []string{"https://hcaptcha.com", "https://*.hcaptcha.com"}
		}
		return Sources{Script: origins, Frame: origins, Connect: origins, Style: origins}
	}
	return Sources{Script: origins, Frame: origins}
}

// Hash is how a token is kept (on the sign-up it let through): enough to
// tell the same token again, useless to anyone reading it.
func Hash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// testSecrets are the providers' documented test secret keys (Turnstile's
// pass, fail and spent; hCaptcha's), which accept only their dummy tokens,
// from any page, and answer with a made-up hostname: comparing it would
// make them useless for a development portal and protect nothing.
var testSecrets = []string{"1x0000000000000000000000000000000AA", "2x0000000000000000000000000000000AA",
	"3x0000000000000000000000000000000AA", "0x0000000000000000000000000000000000000000"}

// normalHost is host as siteverify names it: lower case, no trailing dot.
func normalHost(host string) string { return strings.TrimSuffix(strings.ToLower(host), ".") }

// spentCodes are the error codes of a token used before: Turnstile's, and
// hCaptcha's two spellings.
var spentCodes = []string{"timeout-or-duplicate", "already-seen-response", "invalid-or-already-seen-response"}

// configCodes are the error codes that blame the portal's own settings or
// the provider, not the person: the check could not be made.
var configCodes = []string{"missing-input-secret", "invalid-input-secret", "sitekey-secret-mismatch",
	"invalid-sitekey", "internal-error", "bad-request", "invalid-remoteip", "not-using-dummy-secret"}

// Verify asks the provider whether token is a passed check from remoteIP
// (left out when not valid). nil means passed; otherwise the error is, or
// wraps, ErrInvalid, ErrSpent or ErrUnavailable.
func (v *Verifier) Verify(ctx context.Context, token string, remoteIP netip.Addr) error {
	if token == "" || len(token) > MaxToken {
		return fmt.Errorf("%w: no token, or not one", ErrInvalid)
	}
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	form := url.Values{"secret": {v.secret}, "response": {token}}
	if remoteIP.IsValid() {
		form.Set("remoteip", remoteIP.Unmap().String())
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, v.verifyURL, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := v.client.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %s siteverify: %v", ErrUnavailable, v.provider, v.redact(err.Error()))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil || resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: %s siteverify answered %d", ErrUnavailable, v.provider, resp.StatusCode)
	}
	var r struct {
		Success  bool     `json:"success"`
		Codes    []string `json:"error-codes"`
		Hostname string   `json:"hostname"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return fmt.Errorf("%w: %s siteverify: unreadable answer: %v", ErrUnavailable, v.provider, err)
	}
	if r.Success {
		// Both providers name the site a passed check was solved on; an
		// answer that does not cannot be compared, and is believed.
		if h := normalHost(r.Hostname); v.hostname != "" && h != "" && h != v.hostname {
			return fmt.Errorf("%w: %q, not %q", ErrHostname, h, v.hostname)
		}
		return nil
	}
	for _, code := range r.Codes {
		switch {
		case slices.Contains(spentCodes, code):
			return fmt.Errorf("%w (%s)", ErrSpent, code)
		case slices.Contains(configCodes, code):
			return fmt.Errorf("%w: %s siteverify refused the request: %s", ErrUnavailable, v.provider, strings.Join(r.Codes, ", "))
		}
	}
	return fmt.Errorf("%w: %s", ErrInvalid, strings.Join(r.Codes, ", "))
}

// redact keeps the secret out of an error that may quote the request.
func (v *Verifier) redact(s string) string { return strings.ReplaceAll(s, v.secret, "[redacted]") }
