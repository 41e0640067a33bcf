package webhook_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	svix "github.com/svix/svix-webhooks/go"

	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/store"
	"github.com/portalhq/portal/internal/testutil/pgtest"
	"github.com/portalhq/portal/internal/webhook"
)

// A portal restarted between two attempts picks up where the last one
// left off: the retry is sent by the new worker at its scheduled time, once.
func TestRestartBetweenAttemptsLosesNothing(t *testing.T) {
	engines(t, func(t *testing.T, h *harness) {
		h.rcv.set(statusAnswer(http.StatusServiceUnavailable))
		ep := h.endpoint()
		ev := h.emit("user.created", "user_1", nil)
		h.run(h.worker()) // the first portal tries once, then stops

		h.rcv.set(statusAnswer(http.StatusOK))
		w := h.worker() // the restarted portal
		h.clock.Advance(4 * time.Second)
		if h.run(w) != 0 {
			t.Error("retried before the schedule said")
		}
		h.clock.Advance(time.Second)
		h.run(w)
		h.clock.Advance(24 * time.Hour)
		h.run(w)
		if got := h.rcv.acked(); got[ev.ID] != 1 || len(h.rcv.requests()) != 2 {
			t.Errorf("acknowledged %v in %d requests, want the event once after one failure", got, len(h.rcv.requests()))
		}
		if d := h.delivery(ep.ID, ev.ID); d.Status != webhook.Succeeded || d.Attempts != 2 {
			t.Errorf("delivery = %+v", d)
		}
	})
}

// A portal stopped in the middle of an attempt does not know whether the
// receiver took it: the next worker sends it again once the lease lapses
// (at least once), and nothing else is sent twice.
func TestStopMidAttemptResendsThatDeliveryOnly(t *testing.T) {
	engines(t, func(t *testing.T, h *harness) {
		inFlight := make(chan struct{})
		stopped := make(chan struct{})
		var (
			mu    sync.Mutex
			stuck string
		)
		h.rcv.set(func(_ http.ResponseWriter, r *http.Request, _ []byte) int {
			mu.Lock()
			first := stuck == ""
			if first {
				stuck = r.Header.Get("svix-id")
			}
			mu.Unlock()
			if first {
				close(inFlight)
				<-stopped // the portal goes away before the answer
			}
			return http.StatusOK
		})
		h.endpoint()
		first := h.emit("user.created", "user_1", nil)
		second := h.emit("user.created", "user_2", nil)

		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, _ = h.worker().RunOnce(ctx)
		}()
		<-inFlight
		cancel()
		<-done
		close(stopped)

		w := h.worker()
		h.run(w) // the other delivery was not leased for long, or was sent
		mu.Lock()
		stuckID := stuck
		mu.Unlock()
		if got := h.rcv.acked(); got[stuckID] > 1 {
			t.Fatalf("the in-flight delivery was sent again before its lease lapsed: %v", got)
		}
		h.clock.Advance(3 * time.Minute)
		h.run(w)
		h.clock.Advance(time.Hour)
		h.run(w)
		acked := h.rcv.acked()
		for _, id := range []string{first.ID, second.ID} {
			want := 1
			if id == stuckID {
				want = 2 // once to the stopped portal, once after the restart
			}
			if acked[id] != want {
				t.Errorf("%s acknowledged %d times, want %d", id, acked[id], want)
			}
		}
	})
}

// A replay sends a delivery again with the same webhook-id, whatever its
// state.
func TestReplay(t *testing.T) {
	engines(t, func(t *testing.T, h *harness) {
		ep := h.endpoint()
		ev := h.emit("user.created", "user_1", nil)
		w := h.worker()
		h.run(w)
		if _, err := h.svc.Replay(t.Context(), ep.ID, "evt_missing"); err == nil {
			t.Error("replay of an unknown delivery succeeded")
		}
		d, err := h.svc.Replay(t.Context(), ep.ID, ev.ID)
		if err != nil || d.Status != webhook.Pending {
			t.Fatalf("Replay = %+v, %v", d, err)
		}
		h.run(w)
		reqs := h.rcv.requests()
		if len(reqs) != 2 || reqs[0].id() != ev.ID || reqs[1].id() != ev.ID || string(reqs[0].Body) != string(reqs[1].Body) {
			t.Fatalf("receiver got %d requests; want the same message twice", len(reqs))
		}
		if d := h.delivery(ep.ID, ev.ID); d.Status != webhook.Succeeded || d.Attempts != 2 {
			t.Errorf("delivery after replay = %+v", d)
		}
	})
}

// REQ-WH-04: after a rotation both the new and the old secret verify, for
// a day; then only the new one.
func TestRotationSignsWithBothSecrets_REQ_WH_04(t *testing.T) {
	engines(t, func(t *testing.T, h *harness) {
		ep := h.endpoint()
		old := ep.Secret
		rotated, err := h.svc.RotateSecret(t.Context(), ep.ID)
		if err != nil || rotated.Secret == old {
			t.Fatalf("RotateSecret = %+v, %v", rotated, err)
		}
		w := h.worker()
		h.emit("user.created", "user_1", nil)
		h.run(w)
		h.clock.Advance(webhook.RotationOverlap)
		h.emit("user.created", "user_2", nil)
		h.run(w)
		reqs := h.rcv.requests()
		if len(reqs) != 2 {
			t.Fatalf("got %d requests", len(reqs))
		}
		oldWH, _ := svix.NewWebhook(old)
		newWH, _ := svix.NewWebhook(rotated.Secret)
		if err := oldWH.VerifyIgnoringTimestamp(reqs[0].Body, reqs[0].Header); err != nil {
			t.Errorf("during the overlap the old secret does not verify: %v", err)
		}
		if err := newWH.VerifyIgnoringTimestamp(reqs[0].Body, reqs[0].Header); err != nil {
			t.Errorf("during the overlap the new secret does not verify: %v", err)
		}
		if err := oldWH.VerifyIgnoringTimestamp(reqs[1].Body, reqs[1].Header); err == nil {
			t.Error("after the overlap the old secret still verifies")
		}
		if err := newWH.VerifyIgnoringTimestamp(reqs[1].Body, reqs[1].Header); err != nil {
			t.Errorf("after the overlap the new secret does not verify: %v", err)
		}
	})
}

// On PostgreSQL a transaction that took a lower sequence number can commit
// after one that took a higher number. A reader moving a cursor over seq
// would pass the late event and never see it; deliveries are queued in the
// event's own transaction, so the late event is delivered all the same.
func TestLateCommittingEventIsDeliveredOnPostgres(t *testing.T) {
	h := newHarness(t, pgtest.URL(t))
	h.endpoint()
	w := h.worker()
	ctx := t.Context()

	early, _ := events.New("user.created", "user_early", map[string]any{"id": "user_early"}, h.clock.Now())
	late, _ := events.New("user.created", "user_late", map[string]any{"id": "user_late"}, h.clock.Now())
	inserted, commit, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- h.st.InTx(ctx, func(q *store.Q) error {
			if err := q.InsertEvent(ctx, early); err != nil {
				return err
			}
			close(inserted)
			<-commit
			return nil
		})
	}()
	<-inserted
	if err := h.st.Q.InsertEvent(ctx, late); err != nil {
		t.Fatal(err)
	}
	// The hazard is real: the committed event has the higher seq, so a
	// cursor would now stand past the one still in flight.
	seen, err := h.st.Q.EventsAfter(ctx, 0, 10)
	if err != nil || len(seen) != 1 || seen[0].ID != late.ID {
		t.Fatalf("EventsAfter(0) = %v, %v; want only the later event", seen, err)
	}
	h.run(w)
	close(commit)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	all, _ := h.st.Q.EventsAfter(ctx, 0, 10)
	if len(all) != 2 || all[0].ID != early.ID || all[0].Seq >= seen[0].Seq {
		t.Fatalf("events = %+v; want the early event first with the lower seq", all)
	}
	h.run(w)
	acked := h.rcv.acked()
	if acked[early.ID] != 1 || acked[late.ID] != 1 {
		t.Errorf("acknowledged %v; want both events once", acked)
	}
}

// The endpoint of PORTAL_WEBHOOK_URL is created once, updated on restart
// with another URL or secret, and disabled when the URL is gone.
func TestConfiguredEndpoint(t *testing.T) {
	engines(t, func(t *testing.T, h *harness) {
		ctx := t.Context()
		secret := webhook.NewSecret()
		for range 2 {
			if err := h.svc.Configure(ctx, h.rcv.URL(), secret); err != nil {
				t.Fatal(err)
			}
		}
		list, _, _ := h.svc.List(ctx, 0, 0)
		if len(list) != 1 || list[0].URL != h.rcv.URL() || list[0].Secret != secret || list[0].ID != webhook.ConfiguredID {
			t.Fatalf("endpoints = %+v", list)
		}
		if err := h.svc.Configure(ctx, h.rcv.URL(), "whsec_short"); err == nil {
			t.Error("a short secret was accepted")
		}
		if err := h.svc.Configure(ctx, h.rcv.URL(), ""); err != nil {
			t.Fatal(err)
		}
		if got, _ := h.svc.Get(ctx, webhook.ConfiguredID); got.Secret != secret {
			t.Error("an empty PORTAL_WEBHOOK_SECRET replaced the stored secret")
		}
		if err := h.svc.Configure(ctx, "", ""); err != nil {
			t.Fatal(err)
		}
		if got, _ := h.svc.Get(ctx, webhook.ConfiguredID); !got.Disabled || got.DisabledReason == "" {
			t.Errorf("after PORTAL_WEBHOOK_URL was unset: %+v", got)
		}
		if err := h.svc.Configure(ctx, h.rcv.URL(), ""); err != nil {
			t.Fatal(err)
		}
		if got, _ := h.svc.Get(ctx, webhook.ConfiguredID); got.Disabled {
			t.Error("setting PORTAL_WEBHOOK_URL again left the endpoint disabled")
		}
		// A receiver on this machine, refused without
		// PORTAL_WEBHOOK_ALLOW_PRIVATE: the refusal names that setting.
		strict := *h.svc
		strict.AllowPrivate = false
		// Once, in words a person reads: before, "PORTAL_WEBHOOK_URL:
		// invalid: … start the portal with PORTAL_WEBHOOK_ALLOW_PRIVATE=true.
		// (for a receiver …, set PORTAL_WEBHOOK_ALLOW_PRIVATE=true)".
		if err := strict.Configure(ctx, h.rcv.URL(), ""); err == nil || !strings.HasPrefix(err.Error(), "PORTAL_WEBHOOK_URL: ") ||
			strings.Count(err.Error(), "PORTAL_WEBHOOK_ALLOW_PRIVATE=true") != 1 || strings.Contains(err.Error(), "invalid:") {
			t.Errorf("a loopback PORTAL_WEBHOOK_URL without PORTAL_WEBHOOK_ALLOW_PRIVATE: %v, want the setting that "+
				"allows it named once", err)
		}
		if err := strict.Configure(ctx, "ftp://example.com/hook", ""); err == nil || strings.Contains(err.Error(), "ALLOW_PRIVATE") {
			t.Errorf("a URL refused for its scheme points at PORTAL_WEBHOOK_ALLOW_PRIVATE: %v", err)
		}
	})
}
