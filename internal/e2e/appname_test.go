package e2e

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// An email names the app as the page that sent it does: a theme's
// applicationName over PORTAL_APP_NAME, in the subject and the body.
func TestEmailsNameTheAppAsThePagesDo(t *testing.T) {
	themeFile := filepath.Join(t.TempDir(), "acme.yaml")
	write(t, themeFile, "extends: default\noptions:\n  applicationName: Acme Rockets\n")
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_THEME": themeFile, "PORTAL_APP_NAME": "Backoffice"}})
	b := newBrowser(t, p)
	pg := b.get("/sign-up")
	wantText(t, "the sign-up page", pg, http.StatusOK, "Acme Rockets")
	wantNoText(t, "the sign-up page", pg, "Backoffice")

	b.submit(pg, signUpForm, map[string]string{"email_address": "ada@example.com", "password": goodPassword,
		"first_name": "Ada", "last_name": "Lovelace"})
	m := p.SMTP.WaitFor(t, "ada@example.com", mailWait)
	if !strings.Contains(m.Subject, "Acme Rockets") || !strings.Contains(strings.Join(strings.Fields(m.Text), " "), "Acme Rockets") ||
		strings.Contains(m.Subject+m.Text+m.HTML, "Backoffice") {
		t.Errorf("the sign-up email names the app otherwise than the page: %q\n%s", m.Subject, m.Text)
	}
}
