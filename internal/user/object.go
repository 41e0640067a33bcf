package user

import "time"

// Object is the user as the Backend API and webhooks show it, shaped like
// Clerk's user object (timestamps in milliseconds).
type Object struct {
	ID                    string           `json:"id"`
	Object                string           `json:"object"`
	FirstName             *string          `json:"first_name"`
	LastName              *string          `json:"last_name"`
	PrimaryEmailAddressID *string          `json:"primary_email_address_id"`
	PrimaryPhoneNumberID  *string          `json:"primary_phone_number_id"`
	ImageURL              string           `json:"image_url"`
	HasImage              bool             `json:"has_image"`
	EmailAddresses        []EmailObject    `json:"email_addresses"`
	PhoneNumbers          []PhoneObject    `json:"phone_numbers"`
	Username              *string          `json:"username"`
	ExternalAccounts      []ExternalObject `json:"external_accounts"`
	PasswordEnabled       bool             `json:"password_enabled"`
	TwoFactorEnabled      bool             `json:"two_factor_enabled"`
	TOTPEnabled           bool             `json:"totp_enabled"`
	BackupCodeEnabled     bool             `json:"backup_code_enabled"`
	Banned                bool             `json:"banned"`
	Locked                bool             `json:"locked"`
	PublicMetadata        map[string]any   `json:"public_metadata"`
	PrivateMetadata       map[string]any   `json:"private_metadata"`
	UnsafeMetadata        map[string]any   `json:"unsafe_metadata"`
	LastSignInAt          *int64           `json:"last_sign_in_at"`
	CreatedAt             int64            `json:"created_at"`
	UpdatedAt             int64            `json:"updated_at"`
}

// EmailObject is one email address in Object.
type EmailObject struct {
	ID           string             `json:"id"`
	Object       string             `json:"object"`
	EmailAddress string             `json:"email_address"`
	Verification *VerificationState `json:"verification"`
}

// PhoneObject is one phone number in Object.
type PhoneObject struct {
	ID           string             `json:"id"`
	Object       string             `json:"object"`
	PhoneNumber  string             `json:"phone_number"`
	Verification *VerificationState `json:"verification"`
}

// ExternalObject is one connected account in Object, shaped like Clerk's.
type ExternalObject struct {
	ID             string             `json:"id"`
	Object         string             `json:"object"`
	Provider       string             `json:"provider"` // "oauth_github"
	ProviderUserID string             `json:"provider_user_id"`
	EmailAddress   string             `json:"email_address"`
	FirstName      string             `json:"first_name"`
	LastName       string             `json:"last_name"`
	Username       *string            `json:"username"`
	AvatarURL      string             `json:"avatar_url"`
	Verification   *VerificationState `json:"verification"`
	CreatedAt      int64              `json:"created_at"`
	UpdatedAt      int64              `json:"updated_at"`
}

// VerificationState says whether and how an identifier was verified.
type VerificationState struct {
	Status   string `json:"status"`
	Strategy string `json:"strategy"`
}

// ToObject converts u for the API and webhooks at now.
func (u *User) ToObject(now time.Time) Object {
	o := Object{
		ID: u.ID, Object: "user",
		FirstName: nilIfEmpty(u.FirstName), LastName: nilIfEmpty(u.LastName),
		PrimaryEmailAddressID: nilIfEmpty(u.PrimaryEmailID),
		ImageURL:              u.ImageURL,
		HasImage:              u.ImageID != "",
		EmailAddresses:        []EmailObject{},
		PhoneNumbers:          []PhoneObject{},
		ExternalAccounts:      []ExternalObject{},
		Username:              nilIfEmpty(u.Username()),
		PasswordEnabled:       u.PasswordHash != "",
		TwoFactorEnabled:      u.HasSecondFactor(),
		TOTPEnabled:           u.TOTP,
		BackupCodeEnabled:     u.BackupCodes > 0,
		Banned:                u.Banned,
		Locked:                u.Locked(now),
		PublicMetadata:        map[string]any{}, PrivateMetadata: map[string]any{}, UnsafeMetadata: map[string]any{},
		CreatedAt: u.CreatedAt.UnixMilli(), UpdatedAt: u.UpdatedAt.UnixMilli(),
	}
	if p := u.PrimaryPhone(); p != "" {
		for _, i := range u.Identifiers {
			if i.Kind == Phone && i.Value == p {
				o.PrimaryPhoneNumberID = &i.ID
			}
		}
	}
	if u.LastSignInAt != nil {
		v := u.LastSignInAt.UnixMilli()
		o.LastSignInAt = &v
	}
	for _, x := range u.ExternalAccounts {
		o.ExternalAccounts = append(o.ExternalAccounts, ExternalObject{ID: x.ID, Object: "external_account",
			Provider: "oauth_" + x.Provider, ProviderUserID: x.Subject, EmailAddress: x.Email,
			FirstName: x.FirstName, LastName: x.LastName, Username: nilIfEmpty(x.Username), AvatarURL: x.AvatarURL,
			Verification: &VerificationState{Status: "verified", Strategy: "oauth_" + x.Provider},
			CreatedAt:    x.CreatedAt.UnixMilli(), UpdatedAt: x.UpdatedAt.UnixMilli()})
	}
	for _, i := range u.Identifiers {
		if i.Kind == Phone {
			p := PhoneObject{ID: i.ID, Object: "phone_number", PhoneNumber: i.Value,
				Verification: &VerificationState{Status: "unverified", Strategy: "phone_code"}}
			if i.Verified() {
				p.Verification.Status = "verified"
			}
			o.PhoneNumbers = append(o.PhoneNumbers, p)
		}
		if i.Kind != Email {
			continue
		}
		e := EmailObject{ID: i.ID, Object: "email_address", EmailAddress: i.Value,
			Verification: &VerificationState{Status: "unverified", Strategy: "email_code"}}
		if i.Verified() {
			e.Verification.Status = "verified"
		}
		o.EmailAddresses = append(o.EmailAddresses, e)
	}
	return o
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
