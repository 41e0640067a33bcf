package session

import (
	"encoding/json"
	"testing"
	"time"
)

// An impersonation session ends after ImpersonationInactivity idle, or the
// instance's timeout when that is shorter; the user's own sessions keep
// the instance's rule (none here means none).
func TestImpersonationInactivity(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	at := func(idle time.Duration, actor string) *Session {
		s := &Session{Status: Active, ExpireAt: now.Add(time.Hour), LastActiveAt: now.Add(-idle)}
		if actor != "" {
			s.Actor = json.RawMessage(actor)
		}
		return s
	}
	for _, c := range []struct {
		idle, policy time.Duration
		actor        string
		live         bool
	}{
		{9 * time.Minute, 0, `{"sub":"user_1"}`, true},
		{10 * time.Minute, 0, `{"sub":"user_1"}`, false},
		{10 * time.Minute, time.Hour, `{"sub":"user_1"}`, false},
		{4 * time.Minute, 5 * time.Minute, `{"sub":"user_1"}`, true},
		{5 * time.Minute, 5 * time.Minute, `{"sub":"user_1"}`, false},
		{10 * time.Minute, 0, "", true},
		{50 * time.Minute, time.Hour, "", true},
	} {
		if got := at(c.idle, c.actor).Live(now, c.policy); got != c.live {
			t.Errorf("idle %v, instance timeout %v, actor %q: live %v, want %v", c.idle, c.policy, c.actor, got, c.live)
		}
	}
}
