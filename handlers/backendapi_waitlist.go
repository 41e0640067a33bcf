package handlers

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/portalhq/portal/internal/waitlist"
)

// The Backend API's waiting list, Clerk's /v1/waitlist_entries. It works
// in every sign-up mode, so that the operator may fill the list before
// opening the page (PORTAL_SIGN_UP_MODE=waitlist).

func (a *app) waitlistAPIOn() error {
	if a.Waitlist == nil {
		return &apiError{Status: http.StatusNotFound, Code: "resource_not_found", Message: "not found",
			LongMessage: "This instance has no waitlist."}
	}
	return nil
}

// GET /v1/waitlist_entries (status, repeated; query; order_by; limit,
// offset): {"data","total_count"}, as Clerk answers.
func (a *app) apiWaitlistList(c echo.Context) error {
	if err := a.waitlistAPIOn(); err != nil {
		return err
	}
	f := waitlist.Filter{Statuses: queryList(c, "status"), Query: strings.TrimSpace(c.QueryParam("query")),
		OrderBy: c.QueryParam("order_by")}
	var err error
	if f.Limit, f.Offset, err = queryPage(c); err != nil {
		return err
	}
	list, total, err := a.Waitlist.List(c.Request().Context(), f)
	if err != nil {
		return err
	}
	now := a.Clock.Now()
	out := make([]waitlist.Object, 0, len(list))
	for i := range list {
		out = append(out, list[i].ToObject(now))
	}
	return apiJSON(c, http.StatusOK, paginated{Data: out, TotalCount: total})
}

// waitlistEntryBody is what POST /v1/waitlist_entries takes, and each
// element of the bulk endpoint's array.
type waitlistEntryBody struct {
	EmailAddress string `json:"email_address"`
	Notify       *bool  `json:"notify"` // default true: email a new entry its confirmation
}

func (b waitlistEntryBody) input() waitlist.CreateInput {
	return waitlist.CreateInput{Email: b.EmailAddress, Notify: b.Notify == nil || *b.Notify}
}

// POST /v1/waitlist_entries {email_address, notify}
func (a *app) apiWaitlistCreate(c echo.Context) error {
	if err := a.waitlistAPIOn(); err != nil {
		return err
	}
	var b waitlistEntryBody
	if err := bindJSON(c, &b); err != nil {
		return err
	}
	e, err := a.Waitlist.Create(c.Request().Context(), b.input())
	if err != nil {
		return err
	}
	return apiJSON(c, http.StatusOK, e.ToObject(a.Clock.Now()))
}

// POST /v1/waitlist_entries/bulk: an array of what POST
// /v1/waitlist_entries takes, up to 50, added all together or not at
// all; the answer is the array of entries in the same order, an address
// on the list already answering its entry, as Clerk's.
func (a *app) apiWaitlistBulk(c echo.Context) error {
	if err := a.waitlistAPIOn(); err != nil {
		return err
	}
	var bs []waitlistEntryBody
	if err := bindJSON(c, &bs); err != nil {
		return err
	}
	ins := make([]waitlist.CreateInput, len(bs))
	for i, b := range bs {
		ins[i] = b.input()
	}
	es, err := a.Waitlist.CreateMany(c.Request().Context(), ins)
	if err != nil {
		return err
	}
	now := a.Clock.Now()
	out := make([]waitlist.Object, len(es))
	for i, e := range es {
		out[i] = e.ToObject(now)
	}
	return apiJSON(c, http.StatusOK, out)
}

// POST /v1/waitlist_entries/:id/invite {ignore_existing}
func (a *app) apiWaitlistInvite(c echo.Context) error {
	if err := a.waitlistAPIOn(); err != nil {
		return err
	}
	var b struct {
		IgnoreExisting bool `json:"ignore_existing"`
	}
	if err := bindJSON(c, &b); err != nil {
		return err
	}
	e, err := a.Waitlist.Invite(c.Request().Context(), c.Param("id"), b.IgnoreExisting)
	if err != nil {
		return err
	}
	return apiJSON(c, http.StatusOK, e.ToObject(a.Clock.Now()))
}

// POST /v1/waitlist_entries/:id/reject
func (a *app) apiWaitlistReject(c echo.Context) error {
	if err := a.waitlistAPIOn(); err != nil {
		return err
	}
	e, err := a.Waitlist.Reject(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return apiJSON(c, http.StatusOK, e.ToObject(a.Clock.Now()))
}

// DELETE /v1/waitlist_entries/:id
func (a *app) apiWaitlistDelete(c echo.Context) error {
	if err := a.waitlistAPIOn(); err != nil {
		return err
	}
	if err := a.Waitlist.Delete(c.Request().Context(), c.Param("id")); err != nil {
		return err
	}
	return apiJSON(c, http.StatusOK, deleted{ID: c.Param("id"), Object: "waitlist_entry", Deleted: true})
}
