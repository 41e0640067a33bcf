package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/portalhq/portal/internal/flow"
)

const flowCols = `id, kind, client_id, status, user_id, identifier, data, redirect_url, session_id,
	created_at, updated_at, expire_at, version`

// CreateFlow inserts a new flow.
func (q *Q) CreateFlow(ctx context.Context, f *flow.Flow) error {
	_, err := q.exec(ctx, `INSERT INTO flows (`+flowCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		f.ID, f.Kind, f.ClientID, f.Status, f.UserID, f.Identifier, f.Data.Encode(), f.RedirectURL, f.SessionID,
		ms(f.CreatedAt), ms(f.UpdatedAt), ms(f.ExpireAt), f.Version)
	return err
}

// FlowByID returns a flow.
func (q *Q) FlowByID(ctx context.Context, id string) (*flow.Flow, error) {
	f, err := scanFlow(q.row(ctx, `SELECT `+flowCols+` FROM flows WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return f, err
}

func scanFlow(r scanner) (*flow.Flow, error) {
	var (
		f                     flow.Flow
		data                  string
		created, updated, exp int64
	)
	err := r.Scan(&f.ID, &f.Kind, &f.ClientID, &f.Status, &f.UserID, &f.Identifier, &data, &f.RedirectURL,
		&f.SessionID, &created, &updated, &exp, &f.Version)
	if err != nil {
		return nil, err
	}
	if f.Data, err = flow.DecodeData(data); err != nil {
		return nil, err
	}
	f.CreatedAt, f.UpdatedAt, f.ExpireAt = fromMS(created), fromMS(updated), fromMS(exp)
	return &f, nil
}

// CreateFlowOnce stores f unless a flow of its kind that its client created
// since then satisfies same (flow.OnceCreator). The client's starts take
// turns: on PostgreSQL an advisory lock named after the client, held to the
// end of the transaction, so two portals behind a load balancer queue too;
// SQLite transactions hold the database's write lock from their start.
func (q *Q) CreateFlowOnce(ctx context.Context, f *flow.Flow, since time.Time, same func(*flow.Flow) bool) (*flow.Flow, bool, error) {
	var got *flow.Flow
	err := q.atomic(ctx, func(q *Q) error {
		if err := q.LockName(ctx, "flow start "+f.ClientID); err != nil {
			return err
		}
		rows, err := q.query(ctx, `SELECT `+flowCols+` FROM flows
			WHERE client_id = ? AND kind = ? AND created_at >= ? ORDER BY created_at DESC, id DESC`,
			f.ClientID, f.Kind, ms(since))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			o, err := scanFlow(rows)
			if err != nil {
				return err
			}
			if same(o) {
				got = o
				return nil
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows.Close()
		return q.CreateFlow(ctx, f)
	})
	if err != nil {
		return nil, false, err
	}
	if got != nil {
		return got, false, nil
	}
	return f, true, nil
}

// RecentFlows returns the flows of kind that clientID created at or after
// since, newest first (flow.RecentLister).
func (q *Q) RecentFlows(ctx context.Context, clientID, kind string, since time.Time) ([]*flow.Flow, error) {
	rows, err := q.query(ctx, `SELECT `+flowCols+` FROM flows
		WHERE client_id = ? AND kind = ? AND created_at >= ? ORDER BY created_at DESC, id DESC`,
		clientID, kind, ms(since))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*flow.Flow
	for rows.Next() {
		f, err := scanFlow(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// UpdateFlow saves f when nobody changed it since it was read (its Version),
// and bumps the version. A lost race is ErrConflict: the step is not applied
// twice. The expiry only moves later: a code sent meanwhile may have
// extended it (InsertVerificationOnce).
func (q *Q) UpdateFlow(ctx context.Context, f *flow.Flow) error {
	res, err := q.exec(ctx, `UPDATE flows SET status = ?, user_id = ?, identifier = ?, data = ?,
		redirect_url = ?, session_id = ?, updated_at = ?,
		expire_at = CASE WHEN expire_at > ? THEN expire_at ELSE ? END, version = version + 1
		WHERE id = ? AND version = ?`, f.Status, f.UserID, f.Identifier, f.Data.Encode(), f.RedirectURL,
		f.SessionID, ms(f.UpdatedAt), ms(f.ExpireAt), ms(f.ExpireAt), f.ID, f.Version)
	if err := matchedOne(res, err, nil); err != nil {
		return err
	}
	f.Version++
	return nil
}

// DeleteExpiredFlows removes flows that ended before now, and verifications
// older than a day (they are kept that long for the daily send caps).
func (q *Q) DeleteExpiredFlows(ctx context.Context, now time.Time) (int64, error) {
	if _, err := q.exec(ctx, `DELETE FROM verifications WHERE created_at < ?`, ms(now.Add(-25*time.Hour))); err != nil {
		return 0, err
	}
	res, err := q.exec(ctx, `DELETE FROM flows WHERE expire_at < ?`, ms(now))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// InsertVerification stores a code's hash.
func (q *Q) InsertVerification(ctx context.Context, v flow.Verification) error {
	if v.Channel == "" {
		v.Channel = flow.Channel(v.Strategy)
	}
	_, err := q.exec(ctx, `INSERT INTO verifications (id, flow_id, strategy, channel, target, ip, secret_hash, attempts,
		created_at, expire_at, consumed_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)`, v.ID, v.FlowID, v.Strategy, v.Channel,
		v.Target, v.IP, v.SecretHash, v.Attempts, ms(v.CreatedAt), ms(v.ExpireAt), msPtr(v.ConsumedAt))
	return err
}

// InsertVerificationOnce stores v unless v's flow has a verification of
// v's strategy created after since (flow.CodeStore). Concurrent calls for
// one flow take turns: a PostgreSQL advisory lock, SQLite's write lock.
func (q *Q) InsertVerificationOnce(ctx context.Context, v flow.Verification, since time.Time) (bool, error) {
	inserted := false
	err := q.atomic(ctx, func(q *Q) error {
		if err := q.LockName(ctx, "verification "+v.FlowID+" "+v.Strategy); err != nil {
			return err
		}
		var n int
		if err := q.row(ctx, `SELECT COUNT(*) FROM verifications WHERE flow_id = ? AND strategy = ? AND created_at > ?`,
			v.FlowID, v.Strategy, ms(since)).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		inserted = true
		if err := q.InsertVerification(ctx, v); err != nil {
			return err
		}
		// The flow lives at least as long as the code or link it sent, so
		// that "it expires in 10 minutes" holds for one sent late in the
		// flow's half hour.
		_, err := q.exec(ctx, `UPDATE flows SET expire_at = ? WHERE id = ? AND expire_at < ?`,
			ms(v.ExpireAt), v.FlowID, ms(v.ExpireAt))
		return err
	})
	return inserted && err == nil, err
}

const verificationCols = `id, flow_id, strategy, channel, target, ip, secret_hash, attempts, created_at, expire_at, consumed_at`

func scanVerification(r scanner) (*flow.Verification, error) {
	var (
		v            flow.Verification
		created, exp int64
		consumed     sql.NullInt64
	)
	err := r.Scan(&v.ID, &v.FlowID, &v.Strategy, &v.Channel, &v.Target, &v.IP, &v.SecretHash, &v.Attempts,
		&created, &exp, &consumed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	v.CreatedAt, v.ExpireAt, v.ConsumedAt = fromMS(created), fromMS(exp), fromNullMS(consumed)
	return &v, nil
}

// DeleteVerification removes one verification.
func (q *Q) DeleteVerification(ctx context.Context, id string) error {
	_, err := q.exec(ctx, `DELETE FROM verifications WHERE id = ?`, id)
	return err
}

// VerificationByHash finds a verification by its secret's hash (links), or nil.
func (q *Q) VerificationByHash(ctx context.Context, hash string) (*flow.Verification, error) {
	return scanVerification(q.row(ctx, `SELECT `+verificationCols+` FROM verifications WHERE secret_hash = ?`, hash))
}

// CountSends counts verifications created since q.Since matching q's
// non-empty fields (the send caps).
func (q *Q) CountSends(ctx context.Context, sq flow.SendQuery) (int, error) {
	query, args := `SELECT COUNT(*) FROM verifications WHERE created_at >= ?`, []any{ms(sq.Since)}
	for _, c := range []struct{ col, v string }{{"channel", sq.Channel}, {"target", sq.Target}, {"ip", sq.IP}} {
		if c.v != "" {
			query += " AND " + c.col + " = ?"
			args = append(args, c.v)
		}
	}
	var n int
	err := q.row(ctx, query, args...).Scan(&n)
	return n, err
}

// LatestVerification returns the newest verification of a flow for a
// strategy, or nil when there is none.
func (q *Q) LatestVerification(ctx context.Context, flowID, strategy string) (*flow.Verification, error) {
	return scanVerification(q.row(ctx, `SELECT `+verificationCols+` FROM verifications
		WHERE flow_id = ? AND strategy = ? ORDER BY created_at DESC, id DESC LIMIT 1`, flowID, strategy))
}

// CountVerificationAttempt adds a failed attempt unless max was reached.
func (q *Q) CountVerificationAttempt(ctx context.Context, id string, max int) (bool, error) {
	res, err := q.exec(ctx, `UPDATE verifications SET attempts = attempts + 1
		WHERE id = ? AND attempts < ? AND consumed_at IS NULL`, id, max)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ConsumeVerification marks a verification used, once.
func (q *Q) ConsumeVerification(ctx context.Context, id string, at time.Time) (bool, error) {
	res, err := q.exec(ctx, `UPDATE verifications SET consumed_at = ? WHERE id = ? AND consumed_at IS NULL`, ms(at), id)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
