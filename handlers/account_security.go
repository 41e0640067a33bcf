package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/portalhq/portal/internal/account"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/user"
	"github.com/portalhq/portal/views"
)

// GET /user/verify?return=…: confirm who you are, then go on to return.
func (a *app) userVerifyPage(c echo.Context) error {
	sess, u, ok, err := a.signedIn(c)
	if !ok {
		return err
	}
	return a.renderVerify(c, http.StatusOK, sess, u, c.QueryParam("strategy"), returnPath(c.QueryParam("return")), nil)
}

func (a *app) renderVerify(c echo.Context, status int, sess *session.Session, u *user.User, strategy, back string, errs views.Errors) error {
	if sess.Impersonated() {
		return a.impersonationCannotVerify(c, u)
	}
	offered := a.Account.ReverifyOffered(u)
	if len(offered) == 0 {
		return a.message(c, http.StatusForbidden, a.t(c, "account.verify.no_factor_title"),
			a.t(c, "account.verify.no_factor_body"), "/user", a.t(c, "account.back_to_account"))
	}
	if !slices.Contains(offered, strategy) {
		strategy = defaultReverify(offered)
	}
	p := views.UserVerify{Page: a.page(c, a.t(c, "account.verify.title")), Action: "/user/verify", PrepareAction: "/user/verify/prepare",
		Return: back, Strategy: strategy, Identifier: u.AccountName(), Errors: errs, CancelURL: "/user",
		Destination: a.Account.ReverifyDestination(u, strategy)}
	if strategy == flow.PhoneCode {
		p.Destination = a.displayPhone(p.Destination)
	}
	if a.Account.ReverifySends(u, strategy) {
		v, err := a.SignIn.Repo.LatestVerification(c.Request().Context(), sess.ID, strategy)
		if err != nil {
			return err
		}
		p.CodeSent = v != nil && v.ConsumedAt == nil && a.Clock.Now().Before(v.ExpireAt)
		p.ResendWait = a.resendWait(c, sess.ID, strategy)
	}
	for _, s := range offered {
		switch {
		case s == flow.Passkey:
			// The sign-in ceremony, bound to this browser's client; the
			// script posts the assertion back here.
			p.Passkey = &views.PasskeyForm{Action: "/user/verify", OptionsURL: passkeyOptionsURL, Label: a.t(c, "account.verify.use_passkey"),
				Hidden: []views.Hidden{{Name: "strategy", Value: flow.Passkey}, {Name: "return", Value: back}}}
			p.Page.Passkeys = true
		case s != strategy:
			p.Methods = append(p.Methods, views.Method{Strategy: s, Label: a.reverifyLabel(c, s)})
		}
	}
	return render(c, status, views.UserVerifyPage(p))
}

// defaultReverify is the factor shown first: the first offered that works
// without a script, else a passkey.
func defaultReverify(offered []string) string {
	for _, s := range offered {
		if s != flow.Passkey {
			return s
		}
	}
	return offered[0]
}

func (a *app) reverifyLabel(c echo.Context, strategy string) string {
	switch strategy {
	case flow.Password:
		return a.t(c, "account.verify.use_password")
	case flow.PhoneCode:
		return a.t(c, "account.verify.text_code")
	case flow.TOTP:
		return a.t(c, "account.verify.use_totp")
	}
	return a.t(c, "account.verify.email_code")
}

// POST /user/verify: check the password, code or passkey, then continue.
func (a *app) userVerify(c echo.Context) error {
	sess, u, ok, err := a.signedIn(c)
	if !ok {
		return err
	}
	if sess.Impersonated() { // no guess counts toward the person's lockout
		return a.impersonationCannotVerify(c, u)
	}
	back, strategy := returnPath(c.FormValue("return")), c.FormValue("strategy")
	if ok, msg := a.allow(c, "attempt", a.limits.attempt); !ok {
		return a.renderVerify(c, http.StatusTooManyRequests, sess, u, strategy, back, views.Errors{"": msg})
	}
	// Per account too, so guesses spread over many addresses still stop.
	if ok, retry := a.Limiter.Allow("reverify:"+u.ID, a.limits.identifier); !ok {
		a.logLimited(c, "reverify", u.ID)
		setRetryAfter(c, retry)
		return a.renderVerify(c, http.StatusTooManyRequests, sess, u, strategy, back,
			views.Errors{"": a.t(c, "account.verify.too_many", "Wait", a.waitText(c, retry))})
	}
	in := flow.Input{Password: c.FormValue("password"), Code: flow.CleanCode(c.FormValue("code")),
		ChallengeID: c.FormValue("challenge_id"), Credential: []byte(c.FormValue("credential"))}
	err = a.Account.Reverify(c.Request().Context(), sess, u, strategy, in)
	a.logAttempt(c, stepReverify, strategy, u.ID, err)
	if err != nil {
		if strategy == flow.Passkey {
			a.passkeyRefused(c, err)
		}
		if errs, status, ok := a.formErrors(c, err); ok {
			if err == account.ErrPasswordCompromised && len(a.Account.ReverifyOffered(u)) == 1 {
				// No other way offered: the password is changed first
				// (with itself), then confirms it's you again.
				errs = views.Errors{"password": a.t(c, "account.error.reverify_compromised_only")}
			}
			return a.renderVerify(c, status, sess, u, strategy, back, errs)
		}
		return err
	}
	if err := a.keepClient(c, sess); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, back)
}

// POST /user/verify/prepare: send a code, or switch to a factor that
// needs nothing sent (password, authenticator app, passkey).
func (a *app) userVerifyPrepare(c echo.Context) error {
	sess, u, ok, err := a.signedIn(c)
	if !ok {
		return err
	}
	if sess.Impersonated() { // and sends the person no code
		return a.impersonationCannotVerify(c, u)
	}
	back, strategy := returnPath(c.FormValue("return")), c.FormValue("strategy")
	if a.Account.ReverifySends(u, strategy) {
		if ok, msg := a.allow(c, "start", a.limits.start); !ok {
			return a.renderVerify(c, http.StatusTooManyRequests, sess, u, strategy, back, views.Errors{"": msg})
		}
		if err := a.Account.PrepareReverify(c.Request().Context(), sess, u, strategy, a.meta(c)); err != nil {
			if errs, status, ok := a.formErrors(c, err); ok {
				return a.renderVerify(c, status, sess, u, strategy, back, views.Errors{"": firstMessage(errs)})
			}
			return err
		}
	}
	q := url.Values{"return": {back}, "strategy": {strategy}}
	return c.Redirect(http.StatusSeeOther, "/user/verify?"+q.Encode())
}

// GET /user/password: set or change the password. Setting a first one
// needs reverification; changing one asks for the current password unless
// the session has just proved itself.
func (a *app) userPasswordPage(c echo.Context) error {
	sess, u, ok, err := a.signedIn(c)
	if !ok {
		return err
	}
	if sess.Impersonated() && a.Account.NeedsCurrentPassword(sess, u) {
		return a.impersonationCannotVerify(c, u) // the current password is the person's
	}
	if u.PasswordHash == "" && !a.Account.Fresh(sess) {
		return a.reverify(c, "/user/password")
	}
	return a.renderPassword(c, http.StatusOK, sess, u, true, nil)
}

func (a *app) renderPassword(c echo.Context, status int, sess *session.Session, u *user.User, signOutOthers bool, errs views.Errors) error {
	return render(c, status, views.UserPasswordPage(views.UserPassword{Page: a.page(c, a.t(c, "account.password.heading")), Action: "/user/password",
		Identifier: u.AccountName(), Set: u.PasswordHash == "", AskCurrent: a.Account.NeedsCurrentPassword(sess, u),
		PasswordMin: a.PasswordMin, SignOutOthers: signOutOthers, Errors: errs, CancelURL: "/user"}))
}

// POST /user/password.
func (a *app) userPassword(c echo.Context) error {
	sess, u, ok, err := a.signedIn(c)
	if !ok {
		return err
	}
	if sess.Impersonated() && a.Account.NeedsCurrentPassword(sess, u) {
		return a.impersonationCannotVerify(c, u) // no guess counts toward the person's lockout
	}
	others := c.FormValue("sign_out_others") == "true"
	if ok, msg := a.allow(c, "attempt", a.limits.attempt); !ok {
		return a.renderPassword(c, http.StatusTooManyRequests, sess, u, others, views.Errors{"": msg})
	}
	in := account.PasswordChange{Current: c.FormValue("current_password"), New: c.FormValue("password"), SignOutOthers: others,
		Checked: func(err error) { a.logAttempt(c, stepPasswordChange, flow.Password, u.ID, err) }}
	err = a.Account.ChangePassword(c.Request().Context(), sess, u, in)
	// The current password, once right, moved the session to a new client
	// (session.Reverified), even when the new password is then refused.
	if kerr := a.keepClient(c, sess); kerr != nil {
		return kerr
	}
	if err != nil {
		if errors.Is(err, account.ErrReverify) {
			return a.reverify(c, "/user/password")
		}
		if errs, status, ok := a.formErrors(c, err); ok {
			return a.renderPassword(c, status, sess, u, others, errs)
		}
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/user?done=password")
}

// GET /user/delete: confirm deleting the account (after reverification).
func (a *app) userDeletePage(c echo.Context) error {
	sess, _, ok, err := a.signedIn(c)
	if !ok {
		return err
	}
	if !a.Account.AllowDeletion {
		return echo.ErrNotFound
	}
	if !a.Account.Fresh(sess) {
		return a.reverify(c, "/user/delete")
	}
	return a.renderDelete(c, http.StatusOK, a.takeDraft(c, sess.ID, "/user/delete").Get("confirmation"), nil)
}

func (a *app) renderDelete(c echo.Context, status int, typed string, errs views.Errors) error {
	return render(c, status, views.UserDeletePage(views.UserDelete{Page: a.page(c, a.t(c, "account.delete.heading")), Action: "/user/delete",
		Phrase: a.deletePhrase(c), Confirmation: typed, Errors: errs, CancelURL: "/user"}))
}

// deletePhrase is what to type to delete the account, in the request's
// language; the English phrase is accepted too.
func (a *app) deletePhrase(c echo.Context) string {
	return a.t(c, "account.delete.phrase")
}

// deleteConfirmation maps the phrase typed in the request's language to
// the one account.Service.Delete checks.
func (a *app) deleteConfirmation(c echo.Context, typed string) string {
	norm := func(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }
	if norm(typed) != "" && norm(typed) == norm(a.deletePhrase(c)) {
		return account.DeletePhrase
	}
	return typed
}

// POST /user/delete: delete the account, sign this browser out and say so.
func (a *app) userDelete(c echo.Context) error {
	sess, _, ok, err := a.signedIn(c)
	if !ok {
		return err
	}
	if !a.Account.AllowDeletion {
		return echo.ErrNotFound
	}
	typed := c.FormValue("confirmation")
	if err := a.Account.Delete(c.Request().Context(), sess, a.deleteConfirmation(c, typed)); err != nil {
		if errors.Is(err, account.ErrReverify) {
			return a.reverifyKeeping(c, sess.ID, "/user/delete", "confirmation")
		}
		if errs, status, ok := a.formErrors(c, err); ok {
			if _, ok := errs["confirmation"]; ok {
				errs["confirmation"] = a.t(c, "account.error.delete_confirm", "Phrase", a.deletePhrase(c))
			}
			return a.renderDelete(c, status, typed, errs)
		}
		return err
	}
	a.clearSessionCookies(c)
	return c.Redirect(http.StatusSeeOther, "/user/deleted")
}

// GET /user/deleted: the page a deleted account lands on.
func (a *app) userDeleted(c echo.Context) error {
	back, label := a.back(c), a.t(c, "account.back_to_app")
	if back == "" && !a.SignUp.Restricted {
		back, label = "/sign-up", a.t(c, "account.delete.create_new")
	}
	return a.message(c, http.StatusOK, a.t(c, "account.delete.done_title"), a.t(c, "account.delete.done_body"), back, label)
}

// impersonationCannotVerify answers an impersonation session asking to
// confirm it is the person: it cannot (that is what it is not), so every
// change that asks for it — a new password, address, passkey, second
// factor or connected account, deleting the account or an organization —
// stays the person's, and no guess at their password counts toward their
// lockout.
func (a *app) impersonationCannotVerify(c echo.Context, u *user.User) error {
	who := ticketAccount(u)
	return a.message(c, http.StatusForbidden, a.t(c, "account.verify.impersonated_title", "Account", who),
		a.t(c, "account.verify.impersonated_body", "Account", who), "/user", a.t(c, "account.back_to_account"))
}
