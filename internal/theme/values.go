package theme

import (
	"net"
	"net/url"
	"strconv"
	"strings"
	"unicode"
)

// kind is how a value is checked. Each check returns the value in the one
// spelling that is written out, so what reaches CSS is what was checked.
type kind struct {
	check   func(v string, dev bool) (string, bool)
	accepts string // said in the error when a value is refused
}

var (
	colorKind = kind{func(v string, _ bool) (string, bool) {
		s, _, ok := parseColor(v)
		return s, ok
	}, colorAccepts}
	lengthKind = kind{func(v string, _ bool) (string, bool) { return parseLength(v) },
		"a length: a number with px, rem, em or % (e.g. 0.5rem, 12px), or 0"}
	fontKind = kind{func(v string, _ bool) (string, bool) { return parseFontFamily(v) },
		`a font-family list: family names, quoted ("Segoe UI") or bare (Roboto, sans-serif), separated by commas; letters, digits, spaces, - _ . only`}
	weightKind = kind{func(v string, _ bool) (string, bool) { return parseWeight(v) },
		"a font weight: a whole number from 1 to 1000 (400 is regular, 700 bold), normal, bold, lighter or bolder"}
	urlKind = kind{parseURL,
		"an absolute https:// URL (http://localhost is accepted in development) without spaces, quotes or < > \\ ; { }"}
	// logoURLKind is urlKind, telling an owner who gave a file where a
	// file goes.
	logoURLKind = kind{parseURL, urlKind.accepts + "; for a file on this machine, use logoImageFile: path/to/logo.svg"}
	fileKind    = kind{func(v string, _ bool) (string, bool) { return parsePath(v) }, logoAccepts}
	textKind    = kind{func(v string, _ bool) (string, bool) { return parseText(v) },
		"plain text of up to 100 characters, without control characters"}
	boolKind = kind{func(v string, _ bool) (string, bool) {
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		return strconv.FormatBool(b), err == nil
	}, "true or false"}
)

func enumKind(values ...string) kind {
	return kind{func(v string, _ bool) (string, bool) {
		v = strings.TrimSpace(v)
		for _, ok := range values {
			if v == ok {
				return v, true
			}
		}
		return "", false
	}, "one of " + strings.Join(values, ", ")}
}

// parseLength accepts a plain decimal with a unit; no calc(), var() or
// exponent, so nothing but a length can come through.
func parseLength(v string) (string, bool) {
	s := strings.ToLower(strings.TrimSpace(v))
	if s == "0" {
		return s, true
	}
	for _, unit := range []string{"px", "rem", "em", "%"} {
		if num, ok := strings.CutSuffix(s, unit); ok {
			n, ok := parseNumber(num)
			if !ok || n.unit != "" || n.v < 0 || n.v > 10000 || strings.ContainsAny(num, "+-") {
				return "", false
			}
			return s, true
		}
	}
	return "", false
}

// parseFontFamily accepts a comma-separated list of family names, each
// quoted or a run of CSS identifiers. Quotes inside a name, backslashes,
// and every character with a meaning in CSS syntax are refused.
func parseFontFamily(v string) (string, bool) {
	if len(v) > 300 {
		return "", false
	}
	var out []string
	for _, part := range strings.Split(v, ",") {
		name := strings.TrimSpace(part)
		if name == "" {
			return "", false
		}
		if q := name[0]; q == '"' || q == '\'' {
			inner, ok := strings.CutSuffix(name[1:], string(q))
			if !ok || strings.TrimSpace(inner) == "" || !fontChars(inner, true) {
				return "", false
			}
			out = append(out, string(q)+strings.Join(strings.Fields(inner), " ")+string(q))
			continue
		}
		words := strings.Fields(name)
		for _, w := range words {
			if !ident(w) {
				return "", false
			}
		}
		out = append(out, strings.Join(words, " "))
	}
	if len(out) > 12 {
		return "", false
	}
	return strings.Join(out, ", "), true
}

func fontChars(s string, spaces bool) bool {
	for _, r := range s {
		switch {
		case unicode.IsLetter(r), unicode.IsDigit(r), r == '-', r == '_', r == '.' && spaces:
		case r == ' ' && spaces:
		default:
			return false
		}
	}
	return true
}

// ident is a CSS identifier without escapes: it may not start with a digit,
// nor with a hyphen followed by a digit.
func ident(w string) bool {
	if !fontChars(w, false) {
		return false
	}
	first := []rune(w)
	if unicode.IsDigit(first[0]) || (first[0] == '-' && (len(first) == 1 || unicode.IsDigit(first[1]))) {
		return false
	}
	return true
}

func parseWeight(v string) (string, bool) {
	s := strings.ToLower(strings.TrimSpace(v))
	switch s {
	case "normal", "bold", "lighter", "bolder":
		return s, true
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 1000 || strconv.Itoa(n) != s {
		return "", false
	}
	return s, true
}

// parseURL accepts absolute https URLs to a plain host name or IP address;
// in development also http to a loopback host, for an owner trying things
// locally. The characters refused here could end an HTML attribute or a
// CSS token if a URL were ever put into one.
func parseURL(v string, dev bool) (string, bool) {
	s := strings.TrimSpace(v)
	if s == "" || len(s) > 2048 || strings.ContainsAny(s, " \t\r\n\"'<>\\;{}`") ||
		strings.Contains(s, "/*") || strings.Contains(strings.ToLower(s), "url(") {
		return "", false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r > unicode.MaxASCII {
			return "", false
		}
	}
	u, err := url.Parse(s)
	if err != nil || u.User != nil || u.Opaque != "" || u.Host == "" {
		return "", false
	}
	host := u.Hostname()
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && dev && loopback(host):
	default:
		return "", false
	}
	if !hostName(host) {
		return "", false
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return "", false
		}
	}
	return s, true
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// hostName is a DNS name or an IP address, nothing a browser would read
// differently from Go.
func hostName(h string) bool {
	if net.ParseIP(h) != nil {
		return true
	}
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.ToLower(h), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

func parseText(v string) (string, bool) {
	s := strings.TrimSpace(v)
	if len([]rune(s)) > 100 {
		return "", false
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return "", false
		}
	}
	return s, true
}

// parsePath accepts a file path: what the file holds is checked when it
// is read.
func parsePath(v string) (string, bool) {
	s := strings.TrimSpace(v)
	if s == "" || len(s) > 4096 {
		return "", false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return "", false
		}
	}
	return s, true
}
