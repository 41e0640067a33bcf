package signup_test

import (
	"errors"
	"slices"
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

		// The invitation's link, followed a moment ago, proved the address:
		// nothing to verify, no code sent.
		f := e.mustStart(client, signup.Form{Email: "Bob@Example.com", Password: pw, Invited: "bob@example.com",
			Proved: []string{"bob@example.com"}})
		if f.Status != flow.MissingRequirements || f.Data.Strategy != "" || !f.Data.EmailVerified ||
			f.Data.VerifiedBy != flow.Ticket || e.mail.Count() != 0 {
			t.Fatalf("the invited address: status %q, next %q, verified %v by %q, %d messages",
				f.Status, f.Data.Strategy, f.Data.EmailVerified, f.Data.VerifiedBy, e.mail.Count())
		}

		_, _, err = e.svc.StartExternal(t.Context(), client, flow.External{Provider: "github", Subject: "42",
			Email: "bob@example.com", EmailVerified: true}, signup.Invite{}, "", meta)
		wantErr(t, "provider sign-up", err, apperr.Forbidden, "error.signup.invitation_only")
	})
}

// An invitation's link vouches for its address only while no account has
// it: then the sign-up goes on as any other would (a code step whose code
// never comes, the owner told), so that holding an invitation does not
// reveal or take over an account (REQ-RL-05).
func TestInvitedAddressWithAnAccountStillAwaitsACode_REQ_RL_05(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		e.owner("bob@example.com")
		f := e.mustStart(e.client(), signup.Form{Email: "bob@example.com", Password: pw, Invited: "bob@example.com",
			Proved: []string{"bob@example.com"}})
		if f.Data.EmailVerified || f.Data.Strategy != flow.EmailCode {
			t.Fatalf("an invited address with an account: verified %v, next %q; want a code step", f.Data.EmailVerified, f.Data.Strategy)
		}
		if got := e.mail.Kinds("bob@example.com"); !slices.Equal(got, []string{"existing_account"}) {
			t.Errorf("sent to the owner: %v, want only the existing-account notice", got)
		}
		// Another address than the invited one is verified as usual.
		g := e.mustStart(e.client(), signup.Form{Email: "carol@example.com", Password: pw, Invited: "bob@example.com",
			Proved: []string{"bob@example.com"}})
		if g.Data.EmailVerified || g.Data.Strategy != flow.EmailCode || signUpCode(t, e.mail, "carol@example.com") == "" {
			t.Errorf("an address not invited: verified %v, next %q", g.Data.EmailVerified, g.Data.Strategy)
		}
	})
}

// An invitation whose link was followed long ago still lets a restricted
// sign-up go ahead, but vouches for its address no more than an old
// emailed link would (REQ-OTP-02): the address is verified by a code.
func TestInvitationFollowedLongAgoAwaitsACode_REQ_OTP_02(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		e.svc.Restricted = true
		f := e.mustStart(e.client(), signup.Form{Email: "bob@example.com", Password: pw, Invited: "bob@example.com"})
		if f.Data.EmailVerified || f.Data.Strategy != flow.EmailCode || signUpCode(t, e.mail, "bob@example.com") == "" {
			t.Fatalf("invited, link not followed lately: verified %v by %q, next %q; want an emailed code",
				f.Data.EmailVerified, f.Data.VerifiedBy, f.Data.Strategy)
		}
	})
}
