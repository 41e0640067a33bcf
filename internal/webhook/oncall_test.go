package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	stdlog "log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/webhook"
)

// lockedBuffer is a log the worker's goroutines write to at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) lines(t *testing.T) []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, s := range strings.Split(strings.TrimSpace(l.b.String()), "\n") {
		if s == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// The on-call engineer learns from the log that an endpoint has started
// failing (once, with the cause and where to look, not once per attempt
// and event), that it answers again, and which delivery was given up after
// its retries and how to send it again. The endpoint's URL, which may hold
// a token, is not in the log.
func TestLogSaysWhenAnEndpointFailsRecoversOrIsGivenUp(t *testing.T) {
	engines(t, func(t *testing.T, h *harness) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		closed := "http://" + l.Addr().String() + "/hooks?token=s3cret-in-url"
		l.Close()
		down := h.endpointAt(closed)
		var log lockedBuffer
		w := h.worker()
		w.Log = slog.New(slog.NewJSONHandler(&log, nil))
		ev1 := h.emit("user.updated", "user_1", map[string]any{"id": "user_1"})
		h.emit("user.updated", "user_2", map[string]any{"id": "user_2"})
		for _, wait := range webhook.Schedule() {
			h.clock.Advance(wait)
			h.run(w)
		}
		var failing, givenUp []map[string]any
		for _, m := range log.lines(t) {
			msg, _ := m["msg"].(string)
			switch {
			case strings.HasPrefix(msg, "webhook endpoint failing"):
				failing = append(failing, m)
			case strings.HasPrefix(msg, "webhook delivery given up"):
				givenUp = append(givenUp, m)
			default:
				t.Errorf("unexpected log line %v", m)
			}
		}
		if len(failing) != 1 || failing[0]["endpoint"] != down.ID || failing[0]["level"] != "WARN" ||
			!strings.Contains(failing[0]["err"].(string), "connection refused") ||
			!strings.Contains(failing[0]["msg"].(string), "/v1/webhooks/endpoints/"+down.ID+"/deliveries") {
			t.Errorf("endpoint failing logged as %v, want one warning naming the endpoint, the cause and where to look", failing)
		}
		if len(givenUp) != 2 || givenUp[0]["event"] != ev1.ID || givenUp[0]["attempts"] != float64(8) ||
			!strings.Contains(givenUp[0]["msg"].(string), "/deliveries/"+ev1.ID+"/replay") {
			t.Errorf("given-up deliveries logged as %v, want one warning each, saying how to replay", givenUp)
		}
		if strings.Contains(log.b.String(), "s3cret-in-url") {
			t.Errorf("the endpoint's URL is in the log:\n%s", log.b.String())
		}

		// An endpoint that fails, then answers.
		var mu sync.Mutex
		status := http.StatusServiceUnavailable
		h.rcv.set(func(http.ResponseWriter, *http.Request, []byte) int { mu.Lock(); defer mu.Unlock(); return status })
		up := h.endpoint()
		h.emit("user.updated", "user_3", map[string]any{"id": "user_3"})
		mark := len(log.lines(t))
		h.run(w)
		mu.Lock()
		status = http.StatusNoContent
		mu.Unlock()
		h.clock.Advance(time.Minute)
		h.run(w)
		var got []string
		for _, m := range log.lines(t)[mark:] {
			if m["endpoint"] == up.ID {
				got = append(got, m["level"].(string)+" "+strings.SplitN(m["msg"].(string), ";", 2)[0])
			}
		}
		if strings.Join(got, ", ") != "WARN webhook endpoint failing, INFO webhook endpoint answers again" {
			t.Errorf("the endpoint that failed then answered is logged as %q", got)
		}
	})
}

// With its queue out of reach (the database lost, here its table gone for
// a while), the worker says so once, then every 5 minutes, not at every
// poll, and says when deliveries resume.
func TestLostQueueIsLoggedOnceNotAtEveryPoll(t *testing.T) {
	h := newHarness(t, "sqlite:"+filepath.Join(t.TempDir(), "portal.db"))
	var log lockedBuffer
	w := h.worker()
	w.Log = slog.New(slog.NewJSONHandler(&log, nil))
	w.Poll = time.Second
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	defer func() { cancel(); <-done }()
	poll := func() {
		t.Helper()
		if err := h.clock.BlockUntilContext(ctx, 1); err != nil {
			t.Fatal(err)
		}
		h.clock.Advance(time.Second)
	}
	poll()
	if _, err := h.st.DB().ExecContext(ctx, `ALTER TABLE webhook_deliveries RENAME TO webhook_deliveries_away`); err != nil {
		t.Fatal(err)
	}
	for range 6 * 60 {
		poll()
	}
	if _, err := h.st.DB().ExecContext(ctx, `ALTER TABLE webhook_deliveries_away RENAME TO webhook_deliveries`); err != nil {
		t.Fatal(err)
	}
	poll()
	poll() // the pass after it has run
	var got []string
	for _, m := range log.lines(t) {
		got = append(got, m["level"].(string)+" "+strings.SplitN(m["msg"].(string), ":", 2)[0])
	}
	want := "WARN webhook deliveries stopped, WARN webhook deliveries still stopped, INFO webhook deliveries resumed"
	if strings.Join(got, ", ") != want {
		t.Errorf("six minutes without the queue logged %d lines %q, want %q", len(got), got, want)
	}
}

// An attempt that got no answer — the connection refused, no answer in
// time, a certificate the portal does not trust — is logged with what
// happened as err and no status: "status=0" read as if the endpoint had
// answered. The failing, given-up and answers-again lines alike.
func TestLogSaysWhyNoAnswerCame(t *testing.T) {
	engines(t, func(t *testing.T, h *harness) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		refused := h.endpointAt("http://" + l.Addr().String() + "/hooks")
		l.Close()

		var mu sync.Mutex
		hang := true
		slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			wait := hang
			mu.Unlock()
			if wait { // until the portal gives up and hangs up
				_, _ = io.Copy(io.Discard, r.Body) // then the server sees the hang-up
				<-r.Context().Done()
				return
			}
			w.WriteHeader(http.StatusNoContent)
		}))
		defer slow.Close()
		silent := h.endpointAt(slow.URL + "/hooks")

		untrusted := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
		untrusted.Config.ErrorLog = stdlog.New(io.Discard, "", 0) // the handshakes it refuses
		untrusted.StartTLS()
		defer untrusted.Close()
		tls := h.endpointAt(untrusted.URL + "/hooks")

		var log lockedBuffer
		w := h.worker()
		w.Log = slog.New(slog.NewJSONHandler(&log, nil))
		w.Timeout = 200 * time.Millisecond // the silent endpoint never answers
		ev := h.emit("user.updated", "user_1", map[string]any{"id": "user_1"})
		h.run(w)
		if d := h.delivery(silent.ID, ev.ID); d.LastStatusCode != 0 || !strings.Contains(d.LastError, "no answer within 200ms") {
			t.Errorf("the silent endpoint's delivery: last status %d, last error %q; want the timeout named",
				d.LastStatusCode, d.LastError)
		}

		want := map[string]string{refused.ID: "connection refused", silent.ID: "no answer within 200ms",
			tls.ID: "certificate"}
		lines := map[string][]map[string]any{}
		for _, m := range log.lines(t) {
			ep, _ := m["endpoint"].(string)
			lines[ep] = append(lines[ep], m)
		}
		for ep, cause := range want {
			got := lines[ep]
			if len(got) != 1 || !strings.HasPrefix(got[0]["msg"].(string), "webhook endpoint failing") {
				t.Errorf("endpoint %s logged %v, want one failing line", ep, got)
				continue
			}
			if s, has := got[0]["status"]; has {
				t.Errorf("endpoint %s: no answer came, yet the line says status=%v: %v", ep, s, got[0])
			}
			if e, _ := got[0]["err"].(string); !strings.Contains(e, cause) {
				t.Errorf("endpoint %s: err=%q, want it to say %q", ep, e, cause)
			}
		}

		// The silent one answers at last; the others go on failing to
		// the end of the schedule.
		mu.Lock()
		hang = false
		mu.Unlock()
		mark := len(log.lines(t))
		for _, wait := range webhook.Schedule()[1:] {
			h.clock.Advance(wait)
			h.run(w)
		}
		var again, givenUp []map[string]any
		for _, m := range log.lines(t)[mark:] {
			switch msg := m["msg"].(string); {
			case strings.HasPrefix(msg, "webhook endpoint answers again"):
				again = append(again, m)
			case strings.HasPrefix(msg, "webhook delivery given up"):
				givenUp = append(givenUp, m)
			}
		}
		if len(again) != 1 || again[0]["endpoint"] != silent.ID || again[0]["status"] != float64(http.StatusNoContent) {
			t.Errorf("the silent endpoint answering logged %v, want one line with the status it answered", again)
		}
		if len(givenUp) != 2 {
			t.Fatalf("given up: %v, want the refused and the untrusted endpoint's deliveries", givenUp)
		}
		for _, m := range givenUp {
			if s, has := m["status"]; has {
				t.Errorf("given up with no answer, yet the line says status=%v: %v", s, m)
			}
			if e, _ := m["err"].(string); !strings.Contains(e, want[m["endpoint"].(string)]) {
				t.Errorf("given up: err=%q, want the cause: %v", e, m)
			}
		}
	})
}
