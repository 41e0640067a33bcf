// Package invitation is Clerk's application invitations: the operator
// invites an address through the Backend API, the invitee follows the
// emailed link to sign up (also on a restricted instance), and the new
// account gets the invitation's public metadata. Organization invitations
// are the org package's.
package invitation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/metadata"
	"github.com/portalhq/portal/internal/notify"
	"github.com/portalhq/portal/internal/page"
	"github.com/portalhq/portal/internal/user"
)

// Statuses. A pending invitation past its expiry is shown as expired.
const (
	Pending  = "pending"
	Accepted = "accepted"
	Revoked  = "revoked"
	Expired  = "expired" // shown and filtered only; never stored
)

// AcceptPath is the page the emailed link opens (GET, ?ticket=…).
const AcceptPath = "/invitation"

const (
	// DefaultTTL is how long an invitation lasts unless it says otherwise.
	DefaultTTL = 30 * 24 * time.Hour
	// MaxDays bounds expires_in_days.
	MaxDays = 365
	// DefaultPageSize and MaxPageSize bound List.
	DefaultPageSize = 10
	MaxPageSize     = 500
)

// Invitation is one invitation to sign up. Only the ticket's hash is kept;
// the ticket itself is in the emailed link.
type Invitation struct {
	ID             string
	Email          string // normalised
	PublicMetadata json.RawMessage
	RedirectURL    string // checked against the allowed origins when created
	TicketHash     string
	Status         string
	ExpiresAt      time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
	AcceptedUserID string // "" until accepted
}

// Live reports whether the invitation can still be used at now.
func (i *Invitation) Live(now time.Time) bool { return i.Status == Pending && now.Before(i.ExpiresAt) }

// TakeUp marks i accepted by u at now when it can be — pending, unexpired,
// and u has the invited address verified — and returns u's public metadata
// with i's merged in (checked like any change of it: at most 8 KB). It
// changes i only; the caller stores i (from Pending) and the metadata, in one
// transaction. Service.Accept uses it after sign-in; a sign-up that began
// from the link uses it as the account is created, so user.created carries
// the metadata.
func (i *Invitation) TakeUp(u *user.User, now time.Time) (json.RawMessage, error) {
	if !i.Live(now) {
		return nil, ErrGone
	}
	if !u.Has(user.Email, i.Email) {
		return nil, ErrWrongAccount
	}
	md := metadata.OrEmpty(u.PublicMetadata)
	if string(metadata.OrEmpty(i.PublicMetadata)) != "{}" {
		merged, err := metadata.Patch("public_metadata", u.PublicMetadata, i.PublicMetadata)
		if err != nil {
			return nil, err
		}
		md = merged
	}
	i.Status, i.UpdatedAt, i.AcceptedUserID = Accepted, now, u.ID
	return md, nil
}

// Shown is the status as the Backend API reports it: expired for a
// pending invitation past its expiry.
func (i *Invitation) Shown(now time.Time) string {
	if i.Status == Pending && !now.Before(i.ExpiresAt) {
		return Expired
	}
	return i.Status
}

// HashTicket is what the store keeps of a ticket. The ticket has 256
// random bits, so a plain hash suffices.
func HashTicket(ticket string) string { return id.HashSecret(ticket) }

// Filter selects invitations for List. A status of expired selects
// pending invitations past their expiry, pending only the live ones.
type Filter struct {
	Statuses []string
	// Query keeps invitations whose address contains it, in any case, or
	// whose ID it is.
	Query string
	// OrderBy is created_at, email_address or expires_at, "-" first for
	// descending, as Clerk's; "" is -created_at.
	OrderBy string
	Now     time.Time // set by List
	Limit   int
	Offset  int
}

// OrderColumns are the keys Filter.OrderBy accepts.
var OrderColumns = []string{"created_at", "email_address", "expires_at"}

// Repo is what the service needs of the store.
type Repo interface {
	CreateAppInvitation(ctx context.Context, inv *Invitation) error
	AppInvitationByID(ctx context.Context, id string) (*Invitation, error)
	AppInvitationByTicket(ctx context.Context, hash string) (*Invitation, error)
	// PendingAppInvitations lists the pending invitations to email,
	// expired or not.
	PendingAppInvitations(ctx context.Context, email string) ([]Invitation, error)
	ListAppInvitations(ctx context.Context, f Filter) ([]Invitation, int, error)
	// UpdateAppInvitation saves status, updated_at and accepted_user_id
	// when the stored status is still from; otherwise ErrConflict.
	UpdateAppInvitation(ctx context.Context, inv *Invitation, from string) error
	UserByID(ctx context.Context, id string) (*user.User, error)
	UserByIdentifier(ctx context.Context, kind, value string) (*user.User, error)
	LockUser(ctx context.Context, userID string) error
	// LockName holds a named lock until the transaction ends.
	LockName(ctx context.Context, name string) error
	SetPublicMetadata(ctx context.Context, userID string, m json.RawMessage, at time.Time) error
	InsertEvent(ctx context.Context, e events.Event) error
}

// Notifier sends the invitation email.
type Notifier interface {
	// SendAppInvitation writes the invitation in locale, the language of
	// the account that has the address to (one invited with
	// ignore_existing), when it has one; "" keeps the request's language,
	// else the instance default.
	SendAppInvitation(ctx context.Context, to, locale string, m Mail) error
}

// Mail is what the invitation email says.
type Mail struct {
	URL      string // the link with the ticket
	ExpireAt time.Time
	// Template is Clerk's template_slug: TemplateInvitation, or
	// TemplateWaitlist for a person let in from the waiting list, whose
	// email says so.
	Template string
}

// The invitation emails (Clerk's template_slug).
const (
	TemplateInvitation = "invitation"
	TemplateWaitlist   = "waitlist_invitation"
)

// Service runs application invitations.
type Service struct {
	Clock    clockwork.Clock
	Repo     Repo
	InTx     func(ctx context.Context, fn func(Repo) error) error
	Notifier Notifier
	BaseURL  string // links are built from it
	// UserAbilities are what the instance lets users do, for the user
	// objects of the events written.
	UserAbilities user.Abilities
}

// Errors a person or the Backend API sees.
var (
	ErrNotFound = apperr.New(apperr.NotFound, "No invitation has that ID.")
	ErrGone     = apperr.New(apperr.Expired,
		"This invitation can't be used: it has expired, was revoked or was already used. Ask for a new one.").T("error.invitation.gone")
	ErrWrongAccount = apperr.New(apperr.Forbidden,
		"This invitation was sent to another email address. Use the account with that address.").T("error.invitation.wrong_account")
	// Only a pending invitation can be revoked: one revoked or accepted
	// already is refused with what became of it (NotPending reports both).
	ErrRevokedAlready = apperr.New(apperr.Conflict,
		"This invitation was revoked already; only a pending invitation can be revoked.").Coded("invitation_already_revoked")
	ErrAcceptedAlready = apperr.New(apperr.Conflict,
		"This invitation was accepted already; only a pending invitation can be revoked.").Coded("invitation_already_accepted")
	// ErrNotSent: the email failed, and an invitation whose link nobody
	// has is no use, so it was withdrawn; asking again is not a duplicate.
	ErrNotSent = apperr.New(apperr.Unavailable,
		"The invitation email couldn't be sent, so the invitation was withdrawn. Please try again.")
	ErrNotSentBulk = apperr.New(apperr.Unavailable,
		"An invitation email couldn't be sent, so all the invitations in this request were withdrawn. Please try again.")
)

// CreateInput is POST /v1/invitations.
type CreateInput struct {
	Email          string
	PublicMetadata json.RawMessage // nil = {}
	RedirectURL    string          // already checked against the allowed origins
	Notify         bool            // email the link
	IgnoreExisting bool            // invite even if an account or a pending invitation has the address
	ExpiresInDays  int             // 0 = DefaultTTL
	// TemplateSlug is Clerk's choice of email: "" (TemplateInvitation)
	// or one of the Template constants.
	TemplateSlug string
}

// undoTimeout bounds undoing what a failed send left behind.
const undoTimeout = 10 * time.Second

// MaxBulk is how many invitations one CreateMany takes, as Clerk's bulk
// endpoint.
const MaxBulk = 10

// Create stores an invitation and, when asked, emails its link. It refuses
// an address an account has or a live invitation was sent to, unless
// IgnoreExisting. The link is returned: the ticket is not kept. When the
// email cannot be sent the invitation is withdrawn (revoked) and the error
// is ErrNotSent, so that asking again works.
func (s *Service) Create(ctx context.Context, in CreateInput) (*Invitation, string, error) {
	invs, links, err := s.CreateMany(ctx, []CreateInput{in})
	if err != nil {
		return nil, "", err
	}
	return invs[0], links[0], nil
}

// CreateMany is Create for up to MaxBulk addresses at once, all or none:
// any refusal refuses the lot, naming the invitation at fault, and an
// email that cannot be sent withdraws them all (ErrNotSent), so the same
// request can simply be made again. invitation.created is written with
// each.
func (s *Service) CreateMany(ctx context.Context, ins []CreateInput) ([]*Invitation, []string, error) {
	if len(ins) == 0 || len(ins) > MaxBulk {
		return nil, nil, apperr.New(apperr.Invalid, fmt.Sprintf("Give between 1 and %d invitations.", MaxBulk))
	}
	now := s.Clock.Now()
	invs, links := make([]*Invitation, len(ins)), make([]string, len(ins))
	seen := map[string]bool{}
	for i, in := range ins {
		inv, ticket, err := s.prepare(in, now)
		if err != nil {
			return nil, nil, Nth(err, i, len(ins))
		}
		if seen[inv.Email] {
			return nil, nil, Nth(apperr.Field(apperr.Conflict, "email_address", inv.Email+" is invited twice in this request.").
				Coded("form_param_duplicate"), i, len(ins))
		}
		seen[inv.Email], invs[i], links[i] = true, inv, s.Link(ticket)
	}
	err := s.InTx(ctx, func(r Repo) error {
		for i, inv := range invs {
			if err := insert(ctx, r, inv, ins[i].IgnoreExisting, now); err != nil {
				return Nth(err, i, len(ins))
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	for i, inv := range invs {
		if !ins[i].Notify {
			continue
		}
		if err := s.Send(ctx, inv, links[i], ins[i].TemplateSlug); err != nil {
			if werr := s.withdraw(ctx, invs); werr != nil {
				return nil, nil, errors.Join(err, werr)
			}
			if len(invs) > 1 {
				return nil, nil, fmt.Errorf("%w (%w)", ErrNotSentBulk, err)
			}
			return nil, nil, fmt.Errorf("%w (%w)", ErrNotSent, err)
		}
	}
	return invs, links, nil
}

// CreateIn is Create within r, a transaction the caller runs (the
// waiting list's, which links the invitation to its entry in the same
// one). It stores the invitation with invitation.created and sends
// nothing: after committing, the caller sends the link with Send and, when
// that fails, withdraws the invitation with RevokeIn.
func (s *Service) CreateIn(ctx context.Context, r Repo, in CreateInput) (*Invitation, string, error) {
	now := s.Clock.Now()
	inv, ticket, err := s.prepare(in, now)
	if err != nil {
		return nil, "", err
	}
	if err := insert(ctx, r, inv, in.IgnoreExisting, now); err != nil {
		return nil, "", err
	}
	return inv, s.Link(ticket), nil
}

// insert stores inv with its event, refusing an address an account has or
// a live invitation was sent to unless ignoreExisting.
func insert(ctx context.Context, r Repo, inv *Invitation, ignoreExisting bool, now time.Time) error {
	if !ignoreExisting {
		// Two requests for one address at once: the second checks after
		// the first has written.
		if err := r.LockName(ctx, "invitation "+inv.Email); err != nil {
			return err
		}
		if err := invitable(ctx, r, inv.Email, now); err != nil {
			return err
		}
	}
	if err := r.CreateAppInvitation(ctx, inv); err != nil {
		return err
	}
	return inv.Record(ctx, r, events.AppInvitationCreated, now)
}

// Send emails inv's link with the email template names ("" is
// TemplateInvitation). Without a notifier it sends nothing.
func (s *Service) Send(ctx context.Context, inv *Invitation, link, template string) error {
	if s.Notifier == nil {
		return nil
	}
	if template == "" {
		template = TemplateInvitation
	}
	return s.Notifier.SendAppInvitation(ctx, inv.Email, s.inviteeLocale(ctx, inv.Email),
		Mail{URL: link, ExpireAt: inv.ExpiresAt, Template: template})
}

// inviteeLocale is the language of the account that has email, when the
// address was invited although it has one (IgnoreExisting): the invitee
// reads the invitation. It is "" when no account has the address — the
// usual case — or its user has no locale, and when the look-up fails: the
// language is a courtesy, and an invitation in the default language beats
// none.
func (s *Service) inviteeLocale(ctx context.Context, email string) string {
	u, err := s.Repo.UserByIdentifier(ctx, user.Email, email)
	if err != nil {
		return ""
	}
	return u.Locale
}

// prepare checks in and builds its invitation and ticket.
func (s *Service) prepare(in CreateInput, now time.Time) (*Invitation, string, error) {
	if in.ExpiresInDays < 0 || in.ExpiresInDays > MaxDays {
		return nil, "", apperr.Field(apperr.Invalid, "expires_in_days", "expires_in_days must be between 1 and 365.")
	}
	if in.TemplateSlug != "" && in.TemplateSlug != TemplateInvitation && in.TemplateSlug != TemplateWaitlist {
		return nil, "", apperr.Field(apperr.Invalid, "template_slug", "template_slug must be invitation or waitlist_invitation.")
	}
	addr, err := notify.ValidAddress(in.Email)
	if err != nil {
		return nil, "", apperr.Field(apperr.Invalid, "email_address", "Give an email address like name@example.com.")
	}
	email := user.NormalizeEmail(addr)
	md := json.RawMessage(`{}`)
	if in.PublicMetadata != nil {
		if md, err = metadata.Set("public_metadata", in.PublicMetadata); err != nil {
			return nil, "", err
		}
	}
	ttl := DefaultTTL
	if in.ExpiresInDays > 0 {
		ttl = time.Duration(in.ExpiresInDays) * 24 * time.Hour
	}
	ticket := id.Secret(32)
	return &Invitation{ID: id.New(id.Invitation), Email: email, PublicMetadata: md, RedirectURL: in.RedirectURL,
		TicketHash: HashTicket(ticket), Status: Pending, ExpiresAt: now.Add(ttl), CreatedAt: now, UpdatedAt: now}, ticket, nil
}

// invitable refuses an address an account has or a live invitation was
// sent to.
func invitable(ctx context.Context, r Repo, email string, now time.Time) error {
	if _, err := r.UserByIdentifier(ctx, user.Email, email); err == nil {
		return apperr.Field(apperr.Conflict, "email_address", email+" already has an account.")
	} else if !errors.Is(err, apperr.ErrNotFound) {
		return err
	}
	pending, err := r.PendingAppInvitations(ctx, email)
	if err != nil {
		return err
	}
	if slices.ContainsFunc(pending, func(p Invitation) bool { return p.Live(now) }) {
		return apperr.Field(apperr.Conflict, "email_address", email+" has a pending invitation already.").
			Coded("duplicate_record")
	}
	return nil
}

// Nth names the invitation at fault, the i-th of n in one request, when
// the request has several.
func Nth(err error, i, n int) error { return apperr.Nth(err, "Invitation", i, n) }

// withdraw revokes invs, just created, whose emails could not all be sent.
// It runs even when the request has ended (the send may have failed for
// that very reason): left pending, the unsent invitations would refuse the
// request made again.
func (s *Service) withdraw(ctx context.Context, invs []*Invitation) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), undoTimeout)
	defer cancel()
	return s.InTx(ctx, func(r Repo) error {
		for _, inv := range invs {
			if err := s.RevokeIn(ctx, r, inv); err != nil {
				return err
			}
		}
		return nil
	})
}

// RevokeIn revokes inv, pending (expired or not), within r, a transaction
// the caller runs, with invitation.revoked. An invitation no longer
// pending in the store is ErrRevokedAlready or ErrAcceptedAlready
// (NotPending), and inv is left as it was.
func (s *Service) RevokeIn(ctx context.Context, r Repo, inv *Invitation) error {
	if inv.Status != Pending {
		return notPending(inv.Status)
	}
	now := s.Clock.Now()
	was := *inv
	inv.Status, inv.UpdatedAt = Revoked, now
	if err := r.UpdateAppInvitation(ctx, inv, Pending); err != nil {
		*inv = was
		if errors.Is(err, apperr.ErrConflict) {
			// Accepted or revoked meanwhile: say which, as when it was so
			// before.
			if cur, err := r.AppInvitationByID(ctx, inv.ID); err == nil && cur.Status != Pending {
				return notPending(cur.Status)
			}
			return ErrRevokedAlready
		}
		return err
	}
	return inv.Record(ctx, r, events.AppInvitationRevoked, now)
}

// notPending is why an invitation in status cannot be revoked.
func notPending(status string) error {
	if status == Accepted {
		return ErrAcceptedAlready
	}
	return ErrRevokedAlready
}

// NotPending reports whether err refuses to revoke an invitation because
// it is no longer pending (revoked or accepted already).
func NotPending(err error) bool {
	return errors.Is(err, ErrRevokedAlready) || errors.Is(err, ErrAcceptedAlready)
}

// Record writes i's webhook event of type typ at now. Its data is the
// Backend API's object without url: the ticket is in the email alone.
func (i *Invitation) Record(ctx context.Context, w events.Writer, typ string, now time.Time) error {
	e, err := events.New(typ, i.ID, i.ToObject(now, ""), now)
	if err != nil {
		return err
	}
	return w.InsertEvent(ctx, e)
}

// Link is the emailed link for ticket.
func (s *Service) Link(ticket string) string {
	return s.BaseURL + AcceptPath + "?" + url.Values{"ticket": {ticket}}.Encode()
}

// Lookup returns the live invitation a ticket names. Unknown, expired,
// revoked and used tickets all read as ErrGone.
func (s *Service) Lookup(ctx context.Context, ticket string) (*Invitation, error) {
	if ticket == "" || len(ticket) > 100 {
		return nil, ErrGone
	}
	inv, err := s.Repo.AppInvitationByTicket(ctx, HashTicket(ticket))
	if err != nil || !inv.Live(s.Clock.Now()) {
		return nil, gone(err)
	}
	return inv, nil
}

func gone(err error) error {
	if err == nil || errors.Is(err, apperr.ErrNotFound) {
		return ErrGone
	}
	return err
}

// List returns the invitations f selects, newest first, and how many
// there are.
func (s *Service) List(ctx context.Context, f Filter) ([]Invitation, int, error) {
	if err := page.Check(&f.Limit, &f.Offset, DefaultPageSize, MaxPageSize); err != nil {
		return nil, 0, err
	}
	for _, st := range f.Statuses {
		if !slices.Contains([]string{Pending, Accepted, Revoked, Expired}, st) {
			return nil, 0, apperr.Field(apperr.Invalid, "status", "Give pending, accepted, revoked or expired.")
		}
	}
	if f.OrderBy == "" {
		f.OrderBy = "-created_at"
	}
	if !slices.Contains(OrderColumns, strings.TrimLeft(f.OrderBy, "+-")) {
		return nil, 0, apperr.Field(apperr.Invalid, "order_by", "order_by must be created_at, email_address or expires_at, with - first for descending.")
	}
	f.Now = s.Clock.Now()
	return s.Repo.ListAppInvitations(ctx, f)
}

// Revoke withdraws a pending invitation (expired or not); its link stops
// working.
func (s *Service) Revoke(ctx context.Context, invitationID string) (*Invitation, error) {
	var inv *Invitation
	err := s.InTx(ctx, func(r Repo) error {
		var err error
		if inv, err = r.AppInvitationByID(ctx, invitationID); errors.Is(err, apperr.ErrNotFound) {
			return ErrNotFound
		} else if err != nil {
			return err
		}
		return s.RevokeIn(ctx, r, inv)
	})
	if err != nil {
		return nil, err
	}
	return inv, nil
}

// AcceptedBy is the invitation ticket names when userID took it up already
// (as their account was created from it), else nil.
func (s *Service) AcceptedBy(ctx context.Context, ticket, userID string) *Invitation {
	if ticket == "" || len(ticket) > 100 {
		return nil
	}
	inv, err := s.Repo.AppInvitationByTicket(ctx, HashTicket(ticket))
	if err != nil || inv.Status != Accepted || inv.AcceptedUserID != userID {
		return nil
	}
	return inv
}

// Accept uses the invitation for userID, whose account must have verified
// the invited address: the invitation's public metadata is merged into the
// user's (user.updated) and it is marked accepted, once.
func (s *Service) Accept(ctx context.Context, ticket, userID string) (*Invitation, error) {
	if ticket == "" || len(ticket) > 100 {
		return nil, ErrGone
	}
	var inv *Invitation
	err := s.InTx(ctx, func(r Repo) error {
		// Held so that two acceptances at once merge one after the other.
		if err := r.LockUser(ctx, userID); err != nil {
			return err
		}
		var err error
		if inv, err = r.AppInvitationByTicket(ctx, HashTicket(ticket)); err != nil {
			return gone(err)
		}
		now := s.Clock.Now()
		if !inv.Live(now) {
			return ErrGone
		}
		u, err := r.UserByID(ctx, userID)
		if err != nil {
			return err
		}
		merged, err := inv.TakeUp(u, now)
		if err != nil {
			return err
		}
		if err := r.UpdateAppInvitation(ctx, inv, Pending); errors.Is(err, apperr.ErrConflict) {
			return ErrGone
		} else if err != nil {
			return err
		}
		if err := inv.Record(ctx, r, events.AppInvitationAccepted, now); err != nil {
			return err
		}
		if string(metadata.OrEmpty(inv.PublicMetadata)) == "{}" {
			return nil
		}
		if err := r.SetPublicMetadata(ctx, u.ID, merged, now); err != nil {
			return err
		}
		if u, err = r.UserByID(ctx, userID); err != nil {
			return err
		}
		e, err := events.New(events.UserUpdated, u.ID, u.ToObject(now, s.UserAbilities), now)
		if err != nil {
			return err
		}
		return r.InsertEvent(ctx, e)
	})
	if err != nil {
		return nil, err
	}
	return inv, nil
}

// Object is an invitation as the Backend API shows it, with Clerk's names.
type Object struct {
	Object         string          `json:"object"`
	ID             string          `json:"id"`
	EmailAddress   string          `json:"email_address"`
	PublicMetadata json.RawMessage `json:"public_metadata"`
	Revoked        bool            `json:"revoked"`
	Status         string          `json:"status"`
	URL            string          `json:"url,omitempty"` // only when created: the ticket is not kept
	ExpiresAt      int64           `json:"expires_at"`
	CreatedAt      int64           `json:"created_at"`
	UpdatedAt      int64           `json:"updated_at"`
}

// ToObject converts i as seen at now; link is its URL when known.
func (i *Invitation) ToObject(now time.Time, link string) Object {
	return Object{Object: "invitation", ID: i.ID, EmailAddress: i.Email, PublicMetadata: metadata.OrEmpty(i.PublicMetadata),
		Revoked: i.Status == Revoked, Status: i.Shown(now), URL: link, ExpiresAt: i.ExpiresAt.UnixMilli(),
		CreatedAt: i.CreatedAt.UnixMilli(), UpdatedAt: i.UpdatedAt.UnixMilli()}
}

// HasAccount reports whether an account owns email, so the link can send
// its holder to sign-in rather than sign-up.
func (s *Service) HasAccount(ctx context.Context, email string) (bool, error) {
	_, err := s.Repo.UserByIdentifier(ctx, user.Email, user.NormalizeEmail(email))
	if errors.Is(err, apperr.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}
