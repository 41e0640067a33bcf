package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations
var migrations embed.FS

// Migrate applies the embedded migrations of the store's dialect, adding
// those it applied to Applied.
// goose keeps its version table and takes a lock on PostgreSQL so several
// portals starting together apply each migration once. On PostgreSQL the
// migrations run on a pool of their own (migrationDB), whose sessions
// wait longer for a lock than requests do; a migration that waits past
// that fails saying what it waited for (explain), instead of hanging.
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
	db := s.db
	if s.dialect == Postgres {
		db = s.migrationDB()
		defer db.Close()
		gd = goose.DialectPostgres
		var current sql.NullString
		if err := s.db.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&current); err != nil {
			return fmt.Errorf("store: migrate: %w", err)
		}
		if !current.Valid { // search_path names no schema that exists
			var path string
			if err := s.db.QueryRowContext(ctx, `SHOW search_path`).Scan(&path); err != nil {
				return fmt.Errorf("store: migrate: %w", err)
			}
			return fmt.Errorf("store: migrate: the database has no schema on the search_path (%s) to put the "+
				"portal's tables in: create it first (CREATE SCHEMA …), or name one that exists", path)
		}
		schema := current.String
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
	p, err := goose.NewProvider(gd, db, sub, opts...)
	if err != nil {
		return fmt.Errorf("store: migrations: %w", err)
	}
	done, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("store: migrate: %w", s.explain(ctx, db, err))
	}
	for _, r := range done {
		s.applied = append(s.applied, r.Source.Path)
	}
	if src := p.ListSources(); len(src) > 0 {
		known := src[len(src)-1].Version
		if v, err := p.GetDBVersion(ctx); err == nil && v > known {
			s.newer, s.known = v, known
		}
	}
	return nil
}

// migrationDB opens the pool PostgreSQL migrations run on: the store's
// connection settings, with migrationLockTimeout for lockTimeout where
// nothing else set the session's lock_timeout (the URL, PGOPTIONS, the
// role or database: they win here too). The caller closes it.
func (s *Store) migrationDB() *sql.DB {
	return openPostgres(s.pg, migrationLockTimeout)
}

// uniqueExternalID is the migration that makes external_id unique.
const uniqueExternalID = 20

// explain turns a migration that failed on something only the operator
// can put right into a message saying what to do; any other error stays
// as it is. db is the pool the migrations ran on.
//
// A migration that gave up waiting for a lock (Busy) names the wait, and
// on PostgreSQL the sessions whose transactions have been open longest,
// among which is the one holding it.
//
// A database where users share an external_id (allowed before 00020)
// does not migrate until they no longer do: the portal cannot tell which
// user the app means by it, so it changes nobody's ID on its own.
func (s *Store) explain(ctx context.Context, db *sql.DB, err error) error {
	if Busy(err) {
		return s.lockWaitGaveUp(ctx, db, err)
	}
	if pgErr := (*pgconn.PgError)(nil); s.dialect == Postgres && errors.As(err, &pgErr) && pgErr.Code == "42501" {
		return notAllowed(ctx, db, pgErr, err)
	}
	var pe *goose.PartialError
	if !errors.As(err, &pe) || pe.Failed == nil || pe.Failed.Source == nil || pe.Failed.Source.Version != uniqueExternalID {
		return err
	}
	shared, lookErr := s.sharedExternalIDs(ctx)
	if lookErr != nil || shared == "" {
		return err
	}
	return fmt.Errorf("migration 00020 makes each user's external_id unique, as Clerk documents it, but users share one: %s. "+
		"Give each of them its own external_id or none, then start the portal again: with the previous release, "+
		`PATCH /v1/users/{id} {"external_id": ""}, or in the database, UPDATE users SET external_id = '' WHERE id = '…' (%w)`,
		shared, err)
}

// notAllowed is explain's message for a PostgreSQL role that may not
// make or change the portal's tables (42501 insufficient_privilege):
// since PostgreSQL 15 no role but the database's owner may create in the
// public schema, and a portal often runs as a role that only reads and
// writes rows.
func notAllowed(ctx context.Context, db *sql.DB, pgErr *pgconn.PgError, err error) error {
	var role, schema string
	if qerr := db.QueryRowContext(ctx, `SELECT current_user, COALESCE(current_schema(), '')`).Scan(&role, &schema); qerr != nil {
		role, schema = "the portal's role", "the schema"
	}
	ident := func(s string) string { // quoted only where SQL needs it
		if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == "" && (s[0] < '0' || s[0] > '9') {
			return s
		}
		return pgx.Identifier{s}.Sanitize()
	}
	if strings.Contains(pgErr.Message, "for schema") {
		return fmt.Errorf("the database role %s may not create the portal's tables in schema %s: run portal migrate "+
			"once as the schema's owner (its PORTAL_DATABASE_URL naming that role), or let this role create there: "+
			"GRANT CREATE ON SCHEMA %s TO %s (%w)", role, schema, ident(schema), ident(role), err)
	}
	return fmt.Errorf("the database role %s may not change the portal's tables in schema %s: run portal migrate as "+
		"the role that owns them (the one that made them), or make %s their owner (%w)", role, schema, role, err)
}

// lockWaitGaveUp is explain's message for a migration that waited too
// long for a lock.
func (s *Store) lockWaitGaveUp(ctx context.Context, db *sql.DB, err error) error {
	which := "a migration"
	if pe := (*goose.PartialError)(nil); errors.As(err, &pe) && pe.Failed != nil && pe.Failed.Source != nil {
		which = fmt.Sprintf("migration %05d", pe.Failed.Source.Version)
	}
	if s.dialect == SQLite {
		return fmt.Errorf("%s gave up waiting for the database's write lock, which another process (a sqlite3 shell, "+
			"a backup tool, another portal) held for longer than the busy timeout (10 s): let it finish or stop it, then "+
			"start the portal again (%w)", which, err)
	}
	var wait string
	if qerr := db.QueryRowContext(ctx, `SHOW lock_timeout`).Scan(&wait); qerr != nil {
		wait = "lock_timeout"
	}
	msg := fmt.Sprintf("%s waited %s (lock_timeout) for a lock another database session holds, "+
		"and gave up: a long transaction, another tool's migration, or a psql session left open in a transaction. "+
		"Let it finish or end it (SELECT pg_terminate_backend(pid)), then run portal migrate or start the portal again; "+
		"a longer wait goes in the database URL (…&options=-c%%20lock_timeout%%3D5min) or on the portal's database role "+
		"(ALTER ROLE … SET lock_timeout = '5min')", which, wait)
	if open, qerr := openTransactions(ctx, db); qerr == nil && open != "" {
		msg += ". Open transactions, oldest first: " + open
	}
	return fmt.Errorf("%s (%w)", msg, err)
}

// openTransactions lists the sessions with a transaction open, other than
// the caller's, oldest first, as "pid 4242 (psql, idle in transaction,
// for 12m3s)"; a few of them. Sessions of other roles show only to a
// superuser or a member of pg_read_all_stats.
func openTransactions(ctx context.Context, db *sql.DB) (string, error) {
	rows, err := db.QueryContext(ctx, `SELECT pid, COALESCE(NULLIF(application_name, ''), usename::text, ''),
		COALESCE(state, ''), floor(extract(epoch FROM now() - xact_start))::bigint
		FROM pg_stat_activity WHERE xact_start IS NOT NULL AND pid <> pg_backend_pid() AND datname = current_database()
		ORDER BY xact_start LIMIT 3`)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var parts []string
	for rows.Next() {
		var (
			pid       int
			who, what string
			secs      int64
		)
		if err := rows.Scan(&pid, &who, &what, &secs); err != nil {
			return "", err
		}
		parts = append(parts, fmt.Sprintf("pid %d (%s, %s, for %s)", pid, who, what, time.Duration(secs)*time.Second))
	}
	return strings.Join(parts, "; "), rows.Err()
}

// sharedExternalIDs lists the external IDs more than one user has, with
// their users, oldest first, as `"crm-1" (user_a, user_b)`; a few of each.
func (s *Store) sharedExternalIDs(ctx context.Context) (string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT external_id, id FROM users WHERE external_id IN
		(SELECT external_id FROM users WHERE external_id <> '' GROUP BY external_id HAVING COUNT(*) > 1)
		ORDER BY external_id, created_at, id`)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	const most = 5
	var (
		ids   []string
		users = map[string][]string{}
	)
	for rows.Next() {
		var ext, userID string
		if err := rows.Scan(&ext, &userID); err != nil {
			return "", err
		}
		if users[ext] == nil {
			ids = append(ids, ext)
		}
		users[ext] = append(users[ext], userID)
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	parts := make([]string, 0, most+1)
	for i, ext := range ids {
		if i == most {
			parts = append(parts, fmt.Sprintf("and %d more", len(ids)-most))
			break
		}
		who := users[ext]
		if len(who) > most {
			who = append(who[:most:most], fmt.Sprintf("%d more", len(who)-most))
		}
		parts = append(parts, fmt.Sprintf("%q (%s)", ext, strings.Join(who, ", ")))
	}
	return strings.Join(parts, ", "), nil
}

// schemaLockID is the advisory lock key of schema's migrations.
func schemaLockID(schema string) int64 {
	h := fnv.New64a()
	h.Write([]byte("portal goose " + schema))
	return int64(h.Sum64())
}
