package store_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/store"
)

func testVerifications(t *testing.T, open func(t *testing.T) *store.Store) {
	// A double-clicked "Resend": of concurrent inserts for one flow and
	// strategy within the cooldown exactly one is stored; another strategy,
	// another flow, or a code older than since do not stand in the way.
	t.Run("InsertVerificationOnce: one of concurrent inserts", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		since := base.Add(-flow.ResendAfter)
		var stored atomic.Int32
		var wg sync.WaitGroup
		errs := make(chan error, 20)
		for range 20 {
			wg.Go(func() {
				ok, err := s.Q.InsertVerificationOnce(ctx, newVerification("sia_1", base), since)
				if err != nil {
					errs <- err
				} else if ok {
					stored.Add(1)
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if n := stored.Load(); n != 1 {
			t.Fatalf("%d of 20 concurrent inserts stored, want 1", n)
		}
		phone := newVerification("sia_1", base)
		phone.Strategy = flow.PhoneCode
		for what, v := range map[string]flow.Verification{"another strategy": phone, "another flow": newVerification("sia_2", base)} {
			if ok, err := s.Q.InsertVerificationOnce(ctx, v, since); err != nil || !ok {
				t.Errorf("%s: stored %v, err %v; want stored", what, ok, err)
			}
		}
		later := base.Add(flow.ResendAfter + time.Second)
		if ok, err := s.Q.InsertVerificationOnce(ctx, newVerification("sia_1", later), later.Add(-flow.ResendAfter)); err != nil || !ok {
			t.Errorf("past the cooldown: stored %v, err %v; want stored", ok, err)
		}
	})
	t.Run("latest by created_at", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		if v, err := s.Q.LatestVerification(ctx, "sia_none", flow.EmailCode); v != nil || err != nil {
			t.Errorf("LatestVerification with none = %+v, %v; want nil, nil", v, err)
		}
		newer, older := newVerification("sia_1", at(time.Second)), newVerification("sia_1", base)
		newer.Attempts, newer.ConsumedAt = 2, ptr(at(2*time.Second))
		otherStrategy := newVerification("sia_1", at(time.Minute))
		otherStrategy.Strategy = "phone_code"
		otherFlow := newVerification("sia_2", at(time.Minute))
		// Inserted newest first: the order must come from created_at.
		for _, v := range []flow.Verification{newer, older, otherStrategy, otherFlow} {
			if err := s.Q.InsertVerification(ctx, v); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.Q.LatestVerification(ctx, "sia_1", flow.EmailCode)
		if err != nil || got == nil {
			t.Fatalf("LatestVerification = %+v, %v", got, err)
		}
		if got.ID != newer.ID || got.FlowID != newer.FlowID || got.Strategy != newer.Strategy ||
			got.Target != newer.Target || got.SecretHash != newer.SecretHash || got.Attempts != newer.Attempts {
			t.Errorf("LatestVerification = %+v\nwant %+v", got, newer)
		}
		sameTime(t, "CreatedAt", got.CreatedAt, newer.CreatedAt)
		sameTime(t, "ExpireAt", got.ExpireAt, newer.ExpireAt)
		sameTimePtr(t, "ConsumedAt", got.ConsumedAt, newer.ConsumedAt)
	})

	t.Run("REQ-OTP-04 CountVerificationAttempt stops at max", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		v := storeVerification(t, s)
		for n := 1; n <= flow.MaxAttempts+1; n++ {
			ok, err := s.Q.CountVerificationAttempt(ctx, v.ID, flow.MaxAttempts)
			if err != nil {
				t.Fatal(err)
			}
			if want := n <= flow.MaxAttempts; ok != want {
				t.Errorf("attempt %d counted = %v, want %v", n, ok, want)
			}
		}
		if got := latest(t, s, v); got.Attempts != flow.MaxAttempts {
			t.Errorf("Attempts = %d, want %d", got.Attempts, flow.MaxAttempts)
		}
	})

	// REQ-OTP-04, REQ-IN-10: guesses fired in parallel get no more tries
	// than guesses fired one by one.
	t.Run("REQ-OTP-04 REQ-IN-10 CountVerificationAttempt stops at max under 20 racing goroutines", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		v := storeVerification(t, s)
		rs := race(t, s, 20, func(int) result {
			ok, err := s.Q.CountVerificationAttempt(ctx, v.ID, flow.MaxAttempts)
			return result{ok, err}
		})
		if n := countOK(t, rs); n != flow.MaxAttempts {
			t.Errorf("%d attempts counted, want %d", n, flow.MaxAttempts)
		}
		if got := latest(t, s, v); got.Attempts != flow.MaxAttempts {
			t.Errorf("Attempts = %d, want %d", got.Attempts, flow.MaxAttempts)
		}
	})

	t.Run("REQ-OTP-03 ConsumeVerification once; a used code takes no attempts", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		v := storeVerification(t, s)
		if ok, err := s.Q.ConsumeVerification(ctx, v.ID, at(time.Minute)); !ok || err != nil {
			t.Fatalf("first ConsumeVerification = %v, %v", ok, err)
		}
		if ok, err := s.Q.ConsumeVerification(ctx, v.ID, at(2*time.Minute)); ok || err != nil {
			t.Errorf("second ConsumeVerification = %v, %v; want false, nil", ok, err)
		}
		sameTimePtr(t, "ConsumedAt", latest(t, s, v).ConsumedAt, ptr(at(time.Minute)))
		if ok, err := s.Q.CountVerificationAttempt(ctx, v.ID, flow.MaxAttempts); ok || err != nil {
			t.Errorf("CountVerificationAttempt on a used code = %v, %v; want false, nil", ok, err)
		}
		if ok, err := s.Q.ConsumeVerification(ctx, "ver_missing", base); ok || err != nil {
			t.Errorf("ConsumeVerification of an unknown code = %v, %v; want false, nil", ok, err)
		}
	})

	// REQ-OTP-03, REQ-IN-10: one code, one use, even when the same code is
	// submitted many times at once.
	t.Run("REQ-OTP-03 REQ-IN-10 ConsumeVerification once under 20 racing goroutines", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		v := storeVerification(t, s)
		rs := race(t, s, 20, func(i int) result {
			ok, err := s.Q.ConsumeVerification(ctx, v.ID, at(time.Duration(i)*time.Second))
			return result{ok, err}
		})
		if n := countOK(t, rs); n != 1 {
			t.Errorf("code consumed %d times, want 1", n)
		}
	})
}

func newVerification(flowID string, created time.Time) flow.Verification {
	return flow.Verification{ID: id.New(id.Verification), FlowID: flowID, Strategy: flow.EmailCode,
		Target: "ada@example.com", SecretHash: id.Secret(32), CreatedAt: created, ExpireAt: created.Add(flow.CodeTTL)}
}

func storeVerification(t *testing.T, s *store.Store) flow.Verification {
	t.Helper()
	v := newVerification(id.New(id.SignIn), base)
	if err := s.Q.InsertVerification(t.Context(), v); err != nil {
		t.Fatal(err)
	}
	return v
}

func latest(t *testing.T, s *store.Store, v flow.Verification) *flow.Verification {
	t.Helper()
	got, err := s.Q.LatestVerification(t.Context(), v.FlowID, v.Strategy)
	if err != nil || got == nil || got.ID != v.ID {
		t.Fatalf("LatestVerification = %+v, %v; want %s", got, err, v.ID)
	}
	return got
}
