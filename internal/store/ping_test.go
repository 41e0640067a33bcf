package store_test

import (
	"database/sql"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/store"
	"github.com/portalhq/portal/internal/testutil/pgtest"
)

// Readiness (/readyz) after PostgreSQL ended the portal's connections (a
// restart, a failover, an operator's pg_terminate_backend) while the
// database itself answers: the dead connection is replaced, not reported.
// Before, a ping after it took a dead idle connection and /readyz
// answered 503 though the database was up (database/sql does not retry a
// ping on another connection), on every machine at once, so a load
// balancer could take them all out together.
func TestPingAfterTheServerEndedTheConnections(t *testing.T) {
	url := pgtest.URL(t)
	st, err := store.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// Several idle connections in use a moment ago (twice: the pool checks
	// a connection it hands out again only when it was idle a while), all
	// ended at once.
	var pids []int
	for range 2 {
		var conns []*sql.Conn
		pids = nil
		for range 5 {
			c, err := st.DB().Conn(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			var pid int
			if err := c.QueryRowContext(t.Context(), `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
				t.Fatal(err)
			}
			conns, pids = append(conns, c), append(pids, pid)
		}
		for _, c := range conns {
			c.Close()
		}
	}
	admin, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	for _, pid := range pids {
		if _, err := admin.ExecContext(t.Context(), `SELECT pg_terminate_backend($1)`, pid); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(50 * time.Millisecond) // the backend has gone
	if err := st.Ping(t.Context()); err != nil {
		t.Fatalf("ping after the server ended the idle connections: %v", err)
	}
}
