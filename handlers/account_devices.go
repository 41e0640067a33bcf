package handlers

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/portalhq/portal/internal/account"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/views"
)

// The buttons of /user that sign devices out post straight to these
// routes. When the person's last proof is too old, "Confirm it's you"
// comes back to the GET page of the same path, which asks for the press
// again, so the press is not lost on the way.

// GET and POST /user/sessions/:id/revoke: sign out one other device. It
// finds itself signed out at its next token refresh.
func (a *app) userRevokeSession(c echo.Context) error {
	sess, u, ok, err := a.signedIn(c)
	if !ok {
		return err
	}
	here := "/user/sessions/" + url.PathEscape(c.Param("id")) + "/revoke"
	if c.Request().Method == http.MethodGet {
		if !a.Account.Fresh(sess) {
			return a.reverify(c, here)
		}
		devices, err := a.Account.Devices(c.Request().Context(), sess)
		if err != nil {
			return err
		}
		for _, d := range devices {
			if d.SessionID == c.Param("id") && !d.This {
				loc, name := a.localizer(c), d.Browser
				if d.OS != "" {
					name = a.t(c, "account.devices.browser_on_os", "Browser", d.Browser, "OS", d.OS)
				}
				return a.confirm(c, views.UserConfirm{Page: a.page(c, a.t(c, "button.sign_out")),
					Action: here, CancelURL: "/user#devices", Heading: a.t(c, "account.devices.sign_out_heading", "Device", name),
					Body:   a.t(c, "account.devices.detail", "SignedIn", loc.DateTime(d.SignedInAt), "LastActive", loc.DateTime(d.LastActiveAt)),
					Button: a.t(c, "button.sign_out"), Danger: true})
			}
		}
		return a.message(c, http.StatusNotFound, a.t(c, "page.not_found_short"), a.say(c, session.ErrNoSuchSession), "/user",
			a.t(c, "account.back_to_account"))
	}
	err = a.Account.SignOutDevice(c.Request().Context(), sess, c.Param("id"))
	if errors.Is(err, account.ErrReverify) {
		return a.reverify(c, here)
	}
	if err != nil {
		return a.profileFailed(c, sess, u, err, nil)
	}
	return c.Redirect(http.StatusSeeOther, "/user?done=signed_out#devices")
}

// GET and POST /user/sessions/revoke-others: sign out every other device.
func (a *app) userRevokeOtherSessions(c echo.Context) error {
	sess, u, ok, err := a.signedIn(c)
	if !ok {
		return err
	}
	const here = "/user/sessions/revoke-others"
	if c.Request().Method == http.MethodGet {
		if !a.Account.Fresh(sess) {
			return a.reverify(c, here)
		}
		return a.confirm(c, views.UserConfirm{Page: a.page(c, a.t(c, "signin.sign_out_others")),
			Action: here, CancelURL: "/user#devices", Heading: a.t(c, "account.devices.sign_out_others_heading"),
			Button: a.t(c, "signin.sign_out_others"), Danger: true})
	}
	_, err = a.Account.SignOutOthers(c.Request().Context(), sess)
	if errors.Is(err, account.ErrReverify) {
		return a.reverify(c, here)
	}
	if err != nil {
		return a.profileFailed(c, sess, u, err, nil)
	}
	return c.Redirect(http.StatusSeeOther, "/user?done=signed_out_all#devices")
}
