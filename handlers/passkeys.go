package handlers

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/passkey"
	"github.com/portalhq/portal/internal/redirect"
	"github.com/portalhq/portal/views"
)

// Where the passkey sign-in posts: options are JSON for static/passkeys.js,
// the credential comes back as an ordinary form POST.
const (
	passkeyOptionsURL = "/sign-in/passkey/options"
	passkeySignInURL  = "/sign-in/passkey"
)

// passkeyLogin is the "Sign in with a passkey" form of /sign-in, carrying
// the page's redirect parameters; nil when passkeys are off.
func (a *app) passkeyLogin(c echo.Context, hidden []views.Hidden) *views.PasskeyForm {
	if !a.SignIn.PasskeysEnabled() {
		return nil
	}
	return &views.PasskeyForm{Action: passkeySignInURL, OptionsURL: passkeyOptionsURL, Hidden: hidden,
		Label: a.t(c, "method.passkey")}
}

// POST /sign-in/passkey/options: WebAuthn request options for a
// discoverable sign-in, bound to this browser's client, which is created
// here when missing (the button and autofill come before any other POST).
func (a *app) passkeyOptions(c echo.Context) error {
	if ok, msg := a.allow(c, "passkey-options", a.limits.attempt); !ok {
		return jsonError(c, http.StatusTooManyRequests, msg)
	}
	cid, err := a.ensureClient(c)
	if err != nil {
		return err
	}
	opts, err := a.SignIn.BeginPasskey(c.Request().Context(), cid)
	if err != nil {
		return a.jsonFail(c, err)
	}
	return c.JSONBlob(http.StatusOK, opts)
}

// POST /sign-in/passkey: finish a sign-in started by the button or by
// autofill, then hand the session back like any other sign-in.
func (a *app) passkeySignIn(c echo.Context) error {
	ctx := c.Request().Context()
	form, _ := c.FormParams()
	target, err := a.Redirects.ResolveOrPortal(form, redirect.SignIn, a.base)
	if err != nil {
		return a.refusedRedirect(c, err)
	}
	if ok, msg := a.allow(c, "attempt", a.limits.attempt); !ok {
		return a.renderSignInStart(c, http.StatusTooManyRequests, "", form, views.Errors{"": msg})
	}
	in := flow.Input{ChallengeID: form.Get("challenge_id"), Credential: []byte(form.Get("credential"))}
	sess, f, err := a.SignIn.SignInWithPasskey(ctx, a.clientID(c), targetString(target), in, a.meta(c))
	if err != nil {
		a.logAttempt(c, stepFirstFactor, flow.Passkey, "", err)
		a.passkeyRefused(c, err)
		if errs, status, ok := a.formErrors(c, err); ok {
			return a.renderSignInStart(c, status, "", form, views.Errors{"": firstMessage(errs)})
		}
		return err
	}
	a.logAttempt(c, stepFirstFactor, flow.Passkey, f.UserID, nil)
	if sess == nil { // a password marked as compromised: a new one first
		return a.nextStep(c, f)
	}
	return a.handBack(c, sess, target)
}

// passkeyRefused logs a failed passkey sign-in (REQ-LOG-01); a signature
// counter that went backwards is a possible cloned authenticator and is
// logged as such (REQ-WA-09).
func (a *app) passkeyRefused(c echo.Context, err error) {
	ctx := c.Request().Context()
	if errors.Is(err, passkey.ErrCloneWarning) {
		a.Log.WarnContext(ctx, "passkey refused: signature counter did not increase, the authenticator may be cloned",
			"err", err, "ip", RealIP(c).String(), "request_id", RequestIDFrom(ctx))
		return
	}
	a.Log.InfoContext(ctx, "passkey refused", "err", err, "ip", RealIP(c).String(), "request_id", RequestIDFrom(ctx))
}

// jsonFail answers a JSON request with the error's message for people, a
// 503 to retry when the database interrupted it, or a generic one (the
// cause goes to the log).
func (a *app) jsonFail(c echo.Context, err error) error {
	if e, ok := apperr.As(err); ok {
		return jsonError(c, statusOf(e.Code), a.say(c, e))
	}
	if a.interrupted(c, err, "") {
		// As on the pages: sending it again works, so a 503 to retry.
		return jsonError(c, http.StatusServiceUnavailable, a.t(c, "error.generic.try_again"))
	}
	a.Log.ErrorContext(c.Request().Context(), "internal error", "err", err, "request_id", RequestIDFrom(c.Request().Context()))
	return jsonError(c, http.StatusInternalServerError, a.t(c, "error.generic.try_again"))
}

func jsonError(c echo.Context, status int, msg string) error {
	return c.JSON(status, map[string]string{"error": msg})
}
