package flow

import (
	"strings"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/notify"
	"github.com/portalhq/portal/internal/phone"
	"github.com/portalhq/portal/internal/user"
)

// Identifiers are the kinds of identifier an instance accepts.
type Identifiers struct {
	Email    bool
	Phone    bool
	Username bool
	// Region is the default region for phone numbers typed without a
	// country code ("" requires the +country prefix).
	Region string
}

// Parse recognises what a person typed in the sign-in identifier field and
// returns its kind and canonical value.
func (ids Identifiers) Parse(raw string) (kind, value string, err error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", "", ids.enter()
	}
	switch {
	case strings.Contains(raw, "@"):
		if !ids.Email {
			break
		}
		v, err := notify.ValidAddress(raw)
		if err != nil {
			return "", "", apperr.Field(apperr.Invalid, "identifier", "Enter a valid email address, like name@example.com.").T("error.identifier.email_invalid")
		}
		return user.Email, user.NormalizeEmail(v), nil
	case ids.Phone && looksLikePhone(raw):
		n, err := phone.Parse(raw, ids.Region)
		if err != nil {
			if e, ok := apperr.As(err); ok {
				return "", "", apperr.Field(apperr.Invalid, "identifier", e.Message).T(e.ID, e.Args...)
			}
			return "", "", err
		}
		return user.Phone, n.E164, nil
	case ids.Username:
		v, err := user.NormalizeUsername(raw)
		if err != nil {
			if e, ok := apperr.As(err); ok {
				return "", "", apperr.Field(apperr.Invalid, "identifier", e.Message).T(e.ID, e.Args...)
			}
			return "", "", err
		}
		return user.Username, v, nil
	}
	return "", "", ids.enter()
}

// enter asks for the identifier when none, or nothing accepted, was typed.
func (ids Identifiers) enter() *apperr.Error {
	e := apperr.Field(apperr.Invalid, "identifier", "Enter your "+ids.Noun()+".")
	switch ids.Kinds() {
	case "phone":
		return e.T("error.identifier.phone")
	case "username":
		return e.T("error.identifier.username")
	case "email_phone":
		return e.T("error.identifier.email_phone")
	case "email_username":
		return e.T("error.identifier.email_username")
	case "phone_username":
		return e.T("error.identifier.phone_username")
	case "email_phone_username":
		return e.T("error.identifier.email_phone_username")
	}
	return e.T("error.identifier.email")
}

// Kinds names the accepted identifiers as a key for choosing a message:
// "email", "phone", "username", "email_phone", "email_username",
// "phone_username" or "email_phone_username" ("email" when none is on).
func (ids Identifiers) Kinds() string {
	var parts []string
	if ids.Email {
		parts = append(parts, "email")
	}
	if ids.Phone {
		parts = append(parts, "phone")
	}
	if ids.Username {
		parts = append(parts, "username")
	}
	if len(parts) == 0 {
		return "email"
	}
	return strings.Join(parts, "_")
}

// Noun names the accepted identifiers for labels and messages, e.g.
// "email address or username".
func (ids Identifiers) Noun() string {
	var parts []string
	if ids.Email {
		parts = append(parts, "email address")
	}
	if ids.Phone {
		parts = append(parts, "phone number")
	}
	if ids.Username {
		parts = append(parts, "username")
	}
	switch len(parts) {
	case 0:
		return "email address"
	case 1:
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " or " + parts[len(parts)-1]
}

// looksLikePhone: a leading + or a digit, then only what phone numbers are
// written with. Usernames may start with a digit, so the username rules
// decide for digit-only input without a + when both are enabled.
func looksLikePhone(s string) bool {
	if s == "" || !(s[0] == '+' || s[0] >= '0' && s[0] <= '9' || s[0] == '(') {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || strings.ContainsRune("+-(). ", r)) {
			return false
		}
	}
	return true
}
