package org

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/avatar"
	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/user"
)

// Notifier sends the invitation email and the codes that verify domains.
type Notifier interface {
	// SendOrgInvitation writes the invitation in locale, the language of
	// the account that has the address to, when it has one; "" keeps the
	// language of the request that sends it (the inviter's).
	SendOrgInvitation(ctx context.Context, to, locale string, m InvitationMail) error
	// SendDomainCode sends the one-time code that verifies a domain.
	SendDomainCode(ctx context.Context, to, code string, m DomainCodeMail) error
}

// DomainCodeMail is what the email with a domain's code says besides the
// code: which organization asked, for which domain — so that someone who
// did not expect it knows what they would be vouching for.
type DomainCodeMail struct {
	OrgName, Domain string
}

// InvitationMail is what an invitation email says.
type InvitationMail struct {
	OrgName     string
	InviterName string // "" when the inviter has no name on file
	// InviterEmail is the inviter's primary address, verified; "" when
	// there is none (or no inviter: the Backend API).
	InviterEmail string
	URL          string // the link with the ticket
	ExpireAt     time.Time
}

// Passwords checks a user's password the way sign-in does: a wrong one, or
// any one for a locked account, fails and counts towards the account's
// lockout (signin.PasswordStrategy, the check account.Service uses too), so
// the organization-deletion prompt is no easier a place to guess passwords
// than the sign-in page (REQ-RL-01, REQ-RL-03).
type Passwords interface {
	Attempt(ctx context.Context, f *flow.Flow, u *user.User, in flow.Input) error
}

// checkPassword checks u's password with Passwords (see there).
func (s *Service) checkPassword(ctx context.Context, u *user.User, password string) error {
	return s.Passwords.Attempt(ctx, nil, u, flow.Input{Password: password})
}

// Service runs organizations.
type Service struct {
	Clock     clockwork.Clock
	Repo      Repo
	InTx      func(ctx context.Context, fn func(Repo) error) error
	Roles     *Roles
	Policy    Policy
	Notifier  Notifier
	Passwords Passwords
	BaseURL   string // invitation links and logo URLs are built from it
	// Codes issues and checks the codes that verify domains.
	Codes *flow.Codes
	// Images re-encodes logos: only pixels the portal encoded are served.
	Images *avatar.Resizer
}

var _ session.OrgResolver = (*Service)(nil)

// Access is what the actor may do in one organization.
type Access struct {
	Org        *Organization
	Membership *Membership // nil for the Backend API, which is no member
	roles      *Roles
	instance   bool
}

// Can reports whether the actor's role grants perm; the Backend API may do
// everything.
func (a *Access) Can(perm string) bool {
	return a.instance || a.roles.Has(a.Membership.Role, perm)
}

// CanGrant reports whether the actor may give role, or change or remove a
// member who holds it: every permission role grants, the actor's own role
// grants too. Without it, a custom role that manages members but holds
// less than an admin could make an accomplice admin, or demote and remove
// the admins above it (REQ-AC-03). A role no longer configured grants
// nothing. An admin, who holds every system permission, gives every role,
// custom permissions included (they are the relying apps'); so does the
// Backend API.
func (a *Access) CanGrant(role string) bool {
	if a.instance || a.Membership.Role == RoleAdmin {
		return true
	}
	own := a.roles.Permissions(a.Membership.Role)
	for _, p := range a.roles.Permissions(role) {
		if !slices.Contains(own, p) {
			return false
		}
	}
	return true
}

// CreateInput is the create-organization form.
type CreateInput struct {
	Name string
	Slug string // "" = derived from the name
	Logo *Logo  // optional, checked with CheckLogo
}

// Create makes an organization whose creator is its first admin, and
// makes it the creator's active organization.
func (s *Service) Create(ctx context.Context, actor Actor, in CreateInput) (*Organization, error) {
	if !s.Policy.CreateEnabled {
		return nil, ErrCreateDisabled
	}
	name, err := CleanName(in.Name)
	if err != nil {
		return nil, err
	}
	slug := strings.ToLower(strings.TrimSpace(in.Slug))
	if slug == "" {
		slug = Slugify(name)
	}
	if err := CheckSlug(slug); err != nil {
		return nil, err
	}
	if in.Logo != nil && s.Policy.CreateLimit > 0 {
		// Decoding is work: not for someone the limit refuses anyway (the
		// transaction checks it again).
		n, err := s.Repo.CountOrganizationsCreatedBy(ctx, actor.UserID)
		if err != nil {
			return nil, err
		}
		if n >= s.Policy.CreateLimit {
			return nil, ErrCreateLimit
		}
	}
	if in.Logo, err = s.encodeLogo(ctx, in.Logo); err != nil {
		return nil, err
	}
	now := s.Clock.Now()
	o := &Organization{ID: id.New(id.Org), Name: name, Slug: slug, CreatedBy: actor.UserID, CreatedAt: now, UpdatedAt: now}
	if in.Logo != nil {
		o.LogoVersion = now.UnixMilli()
	}
	m := &Membership{ID: id.New(id.OrgMember), OrgID: o.ID, UserID: actor.UserID, Role: RoleAdmin, CreatedAt: now, UpdatedAt: now}
	err = s.InTx(ctx, func(r Repo) error {
		// Held so that two creations at once cannot both pass the limit.
		if err := r.LockUser(ctx, actor.UserID); err != nil {
			return notFound(err)
		}
		if s.Policy.CreateLimit > 0 {
			n, err := r.CountOrganizationsCreatedBy(ctx, actor.UserID)
			if err != nil {
				return err
			}
			if n >= s.Policy.CreateLimit {
				return ErrCreateLimit
			}
		}
		if err := r.CreateOrganization(ctx, o); err != nil {
			if errors.Is(err, apperr.ErrConflict) {
				return ErrSlugTaken
			}
			return err
		}
		if in.Logo != nil {
			if err := r.SetOrganizationLogo(ctx, o.ID, in.Logo); err != nil {
				return err
			}
		}
		if err := r.CreateMembership(ctx, m); err != nil {
			return err
		}
		if actor.SessionID != "" {
			if err := r.SetSessionActiveOrg(ctx, actor.SessionID, o.ID, now); err != nil {
				return err
			}
		}
		if err := emit(ctx, r, events.OrganizationCreated, o.ID, s.object(o), now); err != nil {
			return err
		}
		return s.emitMembership(ctx, r, events.MembershipCreated, m, o, now)
	})
	if errors.Is(err, ErrSlugTaken) || errors.Is(err, ErrCreateLimit) { // the first press may have taken the last one
		if same := s.createdJustNow(ctx, actor, name, slug); same != nil {
			return same, nil
		}
	}
	if err != nil {
		return nil, err
	}
	return o, nil
}

// pressedAgain is how soon after creating an organization the same form
// sent again (a double click, the back button) is taken for the same press.
const pressedAgain = time.Minute

// createdJustNow is the organization with slug the actor created with name
// within pressedAgain and still belongs to, nil if none: a form sent twice
// then goes where the first went instead of "This slug is taken".
func (s *Service) createdJustNow(ctx context.Context, actor Actor, name, slug string) *Organization {
	o, err := s.Repo.OrganizationBySlug(ctx, slug)
	if err != nil || o.CreatedBy != actor.UserID || o.Name != name || s.Clock.Since(o.CreatedAt) > pressedAgain {
		return nil
	}
	if _, err := s.Repo.MembershipOf(ctx, o.ID, actor.UserID); err != nil {
		return nil
	}
	return o
}

// CanCreate reports whether the user may create an organization now: the
// instance allows it and they are below its creation limit.
func (s *Service) CanCreate(ctx context.Context, userID string) (bool, error) {
	if !s.Policy.CreateEnabled {
		return false, nil
	}
	if s.Policy.CreateLimit <= 0 {
		return true, nil
	}
	n, err := s.Repo.CountOrganizationsCreatedBy(ctx, userID)
	return n < s.Policy.CreateLimit, err
}

// ForUser lists the user's organizations with their role in each, by name.
func (s *Service) ForUser(ctx context.Context, userID string) ([]UserOrg, error) {
	return s.Repo.OrganizationsOfUser(ctx, userID)
}

// Find returns the organization named by ref, an ID (org_…) or a slug,
// when the user is a member of it.
func (s *Service) Find(ctx context.Context, userID, ref string) (*Organization, error) {
	var (
		o   *Organization
		err error
	)
	if strings.HasPrefix(ref, id.Org+"_") {
		o, err = s.Repo.OrganizationByID(ctx, ref)
	} else {
		o, err = s.Repo.OrganizationBySlug(ctx, strings.ToLower(ref))
	}
	if err != nil {
		return nil, notFound(err)
	}
	if _, err := s.Repo.MembershipOf(ctx, o.ID, userID); err != nil {
		return nil, notFound(err)
	}
	return o, nil
}

// Activate makes the organization named by ref (ID or slug) the actor's
// active one, or ref "" the personal account. It returns the organization,
// nil for the personal account.
func (s *Service) Activate(ctx context.Context, actor Actor, ref string) (*Organization, error) {
	now := s.Clock.Now()
	if ref == "" {
		if !s.Policy.PersonalAccounts {
			return nil, ErrPersonalDisabled
		}
		return nil, s.Repo.SetSessionActiveOrg(ctx, actor.SessionID, "", now)
	}
	o, err := s.Find(ctx, actor.UserID, ref)
	if err != nil {
		return nil, err
	}
	return o, s.Repo.SetSessionActiveOrg(ctx, actor.SessionID, o.ID, now)
}

// View returns what the actor may do in orgID; ErrNotFound unless they are
// a member. Pages use it to show only what the role allows; every change
// checks again inside its own transaction.
func (s *Service) View(ctx context.Context, actor Actor, orgID string) (*Access, error) {
	return s.access(ctx, s.Repo, actor, orgID, false)
}

// Require is View that also demands perm.
func (s *Service) Require(ctx context.Context, actor Actor, orgID, perm string) (*Access, error) {
	a, err := s.View(ctx, actor, orgID)
	if err != nil {
		return nil, err
	}
	if !a.Can(perm) {
		return nil, ErrForbidden
	}
	return a, nil
}

func (s *Service) access(ctx context.Context, r Repo, actor Actor, orgID string, lock bool) (*Access, error) {
	var (
		o   *Organization
		err error
	)
	if lock {
		o, err = r.LockOrganization(ctx, orgID)
	} else {
		o, err = r.OrganizationByID(ctx, orgID)
	}
	if err != nil {
		return nil, notFound(err)
	}
	if actor.instance {
		return &Access{Org: o, roles: s.Roles, instance: true}, nil
	}
	m, err := r.MembershipOf(ctx, orgID, actor.UserID)
	if err != nil {
		return nil, notFound(err)
	}
	return &Access{Org: o, Membership: m, roles: s.Roles}, nil
}

// within runs fn in a transaction that holds the organization, once the
// actor is known to be a member whose role grants perm ("" = any member).
// The check runs after the lock, so a role changed by a concurrent request
// is seen (REQ-AC-04, REQ-AC-06).
func (s *Service) within(ctx context.Context, actor Actor, orgID, perm string, fn func(r Repo, a *Access) error) error {
	return s.InTx(ctx, func(r Repo) error {
		a, err := s.access(ctx, r, actor, orgID, true)
		if err != nil {
			return err
		}
		if perm != "" && !a.Can(perm) {
			return ErrForbidden
		}
		return fn(r, a)
	})
}

// OrgClaims resolves the session token's organization claims; nil when the
// user is no longer a member, so the claims are dropped (REQ-AC-04).
func (s *Service) OrgClaims(ctx context.Context, userID, orgID string) (*session.OrgClaims, error) {
	o, m, err := s.ActiveMembership(ctx, userID, orgID)
	if o == nil || err != nil {
		return nil, err
	}
	return &session.OrgClaims{ID: o.ID, Slug: o.Slug, Role: m.Role, Permissions: s.Roles.Permissions(m.Role)}, nil
}

// ActiveMembership returns the organization a session has active and the
// user's membership of it; nils when the user is no longer a member or the
// organization is gone.
func (s *Service) ActiveMembership(ctx context.Context, userID, orgID string) (*Organization, *Membership, error) {
	m, err := s.Repo.MembershipOf(ctx, orgID, userID)
	if errors.Is(err, apperr.ErrNotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	o, err := s.Repo.OrganizationByID(ctx, orgID)
	if errors.Is(err, apperr.ErrNotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	return o, m, nil
}

// NeedsOrganization reports whether the session must choose an
// organization before going back to the app: personal accounts are off and
// it has no active organization it is still a member of.
func (s *Service) NeedsOrganization(ctx context.Context, sess *session.Session) (bool, error) {
	if s.Policy.PersonalAccounts {
		return false, nil
	}
	if sess.ActiveOrgID == "" {
		return true, nil
	}
	c, err := s.OrgClaims(ctx, sess.UserID, sess.ActiveOrgID)
	return c == nil, err
}

// EnsureOrganization is NeedsOrganization that first tries the
// organization the user last had active in another session, as Clerk
// remembers it: a person who must belong to an organization is asked to
// choose only when none can be restored. It returns the organization made
// active, if any.
func (s *Service) EnsureOrganization(ctx context.Context, sess *session.Session) (restored string, needs bool, err error) {
	if needs, err = s.NeedsOrganization(ctx, sess); !needs || err != nil {
		return "", needs, err
	}
	last, err := s.Repo.LastActiveOrg(ctx, sess.UserID, sess.ID)
	if err != nil || last == "" {
		return "", true, err
	}
	if c, err := s.OrgClaims(ctx, sess.UserID, last); err != nil || c == nil {
		return "", true, err
	}
	if err := s.Repo.SetSessionActiveOrg(ctx, sess.ID, last, s.Clock.Now()); err != nil {
		return "", true, notFound(err)
	}
	return last, false, nil
}

// maxMembers is the member limit of o; 0 = none.
func (s *Service) maxMembers(o *Organization) int {
	if o.MaxMembers > 0 {
		return o.MaxMembers
	}
	return s.Policy.MaxMembers
}

// checkRoom refuses one more member when o is full. o is held by r, so
// several joining at once cannot all pass.
func (s *Service) checkRoom(ctx context.Context, r Repo, o *Organization) error {
	limit := s.maxMembers(o)
	if limit <= 0 {
		return nil
	}
	n, err := r.CountMembers(ctx, o.ID)
	if err != nil {
		return err
	}
	if n >= limit {
		return ErrMemberLimit
	}
	return nil
}

// seatsTaken counts o's members and live pending invitations (each one a
// member to be) against its member limit, which it returns too; limit 0
// means none, and then nothing is counted. o is held by r.
func (s *Service) seatsTaken(ctx context.Context, r EnrollRepo, o *Organization, now time.Time) (taken, limit int, err error) {
	if limit = s.maxMembers(o); limit <= 0 {
		return 0, 0, nil
	}
	if taken, err = r.CountMembers(ctx, o.ID); err != nil {
		return 0, 0, err
	}
	pending, err := r.ListPendingInvitations(ctx, o.ID)
	if err != nil {
		return 0, 0, err
	}
	for _, p := range pending {
		if p.Live(now) {
			taken++
		}
	}
	return taken, limit, nil
}

// newMember makes userID a member of o (held by r) with role and writes
// organizationMembership.created, as joining by an invitation or by an
// accepted request does.
func (s *Service) newMember(ctx context.Context, r Repo, o *Organization, userID, role string, now time.Time) (*Membership, error) {
	if !s.Roles.Exists(role) {
		role = RoleMember
	}
	m := &Membership{ID: id.New(id.OrgMember), OrgID: o.ID, UserID: userID, Role: role, CreatedAt: now, UpdatedAt: now}
	if err := r.CreateMembership(ctx, m); err != nil {
		return nil, err
	}
	if err := closeSuggestion(ctx, r, o.ID, userID, now); err != nil {
		return nil, err
	}
	return m, s.emitMembership(ctx, r, events.MembershipCreated, m, o, now)
}

// keepsManager refuses a change that would leave the organization without
// an admin (Roles.Managers).
func (s *Service) keepsManager(ctx context.Context, r Repo, orgID string, m *Membership) error {
	if !slices.Contains(s.Roles.Managers(), m.Role) {
		return nil
	}
	n, err := r.CountMembersWithRoles(ctx, orgID, s.Roles.Managers())
	if err != nil {
		return err
	}
	if n <= 1 {
		return ErrLastAdmin
	}
	return nil
}

func (s *Service) emitMembership(ctx context.Context, r Repo, typ string, m *Membership, o *Organization, now time.Time) error {
	u, err := r.UserByID(ctx, m.UserID)
	if err != nil && !errors.Is(err, apperr.ErrNotFound) {
		return err
	}
	return emit(ctx, r, typ, m.ID, s.membershipObject(m, o, u), now)
}

func emit(ctx context.Context, r events.Writer, typ, objectID string, obj any, now time.Time) error {
	e, err := events.New(typ, objectID, obj, now)
	if err != nil {
		return err
	}
	return r.InsertEvent(ctx, e)
}

// notFound turns the store's ErrNotFound into the one message a person
// sees for anything missing or not theirs.
func notFound(err error) error {
	if errors.Is(err, apperr.ErrNotFound) {
		return ErrNotFound
	}
	return err
}
