package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/session"
)

// Cookie names of the contract.
const (
	clientCookie    = "__client"
	sessionCookie   = "__session"
	clientUATCookie = "__client_uat"
	clientIDKey     = "id"
)

// secureCookies is false only for a plain-http development portal, where
// Go clients would otherwise drop the cookies (SECURITY.md T6).
func (a *app) secureCookies() bool { return a.Config.Secure() }

// clientID returns the ID of the browser's client, or "" when it has none
// (or a cookie that does not verify).
func (a *app) clientID(c echo.Context) string {
	s, err := a.clients.Get(c.Request(), clientCookie)
	if err != nil {
		return ""
	}
	v, _ := s.Values[clientIDKey].(string)
	return v
}

// ensureClient returns the browser's client, creating it (and its cookie)
// when missing. Only POSTs create clients, so crawlers and load on GET pages
// write nothing.
func (a *app) ensureClient(c echo.Context) (string, error) {
	if cid := a.clientID(c); cid != "" {
		if _, err := a.Sessions.Repo.ClientByID(c.Request().Context(), cid); err == nil {
			return cid, nil
		} else if !errors.Is(err, apperr.ErrNotFound) {
			return "", err
		}
	}
	cl, err := a.Sessions.NewClient(c.Request().Context())
	if err != nil {
		return "", err
	}
	s, _ := a.clients.New(c.Request(), clientCookie)
	s.Values[clientIDKey] = cl.ID
	if err := s.Save(c.Request(), c.Response()); err != nil {
		return "", err
	}
	return cl.ID, nil
}

// current returns the browser's live session, or nil.
func (a *app) current(c echo.Context) (*session.Session, error) {
	return a.Sessions.Current(c.Request().Context(), a.clientID(c))
}

// setSessionCookies hands a fresh token to the relying apps.
func (a *app) setSessionCookies(c echo.Context, tok string, changedAt time.Time) {
	c.SetCookie(a.appCookie(sessionCookie, tok, a.Config.SessionCookieHTTPOnly))
	c.SetCookie(a.appCookie(clientUATCookie, strconv.FormatInt(changedAt.Unix(), 10), false))
}

// clearSessionCookies tells the relying apps the browser is signed out.
func (a *app) clearSessionCookies(c echo.Context) {
	gone := a.appCookie(sessionCookie, "", a.Config.SessionCookieHTTPOnly)
	gone.MaxAge, gone.Expires = -1, time.Unix(0, 0)
	c.SetCookie(gone)
	c.SetCookie(a.appCookie(clientUATCookie, "0", false))
}

func (a *app) appCookie(name, value string, httpOnly bool) *http.Cookie {
	ck := &http.Cookie{Name: name, Value: value, Path: "/", Domain: a.Config.CookieDomain,
		Secure: a.secureCookies(), HttpOnly: httpOnly, SameSite: http.SameSiteLaxMode}
	if name == clientUATCookie {
		ck.MaxAge = int((365 * day).Seconds())
	}
	return ck
}
