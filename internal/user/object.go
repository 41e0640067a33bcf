package user

import (
	"encoding/json"
	"net/url"
	"time"
)

// Object is the user as the Backend API and webhooks show it, shaped like
// Clerk's user object (timestamps in milliseconds) so that Clerk's SDKs
// decode it. Features the portal does not have yet (web3 wallets, SAML,
// TOTP, passkeys) appear empty or false.
type Object struct {
	ID                            string           `json:"id"`
	Object                        string           `json:"object"`
	ExternalID                    *string          `json:"external_id"`
	Username                      *string          `json:"username"`
	FirstName                     *string          `json:"first_name"`
	LastName                      *string          `json:"last_name"`
	ImageURL                      string           `json:"image_url"`
	HasImage                      bool             `json:"has_image"`
	PrimaryEmailAddressID         *string          `json:"primary_email_address_id"`
	PrimaryPhoneNumberID          *string          `json:"primary_phone_number_id"`
	PrimaryWeb3WalletID           *string          `json:"primary_web3_wallet_id"`
	PasswordEnabled               bool             `json:"password_enabled"`
	TwoFactorEnabled              bool             `json:"two_factor_enabled"`
	TOTPEnabled                   bool             `json:"totp_enabled"`
	BackupCodeEnabled             bool             `json:"backup_code_enabled"`
	EmailAddresses                []EmailObject    `json:"email_addresses"`
	PhoneNumbers                  []PhoneObject    `json:"phone_numbers"`
	Web3Wallets                   []any            `json:"web3_wallets"`
	Passkeys                      []any            `json:"passkeys"`
	ExternalAccounts              []ExternalObject `json:"external_accounts"`
	SAMLAccounts                  []any            `json:"saml_accounts"`
	PublicMetadata                json.RawMessage  `json:"public_metadata"`
	PrivateMetadata               json.RawMessage  `json:"private_metadata"`
	UnsafeMetadata                json.RawMessage  `json:"unsafe_metadata"`
	Banned                        bool             `json:"banned"`
	Locked                        bool             `json:"locked"`
	LockoutExpiresInSeconds       *int64           `json:"lockout_expires_in_seconds"`
	VerificationAttemptsRemaining *int64           `json:"verification_attempts_remaining"`
	DeleteSelfEnabled             bool             `json:"delete_self_enabled"`
	CreateOrganizationEnabled     bool             `json:"create_organization_enabled"`
	LastSignInAt                  *int64           `json:"last_sign_in_at"`
	LastActiveAt                  *int64           `json:"last_active_at"`
	LegalAcceptedAt               *int64           `json:"legal_accepted_at"`
	Locale                        *string          `json:"locale"` // BCP 47; null when unknown
	CreatedAt                     int64            `json:"created_at"`
	UpdatedAt                     int64            `json:"updated_at"`
}

// EmailObject is one email address in Object.
type EmailObject struct {
	ID           string             `json:"id"`
	Object       string             `json:"object"`
	EmailAddress string             `json:"email_address"`
	Reserved     bool               `json:"reserved"`
	Verification *VerificationState `json:"verification"`
	LinkedTo     []any              `json:"linked_to"`
}

// PhoneObject is one phone number in Object.
type PhoneObject struct {
	ID                      string             `json:"id"`
	Object                  string             `json:"object"`
	PhoneNumber             string             `json:"phone_number"`
	Reserved                bool               `json:"reserved"`
	ReservedForSecondFactor bool               `json:"reserved_for_second_factor"`
	DefaultSecondFactor     bool               `json:"default_second_factor"`
	Verification            *VerificationState `json:"verification"`
	LinkedTo                []any              `json:"linked_to"`
}

// ExternalObject is one connected account in Object, shaped like Clerk's.
type ExternalObject struct {
	ID               string             `json:"id"`
	Object           string             `json:"object"`
	Provider         string             `json:"provider"` // "oauth_github"
	IdentificationID string             `json:"identification_id"`
	ProviderUserID   string             `json:"provider_user_id"`
	ApprovedScopes   string             `json:"approved_scopes"`
	EmailAddress     string             `json:"email_address"`
	FirstName        string             `json:"first_name"`
	LastName         string             `json:"last_name"`
	Username         *string            `json:"username"`
	AvatarURL        string             `json:"avatar_url"`
	ImageURL         string             `json:"image_url"`
	PublicMetadata   json.RawMessage    `json:"public_metadata"`
	Label            *string            `json:"label"`
	Verification     *VerificationState `json:"verification"`
	CreatedAt        int64              `json:"created_at"`
	UpdatedAt        int64              `json:"updated_at"`
}

// VerificationState says whether and how an identifier was verified.
type VerificationState struct {
	Status   string `json:"status"`
	Strategy string `json:"strategy"`
	Attempts *int64 `json:"attempts"`
	ExpireAt *int64 `json:"expire_at"`
}

// Abilities are what the instance lets every user do on their own, which
// Clerk's user object reports per user: delete_self_enabled
// (PORTAL_ALLOW_ACCOUNT_DELETION) and create_organization_enabled
// (PORTAL_ORG_CREATION). An app reads them to offer the portal's pages.
type Abilities struct {
	DeleteSelf, CreateOrganization bool
}

// ToObject converts u for the API and webhooks at now, on an instance that
// allows users can.
func (u *User) ToObject(now time.Time, can Abilities) Object {
	o := Object{
		ID: u.ID, Object: "user",
		ExternalID: nilIfEmpty(u.ExternalID), Locale: nilIfEmpty(u.Locale),
		FirstName: nilIfEmpty(u.FirstName), LastName: nilIfEmpty(u.LastName),
		PrimaryEmailAddressID:     nilIfEmpty(u.PrimaryEmailID),
		ImageURL:                  u.ImageURL,
		HasImage:                  u.ImageID != "",
		EmailAddresses:            []EmailObject{},
		PhoneNumbers:              []PhoneObject{},
		Web3Wallets:               []any{},
		Passkeys:                  passkeyObjects(u.PasskeyList),
		ExternalAccounts:          []ExternalObject{},
		SAMLAccounts:              []any{},
		Username:                  nilIfEmpty(u.Username()),
		PasswordEnabled:           u.PasswordHash != "",
		TwoFactorEnabled:          u.HasSecondFactor(),
		TOTPEnabled:               u.TOTP,
		BackupCodeEnabled:         u.BackupCodes > 0,
		Banned:                    u.Banned,
		Locked:                    u.Locked(now),
		PublicMetadata:            orEmpty(u.PublicMetadata),
		PrivateMetadata:           orEmpty(u.PrivateMetadata),
		UnsafeMetadata:            orEmpty(u.UnsafeMetadata),
		DeleteSelfEnabled:         can.DeleteSelf,
		CreateOrganizationEnabled: can.CreateOrganization,
		CreatedAt:                 u.CreatedAt.UnixMilli(), UpdatedAt: u.UpdatedAt.UnixMilli(),
	}
	if !u.AdminLocked && u.Locked(now) {
		left := int64(u.LockedUntil.Sub(now).Seconds())
		o.LockoutExpiresInSeconds = &left
	}
	if p := u.PrimaryPhone(); p != "" {
		for _, i := range u.Identifiers {
			if i.Kind == Phone && i.Value == p {
				o.PrimaryPhoneNumberID = &i.ID
			}
		}
	}
	if u.LastActiveAt != nil {
		v := u.LastActiveAt.UnixMilli()
		o.LastActiveAt = &v
	}
	if u.LastSignInAt != nil {
		v := u.LastSignInAt.UnixMilli()
		o.LastSignInAt = &v
	}
	if u.LegalAcceptedAt != nil {
		v := u.LegalAcceptedAt.UnixMilli()
		o.LegalAcceptedAt = &v
	}
	for _, x := range u.ExternalAccounts {
		picture := webPicture(x.AvatarURL)
		o.ExternalAccounts = append(o.ExternalAccounts, ExternalObject{ID: x.ID, Object: "external_account",
			Provider: "oauth_" + x.Provider, IdentificationID: x.ID, ProviderUserID: x.Subject, EmailAddress: x.Email,
			FirstName: x.FirstName, LastName: x.LastName, Username: nilIfEmpty(x.Username), AvatarURL: picture,
			ImageURL: picture, PublicMetadata: emptyObject(),
			Verification: &VerificationState{Status: "verified", Strategy: "oauth_" + x.Provider},
			CreatedAt:    x.CreatedAt.UnixMilli(), UpdatedAt: x.UpdatedAt.UnixMilli()})
		if o.ImageURL == "" && picture != "" {
			o.ImageURL, o.HasImage = picture, true
		}
	}
	for _, i := range u.Identifiers {
		if i.Kind == Phone {
			p := PhoneObject{ID: i.ID, Object: "phone_number", PhoneNumber: i.Value, LinkedTo: []any{},
				Verification: &VerificationState{Status: "unverified", Strategy: "phone_code"}}
			if i.Verified() {
				p.Verification.Status = "verified"
				// The one number that receives second-factor codes is
				// both reserved for them and the default, as Clerk says.
				p.ReservedForSecondFactor = i.Value == u.SecondFactorPhone
				p.DefaultSecondFactor = p.ReservedForSecondFactor
			}
			o.PhoneNumbers = append(o.PhoneNumbers, p)
		}
		if i.Kind != Email {
			continue
		}
		e := EmailObject{ID: i.ID, Object: "email_address", EmailAddress: i.Value, LinkedTo: []any{},
			Verification: &VerificationState{Status: "unverified", Strategy: "email_code"}}
		if i.Verified() {
			e.Verification.Status = "verified"
		}
		o.EmailAddresses = append(o.EmailAddresses, e)
	}
	return o
}

// EmailAddress returns the email address with that ID, or nil.
func (o Object) EmailAddress(id string) *EmailObject {
	for i := range o.EmailAddresses {
		if o.EmailAddresses[i].ID == id {
			return &o.EmailAddresses[i]
		}
	}
	return nil
}

// PhoneNumber returns the phone number with that ID, or nil.
func (o Object) PhoneNumber(id string) *PhoneObject {
	for i := range o.PhoneNumbers {
		if o.PhoneNumbers[i].ID == id {
			return &o.PhoneNumbers[i]
		}
	}
	return nil
}

// DeletedObject is what user.deleted carries and DELETE answers, as Clerk.
type DeletedObject struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Deleted bool   `json:"deleted"`
}

func emptyObject() json.RawMessage { return json.RawMessage(`{}`) }

func orEmpty(m json.RawMessage) json.RawMessage {
	if len(m) == 0 {
		return emptyObject()
	}
	return m
}

func nilIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Deleted is the user.deleted payload, as Clerk sends it.
type Deleted struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Deleted bool   `json:"deleted"`
}

// PasskeyObject is one passkey in Object, shaped like Clerk's.
type PasskeyObject struct {
	ID           string             `json:"id"`
	Object       string             `json:"object"`
	Name         string             `json:"name"`
	LastUsedAt   *int64             `json:"last_used_at"`
	Verification *VerificationState `json:"verification"`
}

func passkeyObjects(list []PasskeyInfo) []any {
	out := make([]any, 0, len(list))
	for _, p := range list {
		o := PasskeyObject{ID: p.ID, Object: "passkey", Name: p.Name,
			Verification: &VerificationState{Status: "verified", Strategy: "passkey"}}
		if p.LastUsedAt != nil {
			v := p.LastUsedAt.UnixMilli()
			o.LastUsedAt = &v
		}
		out = append(out, o)
	}
	return out
}

// webPicture is a provider's picture as apps may use it in src and href
// attributes: an absolute http(s) URL with a host and no user info, else
// "". Pictures are checked when they arrive (oauth.Identity.Tidy); this
// also covers those stored before that check (REQ-HDR-05).
func webPicture(s string) string {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.Opaque != "" {
		return ""
	}
	return s
}
