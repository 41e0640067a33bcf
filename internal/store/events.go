package store

import (
	"context"

	"github.com/portalhq/portal/internal/events"
)

// InsertEvent appends an event to the outbox; call it inside the
// transaction of the change it describes.
func (q *Q) InsertEvent(ctx context.Context, e events.Event) error {
	_, err := q.exec(ctx, `INSERT INTO events (id, type, object_id, data, created_at) VALUES (?,?,?,?,?)`,
		e.ID, e.Type, e.ObjectID, string(e.Data), ms(e.CreatedAt))
	return err
}

// EventsAfter lists events with seq > after, oldest first.
func (q *Q) EventsAfter(ctx context.Context, after int64, limit int) ([]events.Event, error) {
	rows, err := q.query(ctx, `SELECT seq, id, type, object_id, data, created_at FROM events
		WHERE seq > ? ORDER BY seq LIMIT ?`, after, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []events.Event
	for rows.Next() {
		var (
			e    events.Event
			data []byte
			at   int64
		)
		if err := rows.Scan(&e.Seq, &e.ID, &e.Type, &e.ObjectID, &data, &at); err != nil {
			return nil, err
		}
		e.Data, e.CreatedAt = data, fromMS(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// EventsOfObject lists the events about one object, oldest first.
func (q *Q) EventsOfObject(ctx context.Context, objectID string) ([]events.Event, error) {
	rows, err := q.query(ctx, `SELECT seq, id, type, object_id, data, created_at FROM events
		WHERE object_id = ? ORDER BY seq`, objectID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []events.Event
	for rows.Next() {
		var (
			e    events.Event
			data []byte
			at   int64
		)
		if err := rows.Scan(&e.Seq, &e.ID, &e.Type, &e.ObjectID, &data, &at); err != nil {
			return nil, err
		}
		e.Data, e.CreatedAt = data, fromMS(at)
		out = append(out, e)
	}
	return out, rows.Err()
}
