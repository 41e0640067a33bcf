// Package waitlist is Clerk's waiting list: on an instance in waitlist
// mode a person leaves their email address on /waitlist, and the operator
// lets them in through the Backend API (/v1/waitlist_entries) with an
// application invitation (internal/invitation) whose email says they are
// off the list. The operator may also fill the list, whatever the mode.
package waitlist

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/invitation"
	"github.com/portalhq/portal/internal/notify"
	"github.com/portalhq/portal/internal/page"
	"github.com/portalhq/portal/internal/restrict"
	"github.com/portalhq/portal/internal/user"
)

// Statuses, as Clerk names them. Completed is never stored: an invited
// entry whose invitation was accepted (its person signed up) is shown so,
// which keeps the invitation the one record of the sign-up.
const (
	Pending   = "pending"
	Invited   = "invited"
	Rejected  = "rejected"
	Completed = "completed" // shown and filtered only
)

// Statuses are the statuses List filters on, in Clerk's order.
var Statuses = []string{Pending, Invited, Completed, Rejected}

const (
	// DefaultPageSize and MaxPageSize bound List.
	DefaultPageSize = 10
	MaxPageSize     = 500
)

// Entry is one address on the waiting list.
type Entry struct {
	ID           string
	Email        string // normalised; one entry per address
	Status       string // Pending, Invited or Rejected
	InvitationID string // the latest invitation sent from the entry; "" before any
	CreatedAt    time.Time
	UpdatedAt    time.Time
	// Invitation is the invitation InvitationID names, read with the
	// entry; nil when there is none.
	Invitation *invitation.Invitation
}

// Shown is the status as the Backend API reports it: completed once the
// entry's invitation has been accepted.
func (e *Entry) Shown() string {
	if e.Status == Invited && e.Invitation != nil && e.Invitation.Status == invitation.Accepted {
		return Completed
	}
	return e.Status
}

// Object is an entry as the Backend API shows it, with Clerk's names. Its
// invitation has no url: the ticket was only ever in the email.
type Object struct {
	Object       string             `json:"object"`
	ID           string             `json:"id"`
	EmailAddress string             `json:"email_address"`
	Status       string             `json:"status"`
	IsLocked     bool               `json:"is_locked"`
	CreatedAt    int64              `json:"created_at"`
	UpdatedAt    int64              `json:"updated_at"`
	Invitation   *invitation.Object `json:"invitation"`
}

// ToObject converts e as seen at now.
func (e *Entry) ToObject(now time.Time) Object {
	o := Object{Object: "waitlist_entry", ID: e.ID, EmailAddress: e.Email, Status: e.Shown(),
		CreatedAt: e.CreatedAt.UnixMilli(), UpdatedAt: e.UpdatedAt.UnixMilli()}
	if e.Invitation != nil {
		inv := e.Invitation.ToObject(now, "")
		o.Invitation = &inv
	}
	return o
}

// record writes e's webhook event of type typ at now, its data the Backend
// API's object.
func (e *Entry) record(ctx context.Context, w events.Writer, typ string, now time.Time) error {
	ev, err := events.New(typ, e.ID, e.ToObject(now), now)
	if err != nil {
		return err
	}
	return w.InsertEvent(ctx, ev)
}

// Filter selects entries for List.
type Filter struct {
	// Statuses keeps entries shown with any of them (completed
	// included); empty keeps all.
	Statuses []string
	// Query keeps entries whose address contains it, in any case, or
	// whose ID it is.
	Query string
	// OrderBy is created_at or email_address, "-" first for
	// descending, as Clerk's; "" is -created_at.
	OrderBy string
	Limit   int
	Offset  int
}

// OrderColumns are the keys Filter.OrderBy accepts.
var OrderColumns = []string{"created_at", "email_address"}

// Repo is what the service needs of the store: its own entries and, so
// that an invitation is made and linked in one transaction, what the
// invitation service needs.
type Repo interface {
	invitation.Repo
	// CreateWaitlistEntry inserts e; an address on the list already is
	// ErrConflict.
	CreateWaitlistEntry(ctx context.Context, e *Entry) error
	// WaitlistEntryByID and WaitlistEntryByEmail read an entry with its
	// invitation.
	WaitlistEntryByID(ctx context.Context, id string) (*Entry, error)
	WaitlistEntryByEmail(ctx context.Context, email string) (*Entry, error)
	// ListWaitlistEntries returns the entries f selects (limits checked)
	// and how many there are.
	ListWaitlistEntries(ctx context.Context, f Filter) ([]Entry, int, error)
	// UpdateWaitlistEntry saves status, invitation_id and updated_at when
	// the stored status and invitation_id are still fromStatus and
	// fromInvitation; otherwise ErrConflict (ErrNotFound when there is no
	// such entry).
	UpdateWaitlistEntry(ctx context.Context, e *Entry, fromStatus, fromInvitation string) error
	DeleteWaitlistEntry(ctx context.Context, id string) error
}

// Notifier sends the email confirming that an address is on the list.
type Notifier interface {
	SendWaitlistJoined(ctx context.Context, to string) error
}

// Service runs the waiting list.
type Service struct {
	Clock       clockwork.Clock
	Repo        Repo
	InTx        func(ctx context.Context, fn func(Repo) error) error
	Invitations *invitation.Service // makes, sends and revokes the invitations
	Notifier    Notifier            // nil sends no confirmation
	// Restrict refuses, on the page, the addresses sign-up refuses (the
	// blocklist, the allowlist, subaddresses); nil: none. The Backend
	// API is the operator's and is not restricted, as for users.
	Restrict *restrict.Rules
	// Later sends a page join's confirmation after the answer, with ctx's
	// values but not its end: only a new address gets one, and a slower
	// answer would tell a visitor the address was new (REQ-RL-05). nil
	// sends it at once (tests).
	Later func(ctx context.Context, fn func(context.Context) error)
}

// Errors a person or the Backend API sees.
var (
	ErrNotFound = apperr.New(apperr.NotFound, "No waitlist entry has that ID.")
	// ErrNotNotified: the entry was added but its confirmation email could
	// not be sent. The entry is kept (it is what was asked for); asking
	// again finds it and sends nothing.
	ErrNotNotified = apperr.New(apperr.Unavailable,
		"The address was added to the waitlist, but the confirmation email couldn't be sent.")
	// ErrNotSent: the invitation email failed, so the invitation was
	// revoked and the entry put back as it was; inviting again works.
	ErrNotSent = apperr.New(apperr.Unavailable,
		"The invitation email couldn't be sent, so the entry was left as it was. Please try again.")
	ErrCompleted = apperr.New(apperr.Conflict, "This person has signed up already: their invitation was accepted.").
			Coded("waitlist_entry_already_completed")
)

// Join puts email on the list from the /waitlist page. Its answer reveals
// nothing about the address: an address with an account or on the list
// already gets no new entry and no email, and the same nil as a new one.
// Only a malformed address, or one sign-up would refuse too (Restrict),
// is an error, on field "email_address". The confirmation email goes to
// a new entry only; when it fails the error is ErrNotNotified and the
// entry is kept, so that the page can answer as always and log it.
func (s *Service) Join(ctx context.Context, email string) error {
	if strings.TrimSpace(email) == "" {
		return apperr.Field(apperr.Invalid, "email_address", "Enter your email address.").T("error.identifier.email")
	}
	addr, err := notify.ValidAddress(email)
	if err != nil {
		return apperr.Field(apperr.Invalid, "email_address", "Enter a valid email address, like name@example.com.").T("error.identifier.email_invalid")
	}
	addr = user.NormalizeEmail(addr)
	if e, err := s.Restrict.CheckNew(ctx, user.Email, addr); err != nil {
		return err
	} else if e != nil {
		return e
	}
	// An allowlist of other kinds only (numbers, usernames) would refuse
	// a sign-up with this address alone, as sign-up's AllowsAny does.
	if ok, err := s.Restrict.AllowsAny(ctx, restrict.Identifier{Kind: user.Email, Value: addr}); err != nil {
		return err
	} else if !ok {
		return restrict.ErrNoneAllowed("email_address")
	}
	created, err := s.add(ctx, addr, false)
	if err != nil || created == nil {
		return err
	}
	if s.Later != nil {
		s.Later(ctx, func(ctx context.Context) error { return s.confirm(ctx, created) })
		return nil
	}
	return s.confirm(ctx, created)
}

// CreateInput is POST /v1/waitlist_entries.
type CreateInput struct {
	Email  string
	Notify bool // email the confirmation to a new entry
}

// Create is the operator's POST /v1/waitlist_entries: an address on the
// list already answers its entry, unchanged, as Clerk's; an address with
// an account is refused. With Notify a new entry is sent the
// confirmation; when that fails the entry is kept and the error is
// ErrNotNotified.
func (s *Service) Create(ctx context.Context, in CreateInput) (*Entry, error) {
	es, err := s.CreateMany(ctx, []CreateInput{in})
	if err != nil {
		return nil, err
	}
	return es[0], nil
}

// MaxBulk is how many entries one CreateMany takes, as Clerk's
// POST /v1/waitlist_entries/bulk.
const MaxBulk = 50

// CreateMany is the operator's POST /v1/waitlist_entries/bulk: Create for
// up to MaxBulk addresses, all or none. A malformed address, one given
// twice or one with an account refuses the lot, naming the entry at
// fault; an address on the list already answers its entry, unchanged.
// The answer is in the order asked. Confirmations go to the new entries
// asked to be notified, after the entries are stored; when any fails the
// entries are kept and the error is ErrNotNotified, so asking again
// answers the same entries and sends nothing.
func (s *Service) CreateMany(ctx context.Context, ins []CreateInput) ([]*Entry, error) {
	if len(ins) == 0 || len(ins) > MaxBulk {
		return nil, apperr.New(apperr.Invalid, fmt.Sprintf("Give between 1 and %d waitlist entries.", MaxBulk))
	}
	addrs := make([]string, len(ins))
	for i, in := range ins {
		addr, err := operatorAddress(in.Email)
		if err != nil {
			return nil, apperr.Nth(err, "Entry", i, len(ins))
		}
		if slices.Contains(addrs[:i], addr) {
			return nil, apperr.Nth(apperr.Field(apperr.Invalid, "email_address",
				addr+" is given twice in this request.").Coded("form_param_duplicate"), "Entry", i, len(ins))
		}
		addrs[i] = addr
	}
	out, created, err := s.addAll(ctx, addrs, true)
	if errors.Is(err, apperr.ErrConflict) { // the same addresses joining elsewhere, twice over
		return nil, apperr.New(apperr.Conflict, "Some of these addresses were added at the same moment by another request. Send the request again.").
			Coded("resource_locked")
	}
	if err != nil {
		return nil, apperr.Nth(err, "Entry", failedAt(err), len(ins))
	}
	var unsent []error
	for i, e := range out {
		if created[i] && ins[i].Notify {
			if err := s.confirm(ctx, e); err != nil {
				unsent = append(unsent, err)
			}
		}
	}
	switch {
	case len(unsent) == 1 && len(ins) == 1:
		return nil, unsent[0]
	case len(unsent) > 0:
		return nil, fmt.Errorf("%w (%w)", apperr.New(apperr.Unavailable, fmt.Sprintf(
			"The addresses were added to the waitlist, but %d of the confirmation emails couldn't be sent.",
			len(unsent))), errors.Join(unsent...))
	}
	return out, nil
}

// operatorAddress checks and normalises an address the Backend API gives.
func operatorAddress(email string) (string, error) {
	addr, err := notify.ValidAddress(email)
	if err != nil {
		return "", apperr.Field(apperr.Invalid, "email_address", "Give an email address like name@example.com.")
	}
	return user.NormalizeEmail(addr), nil
}

// entryError is an error about the i-th address of an addAll.
type entryError struct {
	i   int
	err error
}

func (e *entryError) Error() string { return e.err.Error() }
func (e *entryError) Unwrap() error { return e.err }

// failedAt is the index of the address an addAll error is about; 0 when
// it is about none (a store failure: naming the first changes nothing).
func failedAt(err error) int {
	var ee *entryError
	if errors.As(err, &ee) {
		return ee.i
	}
	return 0
}

// add stores a new pending entry for addr with waitlistEntry.created and
// returns it; nil, without error, when addr is on the list already or,
// unless refuseAccounts, when an account has it.
func (s *Service) add(ctx context.Context, addr string, refuseAccounts bool) (*Entry, error) {
	out, created, err := s.addAll(ctx, []string{addr}, refuseAccounts)
	var ee *entryError
	switch {
	case errors.As(err, &ee):
		return nil, ee.err
	case errors.Is(err, apperr.ErrConflict): // joined elsewhere twice at the same moment: it is on the list
		return nil, nil
	case err != nil:
		return nil, err
	}
	if !created[0] {
		return nil, nil
	}
	return out[0], nil
}

// addAll stores, in one transaction, a new pending entry with
// waitlistEntry.created for each address not on the list already, and
// returns every address's entry with whether it is new. An address an
// account has is refused when refuseAccounts (an *entryError naming it),
// otherwise it gets no entry: its out is nil. When the same address
// joins at the same moment elsewhere (the store's ErrConflict) the
// transaction is run once more, which then finds that entry.
func (s *Service) addAll(ctx context.Context, addrs []string, refuseAccounts bool) (out []*Entry, created []bool, err error) {
	for attempt := 0; ; attempt++ {
		now := s.Clock.Now()
		out, created = make([]*Entry, len(addrs)), make([]bool, len(addrs))
		err = s.InTx(ctx, func(r Repo) error {
			for i, addr := range addrs {
				if _, err := r.UserByIdentifier(ctx, user.Email, addr); err == nil {
					if refuseAccounts {
						return &entryError{i, apperr.Field(apperr.Conflict, "email_address", addr+" already has an account.")}
					}
					continue
				} else if !errors.Is(err, apperr.ErrNotFound) {
					return err
				}
				if e, err := r.WaitlistEntryByEmail(ctx, addr); err == nil {
					out[i] = e
					continue
				} else if !errors.Is(err, apperr.ErrNotFound) {
					return err
				}
				e := &Entry{ID: id.New(id.WaitlistEntry), Email: addr, Status: Pending, CreatedAt: now, UpdatedAt: now}
				if err := r.CreateWaitlistEntry(ctx, e); err != nil {
					return err
				}
				if err := e.record(ctx, r, events.WaitlistEntryCreated, now); err != nil {
					return err
				}
				out[i], created[i] = e, true
			}
			return nil
		})
		if !errors.Is(err, apperr.ErrConflict) || attempt == 1 {
			break
		}
	}
	if err != nil {
		return nil, nil, err
	}
	return out, created, nil
}

func (s *Service) confirm(ctx context.Context, e *Entry) error {
	if s.Notifier == nil {
		return nil
	}
	if err := s.Notifier.SendWaitlistJoined(ctx, e.Email); err != nil {
		return fmt.Errorf("%w (%w)", ErrNotNotified, err)
	}
	return nil
}

// List returns the entries f selects and how many there are.
func (s *Service) List(ctx context.Context, f Filter) ([]Entry, int, error) {
	if err := page.Check(&f.Limit, &f.Offset, DefaultPageSize, MaxPageSize); err != nil {
		return nil, 0, err
	}
	for _, st := range f.Statuses {
		if !slices.Contains(Statuses, st) {
			return nil, 0, apperr.Field(apperr.Invalid, "status", "Give pending, invited, completed or rejected.")
		}
	}
	if f.OrderBy == "" {
		f.OrderBy = "-created_at"
	}
	if !slices.Contains(OrderColumns, strings.TrimLeft(f.OrderBy, "+-")) {
		return nil, 0, apperr.Field(apperr.Invalid, "order_by", "order_by must be created_at or email_address, with - first for descending.")
	}
	return s.Repo.ListWaitlistEntries(ctx, f)
}

// Invite lets an entry in: an application invitation to its address, with
// the waitlist_invitation email, made and linked to the entry in one
// transaction (invitation.created, waitlistEntry.updated), then emailed.
// ignoreExisting invites even when an account or a live invitation has
// the address, as POST /v1/invitations does. A pending, rejected or
// invited entry may be invited (again: a new link); a completed one is
// ErrCompleted. When the email cannot be sent the invitation is revoked,
// the entry put back, and the error is ErrNotSent.
func (s *Service) Invite(ctx context.Context, entryID string, ignoreExisting bool) (*Entry, error) {
	var (
		e, was *Entry
		inv    *invitation.Invitation
		link   string
	)
	err := s.InTx(ctx, func(r Repo) error {
		var err error
		if e, err = load(ctx, r, entryID); err != nil {
			return err
		}
		if e.Shown() == Completed {
			return ErrCompleted
		}
		if inv, link, err = s.Invitations.CreateIn(ctx, r, invitation.CreateInput{Email: e.Email, Notify: true,
			IgnoreExisting: ignoreExisting, TemplateSlug: invitation.TemplateWaitlist}); err != nil {
			return err
		}
		snapshot := *e
		was = &snapshot
		return s.change(ctx, r, e, Invited, inv)
	})
	if err != nil {
		return nil, err
	}
	if err := s.Invitations.Send(ctx, inv, link, invitation.TemplateWaitlist); err != nil {
		if uerr := s.undoInvite(ctx, was, inv); uerr != nil {
			return nil, errors.Join(err, uerr)
		}
		return nil, fmt.Errorf("%w (%w)", ErrNotSent, err)
	}
	return e, nil
}

// undoInvite revokes inv, whose email failed, and puts its entry back as
// it was (was), each with its event. It runs even when the request has
// ended (the send may have failed for that very reason).
func (s *Service) undoInvite(ctx context.Context, was *Entry, inv *invitation.Invitation) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), undoTimeout)
	defer cancel()
	return s.InTx(ctx, func(r Repo) error {
		if err := s.Invitations.RevokeIn(ctx, r, inv); err != nil && !invitation.NotPending(err) {
			return err
		}
		e, err := load(ctx, r, was.ID)
		if errors.Is(err, ErrNotFound) { // deleted meanwhile: nothing to put back
			return nil
		} else if err != nil {
			return err
		}
		if e.InvitationID != inv.ID { // changed meanwhile: leave it
			return nil
		}
		var back *invitation.Invitation
		if was.InvitationID != "" {
			if back, err = r.AppInvitationByID(ctx, was.InvitationID); err != nil {
				return err
			}
		}
		return s.change(ctx, r, e, was.Status, back)
	})
}

// undoTimeout bounds undoing what a failed send left behind.
const undoTimeout = 10 * time.Second

// Reject takes an entry off the running: status rejected, and every
// pending invitation to its address revoked (invitation.revoked), so that
// no link sent to it works. A completed entry is ErrCompleted; rejecting a
// rejected one changes nothing.
func (s *Service) Reject(ctx context.Context, entryID string) (*Entry, error) {
	var e *Entry
	err := s.InTx(ctx, func(r Repo) error {
		var err error
		if e, err = load(ctx, r, entryID); err != nil {
			return err
		}
		switch e.Shown() {
		case Completed:
			return ErrCompleted
		case Rejected:
			return nil
		}
		// Every live link to the address stops working, not only the
		// latest: a re-invitation (ignore_existing) leaves the earlier
		// one pending.
		pending, err := r.PendingAppInvitations(ctx, e.Email)
		if err != nil {
			return err
		}
		for i := range pending {
			if err := s.Invitations.RevokeIn(ctx, r, &pending[i]); err != nil && !invitation.NotPending(err) {
				return err
			}
		}
		inv := e.Invitation
		if inv != nil {
			if inv, err = r.AppInvitationByID(ctx, inv.ID); err != nil {
				return err
			}
		}
		return s.change(ctx, r, e, Rejected, inv)
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

// Delete takes an entry off the list. An invitation sent from it stays as
// it is (revoke it through /v1/invitations); Clerk has no event for this.
func (s *Service) Delete(ctx context.Context, entryID string) error {
	err := s.Repo.DeleteWaitlistEntry(ctx, entryID)
	if errors.Is(err, apperr.ErrNotFound) {
		return ErrNotFound
	}
	return err
}

// load reads an entry by ID within r; unknown is ErrNotFound.
func load(ctx context.Context, r Repo, entryID string) (*Entry, error) {
	e, err := r.WaitlistEntryByID(ctx, entryID)
	if errors.Is(err, apperr.ErrNotFound) {
		return nil, ErrNotFound
	}
	return e, err
}

// change saves e with status and linked to inv (nil: none) as long as no
// one changed it since it was read, with waitlistEntry.updated; a lost
// race is a conflict to try again.
func (s *Service) change(ctx context.Context, r Repo, e *Entry, status string, inv *invitation.Invitation) error {
	now := s.Clock.Now()
	from, fromInv := e.Status, e.InvitationID
	e.Status, e.UpdatedAt, e.Invitation, e.InvitationID = status, now, inv, ""
	if inv != nil {
		e.InvitationID = inv.ID
	}
	if err := r.UpdateWaitlistEntry(ctx, e, from, fromInv); errors.Is(err, apperr.ErrConflict) {
		return apperr.New(apperr.Conflict, "The entry changed at the same moment. Please try again.").Coded("resource_locked")
	} else if errors.Is(err, apperr.ErrNotFound) {
		return ErrNotFound
	} else if err != nil {
		return err
	}
	return e.record(ctx, r, events.WaitlistEntryUpdated, now)
}
