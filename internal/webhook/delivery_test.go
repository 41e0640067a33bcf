package webhook_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	svix "github.com/svix/svix-webhooks/go"

	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/webhook"
)

// only keeps the headers whose names start with prefix, so each library is
// shown to verify with its own header names alone.
func only(h http.Header, prefix string) http.Header {
	out := http.Header{}
	for k, v := range h {
		if strings.HasPrefix(strings.ToLower(k), prefix) {
			out[k] = v
		}
	}
	return out
}

// REQ-WH-01, REQ-WH-02: a delivery verifies with Svix's own library and
// with the Standard Webhooks library, each reading its own headers; the
// body is Clerk's envelope around the object as stored.
func TestDeliveryVerifiesWithSvixAndStandardWebhooks_REQ_WH_01_REQ_WH_02(t *testing.T) {
	engines(t, func(t *testing.T, h *harness) {
		ep := h.endpoint()
		raw, ok := strings.CutPrefix(ep.Secret, "whsec_")
		key, err := base64.StdEncoding.DecodeString(raw)
		if !ok || err != nil || len(key) < 24 || len(key) > 64 {
			t.Fatalf("secret %q is not whsec_ and the base64 of 24-64 bytes", ep.Secret)
		}
		ev := h.emit("user.created", "user_1", map[string]any{"id": "user_1", "object": "user", "first_name": "Ada"})
		if n := h.run(h.worker()); n != 1 {
			t.Fatalf("attempts = %d, want 1", n)
		}
		reqs := h.rcv.requests()
		if len(reqs) != 1 {
			t.Fatalf("receiver got %d requests, want 1", len(reqs))
		}
		r := reqs[0]
		sv, err := svix.NewWebhook(ep.Secret)
		if err != nil {
			t.Fatal(err)
		}
		if err := sv.Verify(r.Body, only(r.Header, "svix-")); err != nil {
			t.Errorf("svix Verify: %v", err)
		}
		sw, err := standardwebhooks.NewWebhook(ep.Secret)
		if err != nil {
			t.Fatal(err)
		}
		if err := sw.Verify(r.Body, only(r.Header, "webhook-")); err != nil {
			t.Errorf("standard webhooks Verify: %v", err)
		}
		// A wrong secret must not verify: the check above is not vacuous.
		other, _ := svix.NewWebhook(webhook.NewSecret())
		if err := other.Verify(r.Body, r.Header); err == nil {
			t.Error("another secret verified the delivery")
		}
		if got := r.Header.Get("Content-Type"); got != "application/json" {
			t.Errorf("Content-Type = %q", got)
		}
		if r.id() != ev.ID || r.Header.Get("webhook-id") != ev.ID || strings.Contains(r.id(), ".") {
			t.Errorf("svix-id %q, webhook-id %q; want the event ID %q (no dots)", r.id(), r.Header.Get("webhook-id"), ev.ID)
		}
		var env map[string]json.RawMessage
		if err := json.Unmarshal(r.Body, &env); err != nil {
			t.Fatal(err)
		}
		// No request made this event: Clerk's event_attributes are there
		// all the same (its SDK's types say they always are), empty.
		want := map[string]string{"object": `"event"`, "type": `"user.created"`, "instance_id": `"ins_test"`,
			"timestamp":        strconv.FormatInt(ev.CreatedAt.UnixMilli(), 10),
			"event_attributes": `{"http_request":{"client_ip":"","user_agent":""}}`}
		for k, v := range want {
			if string(env[k]) != v {
				t.Errorf("envelope %s = %s, want %s", k, env[k], v)
			}
		}
		var data map[string]any
		if err := json.Unmarshal(env["data"], &data); err != nil || data["id"] != "user_1" || data["first_name"] != "Ada" ||
			data["object"] != "user" || len(data) != 3 {
			t.Errorf("envelope data = %s, want the stored object", env["data"])
		}
		if len(env) != len(want)+1 {
			t.Errorf("envelope has fields %v", keys(env))
		}
		if d := h.delivery(ep.ID, ev.ID); d.Status != webhook.Succeeded || d.Attempts != 1 || d.LastStatusCode != 200 {
			t.Errorf("delivery = %+v, want succeeded after one attempt", d)
		}
	})
}

func keys(m map[string]json.RawMessage) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// REQ-WH-03, REQ-WH-05: failures are retried on Svix's schedule, never
// early, each attempt with the same webhook-id and a fresh timestamp; after
// the last one the delivery is failed and nothing more is sent.
func TestRetrySchedule_REQ_WH_03_REQ_WH_05(t *testing.T) {
	engines(t, func(t *testing.T, h *harness) {
		h.rcv.set(statusAnswer(http.StatusInternalServerError))
		ep := h.endpoint()
		ev := h.emit("user.updated", "user_1", map[string]any{"id": "user_1"})
		w := h.worker()
		start := h.clock.Now()
		var sentAt []time.Time
		for i, wait := range webhook.Schedule() {
			if wait > 0 {
				h.clock.Advance(wait - time.Second)
				if n := h.run(w); n != 0 {
					t.Fatalf("attempt %d sent %v early", i+1, time.Second)
				}
				h.clock.Advance(time.Second)
			}
			if n := h.run(w); n != 1 {
				t.Fatalf("attempt %d: %d sent, want 1", i+1, n)
			}
			sentAt = append(sentAt, h.clock.Now())
		}
		h.clock.Advance(48 * time.Hour)
		if n := h.run(w); n != 0 {
			t.Errorf("%d attempts after the schedule was spent", n)
		}
		d := h.delivery(ep.ID, ev.ID)
		if d.Status != webhook.Failed || d.Attempts != 8 || d.LastStatusCode != 500 || d.NextAttemptAt != nil {
			t.Errorf("delivery = %+v, want failed after 8 attempts", d)
		}
		reqs := h.rcv.requests()
		if len(reqs) != 8 {
			t.Fatalf("receiver got %d requests, want 8", len(reqs))
		}
		sv, _ := svix.NewWebhook(ep.Secret)
		for i, r := range reqs {
			if r.id() != ev.ID {
				t.Errorf("attempt %d: svix-id %q, want %q", i+1, r.id(), ev.ID)
			}
			if ts := r.Header.Get("svix-timestamp"); ts != strconv.FormatInt(sentAt[i].Unix(), 10) {
				t.Errorf("attempt %d: svix-timestamp %s, want the attempt's time %d", i+1, ts, sentAt[i].Unix())
			}
			if err := sv.VerifyIgnoringTimestamp(r.Body, r.Header); err != nil {
				t.Errorf("attempt %d does not verify: %v", i+1, err)
			}
			if string(r.Body) != string(reqs[0].Body) {
				t.Errorf("attempt %d has another body", i+1)
			}
		}
		if total := sentAt[len(sentAt)-1].Sub(start); total != 27*time.Hour+35*time.Minute+5*time.Second {
			t.Errorf("schedule spans %v", total)
		}
		atts, err := h.svc.Attempts(t.Context(), ep.ID, ev.ID)
		if err != nil || len(atts) != 8 || atts[0].StatusCode != 500 || !strings.Contains(atts[0].Error, "500") {
			t.Errorf("attempts = %+v, %v", atts, err)
		}
	})
}

// A receiver that is down for an hour gets, once it is back, every event
// of that hour, each webhook-id acknowledged exactly once.
func TestReceiverDownForAnHourGetsEveryEventOnce(t *testing.T) {
	engines(t, func(t *testing.T, h *harness) {
		back := h.clock.Now().Add(time.Hour)
		h.rcv.set(func(http.ResponseWriter, *http.Request, []byte) int {
			if h.clock.Now().Before(back) {
				return http.StatusServiceUnavailable
			}
			return http.StatusNoContent
		})
		h.endpoint()
		w := h.worker()
		var ids []string
		for i := range 6 { // one event every ten minutes through the outage
			ids = append(ids, h.emit("user.updated", "user_"+strconv.Itoa(i), map[string]any{"n": i}).ID)
			h.run(w)
			h.clock.Advance(10 * time.Minute)
		}
		for h.clock.Now().Before(back.Add(12 * time.Hour)) {
			h.clock.Advance(time.Minute)
			h.run(w)
		}
		acked := h.rcv.acked()
		for _, id := range ids {
			if acked[id] != 1 {
				t.Errorf("%s acknowledged %d times, want once", id, acked[id])
			}
		}
		if len(acked) != len(ids) {
			t.Errorf("acknowledged %d IDs, want %d", len(acked), len(ids))
		}
		for _, r := range h.rcv.requests() {
			if r.Status == http.StatusNoContent && h.clock.Now().Before(back) {
				t.Error("acknowledged while down")
			}
		}
	})
}

// Events about one object reach an endpoint in the order they happened: a
// later event waits while an earlier one is being retried. Other objects
// are not held up.
func TestOrderPerObject(t *testing.T) {
	engines(t, func(t *testing.T, h *harness) {
		failFirst := 2
		var firstID string
		h.rcv.set(func(_ http.ResponseWriter, r *http.Request, _ []byte) int {
			if r.Header.Get("svix-id") == firstID && failFirst > 0 {
				failFirst--
				return http.StatusInternalServerError // not a throttle: other objects go on
			}
			return http.StatusOK
		})
		h.endpoint()
		w := h.worker()
		firstID = h.emit("user.updated", "user_a", map[string]any{"v": 1}).ID
		second := h.emit("user.updated", "user_a", map[string]any{"v": 2}).ID
		other := h.emit("user.updated", "user_b", map[string]any{"v": 1}).ID
		h.run(w)
		if got := h.rcv.acked(); got[other] != 1 || got[second] != 0 {
			t.Fatalf("after the first pass: %v; want user_b delivered and user_a's second event held", got)
		}
		for range 3 {
			h.clock.Advance(5 * time.Minute)
			h.run(w)
		}
		var order []string
		for _, r := range h.rcv.requests() {
			if r.Status == http.StatusOK && r.id() != other {
				order = append(order, r.id())
			}
		}
		if len(order) != 2 || order[0] != firstID || order[1] != second {
			t.Errorf("user_a's events acknowledged in order %v, want [%s %s]", order, firstID, second)
		}
	})
}

// REQ-WH-05: Retry-After longer than the schedule's wait is honoured, in
// seconds or as a date.
func TestRetryAfterIsHonoured_REQ_WH_05(t *testing.T) {
	engines(t, func(t *testing.T, h *harness) {
		calls := 0
		h.rcv.set(func(w http.ResponseWriter, _ *http.Request, _ []byte) int {
			calls++
			switch calls {
			case 1:
				w.Header().Set("Retry-After", "600")
				return http.StatusTooManyRequests
			case 2:
				w.Header().Set("Retry-After", h.clock.Now().Add(time.Hour).UTC().Format(http.TimeFormat))
				return http.StatusServiceUnavailable
			}
			return http.StatusOK
		})
		ep := h.endpoint()
		ev := h.emit("user.created", "user_1", nil)
		w := h.worker()
		h.run(w)
		if d := h.delivery(ep.ID, ev.ID); !d.NextAttemptAt.Equal(h.clock.Now().Add(600 * time.Second)) {
			t.Errorf("after Retry-After: 600 the next attempt is at %v, want +10 min", d.NextAttemptAt)
		}
		h.clock.Advance(599 * time.Second)
		if h.run(w) != 0 {
			t.Error("retried before Retry-After")
		}
		h.clock.Advance(time.Second)
		h.run(w)
		if d := h.delivery(ep.ID, ev.ID); !d.NextAttemptAt.Equal(h.clock.Now().Add(time.Hour)) {
			t.Errorf("after a Retry-After date an hour on, the next attempt is at %v", d.NextAttemptAt)
		}
		h.clock.Advance(time.Hour)
		h.run(w)
		if d := h.delivery(ep.ID, ev.ID); d.Status != webhook.Succeeded || d.Attempts != 3 {
			t.Errorf("delivery = %+v", d)
		}
	})
}

// REQ-WH-05: a 3xx is a failure and is not followed.
func TestRedirectIsAFailureAndNotFollowed_REQ_WH_05(t *testing.T) {
	engines(t, func(t *testing.T, h *harness) {
		target := newReceiver(t)
		h.rcv.set(func(w http.ResponseWriter, _ *http.Request, _ []byte) int {
			w.Header().Set("Location", target.URL())
			return http.StatusTemporaryRedirect
		})
		ep := h.endpoint()
		ev := h.emit("user.created", "user_1", nil)
		h.run(h.worker())
		if n := len(target.requests()); n != 0 {
			t.Errorf("the redirect target got %d requests", n)
		}
		d := h.delivery(ep.ID, ev.ID)
		if d.Status != webhook.Pending || d.LastStatusCode != http.StatusTemporaryRedirect || d.LastError == "" {
			t.Errorf("delivery = %+v, want a failed attempt with 307, to be retried", d)
		}
	})
}

// REQ-WH-05: 410 Gone disables the endpoint at once, and says so; its
// deliveries wait, and resume when it is enabled again.
func TestGoneDisablesTheEndpoint_REQ_WH_05(t *testing.T) {
	engines(t, func(t *testing.T, h *harness) {
		h.rcv.set(statusAnswer(http.StatusGone))
		ep := h.endpoint()
		ev := h.emit("user.created", "user_1", nil)
		w := h.worker()
		h.run(w)
		got, _ := h.svc.Get(t.Context(), ep.ID)
		if !got.Disabled || !strings.Contains(got.DisabledReason, "410") {
			t.Fatalf("endpoint after 410 = %+v, want disabled with the reason", got)
		}
		h.clock.Advance(time.Hour)
		if h.run(w) != 0 {
			t.Error("a disabled endpoint was sent to")
		}
		h.emit("user.updated", "user_1", nil) // not queued for a disabled endpoint
		h.rcv.set(statusAnswer(http.StatusOK))
		on := false
		if _, err := h.svc.Update(t.Context(), ep.ID, webhook.Input{Disabled: &on}); err != nil {
			t.Fatal(err)
		}
		h.run(w)
		if d := h.delivery(ep.ID, ev.ID); d.Status != webhook.Succeeded {
			t.Errorf("after enabling, delivery = %+v", d)
		}
		if n := len(h.rcv.requests()); n != 2 {
			t.Errorf("receiver got %d requests, want 2 (the event of the disabled time is not queued)", n)
		}
	})
}

// REQ-WH-05: an endpoint every attempt to which fails for five days is
// disabled, and says since when.
func TestFailingForFiveDaysDisables_REQ_WH_05(t *testing.T) {
	engines(t, func(t *testing.T, h *harness) {
		h.rcv.set(statusAnswer(http.StatusInternalServerError))
		ep := h.endpoint()
		w := h.worker()
		start := h.clock.Now()
		for n := 0; h.clock.Now().Sub(start) < webhook.DisableAfter; n++ {
			// Other objects each time, so no event waits behind another's retries.
			h.emit("user.updated", "user_"+strconv.Itoa(n), nil)
			for range 12 {
				h.run(w)
				h.clock.Advance(30 * time.Minute)
			}
			if got, _ := h.svc.Get(t.Context(), ep.ID); got.Disabled {
				t.Fatalf("disabled after %v of failures", h.clock.Now().Sub(start))
			}
		}
		h.emit("user.updated", "user_last", nil)
		h.run(w)
		got, _ := h.svc.Get(t.Context(), ep.ID)
		if !got.Disabled || !strings.Contains(got.DisabledReason, "5 days") {
			t.Errorf("endpoint = %+v, want disabled after 5 days of failures", got)
		}
	})
}

// REQ-WH-05: an answer that does not come within the timeout is a failure.
func TestSlowAnswerIsAFailure_REQ_WH_05(t *testing.T) {
	engines(t, func(t *testing.T, h *harness) {
		release := make(chan struct{})
		t.Cleanup(func() { close(release) })
		h.rcv.set(func(_ http.ResponseWriter, r *http.Request, _ []byte) int {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return http.StatusOK
		})
		ep := h.endpoint()
		ev := h.emit("user.created", "user_1", nil)
		w := h.worker()
		w.Timeout = 50 * time.Millisecond
		h.run(w)
		if d := h.delivery(ep.ID, ev.ID); d.Status != webhook.Pending || d.LastStatusCode != 0 || d.LastError == "" {
			t.Errorf("delivery = %+v, want a failed attempt without status", d)
		}
	})
}

// Events of types an endpoint did not subscribe to are not queued for it.
func TestEventTypeFilter(t *testing.T) {
	engines(t, func(t *testing.T, h *harness) {
		users := h.endpoint("user.created", "user.deleted")
		all := h.endpointAt(h.rcv.URL() + "?all")
		a := h.emit("user.created", "user_1", nil)
		b := h.emit("session.created", "sess_1", nil)
		h.run(h.worker())
		for _, c := range []struct {
			ep, ev string
			want   bool
		}{{users.ID, a.ID, true}, {users.ID, b.ID, false}, {all.ID, a.ID, true}, {all.ID, b.ID, true}} {
			_, err := h.st.Q.WebhookDelivery(t.Context(), c.ep, c.ev)
			if (err == nil) != c.want {
				t.Errorf("delivery of %s to %s: err %v, want queued=%v", c.ev, c.ep, err, c.want)
			}
		}
		// The list counts each endpoint's own deliveries, beyond its page.
		for ep, want := range map[string]int{users.ID: 1, all.ID: 2} {
			list, total, err := h.svc.Deliveries(t.Context(), ep, 1, 0)
			if err != nil || len(list) != 1 || total != want {
				t.Errorf("Deliveries(%s, 1, 0) = %d, total %d, %v; want 1 of %d", ep, len(list), total, err, want)
			}
		}
		// offset reaches past the newest page.
		if list, _, err := h.svc.Deliveries(t.Context(), all.ID, 1, 1); err != nil || len(list) != 1 || list[0].EventID != a.ID {
			t.Errorf("Deliveries(all, 1, 1) = %+v, %v; want the older delivery, of %s", list, err, a.ID)
		}
		if _, err := h.svc.Create(t.Context(), webhook.Input{URL: ptr(h.rcv.URL()), EventTypes: &[]string{"user.creatd"}}); err == nil {
			t.Error("an unknown event type was accepted")
		}
	})
}

func ptr[T any](v T) *T { return &v }

// REQ-WH-05: each retry waits the schedule's wait plus jitter of up to a
// tenth of it, so that deliveries that failed together come back spread.
func TestRetriesAreJittered_REQ_WH_05(t *testing.T) {
	engines(t, func(t *testing.T, h *harness) {
		h.rcv.set(statusAnswer(http.StatusInternalServerError))
		ep := h.endpoint()
		evs := []events.Event{h.emit("user.updated", "user_1", nil), h.emit("user.updated", "user_2", nil)}
		w := h.jitteredWorker()
		if n := h.run(w); n != 2 {
			t.Fatalf("first attempts: %d sent, want 2", n)
		}
		sched := webhook.Schedule()
		jittered := false
		for try := 1; try < len(sched); try++ {
			var nexts []time.Time
			for _, ev := range evs {
				d := h.delivery(ep.ID, ev.ID)
				wait := d.NextAttemptAt.Sub(*d.LastAttemptAt)
				if wait < sched[try] || wait > sched[try]+sched[try]/10 {
					t.Fatalf("retry %d of %s waits %v, want %v plus at most a tenth", try, ev.ObjectID, wait, sched[try])
				}
				jittered = jittered || wait != sched[try]
				nexts = append(nexts, *d.NextAttemptAt)
			}
			if try >= 2 && nexts[0].Equal(nexts[1]) {
				t.Errorf("retry %d: both deliveries come back at the same moment, %v", try, nexts[0])
			}
			h.clock.Advance(sched[try] + sched[try]/10)
			if n := h.run(w); n != 2 {
				t.Fatalf("retry %d: %d sent, want 2", try, n)
			}
		}
		if !jittered {
			t.Error("no retry had any jitter")
		}
	})
}

func TestJitterIsUpToATenth(t *testing.T) {
	const wait = 10 * time.Hour
	lo, hi := wait, time.Duration(0)
	for range 1000 {
		j := webhook.Jitter(wait)
		if j < 0 || j >= wait/10 {
			t.Fatalf("Jitter(%v) = %v, want [0, %v)", wait, j, wait/10)
		}
		lo, hi = min(lo, j), max(hi, j)
	}
	if lo > wait/100 || hi < wait/10-wait/100 {
		t.Errorf("1000 jitters of %v span only [%v, %v]", wait, lo, hi)
	}
	if webhook.Jitter(0) != 0 {
		t.Error("an immediate attempt got jitter")
	}
}

// REQ-WH-05: an endpoint that answers 429, 502 or 504 is spared for what it
// asked (Retry-After), else for a few seconds: nothing more is sent to it
// that round, nor anything queued before or after the answer until then;
// a 503 is an ordinary failure.
func TestThrottlingEndpointIsSpared_REQ_WH_05(t *testing.T) {
	for _, c := range []struct {
		status     int
		retryAfter string
		spared     bool
		wait       time.Duration
	}{
		{http.StatusTooManyRequests, "", true, 5 * time.Second},
		{http.StatusTooManyRequests, "120", true, 2 * time.Minute},
		{http.StatusBadGateway, "", true, 5 * time.Second},
		{http.StatusGatewayTimeout, "", true, 5 * time.Second},
		{http.StatusServiceUnavailable, "", false, 5 * time.Second},
	} {
		t.Run(fmt.Sprintf("%d %q", c.status, c.retryAfter), func(t *testing.T) {
			engines(t, func(t *testing.T, h *harness) {
				refuse := true
				h.rcv.set(func(w http.ResponseWriter, _ *http.Request, _ []byte) int {
					if !refuse {
						return http.StatusOK
					}
					if c.retryAfter != "" {
						w.Header().Set("Retry-After", c.retryAfter)
					}
					return c.status
				})
				ep := h.endpoint()
				other := h.endpoint()
				evs := []events.Event{h.emit("user.updated", "user_1", nil), h.emit("user.updated", "user_2", nil),
					h.emit("user.updated", "user_3", nil)}
				w := h.worker()
				sent := h.run(w)
				want := 6 // three deliveries to each of two endpoints
				if c.spared {
					want = 2 // the first to each
				}
				if sent != want {
					t.Fatalf("first round: %d sent, want %d", sent, want)
				}
				// The second endpoint shares the receiver, so it is refused and
				// spared the same way: each endpoint on its own.
				for _, e := range []*webhook.Endpoint{ep, other} {
					for i, ev := range evs {
						d := h.delivery(e.ID, ev.ID)
						if tried := d.Attempts > 0; tried != (i == 0 || !c.spared) {
							t.Errorf("endpoint %s delivery %d: %d attempts", e.ID, i+1, d.Attempts)
						}
					}
				}
				// A delivery queued after the answer waits too.
				h.clock.Advance(time.Second)
				evs = append(evs, h.emit("user.updated", "user_4", nil))
				if n := h.run(w); n != 0 && c.spared {
					t.Errorf("%d sent to a throttling endpoint a second after its answer", n)
				}
				h.clock.Advance(c.wait - 2*time.Second)
				if n := h.run(w); n != 0 && c.spared {
					t.Errorf("%d sent to a throttling endpoint before its wait", n)
				}
				refuse = false
				h.clock.Advance(time.Second)
				h.run(w)
				h.clock.Advance(10 * time.Second) // the 503 case's later delivery
				h.run(w)
				for _, e := range []*webhook.Endpoint{ep, other} {
					for i, ev := range evs {
						if d := h.delivery(e.ID, ev.ID); d.Status != webhook.Succeeded {
							t.Errorf("after the wait, endpoint %s delivery %d is %s", e.ID, i+1, d.Status)
						}
					}
				}
			})
		})
	}
}

// REQ-WH-05: one throttling answer to an old retry spares the endpoint for
// a short pause, not for that retry's backoff: a delivery never tried goes
// out once the pause is over, while the refused one keeps its schedule.
func TestThrottleDoesNotHandAnOldBackoffToOthers_REQ_WH_05(t *testing.T) {
	engines(t, func(t *testing.T, h *harness) {
		status := http.StatusInternalServerError
		h.rcv.set(func(http.ResponseWriter, *http.Request, []byte) int { return status })
		ep := h.endpoint()
		old := h.emit("user.updated", "user_1", nil)
		w := h.worker()
		sched := webhook.Schedule()
		h.run(w)
		for try := 1; try < len(sched)-1; try++ {
			h.clock.Advance(sched[try])
			h.run(w)
		}
		// user_1's last try comes due; a proxy answers 502, and a new event
		// about user_2 arrives at that moment.
		h.clock.Advance(sched[len(sched)-1] - time.Second)
		fresh := h.emit("user.created", "user_2", nil)
		h.clock.Advance(time.Second)
		status = http.StatusBadGateway
		if n := h.run(w); n != 1 {
			t.Fatalf("%d sent, want user_1's last try only", n)
		}
		status = http.StatusOK
		h.clock.Advance(5 * time.Second)
		h.run(w)
		if d := h.delivery(ep.ID, fresh.ID); d.Status != webhook.Succeeded {
			t.Errorf("the never-tried delivery is %s five seconds after the 502, put off with the old one", d.Status)
		}
		if d := h.delivery(ep.ID, old.ID); d.Status != webhook.Failed {
			t.Errorf("the old delivery is %s after its last try", d.Status)
		}
	})
}
