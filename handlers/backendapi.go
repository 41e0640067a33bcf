package handlers

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/ratelimit"
	"github.com/portalhq/portal/internal/store"
)

// The Backend API (/v1/…, DESIGN.md "Backend API") is what a relying app's
// server calls with the instance's secret key, shaped like Clerk's so that
// Clerk's SDKs work against it. Its routes are marked API in the route
// table: they take a Bearer key instead of cookies, so they skip the CSRF
// check, and every answer, error or not, is JSON.

// apiContentType is sent exactly so: Clerk's JS SDK compares the header
// with this string and treats anything else, a charset included, as text.
const apiContentType = "application/json"

// apiKeyWindow is the Backend API's rate limit per key: Clerk's 1000
// requests per 10 s. Failed keys are logged but not limited per IP: the key
// is too long to guess, and such a limit would let anyone sharing an IP
// with the app's servers lock them out.
func apiKeyWindow() ratelimit.Window { return ratelimit.Window{Limit: 1000, Per: 10 * time.Second} }

// apiError is an error shaped for the Backend API.
type apiError struct {
	Status      int
	Code        string
	Message     string
	LongMessage string
	Meta        map[string]any
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.LongMessage) }

type apiErrorJSON struct {
	Message     string         `json:"message"`
	LongMessage string         `json:"long_message"`
	Code        string         `json:"code"`
	Meta        map[string]any `json:"meta"`
}

type apiErrorsJSON struct {
	Errors  []apiErrorJSON `json:"errors"`
	TraceID string         `json:"clerk_trace_id,omitempty"`
}

// apiRoute wraps a Backend API handler with the key check and JSON errors.
func apiRoute(h func(a *app, c echo.Context) error) func(a *app, c echo.Context) error {
	return func(a *app, c echo.Context) error {
		err := a.apiAuthorize(c)
		if err == nil {
			err = a.explainOrgNotFound(c, h(a, c))
		}
		if err != nil {
			a.apiFail(c, err)
		}
		return nil
	}
}

// apiAuthorize checks the Bearer key in constant time (hashes of equal
// length are compared, so not even the key's length leaks) and spends the
// key's rate limit. A publishable key is refused with a message saying so.
func (a *app) apiAuthorize(c echo.Context) error {
	fail := func(code, msg, long string) error {
		a.Log.WarnContext(c.Request().Context(), "backend API authentication failed", "code", code,
			"ip", RealIP(c).String(), "request_id", RequestIDFrom(c.Request().Context()))
		return &apiError{Status: http.StatusUnauthorized, Code: code, Message: msg, LongMessage: long}
	}
	h := c.Request().Header.Get(echo.HeaderAuthorization)
	if h == "" {
		return fail("authorization_header_missing", "Authorization header missing",
			"Send the instance's secret key as Authorization: Bearer sk_….")
	}
	key, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || key == "" {
		return fail("authorization_header_format_invalid", "Invalid Authorization header",
			"The Authorization header must be Bearer followed by the secret key.")
	}
	if strings.HasPrefix(key, "pk_") {
		return fail("authentication_invalid", "Publishable keys cannot call the Backend API",
			"A publishable key (pk_…) is for browsers; the Backend API takes the secret key (sk_…).")
	}
	got, want := sha256.Sum256([]byte(key)), sha256.Sum256([]byte(a.SecretKey))
	if a.SecretKey == "" || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
		return fail("authentication_invalid", "Invalid authentication", "The secret key is not this instance's.")
	}
	if ok, retry := a.Limiter.Allow("api:key:"+fmt.Sprintf("%x", want[:8]), apiKeyWindow()); !ok {
		return tooMany(retry)
	}
	return nil
}

func tooMany(retry time.Duration) error {
	return &apiError{Status: http.StatusTooManyRequests, Code: "too_many_requests", Message: "Too many requests",
		LongMessage: "Too many requests; retry after " + strconv.Itoa(int(retry.Seconds())+1) + " seconds.",
		Meta:        map[string]any{"retry_after": int(retry.Seconds()) + 1}}
}

// apiJSON writes v with the exact content type the SDKs expect.
func apiJSON(c echo.Context, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return c.Blob(status, apiContentType, b)
}

// apiFail writes err as Clerk's error list. Errors that are not safe to
// show become a 500 with the request ID; the cause goes to the log only.
func (a *app) apiFail(c echo.Context, err error) {
	if c.Response().Committed {
		return
	}
	e := a.toAPIError(c, err)
	if e.Status == http.StatusTooManyRequests {
		if s, ok := e.Meta["retry_after"].(int); ok {
			c.Response().Header().Set("Retry-After", strconv.Itoa(s))
		}
	}
	meta := e.Meta
	if meta == nil {
		meta = map[string]any{}
	}
	_ = apiJSON(c, e.Status, apiErrorsJSON{
		Errors:  []apiErrorJSON{{Message: e.Message, LongMessage: e.LongMessage, Code: e.Code, Meta: meta}},
		TraceID: RequestIDFrom(c.Request().Context())})
}

func (a *app) toAPIError(c echo.Context, err error) *apiError {
	var (
		ae *apiError
		he *echo.HTTPError
		ce interface{ APIMeta() map[string]any }
	)
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &he):
		msg := http.StatusText(he.Code)
		return &apiError{Status: he.Code, Code: "request_invalid", Message: msg, LongMessage: fmt.Sprint(he.Message)}
	}
	if e, ok := apperr.As(err); ok && e.Code != "" {
		if e.Err != nil {
			a.Log.WarnContext(c.Request().Context(), "backend API request failed", "err", err,
				"request_id", RequestIDFrom(c.Request().Context()))
		}
		out := &apiError{Status: statusOf(e.Code), Code: clerkCode(e), Message: shortMessage(e.Code),
			LongMessage: e.Message}
		switch own, ok := apiCodes[e.APICode]; {
		case ok:
			// A refusal with a code of its own, whatever endpoint meets it.
			out.Status, out.Code, out.Message = own.status, e.APICode, own.message
		case e.APICode != "":
			// A code the table below lacks: answered, with the general status.
			out.Code = e.APICode
		case e.Code == apperr.Conflict && e.Field != "":
			// A value another record holds already (an email address, a
			// slug, a template's name): Clerk's form_identifier_exists,
			// which its API answers with 422 on every endpoint, never the
			// 409 the pages use.
			out.Status, out.Code, out.Message = http.StatusUnprocessableEntity, "form_identifier_exists", "already exists"
		}
		if e.APICode == "" && e.Code == apperr.Invalid && e.Field != "" && paramAbsent(c, e.Field, e.Item) {
			// Clerk's code for a required parameter not sent; one sent
			// but malformed stays form_param_format_invalid.
			out.Code, out.Message = "form_param_missing", "is missing"
		}
		if e.Field != "" || e.Item > 0 {
			out.Meta = map[string]any{}
			if e.Field != "" {
				out.Meta["param_name"] = e.Field
			}
			if e.Item > 0 {
				// Which element of a bulk array the refusal is about, from
				// 0: the field's, or the item whose email failed.
				out.Meta["index"] = e.Item - 1
			}
		}
		if errors.As(err, &ce) {
			if out.Meta == nil {
				out.Meta = map[string]any{}
			}
			for k, v := range ce.APIMeta() {
				out.Meta[k] = v
			}
		}
		return out
	}
	if a.interrupted(c, err, "backend API: ") {
		long := "The database connection was lost while this request was under way; it may or may not have been applied. Check, then send it again."
		switch {
		case store.Busy(err):
			long = "The database was busy: another session held a record this request needed for too long. Nothing was changed; send it again."
		case store.Unreachable(err):
			long = "The database could not be reached. Send the request again once it is back."
		case store.CannotWrite(err):
			long = "The database cannot be written to: its disk is full or it is read-only. Nothing was changed; send the request again once the operator has fixed it."
		}
		return &apiError{Status: http.StatusServiceUnavailable, Code: "service_unavailable", Message: "Service unavailable",
			LongMessage: long}
	}
	a.Log.ErrorContext(c.Request().Context(), "backend API internal error", "err", err,
		"request_id", RequestIDFrom(c.Request().Context()))
	return &apiError{Status: http.StatusInternalServerError, Code: "internal_clerk_error",
		Message: "Something went wrong", LongMessage: "Something went wrong; quote the clerk_trace_id when reporting it."}
}

// apiCodes gives each Backend API code a domain error may carry
// (apperr.Error.APICode) its status and short message. Every code here but
// the one marked Portal's own is Clerk's, answered with Clerk's status, as
// its errors index lists it (clerk/clerk-docs data/api_errors.json, the
// source of its Backend API errors page; each checked against the index at
// clerk-docs a7cebf5, August 2026, entry name after each code below).
// Where Clerk does not say which endpoint answers a code (a value given
// twice in a bulk array, a race lost), it is the index's code for what
// happened. TestAPICodesHaveStatuses finds every code the sources attach
// and fails on one this table lacks.
var apiCodes = map[string]struct {
	status  int
	message string
}{
	// Application invitations (POST /v1/invitations, …/bulk, …/{id}/revoke).
	"duplicate_record":            {http.StatusBadRequest, "duplicate record"},      // DuplicateInvitations
	"invitation_already_revoked":  {http.StatusBadRequest, "already revoked"},       // InvitationAlreadyRevoked
	"invitation_already_accepted": {http.StatusBadRequest, "already accepted"},      // InvitationAlreadyAccepted
	"form_param_duplicate":        {http.StatusUnprocessableEntity, "is duplicate"}, // FormDuplicateParameterValue
	// Sign-in and actor tokens no longer pending.
	"sign_in_token_cannot_be_revoked_code": {http.StatusBadRequest, "cannot revoke"}, // SignInTokenCannotBeRevoked
	"actor_token_cannot_be_revoked_code":   {http.StatusBadRequest, "cannot revoke"}, // ActorTokenCannotBeRevoked
	// Organizations.
	"organization_invitation_not_pending":                  {http.StatusNotFound, "not pending"},                      // OrganizationInvitationNotPending
	"organization_invitation_not_unique":                   {http.StatusBadRequest, "invitation not unique"},          // OrganizationInvitationNotUnique
	"already_a_member_in_organization":                     {http.StatusBadRequest, "already a member"},               // AlreadyAMemberOfOrganization
	"organization_membership_quota_exceeded":               {http.StatusForbidden, "Membership quota exceeded"},       // OrganizationMembershipQuotaExceeded
	"organization_domain_already_exists_same_organization": {http.StatusUnprocessableEntity, "domain already exists"}, // OrganizationDomainAlreadyExistsForSameOrganization
	"organization_domain_quota_exceeded":                   {http.StatusForbidden, "Domain quota exceeded"},           // OrganizationDomainQuotaExceeded
	// The last admin can be neither removed nor demoted:
	// OrganizationMinimumPermissionsNeeded, "at least one organization
	// member with the minimum required permissions" (the role holding
	// every permission is admin here).
	"organization_minimum_permissions_needed": {http.StatusBadRequest, "minimum organization permissions needed"},
	// GET /v1/users/{id}/oauth_access_tokens/{provider}: a provider the
	// instance does not offer (OAuthTokenProviderNotEnabled), an expired
	// token without a refresh token (OAuthMissingRefreshToken), a refresh
	// the provider refused or did not answer (OAuthTokenRetrievalError).
	"oauth_token_provider_not_enabled": {http.StatusNotFound, "OAuth provider not enabled"},
	"oauth_missing_refresh_token":      {http.StatusUnprocessableEntity, "Cannot refresh OAuth access token"},
	"oauth_token_retrieval_error":      {http.StatusBadRequest, "Token retrieval failed"},
	// Waitlist entries: WaitlistEntryAlreadyCompleted, in the index since
	// clerk-docs d0101ff (May 2025), 409, Backend API.
	"waitlist_entry_already_completed": {http.StatusConflict, "already completed"},
	// POST /v1/users/{id}/verify_totp: a user without an authenticator app
	// or backup codes (TOTPDisabled), a code that is not theirs
	// (IncorrectTOTP), both in the index for the Backend API.
	"totp_disabled":       {http.StatusBadRequest, "TOTP is disabled"},
	"totp_incorrect_code": {http.StatusUnprocessableEntity, "incorrect TOTP"},
	// POST /v1/users/{id}/password/set_compromised on an instance without
	// passwords (PasswordDisabled, "Cannot force a password reset") or for
	// a user without one (NoPasswordSet), both in the index for the
	// Backend API.
	"password_disabled": {http.StatusForbidden, "password disabled"},
	"no_password_set":   {http.StatusBadRequest, "no password set"},
	// POST /v1/users importing an authenticator app and backup codes
	// (totp_secret, backup_codes): a secret that is not Base32 or too
	// short (InvalidTOTPSecret, the index's only code for it); a second
	// factor the instance does not offer (FeatureNotEnabledWithMeta,
	// naming the parameter: Clerk documents no answer for this case, and
	// this is its code for a feature off on the instance); backup codes
	// without the secret they stand in for
	// (FormMissingConditionalParameterOnExistence); more codes than taken
	// (FormParameterArraySizeExceeded).
	"invalid_totp_secret_code":       {http.StatusUnprocessableEntity, "invalid TOTP secret"},
	"feature_not_enabled":            {http.StatusForbidden, "not enabled"},
	"form_conditional_param_missing": {http.StatusUnprocessableEntity, "is missing"},
	"form_param_array_size_exceeded": {http.StatusUnprocessableEntity, "exceeds maximum size"},
	// POST /v1/users and PATCH /v1/users/{id} with a password seen in a
	// data breach (Pwned Passwords): FormPwnedPassword, 422; its short
	// message is the one Clerk's docs on password protection show.
	"form_password_pwned": {http.StatusUnprocessableEntity, "Password has been found in an online data breach"},
	// The password checks' other refusals, one code each as Clerk has
	// them, all 422 on the Backend API (FormInvalidPasswordLengthTooShort,
	// …LengthTooLong, …NotStrongEnough, …SizeInBytesExceeded,
	// FormPasswordDigestInvalid). A relying app that maps Clerk's codes to
	// its own messages needs the code, not form_param_format_invalid.
	"form_password_length_too_short":       {http.StatusUnprocessableEntity, "Passwords must be longer"},
	"form_password_length_too_long":        {http.StatusUnprocessableEntity, "Passwords must be shorter"},
	"form_password_not_strong_enough":      {http.StatusUnprocessableEntity, "Given password is not strong enough."},
	"form_password_size_in_bytes_exceeded": {http.StatusUnprocessableEntity, "Your password is too long. Please use a shorter one."},
	"form_password_digest_invalid_code":    {http.StatusUnprocessableEntity, "is invalid"},
	// A conditional update that lost its race: ResourceBusy.
	"resource_locked": {http.StatusConflict, "resource busy"},
	// POST /v1/sessions on a production instance:
	// InvalidRequestForEnvironment, "Request only valid for <envTypes>
	// instances.", in the index for the Backend API.
	"request_invalid_for_environment": {http.StatusBadRequest, "Invalid request for environment"},
}

// clerkCode names a safe error the way Clerk's API does.
func clerkCode(e *apperr.Error) string {
	switch e.Code {
	case apperr.Invalid:
		return "form_param_format_invalid"
	case apperr.NotFound:
		return "resource_not_found"
	case apperr.Conflict:
		// Clerk's generic refusal, for a conflict that names no field and
		// has no code of its own (apiCodes).
		return "conflict"
	case apperr.Unauthorized:
		return "authentication_invalid"
	case apperr.Forbidden:
		return "authorization_invalid"
	case apperr.RateLimited:
		return "too_many_requests"
	case apperr.Unavailable:
		return "service_unavailable"
	case apperr.Expired:
		return "resource_expired"
	}
	return "internal_clerk_error"
}

func shortMessage(code apperr.Code) string {
	switch code {
	case apperr.Invalid:
		return "is invalid"
	case apperr.NotFound:
		return "not found"
	case apperr.Conflict:
		return "conflict"
	case apperr.Unauthorized:
		return "Unauthorized request"
	case apperr.Forbidden:
		return "Forbidden"
	case apperr.RateLimited:
		return "Too many requests"
	case apperr.Unavailable:
		return "Service unavailable"
	case apperr.Expired:
		return "expired"
	}
	return "Something went wrong"
}

// apiBodyKey keeps the JSON body bindJSON read, for paramAbsent.
const apiBodyKey = "portal.api_body"

// paramAbsent reports whether the request gave no value for name: not in
// the path, the query, a multipart form or the JSON body, or given there
// as null, "" or []. Of a JSON array of objects (the bulk endpoints) it is
// absent when the item-th object (from 1) does not give it, or, when item
// is 0, when no object gives it. A nested name (with . or [) is never
// called absent: the caller sent its parent.
func paramAbsent(c echo.Context, name string, item int) bool {
	if strings.ContainsAny(name, ".[") || c.Param(name) != "" ||
		slices.ContainsFunc(queryList(c, name), func(v string) bool { return v != "" }) {
		return false
	}
	if f := c.Request().MultipartForm; f != nil && (len(f.Value[name]) > 0 || len(f.File[name]) > 0) {
		return false
	}
	body, _ := c.Get(apiBodyKey).([]byte)
	if len(body) == 0 {
		return true
	}
	var v any
	if json.Unmarshal(body, &v) != nil {
		return false // not JSON: the error is about the body, not a missing name
	}
	given := func(obj any) bool {
		m, ok := obj.(map[string]any)
		if !ok {
			return false
		}
		switch x := m[name].(type) {
		case nil:
			return false
		case string:
			return x != ""
		case []any:
			return len(x) > 0
		}
		return true
	}
	if list, ok := v.([]any); ok {
		if item > 0 {
			return item <= len(list) && !given(list[item-1])
		}
		return !slices.ContainsFunc(list, given)
	}
	return !given(v)
}

// bindJSON reads a JSON body into v; an empty body leaves v as it is.
func bindJSON(c echo.Context, v any) error {
	if err := formNotJSON(c); err != nil {
		return err
	}
	body, err := io.ReadAll(c.Request().Body)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return errTooLarge
	}
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	c.Set(apiBodyKey, body)
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			name, _ = strconv.Unquote(name)
			return errParamUnknown(name, unknownAt(body, name))
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			te.Field = jsonPath(te.Field, reflect.TypeOf(v))
			// Sent, but of the wrong JSON type: malformed, never missing,
			// whatever the value ([] and "" read as absent elsewhere).
			return &apiError{Status: http.StatusUnprocessableEntity, Code: "form_param_format_invalid",
				Message: shortMessage(apperr.Invalid), Meta: map[string]any{"param_name": te.Field},
				LongMessage: fmt.Sprintf("%s must be %s, not %s.", te.Field, jsonKind(te.Type), jsonValue(te.Value))}
		}
		long := "The body is not valid JSON."
		if te != nil {
			long = "The body must be " + jsonKind(te.Type) + "."
		}
		return errBodyInvalid(long)
	}
	if _, err := dec.Token(); err != io.EOF { // one JSON value, nothing after it
		return errBodyInvalid("The body is not valid JSON.")
	}
	// Go's decoder matches names regardless of case; Clerk's API does not,
	// so neither does this one ("Password" is not password).
	if name, index, ok := wrongCase(body, reflect.TypeOf(v)); ok {
		return errParamUnknown(name, index)
	}
	return nil
}

// jsonPath is the JSON name of a field encoding/json reports by its path
// through t: without the Go names of the embedded structs that path goes
// through ("userUpdateBody.username" is username).
func jsonPath(field string, t reflect.Type) string {
	embedded := map[string]bool{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return
		}
		for i := range t.NumField() {
			if f := t.Field(i); f.Anonymous && f.Tag.Get("json") == "" && !embedded[f.Name] {
				embedded[f.Name] = true
				walk(f.Type)
			}
		}
	}
	walk(t)
	var kept []string
	for _, part := range strings.Split(field, ".") {
		if !embedded[part] {
			kept = append(kept, part)
		}
	}
	return strings.Join(kept, ".")
}

// wrongCase finds a top-level name of body (of each object, for an array
// body) that is not spelled exactly as one of t's JSON field names, and
// the item holding it (-1 for an object body). Bodies decoded into maps or
// other non-struct types have no fixed names and pass.
func wrongCase(body []byte, t reflect.Type) (name string, index int, found bool) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	array := t.Kind() == reflect.Slice
	if array {
		t = t.Elem()
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
	}
	if t.Kind() != reflect.Struct {
		return "", -1, false
	}
	names := jsonNames(t, map[string]bool{})
	check := func(obj map[string]json.RawMessage, i int) (string, int, bool) {
		for k := range obj {
			if !names[k] {
				return k, i, true
			}
		}
		return "", -1, false
	}
	if array {
		var items []map[string]json.RawMessage
		if json.Unmarshal(body, &items) != nil {
			return "", -1, false
		}
		for i, it := range items {
			if n, at, ok := check(it, i); ok {
				return n, at, true
			}
		}
		return "", -1, false
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(body, &obj) != nil {
		return "", -1, false
	}
	return check(obj, -1)
}

// jsonNames adds the JSON names of t's fields to into, those of embedded
// structs included, and returns it.
func jsonNames(t reflect.Type, into map[string]bool) map[string]bool {
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		switch {
		case tag == "-":
		case f.Anonymous && tag == "" && ft.Kind() == reflect.Struct:
			jsonNames(ft, into)
		case tag != "":
			into[tag] = true
		case f.IsExported():
			into[f.Name] = true
		}
	}
	return into
}

// errParamUnknown answers a body naming a field the endpoint does not take,
// as Clerk's API does: 422 form_param_unknown. Ignoring it would let a
// caller believe something was done that was not (an imported
// authenticator secret, say).
// Of a bulk array, index is the item that holds it (from 0), else -1.
func errParamUnknown(name string, index int) error {
	meta := map[string]any{"param_name": name}
	if index >= 0 {
		meta["index"] = index
	}
	return &apiError{Status: http.StatusUnprocessableEntity, Code: "form_param_unknown", Message: "is unknown",
		LongMessage: name + " is not a valid parameter for this request.", Meta: meta}
}

// unknownAt is the index of the first object of a JSON array body that
// gives name, or -1 (the body is an object, or no item gives it as such:
// the name belongs to a nested object).
func unknownAt(body []byte, name string) int {
	var items []map[string]json.RawMessage
	if json.Unmarshal(body, &items) != nil {
		return -1
	}
	for i, it := range items {
		if _, ok := it[name]; ok {
			return i
		}
	}
	return -1
}

// formNotJSON refuses a form where a JSON body belongs. FormLimit has read
// such a body already, so bindJSON would find it empty and answer that
// every field is missing; Clerk's API takes JSON and answers another
// Content-Type with 415 unsupported_content_type.
func formNotJSON(c echo.Context) error {
	r := c.Request()
	mt, _, _ := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType))
	given := false
	switch mt {
	case echo.MIMEApplicationForm:
		given = len(r.PostForm) > 0
	case echo.MIMEMultipartForm:
		given = r.MultipartForm != nil && (len(r.MultipartForm.Value) > 0 || len(r.MultipartForm.File) > 0)
	}
	if !given {
		return nil
	}
	return &apiError{Status: http.StatusUnsupportedMediaType, Code: "unsupported_content_type",
		Message:     "Content-Type is unsupported",
		LongMessage: "Content-Type " + mt + " is unsupported here: send the body as JSON, with Content-Type: application/json."}
}

// errBodyInvalid is Clerk's answer to a body it cannot read as the
// endpoint's JSON at all (not JSON, or an array where an object belongs):
// 400 request_body_invalid, as its Backend API errors index documents.
func errBodyInvalid(long string) error {
	return &apiError{Status: http.StatusBadRequest, Code: "request_body_invalid", Message: "Request body invalid",
		LongMessage: long}
}

// jsonKind names what a field of type t takes in JSON, for a caller who
// knows the API's JSON and not the portal's Go types.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		if e := jsonKind(t.Elem()); strings.HasPrefix(e, "a ") || strings.HasPrefix(e, "an ") {
			_, noun, _ := strings.Cut(e, " ")
			return "an array of " + noun + "s"
		}
		return "an array"
	case reflect.Struct, reflect.Map:
		return "a JSON object"
	}
	return "another type"
}

// jsonValue names the JSON a caller sent, as json.UnmarshalTypeError's
// Value gives it ("string", "array", "number 1.5", …).
func jsonValue(v string) string {
	if n, ok := strings.CutPrefix(v, "number "); ok {
		return n
	}
	switch v {
	case "array", "object":
		return "an " + v
	case "bool":
		return "a boolean"
	}
	return "a " + v
}

// queryList reads a repeated query parameter, as name=a&name=b or name[]=….
func queryList(c echo.Context, name string) []string {
	q := c.QueryParams()
	return append(append([]string(nil), q[name]...), q[name+"[]"]...)
}

// queryInt reads an optional integer query parameter.
func queryInt(c echo.Context, name string) (int, error) {
	v := c.QueryParam(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, apperr.Field(apperr.Invalid, name, name+" must be a whole number.")
	}
	return n, nil
}

// queryLimit reads the optional limit of a list. A limit of 0 given in the
// query is out of range, as -1 is (Clerk's lists take 1 to 500): it is
// read as -1, for page.Check to refuse, since a zero limit further in means
// "not given, use the default".
func queryLimit(c echo.Context) (int, error) {
	n, err := queryInt(c, "limit")
	if err == nil && n == 0 && c.QueryParam("limit") != "" {
		n = -1
	}
	return n, err
}

// totalCount is GET /v1/users/count's answer.
type totalCount struct {
	Object     string `json:"object"`
	TotalCount int    `json:"total_count"`
}

// paginated is a list as {"data":[…],"total_count":n}.
type paginated struct {
	Data       any `json:"data"`
	TotalCount int `json:"total_count"`
}

// apiList answers a page of a list that Clerk answers as a bare array, or
// as paginated when the caller asked for it (paginated=true, wrapped).
func apiList(c echo.Context, wrapped bool, items any, total int) error {
	if wrapped {
		return apiJSON(c, http.StatusOK, paginated{Data: items, TotalCount: total})
	}
	return apiJSON(c, http.StatusOK, items)
}

// deleted is what a DELETE answers.
type deleted struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Deleted bool   `json:"deleted"`
}

// apiHTTPError answers in JSON a Bearer request that failed before its
// handler: an unknown path, a wrong method, a body too large.
func (a *app) apiHTTPError(c echo.Context, he *echo.HTTPError) {
	code, msg, long := "request_invalid", http.StatusText(he.Code), fmt.Sprint(he.Message)
	switch he.Code {
	case http.StatusNotFound:
		code, long = "resource_not_found", "No Backend API endpoint "+c.Request().Method+" "+c.Request().URL.Path+"."
	case http.StatusMethodNotAllowed:
		code = "request_method_not_allowed"
		long = "The Backend API has no " + c.Request().Method + " " + c.Request().URL.Path + "."
		if allowed := allowedMethods(c); allowed != "" {
			long = c.Request().Method + " " + c.Request().URL.Path + " is not allowed; the path takes " + allowed + "."
		}
	case http.StatusRequestEntityTooLarge:
		code = "request_body_too_large"
	}
	a.apiFail(c, &apiError{Status: he.Code, Code: code, Message: msg, LongMessage: long})
}

// allowedMethods lists the methods the request's path takes, from the Allow
// header Echo's router sets on a 405, leaving out OPTIONS, which Echo
// answers on every path by itself.
func allowedMethods(c echo.Context) string {
	allow := c.Response().Header().Get(echo.HeaderAllow)
	if allow == "" {
		allow, _ = c.Get(echo.ContextKeyHeaderAllow).(string)
		if allow != "" {
			c.Response().Header().Set(echo.HeaderAllow, allow)
		}
	}
	var out []string
	for m := range strings.SplitSeq(allow, ",") {
		if m = strings.TrimSpace(m); m != "" && m != http.MethodOptions {
			out = append(out, m)
		}
	}
	return strings.Join(out, ", ")
}
