package invitation_test

import (
	"testing"

	"github.com/portalhq/portal/internal/invitation"
)

// An address invited although it has an account (ignore_existing) is
// written to in its user's language; one with no account, or whose user
// has no locale, carries none, and its email keeps the request's language
// or the instance default.
func TestInvitationCarriesTheInviteesLocale(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		bob := e.user("bob@example.com", true, "{}")
		bob.Locale = "ja"
		if err := e.st.Q.SaveUser(t.Context(), bob); err != nil {
			t.Fatal(err)
		}
		e.user("dan@example.com", true, "{}")
		for _, addr := range []string{"bob@example.com", "carol@example.com", "dan@example.com"} {
			e.invite(invitation.CreateInput{Email: addr, Notify: true, IgnoreExisting: true})
		}
		want := map[string]string{"bob@example.com": "ja", "carol@example.com": "", "dan@example.com": ""}
		sent := e.mail.all()
		if len(sent) != len(want) {
			t.Fatalf("%d emails, want %d", len(sent), len(want))
		}
		for _, s := range sent {
			if s.locale != want[s.to] {
				t.Errorf("the invitation to %s carries locale %q, want %q", s.to, s.locale, want[s.to])
			}
		}
	})
}
