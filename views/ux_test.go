package views

import (
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"
)

// After "Forgot password?" the person chooses a new password: the field
// says "New password" in every language, as the account page's change
// does, and not the sign-in page's plain "Password".
func TestResetPasswordFieldIsTheNewPassword(t *testing.T) {
	for _, locale := range []string{"en", "de", "ja"} {
		l := localizer(t, locale)
		p := page("x")
		p.I18n = l
		doc, _ := render(t, SignInNewPasswordPage(SignInNewPassword{Page: p, Action: "/a", FlowID: "sia_1",
			Identifier: "jo@example.com", PasswordMin: 15}))
		got := strings.TrimSpace(doc.Find(`label[for="password-field"]`).Text())
		if want := l.T("account.password.new"); got != want {
			t.Errorf("%s: the reset form's password is labelled %q, want %q", locale, got, want)
		}
	}
}

// The page that adds a passkey has one thing to do: its button is drawn
// as the main action, not as an outlined alternative.
func TestAddPasskeyButtonIsTheMainAction(t *testing.T) {
	doc, _ := render(t, PasskeyAddPage(PasskeyAdd{Page: page("Add a passkey"),
		Form: PasskeyForm{Action: "/user/passkeys", OptionsURL: "/user/passkeys/options", Label: "Add a passkey"}}))
	if b := doc.Find(`form[data-passkey-register] button[type="submit"]`); !b.HasClass("cl-formButtonPrimary") {
		t.Errorf("the add-passkey button is %q, want cl-formButtonPrimary", b.AttrOr("class", "missing"))
	}
}

// On the account page, signing out is an aside: the page's one primary
// button is "Save profile", and Sign out does not look like it. Where
// signing out is what the page is for (the signed-in home, /sign-out) it
// stays the main action.
func TestSignOutIsAnAsideOnTheAccountPage(t *testing.T) {
	doc, _ := render(t, UserProfilePage(UserProfile{Page: page("Your account"), FirstName: "Jo", SignOutURL: "/sign-out"}))
	if b := doc.Find(`form[action="/sign-out"] button`); !b.HasClass("cl-formButtonSecondary") {
		t.Errorf("/user's Sign out is %q, want cl-formButtonSecondary", b.AttrOr("class", "missing"))
	}
	if n := doc.Find(`.cl-formButtonPrimary`).Length(); n != 1 {
		t.Errorf("/user has %d primary buttons, want Save profile alone", n)
	}
	home, _ := render(t, HomePage(Home{Page: page("Home"), Email: "jo@example.com", AccountURL: "/user", SignOutURL: "/sign-out"}))
	if b := home.Find(`form[action="/sign-out"] button`); !b.HasClass("cl-formButtonPrimary") {
		t.Errorf("the home page's Sign out is %q, want the primary button", b.AttrOr("class", "missing"))
	}
}

// A password the Show button (static/password.js) turns into a text field
// is still a password: the phone keyboard must not capitalise or "correct"
// it as the person types on, and the browser must not spell-check it,
// which for some browsers' enhanced spell-checking means sending it to a
// server (REQ-PW-06: the optional reveal must not cost the secret). The
// attributes do nothing while the field is type=password, so every
// password field carries them from the start.
func TestPasswordFieldsStayUncorrectedWhenShown(t *testing.T) {
	pages := map[string]templ.Component{
		"sign-in":  SignInPasswordPage(SignInPassword{Page: page("Password"), Action: "/sign-in/factor-one", FlowID: "sia_1", Identifier: "jo@example.com"}),
		"sign-up":  SignUpPage(SignUp{Page: page("Sign up"), Action: "/sign-up", ShowEmail: true, ShowPassword: true, PasswordMin: 15}),
		"reset":    SignInNewPasswordPage(SignInNewPassword{Page: page("New password"), Action: "/a", FlowID: "sia_1", PasswordMin: 15}),
		"change":   UserPasswordPage(UserPassword{Page: page("Password"), Action: "/user/password", AskCurrent: true, PasswordMin: 15}),
		"reverify": UserVerifyPage(UserVerify{Page: page("Confirm"), Action: "/user/verify", Strategy: "password"}),
	}
	for name, c := range pages {
		doc, _ := render(t, c)
		inputs := doc.Find(`input[type="password"]`)
		if inputs.Length() == 0 {
			t.Fatalf("%s: no password field", name)
		}
		inputs.Each(func(_ int, in *goquery.Selection) {
			id := in.AttrOr("id", "?")
			for attr, want := range map[string]string{"spellcheck": "false", "autocapitalize": "none", "autocorrect": "off"} {
				if got := in.AttrOr(attr, "missing"); got != want {
					t.Errorf("%s: #%s has %s=%q, want %q", name, id, attr, got, want)
				}
			}
		})
	}
}

// The Show button by a password field is named for the field it shows:
// the page that changes a password has two, and a screen reader listing
// a page's buttons said "Show" twice. The name starts with the word the
// button shows (WCAG 2.5.3, label in name), so "click Show" works by
// voice, and static/password.js swaps it for the Hide name it carries.
func TestShowPasswordButtonsNameTheirField(t *testing.T) {
	for _, locale := range []string{"en", "de", "ja"} {
		l := localizer(t, locale)
		p := page("x")
		p.I18n = l
		doc, _ := render(t, UserPasswordPage(UserPassword{Page: p, Action: "/user/password", AskCurrent: true, PasswordMin: 15}))
		buttons := doc.Find(`button[data-show-password]`)
		if buttons.Length() != 2 {
			t.Fatalf("%s: %d Show buttons, want one for each of the two password fields", locale, buttons.Length())
		}
		names := map[string]bool{}
		buttons.Each(func(_ int, b *goquery.Selection) {
			field := b.AttrOr("aria-controls", "")
			label := strings.TrimSpace(doc.Find(`label[for="` + field + `"]`).Text())
			name, hide := b.AttrOr("aria-label", ""), b.AttrOr("data-hide-label", "")
			if want := l.T("form.show_field", "Field", label); label == "" || name != want {
				t.Errorf("%s: the Show button of #%s is named %q, want %q", locale, field, name, want)
			}
			if want := l.T("form.hide_field", "Field", label); hide != want {
				t.Errorf("%s: the Show button of #%s has the Hide name %q, want %q", locale, field, hide, want)
			}
			if b.AttrOr("data-show-label", "") != name {
				t.Errorf("%s: #%s's button goes back to %q after Hide, not to its name %q", locale, field, b.AttrOr("data-show-label", ""), name)
			}
			if !strings.Contains(strings.ToLower(name), strings.ToLower(b.Text())) {
				t.Errorf("%s: the name %q does not contain what the button says, %q", locale, name, b.Text())
			}
			if !strings.Contains(strings.ToLower(hide), strings.ToLower(b.AttrOr("data-hide-password", "?"))) {
				t.Errorf("%s: the Hide name %q does not contain what the button then says, %q", locale, hide, b.AttrOr("data-hide-password", ""))
			}
			names[name] = true
		})
		if len(names) != 2 {
			t.Errorf("%s: the two Show buttons share a name: %v", locale, names)
		}
	}
}

// A resend button that must wait comes on in place (static/resend.js); its
// form is a polite live region read whole, so a screen reader says "Didn't
// get it? Resend code" then, on every page that waits, code or link. A
// form with no wait is no region: nothing in it changes.
func TestResendWaitIsALiveRegion(t *testing.T) {
	for name, c := range map[string]struct {
		page templ.Component
		live bool
	}{
		"code, waiting": {SignInCodePage(SignInCode{Page: page("x"), Action: "/a", ResendAction: "/r", FlowID: "sia_1",
			Strategy: "email_code", Destination: "j***@example.com", ResendWait: 30}), true},
		"link, waiting": {SignInLinkPage(SignInLink{Page: page("x"), FlowID: "sia_1", FlowField: "sign_in",
			Destination: "jo@example.com", ResendAction: "/r", ResendWait: 30}), true},
		"code": {SignInCodePage(SignInCode{Page: page("x"), Action: "/a", ResendAction: "/r", FlowID: "sia_1",
			Strategy: "email_code", Destination: "j***@example.com"}), false},
		"link": {SignInLinkPage(SignInLink{Page: page("x"), FlowID: "sia_1", FlowField: "sign_in",
			Destination: "jo@example.com", ResendAction: "/r"}), false},
	} {
		doc, _ := render(t, c.page)
		form := doc.Find(`form.cl-resend`)
		if form.Length() != 1 {
			t.Fatalf("%s: %d resend forms", name, form.Length())
		}
		live, atomic := form.AttrOr("aria-live", ""), form.AttrOr("aria-atomic", "")
		switch {
		case c.live && (live != "polite" || atomic != "true" || form.Find(`#resend-wait`).Length() != 1):
			t.Errorf("%s: the waiting resend form has aria-live=%q aria-atomic=%q, want polite, true, around the wait", name, live, atomic)
		case !c.live && live != "":
			t.Errorf("%s: a resend form with no wait is a live region (%q)", name, live)
		}
	}
}

// A title or subtitle that names an address may break a line after its
// "@" or before a dot inside it, as typesetters break addresses, and
// nowhere else that the text does not already allow: without, a browser
// cuts "ada.unverified@example.com?" where the line ends ("exampl" /
// "e.com?"), or leaves the "?" alone on the last line. The text itself,
// what a screen reader says, is unchanged.
func TestTitlesBreakAddressesSensibly(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Verify ada.unverified@example.com?", "Verify ada<wbr>.unverified@<wbr>example<wbr>.com?"},
		{"Enter the code we sent to jo@example.co.uk.", "Enter the code we sent to jo@<wbr>example<wbr>.co<wbr>.uk."},
		{"ada@example.com を確認しますか？", "ada@<wbr>example<wbr>.com を確認しますか？"},
		{"Remove a..b@x.io?", "Remove a..b@<wbr>x<wbr>.io?"},
		{"No address. Sign in @ home.", "No address. Sign in @ home."},
		{"Make <b>@x.io primary?", "Make &lt;b&gt;@<wbr>x<wbr>.io primary?"},
	} {
		var b strings.Builder
		if err := breakableText(c.in).Render(t.Context(), &b); err != nil {
			t.Fatal(err)
		}
		if b.String() != c.want {
			t.Errorf("breakableText(%q) = %q, want %q", c.in, b.String(), c.want)
		}
	}
	const heading = "Verify ada.unverified@example.com?"
	doc, _ := render(t, UserConfirmPage(UserConfirm{Page: page("Verify"), Heading: heading, Body: "b", Action: "/a", Button: "Verify", CancelURL: "/user"}))
	h1 := doc.Find("h1")
	if html, _ := h1.Html(); !strings.Contains(html, "@<wbr/>example") || h1.Text() != heading {
		t.Errorf("the confirmation's title is %q (text %q), want %q with a break after the @", html, h1.Text(), heading)
	}
}

// A title's hyphenated words are kept whole in a span the stylesheet
// keeps on one line ("Turn on text-" / "message codes?" on a phone
// otherwise); an address's hyphens are the address's, its breaks as
// before. The text is unchanged. TestEveryPageInEveryTheme sees the
// lines.
func TestTitlesKeepHyphenatedWordsWhole(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Turn on text-message codes?", `Turn on <span class="cl-compound">text-message</span> codes?`},
		{"Backup-Code eingeben", `<span class="cl-compound">Backup-Code</span> eingeben`},
		{"Authenticator-App einrichten", `<span class="cl-compound">Authenticator-App</span> einrichten`},
		{"Remove +1 415-555-0100?", `Remove +1 <span class="cl-compound">415-555-0100</span>?`},
		// Too long to be sure of a phone's line: it may break at a hyphen.
		{"Zwei-Faktor-Authentifizierung", "Zwei-Faktor-Authentifizierung"},
		{"Neue Backup-Codes für E-Mail-Adressen", `Neue <span class="cl-compound">Backup-Codes</span> für <span class="cl-compound">E-Mail-Adressen</span>`},
		{"Verify it@acme-rockets.test?", `Verify it@<wbr><span class="cl-compound">acme-rockets</span><wbr>.test?`},
		{"Sign in - or not", "Sign in - or not"},
		{"<b>-x", "&lt;b&gt;-x"},
	} {
		var b strings.Builder
		if err := breakableText(c.in).Render(t.Context(), &b); err != nil {
			t.Fatal(err)
		}
		if b.String() != c.want {
			t.Errorf("breakableText(%q) = %q, want %q", c.in, b.String(), c.want)
		}
	}
}

// A page with two password fields loads password.js once.
func TestPasswordScriptIsOnThePageOnce(t *testing.T) {
	_, html := render(t, UserPasswordPage(UserPassword{Page: page("Password"), Action: "/user/password", AskCurrent: true, PasswordMin: 15}))
	if fields, scripts := strings.Count(html, `type="password"`), strings.Count(html, `src="/static/password.js"`); fields != 2 || scripts != 1 {
		t.Errorf("%d password fields, %d password.js scripts; want 2 fields and one script", fields, scripts)
	}
}

// A field's hint keeps the example phone number on one line, in every
// language: a 320 px phone showed "+1 415 555" over "0100.", two numbers
// to a reader. The text is unchanged (plain spaces, for a person copying
// it).
func TestHintsKeepPhoneNumbersWhole(t *testing.T) {
	for _, locale := range []string{"en", "de", "es", "fr", "ja", "pt-BR"} {
		p := page("x")
		p.I18n = localizer(t, locale)
		doc, _ := render(t, SignUpPage(SignUp{Page: p, Action: "/sign-up", ShowEmail: true, ShowPhone: true, ShowPassword: true}))
		hint := doc.Find("#phone_number-hint")
		whole := hint.Find(".cl-compound")
		if whole.Length() != 1 || !strings.HasPrefix(whole.Text(), "+") || !strings.Contains(hint.Text(), whole.Text()) ||
			strings.ContainsRune(hint.Text(), '\u00a0') {
			t.Errorf("%s: the hint %q keeps %q whole, want its one phone number", locale, hint.Text(), whole.Text())
		}
	}
	var b strings.Builder
	if err := numbersWhole(`like +55 11 91234-5678. <b>`).Render(t.Context(), &b); err != nil {
		t.Fatal(err)
	}
	if want := `like <span class="cl-compound">+55 11 91234-5678</span>. &lt;b&gt;`; b.String() != want {
		t.Errorf("numbersWhole = %q, want %q", b.String(), want)
	}
}
