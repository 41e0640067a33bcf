package sms

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/notify"
)

// DevOutbox is the development Sender: nothing leaves the machine.
//
// It logs each message's body, codes included, at INFO, so the developer
// reads the code from the log; production mode refuses to start with it.
type DevOutbox struct {
	store notify.OutboxStore
	log   *slog.Logger
	clock clockwork.Clock
}

var _ Sender = (*DevOutbox)(nil)

// NewDevOutbox returns a DevOutbox saving into store and logging to log.
func NewDevOutbox(store notify.OutboxStore, log *slog.Logger, clock clockwork.Clock) *DevOutbox {
	return &DevOutbox{store: store, log: log, clock: clock}
}

// SendSMS checks m as Twilio's sender does, then stores and logs it.
func (d *DevOutbox) SendSMS(ctx context.Context, m Message) error {
	m, err := m.checked()
	if err != nil {
		return err
	}
	msg := notify.OutboxMessage{
		ID:        id.New(id.Message),
		Channel:   notify.ChannelSMS,
		To:        m.To,
		Text:      m.Body,
		CreatedAt: d.clock.Now(),
	}
	if err := d.store.SaveOutbox(ctx, msg); err != nil {
		return fmt.Errorf("sms: dev outbox: %w", err)
	}
	d.log.InfoContext(ctx, "dev outbox: sms", "id", msg.ID, "to", m.To, "text", m.Body)
	return nil
}
