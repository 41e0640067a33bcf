package token

import (
	"bytes"
	"encoding/json"
	"errors"
	"time"

	"github.com/portalhq/portal/internal/id"
)

// NotBeforeSkew backdates nbf so that a relying app whose clock runs a little
// behind the portal's accepts a token it has just received.
const NotBeforeSkew = 5 * time.Second

// SessionClaims are the claims of the session token, named as the contract
// names them. Times are unix seconds.
type SessionClaims struct {
	Issuer          string `json:"iss"`
	Subject         string `json:"sub"`           // user_…
	SessionID       string `json:"sid"`           // sess_…
	AuthorizedParty string `json:"azp,omitempty"` // origin of the app it was issued for; none for the Backend API's tokens
	IssuedAt        int64  `json:"iat"`
	NotBefore       int64  `json:"nbf"`
	Expiry          int64  `json:"exp"`
	ID              string `json:"jti"`
	// FVA: minutes since the first factor, minutes since the second factor
	// or -1 when the session has none.
	FVA            [2]int   `json:"fva"`
	OrgID          string   `json:"org_id,omitempty"`
	OrgSlug        string   `json:"org_slug,omitempty"`
	OrgRole        string   `json:"org_role,omitempty"`
	OrgPermissions []string `json:"org_permissions,omitempty"`
	// Actor is Clerk's act claim (RFC 8693's): in an impersonation
	// session, who acts for the user, as the actor token named them
	// ({"sub":"user_…"}); absent otherwise.
	Actor json.RawMessage `json:"act,omitempty"`
	// Custom holds the instance's custom claims (PORTAL_SESSION_TOKEN_CLAIMS),
	// none of them named as a claim above; they follow the others.
	Custom json.RawMessage `json:"-"` // a JSON object
}

// JSON is the token's payload: the claims above, then Custom's as they
// are. (Not a MarshalJSON method: encoding/json would then re-check every
// token's bytes, which costs more than writing them.)
func (c SessionClaims) JSON() ([]byte, error) {
	std, err := json.Marshal(c)
	custom := bytes.TrimSpace(c.Custom)
	if err != nil || len(custom) < 2 || string(custom) == "{}" {
		return std, err
	}
	if custom[0] != '{' || custom[len(custom)-1] != '}' {
		return nil, errors.New("token: custom claims must be a JSON object")
	}
	out := make([]byte, 0, len(std)+len(custom))
	out = append(out, std[:len(std)-1]...)
	out = append(out, ',')
	return append(out, custom[1:]...), nil
}

// ExpiresAt is Expiry as a time.
func (c *SessionClaims) ExpiresAt() time.Time { return time.Unix(c.Expiry, 0) }

// SessionParams is what NewSessionClaims needs to mint session claims.
type SessionParams struct {
	Issuer          string
	UserID          string
	SessionID       string
	AuthorizedParty string
	Now             time.Time
	TTL             time.Duration
	FirstFactorAt   time.Time
	SecondFactorAt  time.Time // zero when no second factor was verified
	// NoFirstFactor says that no first factor was proved in the session
	// (one the Backend API started without a sign-in): FirstFactorAt is
	// zero and fva[0] is -1. Without it a zero FirstFactorAt is refused,
	// as a session that forgot to record its sign-in.
	NoFirstFactor bool

	// Set while an organization is active.
	OrgID          string
	OrgSlug        string
	OrgRole        string
	OrgPermissions []string

	// Actor is set in an impersonation session only: the act claim.
	Actor json.RawMessage
	// Custom are the instance's custom claims, rendered for this session:
	// a JSON object.
	Custom json.RawMessage
}

// NewSessionClaims fills in the times, a random jti (REQ-CR-01) and fva.
func NewSessionClaims(p SessionParams) (SessionClaims, error) {
	switch {
	case p.Issuer == "" || p.UserID == "" || p.SessionID == "":
		return SessionClaims{}, errors.New("token: issuer, user and session are required")
	case p.TTL < time.Second:
		return SessionClaims{}, errors.New("token: TTL must be at least a second")
	case p.FirstFactorAt.IsZero() && !p.NoFirstFactor:
		return SessionClaims{}, errors.New("token: first factor time is required")
	}
	iat := p.Now.Unix()
	fva := [2]int{-1, -1}
	if !p.NoFirstFactor {
		fva[0] = minutesSince(p.Now, p.FirstFactorAt)
	}
	if !p.SecondFactorAt.IsZero() {
		fva[1] = minutesSince(p.Now, p.SecondFactorAt)
	}
	if len(p.Actor) > 0 {
		// An impersonation verified no factor of the user's: an app that
		// asks for a recent one (reverification) does not get it.
		fva = [2]int{-1, -1}
	}
	return SessionClaims{
		Issuer:          p.Issuer,
		Subject:         p.UserID,
		SessionID:       p.SessionID,
		AuthorizedParty: p.AuthorizedParty,
		IssuedAt:        iat,
		NotBefore:       iat - int64(NotBeforeSkew/time.Second),
		Expiry:          iat + int64(p.TTL/time.Second),
		ID:              id.Secret(16),
		FVA:             fva,
		OrgID:           p.OrgID,
		OrgSlug:         p.OrgSlug,
		OrgRole:         p.OrgRole,
		OrgPermissions:  p.OrgPermissions,
		Actor:           p.Actor,
		Custom:          p.Custom,
	}, nil
}

// minutesSince counts whole minutes, never negative: a factor time a little
// in the future (clock skew between processes) reads as just now.
func minutesSince(now, t time.Time) int {
	if d := now.Sub(t); d > 0 {
		return int(d / time.Minute)
	}
	return 0
}
