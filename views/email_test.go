package views

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/a-h/templ"

	"github.com/portalhq/portal/internal/i18n"
)

// plain is the text body PlainText makes of c.
func plain(t *testing.T, c templ.Component) string {
	t.Helper()
	s, err := PlainText(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// noMarkup fails if a text body carries HTML: a tag or an entity.
func noMarkup(t *testing.T, what, text string) {
	t.Helper()
	for _, bad := range []string{"&amp;", "&#39;", "&lt;", "&gt;", "&quot;", "&#", "<p", "</", "<a ", "<h1"} {
		if strings.Contains(text, bad) {
			t.Errorf("%s has %q:\n%s", what, bad, text)
		}
	}
}

func TestPlainText(t *testing.T) {
	c := templ.Raw(`<html><head><title>T</title><style>p{}</style></head><body>
		<p>Tom &amp; Jerry&#39;s &lt;Shop&gt;</p>
		<table><tr><td>  one
			two  </td></tr></table>
		<p>Line<br>break and <a href="https://x.example/?a=1&amp;b=2">a button</a>.</p>
		<script>alert(1)</script></body></html>`)
	got := plain(t, c)
	want := "Tom & Jerry's <Shop>\n\none two\n\nLine\nbreak and https://x.example/?a=1&b=2."
	if got != want {
		t.Errorf("PlainText =\n%q\nwant\n%q", got, want)
	}
}

// An app name full of HTML's special characters arrives as written, in
// the subject, the text body and the text message, and escaped in HTML.
func TestMessagesCarryNoEntities(t *testing.T) {
	const app = `Tom & Jerry's <Shop>`
	base := Email{AppName: app, BaseURL: "https://id.example.com"}
	inv := OrgInvitationEmail{Email: base, OrgName: `R&D "Labs"`, InviterName: "Ada <boss>",
		URL: "https://id.example.com/accept?ticket=a&x=1", Expires: "8 May 2026"}
	bodies := map[string]templ.Component{
		"code":       CodeEmailHTML(CodeEmail{Email: base, Code: "123456", Minutes: 10, Purpose: "sign-in"}),
		"existing":   ExistingAccountEmailHTML(ExistingAccountEmail{Email: base, SignInURL: "https://id.example.com/sign-in"}),
		"link":       LinkEmailHTML(LinkEmail{Email: base, URL: "https://id.example.com/v1/verify?token=a&b=c", Minutes: 10}),
		"password":   PasswordChangedEmailHTML(PasswordChangedEmail{Email: base, When: "now", SignInURL: "https://id.example.com/sign-in"}),
		"invitation": OrgInvitationEmailHTML(inv),
		"waitlist":   WaitlistJoinedEmailHTML(WaitlistJoinedEmail{Email: base}),
		"waitlist invitation": AppInvitationEmailHTML(AppInvitationEmail{Email: base,
			URL: "https://id.example.com/invitation?ticket=a&x=1", Expires: "8 May 2026", Waitlist: true}),
	}
	for name, c := range bodies {
		text := plain(t, c)
		noMarkup(t, name, text)
		if !strings.HasPrefix(text, app+"\n\n") {
			t.Errorf("%s: text body does not start with the app name:\n%s", name, text)
		}
		_, html := render(t, c)
		if strings.Contains(html, app) || !strings.Contains(html, "Tom &amp; Jerry&#39;s &lt;Shop&gt;") {
			t.Errorf("%s: app name not escaped in HTML", name)
		}
	}
	if s := OrgInvitationEmailSubject(inv); s != `Ada <boss> invited you to join R&D "Labs" on `+app {
		t.Errorf("subject %q", s)
	}
	if text := plain(t, bodies["link"]); !strings.Contains(text, "\n\nhttps://id.example.com/v1/verify?token=a&b=c\n\n") {
		t.Errorf("link not on a line of its own:\n%s", text)
	}
	// A security notice's way in is a button too, and its address a line
	// of its own in the text, not only words inside a sentence.
	for name, c := range map[string]templ.Component{
		"password": bodies["password"],
		"primary": PrimaryEmailChangedEmailHTML(PrimaryEmailChangedEmail{Email: base, When: "now", NewAddress: "b@example.com",
			SignInURL: "https://id.example.com/sign-in"}),
		"locked": SignInLockedEmailHTML(SignInLockedEmail{Email: base, Attempts: 10, Until: "later", AccountURL: "https://id.example.com/user"}),
	} {
		doc, _ := render(t, c)
		if doc.Find(`a[href^="https://id.example.com/"]`).Length() != 1 {
			t.Errorf("%s: no button to act on the notice", name)
		}
		if text := plain(t, c); !regexp.MustCompile(`\n\nhttps://id\.example\.com/\S+\n`).MatchString(text + "\n") {
			t.Errorf("%s: the address is not on a line of its own:\n%s", name, text)
		}
	}
	sms, err := SMSCodeText(context.Background(), SMSCode{AppName: app, Code: "123456", Minutes: 10, Domain: "id.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	want := "123456 is your " + app + " code to sign in. It expires in 10 minutes. Don't share it.\n\n@id.example.com #123456"
	if sms != want {
		t.Errorf("SMS =\n%q\nwant\n%q", sms, want)
	}
}

// With a German translator every sentence, the subject and the text
// message are German; the WebOTP line stays as it is.
func TestMessagesInGerman(t *testing.T) {
	cat, err := i18n.New(i18n.Source, "")
	if err != nil {
		t.Fatal(err)
	}
	de := cat.For("de")
	p := CodeEmail{Email: Email{AppName: "Portal", Lang: de.Locale(), I18n: de}, Code: "123456", Minutes: 10, Purpose: "sign-in"}
	if s := CodeEmailSubject(p); s != "123456 ist Ihr Bestätigungscode für Portal" {
		t.Errorf("subject %q", s)
	}
	doc, _ := render(t, CodeEmailHTML(p))
	if lang, _ := doc.Find("html").Attr("lang"); lang != "de" {
		t.Errorf("html lang = %q", lang)
	}
	text := plain(t, CodeEmailHTML(p))
	for _, w := range []string{"Ihr Bestätigungscode", "123456", "10 Minuten"} {
		if !strings.Contains(text, w) || !strings.Contains(doc.Text(), w) {
			t.Errorf("missing %q in\n%s", w, text)
		}
	}
	if one := plain(t, CodeEmailHTML(CodeEmail{Email: p.Email, Code: "1", Minutes: 1})); !strings.Contains(one, "in 1 Minute ab.") {
		t.Errorf("singular:\n%s", one)
	}
	sms, err := SMSCodeText(context.Background(), SMSCode{AppName: "Portal", Code: "654321", Minutes: 10,
		Purpose: "sign-up", Domain: "id.example.com", I18n: de})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sms, "Telefonnummer") || !strings.HasSuffix(sms, "\n\n@id.example.com #654321") {
		t.Errorf("German SMS %q", sms)
	}
}

// bareID is a catalog ID shown instead of its message.
var bareID = regexp.MustCompile(`\b(email|sms|button|link|signin)\.[a-z_]`)

// In every shipped locale, every email and text message renders whole: no
// bare catalog ID, no markup in the text, the code where it belongs and
// the WebOTP line last.
func TestMessagesInEveryLocale(t *testing.T) {
	cat, err := i18n.New(i18n.Source, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, loc := range cat.Locales() {
		l := cat.For(loc)
		base := Email{AppName: "Tom & Jerry's <Shop>", Lang: l.Locale(), I18n: l}
		var bodies []templ.Component
		for _, purpose := range []string{"sign-in", "sign-up", "reset-password", "add-email", "reverify", "verify-domain", ""} {
			bodies = append(bodies, CodeEmailHTML(CodeEmail{Email: base, Code: "123456", Minutes: 10, Purpose: purpose}),
				LinkEmailHTML(LinkEmail{Email: base, URL: "https://id.example.com/v1/verify?token=x", Minutes: 1, Purpose: purpose}))
		}
		bodies = append(bodies,
			ExistingAccountEmailHTML(ExistingAccountEmail{Email: base, SignInURL: "https://id.example.com/sign-in"}),
			PasswordChangedEmailHTML(PasswordChangedEmail{Email: base, When: "x", SignInURL: "https://id.example.com/sign-in"}),
			PrimaryEmailChangedEmailHTML(PrimaryEmailChangedEmail{Email: base, NewAddress: "jo@new.example", When: "x",
				SignInURL: "https://id.example.com/sign-in"}),
			OrgInvitationEmailHTML(OrgInvitationEmail{Email: base, OrgName: "R&D", URL: "https://id.example.com/accept"}),
			OrgInvitationEmailHTML(OrgInvitationEmail{Email: base, OrgName: "R&D", InviterName: "Ada", URL: "https://id.example.com/accept"}),
			OrgInvitationEmailHTML(OrgInvitationEmail{Email: base, OrgName: "R&D", InviterName: "Ada", InviterEmail: "ada@example.com",
				URL: "https://id.example.com/accept"}),
			OrgInvitationEmailHTML(OrgInvitationEmail{Email: base, OrgName: "R&D", InviterEmail: "ada@example.com",
				URL: "https://id.example.com/accept"}),
			WaitlistJoinedEmailHTML(WaitlistJoinedEmail{Email: base}),
			AppInvitationEmailHTML(AppInvitationEmail{Email: base, URL: "https://id.example.com/invitation?ticket=x", Expires: "x", Waitlist: true}))
		for _, subject := range []string{WaitlistJoinedEmailSubject(WaitlistJoinedEmail{Email: base}),
			AppInvitationEmailSubject(AppInvitationEmail{Email: base, Waitlist: true})} {
			if bareID.MatchString(subject) || !strings.Contains(subject, base.AppName) {
				t.Errorf("%s subject %q", loc, subject)
			}
		}
		for i, c := range bodies {
			text := plain(t, c)
			noMarkup(t, loc, text)
			if bareID.MatchString(text) {
				t.Errorf("%s body %d shows a catalog ID:\n%s", loc, i, text)
			}
		}
		for _, purpose := range []string{"sign-in", "sign-up", "reset-password", "add-phone", "reverify"} {
			for _, minutes := range []int{1, 10} {
				sms, err := SMSCodeText(context.Background(), SMSCode{AppName: "Acme", Code: "123456", Minutes: minutes,
					Purpose: purpose, Domain: "id.example.com", I18n: l})
				if err != nil {
					t.Fatal(err)
				}
				first, last, _ := strings.Cut(sms, "\n\n")
				if bareID.MatchString(first) || !strings.Contains(first, "123456") || last != "@id.example.com #123456" ||
					len([]rune(sms)) > 160 {
					t.Errorf("%s %s SMS (%d characters):\n%s", loc, purpose, len([]rune(sms)), sms)
				}
			}
		}
	}
}

// A code to confirm a change is asked for from inside the account, so one
// the owner did not ask for means someone else is signed in: its email,
// in every locale, says so and where to act, instead of "ignore this".
func TestReverifyCodeEmailSaysSomeoneMayBeSignedIn(t *testing.T) {
	cat, err := i18n.New(i18n.Source, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, loc := range cat.Locales() {
		l := cat.For(loc)
		base := Email{AppName: "Acme", BaseURL: "https://id.example.com", Lang: l.Locale(), I18n: l}
		reverify := plain(t, CodeEmailHTML(CodeEmail{Email: base, Code: "123456", Minutes: 10, Purpose: "reverify"}))
		signIn := plain(t, CodeEmailHTML(CodeEmail{Email: base, Code: "123456", Minutes: 10, Purpose: "sign-in"}))
		if strings.Contains(reverify, l.T("email.code.ignore", "App", "Acme")) {
			t.Errorf("%s: the reverify code email tells the owner to ignore it:\n%s", loc, reverify)
		}
		if !strings.Contains(reverify, "https://id.example.com/user") {
			t.Errorf("%s: the reverify code email does not say where to act:\n%s", loc, reverify)
		}
		if !strings.Contains(signIn, l.T("email.code.ignore", "App", "Acme")) {
			t.Errorf("%s: the sign-in code email lost its note:\n%s", loc, signIn)
		}
	}
}

// English picks "a" or "an" by sound, which a template cannot know of the
// instance's name: the existing-account subject names the app after "on",
// so that "Acme" does not read "a Acme".
func TestExistingAccountSubjectReadsForAnyAppName(t *testing.T) {
	for _, app := range []string{"Acme", "Umbrella", "Portal"} {
		s := ExistingAccountEmailSubject(ExistingAccountEmail{Email: Email{AppName: app}})
		if s != "You already have an account on "+app {
			t.Errorf("subject %q", s)
		}
	}
}
