package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/portalhq/portal/internal/account"
	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/user"
)

// /v1/email_addresses and /v1/phone_numbers, as Clerk's: the operator adds,
// reads, changes and removes one email address or phone number of a user,
// under /user's rules (account.Service.OperatorAdd and the rest).

// identifierBody is the JSON of POST and PATCH, with Clerk's names.
type identifierBody struct {
	UserID                  *string `json:"user_id"`
	EmailAddress            *string `json:"email_address"`
	PhoneNumber             *string `json:"phone_number"`
	Verified                *bool   `json:"verified"`
	Primary                 *bool   `json:"primary"`
	ReservedForSecondFactor *bool   `json:"reserved_for_second_factor"`
}

func (b identifierBody) change(kind string) account.IdentifierChange {
	c := account.IdentifierChange{Verified: b.Verified, Primary: b.Primary}
	if kind == user.Phone {
		c.SecondFactor = b.ReservedForSecondFactor
	}
	return c
}

// phoneAnswer is a phone number as Clerk answers it: with the backup codes
// made when reserving it gave the user its first second factor.
type phoneAnswer struct {
	user.PhoneObject
	BackupCodes []string `json:"backup_codes"`
}

// identifierAnswer is identifierID of u as the API shows it.
func (a *app) identifierAnswer(u *user.User, kind, identifierID string, codes []string) any {
	o := a.userObject(u)
	if kind == user.Email {
		return o.EmailAddress(identifierID)
	}
	return phoneAnswer{PhoneObject: *o.PhoneNumber(identifierID), BackupCodes: codes}
}

// POST /v1/email_addresses, POST /v1/phone_numbers
func (a *app) apiIdentifierCreate(c echo.Context, kind string) error {
	var b identifierBody
	if err := bindJSON(c, &b); err != nil {
		return err
	}
	if b.UserID == nil || *b.UserID == "" {
		return apperr.Field(apperr.Invalid, "user_id", "Give the ID of the user (user_id).")
	}
	raw := b.EmailAddress
	if kind == user.Phone {
		raw = b.PhoneNumber
	}
	if raw == nil {
		raw = new(string)
	}
	out, err := a.Account.OperatorAdd(c.Request().Context(), *b.UserID, kind, *raw, b.change(kind))
	if err != nil {
		return err
	}
	return apiJSON(c, http.StatusOK, a.identifierAnswer(out.User, kind, out.ID, out.BackupCodes))
}

// GET /v1/email_addresses/:id, GET /v1/phone_numbers/:id
func (a *app) apiIdentifierGet(c echo.Context, kind string) error {
	u, err := a.Account.OperatorIdentifier(c.Request().Context(), kind, c.Param("id"))
	if err != nil {
		return err
	}
	return apiJSON(c, http.StatusOK, a.identifierAnswer(u, kind, c.Param("id"), nil))
}

// PATCH /v1/email_addresses/:id, PATCH /v1/phone_numbers/:id
func (a *app) apiIdentifierUpdate(c echo.Context, kind string) error {
	var b identifierBody
	if err := bindJSON(c, &b); err != nil {
		return err
	}
	out, err := a.Account.OperatorUpdate(c.Request().Context(), kind, c.Param("id"), b.change(kind))
	if err != nil {
		return err
	}
	return apiJSON(c, http.StatusOK, a.identifierAnswer(out.User, kind, out.ID, out.BackupCodes))
}

// DELETE /v1/email_addresses/:id, DELETE /v1/phone_numbers/:id
func (a *app) apiIdentifierDelete(c echo.Context, kind string) error {
	if _, err := a.Account.OperatorRemove(c.Request().Context(), kind, c.Param("id")); err != nil {
		return lastWay(err) // removing the last way to sign in: identification_deletion_failed
	}
	return apiJSON(c, http.StatusOK, deleted{ID: c.Param("id"), Object: kind, Deleted: true})
}

func identifierRoute(h func(a *app, c echo.Context, kind string) error, kind string) func(a *app, c echo.Context) error {
	return func(a *app, c echo.Context) error { return h(a, c, kind) }
}
