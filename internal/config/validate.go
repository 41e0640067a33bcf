package config

import (
	"cmp"
	"fmt"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/portalhq/portal/internal/jwttemplate"
	"github.com/portalhq/portal/internal/restrict"
)

// EnabledFactors returns the first factors offered: the configured ones, or
// every factor that suits the enabled identifiers.
func (c *Config) EnabledFactors() []string {
	if len(c.Factors) > 0 {
		return slices.Clone(c.Factors)
	}
	out := []string{"password"}
	if c.HasIdentifier("email") {
		out = append(out, "email_code", "email_link")
	}
	if c.HasIdentifier("phone") {
		out = append(out, "phone_code")
	}
	return append(out, "passkey")
}

// EnabledSecondFactors returns the second factors offered: the configured ones,
// or all that suit; phone_code only when phone numbers are collected.
func (c *Config) EnabledSecondFactors() []string {
	if len(c.SecondFactors) > 0 {
		return slices.Clone(c.SecondFactors)
	}
	out := []string{"totp", "backup_code"}
	if c.HasIdentifier("phone") {
		out = append(out, "phone_code")
	}
	return out
}

func (c *Config) HasIdentifier(name string) bool { return slices.Contains(c.Identifiers, name) }

func (c *Config) validate() problems {
	var p problems
	if _, port, err := net.SplitHostPort(c.Addr); err == nil && !validPort(port) {
		p.add("PORTAL_ADDR: %q: the port must be a number from 0 to 65535 (use e.g. 127.0.0.1:4000 or :4000)", c.Addr)
	} else if err != nil {
		p.add("PORTAL_ADDR: %q is not host:port (use e.g. 127.0.0.1:4000 or :4000)", c.Addr)
	}
	if err := checkBaseURL(c.BaseURL); err != nil {
		p.add("PORTAL_BASE_URL: %v (use e.g. https://accounts.example.com)", err)
	}
	if c.EnumerationProtection != EnumerationStandard && c.EnumerationProtection != EnumerationStrict {
		p.add("PORTAL_ENUMERATION_PROTECTION: %q must be standard or strict", c.EnumerationProtection)
	}
	if !slices.Contains([]string{SignUpPublic, SignUpRestricted, SignUpWaitlist}, c.SignUpMode) {
		p.add("PORTAL_SIGN_UP_MODE: %q must be public, restricted or waitlist", c.SignUpMode)
	}
	if c.Env != Development && c.Env != Production {
		p.add("PORTAL_ENV: %q must be development or production", c.Env)
	}
	if c.AppName == "" {
		p.add("PORTAL_APP_NAME: must not be empty")
	}
	c.validateDatabase(&p)
	for _, o := range c.AllowedRedirectOrigins {
		if err := checkOrigin(o); err != nil {
			p.add("PORTAL_ALLOWED_REDIRECT_ORIGINS: %q %v", o, err)
		}
	}
	c.validateCookies(&p)
	c.validateSenders(&p)
	c.validateCaptcha(&p)
	c.validateMethods(&p)
	if c.WebhookURL != "" {
		if u, err := url.Parse(c.WebhookURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			p.add("PORTAL_WEBHOOK_URL: must be an absolute http(s) URL")
		}
	}
	if c.Theme == "" {
		p.add("PORTAL_THEME: must not be empty (use default)")
	}
	c.validateRestrictions(&p)
	c.validateLegal(&p)
	c.validateNumbers(&p)
	c.validatePasskeys(&p)
	c.validateOrgs(&p)
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, c.LogLevel) {
		p.add("PORTAL_LOG_LEVEL: %q must be debug, info, warn or error", c.LogLevel)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		p.add("PORTAL_LOG_FORMAT: %q must be text or json", c.LogFormat)
	}
	for name, o := range c.OAuth {
		key := "PORTAL_OAUTH_" + strings.ToUpper(name)
		appleKey := o.TeamID != "" && o.KeyID != "" && o.PrivateKey != ""
		if o.ClientID == "" {
			p.add("%s_CLIENT_ID: required when other %s_* keys are set", key, key)
		}
		if o.ClientSecret == "" && !(name == "apple" && appleKey) {
			p.add("%s_CLIENT_SECRET: required when %s_CLIENT_ID is set", key, key)
		}
		if o.Issuer != "" && !c.issuerURL(o.Issuer) {
			p.add("%s_ISSUER: must be the provider's https:// issuer URL, e.g. https://gitlab.example.com", key)
		}
	}
	for name, o := range c.OIDC {
		key := "PORTAL_OIDC_" + strings.ToUpper(name)
		if !c.issuerURL(o.Issuer) {
			p.add("%s_ISSUER: must be the provider's https:// issuer URL", key)
		}
		if o.ClientID == "" {
			p.add("%s_CLIENT_ID: required for an OIDC provider", key)
		}
	}
	if c.Env == Production {
		c.validateProduction(&p)
	}
	slices.Sort(p)
	return p
}

func (c *Config) validateCookies(p *problems) {
	if c.SecretKey != "" && !strings.HasPrefix(c.SecretKey, "sk_live_") && !strings.HasPrefix(c.SecretKey, "sk_test_") {
		p.add("PORTAL_SECRET_KEY: must start with sk_live_ or sk_test_ (leave empty in development to generate one)")
	}
	if c.CookieSecret != "" && len(c.CookieSecret) < 32 {
		p.add("PORTAL_COOKIE_SECRET: must be at least 32 characters (e.g. openssl rand -hex 32)")
	}
	if c.CookieDomain == "" {
		return
	}
	d := strings.ToLower(strings.TrimPrefix(c.CookieDomain, "."))
	if !validHostname(d) || !strings.Contains(d, ".") && d != "localhost" {
		p.add("PORTAL_COOKIE_DOMAIN: %q must be a domain name such as example.com, without scheme or port", c.CookieDomain)
		return
	}
	// Browsers drop a cookie whose Domain does not cover the host setting it.
	if u, err := url.Parse(c.BaseURL); err == nil {
		if h := strings.ToLower(u.Hostname()); h != d && !strings.HasSuffix(h, "."+d) {
			p.add("PORTAL_COOKIE_DOMAIN: %q must be the base URL's host %q or a parent domain of it", c.CookieDomain, h)
		}
	}
}

func (c *Config) validateSenders(p *problems) {
	if c.SMTPURL != "" {
		if u, err := url.Parse(c.SMTPURL); err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
			p.add("PORTAL_SMTP_URL: must be smtp://user:pass@host:port or smtps://…, with / ? # @ : in the user name " +
				"or password written as %%2F %%3F %%23 %%40 %%3A (leave empty for the dev outbox)")
		}
	}
	if _, err := mail.ParseAddress(c.EmailFrom); err != nil {
		p.add("PORTAL_EMAIL_FROM: %q is not an address (use e.g. Portal <no-reply@example.com>)", c.EmailFrom)
	}
	switch c.SMSProvider {
	case "":
	case "twilio":
		for key, v := range map[string]string{"PORTAL_TWILIO_ACCOUNT_SID": c.TwilioAccountSID, "PORTAL_TWILIO_AUTH_TOKEN": c.TwilioAuthToken, "PORTAL_TWILIO_FROM": c.TwilioFrom} {
			if v == "" {
				p.add("%s: required when PORTAL_SMS_PROVIDER is twilio", key)
			}
		}
		if u, err := url.Parse(c.TwilioAPIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			p.add("PORTAL_TWILIO_API_URL: must be an absolute http(s) URL such as https://api.twilio.com")
		}
	default:
		p.add("PORTAL_SMS_PROVIDER: %q must be twilio or empty (dev outbox)", c.SMSProvider)
	}
}

// Captcha endpoints: the provider's own when the URL settings are empty.
const (
	TurnstileVerifyURL = "https://challenges.cloudflare.com/turnstile/v0/siteverify"
	TurnstileScriptURL = "https://challenges.cloudflare.com/turnstile/v0/api.js"
	HCaptchaVerifyURL  = "https://api.hcaptcha.com/siteverify"
	HCaptchaScriptURL  = "https://js.hcaptcha.com/1/api.js"
)

// CaptchaURLs are the verify endpoint and widget script in use: as
// configured, or the provider's.
func (c *Config) CaptchaURLs() (verify, script string) {
	verify, script = c.CaptchaVerifyURL, c.CaptchaScriptURL
	switch c.CaptchaProvider {
	case CaptchaTurnstile:
		verify, script = cmp.Or(verify, TurnstileVerifyURL), cmp.Or(script, TurnstileScriptURL)
	case CaptchaHCaptcha:
		verify, script = cmp.Or(verify, HCaptchaVerifyURL), cmp.Or(script, HCaptchaScriptURL)
	}
	return verify, script
}

// validateCaptcha checks bot protection, which is all or nothing: a
// provider without its keys (or keys without a provider) would leave
// sign-up either unprotected or impossible. The secret key is never
// echoed.
func (c *Config) validateCaptcha(p *problems) {
	on := c.CaptchaProvider != "" || c.CaptchaSiteKey != "" || c.CaptchaSecretKey != "" ||
		c.CaptchaVerifyURL != "" || c.CaptchaScriptURL != "" || len(c.CaptchaOAuthBypass) > 0
	if !on {
		return
	}
	c.validateCaptchaBypass(p)
	switch c.CaptchaProvider {
	case CaptchaTurnstile, CaptchaHCaptcha:
	case "":
		p.add("PORTAL_CAPTCHA_PROVIDER: required when other PORTAL_CAPTCHA_* settings are set; give turnstile or hcaptcha, or remove them all to turn bot protection off")
	default:
		p.add("PORTAL_CAPTCHA_PROVIDER: %q must be turnstile, hcaptcha or empty (off)", c.CaptchaProvider)
	}
	if c.CaptchaSiteKey == "" {
		p.add("PORTAL_CAPTCHA_SITE_KEY: required with bot protection on; copy the site key from the provider's dashboard")
	} else if strings.ContainsAny(c.CaptchaSiteKey, " \t\r\n\"'<>`") {
		p.add("PORTAL_CAPTCHA_SITE_KEY: %q is not a site key (no spaces, quotes or angle brackets); copy it from the provider's dashboard", c.CaptchaSiteKey)
	}
	if c.CaptchaSecretKey == "" {
		p.add("PORTAL_CAPTCHA_SECRET_KEY: required with bot protection on; copy the secret key from the provider's dashboard")
	}
	for key, v := range map[string]string{"PORTAL_CAPTCHA_VERIFY_URL": c.CaptchaVerifyURL, "PORTAL_CAPTCHA_SCRIPT_URL": c.CaptchaScriptURL} {
		if v == "" {
			continue
		}
		u, err := url.Parse(v)
		if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" || strings.ContainsAny(v, " \t\r\n\"'<>`\\") ||
			!(u.Scheme == "https" || u.Scheme == "http" && isLoopback(u.Hostname())) {
			p.add("%s: %q must be an absolute https:// URL (http:// only on loopback, for tests), or empty for the provider's", key, v)
		}
	}
}

// validateCaptchaBypass refuses a bypass entry that names no configured
// provider: a typo would otherwise check the sign-ups the operator meant
// to let through, or, worse, look as if it let through one that is later
// added under another name.
func (c *Config) validateCaptchaBypass(p *problems) {
	var configured []string
	for name := range c.OAuth {
		configured = append(configured, name)
	}
	for name := range c.OIDC {
		configured = append(configured, name)
	}
	slices.Sort(configured)
	configured = slices.Compact(configured)
	for _, e := range c.CaptchaOAuthBypass {
		if len(c.bypassed(e)) > 0 {
			continue
		}
		if len(configured) == 0 {
			p.add("PORTAL_CAPTCHA_OAUTH_BYPASS: %q is not a configured sign-in provider, and none is configured (PORTAL_OAUTH_<NAME>_*, PORTAL_OIDC_<NAME>_*); remove it", e)
			continue
		}
		p.add("PORTAL_CAPTCHA_OAUTH_BYPASS: %q is not a configured sign-in provider; name one of %s, as in PORTAL_OAUTH_<NAME>_* and PORTAL_OIDC_<NAME>_*",
			e, strings.Join(configured, ", "))
	}
}

// bypassed is the provider names (oauth.Provider.Name) a bypass entry
// stands for: a built-in provider by its own name (github), an OpenID one
// by its settings' name (corp, for PORTAL_OIDC_CORP_*) or its provider
// name (oidc_corp). None when it names no configured provider.
func (c *Config) bypassed(entry string) []string {
	e := strings.ToLower(strings.TrimSpace(entry))
	var out []string
	if _, ok := c.OAuth[e]; ok {
		out = append(out, e)
	}
	if _, ok := c.OIDC[e]; ok {
		out = append(out, "oidc_"+e)
	}
	if rest, ok := strings.CutPrefix(e, "oidc_"); ok {
		if _, ok := c.OIDC[rest]; ok {
			out = append(out, e)
		}
	}
	return out
}

// CaptchaBypass is the set of provider names (oauth.Provider.Name) whose
// sign-ups skip bot protection (PORTAL_CAPTCHA_OAUTH_BYPASS).
func (c *Config) CaptchaBypass() map[string]bool {
	out := map[string]bool{}
	for _, e := range c.CaptchaOAuthBypass {
		for _, name := range c.bypassed(e) {
			out[name] = true
		}
	}
	return out
}

// isLoopback reports whether host is localhost or a loopback address.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}

func (c *Config) validateMethods(p *problems) {
	if len(c.Identifiers) == 0 {
		p.add("PORTAL_IDENTIFIERS: must name at least one of email, phone, username")
	}
	checkSet := func(key string, got []string, allowed ...string) {
		for _, v := range got {
			if !slices.Contains(allowed, v) {
				p.add("%s: unknown value %q (allowed: %s)", key, v, strings.Join(allowed, ", "))
			}
		}
	}
	checkSet("PORTAL_IDENTIFIERS", c.Identifiers, "email", "phone", "username")
	checkSet("PORTAL_FACTORS", c.Factors, "password", "email_code", "email_link", "phone_code", "passkey")
	checkSet("PORTAL_SECOND_FACTORS", c.SecondFactors, "totp", "backup_code", "phone_code")
	fields := []string{"email_address", "phone_number", "username", "first_name", "last_name", "password"}
	checkSet("PORTAL_SIGN_UP_FIELDS", c.SignUpFields, fields...)
	checkSet("PORTAL_SIGN_UP_REQUIRED", c.SignUpRequired, fields...)
	shown := c.SignUpFieldsShown()
	for _, f := range c.SignUpRequired {
		if !slices.Contains(shown, f) {
			p.add("PORTAL_SIGN_UP_REQUIRED: %q is required but not shown; add it to PORTAL_SIGN_UP_FIELDS", f)
		}
	}
	for _, f := range c.EnabledFactors() {
		switch {
		case (f == "email_code" || f == "email_link") && !c.HasIdentifier("email"):
			p.add("PORTAL_FACTORS: %s needs the email identifier; add email to PORTAL_IDENTIFIERS", f)
		case f == "phone_code" && !c.HasIdentifier("phone"):
			p.add("PORTAL_FACTORS: phone_code needs the phone identifier; add phone to PORTAL_IDENTIFIERS")
		}
	}
	if c.PhoneRegion != "" && (len(c.PhoneRegion) != 2 || strings.ToUpper(c.PhoneRegion) != c.PhoneRegion) {
		p.add("PORTAL_PHONE_DEFAULT_REGION: %q must be a two-letter upper-case ISO code like US", c.PhoneRegion)
	}
}

// SignUpFieldsShown is the configured sign-up fields, or by default the
// identifiers, first and last name, and password when the password factor
// is enabled.
func (c *Config) SignUpFieldsShown() []string {
	if len(c.SignUpFields) > 0 {
		return slices.Clone(c.SignUpFields)
	}
	out := c.identifierFields()
	out = append(out, "first_name", "last_name")
	if slices.Contains(c.EnabledFactors(), "password") {
		out = append(out, "password")
	}
	return out
}

// SignUpFieldsRequired is the configured required fields, or by default the
// identifiers shown and the password when shown.
func (c *Config) SignUpFieldsRequired() []string {
	if len(c.SignUpRequired) > 0 {
		return slices.Clone(c.SignUpRequired)
	}
	shown := c.SignUpFieldsShown()
	var out []string
	for _, f := range append(c.identifierFields(), "password") {
		if slices.Contains(shown, f) {
			out = append(out, f)
		}
	}
	return out
}

func (c *Config) identifierFields() []string {
	var out []string
	for _, id := range c.Identifiers {
		switch id {
		case "email":
			out = append(out, "email_address")
		case "phone":
			out = append(out, "phone_number")
		case "username":
			out = append(out, "username")
		}
	}
	return out
}

// validateDatabase checks PORTAL_DATABASE_URL, all that the commands that
// only use the database (LoadDatabase) need.
func (c *Config) validateDatabase(p *problems) {
	if path, ok := c.SQLitePath(); ok {
		if path == "" {
			p.add("PORTAL_DATABASE_URL: sqlite: needs a file path, e.g. sqlite:./data/portal.db")
		}
		// Only a shell expands ~, and not in every place: from a unit file,
		// a YAML file or a quoted value it would make a directory named ~.
		if path == "~" || strings.HasPrefix(path, "~/") {
			p.add("PORTAL_DATABASE_URL: %q: ~ is not expanded here; write the whole path, e.g. sqlite:/home/portal/%s",
				c.DatabaseURL, strings.TrimPrefix(strings.TrimPrefix(path, "~"), "/"))
		}
	} else if !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		// The value is not echoed: a postgres URL carries a password.
		p.add("PORTAL_DATABASE_URL: must be sqlite:PATH or postgres://user:pass@host/db")
	}
}

func (c *Config) validateNumbers(p *problems) {
	for key, d := range map[string]time.Duration{
		"PORTAL_SESSION_TOKEN_TTL":    c.SessionTokenTTL,
		"PORTAL_SESSION_MAX_LIFETIME": c.SessionMaxLifetime,
		"PORTAL_LOCKOUT_DURATION":     c.LockoutDuration,
		"PORTAL_READ_HEADER_TIMEOUT":  c.ReadHeaderTimeout,
		"PORTAL_READ_TIMEOUT":         c.ReadTimeout,
		"PORTAL_WRITE_TIMEOUT":        c.WriteTimeout,
		"PORTAL_IDLE_TIMEOUT":         c.IdleTimeout,
	} {
		if d <= 0 {
			p.add("%s: must be a positive duration, got %s", key, d)
		}
	}
	if c.ShutdownDelay < 0 {
		p.add("PORTAL_SHUTDOWN_DELAY: must be 0 (stop taking connections at once) or a positive duration such as 5s, got %s", c.ShutdownDelay)
	}
	if c.SessionInactivityTimeout < 0 {
		p.add("PORTAL_SESSION_INACTIVITY_TIMEOUT: must be 0 (off) or a positive duration")
	}
	if c.SessionTokenClaims != "" {
		if _, err := jwttemplate.CompileSession([]byte(c.SessionTokenClaims)); err != nil {
			p.add("PORTAL_SESSION_TOKEN_CLAIMS: %v; give a JSON object of claims with JWT template shortcodes, "+
				`like {"metadata":"{{user.public_metadata}}"}`, err)
		}
	}
	if c.LocalesDir != "" {
		if st, err := os.Stat(c.LocalesDir); err != nil || !st.IsDir() {
			p.add("PORTAL_LOCALES_DIR: %q is not a readable directory; give a directory of <name>.<locale>.toml catalogs, or leave it empty", c.LocalesDir)
		}
	}
	if c.EventRetention != 0 && c.EventRetention < 24*time.Hour {
		p.add("PORTAL_EVENT_RETENTION: %s is too short for webhook retries and replays; give 1d or more, or 0 to keep everything", c.EventRetention)
	}
	// REQ-PW-01: never below 8; above 64 would reject the passphrases people
	// are told to use.
	for key, n := range map[string]int{"PORTAL_PASSWORD_MIN_LENGTH": c.PasswordMinLength, "PORTAL_PASSWORD_MIN_LENGTH_MFA": c.PasswordMinLengthMFA} {
		if n < 8 || n > 64 {
			p.add("%s: must be between 8 and 64, got %d", key, n)
		}
	}
	if c.PasswordBreachCheck {
		if u, err := url.Parse(c.PwnedPasswordsURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			p.add("PORTAL_PWNED_PASSWORDS_URL: must be an absolute http(s) URL such as https://api.pwnedpasswords.com (or set PORTAL_PASSWORD_BREACH_CHECK=false)")
		}
	}
	if c.LockoutThreshold < 1 {
		p.add("PORTAL_LOCKOUT_THRESHOLD: must be at least 1, got %d", c.LockoutThreshold)
	}
	if c.HashConcurrency < 0 {
		p.add("PORTAL_HASH_CONCURRENCY: must be 0 (number of CPUs) or more, got %d", c.HashConcurrency)
	}
	if c.MaxBodyBytes <= 0 {
		p.add("PORTAL_MAX_BODY_BYTES: must be positive (use e.g. 1MiB)")
	}
}

// minSecretKeyRandom is how many characters a production secret key has
// after its sk_live_ or sk_test_ prefix, at least.
const minSecretKeyRandom = 32

func (c *Config) validateProduction(p *problems) {
	const why = "refused in production"
	if u, err := url.Parse(c.BaseURL); err == nil && u.Scheme == "http" && !isLocal(u.Hostname()) {
		p.add("PORTAL_BASE_URL: http:// is %s; serve the portal over https://", why)
	}
	email := c.HasIdentifier("email")
	sms := c.HasIdentifier("phone") || slices.Contains(c.SecondFactors, "phone_code")
	for _, f := range c.EnabledFactors() {
		email = email || strings.HasPrefix(f, "email_")
		sms = sms || f == "phone_code"
	}
	if email && c.SMTPURL == "" {
		p.add("PORTAL_SMTP_URL: the dev outbox is %s while email sign-in is enabled; set an SMTP server", why)
	}
	if sms && c.SMSProvider == "" {
		p.add("PORTAL_SMS_PROVIDER: the dev outbox is %s while phone sign-in is enabled; set twilio and its keys", why)
	}
	// The key is all the Backend API asks for (users, sessions, actor
	// tokens): in production it must be too long to guess, as the one
	// development generates is.
	const example = "(e.g. sk_live_$(openssl rand -hex 24))"
	live, isLive := strings.CutPrefix(c.SecretKey, "sk_live_")
	test, isTest := strings.CutPrefix(c.SecretKey, "sk_test_")
	switch {
	case c.SecretKey == "":
		p.add("PORTAL_SECRET_KEY: required in production: sk_live_ and at least %d random characters %s", minSecretKeyRandom, example)
	case isLive && len(live) < minSecretKeyRandom, isTest && len(test) < minSecretKeyRandom:
		p.add("PORTAL_SECRET_KEY: too short for production: at least %d random characters after the prefix %s", minSecretKeyRandom, example)
	}
	if c.CookieSecret == "" {
		p.add("PORTAL_COOKIE_SECRET: required in production (e.g. openssl rand -hex 32)")
	}
	for _, o := range c.AllowedRedirectOrigins {
		if scheme, host, _, err := splitOrigin(o); err == nil && scheme == "http" && !isLocal(strings.Trim(host, "[]")) {
			p.add("PORTAL_ALLOWED_REDIRECT_ORIGINS: %q: http:// is %s except for localhost; use https://", o, why)
		}
	}
}

func checkBaseURL(s string) error {
	u, err := url.Parse(s)
	switch {
	case err != nil || u.Host == "":
		return fmt.Errorf("%q is not an absolute URL", s)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("%q must start with https:// or http://", s)
	case u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Path != "":
		return fmt.Errorf("%q must have no path, query or credentials", s)
	case !validPort(cmp.Or(u.Port(), "1")):
		return fmt.Errorf("%q has a bad port", s)
	}
	return nil
}

func splitOrigin(o string) (scheme, host, port string, err error) {
	scheme, rest, ok := strings.Cut(o, "://")
	if !ok || (scheme != "http" && scheme != "https") {
		return "", "", "", fmt.Errorf("must start with https:// or http://")
	}
	host = rest
	if strings.HasPrefix(rest, "[") {
		end := strings.Index(rest, "]")
		if end < 0 {
			return "", "", "", fmt.Errorf("has an unclosed [")
		}
		host, port = rest[:end+1], rest[end+1:]
	} else if i := strings.LastIndexByte(rest, ':'); i >= 0 {
		host, port = rest[:i], rest[i:]
	}
	if port != "" {
		p, ok := strings.CutPrefix(port, ":")
		if !ok || p != "*" && !validPort(p) {
			return "", "", "", fmt.Errorf("must be scheme://host[:port] with no path; the port is a number or *")
		}
		port = p
	}
	return scheme, host, port, nil
}

// checkOrigin is a syntax check only; matching is the redirect package's job.
func checkOrigin(o string) error {
	_, host, _, err := splitOrigin(o)
	if err != nil {
		return err
	}
	if inner, ok := strings.CutPrefix(host, "["); ok {
		if a, err := netip.ParseAddr(strings.TrimSuffix(inner, "]")); err != nil || !a.Is6() {
			return fmt.Errorf("has a bad IPv6 address")
		}
		return nil
	}
	name := strings.ToLower(host)
	if wild, ok := strings.CutPrefix(name, "*."); ok {
		if !strings.Contains(wild, ".") {
			return fmt.Errorf("wildcard must cover a registrable domain, e.g. https://*.example.com")
		}
		name = wild
	}
	if !validHostname(name) {
		return fmt.Errorf("must be scheme://host[:port] with no path; * is allowed only as the first label (https://*.example.com)")
	}
	return nil
}

func validHostname(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		if strings.Trim(label, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
			return false
		}
	}
	return true
}

func validPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n > 0 && n < 65536 || p == "0"
}

func isLocal(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

// PasskeyRelyingParty is the WebAuthn RP ID and the origins ceremonies may
// come from: as configured, or the base URL's host and origin.
func (c *Config) PasskeyRelyingParty() (rpID string, origins []string) {
	rpID, origins = c.PasskeyRPID, slices.Clone(c.PasskeyOrigins)
	u, err := url.Parse(c.BaseURL)
	if err != nil {
		return rpID, origins
	}
	if rpID == "" {
		rpID = u.Hostname()
	}
	if len(origins) == 0 {
		origins = []string{u.Scheme + "://" + u.Host}
	}
	return rpID, origins
}

// validatePasskeys checks what browsers will enforce anyway, so a mistake
// shows at start-up rather than as passkeys that never work: the RP ID is
// a domain the base URL's host is, or is under, and origins are exact.
func (c *Config) validatePasskeys(p *problems) {
	if c.PasskeysMax < 1 || c.PasskeysMax > 100 {
		p.add("PORTAL_PASSKEYS_MAX: must be between 1 and 100, got %d", c.PasskeysMax)
	}
	u, err := url.Parse(c.BaseURL)
	if err != nil {
		return
	}
	rpID, host := c.PasskeyRPID, strings.ToLower(u.Hostname())
	if rpID == "" {
		// Derived from the base URL; an IP address there just leaves
		// passkeys off (see PasskeysPossible).
	} else if net.ParseIP(rpID) != nil || strings.ContainsAny(rpID, ":/ ") || rpID != strings.ToLower(rpID) {
		p.add("PORTAL_PASSKEY_RP_ID: %q must be a lower-case domain name such as example.com (IP addresses can't be RP IDs)", rpID)
	} else if host != rpID && !strings.HasSuffix(host, "."+rpID) {
		p.add("PORTAL_PASSKEY_RP_ID: %q must be the base URL's host (%s) or a parent domain of it", rpID, host)
	}
	for _, o := range c.PasskeyOrigins {
		ou, err := url.Parse(o)
		if err != nil || (ou.Scheme != "https" && !(ou.Scheme == "http" && isLocal(ou.Hostname()))) || ou.Host == "" ||
			ou.Path != "" || ou.RawQuery != "" || ou.User != nil {
			p.add("PORTAL_PASSKEY_ORIGINS: %q must be an https:// origin without a path (http:// only for localhost)", o)
		}
	}
}

// PasskeysPossible reports whether passkeys can work at all: WebAuthn needs
// a domain name, and a portal at an IP address has none.
func (c *Config) PasskeysPossible() bool {
	rpID, _ := c.PasskeyRelyingParty()
	return rpID != "" && net.ParseIP(rpID) == nil
}

// validateLegal checks the consent box's documents: each an absolute
// http(s) URL people can open, and at least one when the box is asked for
// (there would be nothing to agree to).
func (c *Config) validateLegal(p *problems) {
	for key, v := range map[string]string{"PORTAL_TERMS_URL": c.TermsURL, "PORTAL_PRIVACY_URL": c.PrivacyURL} {
		if v == "" {
			continue
		}
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil ||
			strings.ContainsAny(v, " \t\r\n\"'<>`\\") {
			p.add("%s: %q must be an absolute http(s) URL of the page, such as https://example.com/legal", key, v)
		}
	}
	if c.LegalConsent && c.TermsURL == "" && c.PrivacyURL == "" {
		p.add("PORTAL_LEGAL_CONSENT: needs the documents people agree to: set PORTAL_TERMS_URL, PORTAL_PRIVACY_URL or both " +
			"(absolute https:// URLs), or leave PORTAL_LEGAL_CONSENT false")
	}
}

// Restrictions are the allowlist, blocklist and subaddress rule, with phone
// numbers read in the default region.
func (c *Config) Restrictions() (*restrict.Rules, error) {
	return restrict.New(c.Allowlist, c.Blocklist, c.PhoneRegion, c.BlockEmailSubaddresses)
}

func (c *Config) validateRestrictions(p *problems) {
	for key, entries := range map[string][]string{"PORTAL_ALLOWLIST": c.Allowlist, "PORTAL_BLOCKLIST": c.Blocklist} {
		if _, err := restrict.ParseList(entries, c.PhoneRegion); err != nil {
			p.add("%s: %v", key, err)
		}
	}
}

// issuerURL reports whether s can be an OpenID issuer: an https URL with
// a host, or http in development (a provider on loopback).
func (c *Config) issuerURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Host != "" && (u.Scheme == "https" || u.Scheme == "http" && c.Dev())
}
