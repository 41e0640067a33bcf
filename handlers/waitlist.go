package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/redirect"
	"github.com/portalhq/portal/internal/waitlist"
	"github.com/portalhq/portal/views"
)

// The waiting list's page (PORTAL_SIGN_UP_MODE=waitlist): a person leaves
// an email address, and the operator invites them later through the
// Backend API (backendapi_waitlist.go). Sign-up itself is invitation-only,
// as in restricted mode; /sign-up without an invitation comes here.

// waitlistOn reports whether /waitlist takes addresses: waitlist mode only.
func (a *app) waitlistOn() bool { return a.Waitlist != nil && a.Config.Waitlist() }

// waitlistURL is /waitlist with q's redirect parameters and, when given,
// the address to fill in.
func waitlistURL(q url.Values) string {
	u := withRedirect("/waitlist", q)
	if email := q.Get("email_address"); email != "" && len(email) <= 320 {
		sep := "?"
		if u != "/waitlist" {
			sep = "&"
		}
		u += sep + url.Values{"email_address": {email}}.Encode()
	}
	return u
}

// GET /waitlist: the form, the address filled in from ?email_address=.
// Someone signed in is handed back, as on /sign-up.
func (a *app) waitlistPage(c echo.Context) error {
	if !a.waitlistOn() {
		return echo.ErrNotFound
	}
	q := c.QueryParams()
	target, err := a.Redirects.ResolveOrPortal(q, redirect.SignUp, a.base)
	if err != nil {
		return a.refusedRedirect(c, err)
	}
	if done, err := a.handBackSignedIn(c, target); done || err != nil {
		return err
	}
	return a.renderWaitlist(c, http.StatusOK, q.Get("email_address"), q, nil, false)
}

// POST /waitlist: put the address on the list. The answer is the same
// confirmation for a new address, one on the list already and one with an
// account, so it tells nothing about who is here; only input that is not
// an address, or that sign-up would refuse (PORTAL_BLOCKLIST…), comes
// back to the form, with what was typed.
func (a *app) waitlistJoin(c echo.Context) error {
	if !a.waitlistOn() {
		return echo.ErrNotFound
	}
	form, _ := c.FormParams()
	email := strings.TrimSpace(form.Get("email_address"))
	if _, err := a.Redirects.ResolveOrPortal(form, redirect.SignUp, a.base); err != nil {
		return a.refusedRedirect(c, err)
	}
	if ok, msg := a.allow(c, "waitlist", a.limits.start); !ok {
		return a.renderWaitlist(c, http.StatusTooManyRequests, email, form, views.Errors{"": msg}, false)
	}
	if a.Captcha != nil {
		// A double click's second press joins again, which changes and
		// sends nothing.
		err := a.waitlistCheck(c, form.Get(a.Captcha.Widget().Field), email)
		var refused *captchaRefused
		if errors.As(err, &refused) {
			return a.renderWaitlist(c, refused.status, email, form, views.Errors{"": refused.msg}, false)
		} else if err != nil {
			return err
		}
	}
	err := a.Waitlist.Join(c.Request().Context(), email)
	if errors.Is(err, waitlist.ErrNotNotified) {
		// The entry is kept; the confirmation email is a courtesy, and
		// saying it failed would tell that the address was new.
		a.Log.WarnContext(c.Request().Context(), "waitlist confirmation not sent", "err", err,
			"request_id", RequestIDFrom(c.Request().Context()))
		err = nil
	}
	if e, ok := apperr.As(err); ok && e.Code == apperr.Invalid {
		return a.renderWaitlist(c, http.StatusUnprocessableEntity, email, form,
			views.Errors{"email_address": a.say(c, e)}, false)
	}
	if err != nil {
		return err
	}
	return a.renderWaitlist(c, http.StatusOK, email, form, nil, true)
}

func (a *app) renderWaitlist(c echo.Context, status int, email string, q url.Values, errs views.Errors, joined bool) error {
	title := a.t(c, "waitlist.title")
	if joined {
		title = a.t(c, "waitlist.joined_title")
	}
	return render(c, status, views.WaitlistPage(views.Waitlist{Page: a.page(c, title), Action: "/waitlist",
		Email: email, Hidden: redirectHidden(q), Errors: errs, SignInURL: withRedirect("/sign-in", q), Joined: joined,
		Captcha: a.captchaWidget(joined)}))
}
