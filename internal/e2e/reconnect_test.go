package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/testutil/pgtest"
	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// A PostgreSQL restart, failover or pg_terminate_backend ends the
// portal's pooled connections; the requests that come next are answered
// as ever, not with an error page. Before, each connection the server had
// ended and the portal had used in the last second failed the request
// that took it next with a 500 (SQLSTATE 57P01).
func TestRequestsAfterPostgresEndedTheConnections(t *testing.T) {
	db := pgtest.URL(t)
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_DATABASE_URL": db}})
	b := newBrowser(t, p)
	wantHandBack(t, signUp(t, p, b, "ada@example.com", appURL), http.StatusSeeOther, appURL)
	end := func() {
		t.Helper()
		pgtest.HoldIdle(t, p.Store.DB(), 5)
		if n := pgtest.EndConnections(t, db); n < 5 {
			t.Fatalf("ended %d connections, want at least the 5 idle ones", n)
		}
	}

	end()
	wantHandBack(t, b.getRaw(handshakePath(appURL)), http.StatusTemporaryRedirect, appURL)

	other := newBrowser(t, p)
	start := other.get(withRedirect("/sign-in", appURL))
	end()
	pg := other.submit(start, signInForm, map[string]string{"identifier": "ada@example.com"})
	if pg.Status != http.StatusOK || pg.Doc.Find(passwordForm).Length() == 0 {
		t.Fatalf("identifier step: status %d, want the password page:\n%s", pg.Status, pg.text())
	}
	end()
	wantHandBack(t, other.submit(pg, passwordForm, map[string]string{"password": goodPassword}), http.StatusSeeOther, appURL)
}

// A write under way when PostgreSQL ends its connection (a restart, a
// failover, pg_terminate_backend) may or may not have been made, so the
// store does not run it again; the answer says "try again", a 503 with
// Retry-After, not a 500 that files a bug: from the Backend API and on a
// page. Each write is caught waiting for the user's row, locked by another
// connection, and its backend is ended there.
func TestWriteCutOffByTheDatabaseIsAnsweredTryAgain(t *testing.T) {
	db := pgtest.URL(t)
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_DATABASE_URL": db}})
	var u struct {
		ID string `json:"id"`
	}
	if r := api(t, p, http.MethodPost, "/v1/users", map[string]any{"email_address": []string{"ada@example.com"},
		"password": goodPassword}, &u); r.Status != http.StatusOK {
		t.Fatalf("creating the user: %d %s", r.Status, r.Body)
	}
	cut := holdRow(t, db, u.ID)

	r := cut(func() any {
		return apiCall(t, p, http.MethodPatch, "/v1/users/"+u.ID, "Bearer "+p.SecretKey, map[string]any{"first_name": "Ada"})
	}).(apiResponse)
	if r.Status != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" {
		t.Fatalf("Backend API: status %d, Retry-After %q, want 503 with Retry-After: %s", r.Status, r.Header.Get("Retry-After"), r.Body)
	}
	e := wantAPIError(t, r, http.StatusServiceUnavailable, "service_unavailable")
	if !strings.Contains(e.Errors[0].LongMessage, "send it again") {
		t.Errorf("long_message %q does not say what to do", e.Errors[0].LongMessage)
	}

	// Signing in takes the user's row before it starts the session.
	b := newBrowser(t, p)
	pw := b.submit(b.get(withRedirect("/sign-in", appURL)), signInForm, map[string]string{"identifier": "ada@example.com"})
	if pw.Doc.Find(passwordForm).Length() == 0 {
		t.Fatalf("no password step:\n%s", pw.text())
	}
	pg := cut(func() any { return b.submit(pw, passwordForm, map[string]string{"password": goodPassword}) }).(*page)
	if pg.Status != http.StatusServiceUnavailable || pg.Header.Get("Retry-After") == "" ||
		!strings.Contains(pg.text(), "Something interrupted this request. Go back and try again") {
		t.Fatalf("page: status %d, Retry-After %q, want 503 saying to try again:\n%s", pg.Status, pg.Header.Get("Retry-After"), pg.text())
	}
}

// holdRow locks the user's row from a connection of the test's own (named
// apart, so that only the portal's backends are ended) and returns cut,
// which runs send in the background and ends every portal backend that
// comes to wait for the row until send returns. The store runs a
// transaction once more when its connection was lost before any statement
// of it answered; that second run waits for the row too and is ended as
// well.
func holdRow(t *testing.T, db, userID string) (cut func(send func() any) any) {
	t.Helper()
	own, err := url.Parse(db)
	if err != nil {
		t.Fatal(err)
	}
	portalName := own.Query().Get("application_name")
	holder, _ := lockRow(t, db, userID)
	return func(send func() any) any {
		t.Helper()
		done := make(chan any, 1)
		go func() { done <- send() }()
		ended := 0
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			select {
			case r := <-done:
				if ended == 0 {
					t.Fatal("the request never came to wait for the row")
				}
				return r
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("no answer after ending %d waiting connections", ended)
			}
			var n int
			if err := holder.QueryRowContext(t.Context(), `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 10000))
				FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`, portalName).Scan(&n); err != nil {
				t.Fatal(err)
			}
			ended += n
		}
	}
}
