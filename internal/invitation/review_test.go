package invitation_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/invitation"
)

// failingMail cannot send.
type failingMail struct{}

func (failingMail) SendAppInvitation(context.Context, string, string, invitation.Mail) error {
	return errors.New("smtp: connection refused")
}

// When the email cannot be sent nobody could ever use the invitation (its
// link is not kept), so it is withdrawn and the error says so; asking again
// then works instead of being refused as a duplicate.
func TestUnsentInvitationIsWithdrawn(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		e.svc.Notifier = failingMail{}
		inv, link, err := e.svc.Create(t.Context(), invitation.CreateInput{Email: "bob@example.com", Notify: true})
		if !errors.Is(err, invitation.ErrNotSent) || inv != nil || link != "" {
			t.Fatalf("Create with a failing mailer = %v, %q, %v; want ErrNotSent and nothing else", inv, link, err)
		}
		all := e.all()
		if len(all) != 1 || all[0].Status != invitation.Revoked {
			t.Fatalf("stored after the failed send: %+v, want one revoked invitation", all)
		}
		e.svc.Notifier = e.mail
		if _, link := e.invite(invitation.CreateInput{Email: "bob@example.com", Notify: true}); link == "" {
			t.Fatal("asking again gave no link")
		}
		if n := len(e.mail.all()); n != 1 {
			t.Errorf("%d emails after asking again, want 1", n)
		}
	})
}

// Accepting merges the invitation's metadata under the same 8 KB ceiling
// as any other change: an acceptance that would overflow it is refused and
// changes nothing.
func TestAcceptKeepsTheMetadataCeiling(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		big := func(key string) string { return `{"` + key + `":"` + strings.Repeat("x", 7000) + `"}` }
		bob := e.user("bob@example.com", true, big("mine"))
		inv, ticket := e.invite(invitation.CreateInput{Email: "bob@example.com", IgnoreExisting: true,
			PublicMetadata: json.RawMessage(big("theirs"))})
		if _, err := e.svc.Accept(t.Context(), ticket, bob.ID); err == nil {
			t.Fatal("an acceptance past 8 KB of metadata went through")
		}
		u, err := e.st.Q.UserByID(t.Context(), bob.ID)
		if err != nil {
			t.Fatal(err)
		}
		sameJSON(t, "bob's metadata after the refusal", u.PublicMetadata, big("mine"))
		if got := e.stored(inv.ID); got.Status != invitation.Pending {
			t.Errorf("status after the refusal %q, want pending", got.Status)
		}
	})
}

// Revoking an invitation that was accepted after it was read says so: the
// conditional update loses its race and the refusal is what became of it
// (invitation_already_accepted to the Backend API), not "revoked".
func TestRevokeAfterAStaleReadSaysWhatBecameOfIt(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		inv, _ := e.invite(invitation.CreateInput{Email: "bob@example.com"})
		stale := *inv
		accepted := *inv
		accepted.Status = invitation.Accepted
		if err := e.st.Q.UpdateAppInvitation(ctx, &accepted, invitation.Pending); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.RevokeIn(ctx, e.st.Q, &stale); !errors.Is(err, invitation.ErrAcceptedAlready) {
			t.Errorf("RevokeIn after it was accepted: %v, want ErrAcceptedAlready", err)
		}
		if stale.Status != invitation.Pending {
			t.Errorf("the stale copy reads %q, want it left as it was", stale.Status)
		}
	})
}
