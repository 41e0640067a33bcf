package main

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/store"
	"github.com/portalhq/portal/internal/testutil/pgtest"
	"github.com/portalhq/portal/internal/webhook"
)

// portal keys rotate changes the signing keys and nothing else. Run with
// less than the serving configuration (here without PORTAL_WEBHOOK_URL, as
// from an operator's shell), it used to bring the deployment in line with
// that configuration, disabling the configured webhook endpoint for every
// machine ("PORTAL_WEBHOOK_URL is no longer set").
func TestRotateKeysChangesNothingElse(t *testing.T) {
	ctx := context.Background()
	db := "sqlite:" + t.TempDir() + "/p.db"
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	hooks := &webhook.Service{Clock: clockwork.NewRealClock(), Store: st.Q, InTx: store.Tx[webhook.Store](st),
		AllowPrivate: true}
	if err := hooks.Configure(ctx, "http://127.0.0.1:9/hook", ""); err != nil {
		t.Fatal(err)
	}
	st.Close()

	getenv, environ := envOf(map[string]string{"PORTAL_DATABASE_URL": db})
	for _, args := range [][]string{{"keys", "rotate"}, {"keys", "rotate", "--now"}} {
		var out bytes.Buffer
		if err := run(ctx, args, getenv, environ, &out, io.Discard); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		if !strings.Contains(out.String(), "new signing key") {
			t.Fatalf("%v output = %q", args, out.String())
		}
	}

	st, err = store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ep, err := st.Q.WebhookEndpoint(ctx, webhook.ConfiguredID)
	if err != nil {
		t.Fatal(err)
	}
	if ep.Disabled {
		t.Errorf("portal keys rotate disabled the configured webhook endpoint: %q", ep.DisabledReason)
	}
	keys, err := st.Q.SigningKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 3 { // the first, the staged one, the one of --now
		t.Errorf("%d signing keys stored, want 3", len(keys))
	}
}

// The commands that only use the database check only its URL: in
// production, a migration job given nothing but PORTAL_DATABASE_URL runs
// migrate, keys rotate and backup, where serve (checked in full) is refused
// for the SMTP server and secrets it lacks. A database URL that is not one
// is still refused.
func TestDatabaseCommandsNeedOnlyTheDatabaseURL(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	getenv, environ := envOf(map[string]string{"PORTAL_ENV": "production", "PORTAL_DATABASE_URL": "sqlite:" + dir + "/p.db"})
	for _, args := range [][]string{{"migrate"}, {"keys", "rotate"}, {"backup", dir + "/copy.db"}} {
		if err := run(ctx, args, getenv, environ, io.Discard, io.Discard); err != nil {
			t.Errorf("portal %s with only the database URL: %v", strings.Join(args, " "), err)
		}
	}
	err := run(ctx, []string{"serve"}, getenv, environ, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "PORTAL_SMTP_URL") || !strings.Contains(err.Error(), "PORTAL_SECRET_KEY") {
		t.Errorf("portal serve with only the database URL: %v, want it refused naming what it lacks", err)
	}
	getenv, environ = envOf(map[string]string{"PORTAL_ENV": "production", "PORTAL_DATABASE_URL": "mysql://db/portal"})
	if err := run(ctx, []string{"migrate"}, getenv, environ, io.Discard, io.Discard); err == nil ||
		!strings.Contains(err.Error(), "PORTAL_DATABASE_URL") {
		t.Errorf("portal migrate with a mysql:// URL: %v, want it refused", err)
	}
}

// portal keys rotate pointed at a database no portal uses — PORTAL_DATABASE_URL
// mistyped, or not set in the operator's shell, so ./data/portal.db — is
// refused, naming the setting, and makes nothing. Before, it made a new
// database there, put a key in it and said the new key was published "on
// every machine", while the portals went on signing with their own.
func TestRotateKeysRefusesADatabaseNoPortalUses(t *testing.T) {
	ctx := context.Background()
	missing := t.TempDir() + "/typo/portal.db"
	empty := pgtest.URL(t) // a schema without the portal's tables
	typo := regexp.MustCompile(`search_path=[a-z0-9_]+`).ReplaceAllString(empty, "search_path=portal_typo")
	for _, url := range []string{"sqlite:" + missing, empty, typo} {
		getenv, environ := envOf(map[string]string{"PORTAL_DATABASE_URL": url})
		var out bytes.Buffer
		err := run(ctx, []string{"keys", "rotate"}, getenv, environ, &out, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "PORTAL_DATABASE_URL") {
			t.Errorf("keys rotate on %s: %v (%q), want it refused naming PORTAL_DATABASE_URL", url, err, out.String())
		}
	}
	if _, err := os.Stat(filepath.Dir(missing)); !os.IsNotExist(err) {
		t.Errorf("keys rotate made %s: %v", filepath.Dir(missing), err)
	}
	db, err := sql.Open("pgx", empty)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var tables int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_tables WHERE schemaname = current_schema()`).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Errorf("keys rotate made %d tables in the empty schema", tables)
	}
}
