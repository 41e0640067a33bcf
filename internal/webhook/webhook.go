// Package webhook delivers the outbox's events to the endpoints a relying
// app registers, signed the Standard Webhooks / Svix way (SECURITY.md
// §1.12): at least once, in order per object where it can be, with retries
// on Svix's schedule, and nothing lost across restarts.
//
// The store queues one delivery per (endpoint, event) in the transaction
// that writes the event (store.Q.InsertEvent), so the worker only ever reads
// a queue of due rows; it never walks the outbox with a cursor.
package webhook

import (
	"context"
	"time"

	"github.com/portalhq/portal/internal/events"
)

// Delivery statuses.
const (
	Pending   = "pending"   // waiting for its next attempt
	Succeeded = "succeeded" // a 2xx answer was received
	Failed    = "failed"    // every scheduled attempt failed
)

// Endpoint is a URL that receives events.
type Endpoint struct {
	ID          string
	URL         string
	Description string
	Secret      string // whsec_…
	// PreviousSecret still signs, next to Secret, until PreviousSecretUntil
	// so receivers can switch keys without losing messages (REQ-WH-04).
	PreviousSecret      string
	PreviousSecretUntil *time.Time
	EventTypes          []string // empty = every event
	Disabled            bool
	DisabledReason      string
	FailingSince        *time.Time // first failure since the last success
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

// Delivery is one event on its way to one endpoint. The event's ID is the
// webhook-id / svix-id of every attempt (REQ-WH-03).
type Delivery struct {
	EndpointID     string
	EventID        string
	EventSeq       int64
	EventType      string
	ObjectID       string
	Status         string
	Tries          int // attempts in the current round: the position in Schedule
	Attempts       int // attempts ever made, replays included
	NextAttemptAt  *time.Time
	LastAttemptAt  *time.Time
	LastStatusCode int
	LastError      string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Attempt is one HTTP request of a delivery.
type Attempt struct {
	ID          string
	EndpointID  string
	EventID     string
	AttemptedAt time.Time
	StatusCode  int    // 0 when no answer came
	Error       string // why it failed, for the operator
	Response    string // the start of the answer's body
	Duration    time.Duration
}

// Store is what webhooks need from the database.
type Store interface {
	CreateWebhookEndpoint(ctx context.Context, e Endpoint) error
	WebhookEndpoint(ctx context.Context, id string) (*Endpoint, error)
	WebhookEndpoints(ctx context.Context) ([]Endpoint, error)
	UpdateWebhookEndpoint(ctx context.Context, e Endpoint) error
	DeleteWebhookEndpoint(ctx context.Context, id string) error

	// DueWebhookDeliveries lists pending deliveries due at now, of enabled
	// endpoints, not leased, and with no earlier pending delivery about the
	// same object to the same endpoint; oldest event first.
	DueWebhookDeliveries(ctx context.Context, now time.Time, limit int) ([]Delivery, error)
	// LeaseWebhookDelivery claims a due delivery until until; false when
	// another worker holds it, it is no longer pending or due, or its
	// endpoint is being spared.
	LeaseWebhookDelivery(ctx context.Context, endpointID, eventID string, now, until time.Time) (bool, error)
	WebhookDelivery(ctx context.Context, endpointID, eventID string) (*Delivery, error)
	// WebhookDeliveries returns a page of the endpoint's deliveries, newest
	// first.
	WebhookDeliveries(ctx context.Context, endpointID string, limit, offset int) ([]Delivery, error)
	CountWebhookDeliveries(ctx context.Context, endpointID string) (int, error)
	// ThrottleWebhookEndpoint spares the endpoint until until: none of its
	// deliveries is due or leased before then.
	ThrottleWebhookEndpoint(ctx context.Context, endpointID string, until time.Time) error
	// SaveWebhookDelivery writes a delivery's state and clears its lease.
	SaveWebhookDelivery(ctx context.Context, d Delivery) error
	InsertWebhookAttempt(ctx context.Context, a Attempt) error
	WebhookAttempts(ctx context.Context, endpointID, eventID string) ([]Attempt, error)
	EventBySeq(ctx context.Context, seq int64) (*events.Event, error)
}

// EventTypes lists the events an endpoint may subscribe to, as Clerk names them.
func EventTypes() []string {
	return []string{
		"user.created", "user.updated", "user.deleted",
		"session.created", "session.ended", "session.removed", "session.revoked",
		"email.created", "sms.created",
		"invitation.created", "invitation.accepted", "invitation.revoked",
		"waitlistEntry.created", "waitlistEntry.updated",
		"organization.created", "organization.updated", "organization.deleted",
		"organizationMembership.created", "organizationMembership.updated", "organizationMembership.deleted",
		"organizationInvitation.created", "organizationInvitation.accepted", "organizationInvitation.revoked",
		"organizationDomain.created", "organizationDomain.updated", "organizationDomain.deleted",
	}
}
