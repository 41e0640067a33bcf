package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/portalhq/portal/internal/admin"
	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/factors"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/ratelimit"
	"github.com/portalhq/portal/internal/user"
)

func (a *app) userObject(u *user.User) user.Object {
	return u.ToObject(a.Clock.Now(), a.userAbilities())
}

// userAbilities are what the instance lets users do, as the user objects
// of its events say it (admin.Users carries them).
func (a *app) userAbilities() user.Abilities {
	if a.AdminUsers == nil {
		return user.Abilities{}
	}
	return a.AdminUsers.UserAbilities
}

func userFilter(c echo.Context) (admin.UserFilter, error) {
	f := admin.UserFilter{UserIDs: queryList(c, "user_id"), EmailAddresses: queryList(c, "email_address"),
		PhoneNumbers: queryList(c, "phone_number"), Usernames: queryList(c, "username"),
		ExternalIDs: queryList(c, "external_id"), Query: c.QueryParam("query"), OrderBy: c.QueryParam("order_by")}
	if v := c.QueryParam("banned"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return f, apperr.Field(apperr.Invalid, "banned", "banned must be true or false.")
		}
		f.Banned = &b
	}
	for name, into := range map[string]**time.Time{"created_at_after": &f.CreatedAfter, "created_at_before": &f.CreatedBefore,
		"last_active_at_after": &f.ActiveAfter, "last_active_at_since": &f.ActiveSince, "last_active_at_before": &f.ActiveBefore} {
		t, err := queryMillis(c, name)
		if err != nil {
			return f, err
		}
		*into = t
	}
	var err error
	if f.Limit, err = queryLimit(c); err != nil {
		return f, err
	}
	f.Offset, err = queryInt(c, "offset")
	return f, err
}

// queryMillis reads an optional time given as Unix milliseconds, as
// Clerk's list filters take them; nil when not given.
func queryMillis(c echo.Context, name string) (*time.Time, error) {
	v := c.QueryParam(name)
	if v == "" {
		return nil, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return nil, apperr.Field(apperr.Invalid, name, name+" must be a time in Unix milliseconds, like 1700000000000.")
	}
	t := time.UnixMilli(n)
	return &t, nil
}

// GET /v1/users: a bare array, as Clerk; the total is at /v1/users/count.
func (a *app) apiUsersList(c echo.Context) error {
	f, err := userFilter(c)
	if err != nil {
		return err
	}
	list, err := a.AdminUsers.List(c.Request().Context(), f)
	if err != nil {
		return err
	}
	out := make([]user.Object, 0, len(list))
	for _, u := range list {
		out = append(out, a.userObject(u))
	}
	return apiJSON(c, http.StatusOK, out)
}

// GET /v1/users/count
func (a *app) apiUsersCount(c echo.Context) error {
	f, err := userFilter(c)
	if err != nil {
		return err
	}
	n, err := a.AdminUsers.Count(c.Request().Context(), f)
	if err != nil {
		return err
	}
	return apiJSON(c, http.StatusOK, totalCount{Object: "total_count", TotalCount: n})
}

// GET /v1/users/:id
func (a *app) apiUserGet(c echo.Context) error {
	u, err := a.AdminUsers.Get(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return apiJSON(c, http.StatusOK, a.userObject(u))
}

// userMetadataBody is the JSON of PATCH /v1/users/{id}/metadata: the
// three metadata objects and nothing else.
type userMetadataBody struct {
	PublicMetadata  json.RawMessage `json:"public_metadata"`
	PrivateMetadata json.RawMessage `json:"private_metadata"`
	UnsafeMetadata  json.RawMessage `json:"unsafe_metadata"`
}

func (b userMetadataBody) metadata() admin.Metadata {
	return admin.Metadata{Public: b.PublicMetadata, Private: b.PrivateMetadata, Unsafe: b.UnsafeMetadata}
}

// userUpdateBody is the JSON of PATCH /v1/users/{id}, with Clerk's names:
// what creating takes but the addresses and numbers (they have endpoints
// of their own), so that those are refused as unknown rather than dropped.
type userUpdateBody struct {
	Username               *string `json:"username"`
	Password               *string `json:"password"`
	PasswordDigest         *string `json:"password_digest"`
	PasswordHasher         *string `json:"password_hasher"`
	FirstName              *string `json:"first_name"`
	LastName               *string `json:"last_name"`
	ExternalID             *string `json:"external_id"`
	PrimaryEmailAddressID  *string `json:"primary_email_address_id"`
	SkipPasswordChecks     bool    `json:"skip_password_checks"`
	SignOutOfOtherSessions bool    `json:"sign_out_of_other_sessions"`
	LegalAcceptedAt        *string `json:"legal_accepted_at"` // RFC 3339
	SkipLegalChecks        bool    `json:"skip_legal_checks"`
	// Locale is the user's language, a BCP 47 tag ("fr-FR"); "" removes it.
	Locale *string `json:"locale"`
	// The user's authenticator app (its Base32 secret) and backup codes
	// (plain or bcrypt digests) on the system they come from.
	TOTPSecret  *string  `json:"totp_secret"`
	BackupCodes []string `json:"backup_codes"`
	userMetadataBody
}

// userBody is the JSON of POST /v1/users: the update's fields and what
// only creating takes.
type userBody struct {
	EmailAddress            []string `json:"email_address"`
	PhoneNumber             []string `json:"phone_number"`
	SkipPasswordRequirement bool     `json:"skip_password_requirement"`
	CreatedAt               *string  `json:"created_at"` // RFC 3339: when the user signed up elsewhere
	userUpdateBody
}

func (b userBody) legalAcceptedAt() (*time.Time, error) { return legalAcceptedAt(b.LegalAcceptedAt) }

// createdAt is created_at read as Clerk takes it (RFC 3339, as
// legal_accepted_at); nil when not given.
func (b userBody) createdAt() (*time.Time, error) {
	return rfc3339Param("created_at", "2019-10-20T07:15:20.902Z", b.CreatedAt)
}

// totpSecret is totp_secret, nil when not given ("" is not given, as
// for every parameter).
func (b userUpdateBody) totpSecret() *string {
	if b.TOTPSecret == nil || *b.TOTPSecret == "" {
		return nil
	}
	return b.TOTPSecret
}

// legalAcceptedAt is legal_accepted_at read as Clerk takes it (RFC 3339,
// e.g. 2024-10-20T07:15:20.902Z); nil when not given.
func legalAcceptedAt(given *string) (*time.Time, error) {
	return rfc3339Param("legal_accepted_at", "2024-10-20T07:15:20.902Z", given)
}

// rfc3339Param reads the date and time parameter name as Clerk takes
// them on creation (RFC 3339, as example shows); nil when not given or "".
func rfc3339Param(name, example string, given *string) (*time.Time, error) {
	if given == nil || *given == "" {
		return nil, nil
	}
	at, err := time.Parse(time.RFC3339, *given)
	if err != nil {
		return nil, apperr.Field(apperr.Invalid, name,
			name+" must be a date and time in RFC 3339 format, such as "+example+".")
	}
	return &at, nil
}

// POST /v1/users
func (a *app) apiUserCreate(c echo.Context) error {
	var b userBody
	if err := bindJSON(c, &b); err != nil {
		return err
	}
	legal, err := b.legalAcceptedAt()
	if err != nil {
		return err
	}
	created, err := b.createdAt()
	if err != nil {
		return err
	}
	u, err := a.AdminUsers.Create(c.Request().Context(), admin.CreateInput{EmailAddresses: b.EmailAddress,
		PhoneNumbers: b.PhoneNumber, Username: b.Username, Password: b.Password, PasswordDigest: b.PasswordDigest,
		PasswordHasher: b.PasswordHasher, FirstName: b.FirstName, LastName: b.LastName, ExternalID: b.ExternalID,
		SkipPasswordChecks: b.SkipPasswordChecks, SkipPasswordRequirement: b.SkipPasswordRequirement,
		LegalAcceptedAt: legal, SkipLegalChecks: b.SkipLegalChecks, CreatedAt: created, Locale: b.Locale,
		TOTPSecret: b.totpSecret(), BackupCodes: b.BackupCodes, Metadata: b.metadata()})
	if errors.Is(err, admin.ErrLegalRequired) {
		// Clerk's code for a parameter the instance's settings require.
		return &apiError{Status: http.StatusUnprocessableEntity, Code: "form_param_missing", Message: "is missing",
			LongMessage: admin.ErrLegalRequired.Message, Meta: map[string]any{"param_name": "legal_accepted_at"}}
	}
	if err != nil {
		return err
	}
	return apiJSON(c, http.StatusOK, a.userObject(u))
}

// PATCH /v1/users/:id
func (a *app) apiUserUpdate(c echo.Context) error {
	var b userUpdateBody
	if err := bindJSON(c, &b); err != nil {
		return err
	}
	legal, err := legalAcceptedAt(b.LegalAcceptedAt)
	if err != nil {
		return err
	}
	u, err := a.AdminUsers.Update(c.Request().Context(), c.Param("id"), admin.UpdateInput{FirstName: b.FirstName,
		LastName: b.LastName, Username: b.Username, PrimaryEmailAddressID: b.PrimaryEmailAddressID,
		Password: b.Password, PasswordDigest: b.PasswordDigest, PasswordHasher: b.PasswordHasher,
		SkipPasswordChecks: b.SkipPasswordChecks, SignOutOfOtherSessions: b.SignOutOfOtherSessions,
		ExternalID: b.ExternalID, LegalAcceptedAt: legal, Locale: b.Locale, TOTPSecret: b.totpSecret(),
		BackupCodes: b.BackupCodes, Metadata: b.metadata()})
	if err != nil {
		return err
	}
	return apiJSON(c, http.StatusOK, a.userObject(u))
}

// PATCH /v1/users/:id/metadata: a deep merge; null removes a key.
func (a *app) apiUserMetadata(c echo.Context) error {
	var b userMetadataBody
	if err := bindJSON(c, &b); err != nil {
		return err
	}
	u, err := a.AdminUsers.MergeMetadata(c.Request().Context(), c.Param("id"), b.metadata())
	if err != nil {
		return err
	}
	return apiJSON(c, http.StatusOK, a.userObject(u))
}

// DELETE /v1/users/:id
func (a *app) apiUserDelete(c echo.Context) error {
	if err := a.AdminUsers.Delete(c.Request().Context(), c.Param("id")); err != nil {
		return err
	}
	return apiJSON(c, http.StatusOK, deleted{ID: c.Param("id"), Object: "user", Deleted: true})
}

// POST /v1/users/:id/{ban,unban,lock,unlock}
func (a *app) apiUserBan(c echo.Context) error    { return a.userAction(c, a.AdminUsers.Ban) }
func (a *app) apiUserUnban(c echo.Context) error  { return a.userAction(c, a.AdminUsers.Unban) }
func (a *app) apiUserLock(c echo.Context) error   { return a.userAction(c, a.AdminUsers.Lock) }
func (a *app) apiUserUnlock(c echo.Context) error { return a.userAction(c, a.AdminUsers.Unlock) }

func (a *app) userAction(c echo.Context, do func(context.Context, string) (*user.User, error)) error {
	u, err := do(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return apiJSON(c, http.StatusOK, a.userObject(u))
}

// POST /v1/users/:id/password/set_compromised: the person must set a new
// password before signing in with it again; revoke_all_sessions (false
// when not given, as in Clerk) signs them out everywhere too.
func (a *app) apiUserSetPasswordCompromised(c echo.Context) error {
	var b struct {
		RevokeAllSessions bool `json:"revoke_all_sessions"`
	}
	if err := bindJSON(c, &b); err != nil {
		return err
	}
	u, err := a.AdminUsers.SetPasswordCompromised(c.Request().Context(), c.Param("id"),
		b.RevokeAllSessions)
	if err != nil {
		return err
	}
	return apiJSON(c, http.StatusOK, a.userObject(u))
}

// POST /v1/users/:id/password/unset_compromised: the password signs in
// again. Clerk's takes no parameters.
func (a *app) apiUserUnsetPasswordCompromised(c echo.Context) error {
	if err := bindJSON(c, &struct{}{}); err != nil {
		return err
	}
	u, err := a.AdminUsers.UnsetPasswordCompromised(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return apiJSON(c, http.StatusOK, a.userObject(u))
}

// POST /v1/users/:id/verify_password
func (a *app) apiUserVerifyPassword(c echo.Context) error {
	var b struct {
		Password string `json:"password"`
	}
	if err := bindJSON(c, &b); err != nil {
		return err
	}
	if b.Password == "" {
		if _, err := a.AdminUsers.Get(c.Request().Context(), c.Param("id")); err != nil {
			return err // an unknown user first, whatever was sent
		}
		return &apiError{Status: http.StatusUnprocessableEntity, Code: "form_param_missing", Message: "is missing",
			LongMessage: "Give the password to check.", Meta: map[string]any{"param_name": "password"}}
	}
	// Every check is logged as an authentication attempt (REQ-LOG-01), with
	// the user when one exists — never the password.
	//
	// It does not count towards the account's lockout, nor is a locked
	// account's password refused: Clerk, whose API this follows, documents
	// its lockout as counting failed sign-in attempts and verify_password as
	// a plain check for the app's own flows, with no locked outcome. The
	// caller holds the secret key and could set the password or mint a
	// sign-in token anyway, so counting would protect nothing from it, while
	// it would let an app's retry loop or its users lock people out of
	// sign-in through a path the portal cannot throttle per client
	// (malicious lockout, REQ-RL-02). An app that relays people's guesses
	// here must limit them itself; the log lines show it when it does not.
	err := a.AdminUsers.VerifyPassword(c.Request().Context(), c.Param("id"), b.Password)
	userID := c.Param("id")
	if apperr.CodeOf(err) == apperr.NotFound || errors.Is(err, apperr.ErrNotFound) {
		userID = ""
	}
	a.logAttempt(c, stepBackendAPI, flow.Password, userID, err)
	if err != nil {
		if err == admin.ErrBadPassword {
			return &apiError{Status: http.StatusUnprocessableEntity, Code: "incorrect_password",
				Message: "Password is incorrect", LongMessage: "The password does not match.",
				Meta: map[string]any{"param_name": "password"}}
		}
		return err
	}
	return apiJSON(c, http.StatusOK, map[string]bool{"verified": true})
}

// verifyTOTPWindow limits the codes POST /v1/users/{id}/verify_totp checks
// for one user: 10 at once, then one every 6 minutes, the pace of the
// sign-in lockout's default (10 failures, then an hour). A success starts
// the count over. Six digits cannot be guessed through the API at leisure
// (REQ-OTP-04, REQ-RL-01); see apiUserVerifyTOTP.
func verifyTOTPWindow() ratelimit.Window { return ratelimit.Window{Limit: 10, Per: time.Hour} }

// POST /v1/users/:id/verify_totp: a code from the user's authenticator app
// or one of their backup codes, which this spends (Clerk's verify_totp).
func (a *app) apiUserVerifyTOTP(c echo.Context) error {
	var b struct {
		Code string `json:"code"`
	}
	if err := bindJSON(c, &b); err != nil {
		return err
	}
	ctx, userID := c.Request().Context(), c.Param("id")
	if strings.TrimSpace(b.Code) == "" {
		if _, err := a.AdminUsers.Get(ctx, userID); err != nil {
			return err // an unknown user first, whatever was sent
		}
		return &apiError{Status: http.StatusUnprocessableEntity, Code: "form_param_missing", Message: "is missing",
			LongMessage: "Give the code to check.", Meta: map[string]any{"param_name": "code"}}
	}
	// Every check is logged as an authentication attempt (REQ-LOG-01),
	// under what the code was checked as, with the user when one exists —
	// never the code.
	u, err := a.AdminUsers.Get(ctx, userID)
	if err == nil && !a.Factors.CodeCheckable(u) {
		err = factors.ErrNoCodeToCheck
	}
	if err != nil {
		if apperr.CodeOf(err) == apperr.NotFound || errors.Is(err, apperr.ErrNotFound) {
			userID = ""
		}
		a.logAttempt(c, stepBackendAPI, flow.TOTP, userID, err)
		return err
	}
	// As with verify_password, a failure does not count towards the
	// account's lockout, nor is a locked account's code refused: the
	// caller holds the secret key, and counting would let an app's retries
	// lock its users out of sign-in (malicious lockout, REQ-RL-02). Unlike a
	// password, six digits are few, so the codes checked here for one user
	// are limited on their own (verifyTOTPWindow): every check is spent
	// before it is made — in the database too on several machines — so a
	// guesser gets one code every 6 minutes at most after the first 10,
	// however it spreads them over processes (about 3 in 10^6 a guess, the
	// app's skew accepting three windows); a success gives this process's
	// count back (the shared one keeps it, so
	// on several machines successes count too: an app checking one user's
	// codes more than 10 times an hour is not a person typing them).
	key := "verify_totp:" + u.ID
	if ok, retry := a.Limiter.Allow(key, verifyTOTPWindow()); !ok {
		a.logLimited(c, "verify_totp", u.ID)
		return tooMany(retry)
	}
	factor, err := a.Factors.VerifyCode(ctx, u, b.Code)
	a.logAttempt(c, stepBackendAPI, factor, u.ID, err)
	if err != nil {
		return err
	}
	a.Limiter.Reset(key)
	return apiJSON(c, http.StatusOK, verifiedCode{Verified: true, CodeType: factor})
}

// verifiedCode is verify_totp's answer; CodeType is "totp" or
// "backup_code".
type verifiedCode struct {
	Verified bool   `json:"verified"`
	CodeType string `json:"code_type"`
}
