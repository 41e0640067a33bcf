package config

import (
	"errors"
	"flag"
	"maps"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/org"
)

func load(args []string, vars map[string]string) (*Config, error) {
	var environ []string
	for k, v := range vars {
		environ = append(environ, k+"="+v)
	}
	return Load(args, func(k string) string { return vars[k] }, environ)
}

func mustFail(t *testing.T, args []string, vars map[string]string, want ...string) {
	t.Helper()
	_, err := load(args, vars)
	if err == nil {
		t.Fatalf("loaded %v %v without error; want %q", args, vars, want)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not contain %q", err, w)
		}
	}
}

func writeFile(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "portal.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestDefaults(t *testing.T) {
	c, err := load(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		Addr: "127.0.0.1:4000", BaseURL: "http://localhost:4000", Env: "development", AppName: "Portal",
		DatabaseURL: "sqlite:./data/portal.db", AllowedRedirectOrigins: []string{"http://localhost:*"},
		EmailFrom: "Portal <no-reply@localhost>", TwilioAPIURL: "https://api.twilio.com",
		Identifiers: []string{"email"}, SignUpMode: SignUpPublic, EnumerationProtection: EnumerationStandard, PersonalAccounts: true, Theme: "default",
		EventRetention: 30 * 24 * time.Hour, SessionTokenTTL: 60 * time.Second, SessionMaxLifetime: 7 * 24 * time.Hour, SessionCookieHTTPOnly: true,
		PasswordMinLength: 15, PasswordMinLengthMFA: 8, LockoutThreshold: 10, SendLimitPerIdentifierHour: 10, SendLimitPerIdentifierDay: 20, SendLimitPerIPHour: 30, SendLimitPerIPDay: 100, SMSLimitPerMinute: 30, SMSLimitPerHour: 300, LockoutDuration: time.Hour,
		NotifyNewSignIn: true, LogLevel: "info", LogFormat: "text",
		PasswordBreachCheck: true, PwnedPasswordsURL: "https://api.pwnedpasswords.com",
		ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 15 * time.Second, WriteTimeout: 30 * time.Second,
		IdleTimeout: 120 * time.Second, MaxBodyBytes: 1 << 20, PasskeysMax: 10, DefaultLocale: "en", AllowAccountDeletion: true,
		OAuth: map[string]OAuthProvider{}, OIDC: map[string]OIDCProvider{},
		OrgCreation: true, OrgCreationLimit: 100, OrgRoles: org.DefaultRoles(), OrgInvitationTTL: 7 * 24 * time.Hour,
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("defaults:\n got %+v\nwant %+v", c, want)
	}
	if path, ok := c.SQLitePath(); !ok || path != "./data/portal.db" {
		t.Errorf("SQLitePath = %q, %v", path, ok)
	}
	if !c.Dev() || c.Secure() {
		t.Errorf("Dev = %v, Secure = %v", c.Dev(), c.Secure())
	}
	if got := c.EnabledFactors(); !reflect.DeepEqual(got, []string{"password", "email_code", "email_link", "passkey"}) {
		t.Errorf("EnabledFactors = %v", got)
	}
}

func TestPrecedenceFileEnvFlag(t *testing.T) {
	path := writeFile(t, `
addr: 0.0.0.0:8080
base_url: https://file.example.com/
theme: file
identifiers: [email, username]
trusted_proxies: "10.0.0.0/8, 192.168.1.1"
`)
	vars := map[string]string{
		"PORTAL_CONFIG":   path,
		"PORTAL_BASE_URL": "https://env.example.com",
		"PORTAL_THEME":    "env",
		"PORTAL_ADDR":     "", // empty counts as unset
	}
	c, err := load([]string{"--theme=flag", "--require-mfa"}, vars)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "0.0.0.0:8080" || c.BaseURL != "https://env.example.com" || c.Theme != "flag" || !c.RequireMFA {
		t.Errorf("got addr=%s base=%s theme=%s mfa=%v", c.Addr, c.BaseURL, c.Theme, c.RequireMFA)
	}
	if !reflect.DeepEqual(c.Identifiers, []string{"email", "username"}) {
		t.Errorf("identifiers = %v", c.Identifiers)
	}
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.168.1.1/32")}
	if !reflect.DeepEqual(c.TrustedProxies, want) {
		t.Errorf("trusted proxies = %v", c.TrustedProxies)
	}

	// --config wins over PORTAL_CONFIG.
	other := writeFile(t, "theme: other\n")
	c, err = load([]string{"--config", other}, map[string]string{"PORTAL_CONFIG": path})
	if err != nil || c.Theme != "other" || c.File != other {
		t.Errorf("--config: %v, %+v", err, c)
	}
}

func TestUnknownKeysSuggestNearest(t *testing.T) {
	mustFail(t, nil, map[string]string{"PORTAL_BASEURL": "x"},
		"unknown setting PORTAL_BASEURL (did you mean PORTAL_BASE_URL?)")
	mustFail(t, nil, map[string]string{"PORTAL_OAUTH_GITHUB_CLIENTID": "x"},
		"did you mean PORTAL_OAUTH_GITHUB_CLIENT_ID?")
	mustFail(t, []string{"--config", writeFile(t, "addr: :1\ndatabse_url: sqlite:x\n")}, nil,
		"portal.yaml:2: unknown setting databse_url (did you mean database_url?)")
	mustFail(t, []string{"--baseurl=x"}, nil, "unknown flag --baseurl (did you mean --base-url?)")
	// Names copied from the environment or the flags into the YAML file
	// are answered with the YAML key, not the nearest other setting.
	mustFail(t, []string{"--config", writeFile(t, "PORTAL_BASE_URL: https://a.example.com\nsmtp-url: smtp://m\nPORTAL_OAUTH_GITHUB_CLIENT_ID: x\n")}, nil,
		"portal.yaml:1: unknown setting PORTAL_BASE_URL (write base_url:",
		"portal.yaml:2: unknown setting smtp-url (write smtp_url:",
		"portal.yaml:3: unknown setting PORTAL_OAUTH_GITHUB_CLIENT_ID (write oauth_github_client_id:")
}

func TestBadValuesNameTheirKey(t *testing.T) {
	cases := map[string]map[string]string{
		"PORTAL_ADDR":                       {"PORTAL_ADDR": "4000"},
		"PORTAL_BASE_URL":                   {"PORTAL_BASE_URL": "https://example.com/portal"},
		"PORTAL_ENV":                        {"PORTAL_ENV": "prod"},
		"PORTAL_DATABASE_URL":               {"PORTAL_DATABASE_URL": "mysql://x"},
		"PORTAL_ALLOWED_REDIRECT_ORIGINS":   {"PORTAL_ALLOWED_REDIRECT_ORIGINS": "https://app.*.example.com"},
		"PORTAL_COOKIE_DOMAIN":              {"PORTAL_COOKIE_DOMAIN": "other.com"},
		"PORTAL_SESSION_TOKEN_TTL":          {"PORTAL_SESSION_TOKEN_TTL": "-5s"},
		"PORTAL_SESSION_MAX_LIFETIME":       {"PORTAL_SESSION_MAX_LIFETIME": "7days"},
		"PORTAL_EVENT_RETENTION":            {"PORTAL_EVENT_RETENTION": "1h"},
		"PORTAL_LOCALES_DIR":                {"PORTAL_LOCALES_DIR": "/no/such/dir"},
		"PORTAL_PASSWORD_MIN_LENGTH":        {"PORTAL_PASSWORD_MIN_LENGTH": "6"},
		"PORTAL_PASSWORD_MIN_LENGTH_MFA":    {"PORTAL_PASSWORD_MIN_LENGTH_MFA": "65"},
		"PORTAL_IDENTIFIERS":                {"PORTAL_IDENTIFIERS": "email,nickname"},
		"PORTAL_FACTORS":                    {"PORTAL_FACTORS": "password,magic"},
		"PORTAL_SECOND_FACTORS":             {"PORTAL_SECOND_FACTORS": "sms"},
		"PORTAL_SMS_PROVIDER":               {"PORTAL_SMS_PROVIDER": "vonage"},
		"PORTAL_TWILIO_AUTH_TOKEN":          {"PORTAL_SMS_PROVIDER": "twilio", "PORTAL_TWILIO_ACCOUNT_SID": "AC1", "PORTAL_TWILIO_FROM": "+1555"},
		"PORTAL_SMTP_URL":                   {"PORTAL_SMTP_URL": "http://mail.example.com"},
		"PORTAL_PWNED_PASSWORDS_URL":        {"PORTAL_PWNED_PASSWORDS_URL": "api.pwnedpasswords.com"},
		"PORTAL_PASSWORD_BREACH_CHECK":      {"PORTAL_PASSWORD_BREACH_CHECK": "sometimes"},
		"PORTAL_REQUIRE_MFA":                {"PORTAL_REQUIRE_MFA": "maybe"},
		"PORTAL_TRUSTED_PROXIES":            {"PORTAL_TRUSTED_PROXIES": "10.0.0.0/33"},
		"PORTAL_MAX_BODY_BYTES":             {"PORTAL_MAX_BODY_BYTES": "1 parsec"},
		"PORTAL_SHUTDOWN_DELAY":             {"PORTAL_SHUTDOWN_DELAY": "-5s"},
		"PORTAL_SECRET_KEY":                 {"PORTAL_SECRET_KEY": "hunter2"},
		"PORTAL_LOG_FORMAT":                 {"PORTAL_LOG_FORMAT": "xml"},
		"PORTAL_OIDC_OKTA_CLIENT_ID":        {"PORTAL_OIDC_OKTA_ISSUER": "https://okta.example.com"},
		"PORTAL_OAUTH_GITHUB_CLIENT_SECRET": {"PORTAL_OAUTH_GITHUB_CLIENT_ID": "id"},
		"PORTAL_OAUTH_GITLAB_ISSUER": {"PORTAL_OAUTH_GITLAB_CLIENT_ID": "id", "PORTAL_OAUTH_GITLAB_CLIENT_SECRET": "s",
			"PORTAL_OAUTH_GITLAB_ISSUER": "gitlab.example.com"},
	}
	for key, vars := range cases {
		t.Run(key, func(t *testing.T) { mustFail(t, nil, vars, key+":") })
	}
	// A password with a / (as mail services' generated ones often have)
	// cuts the URL short: the message says how to write it.
	mustFail(t, nil, map[string]string{"PORTAL_SMTP_URL": "smtp://AKIA:wJal/K7+bP@email-smtp.example.com:587"},
		"PORTAL_SMTP_URL:", "%2F")
	mustFail(t, []string{"--lockout-duration=soon"}, nil, "--lockout-duration:")
	mustFail(t, nil, map[string]string{"PORTAL_CONFIG": writeFile(t, "require_mfa: [a, b]\nenv: {a: 1}\n")},
		"portal.yaml:1: require_mfa:", "portal.yaml:2: env: must be a value")
}

func TestAllProblemsReportedTogether(t *testing.T) {
	_, err := load(nil, map[string]string{"PORTAL_ENV": "staging", "PORTAL_IDENTIFIERS": "fax", "PORTAL_READ_TIMEOUT": "x"})
	var e *Error
	if !errors.As(err, &e) || len(e.Problems) != 3 {
		t.Fatalf("want 3 problems, got %v", err)
	}
}

// REQ-SES-09 among the rest: in production neither the portal nor an app it
// hands sessions back to may be on http:// (localhost apart), so nothing
// downgrades after sign-in.
func TestProductionRefusesUnsafeSettings_REQ_SES_09(t *testing.T) {
	safe := map[string]string{
		"PORTAL_ENV":                      "production",
		"PORTAL_BASE_URL":                 "https://accounts.example.com",
		"PORTAL_SMTP_URL":                 "smtp://u:p@mail.example.com:587",
		"PORTAL_SECRET_KEY":               "sk_live_" + strings.Repeat("s", 32),
		"PORTAL_COOKIE_SECRET":            strings.Repeat("k", 32),
		"PORTAL_ALLOWED_REDIRECT_ORIGINS": "https://*.example.com,http://localhost:3000",
		"PORTAL_COOKIE_DOMAIN":            "example.com",
	}
	c, err := load(nil, safe)
	if err != nil {
		t.Fatal(err)
	}
	if c.Dev() || !c.Secure() || c.LogFormat != "json" {
		t.Errorf("Dev=%v Secure=%v LogFormat=%s", c.Dev(), c.Secure(), c.LogFormat)
	}
	with := func(kv ...string) map[string]string {
		m := maps.Clone(safe)
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	cases := map[string]map[string]string{
		"PORTAL_BASE_URL: http://":         with("PORTAL_BASE_URL", "http://accounts.example.com", "PORTAL_COOKIE_DOMAIN", ""),
		"PORTAL_SMTP_URL: the dev outbox":  with("PORTAL_SMTP_URL", ""),
		"PORTAL_SMS_PROVIDER: the dev":     with("PORTAL_IDENTIFIERS", "username", "PORTAL_SECOND_FACTORS", "phone_code"),
		"PORTAL_SECRET_KEY: required":      with("PORTAL_SECRET_KEY", ""),
		"PORTAL_SECRET_KEY: too short":     with("PORTAL_SECRET_KEY", "sk_live_abc"),
		"PORTAL_SECRET_KEY: too short for": with("PORTAL_SECRET_KEY", "sk_test_"+strings.Repeat("s", 31)),
		"PORTAL_COOKIE_SECRET: required":   with("PORTAL_COOKIE_SECRET", ""),
		"PORTAL_ALLOWED_REDIRECT_ORIGINS:": with("PORTAL_ALLOWED_REDIRECT_ORIGINS", "http://app.example.com"),
	}
	for want, vars := range cases {
		t.Run(want, func(t *testing.T) { mustFail(t, nil, vars, want) })
	}
	// Each refusal of the secret key says how to make one.
	for _, key := range []string{"", "sk_live_abc"} {
		mustFail(t, nil, with("PORTAL_SECRET_KEY", key), "openssl rand -hex 24")
	}
	// Username-only sign-in with password needs no sender at all.
	if _, err := load(nil, with("PORTAL_SMTP_URL", "", "PORTAL_IDENTIFIERS", "username", "PORTAL_FACTORS", "password,passkey")); err != nil {
		t.Errorf("username+password in production: %v", err)
	}
}

func TestDurationsAndSizes(t *testing.T) {
	for in, want := range map[string]time.Duration{"7d": 7 * 24 * time.Hour, "1d12h": 36 * time.Hour, "90m": 90 * time.Minute, "0": 0} {
		if got, err := parseDuration(in); err != nil || got != want {
			t.Errorf("parseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"7days", "d", "1.5d", "soon"} {
		if _, err := parseDuration(in); err == nil {
			t.Errorf("parseDuration(%q) accepted", in)
		}
	}
	for in, want := range map[string]int64{"64KiB": 64 << 10, "1MiB": 1 << 20, "4096": 4096} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	c, err := load([]string{"--session-max-lifetime=30d", "--session-inactivity-timeout=1h"}, nil)
	if err != nil || c.SessionMaxLifetime != 30*24*time.Hour || c.SessionInactivityTimeout != time.Hour {
		t.Errorf("got %v, %+v", err, c)
	}
}

func TestProvidersCollected(t *testing.T) {
	file := writeFile(t, "oidc_corp_sso_issuer: https://sso.corp.example\noidc_corp_sso_client_id: corp\n")
	c, err := load(nil, map[string]string{
		"PORTAL_CONFIG":                     file,
		"PORTAL_OAUTH_GITHUB_CLIENT_ID":     "gh-id",
		"PORTAL_OAUTH_GITHUB_CLIENT_SECRET": "gh-secret",
		"PORTAL_OAUTH_APPLE_CLIENT_ID":      "com.example",
		"PORTAL_OAUTH_APPLE_TEAM_ID":        "T",
		"PORTAL_OAUTH_APPLE_KEY_ID":         "K",
		"PORTAL_OAUTH_APPLE_PRIVATE_KEY":    "-----BEGIN PRIVATE KEY-----",
		"PORTAL_OIDC_CORP_SSO_DISPLAY_NAME": "Corp",
	})
	if err != nil {
		t.Fatal(err)
	}
	wantOAuth := map[string]OAuthProvider{
		"github": {ClientID: "gh-id", ClientSecret: "gh-secret"},
		"apple":  {ClientID: "com.example", TeamID: "T", KeyID: "K", PrivateKey: "-----BEGIN PRIVATE KEY-----"},
	}
	wantOIDC := map[string]OIDCProvider{"corp_sso": {Issuer: "https://sso.corp.example", ClientID: "corp", DisplayName: "Corp"}}
	if !reflect.DeepEqual(c.OAuth, wantOAuth) || !reflect.DeepEqual(c.OIDC, wantOIDC) {
		t.Errorf("OAuth = %+v\nOIDC = %+v", c.OAuth, c.OIDC)
	}
}

func TestHelpAndUsage(t *testing.T) {
	if _, err := load([]string{"-h"}, nil); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: %v", err)
	}
	usage, md := Usage(), Markdown()
	for _, s := range Settings() {
		if !strings.Contains(usage, "--"+s.Flag) || !strings.Contains(md, "`"+s.Env+"`") {
			t.Errorf("%s missing from help", s.Key)
		}
	}
}

// Passkey settings: the RP ID defaults to the base URL's host and may be a
// parent domain of it, never another domain or an IP address; origins are
// exact https origins.
func TestPasskeySettings(t *testing.T) {
	c, err := load(nil, map[string]string{"PORTAL_BASE_URL": "https://accounts.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if id, origins := c.PasskeyRelyingParty(); id != "accounts.example.com" || len(origins) != 1 || origins[0] != "https://accounts.example.com" {
		t.Errorf("defaults: %q %v", id, origins)
	}
	c, err = load(nil, map[string]string{"PORTAL_BASE_URL": "https://accounts.example.com", "PORTAL_PASSKEY_RP_ID": "example.com",
		"PORTAL_PASSKEY_ORIGINS": "https://accounts.example.com,https://app.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if id, origins := c.PasskeyRelyingParty(); id != "example.com" || len(origins) != 2 || !c.PasskeysPossible() {
		t.Errorf("parent domain: %q %v", id, origins)
	}
	mustFail(t, nil, map[string]string{"PORTAL_BASE_URL": "https://accounts.example.com", "PORTAL_PASSKEY_RP_ID": "evil.example"}, "PORTAL_PASSKEY_RP_ID")
	mustFail(t, nil, map[string]string{"PORTAL_BASE_URL": "https://accounts.example.com", "PORTAL_PASSKEY_RP_ID": "ample.com"}, "PORTAL_PASSKEY_RP_ID")
	mustFail(t, nil, map[string]string{"PORTAL_PASSKEY_RP_ID": "127.0.0.1"}, "PORTAL_PASSKEY_RP_ID")
	mustFail(t, nil, map[string]string{"PORTAL_PASSKEY_ORIGINS": "https://app.example.com/login"}, "PORTAL_PASSKEY_ORIGINS")
	mustFail(t, nil, map[string]string{"PORTAL_PASSKEY_ORIGINS": "http://app.example.com"}, "PORTAL_PASSKEY_ORIGINS")
	mustFail(t, nil, map[string]string{"PORTAL_PASSKEYS_MAX": "0"}, "PORTAL_PASSKEYS_MAX")
	c, err = load(nil, map[string]string{"PORTAL_BASE_URL": "http://127.0.0.1:4000"})
	if err != nil || c.PasskeysPossible() {
		t.Errorf("base URL at an IP address: %v, passkeys possible %v", err, c != nil && c.PasskeysPossible())
	}
}

// PORTAL_SIGN_UP_MODE takes Clerk's three modes; waitlist is invite-only
// like restricted, with the waiting list on top. Anything else names the
// choices.
func TestSignUpModes(t *testing.T) {
	for mode, want := range map[string][2]bool{"public": {false, false}, "restricted": {true, false}, "waitlist": {true, true}} {
		c, err := load(nil, map[string]string{"PORTAL_SIGN_UP_MODE": mode})
		if err != nil {
			t.Fatalf("%s: %v", mode, err)
		}
		if c.InviteOnly() != want[0] || c.Waitlist() != want[1] {
			t.Errorf("%s: invite-only %v, waitlist %v; want %v", mode, c.InviteOnly(), c.Waitlist(), want)
		}
	}
	if c, err := load([]string{"--sign-up-mode", "waitlist"}, nil); err != nil || !c.Waitlist() {
		t.Errorf("--sign-up-mode waitlist: %v", err)
	}
	mustFail(t, nil, map[string]string{"PORTAL_SIGN_UP_MODE": "closed"}, "PORTAL_SIGN_UP_MODE", "public, restricted or waitlist")
	if !strings.Contains(Markdown(), "waitlist: as restricted") || !strings.Contains(Usage(), "waitlist: as restricted") {
		t.Error("the help and the README table do not describe waitlist mode")
	}
}

// The README's configuration table is Markdown() exactly, so a setting
// added here cannot be missing there.
func TestREADMEListsEverySetting(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), Markdown()) {
		t.Error("README.md's configuration table differs from config.Markdown(); paste Markdown()'s output over it")
	}
}

// A duration whose 0 means something (keep for ever, off, at once),
// written as that meaning in a word, is refused with the 0 that says it;
// a duration with no such 0 is refused as before.
func TestDurationWithAMeaningfulZeroSaysWhatZeroDoes(t *testing.T) {
	mustFail(t, nil, map[string]string{"PORTAL_EVENT_RETENTION": "forever"},
		"PORTAL_EVENT_RETENTION", `"forever" is not a duration`, "0 to keep them for ever")
	mustFail(t, nil, map[string]string{"PORTAL_SESSION_INACTIVITY_TIMEOUT": "off"},
		"PORTAL_SESSION_INACTIVITY_TIMEOUT", "0 to turn it off")
	mustFail(t, []string{"--shutdown-delay=none"}, nil, "--shutdown-delay", "0 to stop taking connections at once")
	file := writeFile(t, "event_retention: never\n")
	mustFail(t, nil, map[string]string{"PORTAL_CONFIG": file}, "event_retention", `"never"`, "0 to keep them for ever")
	_, err := load(nil, map[string]string{"PORTAL_LOCKOUT_DURATION": "forever"})
	if err == nil || strings.Contains(err.Error(), "0 to") {
		t.Errorf("PORTAL_LOCKOUT_DURATION=forever: %v, want refused without a 0 (it must be positive)", err)
	}
}

// An unknown flag of a command that uses only the database points at that
// command's own help, not at portal serve's.
func TestUnknownFlagPointsAtItsCommandsHelp(t *testing.T) {
	for _, command := range []string{"portal migrate", "portal keys rotate", "portal backup"} {
		_, err := LoadDatabase(command, []string{"--zzzzzzzzzz"}, nil, nil)
		want := "unknown flag --zzzzzzzzzz (see " + command + " --help for the list)"
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s --zzzzzzzzzz: %v, want %q", command, err, want)
		}
	}
	mustFail(t, []string{"--zzzzzzzzzz"}, nil, "see portal serve --help")
	_, err := LoadDatabase("portal migrate", []string{"--databse-url=sqlite:x"}, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "did you mean --database-url?") {
		t.Errorf("a near miss: %v", err)
	}
}

// The wrong settings an operator plausibly types, each refused naming
// where it was written (the file's line, the flag) and the fix.
func TestWrongSettingsNameWhereAndTheFix(t *testing.T) {
	for _, c := range []struct {
		name string
		file string
		args []string
		vars map[string]string
		want []string
	}{
		{name: "duration without unit", vars: map[string]string{"PORTAL_SESSION_TOKEN_TTL": "60"},
			want: []string{"PORTAL_SESSION_TOKEN_TTL", `"60" has no unit: write 60s`}},
		{name: "duration in weeks", file: "session_max_lifetime: 2w\n",
			want: []string{":1: session_max_lifetime", "weeks are written in days, 14d"}},
		{name: "a list for one value", file: "base_url: [https://a.example.com, https://b.example.com]\n",
			want: []string{":1: base_url: takes one value, not a list"}},
		{name: "checked value from the file", file: "app_name: Portal\naddr: 4000\n",
			want: []string{":2: addr (PORTAL_ADDR): \"4000\" is not host:port", "127.0.0.1:4000"}},
		{name: "checked value from a flag", args: []string{"--addr=4000"},
			want: []string{"--addr (PORTAL_ADDR): \"4000\" is not host:port"}},
		{name: "port out of range", vars: map[string]string{"PORTAL_ADDR": ":99999"},
			want: []string{"PORTAL_ADDR", "the port must be a number from 0 to 65535"}},
		{name: "providers nested", file: "oauth:\n  github:\n    client_id: x\n",
			want: []string{":1: oauth: provider settings are flat keys", "oauth_github_client_id"}},
		{name: "sqlite path with a tilde", file: "database_url: sqlite:~/portal/portal.db\n",
			want: []string{"database_url (PORTAL_DATABASE_URL)", "~ is not expanded here", "sqlite:/home/portal/portal/portal.db"}},
		{name: "missing config file", vars: map[string]string{"PORTAL_CONFIG": "/nonexistent/portal.yaml"},
			want: []string{"PORTAL_CONFIG: open /nonexistent/portal.yaml", "give the path of a YAML file"}},
		{name: "missing config file by flag", args: []string{"--config=/nonexistent/portal.yaml"},
			want: []string{"--config: open /nonexistent/portal.yaml"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			vars := maps.Clone(c.vars)
			if c.file != "" {
				if vars == nil {
					vars = map[string]string{}
				}
				vars["PORTAL_CONFIG"] = writeFile(t, c.file)
			}
			mustFail(t, c.args, vars, c.want...)
		})
	}
	// A list setting takes a YAML list as before; the variable wins over
	// the file, and is named as the variable.
	file := writeFile(t, "allowed_redirect_origins: [https://a.example.com, https://b.example.com]\naddr: 4000\n")
	_, err := load(nil, map[string]string{"PORTAL_CONFIG": file})
	if err == nil || strings.Contains(err.Error(), "allowed_redirect_origins") {
		t.Errorf("a list for a list setting: %v", err)
	}
	mustFail(t, nil, map[string]string{"PORTAL_CONFIG": file, "PORTAL_ADDR": "4001"}, `config: PORTAL_ADDR: "4001" is not host:port`)
}
