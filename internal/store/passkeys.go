package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/portalhq/portal/internal/passkey"
)

// SaveChallenge stores the server half of a WebAuthn ceremony.
func (q *Q) SaveChallenge(ctx context.Context, c passkey.Challenge) error {
	_, err := q.exec(ctx, `INSERT INTO passkey_challenges (id, user_id, flow_id, kind, data, expires_at)
		VALUES (?,?,?,?,?,?)`, c.ID, c.UserID, c.FlowID, c.Kind, string(c.Data), ms(c.ExpiresAt))
	return err
}

// TakeChallenge deletes the challenge and returns it in one statement, so
// of two requests racing with one ID only one gets it (REQ-WA-02).
func (q *Q) TakeChallenge(ctx context.Context, id string) (*passkey.Challenge, error) {
	var (
		c    passkey.Challenge
		data string
		exp  int64
	)
	err := q.row(ctx, `DELETE FROM passkey_challenges WHERE id = ?
		RETURNING id, user_id, flow_id, kind, data, expires_at`, id).Scan(&c.ID, &c.UserID, &c.FlowID, &c.Kind, &data, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	c.Data, c.ExpiresAt = []byte(data), fromMS(exp)
	return &c, nil
}

// DeleteExpiredPasskeyChallenges removes ceremonies abandoned before before.
func (q *Q) DeleteExpiredPasskeyChallenges(ctx context.Context, before time.Time) (int64, error) {
	res, err := q.exec(ctx, `DELETE FROM passkey_challenges WHERE expires_at < ?`, ms(before))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

const credentialCols = `id, user_id, name, public_key, attestation_type, aaguid, sign_count, backup_eligible,
	backup_state, transports, created_at, last_used_at`

// InsertCredential stores a new passkey; an ID registered already, to
// anyone, is ErrConflict (REQ-WA-07).
func (q *Q) InsertCredential(ctx context.Context, c passkey.Credential) error {
	_, err := q.exec(ctx, `INSERT INTO passkey_credentials (`+credentialCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`,
		c.ID, c.UserID, c.Name, c.PublicKey, c.AttestationType, c.AAGUID, int64(c.SignCount), c.BackupEligible,
		c.BackupState, strings.Join(c.Transports, ","), ms(c.CreatedAt), msPtr(c.LastUsedAt))
	if isUnique(err) {
		return ErrConflict
	}
	return err
}

// CredentialByID finds a passkey by its credential ID.
func (q *Q) CredentialByID(ctx context.Context, id []byte) (*passkey.Credential, error) {
	return scanCredential(q.row(ctx, `SELECT `+credentialCols+` FROM passkey_credentials WHERE id = ?`, id))
}

// CredentialsOfUser lists a user's passkeys, oldest first.
func (q *Q) CredentialsOfUser(ctx context.Context, userID string) ([]passkey.Credential, error) {
	rows, err := q.query(ctx, `SELECT `+credentialCols+` FROM passkey_credentials WHERE user_id = ?
		ORDER BY created_at, id`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []passkey.Credential
	for rows.Next() {
		c, err := scanCredential(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *c)
	}
	return out, rows.Err()
}

// UpdateCredentialUse records a sign-in. The counter only moves forwards:
// the row is updated where the stored counter is lower, or both are zero
// (synced passkeys keep zero), so of two sign-ins racing with one counter
// value only one succeeds; the other gets ErrConflict (REQ-WA-09).
func (q *Q) UpdateCredentialUse(ctx context.Context, id []byte, signCount uint32, backupState bool, at time.Time) error {
	n := int64(signCount)
	res, err := q.exec(ctx, `UPDATE passkey_credentials SET sign_count = ?, backup_state = ?, last_used_at = ?
		WHERE id = ? AND (sign_count < ? OR (sign_count = 0 AND CAST(? AS BIGINT) = 0))`, n, backupState, ms(at), id, n, n)
	if err != nil {
		return err
	}
	if changed, err := res.RowsAffected(); err != nil || changed == 1 {
		return err
	}
	if _, err := q.CredentialByID(ctx, id); err != nil {
		return err
	}
	return ErrConflict
}

// RenameCredential renames the user's own passkey; ErrNotFound otherwise.
func (q *Q) RenameCredential(ctx context.Context, userID string, id []byte, name string) error {
	return q.expectOne(q.exec(ctx, `UPDATE passkey_credentials SET name = ? WHERE id = ? AND user_id = ?`, name, id, userID))
}

// DeleteCredential removes the user's own passkey; ErrNotFound otherwise
// (object-level check, REQ-AC-02).
func (q *Q) DeleteCredential(ctx context.Context, userID string, id []byte) error {
	return q.expectOne(q.exec(ctx, `DELETE FROM passkey_credentials WHERE id = ? AND user_id = ?`, id, userID))
}

func scanCredential(r scanner) (*passkey.Credential, error) {
	var (
		c          passkey.Credential
		count      int64
		transports string
		created    int64
		used       sql.NullInt64
	)
	err := r.Scan(&c.ID, &c.UserID, &c.Name, &c.PublicKey, &c.AttestationType, &c.AAGUID, &count, &c.BackupEligible,
		&c.BackupState, &transports, &created, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	c.SignCount, c.CreatedAt, c.LastUsedAt = uint32(count), fromMS(created), fromNullMS(used)
	if transports != "" {
		c.Transports = strings.Split(transports, ",")
	}
	return &c, nil
}
