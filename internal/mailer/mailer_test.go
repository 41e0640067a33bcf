package mailer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/i18n"
	"github.com/portalhq/portal/internal/notify"
	"github.com/portalhq/portal/internal/org"
	"github.com/portalhq/portal/internal/phone"
	"github.com/portalhq/portal/internal/sms"
	"github.com/portalhq/portal/internal/theme"
)

type sent struct {
	mails []notify.Email
	texts []sms.Message
	evs   []events.Event
	fail  error
}

func (s *sent) SendEmail(_ context.Context, m notify.Email) error {
	if s.fail != nil {
		return s.fail
	}
	s.mails = append(s.mails, m)
	return nil
}

func (s *sent) SendSMS(_ context.Context, m sms.Message) error {
	s.texts = append(s.texts, m)
	return nil
}

func (s *sent) InsertEvent(_ context.Context, e events.Event) error {
	s.evs = append(s.evs, e)
	return nil
}

const app = `Tom & Jerry's <Shop>`

func newMailer(t *testing.T, defaultLocale string) (*Mailer, *sent) {
	t.Helper()
	cat, err := i18n.New(defaultLocale, "")
	if err != nil {
		t.Fatal(err)
	}
	countries, err := phone.NewAllowlist(nil)
	if err != nil {
		t.Fatal(err)
	}
	s := &sent{}
	clock := clockwork.NewFakeClockAt(time.Date(2026, 5, 8, 14, 3, 0, 0, time.UTC))
	return &Mailer{Clock: clock, Send: s, Events: s, AppName: app, BaseURL: "https://id.example.com",
		SMS: s, Countries: countries, I18n: cat}, s
}

func noEntities(t *testing.T, what, s string) {
	t.Helper()
	for _, bad := range []string{"&amp;", "&#39;", "&lt;", "&gt;", "&#", "<p", "</", "<a "} {
		if strings.Contains(s, bad) {
			t.Errorf("%s carries HTML (%q):\n%s", what, bad, s)
		}
	}
}

// The request's language wins; without one, the instance default.
func TestLanguageOfAMessage(t *testing.T) {
	m, s := newMailer(t, "fr")
	cat, _ := i18n.New("en", "")
	ctx := i18n.NewContext(context.Background(), cat.For("de"))
	if err := m.SendCode(ctx, "ada@example.com", "123456", "sign-in"); err != nil {
		t.Fatal(err)
	}
	// No request (the Backend API): the default, French.
	inv := org.InvitationMail{OrgName: "R&D", URL: "https://id.example.com/accept?ticket=a&b=1",
		ExpireAt: time.Date(2026, 5, 15, 0, 0, 0, 0, time.UTC)}
	if err := m.SendOrgInvitation(context.Background(), "bob@example.com", "", inv); err != nil {
		t.Fatal(err)
	}
	if err := m.SendPasswordChanged(context.Background(), "bob@example.com", ""); err != nil {
		t.Fatal(err)
	}
	if len(s.mails) != 3 {
		t.Fatalf("%d emails", len(s.mails))
	}
	code, invitation, changed := s.mails[0], s.mails[1], s.mails[2]
	if code.Subject != "123456 ist Ihr Bestätigungscode für "+app || !strings.Contains(unwrap(code.Text), "um sich bei "+app+" anzumelden") ||
		!strings.Contains(code.HTML, `lang="de"`) {
		t.Errorf("German code email: %q\n%s", code.Subject, code.Text)
	}
	if invitation.Subject != "Vous êtes invité à rejoindre R&D sur "+app ||
		!strings.Contains(unwrap(invitation.Text), "expire le 15 mai 2026.") || !strings.Contains(invitation.Text, "\n\n"+inv.URL+"\n\n") {
		t.Errorf("French invitation: %q\n%s", invitation.Subject, invitation.Text)
	}
	if !strings.Contains(unwrap(changed.Text), "a été modifié le 8 mai 2026 à 14:03 UTC.") {
		t.Errorf("French notice:\n%s", changed.Text)
	}
	for _, e := range s.mails {
		noEntities(t, "text body", e.Text)
		noEntities(t, "subject", e.Subject)
		if !strings.HasSuffix(e.Text, "\n") || strings.HasSuffix(e.Text, "\n\n") {
			t.Errorf("text body should end with one line break: %q", e.Text)
		}
	}
	if len(s.evs) != 3 {
		t.Fatalf("%d events, want an email.created per email", len(s.evs))
	}
	for _, e := range s.evs {
		var obj emailObject
		if e.Type != events.EmailCreated || json.Unmarshal(e.Data, &obj) != nil || obj.Status != "delivered" {
			t.Errorf("event %s %s", e.Type, e.Data)
		}
	}
}

func TestSMSInTheRequestsLanguage(t *testing.T) {
	m, s := newMailer(t, "en")
	ctx := i18n.NewContext(context.Background(), m.I18n.For("ja"))
	if err := m.SendSMSCode(ctx, "+14155550100", "654321", "sign-in"); err != nil {
		t.Fatal(err)
	}
	if len(s.texts) != 1 || len(s.evs) != 1 || s.evs[0].Type != events.SMSCreated {
		t.Fatalf("texts %v, events %v", s.texts, s.evs)
	}
	want := app + " のサインイン用コードは 654321 です。有効期限は 10 分です。誰にも教えないでください。\n\n@id.example.com #654321"
	if got := s.texts[0].Body; got != want {
		t.Errorf("SMS\n%q\nwant\n%q", got, want)
	}
	// sms.created names the number, never the text: it holds the code (REQ-OTP-05).
	var obj smsObject
	if json.Unmarshal(s.evs[0].Data, &obj) != nil || obj.ToPhoneNumber != "+14155550100" || obj.Message != "" ||
		strings.Contains(string(s.evs[0].Data), "654321") {
		t.Errorf("sms.created %s", s.evs[0].Data)
	}
}

// A person sees the mailer's errors in their language.
func TestErrorsCarryCatalogIDs(t *testing.T) {
	m, s := newMailer(t, "en")
	s.fail = errors.New("smtp: 451")
	err := m.SendCode(context.Background(), "ada@example.com", "123456", "sign-in")
	if e, ok := apperr.As(err); !ok || e.ID != "error.email.send" || !errors.Is(err, s.fail) {
		t.Errorf("send failure: %v", err)
	}
	m.SMS = nil
	if e, ok := apperr.As(m.SendSMSCode(context.Background(), "+14155550100", "1", "sign-in")); !ok || e.ID != "error.sms.unavailable" {
		t.Errorf("no SMS: %v", e)
	}
	if ErrSend.ID != "error.email.send" {
		t.Error("ErrSend lost its ID")
	}
}

// The button takes the theme's primary colours when they read well on the
// email's white card; the dark theme's light button keeps the default.
func TestButtonInTheThemesColours(t *testing.T) {
	for name, want := range map[string]string{
		"neobrutalism": "background-color:#5b21b6;color:#ffffff;",
		"dark":         "background-color:#2f3037;color:#ffffff;",
		"default":      "background-color:#2f3037;color:#ffffff;",
	} {
		look, err := theme.NewLive(name, "", false)
		if err != nil {
			t.Fatal(err)
		}
		m, s := newMailer(t, "en")
		m.Theme = look
		if err := m.SendLink(context.Background(), "ada@example.com", "https://id.example.com/v1/verify?token=x", "sign-in"); err != nil {
			t.Fatal(err)
		}
		if html := s.mails[0].HTML; !strings.Contains(html, want) {
			t.Errorf("%s theme: the button lacks %q", name, want)
		}
	}
}

// The theme's logo heads every email, by an absolute URL: a file the
// theme names is served by the portal at its public URL, drawn 40 px high;
// SVG and WebP, which several mail clients do not show, and a theme that
// places no logo leave the app's name alone. The text body says nothing
// of it.
func TestLogoInEmails(t *testing.T) {
	dir := t.TempDir()
	img := image.NewNRGBA(image.Rect(0, 0, 120, 40))
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	write := func(name string, data []byte) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("logo.png", b.Bytes())
	write("logo.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"/>`))
	cases := []struct {
		name, options string
		want          string // the <img>'s tag, "" for none
	}{
		{"png file", "logoImageFile: logo.png",
			`<img src="https://id.example.com/theme-logo?v=VERSION" alt="" width="120" height="40"`},
		{"svg file", "logoImageFile: logo.svg", ""},
		{"png URL", "logoImageUrl: https://cdn.acme.example/brand/Logo.PNG?x=1",
			`<img src="https://cdn.acme.example/brand/Logo.PNG?x=1" alt="" height="40"`},
		{"svg URL", "logoImageUrl: https://cdn.acme.example/logo.svg", ""},
		{"no placement", "logoImageFile: logo.png\n  logoPlacement: none", ""},
		{"no logo", "applicationName: Acme", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			look, err := theme.NewLive(write("acme.yaml", []byte("options:\n  "+c.options+"\n")), "", false)
			if err != nil {
				t.Fatal(err)
			}
			m, s := newMailer(t, "en")
			m.Theme = look
			if err := m.SendCode(context.Background(), "ada@example.com", "123456", "sign-in"); err != nil {
				t.Fatal(err)
			}
			html := s.mails[0].HTML
			if c.want == "" {
				if strings.Contains(html, "<img") {
					t.Errorf("an image in the email:\n%s", html)
				}
				return
			}
			th, _ := look.Theme()
			want := c.want
			if th.Logo() != nil {
				want = strings.Replace(want, "VERSION", th.Logo().Version, 1)
			}
			if !strings.Contains(html, want) {
				t.Errorf("email lacks %s:\n%s", want, html)
			}
			if i, j := strings.Index(html, "<img"), strings.Index(html, `color:#52525b;">Tom`); i < 0 || j < i {
				t.Errorf("the logo is not above the app's name")
			}
			if strings.Contains(s.mails[0].Text, "logo") || strings.Contains(s.mails[0].Text, "http") {
				t.Errorf("text body mentions the logo:\n%s", s.mails[0].Text)
			}
		})
	}
}

// A wide logo is drawn at most 200 px wide, keeping its proportions.
func TestWideLogoInEmails(t *testing.T) {
	dir := t.TempDir()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewNRGBA(image.Rect(0, 0, 1000, 50))); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "wide.png"), b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "acme.yaml")
	if err := os.WriteFile(file, []byte("options:\n  logoImageFile: wide.png\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	look, err := theme.NewLive(file, "", false)
	if err != nil {
		t.Fatal(err)
	}
	m, s := newMailer(t, "en")
	m.Theme = look
	if err := m.SendCode(context.Background(), "ada@example.com", "123456", "sign-in"); err != nil {
		t.Fatal(err)
	}
	if html := s.mails[0].HTML; !strings.Contains(html, `alt="" width="200" height="10"`) {
		t.Errorf("wide logo:\n%s", html)
	}
}

// Messages name the app as the pages do: the theme's applicationName when
// it sets one, over PORTAL_APP_NAME, in the subject and the body, in every
// language, by email and by text message. Without it, PORTAL_APP_NAME.
func TestThemesApplicationNameInMessages(t *testing.T) {
	themeFile := filepath.Join(t.TempDir(), "acme.yaml")
	if err := os.WriteFile(themeFile, []byte("extends: default\noptions:\n  applicationName: Acme Rockets\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	look, err := theme.NewLive(themeFile, "", false)
	if err != nil {
		t.Fatal(err)
	}
	cat, _ := i18n.New("en", "")
	for _, lang := range cat.Locales() {
		m, s := newMailer(t, "en")
		m.Theme = look
		ctx := i18n.NewContext(context.Background(), cat.For(lang))
		if err := m.SendCode(ctx, "ada@example.com", "123456", "sign-in"); err != nil {
			t.Fatal(err)
		}
		if err := m.SendPasswordChanged(ctx, "ada@example.com", ""); err != nil {
			t.Fatal(err)
		}
		if err := m.SendSMSCode(ctx, "+14155550100", "123456", "sign-in"); err != nil {
			t.Fatal(err)
		}
		for _, e := range s.mails {
			if !strings.Contains(e.Subject, "Acme Rockets") || strings.Contains(e.Subject, app) ||
				!strings.Contains(unwrap(e.Text), "Acme Rockets") || strings.Contains(e.Text, app) || strings.Contains(e.HTML, "Jerry") {
				t.Errorf("%s: an email names the app otherwise than the theme does: %q\n%s", lang, e.Subject, e.Text)
			}
		}
		if len(s.texts) != 1 || !strings.Contains(s.texts[0].Body, "Acme Rockets") || strings.Contains(s.texts[0].Body, app) {
			t.Errorf("%s: the text message: %+v", lang, s.texts)
		}
	}

	m, s := newMailer(t, "en")
	m.Theme, err = theme.NewLive("default", "", false)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.SendCode(context.Background(), "ada@example.com", "123456", "sign-in"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s.mails[0].Subject, app) {
		t.Errorf("without a theme's name the subject is %q, want PORTAL_APP_NAME %q in it", s.mails[0].Subject, app)
	}
}
