package signin

import (
	"context"
	"net/url"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/user"
)

// CodeStrategy signs in (or starts a password reset) with a 6-digit code
// sent by email or text message, depending on Strategy.
type CodeStrategy struct {
	Strategy string // flow.EmailCode, PhoneCode, ResetPasswordEmailCode or ResetPasswordPhoneCode
	Codes    *flow.Codes
	Store    flow.CodeStore
	Notifier flow.Notifier
}

func (s *CodeStrategy) Name() string { return s.Strategy }

func (s *CodeStrategy) sms() bool { return flow.Channel(s.Strategy) == "sms" }

// Offered when the account has somewhere to send the code; for an unknown
// account, when the identifier itself could receive it (so the steps look
// the same as for an account that has only what was typed).
func (s *CodeStrategy) Offered(f *flow.Flow, u *user.User) bool {
	if s.sms() {
		return u == nil && f.Data.IdentifierKind == user.Phone || PhoneTarget(f, u) != ""
	}
	return u == nil && f.Data.IdentifierKind == user.Email || EmailTarget(f, u) != ""
}

// Prepare issues a code. For an unknown account the code is recorded (so
// cooldowns and caps behave the same) but sent nowhere.
func (s *CodeStrategy) Prepare(ctx context.Context, f *flow.Flow, u *user.User, m flow.Meta) error {
	to := EmailTarget(f, u)
	if s.sms() {
		to = PhoneTarget(f, u)
	}
	recordAs := to
	if recordAs == "" {
		recordAs = f.Identifier
	}
	code, err := s.Codes.Issue(ctx, s.Store, f.ID, s.Strategy, recordAs, m.IP)
	if err != nil || to == "" {
		return err
	}
	purpose := "sign-in"
	if s.Strategy == flow.ResetPasswordEmailCode || s.Strategy == flow.ResetPasswordPhoneCode {
		purpose = "reset-password"
	}
	if s.sms() {
		err = s.Notifier.SendSMSCode(ctx, to, code, purpose)
	} else {
		err = s.Notifier.SendCode(ctx, to, code, purpose)
	}
	if err != nil {
		_ = s.Codes.Cancel(ctx, s.Store, f.ID, s.Strategy) // unsent: no cooldown, no cap
	}
	return err
}

func (s *CodeStrategy) Attempt(ctx context.Context, f *flow.Flow, _ *user.User, in flow.Input) error {
	_, err := s.Codes.Check(ctx, s.Store, f.ID, s.Strategy, in.Code)
	return err
}

// LinkStrategy signs in with a link sent by email (a magic link). The link
// is confirmed on its own page (ConfirmLink), not attempted with input.
type LinkStrategy struct {
	Codes    *flow.Codes
	Store    flow.CodeStore
	Notifier flow.Notifier
	BaseURL  string // links are built from the configured URL, never the request (REQ-OTP-08)
}

func (s *LinkStrategy) Name() string { return flow.EmailLink }

func (s *LinkStrategy) Offered(f *flow.Flow, u *user.User) bool {
	return u == nil && f.Data.IdentifierKind == user.Email || EmailTarget(f, u) != ""
}

// Reaches is what Service.Strict offers: a code or link on channel ("email"
// or "sms") after an identifier of kind was typed. An email address is sent
// emails and a phone number texts, whether or not an account has them; a
// username reaches the account's own address and number, when it has them.
// Offering an account's other address or number instead would tell a
// visitor that the account exists and what it holds (REQ-RL-05).
func Reaches(kind, channel string) bool {
	switch kind {
	case user.Username:
		return true
	case user.Phone:
		return channel == "sms"
	default:
		return channel == "email"
	}
}

func (s *LinkStrategy) Prepare(ctx context.Context, f *flow.Flow, u *user.User, m flow.Meta) error {
	to := EmailTarget(f, u)
	recordAs := to
	if recordAs == "" {
		recordAs = f.Identifier
	}
	tok, err := s.Codes.IssueLink(ctx, s.Store, f.ID, flow.EmailLink, recordAs, m.IP)
	if err != nil || to == "" {
		return err
	}
	if err := s.Notifier.SendLink(ctx, to, LinkURL(s.BaseURL, tok), "sign-in"); err != nil {
		_ = s.Codes.Cancel(ctx, s.Store, f.ID, flow.EmailLink)
		return err
	}
	return nil
}

// ErrOpenLink answers an attempt to type something for a link.
var ErrOpenLink = apperr.New(apperr.Invalid, "Open the link in the email we sent you to continue.").T("error.signin.open_link")

func (s *LinkStrategy) Attempt(context.Context, *flow.Flow, *user.User, flow.Input) error {
	return ErrOpenLink
}

// LinkURL is the address an email link points to.
func LinkURL(base, token string) string {
	return base + "/v1/verify?token=" + url.QueryEscape(token)
}

// EmailTarget is where an email factor of the flow is sent: the typed
// address when the account owns it verified, else its primary verified one.
func EmailTarget(f *flow.Flow, u *user.User) string {
	if u == nil {
		return ""
	}
	if f.Data.IdentifierKind == user.Email && u.Has(user.Email, f.Identifier) {
		return f.Identifier
	}
	if e := u.VerifiedEmails(); len(e) > 0 {
		return e[0]
	}
	return ""
}

// PhoneTarget is where a text factor of the flow is sent: only ever a
// number the account has verified (REQ-OTP-06).
func PhoneTarget(f *flow.Flow, u *user.User) string {
	if u == nil {
		return ""
	}
	if f.Data.IdentifierKind == user.Phone && u.Has(user.Phone, f.Identifier) {
		return f.Identifier
	}
	return u.PrimaryPhone()
}
