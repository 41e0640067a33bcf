package views

import (
	"strings"
	"testing"
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
