package ratelimit_test

import (
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/ratelimit"
	"github.com/portalhq/portal/internal/store"
)

var tenPerMinute = ratelimit.Window{Limit: 10, Per: time.Minute}

func openShared(t *testing.T) *store.Store {
	t.Helper()
	s, err := store.Open(t.Context(), "sqlite:"+t.TempDir()+"/portal.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Two limiters (two processes) sharing one store allow the limit once in all
// (REQ-RL-02), and the store never sees the key itself, which may hold an
// address.
func TestSharedLimitHoldsAcrossLimiters_REQ_RL_02(t *testing.T) {
	s := openShared(t)
	clock := clockwork.NewFakeClock()
	one, two := ratelimit.New(clock, 100), ratelimit.New(clock, 100)
	for _, l := range []*ratelimit.Limiter{one, two} {
		l.Share(s.Q, func(err error) { t.Errorf("shared state failed: %v", err) })
	}
	const key = "identifier:ada@example.com"
	for i := range tenPerMinute.Limit {
		l := []*ratelimit.Limiter{one, two}[i%2]
		if ok, _ := l.Allow(key, tenPerMinute); !ok {
			t.Fatalf("request %d refused within the shared limit", i+1)
		}
	}
	for n, l := range []*ratelimit.Limiter{one, two} {
		ok, retry := l.Allow(key, tenPerMinute)
		if ok || retry != 6*time.Second {
			t.Fatalf("limiter %d past the shared limit: ok=%v retry=%v, want refused with 6s", n+1, ok, retry)
		}
	}
	clock.Advance(6 * time.Second)
	if ok, _ := two.Allow(key, tenPerMinute); !ok {
		t.Fatal("refused after one request was earned back")
	}
	var stored int
	if err := s.DB().QueryRowContext(t.Context(),
		`SELECT COUNT(*) FROM rate_limits WHERE key LIKE '%ada%' OR key LIKE '%identifier%'`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored != 0 {
		t.Errorf("the shared state holds the key in clear (%d rows)", stored)
	}
}

// A limit that counts only failures checks before each attempt (REQ-RL-03:
// a provider's callbacks): the check sees the failures every process spent,
// not only its own, and checking spends nothing.
func TestSharedCheckSeesEveryProcess_REQ_RL_03(t *testing.T) {
	s := openShared(t)
	clock := clockwork.NewFakeClock()
	one, two := ratelimit.New(clock, 100), ratelimit.New(clock, 100)
	for _, l := range []*ratelimit.Limiter{one, two} {
		l.Share(s.Q, func(err error) { t.Errorf("shared state failed: %v", err) })
	}
	const key = "oauth-failed:203.0.113.9"
	for range tenPerMinute.Limit {
		if ok, _ := two.Check(key, tenPerMinute); !ok {
			t.Fatal("check refused within the limit")
		}
		one.Allow(key, tenPerMinute) // every failure on the first process
	}
	ok, retry := two.Check(key, tenPerMinute)
	if ok || retry != 6*time.Second {
		t.Fatalf("the second process's check after 10 failures on the first: ok=%v retry=%v, want refused with 6s", ok, retry)
	}
	clock.Advance(6 * time.Second)
	for range 3 {
		if ok, _ := two.Check(key, tenPerMinute); !ok {
			t.Fatal("check refused after one failure was earned back")
		}
	}
	if ok, _ := two.Allow(key, tenPerMinute); !ok {
		t.Fatal("checks spent the one request earned back")
	}
}

// When the shared state cannot answer, the process's own limit still holds
// and the failure is reported, rather than every request being refused.
func TestSharedLimitFailureFallsBackToTheProcess(t *testing.T) {
	s := openShared(t)
	l := ratelimit.New(clockwork.NewFakeClock(), 100)
	var failures int
	l.Share(s.Q, func(error) { failures++ })
	s.Close()
	for i := range tenPerMinute.Limit {
		if ok, _ := l.Allow("k", tenPerMinute); !ok {
			t.Fatalf("request %d refused while the shared state is down", i+1)
		}
	}
	if failures != tenPerMinute.Limit {
		t.Errorf("%d failures reported, want %d", failures, tenPerMinute.Limit)
	}
	if ok, _ := l.Allow("k", tenPerMinute); ok {
		t.Error("the process's own limit did not hold while the shared state is down")
	}
}
