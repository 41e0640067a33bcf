package signup_test

import (
	"errors"
	"testing"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/signup"
)

// A restricted instance (PORTAL_SIGN_UP_MODE=restricted) signs up only a
// person holding an invitation, with the address it was sent to; nothing is
// written or sent for anyone else, and a provider sign-up without an
// invitation is refused (external_invitation_test.go has those with one).
func TestRestrictedSignUpNeedsTheInvitedAddress(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		e.svc.Restricted = true
		client := e.client()
		_, err := e.start(client, signup.Form{Email: "eve@example.com", Password: pw})
		if !errors.Is(err, signup.ErrInvitationOnly) {
			t.Fatalf("no invitation: %v, want ErrInvitationOnly", err)
		}
		_, err = e.start(client, signup.Form{Email: "eve@example.com", Password: pw, Invited: "bob@example.com"})
		var fe *signup.FormError
		if !errors.As(err, &fe) || fe.Errors[signup.FieldEmail] == nil || fe.Errors[signup.FieldEmail].ID != "error.signup.invited_address" {
			t.Fatalf("another address than the invited one: %v, want a field error on the address", err)
		}
		if e.users() != 0 || e.rows("flows") != 0 || e.mail.Count() != 0 {
			t.Fatalf("refused sign-ups left %d users, %d flows, %d messages", e.users(), e.rows("flows"), e.mail.Count())
		}

		f := e.mustStart(client, signup.Form{Email: "Bob@Example.com", Password: pw, Invited: "bob@example.com"})
		if f.Status != flow.MissingRequirements || signUpCode(t, e.mail, "bob@example.com") == "" {
			t.Fatalf("the invited address: status %q", f.Status)
		}

		_, _, err = e.svc.StartExternal(t.Context(), client, flow.External{Provider: "github", Subject: "42",
			Email: "bob@example.com", EmailVerified: true}, signup.Invite{}, "", meta)
		wantErr(t, "provider sign-up", err, apperr.Forbidden, "error.signup.invitation_only")
	})
}
