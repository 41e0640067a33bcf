package store

import (
	"context"
	"database/sql"
	"errors"
)

// Setting returns a stored instance setting.
func (q *Q) Setting(ctx context.Context, key string) (string, bool, error) {
	var v string
	err := q.row(ctx, `SELECT value FROM instance_settings WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	return v, err == nil, err
}

// SettingOrInit returns the stored value of key, storing generate() first
// when there is none. Several processes starting at once agree on one value.
func (q *Q) SettingOrInit(ctx context.Context, key string, generate func() string) (string, error) {
	if v, ok, err := q.Setting(ctx, key); err != nil || ok {
		return v, err
	}
	if _, err := q.exec(ctx, `INSERT INTO instance_settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`,
		key, generate()); err != nil {
		return "", err
	}
	v, _, err := q.Setting(ctx, key)
	return v, err
}

// SetSetting stores value as key's, replacing what was there.
func (q *Q) SetSetting(ctx context.Context, key, value string) error {
	_, err := q.exec(ctx, `INSERT INTO instance_settings (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	return err
}
