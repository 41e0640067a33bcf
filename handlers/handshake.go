package handlers

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/redirect"
	"github.com/portalhq/portal/internal/session"
)

// GET /v1/client/handshake?redirect_url=…: a relying app whose token expired
// sends the browser here. With a live session it gets a fresh token; without
// one the app cookies are cleared. Either way the answer is 307 back to the
// app, which never comes back here in a loop: a signed-out browser returns
// with __client_uat=0 and the app treats it as signed out. An
// organization_id parameter (ID or slug, empty = personal account) makes
// that organization active first when the person is a member of it.
func (a *app) handshake(c echo.Context) error {
	raw := c.QueryParam("redirect_url")
	if raw == "" {
		return a.message(c, http.StatusBadRequest, a.t(c, "page.link_unusable_title"), a.t(c, "page.no_return_body"), "", "")
	}
	target, err := a.Redirects.CheckOrPortal(raw, a.base)
	if err != nil {
		return a.refusedRedirect(c, err)
	}
	sess, err := a.current(c)
	if err != nil {
		return err
	}
	if sess, err = a.forApps(c, sess, target); err != nil {
		return err
	}
	if sess == nil {
		a.clearSessionCookies(c)
		return c.Redirect(http.StatusTemporaryRedirect, target.String())
	}
	tok, _, err := a.Sessions.Token(c.Request().Context(), sess, redirect.Origin(target))
	if errors.Is(err, session.ErrSignedOut) || apperr.CodeOf(err) == apperr.Unauthorized {
		a.clearSessionCookies(c)
		return c.Redirect(http.StatusTemporaryRedirect, target.String())
	}
	if err != nil {
		return err
	}
	a.setSessionCookies(c, tok, sess.CreatedAt)
	return c.Redirect(http.StatusTemporaryRedirect, target.String())
}

// forApps is sess as the relying apps may see it, for the handshake and
// the front end's token endpoint: nil (signed out) while a required second
// factor is still to enrol — the app's sign-in page leads through the
// enrolment — or an organization must be chosen first; this order is
// handBack's. The request's organization_id, when there is one, is applied.
func (a *app) forApps(c echo.Context, sess *session.Session, target *url.URL) (*session.Session, error) {
	if sess == nil {
		return nil, nil
	}
	if enrol, err := a.mustEnrol(c, sess, target); err != nil || enrol != "" {
		return nil, err
	}
	if a.Orgs == nil {
		return sess, nil
	}
	sess, pending, err := a.handshakeOrg(c, sess)
	if err != nil || pending {
		return nil, err
	}
	return sess, nil
}
