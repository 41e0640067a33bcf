package handlers

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/redirect"
	"github.com/portalhq/portal/internal/user"
	"github.com/portalhq/portal/views"
)

// GET /sign-out: a confirmation, since signing out is a POST.
func (a *app) signOutPage(c echo.Context) error {
	q := c.QueryParams()
	target, err := a.Redirects.ResolveOrPortal(q, redirect.SignIn, a.base)
	if err != nil {
		return a.refusedRedirect(c, err)
	}
	sess, err := a.current(c)
	if err != nil {
		return err
	}
	var u *user.User
	if sess != nil {
		if u, err = a.Users.UserByID(c.Request().Context(), sess.UserID); err != nil && !errors.Is(err, apperr.ErrNotFound) {
			return err
		}
	}
	// Cancel keeps the session and goes back to the app the person came
	// from (the redirect URL, already checked), else the portal's home.
	p := views.SignOut{Action: "/sign-out", Hidden: redirectHidden(q), SignInURL: withRedirect("/sign-in", q), CancelURL: "/"}
	if target != nil {
		p.CancelURL = target.String()
		p.BackURL = target.String()
	}
	if u != nil { // accounts without an email are named by what they have
		a.followAccountLocale(c, u)
		p.Email = firstNonEmpty(u.PrimaryEmail(), u.Username(), a.displayPhone(u.PrimaryPhone()))
	}
	p.Page = a.page(c, a.t(c, "signout.title"))
	if p.Email == "" { // the page says nobody is signed in; so does its title
		p.Page.Title = a.t(c, "signout.done_title")
	}
	return render(c, http.StatusOK, views.SignOutPage(p))
}

// POST /sign-out: end the session server-side, clear the app cookies, and go
// back to the app (or the sign-in page).
func (a *app) signOut(c echo.Context) error {
	form, _ := c.FormParams()
	target, err := a.Redirects.ResolveOrPortal(form, redirect.SignIn, a.base)
	if err != nil {
		return a.refusedRedirect(c, err)
	}
	if err := a.Sessions.SignOut(c.Request().Context(), a.clientID(c)); err != nil {
		return err
	}
	c.Set(currentKey, nil)
	a.clearSessionCookies(c)
	if target == nil {
		return c.Redirect(http.StatusSeeOther, "/sign-in")
	}
	return c.Redirect(http.StatusSeeOther, target.String())
}
