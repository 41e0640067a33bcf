package store

import (
	"context"
	"time"

	"github.com/portalhq/portal/internal/admin"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/session"
)

// The Backend API's clients (GET /v1/clients…): admin.ClientRepo.

// ListClients returns one page of every client, newest first.
func (q *Q) ListClients(ctx context.Context, limit, offset int) ([]session.Client, error) {
	rows, err := q.query(ctx, `SELECT id, created_at, updated_at, handoff, previous_id, last_strategy FROM clients
		ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`, limit, offset)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []session.Client
	for rows.Next() {
		var (
			c    session.Client
			a, b int64
		)
		if err := rows.Scan(&c.ID, &a, &b, &c.Handoff, &c.PreviousID, &c.LastStrategy); err != nil {
			return nil, err
		}
		c.CreatedAt, c.UpdatedAt = fromMS(a), fromMS(b)
		out = append(out, c)
	}
	return out, rows.Err()
}

// CountClients counts every client.
func (q *Q) CountClients(ctx context.Context) (int, error) {
	return q.count(ctx, `SELECT COUNT(*) FROM clients`)
}

// SessionsOfClients returns the sessions of the clients ids, in any status,
// newest first. ids is one page of a list at most (admin.MaxLimit).
func (q *Q) SessionsOfClients(ctx context.Context, ids []string) ([]session.Session, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	return q.adhoc().sessions(ctx, `SELECT `+sessionCols+` FROM sessions WHERE client_id IN (`+placeholders(len(ids))+`)
		ORDER BY created_at DESC, id DESC`, anys(ids)...)
}

// OpenFlowsOfClients returns the sign-ins and sign-ups of the clients ids
// still under way at now (neither finished nor expired), newest first.
func (q *Q) OpenFlowsOfClients(ctx context.Context, ids []string, now time.Time) ([]admin.ClientFlow, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := append(anys(ids), flow.Complete, flow.Abandoned, ms(now))
	rows, err := q.adhoc().query(ctx, `SELECT client_id, kind, id FROM flows WHERE client_id IN (`+placeholders(len(ids))+`)
		AND status NOT IN (?, ?) AND expire_at > ? ORDER BY created_at DESC, id DESC`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []admin.ClientFlow
	for rows.Next() {
		var f admin.ClientFlow
		if err := rows.Scan(&f.ClientID, &f.Kind, &f.ID); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
