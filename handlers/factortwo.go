package handlers

import (
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/signin"
	"github.com/portalhq/portal/views"
)

func factorTwoURL(flowID string) string {
	return "/sign-in/factor-two?sign_in=" + url.QueryEscape(flowID)
}

// nextStep sends a sign-in that passed a step but has no session yet where
// it goes on: its second factor, or a new password when the old one is
// marked as compromised.
func (a *app) nextStep(c echo.Context, f *flow.Flow) error {
	if f.Status == flow.NeedsSecondFactor {
		return a.toFactorTwo(c, f)
	}
	return c.Redirect(http.StatusSeeOther, stepURL(f))
}

// toFactorTwo sends a flow that reached needs_second_factor to its second
// step, texting the code first when that is the factor shown.
func (a *app) toFactorTwo(c echo.Context, f *flow.Flow) error {
	ctx := c.Request().Context()
	offered, err := a.SignIn.SecondFactorsOffered(ctx, f)
	if err != nil {
		return err
	}
	if preferred(offered) == flow.PhoneCode {
		// A failure (caps, an SMS outage) shows on the page, which offers
		// to resend and the other factors.
		if err := a.SignIn.PrepareSecondFactor(ctx, f, flow.PhoneCode, a.meta(c)); err != nil {
			a.Log.WarnContext(ctx, "second-factor text not sent", "err", err, "request_id", RequestIDFrom(ctx))
		}
	}
	return c.Redirect(http.StatusSeeOther, factorTwoURL(f.ID))
}

// preferred is the second factor shown first: an app or a text before
// backup codes, which are the way out when the phone is away.
func preferred(offered []string) string {
	for _, s := range offered {
		if s != flow.BackupCode {
			return s
		}
	}
	if len(offered) > 0 {
		return offered[0]
	}
	return ""
}

// GET /sign-in/factor-two: the second step of a flow.
func (a *app) signInFactorTwo(c echo.Context) error {
	f, err := a.SignIn.Load(c.Request().Context(), a.clientID(c), c.QueryParam("sign_in"))
	if err != nil {
		return a.flowGone(c, err)
	}
	switch f.Status {
	case flow.NeedsSecondFactor:
	case flow.Complete:
		return a.finished(c, f, nil)
	default:
		return c.Redirect(http.StatusSeeOther, factorOneURL(f.ID))
	}
	return a.renderFactorTwo(c, http.StatusOK, f, f.Data.Strategy, nil, "")
}

func (a *app) renderFactorTwo(c echo.Context, status int, f *flow.Flow, strategy string, errs views.Errors, notice string) error {
	ctx := c.Request().Context()
	offered, err := a.SignIn.SecondFactorsOffered(ctx, f)
	if err != nil {
		return err
	}
	if !contains(offered, strategy) {
		strategy = preferred(offered)
	}
	if strategy == "" {
		return a.message(c, http.StatusConflict, a.t(c, "signin.factor_two_unavailable_title"),
			a.t(c, "signin.factor_two_unavailable_body"), "/sign-in", a.t(c, "signin.back_to_sign_in"))
	}
	var others []views.Method
	for _, s := range offered {
		if s != strategy {
			others = append(others, views.Method{Strategy: s, Label: a.secondFactorLabel(c, s)})
		}
	}
	p := views.SignInFactorTwo{Page: a.page(c, a.t(c, "signin.totp_title")), Action: "/sign-in/factor-two",
		PrepareAction: "/sign-in/factor-two/prepare", FlowID: f.ID, Strategy: strategy, Errors: errs, Notice: notice,
		OtherMethods: others, ChangeURL: "/sign-in"}
	if f.RedirectURL != "" {
		p.ChangeURL += "?redirect_url=" + url.QueryEscape(f.RedirectURL)
	}
	switch strategy {
	case flow.TOTP:
		p.Heading, p.Subtitle = a.t(c, "signin.totp_title"), a.t(c, "signin.totp_subtitle")
	case flow.BackupCode:
		p.Heading, p.Subtitle = a.t(c, "signin.backup_code_title"), a.t(c, "signin.backup_code_subtitle")
	case flow.PhoneCode:
		dest, err := a.SignIn.SecondFactorTarget(ctx, f)
		if err != nil {
			return err
		}
		p.Heading, p.Subtitle = a.t(c, "signin.code_title_phone"), a.t(c, "signin.texted_subtitle", "Destination", dest)
		v, err := a.SignIn.Repo.LatestVerification(ctx, f.ID, flow.SecondFactorPhoneCode)
		if err == nil {
			p.ResendWait = int(flow.ResendWait(v, a.Clock.Now()).Seconds() + 0.999)
		}
		// The text sent when the first step passed failed (an outage, a
		// cap): say so rather than ask for a code that never came.
		if err == nil && v == nil {
			p.Subtitle = ""
			if len(errs) == 0 {
				p.Errors = views.Errors{"": a.t(c, "signin.text_not_sent", "Destination", dest)}
			}
		}
	}
	return render(c, status, views.SignInFactorTwoPage(p))
}

func (a *app) secondFactorLabel(c echo.Context, strategy string) string {
	switch strategy {
	case flow.TOTP:
		return a.t(c, "method.totp")
	case flow.BackupCode:
		return a.t(c, "method.backup_code")
	case flow.PhoneCode:
		return a.t(c, "method.text_me_code")
	}
	return strategy
}

// POST /sign-in/factor-two/prepare: choose another second factor, or have
// the code texted again.
func (a *app) signInPrepareFactorTwo(c echo.Context) error {
	ctx := c.Request().Context()
	f, err := a.SignIn.Load(ctx, a.clientID(c), c.FormValue("sign_in"))
	if err != nil {
		return a.flowGone(c, err)
	}
	if f.Status == flow.Complete {
		return a.finished(c, f, signin.ErrFlowGone)
	}
	strategy := c.FormValue("strategy")
	if ok, msg := a.allow(c, "start", a.limits.start); !ok {
		return a.renderFactorTwo(c, http.StatusTooManyRequests, f, f.Data.Strategy, views.Errors{"": msg}, "")
	}
	if err := a.SignIn.PrepareSecondFactor(ctx, f, strategy, a.meta(c)); err != nil {
		if err == signin.ErrFlowGone {
			return a.flowGone(c, err)
		}
		if errs, status, ok := a.formErrors(c, err); ok {
			return a.renderFactorTwo(c, status, f, strategy, views.Errors{"": firstMessage(errs)}, "")
		}
		return err
	}
	return c.Redirect(http.StatusSeeOther, factorTwoURL(f.ID))
}

// POST /sign-in/factor-two: check the second factor; the session starts
// only now (REQ-IN-09).
func (a *app) signInAttemptFactorTwo(c echo.Context) error {
	ctx := c.Request().Context()
	f, err := a.SignIn.Load(ctx, a.clientID(c), c.FormValue("sign_in"))
	if err != nil {
		return a.flowGone(c, err)
	}
	if f.Status == flow.Complete {
		return a.finished(c, f, signin.ErrFlowGone)
	}
	strategy := c.FormValue("strategy")
	if ok, msg := a.allow(c, "attempt", a.limits.attempt); !ok {
		return a.renderFactorTwo(c, http.StatusTooManyRequests, f, strategy, views.Errors{"": msg}, "")
	}
	if ok, retry := a.Limiter.Allow("identifier:"+f.Identifier, a.limits.identifier); !ok {
		a.logLimited(c, "identifier", f.UserID)
		setRetryAfter(c, retry)
		return a.renderFactorTwo(c, http.StatusTooManyRequests, f, strategy, views.Errors{"": a.t(c, "error.rate.account", "Wait", a.waitText(c, retry))}, "")
	}
	in := flow.Input{Code: flow.CleanCode(c.FormValue("code"))}
	sess, err := a.SignIn.AttemptSecondFactor(ctx, f, strategy, in, a.meta(c))
	if err != nil {
		if done, err := a.completedMeanwhile(c, f, err); done || err != nil {
			return err
		}
		a.logAttempt(c, stepSecondFactor, strategy, f.UserID, err)
		errs, status, ok := a.formErrors(c, err)
		if !ok || err == signin.ErrFlowGone {
			return a.flowGone(c, err)
		}
		if errs["code"] == "" {
			errs = views.Errors{"": firstMessage(errs)}
		}
		return a.renderFactorTwo(c, status, f, strategy, errs, "")
	}
	a.logAttempt(c, stepSecondFactor, strategy, f.UserID, nil)
	if sess == nil { // a password marked as compromised: a new one first
		return a.nextStep(c, f)
	}
	target, _ := a.Redirects.CheckOrPortal(orHome(f.RedirectURL), a.base)
	return a.handBack(c, sess, target)
}
