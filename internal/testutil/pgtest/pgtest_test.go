package pgtest_test

import (
	"database/sql"
	"net/url"
	"testing"

	"github.com/portalhq/portal/internal/testutil/pgtest"
)

// Each URL is a schema of its own, gone when its test ends, so tests on
// one server neither see each other's tables nor leave any behind.
func TestURLIsolatesAndCleansUp(t *testing.T) {
	var schemas []string
	t.Run("two schemas", func(t *testing.T) {
		for range 2 {
			raw := pgtest.URL(t)
			u, err := url.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			schemas = append(schemas, u.Query().Get("search_path"))
			db, err := sql.Open("pgx", raw)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			// The same unqualified name in both: only isolation lets both succeed.
			if _, err := db.ExecContext(t.Context(), `CREATE TABLE probe (id int)`); err != nil {
				t.Fatalf("create table in %s: %v", schemas[len(schemas)-1], err)
			}
		}
		if schemas[0] == schemas[1] || schemas[0] == "" {
			t.Fatalf("schemas %q", schemas)
		}
	})
	db, err := sql.Open("pgx", pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range schemas {
		var n int
		if err := db.QueryRowContext(t.Context(), `SELECT count(*) FROM pg_namespace WHERE nspname = $1`, s).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("schema %s left behind", s)
		}
	}
}
