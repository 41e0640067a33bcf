// Package org is the domain of organizations: a user belongs to any number
// of them, each membership with a role whose permissions the session token
// carries while that organization is active. Every change runs in one
// transaction that holds the organization's row, checks the caller's
// permission there (REQ-AC-01, REQ-AC-04) and the invariants (REQ-AC-06),
// and writes its events.
package org

import (
	"context"
	"encoding/json"
	"time"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/user"
)

// Organization is a tenant of the relying app.
type Organization struct {
	ID          string
	Name        string
	Slug        string
	LogoVersion int64 // 0 = no logo; changes with every new logo, for cache busting
	MaxMembers  int   // 0 = the instance's limit
	CreatedBy   string
	CreatedAt   time.Time
	UpdatedAt   time.Time

	// Set through the Backend API: JSON objects, public readable by the
	// app's front end, private by its backend only (Clerk's two kinds).
	PublicMetadata, PrivateMetadata json.RawMessage
}

// Membership says a user belongs to an organization, with a role.
type Membership struct {
	ID     string
	OrgID  string
	UserID string
	Role   string
	// PublicMetadata and PrivateMetadata are JSON objects the Backend API
	// sets; nil reads as {}.
	PublicMetadata  json.RawMessage
	PrivateMetadata json.RawMessage
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// Invitation statuses, as Clerk names them. An expired invitation keeps
// "pending" until it is replaced; Live tells.
const (
	Pending  = "pending"
	Accepted = "accepted"
	Revoked  = "revoked"
)

// Invitation asks an email address to join an organization. The emailed
// link carries a ticket; only its SHA-256 is stored.
type Invitation struct {
	ID          string
	OrgID       string
	Email       string // normalised
	Role        string
	Status      string
	TicketHash  string
	RedirectURL string // where the person lands after accepting; "" = the organization's page
	InviterID   string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	ExpireAt    time.Time

	PublicMetadata, PrivateMetadata json.RawMessage // set through the Backend API
}

// Live reports whether the invitation can still be accepted at now.
func (i *Invitation) Live(now time.Time) bool { return i.Status == Pending && now.Before(i.ExpireAt) }

// Shown is the status a user's invitation list reports at now: expired for
// a pending invitation past its expiry, as for one that was replaced.
func (i *Invitation) Shown(now time.Time) string {
	if i.Status == Pending && !now.Before(i.ExpireAt) {
		return Expired
	}
	return i.Status
}

// Member is a membership with the person's public details, for lists.
type Member struct {
	Membership
	FirstName string
	LastName  string
	Email     string
	Username  string
	ImageURL  string // the profile image's URL, "" without one
}

// UserOrg is one organization of a user, with the user's membership there.
type UserOrg struct {
	Organization
	MembershipID string
	Role         string
}

// OrgMember is a membership with its organization and the member's public
// details: a row of a list that spans organizations.
type OrgMember struct {
	Member
	Org Organization
}

// UserInvitation is an invitation sent to a user, with its organization.
type UserInvitation struct {
	Invitation
	Org Organization
}

// UserInvitationFilter selects the invitations sent to a user's addresses.
type UserInvitationFilter struct {
	Emails []string // the user's verified addresses; none selects nothing
	// Statuses keeps the invitations with one of these statuses as Shown
	// at Now (none = every one): pending only before its expiry, expired a
	// pending one past it or a replaced one.
	Statuses []string
	// Joinable keeps only what the user can accept at Now — pending, not
	// expired, from organizations they are not a member of — oldest first,
	// as the switcher offers them. Otherwise the newest come first.
	Joinable bool
	Now      time.Time
	Limit    int // 0 = all of them
	Offset   int
}

// Logo is an organization's image, stored in the database.
type Logo struct {
	ContentType string
	Data        []byte
}

// Repo is what organizations need from the store.
type Repo interface {
	EnrollRepo
	DomainRepo
	SuggestionRepo
	flow.CodeStore // the codes that verify domains
	UserByID(ctx context.Context, id string) (*user.User, error)
	UserByIdentifier(ctx context.Context, kind, value string) (*user.User, error)

	CreateOrganization(ctx context.Context, o *Organization) error // slug taken: ErrConflict
	OrganizationByID(ctx context.Context, id string) (*Organization, error)
	OrganizationBySlug(ctx context.Context, slug string) (*Organization, error)
	// LockOrganization reads the organization and holds it until the
	// transaction ends, so that every change to its memberships and
	// invitations runs one after the other.
	LockOrganization(ctx context.Context, id string) (*Organization, error)
	UpdateOrganization(ctx context.Context, o *Organization) error // slug taken: ErrConflict
	DeleteOrganization(ctx context.Context, id string) error
	SetOrganizationLogo(ctx context.Context, orgID string, logo *Logo) error // nil removes it
	OrganizationLogo(ctx context.Context, orgID string) (*Logo, error)
	// LockUser holds the user until the transaction ends (per-user limits).
	LockUser(ctx context.Context, userID string) error
	CountOrganizationsCreatedBy(ctx context.Context, userID string) (int, error)

	// CreateMembership adds m (already a member: ErrConflict). Becoming a
	// member answers any earlier decline of the person's (Declined).
	CreateMembership(ctx context.Context, m *Membership) error
	MembershipByID(ctx context.Context, id string) (*Membership, error)
	MembershipOf(ctx context.Context, orgID, userID string) (*Membership, error)
	UpdateMembershipRole(ctx context.Context, id, role string, at time.Time) error
	UpdateMembershipMetadata(ctx context.Context, m *Membership) error
	DeleteMembership(ctx context.Context, id string) error
	// RecordRemoval notes that orgID removed the object id (a membership, a
	// domain), so that removing it again can say so; WasRemoved tells it,
	// only to that organization (REQ-AC-02).
	RecordRemoval(ctx context.Context, orgID, id string, at time.Time) error
	WasRemoved(ctx context.Context, orgID, id string) (bool, error)
	CountMembers(ctx context.Context, orgID string) (int, error)
	CountMembersWithRoles(ctx context.Context, orgID string, roles []string) (int, error)
	// ListMembers pages through the members matching query (name, email or
	// username; "" = all), oldest first, and returns the total matching.
	ListMembers(ctx context.Context, orgID, query string, limit, offset int) ([]Member, int, error)
	// ListMemberships is ListMembers with the Backend API's filters.
	ListMemberships(ctx context.Context, orgID string, f MemberFilter) ([]Member, int, error)
	// ListOrganizations pages through every organization f selects and
	// returns the total selected.
	ListOrganizations(ctx context.Context, f OrgFilter) ([]Organization, int, error)
	// ListInstanceMemberships pages through the memberships f selects
	// across organizations, each with its organization, and returns the
	// total selected.
	ListInstanceMemberships(ctx context.Context, f InstanceMemberFilter) ([]OrgMember, int, error)
	OrganizationsOfUser(ctx context.Context, userID string) ([]UserOrg, error)

	CreateInvitation(ctx context.Context, inv *Invitation) error // a live one for the address exists: ErrConflict
	InvitationByID(ctx context.Context, id string) (*Invitation, error)
	InvitationByTicket(ctx context.Context, ticketHash string) (*Invitation, error)
	// RecordReplacedTicket keeps the hash of a ticket that resending
	// replaced, until expireAt (the new link's expiry), and
	// InvitationByReplacedTicket finds its invitation (ErrNotFound when
	// none): the old link can then say that a newer one was sent. Nothing
	// else reads them; they let nobody in.
	RecordReplacedTicket(ctx context.Context, invitationID, ticketHash string, at, expireAt time.Time) error
	InvitationByReplacedTicket(ctx context.Context, ticketHash string) (*Invitation, error)
	PendingInvitation(ctx context.Context, orgID, email string) (*Invitation, error)
	ListPendingInvitations(ctx context.Context, orgID string) ([]Invitation, error)
	// ListInvitations pages through an organization's invitations of the
	// given statuses (none = all), newest first, with the total.
	ListInvitations(ctx context.Context, orgID string, f InvitationFilter) ([]Invitation, int, error)
	// UpdateInvitation saves inv if its status is still from; otherwise
	// ErrConflict (someone else accepted or revoked it meanwhile).
	UpdateInvitation(ctx context.Context, inv *Invitation, from string) error
	// RecordDecline notes that userID, the invitation's addressee,
	// declined it.
	RecordDecline(ctx context.Context, invitationID, userID string, at time.Time) error
	// InvitationsForUser pages through the invitations f selects among
	// those sent to userID's addresses, each with its organization, and
	// returns the total selected.
	InvitationsForUser(ctx context.Context, userID string, f UserInvitationFilter) ([]UserInvitation, int, error)

	SetSessionActiveOrg(ctx context.Context, sessionID, orgID string, at time.Time) error
	// LastActiveOrg is the organization most recently active in another
	// session of the user; "" when none.
	LastActiveOrg(ctx context.Context, userID, exceptSessionID string) (string, error)
	// ClearActiveOrg makes sessions of userID ("" = everyone) whose active
	// organization is orgID fall back to none.
	ClearActiveOrg(ctx context.Context, orgID, userID string, at time.Time) error
}

// Errors a person sees. Not being a member and the object not existing
// read the same, so nobody learns what exists in another organization
// (REQ-AC-02, REQ-AC-05).
var (
	ErrNotFound = apperr.New(apperr.NotFound,
		"We couldn't find that. It may have been removed, or you may not have access to it.").T("org.error.not_found")
	ErrForbidden = apperr.New(apperr.Forbidden,
		"Your role in this organization doesn't allow that. Ask an admin of the organization.").T("org.error.forbidden")
	ErrInvitationGone = apperr.New(apperr.Expired,
		"This invitation can't be used: it has expired, was withdrawn or was already accepted. Ask for a new one.").T("org.error.invitation_gone")
	// ErrInvitationResent is ErrInvitationGone (errors.Is) for the link of
	// an invitation that was sent again since, while the newer link works:
	// the person has a newer email to use, not a new invitation to ask for.
	// Pages show it naming the organization (invitationResent).
	ErrInvitationResent = &apperr.Error{Code: apperr.Expired, Err: ErrInvitationGone, ID: "org.error.invitation_resent",
		Message: "A newer invitation was emailed to you, and only its link works now. Use the link in the most recent invitation email."}
	// ErrJoinedAlready is ErrInvitationGone (errors.Is) when the one who
	// accepted the invitation answers it again (a double click, the back
	// button): the first answer made them a member, so pages take it as done.
	ErrJoinedAlready = &apperr.Error{Code: apperr.Expired, Message: ErrInvitationGone.Message, ID: ErrInvitationGone.ID,
		Err: ErrInvitationGone}
	// ErrDeclinedAlready is ErrInvitationGone (errors.Is) when the person
	// declines an invitation that was withdrawn, declined or ran out, not
	// accepted: nothing is left to join, so pages take it as declined (a
	// second press of "Decline", say).
	ErrDeclinedAlready = &apperr.Error{Code: apperr.Expired, Message: ErrInvitationGone.Message, ID: ErrInvitationGone.ID,
		Err: ErrInvitationGone}
	// Removing again what the organization already removed (a stale tab, a
	// double click): the pages go back to the list and say so. Only a
	// person who may manage the organization is told, and only about its
	// own objects; anything else stays ErrNotFound (REQ-AC-02).
	ErrMemberRemovedAlready = apperr.New(apperr.Conflict,
		"That member was already removed.").T("org.error.member_removed_already")
	ErrDomainRemovedAlready = apperr.New(apperr.Conflict,
		"That domain was already removed.").T("org.error.domain_removed_already")
	ErrInvitationRevokedAlready = apperr.New(apperr.Conflict,
		"That invitation was already revoked or declined.").T("org.error.invitation_revoked_already").
		Coded("organization_invitation_not_pending")
	ErrInvitationAcceptedAlready = apperr.New(apperr.Conflict,
		"That invitation was already accepted.").T("org.error.invitation_accepted_already").
		Coded("organization_invitation_not_pending")
	ErrInvitationReplacedAlready = apperr.New(apperr.Conflict,
		"That invitation had expired and was replaced by a newer one.").T("org.error.invitation_replaced_already").
		Coded("organization_invitation_not_pending")
	ErrQueryTooLong = apperr.Field(apperr.Invalid, "query",
		"Search with at most 100 characters.").T("org.error.query_too_long")
	ErrQueryUnreadable = apperr.Field(apperr.Invalid, "query",
		"The search had characters that can't be read, and they were left out. Check it and search again.").T("org.error.query_unreadable")
	ErrOwnRole = apperr.Field(apperr.Forbidden, "role",
		"You can't change your own role. Ask another admin.").T("org.error.own_role")
	// ErrRemoveSelf: one's own row on the members page offers no Remove;
	// leaving is confirmed by the organization's name (Leave), which
	// removing oneself would skip.
	// ErrRoleAbove: a role that grants a permission the actor's own
	// lacks is not theirs to give (REQ-AC-03).
	ErrRoleAbove = apperr.Field(apperr.Forbidden, "role",
		"You can't give a role that can do more than your own. Ask an admin.").T("org.error.role_above")
	// ErrMemberAbove: a member whose role can do more than the actor's is
	// not theirs to change or remove (REQ-AC-03).
	ErrMemberAbove = apperr.New(apperr.Forbidden,
		"This member's role can do more than yours, so you can't change or remove them. Ask an admin.").T("org.error.member_above")
	// ErrInvitationAbove: an invitation giving such a role is not the
	// actor's to resend or revoke either (REQ-AC-03).
	ErrInvitationAbove = apperr.New(apperr.Forbidden,
		"This invitation gives a role that can do more than yours, so you can't resend or revoke it. Ask an admin.").T("org.error.invitation_above")
	// ErrRequestAbove: letting someone in gives them the member role; a
	// role that cannot give it cannot accept a request either (REQ-AC-03).
	ErrRequestAbove = apperr.New(apperr.Forbidden,
		"Members here get a role that can do more than yours, so you can't let someone in. Ask an admin.").T("org.error.request_above")
	ErrRemoveSelf = apperr.New(apperr.Forbidden,
		`You can't remove yourself. To leave the organization, use "Leave organization" on its General tab.`).T("org.error.remove_self")
	ErrLastAdmin = apperr.New(apperr.Conflict,
		"An organization needs at least one admin. Make someone else an admin first.").T("org.error.last_admin").
		Coded("organization_minimum_permissions_needed")
	// ErrLastMember is ErrLastAdmin said to the only member, for whom
	// making someone else an admin is no way out.
	ErrLastMember = apperr.New(apperr.Conflict,
		"You're the only member of this organization, so nobody can take over. Delete the organization instead, or invite someone and make them an admin first.").T("org.error.last_member").
		Coded("organization_minimum_permissions_needed")
	ErrMemberLimit = apperr.New(apperr.Conflict,
		"This organization has reached its member limit.").T("org.error.member_limit").
		Coded("organization_membership_quota_exceeded")
	ErrCreateDisabled = apperr.New(apperr.Forbidden,
		"Creating organizations isn't enabled on this site.").T("org.error.create_disabled")
	ErrCreateLimit = apperr.New(apperr.Conflict,
		"You've reached the number of organizations you can create.").T("org.error.create_limit")
	ErrPersonalDisabled = apperr.New(apperr.Invalid,
		"This site needs you to choose an organization.").T("org.error.personal_disabled")
	ErrSlugTaken = apperr.Field(apperr.Conflict, "slug",
		"This slug is taken. Choose another.").T("org.error.slug_taken")
)

// Policy is what an instance configures about organizations.
type Policy struct {
	CreateEnabled    bool          // users may create organizations
	CreateLimit      int           // organizations one user may create; 0 = no limit
	MaxMembers       int           // members per organization; 0 = no limit
	InvitationTTL    time.Duration // how long an invitation link works
	PersonalAccounts bool          // users may act without an active organization
}

// Actor is who is asking: the signed-in user and the session they use.
type Actor struct {
	UserID    string
	SessionID string
	// FactorAt is when the session last verified a factor, for the
	// reverification that deleting an organization asks for.
	FactorAt time.Time

	// instance is the Backend API (Admin): every permission without a
	// membership. Only this package sets it.
	instance bool
}
