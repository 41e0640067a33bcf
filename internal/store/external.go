package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
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

// SaveOAuthToken stores t as its account's token set, replacing any (a
// sign-in or a connection through the provider).
func (q *Q) SaveOAuthToken(ctx context.Context, t user.OAuthToken) error {
	_, err := q.exec(ctx, `INSERT INTO oauth_tokens (external_account_id, sealed, scopes, expires_at, updated_at)
		VALUES (?,?,?,?,?)
		ON CONFLICT (external_account_id) DO UPDATE SET sealed = excluded.sealed, scopes = excluded.scopes,
		expires_at = excluded.expires_at, updated_at = excluded.updated_at`,
		t.ExternalAccountID, t.Sealed, strings.Join(t.Scopes, " "), msPtr(t.ExpiresAt), ms(t.UpdatedAt))
	return err
}

// ReplaceOAuthToken stores t, a refresh of the token set sealed as was, in
// its place: false, with nothing changed, when the account's token set is
// another by now (a sign-in or another refresh replaced it meanwhile) or
// is gone with its account.
func (q *Q) ReplaceOAuthToken(ctx context.Context, t user.OAuthToken, was string) (bool, error) {
	return q.changed(q.exec(ctx, `UPDATE oauth_tokens SET sealed = ?, scopes = ?, expires_at = ?, updated_at = ?
		WHERE external_account_id = ? AND sealed = ?`,
		t.Sealed, strings.Join(t.Scopes, " "), msPtr(t.ExpiresAt), ms(t.UpdatedAt), t.ExternalAccountID, was))
}

// OAuthToken returns the token set kept for the external account;
// ErrNotFound when there is none (an account connected before tokens were
// kept, or made through the Backend API).
func (q *Q) OAuthToken(ctx context.Context, externalAccountID string) (*user.OAuthToken, error) {
	var (
		t       user.OAuthToken
		scopes  string
		expires sql.NullInt64
		updated int64
	)
	err := q.row(ctx, `SELECT external_account_id, sealed, scopes, expires_at, updated_at FROM oauth_tokens
		WHERE external_account_id = ?`, externalAccountID).Scan(&t.ExternalAccountID, &t.Sealed, &scopes, &expires, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	t.Scopes, t.ExpiresAt, t.UpdatedAt = strings.Fields(scopes), fromNullMS(expires), fromMS(updated)
	if t.Scopes == nil {
		t.Scopes = []string{}
	}
	return &t, nil
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
