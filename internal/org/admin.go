package org

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/metadata"
	"github.com/portalhq/portal/internal/page"
)

// Admin is what the Backend API does with organizations: the instance's
// owner, holding the secret key, acts on any organization without being a
// member, so no role permission is asked. The rules that keep an
// organization sound still hold as for everyone (REQ-AC-06): it keeps an
// admin, the member limit holds, an invitation is used once. Every change
// writes its events in its own transaction.
type Admin struct{ s *Service }

// Admin returns the Backend API's view of s.
func (s *Service) Admin() *Admin { return &Admin{s: s} }

func (a *Admin) actor() Actor { return Actor{instance: true} }

// Page sizes of the Backend API's lists, as Clerk's.
const (
	MaxPageSize     = 500
	DefaultPageSize = 10
)

// OrgFilter selects organizations for the Backend API.
type OrgFilter struct {
	Query   string   // part of the ID, name or slug
	UserIDs []string // organizations any of these users belong to
	// OrderBy is created_at, name or members_count, with - in front for
	// descending; "" = -created_at.
	OrderBy       string
	Limit, Offset int
}

// OrgOrders are the order_by keys of OrgFilter.
func OrgOrders() []string { return []string{"created_at", "name", "members_count"} }

// MemberFilter selects an organization's memberships for the Backend API.
type MemberFilter struct {
	Query   string // part of a member's name, email address or username
	Roles   []string
	UserIDs []string
	// OrderBy is created_at or -created_at; "" = oldest first.
	OrderBy       string
	Limit, Offset int
}

// InvitationFilter selects an organization's invitations.
type InvitationFilter struct {
	Statuses      []string // none = every status; read as Invitation.Shown reports them at Now
	Now           time.Time
	Limit, Offset int
}

func invalid(field, msg string) error { return apperr.Field(apperr.Invalid, field, msg) }

func checkPage(limit, offset *int) error {
	return page.Check(limit, offset, DefaultPageSize, MaxPageSize)
}

func checkList(field string, list []string) error {
	if len(list) > 100 {
		return invalid(field, "Give at most 100 values.")
	}
	return nil
}

// List returns the organizations f selects and how many there are;
// withCounts fills members_count.
func (a *Admin) List(ctx context.Context, f OrgFilter, withCounts bool) ([]Object, int, error) {
	if err := checkPage(&f.Limit, &f.Offset); err != nil {
		return nil, 0, err
	}
	if f.OrderBy == "" {
		f.OrderBy = "-created_at"
	}
	if !slices.Contains(OrgOrders(), strings.TrimLeft(f.OrderBy, "+-")) {
		return nil, 0, invalid("order_by", "Order by created_at, name or members_count, with - in front for descending.")
	}
	if len(f.Query) > maxQueryLen*2 {
		return nil, 0, invalid("query", "The query is too long.")
	}
	if err := checkList("user_id", f.UserIDs); err != nil {
		return nil, 0, err
	}
	list, total, err := a.s.Repo.ListOrganizations(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	out := make([]Object, 0, len(list))
	for i := range list {
		obj, err := a.object(ctx, &list[i], withCounts)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, obj)
	}
	return out, total, nil
}

// Get returns the organization named by ref, its ID or its slug.
func (a *Admin) Get(ctx context.Context, ref string, withCount bool) (Object, error) {
	o, err := a.find(ctx, ref)
	if err != nil {
		return Object{}, err
	}
	return a.object(ctx, o, withCount)
}

func (a *Admin) find(ctx context.Context, ref string) (*Organization, error) {
	var (
		o   *Organization
		err error
	)
	if strings.HasPrefix(ref, id.Org+"_") {
		o, err = a.s.Repo.OrganizationByID(ctx, ref)
	} else {
		o, err = a.s.Repo.OrganizationBySlug(ctx, strings.ToLower(ref))
	}
	return o, notFound(err)
}

func (a *Admin) object(ctx context.Context, o *Organization, withCount bool) (Object, error) {
	obj := a.s.object(o)
	if withCount {
		n, err := a.s.Repo.CountMembers(ctx, o.ID)
		if err != nil {
			return Object{}, err
		}
		obj.MembersCount = &n
	}
	return obj, nil
}

// AdminCreateInput is POST /v1/organizations.
type AdminCreateInput struct {
	Name                            string
	Slug                            string // "" = derived from the name
	CreatedBy                       string // becomes the first admin; "" = no members yet
	MaxMembers                      *int   // 0 = the instance's limit
	PublicMetadata, PrivateMetadata json.RawMessage
	// CreatedAt is when the organization was made on the system it is
	// imported from; nil means now. It may not be in the future. Its
	// first admin's membership starts now all the same.
	CreatedAt *time.Time
}

// Create makes an organization. Unlike a person's creation it ignores
// whether people may create organizations and how many, which are limits
// on people, not on the instance's owner.
func (a *Admin) Create(ctx context.Context, in AdminCreateInput) (Object, error) {
	name, err := CleanName(in.Name)
	if err != nil {
		return Object{}, err
	}
	slug := strings.ToLower(strings.TrimSpace(in.Slug))
	if slug == "" {
		slug = Slugify(name)
	}
	if err := CheckSlug(slug); err != nil {
		return Object{}, err
	}
	now := a.s.Clock.Now()
	o := &Organization{ID: id.New(id.Org), Name: name, Slug: slug, CreatedBy: in.CreatedBy, CreatedAt: now, UpdatedAt: now}
	if in.CreatedAt != nil {
		at := in.CreatedAt.UTC().Truncate(time.Millisecond) // what the API shows and stores
		if at.After(now) {
			return Object{}, invalid("created_at", "created_at must not be in the future.")
		}
		o.CreatedAt = at
	}
	if err := setOrgFields(o, in.MaxMembers, in.PublicMetadata, in.PrivateMetadata); err != nil {
		return Object{}, err
	}
	err = a.s.InTx(ctx, func(r Repo) error {
		if err := r.CreateOrganization(ctx, o); err != nil {
			if errors.Is(err, apperr.ErrConflict) {
				return ErrSlugTaken
			}
			return err
		}
		if err := emit(ctx, r, events.OrganizationCreated, o.ID, a.s.object(o), now); err != nil {
			return err
		}
		if in.CreatedBy == "" {
			return nil
		}
		m := &Membership{ID: id.New(id.OrgMember), OrgID: o.ID, UserID: in.CreatedBy, Role: RoleAdmin,
			CreatedAt: now, UpdatedAt: now}
		if err := a.addMember(ctx, r, o, m, "created_by"); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return Object{}, err
	}
	return a.s.object(o), nil
}

func setOrgFields(o *Organization, maxMembers *int, public, private json.RawMessage) error {
	if maxMembers != nil {
		if *maxMembers < 0 {
			return invalid("max_allowed_memberships", "max_allowed_memberships can't be negative.")
		}
		o.MaxMembers = *maxMembers
	}
	for _, m := range []struct {
		field string
		in    json.RawMessage
		out   *json.RawMessage
	}{{"public_metadata", public, &o.PublicMetadata}, {"private_metadata", private, &o.PrivateMetadata}} {
		if m.in == nil {
			continue
		}
		obj, err := metadata.Set(m.field, m.in)
		if err != nil {
			return err
		}
		*m.out = obj
	}
	return nil
}

// AdminUpdateInput is PATCH /v1/organizations/{id}; nil leaves a field as
// it is, and metadata given replaces what is stored.
type AdminUpdateInput struct {
	Name, Slug                      *string
	MaxMembers                      *int
	PublicMetadata, PrivateMetadata json.RawMessage
}

// Update changes an organization.
func (a *Admin) Update(ctx context.Context, orgID string, in AdminUpdateInput) (Object, error) {
	return a.change(ctx, orgID, func(_ Repo, o *Organization, _ time.Time) error {
		if in.Name != nil {
			name, err := CleanName(*in.Name)
			if err != nil {
				return err
			}
			o.Name = name
		}
		if in.Slug != nil {
			slug := strings.ToLower(strings.TrimSpace(*in.Slug))
			if err := CheckSlug(slug); err != nil {
				return err
			}
			o.Slug = slug
		}
		return setOrgFields(o, in.MaxMembers, in.PublicMetadata, in.PrivateMetadata)
	})
}

// MergeMetadata merges each given object into the stored one, deeply; a key
// set to null is removed (PATCH /v1/organizations/{id}/metadata).
func (a *Admin) MergeMetadata(ctx context.Context, orgID string, public, private json.RawMessage) (Object, error) {
	return a.change(ctx, orgID, func(_ Repo, o *Organization, _ time.Time) error {
		return mergeMetadata(&o.PublicMetadata, &o.PrivateMetadata, public, private)
	})
}

// mergeMetadata patches the stored public and private metadata with what
// was given (nil: left as it is).
func mergeMetadata(storedPublic, storedPrivate *json.RawMessage, public, private json.RawMessage) error {
	for _, m := range []struct {
		field string
		patch json.RawMessage
		into  *json.RawMessage
	}{{"public_metadata", public, storedPublic}, {"private_metadata", private, storedPrivate}} {
		if m.patch == nil {
			continue
		}
		merged, err := metadata.Patch(m.field, *m.into, m.patch)
		if err != nil {
			return err
		}
		*m.into = merged
	}
	return nil
}

// change applies fn to the organization while holding it, saves it and
// writes organization.updated.
func (a *Admin) change(ctx context.Context, orgID string, fn func(r Repo, o *Organization, now time.Time) error) (Object, error) {
	var out *Organization
	err := a.s.within(ctx, a.actor(), orgID, PermProfileManage, func(r Repo, acc *Access) error {
		o := *acc.Org
		now := a.s.Clock.Now()
		if err := fn(r, &o, now); err != nil {
			return err
		}
		o.UpdatedAt = now
		if err := r.UpdateOrganization(ctx, &o); err != nil {
			if errors.Is(err, apperr.ErrConflict) {
				return ErrSlugTaken
			}
			return notFound(err)
		}
		out = &o
		return emit(ctx, r, events.OrganizationUpdated, o.ID, a.s.object(&o), now)
	})
	if err != nil {
		return Object{}, err
	}
	return a.s.object(out), nil
}

// SetLogo replaces the organization's logo with the image in data
// (PUT /v1/organizations/{id}/logo), checked and re-encoded as an admin's
// upload is.
func (a *Admin) SetLogo(ctx context.Context, orgID string, data []byte) (Object, error) {
	if _, err := a.s.View(ctx, a.actor(), orgID); err != nil {
		return Object{}, err // an unknown organization first, whatever was sent
	}
	logo, err := CheckLogo(data)
	if err == nil {
		logo, err = a.s.encodeLogo(ctx, logo)
	}
	if err != nil {
		return Object{}, err
	}
	return a.change(ctx, orgID, func(r Repo, o *Organization, now time.Time) error {
		return putLogo(ctx, r, o, logo, false, now)
	})
}

// RemoveLogo removes the organization's logo (DELETE
// /v1/organizations/{id}/logo); an organization without one is answered
// as it is.
func (a *Admin) RemoveLogo(ctx context.Context, orgID string) (Object, error) {
	acc, err := a.s.View(ctx, a.actor(), orgID)
	if err != nil {
		return Object{}, err
	}
	if acc.Org.LogoVersion == 0 {
		return a.s.object(acc.Org), nil
	}
	return a.change(ctx, orgID, func(r Repo, o *Organization, now time.Time) error {
		return putLogo(ctx, r, o, nil, true, now)
	})
}

// Delete removes an organization with its memberships and invitations.
// The password and typed name a person gives are not asked: the secret key
// is the owner's.
func (a *Admin) Delete(ctx context.Context, orgID string) (DeletedObject, error) {
	var out DeletedObject
	err := a.s.within(ctx, a.actor(), orgID, PermProfileDelete, func(r Repo, acc *Access) error {
		out = DeletedObject{Object: "organization", ID: acc.Org.ID, Slug: acc.Org.Slug, Deleted: true}
		return a.s.destroy(ctx, r, acc.Org)
	})
	return out, err
}

// Memberships lists the memberships of an organization that f selects.
func (a *Admin) Memberships(ctx context.Context, orgID string, f MemberFilter) ([]MembershipObject, int, error) {
	if err := checkPage(&f.Limit, &f.Offset); err != nil {
		return nil, 0, err
	}
	if f.OrderBy != "" && strings.TrimLeft(f.OrderBy, "+-") != "created_at" {
		return nil, 0, invalid("order_by", "Order by created_at, with - in front for descending.")
	}
	if len(f.Query) > maxQueryLen {
		return nil, 0, invalid("query", "The query is too long.")
	}
	for field, list := range map[string][]string{"role": f.Roles, "user_id": f.UserIDs} {
		if err := checkList(field, list); err != nil {
			return nil, 0, err
		}
	}
	o, err := a.s.Repo.OrganizationByID(ctx, orgID)
	if err != nil {
		return nil, 0, notFound(err)
	}
	list, total, err := a.s.Repo.ListMemberships(ctx, orgID, f)
	if err != nil {
		return nil, 0, err
	}
	out := make([]MembershipObject, 0, len(list))
	for i := range list {
		out = append(out, a.s.memberObject(&list[i], o))
	}
	return out, total, nil
}

func checkRole(r *Roles, role string) error {
	if !r.Exists(role) {
		return invalid("role", "Give one of the instance's roles, such as "+RoleAdmin+" or "+RoleMember+".")
	}
	return nil
}

// AddMember makes a user a member with role, within the member limit.
func (a *Admin) AddMember(ctx context.Context, orgID, userID, role string) (MembershipObject, error) {
	if err := checkRole(a.s.Roles, role); err != nil {
		return MembershipObject{}, err
	}
	var out MembershipObject
	err := a.s.within(ctx, a.actor(), orgID, PermMembershipsManage, func(r Repo, acc *Access) error {
		if err := a.s.checkRoom(ctx, r, acc.Org); err != nil {
			return err
		}
		now := a.s.Clock.Now()
		m := &Membership{ID: id.New(id.OrgMember), OrgID: orgID, UserID: userID, Role: role, CreatedAt: now, UpdatedAt: now}
		if err := a.addMember(ctx, r, acc.Org, m, "user_id"); err != nil {
			return err
		}
		var err error
		out, err = a.membershipObject(ctx, r, m, acc.Org)
		return err
	})
	return out, err
}

// addMember inserts m for a user who must exist (field names the
// parameter that gave the user) and writes organizationMembership.created.
func (a *Admin) addMember(ctx context.Context, r Repo, o *Organization, m *Membership, field string) error {
	if err := r.LockUser(ctx, m.UserID); errors.Is(err, apperr.ErrNotFound) {
		return apperr.Field(apperr.NotFound, field, "No user with that ID exists.")
	} else if err != nil {
		return err
	}
	if err := r.CreateMembership(ctx, m); err != nil {
		if errors.Is(err, apperr.ErrConflict) {
			return apperr.Field(apperr.Conflict, field, "That user is already a member of the organization.").
				Coded("already_a_member_in_organization")
		}
		return err
	}
	if err := closeSuggestion(ctx, r, o.ID, m.UserID, m.CreatedAt); err != nil {
		return err
	}
	return a.s.emitMembership(ctx, r, events.MembershipCreated, m, o, m.CreatedAt)
}

func (a *Admin) membershipObject(ctx context.Context, r Repo, m *Membership, o *Organization) (MembershipObject, error) {
	u, err := r.UserByID(ctx, m.UserID)
	if err != nil && !errors.Is(err, apperr.ErrNotFound) {
		return MembershipObject{}, err
	}
	return a.s.membershipObject(m, o, u), nil
}

// membershipOf finds userID's membership of orgID; either missing is
// ErrNotFound.
func (a *Admin) membershipOf(ctx context.Context, orgID, userID string) (*Membership, error) {
	m, err := a.s.Repo.MembershipOf(ctx, orgID, userID)
	return m, notFound(err)
}

// MergeMembershipMetadata merges each given object into the membership's
// stored one, deeply; a key set to null is removed
// (PATCH /v1/organizations/{id}/memberships/{user_id}/metadata). It writes
// organizationMembership.updated.
func (a *Admin) MergeMembershipMetadata(ctx context.Context, orgID, userID string, public, private json.RawMessage) (MembershipObject, error) {
	var out MembershipObject
	err := a.s.within(ctx, a.actor(), orgID, PermMembershipsManage, func(r Repo, acc *Access) error {
		m, err := r.MembershipOf(ctx, orgID, userID)
		if err != nil {
			return notFound(err)
		}
		if err := mergeMetadata(&m.PublicMetadata, &m.PrivateMetadata, public, private); err != nil {
			return err
		}
		now := a.s.Clock.Now()
		m.UpdatedAt = now
		if err := r.UpdateMembershipMetadata(ctx, m); err != nil {
			return notFound(err)
		}
		if err := a.s.emitMembership(ctx, r, events.MembershipUpdated, m, acc.Org, now); err != nil {
			return err
		}
		out, err = a.membershipObject(ctx, r, m, acc.Org)
		return err
	})
	return out, err
}

// SetRole changes a member's role; the last admin keeps theirs.
func (a *Admin) SetRole(ctx context.Context, orgID, userID, role string) (MembershipObject, error) {
	if err := checkRole(a.s.Roles, role); err != nil {
		return MembershipObject{}, err
	}
	m, err := a.membershipOf(ctx, orgID, userID)
	if err != nil {
		return MembershipObject{}, err
	}
	if err := a.s.ChangeRole(ctx, a.actor(), orgID, m.ID, role); err != nil && !errors.Is(err, ErrRoleUnchanged) {
		return MembershipObject{}, err
	}
	return a.current(ctx, orgID, userID)
}

func (a *Admin) current(ctx context.Context, orgID, userID string) (MembershipObject, error) {
	m, err := a.membershipOf(ctx, orgID, userID)
	if err != nil {
		return MembershipObject{}, err
	}
	o, err := a.s.Repo.OrganizationByID(ctx, orgID)
	if err != nil {
		return MembershipObject{}, notFound(err)
	}
	return a.membershipObject(ctx, a.s.Repo, m, o)
}

// RemoveMember takes a user out of an organization, unless they are its
// last admin, and returns the membership as it was.
func (a *Admin) RemoveMember(ctx context.Context, orgID, userID string) (MembershipObject, error) {
	before, err := a.current(ctx, orgID, userID)
	if err != nil {
		return MembershipObject{}, err
	}
	if err := a.s.RemoveMember(ctx, a.actor(), orgID, before.ID); err != nil {
		return MembershipObject{}, err
	}
	return before, nil
}

// Invitations lists an organization's invitations, newest first.
func (a *Admin) Invitations(ctx context.Context, orgID string, f InvitationFilter) ([]InvitationObject, int, error) {
	if err := checkPage(&f.Limit, &f.Offset); err != nil {
		return nil, 0, err
	}
	for _, st := range f.Statuses {
		if !slices.Contains([]string{Pending, Accepted, Revoked, Expired}, st) {
			return nil, 0, invalid("status", "Give pending, accepted, revoked or expired.")
		}
	}
	if _, err := a.s.Repo.OrganizationByID(ctx, orgID); err != nil {
		return nil, 0, notFound(err)
	}
	f.Now = a.s.Clock.Now()
	list, total, err := a.s.Repo.ListInvitations(ctx, orgID, f)
	if err != nil {
		return nil, 0, err
	}
	out := make([]InvitationObject, 0, len(list))
	for i := range list {
		out = append(out, invitationObject(&list[i], f.Now))
	}
	return out, total, nil
}

// AdminInviteInput is POST /v1/organizations/{id}/invitations.
type AdminInviteInput struct {
	Email                           string
	Role                            string
	RedirectURL                     string // already checked against the allowed origins
	InviterID                       string // a member, or ""
	ExpiresInDays                   int    // 0 = the instance's setting
	PublicMetadata, PrivateMetadata json.RawMessage
}

// Invite invites one address and emails it the link, within the member
// limit, as a person's invitation.
func (a *Admin) Invite(ctx context.Context, orgID string, in AdminInviteInput) (InvitationObject, error) {
	inv, err := in.input()
	if err != nil {
		return InvitationObject{}, err
	}
	list, err := a.s.Invite(ctx, a.actor(), orgID, inv)
	if len(list) == 1 {
		// Stored even when the email could not be sent; the error says so.
		return invitationObject(&list[0], a.s.Clock.Now()), err
	}
	return InvitationObject{}, err
}

// InviteBulk is Invite for up to MaxInvitesAtOnce invitations, each with
// its own address, role, inviter, expiry and metadata, made all together
// or none (Clerk's POST /organizations/{id}/invitations/bulk). As with
// Invite, they are stored before the emails go: when one cannot be sent,
// the invitations and the error are both answered.
func (a *Admin) InviteBulk(ctx context.Context, orgID string, ins []AdminInviteInput) ([]InvitationObject, error) {
	items := make([]InviteInput, len(ins))
	for i, in := range ins {
		var err error
		if items[i], err = in.input(); err != nil {
			return nil, nthInvitation(err, i, len(ins))
		}
	}
	list, err := a.s.InviteEach(ctx, a.actor(), orgID, items)
	now := a.s.Clock.Now()
	out := make([]InvitationObject, len(list))
	for i := range list {
		out[i] = invitationObject(&list[i], now)
	}
	return out, err
}

// input checks in as the Backend API takes it.
func (in AdminInviteInput) input() (InviteInput, error) {
	if in.ExpiresInDays < 0 || in.ExpiresInDays > 365 {
		return InviteInput{}, invalid("expires_in_days", "expires_in_days must be between 1 and 365.")
	}
	if len(ParseEmails(in.Email)) != 1 {
		return InviteInput{}, invalid("email_address", "Give one email address to invite.")
	}
	if in.Role == "" {
		return InviteInput{}, invalid("role", "Give the role the invitation grants.")
	}
	inv := InviteInput{Emails: []string{in.Email}, Role: in.Role, RedirectURL: in.RedirectURL, InviterID: in.InviterID,
		ExpiresIn: time.Duration(in.ExpiresInDays) * 24 * time.Hour}
	var err error
	if in.PublicMetadata != nil {
		if inv.PublicMetadata, err = metadata.Set("public_metadata", in.PublicMetadata); err != nil {
			return InviteInput{}, err
		}
	}
	if in.PrivateMetadata != nil {
		if inv.PrivateMetadata, err = metadata.Set("private_metadata", in.PrivateMetadata); err != nil {
			return InviteInput{}, err
		}
	}
	return inv, nil
}

// Invitation returns one invitation of an organization, in any status.
func (a *Admin) Invitation(ctx context.Context, orgID, invitationID string) (InvitationObject, error) {
	inv, err := a.s.Repo.InvitationByID(ctx, invitationID)
	if errors.Is(err, apperr.ErrNotFound) || err == nil && inv.OrgID != orgID {
		return InvitationObject{}, ErrNotFound
	}
	if err != nil {
		return InvitationObject{}, err
	}
	return invitationObject(inv, a.s.Clock.Now()), nil
}

// Revoke withdraws a pending invitation; its link stops working.
func (a *Admin) Revoke(ctx context.Context, orgID, invitationID string) (InvitationObject, error) {
	if err := a.s.Revoke(ctx, a.actor(), orgID, invitationID); err != nil {
		return InvitationObject{}, err
	}
	return a.Invitation(ctx, orgID, invitationID)
}

// Object is o as the Backend API and webhooks show it.
func (a *Admin) Object(o *Organization) Object { return a.s.object(o) }
