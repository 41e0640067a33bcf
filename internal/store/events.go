package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/portalhq/portal/internal/events"
)

// InsertEvent appends an event to the outbox; call it inside the
// transaction of the change it describes.
//
// In the same transaction it queues one webhook delivery per enabled
// endpoint that subscribes to the event's type. Webhooks therefore never
// read the outbox with a cursor: on PostgreSQL sequence numbers are taken
// before commit, so a transaction that commits late makes a lower seq
// appear after a higher one, and a reader that had moved past it would skip
// it for ever. A delivery row exists exactly when its event does.
func (q *Q) InsertEvent(ctx context.Context, e events.Event) error {
	if e.Request == (events.Request{}) {
		e.Request = events.RequestOf(ctx)
	}
	return q.atomic(ctx, func(q *Q) error {
		var seq int64
		err := q.row(ctx, `INSERT INTO events (id, type, object_id, data, created_at, client_ip, user_agent)
			VALUES (?,?,?,?,?,?,?) RETURNING seq`,
			e.ID, e.Type, e.ObjectID, string(e.Data), ms(e.CreatedAt), e.Request.ClientIP, e.Request.UserAgent).Scan(&seq)
		if err != nil {
			return err
		}
		// Deliveries are due at once: the first attempt is immediate.
		_, err = q.exec(ctx, `INSERT INTO webhook_deliveries (endpoint_id, event_id, event_seq, event_type, object_id,
				status, next_attempt_at, created_at, updated_at)
			SELECT id, ?, ?, ?, ?, 'pending', ?, ?, ? FROM webhook_endpoints
			WHERE disabled = ? AND (event_types = '' OR `+q.containsType()+`)`,
			e.ID, seq, e.Type, e.ObjectID, ms(e.CreatedAt), ms(e.CreatedAt), ms(e.CreatedAt), false, e.Type)
		return err
	})
}

// containsType matches the last placeholder against the comma-separated
// event_types column, whole entries only.
func (q *Q) containsType() string {
	if q.d == Postgres {
		return `strpos(',' || event_types || ',', ',' || ? || ',') > 0`
	}
	return `instr(',' || event_types || ',', ',' || ? || ',') > 0`
}

// EventsAfter lists events with seq > after, oldest first. It is not a safe
// cursor on PostgreSQL (see InsertEvent): use it for reading history, not
// for consuming the outbox.
func (q *Q) EventsAfter(ctx context.Context, after int64, limit int) ([]events.Event, error) {
	return q.events(ctx, `SELECT `+eventCols+` FROM events WHERE seq > ? ORDER BY seq LIMIT ?`, after, limit)
}

// EventsOfObject lists the events about one object, oldest first.
func (q *Q) EventsOfObject(ctx context.Context, objectID string) ([]events.Event, error) {
	return q.events(ctx, `SELECT `+eventCols+` FROM events WHERE object_id = ? ORDER BY seq`, objectID)
}

const eventCols = `seq, id, type, object_id, data, created_at, client_ip, user_agent`

func (q *Q) events(ctx context.Context, query string, args ...any) ([]events.Event, error) {
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []events.Event
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *e)
	}
	return out, rows.Err()
}

func scanEvent(r scanner) (*events.Event, error) {
	var (
		e    events.Event
		data []byte
		at   int64
	)
	if err := r.Scan(&e.Seq, &e.ID, &e.Type, &e.ObjectID, &data, &at, &e.Request.ClientIP, &e.Request.UserAgent); err != nil {
		return nil, err
	}
	e.Data, e.CreatedAt = data, fromMS(at)
	return &e, nil
}

// EventBySeq returns one event.
func (q *Q) EventBySeq(ctx context.Context, seq int64) (*events.Event, error) {
	e, err := scanEvent(q.row(ctx, `SELECT `+eventCols+` FROM events WHERE seq = ?`, seq))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return e, err
}
