package e2e

import (
	"database/sql"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/testutil/pgtest"
	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// A failover that leaves the portals on a PostgreSQL that takes no writes
// (a standby; here the portal's role made read-only and its connections
// ended, as a failover ends them): /readyz answers 503 not ready, logged as
// a warning that says the database cannot write and why, so that a load
// balancer stops sending people to a portal that cannot sign them in.
// Before, it said ready while every write answered 503. Writable again,
// it is ready again with no restart.
func TestReadOnlyPostgresIsNotReady(t *testing.T) {
	base := pgtest.URL(t)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	schema := q.Get("search_path")
	q.Set("application_name", "admin_"+schema) // not ended with the portal's
	adminURL := *u
	adminURL.RawQuery = q.Encode()
	admin, err := sql.Open("pgx", adminURL.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	role := pgtest.Role(t, admin, schema, "USAGE, CREATE") // dropped after the portal has stopped
	u.User = url.User(role)
	var log syncBuffer
	p := portaltest.Start(t, portaltest.Options{Log: &log, Env: map[string]string{
		"PORTAL_DATABASE_URL": u.String(), "PORTAL_LOG_FORMAT": "json"}})
	readyz := func() int {
		t.Helper()
		res, err := http.Get(p.URL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	readOnly := func(on bool) {
		t.Helper()
		stmt := "ALTER ROLE " + role + " RESET default_transaction_read_only"
		if on {
			stmt = "ALTER ROLE " + role + " SET default_transaction_read_only = on"
		}
		if _, err := admin.ExecContext(t.Context(), stmt); err != nil {
			t.Fatal(err)
		}
		pgtest.EndConnections(t, base)
	}
	if got := readyz(); got != http.StatusOK {
		t.Fatalf("/readyz before: %d", got)
	}

	readOnly(true)
	mark := len(log.String())
	if got := readyz(); got != http.StatusServiceUnavailable {
		t.Errorf("/readyz on a read-only database: %d, want 503", got)
	}
	time.Sleep(100 * time.Millisecond) // the request's line is written after its answer
	lines := readyzLines(t, log.String()[mark:])
	if len(lines) != 1 || lines[0]["level"] != "WARN" {
		t.Fatalf("/readyz not ready logged %v, want one warning", lines)
	}
	if cause, _ := lines[0]["err"].(string); !strings.Contains(cause, "cannot write") || !strings.Contains(cause, "read-only") {
		t.Errorf("/readyz's warning says %q, want that the database cannot write, being read-only", cause)
	}

	readOnly(false)
	if got := readyz(); got != http.StatusOK {
		t.Errorf("/readyz once the database takes writes again: %d, want 200", got)
	}
	apiUser(t, p, "ada@example.com") // and it writes
}
