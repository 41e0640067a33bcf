package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// Session limits every PostgreSQL connection of the portal gets, but only
// where nothing else gave the session one: the database URL (as a
// parameter of its own, …&lock_timeout=5s, or in its options,
// …&options=-c%20lock_timeout%3D5s), PGOPTIONS, ALTER ROLE … SET, ALTER
// DATABASE … SET or postgresql.conf all win. A limit of 0 is PostgreSQL's
// "no limit": given for the portal's sessions (the URL, PGOPTIONS, the
// role or the database) it is kept; the server's own 0 (its default, or
// postgresql.conf's, which often just writes the default out) counts as
// none given. pg_settings.source tells them apart. They are set with one
// statement once each connection is made (sessionDefaults), not sent in
// the startup message: connection poolers such as PgBouncer refuse a
// startup parameter they do not know ("unsupported startup parameter"),
// and one sent there would override the role's and database's settings.
const (
	// lockTimeout bounds how long a statement waits for a lock another
	// session holds (a row another transaction is writing, a table a
	// migration is altering, a psql session left open in a transaction).
	// Past it the statement fails with 55P03 lock_not_available (Busy)
	// and its transaction is rolled back: the request is answered "try
	// again" and its pool connection is free again, instead of each such
	// request holding one until the pool runs dry and the portal stops
	// answering. It is SQLite's busy timeout (openSQLite).
	lockTimeout = "10s"
	// migrationLockTimeout is the wait a migration gets (Migrate): one
	// that changes a table waits for every transaction using it to end,
	// those of machines still serving the previous release too.
	migrationLockTimeout = "60s"
	// idleInTransactionTimeout has the server end a session that sits
	// inside a transaction doing nothing for this long (a process stalled
	// or killed mid-transaction behind a proxy that keeps its connection),
	// so its locks are let go. The portal's own transactions send their
	// statements one after another, with slow work (mail, webhooks,
	// password hashing) done outside them. Such a session ended is a lost
	// connection (lost, 25P03).
	idleInTransactionTimeout = "60s"
)

// sessionDefaults gives a new session the lock wait $1 and the
// idle-in-transaction limit $2 where it has none yet (see lockTimeout):
// the setting is 0 and came from the server ('default', 'configuration
// file'), not from the connection ('client': the URL, PGOPTIONS) or the
// role or database ('user', 'database', 'database user'). They are plain
// session SETs (set_config, not local to a transaction), which PgBouncer
// in session mode passes on like any statement.
const sessionDefaults = `SELECT
	CASE WHEN lock.setting = '0' AND lock.source IN ('default', 'configuration file') THEN set_config(lock.name, $1, false) END,
	CASE WHEN idle.setting = '0' AND idle.source IN ('default', 'configuration file') THEN set_config(idle.name, $2, false) END
	FROM pg_settings lock, pg_settings idle
	WHERE lock.name = 'lock_timeout' AND idle.name = 'idle_in_transaction_session_timeout'`

// parsePostgres reads a postgres:// URL.
func parsePostgres(url string) (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("store: PORTAL_DATABASE_URL: %w (write postgres://user:password@host:5432/database, "+
			"with @ : / ? # in the user name or password written %%40 %%3A %%2F %%3F %%23)", err)
	}
	return cfg, nil
}

// openPostgres opens a pool on cfg whose sessions wait at most lock for a
// lock, unless something else set their lock wait (see lockTimeout). Each
// new connection runs sessionDefaults once, in one round trip (the
// extended protocol, unprepared); a connection reused from the pool runs
// nothing more.
//
// A pooled connection the server has ended since its last use (a
// restart, a failover, pg_terminate_backend, an idle_session_timeout) is
// found before the pool hands it out again and replaced, so no statement
// is sent on it: database/sql drops a connection whose session reset
// answers driver.ErrBadConn and takes another, a new one after two such.
// The pgx driver pings a connection that sat idle over a second (a round
// trip), which catches it then; within the second it checked nothing, and
// under load every connection is reused within the second.
func openPostgres(cfg *pgx.ConnConfig, lock string) *sql.DB {
	db := stdlib.OpenDB(*cfg,
		stdlib.OptionAfterConnect(func(ctx context.Context, c *pgx.Conn) error {
			if _, err := c.Exec(ctx, sessionDefaults, pgx.QueryExecModeExec, lock, idleInTransactionTimeout); err != nil {
				// The driver hands back the error but keeps the
				// connection it made: close it here.
				_ = c.Close(ctx)
				return fmt.Errorf("store: set the session's lock_timeout and idle_in_transaction_session_timeout: %w", err)
			}
			return nil
		}),
		stdlib.OptionResetSession(func(_ context.Context, c *pgx.Conn) error {
			if !idleAndOpen(c.PgConn()) {
				return driver.ErrBadConn
			}
			return nil
		}))
	db.SetMaxOpenConns(20)
	db.SetMaxIdleConns(10)
	db.SetConnMaxIdleTime(5 * time.Minute)
	return db
}

// idleAndOpen reports whether c, idle in the pool, may be used: the server
// has neither closed it nor said anything since its last answer. Ending a
// connection, the server sends a FATAL error (57P01 admin_shutdown, …) and
// closes it; both are waiting in the socket before any statement is sent.
// The usual answer, nothing to read, costs one non-blocking system call
// (BenchmarkIdleAndOpen).
func idleAndOpen(c *pgconn.PgConn) bool {
	if c.IsClosed() {
		return false
	}
	switch pending(c.Conn()) {
	case nothing, unknown:
		return true
	case closed:
		return false
	}
	// Something came unasked: let pgconn read it. A FATAL error closes
	// the connection; anything else (a notice, a TLS record) is taken in
	// and the connection stays. The message is there, so this does not
	// wait (CheckConn waits at most a millisecond for one).
	return c.CheckConn() == nil && !c.IsClosed()
}

// What an idle connection's socket holds.
type socketState int

const (
	nothing socketState = iota // no data, not closed: the usual case
	data                       // bytes to read
	closed                     // end of stream or an error
	// unknown: the socket cannot be looked at here (another OS, a
	// connection pgx was given by a dialer of its own); the ping after a
	// second idle and the retries are then all there is.
	unknown
)

// pending looks at what c's socket holds without reading it. Behind TLS
// it looks at the encrypted stream beneath.
func pending(c net.Conn) socketState {
	if t, ok := c.(interface{ NetConn() net.Conn }); ok {
		c = t.NetConn()
	}
	sc, ok := c.(syscall.Conn)
	if !ok {
		return unknown
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return closed
	}
	return peek(raw)
}

// lost reports whether err says the statement's connection was lost: the
// server ended it (57P01 admin_shutdown, 57P02 crash_shutdown, 57P05
// idle_session_timeout, 25P03 idle_in_transaction_session_timeout) or it
// closed under the statement. It says nothing of whether the statement ran.
func lost(err error) bool {
	if err == nil {
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "57P01", "57P02", "57P05", "25P03":
			return true
		}
		return false
	}
	for _, e := range []error{driver.ErrBadConn, sql.ErrConnDone, pgconn.ErrConnClosed, io.EOF, io.ErrUnexpectedEOF,
		net.ErrClosed, syscall.ECONNRESET, syscall.EPIPE} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// readOnly reports whether query only reads (a SELECT), so that running it
// twice is the same as once.
func readOnly(query string) bool {
	q := strings.TrimLeft(query, " \t\r\n")
	return len(q) >= 6 && strings.EqualFold(q[:6], "SELECT")
}

// Unreachable reports whether err is a new connection to the database
// that could not be made: its address refuses connections (PostgreSQL
// stopped), does not answer or does not resolve, or the server is starting
// up or shutting down (57P03 cannot_connect_now). Like a lost connection
// it is no fault of the portal's code, and the person can send the request
// again once the database is back. A login the server refuses (a wrong
// password, no such database) is not this: that is the configuration's
// fault, and stays an internal error.
func Unreachable(err error) bool {
	var ce *pgconn.ConnectError
	if !errors.As(err, &ce) {
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "57P03"
	}
	var ne net.Error
	return errors.As(err, &ne)
}

// ConnectionLost reports whether err is a statement's database connection
// lost under it (a PostgreSQL restart, failover or pg_terminate_backend
// while the statement or its COMMIT was under way): the one failure the
// store does not run again, since the write may or may not have been
// made. The person can send it again; it is no fault of the portal's code.
// Only the database's own errors count: an io.EOF or a reset from SMTP, an
// SMS gateway or a provider is not this.
func ConnectionLost(err error) bool {
	var pe *pgconn.PgError
	var pgx interface{ SafeToRetry() bool } // pgconn's errors of the wire
	fromDB := errors.As(err, &pe) || errors.As(err, &pgx) ||
		errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone)
	return fromDB && lost(err)
}
