package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"time"

	"github.com/portalhq/portal/internal/factors"
	"github.com/portalhq/portal/internal/user"
)

// TOTPOfUser returns the user's authenticator-app secret, confirmed or not.
func (q *Q) TOTPOfUser(ctx context.Context, userID string) (*factors.TOTP, error) {
	var (
		t                factors.TOTP
		confirmed        sql.NullInt64
		created, lastUse int64
	)
	err := q.row(ctx, `SELECT user_id, secret, confirmed_at, last_used_step, created_at FROM totp WHERE user_id = ?`,
		userID).Scan(&t.UserID, &t.Secret, &confirmed, &lastUse, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	t.ConfirmedAt, t.LastUsedStep, t.CreatedAt = fromNullMS(confirmed), lastUse, fromMS(created)
	return &t, nil
}

// SaveTOTP stores a pending secret, replacing an unconfirmed one in the
// same statement; a confirmed secret is left alone and is ErrConflict.
func (q *Q) SaveTOTP(ctx context.Context, t factors.TOTP) error {
	res, err := q.exec(ctx, `INSERT INTO totp (user_id, secret, confirmed_at, last_used_step, created_at)
		VALUES (?, ?, NULL, 0, ?)
		ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, last_used_step = 0, created_at = excluded.created_at
		WHERE totp.confirmed_at IS NULL`, t.UserID, t.Secret, ms(t.CreatedAt))
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return ErrConflict
	}
	return nil
}

// InsertTOTP stores t as it is, confirmed or not: an authenticator app a
// user brings from another system, stored with the user. A user who has a
// secret already is ErrConflict.
func (q *Q) InsertTOTP(ctx context.Context, t factors.TOTP) error {
	_, err := q.exec(ctx, `INSERT INTO totp (user_id, secret, confirmed_at, last_used_step, created_at)
		VALUES (?, ?, ?, ?, ?)`, t.UserID, t.Secret, msPtr(t.ConfirmedAt), t.LastUsedStep, ms(t.CreatedAt))
	if isUnique(err) {
		return ErrConflict
	}
	return err
}

// ConfirmTOTP marks the pending secret confirmed; false when there is none.
func (q *Q) ConfirmTOTP(ctx context.Context, userID string, step int64, at time.Time) (bool, error) {
	return q.changed(q.exec(ctx, `UPDATE totp SET confirmed_at = ?, last_used_step = ?
		WHERE user_id = ? AND confirmed_at IS NULL AND last_used_step < ?`, ms(at), step, userID, step))
}

// UseTOTPStep records that a code of step was accepted. It only moves
// forwards, in one statement, so a code passes once even when two requests
// bring it at the same moment.
func (q *Q) UseTOTPStep(ctx context.Context, userID string, step int64) (bool, error) {
	return q.changed(q.exec(ctx, `UPDATE totp SET last_used_step = ?
		WHERE user_id = ? AND confirmed_at IS NOT NULL AND last_used_step < ?`, step, userID, step))
}

// DeleteTOTP removes the user's secret; ErrNotFound when there is none.
func (q *Q) DeleteTOTP(ctx context.Context, userID string) error {
	return q.expectOne(q.exec(ctx, `DELETE FROM totp WHERE user_id = ?`, userID))
}

// ReplaceBackupCodes swaps the user's backup codes for codes, all or nothing.
func (q *Q) ReplaceBackupCodes(ctx context.Context, userID string, codes []factors.BackupCode) error {
	return q.atomic(ctx, func(q *Q) error {
		if err := q.DeleteBackupCodes(ctx, userID); err != nil {
			return err
		}
		for _, c := range codes {
			if _, err := q.exec(ctx, `INSERT INTO backup_codes (id, user_id, hash, used_at, created_at) VALUES (?,?,?,?,?)`,
				c.ID, userID, c.Hash, msPtr(c.UsedAt), ms(c.CreatedAt)); err != nil {
				return err
			}
		}
		return nil
	})
}

// UnusedBackupCodes lists the user's codes not used yet.
func (q *Q) UnusedBackupCodes(ctx context.Context, userID string) ([]factors.BackupCode, error) {
	rows, err := q.query(ctx, `SELECT id, user_id, hash, created_at FROM backup_codes
		WHERE user_id = ? AND used_at IS NULL ORDER BY created_at, id`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []factors.BackupCode
	for rows.Next() {
		var (
			c       factors.BackupCode
			created int64
		)
		if err := rows.Scan(&c.ID, &c.UserID, &c.Hash, &created); err != nil {
			return nil, err
		}
		c.CreatedAt = fromMS(created)
		out = append(out, c)
	}
	return out, rows.Err()
}

// UseBackupCode spends a code where it is still unused; false when another
// request spent it first.
func (q *Q) UseBackupCode(ctx context.Context, id string, at time.Time) (bool, error) {
	return q.changed(q.exec(ctx, `UPDATE backup_codes SET used_at = ? WHERE id = ? AND used_at IS NULL`, ms(at), id))
}

// DeleteBackupCodes removes all of the user's codes.
func (q *Q) DeleteBackupCodes(ctx context.Context, userID string) error {
	_, err := q.exec(ctx, `DELETE FROM backup_codes WHERE user_id = ?`, userID)
	return err
}

// SetSecondFactorPhone chooses the user's number (an identifier of theirs)
// for second-factor codes, replacing an earlier choice.
func (q *Q) SetSecondFactorPhone(ctx context.Context, userID, identifierID string, at time.Time) error {
	ok, err := q.changed(q.exec(ctx, `INSERT INTO mfa_phones (user_id, identifier_id, created_at)
		SELECT user_id, id, ? FROM identifiers WHERE id = ? AND user_id = ?
		ON CONFLICT (user_id) DO UPDATE SET identifier_id = excluded.identifier_id, created_at = excluded.created_at`,
		ms(at), identifierID, userID))
	if err == nil && !ok {
		return ErrNotFound
	}
	return err
}

// DeleteSecondFactorPhone turns second-factor text codes off.
func (q *Q) DeleteSecondFactorPhone(ctx context.Context, userID string) error {
	return q.expectOne(q.exec(ctx, `DELETE FROM mfa_phones WHERE user_id = ?`, userID))
}

// loadFactors counts the user's passkeys and second factors in one query.
func (q *Q) loadFactors(ctx context.Context, u *user.User) error {
	var passkeys, totp, codes int64
	err := q.row(ctx, `SELECT
		(SELECT count(*) FROM passkey_credentials WHERE user_id = ?),
		(SELECT count(*) FROM totp WHERE user_id = ? AND confirmed_at IS NOT NULL),
		(SELECT count(*) FROM backup_codes WHERE user_id = ? AND used_at IS NULL),
		COALESCE((SELECT i.value FROM mfa_phones m JOIN identifiers i ON i.id = m.identifier_id
			WHERE m.user_id = ? AND i.verified_at IS NOT NULL), '')`,
		u.ID, u.ID, u.ID, u.ID).Scan(&passkeys, &totp, &codes, &u.SecondFactorPhone)
	if err != nil {
		return err
	}
	u.Passkeys, u.TOTP, u.BackupCodes = int(passkeys), totp > 0, int(codes)
	u.PasskeyList = nil
	if passkeys == 0 {
		return nil
	}
	rows, err := q.query(ctx, `SELECT id, name, created_at, last_used_at FROM passkey_credentials
		WHERE user_id = ? ORDER BY created_at, id`, u.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id      []byte
			p       user.PasskeyInfo
			created int64
			used    sql.NullInt64
		)
		if err := rows.Scan(&id, &p.Name, &created, &used); err != nil {
			return err
		}
		p.ID, p.CreatedAt, p.LastUsedAt = base64.RawURLEncoding.EncodeToString(id), fromMS(created), fromNullMS(used)
		u.PasskeyList = append(u.PasskeyList, p)
	}
	return rows.Err()
}

// changed reports whether a statement changed exactly one row.
func (q *Q) changed(res sql.Result, err error) (bool, error) {
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
