package org_test

import (
	"errors"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/org"
)

// The link of an email that a resend replaced no longer works, as before
// (nobody joins with it, REQ-AC-06), but says why: a newer invitation to
// the organization was emailed, and its link is the one to use. It says
// so for every older email, and only while that newer link works: once the
// invitation is revoked, accepted or has expired, the old link is merely
// gone, as a ticket nobody sent is.
func TestResentInvitationsOldLinkSaysANewerOneWasSent(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ada, bob := e.person("ada@example.com"), e.person("bob@example.com")
		acme := e.create(ada, "Acme")
		first := e.invite(ada, acme, "bob@example.com", "")
		inv := mustPending(t, e, acme.ID)
		resend := func() string {
			t.Helper()
			if err := e.svc.Resend(ctx, ada.actor, acme.ID, inv.ID); err != nil {
				t.Fatal(err)
			}
			return e.mail.ticket(t, "bob@example.com")
		}
		second := resend()
		third := resend()

		resent := func(what string, err error) {
			t.Helper()
			ae, ok := apperr.As(err)
			if !errors.Is(err, org.ErrInvitationResent) || !errors.Is(err, org.ErrInvitationGone) || !ok ||
				ae.Code != apperr.Expired || ae.ID != "org.error.invitation_resent" || len(ae.Args) != 2 || ae.Args[1] != "Acme" {
				t.Errorf("%s: %v (%+v), want ErrInvitationResent naming Acme", what, err, ae)
			}
		}
		for name, ticket := range map[string]string{"first": first, "second": second} {
			_, _, err := e.svc.Lookup(ctx, ticket)
			resent("the "+name+" email's link", err)
			_, _, err = e.svc.Accept(ctx, bob.actor, ticket)
			resent("accepting with the "+name+" email's link", err)
		}
		if _, err := e.st.Q.MembershipOf(ctx, acme.ID, bob.ID); err == nil {
			t.Fatal("an older email's link made Bob a member")
		}
		if _, _, err := e.svc.Lookup(ctx, third); err != nil {
			t.Fatalf("the newest link: %v", err)
		}
		if _, _, err := e.svc.Lookup(ctx, "not-a-ticket-anyone-sent"); err != org.ErrInvitationGone {
			t.Errorf("a ticket nobody sent: %v", err)
		}

		// The newer link expired: the old one is only gone.
		e.clock.Advance(7*24*time.Hour + time.Second)
		if _, _, err := e.svc.Lookup(ctx, first); err != org.ErrInvitationGone {
			t.Errorf("after the newer link expired: %v", err)
		}
		// Sent again, then revoked: gone too.
		resend()
		if _, _, err := e.svc.Lookup(ctx, first); !errors.Is(err, org.ErrInvitationResent) {
			t.Errorf("after another resend: %v", err)
		}
		if err := e.svc.Revoke(ctx, ada.actor, acme.ID, inv.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.svc.Lookup(ctx, first); err != org.ErrInvitationGone {
			t.Errorf("after the invitation was revoked: %v", err)
		}

		// Accepted with the newest link: the older ones are gone.
		carol := e.person("carol@example.com")
		old := e.invite(ada, acme, "carol@example.com", "")
		carolInv, err := e.st.Q.PendingInvitation(ctx, acme.ID, "carol@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if err := e.svc.Resend(ctx, ada.actor, acme.ID, carolInv.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.svc.Accept(ctx, carol.actor, e.mail.ticket(t, "carol@example.com")); err != nil {
			t.Fatalf("the newest link: %v", err)
		}
		if _, _, err := e.svc.Lookup(ctx, old); err != org.ErrInvitationGone {
			t.Errorf("after the invitation was accepted: %v", err)
		}
	})
}
