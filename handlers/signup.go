package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/redirect"
	"github.com/portalhq/portal/internal/signup"
	"github.com/portalhq/portal/views"
)

// GET /sign-up.
func (a *app) signUpStart(c echo.Context) error {
	q := c.QueryParams()
	target, err := a.Redirects.ResolveOrPortal(q, redirect.SignUp, a.base)
	if err != nil {
		return a.refusedRedirect(c, err)
	}
	if sess, err := a.current(c); err != nil {
		return err
	} else if sess != nil {
		return a.handBack(c, sess, target)
	}
	in := signup.Form{Email: q.Get("email_address"), FirstName: q.Get("first_name"), LastName: q.Get("last_name")}
	return a.renderSignUp(c, http.StatusOK, in, q, nil)
}

func (a *app) renderSignUp(c echo.Context, status int, in signup.Form, q url.Values, errs views.Errors) error {
	return render(c, status, views.SignUpPage(views.SignUp{
		Page: a.page(c, "Create your account"), Action: "/sign-up", Email: in.Email,
		FirstName: in.FirstName, LastName: in.LastName, ShowNames: true, RequireNames: a.SignUp.RequireNames,
		PasswordMin: a.PasswordMin, Hidden: redirectHidden(q), Errors: errs, SignInURL: withRedirect("/sign-in", q)}))
}

// POST /sign-up: validate, then send the verification code.
func (a *app) signUpSubmit(c echo.Context) error {
	form, _ := c.FormParams()
	in := signup.Form{Email: strings.TrimSpace(form.Get("email_address")), Password: form.Get("password"),
		FirstName: form.Get("first_name"), LastName: form.Get("last_name")}
	target, err := a.Redirects.ResolveOrPortal(form, redirect.SignUp, a.base)
	if err != nil {
		return a.refusedRedirect(c, err)
	}
	if ok, msg := a.allow(c, "start", a.limits.start); !ok {
		return a.renderSignUp(c, http.StatusTooManyRequests, in, form, views.Errors{"": msg})
	}
	cid, err := a.ensureClient(c)
	if err != nil {
		return err
	}
	f, err := a.SignUp.Start(c.Request().Context(), cid, in, targetString(target))
	if err != nil {
		var fe *signup.FormError
		if errors.As(err, &fe) {
			return a.renderSignUp(c, http.StatusUnprocessableEntity, in, form, views.Errors(fe.Fields))
		}
		if errs, status, ok := formErrors(err); ok {
			if f != nil { // created, but the email could not be sent: the verify page offers a resend
				return a.renderSignUpVerify(c, status, f, views.Errors{"": errs[errFieldOf(err)]}, "")
			}
			return a.renderSignUp(c, status, in, form, views.Errors{"": errs[errFieldOf(err)]})
		}
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/sign-up/verify-email-address?sign_up="+url.QueryEscape(f.ID))
}

// GET /sign-up/verify-email-address.
func (a *app) signUpVerifyPage(c echo.Context) error {
	f, err := a.SignUp.Load(c.Request().Context(), a.clientID(c), c.QueryParam("sign_up"))
	if err != nil {
		return a.flowGone(c, err)
	}
	if f.Status == flow.Complete {
		return c.Redirect(http.StatusSeeOther, "/")
	}
	return a.renderSignUpVerify(c, http.StatusOK, f, nil, "")
}

func (a *app) renderSignUpVerify(c echo.Context, status int, f *flow.Flow, errs views.Errors, notice string) error {
	change := "/sign-up"
	if f.RedirectURL != "" {
		change += "?redirect_url=" + url.QueryEscape(f.RedirectURL)
	}
	return render(c, status, views.SignUpVerifyPage(views.SignUpVerify{
		Page: a.page(c, "Verify your email"), Action: "/sign-up/verify-email-address",
		ResendAction: "/sign-up/verify-email-address/resend", FlowID: f.ID, Email: f.Identifier, Errors: errs,
		ResendWait: a.resendWait(c, f.ID, flow.EmailCode), Notice: notice, ChangeURL: change}))
}

// POST /sign-up/verify-email-address: check the code; create the account.
func (a *app) signUpVerify(c echo.Context) error {
	ctx := c.Request().Context()
	f, err := a.SignUp.Load(ctx, a.clientID(c), c.FormValue("sign_up"))
	if err != nil {
		return a.flowGone(c, err)
	}
	if ok, msg := a.allow(c, "attempt", a.limits.attempt); !ok {
		return a.renderSignUpVerify(c, http.StatusTooManyRequests, f, views.Errors{"": msg}, "")
	}
	sess, err := a.SignUp.Verify(ctx, f, strings.TrimSpace(c.FormValue("code")), a.meta(c))
	if err != nil {
		errs, status, ok := formErrors(err)
		if !ok || err == signup.ErrFlowGone {
			return a.flowGone(c, err)
		}
		return a.renderSignUpVerify(c, status, f, errs, "")
	}
	target, _ := a.Redirects.CheckOrPortal(orHome(f.RedirectURL), a.base)
	return a.handBack(c, sess, target)
}

// POST /sign-up/verify-email-address/resend.
func (a *app) signUpResend(c echo.Context) error {
	ctx := c.Request().Context()
	f, err := a.SignUp.Load(ctx, a.clientID(c), c.FormValue("sign_up"))
	if err != nil {
		return a.flowGone(c, err)
	}
	if ok, msg := a.allow(c, "start", a.limits.start); !ok {
		return a.renderSignUpVerify(c, http.StatusTooManyRequests, f, views.Errors{"": msg}, "")
	}
	if err := a.SignUp.Resend(ctx, f); err != nil {
		if e, ok := apperr.As(err); ok {
			return a.renderSignUpVerify(c, statusOf(e.Code), f, views.Errors{"": e.Message}, "")
		}
		return err
	}
	return a.renderSignUpVerify(c, http.StatusOK, f, nil, "A new code is on its way to "+f.Identifier+".")
}
