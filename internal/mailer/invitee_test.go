package mailer

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/i18n"
	"github.com/portalhq/portal/internal/invitation"
	"github.com/portalhq/portal/internal/org"
)

// An invitation is written in the invitee's locale when their account has
// one the portal speaks (or comes close to: pt is Portuguese), whatever
// the inviter's page is in; with none, or one no catalog comes close to,
// it stays in the request's language (the inviter's), else the instance
// default, as before users had a locale. The domain code, which goes to
// the admin who asked for it, keeps the request's language.
func TestInvitationInTheInviteesLanguage(t *testing.T) {
	m, s := newMailer(t, "fr")
	cat, _ := i18n.New("en", "")
	english := i18n.NewContext(context.Background(), cat.For("en"))
	exp := time.Date(2026, 5, 15, 0, 0, 0, 0, time.UTC)
	orgInv := org.InvitationMail{OrgName: "Acme", URL: "https://id.example.com/accept-invitation?ticket=a", ExpireAt: exp}
	appInv := invitation.Mail{URL: "https://id.example.com/invitation?ticket=b", ExpireAt: exp}
	cases := []struct {
		name   string
		ctx    context.Context
		locale string
		want   string
	}{
		{"invitee's locale over the inviter's page", english, "de", "de"},
		{"a region of a language spoken", english, "pt-BR", "pt-BR"},
		{"no locale: the inviter's page", english, "", "en"},
		{"a locale not spoken: the inviter's page", english, "zh-CN", "en"},
		{"no request: the invitee's locale", context.Background(), "ja", "ja"},
		{"no request, no locale: the default", context.Background(), "", "fr"},
	}
	for _, c := range cases {
		for kind, send := range map[string]func() error{
			"organization": func() error { return m.SendOrgInvitation(c.ctx, "bob@example.com", c.locale, orgInv) },
			"application":  func() error { return m.SendAppInvitation(c.ctx, "bob@example.com", c.locale, appInv) },
		} {
			before := len(s.mails)
			if err := send(); err != nil {
				t.Fatalf("%s, %s invitation: %v", c.name, kind, err)
			}
			if got := s.mails[before]; !strings.Contains(got.HTML, `<html lang="`+c.want+`"`) {
				head, _, _ := strings.Cut(got.HTML, "<head>")
				t.Errorf("%s, %s invitation: %q is not in %s: %s", c.name, kind, got.Subject, c.want, head)
			}
		}
	}

	before := len(s.mails)
	if err := m.SendDomainCode(english, "ada@example.com", "123456", org.DomainCodeMail{OrgName: "Acme", Domain: "acme.example"}); err != nil {
		t.Fatal(err)
	}
	if got := s.mails[before]; !strings.Contains(got.HTML, `<html lang="en"`) {
		t.Errorf("the domain code is not in the admin's page's language, English: %q", got.Subject)
	}
}
