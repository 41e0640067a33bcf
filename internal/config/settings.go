package config

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/portalhq/portal/internal/org"
)

// Setting describes one configuration key. The table returned by Settings is
// the single source of truth: flags, environment variables, YAML keys, help
// text and the README table are all derived from it.
type Setting struct {
	Key         string // YAML key, snake_case
	Env         string // environment variable
	Flag        string // command-line flag, without dashes
	Default     string // parsed by the same code as user input
	Description string
	set         func(c *Config, v string) error
	isBool      bool
	isList      bool // takes several values (a YAML list, or commas)
}

type binder struct {
	set    func(c *Config, v string) error
	isBool bool
	isList bool
}

func setting(key, def, desc string, b binder) Setting {
	return Setting{
		Key:         key,
		Env:         "PORTAL_" + strings.ToUpper(key),
		Flag:        strings.ReplaceAll(key, "_", "-"),
		Default:     def,
		Description: desc,
		set:         b.set,
		isBool:      b.isBool,
		isList:      b.isList,
	}
}

// Settings returns the table of every fixed setting, in display order.
// Per-provider OAuth and OIDC keys are dynamic and described by Usage.
func Settings() []Setting {
	return []Setting{
		setting("addr", "127.0.0.1:4000", "listen address", str(func(c *Config) *string { return &c.Addr })),
		setting("base_url", "http://localhost:4000", "public URL of the portal; every emailed or texted link is built from it", str(func(c *Config) *string { return &c.BaseURL })),
		setting("env", "development", "development or production", str(func(c *Config) *string { return &c.Env })),
		setting("app_name", "Portal", "product name shown on pages and in messages", str(func(c *Config) *string { return &c.AppName })),
		setting("database_url", "sqlite:./data/portal.db", "sqlite:PATH or postgres://…", str(func(c *Config) *string { return &c.DatabaseURL })),
		setting("allowed_redirect_origins", "http://localhost:*", "comma-separated origins a redirect_url may point to (https://app.example.com, https://*.example.com)", list(func(c *Config) *[]string { return &c.AllowedRedirectOrigins })),
		setting("cookie_domain", "", "domain for __session and __client_uat cookies; empty = host-only", str(func(c *Config) *string { return &c.CookieDomain })),
		setting("secret_key", "", "Backend API key sk_live_…/sk_test_…; empty in development = generated, stored and printed", str(func(c *Config) *string { return &c.SecretKey })),
		setting("cookie_secret", "", "key signing the __client cookie; empty in development = generated and stored", str(func(c *Config) *string { return &c.CookieSecret })),
		setting("smtp_url", "", "smtp://user:pass@host:port (smtps:// for implicit TLS); empty = dev outbox", str(func(c *Config) *string { return &c.SMTPURL })),
		setting("email_from", "Portal <no-reply@localhost>", "From address of outgoing email", str(func(c *Config) *string { return &c.EmailFrom })),
		setting("sms_provider", "", "twilio, or empty for the dev outbox", str(func(c *Config) *string { return &c.SMSProvider })),
		setting("twilio_account_sid", "", "Twilio account SID", str(func(c *Config) *string { return &c.TwilioAccountSID })),
		setting("twilio_auth_token", "", "Twilio auth token", str(func(c *Config) *string { return &c.TwilioAuthToken })),
		setting("twilio_from", "", "Twilio sender number or messaging service", str(func(c *Config) *string { return &c.TwilioFrom })),
		setting("twilio_api_url", "https://api.twilio.com", "Twilio API base URL (tests point it at a fake)", str(func(c *Config) *string { return &c.TwilioAPIURL })),
		setting("captcha_provider", "", "bot protection on sign-up (the form and new accounts through a provider) and the waitlist: turnstile (Cloudflare) or hcaptcha; empty = off", str(func(c *Config) *string { return &c.CaptchaProvider })),
		setting("captcha_site_key", "", "the captcha provider's site key, shown in the page", str(func(c *Config) *string { return &c.CaptchaSiteKey })),
		setting("captcha_secret_key", "", "the captcha provider's secret key, sent only to its verify endpoint", str(func(c *Config) *string { return &c.CaptchaSecretKey })),
		setting("captcha_verify_url", "", "the provider's siteverify endpoint; empty = https://challenges.cloudflare.com/turnstile/v0/siteverify or https://api.hcaptcha.com/siteverify (tests point it at a fake)", str(func(c *Config) *string { return &c.CaptchaVerifyURL })),
		setting("captcha_script_url", "", "the provider's widget script; empty = https://challenges.cloudflare.com/turnstile/v0/api.js or https://js.hcaptcha.com/1/api.js", str(func(c *Config) *string { return &c.CaptchaScriptURL })),
		setting("captcha_oauth_bypass", "", "comma-separated sign-in providers whose new accounts skip the bot-protection check, named as their settings name them (google for PORTAL_OAUTH_GOOGLE_CLIENT_ID, corp for PORTAL_OIDC_CORP_ISSUER); empty = a new account through any provider is checked", list(func(c *Config) *[]string { return &c.CaptchaOAuthBypass })),
		setting("identifiers", "email", "identifiers people sign up and in with: email, phone, username", list(func(c *Config) *[]string { return &c.Identifiers })),
		setting("sign_up_fields", "", "fields shown on sign-up: email_address, phone_number, username, first_name, last_name, password; empty = the identifiers, names and (with the password factor) password", list(func(c *Config) *[]string { return &c.SignUpFields })),
		setting("sign_up_required", "", "sign-up fields that must be filled; empty = the identifiers and (with the password factor) password", list(func(c *Config) *[]string { return &c.SignUpRequired })),
		setting("phone_default_region", "", "region (ISO code, e.g. US) assumed for phone numbers typed without +country; empty = the country code is required", str(func(c *Config) *string { return &c.PhoneRegion })),
		setting("sms_countries", "", "comma-separated ISO country codes text messages may go to; empty = all", list(func(c *Config) *[]string { return &c.SMSCountries })),
		setting("allowlist", "", "comma-separated identifiers that alone may sign up: ada@example.com, @example.com (that domain), +14155550100, a username; the entries of /v1/allowlist_identifiers count too; both empty = everyone", list(func(c *Config) *[]string { return &c.Allowlist })),
		setting("blocklist", "", "comma-separated identifiers that may not sign up or sign in, in the forms of PORTAL_ALLOWLIST; the entries of /v1/blocklist_identifiers count too", list(func(c *Config) *[]string { return &c.Blocklist })),
		setting("sign_up_mode", "public", "public: anyone may sign up; restricted: only people invited (POST /v1/invitations or to an organization), and users made through the Backend API; waitlist: as restricted, and /waitlist takes the addresses of people who want to be invited (/v1/waitlist_entries)", str(func(c *Config) *string { return &c.SignUpMode })),
		setting("legal_consent", "false", "sign-up asks people to tick a box agreeing to the terms of service and privacy policy (PORTAL_TERMS_URL, PORTAL_PRIVACY_URL; at least one is needed) before an account is made; the time is kept as the user's legal_accepted_at", boolean(func(c *Config) *bool { return &c.LegalConsent })),
		setting("terms_url", "", "absolute http(s) URL of the terms of service the sign-up consent box links to", str(func(c *Config) *string { return &c.TermsURL })),
		setting("privacy_url", "", "absolute http(s) URL of the privacy policy the sign-up consent box links to", str(func(c *Config) *string { return &c.PrivacyURL })),
		setting("enumeration_protection", "standard", "standard: after the identifier, the ways in this account has (an unknown identifier looks like an account with a password); strict: the same ways in for every identifier of a kind, an account's own address or number never shown", str(func(c *Config) *string { return &c.EnumerationProtection })),
		setting("block_email_subaddresses", "false", "refuse new email addresses with a + in the local part (ada+x@example.com)", boolean(func(c *Config) *bool { return &c.BlockEmailSubaddresses })),
		setting("email_link_other_device_session", "false", "an email link opened on another device signs that device in too", boolean(func(c *Config) *bool { return &c.EmailLinkOtherDeviceSession })),
		setting("send_limit_per_identifier_hour", "10", "codes and links sent to one address or number per hour", integer(func(c *Config) *int { return &c.SendLimitPerIdentifierHour })),
		setting("send_limit_per_identifier_day", "20", "codes and links sent to one address or number per day", integer(func(c *Config) *int { return &c.SendLimitPerIdentifierDay })),
		setting("send_limit_per_ip_hour", "30", "codes and links requested from one IP address per hour", integer(func(c *Config) *int { return &c.SendLimitPerIPHour })),
		setting("send_limit_per_ip_day", "100", "codes and links requested from one IP address per day", integer(func(c *Config) *int { return &c.SendLimitPerIPDay })),
		setting("sms_limit_per_minute", "30", "text messages per minute for the whole instance (circuit breaker)", integer(func(c *Config) *int { return &c.SMSLimitPerMinute })),
		setting("sms_limit_per_hour", "300", "text messages per hour for the whole instance (circuit breaker)", integer(func(c *Config) *int { return &c.SMSLimitPerHour })),
		setting("factors", "", "first factors: password, email_code, email_link, phone_code, passkey; empty = all that suit the identifiers", list(func(c *Config) *[]string { return &c.Factors })),
		setting("second_factors", "", "second factors: totp, backup_code, phone_code; empty = all that suit the identifiers", list(func(c *Config) *[]string { return &c.SecondFactors })),
		setting("require_mfa", "false", "whether everyone must enrol a second factor", boolean(func(c *Config) *bool { return &c.RequireMFA })),
		setting("personal_accounts", "true", "whether a user may act without an active organization", boolean(func(c *Config) *bool { return &c.PersonalAccounts })),
		setting("theme", "default", "theme name from themes/ or path to a theme file", str(func(c *Config) *string { return &c.Theme })),
		setting("webhook_url", "", "one webhook endpoint configured at start", str(func(c *Config) *string { return &c.WebhookURL })),
		setting("webhook_secret", "", "signing secret of that endpoint", str(func(c *Config) *string { return &c.WebhookSecret })),
		setting("webhook_allow_private", "false", "allow webhook endpoints on loopback and private addresses (development, tests)", boolean(func(c *Config) *bool { return &c.WebhookAllowPrivate })),
		setting("event_retention", "30d", "how long events, finished webhook deliveries, captured development messages, spent sign-in tokens, the notes of what organizations removed (which let a second Remove say \"already removed\") and sessions after they ended or ran out are kept (0 = for ever)", durationOr("keep them for ever", func(c *Config) *time.Duration { return &c.EventRetention })),
		setting("session_token_ttl", "60s", "lifetime of the __session JWT", duration(func(c *Config) *time.Duration { return &c.SessionTokenTTL })),
		setting("session_max_lifetime", "7d", "absolute session lifetime (Go duration or days, e.g. 7d)", duration(func(c *Config) *time.Duration { return &c.SessionMaxLifetime })),
		setting("session_inactivity_timeout", "0", "session ends after this long without activity; 0 = off", durationOr("turn it off", func(c *Config) *time.Duration { return &c.SessionInactivityTimeout })),
		setting("session_token_claims", "", "custom claims of every __session token, a JSON object with JWT template shortcodes, e.g. {\"metadata\":\"{{user.public_metadata}}\"}; 1.2 KB at most as rendered; the token's own claims can't be overridden", str(func(c *Config) *string { return &c.SessionTokenClaims })),
		setting("session_cookie_httponly", "true", "mark the __session cookie HttpOnly", boolean(func(c *Config) *bool { return &c.SessionCookieHTTPOnly })),
		setting("password_min_length", "15", "minimum password length for password-only accounts (8–64)", integer(func(c *Config) *int { return &c.PasswordMinLength })),
		setting("password_min_length_mfa", "8", "minimum password length when a second factor is mandatory (8–64)", integer(func(c *Config) *int { return &c.PasswordMinLengthMFA })),
		setting("password_breach_check", "true", "refuse new passwords seen in data breaches, and send a person whose password is found there at sign-in to change it, looked up in Have I Been Pwned's Pwned Passwords (only the first 5 hex digits of the password's SHA-1 leave the machine); a failed lookup lets the password through (README: \"Breached passwords\")", boolean(func(c *Config) *bool { return &c.PasswordBreachCheck })),
		setting("pwned_passwords_url", "https://api.pwnedpasswords.com", "base URL of the Pwned Passwords range API (GET …/range/{prefix}): a mirror of your own, or a fake in tests", str(func(c *Config) *string { return &c.PwnedPasswordsURL })),
		setting("lockout_threshold", "10", "failed attempts on one account before a soft lockout", integer(func(c *Config) *int { return &c.LockoutThreshold })),
		setting("lockout_duration", "1h", "length of a soft lockout", duration(func(c *Config) *time.Duration { return &c.LockoutDuration })),
		setting("notify_new_sign_in", "true", "email an account's owner when it is signed in to from a browser it has not been used on lately (see \"Security notes\")", boolean(func(c *Config) *bool { return &c.NotifyNewSignIn })),
		setting("trusted_proxies", "", "comma-separated CIDRs or IPs whose X-Forwarded-For is believed", prefixes(func(c *Config) *[]netip.Prefix { return &c.TrustedProxies })),
		setting("log_level", "info", "debug, info, warn or error", str(func(c *Config) *string { return &c.LogLevel })),
		setting("log_format", "", "text or json; empty = text in development, json in production", str(func(c *Config) *string { return &c.LogFormat })),
		setting("hash_concurrency", "0", "password hashes computed at once; 0 = number of CPUs", integer(func(c *Config) *int { return &c.HashConcurrency })),
		setting("read_header_timeout", "5s", "HTTP server ReadHeaderTimeout", duration(func(c *Config) *time.Duration { return &c.ReadHeaderTimeout })),
		setting("read_timeout", "15s", "HTTP server ReadTimeout", duration(func(c *Config) *time.Duration { return &c.ReadTimeout })),
		setting("write_timeout", "30s", "HTTP server WriteTimeout", duration(func(c *Config) *time.Duration { return &c.WriteTimeout })),
		setting("idle_timeout", "120s", "HTTP server IdleTimeout", duration(func(c *Config) *time.Duration { return &c.IdleTimeout })),
		setting("max_body_bytes", "1MiB", "largest request body accepted (bytes, or with KiB/MiB suffix)", size(func(c *Config) *int64 { return &c.MaxBodyBytes })),
		setting("shutdown_delay", "0", "on SIGTERM or SIGINT, how long /readyz answers 503 while the portal goes on serving, so a load balancer or Kubernetes stops sending it requests before it stops taking connections (e.g. 5s); a second signal ends the wait; 0 = stop taking connections at once", durationOr("stop taking connections at once", func(c *Config) *time.Duration { return &c.ShutdownDelay })),
		setting("passkey_rp_id", "", "WebAuthn relying party ID: the base URL's host or a parent domain of it (example.com lets passkeys work on every subdomain); empty = the base URL's host", str(func(c *Config) *string { return &c.PasskeyRPID })),
		setting("passkey_origins", "", "comma-separated origins passkey ceremonies may come from, matched exactly; empty = the base URL's origin", list(func(c *Config) *[]string { return &c.PasskeyOrigins })),
		setting("passkeys_max", "10", "passkeys one user may register", integer(func(c *Config) *int { return &c.PasskeysMax })),
		setting("passkey_prompt_after_sign_up", "false", "offer to add a passkey right after sign-up", boolean(func(c *Config) *bool { return &c.PasskeyPromptAfterSignUp })),
		setting("theme_css", "", "path to the owner's own stylesheet, served at /theme-custom.css after the theme", str(func(c *Config) *string { return &c.ThemeCSS })),
		setting("default_locale", "en", "language of pages when neither ?locale= nor Accept-Language matches a catalog: en, de, es, fr, ja, pt-BR", str(func(c *Config) *string { return &c.DefaultLocale })),
		setting("locales_dir", "", "directory of the owner's own message catalogs (<name>.<locale>.toml): a new language, or replacements for shipped messages", str(func(c *Config) *string { return &c.LocalesDir })),
		setting("allow_account_deletion", "true", "people may delete their own account from /user", boolean(func(c *Config) *bool { return &c.AllowAccountDeletion })),
		setting("org_creation", "true", "whether signed-in users may create organizations", boolean(func(c *Config) *bool { return &c.OrgCreation })),
		setting("org_creation_limit", "100", "organizations one user may create; 0 = no limit", integer(func(c *Config) *int { return &c.OrgCreationLimit })),
		setting("org_max_members", "0", "members per organization, pending invitations included; 0 = no limit", integer(func(c *Config) *int { return &c.OrgMaxMembers })),
		setting("org_roles", "", "custom organization roles: org:role=org:feature:permission …; org:other=… or JSON (see README); org:admin and org:member always exist", orgRoles(func(c *Config) **org.Roles { return &c.OrgRoles })),
		setting("org_invitation_ttl", "7d", "how long an organization invitation link works", duration(func(c *Config) *time.Duration { return &c.OrgInvitationTTL })),
		setting("org_after_create_url", "", "where /create-organization lands without a redirect_url; empty = the new organization's page", str(func(c *Config) *string { return &c.OrgAfterCreateURL })),
	}
}

func str(p func(*Config) *string) binder {
	return binder{set: func(c *Config, v string) error { *p(c) = strings.TrimSpace(v); return nil }}
}

func list(p func(*Config) *[]string) binder {
	return binder{isList: true, set: func(c *Config, v string) error { *p(c) = splitList(v); return nil }}
}

func boolean(p func(*Config) *bool) binder {
	return binder{isBool: true, set: func(c *Config, v string) error {
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("%q is not true or false", v)
		}
		*p(c) = b
		return nil
	}}
}

func integer(p func(*Config) *int) binder {
	return binder{set: func(c *Config, v string) error {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("%q is not a whole number", v)
		}
		*p(c) = n
		return nil
	}}
}

func duration(p func(*Config) *time.Duration) binder {
	return binder{set: func(c *Config, v string) error {
		d, err := parseDuration(v)
		if err != nil {
			return err
		}
		*p(c) = d
		return nil
	}}
}

// durationOr is duration for a setting whose 0 means something other
// than a length of time (keep for ever, off): a value that does not parse,
// most often that meaning written as a word (forever, never, off), is
// answered with it.
func durationOr(zero string, p func(*Config) *time.Duration) binder {
	return binder{set: func(c *Config, v string) error {
		d, err := parseDuration(v)
		if err != nil {
			return fmt.Errorf("%q is not a duration (use e.g. 90s, 15m, 12h or 7d, or 0 to %s)", v, zero)
		}
		*p(c) = d
		return nil
	}}
}

func size(p func(*Config) *int64) binder {
	return binder{set: func(c *Config, v string) error {
		n, err := parseSize(v)
		if err != nil {
			return err
		}
		*p(c) = n
		return nil
	}}
}

func prefixes(p func(*Config) *[]netip.Prefix) binder {
	return binder{isList: true, set: func(c *Config, v string) error {
		var out []netip.Prefix
		for _, s := range splitList(v) {
			pfx, err := parsePrefix(s)
			if err != nil {
				return err
			}
			out = append(out, pfx)
		}
		*p(c) = out
		return nil
	}}
}

func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// parseDuration accepts Go durations and a leading whole-day part ("7d",
// "1d12h") because session lifetimes are naturally written in days.
func parseDuration(v string) (time.Duration, error) {
	s := strings.TrimSpace(v)
	bad := fmt.Errorf("%q is not a duration (use e.g. 90s, 15m, 12h or 7d)", v)
	// The two slips seen most: a number without its unit, and weeks.
	if n, err := strconv.Atoi(s); err == nil && n != 0 {
		bad = fmt.Errorf("%q has no unit: write %ds for seconds (or e.g. 15m, 12h, 7d)", v, n)
	} else if w, ok := strings.CutSuffix(s, "w"); ok {
		if n, err := strconv.Atoi(w); err == nil && n > 0 {
			bad = fmt.Errorf("%q: weeks are written in days, %dd", v, 7*n)
		}
	}
	days, rest, hasDays := strings.Cut(s, "d")
	if !hasDays {
		d, err := time.ParseDuration(s)
		if err != nil {
			return 0, bad
		}
		return d, nil
	}
	n, err := strconv.Atoi(days)
	if err != nil || n < 0 || n > 100000 {
		return 0, bad
	}
	d := time.Duration(n) * 24 * time.Hour
	if rest != "" {
		r, err := time.ParseDuration(rest)
		if err != nil || r < 0 {
			return 0, bad
		}
		d += r
	}
	return d, nil
}

func parseSize(v string) (int64, error) {
	s := strings.TrimSpace(v)
	i := strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' })
	if i < 0 {
		i = len(s)
	}
	mult := map[string]int64{"": 1, "b": 1, "kb": 1000, "mb": 1000 * 1000, "gb": 1000 * 1000 * 1000,
		"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30}[strings.ToLower(strings.TrimSpace(s[i:]))]
	n, err := strconv.ParseInt(s[:i], 10, 64)
	if err != nil || mult == 0 || n > (1<<40)/mult {
		return 0, fmt.Errorf("%q is not a size (use bytes or e.g. 64KiB, 1MiB)", v)
	}
	return n * mult, nil
}

// parsePrefix treats a bare address as a single-host prefix.
func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not a CIDR (use e.g. 10.0.0.0/8)", s)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not an IP address or CIDR", s)
	}
	return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
}

// Usage is the help text for the settings, printed by portal serve --help.
func Usage() string {
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "Settings: flags override PORTAL_* environment variables, which override the config file.")
	fmt.Fprintln(w, "YAML keys are the environment names in lower case without PORTAL_ (base_url).")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "  --config PATH\tPORTAL_CONFIG\toptional YAML config file")
	for _, s := range Settings() {
		def := ""
		if s.Default != "" {
			def = " (default " + s.Default + ")"
		}
		fmt.Fprintf(w, "  --%s\t%s\t%s%s\n", s.Flag, s.Env, s.Description, def)
	}
	w.Flush()
	b.WriteString("\nPer-provider keys (environment or YAML, no flags):\n")
	for _, d := range dynamicSettings() {
		fmt.Fprintf(&b, "  %s\n      %s\n", d[0], d[1])
	}
	return b.String()
}

// Markdown renders the settings as the README's table.
func Markdown() string {
	var b strings.Builder
	b.WriteString("| variable | flag | meaning | default |\n|---|---|---|---|\n")
	b.WriteString("| `PORTAL_CONFIG` | `--config` | optional YAML config file | none |\n")
	for _, s := range Settings() {
		def := "empty"
		if s.Default != "" {
			def = "`" + s.Default + "`"
		}
		fmt.Fprintf(&b, "| `%s` | `--%s` | %s | %s |\n", s.Env, s.Flag, s.Description, def)
	}
	for _, d := range dynamicSettings() {
		fmt.Fprintf(&b, "| `%s` | | %s | off |\n", d[0], d[1])
	}
	return b.String()
}

func dynamicSettings() [][2]string {
	return [][2]string{
		{"PORTAL_OAUTH_<PROVIDER>_CLIENT_ID, _CLIENT_SECRET", "enable a goth provider (GITHUB, GOOGLE, …); APPLE also takes _TEAM_ID, _KEY_ID, _PRIVATE_KEY; the OpenID ones (GOOGLE, APPLE, GITLAB, LINKEDIN, SLACK) take _ISSUER for another issuer, e.g. a self-managed GitLab's"},
		{"PORTAL_OIDC_<NAME>_ISSUER, _CLIENT_ID, _CLIENT_SECRET, _DISPLAY_NAME, _ICON", "a generic OpenID Connect provider found by discovery"},
	}
}
