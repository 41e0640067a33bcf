package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// POST /user/sessions/:id/revoke: sign out one other device. It finds
// itself signed out at its next token refresh.
func (a *app) userRevokeSession(c echo.Context) error {
	sess, u, ok, err := a.signedIn(c)
	if !ok {
		return err
	}
	if err := a.Account.SignOutDevice(c.Request().Context(), sess, c.Param("id")); err != nil {
		return a.profileFailed(c, sess, u, err, nil)
	}
	return c.Redirect(http.StatusSeeOther, "/user?done=signed_out#devices")
}

// POST /user/sessions/revoke-others: sign out every other device.
func (a *app) userRevokeOtherSessions(c echo.Context) error {
	sess, u, ok, err := a.signedIn(c)
	if !ok {
		return err
	}
	if _, err := a.Account.SignOutOthers(c.Request().Context(), sess); err != nil {
		return a.profileFailed(c, sess, u, err, nil)
	}
	return c.Redirect(http.StatusSeeOther, "/user?done=signed_out_all#devices")
}
