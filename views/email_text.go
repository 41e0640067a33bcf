package views

import (
	"context"
	"regexp"
	"strings"
	"sync"

	"github.com/a-h/templ"

	"github.com/portalhq/portal/internal/i18n"
)

// Every sentence of an email or text message is a catalog message (area
// "email"), rendered by the message's translator. The HTML components in
// email.templ use them; the plain-text bodies are those components turned
// into text (PlainText), so nothing is written twice.

// T renders a catalog message in the email's language.
func (e Email) T(id string, args ...any) string { return translator(e.I18n).T(id, args...) }

// N renders the plural form of a catalog message for count.
func (e Email) N(id string, count int, args ...any) string {
	return translator(e.I18n).N(id, count, args...)
}

// T renders a catalog message in the text message's language.
func (p SMSCode) T(id string, args ...any) string { return translator(p.I18n).T(id, args...) }

// N renders the plural form of a catalog message for count.
func (p SMSCode) N(id string, count int, args ...any) string {
	return translator(p.I18n).N(id, count, args...)
}

var (
	englishOnce sync.Once
	english     Translator
)

// translator is t, or the shipped English catalog when t is nil: unlike a
// page, a message that leaves the portal must never show bare IDs, even
// if a caller forgot to set the language.
func translator(t Translator) Translator {
	if t != nil {
		return t
	}
	englishOnce.Do(func() {
		c, err := i18n.New(i18n.Source, "")
		if err != nil {
			panic("views: the shipped catalogs do not load: " + err.Error())
		}
		english = c.For(i18n.Source)
	})
	return english
}

func emailLang(e Email) string {
	if e.Lang == "" {
		return i18n.Source
	}
	return e.Lang
}

func emailDir(e Email) string {
	if e.Dir == "" {
		return "ltr"
	}
	return e.Dir
}

// oneLine removes line breaks from a subject: it is a header (REQ-IN-04),
// and names in it come from people.
func oneLine(s string) string {
	return strings.NewReplacer("\r\n", " ", "\r", " ", "\n", " ").Replace(s)
}

// CodeEmailSubject puts the code first so it shows in the inbox preview.
func CodeEmailSubject(p CodeEmail) string {
	return oneLine(p.T("email.code.subject", "Code", p.Code, "App", p.AppName))
}

func ExistingAccountEmailSubject(p ExistingAccountEmail) string {
	return oneLine(p.T("email.existing.subject", "App", p.AppName))
}

func codePurpose(p CodeEmail) string {
	switch p.Purpose {
	case "sign-in":
		return p.T("email.code.purpose_sign_in", "App", p.AppName)
	case "sign-up":
		return p.T("email.code.purpose_sign_up", "App", p.AppName)
	case "reset-password":
		return p.T("email.code.purpose_reset_password", "App", p.AppName)
	case "add-email":
		return p.T("email.code.purpose_add_email", "App", p.AppName)
	case "verify-email":
		return p.T("email.code.purpose_verify_email", "App", p.AppName)
	case "reverify":
		return p.T("email.code.purpose_reverify", "App", p.AppName)
	case "verify-domain":
		return p.T("email.code.purpose_verify_domain", "App", p.AppName, "Org", shownName(p.OrgName), "Domain", p.Domain)
	}
	return p.T("email.code.purpose_other", "App", p.AppName)
}

// codeIgnore is the last paragraph of a code email. A code to confirm a
// change to an account is asked for from inside it: one the owner did not
// ask for means someone else is signed in, and ignoring the email, as for
// a sign-in code, would leave them there.
func codeIgnore(p CodeEmail) string {
	if p.Purpose == "reverify" {
		return p.T("email.code.ignore_reverify", "App", p.AppName, "URL", p.BaseURL+"/user")
	}
	return p.T("email.code.ignore", "App", p.AppName)
}

// verifies reports whether the link verifies an address rather than signing in.
func (p LinkEmail) verifies() bool { return p.Purpose == "sign-up" || p.Purpose == "add-email" }

// LinkEmailSubject names the action the link performs.
func LinkEmailSubject(p LinkEmail) string {
	if p.verifies() {
		return oneLine(p.T("email.link.subject_verify", "App", p.AppName))
	}
	return oneLine(p.T("email.link.subject_sign_in", "App", p.AppName))
}

func linkHeading(p LinkEmail) string {
	if p.verifies() {
		return p.T("link.verify_heading")
	}
	return p.T("signin.start_title", "App", p.AppName)
}

func linkButton(p LinkEmail) string {
	if p.verifies() {
		return p.T("link.verify_button")
	}
	return p.T("button.sign_in")
}

func linkPurpose(p LinkEmail) string {
	switch p.Purpose {
	case "sign-up":
		return p.T("email.link.purpose_sign_up", "App", p.AppName)
	case "add-email":
		return p.T("email.link.purpose_add_email", "App", p.AppName)
	}
	return p.T("email.link.purpose_sign_in", "App", p.AppName)
}

func linkIgnore(p LinkEmail) string {
	if p.Purpose == "add-email" {
		return p.T("email.link.ignore_add_email")
	}
	return p.T("email.link.ignore")
}

func PasswordChangedEmailSubject(p PasswordChangedEmail) string {
	return oneLine(p.T("email.password_changed.subject", "App", p.AppName))
}

func SignInLockedEmailSubject(p SignInLockedEmail) string {
	return oneLine(p.T("email.sign_in_locked.subject", "App", p.AppName))
}

func PrimaryEmailChangedEmailSubject(p PrimaryEmailChangedEmail) string {
	return oneLine(p.T("email.primary_changed.subject", "App", p.AppName))
}

func NewSignInEmailSubject(p NewSignInEmail) string {
	return oneLine(p.T("email.new_sign_in.subject", "App", p.AppName))
}

// newSignInDetails are the lines that say when, from what, from where and
// how; the IP address and the way in only when known.
func newSignInDetails(p NewSignInEmail) []string {
	lines := []string{p.T("email.new_sign_in.when", "When", p.When),
		p.T("email.new_sign_in.device", "Device", newSignInDevice(p))}
	if p.IP != "" {
		lines = append(lines, p.T("email.new_sign_in.ip", "IP", p.IP))
	}
	if m := newSignInMethod(p); m != "" {
		lines = append(lines, p.T("email.new_sign_in.method", "Method", m))
	}
	return lines
}

// newSignInDevice names the browser and system in words: "Firefox on
// Windows", "Firefox", "Unknown browser on Windows" or "Unknown browser".
func newSignInDevice(p NewSignInEmail) string {
	browser := p.Browser
	if browser == "" {
		browser = p.T("email.new_sign_in.unknown_browser")
	}
	if p.OS == "" {
		return browser
	}
	return p.T("account.devices.browser_on_os", "Browser", browser, "OS", p.OS)
}

// newSignInMethod says how the person got in, or "" for a way the email
// has no words for (the line is left out).
func newSignInMethod(p NewSignInEmail) string {
	switch p.Method {
	case "password":
		return p.T("email.new_sign_in.method_password")
	case "email_code":
		return p.T("email.new_sign_in.method_email_code")
	case "email_link":
		return p.T("email.new_sign_in.method_email_link")
	case "phone_code":
		return p.T("email.new_sign_in.method_phone_code")
	case "passkey":
		return p.T("email.new_sign_in.method_passkey")
	case "ticket":
		return p.T("email.new_sign_in.method_ticket")
	}
	if strings.HasPrefix(p.Method, "oauth_") && p.Provider != "" {
		return p.T("email.new_sign_in.method_provider", "Provider", shownName(p.Provider))
	}
	return ""
}

// newSignInNotYou says what to do if the sign-in was not the owner's:
// change the password, for an account that has one; otherwise sign out of
// the devices, after checking the provider's account when the sign-in went
// through one (whoever got in may have got into that).
func newSignInNotYou(p NewSignInEmail) string {
	switch {
	case p.HasPassword:
		return p.T("email.new_sign_in.not_you")
	case strings.HasPrefix(p.Method, "oauth_") && p.Provider != "":
		return p.T("email.new_sign_in.not_you_provider", "Provider", shownName(p.Provider))
	}
	return p.T("email.new_sign_in.not_you_no_password")
}

// smsSentence says what the code is for and how long it lasts.
func smsSentence(p SMSCode) string {
	switch p.Purpose {
	case "sign-up":
		return p.N("sms.code.sign_up", p.Minutes, "Code", p.Code, "App", p.AppName)
	case "reset-password":
		return p.N("sms.code.reset_password", p.Minutes, "Code", p.Code, "App", p.AppName)
	case "add-phone":
		return p.N("sms.code.add_phone", p.Minutes, "Code", p.Code, "App", p.AppName)
	case "verify-phone":
		return p.N("sms.code.verify_phone", p.Minutes, "Code", p.Code, "App", p.AppName)
	case "reverify":
		return p.N("sms.code.reverify", p.Minutes, "Code", p.Code, "App", p.AppName)
	}
	return p.N("sms.code.sign_in", p.Minutes, "Code", p.Code, "App", p.AppName)
}

// SMSCodeText is the body of the text message carrying a code: plain,
// short, its last line "@host #code" for WebOTP.
func SMSCodeText(ctx context.Context, p SMSCode) (string, error) {
	return PlainText(ctx, SMSCodeMessage(p))
}

// EmailColors are a theme's primary colours as #rrggbb, for an email's
// button: the mailer passes them only when they read well on the email's
// white card, since mail clients ignore the theme's dark mode.
type EmailColors struct {
	Primary           string
	PrimaryForeground string
}

var hexColor = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// buttonStyle is the button's inline style: the default colours unless
// both of c are plain #rrggbb values.
func buttonStyle(c EmailColors) templ.SafeCSS {
	bg, fg := "#2f3037", "#ffffff"
	if hexColor.MatchString(c.Primary) && hexColor.MatchString(c.PrimaryForeground) {
		bg, fg = c.Primary, c.PrimaryForeground
	}
	return templ.SafeCSS("display:inline-block;padding:10px 18px;background-color:" + bg + ";color:" + fg +
		";border-radius:6px;text-decoration:none;font-weight:600;")
}
