package mailer

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/portalhq/portal/internal/i18n"
	"github.com/portalhq/portal/internal/invitation"
	"github.com/portalhq/portal/internal/newdevice"
	"github.com/portalhq/portal/internal/notify"
	"github.com/portalhq/portal/internal/org"
	"github.com/portalhq/portal/internal/testutil/smtptest"
)

// Every kind of email, in every language, sent through the SMTP client to
// a real (in-process) SMTP server: the text part arrives with no line over
// 78 characters (RFC 5322 §2.1.1) but a lone URL, or in Japanese a
// sentence, which has no space to break at; and on the wire, quoted-
// printable keeps every line of the message, HTML part and headers
// included, within 78 octets, whatever the text holds.
func TestEveryEmailsTextFitsItsLines(t *testing.T) {
	srv := smtptest.Start(t)
	cat, err := i18n.New(i18n.Source, "")
	if err != nil {
		t.Fatal(err)
	}
	ticket := "https://id.example.com/accept-invitation?ticket=4vJc9kQm2RzXh7pWd3sLtNy8bFgA6eUo1iKx5CqZr0Y"
	exp := time.Date(2026, 5, 15, 0, 0, 0, 0, time.UTC)
	for _, loc := range cat.Locales() {
		m, _ := newMailer(t, loc)
		smtp, err := notify.NewSMTP(srv.URL(), "Portal <no-reply@id.example.com>", notify.WithTLSConfig(srv.TLSConfig()),
			notify.WithTimeouts(2*time.Second, 5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		m.Send = smtp
		ctx := context.Background()
		to := loc + "@example.com"
		sends := map[string]func() error{
			"existing account": func() error { return m.SendExistingAccount(ctx, to, loc) },
			"password changed": func() error { return m.SendPasswordChanged(ctx, to, loc) },
			"primary changed": func() error {
				return m.SendPrimaryEmailChanged(ctx, to, loc, "ada.lovelace@analytical-engines.example")
			},
			"sign-in locked": func() error { return m.SendSignInLocked(ctx, to, loc, 10, exp) },
			"new sign-in": func() error {
				return m.SendNewSignIn(ctx, to, loc, newdevice.SignIn{At: exp, Browser: "Samsung Internet", OS: "Android",
					IP: "2001:db8:85a3:8d3:1319:8a2e:370:7348", Method: "oauth_microsoft", Provider: "Microsoft Entra ID"})
			},
			"org invitation": func() error {
				return m.SendOrgInvitation(ctx, to, loc, org.InvitationMail{OrgName: "Research & Development Laboratories",
					InviterName: "Ada Augusta Lovelace", InviterEmail: "ada.lovelace@analytical-engines.example",
					URL: ticket, ExpireAt: exp})
			},
			"domain code": func() error {
				return m.SendDomainCode(ctx, to, "123456", org.DomainCodeMail{OrgName: "Research & Development Laboratories",
					Domain: "analytical-engines.example"})
			},
			"app invitation": func() error { return m.SendAppInvitation(ctx, to, loc, invitation.Mail{URL: ticket, ExpireAt: exp}) },
			"waitlist invitation": func() error {
				return m.SendAppInvitation(ctx, to, loc, invitation.Mail{URL: ticket, ExpireAt: exp, Template: invitation.TemplateWaitlist})
			},
			"waitlist joined": func() error { return m.SendWaitlistJoined(ctx, to) },
		}
		for _, purpose := range []string{"sign-in", "sign-up", "reset-password", "add-email", "reverify"} {
			sends["code "+purpose] = func() error { return m.SendCode(ctx, to, "123456", purpose) }
			sends["link "+purpose] = func() error {
				return m.SendLink(ctx, to, "https://id.example.com/v1/verify?token=Yx3Rk9vQm2pLzT8sNw4bHc7eJd6fGa1u5oKi0tVyZrE", purpose)
			}
		}
		for name, send := range sends {
			if err := send(); err != nil {
				t.Fatalf("%s %s: %v", loc, name, err)
			}
			got := srv.WaitFor(t, to, 5*time.Second)
			if got.Err != nil {
				t.Fatalf("%s %s: the server could not parse the message: %v", loc, name, got.Err)
			}
			text := strings.ReplaceAll(got.Text, "\r\n", "\n")
			if !strings.HasPrefix(text, app+"\n\n") {
				t.Errorf("%s %s: text part %q", loc, name, text)
			}
			for _, line := range strings.Split(text, "\n") {
				if n := utf8.RuneCountInString(line); n > 78 && (strings.Contains(line, " ") ||
					loc != "ja" && !strings.HasPrefix(line, "https://")) {
					t.Errorf("%s %s: a text line of %d characters:\n%s\n\nin\n%s", loc, name, n, line, text)
				}
			}
			for _, line := range strings.Split(string(got.Data), "\r\n") {
				if len(line) > 78 {
					t.Errorf("%s %s: a line of %d octets on the wire:\n%s", loc, name, len(line), line)
				}
			}
		}
	}
}

// unwrap undoes the wrapping of a text body (views.Wrap breaks lines only
// at spaces): a line break inside a paragraph becomes a space again.
func unwrap(s string) string {
	paras := strings.Split(s, "\n\n")
	for i, p := range paras {
		paras[i] = strings.ReplaceAll(p, "\n", " ")
	}
	return strings.Join(paras, "\n\n")
}
