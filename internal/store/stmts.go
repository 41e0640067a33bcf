package store

import (
	"context"
	"database/sql"
	"sync"
)

// maxStmts bounds the statement cache. The package's queries are constant
// strings, a little over a hundred of them; the few built from filters go
// through adhoc and are never cached. The bound only keeps a future
// mistake from growing the cache without end: past it, queries run
// unprepared as before.
const maxStmts = 512

// stmts caches, by query text, what running a query needs besides its
// arguments: the text rebound for the engine and, on SQLite, a prepared
// statement. Without it SQLite parses and plans every query afresh on
// every call: about 5% of a token refresh's CPU in the bench profile (a
// handshake runs two to four small queries). PostgreSQL needs no
// statement here: pgx already prepares each query text once per
// connection and reuses it (its default statement cache), and a
// database/sql statement on top would duplicate it and cost a round trip
// per statement whenever the pool closes a connection.
//
// The statements belong to the pool (sql.Stmt prepares lazily on each
// connection that runs them); inside a transaction Q binds them to the
// transaction's connection with Tx.StmtContext, which the transaction
// closes when it ends. Close closes them all.
type stmts struct {
	db      *sql.DB
	prepare bool

	m sync.Map // query text -> *stmt

	mu      sync.Mutex // guards n, closed, pending and the adding of entries
	n       int
	closed  bool
	pending map[string]bool // queries being prepared in the background
	bg      sync.WaitGroup  // their goroutines, which Close waits for
}

type stmt struct {
	sql string    // the query rebound for the engine
	st  *sql.Stmt // nil: run the text unprepared
}

func newStmts(db *sql.DB, d Dialect) *stmts {
	return &stmts{db: db, prepare: d == SQLite, pending: map[string]bool{}}
}

// get returns the cached entry of query, preparing it on first use; nil
// when it is not (yet) prepared, or the cache is full or closed: the query
// then runs as it is.
func (c *stmts) get(ctx context.Context, q *Q, query string) *stmt {
	if v, ok := c.m.Load(query); ok {
		return v.(*stmt)
	}
	e := &stmt{sql: q.rebind(query)}
	if !c.prepare {
		return c.add(query, e)
	}
	// Statements are prepared on the pool, not on q's transaction, so that
	// they outlive it. That takes a connection of its own for a moment; a
	// transaction holds one already and must not wait for another (the
	// transactions filling the pool would wait on each other), so inside
	// one the statement is prepared in the background for next time.
	if _, inTx := q.db.(*sql.Tx); inTx {
		c.prepareLater(query, e.sql)
		return nil
	}
	// A query that fails to prepare is not cached: running it unprepared
	// reports the same error.
	st, err := c.db.PrepareContext(ctx, e.sql)
	if err != nil {
		return nil
	}
	e.st = st
	return c.add(query, e)
}

// add caches e for query and returns the entry in force for it, or nil
// when the cache is full or closed.
func (c *stmts) add(query string, e *stmt) *stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.m.Load(query); ok { // prepared meanwhile by another caller
		e.discard()
		return v.(*stmt)
	}
	if c.closed || c.n >= maxStmts {
		e.discard()
		return nil
	}
	c.m.Store(query, e)
	c.n++
	return e
}

// prepareLater prepares query on the pool from a goroutine of its own,
// which holds no connection while it waits for one; once per query at a
// time.
func (c *stmts) prepareLater(query, text string) {
	c.mu.Lock()
	if c.closed || c.n >= maxStmts || c.pending[query] {
		c.mu.Unlock()
		return
	}
	c.pending[query] = true
	c.bg.Add(1)
	c.mu.Unlock()
	go func() {
		defer c.bg.Done()
		st, err := c.db.PrepareContext(context.Background(), text) // fails once the pool is closed
		c.mu.Lock()
		delete(c.pending, query)
		c.mu.Unlock()
		if err == nil {
			c.add(query, &stmt{sql: text, st: st})
		}
	}()
}

func (e *stmt) discard() {
	if e.st != nil {
		_ = e.st.Close()
	}
}

// wait waits for the statements being prepared in the background; after
// close no more start.
func (c *stmts) wait() { c.bg.Wait() }

// close closes every cached statement; later queries run unprepared.
func (c *stmts) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	var first error
	c.m.Range(func(k, v any) bool {
		if st := v.(*stmt).st; st != nil {
			if err := st.Close(); err != nil && first == nil {
				first = err
			}
		}
		c.m.Delete(k)
		return true
	})
	c.n = 0
	return first
}
