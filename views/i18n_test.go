package views

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"

	"github.com/portalhq/portal/internal/i18n"
)

func localizer(t *testing.T, locale string) *i18n.Localizer {
	t.Helper()
	cat, err := i18n.New(i18n.Source, "")
	if err != nil {
		t.Fatal(err)
	}
	return cat.For(locale)
}

// signInPages are the sign-in, sign-up, sign-out, message and shared
// component pages, every part of them shown (errors, notices, waits,
// other methods, providers), in the locale of l.
func signInPages(l Translator) map[string]templ.Component {
	pg := func(title string) Page { p := page(title); p.I18n = l; p.LogoURL = "/logo.png"; return p }
	social := []SocialButton{
		{Provider: "github", Name: "GitHub", Label: l.T("social.continue_with", "Provider", "GitHub"), URL: "/sign-in/oauth/github"},
		{Provider: "google", Name: "Google", Label: l.T("social.continue_with", "Provider", "Google"), URL: "/sign-in/oauth/google"}}
	compact := pg("x")
	compact.SocialVariant = "iconButton"
	others := []Method{{Strategy: "email_code", Label: l.T("method.email_code", "Destination", "j***@example.com")}}
	passkey := &PasskeyForm{Action: "/sign-in/passkey", OptionsURL: "/o", Label: l.T("method.passkey")}
	return map[string]templ.Component{
		"sign-in start": SignInStartPage(SignInStart{Page: pg("x"), Action: "/sign-in", Social: social,
			Passkey: passkey, SignUpURL: "/sign-up"}),
		"sign-in start, compact providers": SignInStartPage(SignInStart{Page: compact, Action: "/sign-in", Social: social,
			SignUpURL: "/sign-up"}),
		"sign-in start, waitlist": SignInStartPage(SignInStart{Page: pg("x"), Action: "/sign-in", SignUpURL: "/waitlist",
			JoinWaitlist: true}),
		"waitlist": WaitlistPage(Waitlist{Page: pg("x"), Action: "/waitlist", Email: "not an address",
			Errors: Errors{"email_address": l.T("error.identifier.email_invalid")}, SignInURL: "/sign-in"}),
		"waitlist, joined": WaitlistPage(Waitlist{Page: pg("x"), Email: "jo@example.com", SignInURL: "/sign-in", Joined: true}),
		"sign-in password": SignInPasswordPage(SignInPassword{Page: pg("x"), Action: "/a", FlowID: "sia_1",
			Identifier: "jo@example.com", ChangeURL: "/sign-in", OtherMethods: others, PrepareAction: "/p", ForgotURL: "/f"}),
		"sign-in code, waiting": SignInCodePage(SignInCode{Page: pg("x"), Heading: l.T("signin.code_title_email"),
			Action: "/a", ResendAction: "/r", FlowID: "sia_1", Strategy: "email_code", Destination: "j***@example.com",
			ChangeURL: "/sign-in", ResendWait: 30, OtherMethods: others}),
		"sign-in code": SignInCodePage(SignInCode{Page: pg("x"), Heading: l.T("signin.code_title_email"),
			Action: "/a", ResendAction: "/r", FlowID: "sia_1", Strategy: "email_code", Destination: "j***@example.com"}),
		"sign-in link, waiting": SignInLinkPage(SignInLink{Page: pg("x"), FlowID: "sia_1", FlowField: "sign_in",
			Destination: "jo@example.com", ChangeURL: "/sign-in", ResendAction: "/r", ResendWait: 1,
			OtherMethods: others, OtherAction: "/o"}),
		"sign-in link": SignInLinkPage(SignInLink{Page: pg("x"), FlowID: "sia_1", FlowField: "sign_in",
			Destination: "jo@example.com", ResendAction: "/r"}),
		"sign-in forgot": SignInForgotPage(SignInForgot{Page: pg("x"), Action: "/a", FlowID: "sia_1", BackURL: "/b",
			Methods: []Method{{Strategy: "reset_password_email_code", Label: l.T("method.reset_email_code", "Destination", "j***@example.com")}}}),
		"sign-in forgot, no way": SignInForgotPage(SignInForgot{Page: pg("x"), Action: "/a", FlowID: "sia_1", BackURL: "/b"}),
		"sign-in new password": SignInNewPasswordPage(SignInNewPassword{Page: pg("x"), Action: "/a", FlowID: "sia_1",
			Identifier: "jo@example.com", PasswordMin: 15, SignOutAll: true}),
		"sign-in forgot, password compromised": SignInForgotPage(SignInForgot{Page: pg("x"), Action: "/a", FlowID: "sia_1",
			BackURL: "/b", Compromised: true,
			Methods: []Method{{Strategy: "reset_password_email_code", Label: l.T("method.reset_email_code", "Destination", "j***@example.com")}}}),
		"sign-in new password, password compromised": SignInNewPasswordPage(SignInNewPassword{Page: pg("x"), Action: "/a",
			FlowID: "sia_1", Identifier: "jo@example.com", PasswordMin: 15, SignOutAll: true, Compromised: true,
			Errors: Errors{"password": l.T("error.password.exposed")}}),
		"sign-in passkey": SignInPasskeyPage(SignInPasskey{Page: pg("x"), Identifier: "jo@example.com", ChangeURL: "/c",
			Form: PasskeyForm{Action: "/a", OptionsURL: "/o", Label: l.T("button.use_passkey")}, OtherMethods: others,
			PrepareAction: "/p", FlowID: "sia_1"}),
		"sign-in second step, backup code": SignInFactorTwoPage(SignInFactorTwo{Page: pg("x"),
			Heading: l.T("signin.backup_code_title"), Subtitle: l.T("signin.backup_code_subtitle"), Action: "/a",
			PrepareAction: "/p", FlowID: "sia_1", Strategy: "backup_code", ChangeURL: "/sign-in",
			OtherMethods: []Method{{Strategy: "totp", Label: l.T("method.totp")}}}),
		"sign-in second step, app": SignInFactorTwoPage(SignInFactorTwo{Page: pg("x"),
			Heading: l.T("signin.totp_title"), Subtitle: l.T("signin.totp_subtitle"), Action: "/a",
			PrepareAction: "/p", FlowID: "sia_1", Strategy: "totp", ChangeURL: "/sign-in"}),
		"sign-in second step, text": SignInFactorTwoPage(SignInFactorTwo{Page: pg("x"),
			Heading: l.T("signin.code_title_phone"), Subtitle: l.T("signin.texted_subtitle", "Destination", "+49 30 1234567"),
			Action: "/a", PrepareAction: "/p", FlowID: "sia_1", Strategy: "phone_code", ChangeURL: "/sign-in", ResendWait: 5}),
		"sign-up": SignUpPage(SignUp{Page: pg("x"), Action: "/sign-up", Social: social, ShowEmail: true, ShowPhone: true,
			ShowUsername: true, ShowPassword: true, ShowNames: true, PasswordMin: 15, SignInURL: "/sign-in"}),
		"sign-up from an invitation": SignUpPage(SignUp{Page: pg("x"), Action: "/sign-up", ShowEmail: true, ShowPassword: true,
			InvitedTo: "Acme", InvitedBy: "Ada Lovelace"}),
		"link spent, signed in": LinkSignedInPage(LinkSignedIn{Page: pg("x"), Who: "jo@example.com",
			ContinueURL: "/sign-in?redirect_url=x", AccountURL: "/user"}),
		"sign-up continue": SignUpPage(SignUp{Page: pg("x"), Action: "/sign-up/continue", FlowID: "sua_1",
			Provider: "GitHub", ShowUsername: true, RequireUsername: true}),
		"sign-up, consent": SignUpPage(SignUp{Page: pg("x"), Action: "/sign-up", ShowEmail: true, ShowPassword: true,
			Legal:  &LegalConsent{TermsURL: "https://acme.example/terms", PrivacyURL: "https://acme.example/privacy"},
			Errors: Errors{"legal_accepted": l.T("error.signup.legal_required")}, SignInURL: "/sign-in"}),
		"sign-up, consent step": SignUpPage(SignUp{Page: pg("x"), Action: "/sign-up/continue", FlowID: "sua_1",
			Provider: "GitHub", Legal: &LegalConsent{TermsURL: "https://acme.example/terms"}}),
		"sign-up verify": SignUpVerifyPage(SignUpVerify{Page: pg("x"), Heading: l.T("signup.verify_title_email"),
			Action: "/a", ResendAction: "/r", FlowID: "sua_1", Email: "jo@example.com", ChangeURL: "/sign-up",
			OtherMethods: []Method{{Strategy: "email_link", Label: l.T("method.signup_email_link")}}, OtherAction: "/o"}),
		"link confirm": LinkConfirmPage(LinkConfirm{Page: pg("x"), Heading: l.T("link.verify_heading"),
			Body: l.T("link.confirm_sign_up", "Target", "jo@example.com"), Button: l.T("link.verify_button"), Action: "/v1/verify"}),
		"sign-out":           SignOutPage(SignOut{Page: pg("x"), Action: "/sign-out", Email: "jo@example.com"}),
		"signed out":         SignOutPage(SignOut{Page: pg("x"), Action: "/sign-out", SignInURL: "/sign-in"}),
		"home":               HomePage(Home{Page: pg("x"), Name: "Jo Doe", Email: "jo@example.com", SignOutURL: "/sign-out"}),
		"home, no name":      HomePage(Home{Page: pg("x"), Email: "jo@example.com", SignOutURL: "/sign-out"}),
		"home, impersonated": HomePage(Home{Page: impersonated(pg("x")), Email: "jo@example.com", SignOutURL: "/sign-out"}),
		"actor token": TicketConfirmPage(TicketConfirm{Page: pg("x"), Action: "/sign-in/ticket", Account: "jo@example.com",
			Heading: l.T("actor_token.confirm_title", "Account", "jo@example.com", "Actor", "support@example.com"),
			Body:    l.N("actor_token.confirm_body", 30, "App", "Acme", "Account", "jo@example.com", "Actor", "support@example.com"),
			Button:  l.T("actor_token.continue", "Account", "jo@example.com")}),
		"provider start from another site": OAuthConfirmPage(OAuthConfirm{Page: pg("x"),
			Heading: l.T("oauth.confirm_title", "Provider", "GitHub"), Body: l.T("oauth.confirm_body", "Provider", "GitHub"),
			ContinueURL: "/sign-in/oauth/github", ContinueLabel: l.T("social.continue_with", "Provider", "GitHub"),
			BackURL: "/sign-in", BackLabel: l.T("signin.back_to_sign_in")}),
		"message": MessagePage(Message{Page: pg("x"), Status: 500, Heading: l.T("page.error_title"),
			Body: l.T("page.error_body"), BackURL: "/"}),
		"outbox, empty": OutboxPage(Outbox{Page: pg("x")}),
		"outbox": OutboxPage(Outbox{Page: pg("x"), Items: []OutboxItem{{ID: "m1", Channel: "email", To: "jo@example.com",
			Subject: "Code", HTMLURL: "/dev/outbox/m1/html"}}}),
		"themes": DevThemesPage(DevThemes{Page: pg("x"), Pages: []DevLink{{Label: l.T("dev.error_page"), URL: "/"}},
			Frames: []DevFrame{{Theme: "acme", URL: "/sign-in?__theme=in-use", InUse: true, Source: "acme.yaml"},
				{Theme: "dark", URL: "/sign-in?__theme=dark"}},
			Refused: []string{"theme: acme.yaml: variables.colorPrimary: …"}, Contrast: []string{"colorPrimary #ffff00 on …"}}),
	}
}

// visibleText is what a person can read or hear on the page: its text and the
// attributes read out or shown (aria-label, title, alt, placeholder).
func visibleText(doc *goquery.Document) string {
	var b strings.Builder
	b.WriteString(doc.Find("title").Text())
	b.WriteString("\n")
	b.WriteString(doc.Find("body").Text())
	doc.Find("[aria-label], [title], [alt], [placeholder]").Each(func(_ int, s *goquery.Selection) {
		for _, a := range []string{"aria-label", "title", "alt", "placeholder"} {
			if v, ok := s.Attr(a); ok {
				b.WriteString("\n" + v)
			}
		}
	})
	return strings.Join(strings.Fields(b.String()), " ")
}

// englishOnly lists the English catalog's sentences and labels whose
// German translation differs, split at their placeholders: none of them
// may show on a German page.
func englishOnly(t *testing.T) []string {
	t.Helper()
	read := func(loc string) map[string]string {
		out := map[string]string{}
		files, _ := fs.Glob(i18n.Locales(), "*."+loc+".toml")
		for _, f := range files {
			b, _ := fs.ReadFile(i18n.Locales(), f)
			var m map[string]any
			if err := toml.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			flatten("", m, out)
		}
		return out
	}
	en, de := read("en"), read("de")
	placeholder := regexp.MustCompile(`\{\{[^}]*\}\}`)
	var out []string
	for id, s := range en {
		if de[id] == s {
			continue
		}
		for _, part := range placeholder.Split(s, -1) {
			if part = strings.TrimSpace(part); len(part) >= 8 || id == "button.sign_in" {
				out = append(out, part)
			}
		}
	}
	return out
}

func flatten(prefix string, m map[string]any, out map[string]string) {
	for k, v := range m {
		switch v := v.(type) {
		case string:
			out[prefix+k] = v
		case map[string]any:
			flatten(prefix+k+".", v, out)
		}
	}
}

func TestSignInPagesSpeakGerman(t *testing.T) {
	de := localizer(t, "de")
	english := englishOnly(t)
	if len(english) < 100 {
		t.Fatalf("only %d English texts to look for", len(english))
	}
	english = append(english,
		// Words that once were typed into the templates.
		"Continue", "Resend", "Didn't get it", "Change", "Development mode", "Error ", "Reference",
		"Outbox", "Themes", "Preview in")
	for name, c := range signInPages(de) {
		doc, _ := render(t, c)
		text := visibleText(doc)
		for _, e := range english {
			if strings.Contains(text, e) {
				t.Errorf("%s: English %q left on the German page:\n%s", name, e, text)
			}
		}
	}

	want := map[string][]string{
		"sign-in start":                    {"Bei Acme anmelden", "Willkommen zurück!", "Weiter", "Weiter mit GitHub", "Noch kein Konto?", "Registrieren", "Mit einem Passkey anmelden", "E-Mail-Adresse", "oder", "Entwicklungsmodus"},
		"sign-in start, compact providers": {"Weiter mit Google"},
		"sign-in start, waitlist":          {"Noch kein Konto?", "Auf die Warteliste"},
		"waitlist":                         {"Auf die Warteliste", "Die Registrierung bei Acme ist noch nicht geöffnet", "E-Mail-Adresse", "Geben Sie eine gültige E-Mail-Adresse ein", "Sie haben bereits ein Konto?"},
		"waitlist, joined":                 {"Sie stehen auf der Warteliste", "Wir schreiben an jo@example.com", "Sie können diese Seite schließen"},
		"sign-in password":                 {"Passwort eingeben", "Passwort vergessen?", "Anmelden", "jo@example.com ändern", "Ändern"},
		"sign-in code, waiting":            {"Einen neuen Code können Sie in 30 Sekunden anfordern", "Code erneut senden", "Bestätigungscode", "Weiter"},
		"sign-in code":                     {"Nichts erhalten?", "Code erneut senden"},
		"sign-in link, waiting":            {"Einen neuen Link können Sie in 1 Sekunde anfordern", "Link erneut senden"},
		"sign-in new password":             {"Mindestens 15 Zeichen.", "Auf allen anderen Geräten abmelden", "Passwort zurücksetzen"},
		"sign-in passkey":                  {"Passkey verwenden", "Dieser Browser kann keine Passkeys verwenden."},
		"sign-in second step, backup code": {"Backup-Code", "Als jemand anderes anmelden", "Authenticator-App verwenden"},
		"sign-in second step, app":         {"Code aus Ihrer Authenticator-App"},
		"sign-up":                          {"Konto erstellen", "Vorname", "Nachname", "Benutzername", "Telefonnummer", "Mit Ländervorwahl", "Optional", "Sie haben bereits ein Konto?"},
		"sign-up continue":                 {"Ihr GitHub-Konto"},
		"sign-up, consent": {"Ich stimme den Nutzungsbedingungen (öffnet in einem neuen Tab) und der Datenschutzerklärung (öffnet in einem neuen Tab) zu",
			"Setzen Sie das Häkchen, um den Bedingungen zuzustimmen"},
		"sign-up, consent step": {"Ich stimme den Nutzungsbedingungen (öffnet in einem neuen Tab) zu",
			"Lesen und akzeptieren Sie die Bedingungen", "Weiter"},
		"sign-up verify": {"Geben Sie den Code ein, den wir an jo@example.com gesendet haben"},
		"signed out":     {"In diesem Browser ist niemand angemeldet."},
		"home":           {"Sie sind als Jo Doe (jo@example.com) angemeldet."},
		"message":        {"Fehler 500", "Zurück"},
		"outbox":         {"Postausgang", "Betreff", "HTML-Teil", "HTML-Teil der E-Mail Code"},
		"themes": {"Designs", "Vorschau im Design dark", "Seite für die Vorschau", "acme (in Verwendung)",
			"Vorschau im verwendeten Design acme", "Eine Änderung wurde abgelehnt", "Farben des verwendeten Designs"},
	}
	pages := signInPages(de)
	for name, texts := range want {
		doc, _ := render(t, pages[name])
		text := visibleText(doc)
		for _, w := range texts {
			if !strings.Contains(text, w) {
				t.Errorf("%s: no %q in:\n%s", name, w, text)
			}
		}
	}
}

// Japanese puts the name first.
func TestSignedInAsFollowsTheLanguage(t *testing.T) {
	doc, _ := render(t, HomePage(Home{Page: Page{AppName: "Acme", I18n: localizer(t, "ja")}, Email: "jo@example.com"}))
	if got := strings.TrimSpace(doc.Find(".cl-text").Text()); !strings.HasPrefix(got, "jo@example.com") {
		t.Errorf("ja: %q", got)
	}
}

// A page given no translator is in English, not message IDs.
func TestPageWithoutTranslatorIsEnglish(t *testing.T) {
	doc, _ := render(t, SignInCodePage(SignInCode{Page: Page{AppName: "Acme"}, Heading: "Check your email", ResendWait: 2}))
	text := visibleText(doc)
	for _, w := range []string{"Verification code", "Continue", "You can ask for a new code in 2 seconds", "Resend code"} {
		if !strings.Contains(text, w) {
			t.Errorf("no %q in %s", w, text)
		}
	}
	if strings.Contains(text, "button.") || strings.Contains(text, "field.") {
		t.Errorf("message IDs shown: %s", text)
	}
}

// Every page renders in every shipped locale: nothing missing (no bare
// message ID, no template left unfilled) and the text differs from the
// English page. (The handlers set lang and dir: the browser tests check
// those.)
func TestPagesRenderInEveryLocale(t *testing.T) {
	cat, err := i18n.New(i18n.Source, "")
	if err != nil {
		t.Fatal(err)
	}
	emailish := regexp.MustCompile(`\S+@\S+`) // data, like jo@account.example
	bareID := regexp.MustCompile(`\b(button|layout|form|field|signin|method|signup|link|signout|page|wait|error|account|org|date|email|actor_token|impersonation)\.[a-z_]+(\.[a-z_0-9]+)*\b`)
	english := map[string]string{}
	for name, c := range signInPages(cat.For(i18n.Source)) {
		doc, _ := render(t, c)
		english[name] = visibleText(doc)
	}
	for _, loc := range cat.Locales() {
		for name, c := range signInPages(cat.For(loc)) {
			doc, _ := render(t, c)
			text := visibleText(doc)
			if id := bareID.FindString(emailish.ReplaceAllString(text, "")); id != "" {
				t.Errorf("%s %s: shows the bare ID %q", loc, name, id)
			}
			if strings.Contains(text, "<no value>") || strings.Contains(text, "{{") {
				t.Errorf("%s %s: a placeholder left unfilled:\n%s", loc, name, text)
			}
			if loc != i18n.Source && text == english[name] {
				t.Errorf("%s %s: the same text as in English", loc, name)
			}
		}
	}
}
