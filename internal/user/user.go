// Package user is the domain of people and the identifiers they sign in with.
package user

import (
	"encoding/json"
	"strings"
	"time"
)

// User is a person with an account.
type User struct {
	ID             string
	FirstName      string
	LastName       string
	PasswordHash   string // PHC-encoded argon2id; empty when the account has no password
	PrimaryEmailID string
	Banned         bool
	FailedSignIns  int        // consecutive failed password attempts
	LockedUntil    *time.Time // set after too many failures
	LastSignInAt   *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time

	// Set through the Backend API. Metadata is a JSON object: public is
	// readable by the user's front end, private only by the app's backend,
	// unsafe is writable by the front end too (Clerk's three kinds).
	PublicMetadata  json.RawMessage
	PrivateMetadata json.RawMessage
	UnsafeMetadata  json.RawMessage
	ExternalID      string // the app's own ID for the user
	// AdminLocked is a lock set through the Backend API: unlike LockedUntil,
	// which only stops passwords, it stops every way of signing in until
	// unlocked.
	AdminLocked bool

	Identifiers      []Identifier      // loaded with the user
	ExternalAccounts []ExternalAccount // loaded with the user
}

// ExternalAccount is an account at an OAuth or OpenID provider connected to a
// user. It is identified by (Provider, Subject), never by email alone
// (REQ-OA-04). Provider tokens are not kept.
type ExternalAccount struct {
	ID            string
	UserID        string
	Provider      string // "github", "google", "oidc_corp", …
	Subject       string // the provider's user ID
	Email         string
	EmailVerified bool
	FirstName     string
	LastName      string
	Username      string
	AvatarURL     string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Identifier kinds.
const (
	Email    = "email_address"
	Phone    = "phone_number"
	Username = "username"
)

// Identifier is an email address or phone number that belongs to a user.
type Identifier struct {
	ID         string
	UserID     string
	Kind       string // Email or Phone
	Value      string // normalised: emails lower-cased, phones E.164
	VerifiedAt *time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Verified reports whether the identifier was verified.
func (i Identifier) Verified() bool { return i.VerifiedAt != nil }

// PrimaryEmail returns the user's primary email address, or "".
func (u *User) PrimaryEmail() string {
	for _, i := range u.Identifiers {
		if i.ID == u.PrimaryEmailID {
			return i.Value
		}
	}
	for _, i := range u.Identifiers {
		if i.Kind == Email {
			return i.Value
		}
	}
	return ""
}

// PrimaryPhone returns the user's first verified phone number (E.164), or "".
func (u *User) PrimaryPhone() string {
	for _, i := range u.Identifiers {
		if i.Kind == Phone && i.Verified() {
			return i.Value
		}
	}
	return ""
}

// Username returns the user's username, or "".
func (u *User) Username() string {
	for _, i := range u.Identifiers {
		if i.Kind == Username {
			return i.Value
		}
	}
	return ""
}

// Has reports whether the user has a verified identifier kind/value.
func (u *User) Has(kind, value string) bool {
	for _, i := range u.Identifiers {
		if i.Kind == kind && i.Value == value && (i.Verified() || kind == Username) {
			return true
		}
	}
	return false
}

// VerifiedEmails lists the user's verified email addresses, primary first.
func (u *User) VerifiedEmails() []string {
	var out []string
	for _, i := range u.Identifiers {
		if i.Kind == Email && i.Verified() {
			if i.ID == u.PrimaryEmailID {
				out = append([]string{i.Value}, out...)
			} else {
				out = append(out, i.Value)
			}
		}
	}
	return out
}

// FullName is "First Last" without stray spaces.
func (u *User) FullName() string {
	return strings.TrimSpace(u.FirstName + " " + u.LastName)
}

// Locked reports whether sign-in is refused at now.
func (u *User) Locked(now time.Time) bool {
	return u.AdminLocked || u.LockedUntil != nil && now.Before(*u.LockedUntil)
}

// CanSignIn is false for a banned or admin-locked account, whatever factor
// is used.
func (u *User) CanSignIn() bool { return !u.Banned && !u.AdminLocked }

// PrimaryPhoneID is the ID of the phone number PrimaryPhone returns, or "".
func (u *User) PrimaryPhoneID() string {
	for _, i := range u.Identifiers {
		if i.Kind == Phone && i.Verified() {
			return i.ID
		}
	}
	return ""
}

// NormalizeEmail lower-cases an address for lookup and uniqueness.
// Validation happens earlier (notify.ValidAddress); this only canonicalises.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
