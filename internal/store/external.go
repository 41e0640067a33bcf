package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/portalhq/portal/internal/user"
)

const externalCols = `id, user_id, provider, subject, email, email_verified, first_name, last_name, username,
	avatar_url, created_at, updated_at`

// CreateExternalAccount connects a provider account to a user. A (provider,
// subject) connected already is ErrConflict.
func (q *Q) CreateExternalAccount(ctx context.Context, x user.ExternalAccount) error {
	_, err := q.exec(ctx, `INSERT INTO external_accounts (`+externalCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`,
		x.ID, x.UserID, x.Provider, x.Subject, x.Email, x.EmailVerified, x.FirstName, x.LastName, x.Username,
		x.AvatarURL, ms(x.CreatedAt), ms(x.UpdatedAt))
	if isUnique(err) {
		return ErrConflict
	}
	return err
}

// ExternalAccount finds the connected account (provider, subject).
func (q *Q) ExternalAccount(ctx context.Context, provider, subject string) (*user.ExternalAccount, error) {
	return scanExternal(q.row(ctx, `SELECT `+externalCols+` FROM external_accounts WHERE provider = ? AND subject = ?`,
		provider, subject))
}

// UpdateExternalAccount refreshes what the provider said about the person.
func (q *Q) UpdateExternalAccount(ctx context.Context, x user.ExternalAccount) error {
	return q.expectOne(q.exec(ctx, `UPDATE external_accounts SET email = ?, email_verified = ?, first_name = ?,
		last_name = ?, username = ?, avatar_url = ?, updated_at = ? WHERE id = ?`, x.Email, x.EmailVerified,
		x.FirstName, x.LastName, x.Username, x.AvatarURL, ms(x.UpdatedAt), x.ID))
}

// DeleteExternalAccount disconnects an account of userID; ErrNotFound when
// it is not that user's (object-level check, REQ-AC-02).
func (q *Q) DeleteExternalAccount(ctx context.Context, userID, id string) error {
	return q.expectOne(q.exec(ctx, `DELETE FROM external_accounts WHERE id = ? AND user_id = ?`, id, userID))
}

// TouchUser bumps updated_at, for changes that live in other tables.
func (q *Q) TouchUser(ctx context.Context, userID string, at time.Time) error {
	return q.expectOne(q.exec(ctx, `UPDATE users SET updated_at = ? WHERE id = ?`, ms(at), userID))
}

func (q *Q) loadExternalAccounts(ctx context.Context, u *user.User) error {
	rows, err := q.query(ctx, `SELECT `+externalCols+` FROM external_accounts WHERE user_id = ? ORDER BY created_at, id`, u.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	u.ExternalAccounts = u.ExternalAccounts[:0]
	for rows.Next() {
		x, err := scanExternal(rows)
		if err != nil {
			return err
		}
		u.ExternalAccounts = append(u.ExternalAccounts, *x)
	}
	return rows.Err()
}

func scanExternal(r scanner) (*user.ExternalAccount, error) {
	var (
		x    user.ExternalAccount
		c, u int64
	)
	err := r.Scan(&x.ID, &x.UserID, &x.Provider, &x.Subject, &x.Email, &x.EmailVerified, &x.FirstName, &x.LastName,
		&x.Username, &x.AvatarURL, &c, &u)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	x.CreatedAt, x.UpdatedAt = fromMS(c), fromMS(u)
	return &x, nil
}
