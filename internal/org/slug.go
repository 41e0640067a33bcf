package org

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/id"
)

// Limits on what people type (REQ-IN-07).
const (
	MaxNameLen = 100 // characters
	MaxSlugLen = 64  // bytes; slugs are ASCII
)

// Slugify derives a slug from a name: lower-case ASCII letters and digits
// with single hyphens between words, accents dropped ("Café Ñu" → "cafe-nu").
// A name with nothing usable (only emoji or CJK) gets "org-" and a random
// tail, so every name has a slug.
func Slugify(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range norm.NFKD.String(name) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case r >= 'A' && r <= 'Z':
			b.WriteRune(unicode.ToLower(r))
			dash = false
		case unicode.Is(unicode.Mn, r): // combining accents left by NFKD
		default:
			if b.Len() > 0 && !dash {
				b.WriteByte('-')
				dash = true
			}
		}
		if b.Len() >= MaxSlugLen-8 { // room for a "-2"-style suffix a person may add
			break
		}
	}
	s := strings.Trim(b.String(), "-")
	if s == "" {
		return "org-" + strings.ToLower(id.Random(8))
	}
	return s
}

// CheckSlug validates a slug as typed. It never starts with "org_", so a
// handshake's organization_id can be an ID or a slug without ambiguity.
func CheckSlug(s string) error {
	bad := apperr.Field(apperr.Invalid, "slug",
		"Use lower-case letters, digits and hyphens, starting and ending with a letter or digit.").T("org.error.slug_format")
	if s == "" {
		return apperr.Field(apperr.Invalid, "slug", "Enter a slug.").T("org.error.slug_required")
	}
	if len(s) > MaxSlugLen {
		return apperr.Field(apperr.Invalid, "slug", fmt.Sprintf("Use at most %d characters.", MaxSlugLen)).T("org.error.slug_too_long", "Count", MaxSlugLen)
	}
	if s[0] == '-' || s[len(s)-1] == '-' {
		return bad
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return bad
		}
	}
	return nil
}

// CleanName trims a name and checks it is one line of at most MaxNameLen
// characters of valid text.
func CleanName(s string) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", apperr.Field(apperr.Invalid, "name", "Enter a name.").T("org.error.name_required")
	case !utf8.ValidString(s):
		return "", apperr.Field(apperr.Invalid, "name", "The name contains characters that can't be used.").T("org.error.name_characters")
	case utf8.RuneCountInString(s) > MaxNameLen:
		return "", apperr.Field(apperr.Invalid, "name", fmt.Sprintf("Use at most %d characters.", MaxNameLen)).T("org.error.name_too_long", "Count", MaxNameLen)
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return "", apperr.Field(apperr.Invalid, "name", "The name contains characters that can't be used.").T("org.error.name_characters")
		}
	}
	return s, nil
}
