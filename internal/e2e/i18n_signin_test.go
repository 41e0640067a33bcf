package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// A person whose browser asks for German signs up and in in German, and
// is told what went wrong (a wrong code, a short password, a wrong
// password, an expired flow) in German too.
func TestSignInAndSignUpSpeakTheBrowsersLanguage(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	b := newBrowser(t, p)
	b.header = http.Header{"Accept-Language": {"de-DE,de;q=0.9,en;q=0.5"}}

	start := b.get("/sign-in")
	if lang := start.Doc.Find("html").AttrOr("lang", ""); lang != "de" {
		t.Errorf("lang %q, want de", lang)
	}
	shows(t, "sign-in", start, "Bei Portal anmelden", "Weiter", "Noch kein Konto?")

	short := b.submit(b.get("/sign-up"), signUpForm, map[string]string{"email_address": "grete@example.com",
		"password": "tiny-secret", "first_name": "Grete", "last_name": "Hermann"})
	if short.Status != http.StatusUnprocessableEntity {
		t.Fatalf("short password: status %d", short.Status)
	}
	shows(t, "short password", short, "Ihr Passwort muss mindestens 15 Zeichen lang sein.", "Konto erstellen")

	verify, code := verifyPage(t, p, b, "grete@example.com")
	shows(t, "verify", verify, "E-Mail-Adresse bestätigen", "Code erneut senden")
	wrong := b.submit(verify, verifyForm, map[string]string{"code": otherCode(code)})
	if wrong.Status != http.StatusUnprocessableEntity {
		t.Fatalf("wrong code: status %d", wrong.Status)
	}
	shows(t, "wrong code", wrong, "Der Code ist falsch. Prüfen Sie die neueste E-Mail und versuchen Sie es erneut.")
	if msg := wrong.Doc.Find("#code-error").Text(); !strings.HasPrefix(msg, "Der Code ist falsch") {
		t.Errorf("the code field's error is %q", msg)
	}
	b.follow(b.submit(wrong, verifyForm, map[string]string{"code": code}))

	out := newBrowser(t, p)
	out.header = b.header
	pw := out.submit(passwordStep(t, out, "grete@example.com", ""), passwordForm, map[string]string{"password": wrongPassword})
	shows(t, "wrong password", pw, "Das Passwort ist falsch", "Passwort vergessen?")

	gone := out.get("/sign-in/factor-one?sign_in=sia_nothing")
	shows(t, "unknown flow", gone, "Diese Seite ist abgelaufen", "Neu beginnen")
}

// ?locale= wins over Accept-Language, and the 404 page follows it.
func TestErrorPagesFollowTheLocale(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	b := newBrowser(t, p)
	b.header = http.Header{"Accept-Language": {"de"}}
	pg := b.get("/nowhere?locale=fr")
	if pg.Status != http.StatusNotFound {
		t.Fatalf("status %d", pg.Status)
	}
	shows(t, "404", pg, "Page introuvable", "Erreur 404")
}

func shows(t *testing.T, what string, pg *page, texts ...string) {
	t.Helper()
	got := strings.Join(strings.Fields(pg.Doc.Text()), " ")
	for _, w := range texts {
		if !strings.Contains(got, w) {
			t.Errorf("%s: no %q in:\n%s", what, w, got)
		}
	}
}

// A form sent to an address that only opens as a link (an app passing a
// form post on to the handshake with a 307, which keeps the method) is a
// 405 that says the address takes no form, not that it "only takes what a
// form sends", in the request's language.
func TestAFormSentToALinkOnlyAddressSaysSo(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	b := newBrowser(t, p)
	for _, c := range []struct{ locale, heading, body string }{
		{"en", "This address doesn't take forms", "It only opens as a link"},
		{"fr", "Cette adresse ne reçoit pas de formulaires", "Elle s’ouvre seulement comme un lien"},
	} {
		pg := b.postForm(http.MethodPost, handshakePath(appURL)+"&locale="+c.locale, url.Values{"comment": {"hello"}}, nil)
		if pg.Status != http.StatusMethodNotAllowed {
			t.Fatalf("%s: status %d", c.locale, pg.Status)
		}
		shows(t, c.locale, pg, c.heading, c.body)
		if strings.Contains(pg.Doc.Text(), "ne reçoit que ce qu’envoie un formulaire") || strings.Contains(pg.Doc.Text(), "only takes what a form sends") {
			t.Errorf("%s: the page still says the address takes forms:\n%s", c.locale, pg.text())
		}
	}
}

// A form's address opened in the browser (a bookmarked or reloaded POST)
// is a 405 that says the page can't be opened directly, not that it
// doesn't exist, in the request's language.
func TestAFormAddressOpenedDirectlySaysSo(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	b := newBrowser(t, p)
	for _, c := range []struct{ locale, heading, body, notFound string }{
		{"en", "This page can't be opened directly", "only takes what a form sends", "Page not found"},
		{"fr", "Cette page ne peut pas être ouverte directement", "ne reçoit que ce qu’envoie un formulaire", "Page introuvable"},
	} {
		pg := b.get("/sign-in/factor-one/prepare?locale=" + c.locale)
		if pg.Status != http.StatusMethodNotAllowed {
			t.Fatalf("%s: status %d", c.locale, pg.Status)
		}
		shows(t, c.locale, pg, c.heading, c.body)
		if h := strings.TrimSpace(pg.Doc.Find("h1").Text()); h != c.heading {
			t.Errorf("%s: heading %q, want %q", c.locale, h, c.heading)
		}
		if strings.Contains(pg.Doc.Text(), c.notFound) {
			t.Errorf("%s: the page still says %q", c.locale, c.notFound)
		}
		if href := pg.Doc.Find(`a[href="/sign-in"]`).Length(); href == 0 {
			t.Errorf("%s: no way back to sign-in", c.locale)
		}
	}
}
