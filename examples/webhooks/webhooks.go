// Package webhooks is the reference receiver for Portal's webhooks, for a
// relying app written in Go to use or copy (REQ-WH-07). It verifies each
// delivery with Svix's library — Standard Webhooks signatures compared in
// constant time, timestamps within five minutes either way — and hands each
// event to the app once, although Portal delivers at least once.
//
//	h, err := webhooks.Handler(os.Getenv("PORTAL_WEBHOOK_SECRET"), webhooks.NewMemorySeen(),
//		func(ctx context.Context, e webhooks.Event) error {
//			switch e.Type {
//			case "user.created": // e.Data is the user, as the Backend API shows it
//			}
//			return nil
//		})
//	http.Handle("/webhooks/portal", h)
package webhooks

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"time"

	svix "github.com/svix/svix-webhooks/go"
)

// Event is one delivery's body: Clerk's envelope.
type Event struct {
	ID         string          `json:"-"` // the svix-id header: the same on every retry
	Type       string          `json:"type"`
	Object     string          `json:"object"`
	Timestamp  int64           `json:"timestamp"` // milliseconds
	InstanceID string          `json:"instance_id"`
	Data       json.RawMessage `json:"data"`
}

// Seen remembers which deliveries were handled, so a retry of one is not
// handled twice. Keep it where the app keeps its data (a table with a
// unique key on the id), so it outlives the process: retries go on for
// days. Best, claim the id in the same database transaction as the
// handler's own change: then a crash between the two cannot leave an id
// claimed whose event was never handled (which the next retry would skip).
type Seen interface {
	// Claim records id and reports whether it was new.
	Claim(ctx context.Context, id string) (bool, error)
	// Release forgets id, after handling it failed, so a retry is handled.
	Release(ctx context.Context, id string) error
}

// maxBody bounds what a delivery may weigh; Portal's are far smaller.
const maxBody = 1 << 20

// Handler verifies each delivery with secret (whsec_…) and passes its event
// to handle once. It answers 400 to a delivery that does not verify (a
// forgery, a tampered body, or one older or newer than five minutes), 200
// to one already handled, 500 when handle fails — Portal then retries.
func Handler(secret string, seen Seen, handle func(context.Context, Event) error) (http.Handler, error) {
	wh, err := svix.NewWebhook(secret)
	if err != nil {
		return nil, err
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		if err := wh.Verify(body, r.Header); err != nil {
			http.Error(w, "signature does not verify", http.StatusBadRequest)
			return
		}
		var e Event
		if err := json.Unmarshal(body, &e); err != nil {
			http.Error(w, "not an event", http.StatusBadRequest)
			return
		}
		e.ID = r.Header.Get("svix-id")
		ctx := r.Context()
		fresh, err := seen.Claim(ctx, e.ID)
		if err != nil {
			http.Error(w, "try again", http.StatusInternalServerError)
			return
		}
		if !fresh {
			w.WriteHeader(http.StatusOK) // handled already: a retry
			return
		}
		if err := handle(ctx, e); err != nil {
			// Even when the request has ended: a claim left behind would
			// answer the retry 200 and lose the event.
			_ = seen.Release(context.WithoutCancel(ctx), e.ID)
			http.Error(w, "try again", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	}), nil
}

// MemorySeen is a Seen for one process: ids are kept for a week, longer
// than Portal retries.
type MemorySeen struct {
	mu     sync.Mutex
	ids    map[string]time.Time
	now    func() time.Time
	pruned time.Time
}

// NewMemorySeen returns an empty MemorySeen.
func NewMemorySeen() *MemorySeen {
	return &MemorySeen{ids: map[string]time.Time{}, now: time.Now}
}

const keepSeen = 7 * 24 * time.Hour

func (m *MemorySeen) Claim(_ context.Context, id string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if now.Sub(m.pruned) > time.Hour {
		for k, at := range m.ids {
			if now.Sub(at) > keepSeen {
				delete(m.ids, k)
			}
		}
		m.pruned = now
	}
	if _, ok := m.ids[id]; ok {
		return false, nil
	}
	m.ids[id] = now
	return true, nil
}

func (m *MemorySeen) Release(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.ids, id)
	return nil
}
