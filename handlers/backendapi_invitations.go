package handlers

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/invitation"
)

// The Backend API's application invitations, Clerk's /v1/invitations: the
// link is emailed (notify, true unless false) and answered once, in url,
// when the invitation is created; the portal keeps only the ticket's hash.

type appInvitationBody struct {
	EmailAddress   string          `json:"email_address"`
	PublicMetadata json.RawMessage `json:"public_metadata"`
	RedirectURL    string          `json:"redirect_url"`
	Notify         *bool           `json:"notify"`
	IgnoreExisting bool            `json:"ignore_existing"`
	ExpiresInDays  int             `json:"expires_in_days"`
	TemplateSlug   string          `json:"template_slug"`
}

// input checks b's redirect URL and converts it.
func (a *app) invitationInput(b appInvitationBody) (invitation.CreateInput, error) {
	if b.RedirectURL != "" {
		u, err := a.Redirects.CheckOrPortal(b.RedirectURL, a.base)
		if err != nil {
			return invitation.CreateInput{}, apperr.Field(apperr.Invalid, "redirect_url", "redirect_url must be on the portal or an allowed origin.")
		}
		b.RedirectURL = u.String()
	}
	return invitation.CreateInput{Email: b.EmailAddress, PublicMetadata: b.PublicMetadata, RedirectURL: b.RedirectURL,
		Notify: b.Notify == nil || *b.Notify, IgnoreExisting: b.IgnoreExisting, ExpiresInDays: b.ExpiresInDays,
		TemplateSlug: b.TemplateSlug}, nil
}

func (a *app) invitationsOn() error {
	if a.Invitations == nil {
		return &apiError{Status: http.StatusNotFound, Code: "resource_not_found", Message: "not found",
			LongMessage: "This instance does not use invitations."}
	}
	return nil
}

// POST /v1/invitations
func (a *app) apiAppInvitationCreate(c echo.Context) error {
	if err := a.invitationsOn(); err != nil {
		return err
	}
	var b appInvitationBody
	if err := bindJSON(c, &b); err != nil {
		return err
	}
	in, err := a.invitationInput(b)
	if err != nil {
		return err
	}
	inv, link, err := a.Invitations.Create(c.Request().Context(), in)
	if err != nil {
		return err
	}
	return apiJSON(c, http.StatusOK, inv.ToObject(a.Clock.Now(), link))
}

// POST /v1/invitations/bulk: an array of what POST /v1/invitations takes,
// up to ten, created all together or not at all; the answer is the array
// of invitations, in the same order, each with its url.
func (a *app) apiAppInvitationBulk(c echo.Context) error {
	if err := a.invitationsOn(); err != nil {
		return err
	}
	var bs []appInvitationBody
	if err := bindJSON(c, &bs); err != nil {
		return err
	}
	ins := make([]invitation.CreateInput, len(bs))
	for i, b := range bs {
		var err error
		if ins[i], err = a.invitationInput(b); err != nil {
			return invitation.Nth(err, i, len(bs))
		}
	}
	invs, links, err := a.Invitations.CreateMany(c.Request().Context(), ins)
	if err != nil {
		return err
	}
	now := a.Clock.Now()
	out := make([]invitation.Object, len(invs))
	for i, inv := range invs {
		out[i] = inv.ToObject(now, links[i])
	}
	return apiJSON(c, http.StatusOK, out)
}

// GET /v1/invitations (status, repeated; limit, offset): a bare array as
// Clerk answers, {"data","total_count"} with paginated=true (which Clerk's
// SDKs send).
func (a *app) apiAppInvitationsList(c echo.Context) error {
	if err := a.invitationsOn(); err != nil {
		return err
	}
	f := invitation.Filter{Statuses: queryList(c, "status"), Query: strings.TrimSpace(c.QueryParam("query")),
		OrderBy: c.QueryParam("order_by")}
	var err error
	if f.Limit, f.Offset, err = queryPage(c); err != nil {
		return err
	}
	wrapped, err := queryBool(c, "paginated")
	if err != nil {
		return err
	}
	list, total, err := a.Invitations.List(c.Request().Context(), f)
	if err != nil {
		return err
	}
	now := a.Clock.Now()
	out := make([]invitation.Object, 0, len(list))
	for i := range list {
		out = append(out, list[i].ToObject(now, ""))
	}
	return apiList(c, wrapped, out, total)
}

// POST /v1/invitations/:id/revoke
func (a *app) apiAppInvitationRevoke(c echo.Context) error {
	if err := a.invitationsOn(); err != nil {
		return err
	}
	inv, err := a.Invitations.Revoke(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return apiJSON(c, http.StatusOK, inv.ToObject(a.Clock.Now(), ""))
}
