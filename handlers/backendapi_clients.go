package handlers

import (
	"context"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/portalhq/portal/internal/admin"
	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/session"
)

// The Backend API's clients: a client is one browser (the __client cookie
// names it) with the sessions signed in on it, as Clerk's clients are.

// GET /v1/clients/:id
func (a *app) apiClientGet(c echo.Context) error {
	v, err := a.clientByID(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return apiJSON(c, http.StatusOK, v.ToObject())
}

// GET /v1/clients (limit, offset; newest first): a bare array, or
// {"data","total_count"} with paginated=true, as Clerk's (deprecated
// there, still in its SDKs).
func (a *app) apiClientsList(c echo.Context) error {
	limit, offset, err := queryPage(c)
	if err != nil {
		return err
	}
	wrapped, err := queryBool(c, "paginated")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	var total int
	views, err := a.freshClients(ctx, func() (list []admin.ClientView, err error) {
		list, total, err = admin.ListClients(ctx, a.AdminRepo, limit, offset, a.Sessions.Clock.Now())
		return list, err
	})
	if err != nil {
		return err
	}
	out := make([]admin.ClientObject, 0, len(views))
	for i := range views {
		out = append(out, views[i].ToObject())
	}
	return apiList(c, wrapped, out, total)
}

// POST /v1/clients/verify {"token"}: the client a browser's __client cookie
// names. Clerk's token is the client's JWT; Portal's __client is a
// securecookie value (signed and encrypted with PORTAL_COOKIE_KEYS, dated),
// so the token is that cookie's value as the browser holds it, verified as
// the portal verifies it on every request: the keys and the cookie's
// lifetime. A value that does not verify is Clerk's 400 cookie_invalid
// (InvalidCookie); one that names a client the portal no longer has, 404.
func (a *app) apiClientVerify(c echo.Context) error {
	var body struct {
		Token string `json:"token"`
	}
	if err := bindJSON(c, &body); err != nil {
		return err
	}
	tok := strings.TrimSpace(body.Token)
	if tok == "" {
		return apperr.Field(apperr.Invalid, "token", "Give token: the value of the browser's __client cookie.")
	}
	id := a.clientOfToken(tok)
	if id == "" {
		return errClientToken(tok)
	}
	v, err := a.clientByID(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return apiJSON(c, http.StatusOK, v.ToObject())
}

// errClientToken answers a token that is no __client cookie of this
// portal's, saying what was likely sent instead.
func errClientToken(tok string) error {
	long := "The token is not a __client cookie this portal set: it was altered, has expired, or was set with " +
		"cookie keys the portal no longer has (PORTAL_COOKIE_KEYS)."
	switch {
	case strings.HasPrefix(tok, clientCookie+"="):
		long = "Send the __client cookie's value alone, without its name and '='."
	case strings.Count(tok, ".") == 2:
		long = "The token looks like a JWT, such as a session token (__session). Portal's client token is the " +
			"value of the browser's __client cookie, not a JWT."
	}
	return &apiError{Status: http.StatusBadRequest, Code: "cookie_invalid", Message: "cookie invalid",
		LongMessage: long, Meta: map[string]any{"param_name": "token"}}
}

// clientByID returns the client id as the API shows it; 404 when there is
// none.
func (a *app) clientByID(ctx context.Context, id string) (*admin.ClientView, error) {
	views, err := a.freshClients(ctx, func() ([]admin.ClientView, error) {
		v, err := admin.GetClient(ctx, a.AdminRepo, id, a.Sessions.Clock.Now())
		if err != nil {
			return nil, err
		}
		return []admin.ClientView{*v}, nil
	})
	if err != nil {
		return nil, err
	}
	return &views[0], nil
}

// freshClients loads clients with load and, when a session of theirs ran
// out but still reads active, ends it as expired (writing its event, as
// GET /v1/sessions does) and loads them again: a client shows its
// sessions' statuses as GET /v1/sessions/{id} would.
func (a *app) freshClients(ctx context.Context, load func() ([]admin.ClientView, error)) ([]admin.ClientView, error) {
	views, err := load()
	if err != nil {
		return nil, err
	}
	now, stale := a.Sessions.Clock.Now(), false
	for i := range views {
		for _, s := range views[i].Sessions {
			if s.Status == session.Active && !s.Live(now, a.Sessions.Policy.Inactivity) {
				if err := a.Sessions.ExpireStale(ctx, "", views[i].Client.ID); err != nil {
					return nil, err
				}
				stale = true
				break
			}
		}
	}
	if !stale {
		return views, nil
	}
	return load()
}
