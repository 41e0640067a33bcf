package notify

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/id"
)

// Outbox channels.
const (
	ChannelEmail = "email"
	ChannelSMS   = "sms"
)

// OutboxMessage is a message captured by the dev outbox instead of being sent.
type OutboxMessage struct {
	ID        string // msg_…
	Channel   string // ChannelEmail or ChannelSMS
	To        string
	Subject   string
	Text      string
	HTML      string
	CreatedAt time.Time
}

// OutboxStore keeps captured messages, e.g. for the /dev/outbox page.
type OutboxStore interface {
	SaveOutbox(ctx context.Context, m OutboxMessage) error
}

// DevOutbox is the development Mailer: nothing leaves the machine.
//
// It logs each message's text body, codes and links included, at INFO. That
// is its purpose — the developer reads the sign-in code from the log — and
// why production mode refuses to start with the dev outbox configured.
type DevOutbox struct {
	store OutboxStore
	log   *slog.Logger
	clock clockwork.Clock
}

// NewDevOutbox returns a DevOutbox saving into store and logging to log.
func NewDevOutbox(store OutboxStore, log *slog.Logger, clock clockwork.Clock) *DevOutbox {
	return &DevOutbox{store: store, log: log, clock: clock}
}

// SendEmail applies the same header checks as SMTP, so development shows the
// failures production would have, then stores and logs m.
func (d *DevOutbox) SendEmail(ctx context.Context, m Email) error {
	to, err := recipient(m)
	if err != nil {
		return err
	}
	msg := OutboxMessage{
		ID:        id.New(id.Message),
		Channel:   ChannelEmail,
		To:        to,
		Subject:   m.Subject,
		Text:      m.Text,
		HTML:      m.HTML,
		CreatedAt: d.clock.Now(),
	}
	if err := d.store.SaveOutbox(ctx, msg); err != nil {
		return fmt.Errorf("notify: dev outbox: %w", err)
	}
	d.log.InfoContext(ctx, "dev outbox: email",
		"id", msg.ID, "to", to, "subject", m.Subject, "text", m.Text)
	return nil
}

// MemoryOutbox is an OutboxStore in memory, for tests and as a fallback when
// no database store is wired. The zero value is ready to use.
type MemoryOutbox struct {
	mu   sync.Mutex
	msgs []OutboxMessage
}

// SaveOutbox appends m.
func (o *MemoryOutbox) SaveOutbox(_ context.Context, m OutboxMessage) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.msgs = append(o.msgs, m)
	return nil
}

// List returns a copy of the saved messages, oldest first.
func (o *MemoryOutbox) List() []OutboxMessage {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.msgs)
}
