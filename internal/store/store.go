// Package store keeps Portal's state in SQLite or PostgreSQL behind the
// interfaces the domain packages declare. Both engines run the same SQL
// (written with ? placeholders and rebound for PostgreSQL) and the same
// contract test suite.
package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite" // registers "sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/portalhq/portal/internal/apperr"
)

// Dialect names the SQL engine.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = apperr.ErrNotFound

// ErrConflict is returned when a unique value is taken or an optimistic
// update lost its race.
var ErrConflict = apperr.ErrConflict

// Store is the database. Its Q methods run outside a transaction; InTx runs
// a function inside one.
type Store struct {
	db      *sql.DB
	dialect Dialect
	// pg is the PostgreSQL connection configuration the URL gave, for
	// the migrations' own pool (Migrate); nil on SQLite.
	pg *pgx.ConnConfig
	// path is the SQLite file's absolute path (Where); "" on PostgreSQL.
	path string
	// applied names the migrations Open applied (Applied).
	applied []string
	// newer is the database's highest migration when a newer Portal
	// applied it, else 0 (Newer).
	newer, known int64
	Q            *Q
}

// Applied names the migrations Open applied, oldest first, by file name
// (00021_sessions_actor.sql): none when the database was up to date.
func (s *Store) Applied() []string { return s.applied }

// Newer reports the database's highest migration and this binary's when
// the database's is beyond what this binary knows: a newer Portal has
// migrated it (an older binary started again after an upgrade, a rollback,
// or a rolling deploy still under way). Zeros when it is not.
func (s *Store) Newer() (database, known int64) {
	if s.newer == 0 {
		return 0, 0
	}
	return s.newer, s.known
}

// Open connects to url ("sqlite:PATH" or "postgres://…") and applies
// migrations, making the database when there is none (a first start).
func Open(ctx context.Context, url string) (*Store, error) { return open(ctx, url, false) }

// OpenExisting is Open for a command that acts on the portal's database
// (portal keys rotate): it refuses a database no portal has used — a
// SQLite file that does not exist, a PostgreSQL database or schema
// without the portal's tables — rather than make one, which would have
// the command report success on a database no portal reads (a typo in
// PORTAL_DATABASE_URL, or the command run where it is not set).
func OpenExisting(ctx context.Context, url string) (*Store, error) { return open(ctx, url, true) }

func open(ctx context.Context, url string, existing bool) (*Store, error) {
	var (
		db  *sql.DB
		pg  *pgx.ConnConfig
		d   Dialect
		err error
	)
	switch {
	case strings.HasPrefix(url, "sqlite:"):
		d = SQLite
		path := strings.TrimPrefix(url, "sqlite:")
		if _, serr := os.Stat(path); existing && path != "" && serr != nil {
			return nil, fmt.Errorf("store: no portal database at %s (%w): set PORTAL_DATABASE_URL to the database "+
				"your portals use", path, serr)
		}
		db, err = openSQLite(path)
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		d = Postgres
		if pg, err = parsePostgres(url); err == nil {
			db = openPostgres(pg, lockTimeout)
		}
	default:
		return nil, fmt.Errorf("store: unsupported database URL %q: use sqlite:PATH or postgres://…", redact(url))
	}
	if err != nil {
		return nil, err
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		db.Close()
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "3D000" && pg != nil { // invalid_catalog_name
			return nil, fmt.Errorf("store: connect to %s: %w; create the database (createdb %s, as a role that may) "+
				"or correct its name in PORTAL_DATABASE_URL", redact(url), onceEach{err}, pg.Database)
		}
		return nil, fmt.Errorf("store: connect to %s: %w", redact(url), onceEach{err})
	}
	if existing {
		if err := portalIn(ctx, db, d, url); err != nil {
			db.Close()
			return nil, err
		}
	}
	s := &Store{db: db, dialect: d, pg: pg}
	if d == SQLite {
		s.path, _ = filepath.Abs(strings.TrimPrefix(url, "sqlite:"))
	}
	s.Q = &Q{db: db, d: d, stmts: newStmts(db, d), writes: &writes{}}
	if err := s.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// portalIn fails unless a portal has migrated the database db is open
// on: it holds the migrations' version table (in the schema the
// search_path names first, on PostgreSQL).
func portalIn(ctx context.Context, db *sql.DB, d Dialect, url string) error {
	q := `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'goose_db_version'`
	if d == Postgres {
		q = `SELECT COUNT(*) FROM pg_tables WHERE tablename = 'goose_db_version' AND schemaname = current_schema()`
	}
	var n int
	if err := db.QueryRowContext(ctx, q).Scan(&n); err != nil {
		return fmt.Errorf("store: %s: %w", redact(url), err)
	}
	if n == 0 && d == Postgres {
		var schema sql.NullString
		if err := db.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&schema); err == nil && !schema.Valid {
			return fmt.Errorf("store: the search_path of %s names no schema that exists: set PORTAL_DATABASE_URL "+
				"to the database and schema your portals use", redact(url))
		}
	}
	if n == 0 {
		return fmt.Errorf("store: no portal has used the database at %s (it has none of the portal's tables): "+
			"set PORTAL_DATABASE_URL to the database your portals use", redact(url))
	}
	return nil
}

// openSQLite opens the file in WAL mode with a busy timeout, and makes every
// transaction take the write lock up front (BEGIN IMMEDIATE) so concurrent
// writers wait their turn instead of failing with "database is locked".
// A writer that waits past the busy timeout (10 s; another process kept
// the lock) fails with SQLITE_BUSY, which Busy recognises.
func openSQLite(path string) (*sql.DB, error) {
	if path == "" {
		return nil, errors.New("store: sqlite: empty path")
	}
	// Every pooled connection to :memory: would get its own empty database,
	// migrated on one connection and missing on the others.
	if path == ":memory:" {
		return nil, errors.New("store: sqlite: in-memory databases are not supported; use a file (tests: t.TempDir())")
	}
	// SQLite says only "unable to open database file (14)" of a directory,
	// or of a file it may not make: say which, and what to do.
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return nil, fmt.Errorf("store: sqlite:%s is a directory: PORTAL_DATABASE_URL names the database file, "+
			"e.g. sqlite:%s", path, filepath.Join(path, "portal.db"))
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("store: create directory for %s: %s (%w)", path, cannotWrite(dir, err), err)
	}
	// The database holds the signing keys and sealed secrets: a new file
	// is its owner's only, whatever the folder it is put in allows (SQLite
	// gives its -wal and -shm files the database file's mode).
	if f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		f.Close()
	} else if !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("store: create %s: %s (%w)", path, cannotWrite(dir, err), err)
	}
	// The name is read as a URI: a '#' or '?' in it would end the path
	// early and open another file, a '%' would start an escape.
	name := strings.NewReplacer("%", "%25", "#", "%23", "?", "%3f").Replace(path)
	dsn := "file:" + name + "?_txlock=immediate" +
		"&_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)" +
		"&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	return db, nil
}

// cannotWrite says why the SQLite database could not be made in dir, or
// dir made, and what to do about it.
func cannotWrite(dir string, err error) string {
	elsewhere := "or set PORTAL_DATABASE_URL to sqlite:PATH in a directory that user may write"
	switch {
	case errors.Is(err, syscall.ENOTDIR):
		// Some directory on the way is a file: name it.
		for d := dir; d != filepath.Dir(d); d = filepath.Dir(d) {
			if st, serr := os.Stat(d); serr == nil && !st.IsDir() {
				return fmt.Sprintf("%s is a file, not a directory: move it, or set PORTAL_DATABASE_URL to sqlite:PATH "+
					"in a directory", d)
			}
		}
		return "a part of that path is a file, not a directory"
	case errors.Is(err, fs.ErrPermission):
		return fmt.Sprintf("the user portal runs as (uid %d) may not write in %s, or make it: give that user a "+
			"directory of its own (mkdir -p %s && chown %d %s), %s", os.Getuid(), dir, dir, os.Getuid(), dir, elsewhere)
	case errors.Is(err, syscall.EROFS):
		return fmt.Sprintf("%s is on a read-only file system: %s", dir, strings.TrimPrefix(elsewhere, "or "))
	}
	return "check that the directory exists or can be made, and that portal's user may write in it"
}

// onceEach is a connection error with each of its lines said once: pgx
// tries a server twice under sslmode=prefer (PostgreSQL's default: with
// TLS, then without) and tells both attempts' errors, which are most
// often the same refusal, so an operator read each failure twice.
type onceEach struct{ err error }

func (e onceEach) Error() string {
	var lines []string
	for _, l := range strings.Split(e.err.Error(), "\n") {
		// A line already said, or said within another (a name that does
		// not resolve: "hostname resolving error: lookup …", then "lookup …").
		if t := strings.TrimSpace(l); t == "" || !slices.ContainsFunc(lines, func(s string) bool { return strings.Contains(s, t) }) {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}

func (e onceEach) Unwrap() error { return e.err }

// Dialect reports the engine in use.
func (s *Store) Dialect() Dialect { return s.dialect }

// Where names the database for the start-up log, so an operator sees which
// one a machine is on: a SQLite file by its absolute path (a relative
// PORTAL_DATABASE_URL is read from the working directory, which under a
// service manager is seldom the one meant), PostgreSQL by host, port,
// database and search_path. Never the user name or a password.
func (s *Store) Where() string {
	if s.pg == nil {
		return "sqlite:" + s.path
	}
	w := fmt.Sprintf("postgres://%s:%d/%s", s.pg.Host, s.pg.Port, s.pg.Database)
	if sp := s.pg.RuntimeParams["search_path"]; sp != "" {
		w += " search_path=" + sp
	}
	return w
}

// DB exposes the pool for health checks.
func (s *Store) DB() *sql.DB { return s.db }

// Close closes the cached statements and the pool.
func (s *Store) Close() error {
	err := s.Q.stmts.close()
	if cerr := s.db.Close(); cerr != nil {
		err = cerr
	}
	// A statement being prepared in the background may hold a connection
	// of its own, which sql.DB.Close does not wait for. Closing the pool
	// first ends any wait for one; then the preparations finish, and with
	// them the last connection.
	s.Q.stmts.wait()
	return err
}

// Ping checks the database answers (readiness). The pool replaces a
// connection the server ended (a restart, a failover) before handing it
// out (openPostgres), but one ended between that check and the ping is
// found out only by the ping, which database/sql does not retry on
// another connection; a failed ping drops its connection, so each idle
// one is tried, then a new one. A database that is down fails them all
// at once.
func (s *Store) Ping(ctx context.Context) error {
	err := s.db.PingContext(ctx)
	for range s.db.Stats().Idle + 1 {
		if err == nil || ctx.Err() != nil {
			break
		}
		err = s.db.PingContext(ctx)
	}
	return err
}

// InTx runs fn in a transaction, committing when it returns nil.
//
// On PostgreSQL, a transaction whose connection was lost before fn had an
// answer from it (the server ended it between the pool's check and BEGIN,
// or under fn's first statement) runs once more, on another connection:
// nothing of it can have been committed, and fn has acted on nothing it
// read, so what runs before fn's first statement must only be safe to
// repeat (assignments, not increments or sends). Once a statement has
// answered, or when COMMIT fails (it may have committed), the error is
// returned as it is.
func (s *Store) InTx(ctx context.Context, fn func(q *Q) error) error {
	return s.Q.inTx(ctx, s.db, fn)
}

// Tx adapts InTx to a domain package's own repository interface R, which
// *Q must implement (checked by the contract tests).
func Tx[R any](s *Store) func(ctx context.Context, fn func(R) error) error {
	return func(ctx context.Context, fn func(R) error) error {
		return s.InTx(ctx, func(q *Q) error { return fn(any(q).(R)) })
	}
}

// atomic runs fn in a transaction of its own when q is not already inside
// one, for methods whose several statements must not be left half done.
func (q *Q) atomic(ctx context.Context, fn func(q *Q) error) error {
	db, ok := q.db.(*sql.DB)
	if !ok {
		return fn(q)
	}
	return q.inTx(ctx, db, fn)
}

// inTx runs fn in a transaction on db, and once more as InTx says.
func (q *Q) inTx(ctx context.Context, db *sql.DB, fn func(q *Q) error) error {
	for try := 1; ; try++ {
		t := &txState{}
		err := q.tryTx(ctx, db, t, fn)
		if err == nil || try > 1 || q.d != Postgres || t.answered || t.committing || !lost(err) || ctx.Err() != nil {
			return err
		}
	}
}

func (q *Q) tryTx(ctx context.Context, db *sql.DB, t *txState, fn func(q *Q) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		q.writes.note(err)
		return err
	}
	if err := fn(&Q{db: tx, d: q.d, images: q.images, stmts: q.stmts, tx: t, writes: q.writes}); err != nil {
		q.writes.note(err) // one a Scan or rows.Err returned
		_ = tx.Rollback()
		return err
	}
	t.committing = true
	err = tx.Commit()
	q.writes.note(err)
	return err
}

// txState is what a transaction's run has come to.
type txState struct {
	answered   bool // a statement of it has answered (fn may act on what it read)
	committing bool // COMMIT was sent (it may have committed whatever it answers)
}

// Q runs the store's queries on a pool or inside a transaction.
type Q struct {
	db interface {
		ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
		QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
		QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	}
	d Dialect
	// images is the public base URL profile image URLs are built on.
	images string
	// stmts caches the rebound text and, on SQLite, the prepared
	// statement of each query; nil runs every query as it is (adhoc).
	stmts *stmts
	// tx is the state of the transaction q runs in; nil on the pool.
	tx *txState
	// writes remembers a write the database refused, for Ready.
	writes *writes
}

// ServeImagesAt sets the portal's public base URL, which users' image_url
// is built on. Call it before use; without it image URLs are paths.
func (s *Store) ServeImagesAt(baseURL string) { s.Q.images = strings.TrimSuffix(baseURL, "/") }

// adhoc is q without the statement cache, for queries built from a
// filter, whose texts are too many to keep.
func (q *Q) adhoc() *Q {
	c := *q
	c.stmts = nil
	return &c
}

// prepared returns the statement to run query with on q (bound to q's
// transaction when q is in one), or the text to run when there is none.
func (q *Q) prepared(ctx context.Context, query string) (*sql.Stmt, string) {
	if q.stmts == nil {
		return nil, q.rebind(query)
	}
	e := q.stmts.get(ctx, q, query)
	switch {
	case e == nil:
		return nil, q.rebind(query)
	case e.st == nil:
		return nil, e.sql
	}
	if tx, ok := q.db.(*sql.Tx); ok {
		return tx.StmtContext(ctx, e.st), ""
	}
	return e.st, ""
}

func (q *Q) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, text := q.prepared(ctx, query)
	var (
		res sql.Result
		err error
	)
	if st != nil {
		res, err = st.ExecContext(ctx, args...)
	} else {
		res, err = q.db.ExecContext(ctx, text, args...)
	}
	q.writes.note(err)
	q.answered(err)
	return res, err
}

func (q *Q) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, text := q.prepared(ctx, query)
	run := func() (*sql.Rows, error) {
		if st != nil {
			return st.QueryContext(ctx, args...)
		}
		return q.db.QueryContext(ctx, text, args...)
	}
	rows, err := run()
	if q.again(ctx, query, err) {
		rows, err = run()
	}
	q.writes.note(err) // INSERT … RETURNING
	q.answered(err)
	return rows, err
}

func (q *Q) row(ctx context.Context, query string, args ...any) *sql.Row {
	st, text := q.prepared(ctx, query)
	run := func() *sql.Row {
		if st != nil {
			return st.QueryRowContext(ctx, args...)
		}
		return q.db.QueryRowContext(ctx, text, args...)
	}
	r := run()
	if q.again(ctx, query, r.Err()) {
		r = run()
	}
	q.writes.note(r.Err()) // INSERT … RETURNING
	q.answered(r.Err())
	return r
}

// again reports whether query, which failed with err outside a
// transaction, is to run once more: on PostgreSQL, a read whose
// connection was lost. The pool's check before use finds a connection the
// server had ended; this covers one ended between the check and the
// statement. A write is never run again: the server may have committed it
// before it ended the connection.
func (q *Q) again(ctx context.Context, query string, err error) bool {
	return err != nil && q.tx == nil && q.d == Postgres && readOnly(query) && lost(err) && ctx.Err() == nil
}

// answered notes, inside a transaction, that a statement answered.
func (q *Q) answered(err error) {
	if err == nil && q.tx != nil {
		q.tx.answered = true
	}
}

// rebind turns ? placeholders into $n for PostgreSQL. The queries in this
// package never contain a literal question mark.
func (q *Q) rebind(query string) string {
	if q.d != Postgres || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

// Busy reports whether err is a statement that gave up waiting for a lock
// another database session held: on PostgreSQL past lock_timeout (SQLSTATE
// 55P03 lock_not_available; see lockTimeout), on SQLite past its busy
// timeout (SQLITE_BUSY: another process kept the write lock). Unlike a
// lost connection, nothing of it was written: the statement did not run,
// and the transaction it was in is rolled back (InTx). The person can send
// it again once the other session lets go; it is no fault of the portal's
// code.
func Busy(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "55P03"
	}
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_BUSY
}

// CannotWrite reports whether the database refused a write for want of
// room or rights: its disk is full (SQLite's FULL, PostgreSQL's 53100), a
// write to its files failed (SQLite's IOERR, which a full disk can also
// give), or it is read-only (the file or its folder, or a PostgreSQL
// standby that a failover left the portal pointed at, 25006). It is no
// fault of the request, nothing was written, and once the operator frees
// space or fixes the rights writes go through again with no restart.
func CannotWrite(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "53100" || pe.Code == "25006"
	}
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_READONLY:
		return true
	}
	return false
}

// isUnique reports whether err is a unique-constraint violation on either engine.
func isUnique(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "UNIQUE constraint failed") || strings.Contains(s, "SQLSTATE 23505")
}

func redact(url string) string {
	if i := strings.Index(url, "@"); i > 0 {
		if j := strings.Index(url, "://"); j > 0 && j < i {
			return url[:j+3] + "…" + url[i:]
		}
	}
	return url
}

// ms converts a time to the stored representation (unix milliseconds).
func ms(t time.Time) int64 { return t.UnixMilli() }

func msPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

// rawJSON stores an optional JSON value (an actor object) as text, NULL
// when there is none.
func rawJSON(v json.RawMessage) any {
	if len(v) == 0 {
		return nil
	}
	return string(v)
}

func fromRawJSON(v sql.NullString) json.RawMessage {
	if !v.Valid || v.String == "" {
		return nil
	}
	return json.RawMessage(v.String)
}

func fromNullMS(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMS(v.Int64)
	return &t
}
