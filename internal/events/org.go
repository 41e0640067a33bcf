package events

// Organization event types, as Clerk names them.
const (
	OrganizationCreated = "organization.created"
	OrganizationUpdated = "organization.updated"
	OrganizationDeleted = "organization.deleted"
	MembershipCreated   = "organizationMembership.created"
	MembershipUpdated   = "organizationMembership.updated"
	MembershipDeleted   = "organizationMembership.deleted"
	InvitationCreated   = "organizationInvitation.created"
	InvitationAccepted  = "organizationInvitation.accepted"
	InvitationRevoked   = "organizationInvitation.revoked"
	DomainCreated       = "organizationDomain.created"
	DomainUpdated       = "organizationDomain.updated"
	DomainDeleted       = "organizationDomain.deleted"
)
