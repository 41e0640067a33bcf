package webhook

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/page"
)

// RotationOverlap is how long the previous secret keeps signing after a
// rotation, next to the new one (REQ-WH-04), as Svix does.
const RotationOverlap = 24 * time.Hour

// ConfiguredID is the endpoint PORTAL_WEBHOOK_URL configures; a fixed ID so
// that a restart updates it instead of adding another.
const ConfiguredID = "ep_configured"

// Service manages endpoints and their deliveries.
type Service struct {
	Clock clockwork.Clock
	Store Store
	InTx  func(ctx context.Context, fn func(Store) error) error
	// AllowPrivate lets endpoints sit on loopback and private addresses
	// (development and tests).
	AllowPrivate bool
	Resolve      Resolver // nil = the system resolver
	// Wake, when set, nudges the worker after a replay.
	Wake func()
}

// Input creates or changes an endpoint. Nil fields are left as they are.
type Input struct {
	URL         *string
	Description *string
	EventTypes  *[]string
	Disabled    *bool
	Secret      *string // only on create; empty = generated
}

// ErrNotFound answers for an endpoint or delivery that does not exist.
var ErrNotFound = apperr.New(apperr.NotFound, "No webhook endpoint or delivery with that ID exists.")

// Create registers an endpoint.
func (s *Service) Create(ctx context.Context, in Input) (*Endpoint, error) {
	if in.URL == nil {
		return nil, apperr.Field(apperr.Invalid, "url", "Enter the URL that will receive the events.")
	}
	now := s.Clock.Now()
	e := Endpoint{ID: id.New("ep"), Secret: NewSecret(), CreatedAt: now, UpdatedAt: now}
	if in.Secret != nil && *in.Secret != "" {
		if _, err := ParseSecret(*in.Secret); err != nil {
			return nil, err
		}
		e.Secret = *in.Secret
	}
	if err := s.apply(ctx, &e, in); err != nil {
		return nil, err
	}
	if err := s.Store.CreateWebhookEndpoint(ctx, e); err != nil {
		return nil, err
	}
	return &e, nil
}

// Get returns an endpoint.
func (s *Service) Get(ctx context.Context, endpointID string) (*Endpoint, error) {
	e, err := s.Store.WebhookEndpoint(ctx, endpointID)
	if errors.Is(err, apperr.ErrNotFound) {
		return nil, ErrNotFound
	}
	return e, err
}

// DefaultPageSize and MaxPageSize bound List. The list answered every
// endpoint before it took a limit: the default is the largest page, so
// that a caller that sends none still reads them all.
const (
	DefaultPageSize = 500
	MaxPageSize     = 500
)

// List returns a page of the endpoints, oldest first, and how many there
// are; a zero limit is the default. Endpoints are few (an instance's
// receivers), so the page is cut from the whole list.
func (s *Service) List(ctx context.Context, limit, offset int) ([]Endpoint, int, error) {
	if err := page.Check(&limit, &offset, DefaultPageSize, MaxPageSize); err != nil {
		return nil, 0, err
	}
	all, err := s.Store.WebhookEndpoints(ctx)
	if err != nil {
		return nil, 0, err
	}
	from := min(offset, len(all))
	return all[from:min(from+limit, len(all))], len(all), nil
}

// Update changes an endpoint. Enabling a disabled endpoint clears its
// reason and its failure streak; the deliveries queued before it was
// disabled resume.
func (s *Service) Update(ctx context.Context, endpointID string, in Input) (*Endpoint, error) {
	if in.Secret != nil {
		return nil, apperr.Field(apperr.Invalid, "secret", "Rotate the secret instead of setting it.")
	}
	var out *Endpoint
	err := s.InTx(ctx, func(st Store) error {
		e, err := st.WebhookEndpoint(ctx, endpointID)
		if errors.Is(err, apperr.ErrNotFound) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if err := s.apply(ctx, e, in); err != nil {
			return err
		}
		e.UpdatedAt = s.Clock.Now()
		out = e
		return st.UpdateWebhookEndpoint(ctx, *e)
	})
	return out, err
}

func (s *Service) apply(ctx context.Context, e *Endpoint, in Input) error {
	if in.URL != nil {
		u, err := CheckURL(ctx, strings.TrimSpace(*in.URL), s.AllowPrivate, s.Resolve)
		if err != nil {
			return err
		}
		e.URL = u.String()
	}
	if in.Description != nil {
		if len(*in.Description) > 512 {
			return apperr.Field(apperr.Invalid, "description", "Keep the description under 512 characters.")
		}
		e.Description = *in.Description
	}
	if in.EventTypes != nil {
		known := EventTypes()
		var types []string
		for _, t := range *in.EventTypes {
			if !slices.Contains(known, t) {
				return apperr.Field(apperr.Invalid, "event_types",
					fmt.Sprintf("%q is not an event type. Known types: %s.", t, strings.Join(known, ", ")))
			}
			if !slices.Contains(types, t) {
				types = append(types, t)
			}
		}
		e.EventTypes = types
	}
	if in.Disabled != nil && *in.Disabled != e.Disabled {
		e.Disabled = *in.Disabled
		e.DisabledReason, e.FailingSince = "", nil
		if e.Disabled {
			e.DisabledReason = "Disabled through the Backend API."
		}
	}
	return nil
}

// Delete removes an endpoint and its queued deliveries.
func (s *Service) Delete(ctx context.Context, endpointID string) error {
	err := s.Store.DeleteWebhookEndpoint(ctx, endpointID)
	if errors.Is(err, apperr.ErrNotFound) {
		return ErrNotFound
	}
	return err
}

// RotateSecret gives the endpoint a new secret. The old one keeps signing
// alongside for RotationOverlap.
func (s *Service) RotateSecret(ctx context.Context, endpointID string) (*Endpoint, error) {
	var out *Endpoint
	err := s.InTx(ctx, func(st Store) error {
		e, err := st.WebhookEndpoint(ctx, endpointID)
		if errors.Is(err, apperr.ErrNotFound) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		now := s.Clock.Now()
		until := now.Add(RotationOverlap)
		e.PreviousSecret, e.PreviousSecretUntil = e.Secret, &until
		e.Secret, e.UpdatedAt = NewSecret(), now
		out = e
		return st.UpdateWebhookEndpoint(ctx, *e)
	})
	return out, err
}

// Deliveries lists a page of the endpoint's deliveries, newest first, and
// how many it has in all.
func (s *Service) Deliveries(ctx context.Context, endpointID string, limit, offset int) ([]Delivery, int, error) {
	if _, err := s.Get(ctx, endpointID); err != nil {
		return nil, 0, err
	}
	list, err := s.Store.WebhookDeliveries(ctx, endpointID, limit, offset)
	if err != nil {
		return nil, 0, err
	}
	total, err := s.Store.CountWebhookDeliveries(ctx, endpointID)
	return list, total, err
}

// Attempts lists the attempts of one delivery, oldest first.
func (s *Service) Attempts(ctx context.Context, endpointID, eventID string) ([]Attempt, error) {
	if _, err := s.delivery(ctx, s.Store, endpointID, eventID); err != nil {
		return nil, err
	}
	return s.Store.WebhookAttempts(ctx, endpointID, eventID)
}

// Replay sends a delivery again, whatever became of it, with the same
// webhook-id and a fresh round of the retry schedule.
func (s *Service) Replay(ctx context.Context, endpointID, eventID string) (*Delivery, error) {
	var out *Delivery
	err := s.InTx(ctx, func(st Store) error {
		d, err := s.delivery(ctx, st, endpointID, eventID)
		if err != nil {
			return err
		}
		now := s.Clock.Now()
		d.Status, d.Tries, d.NextAttemptAt, d.UpdatedAt = Pending, 0, &now, now
		out = d
		return st.SaveWebhookDelivery(ctx, *d)
	})
	if err == nil && s.Wake != nil {
		s.Wake()
	}
	return out, err
}

func (s *Service) delivery(ctx context.Context, st Store, endpointID, eventID string) (*Delivery, error) {
	d, err := st.WebhookDelivery(ctx, endpointID, eventID)
	if errors.Is(err, apperr.ErrNotFound) {
		return nil, ErrNotFound
	}
	return d, err
}

// Configure makes the endpoint of PORTAL_WEBHOOK_URL match the
// configuration at start: created, updated, or disabled when the URL is no
// longer set. An empty secret keeps the stored one, or generates one.
func (s *Service) Configure(ctx context.Context, rawURL, secret string) error {
	if secret != "" {
		if _, err := ParseSecret(secret); err != nil {
			return fmt.Errorf("PORTAL_WEBHOOK_SECRET: %w", err)
		}
	}
	configure := func(st Store) error {
		e, err := st.WebhookEndpoint(ctx, ConfiguredID)
		if err != nil && !errors.Is(err, apperr.ErrNotFound) {
			return err
		}
		now := s.Clock.Now()
		if rawURL == "" {
			if e == nil || e.Disabled {
				return nil
			}
			e.Disabled, e.DisabledReason, e.UpdatedAt = true, "PORTAL_WEBHOOK_URL is no longer set.", now
			return st.UpdateWebhookEndpoint(ctx, *e)
		}
		u, err := CheckURL(ctx, rawURL, s.AllowPrivate, s.Resolve)
		if err != nil {
			// CheckURL's message says what is wrong and, for an internal
			// address, that PORTAL_WEBHOOK_ALLOW_PRIVATE=true allows it:
			// said once, without the "invalid:" its code would add.
			if ae := (*apperr.Error)(nil); errors.As(err, &ae) {
				return fmt.Errorf("PORTAL_WEBHOOK_URL: %s", ae.Message)
			}
			return fmt.Errorf("PORTAL_WEBHOOK_URL: %w", err)
		}
		if e == nil {
			e = &Endpoint{ID: ConfiguredID, Secret: NewSecret(), Description: "PORTAL_WEBHOOK_URL", CreatedAt: now}
			if secret != "" {
				e.Secret = secret
			}
			e.URL, e.UpdatedAt = u.String(), now
			return st.CreateWebhookEndpoint(ctx, *e)
		}
		if secret != "" && secret != e.Secret {
			e.Secret, e.PreviousSecret, e.PreviousSecretUntil = secret, "", nil
		}
		if e.URL != u.String() || (e.Disabled && e.DisabledReason == "PORTAL_WEBHOOK_URL is no longer set.") {
			e.Disabled, e.DisabledReason, e.FailingSince = false, "", nil
		}
		e.URL, e.UpdatedAt = u.String(), now
		return st.UpdateWebhookEndpoint(ctx, *e)
	}
	err := s.InTx(ctx, configure)
	if errors.Is(err, apperr.ErrConflict) {
		// Another portal on the database, starting at the same moment,
		// created the endpoint first: bring that one in line instead.
		err = s.InTx(ctx, configure)
	}
	return err
}
