package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
)

func TestDevOutboxStoresAndLogs(t *testing.T) {
	var logBuf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logBuf, nil))
	clock := clockwork.NewFakeClockAt(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
	store := &MemoryOutbox{}
	var mailer Mailer = NewDevOutbox(store, log, clock)

	err := mailer.SendEmail(context.Background(), Email{
		To: "ada@example.com", ToName: "Ada", Subject: "Your code",
		Text: "Your code is 123456", HTML: "<p>Your code is <b>123456</b></p>",
	})
	if err != nil {
		t.Fatal(err)
	}

	msgs := store.List()
	if len(msgs) != 1 {
		t.Fatalf("%d stored messages", len(msgs))
	}
	m := msgs[0]
	if !strings.HasPrefix(m.ID, "msg_") || m.Channel != ChannelEmail || m.To != "ada@example.com" ||
		m.Subject != "Your code" || m.Text != "Your code is 123456" || m.HTML != "<p>Your code is <b>123456</b></p>" ||
		!m.CreatedAt.Equal(clock.Now()) {
		t.Errorf("stored %+v", m)
	}

	var line map[string]any
	if err := json.Unmarshal(logBuf.Bytes(), &line); err != nil {
		t.Fatalf("want one JSON log line, got %q: %v", logBuf.String(), err)
	}
	want := map[string]any{
		"level": "INFO", "msg": "dev outbox: email", "id": m.ID,
		"to": "ada@example.com", "subject": "Your code", "text": "Your code is 123456",
	}
	for k, v := range want {
		if line[k] != v {
			t.Errorf("log %s = %v, want %v", k, line[k], v)
		}
	}
}

// The dev outbox refuses what SMTP would refuse, so the failure shows up in
// development (REQ-IN-04).
func TestDevOutboxRefusesUnsafeHeaders(t *testing.T) {
	store := &MemoryOutbox{}
	d := NewDevOutbox(store, slog.New(slog.DiscardHandler), clockwork.NewFakeClock())
	err := d.SendEmail(context.Background(), Email{To: "a@b.com\r\nBcc: x@y.com", Subject: "s", Text: "t"})
	if !errors.Is(err, ErrUnsafeHeader) {
		t.Fatalf("err = %v", err)
	}
	if len(store.List()) != 0 {
		t.Fatal("stored a refused message")
	}
}

type failingStore struct{}

func (failingStore) SaveOutbox(context.Context, OutboxMessage) error { return errors.New("disk full") }

func TestDevOutboxReportsStoreFailure(t *testing.T) {
	d := NewDevOutbox(failingStore{}, slog.New(slog.DiscardHandler), clockwork.NewFakeClock())
	err := d.SendEmail(context.Background(), Email{To: "a@example.com", Subject: "s", Text: "t"})
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("err = %v", err)
	}
}

func TestMemoryOutboxListIsACopy(t *testing.T) {
	var o MemoryOutbox
	_ = o.SaveOutbox(context.Background(), OutboxMessage{ID: "msg_1"})
	l := o.List()
	l[0].ID = "changed"
	if o.List()[0].ID != "msg_1" {
		t.Fatal("List exposed the internal slice")
	}
}
