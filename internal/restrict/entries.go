package restrict

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/invitation"
	"github.com/portalhq/portal/internal/page"
	"github.com/portalhq/portal/internal/user"
)

// The lists the operator manages at run time, Clerk's
// /v1/allowlist_identifiers and /v1/blocklist_identifiers. Their entries
// are parsed as the configured ones are and count together with them
// (Rules.Stored) as soon as they are stored.

// The two lists.
const (
	Allowlist = "allowlist"
	Blocklist = "blocklist"
)

const (
	// DefaultPageSize and MaxPageSize bound List. Clerk's lists take no
	// limit from its Go SDK, which asks for the first page only: the
	// default is the largest page.
	DefaultPageSize = 500
	MaxPageSize     = 500
)

// Stored is an entry added through the Backend API.
type Stored struct {
	ID   string
	List string // Allowlist or Blocklist
	Entry
	// InvitationID is the application invitation sent when the entry was
	// added with notify; "" without one.
	InvitationID string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Object is an entry as the Backend API shows it, with Clerk's names
// (object allowlist_identifier or blocklist_identifier).
type Object struct {
	Object         string  `json:"object"`
	ID             string  `json:"id"`
	Identifier     string  `json:"identifier"`
	IdentifierType string  `json:"identifier_type"`
	InvitationID   *string `json:"invitation_id,omitempty"`
	CreatedAt      int64   `json:"created_at"`
	UpdatedAt      int64   `json:"updated_at"`
}

// ToObject converts e.
func (e *Stored) ToObject() Object {
	o := Object{Object: ObjectName(e.List), ID: e.ID, Identifier: e.Identifier, IdentifierType: e.Type,
		CreatedAt: e.CreatedAt.UnixMilli(), UpdatedAt: e.UpdatedAt.UnixMilli()}
	if e.InvitationID != "" {
		inv := e.InvitationID
		o.InvitationID = &inv
	}
	return o
}

// ObjectName is the Backend API's object name of list's entries.
func ObjectName(list string) string {
	if list == Allowlist {
		return "allowlist_identifier"
	}
	return "blocklist_identifier"
}

// Repo is what the service needs of the store: its entries and, for
// notify, what the invitation service needs, in the same transaction.
type Repo interface {
	invitation.Repo
	// CreateRestriction stores e with its keys; a key already on e.List
	// is ErrConflict.
	CreateRestriction(ctx context.Context, e *Stored) error
	// RestrictionHolding returns the entry of list holding any of keys;
	// ErrNotFound when there is none.
	RestrictionHolding(ctx context.Context, list string, keys []Key) (*Stored, error)
	// ListRestrictions returns a page of list's entries, newest first, and
	// how many there are.
	ListRestrictions(ctx context.Context, list string, limit, offset int) ([]Stored, int, error)
	// DeleteRestriction deletes list's entry id with its keys; ErrNotFound
	// when list has no such entry.
	DeleteRestriction(ctx context.Context, list, id string) error
}

// Service adds, lists and removes the stored entries.
type Service struct {
	Clock clockwork.Clock
	Repo  Repo
	InTx  func(ctx context.Context, fn func(Repo) error) error
	// Invitations makes and sends the invitation notify asks for.
	Invitations *invitation.Service
	// Region reads national phone numbers, as for the configured lists.
	Region string
	// Configured are the lists from the configuration, which an entry
	// may not repeat; nil: none.
	Configured *Rules
}

// Errors the Backend API answers.
var (
	ErrNotFound = apperr.New(apperr.NotFound, "No entry of this list has that ID.")
	// ErrMissing: no identifier was given.
	ErrMissing = apperr.Field(apperr.Invalid, "identifier",
		"Give the identifier to add: an email address, *@domain, phone number or username.")
	// ErrNotSent: the invitation email failed, so neither the entry nor
	// the invitation was kept; asking again works.
	ErrNotSent = apperr.New(apperr.Unavailable,
		"The invitation email couldn't be sent, so the identifier was not added. Please try again.")
)

// onTheList is the Backend API's code for an identifier a list holds
// already: Clerk's 400 duplicate_record ("Duplicate Allowlist Identifier",
// "Duplicate Blocklist Identifier" in its errors index), not the
// form_identifier_exists of a taken user identifier.
const onTheList = "duplicate_record"

// Add puts raw on list, parsed and normalised as a configured entry
// (ParseEntry). An identifier the list holds already, configured or
// stored, is refused (Conflict, naming it). With notify an email address
// on the allowlist is sent an application invitation (Clerk's notify),
// made in the same transaction and linked as InvitationID; the
// invitation's own rules apply (an address with an account or a pending
// invitation is refused). Portal invites by email only, so notify with a
// phone number is refused; a domain or a username has no one to invite
// and notify leaves it alone. When the email cannot be sent nothing is
// kept and the error is ErrNotSent. Adding writes no event (Clerk has
// none for these lists), but the invitation's invitation.created.
func (s *Service) Add(ctx context.Context, list, raw string, notify bool) (*Stored, error) {
	if raw == "" {
		return nil, ErrMissing
	}
	e, err := ParseEntry(raw, s.Region)
	if err != nil {
		return nil, apperr.Field(apperr.Invalid, "identifier", capitalize(err.Error())+".")
	}
	if notify && list == Allowlist && e.Type == user.Phone {
		return nil, apperr.Field(apperr.Invalid, "notify",
			"Portal sends invitations by email only: add a phone number with notify set to false.")
	}
	invite := notify && list == Allowlist && e.Keys[0].Kind == user.Email
	if s.configured(list, e.Keys) {
		setting := map[string]string{Allowlist: "PORTAL_ALLOWLIST", Blocklist: "PORTAL_BLOCKLIST"}[list]
		return nil, apperr.Field(apperr.Conflict, "identifier",
			fmt.Sprintf("%s is on the %s already, through %s.", e.Identifier, list, setting)).Coded(onTheList)
	}
	now := s.Clock.Now()
	st := &Stored{ID: id.New(prefix(list)), List: list, Entry: e, CreatedAt: now, UpdatedAt: now}
	var (
		inv  *invitation.Invitation
		link string
	)
	err = s.InTx(ctx, func(r Repo) error {
		switch held, err := r.RestrictionHolding(ctx, list, e.Keys); {
		case err == nil:
			return apperr.Field(apperr.Conflict, "identifier",
				fmt.Sprintf("%s is on the %s already (%s).", e.Identifier, list, held.ID)).Coded(onTheList)
		case !errors.Is(err, apperr.ErrNotFound):
			return err
		}
		if invite {
			var err error
			inv, link, err = s.Invitations.CreateIn(ctx, r, invitation.CreateInput{Email: e.Identifier, Notify: true})
			if err != nil {
				return onIdentifier(err)
			}
			st.InvitationID = inv.ID
		}
		if err := r.CreateRestriction(ctx, st); errors.Is(err, apperr.ErrConflict) {
			// Added elsewhere at the same moment.
			return apperr.Field(apperr.Conflict, "identifier", fmt.Sprintf("%s is on the %s already.", e.Identifier, list)).Coded(onTheList)
		} else if err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if inv != nil {
		if err := s.Invitations.Send(ctx, inv, link, invitation.TemplateInvitation); err != nil {
			if uerr := s.undo(ctx, st, inv); uerr != nil {
				return nil, errors.Join(err, uerr)
			}
			return nil, fmt.Errorf("%w (%w)", ErrNotSent, err)
		}
	}
	return st, nil
}

// configured reports whether the configured list holds any of keys.
func (s *Service) configured(list string, keys []Key) bool {
	if s.Configured == nil {
		return false
	}
	l := s.Configured.Allow
	if list == Blocklist {
		l = s.Configured.Block
	}
	for _, k := range keys {
		if l.Has(k) {
			return true
		}
	}
	return false
}

// undo takes back an entry whose invitation email failed: the invitation
// is revoked and the entry removed, so that asking again is not a
// duplicate. It runs even when the request has ended.
func (s *Service) undo(ctx context.Context, st *Stored, inv *invitation.Invitation) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	return s.InTx(ctx, func(r Repo) error {
		if err := r.DeleteRestriction(ctx, st.List, st.ID); err != nil && !errors.Is(err, apperr.ErrNotFound) {
			return err
		}
		if err := s.Invitations.RevokeIn(ctx, r, inv); err != nil && !invitation.NotPending(err) {
			return err
		}
		return nil
	})
}

// List returns a page of list's entries, newest first, and how many there
// are. Configured entries are not among them: they have no ID and change
// only with the configuration.
func (s *Service) List(ctx context.Context, list string, limit, offset int) ([]Stored, int, error) {
	if err := page.Check(&limit, &offset, DefaultPageSize, MaxPageSize); err != nil {
		return nil, 0, err
	}
	return s.Repo.ListRestrictions(ctx, list, limit, offset)
}

// Delete takes an entry off list; it stops counting at once. An
// invitation sent when it was added stays as it is (revoke it through
// /v1/invitations).
func (s *Service) Delete(ctx context.Context, list, entryID string) error {
	err := s.Repo.DeleteRestriction(ctx, list, entryID)
	if errors.Is(err, apperr.ErrNotFound) {
		return ErrNotFound
	}
	return err
}

func prefix(list string) string {
	if list == Allowlist {
		return id.AllowlistIdentifier
	}
	return id.BlocklistIdentifier
}

// onIdentifier puts an invitation's refusal of its address on the
// identifier parameter, which is where the address came from here.
func onIdentifier(err error) error {
	e, ok := apperr.As(err)
	if !ok || e.Field != "email_address" {
		return err
	}
	c := *e
	c.Field = "identifier"
	return &c
}

func capitalize(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
