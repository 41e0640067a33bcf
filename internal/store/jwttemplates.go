package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/portalhq/portal/internal/jwttemplate"
)

const templateCols = `id, name, claims, lifetime, allowed_clock_skew, custom_signing_key, signing_algorithm,
	signing_key, created_at, updated_at`

// CreateJWTTemplate inserts a template; a taken name is ErrConflict.
func (q *Q) CreateJWTTemplate(ctx context.Context, t jwttemplate.Template) error {
	_, err := q.exec(ctx, `INSERT INTO jwt_templates (`+templateCols+`) VALUES (?,?,?,?,?,?,?,?,?,?)`,
		t.ID, t.Name, string(t.Claims), int64(t.Lifetime/time.Second), int64(t.AllowedClockSkew/time.Second),
		t.CustomSigningKey, t.SigningAlgorithm, t.SigningKey, ms(t.CreatedAt), ms(t.UpdatedAt))
	if isUnique(err) {
		return ErrConflict
	}
	return err
}

// JWTTemplate returns a template by ID.
func (q *Q) JWTTemplate(ctx context.Context, id string) (*jwttemplate.Template, error) {
	return scanTemplate(q.row(ctx, `SELECT `+templateCols+` FROM jwt_templates WHERE id = ?`, id))
}

// JWTTemplateByName returns a template by name.
func (q *Q) JWTTemplateByName(ctx context.Context, name string) (*jwttemplate.Template, error) {
	return scanTemplate(q.row(ctx, `SELECT `+templateCols+` FROM jwt_templates WHERE name = ?`, name))
}

// JWTTemplates returns a page of the templates by name, and how many
// there are in all.
func (q *Q) JWTTemplates(ctx context.Context, limit, offset int) ([]jwttemplate.Template, int, error) {
	total, err := q.count(ctx, `SELECT COUNT(*) FROM jwt_templates`)
	if err != nil {
		return nil, 0, err
	}
	rows, err := q.query(ctx, `SELECT `+templateCols+` FROM jwt_templates ORDER BY name LIMIT ? OFFSET ?`, limit, offset)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []jwttemplate.Template{}
	for rows.Next() {
		t, err := scanTemplate(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, *t)
	}
	return out, total, rows.Err()
}

// UpdateJWTTemplate writes every field but the ID and creation time.
func (q *Q) UpdateJWTTemplate(ctx context.Context, t jwttemplate.Template) error {
	err := q.expectOne(q.exec(ctx, `UPDATE jwt_templates SET name = ?, claims = ?, lifetime = ?, allowed_clock_skew = ?,
			custom_signing_key = ?, signing_algorithm = ?, signing_key = ?, updated_at = ? WHERE id = ?`,
		t.Name, string(t.Claims), int64(t.Lifetime/time.Second), int64(t.AllowedClockSkew/time.Second),
		t.CustomSigningKey, t.SigningAlgorithm, t.SigningKey, ms(t.UpdatedAt), t.ID))
	if isUnique(err) {
		return ErrConflict
	}
	return err
}

// DeleteJWTTemplate removes a template.
func (q *Q) DeleteJWTTemplate(ctx context.Context, id string) error {
	return q.expectOne(q.exec(ctx, `DELETE FROM jwt_templates WHERE id = ?`, id))
}

func scanTemplate(r scanner) (*jwttemplate.Template, error) {
	var (
		t                jwttemplate.Template
		claims           string
		life, skew       int64
		created, updated int64
	)
	err := r.Scan(&t.ID, &t.Name, &claims, &life, &skew, &t.CustomSigningKey, &t.SigningAlgorithm, &t.SigningKey,
		&created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	t.Claims = []byte(claims)
	t.Lifetime, t.AllowedClockSkew = time.Duration(life)*time.Second, time.Duration(skew)*time.Second
	t.CreatedAt, t.UpdatedAt = fromMS(created), fromMS(updated)
	return &t, nil
}
