package e2e

import (
	"database/sql"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/testutil/pgtest"
	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// A request that needs a row another PostgreSQL session holds locked (a
// long transaction, a stuck migration, a psql session left open) waits
// at most the lock wait, then is answered "try again" — a 503 with
// Retry-After: the page saying so, or service_unavailable from the
// Backend API — logged as a warning naming the cause, with nothing of it
// written; once the lock is let go, the same request goes through.
// Before, it waited for as long as the lock was held, holding a pool
// connection: enough of them and the portal stopped answering.
//
// The lock wait is cut to half a second in the database URL's options,
// which the portal keeps instead of its 10 s default.
func TestRequestWaitingForALockedRowIsAnsweredTryAgain(t *testing.T) {
	db := pgtest.URL(t)
	var log syncBuffer
	p := portaltest.Start(t, portaltest.Options{Log: &log, Env: map[string]string{
		"PORTAL_DATABASE_URL": db + "&options=-c%20lock_timeout%3D500ms",
		"PORTAL_LOG_FORMAT":   "json",
	}})
	var u struct {
		ID        string  `json:"id"`
		FirstName *string `json:"first_name"`
	}
	if r := api(t, p, http.MethodPost, "/v1/users", map[string]any{"email_address": []string{"ada@example.com"},
		"password": goodPassword}, &u); r.Status != http.StatusOK {
		t.Fatalf("creating the user: %d %s", r.Status, r.Body)
	}
	b := newBrowser(t, p)
	pw := b.submit(b.get(withRedirect("/sign-in", appURL)), signInForm, map[string]string{"identifier": "ada@example.com"})
	if pw.Doc.Find(passwordForm).Length() == 0 {
		t.Fatalf("no password step:\n%s", pw.text())
	}

	_, release := lockRow(t, db, u.ID)
	patch := func() apiResponse {
		return apiCall(t, p, http.MethodPatch, "/v1/users/"+u.ID, "Bearer "+p.SecretKey, map[string]any{"first_name": "Ada"})
	}
	r := patch()
	if r.Header.Get("Retry-After") == "" {
		t.Errorf("Backend API: no Retry-After on the %d", r.Status)
	}
	e := wantAPIError(t, r, http.StatusServiceUnavailable, "service_unavailable")
	if long := e.Errors[0].LongMessage; !strings.Contains(long, "Nothing was changed") || !strings.Contains(long, "send it again") {
		t.Errorf("long_message %q does not say nothing was changed and to send it again", long)
	}
	if got := api(t, p, http.MethodGet, "/v1/users/"+u.ID, nil, &u); got.Status != http.StatusOK || u.FirstName != nil {
		t.Fatalf("after the 503: %d, first_name %v; want the user unchanged", got.Status, u.FirstName)
	}

	// Signing in takes the user's row before it starts the session.
	pg := b.submit(pw, passwordForm, map[string]string{"password": goodPassword})
	if pg.Status != http.StatusServiceUnavailable || pg.Header.Get("Retry-After") == "" ||
		!strings.Contains(pg.text(), "Something interrupted this request. Go back and try again") {
		t.Fatalf("page: status %d, Retry-After %q, want 503 saying to try again:\n%s", pg.Status, pg.Header.Get("Retry-After"), pg.text())
	}
	if pg.setCookie("__session") != nil {
		t.Error("the sign-in that gave up set a session cookie")
	}
	warned := 0
	for _, l := range logLines(t, &log) {
		if strings.Contains(l["msg"].(string), "gave up waiting for a lock") {
			if l["level"] != "WARN" {
				t.Errorf("logged at %v: %v", l["level"], l)
			}
			warned++
		}
		if l["level"] == "ERROR" {
			t.Errorf("logged as an error: %v", l)
		}
	}
	if warned != 2 {
		t.Errorf("%d warnings naming the lock wait, want one for each request", warned)
	}

	release()
	if r := api(t, p, http.MethodPatch, "/v1/users/"+u.ID, map[string]any{"first_name": "Ada"}, &u); r.Status != http.StatusOK ||
		u.FirstName == nil || *u.FirstName != "Ada" {
		t.Fatalf("Backend API once the lock is let go: %d %s", r.Status, r.Body)
	}
	wantHandBack(t, b.submit(pw, passwordForm, map[string]string{"password": goodPassword}), http.StatusSeeOther, appURL)
}

// lockRow locks the user's row from a PostgreSQL session of the test's
// own, in a transaction it keeps open until release (or the test's end).
// The session's application_name is the portal's with "_holder" after it,
// so that it is told apart from the portal's; holder is its pool.
func lockRow(t *testing.T, db, userID string) (holder *sql.DB, release func()) {
	t.Helper()
	own, err := url.Parse(db)
	if err != nil {
		t.Fatal(err)
	}
	q := own.Query()
	q.Set("application_name", q.Get("application_name")+"_holder")
	own.RawQuery = q.Encode()
	holder, err = sql.Open("pgx", own.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = holder.Close() })
	tx, err := holder.BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tx.Rollback() })
	if _, err := tx.ExecContext(t.Context(), `SELECT 1 FROM users WHERE id = $1 FOR UPDATE`, userID); err != nil {
		t.Fatal(err)
	}
	return holder, func() {
		t.Helper()
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
	}
}

// The passkey buttons' JSON requests are answered as the pages are when
// the database makes them wait past the lock wait: a 503 with Retry-After
// and a message the page's script shows, logged as a warning — not a 500
// logged as an error. Once the lock is let go the same request works.
func TestPasskeyOptionsWaitingForALockAreAnsweredTryAgain(t *testing.T) {
	db := pgtest.URL(t)
	var log syncBuffer
	p := portaltest.Start(t, portaltest.Options{Log: &log, Env: map[string]string{
		"PORTAL_DATABASE_URL": db + "&options=-c%20lock_timeout%3D500ms",
		"PORTAL_LOG_FORMAT":   "json",
	}})
	b := newBrowser(t, p)
	b.get("/sign-in")

	release := lockTable(t, db, "passkey_challenges")
	status, body := b.passkeyOptions("/sign-in/passkey/options", nil)
	var answer struct {
		Error string `json:"error"`
	}
	if status != http.StatusServiceUnavailable || json.Unmarshal(body, &answer) != nil ||
		answer.Error != "Something went wrong. Please try again." {
		t.Fatalf("passkey options while the lock is held: %d %s; want 503 saying to try again", status, body)
	}
	warned := 0
	for _, l := range logLines(t, &log) {
		if strings.Contains(l["msg"].(string), "gave up waiting for a lock") && l["level"] == "WARN" {
			warned++
		}
		if l["level"] == "ERROR" {
			t.Errorf("logged as an error: %v", l)
		}
	}
	if warned != 1 {
		t.Errorf("%d warnings naming the lock wait, want 1", warned)
	}

	release()
	if status, body := b.passkeyOptions("/sign-in/passkey/options", nil); status != http.StatusOK {
		t.Fatalf("passkey options once the lock is let go: %d %s", status, body)
	}
}

// lockTable holds table locked against writes (SHARE mode: reads go on)
// from a PostgreSQL session of the test's own, until release or the
// test's end.
func lockTable(t *testing.T, db, table string) (release func()) {
	t.Helper()
	holder, err := sql.Open("pgx", db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = holder.Close() })
	tx, err := holder.BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tx.Rollback() })
	if _, err := tx.ExecContext(t.Context(), `LOCK TABLE `+table+` IN SHARE MODE`); err != nil {
		t.Fatal(err)
	}
	return func() {
		t.Helper()
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
	}
}
