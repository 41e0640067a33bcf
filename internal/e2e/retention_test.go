package e2e

import (
	"net/http"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// Housekeeping prunes events older than PORTAL_EVENT_RETENTION (30 days by
// default) and keeps younger ones and the things they describe.
func TestOldEventsArePruned(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{})
	var old struct {
		ID string `json:"id"`
	}
	if r := api(t, p, http.MethodPost, "/v1/users", map[string]any{"email_address": []string{"old@example.com"},
		"skip_password_requirement": true}, &old); r.Status != http.StatusOK {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	clock.Advance(29 * 24 * time.Hour)
	var young struct {
		ID string `json:"id"`
	}
	api(t, p, http.MethodPost, "/v1/users", map[string]any{"email_address": []string{"young@example.com"},
		"skip_password_requirement": true}, &young)

	p.Housekeep(t.Context()) // day 29: nothing is 30 days old yet
	if n := countEvents(t, p, old.ID, events.UserCreated); n != 1 {
		t.Fatalf("day 29: %d user.created for the first user, want 1", n)
	}
	clock.Advance(2 * 24 * time.Hour)
	p.Housekeep(t.Context())
	if n := countEvents(t, p, old.ID, events.UserCreated); n != 0 {
		t.Errorf("day 31: the 31-day-old event is still there")
	}
	if n := countEvents(t, p, young.ID, events.UserCreated); n != 1 {
		t.Errorf("day 31: the 2-day-old event is gone")
	}
	if r := api(t, p, http.MethodGet, "/v1/users/"+old.ID, nil, nil); r.Status != http.StatusOK {
		t.Errorf("the user whose event was pruned: %d", r.Status)
	}
}
