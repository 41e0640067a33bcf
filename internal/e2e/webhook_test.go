package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	svix "github.com/svix/svix-webhooks/go"

	"github.com/portalhq/portal/internal/testutil/portaltest"
	"github.com/portalhq/portal/internal/webhook"
)

// hookReceiver is a relying app's webhook handler: it verifies each request
// with Svix's library, as the app would, and keeps what it accepted.
type hookReceiver struct {
	t      *testing.T
	srv    *httptest.Server
	wh     *svix.Webhook
	mu     sync.Mutex
	events []hookEvent
}

type hookEvent struct {
	ID         string          `json:"-"`
	Type       string          `json:"type"`
	Object     string          `json:"object"`
	Timestamp  int64           `json:"timestamp"`
	InstanceID string          `json:"instance_id"`
	Data       json.RawMessage `json:"data"`
}

func newHookReceiver(t *testing.T, secret string) *hookReceiver {
	wh, err := svix.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	r := &hookReceiver{t: t, wh: wh}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		if err := r.wh.Verify(body, req.Header); err != nil {
			t.Errorf("webhook does not verify: %v", err)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		var e hookEvent
		if err := json.Unmarshal(body, &e); err != nil {
			t.Errorf("webhook body: %v", err)
		}
		e.ID = req.Header.Get("svix-id")
		r.mu.Lock()
		r.events = append(r.events, e)
		r.mu.Unlock()
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// waitFor returns the first accepted event of type typ about objectID.
func (r *hookReceiver) waitFor(typ string, match func(data map[string]any) bool) hookEvent {
	r.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		r.mu.Lock()
		for _, e := range r.events {
			var data map[string]any
			_ = json.Unmarshal(e.Data, &data)
			if e.Type == typ && match(data) {
				r.mu.Unlock()
				return e
			}
		}
		r.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
	r.t.Fatalf("no %s webhook arrived", typ)
	return hookEvent{}
}

// A sign-up reaches the app's webhook handler as user.created and
// session.created, verified by Svix's library, with the data shaped as the
// Backend API shapes users and sessions.
func TestSignUpIsDeliveredAsWebhooks(t *testing.T) {
	secret := webhook.NewSecret()
	rcv := newHookReceiver(t, secret)
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{
		"PORTAL_WEBHOOK_URL": rcv.srv.URL + "/clerk", "PORTAL_WEBHOOK_SECRET": secret,
		"PORTAL_WEBHOOK_ALLOW_PRIVATE": "true"}})
	c, _ := verify(t, p, wantHandBack(t, signUp(t, p, newBrowser(t, p), "ada@example.com", appURL), http.StatusSeeOther, appURL))

	created := rcv.waitFor("user.created", func(d map[string]any) bool { return d["id"] == c.Subject })
	var u struct {
		Object         string `json:"object"`
		FirstName      string `json:"first_name"`
		EmailAddresses []struct {
			EmailAddress string `json:"email_address"`
			Verification struct {
				Status string `json:"status"`
			} `json:"verification"`
		} `json:"email_addresses"`
		CreatedAt int64 `json:"created_at"`
	}
	if err := json.Unmarshal(created.Data, &u); err != nil {
		t.Fatal(err)
	}
	if u.Object != "user" || u.FirstName != "Ada" || len(u.EmailAddresses) != 1 ||
		u.EmailAddresses[0].EmailAddress != "ada@example.com" || u.EmailAddresses[0].Verification.Status != "verified" {
		t.Errorf("user.created data = %s", created.Data)
	}
	if created.Object != "event" || created.InstanceID != p.InstanceID || created.Timestamp < u.CreatedAt {
		t.Errorf("envelope = %+v", created)
	}
	sess := rcv.waitFor("session.created", func(d map[string]any) bool { return d["id"] == c.SID })
	var s map[string]any
	_ = json.Unmarshal(sess.Data, &s)
	if s["object"] != "session" || s["user_id"] != c.Subject || s["status"] != "active" {
		t.Errorf("session.created data = %s", sess.Data)
	}
	if sess.ID == created.ID {
		t.Error("two events share a webhook-id")
	}
}
