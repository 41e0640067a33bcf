package waitlist_test

import (
	"context"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/invitation"
	"github.com/portalhq/portal/internal/waitlist"
)

// Rejecting an entry that was invited twice (the second time with
// ignore_existing, which leaves the first link pending) stops both links.
func TestRejectStopsEveryLink(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		bob := e.create("bob@example.com")
		if _, err := e.svc.Invite(ctx, bob.ID, false); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Minute)
		if _, err := e.svc.Invite(ctx, bob.ID, true); err != nil { // a new link, as the README offers
			t.Fatal(err)
		}
		if _, err := e.svc.Reject(ctx, bob.ID); err != nil {
			t.Fatal(err)
		}
		for i, m := range e.mail.all() {
			link, _ := url.Parse(m.url)
			if inv, err := e.inv.Lookup(ctx, link.Query().Get("ticket")); err == nil {
				t.Errorf("invitation link %d of the rejected entry still works (%s is %s)", i+1, inv.ID, inv.Status)
			}
		}
	})
}

// cancelling is a notifier whose send outlives the request: the client
// (a Backend API caller with a timeout) goes away, the request's context
// ends, and the send fails with it.
type cancelling struct {
	cancel context.CancelFunc
}

func (c cancelling) SendAppInvitation(ctx context.Context, _, _ string, _ invitation.Mail) error {
	c.cancel()
	return ctx.Err()
}

func (c cancelling) SendWaitlistJoined(ctx context.Context, _ string) error { return nil }

// When the invitation email fails because the request ended (the API
// client timed out), the invitation is still revoked and the entry put
// back, as after any failed send.
func TestInviteUndoSurvivesACancelledRequest(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		bob := e.create("bob@example.com")
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		e.inv.Notifier = cancelling{cancel: cancel}
		_, err := e.svc.Invite(ctx, bob.ID, false)
		if err == nil {
			t.Fatal("Invite succeeded though the email failed")
		}
		if !errors.Is(err, waitlist.ErrNotSent) {
			t.Errorf("Invite = %v, want ErrNotSent (the undo failed?)", err)
		}
		if got := e.entry(bob.ID); got.Status != waitlist.Pending || got.InvitationID != "" {
			t.Errorf("entry after the failed email: status %s, invitation %q; want pending, none", got.Status, got.InvitationID)
		}
		if got := e.entry(bob.ID); got.Invitation != nil && got.Invitation.Status == invitation.Pending {
			t.Errorf("the unsent invitation %s is still pending: inviting again answers 409", got.Invitation.ID)
		}
	})
}

// Inviting one entry several times at once (without ignore_existing): one
// wins, with one email and one live invitation.
func TestConcurrentInvitesSendOne(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		bob := e.create("bob@example.com")
		const n = 6
		errs := make(chan error, n)
		start := make(chan struct{})
		for range n {
			go func() {
				<-start
				_, err := e.svc.Invite(t.Context(), bob.ID, false)
				errs <- err
			}()
		}
		close(start)
		ok := 0
		for range n {
			if <-errs == nil {
				ok++
			}
		}
		live := 0
		invs, _, err := e.st.Q.ListAppInvitations(t.Context(), invitation.Filter{Now: e.clock.Now(), Limit: 50, OrderBy: "created_at"})
		if err != nil {
			t.Fatal(err)
		}
		for _, inv := range invs {
			if inv.Status == invitation.Pending {
				live++
			}
		}
		if ok != 1 || live != ok || len(e.mail.all()) != ok {
			t.Errorf("%d Invites succeeded, %d live invitations, %d emails", ok, live, len(e.mail.all()))
		}
	})
}
