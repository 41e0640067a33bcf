package org

import (
	"context"
	"errors"
	"time"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/user"
)

// Suggestions, as Clerk has them: a verified domain in
// automatic_suggestion mode suggests its organization to everyone with a
// verified address there who is not a member, at the moments automatic
// invitations are given (Enroll, enrollExisting). The person sees it on
// /switch-organization and may ask to join ("Request to join"); the
// suggestion then becomes a membership request, which those who manage the
// organization's memberships accept (a membership, in one transaction under
// the organization's lock, within the member limit) or reject. Clerk sends
// no webhook about suggestions or requests, so none is written; accepting
// writes organizationMembership.created as any new member does.

// SuggestionPrefix is the ID prefix of a suggestion (Clerk's objects are
// organization_suggestion and organization_membership_request; Portal
// keeps both in one record, the request being a suggestion asked for).
const SuggestionPrefix = "orgsugg"

// Suggestion statuses.
const (
	Suggested = "pending"   // offered; the person has not asked
	Requested = "requested" // the person asked to join: a membership request
	// Accepted (the person was let in) is the invitations' status too.
	Rejected  = "rejected"  // an admin turned the request down
	Withdrawn = "withdrawn" // the domain stopped suggesting before the person asked
)

// Suggestion is an organization suggested to a person, or, once they asked
// to join, their membership request.
type Suggestion struct {
	ID     string
	OrgID  string
	UserID string
	Email  string // the person's verified address at the domain that suggested it
	Status string
	// RequestedAt is when the person asked to join; nil before.
	RequestedAt *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Open reports whether the suggestion still waits for the person or for
// the organization.
func (s *Suggestion) Open() bool { return s.Status == Suggested || s.Status == Requested }

// UserSuggestion is a suggestion for a person, with its organization.
type UserSuggestion struct {
	Suggestion
	Org Organization
}

// MembershipRequest is a request to join, with the person's public
// details, as the organization's admins see it.
type MembershipRequest struct {
	Suggestion
	FirstName, LastName, Username string
}

// SuggestionRepo is what suggestions need from the store, besides what
// Enroll does (EnrollRepo).
type SuggestionRepo interface {
	SuggestionByID(ctx context.Context, id string) (*Suggestion, error)
	// UpdateSuggestion saves s's status and times if its status is still
	// from; otherwise ErrConflict.
	UpdateSuggestion(ctx context.Context, s *Suggestion, from string) error
	// SuggestionsForUser lists userID's open suggestions made for any of
	// emails, from organizations they are not a member of, oldest first,
	// each with its organization.
	SuggestionsForUser(ctx context.Context, userID string, emails []string) ([]UserSuggestion, error)
	// ListMembershipRequests pages through orgID's requests (suggestions
	// in status requested) of people who are not members and still have
	// the suggestion's address verified, oldest request first, with the
	// total.
	ListMembershipRequests(ctx context.Context, orgID string, limit, offset int) ([]MembershipRequest, int, error)
	// CountPendingSuggestionsAt counts orgID's suggestions not yet asked
	// for, made for addresses at exactly domain, of people who are not
	// members.
	CountPendingSuggestionsAt(ctx context.Context, orgID, domain string) (int, error)
	// WithdrawUncoveredSuggestions withdraws orgID's suggestions not yet
	// asked for of people whom no verified domain of orgID in
	// automatic_suggestion mode suggests it to any more, whatever address
	// each was made for; it returns how many.
	WithdrawUncoveredSuggestions(ctx context.Context, orgID string, at time.Time) (int, error)
	// WithdrawSuggestionsAt withdraws orgID's suggestions not yet asked
	// for that were made for addresses at exactly domain; it returns how
	// many.
	WithdrawSuggestionsAt(ctx context.Context, orgID, domain string, at time.Time) (int, error)
}

// Errors of suggestions.
var (
	ErrSuggestionGone = apperr.New(apperr.Expired,
		"This suggestion can't be used any more. The organization may have stopped suggesting itself, or answered already.").T("org.error.suggestion_gone")
	ErrRequestGone = apperr.New(apperr.Conflict,
		"This request was answered already, or the person no longer has the address it was made for.").T("org.error.request_gone")
)

// Suggestions lists the organizations suggested to the user, as Clerk's
// OrganizationSwitcher shows them: those not yet asked for ("Request to
// join") and those asked for ("Requested"), made for one of the person's
// verified addresses, from organizations they are not a member of.
func (s *Service) Suggestions(ctx context.Context, userID string) ([]UserSuggestion, error) {
	u, err := s.Repo.UserByID(ctx, userID)
	if err != nil {
		return nil, notFound(err)
	}
	emails := u.VerifiedEmails()
	if len(emails) == 0 {
		return nil, nil
	}
	return s.Repo.SuggestionsForUser(ctx, userID, emails)
}

// RequestToJoin asks, for the actor, to join the organization a suggestion
// of theirs names: it becomes a membership request for the organization's
// admins. Asking twice is asking once; a suggestion that is not the
// actor's reads as missing (REQ-AC-02). It returns the organization.
func (s *Service) RequestToJoin(ctx context.Context, actor Actor, suggestionID string) (*Organization, error) {
	var o *Organization
	err := s.InTx(ctx, func(r Repo) error {
		found, err := r.SuggestionByID(ctx, suggestionID)
		if err != nil || found.UserID != actor.UserID {
			return notFound(orMissing(err))
		}
		// Under the organization's lock, as every change to who joins it.
		if o, err = r.LockOrganization(ctx, found.OrgID); err != nil {
			return notFound(err)
		}
		sg, err := r.SuggestionByID(ctx, found.ID)
		if err != nil {
			return notFound(err)
		}
		u, err := r.UserByID(ctx, actor.UserID)
		if err != nil {
			return notFound(err)
		}
		if _, err := r.MembershipOf(ctx, o.ID, u.ID); err == nil {
			return nil // a member already: nothing to ask
		} else if !errors.Is(err, apperr.ErrNotFound) {
			return err
		}
		switch {
		case sg.Status == Requested:
			return nil
		case sg.Status != Suggested || !u.Has(user.Email, sg.Email):
			return ErrSuggestionGone
		}
		now := s.Clock.Now()
		sg.Status, sg.RequestedAt, sg.UpdatedAt = Requested, &now, now
		if err := r.UpdateSuggestion(ctx, sg, Suggested); err != nil {
			return goneSuggestion(err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return o, nil
}

// RequestPage is one page of an organization's membership requests.
type RequestPage struct {
	Requests []MembershipRequest
	Total    int
	Page     int // 1-based
	PerPage  int
}

// Pages is the number of pages; at least 1.
func (p RequestPage) Pages() int { return MemberPage{Total: p.Total, PerPage: p.PerPage}.Pages() }

// MembershipRequests lists the organization's requests to join, oldest
// first, page by page; it needs org:sys_memberships:manage.
func (s *Service) MembershipRequests(ctx context.Context, actor Actor, orgID string, page int) (*Access, RequestPage, error) {
	a, err := s.Require(ctx, actor, orgID, PermMembershipsManage)
	if err != nil {
		return nil, RequestPage{}, err
	}
	page = min(max(page, 1), MaxPage)
	list, total, err := s.Repo.ListMembershipRequests(ctx, orgID, PerPage, (page-1)*PerPage)
	if err != nil {
		return nil, RequestPage{}, err
	}
	return a, RequestPage{Requests: list, Total: total, Page: page, PerPage: PerPage}, nil
}

// TakesRequests reports whether the organization's profile shows its
// requests: to those who may answer them, while it has a verified domain
// that suggests it or requests are waiting. It returns how many wait.
func (s *Service) TakesRequests(ctx context.Context, a *Access) (bool, int, error) {
	if !a.Can(PermMembershipsManage) {
		return false, 0, nil
	}
	_, waiting, err := s.Repo.ListMembershipRequests(ctx, a.Org.ID, 0, 0)
	if err != nil || waiting > 0 {
		return waiting > 0, waiting, err
	}
	yes := true
	_, n, err := s.Repo.ListDomains(ctx, a.Org.ID, DomainFilter{Verified: &yes, Modes: []string{AutomaticSuggestion}, Limit: 0})
	return n > 0, 0, err
}

// AcceptRequest lets the person who asked in, with the member role (the
// role automatic invitations give): in one transaction that holds the
// organization, within the member limit, writing
// organizationMembership.created. It needs org:sys_memberships:manage and
// a role that may give the member role (Access.CanGrant); a request of
// another organization reads as missing (REQ-AC-02).
func (s *Service) AcceptRequest(ctx context.Context, actor Actor, orgID, requestID string) error {
	return s.answerRequest(ctx, actor, orgID, requestID, Accepted, func(r Repo, a *Access, sg *Suggestion, now time.Time) error {
		// The request's status change goes back with this transaction.
		if !a.CanGrant(RoleMember) {
			return ErrRequestAbove
		}
		o := a.Org
		if _, err := r.MembershipOf(ctx, o.ID, sg.UserID); errors.Is(err, apperr.ErrNotFound) {
			if err := s.checkRoom(ctx, r, o); err != nil {
				return err
			}
			if _, err := s.newMember(ctx, r, o, sg.UserID, RoleMember, now); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
		return nil
	})
}

// RejectRequest turns a request down; the organization suggests itself to
// that person no more (it may still invite them). It needs
// org:sys_memberships:manage.
func (s *Service) RejectRequest(ctx context.Context, actor Actor, orgID, requestID string) error {
	return s.answerRequest(ctx, actor, orgID, requestID, Rejected, nil)
}

// answerRequest runs answer on a request of orgID, under the
// organization's lock once the actor's role is checked there, and saves
// the status answer sets.
// answerRequest gives request requestID of orgID the status answer and
// then, in the same transaction, runs then (nil: nothing more): the
// request is closed first, so that what then does (a membership, which
// closes the person's open suggestion) finds it answered.
func (s *Service) answerRequest(ctx context.Context, actor Actor, orgID, requestID, answer string,
	then func(r Repo, a *Access, sg *Suggestion, now time.Time) error) error {
	return s.within(ctx, actor, orgID, PermMembershipsManage, func(r Repo, a *Access) error {
		sg, err := r.SuggestionByID(ctx, requestID)
		if errors.Is(err, apperr.ErrNotFound) || err == nil && sg.OrgID != orgID {
			return ErrNotFound
		} else if err != nil {
			return err
		}
		if sg.Status != Requested {
			return ErrRequestGone
		}
		// The request stands for the address it was made for: gone with it.
		u, err := r.UserByID(ctx, sg.UserID)
		if errors.Is(err, apperr.ErrNotFound) || err == nil && !u.Has(user.Email, sg.Email) {
			return ErrRequestGone
		} else if err != nil {
			return err
		}
		now := s.Clock.Now()
		sg.Status, sg.UpdatedAt = answer, now
		if err := r.UpdateSuggestion(ctx, sg, Requested); err != nil {
			if errors.Is(err, apperr.ErrConflict) || errors.Is(err, apperr.ErrNotFound) {
				return ErrRequestGone
			}
			return err
		}
		if then == nil {
			return nil
		}
		return then(r, a, sg, now)
	})
}

// suggestOne suggests o to userID through the first of addrs (their
// verified addresses at o's domains), unless they are a member, may join
// through a live invitation to one of all (every verified address of
// theirs), have an open suggestion there, were turned down by it, or
// declined one of its invitations (Declined). o is held by r.
func (s *Service) suggestOne(ctx context.Context, r EnrollRepo, o *Organization, userID string, addrs, all []string) error {
	if len(addrs) == 0 {
		return nil
	}
	now := s.Clock.Now()
	// An invitation is more than a suggestion.
	if ok, _, err := offerable(ctx, r, o, userID, addrs[0], all, now); err != nil || !ok {
		return err
	}
	if said, err := r.Declined(ctx, o.ID, userID); err != nil || said {
		return err
	}
	last, err := r.LatestSuggestion(ctx, o.ID, userID)
	if err == nil && (last.Open() || last.Status == Rejected) {
		return nil
	} else if err != nil && !errors.Is(err, apperr.ErrNotFound) {
		return err
	}
	return r.CreateSuggestion(ctx, &Suggestion{ID: id.New(SuggestionPrefix), OrgID: o.ID, UserID: userID, Email: addrs[0],
		Status: Suggested, CreatedAt: now, UpdatedAt: now})
}

func goneSuggestion(err error) error {
	if errors.Is(err, apperr.ErrConflict) || errors.Is(err, apperr.ErrNotFound) {
		return ErrSuggestionGone
	}
	return err
}

// orMissing is err, or ErrNotFound when there is none (the object was
// found but is not the caller's).
func orMissing(err error) error {
	if err == nil {
		return apperr.ErrNotFound
	}
	return err
}

// closeSuggestion marks userID's open suggestion or request of orgID
// accepted, in the transaction that makes them a member whichever way (an
// invitation, the Backend API, the request itself): an open one left
// behind would come back, request and all, should they ever be removed.
func closeSuggestion(ctx context.Context, r Repo, orgID, userID string, now time.Time) error {
	sg, err := r.LatestSuggestion(ctx, orgID, userID)
	if errors.Is(err, apperr.ErrNotFound) {
		return nil
	}
	if err != nil || !sg.Open() {
		return err
	}
	from := sg.Status
	sg.Status, sg.UpdatedAt = Accepted, now
	if err := r.UpdateSuggestion(ctx, sg, from); err != nil && !errors.Is(err, apperr.ErrConflict) {
		return err
	}
	return nil
}
