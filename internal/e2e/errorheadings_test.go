package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// wantHeading checks an error page: its heading says what happened in
// words, the status only in its small print.
func wantHeading(t *testing.T, what string, pg *page, status int, heading, small string) {
	t.Helper()
	got := strings.TrimSpace(pg.Doc.Find(".cl-headerTitle").Text())
	if pg.Status != status || got != heading || strings.TrimSpace(pg.Doc.Find(".cl-meta span").First().Text()) != small {
		t.Errorf("%s: %d, heading %q, small print %q; want %d, %q and %q", what, pg.Status, got,
			pg.Doc.Find(".cl-meta").Text(), status, heading, small)
	}
}

// Too many tries of a sign-in link is headed so, not "Sign in".
func TestSignInTicketRateLimitSaysWhatHappened(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	var tok struct {
		URL string `json:"url"`
	}
	if r := api(t, p, http.MethodPost, "/v1/sign_in_tokens", map[string]any{"user_id": apiUser(t, p, "ada@example.com")}, &tok); r.Status != http.StatusOK {
		t.Fatalf("POST /v1/sign_in_tokens: %d %s", r.Status, r.Body)
	}
	b := newBrowser(t, p)
	confirm := b.get(tok.URL)
	for i := range 100 {
		pg := b.submit(confirm, ticketForm, map[string]string{"__clerk_ticket": "not-a-ticket"})
		if pg.Status == http.StatusTooManyRequests {
			wantHeading(t, "a sign-in link tried too often", pg, http.StatusTooManyRequests, "Too many attempts", "Error 429")
			return
		}
		if pg.Status != http.StatusGone {
			t.Fatalf("try %d: %d", i, pg.Status)
		}
	}
	t.Fatal("100 tries were never refused")
}
