package e2e

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/mfa"
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

// Passkeys and authenticator apps name the app as the pages do too: the
// relying party's name in the passkey's creation options (what the
// authenticator files it under) and the issuer of the authenticator app's
// otpauth URI, inside the QR code.
func TestAuthenticatorsNameTheAppAsThePagesDo(t *testing.T) {
	themeFile := filepath.Join(t.TempDir(), "acme.yaml")
	write(t, themeFile, "extends: default\noptions:\n  applicationName: Acme Rockets\n")
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_THEME": themeFile, "PORTAL_APP_NAME": "Backoffice"}})
	b := newBrowser(t, p)
	signUp(t, p, b, "ada@example.com", "")

	b.get("/user/security/passkeys/new")
	status, opts := b.passkeyOptions("/user/security/passkeys/options", nil)
	var creation struct {
		PublicKey struct {
			RP struct {
				ID   string `json:"id"`
				Name string `json:"name"`
			} `json:"rp"`
		} `json:"publicKey"`
	}
	if err := json.Unmarshal(opts, &creation); status != http.StatusOK || err != nil {
		t.Fatalf("registration options: %d %v\n%s", status, err, opts)
	}
	if rp := creation.PublicKey.RP; rp.Name != "Acme Rockets" || rp.ID != "localhost" {
		t.Errorf("the passkey's relying party is %+v, want Acme Rockets at localhost", rp)
	}

	setup := b.get("/user/security/totp")
	secret := strings.TrimSpace(setup.Doc.Find(`[data-testid=totp-secret]`).Text())
	for issuer, want := range map[string]bool{"Acme Rockets": true, "Backoffice": false} {
		uri, err := mfa.TOTPURL(issuer, "ada@example.com", secret)
		if err != nil {
			t.Fatal(err)
		}
		qr, err := mfa.QRCodeSVG(uri)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(setup.Body, qr); got != want {
			t.Errorf("the setup page's QR code holds %s: %v, want %v", uri, got, want)
		}
	}
}

// No password may contain the app's name as the pages show it: a theme's
// applicationName, with its spaces or without, beside PORTAL_APP_NAME.
// The sign-up form comes back saying which word, the address kept.
func TestPasswordsMayNotContainTheAppsNameAsThePagesShowIt(t *testing.T) {
	themeFile := filepath.Join(t.TempDir(), "acme.yaml")
	write(t, themeFile, "extends: default\noptions:\n  applicationName: Acme Rockets\n")
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_THEME": themeFile, "PORTAL_APP_NAME": "Backoffice"}})
	for pw, word := range map[string]string{
		"my acme rockets pass": "Acme Rockets",
		"AcmeRockets-2024!":    "AcmeRockets",
		"backoffice-tuesday":   "Backoffice",
	} {
		b := newBrowser(t, p)
		pg := b.submit(b.get("/sign-up"), signUpForm, map[string]string{"email_address": "ada@example.com", "password": pw,
			"first_name": "Ada", "last_name": "Lovelace"})
		wantText(t, pw, pg, http.StatusUnprocessableEntity, `Your password can't contain "`+word+`"`)
		if v := pg.Doc.Find(`input[name="email_address"]`).AttrOr("value", ""); v != "ada@example.com" {
			t.Errorf("%s: the address typed is lost (%q)", pw, v)
		}
	}
}
