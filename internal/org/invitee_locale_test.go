package org_test

import (
	"slices"
	"testing"

	"github.com/portalhq/portal/internal/org"
)

// An invitation, sent or resent, carries the language of the account the
// invited address belongs to, for its email to be written in; an address
// with no account, or one whose user has no locale, carries none (the
// email then keeps the inviter's language).
func TestInvitationCarriesTheInviteesLocale(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ada, bob := e.person("ada@example.com"), e.person("bob@example.com")
		e.person("dan@example.com")
		bob.Locale, bob.UpdatedAt = "de", e.clock.Now()
		if err := e.st.Q.SaveUser(ctx, &bob.User); err != nil {
			t.Fatal(err)
		}
		acme := e.create(ada, "Acme")
		invs, err := e.svc.Invite(ctx, ada.actor, acme.ID,
			org.InviteInput{Emails: []string{"bob@example.com", "carol@example.com", "dan@example.com"}})
		if err != nil || len(invs) != 3 {
			t.Fatalf("Invite = %+v, %v", invs, err)
		}
		if err := e.svc.Resend(ctx, ada.actor, acme.ID, invs[0].ID); err != nil {
			t.Fatal(err)
		}
		for addr, want := range map[string][]string{"bob@example.com": {"de", "de"}, "carol@example.com": {""},
			"dan@example.com": {""}} {
			if got := e.mail.locales[addr]; !slices.Equal(got, want) {
				t.Errorf("locales of the invitations to %s: %q, want %q", addr, got, want)
			}
		}
	})
}
