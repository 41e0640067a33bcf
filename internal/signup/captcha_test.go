package signup_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/portalhq/portal/internal/signup"
)

// REQ-RL-04, REQ-IN-09: with bot protection on, a provider sign-up that
// would make a new account at once waits for the check (FieldCaptcha)
// instead, and nothing is made; Fill refuses it without the caller's word
// that the check passed (ErrBotCheck), and with it makes the account. A
// provider in the bypass list, an invitee (the provider's address is the
// invited one) and a restricted instance are not asked.
func TestProviderSignUpWaitsForTheBotCheck_REQ_RL_04(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		e.svc.BotProtection = true
		client, f, sess, err := e.viaProvider("ada@example.com", true, signup.Invite{})
		if err != nil || sess != nil || !slices.Equal(f.Data.Missing, []string{signup.FieldCaptcha}) {
			t.Fatalf("a new account: session %v, missing %v, %v; want no session, the check missing", sess, f.Data.Missing, err)
		}
		e.noAccount("ada@example.com")
		f = e.load(client, f.ID)
		if _, err := e.svc.Fill(t.Context(), f, signup.Form{}, meta); !errors.Is(err, signup.ErrBotCheck) {
			t.Fatalf("Fill without the check: %v, want ErrBotCheck", err)
		}
		e.noAccount("ada@example.com")
		f = e.load(client, f.ID)
		if sess, err := e.svc.Fill(t.Context(), f, signup.Form{BotChecked: true}, meta); err != nil || sess == nil {
			t.Fatalf("Fill with the check passed: %v, %v; want a session", sess, err)
		}
		e.created("ada@example.com")

		e.svc.BotBypass = map[string]bool{"oauth_github": true}
		if _, f, sess, err := e.viaProvider("grace@example.com", true, signup.Invite{}); err != nil || sess == nil {
			t.Fatalf("a bypassed provider: session %v, missing %v, %v; want the account at once", sess, f.Data.Missing, err)
		}
		e.svc.BotBypass = nil

		bob := e.appInvitation("bob@example.com")
		if _, f, sess, err := e.viaProvider("bob@example.com", true, bob); err != nil || sess == nil {
			t.Fatalf("an invitee: session %v, missing %v, %v; want the account at once", sess, f.Data.Missing, err)
		}
		// Invited, but the provider gives another address: a stranger.
		if _, f, _, err := e.viaProvider("carol@example.com", true, e.appInvitation("dan@example.com")); err != nil ||
			!slices.Contains(f.Data.Missing, signup.FieldCaptcha) {
			t.Fatalf("another address than the invitation's: missing %v, %v; want the check", f.Data.Missing, err)
		}

		e.svc.Restricted = true
		erin := e.appInvitation("erin@example.com")
		if _, f, sess, err := e.viaProvider("erin@example.com", true, erin); err != nil || sess == nil ||
			slices.Contains(f.Data.Missing, signup.FieldCaptcha) {
			t.Fatalf("restricted: session %v, %v; want the account at once", sess, err)
		}
	})
}
