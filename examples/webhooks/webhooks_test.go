package webhooks_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	svix "github.com/svix/svix-webhooks/go"

	"github.com/portalhq/portal/examples/webhooks"
	"github.com/portalhq/portal/internal/testutil/portaltest"
	"github.com/portalhq/portal/internal/webhook"
)

// delivery is one request the receiver got, kept to be sent again.
type delivery struct {
	header http.Header
	body   []byte
}

// REQ-WH-07: the reference receiver, against a real portal. A sign-up's
// events arrive and are handled once each; the same delivery sent again
// (Portal's at-least-once retry) is acknowledged and not handled twice; a
// tampered body, a signature by another secret and a delivery signed six
// minutes ago or ahead are refused; a failed handling is retried.
func TestReferenceReceiver_REQ_WH_07(t *testing.T) {
	secret := webhook.NewSecret()
	var (
		mu       sync.Mutex
		handled  = map[string]int{} // by event id
		types    []string
		got      []delivery
		failNext bool
	)
	h, err := webhooks.Handler(secret, webhooks.NewMemorySeen(), func(_ context.Context, e webhooks.Event) error {
		mu.Lock()
		defer mu.Unlock()
		if failNext {
			failNext = false
			return errors.New("database down")
		}
		handled[e.ID]++
		types = append(types, e.Type)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, delivery{r.Header.Clone(), body})
		mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)

	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_WEBHOOK_URL": srv.URL,
		"PORTAL_WEBHOOK_SECRET": secret, "PORTAL_WEBHOOK_ALLOW_PRIVATE": "true"}})
	createUser(t, p)
	waitFor(t, &mu, func() bool { return len(types) >= 1 })
	mu.Lock()
	d := got[0]
	mu.Unlock()

	send := func(header http.Header, body []byte) int {
		t.Helper()
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		req.Header = header
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w.Code
	}
	if code := send(d.header.Clone(), d.body); code != http.StatusOK {
		t.Errorf("the same delivery again: %d, want 200 (already handled)", code)
	}
	mu.Lock()
	if n := handled[d.header.Get("svix-id")]; n != 1 {
		t.Errorf("event %s handled %d times, want once", d.header.Get("svix-id"), n)
	}
	mu.Unlock()

	tampered := bytes.Replace(d.body, []byte(`"type":"`), []byte(`"type":"x`), 1)
	if code := send(d.header.Clone(), tampered); code != http.StatusBadRequest {
		t.Errorf("tampered body: %d, want 400", code)
	}
	other, _ := svix.NewWebhook(webhook.NewSecret())
	resign := func(wh *svix.Webhook, id string, at time.Time) http.Header {
		sig, err := wh.Sign(id, at, d.body)
		if err != nil {
			t.Fatal(err)
		}
		hd := http.Header{}
		hd.Set("svix-id", id)
		hd.Set("svix-timestamp", strconv.FormatInt(at.Unix(), 10))
		hd.Set("svix-signature", sig)
		return hd
	}
	if code := send(resign(other, "msg_forged", time.Now()), d.body); code != http.StatusBadRequest {
		t.Errorf("signed by another secret: %d, want 400", code)
	}
	ours, _ := svix.NewWebhook(secret)
	for _, skew := range []time.Duration{-6 * time.Minute, 6 * time.Minute} {
		if code := send(resign(ours, "msg_skewed", time.Now().Add(skew)), d.body); code != http.StatusBadRequest {
			t.Errorf("signed %v from now: %d, want 400", skew, code)
		}
	}

	mu.Lock()
	failNext = true
	mu.Unlock()
	retry := resign(ours, "msg_retry", time.Now())
	if code := send(retry, d.body); code != http.StatusInternalServerError {
		t.Errorf("failed handling: %d, want 500 so Portal retries", code)
	}
	if code := send(retry, d.body); code != http.StatusOK {
		t.Errorf("its retry: %d, want 200", code)
	}
	mu.Lock()
	defer mu.Unlock()
	if handled["msg_retry"] != 1 {
		t.Errorf("the retried event was handled %d times, want once", handled["msg_retry"])
	}
}

func createUser(t *testing.T, p *portaltest.Portal) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, p.URL+"/v1/users",
		bytes.NewReader([]byte(`{"email_address":["ada@example.com"]}`)))
	req.Header.Set("Authorization", "Bearer "+p.SecretKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("create user: %d", resp.StatusCode)
	}
}

// waitFor polls cond under mu until it holds, failing after ten seconds.
func waitFor(t *testing.T, mu *sync.Mutex, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		mu.Lock()
		ok := cond()
		mu.Unlock()
		if ok {
			return
		}
	}
	t.Fatal("no webhook arrived")
}
