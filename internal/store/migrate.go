package store

import (
	"context"
	"embed"
	"fmt"
	"hash/fnv"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations
var migrations embed.FS

// Migrate applies the embedded migrations of the store's dialect.
// goose keeps its version table and takes a lock on PostgreSQL so several
// portals starting together apply each migration once.
func (s *Store) Migrate(ctx context.Context) error {
	sub, err := fs.Sub(migrations, "migrations/"+string(s.dialect))
	if err != nil {
		return err
	}
	gd := goose.DialectSQLite3
	// Branches each own a migration number and are merged in whatever order
	// they finish, so a database may already hold a higher version (00006,
	// 00007) when a lower one (00005) arrives with a later merge. goose
	// refuses such a "missing" migration by default; applying it is right
	// here because numbered migrations of different branches touch
	// different tables and columns and do not depend on each other's order.
	opts := []goose.ProviderOption{goose.WithAllowOutofOrder(true)}
	if s.dialect == Postgres {
		gd = goose.DialectPostgres
		var schema string
		if err := s.db.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
			return fmt.Errorf("store: migrate: %w", err)
		}
		// The advisory lock is database-wide but each schema has its own
		// version table, so each schema gets its own lock: parallel test
		// packages, each in its own schema, need not queue. Retry every
		// second (not goose's default 5 s) so rolling deploys wait briefly.
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(schemaLockID(schema)),
			lock.WithLockTimeout(1, 300))
		if err != nil {
			return err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(gd, s.db, sub, opts...)
	if err != nil {
		return fmt.Errorf("store: migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	return nil
}

// schemaLockID is the advisory lock key of schema's migrations.
func schemaLockID(schema string) int64 {
	h := fnv.New64a()
	h.Write([]byte("portal goose " + schema))
	return int64(h.Sum64())
}
