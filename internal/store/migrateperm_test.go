package store_test

import (
	"database/sql"
	"net/url"
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/store"
	"github.com/portalhq/portal/internal/testutil/pgtest"
)

// A PostgreSQL role that may use the schema but not create in it (the
// public schema since PostgreSQL 15, or a role meant only for rows) is
// told the grant that lets it, or to migrate as the owner, not only
// "permission denied for schema".
func TestMigrateWithoutCreateOnTheSchemaSaysTheGrant(t *testing.T) {
	base := pgtest.URL(t)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	schema := u.Query().Get("search_path")
	role := pgtest.Role(t, admin, schema, "USAGE")
	u.User = url.User(role)
	s, err := store.Open(t.Context(), u.String())
	if err == nil {
		s.Close()
		t.Fatal("a role without CREATE on the schema migrated it")
	}
	for _, want := range []string{"GRANT CREATE ON SCHEMA " + schema + " TO " + role, "portal migrate",
		"as the schema's owner", "permission denied for schema " + schema} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if _, err := admin.ExecContext(t.Context(), "GRANT CREATE ON SCHEMA "+schema+" TO "+role); err != nil {
		t.Fatal(err)
	}
	s, err = store.Open(t.Context(), u.String())
	if err != nil {
		t.Fatalf("after the grant the message gives: %v", err)
	}
	s.Close()
}
