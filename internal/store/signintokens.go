package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/portalhq/portal/internal/signintoken"
)

// Sign-in and actor tokens (internal/signintoken): only the token's hash
// is kept. An actor token is a sign-in token with an actor.

const signInTokenCols = `id, user_id, token_hash, status, expires_at, created_at, updated_at, actor, session_max_seconds`

// CreateSignInToken inserts t; a token hash in use is ErrConflict.
func (q *Q) CreateSignInToken(ctx context.Context, t *signintoken.Token) error {
	var sessionMax any
	if t.SessionMax > 0 {
		sessionMax = int64(t.SessionMax / time.Second)
	}
	_, err := q.exec(ctx, `INSERT INTO sign_in_tokens (`+signInTokenCols+`) VALUES (?,?,?,?,?,?,?,?,?)`,
		t.ID, t.UserID, t.TokenHash, t.Status, ms(t.ExpiresAt), ms(t.CreatedAt), ms(t.UpdatedAt), rawJSON(t.Actor), sessionMax)
	if isUnique(err) {
		return ErrConflict
	}
	return err
}

// SignInTokenByID returns a token.
func (q *Q) SignInTokenByID(ctx context.Context, id string) (*signintoken.Token, error) {
	return scanSignInToken(q.row(ctx, `SELECT `+signInTokenCols+` FROM sign_in_tokens WHERE id = ?`, id))
}

// SignInTokenByHash returns the token whose value hashes to hash.
func (q *Q) SignInTokenByHash(ctx context.Context, hash string) (*signintoken.Token, error) {
	return scanSignInToken(q.row(ctx, `SELECT `+signInTokenCols+` FROM sign_in_tokens WHERE token_hash = ?`, hash))
}

// UpdateSignInToken saves status and updated_at when the stored status is
// still from; otherwise ErrConflict (ErrNotFound when there is no such
// token). Two uses of one token at once: one matches, the other conflicts.
func (q *Q) UpdateSignInToken(ctx context.Context, t *signintoken.Token, from string) error {
	res, err := q.exec(ctx, `UPDATE sign_in_tokens SET status = ?, updated_at = ? WHERE id = ? AND status = ?`,
		t.Status, ms(t.UpdatedAt), t.ID, from)
	return matchedOne(res, err, func() error { _, err := q.SignInTokenByID(ctx, t.ID); return err })
}

func scanSignInToken(r scanner) (*signintoken.Token, error) {
	var (
		t                     signintoken.Token
		expires, created, upd int64
		actor                 sql.NullString
		sessionMax            sql.NullInt64
	)
	err := r.Scan(&t.ID, &t.UserID, &t.TokenHash, &t.Status, &expires, &created, &upd, &actor, &sessionMax)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	t.ExpiresAt, t.CreatedAt, t.UpdatedAt = fromMS(expires), fromMS(created), fromMS(upd)
	t.Actor, t.SessionMax = fromRawJSON(actor), time.Duration(sessionMax.Int64)*time.Second
	return &t, nil
}
