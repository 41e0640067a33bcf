package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Backup writes a consistent copy of the SQLite database at url ("sqlite:PATH")
// to the new file to, while portals may be using it: SQLite's VACUUM INTO
// reads one snapshot, so writes made meanwhile are either all in the copy
// or not at all, and it is compacted besides. It neither migrates nor
// creates the source. The copy holds signing keys and sealed secrets, so it
// is made readable by its owner only. A PostgreSQL database is backed up
// with its own tools (pg_dump).
func Backup(ctx context.Context, url, to string) error {
	path, ok := strings.CutPrefix(url, "sqlite:")
	if !ok {
		return fmt.Errorf("backup copies SQLite databases; back up %s with PostgreSQL's own tools (pg_dump)", redact(url))
	}
	if to == "" {
		return errors.New("backup: name the file to write, e.g. portal backup data/portal-backup.db")
	}
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("backup: no database at %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o700); err != nil {
		return fmt.Errorf("backup: create directory for %s: %w", to, err)
	}
	// VACUUM INTO writes into an empty file and keeps its mode.
	f, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("backup: %s exists already; name a new file", to)
	}
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	f.Close()
	db, err := openSQLite(path)
	if err != nil {
		os.Remove(to)
		return err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, to); err != nil {
		os.Remove(to)
		return fmt.Errorf("backup of %s: %w", path, err)
	}
	// "backup written" must mean on disk: a script may delete the last
	// backup next. SQLite syncs the copy (older releases did not) but not
	// the folder after deleting the copy's rollback journal, so a power cut
	// moments later could bring back a journal that rolls the copy back
	// to nothing when it is opened.
	if err := syncFile(to); err != nil {
		os.Remove(to)
		return fmt.Errorf("backup: %w", err)
	}
	if err := syncFile(filepath.Dir(to)); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}

func syncFile(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
