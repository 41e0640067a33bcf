package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/portalhq/portal/internal/webhook"
)

const endpointCols = `id, url, description, secret, previous_secret, previous_secret_until, event_types,
	disabled, disabled_reason, failing_since, created_at, updated_at`

// CreateWebhookEndpoint inserts an endpoint.
func (q *Q) CreateWebhookEndpoint(ctx context.Context, e webhook.Endpoint) error {
	_, err := q.exec(ctx, `INSERT INTO webhook_endpoints (`+endpointCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`,
		e.ID, e.URL, e.Description, e.Secret, e.PreviousSecret, msPtr(e.PreviousSecretUntil),
		strings.Join(e.EventTypes, ","), e.Disabled, e.DisabledReason, msPtr(e.FailingSince),
		ms(e.CreatedAt), ms(e.UpdatedAt))
	if isUnique(err) {
		return ErrConflict
	}
	return err
}

// WebhookEndpoint returns an endpoint.
func (q *Q) WebhookEndpoint(ctx context.Context, id string) (*webhook.Endpoint, error) {
	return scanEndpoint(q.row(ctx, `SELECT `+endpointCols+` FROM webhook_endpoints WHERE id = ?`, id))
}

// WebhookEndpoints lists every endpoint, oldest first.
func (q *Q) WebhookEndpoints(ctx context.Context) ([]webhook.Endpoint, error) {
	rows, err := q.query(ctx, `SELECT `+endpointCols+` FROM webhook_endpoints ORDER BY created_at, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []webhook.Endpoint{}
	for rows.Next() {
		e, err := scanEndpoint(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *e)
	}
	return out, rows.Err()
}

// UpdateWebhookEndpoint writes every field of e but its ID and creation time.
func (q *Q) UpdateWebhookEndpoint(ctx context.Context, e webhook.Endpoint) error {
	return q.expectOne(q.exec(ctx, `UPDATE webhook_endpoints SET url = ?, description = ?, secret = ?,
			previous_secret = ?, previous_secret_until = ?, event_types = ?, disabled = ?, disabled_reason = ?,
			failing_since = ?, updated_at = ? WHERE id = ?`,
		e.URL, e.Description, e.Secret, e.PreviousSecret, msPtr(e.PreviousSecretUntil), strings.Join(e.EventTypes, ","),
		e.Disabled, e.DisabledReason, msPtr(e.FailingSince), ms(e.UpdatedAt), e.ID))
}

// DeleteWebhookEndpoint removes an endpoint with its deliveries and attempts.
func (q *Q) DeleteWebhookEndpoint(ctx context.Context, id string) error {
	return q.atomic(ctx, func(q *Q) error {
		// Spelled out rather than left to ON DELETE CASCADE, which SQLite
		// applies only with foreign_keys on.
		if _, err := q.exec(ctx, `DELETE FROM webhook_attempts WHERE endpoint_id = ?`, id); err != nil {
			return err
		}
		if _, err := q.exec(ctx, `DELETE FROM webhook_deliveries WHERE endpoint_id = ?`, id); err != nil {
			return err
		}
		return q.expectOne(q.exec(ctx, `DELETE FROM webhook_endpoints WHERE id = ?`, id))
	})
}

func scanEndpoint(r scanner) (*webhook.Endpoint, error) {
	var (
		e                webhook.Endpoint
		prevUntil, fail  sql.NullInt64
		types            string
		created, updated int64
	)
	err := r.Scan(&e.ID, &e.URL, &e.Description, &e.Secret, &e.PreviousSecret, &prevUntil, &types,
		&e.Disabled, &e.DisabledReason, &fail, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if types != "" {
		e.EventTypes = strings.Split(types, ",")
	}
	e.PreviousSecretUntil, e.FailingSince = fromNullMS(prevUntil), fromNullMS(fail)
	e.CreatedAt, e.UpdatedAt = fromMS(created), fromMS(updated)
	return &e, nil
}

const deliveryCols = `d.endpoint_id, d.event_id, d.event_seq, d.event_type, d.object_id, d.status, d.tries, d.attempts,
	d.next_attempt_at, d.last_attempt_at, d.last_status_code, d.last_error, d.created_at, d.updated_at`

// DueWebhookDeliveries lists what a worker should send at now: pending,
// due, not leased, for an enabled endpoint not being spared (throttled),
// and not behind an earlier pending delivery about the same object to the
// same endpoint (so each object's events arrive in order). Oldest event
// first.
func (q *Q) DueWebhookDeliveries(ctx context.Context, now time.Time, limit int) ([]webhook.Delivery, error) {
	return q.deliveries(ctx, `SELECT `+deliveryCols+` FROM webhook_deliveries d
		JOIN webhook_endpoints e ON e.id = d.endpoint_id
		WHERE d.status = 'pending' AND d.next_attempt_at <= ? AND (d.lease_until IS NULL OR d.lease_until <= ?)
			AND e.disabled = ? AND (e.throttled_until IS NULL OR e.throttled_until <= ?)
			AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p WHERE p.endpoint_id = d.endpoint_id
				AND p.object_id = d.object_id AND p.event_seq < d.event_seq AND p.status = 'pending')
		ORDER BY d.event_seq LIMIT ?`, ms(now), ms(now), false, ms(now), limit)
}

// LeaseWebhookDelivery claims a pending delivery until until when it is
// still due at now and its endpoint is not being spared, unless another
// worker holds an unexpired lease on it: a worker acting on a list it read
// earlier does not send what was rescheduled or throttled meanwhile.
func (q *Q) LeaseWebhookDelivery(ctx context.Context, endpointID, eventID string, now, until time.Time) (bool, error) {
	res, err := q.exec(ctx, `UPDATE webhook_deliveries SET lease_until = ?
		WHERE endpoint_id = ? AND event_id = ? AND status = 'pending' AND next_attempt_at <= ?
			AND (lease_until IS NULL OR lease_until <= ?)
			AND NOT EXISTS (SELECT 1 FROM webhook_endpoints e
				WHERE e.id = webhook_deliveries.endpoint_id AND e.throttled_until > ?)`,
		ms(until), endpointID, eventID, ms(now), ms(now), ms(now))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// WebhookDelivery returns one delivery.
func (q *Q) WebhookDelivery(ctx context.Context, endpointID, eventID string) (*webhook.Delivery, error) {
	list, err := q.deliveries(ctx, `SELECT `+deliveryCols+` FROM webhook_deliveries d
		WHERE d.endpoint_id = ? AND d.event_id = ?`, endpointID, eventID)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, ErrNotFound
	}
	return &list[0], nil
}

// WebhookDeliveries lists an endpoint's latest deliveries, newest first.
func (q *Q) WebhookDeliveries(ctx context.Context, endpointID string, limit, offset int) ([]webhook.Delivery, error) {
	return q.deliveries(ctx, `SELECT `+deliveryCols+` FROM webhook_deliveries d
		WHERE d.endpoint_id = ? ORDER BY d.event_seq DESC LIMIT ? OFFSET ?`, endpointID, limit, offset)
}

// CountWebhookDeliveries counts an endpoint's deliveries.
func (q *Q) CountWebhookDeliveries(ctx context.Context, endpointID string) (int, error) {
	return q.count(ctx, `SELECT COUNT(*) FROM webhook_deliveries WHERE endpoint_id = ?`, endpointID)
}

// ThrottleWebhookEndpoint spares the endpoint until until, or until a later
// time another answer asked for: a short pause recorded after a long
// Retry-After (two workers, two deliveries) does not cut it. Only this
// column is written, so an operator's change at the same moment is kept.
func (q *Q) ThrottleWebhookEndpoint(ctx context.Context, endpointID string, until time.Time) error {
	return q.expectOne(q.exec(ctx, `UPDATE webhook_endpoints
		SET throttled_until = CASE WHEN throttled_until IS NULL OR throttled_until < ? THEN ? ELSE throttled_until END
		WHERE id = ?`, ms(until), ms(until), endpointID))
}

// SaveWebhookDelivery writes the state of a delivery and clears its lease.
func (q *Q) SaveWebhookDelivery(ctx context.Context, d webhook.Delivery) error {
	return q.expectOne(q.exec(ctx, `UPDATE webhook_deliveries SET status = ?, tries = ?, attempts = ?,
			next_attempt_at = ?, lease_until = NULL, last_attempt_at = ?, last_status_code = ?, last_error = ?,
			updated_at = ? WHERE endpoint_id = ? AND event_id = ?`,
		d.Status, d.Tries, d.Attempts, msPtr(d.NextAttemptAt), msPtr(d.LastAttemptAt), d.LastStatusCode,
		truncateText(d.LastError, 1024), ms(d.UpdatedAt), d.EndpointID, d.EventID))
}

func (q *Q) deliveries(ctx context.Context, query string, args ...any) ([]webhook.Delivery, error) {
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []webhook.Delivery{}
	for rows.Next() {
		var (
			d                webhook.Delivery
			next, last       sql.NullInt64
			created, updated int64
		)
		if err := rows.Scan(&d.EndpointID, &d.EventID, &d.EventSeq, &d.EventType, &d.ObjectID, &d.Status, &d.Tries,
			&d.Attempts, &next, &last, &d.LastStatusCode, &d.LastError, &created, &updated); err != nil {
			return nil, err
		}
		d.NextAttemptAt, d.LastAttemptAt = fromNullMS(next), fromNullMS(last)
		d.CreatedAt, d.UpdatedAt = fromMS(created), fromMS(updated)
		out = append(out, d)
	}
	return out, rows.Err()
}

// InsertWebhookAttempt records one request of a delivery.
func (q *Q) InsertWebhookAttempt(ctx context.Context, a webhook.Attempt) error {
	_, err := q.exec(ctx, `INSERT INTO webhook_attempts (id, endpoint_id, event_id, attempted_at, status_code, error,
			response, duration_ms) VALUES (?,?,?,?,?,?,?,?)`,
		a.ID, a.EndpointID, a.EventID, ms(a.AttemptedAt), a.StatusCode, truncateText(a.Error, 1024),
		truncateText(a.Response, 1024), a.Duration.Milliseconds())
	return err
}

// WebhookAttempts lists a delivery's attempts, oldest first.
func (q *Q) WebhookAttempts(ctx context.Context, endpointID, eventID string) ([]webhook.Attempt, error) {
	rows, err := q.query(ctx, `SELECT id, endpoint_id, event_id, attempted_at, status_code, error, response, duration_ms
		FROM webhook_attempts WHERE endpoint_id = ? AND event_id = ? ORDER BY attempted_at, id`, endpointID, eventID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []webhook.Attempt{}
	for rows.Next() {
		var (
			a       webhook.Attempt
			at, dur int64
		)
		if err := rows.Scan(&a.ID, &a.EndpointID, &a.EventID, &at, &a.StatusCode, &a.Error, &a.Response, &dur); err != nil {
			return nil, err
		}
		a.AttemptedAt, a.Duration = fromMS(at), time.Duration(dur)*time.Millisecond
		out = append(out, a)
	}
	return out, rows.Err()
}

// truncateText keeps at most n bytes without splitting a UTF-8 sequence.
func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
