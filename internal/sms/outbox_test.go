package sms_test

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

	"github.com/portalhq/portal/internal/notify"
	"github.com/portalhq/portal/internal/sms"
)

func TestDevOutboxStoresAndLogs(t *testing.T) {
	var logBuf bytes.Buffer
	clock := clockwork.NewFakeClockAt(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
	store := &notify.MemoryOutbox{}
	var s sms.Sender = sms.NewDevOutbox(store, slog.New(slog.NewJSONHandler(&logBuf, nil)), clock)

	if err := s.SendSMS(context.Background(), sms.Message{To: ada, Body: "Your code is 123456\r\nBye"}); err != nil {
		t.Fatal(err)
	}
	msgs := store.List()
	if len(msgs) != 1 {
		t.Fatalf("%d stored messages", len(msgs))
	}
	m := msgs[0]
	if !strings.HasPrefix(m.ID, "msg_") || m.Channel != notify.ChannelSMS || m.To != ada ||
		m.Text != "Your code is 123456\nBye" || m.Subject != "" || m.HTML != "" || !m.CreatedAt.Equal(clock.Now()) {
		t.Errorf("stored %+v", m)
	}

	lines := strings.Split(strings.TrimSpace(logBuf.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("%d log lines: %s", len(lines), logBuf.String())
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatal(err)
	}
	if rec["level"] != "INFO" || rec["msg"] != "dev outbox: sms" || rec["to"] != ada ||
		rec["text"] != "Your code is 123456\nBye" || rec["id"] != m.ID {
		t.Errorf("log record %v", rec)
	}
}

func TestDevOutboxRefusesWhatTwilioWould(t *testing.T) {
	store := &notify.MemoryOutbox{}
	var logBuf bytes.Buffer
	s := sms.NewDevOutbox(store, slog.New(slog.NewTextHandler(&logBuf, nil)), clockwork.NewFakeClock())
	if err := s.SendSMS(context.Background(), sms.Message{To: ada, Body: "x\x1b[2Jy"}); !errors.Is(err, sms.ErrInvalidMessage) {
		t.Errorf("got %v", err)
	}
	if len(store.List()) != 0 || logBuf.Len() != 0 {
		t.Error("refused message was stored or logged")
	}
}

type failingStore struct{}

func (failingStore) SaveOutbox(context.Context, notify.OutboxMessage) error {
	return errors.New("disk full")
}

func TestDevOutboxReportsStoreFailure(t *testing.T) {
	s := sms.NewDevOutbox(failingStore{}, slog.New(slog.DiscardHandler), clockwork.NewFakeClock())
	if err := s.SendSMS(context.Background(), sms.Message{To: ada, Body: "hi"}); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("got %v", err)
	}
}
