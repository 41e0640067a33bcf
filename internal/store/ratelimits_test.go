package store_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/store"
)

// The shared rate-limit state follows the in-memory limiter's rule
// (REQ-RL-02, REQ-RL-04): Limit requests at once, one earned back every
// Per/Limit, and a refusal says when the next one passes. Concurrent takes
// never overspend, and housekeeping drops only keys whose allowance is full.
func testRateLimits(t *testing.T, open func(t *testing.T) *store.Store) {
	const limit = 5
	per := int64(15 * time.Minute)
	step := per / limit
	now := base.UnixNano()

	t.Run("limit, retry after, earned back, keys apart", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		for i := range limit {
			if ok, _, err := s.Q.TakeRate(ctx, "k1", now, step, per); err != nil || !ok {
				t.Fatalf("request %d: ok=%v err=%v, want allowed", i+1, ok, err)
			}
		}
		ok, retry, err := s.Q.TakeRate(ctx, "k1", now, step, per)
		if err != nil || ok || retry != 3*time.Minute {
			t.Fatalf("6th request: ok=%v retry=%v err=%v, want refused with 3m", ok, retry, err)
		}
		if ok, _, err := s.Q.TakeRate(ctx, "k2", now, step, per); err != nil || !ok {
			t.Fatalf("another key: ok=%v err=%v, want allowed", ok, err)
		}
		later := now + int64(retry) - int64(time.Second)
		if ok, retry, _ := s.Q.TakeRate(ctx, "k1", later, step, per); ok || retry != time.Second {
			t.Fatalf("1s early: ok=%v retry=%v, want refused with 1s", ok, retry)
		}
		later += int64(time.Second)
		if ok, _, _ := s.Q.TakeRate(ctx, "k1", later, step, per); !ok {
			t.Fatal("refused once one request was earned back")
		}
		if ok, _, _ := s.Q.TakeRate(ctx, "k1", later, step, per); ok {
			t.Fatal("a second request passed after earning back only one")
		}
		// A whole window later the allowance is full again.
		full := later + per
		for i := range limit {
			if ok, _, _ := s.Q.TakeRate(ctx, "k1", full, step, per); !ok {
				t.Fatalf("after a full window, request %d refused", i+1)
			}
		}
	})

	// A limit that counts only failures (a provider's callbacks, REQ-RL-03)
	// asks before the attempt without spending: the answer is the one the
	// next take would get, and asking changes nothing.
	t.Run("peek answers as a take would, spending nothing", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		if ok, retry, err := s.Q.PeekRate(ctx, "fresh", now, step, per); err != nil || !ok || retry != 0 {
			t.Fatalf("an unknown key: ok=%v retry=%v err=%v, want allowed", ok, retry, err)
		}
		for i := range limit - 1 {
			s.Q.TakeRate(ctx, "k1", now, step, per)
			if ok, _, err := s.Q.PeekRate(ctx, "k1", now, step, per); err != nil || !ok {
				t.Fatalf("after %d takes of %d: ok=%v err=%v, want allowed", i+1, limit, ok, err)
			}
		}
		for range 3 { // peeking spends nothing: the last request still passes
			s.Q.PeekRate(ctx, "k1", now, step, per)
		}
		if ok, _, _ := s.Q.TakeRate(ctx, "k1", now, step, per); !ok {
			t.Fatal("the last request of the allowance was refused after peeks")
		}
		ok, retry, err := s.Q.PeekRate(ctx, "k1", now, step, per)
		if err != nil || ok || retry != 3*time.Minute {
			t.Fatalf("spent: ok=%v retry=%v err=%v, want refused with 3m", ok, retry, err)
		}
		if ok, _, _ := s.Q.PeekRate(ctx, "k1", now+int64(retry), step, per); !ok {
			t.Fatal("refused once one request was earned back")
		}
	})

	t.Run("concurrent takes never overspend", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		var allowed atomic.Int32
		var wg sync.WaitGroup
		errs := make(chan error, 40)
		for range 40 {
			wg.Go(func() {
				ok, _, err := s.Q.TakeRate(ctx, "hot", now, step, per)
				if err != nil {
					errs <- err
					return
				}
				if ok {
					allowed.Add(1)
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if got := allowed.Load(); got != limit {
			t.Fatalf("%d of 40 concurrent requests allowed, want exactly %d", got, limit)
		}
	})

	t.Run("housekeeping drops only full allowances", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		s.Q.TakeRate(ctx, "old", now, step, per)
		s.Q.TakeRate(ctx, "busy", now+per, step, per)
		n, err := s.Q.DeleteSpentRates(ctx, time.Unix(0, now+step))
		if err != nil || n != 1 {
			t.Fatalf("deleted %d (err %v), want 1: the key whose allowance is full again", n, err)
		}
		// "busy" kept its state: four more pass, then it is refused.
		for range limit - 1 {
			s.Q.TakeRate(ctx, "busy", now+per, step, per)
		}
		if ok, _, _ := s.Q.TakeRate(ctx, "busy", now+per, step, per); ok {
			t.Fatal("housekeeping forgot a key still spending its allowance")
		}
	})
	// A double click's second press on the waitlist, perhaps on another
	// machine, learns from a mark that its first passed the check.
	t.Run("Mark: kept until its time, then swept", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		at := time.Unix(0, now)
		if ok, err := s.Q.Marked(ctx, "mark:a", at); err != nil || ok {
			t.Fatalf("Marked before Mark = %v, %v", ok, err)
		}
		if err := s.Q.Mark(ctx, "mark:a", at.Add(10*time.Second)); err != nil {
			t.Fatal(err)
		}
		if ok, err := s.Q.Marked(ctx, "mark:a", at.Add(9*time.Second)); err != nil || !ok {
			t.Fatalf("Marked within its time = %v, %v", ok, err)
		}
		if ok, _ := s.Q.Marked(ctx, "mark:b", at); ok {
			t.Fatal("another key is marked")
		}
		if ok, _ := s.Q.Marked(ctx, "mark:a", at.Add(10*time.Second)); ok {
			t.Fatal("still marked when its time has come")
		}
		if err := s.Q.Mark(ctx, "mark:a", at.Add(20*time.Second)); err != nil {
			t.Fatal(err)
		}
		if ok, _ := s.Q.Marked(ctx, "mark:a", at.Add(15*time.Second)); !ok {
			t.Fatal("marking again did not move the time on")
		}
		if n, err := s.Q.DeleteSpentRates(ctx, at.Add(21*time.Second)); err != nil || n != 1 {
			t.Fatalf("housekeeping deleted %d (err %v), want the spent mark", n, err)
		}
	})
}
