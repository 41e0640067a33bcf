package handlers

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/portalhq/portal/internal/restrict"
)

// The Backend API's allowlist and blocklist, Clerk's
// /v1/allowlist_identifiers and /v1/blocklist_identifiers. Their entries
// count with PORTAL_ALLOWLIST and PORTAL_BLOCKLIST from the moment they are
// stored (internal/restrict).

func listRoute(h func(a *app, c echo.Context, list string) error, list string) func(a *app, c echo.Context) error {
	return func(a *app, c echo.Context) error { return h(a, c, list) }
}

// GET /v1/allowlist_identifiers (limit, offset; paginated=true for
// {"data","total_count"}, else a bare array, as Clerk answers) and GET
// /v1/blocklist_identifiers (always {"data","total_count"}, as Clerk's).
func (a *app) apiListEntries(c echo.Context, list string) error {
	limit, offset, err := queryPage(c)
	if err != nil {
		return err
	}
	wrapped := list == restrict.Blocklist
	if !wrapped {
		if wrapped, err = queryBool(c, "paginated"); err != nil {
			return err
		}
	}
	entries, total, err := a.Lists.List(c.Request().Context(), list, limit, offset)
	if err != nil {
		return err
	}
	out := make([]restrict.Object, 0, len(entries))
	for i := range entries {
		out = append(out, entries[i].ToObject())
	}
	return apiList(c, wrapped, out, total)
}

// POST /v1/allowlist_identifiers {identifier, notify} and POST
// /v1/blocklist_identifiers {identifier}
func (a *app) apiAddEntry(c echo.Context, list string) error {
	var b struct {
		Identifier string `json:"identifier"`
		Notify     bool   `json:"notify"` // allowlist only; Clerk's default, false
	}
	if err := bindJSON(c, &b); err != nil {
		return err
	}
	e, err := a.Lists.Add(c.Request().Context(), list, b.Identifier, b.Notify && list == restrict.Allowlist)
	switch {
	case errors.Is(err, restrict.ErrMissing):
		return &apiError{Status: http.StatusUnprocessableEntity, Code: "form_param_missing", Message: "is missing",
			LongMessage: restrict.ErrMissing.Message, Meta: map[string]any{"param_name": "identifier"}}
	case err != nil:
		return err
	}
	return apiJSON(c, http.StatusOK, e.ToObject())
}

// DELETE /v1/allowlist_identifiers/:id, DELETE /v1/blocklist_identifiers/:id
func (a *app) apiDeleteEntry(c echo.Context, list string) error {
	if err := a.Lists.Delete(c.Request().Context(), list, c.Param("id")); err != nil {
		return err
	}
	return apiJSON(c, http.StatusOK, deleted{ID: c.Param("id"), Object: restrict.ObjectName(list), Deleted: true})
}
