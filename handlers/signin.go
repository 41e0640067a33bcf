package handlers

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/redirect"
	"github.com/portalhq/portal/internal/signin"
	"github.com/portalhq/portal/views"
)

// GET /sign-in: the identifier step. A browser that is already signed in is
// sent straight back to the app with a fresh token.
func (a *app) signInStart(c echo.Context) error {
	q := c.QueryParams()
	target, err := a.Redirects.ResolveOrPortal(q, redirect.SignIn, a.base)
	if err != nil {
		return a.refusedRedirect(c, err)
	}
	if sess, err := a.current(c); err != nil {
		return err
	} else if sess != nil {
		return a.handBack(c, sess, target)
	}
	return a.renderSignInStart(c, http.StatusOK, q.Get("email_address"), q, nil)
}

func (a *app) renderSignInStart(c echo.Context, status int, identifier string, q url.Values, errs views.Errors) error {
	return render(c, status, views.SignInStartPage(views.SignInStart{
		Page: a.page(c, "Sign in"), Action: "/sign-in", Identifier: identifier,
		Hidden: redirectHidden(q), Errors: errs, SignUpURL: withRedirect("/sign-up", q)}))
}

// POST /sign-in: start a flow for the identifier.
func (a *app) signInSubmitIdentifier(c echo.Context) error {
	form, _ := c.FormParams()
	identifier := strings.TrimSpace(form.Get("identifier"))
	target, err := a.Redirects.ResolveOrPortal(form, redirect.SignIn, a.base)
	if err != nil {
		return a.refusedRedirect(c, err)
	}
	if ok, msg := a.allow(c, "start", a.limits.start); !ok {
		return a.renderSignInStart(c, http.StatusTooManyRequests, identifier, form, views.Errors{"": msg})
	}
	cid, err := a.ensureClient(c)
	if err != nil {
		return err
	}
	f, err := a.SignIn.Start(c.Request().Context(), cid, identifier, targetString(target))
	if err != nil {
		if errs, status, ok := formErrors(err); ok {
			return a.renderSignInStart(c, status, identifier, form, errs)
		}
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/sign-in/factor-one?sign_in="+url.QueryEscape(f.ID))
}

// GET /sign-in/factor-one: the first-factor step of a flow.
func (a *app) signInFactorOne(c echo.Context) error {
	f, err := a.SignIn.Load(c.Request().Context(), a.clientID(c), c.QueryParam("sign_in"))
	if err != nil {
		return a.flowGone(c, err)
	}
	if f.Status == flow.Complete {
		return c.Redirect(http.StatusSeeOther, "/")
	}
	return a.renderFactorOne(c, http.StatusOK, f, f.Data.Strategy, nil, "")
}

// renderFactorOne shows the step for strategy (the flow's chosen one, or the
// first offered), with the other offered factors as alternatives.
func (a *app) renderFactorOne(c echo.Context, status int, f *flow.Flow, strategy string, errs views.Errors, notice string) error {
	offered, err := a.SignIn.Offered(c.Request().Context(), f)
	if err != nil {
		return err
	}
	if strategy == "" || !contains(offered, strategy) {
		strategy = ""
		if len(offered) > 0 {
			strategy = offered[0]
		}
	}
	var others []views.Method
	for _, s := range offered {
		if s != strategy {
			others = append(others, views.Method{Strategy: s, Label: methodLabel(s, f.Identifier)})
		}
	}
	change := "/sign-in"
	if f.RedirectURL != "" {
		change += "?redirect_url=" + url.QueryEscape(f.RedirectURL)
	}
	switch strategy {
	case flow.EmailCode:
		if msg, ok := errs[""]; ok && notice == "" && errs["code"] == "" {
			errs = views.Errors{"": msg}
		}
		return render(c, status, views.SignInCodePage(views.SignInCode{
			Page: a.page(c, "Check your email"), Action: "/sign-in/factor-one",
			ResendAction: "/sign-in/factor-one/prepare", FlowID: f.ID, Strategy: flow.EmailCode,
			Destination: f.Identifier, ChangeURL: change, Errors: errs,
			ResendWait: a.resendWait(c, f.ID, flow.EmailCode), OtherMethods: others}))
	case flow.Password:
		return render(c, status, views.SignInPasswordPage(views.SignInPassword{
			Page: a.page(c, "Enter your password"), Action: "/sign-in/factor-one", FlowID: f.ID,
			Identifier: f.Identifier, ChangeURL: change, Errors: errs, OtherMethods: others,
			PrepareAction: "/sign-in/factor-one/prepare"}))
	}
	return apperr.New(apperr.Unavailable, "No way of signing in is enabled for this account. Contact the site's support.")
}

// POST /sign-in/factor-one/prepare: choose a factor (and send its code).
func (a *app) signInPrepare(c echo.Context) error {
	ctx := c.Request().Context()
	f, err := a.SignIn.Load(ctx, a.clientID(c), c.FormValue("sign_in"))
	if err != nil {
		return a.flowGone(c, err)
	}
	strategy := c.FormValue("strategy")
	if ok, msg := a.allow(c, "start", a.limits.start); !ok {
		return a.renderFactorOne(c, http.StatusTooManyRequests, f, strategy, views.Errors{"": msg}, "")
	}
	if err := a.SignIn.Prepare(ctx, f, strategy); err != nil {
		if errs, status, ok := formErrors(err); ok {
			if strategy == flow.EmailCode && apperr.CodeOf(err) == apperr.RateLimited {
				// The code already sent still works: show its page.
				return a.renderFactorOne(c, status, f, strategy, views.Errors{"": errs[errFieldOf(err)]}, "")
			}
			return a.renderFactorOne(c, status, f, f.Data.Strategy, views.Errors{"": errs[errFieldOf(err)]}, "")
		}
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/sign-in/factor-one?sign_in="+url.QueryEscape(f.ID))
}

// POST /sign-in/factor-one: attempt the chosen factor.
func (a *app) signInAttempt(c echo.Context) error {
	ctx := c.Request().Context()
	f, err := a.SignIn.Load(ctx, a.clientID(c), c.FormValue("sign_in"))
	if err != nil {
		return a.flowGone(c, err)
	}
	strategy := c.FormValue("strategy")
	if strategy == "" {
		strategy = flow.Password
	}
	if ok, msg := a.allow(c, "attempt", a.limits.attempt); !ok {
		return a.renderFactorOne(c, http.StatusTooManyRequests, f, strategy, views.Errors{"": msg}, "")
	}
	// Per identifier too, known or not, so spreading guesses over many
	// addresses from one network and many networks at one address are both
	// capped (REQ-RL-02); the account lockout in the store adds to this.
	if ok, retry := a.Limiter.Allow("identifier:"+f.Identifier, a.limits.identifier); !ok {
		return a.renderFactorOne(c, http.StatusTooManyRequests, f, strategy, views.Errors{"": "Too many sign-in attempts for this account. Please wait " + humanWait(retry) + " and try again."}, "")
	}
	in := flow.Input{Password: c.FormValue("password"), Code: strings.TrimSpace(c.FormValue("code"))}
	sess, err := a.SignIn.Attempt(ctx, f, strategy, in, a.meta(c))
	if err != nil {
		errs, status, ok := formErrors(err)
		if !ok || err == signin.ErrFlowGone {
			return a.flowGone(c, err)
		}
		return a.renderFactorOne(c, status, f, strategy, errs, "")
	}
	target, _ := a.Redirects.CheckOrPortal(orHome(f.RedirectURL), a.base)
	return a.handBack(c, sess, target)
}

func methodLabel(strategy, identifier string) string {
	switch strategy {
	case flow.EmailCode:
		return "Email a code to " + identifier
	case flow.Password:
		return "Sign in with your password"
	}
	return strategy
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func errFieldOf(err error) string {
	if e, ok := apperr.As(err); ok {
		return e.Field
	}
	return ""
}
