package views

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"
)

const csrf = "csrf-token-42"

func page(title string) Page {
	return Page{Title: title, AppName: "Acme", CSRF: csrf, DevMode: true}
}

func render(t *testing.T, c templ.Component) (*goquery.Document, string) {
	t.Helper()
	var buf bytes.Buffer
	if err := c.Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(buf.String()))
	if err != nil {
		t.Fatal(err)
	}
	return doc, buf.String()
}

// impersonated is p seen in an impersonation session.
func impersonated(p Page) Page {
	p.Impersonation = &Impersonation{Account: "jo@example.com", Actor: "support@example.com"}
	return p
}

var others = []Method{{Strategy: "email_code", Label: "Email code to j***@example.com"}}

// fullPages fills every prop a person can influence, errors included.
func fullPages() map[string]templ.Component {
	return map[string]templ.Component{
		"sign-in start": SignInStartPage(SignInStart{
			Page: page("Sign in"), Action: "/sign-in", Identifier: "jo@example.com",
			Hidden:    []Hidden{{Name: "redirect_url", Value: "http://localhost:3000/x?a=1&b=2"}},
			Errors:    Errors{"": "Too many attempts.", "identifier": "Enter a valid email address."},
			SignUpURL: "/sign-up?redirect_url=x",
		}),
		"sign-in password": SignInPasswordPage(SignInPassword{
			Page: page("Sign in"), Action: "/sign-in/factor-one", FlowID: "sia_1", Identifier: "jo@example.com",
			ChangeURL: "/sign-in", Errors: Errors{"": "Something is off.", "password": "Password is incorrect."},
			OtherMethods: others, PrepareAction: "/sign-in/factor-one/prepare",
		}),
		"sign-in code": SignInCodePage(SignInCode{
			Page: page("Sign in"), Action: "/sign-in/factor-one", ResendAction: "/sign-in/factor-one/prepare",
			FlowID: "sia_1", Strategy: "email_code", Destination: "j***@example.com", ChangeURL: "/sign-in",
			Errors: Errors{"code": "Incorrect code."}, ResendWait: 30, OtherMethods: others,
		}),
		"sign-up": SignUpPage(SignUp{ShowEmail: true, RequireEmail: true, ShowPassword: true,
			Page: page("Sign up"), Action: "/sign-up", Email: "jo@example.com", FirstName: "Jo", LastName: "Doe",
			ShowNames: true, RequireNames: true, PasswordMin: 15,
			Hidden:    []Hidden{{Name: "redirect_url", Value: "http://localhost:3000/"}},
			Errors:    Errors{"": "Please fix the fields below.", "password": "Too short.", "email_address": "Invalid."},
			SignInURL: "/sign-in",
		}),
		"sign-up verify": SignUpVerifyPage(SignUpVerify{
			Page: page("Verify"), Action: "/sign-up/verify-email-address",
			ResendAction: "/sign-up/verify-email-address/resend", FlowID: "sua_1", Email: "jo@example.com",
			Errors: Errors{"code": "Incorrect code."}, Notice: "A new code is on its way.", ChangeURL: "/sign-up",
		}),
		"sign-out": SignOutPage(SignOut{
			Page: page("Sign out"), Action: "/sign-out", Email: "jo@example.com",
			Hidden: []Hidden{{Name: "redirect_url", Value: "/"}},
		}),
		"signed out": SignOutPage(SignOut{Page: page("Sign out"), Action: "/sign-out", SignInURL: "/sign-in"}),
		"home":       HomePage(Home{Page: page("Home"), Name: "Jo Doe", Email: "jo@example.com", AccountURL: "/user", SignOutURL: "/sign-out"}),
		"home, impersonated": HomePage(Home{Page: impersonated(page("Home")), Name: "Jo Doe", Email: "jo@example.com",
			SignOutURL: "/sign-out"}),
		"link spent, signed in": LinkSignedInPage(LinkSignedIn{Page: page("Signed in"), Who: "jo@example.com",
			ContinueURL: "/sign-in?redirect_url=x", AccountURL: "/user"}),
		"provider start from another site": OAuthConfirmPage(OAuthConfirm{Page: page("Continue with GitHub?"),
			Heading: "Continue with GitHub?", Body: "Another site sent you here.", ContinueURL: "/sign-in/oauth/github?intent=sign_in",
			ContinueLabel: "Continue with GitHub", BackURL: "/sign-in", BackLabel: "Back to sign in"}),
		"message": MessagePage(Message{
			Page: page("Not found"), Status: 404, Heading: "Page not found", Body: "There is nothing here.",
			BackURL: "/", BackLabel: "Home", RequestID: "req_123",
		}),
		"user profile": UserProfilePage(UserProfile{Page: page("Your account"),
			FirstName: "Jo", LastName: "Doe", Username: "jodoe", ShowUsername: true, ImageURL: "/images/img_1.png",
			Emails:     []ProfileIdentifier{{ID: "idn_1", Value: "jo@example.com", Primary: true, Verified: true}, {ID: "idn_2", Value: "jo@work.example", Verified: true}},
			ShowPhones: true, AddPhones: true, Phones: []ProfileIdentifier{{ID: "idn_3", Value: "+1 415-555-0100", Primary: true, Verified: true}},
			HasPassword: true, AllowDelete: true, Notice: "Saved.",
			Devices: []ProfileDevice{{ID: "sess_1", Browser: "Chrome 126", OS: "macOS 14", IP: "192.0.2.1", SignedIn: "1 Jan", LastActive: "2 Jan", This: true},
				{ID: "sess_2", Browser: "Safari 17", OS: "iOS 17.5", SignedIn: "1 Jan", LastActive: "1 Jan"}},
			Errors:    Errors{"": "Something is off.", "first_name": "Too long.", "image": "Not an image."},
			Connected: []ConnectedAccount{{ID: "eac_1", Provider: "GitHub", Username: "jo"}},
			Connect:   []SocialButton{{Provider: "google", Label: "Connect Google", URL: "/sign-in/oauth/google?intent=connect"}},
			BackURL:   "http://localhost:3000/", SignOutURL: "/sign-out"}),
		"user verify password": UserVerifyPage(UserVerify{Page: page("Confirm"), Action: "/user/verify", PrepareAction: "/user/verify/prepare",
			Return: "/user/password", Strategy: "password", Identifier: "jo@example.com", Errors: Errors{"password": "Incorrect."},
			Methods: []Method{{Strategy: "email_code", Label: "Email me a code"}}, CancelURL: "/user"}),
		"user verify code": UserVerifyPage(UserVerify{Page: page("Confirm"), Action: "/user/verify", PrepareAction: "/user/verify/prepare",
			Return: "/user", Strategy: "email_code", Destination: "jo@example.com", CodeSent: true, ResendWait: 20,
			Errors: Errors{"code": "Incorrect code."}, CancelURL: "/user"}),
		"user add identifier": UserAddIdentifierPage(UserAddIdentifier{Page: page("Add"), Action: "/user/email-addresses",
			Value: "jo@other.example", Errors: Errors{"email_address": "Invalid."}, CancelURL: "/user"}),
		"user verify identifier": UserVerifyIdentifierPage(UserVerifyIdentifier{Page: page("Verify"), Action: "/user/verify-identifier",
			SendAction: "/user/verify-identifier/send", FlowID: "vfy_1", Destination: "jo@other.example", Notice: "Sent.",
			Errors: Errors{"code": "Incorrect code."}, CancelURL: "/user"}),
		"user confirm": UserConfirmPage(UserConfirm{Page: page("Remove"), Heading: "Remove jo@work.example?", Body: "Sure?",
			Action: "/user/email-addresses/idn_2/remove", Button: "Remove", Danger: true, CancelURL: "/user"}),
		"user password": UserPasswordPage(UserPassword{Page: page("Password"), Action: "/user/password", Identifier: "jo@example.com",
			AskCurrent: true, PasswordMin: 15, SignOutOthers: true, CancelURL: "/user",
			Errors: Errors{"current_password": "Incorrect.", "password": "Too short."}}),
		"user delete": UserDeletePage(UserDelete{Page: page("Delete"), Action: "/user/delete", Phrase: "Delete account",
			Confirmation: "delete", Errors: Errors{"confirmation": "Type it."}, CancelURL: "/user"}),
		"outbox": OutboxPage(Outbox{Page: page("Outbox"), Items: []OutboxItem{
			{ID: "msg_3", Channel: "email", To: "jo@example.com", Subject: "123456 is your code", Text: "Your code:\n  123456", CreatedAt: "12:02",
				HTMLURL: "/dev/outbox/msg_3/html"},
			{ID: "msg_2", Channel: "email", To: "jo@example.com", Subject: "123456 is your code", Text: "Your code:\n  123456", CreatedAt: "12:01",
				HTMLURL: "/dev/outbox/msg_2/html"},
			{ID: "msg_1", Channel: "sms", To: "+15550100", Text: "654321", CreatedAt: "12:00"},
		}}),
	}
}

// emptyPages are the same pages on first visit: no errors, nothing typed.
func emptyPages() map[string]templ.Component {
	return map[string]templ.Component{
		"sign-in start":    SignInStartPage(SignInStart{Page: page("Sign in"), Action: "/sign-in"}),
		"sign-in password": SignInPasswordPage(SignInPassword{Page: page("Sign in"), Action: "/sign-in/factor-one"}),
		"sign-in code":     SignInCodePage(SignInCode{Page: page("Sign in"), Action: "/sign-in/factor-one", ResendAction: "/p"}),
		"sign-up":          SignUpPage(SignUp{ShowEmail: true, RequireEmail: true, ShowPassword: true, Page: page("Sign up"), Action: "/sign-up"}),
		"sign-up verify":   SignUpVerifyPage(SignUpVerify{Page: page("Verify"), Action: "/v", ResendAction: "/r"}),
		"outbox":           OutboxPage(Outbox{Page: page("Outbox")}),
		"user profile":     UserProfilePage(UserProfile{Page: page("Your account"), SignOutURL: "/sign-out"}),
		"user verify":      UserVerifyPage(UserVerify{Page: page("Confirm"), Action: "/v", PrepareAction: "/p", Strategy: "email_code"}),
		"user password":    UserPasswordPage(UserPassword{Page: page("Password"), Action: "/user/password", Set: true}),
	}
}

func eachPage(t *testing.T, check func(t *testing.T, doc *goquery.Document, html string)) {
	for _, set := range []map[string]templ.Component{fullPages(), emptyPages(), securityPages()} {
		for name, c := range set {
			t.Run(name, func(t *testing.T) {
				doc, html := render(t, c)
				check(t, doc, html)
			})
		}
	}
}

func TestShell(t *testing.T) {
	eachPage(t, func(t *testing.T, doc *goquery.Document, html string) {
		if !strings.HasPrefix(html, "<!doctype html><html lang=\"en\">") {
			t.Errorf("document starts %.40q", html)
		}
		if title := doc.Find("title").Text(); !strings.HasSuffix(title, " · Acme") {
			t.Errorf("title %q", title)
		}
		for _, sel := range []string{`meta[charset="utf-8"]`, `meta[name="viewport"]`, `link[rel="stylesheet"][href="/static/portal.css"]`,
			"main .cl-card", ".cl-header .cl-headerTitle", ".cl-footer .cl-badge"} {
			if doc.Find(sel).Length() != 1 {
				t.Errorf("want one %s", sel)
			}
		}
		if doc.Find("h1").Length() != 1 {
			t.Error("want exactly one h1")
		}
	})
	doc, _ := render(t, HomePage(Home{Page: Page{AppName: "Acme", Lang: "fr"}}))
	if doc.Find(".cl-badge").Length() != 0 || doc.Find("html").AttrOr("lang", "") != "fr" {
		t.Error("badge shown outside development, or lang ignored")
	}
}

// REQ-HDR-01: nothing is loaded from elsewhere and there is no inline script for a CSP to allow;
// the one script, for passkeys, comes from the portal itself.
func TestNoExternalResourcesOrScripts(t *testing.T) {
	eachPage(t, func(t *testing.T, doc *goquery.Document, _ string) {
		doc.Find("link[href], script[src], img[src]").Each(func(_ int, s *goquery.Selection) {
			u := s.AttrOr("href", s.AttrOr("src", ""))
			if strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "//") {
				t.Errorf("external resource %q", u)
			}
		})
		if doc.Find(`script:not([src="/static/passkeys.js"], [src="/static/resend.js"], [src="/static/password.js"], [src="/static/backup.js"], [src="/static/orgnav.js"], [src="/static/typed.js"]), style, [style]`).Length() != 0 ||
			strings.TrimSpace(doc.Find("script").Text()) != "" {
			t.Error("inline script or style")
		}
	})
}

func TestEveryInputHasALabel(t *testing.T) {
	eachPage(t, func(t *testing.T, doc *goquery.Document, _ string) {
		seen := map[string]bool{}
		doc.Find("[id]").Each(func(_ int, s *goquery.Selection) {
			id := s.AttrOr("id", "")
			if seen[id] {
				t.Errorf("duplicate id %q", id)
			}
			seen[id] = true
		})
		doc.Find(`input:not([type="hidden"])`).Each(func(_ int, s *goquery.Selection) {
			id := s.AttrOr("id", "")
			if id == "" || doc.Find(`label[for="`+id+`"]`).Length() != 1 {
				t.Errorf("input %q has no label of its own", s.AttrOr("name", ""))
			}
		})
	})
}

// REQ-SES-08, REQ-HDR-04: every state change is a POST that carries the CSRF token.
func TestEveryFormPostsWithCSRF(t *testing.T) {
	eachPage(t, func(t *testing.T, doc *goquery.Document, _ string) {
		doc.Find("form").Each(func(_ int, f *goquery.Selection) {
			if f.AttrOr("method", "") != "post" || f.AttrOr("action", "") == "" {
				t.Errorf("form method=%q action=%q", f.AttrOr("method", ""), f.AttrOr("action", ""))
			}
			if v, _ := f.Find(`input[type="hidden"][name="_csrf"]`).Attr("value"); v != csrf {
				t.Errorf("form %s: _csrf = %q", f.AttrOr("action", ""), v)
			}
			if f.Find(`button[type="submit"]`).Length() == 0 {
				t.Errorf("form %s has no submit button", f.AttrOr("action", ""))
			}
		})
	})
}

// REQ-PW-06: the attributes browsers and password managers rely on to autofill.
func TestAutofillAttributes(t *testing.T) {
	pages := fullPages()
	for _, c := range []struct {
		page, input string
		want        map[string]string
	}{
		{"sign-in start", "identifier", map[string]string{"type": "email", "autocomplete": "username",
			"autocapitalize": "none", "spellcheck": "false", "required": "", "autofocus": ""}},
		{"sign-in password", "username", map[string]string{"type": "email", "autocomplete": "username",
			"value": "jo@example.com", "readonly": ""}},
		{"sign-in password", "password", map[string]string{"type": "password", "autocomplete": "current-password", "required": ""}},
		{"sign-in code", "code", map[string]string{"inputmode": "numeric", "autocomplete": "one-time-code",
			"autofocus": ""}},
		{"sign-up verify", "code", map[string]string{"inputmode": "numeric", "autocomplete": "one-time-code"}},
		{"sign-up", "email_address", map[string]string{"type": "email", "autocomplete": "email"}},
		{"sign-up", "password", map[string]string{"type": "password", "autocomplete": "new-password", "minlength": "15"}},
		{"sign-up", "first_name", map[string]string{"autocomplete": "given-name", "required": ""}},
		{"sign-up", "last_name", map[string]string{"autocomplete": "family-name", "required": ""}},
	} {
		doc, _ := render(t, pages[c.page])
		in := doc.Find(`input[name="` + c.input + `"]`)
		if in.Length() != 1 {
			t.Errorf("%s: %d inputs named %s", c.page, in.Length(), c.input)
			continue
		}
		for k, v := range c.want {
			if got, ok := in.Attr(k); !ok || got != v {
				t.Errorf("%s %s: %s=%q (present %v), want %q", c.page, c.input, k, got, ok, v)
			}
		}
	}
}

// The account hint for password managers is out of sight but not type=hidden,
// which password managers ignore.
func TestPasswordPageCarriesUsernameForPasswordManagers(t *testing.T) {
	doc, _ := render(t, fullPages()["sign-in password"])
	in := doc.Find(`form input[name="username"]`)
	if in.Closest(".visually-hidden").Length() != 1 || in.AttrOr("type", "") == "hidden" {
		t.Error("username hint must be visually hidden, not type=hidden, inside the form")
	}
	if inputNamed(doc, "password").Closest("form").Find(`input[name="username"]`).Length() != 1 {
		t.Error("username and password must share a form")
	}
}

func TestFieldErrorsAreLinkedAndAnnounced(t *testing.T) {
	pages := fullPages()
	for _, c := range []struct{ page, input, msg, form string }{
		{"sign-in start", "identifier", "Enter a valid email address.", "Too many attempts."},
		{"sign-in password", "password", "Password is incorrect.", "Something is off."},
		{"sign-in code", "code", "Incorrect code.", ""},
		{"sign-up", "email_address", "Invalid.", "Please fix the fields below."},
		{"sign-up", "password", "Too short.", "Please fix the fields below."},
		{"sign-up verify", "code", "Incorrect code.", ""},
	} {
		doc, _ := render(t, pages[c.page])
		in := doc.Find(`input[name="` + c.input + `"]`)
		if in.AttrOr("aria-invalid", "") != "true" {
			t.Errorf("%s %s: aria-invalid missing", c.page, c.input)
		}
		found := false
		for _, id := range strings.Fields(in.AttrOr("aria-describedby", "")) {
			e := doc.Find("#" + id)
			if e.Text() == c.msg && e.AttrOr("role", "") == "alert" {
				found = true
			}
		}
		if !found {
			t.Errorf("%s %s: error %q not linked by aria-describedby to a role=alert element", c.page, c.input, c.msg)
		}
		if c.form != "" {
			a := doc.Find(`.cl-main > .cl-alert[role="alert"]`).First()
			if strings.TrimSpace(a.Text()) != c.form || a.Prev().Length() != 0 {
				t.Errorf("%s: form alert %q, want %q first in the card body", c.page, a.Text(), c.form)
			}
		}
	}
	eachPage(t, func(t *testing.T, doc *goquery.Document, _ string) {
		doc.Find(`input[aria-describedby]:not([aria-invalid])`).Each(func(_ int, s *goquery.Selection) {
			if strings.Contains(s.AttrOr("aria-describedby", ""), "-error") {
				t.Errorf("%s points at an error it does not have", s.AttrOr("name", ""))
			}
		})
	})
}

func TestNoErrorsNoAlerts(t *testing.T) {
	for name, c := range emptyPages() {
		doc, _ := render(t, c)
		if n := doc.Find(`[role="alert"], [aria-invalid]`).Length(); n != 0 {
			t.Errorf("%s: %d alerts on a clean page", name, n)
		}
	}
}

func TestTypedValuesComeBackButPasswordsNever(t *testing.T) {
	pages := fullPages()
	for _, c := range []struct{ page, input, want string }{
		{"sign-in start", "identifier", "jo@example.com"},
		{"sign-up", "email_address", "jo@example.com"},
		{"sign-up", "first_name", "Jo"},
		{"sign-up", "last_name", "Doe"},
	} {
		doc, _ := render(t, pages[c.page])
		if got := doc.Find(`input[name="`+c.input+`"]`).AttrOr("value", ""); got != c.want {
			t.Errorf("%s %s = %q, want %q", c.page, c.input, got, c.want)
		}
	}
	eachPage(t, func(t *testing.T, doc *goquery.Document, _ string) {
		doc.Find(`input[type="password"], input[name="code"]`).Each(func(_ int, s *goquery.Selection) {
			if _, ok := s.Attr("value"); ok {
				t.Errorf("%s input has a value attribute", s.AttrOr("name", ""))
			}
		})
	})
}

func TestFlowIDRidesInEveryFlowForm(t *testing.T) {
	for page, name := range map[string]string{
		"sign-in password": "sign_in", "sign-in code": "sign_in", "sign-up verify": "sign_up",
	} {
		doc, _ := render(t, fullPages()[page])
		doc.Find("form").Each(func(_ int, f *goquery.Selection) {
			if f.Find(`input[type="hidden"][name="`+name+`"]`).AttrOr("value", "") == "" {
				t.Errorf("%s: form %s lacks %s", page, f.AttrOr("action", ""), name)
			}
		})
	}
	doc, _ := render(t, fullPages()["sign-in password"])
	b := doc.Find(`form[action="/sign-in/factor-one/prepare"] button[name="strategy"]`)
	if b.AttrOr("value", "") != "email_code" || b.Text() != others[0].Label {
		t.Errorf("other method button: value %q text %q", b.AttrOr("value", ""), b.Text())
	}
	doc, _ = render(t, fullPages()["sign-up"])
	if doc.Find(`input[type="hidden"][name="redirect_url"]`).AttrOr("value", "") != "http://localhost:3000/" {
		t.Error("sign-up drops the redirect parameters")
	}
}

func TestSignUpFocusesFirstFieldWithError(t *testing.T) {
	doc, _ := render(t, fullPages()["sign-up"])
	if f := doc.Find("[autofocus]"); f.Length() != 1 || f.AttrOr("name", "") != "email_address" {
		t.Errorf("autofocus on %q", f.AttrOr("name", ""))
	}
	doc, _ = render(t, SignUpPage(SignUp{ShowEmail: true, ShowPassword: true, Page: page("Sign up"), ShowNames: true}))
	if f := doc.Find("[autofocus]"); f.AttrOr("name", "") != "first_name" || f.AttrOr("autocomplete", "") != "given-name" {
		t.Errorf("autofocus on %q", f.AttrOr("name", ""))
	}
	if _, ok := inputNamed(doc, "first_name").Attr("required"); ok || !strings.Contains(doc.Find(`label[for="first_name-field"]`).Text(), "Optional") {
		t.Error("optional names must say so and not be required")
	}
	// What a link or an invitation filled is skipped: the person starts
	// where there is something to type.
	doc, _ = render(t, SignUpPage(SignUp{ShowEmail: true, ShowPassword: true, Page: page("Sign up"), ShowNames: true,
		FirstName: "Kim", LastName: "Lee", Email: "kim@example.com"}))
	if f := doc.Find("[autofocus]"); f.Length() != 1 || f.AttrOr("name", "") != "password" {
		t.Errorf("with the names and the address filled, autofocus on %q, want the password", f.AttrOr("name", ""))
	}
}

func inputNamed(doc *goquery.Document, name string) *goquery.Selection {
	return doc.Find(`input[name="` + name + `"]`)
}

func TestResendCode(t *testing.T) {
	doc, _ := render(t, fullPages()["sign-in code"])
	b := doc.Find(`form[action="/sign-in/factor-one/prepare"] button:contains("Resend code")`)
	if _, disabled := b.Attr("disabled"); !disabled || !strings.Contains(doc.Text(), "You can ask for a new code in 30 s") {
		t.Error("resend must be disabled with the wait in words")
	}
	if doc.Find(`form[action="/sign-in/factor-one/prepare"] input[name="strategy"]`).AttrOr("value", "") != "email_code" {
		t.Error("resend must post the strategy")
	}
	doc, _ = render(t, fullPages()["sign-up verify"])
	b = doc.Find(`form[action="/sign-up/verify-email-address/resend"] button:contains("Resend code")`)
	if _, disabled := b.Attr("disabled"); disabled || b.Length() != 1 {
		t.Error("resend must be offered when there is no wait")
	}
	if doc.Find(`[role="status"]`).Text() != "A new code is on its way." {
		t.Error("notice missing")
	}
}

// REQ-IN-01 and REQ-HDR-05: what a person typed is escaped, and a dangerous URL never becomes a link.
func TestUserInputIsEscapedAndURLsSanitized(t *testing.T) {
	evil := `"><script>alert(1)</script>`
	_, html := render(t, SignInStartPage(SignInStart{Page: page("x"), Identifier: evil, Errors: Errors{"identifier": evil}}))
	if strings.Contains(html, "<script>") {
		t.Error("identifier rendered unescaped")
	}
	doc, _ := render(t, SignInPasswordPage(SignInPassword{Page: page("x"), ChangeURL: "javascript:alert(1)"}))
	if h := doc.Find(".cl-identityPreviewEditButton").AttrOr("href", ""); strings.HasPrefix(h, "javascript:") {
		t.Errorf("href %q", h)
	}
}

func TestIdentityPreview(t *testing.T) {
	doc, _ := render(t, fullPages()["sign-in password"])
	p := doc.Find(".cl-identityPreview")
	if p.Find(".cl-identityPreviewText").Text() != "jo@example.com" ||
		p.Find("a.cl-identityPreviewEditButton").AttrOr("href", "") != "/sign-in" {
		t.Errorf("identity preview %q", p.Text())
	}
}

func TestSimplePages(t *testing.T) {
	pages := fullPages()
	for _, c := range []struct {
		page string
		want []string
		sel  string
	}{
		{"message", []string{"Page not found", "There is nothing here.", "Error 404", "Reference: req_123"}, `.cl-footer a[href="/"]`},
		{"home", []string{"You're signed in as", "Jo Doe", "jo@example.com"}, `form[action="/sign-out"] button:contains("Sign out")`},
		{"home", []string{"Manage your account"}, `a[href="/user"]:contains("Manage your account")`},
		{"sign-out", []string{"jo@example.com"}, `form[action="/sign-out"] input[name="redirect_url"]`},
		{"signed out", []string{"You're signed out"}, `a[href="/sign-in"]`},
		{"outbox", []string{"123456 is your code", "+15550100"}, `tr#msg_2 + tr pre`},
	} {
		doc, _ := render(t, pages[c.page])
		text := strings.Join(strings.Fields(doc.Find("main").Text()), " ")
		for _, w := range c.want {
			if !strings.Contains(text, w) {
				t.Errorf("%s: missing %q in %q", c.page, w, text)
			}
		}
		if doc.Find(c.sel).Length() == 0 {
			t.Errorf("%s: nothing matches %s", c.page, c.sel)
		}
	}
	doc, _ := render(t, MessagePage(Message{Page: page("Done"), Status: 200, Heading: "Done"}))
	if strings.Contains(doc.Text(), "Error") || doc.Find(".cl-meta").Length() != 0 {
		t.Error("status shown for a success")
	}
	doc, _ = render(t, fullPages()["outbox"])
	if got := doc.Find("tr#msg_2 + tr pre").Text(); got != "Your code:\n  123456" {
		t.Errorf("outbox body %q", got)
	}
	// Each email's HTML part, under its text, in a frame that runs nothing
	// and is its own origin, whose links may open a tab of their own: open
	// for the newest, a click away for the rest.
	for id, open := range map[string]bool{"msg_3": true, "msg_2": false} {
		d := doc.Find("tr#" + id + " + tr details.cl-outboxHTML")
		f := d.Find("iframe")
		if sandbox, ok := f.Attr("sandbox"); !ok || sandbox != "allow-popups allow-popups-to-escape-sandbox" || f.AttrOr("src", "") != "/dev/outbox/"+id+"/html" ||
			f.AttrOr("title", "") != "HTML part of the email 123456 is your code" || d.Find("summary").Text() != "HTML part" {
			html, _ := goquery.OuterHtml(d)
			t.Errorf("%s: HTML part %s", id, html)
		}
		if _, isOpen := d.Attr("open"); isOpen != open {
			t.Errorf("%s: details open = %v, want %v", id, isOpen, open)
		}
	}
	if doc.Find("tr#msg_1 + tr iframe").Length() != 0 {
		t.Error("a text message has no HTML part to frame")
	}
}

func TestCodeEmail(t *testing.T) {
	p := CodeEmail{Email: Email{AppName: "Portal", BaseURL: "https://id.example.com"}, Code: "123456", Minutes: 10, Purpose: "sign-in"}
	if s := CodeEmailSubject(p); s != "123456 is your Portal verification code" {
		t.Errorf("subject %q", s)
	}
	doc, html := render(t, CodeEmailHTML(p))
	txt := plain(t, CodeEmailHTML(p))
	for _, body := range []string{strings.Join(strings.Fields(doc.Find("body").Text()), " "), txt} {
		for _, w := range []string{"123456", "expires in 10 minutes", "ignore this email", "sign in to Portal"} {
			if !strings.Contains(body, w) {
				t.Errorf("missing %q in %q", w, body)
			}
		}
	}
	if strings.Contains(html, "<img") || strings.Contains(html, "<link") || strings.Contains(html, "<script") {
		t.Error("email loads external content")
	}
	if !strings.Contains(plain(t, CodeEmailHTML(CodeEmail{Code: "1", Minutes: 1})), "expires in 1 minute.") {
		t.Error("singular minute")
	}
}

func TestExistingAccountEmail(t *testing.T) {
	p := ExistingAccountEmail{Email: Email{AppName: "Portal"}, SignInURL: "https://id.example.com/sign-in"}
	doc, _ := render(t, ExistingAccountEmailHTML(p))
	if doc.Find(`a[href="https://id.example.com/sign-in"]`).Length() != 1 {
		t.Error("sign-in link missing from HTML")
	}
	txt := plain(t, ExistingAccountEmailHTML(p))
	if !strings.Contains(txt, "https://id.example.com/sign-in") || !strings.Contains(txt, "ignore this email") {
		t.Errorf("text body %q", txt)
	}
	if ExistingAccountEmailSubject(p) == "" {
		t.Error("no subject")
	}
}

// The account emails say what happened and what to do if it wasn't you,
// the same in HTML and text (REQ-PW-07).
func TestAccountEmails(t *testing.T) {
	base := Email{AppName: "Portal", BaseURL: "https://id.example.com"}
	p := PrimaryEmailChangedEmail{Email: base, NewAddress: "jo@new.example", When: "2 Jan 2026 15:04 UTC",
		SignInURL: "https://id.example.com/sign-in"}
	doc, _ := render(t, PrimaryEmailChangedEmailHTML(p))
	for _, body := range []string{strings.Join(strings.Fields(doc.Find("body").Text()), " "), plain(t, PrimaryEmailChangedEmailHTML(p))} {
		for _, w := range []string{"jo@new.example", "2 Jan 2026 15:04 UTC", "If you didn't", "https://id.example.com/sign-in"} {
			if !strings.Contains(body, w) {
				t.Errorf("primary email notice: missing %q in %q", w, body)
			}
		}
	}
	link := LinkEmail{Email: base, URL: "https://id.example.com/user/verify-email?token=x", Minutes: 10, Purpose: "add-email"}
	if s := LinkEmailSubject(link); s != "Verify your email address for Portal" {
		t.Errorf("add-email link subject %q", s)
	}
	if txt := plain(t, LinkEmailHTML(link)); !strings.Contains(txt, "browser where you added this address") ||
		strings.Contains(txt, "sign in as you") {
		t.Errorf("add-email link text:\n%s", txt)
	}
	for purpose, want := range map[string]string{"add-email": "add this email address", "reverify": "confirm it's you"} {
		if txt := plain(t, CodeEmailHTML(CodeEmail{Email: base, Code: "123456", Minutes: 10, Purpose: purpose})); !strings.Contains(txt, want) {
			t.Errorf("%s code email:\n%s", purpose, txt)
		}
	}
}

// While someone acts for the user, every page says so before anything
// else, names both, and offers the way out; other pages carry no banner.
func TestImpersonationBanner(t *testing.T) {
	doc, _ := render(t, fullPages()["home, impersonated"])
	banner := doc.Find(`body > aside[data-testid="impersonation"]`)
	if banner.Length() != 1 || !banner.Next().Is("main") {
		t.Fatalf("want one banner, right before main")
	}
	if label := banner.AttrOr("aria-label", ""); label != "Impersonation" {
		t.Errorf("aria-label %q", label)
	}
	if text := strings.TrimSpace(banner.Find("p").Text()); text != "You are signed in as jo@example.com, impersonated by support@example.com." {
		t.Errorf("banner says %q", text)
	}
	form := banner.Find(`form[method="post"][action="/sign-out"]`)
	if form.Find(`button[type="submit"]`).Text() != "Sign out" || form.Find(`input[name="_csrf"]`).AttrOr("value", "") != csrf {
		t.Errorf("the banner's sign-out form is not right")
	}
	plain, _ := render(t, fullPages()["home"])
	if plain.Find(`[data-testid="impersonation"]`).Length() != 0 {
		t.Error("a banner outside an impersonation")
	}
}

// The hidden field that names the account for password managers says what
// the person signs in with: an email address, a phone number or a username.
func TestPasswordFormNamesTheAccount(t *testing.T) {
	for identifier, want := range map[string][2]string{
		"jo@example.com": {"email", "Email address"},
		"+14155550100":   {"tel", "Phone number"},
		"jo_doe":         {"text", "Username"},
	} {
		doc, _ := render(t, SignInPasswordPage(SignInPassword{Page: page("Sign in"), Action: "/sign-in/factor-one",
			FlowID: "sia_1", Identifier: identifier}))
		in := doc.Find("#username-field")
		if in.AttrOr("type", "") != want[0] || in.AttrOr("value", "") != identifier || in.AttrOr("autocomplete", "") != "username" {
			t.Errorf("%s: input type=%q value=%q autocomplete=%q", identifier, in.AttrOr("type", ""), in.AttrOr("value", ""), in.AttrOr("autocomplete", ""))
		}
		if got := strings.TrimSpace(doc.Find(`label[for="username-field"]`).Text()); got != want[1] {
			t.Errorf("%s: label %q, want %q", identifier, got, want[1])
		}
	}
}
