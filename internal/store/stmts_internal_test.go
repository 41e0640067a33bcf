package store

import (
	"path/filepath"
	"testing"
	"time"
)

// A query first run inside a transaction runs unprepared there and is
// prepared on the pool in the background, for its next use.
func TestStatementFirstUsedInATransactionIsPreparedForLater(t *testing.T) {
	s, err := Open(t.Context(), "sqlite:"+filepath.Join(t.TempDir(), "portal.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const query = `SELECT COUNT(*) FROM clients WHERE id = ?`
	err = s.InTx(t.Context(), func(q *Q) error {
		var n int
		return q.row(t.Context(), query, "client_x").Scan(&n)
	})
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if v, ok := s.Q.stmts.m.Load(query); ok {
			if v.(*stmt).st == nil {
				t.Fatal("cached without a prepared statement")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("not prepared after its use in a transaction")
		}
	}
	var n int
	if err := s.Q.row(t.Context(), query, "client_x").Scan(&n); err != nil || n != 0 {
		t.Fatalf("prepared query: %d, %v", n, err)
	}
}

// Close returns only once statements being prepared in the background have
// let go of their connections: a store that is closed touches its database
// no more (a test's temporary directory is then removable).
func TestCloseWaitsForStatementsPreparedInTheBackground(t *testing.T) {
	// The preparing goroutine races Close; one round in three or so lost
	// it before Close waited, so 20 rounds show it all but surely.
	for i := range 20 {
		s, err := Open(t.Context(), "sqlite:"+filepath.Join(t.TempDir(), "portal.db"))
		if err != nil {
			t.Fatal(err)
		}
		err = s.InTx(t.Context(), func(q *Q) error {
			_, err := q.SettingOrInit(t.Context(), "instance_id", func() string { return "ins_x" })
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if n := s.DB().Stats().OpenConnections; n != 0 {
			t.Fatalf("round %d: %d connections open after Close", i+1, n)
		}
	}
}
