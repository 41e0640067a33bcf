package org

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/user"
)

// The Backend API's lists that span organizations: a user's memberships
// and invitations (GET /v1/users/{id}/organization_memberships and
// …/organization_invitations), and every membership of the instance
// (GET /v1/organization_memberships). Each row is the object the
// organization's own lists answer.

// InstanceMemberFilter selects memberships across organizations.
type InstanceMemberFilter struct {
	UserID string // "" = everyone's
	// OrderBy is one of InstanceMemberOrders, - in front for descending;
	// "" = -created_at.
	OrderBy       string
	Limit, Offset int
}

// InstanceMemberOrders are the order_by keys of the instance's membership
// list, Clerk's: the membership's creation, or the member's primary email
// address or phone number, names or username.
func InstanceMemberOrders() []string {
	return []string{"created_at", "email_address", "phone_number", "first_name", "last_name", "username"}
}

// UserMemberships lists a user's memberships, newest first. An unknown
// user is user.ErrNoUser.
func (a *Admin) UserMemberships(ctx context.Context, userID string, limit, offset int) ([]MembershipObject, int, error) {
	if err := checkPage(&limit, &offset); err != nil {
		return nil, 0, err
	}
	if _, err := a.user(ctx, userID); err != nil {
		return nil, 0, err
	}
	return a.memberships(ctx, InstanceMemberFilter{UserID: userID, OrderBy: "-created_at", Limit: limit, Offset: offset})
}

// InstanceMemberships lists the memberships of every organization in the
// order asked for.
func (a *Admin) InstanceMemberships(ctx context.Context, orderBy string, limit, offset int) ([]MembershipObject, int, error) {
	if err := checkPage(&limit, &offset); err != nil {
		return nil, 0, err
	}
	if orderBy == "" {
		orderBy = "-created_at"
	}
	if !slices.Contains(InstanceMemberOrders(), strings.TrimLeft(orderBy, "+-")) {
		return nil, 0, invalid("order_by", "Order by created_at, email_address, phone_number, first_name, last_name "+
			"or username, with - in front for descending.")
	}
	return a.memberships(ctx, InstanceMemberFilter{OrderBy: orderBy, Limit: limit, Offset: offset})
}

func (a *Admin) memberships(ctx context.Context, f InstanceMemberFilter) ([]MembershipObject, int, error) {
	list, total, err := a.s.Repo.ListInstanceMemberships(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	out := make([]MembershipObject, 0, len(list))
	for i := range list {
		out = append(out, a.s.memberObject(&list[i].Member, &list[i].Org))
	}
	return out, total, nil
}

// UserInvitations lists the invitations sent to any of a user's verified
// addresses, newest first, whatever organization sent them and whether or
// not the user is a member there. With no status asked for, the pending
// ones (Clerk's default); an invitation past its expiry reads expired,
// but for an automatic one whose domain still invites, which is renewed.
func (a *Admin) UserInvitations(ctx context.Context, userID string, f InvitationFilter) ([]InvitationObject, int, error) {
	if err := checkPage(&f.Limit, &f.Offset); err != nil {
		return nil, 0, err
	}
	for _, st := range f.Statuses {
		if !slices.Contains([]string{Pending, Accepted, Revoked, Expired}, st) {
			return nil, 0, invalid("status", "Give pending, accepted, revoked or expired.")
		}
	}
	if len(f.Statuses) == 0 {
		f.Statuses = []string{Pending}
	}
	u, err := a.user(ctx, userID)
	if err != nil {
		return nil, 0, err
	}
	emails := u.VerifiedEmails()
	if len(emails) == 0 {
		return []InvitationObject{}, 0, nil
	}
	// As on the person's own list (Waiting): automatic invitations whose
	// domain still invites are renewed before they are shown.
	if err := a.s.renewStanding(ctx, userID, emails); err != nil {
		return nil, 0, err
	}
	now := a.s.Clock.Now()
	list, total, err := a.s.Repo.InvitationsForUser(ctx, userID, UserInvitationFilter{Emails: emails,
		Statuses: f.Statuses, Now: now, Limit: f.Limit, Offset: f.Offset})
	if err != nil {
		return nil, 0, err
	}
	out := make([]InvitationObject, 0, len(list))
	for i := range list {
		obj := invitationObject(&list[i].Invitation, now)
		obj.PublicOrganizationData = a.s.publicOrgData(&list[i].Org)
		out = append(out, obj)
	}
	return out, total, nil
}

func (a *Admin) user(ctx context.Context, userID string) (*user.User, error) {
	u, err := a.s.Repo.UserByID(ctx, userID)
	if errors.Is(err, apperr.ErrNotFound) {
		return nil, user.ErrNoUser
	}
	return u, err
}
