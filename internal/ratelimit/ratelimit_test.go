package ratelimit

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
)

var fivePer15m = Window{Limit: 5, Per: 15 * time.Minute}

func TestLimitReachedAndRetryAfter_REQ_RL_02(t *testing.T) {
	clock := clockwork.NewFakeClock()
	l := New(clock, 1000)

	for i := range 5 {
		if ok, _ := l.Allow("acct:1", fivePer15m); !ok {
			t.Fatalf("request %d refused within the limit", i+1)
		}
	}
	ok, retry := l.Allow("acct:1", fivePer15m)
	if ok {
		t.Fatal("6th request allowed")
	}
	if retry != 3*time.Minute {
		t.Fatalf("retryAfter = %v, want 3m (one request earned back every 15m/5)", retry)
	}

	// Just before retryAfter it is still refused, at retryAfter it passes.
	clock.Advance(retry - time.Second)
	if ok, got := l.Allow("acct:1", fivePer15m); ok || got != time.Second {
		t.Fatalf("1s early: ok=%v retry=%v, want refused with 1s", ok, got)
	}
	clock.Advance(time.Second)
	if ok, _ := l.Allow("acct:1", fivePer15m); !ok {
		t.Fatal("refused at retryAfter")
	}
	if ok, _ := l.Allow("acct:1", fivePer15m); ok {
		t.Fatal("a second request passed after earning back only one")
	}

	if ok, _ := l.Allow("acct:2", fivePer15m); !ok {
		t.Fatal("another key was limited")
	}
}

func TestWindowResets(t *testing.T) {
	clock := clockwork.NewFakeClock()
	l := New(clock, 1000)
	for range 5 {
		l.Allow("k", fivePer15m)
	}
	clock.Advance(15 * time.Minute)
	for i := range 5 {
		if ok, _ := l.Allow("k", fivePer15m); !ok {
			t.Fatalf("after a full window, request %d refused", i+1)
		}
	}
	if ok, _ := l.Allow("k", fivePer15m); ok {
		t.Fatal("more than Limit in a burst")
	}
}

func TestCheckSpendsNothingAndResetClears(t *testing.T) {
	clock := clockwork.NewFakeClock()
	l := New(clock, 1000)
	w := Window{Limit: 2, Per: time.Minute}
	for range 10 {
		if ok, _ := l.Check("k", w); !ok {
			t.Fatal("Check refused an untouched key")
		}
	}
	l.Allow("k", w)
	l.Allow("k", w)
	if ok, retry := l.Check("k", w); ok || retry != 30*time.Second {
		t.Fatalf("Check after limit: ok=%v retry=%v", ok, retry)
	}
	l.Reset("k")
	if ok, _ := l.Allow("k", w); !ok {
		t.Fatal("Reset did not restore the allowance")
	}
}

func TestManyKeysStayBounded(t *testing.T) {
	clock := clockwork.NewFakeClock()
	const max = 3200
	l := New(clock, max)
	w := Window{Limit: 3, Per: time.Hour}
	for i := range 20 * max {
		l.Allow(fmt.Sprintf("ip:%d", i), w)
		if i%1000 == 0 {
			clock.Advance(time.Second)
		}
	}
	if n := l.Len(); n > max {
		t.Fatalf("Len = %d, cap %d", n, max)
	}
}

// A flood of fresh keys must not reset a key that is being punished:
// eviction picks the key closest to a full allowance.
func TestFloodDoesNotEvictPenalisedKey_REQ_RL_02(t *testing.T) {
	clock := clockwork.NewFakeClock()
	l := New(clock, 4*shardCount) // four keys per shard
	w := Window{Limit: 5, Per: time.Hour}
	for range 5 {
		l.Allow("victim", w)
	}
	for i := range 10_000 {
		l.Allow(fmt.Sprintf("flood:%d", i), w)
	}
	if ok, _ := l.Allow("victim", w); ok {
		t.Fatal("flood of keys reset the victim's limit")
	}
}

func TestSweepDropsExpired(t *testing.T) {
	clock := clockwork.NewFakeClock()
	l := New(clock, 1000)
	w := Window{Limit: 2, Per: time.Minute}
	l.Allow("short", w)
	l.Allow("long", Window{Limit: 1, Per: time.Hour})
	clock.Advance(time.Minute)
	l.Sweep()
	if n := l.Len(); n != 1 {
		t.Fatalf("Len after sweep = %d, want 1", n)
	}
}

func TestRunSweepsUntilCancelled(t *testing.T) {
	clock := clockwork.NewFakeClock()
	l := New(clock, 1000)
	l.Allow("k", Window{Limit: 1, Per: time.Minute})

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { l.Run(ctx, 5*time.Minute); close(done) }()
	if err := clock.BlockUntilContext(ctx, 1); err != nil {
		t.Fatal(err)
	}
	clock.Advance(5 * time.Minute)
	deadline := time.Now().Add(2 * time.Second)
	for l.Len() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("Run did not sweep")
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
}

func TestConcurrentUseHonoursLimit(t *testing.T) {
	clock := clockwork.NewFakeClock()
	l := New(clock, 1000)
	w := Window{Limit: 50, Per: time.Hour}
	var mu sync.Mutex
	allowed := 0
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				if ok, _ := l.Allow("shared", w); ok {
					mu.Lock()
					allowed++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if allowed != 50 {
		t.Fatalf("allowed %d, want exactly 50", allowed)
	}
}

func TestIPKey_REQ_RL_06(t *testing.T) {
	cases := map[string]string{
		"192.0.2.7":                 "192.0.2.7",
		"::ffff:192.0.2.7":          "192.0.2.7",
		"2001:db8:1:2:aaaa::1":      "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff:1:2:300": "2001:db8:1:2::/64",
	}
	for in, want := range cases {
		if got := IPKey(netip.MustParseAddr(in)); got != want {
			t.Errorf("IPKey(%s) = %s, want %s", in, got, want)
		}
	}
}
