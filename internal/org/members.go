package org

import (
	"context"
	"errors"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/events"
)

// PerPage is the size of a page of the member list.
const PerPage = 20

// maxQueryLen bounds a member search (REQ-IN-07).
const maxQueryLen = 100

// MemberPage is one page of an organization's member list.
type MemberPage struct {
	Members []Member
	Total   int // members matching the query
	Page    int // 1-based
	PerPage int
}

// Pages is the number of pages; at least 1.
func (p MemberPage) Pages() int {
	if p.Total == 0 {
		return 1
	}
	return (p.Total + p.PerPage - 1) / p.PerPage
}

// MaxPage bounds the page number of a list: beyond it the offset would
// overflow (a 500 on PostgreSQL, which refuses a negative OFFSET).
const MaxPage = 1 << 20

// CheckMemberSearch tells whether query is a member search the list runs:
// ErrQueryUnreadable when it is not UTF-8, ErrQueryTooLong past
// maxQueryLen characters, for the page to say so beside the search box.
// Members itself runs none of those.
func CheckMemberSearch(query string) error {
	if !utf8.ValidString(query) {
		return ErrQueryUnreadable
	}
	if utf8.RuneCountInString(strings.TrimSpace(query)) > maxQueryLen {
		return ErrQueryTooLong
	}
	return nil
}

// Members lists the members matching query (name, email address or
// username), page by page; it needs org:sys_memberships:read. A query
// CheckMemberSearch refuses lists everyone.
func (s *Service) Members(ctx context.Context, actor Actor, orgID, query string, page int) (*Access, MemberPage, error) {
	a, err := s.Require(ctx, actor, orgID, PermMembershipsRead)
	if err != nil {
		return nil, MemberPage{}, err
	}
	query = strings.TrimSpace(query)
	if CheckMemberSearch(query) != nil {
		query = ""
	}
	page = min(max(page, 1), MaxPage)
	list, total, err := s.Repo.ListMembers(ctx, orgID, query, PerPage, (page-1)*PerPage)
	if err != nil {
		return nil, MemberPage{}, err
	}
	return a, MemberPage{Members: list, Total: total, Page: page, PerPage: PerPage}, nil
}

// ErrRoleUnchanged is ChangeRole's answer when the member has the role
// already: nothing was changed, and the page says so rather than claiming
// a change.
var ErrRoleUnchanged = errors.New("org: the member has that role already")

// ChangeRole gives a member another role. It needs
// org:sys_memberships:manage; nobody changes their own role (REQ-AC-03),
// and the last admin cannot be demoted (REQ-AC-06). The member's own role
// is ErrRoleUnchanged, and changes nothing.
//
// A member keeps a role no longer configured (PORTAL_ORG_ROLES changed)
// when the form sends it back unchanged; it cannot be given anew.
//
// A membership this organization removed already is
// ErrMemberRemovedAlready for a person who may manage it, as for
// RemoveMember.
func (s *Service) ChangeRole(ctx context.Context, actor Actor, orgID, membershipID, role string) error {
	return s.within(ctx, actor, orgID, PermMembershipsManage, func(r Repo, a *Access) error {
		m, err := memberIn(ctx, r, orgID, membershipID)
		if errors.Is(err, ErrNotFound) {
			return removedAlready(ctx, r, actor, orgID, membershipID, ErrMemberRemovedAlready)
		}
		if err != nil {
			return err
		}
		if m.UserID == actor.UserID {
			return ErrOwnRole
		}
		if m.Role == role {
			return ErrRoleUnchanged
		}
		if !s.Roles.Exists(role) {
			return errRoleInvalid
		}
		if !a.CanGrant(m.Role) {
			return ErrMemberAbove
		}
		if !a.CanGrant(role) {
			return ErrRoleAbove
		}
		if !slices.Contains(s.Roles.Managers(), role) {
			if err := s.keepsManager(ctx, r, orgID, m); err != nil {
				return err
			}
		}
		now := s.Clock.Now()
		if err := r.UpdateMembershipRole(ctx, m.ID, role, now); err != nil {
			return notFound(err)
		}
		m.Role, m.UpdatedAt = role, now
		return s.emitMembership(ctx, r, events.MembershipUpdated, m, a.Org, now)
	})
}

// RemoveMember takes a member out of the organization; it needs
// org:sys_memberships:manage and keeps an admin. Nobody removes themselves
// (ErrRemoveSelf): leaving is Leave's, confirmed by the organization's
// name.
//
// A membership this organization removed already is
// ErrMemberRemovedAlready for a person who may manage it (not for the
// Backend API, which answers as for any missing membership).
func (s *Service) RemoveMember(ctx context.Context, actor Actor, orgID, membershipID string) error {
	return s.within(ctx, actor, orgID, PermMembershipsManage, func(r Repo, a *Access) error {
		m, err := memberIn(ctx, r, orgID, membershipID)
		if errors.Is(err, ErrNotFound) {
			return removedAlready(ctx, r, actor, orgID, membershipID, ErrMemberRemovedAlready)
		}
		if err != nil {
			return err
		}
		if err := s.removable(ctx, r, actor, a, m); err != nil {
			return err
		}
		return s.remove(ctx, r, a.Org, m)
	})
}

// MemberToRemove is the member the confirmation before RemoveMember names,
// with the organization: it answers what RemoveMember would refuse with
// (no permission, not found, removed already, the last admin, oneself), so
// that nobody is asked to confirm what cannot be done. RemoveMember checks
// it all again when confirmed.
func (s *Service) MemberToRemove(ctx context.Context, actor Actor, orgID, membershipID string) (*Access, *Member, error) {
	a, err := s.Require(ctx, actor, orgID, PermMembershipsManage)
	if err != nil {
		return nil, nil, err
	}
	m, err := memberIn(ctx, s.Repo, orgID, membershipID)
	if errors.Is(err, ErrNotFound) {
		err = removedAlready(ctx, s.Repo, actor, orgID, membershipID, ErrMemberRemovedAlready)
	}
	if err == nil {
		err = s.removable(ctx, s.Repo, actor, a, m)
	}
	if err != nil {
		return nil, nil, err
	}
	out := &Member{Membership: *m}
	u, err := s.Repo.UserByID(ctx, m.UserID)
	switch {
	case err == nil:
		out.FirstName, out.LastName, out.Email, out.Username = u.FirstName, u.LastName, u.PrimaryEmail(), u.Username()
	case !errors.Is(err, apperr.ErrNotFound):
		return nil, nil, err
	}
	return a, out, nil
}

// removable is why actor may not remove m, nil when they may: the last
// admin stays (the last admin removing themselves hears that first), and
// one's own membership is left through Leave.
func (s *Service) removable(ctx context.Context, r Repo, actor Actor, a *Access, m *Membership) error {
	if !a.CanGrant(m.Role) {
		return ErrMemberAbove
	}
	if err := s.keepsManager(ctx, r, m.OrgID, m); err != nil || m.UserID != actor.UserID {
		return err
	}
	return ErrRemoveSelf
}

// removedAlready is what removing objectID again answers, once the actor
// is known to manage orgID: already, when orgID noted removing it
// (RecordRemoval), else ErrNotFound — an ID of another organization, or
// one that never existed, reads the same (REQ-AC-02).
func removedAlready(ctx context.Context, r Repo, actor Actor, orgID, objectID string, already error) error {
	if actor.instance {
		return ErrNotFound
	}
	gone, err := r.WasRemoved(ctx, orgID, objectID)
	if err != nil {
		return err
	}
	if gone {
		return already
	}
	return ErrNotFound
}

// Leave takes the actor out of the organization, confirmed by its name
// typed as shown; an admin leaves only when another admin remains.
func (s *Service) Leave(ctx context.Context, actor Actor, orgID, confirmName string) error {
	return s.within(ctx, actor, orgID, "", func(r Repo, a *Access) error {
		// The last admin hears so before the typed name matters; the only
		// member hears that deleting is the way out.
		if err := s.keepsManager(ctx, r, a.Org.ID, a.Membership); err != nil {
			if !errors.Is(err, ErrLastAdmin) {
				return err
			}
			if n, cerr := r.CountMembers(ctx, a.Org.ID); cerr != nil {
				return cerr
			} else if n <= 1 {
				return ErrLastMember
			}
			return err
		}
		if err := confirmed(a.Org, confirmName); err != nil {
			return err
		}
		return s.remove(ctx, r, a.Org, a.Membership)
	})
}

func (s *Service) remove(ctx context.Context, r Repo, o *Organization, m *Membership) error {
	if err := s.keepsManager(ctx, r, o.ID, m); err != nil {
		return err
	}
	now := s.Clock.Now()
	if err := r.DeleteMembership(ctx, m.ID); err != nil {
		return notFound(err)
	}
	if err := r.RecordRemoval(ctx, o.ID, m.ID, now); err != nil {
		return err
	}
	if err := r.ClearActiveOrg(ctx, o.ID, m.UserID, now); err != nil {
		return err
	}
	return s.emitMembership(ctx, r, events.MembershipDeleted, m, o, now)
}

// memberIn reads a membership of orgID; one of another organization reads
// as missing (REQ-AC-02).
func memberIn(ctx context.Context, r Repo, orgID, membershipID string) (*Membership, error) {
	m, err := r.MembershipByID(ctx, membershipID)
	if errors.Is(err, apperr.ErrNotFound) || err == nil && m.OrgID != orgID {
		return nil, ErrNotFound
	}
	return m, err
}
