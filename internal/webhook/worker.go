package webhook

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	neturl "net/url"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/id"
)

// Schedule is Svix's: the wait before each attempt, the first immediate,
// each retry's wait lengthened by up to a tenth (Jitter). After the last
// one fails the delivery is failed (27 to 30 hours in all).
func Schedule() []time.Duration {
	return []time.Duration{0, 5 * time.Second, 5 * time.Minute, 30 * time.Minute,
		2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour}
}

const (
	// AttemptTimeout bounds one request: an answer must come within it.
	AttemptTimeout = 15 * time.Second
	// DisableAfter is how long an endpoint may fail every attempt before it
	// is disabled.
	DisableAfter = 5 * 24 * time.Hour
	// maxRetryAfter caps how long a receiver's Retry-After can hold a
	// delivery back.
	maxRetryAfter = 24 * time.Hour
	// throttlePause is how long an endpoint that answered 429, 502 or 504
	// without a Retry-After is spared.
	throttlePause = 5 * time.Second
	// lease is how long a worker holds a delivery it is sending; a worker
	// that dies mid-attempt releases it by letting it lapse, and the
	// delivery is sent again (at least once).
	lease       = 2 * time.Minute
	batch       = 100
	parallel    = 8 // endpoints served at once
	keepBody    = 1 << 10
	defaultPoll = time.Second
	// failingReminder is how often the log repeats that deliveries are
	// stopped (the database lost): often enough to be seen, not a line
	// for every poll.
	failingReminder = 5 * time.Minute
)

// Envelope is the body of every webhook, shaped like Clerk's.
type Envelope struct {
	Data       json.RawMessage `json:"data"`
	Object     string          `json:"object"` // "event"
	Type       string          `json:"type"`
	Timestamp  int64           `json:"timestamp"` // when the event happened, unix ms
	InstanceID string          `json:"instance_id"`
	// Attributes is always there, as in Clerk's (whose SDK types say so),
	// its strings empty for a change no request made.
	Attributes EventAttributes `json:"event_attributes"`
}

// EventAttributes is what Clerk's webhooks say of where an event came from.
type EventAttributes struct {
	HTTPRequest HTTPRequest `json:"http_request"`
}

// HTTPRequest is the request behind an event: the client's address and
// User-Agent (events.Request).
type HTTPRequest struct {
	ClientIP  string `json:"client_ip"`
	UserAgent string `json:"user_agent"`
}

// Worker sends due deliveries. Several workers, in one process or many,
// may run on one database: a delivery is leased before it is sent.
type Worker struct {
	Clock      clockwork.Clock // decides what is due and stamps attempts
	Store      Store
	InTx       func(ctx context.Context, fn func(Store) error) error
	Client     *http.Client // NewHTTPClient
	InstanceID string
	Log        *slog.Logger
	// Poll is how often Run looks for due deliveries on Clock; Wake makes it
	// look at once.
	Poll time.Duration
	// Timeout bounds one attempt; zero means AttemptTimeout.
	Timeout time.Duration
	// Jitter is added to each retry's wait; nil means Jitter, up to a
	// tenth of the wait at random, so that many deliveries failed at once
	// do not all come back at once.
	Jitter func(wait time.Duration) time.Duration

	wakeOnce sync.Once
	wake     chan struct{}
}

func (w *Worker) wakeCh() chan struct{} {
	w.wakeOnce.Do(func() { w.wake = make(chan struct{}, 1) })
	return w.wake
}

// Wake makes a running worker look for due deliveries now.
func (w *Worker) Wake() {
	select {
	case w.wakeCh() <- struct{}{}:
	default:
	}
}

// Run sends deliveries until ctx ends.
func (w *Worker) Run(ctx context.Context) {
	poll := w.Poll
	if poll <= 0 {
		poll = defaultPoll
	}
	var failingSince, warned time.Time
	for {
		_, err := w.RunOnce(ctx)
		switch now := w.Clock.Now(); {
		case ctx.Err() != nil:
		case err != nil && failingSince.IsZero():
			failingSince, warned = now, now
			w.Log.Warn("webhook deliveries stopped: the queue cannot be read or updated; "+
				"retried every poll, and logged again every 5 minutes while it lasts", "err", err)
		case err != nil && now.Sub(warned) >= failingReminder:
			warned = now
			w.Log.Warn("webhook deliveries still stopped", "since", failingSince.UTC(), "err", err)
		case err != nil:
			w.Log.Debug("webhook deliveries", "err", err)
		case !failingSince.IsZero():
			w.Log.Info("webhook deliveries resumed", "stopped_for", now.Sub(failingSince).Round(time.Second).String())
			failingSince = time.Time{}
		}
		select {
		case <-ctx.Done():
			return
		case <-w.wakeCh():
		case <-w.Clock.After(poll):
		}
	}
}

// RunOnce sends every delivery due now and returns how many attempts it
// made. Endpoints are served in parallel, each one's deliveries in event
// order.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	total := 0
	for {
		due, err := w.Store.DueWebhookDeliveries(ctx, w.Clock.Now(), batch)
		if err != nil {
			return total, err
		}
		byEndpoint := map[string][]Delivery{}
		var order []string
		for _, d := range due {
			if _, seen := byEndpoint[d.EndpointID]; !seen {
				order = append(order, d.EndpointID)
			}
			byEndpoint[d.EndpointID] = append(byEndpoint[d.EndpointID], d)
		}
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			errs []error
			sent int
			sem  = make(chan struct{}, parallel)
		)
		for _, ep := range order {
			wg.Add(1)
			sem <- struct{}{}
			go func(list []Delivery) {
				defer func() { <-sem; wg.Done() }()
				n, err := w.serve(ctx, list)
				mu.Lock()
				sent += n
				if err != nil {
					errs = append(errs, err)
				}
				mu.Unlock()
			}(byEndpoint[ep])
		}
		wg.Wait()
		total += sent
		if err := errors.Join(errs...); err != nil {
			return total, err
		}
		if len(due) < batch || sent == 0 || ctx.Err() != nil {
			return total, ctx.Err()
		}
	}
}

// serve sends one endpoint's deliveries in order, each leased just before
// it is sent so that a lease never has to outlast more than one attempt.
// A delivery another worker holds is skipped; an endpoint that asks to be
// spared (throttles) gets no more this round.
func (w *Worker) serve(ctx context.Context, list []Delivery) (int, error) {
	n := 0
	for _, d := range list {
		if ctx.Err() != nil {
			return n, nil
		}
		now := w.Clock.Now()
		ok, err := w.Store.LeaseWebhookDelivery(ctx, d.EndpointID, d.EventID, now, now.Add(lease))
		if err != nil {
			return n, err
		}
		if !ok {
			continue
		}
		res, err := w.attempt(ctx, d)
		if err != nil {
			return n, fmt.Errorf("webhook %s to %s: %w", d.EventID, d.EndpointID, err)
		}
		n++
		if res.throttles() {
			return n, nil
		}
	}
	return n, nil
}

// attempt sends one delivery and records the outcome.
func (w *Worker) attempt(ctx context.Context, d Delivery) (result, error) {
	ep, err := w.Store.WebhookEndpoint(ctx, d.EndpointID)
	if err != nil {
		return result{}, err
	}
	ev, err := w.Store.EventBySeq(ctx, d.EventSeq)
	if err != nil {
		return result{}, err
	}
	body, err := w.body(ev)
	if err != nil {
		return result{}, err
	}
	keys, err := signingKeys(ep, w.Clock.Now())
	if err != nil {
		return result{}, err
	}
	sentAt := w.Clock.Now()
	res := w.send(ctx, ep.URL, signedHeaders(keys, d.EventID, sentAt, body), body)
	if ctx.Err() != nil {
		// Shutting down: the answer, if any, is unknown. The lease lapses
		// and another worker sends it again.
		return res, nil
	}
	return res, w.record(ctx, d, res, sentAt)
}

func (w *Worker) body(ev *events.Event) ([]byte, error) {
	return json.Marshal(Envelope{Data: ev.Data, Object: "event", Type: ev.Type,
		Timestamp: ev.CreatedAt.UnixMilli(), InstanceID: w.InstanceID,
		Attributes: EventAttributes{HTTPRequest: HTTPRequest(ev.Request)}})
}

// signingKeys is the current key, then the previous one while a rotation
// overlaps.
func signingKeys(ep *Endpoint, now time.Time) ([][]byte, error) {
	cur, err := ParseSecret(ep.Secret)
	if err != nil {
		return nil, err
	}
	keys := [][]byte{cur}
	if ep.PreviousSecret != "" && ep.PreviousSecretUntil != nil && now.Before(*ep.PreviousSecretUntil) {
		if prev, err := ParseSecret(ep.PreviousSecret); err == nil {
			keys = append(keys, prev)
		}
	}
	return keys, nil
}

// result is what one request came to.
type result struct {
	status int
	err    string
	// cause is err without the endpoint's URL, which may hold a token in
	// its query: what the log says.
	cause      string
	response   string
	retryAfter time.Duration
	duration   time.Duration
}

func (r result) ok() bool { return r.err == "" && r.status >= 200 && r.status < 300 }

// logged is what the log says an attempt came to: the endpoint's status
// when it answered, and err (the cause) when that was a failure. An
// attempt that got no answer has no status: a status=0 would read as an
// answer.
func (r result) logged() []any {
	var out []any
	if r.status != 0 {
		out = append(out, "status", r.status)
	}
	if r.cause != "" {
		out = append(out, "err", r.cause)
	}
	return out
}

// throttles reports an answer that asks the sender to slow down: too many
// requests, or a gateway in front of the receiver that could not get an
// answer from it.
func (r result) throttles() bool {
	return r.status == http.StatusTooManyRequests || r.status == http.StatusBadGateway ||
		r.status == http.StatusGatewayTimeout
}

func (w *Worker) send(ctx context.Context, url string, h http.Header, body []byte) result {
	timeout := w.Timeout
	if timeout <= 0 {
		timeout = AttemptTimeout
	}
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return result{err: err.Error()}
	}
	req.Header = h
	req.Header.Set("User-Agent", "Portal-Webhooks/1")
	start := time.Now()
	resp, err := w.Client.Do(req)
	if err != nil {
		// No answer came: no status to speak of, only what went wrong
		// (connection refused, a name not found, a TLS error, a timeout).
		r := result{err: err.Error(), cause: err.Error(), duration: time.Since(start)}
		if ue := (*neturl.Error)(nil); errors.As(err, &ue) {
			r.cause = ue.Err.Error()
		}
		if errors.Is(err, context.DeadlineExceeded) && rctx.Err() != nil && ctx.Err() == nil {
			// The delivery's last_error, as the log, says what the
			// deadline was.
			in := fmt.Sprintf("no answer within %s (the attempt timeout): ", timeout)
			r.err, r.cause = in+r.err, in+r.cause
		}
		return r
	}
	defer resp.Body.Close()
	head, _ := io.ReadAll(io.LimitReader(resp.Body, keepBody))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	r := result{status: resp.StatusCode, response: validUTF8(head), duration: time.Since(start),
		retryAfter: retryAfter(resp.Header.Get("Retry-After"), w.Clock.Now())}
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		r.err = "redirects are not followed: answer with 2xx at the configured URL"
	case resp.StatusCode >= 400 || resp.StatusCode < 200:
		r.err = fmt.Sprintf("the endpoint answered %d", resp.StatusCode)
	}
	r.cause = r.err
	return r
}

// record stores the attempt and moves the delivery and its endpoint on, in
// one transaction.
func (w *Worker) record(ctx context.Context, d Delivery, res result, at time.Time) error {
	var failingSince *time.Time // the endpoint's, before this attempt
	err := w.InTx(ctx, func(st Store) error {
		ep, err := st.WebhookEndpoint(ctx, d.EndpointID)
		if err != nil {
			return err
		}
		failingSince = ep.FailingSince
		if err := st.InsertWebhookAttempt(ctx, Attempt{ID: id.New("att"), EndpointID: d.EndpointID, EventID: d.EventID,
			AttemptedAt: at, StatusCode: res.status, Error: res.err, Response: res.response, Duration: res.duration}); err != nil {
			return err
		}
		d.Tries++
		d.Attempts++
		d.LastAttemptAt, d.LastStatusCode, d.LastError, d.UpdatedAt = &at, res.status, res.err, at
		epChanged := false
		if res.ok() {
			d.Status, d.NextAttemptAt = Succeeded, nil
			if ep.FailingSince != nil {
				ep.FailingSince, epChanged = nil, true
			}
		} else {
			next(&d, res, at, w.jitter)
			if res.throttles() {
				// The endpoint is spared for what it asked (Retry-After),
				// else for a short pause: nothing queued, before or after
				// this answer, is sent to it meanwhile. The refused
				// delivery keeps its own schedule.
				until := at.Add(max(throttlePause, min(res.retryAfter, maxRetryAfter)))
				if err := st.ThrottleWebhookEndpoint(ctx, ep.ID, until); err != nil {
					return err
				}
			}
			if ep.FailingSince == nil {
				ep.FailingSince, epChanged = &at, true
			}
			switch {
			case res.status == http.StatusGone:
				ep.Disabled, epChanged = true, true
				ep.DisabledReason = "The endpoint answered 410 Gone on " + at.UTC().Format(time.RFC3339) + "."
			case at.Sub(*ep.FailingSince) >= DisableAfter:
				ep.Disabled, epChanged = true, true
				ep.DisabledReason = "Every delivery has failed since " + ep.FailingSince.UTC().Format(time.RFC3339) +
					" (5 days); enable the endpoint again once it answers."
			}
		}
		if epChanged {
			ep.UpdatedAt = at
			if err := st.UpdateWebhookEndpoint(ctx, *ep); err != nil {
				return err
			}
		}
		if ep.Disabled && !res.ok() {
			w.Log.Warn("webhook endpoint disabled", "endpoint", ep.ID, "reason", ep.DisabledReason)
		}
		return st.SaveWebhookDelivery(ctx, d)
	})
	if err == nil {
		w.logChange(d, res, failingSince)
	}
	return err
}

// logChange tells the operator when an endpoint starts failing, when it
// answers again, and when a delivery is given up — not every failed
// attempt, which a receiver down for hours would repeat for each event.
func (w *Worker) logChange(d Delivery, res result, failingSince *time.Time) {
	deliveries := "GET /v1/webhooks/endpoints/" + d.EndpointID + "/deliveries"
	switch {
	case res.ok() && failingSince != nil:
		w.Log.Info("webhook endpoint answers again",
			append([]any{"endpoint", d.EndpointID, "failing_since", failingSince.UTC()}, res.logged()...)...)
	case !res.ok() && failingSince == nil && d.Status == Pending:
		w.Log.Warn("webhook endpoint failing; deliveries to it are retried, see "+deliveries,
			append(append([]any{"endpoint", d.EndpointID, "event_type", d.EventType}, res.logged()...),
				"next_attempt", d.NextAttemptAt.UTC())...)
	}
	if d.Status == Failed {
		w.Log.Warn("webhook delivery given up after its retries; send it again with POST "+
			deliveries+"/"+d.EventID+"/replay once the endpoint answers",
			append([]any{"endpoint", d.EndpointID, "event", d.EventID, "event_type", d.EventType,
				"attempts", d.Attempts}, res.logged()...)...)
	}
}

// next schedules the attempt after a failed one, or fails the delivery when
// the schedule is spent. A Retry-After longer than the schedule's wait is
// honoured, up to a day; the schedule's wait gets jitter on top.
func next(d *Delivery, res result, at time.Time, jitter func(time.Duration) time.Duration) {
	sched := Schedule()
	if d.Tries >= len(sched) {
		d.Status, d.NextAttemptAt = Failed, nil
		return
	}
	wait := sched[d.Tries] + jitter(sched[d.Tries])
	wait = max(wait, min(res.retryAfter, maxRetryAfter))
	t := at.Add(wait)
	d.Status, d.NextAttemptAt = Pending, &t
}

func (w *Worker) jitter(wait time.Duration) time.Duration {
	if w.Jitter != nil {
		return w.Jitter(wait)
	}
	return Jitter(wait)
}

// Jitter is a random duration from zero up to a tenth of wait.
func Jitter(wait time.Duration) time.Duration {
	if wait < 10 {
		return 0
	}
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read does not fail
	return time.Duration(binary.LittleEndian.Uint64(b[:]) % uint64(wait/10))
}

// retryAfter reads a Retry-After header: seconds, or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// validUTF8 makes a receiver's answer storable as text: PostgreSQL refuses
// invalid UTF-8 and NUL bytes.
func validUTF8(b []byte) string {
	if !utf8.Valid(b) {
		b = bytes.ToValidUTF8(b, []byte("\uFFFD"))
	}
	return string(bytes.ReplaceAll(b, []byte{0}, nil))
}
