package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/portalhq/portal/internal/admin"
	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/session"
)

// GET /v1/sessions?user_id=…|client_id=…[&status=…]: a bare array, or
// {"data","total_count"} with paginated=true.
func (a *app) apiSessionsList(c echo.Context) error {
	f := admin.SessionFilter{UserID: c.QueryParam("user_id"), ClientID: c.QueryParam("client_id"),
		Status: c.QueryParam("status")}
	var err error
	if f.Limit, err = queryLimit(c); err != nil {
		return err
	}
	if f.Offset, err = queryInt(c, "offset"); err != nil {
		return err
	}
	wrapped, err := queryBool(c, "paginated")
	if err != nil {
		return err
	}
	if err := a.Sessions.ExpireStale(c.Request().Context(), f.UserID, f.ClientID); err != nil {
		return err
	}
	list, total, err := admin.ListSessions(c.Request().Context(), a.AdminRepo, f)
	if err != nil {
		return err
	}
	out := make([]session.Object, 0, len(list))
	for i := range list {
		out = append(out, list[i].ToObject())
	}
	if wrapped {
		return apiJSON(c, http.StatusOK, paginated{Data: out, TotalCount: total})
	}
	return apiJSON(c, http.StatusOK, out)
}

// GET /v1/sessions/:id: a session past its lifetime reads expired.
func (a *app) apiSessionGet(c echo.Context) error {
	ctx := c.Request().Context()
	if _, err := a.Sessions.LiveSession(ctx, c.Param("id")); err != nil && !errors.Is(err, session.ErrSignedOut) {
		return err
	}
	s, err := a.Sessions.Get(ctx, c.Param("id"))
	if err != nil {
		return err
	}
	return apiJSON(c, http.StatusOK, s.ToObject())
}

// POST /v1/sessions/:id/revoke: the session's tokens stop at their next
// refresh.
func (a *app) apiSessionRevoke(c echo.Context) error {
	s, err := a.Sessions.RevokeSession(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return apiJSON(c, http.StatusOK, s.ToObject())
}

// tokenObject is a minted token, as Clerk answers it.
type tokenObject struct {
	Object string `json:"object"`
	JWT    string `json:"jwt"`
}

// POST /v1/sessions/:id/tokens: a session token for a live session of a
// user who may still sign in, for expires_in_seconds when the body gives
// it. It has no azp: no app origin asked for it.
func (a *app) apiSessionToken(c echo.Context) error {
	ctx := c.Request().Context()
	ttl, err := tokenLifetime(c, a.Sessions.Policy.TokenTTL)
	if err != nil {
		return err
	}
	s, err := a.Sessions.LiveSession(ctx, c.Param("id"))
	if err != nil {
		return notActive(err)
	}
	tok, _, err := a.Sessions.TokenFor(ctx, s, "", ttl)
	if err != nil {
		return notActive(err)
	}
	return apiJSON(c, http.StatusOK, tokenObject{Object: "token", JWT: tok})
}

// Token lifetimes the Backend API accepts as expires_in_seconds.
const (
	minTokenLifetime = 30 * time.Second
	maxTokenLifetime = 10 * 365 * 24 * time.Hour
)

// tokenLifetime reads the optional {"expires_in_seconds": n} body of a
// token request; def when it is absent or null.
func tokenLifetime(c echo.Context, def time.Duration) (time.Duration, error) {
	var body struct {
		ExpiresIn *int64 `json:"expires_in_seconds"`
	}
	if err := bindJSON(c, &body); err != nil {
		return 0, err
	}
	if body.ExpiresIn == nil {
		return def, nil
	}
	d := time.Duration(*body.ExpiresIn) * time.Second
	if *body.ExpiresIn < int64(minTokenLifetime/time.Second) || *body.ExpiresIn > int64(maxTokenLifetime/time.Second) {
		return 0, apperr.Field(apperr.Invalid, "expires_in_seconds", fmt.Sprintf(
			"expires_in_seconds must be between %d and %d.", int64(minTokenLifetime/time.Second), int64(maxTokenLifetime/time.Second)))
	}
	return d, nil
}

// GET /v1/jwks: the same keys as /.well-known/jwks.json.
func (a *app) apiJWKS(c echo.Context) error {
	return c.Blob(http.StatusOK, apiContentType, a.Signer.JWKS())
}

// notActive answers for a session that can no longer mint tokens (ended,
// revoked, expired, or its user banned or deleted) without calling it an
// authentication failure of the caller.
func notActive(err error) error {
	if errors.Is(err, session.ErrSignedOut) {
		return &apiError{Status: http.StatusUnprocessableEntity, Code: "session_not_active",
			Message: "Session is not active", LongMessage: "The session has ended; it can't mint tokens any more.",
			Meta: map[string]any{"param_name": "session_id"}}
	}
	return err
}
