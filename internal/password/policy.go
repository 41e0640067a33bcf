package password

import (
	"context"
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
	// Breaches, when set, refuses a password seen in a data breach, once
	// every local check passed (nil: no such check).
	Breaches BreachList
}

// BreachList tells whether a password was seen in a data breach. It fails
// open: false when it cannot tell. *Breaches is one.
type BreachList interface {
	Breached(ctx context.Context, password string) bool
}

// ErrBreached refuses a new password seen in a data breach; the Backend
// API answers it with Clerk's form_password_pwned.
var ErrBreached = invalid("This password has appeared in a data breach and can't be used. Please choose another.").
	T("error.password.breached").Coded("form_password_pwned")

// Check returns nil or an *apperr.Error for the "password" field explaining
// what to change. Lengths are counted in code points after NFC normalisation
// (REQ-PW-02). words are words the password must not contain, such as the
// email address's local part, the instance name and "portal"; words shorter
// than three characters are ignored, and an email address is reduced to its
// local part. Only a password every local check accepts is looked up in
// p.Breaches (ErrBreached), which may take a network round trip bounded by
// ctx.
func (p Policy) Check(ctx context.Context, password string, words ...string) error {
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
		return invalid(fmt.Sprintf("Your password must be at least %d characters.", minLen)).
			T("error.password.too_short", "Count", minLen).Coded("form_password_length_too_short")
	}
	if n > maxLen {
		return invalid(fmt.Sprintf("Your password can't be longer than %d characters.", maxLen)).
			T("error.password.too_long", "Count", maxLen).Coded("form_password_length_too_long")
	}
	if Common(pw) {
		// Clerk refuses such a password as seen in breaches (its Pwned
		// Passwords check holds every password on the common list), so a
		// relying app's mapping of its codes reads this one the same way.
		return invalid("This password is too common. Please choose another.").T("error.password.common").
			Coded("form_password_pwned")
	}
	lower := strings.ToLower(pw)
	if p.Words != nil {
		words = append(p.Words(), words...)
	}
	for _, w := range words {
		if local, _, ok := strings.Cut(w, "@"); ok {
			w = local
		}
		w = norm.NFC.String(strings.TrimSpace(w))
		if utf8.RuneCountInString(w) >= 3 && strings.Contains(lower, strings.ToLower(w)) {
			// Naming the word is safe: it is the user's own address or the
			// site's name, and it tells them exactly what to change.
			// Clerk's code for a password too easy to guess.
			return invalid(fmt.Sprintf("Your password can't contain \"%s\". Words from your email address or this site's name are easy to guess.", w)).
				T("error.password.contains", "Word", w).Coded("form_password_not_strong_enough")
		}
	}
	if p.Breached(ctx, pw) {
		return ErrBreached
	}
	return nil
}

// Breached reports whether password was seen in a data breach, by
// p.Breaches: false without one, or when the lookup fails.
func (p Policy) Breached(ctx context.Context, password string) bool {
	return p.Breaches != nil && p.Breaches.Breached(ctx, norm.NFC.String(password))
}

func invalid(msg string) *apperr.Error {
	return apperr.Field(apperr.Invalid, "password", msg)
}
