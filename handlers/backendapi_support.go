package handlers

import (
	"bytes"
	"errors"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/portalhq/portal/internal/account"
	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/avatar"
	"github.com/portalhq/portal/internal/factors"
	"github.com/portalhq/portal/internal/passkey"
	"github.com/portalhq/portal/internal/social"
)

// What a support team does to one user through the Backend API, as Clerk's:
// take second factors away, remove a passkey or a connected account, set or
// remove the profile image. Each calls the domain service /user calls for
// the same change, under the same rules and with the same events.

// mfaAnswer is what Clerk's DELETE …/mfa, …/totp and …/backup_code answer.
type mfaAnswer struct {
	UserID string `json:"user_id"`
}

// DELETE /v1/users/:id/mfa: every second factor, and the backup codes.
func (a *app) apiUserDeleteMFA(c echo.Context) error {
	return a.mfaReset(c, factors.TOTPFactor, factors.PhoneFactor, factors.BackupCodeFactor)
}

// DELETE /v1/users/:id/totp: the authenticator app (and the backup codes
// when it was the last second factor).
func (a *app) apiUserDeleteTOTP(c echo.Context) error { return a.mfaReset(c, factors.TOTPFactor) }

// DELETE /v1/users/:id/backup_code
func (a *app) apiUserDeleteBackupCodes(c echo.Context) error {
	return a.mfaReset(c, factors.BackupCodeFactor)
}

func (a *app) mfaReset(c echo.Context, which ...string) error {
	userID := c.Param("id")
	if err := a.Factors.Reset(c.Request().Context(), userID, which...); err != nil {
		return err
	}
	return apiJSON(c, http.StatusOK, mfaAnswer{UserID: userID})
}

// DELETE /v1/users/:id/passkeys/:passkey_id (the ID the user object shows).
func (a *app) apiUserDeletePasskey(c echo.Context) error {
	ctx, userID, pid := c.Request().Context(), c.Param("id"), c.Param("passkey_id")
	raw, err := passkey.DecodeID(pid)
	if err != nil {
		if _, err := a.AdminUsers.Get(ctx, userID); err != nil {
			return err
		}
		return apperr.New(apperr.NotFound, "No passkey of the user has that ID.")
	}
	if err := a.Factors.RemovePasskey(ctx, userID, raw); err != nil {
		return lastWay(err)
	}
	return apiJSON(c, http.StatusOK, deleted{ID: pid, Object: "passkey", Deleted: true})
}

// DELETE /v1/users/:id/external_accounts/:external_account_id
func (a *app) apiUserDeleteExternalAccount(c echo.Context) error {
	id := c.Param("external_account_id")
	if err := a.Social.Disconnect(c.Request().Context(), c.Param("id"), id); err != nil {
		return lastWay(err)
	}
	return apiJSON(c, http.StatusOK, deleted{ID: id, Object: "external_account", Deleted: true})
}

// lastWay answers the rule that keeps every account a way to sign in
// (user.CanSignIn) with Clerk's code for refusing to delete the last
// identification.
func lastWay(err error) error {
	if errors.Is(err, factors.ErrLastWay) || errors.Is(err, social.ErrLastWay) || errors.Is(err, account.ErrLastWay) {
		return &apiError{Status: http.StatusUnprocessableEntity, Code: "identification_deletion_failed",
			Message: "Deletion failed", LongMessage: "Removing it would leave the user no way to sign in; " +
				"give the user another way (an email address, a password, a passkey, a connected account) first."}
	}
	return err
}

// POST /v1/users/:id/profile_image: a multipart upload in the field file,
// checked and re-encoded as /user's upload is (internal/avatar).
func (a *app) apiUserSetImage(c echo.Context) error {
	ctx, userID := c.Request().Context(), c.Param("id")
	if _, err := a.AdminUsers.Get(ctx, userID); err != nil {
		return err // an unknown user first, whatever was sent
	}
	data, err := apiUpload(c, avatar.MaxUpload)
	if err != nil {
		return err
	}
	if err := a.Account.SetImage(ctx, userID, bytes.NewReader(data)); err != nil {
		return fileField(err)
	}
	return a.apiUserGet(c)
}

// fileField names the API's multipart field in an upload error, which
// the domain names after the page's form field (/user's image, an
// organization's logo).
func fileField(err error) error {
	if e, ok := apperr.As(err); ok && (e.Field == "image" || e.Field == "logo") {
		return e.On("file")
	}
	return err
}

// apiUpload reads the multipart field file, up to one byte past max: the
// domain's check refuses a file over its limit in its own words.
func apiUpload(c echo.Context, max int64) ([]byte, error) {
	fh, err := c.FormFile("file")
	if err != nil {
		return nil, apperr.Field(apperr.Invalid, "file", "Send the image as the multipart form field file.")
	}
	f, err := fh.Open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, max+1))
}

// DELETE /v1/users/:id/profile_image
func (a *app) apiUserDeleteImage(c echo.Context) error {
	if err := a.Account.RemoveImage(c.Request().Context(), c.Param("id")); err != nil {
		return err
	}
	return a.apiUserGet(c)
}
