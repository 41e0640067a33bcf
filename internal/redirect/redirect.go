// Package redirect decides where the portal may send a browser after sign-in.
//
// A target is followed only when its origin (scheme, host and port) matches a
// configured pattern exactly (REQ-HDR-05). The raw string is judged before
// anything decodes it, and whatever a browser could read differently from Go's
// url.Parse — tabs and newlines it would strip, backslashes it would treat as
// slashes, escapes or "@" in the authority — is refused outright instead of
// being normalised, so the two parsers never disagree about the host
// (REQ-IN-06).
package redirect

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/portalhq/portal/internal/apperr"
)

// MaxLen bounds a redirect target; longer strings are refused unparsed.
const MaxLen = 2048

// RefusedMessage is what a person sees when a redirect target is refused.
const RefusedMessage = "This sign-in link points to a site that isn't allowed."

const acceptedForms = "accepted forms: https://app.example.com, https://app.example.com:8443, https://*.example.com (subdomains only), http://localhost:* (any port)"

// Policy holds the origins redirect targets may point to.
type Policy struct {
	patterns []pattern
	// allowed is the configured list as given, for the log line of a
	// refusal: the operator sees what the origin was compared with.
	allowed string
}

// origin is a canonical scheme, host and port; port is "" for the scheme's
// default so that https://a.com and https://a.com:443 compare equal.
type origin struct {
	scheme, host, port string
}

func (o origin) hostPort() string {
	if o.port == "" {
		return o.host
	}
	return o.host + ":" + o.port
}

func (o origin) String() string { return o.scheme + "://" + o.hostPort() }

type pattern struct {
	origin
	subdomains bool // host is the suffix after "*."; the apex itself does not match
	anyPort    bool
}

func (p pattern) matches(o origin) bool {
	if o.scheme != p.scheme {
		return false
	}
	if !p.anyPort && o.port != p.port {
		return false
	}
	if p.subdomains {
		// Labels are validated non-empty, so this needs at least one whole label
		// in front: "evilexample.com" and "example.com" both fail.
		return strings.HasSuffix(o.host, "."+p.host)
	}
	return o.host == p.host
}

// NewPolicy validates the configured origin patterns. Each entry is an exact
// origin (https://app.example.com), a subdomain wildcard (https://*.example.com)
// or a port wildcard (http://localhost:*). An empty list allows no app at all.
func NewPolicy(origins []string) (*Policy, error) {
	p := &Policy{}
	for i, s := range origins {
		pat, err := parsePattern(s)
		if err != nil {
			return nil, fmt.Errorf("redirect: allowed origin #%d %q %v; %s", i+1, s, err, acceptedForms)
		}
		p.patterns = append(p.patterns, pat)
	}
	p.allowed = strings.Join(origins, ",")
	return p, nil
}

func parsePattern(s string) (pattern, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return pattern{}, errors.New("is empty")
	}
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return pattern{}, errors.New("has no scheme")
	}
	if scheme != "http" && scheme != "https" {
		return pattern{}, errors.New("must use http or https")
	}
	rest = strings.TrimSuffix(rest, "/")
	for i := 0; i < len(rest); i++ {
		if c := rest[i]; c <= ' ' || c >= 0x7f || strings.IndexByte(`/?#@\%`, c) >= 0 {
			return pattern{}, errors.New("must be an origin only: no path, query, user info, escapes, spaces or non-ASCII (write international names as xn--…)")
		}
	}
	hostPart, port, err := splitHostPort(rest)
	if err != nil {
		return pattern{}, fmt.Errorf("has an %v", err)
	}
	pat := pattern{origin: origin{scheme: scheme}}
	if port == "*" {
		pat.anyPort = true
	} else if pat.port, ok = canonicalPort(scheme, port); !ok {
		return pattern{}, errors.New("has an invalid port (use 1-65535 or *)")
	}
	if h, ok := strings.CutPrefix(hostPart, "*."); ok {
		pat.subdomains = true
		hostPart = h
	}
	host, kind, ok := canonicalHost(hostPart)
	switch {
	case !ok:
		return pattern{}, errors.New("has an invalid host")
	case pat.subdomains && kind != domainHost:
		return pattern{}, errors.New(`needs a domain name after "*."`)
	case pat.subdomains && !strings.Contains(host, ".") && host != "localhost":
		return pattern{}, errors.New("is a wildcard over a whole top-level domain")
	}
	pat.host = host
	return pat, nil
}

// splitHostPort splits "host[:port]" or "[v6][:port]"; a colon must be
// followed by a port.
func splitHostPort(s string) (host, port string, err error) {
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return "", "", errors.New("unclosed IPv6 bracket")
		}
		host, rest := s[:end+1], s[end+1:]
		if rest == "" {
			return host, "", nil
		}
		if rest[0] != ':' || len(rest) == 1 {
			return "", "", errors.New("invalid port")
		}
		return host, rest[1:], nil
	}
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return s, "", nil
	}
	if i == len(s)-1 || strings.IndexByte(s[:i], ':') >= 0 {
		return "", "", errors.New("invalid port")
	}
	return s[:i], s[i+1:], nil
}

// canonicalPort returns port in decimal without leading zeros, or "" for the
// scheme's default port.
func canonicalPort(scheme, port string) (string, bool) {
	if port == "" {
		return "", true
	}
	if len(port) > 5 {
		return "", false
	}
	for i := 0; i < len(port); i++ {
		if port[i] < '0' || port[i] > '9' {
			return "", false
		}
	}
	n, _ := strconv.Atoi(port)
	if n < 1 || n > 65535 {
		return "", false
	}
	if (scheme == "http" && n == 80) || (scheme == "https" && n == 443) {
		return "", true
	}
	return strconv.Itoa(n), true
}

type hostKind int

const (
	domainHost hostKind = iota
	ipv4Host
	ipv6Host
)

// canonicalHost lowercases an ASCII host name, or canonicalises an IP literal
// (IPv6 keeps its brackets). Anything a browser would rewrite — trailing dots,
// empty labels, shorthand IPv4 like 127.1 or 0x7f.1 — is refused, because the
// string compared here must be the host the browser will actually contact.
func canonicalHost(h string) (string, hostKind, bool) {
	if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		a, err := netip.ParseAddr(h[1 : len(h)-1])
		// IPv4-mapped addresses are refused: browsers and Go spell them
		// differently, and no app needs one.
		if err != nil || !a.Is6() || a.Zone() != "" || a.Is4In6() {
			return "", 0, false
		}
		return "[" + a.String() + "]", ipv6Host, true
	}
	if h == "" || len(h) > 253 {
		return "", 0, false
	}
	h = strings.ToLower(h)
	labels := strings.Split(h, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 {
			return "", 0, false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return "", 0, false
			}
		}
	}
	if numericLabel(labels[len(labels)-1]) {
		// A browser parses any host ending in a number as IPv4.
		a, err := netip.ParseAddr(h)
		if err != nil || !a.Is4() || a.String() != h {
			return "", 0, false
		}
		return h, ipv4Host, true
	}
	return h, domainHost, true
}

func numericLabel(l string) bool {
	digits := "0123456789"
	if rest, ok := strings.CutPrefix(l, "0x"); ok {
		l, digits = rest, "0123456789abcdef"
		if l == "" {
			return true
		}
	}
	for i := 0; i < len(l); i++ {
		if strings.IndexByte(digits, l[i]) < 0 {
			return false
		}
	}
	return true
}

// Check returns raw parsed when it is an absolute http(s) URL whose origin
// the policy allows; otherwise an *apperr.Error with Code Invalid. The
// returned URL carries the canonical host (lowercase, default port dropped)
// with path, query and fragment as given.
func (p *Policy) Check(raw string) (*url.URL, error) {
	u, o, err := parseTarget(raw)
	if err != nil {
		return nil, refused(raw, err)
	}
	if !p.allows(o) {
		return nil, refused(raw, p.originRefused(o, false))
	}
	return u, nil
}

// CheckOrPortal is Check that also accepts targets on the portal itself: an
// absolute URL with portalBase's origin, or a path starting with a single "/"
// which is resolved against portalBase so the result is always absolute.
func (p *Policy) CheckOrPortal(raw string, portalBase *url.URL) (*url.URL, error) {
	if portalBase == nil {
		return p.Check(raw)
	}
	if strings.HasPrefix(raw, "/") {
		ref, err := parsePortalPath(raw)
		if err != nil {
			return nil, refused(raw, err)
		}
		return portalBase.ResolveReference(ref), nil
	}
	u, o, err := parseTarget(raw)
	if err != nil {
		return nil, refused(raw, err)
	}
	if base, ok := originOf(portalBase); (ok && o == base) || p.allows(o) {
		return u, nil
	}
	return nil, refused(raw, p.originRefused(o, true))
}

// allowedList says, for the log, which origins are allowed and where that
// is set, so that the developer whose app was refused (one on 127.0.0.1
// while localhost is allowed, say) sees what to change.
func (p *Policy) allowedList() string {
	if p.allowed == "" {
		return "PORTAL_ALLOWED_REDIRECT_ORIGINS is empty, which allows no app"
	}
	return "PORTAL_ALLOWED_REDIRECT_ORIGINS allows " + p.allowed
}

// Refusal is, for a developer, why a target was refused for its origin:
// the origin and the allowed origins as configured ("" for none).
type Refusal struct {
	Origin  string
	Allowed string
}

// originError is the reason of a refusal for the target's origin.
type originError struct {
	Refusal
	text string
}

func (e *originError) Error() string { return e.text }

// RefusalOf returns why err refused a target for its origin; false when
// err refused it for anything else (no URL, a relative one, a bad
// character) or is no refusal.
func RefusalOf(err error) (Refusal, bool) {
	var e *originError
	if errors.As(err, &e) {
		return e.Refusal, true
	}
	return Refusal{}, false
}

func (p *Policy) originRefused(o origin, portalToo bool) error {
	what := "is not allowed"
	if portalToo {
		what = "is neither the portal nor allowed"
	}
	return &originError{Refusal: Refusal{Origin: o.String(), Allowed: p.allowed},
		text: fmt.Sprintf("origin %s %s: %s%s", o, what, p.allowedList(), p.nearMiss(o))}
}

// nearMiss says, for the log line of a refusal, what an allowed origin
// differs from the refused one in when it is the same app but for its
// scheme, its loopback name or its port, the mistakes of a first
// integration; "" when no allowed origin is that close.
func (p *Policy) nearMiss(o origin) string {
	try := func(c origin) bool { return p.allows(c) }
	other := map[string]string{"http": "https", "https": "http"}[o.scheme]
	if c := (origin{other, o.host, o.port}); try(c) {
		return fmt.Sprintf("; %s is allowed, over %s:// and not %s://: open the app on %s or allow %s", c, other, o.scheme, c, o)
	}
	for _, alias := range []string{"localhost", "127.0.0.1", "[::1]"} {
		if alias == o.host || !loopbackHost(o.host) {
			continue
		}
		if c := (origin{o.scheme, alias, o.port}); try(c) {
			return fmt.Sprintf("; %s is allowed, and to a browser %s is another host than %s "+
				"(its own origin, its own cookies): open the app on %s or allow %s", c, o.host, alias, c, o)
		}
	}
	for _, pat := range p.patterns {
		if pat.scheme == o.scheme && !pat.subdomains && pat.host == o.host {
			return fmt.Sprintf("; %s is allowed, on another port: allow %s too, or %s://%s:* for any port", pat, o, o.scheme, o.host)
		}
	}
	return ""
}

// loopbackHost reports whether h names this machine: localhost, its
// subdomains, 127.0.0.0/8 or [::1].
func loopbackHost(h string) bool {
	if h == "localhost" || strings.HasSuffix(h, ".localhost") || h == "[::1]" {
		return true
	}
	ip, err := netip.ParseAddr(h)
	return err == nil && ip.IsLoopback()
}

// BeyondCookies returns the allowed origins, as configured, whose hosts the
// app cookies (__session, __client_uat) never reach: with cookieDomain
// empty they are host-only on portalHost, else on cookieDomain and its
// subdomains. An app there is sent back from sign-in without a token and,
// reading the browser as signed out, sends it to sign in again, round and
// round, unless it asks the portal for tokens another way (the front-end
// token endpoint).
func (p *Policy) BeyondCookies(portalHost, cookieDomain string) []string {
	portalHost = strings.ToLower(portalHost)
	d := strings.ToLower(strings.TrimPrefix(cookieDomain, "."))
	var out []string
	for _, pat := range p.patterns {
		covered := false
		switch {
		case d == "":
			covered = !pat.subdomains && pat.host == portalHost
		default:
			covered = pat.host == d || strings.HasSuffix(pat.host, "."+d)
		}
		if !covered {
			out = append(out, pat.String())
		}
	}
	return out
}

// OverPlainHTTP returns the allowed origins, as configured, served over
// http:// on a host that is not this machine's. A portal on https:// marks
// its cookies Secure, which browsers send over https:// and to loopback
// hosts alone: such an app never receives __session.
func (p *Policy) OverPlainHTTP() []string {
	var out []string
	for _, pat := range p.patterns {
		if pat.scheme == "http" && !loopbackHost(pat.host) {
			out = append(out, pat.String())
		}
	}
	return out
}

// String is the pattern as configured, in canonical form.
func (p pattern) String() string {
	host := p.host
	if p.subdomains {
		host = "*." + host
	}
	switch {
	case p.anyPort:
		host += ":*"
	case p.port != "":
		host += ":" + p.port
	}
	return p.scheme + "://" + host
}

func (p *Policy) allows(o origin) bool {
	for _, pat := range p.patterns {
		if pat.matches(o) {
			return true
		}
	}
	return false
}

func refused(raw string, reason error) *apperr.Error {
	shown := raw
	if len(shown) > 200 {
		shown = shown[:200] + "…"
	}
	return &apperr.Error{
		Code:    apperr.Invalid,
		Message: RefusedMessage,
		ID:      "error.redirect.refused",
		Err:     fmt.Errorf("redirect target %q refused: %w", shown, reason),
	}
}

// checkRaw refuses what browsers strip or reinterpret before parsing: every
// control character, space and backslash, anywhere in the string.
func checkRaw(raw string) error {
	switch {
	case raw == "":
		return errors.New("empty")
	case len(raw) > MaxLen:
		return fmt.Errorf("longer than %d bytes", MaxLen)
	case !utf8.ValidString(raw):
		return errors.New("not UTF-8")
	}
	for i := 0; i < len(raw); i++ {
		if c := raw[i]; c <= ' ' || c == 0x7f || c == '\\' {
			return fmt.Errorf("forbidden byte %#x at %d", c, i)
		}
	}
	return nil
}

func parseTarget(raw string) (*url.URL, origin, error) {
	if err := checkRaw(raw); err != nil {
		return nil, origin{}, err
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, origin{}, err
	}
	switch u.Scheme {
	case "http", "https":
	case "":
		// A relative URL ("dashboard"): the portal cannot tell which
		// app's it is.
		return nil, origin{}, errors.New("not an absolute URL: give the app's whole URL, https://app.example.com/…")
	default:
		return nil, origin{}, fmt.Errorf("scheme %q (only http and https)", u.Scheme)
	}
	if u.Opaque != "" || u.Host == "" || !strings.HasPrefix(raw[len(u.Scheme)+1:], "//") {
		return nil, origin{}, errors.New("not an absolute URL with a host")
	}
	if u.User != nil {
		return nil, origin{}, errors.New("user info")
	}
	// Judge the authority exactly as written: url.Parse has already decoded
	// escapes in u.Host, and a browser may decode them differently.
	auth := raw[len(u.Scheme)+3:]
	if end := strings.IndexAny(auth, "/?#"); end >= 0 {
		auth = auth[:end]
	}
	for i := 0; i < len(auth); i++ {
		c := auth[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._:[]", c) >= 0) {
			return nil, origin{}, fmt.Errorf("byte %#x in host", c)
		}
	}
	hostPart, port, err := splitHostPort(auth)
	if err != nil {
		return nil, origin{}, err
	}
	o := origin{scheme: u.Scheme}
	var ok bool
	if o.host, _, ok = canonicalHost(hostPart); !ok {
		return nil, origin{}, errors.New("invalid host")
	}
	if o.port, ok = canonicalPort(u.Scheme, port); !ok {
		return nil, origin{}, errors.New("invalid port")
	}
	u.Host = o.hostPort()
	return u, o, nil
}

func parsePortalPath(raw string) (*url.URL, error) {
	if err := checkRaw(raw); err != nil {
		return nil, err
	}
	if strings.HasPrefix(raw, "//") {
		return nil, errors.New("protocol-relative")
	}
	ref, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	if ref.Scheme != "" || ref.Host != "" || ref.User != nil || ref.Opaque != "" {
		return nil, errors.New("not a path")
	}
	// Decoded once, the path must still be a path: "/%2F%2Fevil.com" would
	// turn protocol-relative if anything downstream decoded it again.
	if strings.HasPrefix(ref.Path, "//") || strings.HasPrefix(ref.Path, `/\`) {
		return nil, errors.New("path decodes to protocol-relative")
	}
	return ref, nil
}

// originOf canonicalises u's origin; ok is false when u has no usable host.
func originOf(u *url.URL) (origin, bool) {
	o := origin{scheme: strings.ToLower(u.Scheme)}
	hostPart, port, err := splitHostPort(u.Host)
	if err != nil {
		return origin{}, false
	}
	var ok bool
	if o.host, _, ok = canonicalHost(hostPart); !ok {
		return origin{}, false
	}
	if o.port, ok = canonicalPort(o.scheme, port); !ok {
		return origin{}, false
	}
	return o, true
}

// Origin returns "scheme://host[:port]" for u, lowercase and without the
// scheme's default port — the form a browser sends in the Origin header, and
// the value the session token carries as azp.
func Origin(u *url.URL) string {
	if o, ok := originOf(u); ok {
		return o.String()
	}
	// Not a host this package would accept; still give a stable lowercase form.
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host)
}
