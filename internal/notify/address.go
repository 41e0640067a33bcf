package notify

import (
	"errors"
	"net/mail"
	"strings"

	"github.com/portalhq/portal/internal/apperr"
)

const (
	maxAddressLen = 254 // RFC 5321 path limit less the angle brackets
	maxLocalLen   = 64
	maxLabelLen   = 63
)

// ValidAddress trims s, lowercases its domain and checks that it is one plain
// address a person can sign up with (REQ-IN-07). It is stricter than
// net/mail on purpose: quoted local parts, comments, display names, domain
// literals and non-ASCII are refused, so the string stored is exactly what
// the SMTP envelope will carry (REQ-IN-06). The local part keeps its case;
// whether to fold it is the caller's canonicalisation decision.
func ValidAddress(s string) (string, error) {
	s = strings.TrimSpace(s)
	if err := checkAddress(s); err != nil {
		return "", &apperr.Error{
			Code:    apperr.Invalid,
			Field:   "email_address",
			Message: "Enter an email address like name@example.com.",
			Err:     err,
		}
	}
	at := strings.LastIndexByte(s, '@')
	return s[:at] + "@" + strings.ToLower(s[at+1:]), nil
}

func checkAddress(s string) error {
	if s == "" {
		return errors.New("empty")
	}
	if len(s) > maxAddressLen {
		return errors.New("too long")
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return errors.New("space, control or non-ASCII character")
		}
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return err
	}
	// Anything net/mail had to unquote, or read as a name or comment,
	// comes back different.
	if a.Name != "" || a.Address != s {
		return errors.New("not a bare address")
	}
	at := strings.LastIndexByte(s, '@')
	if at < 1 || at > maxLocalLen {
		return errors.New("local part length")
	}
	return checkDomain(strings.ToLower(s[at+1:]))
}

func checkDomain(d string) error {
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return errors.New("domain has no dot")
	}
	for _, l := range labels {
		if l == "" || len(l) > maxLabelLen || l[0] == '-' || l[len(l)-1] == '-' {
			return errors.New("bad domain label")
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return errors.New("bad domain character")
			}
		}
	}
	if tld := labels[len(labels)-1]; strings.Trim(tld, "0123456789") == "" {
		return errors.New("numeric top-level domain")
	}
	return nil
}
