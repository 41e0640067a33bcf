package webhook_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/store"
	"github.com/portalhq/portal/internal/testutil/pgtest"
	"github.com/portalhq/portal/internal/webhook"
)

var _ webhook.Store = (*store.Q)(nil)

// engines runs fn on SQLite and on PostgreSQL, each with a fresh database.
func engines(t *testing.T, fn func(t *testing.T, h *harness)) {
	t.Run("sqlite", func(t *testing.T) {
		fn(t, newHarness(t, "sqlite:"+filepath.Join(t.TempDir(), "portal.db")))
	})
	t.Run("postgres", func(t *testing.T) { fn(t, newHarness(t, pgtest.URL(t))) })
}

// harness is a real store, a fake clock, the endpoint service and a
// receiver that records every request.
type harness struct {
	t     *testing.T
	st    *store.Store
	clock *clockwork.FakeClock
	svc   *webhook.Service
	rcv   *receiver
}

// start is close to the wall clock so the libraries' ±5 minute timestamp
// check accepts the first attempts.
func newHarness(t *testing.T, url string) *harness {
	st, err := store.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clock := clockwork.NewFakeClockAt(time.Now().Truncate(time.Second))
	h := &harness{t: t, st: st, clock: clock, rcv: newReceiver(t)}
	h.svc = &webhook.Service{Clock: clock, Store: st.Q, InTx: store.Tx[webhook.Store](st), AllowPrivate: true}
	return h
}

// worker is a new worker on the harness's database: calling it again is a
// restarted portal.
// worker is a worker of h whose retries wait the schedule exactly (no
// jitter), so that tests can step the clock to each; jitteredWorker has
// the jitter a portal runs with.
func (h *harness) worker() *webhook.Worker {
	w := h.jitteredWorker()
	w.Jitter = func(time.Duration) time.Duration { return 0 }
	return w
}

func (h *harness) jitteredWorker() *webhook.Worker {
	return &webhook.Worker{Clock: h.clock, Store: h.st.Q, InTx: store.Tx[webhook.Store](h.st),
		Client: webhook.NewHTTPClient(true), InstanceID: "ins_test", Log: slog.New(slog.DiscardHandler)}
}

func (h *harness) endpoint(types ...string) *webhook.Endpoint {
	h.t.Helper()
	return h.endpointAt(h.rcv.URL(), types...)
}

func (h *harness) endpointAt(url string, types ...string) *webhook.Endpoint {
	h.t.Helper()
	in := webhook.Input{URL: &url}
	if len(types) > 0 {
		in.EventTypes = &types
	}
	e, err := h.svc.Create(h.t.Context(), in)
	if err != nil {
		h.t.Fatal(err)
	}
	return e
}

// emit writes an event the way the domain does, in a transaction.
func (h *harness) emit(typ, objectID string, data map[string]any) events.Event {
	h.t.Helper()
	e, err := events.New(typ, objectID, data, h.clock.Now())
	if err != nil {
		h.t.Fatal(err)
	}
	if err := h.st.InTx(h.t.Context(), func(q *store.Q) error { return q.InsertEvent(h.t.Context(), e) }); err != nil {
		h.t.Fatal(err)
	}
	return e
}

// run makes one pass of w and returns how many attempts it made.
func (h *harness) run(w *webhook.Worker) int {
	h.t.Helper()
	n, err := w.RunOnce(h.t.Context())
	if err != nil {
		h.t.Fatal(err)
	}
	return n
}

func (h *harness) delivery(endpointID, eventID string) *webhook.Delivery {
	h.t.Helper()
	d, err := h.st.Q.WebhookDelivery(h.t.Context(), endpointID, eventID)
	if err != nil {
		h.t.Fatal(err)
	}
	return d
}

// request is one request the receiver got.
type request struct {
	Header http.Header
	Body   []byte
	Status int // what the receiver answered
}

func (r request) id() string { return r.Header.Get("svix-id") }

func (r request) envelope(t *testing.T) webhook.Envelope {
	t.Helper()
	var e webhook.Envelope
	if err := json.Unmarshal(r.Body, &e); err != nil {
		t.Fatalf("body is not an envelope: %v\n%s", err, r.Body)
	}
	return e
}

// receiver answers with what answer returns (200 when nil) and records
// every request.
type receiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	reqs   []request
	answer func(w http.ResponseWriter, r *http.Request, body []byte) int
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		answer := rc.answer
		rc.mu.Unlock()
		status := http.StatusOK
		if answer != nil {
			status = answer(w, r, body)
		}
		w.WriteHeader(status)
		rc.mu.Lock()
		rc.reqs = append(rc.reqs, request{Header: r.Header.Clone(), Body: body, Status: status})
		rc.mu.Unlock()
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) URL() string { return rc.srv.URL + "/hooks" }

func (rc *receiver) set(answer func(w http.ResponseWriter, r *http.Request, body []byte) int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.answer = answer
}

func (rc *receiver) requests() []request {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]request(nil), rc.reqs...)
}

// acked counts the 2xx answers per webhook ID.
func (rc *receiver) acked() map[string]int {
	out := map[string]int{}
	for _, r := range rc.requests() {
		if r.Status >= 200 && r.Status < 300 {
			out[r.id()]++
		}
	}
	return out
}

func statusAnswer(status int) func(http.ResponseWriter, *http.Request, []byte) int {
	return func(http.ResponseWriter, *http.Request, []byte) int { return status }
}
