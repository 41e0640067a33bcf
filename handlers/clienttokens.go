package handlers

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/portalhq/portal/internal/redirect"
)

// POST /v1/client/sessions/:id/tokens[/:template] is what a relying app's
// front end calls (getToken, getToken({template})) with the browser's
// __client cookie. It answers a token in the body, readable only by the
// origins CORS lets through: the allowed redirect origins, named exactly,
// never reflected blindly and never "null" (REQ-HDR-03). It changes no
// state, and a cross-site page could not read the answer, so the Origin
// check below stands in for the CSRF token the app cannot have.

// corsOrigin returns the request's Origin when it is an allowed app (or
// the portal itself), "" for a request without Origin, and ok=false for
// any other origin.
func (a *app) corsOrigin(c echo.Context) (origin string, ok bool) {
	o := c.Request().Header.Get("Origin")
	if o == "" {
		return "", true
	}
	if o == "null" || strings.ContainsAny(o, " ,\r\n") {
		return "", false
	}
	u, err := a.Redirects.CheckOrPortal(o+"/", a.base)
	if err != nil || redirect.Origin(u) != o || u.Path != "/" || u.RawQuery != "" {
		return "", false
	}
	return o, true
}

func (a *app) refuseOrigin(c echo.Context) error {
	o := c.Request().Header.Get("Origin")
	why := "an Origin header that names no origin"
	if o == "" {
		why = "no Origin header: a preflight always has one"
	} else if _, err := a.Redirects.CheckOrPortal(o+"/", a.base); err != nil {
		// The refusal names what PORTAL_ALLOWED_REDIRECT_ORIGINS allows and
		// how near the page's origin came (127.0.0.1 beside localhost).
		why = err.Error()
		if cause := errors.Unwrap(err); cause != nil {
			why = cause.Error()
		}
	}
	a.Log.WarnContext(c.Request().Context(), "token request from an origin that is not allowed",
		"origin", o, "why", why, "request_id", RequestIDFrom(c.Request().Context()))
	a.apiFail(c, &apiError{Status: http.StatusForbidden, Code: "origin_invalid", Message: "Origin not allowed",
		LongMessage: "This origin is not in PORTAL_ALLOWED_REDIRECT_ORIGINS."})
	return nil
}

func allowCredentials(c echo.Context, origin string) {
	h := c.Response().Header()
	h.Add("Vary", "Origin")
	if origin != "" {
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
	}
}

// OPTIONS: the preflight of a credentialed POST.
func (a *app) clientTokenPreflight(c echo.Context) error {
	origin, ok := a.corsOrigin(c)
	if !ok || origin == "" {
		return a.refuseOrigin(c)
	}
	allowCredentials(c, origin)
	h := c.Response().Header()
	h.Set("Access-Control-Allow-Methods", "POST")
	h.Set("Access-Control-Allow-Headers", "Content-Type")
	h.Set("Access-Control-Max-Age", "600")
	return c.NoContent(http.StatusNoContent)
}

// POST: a fresh token for the browser's current session, which must be
// the one named (REQ-AC-02), with the app's origin as azp.
func (a *app) clientToken(c echo.Context) error {
	origin, ok := a.corsOrigin(c)
	if !ok {
		return a.refuseOrigin(c)
	}
	allowCredentials(c, origin)
	s, err := a.current(c)
	if err != nil {
		a.apiFail(c, err)
		return nil
	}
	if s, err = a.forApps(c, s, a.base); err != nil {
		a.apiFail(c, err)
		return nil
	}
	if s == nil || s.ID != c.Param("id") {
		a.apiFail(c, &apiError{Status: http.StatusUnauthorized, Code: "signed_out", Message: "Signed out",
			LongMessage: "This browser has no such active session."})
		return nil
	}
	tok, err := a.mintFor(c, s, c.Param("template"), origin)
	if err != nil {
		a.apiFail(c, notActive(err))
		return nil
	}
	return apiJSON(c, http.StatusOK, tokenObject{Object: "token", JWT: tok})
}
