// Package events defines the domain events written in the same transaction as
// the change they describe (a transactional outbox). Webhook delivery and the
// audit log read them from the store later.
package events

import (
	"context"
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/portalhq/portal/internal/id"
)

// Event types, as Clerk names them.
const (
	UserCreated    = "user.created"
	UserUpdated    = "user.updated"
	UserDeleted    = "user.deleted"
	SessionCreated = "session.created"
	SessionEnded   = "session.ended"
	SessionRevoked = "session.revoked"
	SessionRemoved = "session.removed"
	EmailCreated   = "email.created"
	SMSCreated     = "sms.created"

	// Application invitations (Clerk's /v1/invitations); organization
	// invitations are in org.go.
	AppInvitationCreated  = "invitation.created"
	AppInvitationAccepted = "invitation.accepted"
	AppInvitationRevoked  = "invitation.revoked"

	// The waiting list (Clerk's /v1/waitlist_entries). Clerk has no
	// event for a deleted entry, so neither does the portal.
	WaitlistEntryCreated = "waitlistEntry.created"
	WaitlistEntryUpdated = "waitlistEntry.updated"
)

// Event is one row of the outbox.
type Event struct {
	Seq       int64 // assigned by the store; orders events
	ID        string
	Type      string
	ObjectID  string
	Data      json.RawMessage
	CreatedAt time.Time
	// Request is the HTTP request the change came from; the store fills it
	// from the context (RequestOf) when the event does not say.
	Request Request
}

// Request is who sent the HTTP request behind an event, as Clerk's
// webhooks give it in event_attributes.http_request: the client's address
// (as the trusted-proxy setting reads it) and its User-Agent. Both are
// empty for a change no request made (housekeeping, a start-up task).
type Request struct {
	ClientIP  string
	UserAgent string
}

// maxUserAgent bounds what an event keeps of a User-Agent header: real
// ones are a few hundred bytes, and the header is the client's to fill.
const maxUserAgent = 512

type requestKey struct{}

// WithRequest returns ctx carrying r for the events written under it. The
// User-Agent is kept as valid UTF-8 (a byte that is not becomes U+FFFD),
// whatever its length: HTTP lets a client send bytes PostgreSQL refuses as
// text, which would fail the event's insert and the change with it.
func WithRequest(ctx context.Context, r Request) context.Context {
	ua := strings.ToValidUTF8(r.UserAgent, "\uFFFD")
	if len(ua) > maxUserAgent {
		// Cut at a character's start, not inside one.
		n := maxUserAgent
		for n > 0 && !utf8.RuneStart(ua[n]) {
			n--
		}
		ua = ua[:n]
	}
	r.UserAgent = ua
	return context.WithValue(ctx, requestKey{}, r)
}

// RequestOf is the request WithRequest put in ctx; zero without one.
func RequestOf(ctx context.Context) Request {
	r, _ := ctx.Value(requestKey{}).(Request)
	return r
}

// New builds an event whose data is obj marshalled to JSON.
func New(typ, objectID string, obj any, at time.Time) (Event, error) {
	b, err := json.Marshal(obj)
	if err != nil {
		return Event{}, err
	}
	return Event{ID: id.New(id.Event), Type: typ, ObjectID: objectID, Data: b, CreatedAt: at}, nil
}

// Writer appends events; store transactions implement it.
type Writer interface {
	InsertEvent(ctx context.Context, e Event) error
}
