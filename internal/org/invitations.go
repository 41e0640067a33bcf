package org

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/notify"
	"github.com/portalhq/portal/internal/user"
)

// Expired marks a pending invitation that ran out and was replaced by a new
// one to the same address.
const Expired = "expired"

// MaxInvitesAtOnce bounds one invitation form.
const MaxInvitesAtOnce = 10

// AcceptPath is the page the invitation link opens.
const AcceptPath = "/accept-invitation"

// HashTicket is what the store keeps of an invitation ticket. The ticket
// has 256 random bits, so a plain hash suffices.
func HashTicket(ticket string) string { return id.HashSecret(ticket) }

// ErrWrongAccount: the invitation was sent to an address this account has
// not verified.
var ErrWrongAccount = apperr.New(apperr.Forbidden,
	"This invitation was sent to another email address. Sign in with the account that has that address.").T("org.error.wrong_account")

// InviteInput is the invitation form.
type InviteInput struct {
	Emails      []string // one or more addresses
	Role        string   // "" = org:member
	RedirectURL string   // already checked against the allowed origins

	// What only the Backend API sets: who the invitation names as the
	// inviter (a member; "" = nobody), how long it lasts (0 = the
	// instance's setting) and its metadata.
	InviterID                       string
	ExpiresIn                       time.Duration
	PublicMetadata, PrivateMetadata json.RawMessage
}

// ParseEmails splits what was typed into addresses: commas, semicolons,
// spaces or new lines between them.
func ParseEmails(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == ';' || r == ' ' || r == '\n' || r == '\r' || r == '\t'
	})
}

// Invite invites each address with a role and emails each its link. It
// needs org:sys_memberships:manage. Invitations count towards the member
// limit while they are pending.
func (s *Service) Invite(ctx context.Context, actor Actor, orgID string, in InviteInput) ([]Invitation, error) {
	emails, err := cleanEmails(in.Emails)
	if err != nil {
		return nil, err
	}
	items := make([]InviteInput, len(emails))
	for i, email := range emails {
		items[i] = in
		items[i].Emails = []string{email}
	}
	return s.invite(ctx, actor, orgID, items, false)
}

// InviteEach is Invite for invitations that differ in more than the
// address (the Backend API's bulk request): each of ins names one address
// and grants its own role, with its own inviter, expiry and metadata. They
// are made together or none is: a refusal names the one at fault ("Invitation
// 2 of 3: …"), and an address given twice is form_param_duplicate.
func (s *Service) InviteEach(ctx context.Context, actor Actor, orgID string, ins []InviteInput) ([]Invitation, error) {
	if len(ins) == 0 || len(ins) > MaxInvitesAtOnce {
		return nil, apperr.New(apperr.Invalid, fmt.Sprintf("Give between 1 and %d invitations.", MaxInvitesAtOnce))
	}
	items := make([]InviteInput, len(ins))
	seen := map[string]bool{}
	for i, in := range ins {
		if len(in.Emails) != 1 || strings.TrimSpace(in.Emails[0]) == "" {
			return nil, nthInvitation(apperr.Field(apperr.Invalid, "email_address", "Give one email address to invite."), i, len(ins))
		}
		emails, err := cleanEmails(in.Emails)
		if err != nil {
			return nil, nthInvitation(err, i, len(ins))
		}
		if seen[emails[0]] {
			return nil, nthInvitation(apperr.Field(apperr.Conflict, "email_address", emails[0]+" is invited twice in this request.").
				Coded("form_param_duplicate"), i, len(ins))
		}
		seen[emails[0]] = true
		items[i] = in
		items[i].Emails = emails
	}
	return s.invite(ctx, actor, orgID, items, true)
}

func nthInvitation(err error, i, n int) error { return apperr.Nth(err, "Invitation", i, n) }

// invite stores items, each with one cleaned address, in one transaction
// with their events, then emails each its link, a few at once (sendAll).
// numbered names the item at fault in a refusal. An email not sent is
// *UnsentError beside the invitations (Invite), or, numbered (the bulk
// request, all or none), the first such send's error naming its item,
// with every invitation of the request withdrawn.
func (s *Service) invite(ctx context.Context, actor Actor, orgID string, items []InviteInput, numbered bool) ([]Invitation, error) {
	nth := func(err error, i int) error {
		if numbered {
			return nthInvitation(err, i, len(items))
		}
		return err
	}
	roles := make([]string, len(items))
	for i, in := range items {
		roles[i] = in.Role
		if roles[i] == "" {
			roles[i] = RoleMember
		}
		if !s.Roles.Exists(roles[i]) {
			return nil, nth(errRoleInvalid, i)
		}
	}
	var (
		out      []Invitation
		tickets  []string
		inviters []string
		orgName  string
	)
	err := s.within(ctx, actor, orgID, PermMembershipsManage, func(r Repo, a *Access) error {
		orgName = a.Org.Name
		for i, role := range roles {
			if !a.CanGrant(role) {
				return nth(ErrRoleAbove, i)
			}
		}
		now := s.Clock.Now()
		members := map[string]bool{}
		for i, in := range items {
			inviter, ttl := actor.UserID, s.Policy.InvitationTTL
			if actor.instance {
				inviter = in.InviterID
				if in.ExpiresIn > 0 {
					ttl = in.ExpiresIn
				}
			}
			if actor.instance && inviter != "" && !members[inviter] {
				if _, err := r.MembershipOf(ctx, orgID, inviter); errors.Is(err, apperr.ErrNotFound) {
					return nth(apperr.Field(apperr.Invalid, "inviter_user_id", "The inviter must be a member of the organization."), i)
				} else if err != nil {
					return err
				}
				members[inviter] = true
			}
			inviters = append(inviters, inviter)
			items[i].InviterID, items[i].ExpiresIn = inviter, ttl
		}
		if taken, limit, err := s.seatsTaken(ctx, r, a.Org, now); err != nil {
			return err
		} else if limit > 0 && taken+len(items) > limit {
			return ErrMemberLimit
		}
		for i, in := range items {
			email := in.Emails[0]
			if err := s.checkInvitable(ctx, r, orgID, email); err != nil {
				return nth(err, i)
			}
			ticket := id.Secret(32)
			inv := Invitation{ID: id.New(id.OrgInvite), OrgID: orgID, Email: email, Role: roles[i], Status: Pending,
				TicketHash: HashTicket(ticket), RedirectURL: in.RedirectURL, InviterID: in.InviterID,
				CreatedAt: now, UpdatedAt: now, ExpireAt: now.Add(in.ExpiresIn),
				PublicMetadata: in.PublicMetadata, PrivateMetadata: in.PrivateMetadata}
			if err := r.CreateInvitation(ctx, &inv); err != nil {
				if errors.Is(err, apperr.ErrConflict) {
					return nth(alreadyInvited(email), i)
				}
				return err
			}
			if err := emit(ctx, r, events.InvitationCreated, inv.ID, invitationObject(&inv, now), now); err != nil {
				return err
			}
			out = append(out, inv)
			tickets = append(tickets, ticket)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	failed := s.sendAll(ctx, out, tickets, inviters, orgName, numbered)
	for i, err := range failed {
		if err == nil {
			continue
		}
		if !numbered {
			var unsent UnsentError
			for j, err := range failed {
				if err != nil {
					unsent.Invitations = append(unsent.Invitations, out[j])
					unsent.errs = append(unsent.errs, err)
				}
			}
			return out, &unsent
		}
		// The Backend API's bulk request is all or none: an invitation
		// not emailed could never be used, and left pending each would
		// refuse the same request sent again. Withdraw them all, and name
		// the first whose email failed, as a refusal names its item.
		err = nthInvitation(err, i, len(out))
		if werr := s.withdraw(ctx, out); werr != nil {
			return nil, errors.Join(err, werr)
		}
		return nil, err
	}
	return out, nil
}

// sendAtOnce bounds the invitation emails one request sends at the same
// time. One after another, ten addresses on a slow mail server (each send
// may take half of PORTAL_WRITE_TIMEOUT) would run past the write timeout;
// four at once fit, without opening so many connections that a mail
// server limiting them per client turns some away.
const sendAtOnce = 4

// sendAll emails each of invs its link (tickets[i], from inviters[i]),
// sendAtOnce at a time, and returns each send's error, nil where it went.
// Sends start in the order given. allOrNone (the bulk request, whose
// invitations are all withdrawn when one email fails) starts no more once
// one has failed, so that as few people as can be get a link that no
// longer works; those not sent are nil too. A panic in a send is raised again here, in the request's
// goroutine, where the last-resort handler answers it as before.
func (s *Service) sendAll(ctx context.Context, invs []Invitation, tickets, inviters []string, orgName string, allOrNone bool) []error {
	from := make([]sender, len(invs))
	senders := map[string]sender{}
	for i := range invs {
		f, ok := senders[inviters[i]]
		if !ok {
			f = s.sender(ctx, inviters[i])
			senders[inviters[i]] = f
		}
		from[i] = f
	}
	errs := make([]error, len(invs))
	var (
		wg       sync.WaitGroup
		slots    = make(chan struct{}, sendAtOnce)
		mu       sync.Mutex
		panicked any
		stop     atomic.Bool // a send failed
	)
	for i := range invs {
		// Slots are taken here, in order, so the sends start in the order
		// given and, for allOrNone, none starts after one has failed.
		slots <- struct{}{}
		if allOrNone && stop.Load() {
			<-slots
			break
		}
		wg.Go(func() {
			defer func() { <-slots }()
			defer func() {
				if r := recover(); r != nil {
					mu.Lock()
					if panicked == nil {
						panicked = fmt.Sprintf("sending invitation %s: %v\n%s", invs[i].ID, r, debug.Stack())
					}
					mu.Unlock()
				}
			}()
			if errs[i] = s.send(ctx, &invs[i], tickets[i], orgName, from[i]); errs[i] != nil {
				stop.Store(true)
			}
		})
	}
	wg.Wait()
	if panicked != nil {
		panic(panicked)
	}
	return errs
}

// UnsentError is Invite's error when invitations were made but the email
// of some could not be sent: Invitations are those, in the order given.
// It is as each send's error is (apperr.Unavailable: "We couldn't send the
// email just now."), so the invitations can be resent in a moment.
type UnsentError struct {
	Invitations []Invitation
	errs        []error
}

// Error names each invitation not emailed (by ID: the log keeps no
// addresses) with its send's error.
func (e *UnsentError) Error() string {
	each := make([]string, len(e.errs))
	for i, err := range e.errs {
		each[i] = e.Invitations[i].ID + ": " + err.Error()
	}
	return "invitation emails not sent: " + strings.Join(each, "; ")
}

// Unwrap gives each send's error, for errors.Is and errors.As (apperr.CodeOf).
func (e *UnsentError) Unwrap() []error { return e.errs }

// withdrawTimeout bounds withdrawing invitations whose emails could not
// all be sent.
const withdrawTimeout = 10 * time.Second

// withdraw revokes invs, just made, whose emails could not all be sent,
// with organizationInvitation.revoked. It runs even when the request has
// ended (the send may have failed for that very reason). One accepted
// meanwhile (its email went out first) is left as it is.
func (s *Service) withdraw(ctx context.Context, invs []Invitation) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), withdrawTimeout)
	defer cancel()
	return s.InTx(ctx, func(r Repo) error {
		now := s.Clock.Now()
		for i := range invs {
			inv := invs[i]
			inv.Status, inv.UpdatedAt = Revoked, now
			if err := r.UpdateInvitation(ctx, &inv, Pending); errors.Is(err, apperr.ErrConflict) {
				continue
			} else if err != nil {
				return err
			}
			if err := emit(ctx, r, events.InvitationRevoked, inv.ID, invitationObject(&inv, now), now); err != nil {
				return err
			}
		}
		return nil
	})
}

func cleanEmails(raw []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, e := range raw {
		if strings.TrimSpace(e) == "" {
			continue
		}
		addr, err := notify.ValidAddress(e)
		if err != nil {
			shown := truncate(strings.TrimSpace(e), 80)
			return nil, apperr.Field(apperr.Invalid, "email_address",
				fmt.Sprintf("%q isn't an email address like name@example.com.", shown)).T("org.error.email_invalid", "Email", shown)
		}
		addr = user.NormalizeEmail(addr)
		if !seen[addr] {
			seen[addr] = true
			out = append(out, addr)
		}
	}
	switch {
	case len(out) == 0:
		return nil, apperr.Field(apperr.Invalid, "email_address", "Enter at least one email address.").T("org.error.emails_none")
	case len(out) > MaxInvitesAtOnce:
		return nil, apperr.Field(apperr.Invalid, "email_address", fmt.Sprintf("Invite at most %d people at once.", MaxInvitesAtOnce)).T("org.error.emails_too_many", "Count", MaxInvitesAtOnce)
	}
	return out, nil
}

// checkInvitable refuses an address that belongs to a member or has a live
// invitation; an expired one is set aside so a new one can be sent.
func (s *Service) checkInvitable(ctx context.Context, r Repo, orgID, email string) error {
	if u, err := r.UserByIdentifier(ctx, user.Email, email); err == nil {
		if _, err := r.MembershipOf(ctx, orgID, u.ID); err == nil {
			return apperr.Field(apperr.Conflict, "email_address", email+" is already a member.").T("org.error.already_member", "Email", email).
				Coded("already_a_member_in_organization")
		} else if !errors.Is(err, apperr.ErrNotFound) {
			return err
		}
	} else if !errors.Is(err, apperr.ErrNotFound) {
		return err
	}
	p, err := r.PendingInvitation(ctx, orgID, email)
	if errors.Is(err, apperr.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if p.Live(s.Clock.Now()) {
		return alreadyInvited(email)
	}
	p.Status, p.UpdatedAt = Expired, s.Clock.Now()
	return r.UpdateInvitation(ctx, p, Pending)
}

// errRoleInvalid refuses a role the instance does not configure (a form
// opened before PORTAL_ORG_ROLES changed, or tampered with).
var errRoleInvalid = apperr.Field(apperr.Invalid, "role", "Choose one of the roles offered.").T("org.error.role_invalid")

func alreadyInvited(email string) error {
	return apperr.Field(apperr.Conflict, "email_address",
		email+" has already been invited. Resend that invitation from the list instead.").T("org.error.already_invited", "Email", email).
		Coded("organization_invitation_not_unique")
}

// Invitations lists the pending invitations; it needs
// org:sys_memberships:manage.
func (s *Service) Invitations(ctx context.Context, actor Actor, orgID string) (*Access, []Invitation, error) {
	a, err := s.Require(ctx, actor, orgID, PermMembershipsManage)
	if err != nil {
		return nil, nil, err
	}
	list, err := s.Repo.ListPendingInvitations(ctx, orgID)
	return a, list, err
}

// Revoke withdraws a pending invitation; its link stops working.
// One of this organization's that is no longer pending says what became
// of it (ErrInvitationRevokedAlready, …) to a person who may manage it and
// to the Backend API (Clerk's organization_invitation_not_pending); one of
// another organization reads as missing (REQ-AC-02).
func (s *Service) Revoke(ctx context.Context, actor Actor, orgID, invitationID string) error {
	return s.within(ctx, actor, orgID, PermMembershipsManage, func(r Repo, a *Access) error {
		inv, err := pendingIn(ctx, r, orgID, invitationID)
		if errors.Is(err, ErrNotFound) {
			return answeredAlready(ctx, r, orgID, invitationID)
		}
		if err != nil {
			return err
		}
		if !a.CanGrant(inv.Role) {
			return ErrInvitationAbove
		}
		now := s.Clock.Now()
		inv.Status, inv.UpdatedAt = Revoked, now
		if err := r.UpdateInvitation(ctx, inv, Pending); err != nil {
			return notFound(conflictAsMissing(err))
		}
		return emit(ctx, r, events.InvitationRevoked, inv.ID, invitationObject(inv, now), now)
	})
}

// Resend emails a pending invitation again with a new link, valid for a
// new period; the old link stops working. One that is no longer pending
// says what became of it, as for Revoke.
func (s *Service) Resend(ctx context.Context, actor Actor, orgID, invitationID string) error {
	var (
		inv     *Invitation
		ticket  = id.Secret(32)
		orgName string
	)
	err := s.within(ctx, actor, orgID, PermMembershipsManage, func(r Repo, a *Access) error {
		var err error
		inv, err = pendingIn(ctx, r, orgID, invitationID)
		if errors.Is(err, ErrNotFound) && !actor.instance {
			return answeredAlready(ctx, r, orgID, invitationID)
		}
		if err != nil {
			return err
		}
		if !a.CanGrant(inv.Role) {
			return ErrInvitationAbove
		}
		orgName = a.Org.Name
		now := s.Clock.Now()
		replaced := inv.TicketHash
		inv.TicketHash, inv.UpdatedAt, inv.ExpireAt = HashTicket(ticket), now, now.Add(s.Policy.InvitationTTL)
		if err := r.UpdateInvitation(ctx, inv, Pending); err != nil {
			return notFound(conflictAsMissing(err))
		}
		// The old link stops working; kept, it can say why (Lookup).
		return r.RecordReplacedTicket(ctx, inv.ID, replaced, now, inv.ExpireAt)
	})
	if err != nil {
		return err
	}
	return s.send(ctx, inv, ticket, orgName, s.sender(ctx, actor.UserID))
}

func pendingIn(ctx context.Context, r Repo, orgID, invitationID string) (*Invitation, error) {
	inv, err := r.InvitationByID(ctx, invitationID)
	if errors.Is(err, apperr.ErrNotFound) || err == nil && (inv.OrgID != orgID || inv.Status != Pending) {
		return nil, ErrNotFound
	}
	return inv, err
}

// answeredAlready is why invitationID, not pending, cannot be revoked: what
// became of it when it is orgID's, else ErrNotFound.
func answeredAlready(ctx context.Context, r Repo, orgID, invitationID string) error {
	inv, err := r.InvitationByID(ctx, invitationID)
	switch {
	case errors.Is(err, apperr.ErrNotFound) || err == nil && inv.OrgID != orgID:
		return ErrNotFound
	case err != nil:
		return err
	}
	switch inv.Status {
	case Revoked:
		return ErrInvitationRevokedAlready
	case Accepted:
		return ErrInvitationAcceptedAlready
	case Expired:
		return ErrInvitationReplacedAlready
	}
	return ErrNotFound
}

func conflictAsMissing(err error) error {
	if errors.Is(err, apperr.ErrConflict) {
		return apperr.ErrNotFound
	}
	return err
}

func (s *Service) send(ctx context.Context, inv *Invitation, ticket, orgName string, from sender) error {
	if s.Notifier == nil {
		return nil
	}
	link := s.BaseURL + AcceptPath + "?" + url.Values{"ticket": {ticket}}.Encode()
	return s.Notifier.SendOrgInvitation(ctx, inv.Email, s.inviteeLocale(ctx, inv.Email), InvitationMail{OrgName: orgName,
		InviterName: from.name, InviterEmail: from.email, URL: link, ExpireAt: inv.ExpireAt})
}

// inviteeLocale is the language of the account that has email, an
// invited address: the invitee reads the invitation, not the inviter. It
// is "" when no account has the address or its user has no locale, and
// when the look-up fails: the language is a courtesy, and an invitation in
// the inviter's language beats none.
func (s *Service) inviteeLocale(ctx context.Context, email string) string {
	u, err := s.Repo.UserByIdentifier(ctx, user.Email, email)
	if err != nil {
		return ""
	}
	return u.Locale
}

// InviterName is who sent inv as its email introduces them: their name,
// or without one on file their verified primary address; "" when nobody
// (the Backend API) or neither.
func (s *Service) InviterName(ctx context.Context, inv *Invitation) string {
	from := s.sender(ctx, inv.InviterID)
	if from.name != "" {
		return from.name
	}
	return from.email
}

// sender is who sent an invitation, as its email names them.
type sender struct {
	name  string // "" when no name is on file
	email string // the primary address once verified, else ""
}

// sender looks up the inviter userID; nobody (the Backend API's invitations) when
// userID is "". Only the primary address is given, and only once
// verified: the email shows it to someone who may trust the invitation
// for it, and an address the portal has not checked is only what the
// inviter typed.
func (s *Service) sender(ctx context.Context, userID string) sender {
	if userID == "" {
		return sender{}
	}
	u, err := s.Repo.UserByID(ctx, userID)
	if err != nil {
		return sender{}
	}
	from := sender{name: u.FullName()}
	for _, i := range u.Identifiers {
		if i.ID == u.PrimaryEmailID && i.Kind == user.Email && i.Verified() {
			from.email = i.Value
		}
	}
	return from
}

// Lookup returns the live invitation a ticket names, with its
// organization. Unknown, expired, revoked and used tickets all read as
// ErrInvitationGone; one that resending replaced, while the newer link
// works, as ErrInvitationResent.
func (s *Service) Lookup(ctx context.Context, ticket string) (*Invitation, *Organization, error) {
	if ticket == "" || len(ticket) > 100 {
		return nil, nil, ErrInvitationGone
	}
	hash := HashTicket(ticket)
	inv, err := s.Repo.InvitationByTicket(ctx, hash)
	if errors.Is(err, apperr.ErrNotFound) {
		return nil, nil, s.replacedTicket(ctx, s.Repo, hash)
	}
	if err != nil || !inv.Live(s.Clock.Now()) {
		return nil, nil, gone(err)
	}
	o, err := s.Repo.OrganizationByID(ctx, inv.OrgID)
	if err != nil {
		return nil, nil, gone(err)
	}
	return inv, o, nil
}

// replacedTicket is why the ticket hashing to hash, which no invitation
// holds, cannot be used: ErrInvitationResent, naming the organization,
// when resending its invitation replaced it and the newer link works; else
// ErrInvitationGone. It tells nothing to whoever lacks a ticket that was
// emailed, and lets nobody in.
func (s *Service) replacedTicket(ctx context.Context, r Repo, hash string) error {
	inv, err := r.InvitationByReplacedTicket(ctx, hash)
	if err != nil {
		return gone(err)
	}
	if inv.Status != Pending || !inv.Live(s.Clock.Now()) {
		return ErrInvitationGone
	}
	o, err := r.OrganizationByID(ctx, inv.OrgID)
	if err != nil {
		return gone(err)
	}
	return invitationResent(o.Name)
}

// invitationResent is ErrInvitationResent naming the organization.
func invitationResent(orgName string) error {
	return &apperr.Error{Code: apperr.Expired, Err: ErrInvitationResent, ID: ErrInvitationResent.ID, Args: []any{"Org", orgName},
		Message: "A newer invitation to " + orgName + " was emailed to you, and only its link works now. Use the link in the most recent invitation email."}
}

func gone(err error) error {
	if err == nil || errors.Is(err, apperr.ErrNotFound) {
		return ErrInvitationGone
	}
	return err
}

// Accept makes the actor a member with the invitation's role and makes the
// organization active. The invitation is used once (REQ-AC-06), only by an
// account that verified the invited address, and only while the member
// limit allows, also when several accept at once.
func (s *Service) Accept(ctx context.Context, actor Actor, ticket string) (*Organization, *Invitation, error) {
	if ticket == "" || len(ticket) > 100 {
		return nil, nil, ErrInvitationGone
	}
	hash := HashTicket(ticket)
	return s.accept(ctx, actor, true, func(r Repo) (*Invitation, error) {
		inv, err := r.InvitationByTicket(ctx, hash)
		if errors.Is(err, apperr.ErrNotFound) {
			return nil, s.replacedTicket(ctx, r, hash)
		}
		if err != nil {
			return nil, gone(err)
		}
		return inv, nil
	}, func(ctx context.Context, r Repo, inv *Invitation, u *user.User, now time.Time) error {
		// Resent meanwhile: the invitation has a new ticket, and the old
		// link is gone.
		if inv.TicketHash != hash {
			return s.replacedTicket(ctx, r, hash)
		}
		if !inv.Live(now) {
			return ErrInvitationGone
		}
		if !u.Has(user.Email, inv.Email) {
			return ErrWrongAccount
		}
		return nil
	})
}

// Join accepts, from the list of the actor's invitations
// (/switch-organization, Clerk's OrganizationList), the invitation sent to
// one of their verified addresses: they become a member with its role, as
// by the emailed link, but the active organization stays as it is. An
// invitation that is not the actor's reads as missing (REQ-AC-02).
func (s *Service) Join(ctx context.Context, actor Actor, invitationID string) (*Organization, error) {
	o, _, err := s.accept(ctx, actor, false, func(r Repo) (*Invitation, error) {
		inv, err := r.InvitationByID(ctx, invitationID)
		return inv, notFound(err)
	}, s.invitee)
	return o, err
}

// invitee passes an invitation sent to one of u's verified addresses that
// can still be accepted, or that ran out but still stands (an automatic
// invitation whose domain still invites: it is renewed as it is
// accepted); someone else's reads as missing. r holds its organization.
func (s *Service) invitee(ctx context.Context, r Repo, inv *Invitation, u *user.User, now time.Time) error {
	if !u.Has(user.Email, inv.Email) {
		return ErrNotFound
	}
	if inv.Live(now) {
		return nil
	}
	if ok, err := standing(ctx, r, inv, now); err != nil {
		return err
	} else if !ok {
		return ErrInvitationGone
	}
	s.renewal(inv, now)
	return nil
}

// accept is what accepting an invitation does, however it was named: find
// reads it, check judges it again under the organization's lock, then the
// actor becomes a member (unless they are one already), the invitation is
// marked accepted, and with activate the organization becomes the
// session's active one. The events are written in the same transaction.
func (s *Service) accept(ctx context.Context, actor Actor, activate bool, find func(r Repo) (*Invitation, error),
	check func(ctx context.Context, r Repo, inv *Invitation, u *user.User, now time.Time) error) (*Organization, *Invitation, error) {
	var (
		o   *Organization
		inv *Invitation
	)
	err := s.InTx(ctx, func(r Repo) error {
		found, err := find(r)
		if err != nil {
			return err
		}
		if o, err = r.LockOrganization(ctx, found.OrgID); err != nil {
			return gone(err)
		}
		// Read again under the lock: another accept may have finished meanwhile.
		if inv, err = r.InvitationByID(ctx, found.ID); err != nil {
			return gone(err)
		}
		now := s.Clock.Now()
		u, err := r.UserByID(ctx, actor.UserID)
		if err != nil {
			return notFound(err)
		}
		existing, err := r.MembershipOf(ctx, o.ID, u.ID)
		if err != nil && !errors.Is(err, apperr.ErrNotFound) {
			return err
		}
		// Answered again: the invitation to one of the actor's addresses is
		// accepted and they are a member. Still single use (REQ-AC-06).
		if inv.Status == Accepted && existing != nil && u.Has(user.Email, inv.Email) {
			return ErrJoinedAlready
		}
		if err := check(ctx, r, inv, u, now); err != nil {
			return err
		}
		if existing == nil {
			if err := s.checkRoom(ctx, r, o); err != nil {
				return err
			}
			if _, err := s.newMember(ctx, r, o, u.ID, inv.Role, now); err != nil {
				return err
			}
		}
		inv.Status, inv.UpdatedAt = Accepted, now
		if err := r.UpdateInvitation(ctx, inv, Pending); err != nil {
			return gone(conflictAsMissing(err))
		}
		if err := emit(ctx, r, events.InvitationAccepted, inv.ID, invitationObject(inv, now), now); err != nil {
			return err
		}
		if !activate || actor.SessionID == "" {
			return nil
		}
		return r.SetSessionActiveOrg(ctx, actor.SessionID, o.ID, now)
	})
	if errors.Is(err, ErrJoinedAlready) {
		return o, inv, err // where the first answer led
	}
	if err != nil {
		return nil, nil, err
	}
	return o, inv, nil
}

// joinable reports whether Join would take inv at now: live, or standing.
func (s *Service) joinable(ctx context.Context, r Repo, inv *Invitation, now time.Time) (bool, error) {
	if inv.Live(now) {
		return true, nil
	}
	return standing(ctx, r, inv, now)
}

// Decline turns down an invitation sent to one of the actor's verified
// addresses. Clerk's invitation knows no "declined" status, so it is
// revoked, as if its organization had withdrawn it, and
// organizationInvitation.revoked is written; the organization may invite
// the address again. Someone else's invitation reads as missing.
func (s *Service) Decline(ctx context.Context, actor Actor, invitationID string) error {
	return s.InTx(ctx, func(r Repo) error {
		found, err := r.InvitationByID(ctx, invitationID)
		if err != nil {
			return notFound(err)
		}
		if _, err := r.LockOrganization(ctx, found.OrgID); err != nil {
			return notFound(err)
		}
		inv, err := r.InvitationByID(ctx, found.ID)
		if err != nil {
			return notFound(err)
		}
		u, err := r.UserByID(ctx, actor.UserID)
		if err != nil {
			return notFound(err)
		}
		if !u.Has(user.Email, inv.Email) {
			return ErrNotFound
		}
		now := s.Clock.Now()
		// Used, revoked or expired: Join refuses it too. An automatic
		// invitation that ran out but still stands is declined for good,
		// or it would be renewed and offered again.
		if live, err := s.joinable(ctx, r, inv, now); err != nil {
			return err
		} else if !live {
			if inv.Status != Accepted {
				return ErrDeclinedAlready
			}
			return ErrInvitationGone
		}
		inv.Status, inv.UpdatedAt = Revoked, now
		if err := r.UpdateInvitation(ctx, inv, Pending); err != nil {
			return gone(conflictAsMissing(err))
		}
		if err := r.RecordDecline(ctx, inv.ID, u.ID, now); err != nil {
			return err
		}
		// The organization's suggestion to them, not yet asked for, goes
		// with it: its domains offer it to them no more (Declined).
		if sg, err := r.LatestSuggestion(ctx, inv.OrgID, u.ID); err == nil && sg.Status == Suggested {
			sg.Status, sg.UpdatedAt = Withdrawn, now
			if err := r.UpdateSuggestion(ctx, sg, Suggested); err != nil && !errors.Is(err, apperr.ErrConflict) {
				return err
			}
		} else if err != nil && !errors.Is(err, apperr.ErrNotFound) {
			return err
		}
		return emit(ctx, r, events.InvitationRevoked, inv.ID, invitationObject(inv, now), now)
	})
}

// Waiting lists the invitations waiting for the user, as Clerk's
// OrganizationSwitcher shows them: those sent to any of their verified
// addresses that can still be accepted, from organizations they are not a
// member of, with each organization. Automatic invitations past their
// expiry whose domain still invites are renewed (renewStanding).
func (s *Service) Waiting(ctx context.Context, userID string) ([]UserInvitation, error) {
	u, err := s.Repo.UserByID(ctx, userID)
	if err != nil {
		return nil, notFound(err)
	}
	emails := u.VerifiedEmails()
	if len(emails) == 0 {
		return nil, nil
	}
	// An automatic invitation that ran out while its domain still invites
	// is renewed first: it waits as long as the domain invites.
	if err := s.renewStanding(ctx, userID, emails); err != nil {
		return nil, err
	}
	list, _, err := s.Repo.InvitationsForUser(ctx, userID, UserInvitationFilter{Emails: emails, Joinable: true, Now: s.Clock.Now()})
	return list, err
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}

// HasAccount reports whether an account owns email, so the invitation link
// can send its holder to sign-in rather than sign-up.
func (s *Service) HasAccount(ctx context.Context, email string) (bool, error) {
	_, err := s.Repo.UserByIdentifier(ctx, user.Email, user.NormalizeEmail(email))
	if errors.Is(err, apperr.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}
