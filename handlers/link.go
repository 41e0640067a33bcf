package handlers

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/signin"
	"github.com/portalhq/portal/views"
)

// GET /v1/verify?token=…: opening an emailed link shows a page with a
// button; nothing is used up until the person presses it, so mail scanners
// that fetch links cannot spend them (REQ-OTP-09). The page sends no Referer.
func (a *app) linkPage(c echo.Context) error {
	c.Response().Header().Set("Referrer-Policy", "no-referrer")
	tok := c.QueryParam("token")
	v, err := a.Codes.PeekLink(c.Request().Context(), a.SignIn.Repo, tok)
	if err != nil {
		return a.linkFailed(c, err, tok)
	}
	f, err := a.SignIn.Repo.FlowByID(c.Request().Context(), v.FlowID)
	if err != nil {
		return a.linkFailed(c, flow.ErrLinkExpired, tok)
	}
	p := views.LinkConfirm{Page: a.page(c, a.t(c, "button.sign_in")), Action: "/v1/verify", Token: tok,
		Button: a.t(c, "button.sign_in"), Body: a.t(c, "link.confirm_sign_in", "Target", v.Target)}
	p.Heading = a.t(c, "signin.start_title", "App", p.Page.AppName)
	if f.Kind == flow.SignUp {
		p.Page.Title, p.Heading, p.Button = a.t(c, "signup.verify_title_email"), a.t(c, "link.verify_heading"), a.t(c, "link.verify_button")
		p.Body = a.t(c, "link.confirm_sign_up", "Target", v.Target)
	}
	p.Page.NoReferrer = true
	return render(c, http.StatusOK, views.LinkConfirmPage(p))
}

// POST /v1/verify: use the link. In the browser that asked for it the flow
// goes on here; elsewhere this device says so and the first one completes
// by itself.
func (a *app) linkConfirm(c echo.Context) error {
	c.Response().Header().Set("Referrer-Policy", "no-referrer")
	ctx := c.Request().Context()
	tok := c.FormValue("token")
	// A link is a way in like a code: it spends from the network's
	// attempts (REQ-RL-03), before it is looked at, so a refused one
	// stays usable once the wait is over.
	if ok, msg := a.allow(c, "attempt", a.limits.attempt); !ok {
		return a.message(c, http.StatusTooManyRequests, a.t(c, "page.rate_limited_title"), msg, "/sign-in", a.t(c, "signin.back_to_sign_in"))
	}
	v, err := a.Codes.CheckLink(ctx, a.SignIn.Repo, tok)
	if err != nil {
		a.logAttempt(c, stepFirstFactor, flow.EmailLink, "", err)
		return a.linkFailed(c, err, tok)
	}
	f, err := a.SignIn.Repo.FlowByID(ctx, v.FlowID)
	if err != nil {
		a.logAttempt(c, stepFirstFactor, flow.EmailLink, "", flow.ErrLinkExpired)
		return a.linkFailed(c, flow.ErrLinkExpired, tok)
	}
	step := stepFirstFactor
	if f.Kind == flow.SignUp {
		step = stepSignUp
	}
	cid := a.clientID(c)
	if f.Kind == flow.SignIn && a.SignIn.LinkOtherDeviceSession && cid != f.ClientID {
		// The other device is to be signed in too; a device that never
		// posted to the portal has no client to hold the session yet.
		if cid, err = a.ensureClient(c); err != nil {
			return err
		}
	}
	var res *signin.LinkResult
	if f.Kind == flow.SignUp {
		res, err = a.SignUp.ConfirmLink(ctx, v, cid, a.meta(c))
	} else {
		res, err = a.SignIn.ConfirmLink(ctx, v, cid, a.meta(c))
	}
	a.logAttempt(c, step, flow.EmailLink, f.UserID, err)
	if err != nil {
		if _, ok := apperr.As(err); ok {
			return a.linkFailed(c, err, tok)
		}
		return err
	}
	if res.Session != nil {
		target, _ := a.Redirects.CheckOrPortal(orHome(res.Flow.RedirectURL), a.base)
		return a.handBack(c, res.Session, target)
	}
	if res.OtherDevice {
		heading, body := a.t(c, "link.other_device_title"), a.t(c, "link.other_device_body")
		if f.Kind == flow.SignUp {
			heading, body = a.t(c, "link.verified_title"), a.t(c, "link.verified_body")
		}
		return a.message(c, http.StatusOK, heading, body, "", "")
	}
	if res.Flow.Kind == flow.SignIn && (res.Flow.Status == flow.NeedsSecondFactor || res.Flow.Status == flow.NeedsNewPassword) {
		return a.nextStep(c, res.Flow)
	}
	// Same browser, sign-up with more to verify.
	return c.Redirect(http.StatusSeeOther, signUpVerifyURL(res.Flow))
}

// linkFailed explains an unusable link and offers to ask for a new one.
// A spent or expired link opened in a browser that is signed in needs no
// new one (its work was done, in another tab or by a first press): the
// person is told they are signed in and goes on from there.
func (a *app) linkFailed(c echo.Context, err error, tok string) error {
	e, ok := apperr.As(err)
	if !ok {
		return err
	}
	if errors.Is(err, flow.ErrLinkUsed) || errors.Is(err, flow.ErrLinkExpired) {
		if done, err := a.signedInAlready(c, tok); done || err != nil {
			return err
		}
	}
	status := statusOf(e.Code)
	if errors.Is(err, flow.ErrLinkInvalid) {
		status = http.StatusBadRequest
	}
	return a.message(c, status, a.t(c, "page.link_unusable_title"), a.say(c, e), "/sign-in", a.t(c, "link.ask_new"))
}

// signedInAlready answers a spent link opened in a browser with a session:
// "You're already signed in", with the way on to where the link led (the
// app, through sign-in, which hands a signed-in browser straight back) and
// to the account. done is false, and nothing is written, for a browser
// without a session.
func (a *app) signedInAlready(c echo.Context, tok string) (done bool, err error) {
	ctx := c.Request().Context()
	sess, err := a.current(c)
	if err != nil || sess == nil {
		return false, err
	}
	u, err := a.Users.UserByID(ctx, sess.UserID)
	if errors.Is(err, apperr.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	p := views.LinkSignedIn{Page: a.page(c, a.t(c, "link.signed_in_title")),
		Who: firstNonEmpty(u.PrimaryEmail(), u.Username(), a.displayPhone(u.PrimaryPhone()), u.FullName()), AccountURL: "/user"}
	p.Page.NoReferrer = true // the token is in the URL of a GET
	if id := a.Codes.LinkFlowID(ctx, a.SignIn.Repo, tok); id != "" {
		if f, err := a.SignIn.Repo.FlowByID(ctx, id); err == nil && f.RedirectURL != "" {
			if target, err := a.Redirects.CheckOrPortal(f.RedirectURL, a.base); err == nil {
				p.ContinueURL = "/sign-in?" + url.Values{"redirect_url": {target.String()}}.Encode()
			}
		}
	}
	return true, render(c, http.StatusOK, views.LinkSignedInPage(p))
}
