package store_test

import (
	"testing"
	"time"

	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/store"
	"github.com/portalhq/portal/internal/webhook"
)

// testWebhookLeases: a delivery is due, and leased, only when its time has
// come and its endpoint is not being spared — so a worker acting on a list
// it read earlier sends nothing rescheduled or throttled meanwhile.
func testWebhookLeases(t *testing.T, open func(t *testing.T) *store.Store) {
	s, ctx := open(t), t.Context()
	ep := webhook.Endpoint{ID: "whe_lease", URL: "https://hooks.example.com/in", Secret: "whsec_c2VjcmV0",
		CreatedAt: at(0), UpdatedAt: at(0)}
	if err := s.Q.CreateWebhookEndpoint(ctx, ep); err != nil {
		t.Fatal(err)
	}
	later := newEvent(t, events.UserCreated, "user_later", at(0))
	now := newEvent(t, events.UserCreated, "user_now", at(0))
	for _, e := range []events.Event{later, now} {
		if err := s.Q.InsertEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	d, err := s.Q.WebhookDelivery(ctx, ep.ID, later.ID)
	if err != nil {
		t.Fatal(err)
	}
	next := at(time.Hour)
	d.NextAttemptAt = &next
	if err := s.Q.SaveWebhookDelivery(ctx, *d); err != nil {
		t.Fatal(err)
	}
	due := func(when time.Time) []string {
		t.Helper()
		list, err := s.Q.DueWebhookDeliveries(ctx, when, 10)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, d := range list {
			ids = append(ids, d.ObjectID)
		}
		return ids
	}
	lease := func(ev events.Event, when time.Time) bool {
		t.Helper()
		ok, err := s.Q.LeaseWebhookDelivery(ctx, ep.ID, ev.ID, when, when.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if got := due(at(0)); len(got) != 1 || got[0] != "user_now" {
		t.Errorf("due now = %v, want [user_now]", got)
	}
	if lease(later, at(0)) {
		t.Error("a delivery due in an hour was leased now")
	}

	if err := s.Q.ThrottleWebhookEndpoint(ctx, ep.ID, at(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got := due(at(time.Minute)); len(got) != 0 {
		t.Errorf("due while the endpoint is spared = %v", got)
	}
	if lease(now, at(time.Minute)) {
		t.Error("a delivery to a spared endpoint was leased")
	}
	if got := due(at(2 * time.Minute)); len(got) != 1 {
		t.Errorf("due once the endpoint is spared no more = %v, want [user_now]", got)
	}
	if !lease(now, at(2*time.Minute)) {
		t.Error("a due delivery to an endpoint spared no more was not leased")
	}
	if lease(now, at(2*time.Minute)) {
		t.Error("a leased delivery was leased again")
	}
	// A long throttle, then a short one recorded after it (another
	// worker's answer): the long one stands.
	if err := s.Q.ThrottleWebhookEndpoint(ctx, ep.ID, at(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.Q.ThrottleWebhookEndpoint(ctx, ep.ID, at(3*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got := due(at(30 * time.Minute)); len(got) != 0 {
		t.Errorf("due half an hour into an hour's throttle = %v (a shorter one cut it)", got)
	}
	if got, err := s.Q.WebhookEndpoint(ctx, ep.ID); err != nil || got.URL != ep.URL {
		t.Errorf("the endpoint after throttling = %+v, %v", got, err)
	}
}
