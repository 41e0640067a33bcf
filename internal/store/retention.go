package store

import (
	"context"
	"time"
)

// pruneBatch bounds each delete, so that pruning a large backlog never
// holds the write lock for long.
const pruneBatch = 500

// PruneBefore deletes what is older than before and no longer needed:
// webhook deliveries that are done (succeeded or given up; their attempts
// go with them by cascade), then events no delivery still waits on, then
// the messages the development outbox captured, then sign-in tokens used,
// revoked or expired before it (their hashes serve nothing then), and the
// notes of what organizations removed (after that, pressing Remove again
// reads "not found"), and the invitation tickets replaced by links that
// expired before it (after that, an older email's link no longer says a
// newer one was sent: the newer one is dead too). A pending delivery keeps its event, however old. It
// returns how many rows went.
func (q *Q) PruneBefore(ctx context.Context, before time.Time) (int64, error) {
	steps := []string{
		`DELETE FROM webhook_deliveries WHERE (endpoint_id, event_id) IN (SELECT endpoint_id, event_id
			FROM webhook_deliveries WHERE created_at < ? AND status <> 'pending' LIMIT ?)`,
		`DELETE FROM events WHERE seq IN (SELECT seq FROM events e WHERE e.created_at < ?
			AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id) LIMIT ?)`,
		`DELETE FROM outbox_messages WHERE id IN (SELECT id FROM outbox_messages WHERE created_at < ? LIMIT ?)`,
		`DELETE FROM sign_in_tokens WHERE id IN (SELECT id FROM sign_in_tokens
			WHERE CASE WHEN status = 'pending' THEN expires_at ELSE updated_at END < ? LIMIT ?)`,
		`DELETE FROM organization_removals WHERE id IN (SELECT id FROM organization_removals
			WHERE removed_at < ? LIMIT ?)`,
		`DELETE FROM organization_invitation_replaced_tickets WHERE ticket_hash IN (SELECT ticket_hash
			FROM organization_invitation_replaced_tickets WHERE expire_at < ? LIMIT ?)`,
	}
	var total int64
	for _, step := range steps {
		for {
			res, err := q.exec(ctx, step, ms(before), pruneBatch)
			if err != nil {
				return total, err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return total, err
			}
			total += n
			if n < pruneBatch {
				break
			}
			if err := ctx.Err(); err != nil {
				return total, err
			}
		}
	}
	return total, nil
}
