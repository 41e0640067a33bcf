package mailer

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/invitation"
)

// An application invitation's template picks its email: the waiting
// list's says the person is off the list; the confirmation of a place on
// the list carries no link. Each is recorded under Clerk's slug.
func TestWaitlistEmails(t *testing.T) {
	m, s := newMailer(t, "en")
	ctx := context.Background()
	link := "https://id.example.com/invitation?ticket=abc"
	exp := time.Date(2026, 6, 7, 0, 0, 0, 0, time.UTC)
	for _, tpl := range []string{"", invitation.TemplateInvitation, invitation.TemplateWaitlist} {
		if err := m.SendAppInvitation(ctx, "bob@example.com", "", invitation.Mail{URL: link, ExpireAt: exp, Template: tpl}); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.SendWaitlistJoined(ctx, "carol@example.com"); err != nil {
		t.Fatal(err)
	}
	if len(s.mails) != 4 || len(s.evs) != 4 {
		t.Fatalf("%d emails, %d events", len(s.mails), len(s.evs))
	}
	plain, named, waitlisted, joined := s.mails[0], s.mails[1], s.mails[2], s.mails[3]
	if plain.Subject != named.Subject || strings.Contains(plain.Text, "waitlist") {
		t.Errorf("the default template: %q\n%s", plain.Subject, plain.Text)
	}
	if waitlisted.Subject != "You're off the waitlist: join "+app || !strings.Contains(waitlisted.Text, "off the "+app+" waitlist") ||
		!strings.Contains(waitlisted.Text, "\n\n"+link+"\n\n") || !strings.Contains(waitlisted.Text, "7 Jun 2026") {
		t.Errorf("waitlist invitation: %q\n%s", waitlisted.Subject, waitlisted.Text)
	}
	if joined.To != "carol@example.com" || joined.Subject != "You're on the "+app+" waitlist" ||
		strings.Contains(joined.Text, "https://") {
		t.Errorf("confirmation: %q\n%s", joined.Subject, joined.Text)
	}
	for i, want := range []string{"invitation", "invitation", "waitlist_invitation", "waitlist_confirmation"} {
		var obj emailObject
		if err := json.Unmarshal(s.evs[i].Data, &obj); err != nil || obj.Slug != want {
			t.Errorf("email %d recorded as %q, want %q", i, obj.Slug, want)
		}
	}
}
