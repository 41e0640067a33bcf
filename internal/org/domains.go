package org

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"time"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/notify"
	"github.com/portalhq/portal/internal/user"
)

// Verified domains, as Clerk has them: an organization names an email
// domain it owns and proves it by a code sent to an address there
// (affiliation). Once verified, its enrollment mode says what people with
// a verified address at that domain get: nothing (manual_invitation), a
// pending invitation with the member role (automatic_invitation), or a
// suggestion to ask to join, which an admin answers
// (automatic_suggestion, suggestions.go). They see either on
// /switch-organization and are not emailed.

// Enrollment modes, as Clerk names them.
const (
	ManualInvitation    = "manual_invitation"
	AutomaticInvitation = "automatic_invitation"
	AutomaticSuggestion = "automatic_suggestion"
)

// DomainPrefix is the ID prefix of a verified domain (Clerk's orgdmn_).
const DomainPrefix = "orgdmn"

// MaxDomains bounds the domains of one organization.
const MaxDomains = 50

// domainCode is the verification strategy of a domain's code: the code
// machinery of sign-in and sign-up (flow.Codes: kept as a keyed hash, 10
// minutes, 5 attempts, 30 s between sends, the send caps), with the
// domain's ID as its flow.
const domainCode = flow.EmailCode

// Domain is an email domain an organization claims.
type Domain struct {
	ID             string
	OrgID          string
	Name           string // lower-case ASCII (punycode), e.g. example.com
	EnrollmentMode string
	VerifiedAt     *time.Time // nil until verified
	// AffiliationEmail is the address whose code verified it; "" when it
	// is unverified or was verified through the Backend API.
	AffiliationEmail string
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// Verified reports whether the domain is verified.
func (d *Domain) Verified() bool { return d.VerifiedAt != nil }

// DomainFilter selects an organization's domains.
type DomainFilter struct {
	Verified      *bool
	Modes         []string // none = every mode
	Limit, Offset int
}

// DomainRepo is what verified domains need from the store, besides what
// organizations need.
type DomainRepo interface {
	CreateDomain(ctx context.Context, d *Domain) error // the organization has the name already: ErrConflict
	DomainByID(ctx context.Context, id string) (*Domain, error)
	UpdateDomain(ctx context.Context, d *Domain) error
	DeleteDomain(ctx context.Context, id string) error
	// ListDomains pages through an organization's domains f selects, by
	// name, and returns the total selected.
	ListDomains(ctx context.Context, orgID string, f DomainFilter) ([]Domain, int, error)
	// VerifiedAddressesAt lists the verified email addresses at exactly
	// domain, with their users, by user.
	VerifiedAddressesAt(ctx context.Context, domain string) ([]UserAddress, error)
	// CountPendingInvitationsAt counts an organization's pending
	// invitations to addresses at domain that have not expired at now.
	CountPendingInvitationsAt(ctx context.Context, orgID, domain string, now time.Time) (int, error)
}

// EnrollRepo is what automatic invitations and suggestions need inside the
// transaction of whoever verified an address: sign-up, /user, the domain's
// own changes.
type EnrollRepo interface {
	events.Writer
	// LockName holds a named lock until the transaction ends.
	LockName(ctx context.Context, name string) error
	LockOrganization(ctx context.Context, id string) (*Organization, error)
	// VerifiedDomainsNamed lists the verified domains called name, of
	// every organization, in enrollment mode mode.
	VerifiedDomainsNamed(ctx context.Context, name, mode string) ([]Domain, error)
	MembershipOf(ctx context.Context, orgID, userID string) (*Membership, error)
	CountMembers(ctx context.Context, orgID string) (int, error)
	PendingInvitation(ctx context.Context, orgID, email string) (*Invitation, error)
	ListPendingInvitations(ctx context.Context, orgID string) ([]Invitation, error)
	CreateInvitation(ctx context.Context, inv *Invitation) error
	UpdateInvitation(ctx context.Context, inv *Invitation, from string) error
	// Declined reports whether userID declined an invitation of orgID
	// (RecordDecline) and has not been a member since (CreateMembership
	// answers a decline). orgID's verified domains then offer it to them
	// no more (enrollOne, suggestOne): not when they verify another
	// address there, nor when a domain is set to invite again. The admins
	// can still invite them by hand, and such an invitation stands and is
	// renewed like any other.
	Declined(ctx context.Context, orgID, userID string) (bool, error)
	// LatestSuggestion is the newest suggestion of orgID to userID,
	// whatever its status.
	LatestSuggestion(ctx context.Context, orgID, userID string) (*Suggestion, error)
	CreateSuggestion(ctx context.Context, s *Suggestion) error // an open one exists: ErrConflict
}

// UserAddress is one verified email address of a user.
type UserAddress struct {
	UserID string
	Email  string
}

// Errors of verified domains.
var (
	ErrDomainTaken = apperr.Field(apperr.Conflict, "name",
		"This organization has this domain already.").T("org.error.domain_taken").
		Coded("organization_domain_already_exists_same_organization")
	ErrDomainLimit = apperr.Field(apperr.Conflict, "name",
		fmt.Sprintf("An organization can have at most %d domains. Remove one first.", MaxDomains)).T("org.error.domain_limit", "Count", MaxDomains).
		Coded("organization_domain_quota_exceeded")
	ErrDomainVerified = apperr.New(apperr.Conflict,
		"This domain is verified already.").T("org.error.domain_verified")
	ErrDomainUnverified = apperr.Field(apperr.Invalid, "enrollment_mode",
		"Verify the domain before choosing how people join through it.").T("org.error.domain_unverified")
	ErrEnrollmentMode = apperr.Field(apperr.Invalid, "enrollment_mode",
		"Choose manual_invitation, automatic_invitation or automatic_suggestion.").T("org.error.enrollment_mode")
)

// CleanDomain checks a domain name as typed (example.com, @example.com,
// an internationalised name) and returns it lower-case in ASCII, the form
// email addresses use. It refuses what no organization can own: public
// suffixes (com, co.uk, github.io…) and common free email services.
func CleanDomain(raw string) (string, error) {
	s := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(raw), "@"), ".")
	shown := truncate(strings.TrimSpace(raw), 80)
	if s == "" {
		return "", apperr.Field(apperr.Invalid, "name", "Enter a domain name, like example.com.").T("org.error.domain_required")
	}
	bad := apperr.Field(apperr.Invalid, "name", fmt.Sprintf("%q isn't a domain name like example.com.", shown)).
		T("org.error.domain_invalid", "Domain", shown)
	if len(s) > 253 {
		return "", bad
	}
	a, err := idna.Lookup.ToASCII(s)
	if err != nil || len(a) > 253 {
		return "", bad
	}
	if _, err := netip.ParseAddr(a); err == nil {
		return "", bad
	}
	labels := strings.Split(a, ".")
	if len(labels) < 2 {
		return "", bad
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return "", bad
		}
		for i := 0; i < len(l); i++ {
			if c := l[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return "", bad
			}
		}
	}
	if strings.Trim(labels[len(labels)-1], "0123456789") == "" {
		return "", bad
	}
	if suffix, _ := publicsuffix.PublicSuffix(a); suffix == a {
		return "", apperr.Field(apperr.Invalid, "name",
			a+" is shared by many unrelated sites. Enter your organization's own domain, like example.com.").T("org.error.domain_public_suffix", "Domain", a)
	}
	if IsFreeMail(a) {
		return "", apperr.Field(apperr.Invalid, "name",
			a+" is a free email service anyone can sign up with, so it can't stand for an organization. Enter your organization's own domain.").T("org.error.domain_free_mail", "Domain", a)
	}
	return a, nil
}

// domainOf is the domain of an address.
func domainOf(email string) string {
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return ""
	}
	return strings.ToLower(email[at+1:])
}

// domainLock is the named lock taken before the organization's when a
// domain's people are looked at or one of them verifies an address there:
// a domain verified while someone signs up at it gives them the invitation
// one way or the other, never neither.
func domainLock(name string) string { return "org-domain:" + name }

func checkMode(mode string) error {
	switch mode {
	case ManualInvitation, AutomaticInvitation, AutomaticSuggestion:
		return nil
	}
	return ErrEnrollmentMode
}

// suggesting reports whether d suggests its organization now.
func (d *Domain) suggesting() bool { return d.Verified() && d.EnrollmentMode == AutomaticSuggestion }

// DomainState is a domain as its page shows it.
type DomainState struct {
	Domain
	// CodeSentTo is the address the code that can be entered now was sent
	// to; "" when there is none.
	CodeSentTo         string
	PendingInvitations int
	PendingSuggestions int // suggestions made through it not yet asked for
}

// Domains lists an organization's domains, by name; it needs
// org:sys_domains:read.
func (s *Service) Domains(ctx context.Context, actor Actor, orgID string) ([]Domain, error) {
	if _, err := s.Require(ctx, actor, orgID, PermDomainsRead); err != nil {
		return nil, err
	}
	list, _, err := s.Repo.ListDomains(ctx, orgID, DomainFilter{Limit: MaxDomains})
	return list, err
}

// DomainPage returns a domain of the organization with what its page
// shows; it needs org:sys_domains:manage.
func (s *Service) DomainPage(ctx context.Context, actor Actor, orgID, domainID string) (*Access, *DomainState, error) {
	a, err := s.Require(ctx, actor, orgID, PermDomainsManage)
	if err != nil {
		return nil, nil, err
	}
	d, err := domainIn(ctx, s.Repo, orgID, domainID)
	if err != nil {
		return nil, nil, err
	}
	st := &DomainState{Domain: *d}
	now := s.Clock.Now()
	if !d.Verified() {
		v, err := s.Repo.LatestVerification(ctx, d.ID, domainCode)
		if err != nil {
			return nil, nil, err
		}
		if v != nil && v.ConsumedAt == nil && now.Before(v.ExpireAt) && v.Attempts < flow.MaxAttempts {
			st.CodeSentTo = v.Target
		}
	}
	if st.PendingInvitations, err = s.Repo.CountPendingInvitationsAt(ctx, orgID, d.Name, now); err != nil {
		return nil, nil, err
	}
	if st.PendingSuggestions, err = s.Repo.CountPendingSuggestionsAt(ctx, orgID, d.Name); err != nil {
		return nil, nil, err
	}
	return a, st, nil
}

// domainIn reads a domain of orgID; another organization's reads as
// missing (REQ-AC-02).
func domainIn(ctx context.Context, r Repo, orgID, domainID string) (*Domain, error) {
	d, err := r.DomainByID(ctx, domainID)
	if errors.Is(err, apperr.ErrNotFound) || err == nil && d.OrgID != orgID {
		return nil, ErrNotFound
	}
	return d, err
}

// withinDomain is within for a change to one domain of the organization.
// The domain's named lock is taken before the organization's, the order
// automatic invitations take them in (Enroll), so the two never wait for
// each other.
func (s *Service) withinDomain(ctx context.Context, actor Actor, orgID, domainID string, fn func(r Repo, a *Access, d *Domain) error) error {
	return s.InTx(ctx, func(r Repo) error {
		before, err := r.DomainByID(ctx, domainID)
		if err == nil && before.OrgID == orgID {
			if err := r.LockName(ctx, domainLock(before.Name)); err != nil {
				return err
			}
		} else if err != nil && !errors.Is(err, apperr.ErrNotFound) {
			return err
		}
		a, err := s.access(ctx, r, actor, orgID, true)
		if err != nil {
			return err
		}
		if !a.Can(PermDomainsManage) {
			return ErrForbidden
		}
		d, err := domainIn(ctx, r, orgID, domainID)
		if err != nil {
			return err
		}
		return fn(r, a, d)
	})
}

// AddDomain adds a domain to the organization, unverified and in
// manual_invitation mode; it needs org:sys_domains:manage. When the actor
// has a verified address there already, that address verifies it at once,
// as Clerk does.
func (s *Service) AddDomain(ctx context.Context, actor Actor, orgID, name string) (*Domain, error) {
	clean, invalidName := CleanDomain(name)
	var out *Domain
	err := s.InTx(ctx, func(r Repo) error {
		if invalidName == nil {
			if err := r.LockName(ctx, domainLock(clean)); err != nil {
				return err
			}
		}
		a, err := s.access(ctx, r, actor, orgID, true)
		if err != nil {
			return err
		}
		// The permission comes first: a refusal must not depend on what was typed.
		if !a.Can(PermDomainsManage) {
			return ErrForbidden
		}
		if invalidName != nil {
			return invalidName
		}
		now := s.Clock.Now()
		d := &Domain{ID: id.New(DomainPrefix), OrgID: orgID, Name: clean, EnrollmentMode: ManualInvitation,
			CreatedAt: now, UpdatedAt: now}
		if u, err := r.UserByID(ctx, actor.UserID); err == nil {
			for _, e := range u.VerifiedEmails() {
				if domainOf(e) == clean {
					d.VerifiedAt, d.AffiliationEmail = &now, e
					break
				}
			}
		} else if !errors.Is(err, apperr.ErrNotFound) {
			return err
		}
		out = d
		return s.createDomain(ctx, r, a.Org, d)
	})
	return out, err
}

func (s *Service) createDomain(ctx context.Context, r Repo, o *Organization, d *Domain) error {
	_, n, err := r.ListDomains(ctx, o.ID, DomainFilter{Limit: 1})
	if err != nil {
		return err
	}
	if n >= MaxDomains {
		return ErrDomainLimit
	}
	if err := r.CreateDomain(ctx, d); err != nil {
		if errors.Is(err, apperr.ErrConflict) {
			return ErrDomainTaken
		}
		return err
	}
	if err := s.emitDomain(ctx, r, events.DomainCreated, d); err != nil {
		return err
	}
	return s.enrollExisting(ctx, r, o, d)
}

// SendDomainCode sends a code to an address at the domain, to verify it;
// it needs org:sys_domains:manage. ip counts towards the send caps.
func (s *Service) SendDomainCode(ctx context.Context, actor Actor, orgID, domainID, email, ip string) error {
	a, st, err := s.DomainPage(ctx, actor, orgID, domainID)
	if err != nil {
		return err
	}
	if st.Verified() {
		return ErrDomainVerified
	}
	elsewhere := apperr.Field(apperr.Invalid, "email_address",
		fmt.Sprintf("Enter an address at %s, like name@%s.", st.Name, st.Name)).T("org.error.domain_email_elsewhere", "Domain", st.Name)
	if strings.TrimSpace(email) == "" {
		return elsewhere
	}
	addr, err := notify.ValidAddress(email)
	if err != nil {
		shown := truncate(strings.TrimSpace(email), 80)
		return apperr.Field(apperr.Invalid, "email_address",
			fmt.Sprintf("%q isn't an email address like name@example.com.", shown)).T("org.error.email_invalid", "Email", shown)
	}
	addr = user.NormalizeEmail(addr)
	if domainOf(addr) != st.Name {
		return elsewhere
	}
	code, err := s.Codes.Issue(ctx, s.Repo, st.ID, domainCode, addr, ip)
	if err != nil {
		if e, ok := apperr.As(err); ok && e.Field == "code" {
			c := *e
			c.Field = "email_address"
			return &c
		}
		return err
	}
	if err := s.Notifier.SendDomainCode(ctx, addr, code, DomainCodeMail{OrgName: a.Org.Name, Domain: st.Name}); err != nil {
		_ = s.Codes.Cancel(ctx, s.Repo, st.ID, domainCode) // unsent: no cooldown, no cap
		return err
	}
	return nil
}

// VerifyDomain checks the code sent to an address at the domain and, when
// it is right, verifies the domain with that address; it needs
// org:sys_domains:manage. A domain in automatic_invitation mode then
// invites the people who have a verified address there.
func (s *Service) VerifyDomain(ctx context.Context, actor Actor, orgID, domainID, code string) (*Domain, error) {
	_, st, err := s.DomainPage(ctx, actor, orgID, domainID)
	if err != nil {
		return nil, err
	}
	if st.Verified() {
		return &st.Domain, nil
	}
	v, err := s.Codes.Check(ctx, s.Repo, st.ID, domainCode, strings.TrimSpace(code))
	if err != nil {
		return nil, err
	}
	var out *Domain
	err = s.withinDomain(ctx, actor, orgID, domainID, func(r Repo, a *Access, d *Domain) error {
		out = d
		if d.Verified() {
			return nil
		}
		before, now := *d, s.Clock.Now()
		d.VerifiedAt, d.AffiliationEmail, d.UpdatedAt = &now, v.Target, now
		return s.saveDomain(ctx, r, a.Org, &before, d)
	})
	return out, err
}

// saveDomain stores d, changed from before, and writes
// organizationDomain.updated. A domain that stopped suggesting withdraws
// the suggestions it made that nobody asked for yet; one that invites or
// suggests now does so to its people.
func (s *Service) saveDomain(ctx context.Context, r Repo, o *Organization, before, d *Domain) error {
	if err := r.UpdateDomain(ctx, d); err != nil {
		return notFound(err)
	}
	if before.suggesting() && !d.suggesting() {
		if _, err := r.WithdrawUncoveredSuggestions(ctx, o.ID, s.Clock.Now()); err != nil {
			return err
		}
	}
	if err := s.emitDomain(ctx, r, events.DomainUpdated, d); err != nil {
		return err
	}
	return s.enrollExisting(ctx, r, o, d)
}

// SetEnrollmentMode chooses what people with a verified address at a
// verified domain get; it needs org:sys_domains:manage. With deletePending
// it also revokes the pending invitations to addresses at the domain and
// withdraws the suggestions nobody asked for yet (Clerk's delete_pending),
// so that a change of mode applies to everyone at once.
func (s *Service) SetEnrollmentMode(ctx context.Context, actor Actor, orgID, domainID, mode string, deletePending bool) (*Domain, error) {
	var out *Domain
	err := s.withinDomain(ctx, actor, orgID, domainID, func(r Repo, a *Access, d *Domain) error {
		out = d
		if err := checkMode(mode); err != nil {
			return err
		}
		if !d.Verified() {
			return ErrDomainUnverified
		}
		if deletePending {
			if err := s.deletePendingAt(ctx, r, d); err != nil {
				return err
			}
		}
		if d.EnrollmentMode == mode {
			return nil
		}
		before := *d
		d.EnrollmentMode, d.UpdatedAt = mode, s.Clock.Now()
		return s.saveDomain(ctx, r, a.Org, &before, d)
	})
	return out, err
}

// deletePendingAt revokes d's organization's live invitations to
// addresses at d, each with its organizationInvitation.revoked, and
// withdraws its suggestions there that nobody asked for. Requests to join
// stay: a person made them.
func (s *Service) deletePendingAt(ctx context.Context, r Repo, d *Domain) error {
	now := s.Clock.Now()
	list, err := r.ListPendingInvitations(ctx, d.OrgID)
	if err != nil {
		return err
	}
	for i := range list {
		inv := &list[i]
		if !inv.Live(now) || domainOf(inv.Email) != d.Name {
			continue
		}
		inv.Status, inv.UpdatedAt = Revoked, now
		if err := r.UpdateInvitation(ctx, inv, Pending); err != nil {
			return err
		}
		if err := emit(ctx, r, events.InvitationRevoked, inv.ID, invitationObject(inv, now), now); err != nil {
			return err
		}
	}
	_, err = r.WithdrawSuggestionsAt(ctx, d.OrgID, d.Name, now)
	return err
}

// RemoveDomain removes a domain from the organization; it needs
// org:sys_domains:manage. Invitations it gave and requests to join made
// through it stay as they are; suggestions nobody asked for are withdrawn.
// One this organization removed already is ErrDomainRemovedAlready.
func (s *Service) RemoveDomain(ctx context.Context, actor Actor, orgID, domainID string) error {
	err := s.withinDomain(ctx, actor, orgID, domainID, func(r Repo, _ *Access, d *Domain) error {
		return s.deleteDomain(ctx, r, d)
	})
	if !errors.Is(err, ErrNotFound) {
		return err
	}
	// Missing, or not the actor's to see: told apart only for a person who
	// manages the organization, and about its own domains.
	return s.within(ctx, actor, orgID, PermDomainsManage, func(r Repo, _ *Access) error {
		return removedAlready(ctx, r, actor, orgID, domainID, ErrDomainRemovedAlready)
	})
}

func (s *Service) deleteDomain(ctx context.Context, r Repo, d *Domain) error {
	if err := r.DeleteDomain(ctx, d.ID); err != nil {
		return notFound(err)
	}
	if err := r.RecordRemoval(ctx, d.OrgID, d.ID, s.Clock.Now()); err != nil {
		return err
	}
	if d.suggesting() {
		if _, err := r.WithdrawUncoveredSuggestions(ctx, d.OrgID, s.Clock.Now()); err != nil {
			return err
		}
	}
	return emit(ctx, r, events.DomainDeleted, d.ID, DeletedDomain{Object: "organization_domain", ID: d.ID, Deleted: true},
		s.Clock.Now())
}

// enrollExisting gives every person with a verified address at d what d's
// mode gives (an automatic invitation, or a suggestion), when d is
// verified. o is held by the caller's transaction r.
func (s *Service) enrollExisting(ctx context.Context, r Repo, o *Organization, d *Domain) error {
	if !d.Verified() || d.EnrollmentMode != AutomaticInvitation && d.EnrollmentMode != AutomaticSuggestion {
		return nil
	}
	if err := r.LockName(ctx, domainLock(d.Name)); err != nil {
		return err
	}
	addrs, err := r.VerifiedAddressesAt(ctx, d.Name)
	if err != nil {
		return err
	}
	byUser := map[string][]string{}
	var order []string
	for _, a := range addrs {
		if _, seen := byUser[a.UserID]; !seen {
			order = append(order, a.UserID)
		}
		byUser[a.UserID] = append(byUser[a.UserID], a.Email)
	}
	give := s.enrollOne
	if d.EnrollmentMode == AutomaticSuggestion {
		give = s.suggestOne
	}
	for _, userID := range order {
		u, err := r.UserByID(ctx, userID)
		if errors.Is(err, apperr.ErrNotFound) {
			continue
		} else if err != nil {
			return err
		}
		if err := give(ctx, r, o, userID, byUser[userID], u.VerifiedEmails()); err != nil {
			return err
		}
	}
	return nil
}

// Enroll gives u what its newly verified addresses emails earn: an
// automatic invitation from each organization that verified the domain of
// one of them in automatic_invitation mode, and a suggestion from each
// that did in automatic_suggestion mode (an organization doing both
// invites), unless u is a member already or has one there. It runs in the
// transaction r of whoever verified the addresses (sign-up, /user, the
// Backend API), after they are stored. Nothing is emailed: the person finds
// them on /switch-organization, as Clerk shows them in its components.
func (s *Service) Enroll(ctx context.Context, r EnrollRepo, u *user.User, emails []string) error {
	var domains []string
	for _, e := range u.VerifiedEmails() {
		if d := domainOf(e); slices.Contains(emails, e) && d != "" && !slices.Contains(domains, d) {
			domains = append(domains, d)
		}
	}
	// Every domain's lock first, in one order, before any organization's:
	// a change to one domain holds its lock and then its organization's,
	// which an address at two of an organization's domains must not cross.
	slices.Sort(domains)
	for _, name := range domains {
		if err := r.LockName(ctx, domainLock(name)); err != nil {
			return err
		}
	}
	// The organizations inviting or suggesting at any of them, each once
	// with every address of u's at its domains, and held in one order.
	addrs := map[string][]string{}
	invites := map[string]bool{}
	for _, name := range domains {
		for _, mode := range []string{AutomaticInvitation, AutomaticSuggestion} {
			list, err := r.VerifiedDomainsNamed(ctx, name, mode)
			if err != nil {
				return err
			}
			for _, d := range list {
				invites[d.OrgID] = invites[d.OrgID] || mode == AutomaticInvitation
				for _, e := range u.VerifiedEmails() {
					if domainOf(e) == name && !slices.Contains(addrs[d.OrgID], e) {
						addrs[d.OrgID] = append(addrs[d.OrgID], e)
					}
				}
			}
		}
	}
	orgIDs := slices.Sorted(maps.Keys(addrs))
	for _, orgID := range orgIDs {
		o, err := r.LockOrganization(ctx, orgID)
		if errors.Is(err, apperr.ErrNotFound) {
			continue
		} else if err != nil {
			return err
		}
		give := s.suggestOne
		if invites[orgID] {
			give = s.enrollOne
		}
		if err := give(ctx, r, o, u.ID, addrs[orgID], u.VerifiedEmails()); err != nil {
			return err
		}
	}
	return nil
}

// offerable reports whether o may offer itself to userID (an automatic
// invitation or a suggestion): not while they are a member or hold a live
// invitation there to any of all (every verified address of theirs). It
// also returns the pending but expired invitation there to first, if any.
// o is held by r.
func offerable(ctx context.Context, r EnrollRepo, o *Organization, userID, first string, all []string, now time.Time) (ok bool, expired *Invitation, err error) {
	if _, err := r.MembershipOf(ctx, o.ID, userID); err == nil {
		return false, nil, nil
	} else if !errors.Is(err, apperr.ErrNotFound) {
		return false, nil, err
	}
	for _, e := range all {
		p, err := r.PendingInvitation(ctx, o.ID, e)
		if errors.Is(err, apperr.ErrNotFound) {
			continue
		} else if err != nil {
			return false, nil, err
		}
		if p.Live(now) {
			return false, nil, nil
		}
		if e == first {
			expired = p
		}
	}
	return true, expired, nil
}

// enrollOne invites userID into o at the first of addrs (their verified
// addresses at o's domains), with the member role, unless they are a
// member, one of all (every verified address of theirs) has a live
// invitation there, they declined one of o's (Declined), or the member limit
// (pending invitations included) leaves no room. o is held by r.
func (s *Service) enrollOne(ctx context.Context, r EnrollRepo, o *Organization, userID string, addrs, all []string) error {
	if len(addrs) == 0 {
		return nil
	}
	now := s.Clock.Now()
	ok, expired, err := offerable(ctx, r, o, userID, addrs[0], all, now)
	if err != nil || !ok {
		return err
	}
	if said, err := r.Declined(ctx, o.ID, userID); err != nil || said {
		return err
	}
	if expired != nil { // set aside for the new one
		expired.Status, expired.UpdatedAt = Expired, now
		if err := r.UpdateInvitation(ctx, expired, Pending); err != nil {
			return err
		}
	}
	if taken, limit, err := s.seatsTaken(ctx, r, o, now); err != nil {
		return err
	} else if limit > 0 && taken >= limit {
		return nil // no room: the organization invites by hand once it has some
	}
	inv := Invitation{ID: id.New(id.OrgInvite), OrgID: o.ID, Email: addrs[0], Role: RoleMember, Status: Pending,
		TicketHash: HashTicket(id.Secret(32)), CreatedAt: now, UpdatedAt: now, ExpireAt: now.Add(s.Policy.InvitationTTL)}
	if err := r.CreateInvitation(ctx, &inv); err != nil {
		return err
	}
	return emit(ctx, r, events.InvitationCreated, inv.ID, invitationObject(&inv, now), now)
}

// An automatic invitation stands as long as its domain invites: Clerk's
// people at such a domain "can join anytime". It is an ordinary pending
// invitation with an expiry (the member limit counts it only while it is
// live, and the Backend API shows that expiry), renewed when it matters
// rather than made to last for ever: one past its expiry, still pending,
// with the member role, to an address at a domain its organization still
// has verified in automatic_invitation mode (standing) is renewed where
// the person's invitations are listed (Waiting, the Backend API's
// UserInvitations), and Join and Decline take it as live. Only a pending
// one is renewed: a declined invitation is revoked (Decline) and stays so,
// as does one an admin revoked, and the person is not offered it again.
// Renewing keeps the invitation, gives it a new period and a new ticket
// (the link of an emailed one that ran out stays dead), and changes
// nothing else; it is still accepted once (REQ-AC-06), under the
// organization's lock.

// standing reports whether inv, past its expiry, still stands (above). r
// should hold inv's organization when inv is about to be used.
func standing(ctx context.Context, r EnrollRepo, inv *Invitation, now time.Time) (bool, error) {
	if inv.Status != Pending || now.Before(inv.ExpireAt) || inv.Role != RoleMember {
		return false, nil
	}
	list, err := r.VerifiedDomainsNamed(ctx, domainOf(inv.Email), AutomaticInvitation)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(list, func(d Domain) bool { return d.OrgID == inv.OrgID }), nil
}

// renewal gives inv a new period and ticket, so that it is live again.
func (s *Service) renewal(inv *Invitation, now time.Time) {
	inv.TicketHash, inv.UpdatedAt, inv.ExpireAt = HashTicket(id.Secret(32)), now, now.Add(s.Policy.InvitationTTL)
}

// renewStanding renews the standing invitations to emails (userID's
// verified addresses), at most one per organization and none from an
// organization they are a member of, hold a live invitation from, or that
// is full (it may invite them again once it has room). Nothing is written
// when nothing stands.
func (s *Service) renewStanding(ctx context.Context, userID string, emails []string) error {
	if len(emails) == 0 {
		return nil
	}
	now := s.Clock.Now()
	list, _, err := s.Repo.InvitationsForUser(ctx, userID, UserInvitationFilter{Emails: emails,
		Statuses: []string{Expired}, Now: now})
	if err != nil {
		return err
	}
	byOrg := map[string][]string{}
	for i := range list {
		ok, err := standing(ctx, s.Repo, &list[i].Invitation, now)
		if err != nil {
			return err
		}
		if ok {
			byOrg[list[i].OrgID] = append(byOrg[list[i].OrgID], list[i].ID)
		}
	}
	if len(byOrg) == 0 {
		return nil
	}
	return s.InTx(ctx, func(r Repo) error {
		for _, orgID := range slices.Sorted(maps.Keys(byOrg)) { // one order of locks
			o, err := r.LockOrganization(ctx, orgID)
			if errors.Is(err, apperr.ErrNotFound) {
				continue
			} else if err != nil {
				return err
			}
			if err := s.renewOne(ctx, r, o, userID, byOrg[orgID], emails); err != nil {
				return err
			}
		}
		return nil
	})
}

// renewOne renews the first of ids (userID's invitations from o, held by
// r) that still stands, unless offerable says o may not offer itself to
// them or o is full.
func (s *Service) renewOne(ctx context.Context, r Repo, o *Organization, userID string, ids, all []string) error {
	now := s.Clock.Now()
	if ok, _, err := offerable(ctx, r, o, userID, "", all, now); err != nil || !ok {
		return err
	}
	for _, invID := range ids {
		inv, err := r.InvitationByID(ctx, invID)
		if err != nil {
			return notFound(err)
		}
		if ok, err := standing(ctx, r, inv, now); err != nil {
			return err
		} else if !ok {
			continue
		}
		if taken, limit, err := s.seatsTaken(ctx, r, o, now); err != nil {
			return err
		} else if limit > 0 && taken >= limit {
			return nil
		}
		s.renewal(inv, now)
		if err := r.UpdateInvitation(ctx, inv, Pending); !errors.Is(err, apperr.ErrConflict) {
			return err
		}
		return nil // answered meanwhile: nothing left to renew
	}
	return nil
}
