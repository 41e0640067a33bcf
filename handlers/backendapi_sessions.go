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
	return apiList(c, wrapped, out, total)
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

// Refusals of POST /v1/sessions.
var (
	// errDevelopmentOnly: a production instance starts no session that
	// nobody signed in to. Clerk's code for a request only valid on
	// another kind of instance (InvalidRequestForEnvironment), which its
	// createSession, "only available for development instances", answers.
	errDevelopmentOnly = apperr.New(apperr.Forbidden,
		"Request only valid for development instances: this portal runs in production (PORTAL_ENV), "+
			"where a session starts only when someone signs in.").Coded("request_invalid_for_environment")
	// errSessionUserRefused answers for a user who may not sign in, as
	// POST /v1/sign_in_tokens answers for one: 422 on user_id.
	errSessionUserRefused = apperr.Field(apperr.Invalid, "user_id",
		"This user is banned, locked or holds a blocked identifier, so they can't sign in and no session can be created for them.")
)

// POST /v1/sessions: a new active session of user_id, as Clerk's
// createSession, answered as GET /v1/sessions/{id} answers it. A
// development instance's only: it signs a user in with nothing but the
// secret key, for a relying app's end-to-end tests (then POST
// /v1/sessions/{id}/tokens mints its token). The session starts as every
// sign-in's does, on a client of its own, and proved no factor
// (session.StartUnproved).
func (a *app) apiSessionCreate(c echo.Context) error {
	if !a.Config.Dev() {
		return errDevelopmentOnly
	}
	var body struct {
		UserID string `json:"user_id"`
	}
	if err := bindJSON(c, &body); err != nil {
		return err
	}
	if body.UserID == "" {
		return apperr.Field(apperr.Invalid, "user_id", "Give the user_id of the user the session is for.")
	}
	ctx := c.Request().Context()
	s, err := a.Sessions.StartUnproved(ctx, body.UserID, RealIP(c).String(), c.Request().UserAgent())
	if errors.Is(err, session.ErrCannotSignIn) {
		return errSessionUserRefused
	}
	if err != nil {
		return err
	}
	a.Log.InfoContext(ctx, "backend API started a session without a sign-in", "user_id", s.UserID,
		"session_id", s.ID, "ip", RealIP(c).String(), "request_id", RequestIDFrom(ctx))
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
