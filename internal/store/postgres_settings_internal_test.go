package store

import (
	"testing"

	"github.com/portalhq/portal/internal/testutil/pgtest"
)

// Migrations run on sessions that wait 60 s for a lock, longer than a
// request's 10 s, unless the session has a lock_timeout from elsewhere
// (here the URL), which they keep too; the idle-in-transaction limit is
// the requests' own.
func TestMigrationSessionsWaitLonger(t *testing.T) {
	for _, c := range []struct{ name, params, lock string }{
		{"default", "", "60000"},
		{"the URL's", "&options=-c%20lock_timeout%3D250ms", "250"},
		{"the URL's 0", "&lock_timeout=0", "0"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := Open(t.Context(), pgtest.URL(t)+c.params)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			db := s.migrationDB()
			defer db.Close()
			var lock, idle string
			if err := db.QueryRowContext(t.Context(), `SELECT
				(SELECT setting FROM pg_settings WHERE name = 'lock_timeout'),
				(SELECT setting FROM pg_settings WHERE name = 'idle_in_transaction_session_timeout')`).Scan(&lock, &idle); err != nil {
				t.Fatal(err)
			}
			if lock != c.lock || idle != "60000" {
				t.Errorf("migration sessions: lock_timeout %s ms, idle_in_transaction_session_timeout %s ms; want %s and 60000",
					lock, idle, c.lock)
			}
		})
	}
}
