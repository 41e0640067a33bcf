package mailer

import (
	"context"
	"time"

	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/org"
	"github.com/portalhq/portal/views"
)

var _ org.Notifier = (*Mailer)(nil)

// SendOrgInvitation emails an organization invitation with its one-time link,
// in locale when the invited address's account has one (toReader), else in
// the language of the request that sends it.
func (m *Mailer) SendOrgInvitation(ctx context.Context, to, locale string, inv org.InvitationMail) error {
	ctx = m.toReader(ctx, locale)
	e := m.base(ctx)
	p := views.OrgInvitationEmail{Email: e, OrgName: inv.OrgName, InviterName: inv.InviterName,
		InviterEmail: inv.InviterEmail, URL: inv.URL, Expires: m.date(ctx, inv.ExpireAt)}
	return m.deliver(ctx, "organization_invitation", to, views.OrgInvitationEmailSubject(p),
		views.OrgInvitationEmailHTML(p))
}

// SendDomainCode emails the code that verifies an organization's domain,
// naming the organization and the domain. It goes to the admin asking for
// it, so it is written in the language of their request.
func (m *Mailer) SendDomainCode(ctx context.Context, to, code string, d org.DomainCodeMail) error {
	p := views.CodeEmail{Email: m.base(ctx), Code: code, Minutes: int(flow.CodeTTL / time.Minute), Purpose: "verify-domain",
		OrgName: d.OrgName, Domain: d.Domain}
	return m.deliver(ctx, "verification_code", to, views.CodeEmailSubject(p), views.CodeEmailHTML(p))
}
