package password

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/portalhq/portal/internal/apperr"
)

// Minimum lengths from NIST 800-63B-4 §3.1.1.2 (REQ-PW-01, SECURITY.md T1): a
// password that is the only factor must be longer than one backed by MFA.
const (
	SingleFactorMinLength = 15
	MFAMinLength          = 8
	DefaultMaxLength      = 256
)

// MinLengthFor returns the minimum length for an account where a second factor
// is, or is not, mandatory.
func MinLengthFor(mfaRequired bool) int {
	if mfaRequired {
		return MFAMinLength
	}
	return SingleFactorMinLength
}

// Policy decides whether a new password is acceptable. It has no composition
// rules (REQ-PW-03): length, the blocklist and context words only.
type Policy struct {
	MinLength int // code points; <= 0 means SingleFactorMinLength
	MaxLength int // code points; <= 0 means DefaultMaxLength
	// Words, when set, gives words no password may contain on top of each
	// Check's context, read at each check: the app's name as the pages
	// show it (a theme's applicationName), which may change while the
	// portal runs.
	Words func() []string
}

// Check returns nil or an *apperr.Error for the "password" field explaining
// what to change. Lengths are counted in code points after NFC normalisation
// (REQ-PW-02). context holds words the password must not contain, such as the
// email address's local part, the instance name and "portal"; words shorter
// than three characters are ignored, and an email address is reduced to its
// local part.
func (p Policy) Check(password string, context ...string) error {
	if len(password) > MaxBytes {
		return ErrTooLong
	}
	pw := norm.NFC.String(password)
	n := utf8.RuneCountInString(pw)
	minLen, maxLen := p.MinLength, p.MaxLength
	if minLen <= 0 {
		minLen = SingleFactorMinLength
	}
	if maxLen <= 0 {
		maxLen = DefaultMaxLength
	}
	if n < minLen {
		return invalid(fmt.Sprintf("Your password must be at least %d characters.", minLen)).T("error.password.too_short", "Count", minLen)
	}
	if n > maxLen {
		return invalid(fmt.Sprintf("Your password can't be longer than %d characters.", maxLen)).T("error.password.too_long", "Count", maxLen)
	}
	if Common(pw) {
		return invalid("This password is too common. Please choose another.").T("error.password.common")
	}
	lower := strings.ToLower(pw)
	if p.Words != nil {
		context = append(p.Words(), context...)
	}
	for _, w := range context {
		if local, _, ok := strings.Cut(w, "@"); ok {
			w = local
		}
		w = norm.NFC.String(strings.TrimSpace(w))
		if utf8.RuneCountInString(w) >= 3 && strings.Contains(lower, strings.ToLower(w)) {
			// Naming the word is safe: it is the user's own address or the
			// site's name, and it tells them exactly what to change.
			return invalid(fmt.Sprintf("Your password can't contain \"%s\". Words from your email address or this site's name are easy to guess.", w)).T("error.password.contains", "Word", w)
		}
	}
	return nil
}

func invalid(msg string) *apperr.Error {
	return apperr.Field(apperr.Invalid, "password", msg)
}
