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
