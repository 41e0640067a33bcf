package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/signin"
	"github.com/portalhq/portal/views"
)

// GET /sign-in/forgot-password: where to send the reset code.
func (a *app) signInForgot(c echo.Context) error {
	ctx := c.Request().Context()
	f, err := a.SignIn.Load(ctx, a.clientID(c), c.QueryParam("sign_in"))
	if err != nil {
		return a.flowGone(c, err)
	}
	if f.Status != flow.NeedsFirstFactor {
		return c.Redirect(http.StatusSeeOther, factorOneURL(f.ID))
	}
	resets, err := a.SignIn.ResetOffered(ctx, f)
	if err != nil {
		return err
	}
	var methods []views.Method
	for _, s := range resets {
		methods = append(methods, views.Method{Strategy: s, Label: a.methodLabel(c, f, s)})
	}
	title := a.t(c, "signin.forgot_title")
	if f.Data.PasswordCompromised {
		title = a.t(c, "signin.compromised_title")
	}
	return render(c, http.StatusOK, views.SignInForgotPage(views.SignInForgot{Page: a.page(c, title),
		Action: "/sign-in/factor-one/prepare", FlowID: f.ID, Methods: methods, BackURL: factorOneURL(f.ID),
		Compromised: f.Data.PasswordCompromised, Breached: f.Data.PasswordBreached}))
}

// GET /sign-in/reset-password: the new-password form, after a verified code.
func (a *app) signInNewPasswordPage(c echo.Context) error {
	f, err := a.SignIn.Load(c.Request().Context(), a.clientID(c), c.QueryParam("sign_in"))
	if err != nil {
		return a.flowGone(c, err)
	}
	if f.Status != flow.NeedsNewPassword {
		return c.Redirect(http.StatusSeeOther, factorOneURL(f.ID))
	}
	return a.renderNewPassword(c, http.StatusOK, f, true, nil)
}

func (a *app) renderNewPassword(c echo.Context, status int, f *flow.Flow, signOutAll bool, errs views.Errors) error {
	return render(c, status, views.SignInNewPasswordPage(views.SignInNewPassword{Page: a.page(c, a.t(c, "signin.new_password_title")),
		Action: "/sign-in/reset-password", FlowID: f.ID, Identifier: f.Identifier, Shown: a.shownIdentifier(f), PasswordMin: a.PasswordMin,
		SignOutAll: signOutAll, Errors: errs, Compromised: f.Data.PasswordCompromised}))
}

// POST /sign-in/reset-password: set the password, end the other sessions
// (unless unticked), sign in.
func (a *app) signInResetPassword(c echo.Context) error {
	ctx := c.Request().Context()
	f, err := a.SignIn.Load(ctx, a.clientID(c), c.FormValue("sign_in"))
	if err == nil && f.Status == flow.Complete {
		err = signin.ErrFlowGone // a finished reset is not replayed, nor handed back again
	}
	if err != nil {
		return a.flowGone(c, err)
	}
	signOutAll := c.FormValue("sign_out_others") == "true"
	sess, err := a.SignIn.ResetPassword(ctx, f, c.FormValue("password"), !signOutAll, a.meta(c))
	if err != nil {
		if done, err := a.completedMeanwhile(c, f, err); done || err != nil {
			return err
		}
		errs, status, ok := a.formErrors(c, err)
		if !ok || err == signin.ErrFlowGone || apperr.CodeOf(err) == apperr.Expired { // the reset's ten minutes are over
			return a.flowGone(c, err)
		}
		if errs["password"] == "" {
			errs = map[string]string{"": firstMessage(errs)}
		}
		return a.renderNewPassword(c, status, f, signOutAll, errs)
	}
	if sess == nil { // the account has a second factor: that step comes next
		return a.toFactorTwo(c, f)
	}
	target, _ := a.Redirects.CheckOrPortal(orHome(f.RedirectURL), a.base)
	return a.handBack(c, sess, target)
}
