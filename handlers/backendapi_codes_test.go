package handlers

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/invitation"
	"github.com/portalhq/portal/internal/org"
	"github.com/portalhq/portal/internal/signintoken"
	"github.com/portalhq/portal/internal/waitlist"
)

// A conflict is answered by what it is: a value another record holds
// (naming the field) is Clerk's 422 form_identifier_exists; one with a
// code of its own gets that code's status wherever it is met, in a bulk
// item too; one without either is Clerk's generic 409 conflict, never
// form_identifier_exists.
func TestAPIErrorOfAConflict(t *testing.T) {
	a := &app{Deps: Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}}
	c := echo.New().NewContext(httptest.NewRequest(http.MethodPost, "/v1/x", nil), httptest.NewRecorder())
	for _, tc := range []struct {
		name   string
		err    error
		status int
		code   string
		param  string
	}{
		{"a value taken", apperr.Field(apperr.Conflict, "email_address", "taken"), 422, "form_identifier_exists", "email_address"},
		{"no field, no code", apperr.New(apperr.Conflict, "changed"), 409, "conflict", ""},
		{"a code of its own", apperr.New(apperr.Conflict, "revoked").Coded("invitation_already_revoked"),
			400, "invitation_already_revoked", ""},
		{"a code of its own on a field", apperr.Field(apperr.Conflict, "email_address", "pending").Coded("duplicate_record"),
			400, "duplicate_record", "email_address"},
		{"a bulk item's", apperr.Nth(apperr.Field(apperr.Conflict, "email_address", "twice").Coded("form_param_duplicate"), "Item", 1, 2),
			422, "form_param_duplicate", "email_address"},
		{"a race lost", apperr.New(apperr.Conflict, "try again").Coded("resource_locked"), 409, "resource_locked", ""},
		{"a code the table lacks", apperr.New(apperr.Conflict, "x").Coded("something_else"), 409, "something_else", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := a.toAPIError(c, tc.err)
			if got.Status != tc.status || got.Code != tc.code || got.Meta["param_name"] != nil != (tc.param != "") ||
				tc.param != "" && got.Meta["param_name"] != tc.param {
				t.Errorf("%d %s %v, want %d %s param %q", got.Status, got.Code, got.Meta, tc.status, tc.code, tc.param)
			}
		})
	}
}

// The domain's refusals with codes of their own are in apiCodes: a code
// missing there would be answered with the general status.
func TestAPICodesHaveStatuses(t *testing.T) {
	for _, err := range []*apperr.Error{invitation.ErrRevokedAlready, invitation.ErrAcceptedAlready,
		signintoken.ErrNotPending, signintoken.ErrActorNotPending, org.ErrInvitationRevokedAlready,
		org.ErrInvitationAcceptedAlready, org.ErrInvitationReplacedAlready, org.ErrDomainTaken, org.ErrDomainLimit,
		org.ErrLastAdmin, org.ErrMemberLimit, waitlist.ErrCompleted} {
		if _, ok := apiCodes[err.APICode]; !ok {
			t.Errorf("%q (%s): no status in apiCodes", err.APICode, err.Message)
		}
	}
}
