package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/portalhq/portal/internal/token"
)

// SigningKeys returns every stored signing key, oldest first.
func (q *Q) SigningKeys(ctx context.Context) ([]token.Key, error) {
	rows, err := q.query(ctx, `SELECT kid, alg, private_pem, created_at, retired_at FROM signing_keys ORDER BY created_at, kid`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []token.Key
	for rows.Next() {
		var (
			k       token.Key
			pem     string
			created int64
			retired sql.NullInt64
		)
		if err := rows.Scan(&k.KID, &k.Alg, &pem, &created, &retired); err != nil {
			return nil, err
		}
		k.PrivatePEM, k.CreatedAt, k.RetiredAt = []byte(pem), fromMS(created), fromNullMS(retired)
		out = append(out, k)
	}
	return out, rows.Err()
}

// InsertSigningKey stores a new key.
func (q *Q) InsertSigningKey(ctx context.Context, k token.Key) error {
	_, err := q.exec(ctx, `INSERT INTO signing_keys (kid, alg, private_pem, created_at, retired_at) VALUES (?,?,?,?,?)`,
		k.KID, k.Alg, string(k.PrivatePEM), ms(k.CreatedAt), msPtr(k.RetiredAt))
	return err
}

// RetireSigningKey stops a key from signing; it stays published a while.
func (q *Q) RetireSigningKey(ctx context.Context, kid string, at time.Time) error {
	_, err := q.exec(ctx, `UPDATE signing_keys SET retired_at = ? WHERE kid = ? AND retired_at IS NULL`, ms(at), kid)
	return err
}

// DeleteSigningKey removes a key no longer published.
func (q *Q) DeleteSigningKey(ctx context.Context, kid string) error {
	_, err := q.exec(ctx, `DELETE FROM signing_keys WHERE kid = ?`, kid)
	return err
}
