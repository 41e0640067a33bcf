package store_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/store"
	"github.com/portalhq/portal/internal/testutil/pgtest"
)

// A PostgreSQL URL whose search_path names a schema that does not exist
// (the operator meant to give the portal a schema of its own and has not
// made it yet) stops start-up saying so and what to do, not with a Scan
// error about NULL.
func TestOpenSchemaThatDoesNotExist(t *testing.T) {
	url := regexp.MustCompile(`search_path=[a-z0-9_]+`).ReplaceAllString(pgtest.URL(t), "search_path=portal_missing")
	st, err := store.Open(t.Context(), url)
	if err == nil {
		st.Close()
		t.Fatal("opened a database whose search_path names no schema")
	}
	if msg := err.Error(); !strings.Contains(msg, "portal_missing") || !strings.Contains(msg, "CREATE SCHEMA") {
		t.Fatalf("err = %v, want it to name the schema and say to create it", err)
	}
}
