// Package user is the domain of people and the identifiers they sign in with.
package user

import (
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

	Identifiers []Identifier // loaded with the user
}

// Identifier kinds.
const (
	Email = "email_address"
	Phone = "phone_number"
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

// FullName is "First Last" without stray spaces.
func (u *User) FullName() string {
	return strings.TrimSpace(u.FirstName + " " + u.LastName)
}

// Locked reports whether sign-in is refused at now.
func (u *User) Locked(now time.Time) bool {
	return u.LockedUntil != nil && now.Before(*u.LockedUntil)
}

// NormalizeEmail lower-cases an address for lookup and uniqueness.
// Validation happens earlier (notify.ValidAddress); this only canonicalises.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
