package store_test

import (
	"database/sql"
	"io/fs"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/pressly/goose/v3"

	"github.com/portalhq/portal/internal/store"
	"github.com/portalhq/portal/internal/testutil/pgtest"
)

// A development database migrated by a build that had 00006 and 00007 but
// not yet 00005 (branches merged in another order) gets 00005 applied when
// the newer build starts, instead of goose refusing a missing migration.
func TestMigrationArrivingOutOfOrder(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		path := t.TempDir() + "/portal.db"
		migrateWithout(t, "sqlite", "file:"+path, goose.DialectSQLite3, "migrations/sqlite", "00005_")
		checkLateMigration(t, "sqlite:"+path)
	})
	t.Run("postgres", func(t *testing.T) {
		url := pgtest.URL(t)
		migrateWithout(t, "pgx", url, goose.DialectPostgres, "migrations/postgres", "00005_")
		checkLateMigration(t, url)
	})
}

// migrateWithout applies the migrations in dir except the one whose name
// starts with skip, as an older build would have.
func migrateWithout(t *testing.T, driver, dsn string, dialect goose.Dialect, dir, skip string) {
	t.Helper()
	files := fstest.MapFS{}
	entries, err := fs.ReadDir(os.DirFS(dir), ".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), skip) {
			continue
		}
		b, err := os.ReadFile(dir + "/" + e.Name())
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = &fstest.MapFile{Data: b}
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	p, err := goose.NewProvider(dialect, db, files)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Up(t.Context()); err != nil {
		t.Fatalf("older build's migrations: %v", err)
	}
}

func checkLateMigration(t *testing.T, url string) {
	t.Helper()
	s, err := store.Open(t.Context(), url)
	if err != nil {
		t.Fatalf("Open with a migration arriving late: %v", err)
	}
	defer s.Close()
	if _, err := s.Q.CredentialsOfUser(t.Context(), "usr_none"); err != nil {
		t.Errorf("00005's table after the late migration: %v", err)
	}
}

// A database from before 00020 where two users share an external_id does
// not migrate: the error names the ID, the users and what to do, and once
// one of them has another ID the portal starts.
func TestSharedExternalIDStopsMigrationWithWhatToDo(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		path := t.TempDir() + "/portal.db"
		migrateWithout(t, "sqlite", "file:"+path, goose.DialectSQLite3, "migrations/sqlite", "00020_")
		checkSharedExternalID(t, "sqlite", "file:"+path, "sqlite:"+path)
	})
	t.Run("postgres", func(t *testing.T) {
		url := pgtest.URL(t)
		migrateWithout(t, "pgx", url, goose.DialectPostgres, "migrations/postgres", "00020_")
		checkSharedExternalID(t, "pgx", url, url)
	})
}

func checkSharedExternalID(t *testing.T, driver, dsn, url string) {
	t.Helper()
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(t.Context(), `INSERT INTO users (id, external_id, created_at, updated_at) VALUES
		('user_a', 'crm-1', 1, 1), ('user_b', 'crm-1', 2, 2), ('user_c', '', 3, 3), ('user_d', '', 4, 4)`); err != nil {
		t.Fatal(err)
	}
	s, err := store.Open(t.Context(), url)
	if err == nil {
		s.Close()
		t.Fatal("migrated with two users sharing external_id crm-1")
	}
	for _, want := range []string{`"crm-1" (user_a, user_b)`, "makes each user's external_id unique", "PATCH /v1/users/{id}",
		"UPDATE users SET external_id = ''"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if _, err := db.ExecContext(t.Context(), `UPDATE users SET external_id = 'crm-2' WHERE id = 'user_b'`); err != nil {
		t.Fatal(err)
	}
	s, err = store.Open(t.Context(), url)
	if err != nil {
		t.Fatalf("Open once the external IDs differ: %v", err)
	}
	s.Close()
}
