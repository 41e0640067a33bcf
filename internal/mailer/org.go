package mailer

import (
	"context"

	"github.com/portalhq/portal/internal/org"
	"github.com/portalhq/portal/views"
)

var _ org.Notifier = (*Mailer)(nil)

// SendOrgInvitation emails an organization invitation with its one-time link.
func (m *Mailer) SendOrgInvitation(ctx context.Context, to string, inv org.InvitationMail) error {
	e := m.base(ctx)
	p := views.OrgInvitationEmail{Email: e, OrgName: inv.OrgName, InviterName: inv.InviterName, URL: inv.URL,
		Expires: m.date(ctx, inv.ExpireAt)}
	return m.deliver(ctx, "organization_invitation", to, views.OrgInvitationEmailSubject(p),
		views.OrgInvitationEmailHTML(p))
}
