package store

import (
	"context"
	"embed"
	"fmt"
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
		// Retry every second (not goose's default 5 s) so parallel test processes
		// and rolling deploys wait briefly for each other.
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
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
