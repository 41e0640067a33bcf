package mailer

import (
	"context"

	"github.com/portalhq/portal/internal/invitation"
	"github.com/portalhq/portal/internal/waitlist"
	"github.com/portalhq/portal/views"
)

var (
	_ invitation.Notifier = (*Mailer)(nil)
	_ waitlist.Notifier   = (*Mailer)(nil)
)

// SendAppInvitation emails an invitation to sign up with its one-time link,
// in the email its template names: the plain invitation, or the one that
// tells a person on the waiting list they are in. It is written in locale
// when the invited address has an account with one (toReader), else in
// the request's language or the instance default.
func (m *Mailer) SendAppInvitation(ctx context.Context, to, locale string, inv invitation.Mail) error {
	ctx = m.toReader(ctx, locale)
	p := views.AppInvitationEmail{Email: m.base(ctx), URL: inv.URL, Expires: m.date(ctx, inv.ExpireAt),
		Waitlist: inv.Template == invitation.TemplateWaitlist}
	kind := "invitation"
	if p.Waitlist {
		kind = "waitlist_invitation"
	}
	return m.deliver(ctx, kind, to, views.AppInvitationEmailSubject(p), views.AppInvitationEmailHTML(p))
}

// SendWaitlistJoined confirms to an address that it is on the waiting list.
func (m *Mailer) SendWaitlistJoined(ctx context.Context, to string) error {
	p := views.WaitlistJoinedEmail{Email: m.base(ctx)}
	return m.deliver(ctx, "waitlist_confirmation", to, views.WaitlistJoinedEmailSubject(p), views.WaitlistJoinedEmailHTML(p))
}
