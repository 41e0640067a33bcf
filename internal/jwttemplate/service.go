package jwttemplate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/page"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/user"
)

// Store keeps templates.
type Store interface {
	CreateJWTTemplate(ctx context.Context, t Template) error
	JWTTemplate(ctx context.Context, id string) (*Template, error)
	JWTTemplateByName(ctx context.Context, name string) (*Template, error)
	// JWTTemplates returns a page of the templates by name, and how many
	// there are in all.
	JWTTemplates(ctx context.Context, limit, offset int) ([]Template, int, error)
	UpdateJWTTemplate(ctx context.Context, t Template) error
	DeleteJWTTemplate(ctx context.Context, id string) error
	UserByID(ctx context.Context, id string) (*user.User, error)
}

// OrgSource finds a session's active organization and the user's
// membership in it; organizations plug in here.
type OrgSource interface {
	ActiveOrg(ctx context.Context, sess *session.Session) (*Org, error)
}

// Signer signs with the instance key (token.Signer): RS256, kid, typ JWT.
type Signer interface {
	Sign(claims any) (string, error)
}

// Service manages templates and mints their tokens.
type Service struct {
	Clock  clockwork.Clock
	Store  Store
	Signer Signer
	Issuer string
	Orgs   OrgSource // nil: no organization claims
	// Admit is session.Service.Admit: whether the session may have a
	// token now (bans, deletion, the blocklist) and for how long at most
	// (an impersonation's end). nil: only a ban or deletion refuses.
	Admit func(ctx context.Context, sess *session.Session, ttl time.Duration) (time.Duration, error)
}

// ErrNotFound answers for a template that does not exist.
var ErrNotFound = apperr.New(apperr.NotFound, "No JWT template with that ID or name exists.")

var errTaken = apperr.Field(apperr.Conflict, "name", "A JWT template with that name exists already.")

// Create stores a new template after checking its claims and key.
func (s *Service) Create(ctx context.Context, in Input) (*Template, error) {
	if in.Name == nil || in.Claims == nil {
		return nil, invalid("name", "A template needs a name and claims.")
	}
	now := s.Clock.Now()
	t := &Template{ID: id.New("jtmp"), Lifetime: DefaultLifetime, AllowedClockSkew: DefaultSkew,
		SigningAlgorithm: "RS256", CreatedAt: now, UpdatedAt: now}
	if err := apply(t, in); err != nil {
		return nil, err
	}
	if err := s.Store.CreateJWTTemplate(ctx, *t); err != nil {
		if errors.Is(err, apperr.ErrConflict) {
			return nil, errTaken
		}
		return nil, err
	}
	return t, nil
}

// Get returns a template by ID.
func (s *Service) Get(ctx context.Context, templateID string) (*Template, error) {
	t, err := s.Store.JWTTemplate(ctx, templateID)
	if errors.Is(err, apperr.ErrNotFound) {
		return nil, ErrNotFound
	}
	return t, err
}

// DefaultPageSize and MaxPageSize bound List. Clerk's Go SDK sends no
// limit for templates and reads the first page only: the default is the
// largest page, as for the allowlist.
const (
	DefaultPageSize = 500
	MaxPageSize     = 500
)

// List returns a page of the templates, by name, and how many there are;
// a zero limit is the default.
func (s *Service) List(ctx context.Context, limit, offset int) ([]Template, int, error) {
	if err := page.Check(&limit, &offset, DefaultPageSize, MaxPageSize); err != nil {
		return nil, 0, err
	}
	return s.Store.JWTTemplates(ctx, limit, offset)
}

// Update changes a template.
func (s *Service) Update(ctx context.Context, templateID string, in Input) (*Template, error) {
	t, err := s.Get(ctx, templateID)
	if err != nil {
		return nil, err
	}
	if err := apply(t, in); err != nil {
		return nil, err
	}
	t.UpdatedAt = s.Clock.Now()
	if err := s.Store.UpdateJWTTemplate(ctx, *t); err != nil {
		if errors.Is(err, apperr.ErrConflict) {
			return nil, errTaken
		}
		return nil, err
	}
	return t, nil
}

// Delete removes a template.
func (s *Service) Delete(ctx context.Context, templateID string) error {
	err := s.Store.DeleteJWTTemplate(ctx, templateID)
	if errors.Is(err, apperr.ErrNotFound) {
		return ErrNotFound
	}
	return err
}

// Mint renders the template named name for the live session sess and signs
// it. azp is the origin of the app that asked ("" when a backend did). A
// banned or deleted user gets session.ErrSignedOut, as for session tokens.
//
// lifetime, when not zero, replaces the template's (the Backend API's
// expires_in_seconds).
func (s *Service) Mint(ctx context.Context, name string, sess *session.Session, azp string, lifetime time.Duration) (string, error) {
	t, err := s.Store.JWTTemplateByName(ctx, name)
	if errors.Is(err, apperr.ErrNotFound) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", err
	}
	if lifetime > 0 {
		t.Lifetime = lifetime
	}
	if s.Admit != nil {
		if t.Lifetime, err = s.Admit(ctx, sess, t.Lifetime); err != nil {
			return "", err
		}
	}
	d, err := s.data(ctx, sess)
	if err != nil {
		return "", err
	}
	return s.Sign(t, d, azp)
}

// data is what a token of sess is rendered from: its user and active
// organization. A banned or deleted user gets session.ErrSignedOut.
func (s *Service) data(ctx context.Context, sess *session.Session) (Data, error) {
	u, err := s.Store.UserByID(ctx, sess.UserID)
	if errors.Is(err, apperr.ErrNotFound) || (err == nil && u.Banned) {
		return Data{}, session.ErrSignedOut
	}
	if err != nil {
		return Data{}, err
	}
	d := Data{User: u, Session: sess}
	if s.Orgs != nil {
		if d.Org, err = s.Orgs.ActiveOrg(ctx, sess); err != nil {
			return Data{}, err
		}
	}
	return d, nil
}

// Sign renders t against d, adds the fixed claims and signs.
func (s *Service) Sign(t *Template, d Data, azp string) (string, error) {
	c, err := compile(t.Claims, nil)
	if err != nil {
		return "", fmt.Errorf("jwttemplate %s: stored claims: %w", t.Name, err)
	}
	claims := c.Render(d)
	now := s.Clock.Now()
	claims["iss"], claims["sub"], claims["jti"] = s.Issuer, d.User.ID, id.Secret(16)
	delete(claims, "act")
	if d.Session != nil && d.Session.Impersonated() {
		claims["act"] = d.Session.Actor
	}
	claims["iat"], claims["nbf"] = now.Unix(), now.Add(-t.AllowedClockSkew).Unix()
	claims["exp"] = now.Add(t.Lifetime).Unix()
	if azp != "" {
		claims["azp"] = azp
	}
	if t.CustomSigningKey {
		return signCustom(t, claims)
	}
	return s.Signer.Sign(claims)
}

// MaxSessionClaimsBytes bounds the session token's custom claims as
// rendered, as Clerk bounds them (1.2 KB), so that the __session cookie
// stays well under browsers' 4 KB.
const MaxSessionClaimsBytes = 1200

// SessionClaims returns what renders c, the instance's custom session token
// claims, for a session, as a JSON object: from its user and active
// organization, as a template's token would be. Claims that render larger
// than MaxSessionClaimsBytes are left out of the token (a user's own
// unsafe_metadata could otherwise push its cookie past what browsers
// keep) and reported to tooBig.
func (s *Service) SessionClaims(c *Compiled, tooBig func(ctx context.Context, sess *session.Session, size int)) func(context.Context, *session.Session) (json.RawMessage, error) {
	return func(ctx context.Context, sess *session.Session) (json.RawMessage, error) {
		d, err := s.data(ctx, sess)
		if err != nil {
			return nil, err
		}
		raw, err := json.Marshal(c.Render(d))
		if err != nil {
			return nil, err
		}
		if len(raw) > MaxSessionClaimsBytes {
			tooBig(ctx, sess, len(raw))
			return nil, nil
		}
		return raw, nil
	}
}
