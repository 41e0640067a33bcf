package views

import (
	"strings"
	"testing"

	"github.com/a-h/templ"
)

// Every step where a person types a code they were sent or read off an app
// is submitted by the same button, worded as Clerk's code steps are
// ("Continue"), in every language: sign-in's first and second factors
// (which the password reset's code uses too), sign-up's verification,
// /user's re-verification and the verification of an added email address
// or phone number.
func TestCodeStepsSubmitWithContinue(t *testing.T) {
	for _, locale := range []string{"en", "de", "fr", "es", "pt-BR", "ja"} {
		loc := localizer(t, locale)
		pg := func() Page { p := page("x"); p.I18n = loc; return p }
		steps := map[string]templ.Component{
			"sign-in code": SignInCodePage(SignInCode{Page: pg(), Action: "/sign-in/factor-one", FlowID: "sia_1",
				Strategy: "email_code", Destination: "j***@example.com"}),
			"reset code": SignInCodePage(SignInCode{Page: pg(), Action: "/sign-in/factor-one", FlowID: "sia_1",
				Strategy: "reset_password_email_code", Destination: "j***@example.com"}),
			"sign-in totp":        SignInFactorTwoPage(SignInFactorTwo{Page: pg(), Action: "/sign-in/factor-two", Strategy: "totp"}),
			"sign-in backup code": SignInFactorTwoPage(SignInFactorTwo{Page: pg(), Action: "/sign-in/factor-two", Strategy: "backup_code"}),
			"sign-in phone code":  SignInFactorTwoPage(SignInFactorTwo{Page: pg(), Action: "/sign-in/factor-two", Strategy: "phone_code"}),
			"sign-up verify":      SignUpVerifyPage(SignUpVerify{Page: pg(), Action: "/sign-up/verify-email-address", Email: "jo@example.com"}),
			"user verify code": UserVerifyPage(UserVerify{Page: pg(), Action: "/user/verify", Strategy: "email_code",
				Destination: "jo@example.com", CodeSent: true}),
			"user verify totp": UserVerifyPage(UserVerify{Page: pg(), Action: "/user/verify", Strategy: "totp"}),
			"add email":        UserVerifyIdentifierPage(UserVerifyIdentifier{Page: pg(), Action: "/user/verify-identifier", Destination: "jo@other.example"}),
			"add phone": UserVerifyIdentifierPage(UserVerifyIdentifier{Page: pg(), Action: "/user/verify-identifier",
				Destination: "+1 415-555-0100", Phone: true}),
		}
		want := loc.T("button.continue")
		for name, c := range steps {
			doc, _ := render(t, c)
			form := doc.Find(`form.cl-form:has(input[name="code"])`)
			if form.Length() != 1 {
				t.Errorf("%s, %s: %d forms with a code field", locale, name, form.Length())
				continue
			}
			if got := strings.TrimSpace(form.Find(`button[type="submit"].cl-formButtonPrimary`).Text()); got != want {
				t.Errorf("%s, %s: the code is submitted with %q, want %q", locale, name, got, want)
			}
		}
	}
}
