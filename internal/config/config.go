// Package config loads the portal's settings from defaults, an optional YAML
// file, PORTAL_* environment variables and command-line flags, in that order
// of increasing precedence, and refuses unknown keys and unsafe values.
package config

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/portalhq/portal/internal/org"
	"github.com/portalhq/portal/internal/spelling"
)

const (
	Development = "development"
	Production  = "production"

	// Sign-up modes (PORTAL_SIGN_UP_MODE), Clerk's "public",
	// "restricted" (invite-only) and "waitlist" (invite-only, and people
	// may ask on /waitlist to be invited).
	SignUpPublic     = "public"
	SignUpRestricted = "restricted"
	SignUpWaitlist   = "waitlist"

	// PORTAL_ENUMERATION_PROTECTION: what the choices after the identifier
	// may reveal (see signin.Service.Strict).
	EnumerationStandard = "standard"
	EnumerationStrict   = "strict"

	// PORTAL_CAPTCHA_PROVIDER values.
	CaptchaTurnstile = "turnstile"
	CaptchaHCaptcha  = "hcaptcha"
)

// Config holds every setting. Zero values mean what the Settings table says
// (e.g. an empty Factors list means all factors that suit the identifiers).
type Config struct {
	File string // config file that was read, if any

	Addr                   string
	BaseURL                string // no trailing slash, so links are BaseURL + "/path"
	Env                    string
	AppName                string
	DatabaseURL            string
	AllowedRedirectOrigins []string
	CookieDomain           string
	SecretKey              string
	CookieSecret           string

	SMTPURL          string
	EmailFrom        string
	SMSProvider      string
	TwilioAccountSID string
	TwilioAuthToken  string
	TwilioFrom       string
	TwilioAPIURL     string

	// Bot protection on sign-up (Clerk's): CaptchaProvider is "" (off),
	// CaptchaTurnstile or CaptchaHCaptcha; empty URLs mean the provider's.
	CaptchaProvider  string
	CaptchaSiteKey   string
	CaptchaSecretKey string
	CaptchaVerifyURL string
	CaptchaScriptURL string
	// CaptchaOAuthBypass names the sign-in providers whose sign-ups skip
	// the check, as their settings name them (PORTAL_OAUTH_<NAME>_*,
	// PORTAL_OIDC_<NAME>_*); CaptchaBypass maps them to provider names.
	CaptchaOAuthBypass []string

	Identifiers                 []string
	SignUpFields                []string // shown on /sign-up; empty = identifiers, names, password
	SignUpRequired              []string // required on /sign-up; empty = identifiers and password
	PhoneRegion                 string   // default region for numbers without +country
	SMSCountries                []string // allowed SMS destinations (ISO codes); empty = all
	SignUpMode                  string   // SignUpPublic, SignUpRestricted or SignUpWaitlist
	EnumerationProtection       string   // EnumerationStandard or EnumerationStrict
	LegalConsent                bool     // sign-up needs the terms ticked (Clerk's express consent)
	TermsURL                    string   // the terms of service the consent box links to
	PrivacyURL                  string   // the privacy policy it links to
	Allowlist                   []string // PORTAL_ALLOWLIST entries; see Restrictions
	Blocklist                   []string
	BlockEmailSubaddresses      bool
	EmailLinkOtherDeviceSession bool
	SendLimitPerIdentifierHour  int
	SendLimitPerIdentifierDay   int
	SendLimitPerIPHour          int
	SendLimitPerIPDay           int
	SMSLimitPerMinute           int
	SMSLimitPerHour             int
	Factors                     []string
	SecondFactors               []string
	RequireMFA                  bool
	PersonalAccounts            bool
	Theme                       string

	WebhookURL          string
	WebhookSecret       string
	WebhookAllowPrivate bool
	// EventRetention is how long events and finished webhook deliveries
	// are kept; 0 keeps them for ever.
	EventRetention time.Duration

	SessionTokenTTL          time.Duration
	SessionMaxLifetime       time.Duration
	SessionInactivityTimeout time.Duration // 0 = off
	SessionTokenClaims       string        // JSON claims with shortcodes; empty = none
	SessionCookieHTTPOnly    bool
	PasswordMinLength        int
	PasswordMinLengthMFA     int
	PasswordBreachCheck      bool   // refuse passwords seen in data breaches (Pwned Passwords range API)
	PwnedPasswordsURL        string // base URL of that API, or of a mirror
	LockoutThreshold         int
	LockoutDuration          time.Duration
	NotifyNewSignIn          bool // email the owner of a sign-in from a browser new to the account (newdevice)
	TrustedProxies           []netip.Prefix

	LogLevel        string
	LogFormat       string
	HashConcurrency int // 0 = number of CPUs

	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	MaxBodyBytes      int64
	// ShutdownDelay is how long a portal told to stop goes on serving,
	// /readyz answering 503, before it stops taking connections; 0 = none.
	ShutdownDelay time.Duration

	PasskeyRPID              string   // empty = the base URL's host
	PasskeyOrigins           []string // empty = the base URL's origin
	PasskeysMax              int
	PasskeyPromptAfterSignUp bool
	ThemeCSS                 string // owner stylesheet path; empty = none
	DefaultLocale            string
	LocalesDir               string
	AllowAccountDeletion     bool

	OAuth map[string]OAuthProvider // by lower-case provider name, e.g. "github"
	OIDC  map[string]OIDCProvider  // by lower-case name

	OrgCreation       bool
	OrgCreationLimit  int // 0 = no limit
	OrgMaxMembers     int // 0 = no limit
	OrgRoles          *org.Roles
	OrgInvitationTTL  time.Duration
	OrgAfterCreateURL string // "" = the new organization's page
}

type OAuthProvider struct {
	ClientID, ClientSecret string
	TeamID, KeyID          string // Apple only
	PrivateKey             string // Apple only
	// Issuer replaces an OpenID provider's own issuer URL: a self-managed
	// GitLab's, or a stand-in's in tests. "" keeps the provider's.
	Issuer string
}

type OIDCProvider struct {
	Issuer, ClientID, ClientSecret string
	DisplayName, Icon              string
}

// Error lists every problem found, each naming its key and the fix.
type Error struct{ Problems []string }

func (e *Error) Error() string {
	if len(e.Problems) == 1 {
		return "config: " + e.Problems[0]
	}
	return fmt.Sprintf("config: %d problems:\n  - %s", len(e.Problems), strings.Join(e.Problems, "\n  - "))
}

type problems []string

func (p *problems) add(format string, a ...any) { *p = append(*p, fmt.Sprintf(format, a...)) }

// FromMap is Load from the settings in env and nothing else (no arguments,
// no process environment): for tests and programs that embed a portal.
func FromMap(env map[string]string) (*Config, error) {
	environ := make([]string, 0, len(env))
	for k, v := range env {
		environ = append(environ, k+"="+v)
	}
	return Load(nil, func(k string) string { return env[k] }, environ)
}

// Load builds the configuration. args are the arguments after the subcommand
// name; env reads a variable (os.Getenv); environ lists all of them
// (os.Environ) so unknown PORTAL_* names and per-provider keys can be found.
// An empty environment variable counts as unset. A -h/--help argument returns
// an error matching flag.ErrHelp; print Usage() then.
func Load(args []string, env func(string) string, environ []string) (*Config, error) {
	return loadChecked("portal serve", args, env, environ, (*Config).validate)
}

// LoadDatabase is Load for the commands that use the database and nothing
// else (portal migrate, backup, keys rotate): the settings are read the
// same way, and a value that does not parse or an unknown name is refused
// the same way, but of the checks only PORTAL_DATABASE_URL's are made, so
// such a command runs where only the database URL is set (a migration job
// in production, without the SMTP server and secrets serving needs).
// command names the command as it is typed ("portal migrate"), for the
// message about a flag it does not know.
func LoadDatabase(command string, args []string, env func(string) string, environ []string) (*Config, error) {
	return loadChecked(command, args, env, environ, func(c *Config) problems {
		var p problems
		c.validateDatabase(&p)
		return p
	})
}

func loadChecked(command string, args []string, env func(string) string, environ []string, validate func(*Config) problems) (*Config, error) {
	if env == nil {
		env = func(string) string { return "" }
	}
	settings := Settings()
	c := &Config{OAuth: map[string]OAuthProvider{}, OIDC: map[string]OIDCProvider{}}
	for _, s := range settings {
		if err := s.set(c, s.Default); err != nil {
			panic("config: bad default for " + s.Key + ": " + err.Error())
		}
	}

	var errs problems
	path, flagged, err := parseFlags(command, settings, args)
	if err != nil {
		return nil, err
	}
	named := "--config"
	if path == "" {
		path, named = env("PORTAL_CONFIG"), "PORTAL_CONFIG"
	}
	// origin says where each setting that the checks below name by its
	// variable was given, when that was not the variable: a file's line,
	// or a flag.
	origin := map[string]string{}
	if path != "" {
		c.File = path
		applyFile(c, settings, path, named, origin, &errs)
	}
	applyEnv(c, settings, env, environ, origin, &errs)
	for _, f := range flagged {
		if err := f.s.set(c, f.value); err != nil {
			errs.add("--%s: %v", f.s.Flag, err)
		}
		origin[f.s.Env] = "--" + f.s.Flag
	}

	if c.LogFormat == "" {
		c.LogFormat = "text"
		if c.Env == Production {
			c.LogFormat = "json"
		}
	}
	c.BaseURL = strings.TrimSuffix(c.BaseURL, "/")
	for _, p := range validate(c) {
		if name, rest, ok := strings.Cut(p, ": "); ok && origin[name] != "" {
			p = origin[name] + " (" + name + "): " + rest
		}
		errs = append(errs, p)
	}
	if len(errs) > 0 {
		return nil, &Error{Problems: errs}
	}
	return c, nil
}

type assignment struct {
	s     Setting
	value string
}

// parseFlags records flag values instead of applying them, because flags
// must win over the file and environment that are read afterwards. An
// unknown flag is answered with the nearest known one, or with command's
// own help, which lists the flags that command is meant to take.
func parseFlags(command string, settings []Setting, args []string) (string, []assignment, error) {
	fs := flag.NewFlagSet("portal", flag.ContinueOnError)
	fs.SetOutput(&bytes.Buffer{})
	fs.Usage = func() {}
	path := fs.String("config", "", "")
	var flagged []assignment
	for _, s := range settings {
		record := func(v string) error { flagged = append(flagged, assignment{s, v}); return nil }
		if s.isBool {
			fs.BoolFunc(s.Flag, s.Description, record)
		} else {
			fs.Func(s.Flag, s.Description, record)
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return "", nil, err
		}
		msg := err.Error()
		if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
			var names []string
			for _, s := range settings {
				names = append(names, "--"+s.Flag)
			}
			msg = "unknown flag --" + name + hintFor(command, "--"+name, append(names, "--config"))
		}
		return "", nil, &Error{Problems: []string{msg}}
	}
	if fs.NArg() > 0 {
		return "", nil, &Error{Problems: []string{fmt.Sprintf("unexpected argument %q (flags are written --name=value)", fs.Arg(0))}}
	}
	return *path, flagged, nil
}

func applyEnv(c *Config, settings []Setting, env func(string) string, environ []string, origin map[string]string, errs *problems) {
	known := map[string]bool{"PORTAL_CONFIG": true}
	for _, s := range settings {
		known[s.Env] = true
		if v := env(s.Env); v != "" {
			delete(origin, s.Env) // the variable wins over the file
			if err := s.set(c, v); err != nil {
				errs.add("%s: %v", s.Env, err)
			}
		}
	}
	var names []string
	for _, kv := range environ {
		// PORTAL_TEST_* belong to the test suite (e.g. PORTAL_TEST_POSTGRES_URL).
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "PORTAL_") && !known[name] &&
			!strings.HasPrefix(name, "PORTAL_TEST_") {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for _, name := range slices.Compact(names) {
		key := strings.TrimPrefix(name, "PORTAL_")
		if setProvider(c, key, env(name)) {
			continue
		}
		errs.add("unknown setting %s%s", name, hint(name, prefixAll("PORTAL_", candidates(settings, key))))
	}
}

func applyFile(c *Config, settings []Setting, path, named string, origin map[string]string, errs *problems) {
	data, err := os.ReadFile(path)
	if err != nil {
		errs.add("%s: %v (give the path of a YAML file of settings, or leave it unset)", named, err)
		return
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		errs.add("%s: %v", path, err)
		return
	}
	if len(doc.Content) == 0 {
		return
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		errs.add("%s: must be a mapping of setting: value", path)
		return
	}
	byKey := map[string]Setting{}
	for _, s := range settings {
		byKey[s.Key] = s
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		where := fmt.Sprintf("%s:%d: %s", path, k.Line, k.Value)
		if seen[k.Value] {
			errs.add("%s: set twice", where)
			continue
		}
		seen[k.Value] = true
		s, known := byKey[k.Value]
		if (k.Value == "oauth" || k.Value == "oidc") && v.Kind == yaml.MappingNode {
			errs.add("%s: provider settings are flat keys, one a line: %s_<name>_client_id: … (e.g. oauth_github_client_id, "+
				"oidc_corp_issuer)", where, k.Value)
			continue
		}
		if known && !s.isList && v.Kind == yaml.SequenceNode {
			errs.add("%s: takes one value, not a list", where)
			continue
		}
		val, err := yamlValue(v, known && s.Key == "org_roles")
		if err != nil {
			errs.add("%s: %v", where, err)
			continue
		}
		if known {
			if err := s.set(c, val); err != nil {
				errs.add("%s: %v", where, err)
			}
			origin[s.Env] = where
			continue
		}
		upper := strings.ToUpper(k.Value)
		if k.Value == strings.ToLower(k.Value) && setProvider(c, upper, val) {
			continue
		}
		// A key written as its variable (PORTAL_BASE_URL) or its flag
		// (base-url): say how YAML spells it.
		norm := strings.ReplaceAll(strings.TrimPrefix(strings.ToLower(k.Value), "portal_"), "-", "_")
		_, setting := byKey[norm]
		provider := strings.HasPrefix(norm, "oauth_") || strings.HasPrefix(norm, "oidc_")
		if norm != k.Value && (setting || provider) {
			errs.add("%s:%d: unknown setting %s (write %s: YAML keys are the variable names in lower case without PORTAL_)",
				path, k.Line, k.Value, norm)
			continue
		}
		var names []string
		for _, n := range candidates(settings, upper) {
			names = append(names, strings.ToLower(n))
		}
		errs.add("%s:%d: unknown setting %s%s", path, k.Line, k.Value, hint(k.Value, names))
	}
}

// yamlValue flattens a scalar or a list of scalars to the string form used
// by environment variables, so one parser serves every source.
func yamlValue(n *yaml.Node, allowMap bool) (string, error) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "", nil
		}
		return n.Value, nil
	case yaml.SequenceNode:
		var parts []string
		for _, e := range n.Content {
			if e.Kind != yaml.ScalarNode {
				return "", errors.New("list items must be plain values")
			}
			parts = append(parts, e.Value)
		}
		return strings.Join(parts, ","), nil
	case yaml.MappingNode:
		if !allowMap {
			break
		}
		// A mapping (org_roles: {org:billing: [org:invoices:read]}) reaches
		// its setting as JSON, which that setting's parser reads.
		var m map[string]any
		if err := n.Decode(&m); err != nil {
			return "", err
		}
		b, err := json.Marshal(m)
		return string(b), err
	}
	return "", errors.New("must be a value or a list of values")
}

// setProvider handles the per-provider keys (key without PORTAL_, upper
// case) and reports whether key was one of them.
func setProvider(c *Config, key, v string) bool {
	v = strings.TrimSpace(v)
	if rest, ok := strings.CutPrefix(key, "OAUTH_"); ok {
		name, field, ok := splitProvider(rest, oauthFields())
		if !ok {
			return false
		}
		p := c.OAuth[name]
		switch field {
		case "CLIENT_ID":
			p.ClientID = v
		case "CLIENT_SECRET":
			p.ClientSecret = v
		case "TEAM_ID":
			p.TeamID = v
		case "KEY_ID":
			p.KeyID = v
		case "PRIVATE_KEY":
			p.PrivateKey = v
		case "ISSUER":
			p.Issuer = v
		}
		c.OAuth[name] = p
		return true
	}
	if rest, ok := strings.CutPrefix(key, "OIDC_"); ok {
		name, field, ok := splitProvider(rest, oidcFields())
		if !ok {
			return false
		}
		p := c.OIDC[name]
		switch field {
		case "ISSUER":
			p.Issuer = v
		case "CLIENT_ID":
			p.ClientID = v
		case "CLIENT_SECRET":
			p.ClientSecret = v
		case "DISPLAY_NAME":
			p.DisplayName = v
		case "ICON":
			p.Icon = v
		}
		c.OIDC[name] = p
		return true
	}
	return false
}

func oauthFields() []string {
	return []string{"CLIENT_ID", "CLIENT_SECRET", "TEAM_ID", "KEY_ID", "PRIVATE_KEY", "ISSUER"}
}

func oidcFields() []string {
	return []string{"ISSUER", "CLIENT_ID", "CLIENT_SECRET", "DISPLAY_NAME", "ICON"}
}

func splitProvider(rest string, fields []string) (name, field string, ok bool) {
	for _, f := range fields {
		if n, found := strings.CutSuffix(rest, "_"+f); found && validName(n) {
			return strings.ToLower(n), f, true
		}
	}
	return "", "", false
}

func validName(n string) bool {
	return n != "" && n[0] != '_' && strings.Trim(n, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == ""
}

// candidates lists valid keys (upper case, without PORTAL_) near key,
// including per-provider keys built from key's own provider part.
func candidates(settings []Setting, key string) []string {
	var out []string
	for _, s := range settings {
		out = append(out, strings.TrimPrefix(s.Env, "PORTAL_"))
	}
	for prefix, fields := range map[string][]string{"OAUTH_": oauthFields(), "OIDC_": oidcFields()} {
		rest, ok := strings.CutPrefix(key, prefix)
		if !ok {
			continue
		}
		names := []string{rest}
		for i, r := range rest {
			if r == '_' && i > 0 {
				names = append(names, rest[:i])
			}
		}
		for _, n := range names {
			for _, f := range fields {
				out = append(out, prefix+n+"_"+f)
			}
		}
	}
	return out
}

func prefixAll(prefix string, names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = prefix + n
	}
	return out
}

// hint suggests the nearest valid name, or points at the help when nothing
// is close enough to be a plausible typo.
func hint(got string, valid []string) string { return hintFor("portal serve", got, valid) }

// hintFor is hint pointing at command's help.
func hintFor(command, got string, valid []string) string {
	best, bestD := spelling.Nearest(got, valid)
	if bestD < 0 || bestD > len(got)/2 {
		return " (see " + command + " --help for the list)"
	}
	return " (did you mean " + best + "?)"
}

// Dev reports whether the portal runs in development mode.
func (c *Config) Dev() bool { return c.Env == Development }

// InviteOnly reports whether only invited people may sign up: restricted
// and waitlist mode alike (the waitlist adds the page to ask for an
// invitation, nothing else).
func (c *Config) InviteOnly() bool {
	return c.SignUpMode == SignUpRestricted || c.SignUpMode == SignUpWaitlist
}

// Waitlist reports whether /waitlist takes addresses (waitlist mode).
func (c *Config) Waitlist() bool { return c.SignUpMode == SignUpWaitlist }

// Secure reports whether the portal is served over HTTPS, which decides the
// Secure cookie attribute and __Host- prefixes.
func (c *Config) Secure() bool { return strings.HasPrefix(c.BaseURL, "https://") }

// PublishableKey is the key Clerk's SDKs take to find the portal as
// their Frontend API: "pk_live_" and, in base64, the issuer (the base URL
// without its scheme) and "$". The SDK accepts only a name with a dot in
// it, so an instance on http://localhost has none (""). The SDK sends
// browsers to https:// on that name; an instance served over http:// is
// reached by the SDK's proxyUrl option (its base URL). "live" because
// Clerk's development keys start a development-browser exchange, which
// the portal does not speak; the key is public, as Clerk's are.
func (c *Config) PublishableKey() string {
	u, err := url.Parse(c.BaseURL)
	if err != nil || !strings.Contains(u.Hostname(), ".") {
		return ""
	}
	return "pk_live_" + base64.StdEncoding.EncodeToString([]byte(u.Host+strings.TrimSuffix(u.Path, "/")+"$"))
}

// BaseHost is the base URL's host name, without a port: the site people
// see the portal's pages on.
func (c *Config) BaseHost() string {
	u, err := url.Parse(c.BaseURL)
	if err != nil {
		return ""
	}
	return u.Hostname()
}

// SQLitePath returns the database file when DatabaseURL names SQLite.
func (c *Config) SQLitePath() (string, bool) { return strings.CutPrefix(c.DatabaseURL, "sqlite:") }
