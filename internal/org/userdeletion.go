package org

import (
	"context"
	"slices"

	"github.com/portalhq/portal/internal/events"
)

// SoleManagerOf names the organizations userID alone manages while others
// are members: deleting the account would leave them without an admin.
func (s *Service) SoleManagerOf(ctx context.Context, r Repo, userID string) ([]string, error) {
	orgs, err := r.OrganizationsOfUser(ctx, userID)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, uo := range orgs {
		if !slices.Contains(s.Roles.Managers(), uo.Role) {
			continue
		}
		managers, err := r.CountMembersWithRoles(ctx, uo.ID, s.Roles.Managers())
		if err != nil {
			return nil, err
		}
		members, err := r.CountMembers(ctx, uo.ID)
		if err != nil {
			return nil, err
		}
		if managers <= 1 && members > 1 {
			names = append(names, uo.Name)
		}
	}
	return names, nil
}

// RemoveUser takes userID out of every organization as the account is
// deleted, in the deletion's transaction: each membership goes with its
// organizationMembership.deleted event, which the cascade of deleting the
// user would not write. The organizations themselves stay.
func (s *Service) RemoveUser(ctx context.Context, r Repo, userID string) error {
	orgs, err := r.OrganizationsOfUser(ctx, userID)
	if err != nil {
		return err
	}
	now := s.Clock.Now()
	for _, uo := range orgs {
		o, err := r.LockOrganization(ctx, uo.ID)
		if err != nil {
			return err
		}
		m, err := r.MembershipByID(ctx, uo.MembershipID)
		if err != nil {
			return err
		}
		if err := r.DeleteMembership(ctx, m.ID); err != nil {
			return err
		}
		if err := r.RecordRemoval(ctx, o.ID, m.ID, now); err != nil {
			return err
		}
		if err := s.emitMembership(ctx, r, events.MembershipDeleted, m, o, now); err != nil {
			return err
		}
	}
	return nil
}
