package views

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/a-h/templ"

	"github.com/portalhq/portal/internal/i18n"
)

func TestWrap(t *testing.T) {
	long := "https://accounts.example.com/v1/verify?token=" + strings.Repeat("a", 60)
	for _, c := range []struct {
		name, in, want string
	}{
		{"a line that fits is left alone", "Your code is 123456.  It expires soon.", "Your code is 123456.  It expires soon."},
		{"filled as far as each line goes",
			strings.Repeat("word ", 20) + "end",
			strings.TrimSpace(strings.Repeat("word ", 15)) + "\n" + strings.TrimSpace(strings.Repeat("word ", 5)) + " end"},
		{"a URL wider than the line stands alone, never cut",
			"Open " + long + " to sign in.",
			"Open\n" + long + "\nto sign in."},
		{"an address and a code are never cut",
			strings.Repeat("x", 60) + " ada.lovelace@example.com 123-456",
			strings.Repeat("x", 60) + "\nada.lovelace@example.com 123-456"},
		{"line breaks and paragraphs stay",
			"Heading\n\n" + strings.Repeat("b ", 40) + "\nnext",
			"Heading\n\n" + strings.TrimSpace(strings.Repeat("b ", 39)) + "\nb\nnext"},
		{"French punctuation stays with its word",
			strings.Repeat("m", 70) + " oublié ? « Mot » fin :",
			strings.Repeat("m", 70) + "\noublié ? « Mot » fin :"},
		{"nor does « end a line",
			strings.Repeat("m", 72) + " « Mot »",
			strings.Repeat("m", 72) + "\n« Mot »"},
		{"no-break spaces hold",
			strings.Repeat("m", 70) + " 8\u00a0mai\u00a02026",
			strings.Repeat("m", 70) + "\n8\u00a0mai\u00a02026"},
	} {
		if got := Wrap(c.in, TextWidth); got != c.want {
			t.Errorf("%s:\n%q\nwant\n%q", c.name, got, c.want)
		}
	}
}

// Width is counted in characters, not bytes: "é" is two bytes and one
// column; a CJK character is two columns, as a fixed-width reader shows it.
func TestWrapCountsColumnsNotBytes(t *testing.T) {
	got := Wrap(strings.Repeat("café ", 30), TextWidth)
	first, _, _ := strings.Cut(got, "\n")
	if n := utf8.RuneCountInString(first); n != 74 { // 15 words: a 16th makes 79
		t.Errorf("first line has %d characters, want 74 (bytes counted?):\n%s", n, got)
	}
	// 30 kana are 60 columns: two of them do not fit on one line.
	kana := strings.Repeat("あ", 30)
	if got := Wrap(kana+" "+kana, TextWidth); got != kana+"\n"+kana {
		t.Errorf("CJK width:\n%q", got)
	}
	// A sentence without spaces is never cut, even where it is too wide.
	sentence := strings.Repeat("招待を承諾する", 10)
	if got := Wrap("Acme "+sentence+" Acme", TextWidth); got != "Acme\n"+sentence+"\nAcme" {
		t.Errorf("CJK run:\n%q", got)
	}
	if got := columns("e\u0301あＡ"); got != 5 {
		t.Errorf("columns = %d, want 5 (1 + 0 for the combining accent + 2 + 2)", got)
	}
}

// everyEmail is each email the portal sends in the language of base, with
// values as long as real ones get: a ticket link, an organization's and
// an inviter's name and address.
func everyEmail(base Email) map[string]templ.Component {
	const (
		ticket = "https://accounts.example.com/accept-invitation?ticket=4vJc9kQm2RzXh7pWd3sLtNy8bFgA6eUo1iKx5CqZr0Y"
		verify = "https://accounts.example.com/v1/verify?token=Yx3Rk9vQm2pLzT8sNw4bHc7eJd6fGa1u5oKi0tVyZrE"
		signIn = "https://accounts.example.com/sign-in"
	)
	out := map[string]templ.Component{
		"existing account": ExistingAccountEmailHTML(ExistingAccountEmail{Email: base, SignInURL: signIn}),
		"password changed": PasswordChangedEmailHTML(PasswordChangedEmail{Email: base, When: "8 May 2026, 14:03 UTC",
			SignInURL: signIn}),
		"primary changed": PrimaryEmailChangedEmailHTML(PrimaryEmailChangedEmail{Email: base,
			NewAddress: "ada.lovelace@analytical-engines.example", When: "8 May 2026, 14:03 UTC", SignInURL: signIn}),
		"sign-in locked": SignInLockedEmailHTML(SignInLockedEmail{Email: base, Attempts: 10, Until: "8 May 2026, 14:18 UTC",
			AccountURL: "https://accounts.example.com/user/security"}),
		"org invitation": OrgInvitationEmailHTML(OrgInvitationEmail{Email: base, OrgName: "Research & Development Laboratories",
			InviterName: "Ada Augusta Lovelace", InviterEmail: "ada.lovelace@analytical-engines.example", URL: ticket,
			Expires: "15 May 2026"}),
		"org invitation, no name": OrgInvitationEmailHTML(OrgInvitationEmail{Email: base, OrgName: "Acme",
			InviterEmail: "ada@example.com", URL: ticket, Expires: "15 May 2026"}),
		"app invitation":      AppInvitationEmailHTML(AppInvitationEmail{Email: base, URL: ticket, Expires: "15 May 2026"}),
		"waitlist invitation": AppInvitationEmailHTML(AppInvitationEmail{Email: base, URL: ticket, Expires: "15 May 2026", Waitlist: true}),
		"waitlist joined":     WaitlistJoinedEmailHTML(WaitlistJoinedEmail{Email: base}),
	}
	for _, purpose := range []string{"sign-in", "sign-up", "reset-password", "add-email", "reverify", "verify-domain", ""} {
		out["code "+purpose] = CodeEmailHTML(CodeEmail{Email: base, Code: "123456", Minutes: 10, Purpose: purpose,
			OrgName: "Research & Development Laboratories", Domain: "analytical-engines.example"})
		out["link "+purpose] = LinkEmailHTML(LinkEmail{Email: base, URL: verify, Minutes: 10, Purpose: purpose})
	}
	return out
}

// Every email's text part, in every language, keeps its lines within 78
// columns (RFC 5322 §2.1.1). Only what has no space to break at may be
// wider: a URL, alone on its line; in Japanese, a sentence, which has no
// spaces at all.
func TestEmailTextLinesFitInEveryLocale(t *testing.T) {
	cat, err := i18n.New(i18n.Source, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, loc := range cat.Locales() {
		l := cat.For(loc)
		base := Email{AppName: "Tom & Jerry's <Shop>", BaseURL: "https://accounts.example.com", Lang: l.Locale(), I18n: l}
		for name, c := range everyEmail(base) {
			text, err := EmailText(context.Background(), c)
			if err != nil {
				t.Fatal(err)
			}
			for _, line := range strings.Split(text, "\n") {
				if columns(line) <= TextWidth {
					continue
				}
				lone := len(units(line)) == 1
				if !lone || loc != "ja" && !strings.HasPrefix(line, "https://") {
					t.Errorf("%s %s: a line of %d columns:\n%s\n\nin\n%s", loc, name, columns(line), line, text)
				}
			}
			if plain := plain(t, c); unwrap(text) != unwrap(plain) {
				t.Errorf("%s %s: wrapping changed more than line breaks:\n%s", loc, name, text)
			}
		}
	}
}

// unwrap undoes Wrap: a line break inside a paragraph becomes the space it
// replaced.
func unwrap(s string) string {
	paras := strings.Split(s, "\n\n")
	for i, p := range paras {
		paras[i] = strings.ReplaceAll(p, "\n", " ")
	}
	return strings.Join(paras, "\n\n")
}
