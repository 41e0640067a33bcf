package views

import (
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/i18n"
)

// The new sign-in email says the browser and system in words ("Firefox
// on Windows"), "Unknown browser" for a kind it does not know, and the way
// in as people name it; a way it has no words for is left out rather than
// shown as a code.
func TestNewSignInEmailWording(t *testing.T) {
	base := NewSignInEmail{Email: Email{AppName: "Acme", BaseURL: "https://id.example.com"}, When: "26 Nov 2026, 15:03 UTC",
		IP: "203.0.113.5", AccountURL: "https://id.example.com/user#devices"}
	cases := []struct {
		browser, os, method, provider string
		want                          []string
		not                           []string
	}{
		{"Firefox", "Windows", "password", "", []string{"Device: Firefox on Windows", "Signed in with: Password"}, nil},
		{"Safari", "", "passkey", "", []string{"Device: Safari\n", "Signed in with: Passkey"}, []string{"Safari on"}},
		{"", "Windows", "email_code", "", []string{"Device: Unknown browser on Windows", "Signed in with: Code sent by email"}, nil},
		{"", "", "email_link", "", []string{"Device: Unknown browser\n", "Signed in with: Link sent by email"}, nil},
		{"Chrome", "Android", "phone_code", "", []string{"Signed in with: Code sent by text message"}, nil},
		{"Chrome", "macOS", "ticket", "", []string{"Signed in with: One-time sign-in link"}, nil},
		{"Edge", "Windows", "oauth_github", "GitHub", []string{"Signed in with: GitHub account"}, nil},
		{"Edge", "Windows", "something_new", "", nil, []string{"Signed in with", "something_new"}},
	}
	for _, c := range cases {
		p := base
		p.Browser, p.OS, p.Method, p.Provider = c.browser, c.os, c.method, c.provider
		text := plain(t, NewSignInEmailHTML(p)) + "\n"
		noMarkup(t, c.method, text)
		for _, w := range append(c.want, "When: 26 Nov 2026, 15:03 UTC\n", "IP address: 203.0.113.5\n",
			"If this was you, you can ignore this email.", "https://id.example.com/user#devices") {
			if !strings.Contains(text, w) {
				t.Errorf("%s/%s/%s: no %q in\n%s", c.browser, c.os, c.method, w, text)
			}
		}
		for _, w := range c.not {
			if strings.Contains(text, w) {
				t.Errorf("%s/%s/%s: %q in\n%s", c.browser, c.os, c.method, w, text)
			}
		}
	}
	if got := NewSignInEmailSubject(base); got != "New sign-in to Acme" {
		t.Errorf("subject %q", got)
	}

	cat, err := i18n.New(i18n.Source, "")
	if err != nil {
		t.Fatal(err)
	}
	for loc, want := range map[string]string{"de": "Gerät: Unbekannter Browser unter Windows", "fr": "Appareil\u00a0: Navigateur inconnu sur Windows",
		"ja": "デバイス: Windows 上の 不明なブラウザ", "es": "Dispositivo: Navegador desconocido en Windows",
		"pt-BR": "Dispositivo: Navegador desconhecido no Windows"} {
		p := base
		p.I18n, p.OS, p.Method = cat.For(loc), "Windows", "password"
		if text := plain(t, NewSignInEmailHTML(p)); !strings.Contains(text, want) {
			t.Errorf("%s: no %q in\n%s", loc, want, text)
		}
	}
}

// The new sign-in email tells the owner to change their password only
// when the account has one. An account without (passwordless, or signed in
// to through a provider alone) is told to sign out of the devices it does
// not recognise and, when the sign-in went through a provider, to check
// that account: in every language.
func TestNewSignInEmailAdviceFitsTheAccount(t *testing.T) {
	base := NewSignInEmail{Email: Email{AppName: "Acme", BaseURL: "https://id.example.com"}, When: "26 Nov 2026, 15:03 UTC",
		Browser: "Firefox", OS: "Windows", AccountURL: "https://id.example.com/user#devices"}
	en := map[string]string{
		"password":    "If it wasn't, change your password and sign out of the devices you don't recognize:",
		"no password": "If it wasn't, sign out of the devices you don't recognize:",
		"provider":    "If it wasn't, check your GitHub account and sign out of the devices you don't recognize:",
	}
	cat, err := i18n.New(i18n.Source, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, loc := range cat.Locales() {
		tr := cat.For(loc)
		password := strings.ToLower(tr.T("email.new_sign_in.method_password"))
		variants := map[string]NewSignInEmail{}
		for name, set := range map[string]func(*NewSignInEmail){
			"password":    func(p *NewSignInEmail) { p.HasPassword, p.Method = true, "email_code" },
			"no password": func(p *NewSignInEmail) { p.Method = "email_code" },
			"provider":    func(p *NewSignInEmail) { p.Method, p.Provider = "oauth_github", "GitHub" },
		} {
			p := base
			p.I18n = tr
			set(&p)
			variants[name] = p
		}
		texts := map[string]string{}
		for name, p := range variants {
			text := plain(t, NewSignInEmailHTML(p))
			texts[name] = text
			if loc == "en" && !strings.Contains(text, en[name]) {
				t.Errorf("en, %s: no %q in\n%s", name, en[name], text)
			}
			if says := strings.Contains(strings.ToLower(text), password); says != (name == "password") {
				t.Errorf("%s, %s: mentions the password (%q): %v, want %v:\n%s", loc, name, password, says, name == "password", text)
			}
		}
		if strings.Count(texts["provider"], "GitHub") < 2 { // the way in, and the advice
			t.Errorf("%s, provider: the advice does not name GitHub:\n%s", loc, texts["provider"])
		}
		if strings.Contains(texts["no password"], "GitHub") {
			t.Errorf("%s, no password: names a provider:\n%s", loc, texts["no password"])
		}
	}
}
