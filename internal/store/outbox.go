package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/portalhq/portal/internal/notify"
)

// SaveOutbox keeps a message captured by the development outbox.
func (q *Q) SaveOutbox(ctx context.Context, m notify.OutboxMessage) error {
	_, err := q.exec(ctx, `INSERT INTO outbox_messages (id, channel, recipient, subject, text_body, html_body, created_at)
		VALUES (?,?,?,?,?,?,?)`, m.ID, m.Channel, m.To, m.Subject, m.Text, m.HTML, ms(m.CreatedAt))
	return err
}

// ListOutbox returns the newest captured messages first.
func (q *Q) ListOutbox(ctx context.Context, limit int) ([]notify.OutboxMessage, error) {
	rows, err := q.query(ctx, `SELECT id, channel, recipient, subject, text_body, html_body, created_at
		FROM outbox_messages ORDER BY created_at DESC, id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []notify.OutboxMessage
	for rows.Next() {
		m, err := scanOutbox(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// OutboxMessage returns one captured message; ErrNotFound when there is
// no such message (or it has been cleared away).
func (q *Q) OutboxMessage(ctx context.Context, id string) (notify.OutboxMessage, error) {
	m, err := scanOutbox(q.row(ctx, `SELECT id, channel, recipient, subject, text_body, html_body, created_at
		FROM outbox_messages WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return m, ErrNotFound
	}
	return m, err
}

func scanOutbox(r scanner) (notify.OutboxMessage, error) {
	var (
		m  notify.OutboxMessage
		at int64
	)
	if err := r.Scan(&m.ID, &m.Channel, &m.To, &m.Subject, &m.Text, &m.HTML, &at); err != nil {
		return notify.OutboxMessage{}, err
	}
	m.CreatedAt = fromMS(at)
	return m, nil
}
