package mailer

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/i18n"
	"github.com/portalhq/portal/internal/newdevice"
)

// What an account's owner is told about their account is written in the
// owner's language (the user's locale, matched to the closest catalog:
// fr-CA is French) whatever language the request that caused it was in.
// Without a locale (or with one no catalog matches), a notice caused by
// someone who may be a stranger (a
// lock, a new device, a sign-up with the address) is in the instance's
// default, and one caused in the owner's signed-in session (a new
// password, another primary address) in the session's language.
func TestOwnerNoticesFollowTheOwnersLocale_REQ_RL_07_REQ_PW_07(t *testing.T) {
	cat, _ := i18n.New("en", "")
	visitor := i18n.NewContext(context.Background(), cat.For("ja"))
	at := time.Date(2026, 5, 15, 9, 30, 0, 0, time.UTC)
	type notice struct {
		name     string
		send     func(m *Mailer, locale string) error
		fallback string // the language without a locale
	}
	notices := []notice{
		{"lock", func(m *Mailer, locale string) error {
			return m.SendSignInLocked(visitor, "ada@example.com", locale, 10, at)
		}, "es"},
		{"new device", func(m *Mailer, locale string) error {
			return m.SendNewSignIn(visitor, "ada@example.com", locale, newdevice.SignIn{At: at, Browser: "Firefox",
				OS: "Windows", IP: "203.0.113.9", Method: "password", HasPassword: true})
		}, "es"},
		{"existing account", func(m *Mailer, locale string) error {
			return m.SendExistingAccount(visitor, "ada@example.com", locale)
		}, "es"},
		{"password changed", func(m *Mailer, locale string) error {
			return m.SendPasswordChanged(visitor, "ada@example.com", locale)
		}, "ja"},
		{"primary changed", func(m *Mailer, locale string) error {
			return m.SendPrimaryEmailChanged(visitor, "ada@example.com", locale, "ada@new.example")
		}, "ja"},
	}
	for _, n := range notices {
		// ko (Korean) is a language no catalog matches.
		for locale, want := range map[string]string{"fr-CA": "fr", "de": "de", "": n.fallback, "ko-KR": n.fallback} {
			m, s := newMailer(t, "es")
			if err := n.send(m, locale); err != nil {
				t.Fatalf("%s, locale %q: %v", n.name, locale, err)
			}
			if len(s.mails) != 1 {
				t.Fatalf("%s, locale %q: %d emails", n.name, locale, len(s.mails))
			}
			if html := s.mails[0].HTML; !strings.Contains(html, `<html lang="`+want+`"`) {
				head, _, _ := strings.Cut(html, "<head>")
				t.Errorf("%s, locale %q: written as %s, want %s", n.name, locale, head, want)
			}
		}
	}
}
