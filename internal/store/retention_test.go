package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/notify"
	"github.com/portalhq/portal/internal/org"
	"github.com/portalhq/portal/internal/signintoken"
	"github.com/portalhq/portal/internal/store"
	"github.com/portalhq/portal/internal/webhook"
)

func testRetention(t *testing.T, open func(t *testing.T) *store.Store) {
	t.Run("PruneBefore keeps what is young or still waited on", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		ep := webhook.Endpoint{ID: "whe_prune", URL: "https://hooks.example.com/in", Secret: "whsec_c2VjcmV0",
			CreatedAt: at(-90 * 24 * time.Hour), UpdatedAt: at(-90 * 24 * time.Hour)}
		if err := s.Q.CreateWebhookEndpoint(ctx, ep); err != nil {
			t.Fatal(err)
		}
		old, cut := at(-40*24*time.Hour), at(-30*24*time.Hour)
		delivered := newEvent(t, events.UserCreated, "user_delivered", old)
		waiting := newEvent(t, events.UserCreated, "user_waiting", old)
		young := newEvent(t, events.UserCreated, "user_young", at(0))
		for _, e := range []events.Event{delivered, waiting, young} {
			if err := s.Q.InsertEvent(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		// The first old event was delivered (with an attempt on record);
		// the second still waits for its endpoint.
		d, err := s.Q.WebhookDelivery(ctx, ep.ID, delivered.ID)
		if err != nil {
			t.Fatal(err)
		}
		d.Status, d.Attempts, d.UpdatedAt = "succeeded", 1, old
		if err := s.Q.SaveWebhookDelivery(ctx, *d); err != nil {
			t.Fatal(err)
		}
		if err := s.Q.InsertWebhookAttempt(ctx, webhook.Attempt{ID: "wha_1", EndpointID: ep.ID, EventID: delivered.ID,
			AttemptedAt: old, StatusCode: 204}); err != nil {
			t.Fatal(err)
		}
		for _, m := range []notify.OutboxMessage{
			{ID: id.New(id.Message), Channel: notify.ChannelEmail, To: "old@example.com", CreatedAt: old},
			{ID: id.New(id.Message), Channel: notify.ChannelEmail, To: "new@example.com", CreatedAt: at(0)},
		} {
			if err := s.Q.SaveOutbox(ctx, m); err != nil {
				t.Fatal(err)
			}
		}

		n, err := s.Q.PruneBefore(ctx, cut)
		if err != nil || n != 3 { // the done delivery, its event, the old message
			t.Fatalf("PruneBefore = %d, %v; want 3 rows", n, err)
		}
		if evs, _ := s.Q.EventsOfObject(ctx, "user_delivered"); len(evs) != 0 {
			t.Errorf("the delivered old event is still there")
		}
		if evs, _ := s.Q.EventsOfObject(ctx, "user_waiting"); len(evs) != 1 {
			t.Errorf("the old event a delivery waits on was pruned")
		}
		if evs, _ := s.Q.EventsOfObject(ctx, "user_young"); len(evs) != 1 {
			t.Errorf("the young event was pruned")
		}
		if _, err := s.Q.WebhookDelivery(ctx, ep.ID, delivered.ID); err == nil {
			t.Errorf("the done delivery is still there")
		}
		if a, _ := s.Q.WebhookAttempts(ctx, ep.ID, delivered.ID); len(a) != 0 {
			t.Errorf("%d attempts of the pruned delivery are left", len(a))
		}
		if _, err := s.Q.WebhookDelivery(ctx, ep.ID, waiting.ID); err != nil {
			t.Errorf("the pending delivery: %v", err)
		}
		if msgs, _ := s.Q.ListOutbox(ctx, 10); len(msgs) != 1 || msgs[0].To != "new@example.com" {
			t.Errorf("outbox after pruning: %+v", msgs)
		}
		if n, err := s.Q.PruneBefore(ctx, cut); err != nil || n != 0 {
			t.Errorf("pruning again = %d, %v; want nothing", n, err)
		}
	})

	t.Run("PruneBefore drops sign-in tokens that ended before the cut", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		u := createUser(t, s, "ada@example.com")
		old, cut := at(-40*24*time.Hour), at(-30*24*time.Hour)
		tokens := map[string]signintoken.Token{
			"used long ago":        {Status: signintoken.Accepted, ExpiresAt: at(0), UpdatedAt: old},
			"expired unused":       {Status: signintoken.Pending, ExpiresAt: old, UpdatedAt: old},
			"revoked recently":     {Status: signintoken.Revoked, ExpiresAt: at(0), UpdatedAt: at(-time.Hour)},
			"old but still usable": {Status: signintoken.Pending, ExpiresAt: at(24 * time.Hour), UpdatedAt: old},
		}
		ids := map[string]string{}
		for name, tk := range tokens {
			tk.ID, tk.UserID, tk.TokenHash, tk.CreatedAt = id.New(id.SignInToken), u.ID, id.HashSecret(name), old
			if err := s.Q.CreateSignInToken(ctx, &tk); err != nil {
				t.Fatal(err)
			}
			ids[name] = tk.ID
		}
		if n, err := s.Q.PruneBefore(ctx, cut); err != nil || n != 2 {
			t.Fatalf("PruneBefore = %d, %v; want the used and the expired token", n, err)
		}
		for name, keep := range map[string]bool{"used long ago": false, "expired unused": false,
			"revoked recently": true, "old but still usable": true} {
			_, err := s.Q.SignInTokenByID(ctx, ids[name])
			if kept := err == nil; kept != keep {
				t.Errorf("%s: kept %v, want %v (%v)", name, kept, keep, err)
			}
		}
	})
	t.Run("removals are told only to their organization and pruned", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		a, b := createOrg(t, s, "removals-a"), createOrg(t, s, "removals-b")
		cut := at(-30 * 24 * time.Hour)
		old, recent := id.New(id.OrgMember), id.New(id.OrgMember)
		for _, r := range []struct {
			id string
			at time.Time
		}{{old, at(-40 * 24 * time.Hour)}, {recent, at(-time.Hour)}} {
			if err := s.Q.RecordRemoval(ctx, a.ID, r.id, r.at); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Q.RecordRemoval(ctx, a.ID, recent, at(0)); err != nil {
			t.Errorf("recording a removal twice: %v", err)
		}
		for _, c := range []struct {
			org, id string
			want    bool
		}{{a.ID, recent, true}, {b.ID, recent, false}, {a.ID, id.New(id.OrgMember), false}} {
			if got, err := s.Q.WasRemoved(ctx, c.org, c.id); err != nil || got != c.want {
				t.Errorf("WasRemoved(%s, %s) = %v, %v; want %v", c.org, c.id, got, err, c.want)
			}
		}
		if n, err := s.Q.PruneBefore(ctx, cut); err != nil || n != 1 {
			t.Fatalf("PruneBefore = %d, %v; want the old removal", n, err)
		}
		if got, _ := s.Q.WasRemoved(ctx, a.ID, old); got {
			t.Error("a removal older than the cut is still told")
		}
		if err := s.Q.DeleteOrganization(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Q.WasRemoved(ctx, a.ID, recent); got {
			t.Error("the removals of a deleted organization stay")
		}
	})
	t.Run("replaced invitation tickets find their invitation until pruned", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		o := createOrg(t, s, "replaced")
		inv := newInvitation(o.ID, "ada@example.com")
		if err := s.Q.CreateInvitation(ctx, inv); err != nil {
			t.Fatal(err)
		}
		cut := at(-30 * 24 * time.Hour)
		old, recent := org.HashTicket("old-ticket"), org.HashTicket("recent-ticket")
		if err := s.Q.RecordReplacedTicket(ctx, inv.ID, old, at(-50*24*time.Hour), at(-40*24*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := s.Q.RecordReplacedTicket(ctx, inv.ID, recent, at(-time.Hour), at(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := s.Q.RecordReplacedTicket(ctx, inv.ID, recent, at(0), at(time.Hour)); err != nil {
			t.Errorf("recording a replaced ticket twice: %v", err)
		}
		for _, hash := range []string{old, recent} {
			if got, err := s.Q.InvitationByReplacedTicket(ctx, hash); err != nil || got.ID != inv.ID {
				t.Errorf("InvitationByReplacedTicket = %+v, %v", got, err)
			}
		}
		if _, err := s.Q.InvitationByReplacedTicket(ctx, inv.TicketHash); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the live ticket reads as replaced: %v", err)
		}
		if _, err := s.Q.InvitationByTicket(ctx, recent); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a replaced ticket finds the invitation as a live one: %v", err)
		}
		if n, err := s.Q.PruneBefore(ctx, cut); err != nil || n != 1 {
			t.Fatalf("PruneBefore = %d, %v; want the ticket replaced by a link long expired", n, err)
		}
		if _, err := s.Q.InvitationByReplacedTicket(ctx, old); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("after pruning: %v", err)
		}
		if err := s.Q.DeleteOrganization(ctx, o.ID); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := s.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM organization_invitation_replaced_tickets`).Scan(&n); err != nil || n != 0 {
			t.Errorf("the replaced tickets of a deleted organization stay: %d, %v", n, err)
		}
	})
}
