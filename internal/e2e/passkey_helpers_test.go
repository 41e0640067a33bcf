package e2e

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/portalhq/portal/internal/testutil/portaltest"
	"github.com/portalhq/portal/internal/testutil/webauthntest"
)

// Selectors of the passkey and second-factor pages.
const (
	passkeySignInForm = `form[action="/sign-in/passkey"]`
	passkeyAddForm    = `form[action="/user/security/passkeys"]`
	factorTwoForm     = `form[action="/sign-in/factor-two"]`
	factorTwoPrepare  = `form[action="/sign-in/factor-two/prepare"]`
	totpForm          = `form[action="/user/security/totp"]`
)

// newKey is a software passkey as a browser at the portal's origin would
// use it (RP ID localhost, SECURITY.md T6).
func newKey(t *testing.T, p *portaltest.Portal) *webauthntest.Key {
	return webauthntest.NewKey(t, p.URL, "localhost")
}

// passkeyOptions asks for WebAuthn options as static/passkeys.js does: the
// form's fields as the body, the CSRF token in a header, JSON accepted.
func (b *browser) passkeyOptions(path string, fields url.Values) (int, []byte) {
	b.t.Helper()
	if fields == nil {
		fields = url.Values{}
	}
	fields.Set("_csrf", b.csrf())
	req := b.request(http.MethodPost, path, fields)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-CSRF-Token", b.csrf())
	resp, err := b.hc.Do(req)
	if err != nil {
		b.t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body
}

// addPasskey registers k from /user/security for the signed-in browser and
// returns the page the portal answers with.
func addPasskey(t *testing.T, b *browser, k *webauthntest.Key, c webauthntest.Ceremony) *page {
	t.Helper()
	pg := b.get("/user/security/passkeys/new")
	if pg.Doc.Find(passkeyAddForm).Length() == 0 {
		t.Fatalf("no passkey form on %s (status %d):\n%s", pg.URL, pg.Status, pg.text())
	}
	status, opts := b.passkeyOptions("/user/security/passkeys/options", nil)
	if status != http.StatusOK {
		t.Fatalf("registration options: %d %s", status, opts)
	}
	return b.submit(pg, passkeyAddForm, map[string]string{
		"challenge_id": webauthntest.ParseOptions(t, opts).ChallengeID, "credential": string(k.Create(t, opts, c))})
}

// signInWithPasskey presses "Sign in with a passkey" on /sign-in and
// answers with k; the result is the portal's answer, not followed off the portal.
func signInWithPasskey(t *testing.T, b *browser, k *webauthntest.Key, c webauthntest.Ceremony, target string) *page {
	t.Helper()
	pg := b.get(withRedirect("/sign-in", target))
	status, opts := b.passkeyOptions("/sign-in/passkey/options", nil)
	if status != http.StatusOK {
		t.Fatalf("sign-in options: %d %s", status, opts)
	}
	return b.submit(pg, passkeySignInForm, map[string]string{
		"challenge_id": webauthntest.ParseOptions(t, opts).ChallengeID, "credential": string(k.Get(t, opts, c))})
}

// fva reads the token's fva claim after checking its signature.
func fva(t *testing.T, p *portaltest.Portal, raw string) [2]int {
	t.Helper()
	var c struct {
		FVA [2]int `json:"fva"`
	}
	verifyInto(t, p, raw, &c)
	return c.FVA
}

// activeSessions counts the user's live sessions in the store.
func activeSessions(t *testing.T, p *portaltest.Portal, userID string) int {
	t.Helper()
	list, err := p.Store.Q.ActiveSessionsOfUser(context.Background(), userID)
	if err != nil {
		t.Fatal(err)
	}
	return len(list)
}

// logBuffer collects the portal's log for tests that look for an entry.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) contains(s string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Contains(l.buf.String(), s)
}

// engines runs fn on SQLite and on PostgreSQL: the single-use rules live
// in SQL.
func engines(t *testing.T, fn func(t *testing.T, postgres bool)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, false) })
	t.Run("postgres", func(t *testing.T) { fn(t, true) })
}
