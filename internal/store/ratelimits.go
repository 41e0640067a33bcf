package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// TakeRate spends one request of key's shared allowance at now, by the same
// GCRA rule as the in-memory limiter (ratelimit.Shared): the allowance is
// spent only when the key's theoretical arrival time, moved on by step, stays
// within per of now. One statement does the check and the spending, so
// concurrent callers on any number of machines never overspend. When it
// refuses, retryAfter is how long until one more request would pass.
func (q *Q) TakeRate(ctx context.Context, key string, now, step, per int64) (ok bool, retryAfter time.Duration, err error) {
	var tat int64
	err = q.row(ctx, `INSERT INTO rate_limits (key, tat) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET tat = (CASE WHEN rate_limits.tat < ? THEN ? ELSE rate_limits.tat END) + ?
		WHERE (CASE WHEN rate_limits.tat < ? THEN ? ELSE rate_limits.tat END) + ? - ? <= ?
		RETURNING tat`,
		key, now+step, now, now, step, now, now, step, now, per).Scan(&tat)
	if err == nil {
		return true, 0, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return false, 0, err
	}
	// Refused: say how long until the allowance has room for one more.
	if err := q.row(ctx, `SELECT tat FROM rate_limits WHERE key = ?`, key).Scan(&tat); err != nil {
		return false, 0, err
	}
	over := max(tat, now) + step - now - per
	if over <= 0 { // earned back in between: the next try passes
		over = 1
	}
	return false, time.Duration(over), nil
}

// PeekRate answers what TakeRate would at now without spending: whether
// one more request of key would pass and, if not, how long until one would.
// A limit that counts only failures asks it before the attempt and spends
// with TakeRate after the attempt fails.
func (q *Q) PeekRate(ctx context.Context, key string, now, step, per int64) (ok bool, retryAfter time.Duration, err error) {
	var tat int64
	err = q.row(ctx, `SELECT tat FROM rate_limits WHERE key = ?`, key).Scan(&tat)
	if errors.Is(err, sql.ErrNoRows) {
		return true, 0, nil
	}
	if err != nil {
		return false, 0, err
	}
	if over := max(tat, now) + step - now - per; over > 0 {
		return false, time.Duration(over), nil
	}
	return true, 0, nil
}

// DeleteSpentRates deletes the shared rate-limit state that is worth nothing
// any more: keys whose allowance is full again at now.
func (q *Q) DeleteSpentRates(ctx context.Context, now time.Time) (int64, error) {
	res, err := q.exec(ctx, `DELETE FROM rate_limits WHERE tat <= ?`, now.UnixNano())
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// Mark keeps key until then in the shared rate-limit state, where
// DeleteSpentRates drops it once then has passed: one request's note for
// another that may run on another machine, such as a bot-protection
// check passed for a form whose second press (a double click) finds the
// token spent. key must not be a rate limit's (those are SHA-256 hex of
// namespaced keys: use another namespace).
func (q *Q) Mark(ctx context.Context, key string, until time.Time) error {
	_, err := q.exec(ctx, `INSERT INTO rate_limits (key, tat) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET tat = excluded.tat`, key, until.UnixNano())
	return err
}

// Marked reports whether Mark kept key until after now.
func (q *Q) Marked(ctx context.Context, key string, now time.Time) (bool, error) {
	var until int64
	err := q.row(ctx, `SELECT tat FROM rate_limits WHERE key = ?`, key).Scan(&until)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil && until > now.UnixNano(), err
}
