package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// The account pages and the errors people see there come in the
// browser's language: a German browser gets German pages, a refused
// current password, a refused name and a wrong deletion phrase in German;
// the German deletion phrase deletes the account.
func TestAccountPagesInGerman(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{})
	b := newBrowser(t, p)
	verify(t, p, wantHandBack(t, signUp(t, p, b, "ada@example.com", appURL), http.StatusSeeOther, appURL))
	b.header = http.Header{"Accept-Language": {"de-DE,de;q=0.9,en;q=0.5"}}
	clock.Advance(11 * time.Minute) // no longer freshly verified: the current password is asked

	pg := b.get("/user")
	wantText(t, "the account page", pg, http.StatusOK, "Ihr Konto", "E-Mail-Adressen", "Aktive Geräte", "Dieses Gerät",
		"Passkeys und Bestätigung in zwei Schritten", "Profil speichern")
	wantNoText(t, "the account page", pg, "Your account", "Active devices", "This device", "Save profile")

	pg = b.submit(pg, profileForm, map[string]string{"first_name": "Ada\x07", "last_name": "Byron"})
	if got, want := messageFor(pg, "first_name"), "Verwenden Sie nur Buchstaben, Leerzeichen und Satzzeichen."; pg.Status != http.StatusUnprocessableEntity || got != want {
		t.Errorf("bad first name: status %d, message %q, want %q", pg.Status, got, want)
	}

	pg = b.get("/user/password")
	wantText(t, "the password page", pg, http.StatusOK, "Passwort ändern", "Aktuelles Passwort", "Auf allen anderen Geräten abmelden")
	pg = b.submit(pg, passwordPageForm, map[string]string{"current_password": wrongPassword, "password": "quartz-meadow-pelican-umbrella-7"})
	if got, want := messageFor(pg, "current_password"), "Ihr aktuelles Passwort ist falsch."; pg.Status != http.StatusUnprocessableEntity || got != want {
		t.Fatalf("wrong current password: status %d, message %q, want %q", pg.Status, got, want)
	}

	pg = b.get("/user/security")
	wantText(t, "the security page", pg, http.StatusOK, "Sicherheit", "Zurück zu Ihrem Konto")

	// Deleting: reverify with the password, then type the phrase.
	pg = b.get("/user/delete")
	if pg.Status == http.StatusSeeOther {
		pg = b.follow(pg)
	}
	wantText(t, "the reverification page", pg, http.StatusOK, "Passwort eingeben",
		"Bestätigen Sie zu Ihrer Sicherheit vor dieser Änderung, dass Sie es sind.")
	pg = b.follow(b.submit(pg, reverifyForm, map[string]string{"password": goodPassword}))
	wantText(t, "the delete page", pg, http.StatusOK, "Ihr Konto löschen", "Geben Sie „Konto löschen“ ein, um zu bestätigen")
	pg = b.submit(pg, deletePageForm, map[string]string{"confirmation": "löschen"})
	if got, want := messageFor(pg, "confirmation"), "Geben Sie zur Bestätigung „Konto löschen“ ein."; pg.Status != http.StatusUnprocessableEntity || got != want {
		t.Fatalf("wrong phrase: status %d, message %q, want %q", pg.Status, got, want)
	}
	pg = b.follow(b.submit(pg, deletePageForm, map[string]string{"confirmation": "konto  LÖSCHEN"}))
	wantText(t, "after deleting", pg, http.StatusOK, "Ihr Konto ist gelöscht")
}

func wantNoText(t *testing.T, what string, pg *page, unwanted ...string) {
	t.Helper()
	for _, w := range unwanted {
		if strings.Contains(pg.text(), w) {
			t.Errorf("%s still says %q", what, w)
		}
	}
}
