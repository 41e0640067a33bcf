package mailer

import (
	"context"

	"github.com/portalhq/portal/internal/invitation"
	"github.com/portalhq/portal/views"
)

var _ invitation.Notifier = (*Mailer)(nil)

// SendAppInvitation emails an invitation to sign up with its one-time link.
func (m *Mailer) SendAppInvitation(ctx context.Context, to string, inv invitation.Mail) error {
	p := views.AppInvitationEmail{Email: m.base(ctx), URL: inv.URL, Expires: m.date(ctx, inv.ExpireAt)}
	return m.deliver(ctx, "invitation", to, views.AppInvitationEmailSubject(p), views.AppInvitationEmailHTML(p))
}
