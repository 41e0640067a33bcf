package user

import (
	"strings"

	"github.com/portalhq/portal/internal/apperr"
)

// Username rules: 4–64 characters of ASCII letters, digits, '_', '-' and
// '.', starting with a letter or digit. Usernames are unique regardless of
// case, so they are stored lower-cased.
const (
	UsernameMin = 4
	UsernameMax = 64
)

// NormalizeUsername validates s and returns its canonical (lower-case) form.
func NormalizeUsername(s string) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", apperr.Field(apperr.Invalid, "username", "Enter a username.").T("error.username.required")
	case len(s) < UsernameMin || len(s) > UsernameMax:
		return "", apperr.Field(apperr.Invalid, "username", "Usernames are 4 to 64 characters long.").T("error.username.length")
	}
	for i, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
			i > 0 && (r == '_' || r == '-' || r == '.')
		if !ok {
			return "", apperr.Field(apperr.Invalid, "username",
				"Use letters, digits and _ - . only, starting with a letter or digit.").T("error.username.characters")
		}
	}
	return strings.ToLower(s), nil
}
