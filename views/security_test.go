package views

import (
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"
)

var passkeyLogin = PasskeyForm{Action: "/sign-in/passkey", OptionsURL: "/sign-in/passkey/options",
	Hidden: []Hidden{{Name: "redirect_url", Value: "http://localhost:3000/"}}, Label: "Sign in with a passkey"}

// securityPages are the pages of issue 5, filled in; eachPage checks them
// with the others.
func securityPages() map[string]templ.Component {
	pk := page("Sign in")
	pk.Passkeys = true
	return map[string]templ.Component{
		"sign-in start with passkeys": SignInStartPage(SignInStart{Page: pk, Action: "/sign-in", Passkey: &passkeyLogin}),
		"sign-in passkey": SignInPasskeyPage(SignInPasskey{Page: pk, Identifier: "jo@example.com", ChangeURL: "/sign-in",
			Form: PasskeyForm{Action: "/sign-in/factor-one", OptionsURL: "/sign-in/passkey/options", Label: "Use your passkey",
				Hidden: []Hidden{{Name: "sign_in", Value: "sia_1"}, {Name: "strategy", Value: "passkey"}}},
			OtherMethods: others, PrepareAction: "/sign-in/factor-one/prepare", FlowID: "sia_1"}),
		"factor two totp": SignInFactorTwoPage(SignInFactorTwo{Page: page("Two-step verification"), Action: "/sign-in/factor-two",
			PrepareAction: "/sign-in/factor-two/prepare", FlowID: "sia_1", Strategy: "totp", Heading: "Two-step verification",
			Errors: Errors{"code": "That code is incorrect."}, OtherMethods: []Method{{Strategy: "backup_code", Label: "Use a backup code"}},
			ChangeURL: "/sign-in"}),
		"factor two phone": SignInFactorTwoPage(SignInFactorTwo{Page: page("Check your phone"), Action: "/sign-in/factor-two",
			PrepareAction: "/sign-in/factor-two/prepare", FlowID: "sia_1", Strategy: "phone_code", Heading: "Check your phone", ResendWait: 20}),
		"factor two backup": SignInFactorTwoPage(SignInFactorTwo{Page: page("Backup code"), Action: "/sign-in/factor-two",
			PrepareAction: "/sign-in/factor-two/prepare", FlowID: "sia_1", Strategy: "backup_code", Heading: "Enter a backup code"}),
		"security": UserSecurityPage(UserSecurity{Page: pk, Notice: "Passkey renamed.", PasskeysEnabled: true, MaxPasskeys: 10,
			Passkeys: []PasskeyItem{{ID: "AQID", Name: "Chrome on Linux", Created: "1 Mar 2026", LastUsed: "2 Mar 2026"},
				{ID: "BAUG", Name: "<b>Phone</b>", Created: "1 Mar 2026"}},
			TOTPEnabled: true, TOTP: true, PhoneEnabled: true, Phone: "+1 415-555-0100", BackupEnabled: true, BackupCodes: 9,
			SecondFactor: true, BackURL: "/user", Carry: "?redirect_url=x"}),
		"passkey add": PasskeyAddPage(PasskeyAdd{Page: pk, AfterSignUp: true, SkipURL: "/",
			Form: PasskeyForm{Action: "/user/security/passkeys", OptionsURL: "/user/security/passkeys/options", Label: "Add a passkey"}}),
		"totp setup": TOTPSetupPage(TOTPSetup{Page: page("Authenticator app"), Action: "/user/security/totp", Secret: "JBSWY3DPEHPK3PXP",
			QRSVG:  `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 29 29"><path d="M4 4h7v1h-7z"/></svg>`,
			Errors: Errors{"code": "That code is incorrect."}, BackURL: "/user/security"}),
		"backup codes": BackupCodesPage(BackupCodesShown{Page: page("Backup codes"), Heading: "Your new backup codes",
			Codes: []string{"abcde-fghjk", "mnpqr-stuvw"}, ContinueURL: "/user/security"}),
		"confirm": ConfirmPage(Confirm{Page: page("Remove passkey"), Heading: "Remove passkey", Body: "Remove it?",
			Action: "/user/security/passkeys/AQID/remove", Button: "Remove", BackURL: "/user/security"}),
		"reverify totp": UserVerifyPage(UserVerify{Page: pk, Action: "/user/verify", PrepareAction: "/user/verify/prepare",
			Strategy: "totp", Return: "/user/security/totp", Identifier: "jo@example.com", Errors: Errors{"code": "That code is incorrect."},
			Methods: []Method{{Strategy: "password", Label: "Use your password"}},
			Passkey: &PasskeyForm{Action: "/user/verify", OptionsURL: "/sign-in/passkey/options", Label: "Use a passkey",
				Hidden: []Hidden{{Name: "strategy", Value: "passkey"}, {Name: "return", Value: "/user/security/totp"}}}, CancelURL: "/user"}),
		"reverify passkey only": UserVerifyPage(UserVerify{Page: pk, Action: "/user/verify", PrepareAction: "/user/verify/prepare",
			Strategy: "passkey", Return: "/user/security", CancelURL: "/user",
			Passkey: &PasskeyForm{Action: "/user/verify", OptionsURL: "/sign-in/passkey/options", Label: "Use a passkey",
				Hidden: []Hidden{{Name: "strategy", Value: "passkey"}, {Name: "return", Value: "/user/security"}}}}),
	}
}

// With passkeys on, the identifier field offers them in autofill, the
// page loads the script, and the button's form is what the script expects
// (static/passkeys.js: data-passkey-login, data-options-url), hidden until
// the script finds WebAuthn.
func TestPasskeyForms(t *testing.T) {
	doc, _ := render(t, securityPages()["sign-in start with passkeys"])
	if ac := inputNamed(doc, "identifier").AttrOr("autocomplete", ""); ac != "username webauthn" {
		t.Errorf("identifier autocomplete %q", ac)
	}
	if doc.Find(`head script[src="/static/passkeys.js"][defer]`).Length() != 1 {
		t.Error("passkeys.js not loaded")
	}
	f := doc.Find(`form[data-passkey-login][data-passkey-only][data-options-url="/sign-in/passkey/options"][action="/sign-in/passkey"]`)
	if f.Length() != 1 || f.Find(`[data-passkey-error]`).Length() != 1 ||
		f.Find(`input[name="redirect_url"]`).AttrOr("value", "") != "http://localhost:3000/" {
		t.Errorf("passkey form missing or incomplete")
	}
	// Without passkeys, neither.
	doc, _ = render(t, fullPages()["sign-in start"])
	if doc.Find("script, [data-passkey-login]").Length() != 0 || inputNamed(doc, "identifier").AttrOr("autocomplete", "") != "username" {
		t.Error("passkey UI without passkeys")
	}
	doc, _ = render(t, securityPages()["passkey add"])
	if doc.Find(`form[data-passkey-register][data-options-url="/user/security/passkeys/options"]`).Length() != 1 {
		t.Error("no registration form")
	}
}

// The QR code is inline SVG (no request, nothing for the CSP to allow);
// the secret is shown for typing in; names people chose are escaped.
func TestSecurityPages(t *testing.T) {
	doc, _ := render(t, securityPages()["totp setup"])
	if doc.Find(".cl-qrCode svg path").Length() != 1 || doc.Find(`[data-testid=totp-secret]`).Text() != "JBSWY3DPEHPK3PXP" {
		t.Error("QR code or secret missing")
	}
	// Shown in groups of four to read and type, with nothing between the
	// groups, so that the text (what is copied) is the bare secret.
	var groups []string
	doc.Find(`[data-testid=totp-secret] > span`).Each(func(_ int, s *goquery.Selection) { groups = append(groups, s.Text()) })
	if strings.Join(groups, " ") != "JBSW Y3DP EHPK 3PXP" {
		t.Errorf("secret shown as %q, want groups of four", groups)
	}
	for _, c := range []struct{ in, want string }{{"", ""}, {"ABC", "ABC"}, {"ABCD", "ABCD"}, {"ABCDEFGHIJ", "ABCD EFGH IJ"}} {
		if got := strings.Join(groupsOf4(c.in), " "); got != c.want {
			t.Errorf("groupsOf4(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if in := inputNamed(doc, "code"); in.AttrOr("autocomplete", "") != "one-time-code" || in.AttrOr("inputmode", "") != "numeric" {
		t.Error("code field attributes")
	}
	doc, html := render(t, securityPages()["security"])
	if strings.Contains(html, "<b>Phone</b>") || doc.Find(`[data-testid=passkey]`).Length() != 2 {
		t.Error("passkey names not escaped, or not listed")
	}
	if doc.Find(`a[href="/user/security/phone/remove"]`).Length() != 0 || doc.Find(`a[href="/user/security/totp/remove"]`).Length() != 1 ||
		doc.Find(`a[href="/user/security/backup-codes"]`).Length() != 1 {
		t.Error("second-factor links")
	}
	// "Confirm it's you" with the authenticator app: a code field, and a
	// passkey as the alternative the script takes over.
	doc, _ = render(t, securityPages()["reverify totp"])
	if in := inputNamed(doc, "code"); in.AttrOr("autocomplete", "") != "one-time-code" {
		t.Error("reverify: no one-time-code field for the authenticator app")
	}
	if f := doc.Find(`form[data-passkey-login][action="/user/verify"]`); f.Length() != 1 ||
		f.Find(`input[name="return"]`).AttrOr("value", "") != "/user/security/totp" {
		t.Error("reverify: passkey form missing or without its return path")
	}
	doc, _ = render(t, securityPages()["factor two backup"])
	if in := inputNamed(doc, "code"); in.AttrOr("inputmode", "") == "numeric" || in.AttrOr("autocomplete", "") != "off" {
		t.Error("a backup code is letters: no numeric keyboard, no one-time-code autofill")
	}
}

// "Confirm it's you" says "or" once before the other ways. With the
// passkey the only other way, that "or" is hidden with the passkey button
// where the browser has no WebAuthn (data-passkey-only), so no line leads
// to nothing; with other methods after it, it always shows.
func TestReverifyDividerHidesWithAnOnlyPasskey(t *testing.T) {
	p := UserVerify{Page: page("Confirm"), Action: "/user/verify", PrepareAction: "/user/verify/prepare", Strategy: "password",
		Return: "/user", CancelURL: "/user", Passkey: &PasskeyForm{Action: "/user/verify", OptionsURL: "/sign-in/passkey/options", Label: "Use a passkey"}}
	// hidden: the divider, or the column of other ways it heads, hides
	// without WebAuthn.
	hidden := func(or *goquery.Selection) bool { return or.Closest("[data-passkey-only]").Length() > 0 }
	doc, _ := render(t, UserVerifyPage(p))
	if or := doc.Find(".cl-dividerText"); or.Length() != 1 || !hidden(or) {
		t.Errorf("password and a passkey: %d dividers, hidden without WebAuthn: %v", or.Length(), hidden(or))
	}
	p.Methods = []Method{{Strategy: "email_code", Label: "Email code"}}
	doc, _ = render(t, UserVerifyPage(p))
	if or := doc.Find(".cl-dividerText"); or.Length() != 1 || hidden(or) {
		t.Errorf("with other methods too: %d dividers, hidden without WebAuthn: %v", or.Length(), hidden(or))
	}
	// The passkey button and the other methods are one column, spaced
	// as the methods are among themselves.
	if doc.Find(".cl-alternativeMethods > .cl-passkeyForm + form.cl-alternativeMethods").Length() != 1 {
		t.Error("the passkey and the other methods are not one column")
	}
}
