package views

import (
	"io/fs"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"

	"github.com/portalhq/portal/internal/i18n"
)

// accountPages are the signed-in account pages with every branch that
// shows text, rendered with p.
func accountPages(p Page) map[string]templ.Component {
	pk := p
	pk.Passkeys = true
	form := &PasskeyForm{Action: "/user/verify", OptionsURL: "/sign-in/passkey/options", Label: "x",
		Hidden: []Hidden{{Name: "strategy", Value: "passkey"}}}
	methods := []Method{{Strategy: "password", Label: "x"}}
	verify := func(strategy string, sent bool) templ.Component {
		return UserVerifyPage(UserVerify{Page: pk, Action: "/user/verify", PrepareAction: "/user/verify/prepare",
			Return: "/user/delete", Strategy: strategy, Identifier: "jo@example.com", Destination: "j***@example.com",
			CodeSent: sent, Methods: methods, Passkey: form, CancelURL: "/user"})
	}
	devices := []ProfileDevice{{ID: "sess_1", Browser: "Firefox 128", OS: "Linux", IP: "192.0.2.1", SignedIn: "1 Mar 2026 10:00 UTC",
		LastActive: "2 Mar 2026 10:00 UTC", This: true}, {ID: "sess_2", Browser: "Safari 17", OS: "iOS 17",
		SignedIn: "1 Mar 2026 10:00 UTC", LastActive: "1 Mar 2026 11:00 UTC"}}
	return map[string]templ.Component{
		"profile": UserProfilePage(UserProfile{Page: p, FirstName: "Jo", ShowUsername: true, Username: "jo", ImageURL: "/images/img_1.png",
			Emails: []ProfileIdentifier{{ID: "idn_1", Value: "jo@example.com", Primary: true, Verified: true},
				{ID: "idn_2", Value: "jo@work.example", Verified: true}, {ID: "idn_3", Value: "old@example.com"}},
			ShowPhones: true, AddPhones: true, HasPassword: true, Devices: devices, AllowDelete: true, BackURL: "http://localhost:3000/",
			Connected: []ConnectedAccount{{ID: "eac_1", Provider: "GitHub", Username: "jo"}}, SignOutURL: "/sign-out"}),
		"profile without password": UserProfilePage(UserProfile{Page: p, Devices: devices[:1], SignOutURL: "/sign-out"}),
		"verify password":          verify("password", false),
		"verify totp":              verify("totp", false),
		"verify passkey":           verify("passkey", false),
		"verify email to send":     verify("email_code", false),
		"verify email sent":        verify("email_code", true),
		"verify phone sent":        verify("phone_code", true),
		"add email":                UserAddIdentifierPage(UserAddIdentifier{Page: p, Action: "/user/email-addresses", CancelURL: "/user"}),
		"add phone":                UserAddIdentifierPage(UserAddIdentifier{Page: p, Action: "/user/phone-numbers", Phone: true, CancelURL: "/user"}),
		"verify identifier email": UserVerifyIdentifierPage(UserVerifyIdentifier{Page: p, Action: "/user/verify-identifier",
			SendAction: "/user/verify-identifier/send", FlowID: "vfy_1", Destination: "jo@work.example", CancelURL: "/user"}),
		"verify identifier phone": UserVerifyIdentifierPage(UserVerifyIdentifier{Page: p, Action: "/user/verify-identifier",
			SendAction: "/user/verify-identifier/send", FlowID: "vfy_1", Destination: "+49 30 1234567", Phone: true, CancelURL: "/user"}),
		"change password": UserPasswordPage(UserPassword{Page: p, Action: "/user/password", Identifier: "jo@example.com",
			AskCurrent: true, PasswordMin: 15, SignOutOthers: true, CancelURL: "/user"}),
		"set password": UserPasswordPage(UserPassword{Page: p, Action: "/user/password", Set: true, PasswordMin: 15, CancelURL: "/user"}),
		"delete":       UserDeletePage(UserDelete{Page: p, Action: "/user/delete", Phrase: p.T("account.delete.phrase"), CancelURL: "/user"}),
		"security": UserSecurityPage(UserSecurity{Page: pk, Required: true, PasskeysEnabled: true, MaxPasskeys: 2,
			Passkeys:    []PasskeyItem{{ID: "AQID", Name: "Pixel", Created: "1 Mar 2026", LastUsed: "2 Mar 2026"}, {ID: "BAUG", Name: "Mac", Created: "1 Mar 2026"}},
			TOTPEnabled: true, TOTP: true, PhoneEnabled: true, Phone: "+49 30 1234567", PhoneOn: true, BackupEnabled: true,
			BackupCodes: 9, SecondFactor: true, BackURL: "/user"}),
		"security to set up": UserSecurityPage(UserSecurity{Page: pk, PasskeysEnabled: true, MaxPasskeys: 10, TOTPEnabled: true,
			PhoneEnabled: true, Phone: "+49 30 1234567", BackURL: "/user", ContinueURL: "/sign-in"}),
		"security without phone": UserSecurityPage(UserSecurity{Page: pk, PhoneEnabled: true, BackURL: "/user"}),
		"passkey add after sign-up": PasskeyAddPage(PasskeyAdd{Page: pk, AfterSignUp: true, SkipURL: "/",
			Form: PasskeyForm{Action: "/user/security/passkeys", OptionsURL: "/user/security/passkeys/options", Label: "x"}}),
		"passkey add": PasskeyAddPage(PasskeyAdd{Page: pk, SkipURL: "/user/security",
			Form: PasskeyForm{Action: "/user/security/passkeys", OptionsURL: "/user/security/passkeys/options", Label: "x"}}),
		"totp setup": TOTPSetupPage(TOTPSetup{Page: p, Action: "/user/security/totp", Secret: "JBSWY3DPEHPK3PXP",
			QRSVG: `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 29 29"></svg>`, BackURL: "/user/security"}),
		"backup codes": BackupCodesPage(BackupCodesShown{Page: p, Heading: "x", Codes: []string{"abcde-fghjk"}, ContinueURL: "/user/security"}),
		"confirm":      ConfirmPage(Confirm{Page: p, Heading: "x", Body: "x", Action: "/user/security/totp/remove", Button: "x", BackURL: "/user/security"}),
	}
}

// englishAccountTexts are the English messages of the account catalog
// (placeholders cut out; words alone, like "Passkeys", may be German too),
// and the core messages these pages use: sentences a German page must not
// show.
func englishAccountTexts(t *testing.T) []string {
	t.Helper()
	src, err := fs.ReadFile(i18n.Locales(), "account.en.toml")
	if err != nil {
		t.Fatal(err)
	}
	line := regexp.MustCompile(`(?m)^[a-z_]+ = (".*")$`)
	var out []string
	for _, m := range line.FindAllStringSubmatch(string(src), -1) {
		s, err := strconv.Unquote(m[1])
		if err != nil {
			t.Fatal(err)
		}
		for _, part := range regexp.MustCompile(`\{\{\.[A-Za-z]+\}\}`).Split(s, -1) {
			if part = strings.TrimSpace(part); len(part) >= 12 && strings.Contains(part, " ") {
				out = append(out, part)
			}
		}
	}
	if len(out) < 100 {
		t.Fatalf("only %d English texts found in account.en.toml", len(out))
	}
	return append(out, "Verification code", "Sign out of all other devices", "Enter your password", "Check your email",
		"Email me a link instead", "Verify your email address", "Verify your phone number", "Enter the code we sent")
}

// shown is what a person perceives of a page: its text and the labels of
// its controls and images.
func shown(doc *goquery.Document) string {
	var b strings.Builder
	b.WriteString(doc.Find("body").Text())
	doc.Find("[aria-label], [alt], [title]").Each(func(_ int, s *goquery.Selection) {
		for _, a := range []string{"aria-label", "alt", "title"} {
			b.WriteString(" " + s.AttrOr(a, ""))
		}
	})
	b.WriteString(" " + doc.Find("title").Text())
	return b.String()
}

var accountBareID = regexp.MustCompile(`\b(account|button|field|signin|signup|page|form|link|method|error|wait)\.[a-z_]+(\.[a-z_]+)*\b`)

// Every account page reads its texts from the catalog: in German, no
// English sentence of the account catalog is left and no bare ID shows.
func TestAccountPagesInGerman(t *testing.T) {
	cat, err := i18n.New("en", "")
	if err != nil {
		t.Fatal(err)
	}
	de := page("Konto")
	de.I18n, de.Lang = cat.For("de"), "de"
	english := englishAccountTexts(t)
	for name, c := range accountPages(de) {
		t.Run(name, func(t *testing.T) {
			doc, _ := render(t, c)
			text := strings.Join(strings.Fields(shown(doc)), " ")
			if id := accountBareID.FindString(text); id != "" {
				t.Errorf("shows the message ID %q", id)
			}
			for _, en := range english {
				if strings.Contains(text, en) {
					t.Errorf("still in English: %q", en)
				}
			}
		})
	}
	want := map[string][]string{
		"profile": {"Ihr Konto", "Verwalten Sie Ihre Kontodaten.", "Zurück zur App", "Profilbild", "Profil speichern",
			"E-Mail-Adressen", "Primär", "Nicht bestätigt", "Als primär festlegen", "jo@work.example als primär festlegen",
			"old@example.com entfernen", "Telefonnummern", "Noch keine.", "Telefonnummer hinzufügen", "Ihr Konto hat ein Passwort.",
			"Passwort ändern", "Verknüpfte Konten", "GitHub trennen", "Aktive Geräte", "Firefox 128 unter Linux", "Dieses Gerät",
			"Angemeldet am 1 Mar 2026 10:00 UTC · Zuletzt aktiv am 2 Mar 2026 10:00 UTC", "Safari 17 unter iOS 17 abmelden",
			"Auf allen anderen Geräten abmelden", "Konto löschen"},
		"profile without password": {"Ihr Konto hat noch kein Passwort.", "Passwort festlegen"},
		"verify password":          {"Passwort eingeben", "Bestätigen Sie zu Ihrer Sicherheit vor dieser Änderung, dass Sie es sind.", "Abbrechen", "Weiter"},
		"verify totp":              {"Code aus Ihrer Authenticator-App eingeben", "Code aus Ihrer Authenticator-App"},
		"verify passkey":           {"Passkey verwenden", "Dieser Browser kann keine Passkeys verwenden."},
		"verify email to send":     {"Sehen Sie in Ihre E-Mails", "Wir senden einen Code an j***@example.com.", "Code senden"},
		"verify email sent":        {"Bestätigungscode"},
		"add phone":                {"Telefonnummer hinzufügen", "Mit Ländervorwahl"},
		"verify identifier email":  {"E-Mail-Adresse bestätigen", "jo@work.example", "Weiter"},
		"change password":          {"Passwort ändern", "Aktuelles Passwort", "Mindestens 15 Zeichen."},
		"set password":             {"Passwort festlegen"},
		"delete":                   {"Ihr Konto löschen", "Geben Sie „Konto löschen“ ein, um zu bestätigen"},
		"security": {"Sicherheit", "Zurück zu Ihrem Konto", "Diese Website verlangt bei der Anmeldung einen zweiten Schritt.",
			"Hinzugefügt am 1 Mar 2026", "Zuletzt verwendet am 2 Mar 2026", "Nie verwendet", "Neuer Name für Pixel", "Umbenennen",
			"Mac entfernen", "Sie haben die höchste erlaubte Zahl an Passkeys (2).", "Bestätigung in zwei Schritten",
			"Authenticator-App", "Codes gehen an +49 30 1234567", "Ausschalten", "9 unbenutzte Codes", "Neue Codes erhalten"},
		"security to set up":        {"Sie haben noch keine Passkeys.", "Passkey hinzufügen", "Authenticator-App einrichten", "Codes per SMS an +49 30 1234567 senden", "Weiter"},
		"security without phone":    {"Fügen Sie Ihrem Konto zuerst eine Telefonnummer hinzu"},
		"passkey add after sign-up": {"Passkey hinzufügen", "Ihr Konto ist bereit.", "Nicht jetzt"},
		"totp setup":                {"Authenticator-App einrichten", "QR-Code für Ihre Authenticator-App", "Einschalten"},
		"backup codes":              {"Bewahren Sie diese Backup-Codes", "Ich habe sie gespeichert"},
	}
	pages := accountPages(de)
	for name, texts := range want {
		doc, _ := render(t, pages[name])
		text := strings.Join(strings.Fields(shown(doc)), " ")
		for _, w := range texts {
			if !strings.Contains(text, w) {
				t.Errorf("%s: no %q in %s", name, w, text)
			}
		}
	}
}

// In English the pages read as before the catalog.
func TestAccountPagesInEnglish(t *testing.T) {
	cat, err := i18n.New("en", "")
	if err != nil {
		t.Fatal(err)
	}
	en := page("Account")
	en.I18n = cat.For("en")
	pages := accountPages(en)
	for name, texts := range map[string][]string{
		"profile": {"Your account", "Make jo@work.example primary", "Firefox 128 on Linux", "Signed in 1 Mar 2026 10:00 UTC · Last active 2 Mar 2026 10:00 UTC",
			"Sign out Safari 17 on iOS 17", "Sign out of all other devices"},
		"security":        {"You have the most passkeys allowed (2). Remove one to add another.", "9 unused codes", "Codes go to +49 30 1234567"},
		"delete":          {"Type \"Delete account\" to confirm"},
		"verify totp":     {"Enter a code from your authenticator app", "Code from your authenticator app"},
		"change password": {"Change your password", "Current password", "At least 15 characters."},
	} {
		doc, _ := render(t, pages[name])
		text := strings.Join(strings.Fields(shown(doc)), " ")
		for _, w := range texts {
			if !strings.Contains(text, w) {
				t.Errorf("%s: no %q in %s", name, w, text)
			}
		}
	}
}
