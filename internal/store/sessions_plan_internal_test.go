package store

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/testutil/pgtest"
)

// The new sign-in email's look-up (SessionsOfUserSince) runs at every
// sign-in: on both engines it reads the user's sessions in order from an
// index, never every session of the user sorted afterwards, which for an
// account signed in to thousands of times within the retention would be
// thousands of rows a sign-in.
func TestSessionsOfUserSinceReadsAnIndexInOrder(t *testing.T) {
	args := []any{"user_x", ms(time.Now().Add(-time.Hour)), 500}
	t.Run("sqlite", func(t *testing.T) {
		s, err := Open(t.Context(), "sqlite:"+filepath.Join(t.TempDir(), "portal.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		rows, err := s.db.QueryContext(t.Context(), `EXPLAIN QUERY PLAN `+s.Q.rebind(sessionsOfUserSince), args...)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var plan []string
		for rows.Next() {
			var (
				id, parent, unused int
				detail             string
			)
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		wantIndexInOrder(t, strings.Join(plan, "\n"), "TEMP B-TREE")
	})
	t.Run("postgres", func(t *testing.T) {
		s, err := Open(t.Context(), pgtest.URL(t))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		conn, err := s.db.Conn(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		// An empty table is cheapest read whole; ask for the plan a large
		// one gets, with sorting as the last resort.
		if _, err := conn.ExecContext(t.Context(), `SET enable_seqscan = off; SET enable_bitmapscan = off; SET enable_sort = off`); err != nil {
			t.Fatal(err)
		}
		rows, err := conn.QueryContext(t.Context(), `EXPLAIN `+s.Q.rebind(sessionsOfUserSince), args...)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var plan []string
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, line)
		}
		wantIndexInOrder(t, strings.Join(plan, "\n"), "Sort")
	})
}

func wantIndexInOrder(t *testing.T, plan, sort string) {
	t.Helper()
	if !strings.Contains(plan, "sessions_user_active") || strings.Contains(plan, sort) {
		t.Errorf("SessionsOfUserSince's plan:\n%s\nwant it read from sessions_user_active in order, with no %s", plan, sort)
	}
}
