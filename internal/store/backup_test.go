package store_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/store"
)

// portal backup: a copy made while the database is open holds what was
// written, opens as a database of its own, and is readable by its owner
// only; it never overwrites a file or creates the source.
func TestBackupCopiesAnOpenSQLiteDatabase(t *testing.T) {
	dir := t.TempDir()
	url := "sqlite:" + filepath.Join(dir, "portal.db")
	s, err := store.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	u := createUser(t, s, "backup@example.com")

	to := filepath.Join(dir, "backups", "portal-1.db")
	if err := store.Backup(t.Context(), url, to); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(to)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("backup file mode %v, want 0600 (it holds signing keys)", fi.Mode().Perm())
	}
	copyStore, err := store.Open(t.Context(), "sqlite:"+to)
	if err != nil {
		t.Fatal(err)
	}
	defer copyStore.Close()
	got, err := copyStore.Q.UserByID(t.Context(), u.ID)
	if err != nil || got.ID != u.ID {
		t.Fatalf("user in the backup: %v, %v", got, err)
	}

	for _, c := range []struct{ name, url, to, want string }{
		{"over an existing file", url, to, "exists already"},
		{"of a database that is not there", "sqlite:" + filepath.Join(dir, "none.db"), filepath.Join(dir, "x.db"), "no database at"},
		{"of PostgreSQL", "postgres://postgres@127.0.0.1:5432/test", filepath.Join(dir, "y.db"), "pg_dump"},
		{"to no file", url, "", "name the file"},
	} {
		err := store.Backup(t.Context(), c.url, c.to)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("backup %s: %v, want an error saying %q", c.name, err, c.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "none.db")); !os.IsNotExist(err) {
		t.Errorf("backing up a missing database created it: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "x.db")); !os.IsNotExist(err) {
		t.Errorf("a failed backup left its file behind: %v", err)
	}
}

// The database a portal makes holds its signing keys and sealed secrets:
// its file, and SQLite's -wal and -shm files beside it, are readable by
// their owner only, even in a folder everyone may list (/var/lib/portal
// made by a package, mode 0755). A database already there keeps its mode.
func TestNewSQLiteDatabaseIsItsOwnersOnly(t *testing.T) {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "portal.db")
	s, err := store.Open(t.Context(), "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	createUser(t, s, "mode@example.com")
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s has mode %v, want it its owner's only", filepath.Base(f), fi.Mode().Perm())
		}
	}
	s.Close()

	kept := filepath.Join(dir, "kept.db")
	if err := os.WriteFile(kept, nil, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(kept, 0o640); err != nil {
		t.Fatal(err)
	}
	s, err = store.Open(t.Context(), "sqlite:"+kept)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if fi, err := os.Stat(kept); err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("an existing database's mode changed: %v, %v", fi.Mode(), err)
	}
}
