package invitation_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/portalhq/portal/internal/invitation"
)

// cancelOnSend ends the request's context as the email is being sent (the
// Backend API client timed out and went away) and fails the send with it,
// as notify.SMTPMailer does.
type cancelOnSend struct{ cancel context.CancelFunc }

func (c cancelOnSend) SendAppInvitation(ctx context.Context, _, _ string, _ invitation.Mail) error {
	c.cancel()
	return ctx.Err()
}

// When the send fails because the request ended (the API client gave up),
// the unsent invitations are still withdrawn, so the same request made
// again works rather than answering 409 "has a pending invitation".
func TestWithdrawSurvivesACancelledRequest(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		e.svc.Notifier = cancelOnSend{cancel: cancel}
		ins := []invitation.CreateInput{{Email: "x@example.com", Notify: true}, {Email: "y@example.com", Notify: true}}
		if _, _, err := e.svc.CreateMany(ctx, ins); err == nil {
			t.Fatal("CreateMany succeeded though the email failed")
		}
		for _, inv := range e.all() {
			if inv.Status == invitation.Pending {
				t.Errorf("%s: unsent invitation left pending", inv.Email)
			}
		}
		e.svc.Notifier = e.mail
		if _, _, err := e.svc.CreateMany(t.Context(), ins); err != nil {
			t.Errorf("the same request again: %v", err)
		}
	})
}

// Requests inviting one address at once make one invitation: the others
// are refused as for an address with a live invitation (on PostgreSQL a
// lock per address orders them; SQLite's write lock already does).
func TestConcurrentCreatesMakeOneInvitation(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		const n, rounds = 8, 10
		for round := range rounds {
			email := fmt.Sprintf("race%d@example.com", round)
			errs := make(chan error, n)
			start := make(chan struct{})
			for range n {
				go func() {
					<-start
					_, _, err := e.svc.Create(t.Context(), invitation.CreateInput{Email: email})
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
			if ok != 1 {
				t.Errorf("round %d: %d of %d concurrent Creates of %s succeeded; want 1", round, ok, n, email)
			}
		}
	})
}
