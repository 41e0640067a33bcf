package store

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// writes remembers the last write the database refused for want of room
// or rights (CannotWrite), until Ready finds it takes writes again. A read
// succeeding says nothing about writes, so nothing but a write clears it.
type writes struct{ refused atomic.Pointer[error] }

// note remembers err when it is a write the database could not make.
func (w *writes) note(err error) {
	if w != nil && err != nil && CannotWrite(err) {
		w.refused.Store(&err)
	}
}

// last is the write refused since the database last took one, or nil.
func (w *writes) last() error {
	if p := w.refused.Load(); p != nil {
		return *p
	}
	return nil
}

// Ready reports whether the portal can serve on this database (/readyz):
// it answers (Ping) and it takes writes. Every request that signs someone
// in writes, so a database that answers reads only is no more ready than
// one that is down. Only what is cheap is asked each time: on PostgreSQL,
// in one round trip after the ping, whether the server is a standby or
// its sessions read-only (a failover that left PORTAL_DATABASE_URL on the
// old primary, now a standby). A full disk or a read-only SQLite file
// shows only when something writes, so Ready goes by the last write the
// database refused: while there is one, each call writes a row of its own
// (write_probe) to learn whether space was freed or the rights fixed, and
// answers ready again once that write goes through. A database that has
// refused nothing is never written to by Ready.
func (s *Store) Ready(ctx context.Context) error {
	if err := s.Ping(ctx); err != nil {
		return err
	}
	if s.dialect == Postgres {
		var standby bool
		var readOnly string
		err := s.Q.row(ctx, `SELECT pg_is_in_recovery(), current_setting('transaction_read_only')`).Scan(&standby, &readOnly)
		switch {
		case err != nil:
			return err
		case standby:
			return errors.New("database cannot write: PostgreSQL is a standby in recovery (pg_is_in_recovery()): " +
				"point PORTAL_DATABASE_URL at the primary")
		case readOnly == "on":
			return errors.New("database cannot write: PostgreSQL makes the portal's sessions read-only " +
				"(transaction_read_only is on: default_transaction_read_only set in PORTAL_DATABASE_URL, on the " +
				"role, the database or the server): turn it off, or point PORTAL_DATABASE_URL at the primary")
		}
	}
	if s.Q.writes.last() == nil {
		return nil
	}
	_, err := s.Q.exec(ctx, `UPDATE write_probe SET probed_at = ? WHERE id = 1`, ms(time.Now()))
	switch {
	case err == nil:
		s.Q.writes.refused.Store(nil)
		return nil
	case CannotWrite(err):
		return fmt.Errorf("database cannot write: %s: %w", cannotWriteHint(err), err)
	}
	return err
}

// cannotWriteHint says what to check for a write the database refused.
func cannotWriteHint(err error) string {
	var pe *pgconn.PgError
	switch {
	case !errors.As(err, &pe):
		return "its disk is full or it is read-only (free space on the volume of PORTAL_DATABASE_URL's file; " +
			"check its, its -wal and -shm files' and its folder's permissions)"
	case pe.Code == "53100":
		return "PostgreSQL's disk is full (free space on its data or WAL volume)"
	}
	return "PostgreSQL is read-only (a standby? point PORTAL_DATABASE_URL at the primary)"
}
