package handlers

import (
	"errors"
	"log/slog"

	"github.com/labstack/echo/v4"

	"github.com/portalhq/portal/internal/account"
	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/signin"
)

// Steps an authentication attempt belongs to, as logged.
const (
	stepFirstFactor  = "first_factor"
	stepSecondFactor = "second_factor"
	stepSignUp       = "sign_up_verification"
	stepReverify     = "reverification" // before a sensitive change (REQ-SES-06)
	// The current password asked on /user/password (REQ-PW-07).
	stepPasswordChange = "password_change"
	// The password asked before deleting an organization.
	stepOrgDeletion = "organization_deletion"
	// A password the relying app's backend asked the Backend API to check
	// (POST /v1/users/{id}/verify_password).
	stepBackendAPI = "backend_api"
	// A code or link proving a new email address or phone number.
	stepIdentifier = "identifier_verification"
	// The first code from an authenticator app being set up.
	stepEnrollment = "factor_enrollment"
	// A code proving an address at an organization's domain.
	stepDomain = "domain_verification"
)

// loggedFactors are the strategy names an attempt is logged under; anything else
// a form sent is logged as "other", so the log never carries what a visitor
// typed (REQ-LOG-01 encode log data).
var loggedFactors = map[string]bool{
	flow.Password: true, flow.EmailCode: true, flow.EmailLink: true, flow.PhoneCode: true,
	flow.ResetPasswordEmailCode: true, flow.ResetPasswordPhoneCode: true, flow.Passkey: true,
	flow.Ticket: true, flow.TOTP: true, flow.BackupCode: true, "oauth": true,
}

// logAttempt records one authentication attempt (REQ-LOG-01): the step,
// the factor, whether it passed and, when it did not, the error's code —
// never the identifier typed, the secret, or the error's text, which may
// quote input. userID is the account the flow names, "" when none does.
func (a *app) logAttempt(c echo.Context, step, factor, userID string, err error) {
	if !loggedFactors[factor] {
		factor = "other"
	}
	ctx := c.Request().Context()
	attrs := []slog.Attr{
		slog.String("step", step),
		slog.String("factor", factor),
		slog.String("outcome", "succeeded"),
		slog.String("user_id", userID),
		slog.String("ip", RealIP(c).String()),
		slog.String("request_id", RequestIDFrom(ctx)),
	}
	if err != nil {
		reason := string(apperr.CodeOf(err))
		switch {
		case err == signin.ErrPasswordCompromised, err == account.ErrPasswordCompromised:
			// The right password, refused because it is marked (Clerk's
			// sign_in.password.compromised).
			reason = "password_compromised"
		case err == signin.ErrPasswordBreached:
			// The right password, found in a data breach (Pwned
			// Passwords) and marked as compromised just now.
			reason = "password_breached"
		case errors.Is(err, signin.ErrPasswordLocked):
			// Refused unchecked: failed attempts (or the operator) locked
			// the account. The visitor is told what a wrong password is.
			reason = "locked"
		case errors.Is(err, signin.ErrPasswordBanned):
			reason = "banned"
		case reason == "":
			reason = "internal"
		}
		attrs[2] = slog.String("outcome", "failed")
		attrs = append(attrs, slog.String("reason", reason))
	}
	a.Log.LogAttrs(ctx, slog.LevelInfo, "authentication attempt", attrs...)
}

// logLimited records that a rate limit refused a request (REQ-LOG-01
// anti-automation triggers): which limit, and the account when it is one
// limited per account.
func (a *app) logLimited(c echo.Context, limit, userID string) {
	ctx := c.Request().Context()
	a.Log.LogAttrs(ctx, slog.LevelWarn, "rate limited",
		slog.String("limit", limit),
		slog.String("user_id", userID),
		slog.String("ip", RealIP(c).String()),
		slog.String("request_id", RequestIDFrom(ctx)))
}

// sessionUser is the user a session belongs to, "" without one.
func sessionUser(s *session.Session) string {
	if s == nil {
		return ""
	}
	return s.UserID
}
