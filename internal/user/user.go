// Package user is the domain of people and the identifiers they sign in with.
package user

import (
	"encoding/json"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/portalhq/portal/internal/apperr"
)

// User is a person with an account.
type User struct {
	ID             string
	FirstName      string
	LastName       string
	PasswordHash   string // PHC-encoded argon2id; empty when the account has no password
	PrimaryEmailID string
	PrimaryPhoneID string // "" = the first verified phone number
	Banned         bool
	FailedSignIns  int        // consecutive failed password attempts
	LockedUntil    *time.Time // set after too many failures
	LastSignInAt   *time.Time
	LastActiveAt   *time.Time // signed in or used a session; not by impersonation
	// LegalAcceptedAt is when the person agreed to the instance's legal
	// documents (PORTAL_LEGAL_CONSENT) or when the Backend API said they
	// did; nil otherwise.
	LegalAcceptedAt *time.Time
	CreatedAt       time.Time
	UpdatedAt       time.Time

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
	// PasswordCompromisedAt is when the operator marked the password as
	// compromised (Clerk's set_compromised); nil when it is not. A new
	// password clears it.
	PasswordCompromisedAt *time.Time
	// Locale is the user's language, a BCP 47 tag ("fr", "pt-BR"): the
	// language the person signed up in, or what the app set through the
	// Backend API; "" when unknown. Messages to the owner that someone
	// else may have caused are written in it (else in the instance's
	// default language).
	Locale string
	// LocaleChosen reports that Locale was chosen — on the account page,
	// or by the app through the Backend API — rather than recorded from
	// the browser that signed up. Only a chosen language also becomes
	// the language of the person's signed-in pages on a browser that has
	// chosen none.
	LocaleChosen bool
	// ImageID names the profile image, "" when there is none; ImageURL is
	// where the portal serves it (filled in by the store).
	ImageID  string
	ImageURL string

	Identifiers      []Identifier      // loaded with the user
	ExternalAccounts []ExternalAccount // loaded with the user

	// Passkeys and second factors, counted when the user is loaded.
	Passkeys          int
	PasskeyList       []PasskeyInfo // name and use of each, for the API's user object
	TOTP              bool          // an authenticator app is confirmed
	BackupCodes       int           // unused backup codes
	SecondFactorPhone string        // verified number (E.164) chosen for second-factor codes
}

// ErrNoUser answers an operation on a user ID that does not exist.
var ErrNoUser = apperr.New(apperr.NotFound, "No user with that ID exists.")

// HasSecondFactor reports whether the user enrolled a second factor. Backup
// codes alone are not one: they recover the others. Email never is
// (REQ-OTP-07).
func (u *User) HasSecondFactor() bool { return u.TOTP || u.SecondFactorPhone != "" }

// ExternalAccount is an account at an OAuth or OpenID provider connected to a
// user. It is identified by (Provider, Subject), never by email alone
// (REQ-OA-04). The provider's latest token set is kept apart, sealed
// (OAuthToken), and is not loaded with the user.
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

// OAuthToken is the latest token set a provider granted for an external
// account, as stored: the secrets (access, refresh and ID token) sealed
// with AES-256-GCM bound to the account's ID (package oauthtoken), beside
// what is not secret. It goes with its account.
type OAuthToken struct {
	ExternalAccountID string     `json:"external_account_id"`
	Sealed            string     `json:"sealed"`
	Scopes            []string   `json:"scopes,omitempty"`
	ExpiresAt         *time.Time `json:"expires_at,omitempty"` // nil: the provider did not say
	UpdatedAt         time.Time  `json:"updated_at"`
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

// PrimaryPhone returns the user's primary phone number (E.164): the one
// chosen, else the first verified one; "" when there is none.
func (u *User) PrimaryPhone() string {
	if i := u.Identifier(u.PrimaryPhoneID); i != nil && i.Kind == Phone && i.Verified() {
		return i.Value
	}
	for _, i := range u.Identifiers {
		if i.Kind == Phone && i.Verified() {
			return i.Value
		}
	}
	return ""
}

// Identifier returns the user's identifier with that ID, or nil.
func (u *User) Identifier(id string) *Identifier {
	if id == "" {
		return nil
	}
	for i := range u.Identifiers {
		if u.Identifiers[i].ID == id {
			return &u.Identifiers[i]
		}
	}
	return nil
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

// AccountName is what a password manager files the account's password
// under: the primary email address, else the username, else the primary
// phone number; "" when the account has none of them.
func (u *User) AccountName() string {
	for _, name := range []string{u.PrimaryEmail(), u.Username(), u.PrimaryPhone()} {
		if name != "" {
			return name
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

// PasswordCompromised reports whether the account's password is marked as
// compromised: signing in with it is refused until a new one is set.
func (u *User) PasswordCompromised() bool {
	return u.PasswordHash != "" && u.PasswordCompromisedAt != nil
}

// Locked reports whether sign-in is refused at now.
func (u *User) Locked(now time.Time) bool {
	return u.AdminLocked || u.LockedUntil != nil && now.Before(*u.LockedUntil)
}

// Allowed is false for a banned or admin-locked account, whatever factor
// is used (CanSignIn asks instead whether a way in is left).
func (u *User) Allowed() bool { return u.Standing().Allowed() }

// Standing is what decides whether an account may hold sessions, read on its
// own where loading the whole user would be waste (every token refresh).
type Standing struct {
	Banned      bool
	AdminLocked bool
}

// Standing is u's standing.
func (u *User) Standing() Standing { return Standing{Banned: u.Banned, AdminLocked: u.AdminLocked} }

// Allowed is false for a banned or admin-locked account.
func (s Standing) Allowed() bool { return !s.Banned && !s.AdminLocked }

// NormalizeEmail lower-cases an address for lookup and uniqueness.
// Validation happens earlier (notify.ValidAddress); this only canonicalises.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// SignInOptions are what an instance accepts at sign-in: the identifiers a
// person can type and the first factors ("password", "email_code",
// "email_link", "phone_code", "passkey").
type SignInOptions struct {
	Email, Phone, Username bool
	Factors                []string
}

// CanSignIn reports whether u keeps a way to sign in under o: a connected
// provider account, a passkey (discoverable: nothing to type), or an
// identifier to type together with a factor that works for the account.
// Removing a sign-in method — an email address, a phone number, a provider
// account, a passkey — must leave this true; this is the only such rule.
func (u *User) CanSignIn(o SignInOptions) bool {
	if len(u.ExternalAccounts) > 0 || u.Passkeys > 0 && slices.Contains(o.Factors, "passkey") {
		return true
	}
	email, phone := len(u.VerifiedEmails()) > 0, u.PrimaryPhone() != ""
	typed := o.Email && email || o.Phone && phone || o.Username && u.Username() != ""
	if !typed {
		return false
	}
	for _, f := range o.Factors {
		switch {
		case f == "password" && u.PasswordHash != "",
			(f == "email_code" || f == "email_link") && email,
			f == "phone_code" && phone:
			return true
		}
	}
	return false
}

// Without returns a copy of u without the identifier id, to ask whether the
// account could do without it.
func (u *User) Without(id string) *User {
	c := *u
	c.Identifiers = nil
	for _, i := range u.Identifiers {
		if i.ID != id {
			c.Identifiers = append(c.Identifiers, i)
		}
	}
	if c.PrimaryPhoneID == id {
		c.PrimaryPhoneID = ""
	}
	if c.PrimaryEmailID == id {
		c.PrimaryEmailID = ""
	}
	return &c
}

// Initials are up to two letters standing in for a missing profile image.
func (u *User) Initials() string {
	var out []rune
	for _, s := range []string{u.FirstName, u.LastName} {
		for _, r := range strings.TrimSpace(s) {
			out = append(out, unicode.ToUpper(r))
			break
		}
	}
	if len(out) == 0 {
		for _, r := range u.PrimaryEmail() {
			out = append(out, unicode.ToUpper(r))
			break
		}
	}
	return string(out)
}

// Image is a profile image as the portal stores and serves it: a square
// PNG it made itself from what was uploaded.
type Image struct {
	ID        string
	UserID    string
	PNG       []byte
	CreatedAt time.Time
}

// PasskeyInfo is what the user object says about one passkey.
type PasskeyInfo struct {
	ID         string // the credential ID, base64url
	Name       string
	CreatedAt  time.Time
	LastUsedAt *time.Time
}
