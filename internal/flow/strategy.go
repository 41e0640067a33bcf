package flow

import (
	"context"

	"github.com/portalhq/portal/internal/user"
)

// Factor strategy names, as Clerk names them.
const (
	Password               = "password"
	EmailCode              = "email_code"
	EmailLink              = "email_link"
	PhoneCode              = "phone_code"
	ResetPasswordEmailCode = "reset_password_email_code"
	ResetPasswordPhoneCode = "reset_password_phone_code"
	Passkey                = "passkey"
	// Ticket is a Backend API sign-in token (internal/signintoken) used
	// from its link: a first factor, as Clerk's ticket strategy.
	Ticket = "ticket"
	// Second factors.
	TOTP       = "totp"
	BackupCode = "backup_code"
	// SecondFactorPhoneCode is the key second-factor text codes are kept
	// under, apart from a first-factor phone_code of the same flow: a code
	// sent for one step must not pass the other (REQ-OTP-03).
	SecondFactorPhoneCode = "second_factor_phone_code"
)

// Channel is how a strategy's secret travels.
func Channel(strategy string) string {
	switch strategy {
	case PhoneCode, ResetPasswordPhoneCode, SecondFactorPhoneCode:
		return "sms"
	}
	return "email"
}

// Input is what a person submitted to attempt a factor.
type Input struct {
	Password string
	Code     string
	// A passkey: the ceremony's challenge ID and the browser's
	// PublicKeyCredential as JSON.
	ChallengeID string
	Credential  []byte
}

// Meta describes the request, for sessions, send caps and logs.
type Meta struct {
	IP        string
	UserAgent string
}

// Strategy is one factor of a flow. Adding a factor (passkey, totp, …)
// means adding a Strategy; the flow code does not change.
type Strategy interface {
	Name() string
	// Offered reports whether the factor can be offered for this flow; u is
	// nil when the identifier names no account (the factor must then look
	// offered all the same wherever offering it would reveal that).
	Offered(f *Flow, u *user.User) bool
	// Prepare starts the factor, e.g. sends a code.
	Prepare(ctx context.Context, f *Flow, u *user.User, m Meta) error
	// Attempt checks the input; nil means the factor is verified.
	Attempt(ctx context.Context, f *Flow, u *user.User, in Input) error
}

// Notifier sends the messages flows need. purpose is "sign-in", "sign-up"
// or "reset-password".
type Notifier interface {
	SendCode(ctx context.Context, to, code, purpose string) error
	SendLink(ctx context.Context, to, link, purpose string) error
	SendSMSCode(ctx context.Context, to, code, purpose string) error
	// SendExistingAccount tells the owner of to that someone tried to sign up
	// with it, instead of telling the visitor the account exists.
	SendExistingAccount(ctx context.Context, to, locale string) error
	SendPasswordChanged(ctx context.Context, to, locale string) error
}
