package handlers

import (
	"encoding/json"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/portalhq/portal/internal/jwttemplate"
	"github.com/portalhq/portal/internal/session"
)

// templateObject is a JWT template as Clerk shows it; the signing key is
// never shown.
type templateObject struct {
	Object           string          `json:"object"`
	ID               string          `json:"id"`
	Name             string          `json:"name"`
	Claims           json.RawMessage `json:"claims"`
	Lifetime         int64           `json:"lifetime"`
	AllowedClockSkew int64           `json:"allowed_clock_skew"`
	CustomSigningKey bool            `json:"custom_signing_key"`
	SigningAlgorithm string          `json:"signing_algorithm"`
	CreatedAt        int64           `json:"created_at"`
	UpdatedAt        int64           `json:"updated_at"`
}

func toTemplateObject(t *jwttemplate.Template) templateObject {
	return templateObject{Object: "jwt_template", ID: t.ID, Name: t.Name, Claims: t.Claims,
		Lifetime: int64(t.Lifetime.Seconds()), AllowedClockSkew: int64(t.AllowedClockSkew.Seconds()),
		CustomSigningKey: t.CustomSigningKey, SigningAlgorithm: t.SigningAlgorithm,
		CreatedAt: t.CreatedAt.UnixMilli(), UpdatedAt: t.UpdatedAt.UnixMilli()}
}

type templateBody struct {
	Name             *string         `json:"name"`
	Claims           json.RawMessage `json:"claims"`
	Lifetime         *int64          `json:"lifetime"`
	AllowedClockSkew *int64          `json:"allowed_clock_skew"`
	CustomSigningKey *bool           `json:"custom_signing_key"`
	SigningAlgorithm *string         `json:"signing_algorithm"`
	SigningKey       *string         `json:"signing_key"`
}

func (b templateBody) input() jwttemplate.Input {
	return jwttemplate.Input{Name: b.Name, Claims: b.Claims, Lifetime: b.Lifetime, AllowedClockSkew: b.AllowedClockSkew,
		CustomSigningKey: b.CustomSigningKey, SigningAlgorithm: b.SigningAlgorithm, SigningKey: b.SigningKey}
}

// GET /v1/jwt_templates (limit, offset): a bare array, or
// {"data","total_count"} with paginated=true.
func (a *app) apiTemplatesList(c echo.Context) error {
	wrapped, err := queryBool(c, "paginated")
	if err != nil {
		return err
	}
	limit, offset, err := queryPage(c)
	if err != nil {
		return err
	}
	list, total, err := a.Templates.List(c.Request().Context(), limit, offset)
	if err != nil {
		return err
	}
	out := make([]templateObject, 0, len(list))
	for i := range list {
		out = append(out, toTemplateObject(&list[i]))
	}
	return apiList(c, wrapped, out, total)
}

// POST /v1/jwt_templates: problems in the claims come back with their line
// and column in meta.
func (a *app) apiTemplateCreate(c echo.Context) error {
	var b templateBody
	if err := bindJSON(c, &b); err != nil {
		return err
	}
	t, err := a.Templates.Create(c.Request().Context(), b.input())
	if err != nil {
		return err
	}
	return apiJSON(c, http.StatusOK, toTemplateObject(t))
}

// GET /v1/jwt_templates/:id
func (a *app) apiTemplateGet(c echo.Context) error {
	t, err := a.Templates.Get(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return apiJSON(c, http.StatusOK, toTemplateObject(t))
}

// PATCH /v1/jwt_templates/:id
func (a *app) apiTemplateUpdate(c echo.Context) error {
	var b templateBody
	if err := bindJSON(c, &b); err != nil {
		return err
	}
	t, err := a.Templates.Update(c.Request().Context(), c.Param("id"), b.input())
	if err != nil {
		return err
	}
	return apiJSON(c, http.StatusOK, toTemplateObject(t))
}

// DELETE /v1/jwt_templates/:id
func (a *app) apiTemplateDelete(c echo.Context) error {
	if err := a.Templates.Delete(c.Request().Context(), c.Param("id")); err != nil {
		return err
	}
	return apiJSON(c, http.StatusOK, deleted{ID: c.Param("id"), Object: "jwt_template", Deleted: true})
}

// POST /v1/sessions/:id/tokens/:template
func (a *app) apiSessionTemplateToken(c echo.Context) error {
	ctx := c.Request().Context()
	lifetime, err := tokenLifetime(c, 0)
	if err != nil {
		return err
	}
	s, err := a.Sessions.LiveSession(ctx, c.Param("id"))
	if err != nil {
		return notActive(err)
	}
	tok, err := a.Templates.Mint(ctx, c.Param("template"), s, "", lifetime)
	if err != nil {
		return notActive(err)
	}
	return apiJSON(c, http.StatusOK, tokenObject{Object: "token", JWT: tok})
}

// mintFor mints the session token, or the template's token when a template
// is named.
func (a *app) mintFor(c echo.Context, s *session.Session, template, azp string) (string, error) {
	if template == "" {
		tok, _, err := a.Sessions.Token(c.Request().Context(), s, azp)
		return tok, err
	}
	return a.Templates.Mint(c.Request().Context(), template, s, azp, 0)
}
