// Package session keeps browser clients and their sessions, and mints the
// short-lived session tokens relying apps verify against the JWKS.
package session

import (
	"encoding/json"
	"time"
)

// Session statuses, as Clerk names them.
const (
	Active  = "active"
	Ended   = "ended"   // the person signed out
	Revoked = "revoked" // ended by the user elsewhere, an admin or the API
	Expired = "expired" // maximum lifetime or inactivity reached
)

// Client is one browser: the __client cookie names it.
type Client struct {
	ID        string
	CreatedAt time.Time
	UpdatedAt time.Time
	// Handoff is, for a client a sign-in made, the hash of the signing-in
	// browser's secret (WithHandoff); "" otherwise.
	Handoff string
	// PreviousID is, for a client a sign-in made, the client the browser
	// held before it; "" otherwise.
	PreviousID string
	// LastStrategy is, for a client a sign-in made, how it proved who the
	// person was, by Clerk's strategy name (StrategyPassword, "oauth_github",
	// …); "" for a session nobody signed in to and for a client no sign-in
	// made.
	LastStrategy string
}

// Session is one signed-in period of a user on a client.
type Session struct {
	ID       string
	ClientID string
	UserID   string
	Status   string
	// FirstFactorAt is when the sign-in proved the first factor; zero
	// for a session nobody signed in to (StartUnproved), whose tokens'
	// fva[0] is then -1.
	FirstFactorAt  time.Time
	SecondFactorAt *time.Time
	ActiveOrgID    string
	IP             string
	UserAgent      string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	LastActiveAt   time.Time
	ExpireAt       time.Time // absolute end
	EndedAt        *time.Time
	// ReverifiedAt is when the person last proved who they are on this
	// session: at sign-in, then on /user/verify. Sensitive account changes
	// need it recent (REQ-SES-06).
	ReverifiedAt *time.Time
	// Actor is set on an impersonation session only (one an actor token
	// started): the actor object, {"sub":"user_…",…}, which its tokens
	// carry as the act claim and the Backend API as actor.
	Actor json.RawMessage
}

// ImpersonationInactivity ends an impersonation session after this long
// without activity, whatever the instance's own inactivity timeout: Clerk's
// 10 minutes.
const ImpersonationInactivity = 10 * time.Minute

// Impersonated reports whether someone else acts for the user in s.
func (s *Session) Impersonated() bool { return len(s.Actor) > 0 }

// ProvedFirstFactor reports whether a first factor of the user's was
// proved on this session: false only for one that nobody signed in to
// (StartUnproved) and that no one has reverified since.
func (s *Session) ProvedFirstFactor() bool { return !s.FirstFactorAt.IsZero() }

// MultiFactor reports whether the person proved a second factor on this
// session: the second step of sign-in, a passkey (which verifies the user,
// so is possession and a PIN or biometric in one) at sign-in, or a
// confirmation with either since. SecondFactorAt, the token's fva[1], is
// when; a session without one proved a single factor, whatever the account
// has enrolled since.
func (s *Session) MultiFactor() bool { return s.SecondFactorAt != nil }

// ReverifiedWithin reports whether the person proved who they are less than
// window before now.
func (s *Session) ReverifiedWithin(now time.Time, window time.Duration) bool {
	return s.ReverifiedAt != nil && now.Sub(*s.ReverifiedAt) < window
}

// Live reports whether the session may still mint tokens at now, given
// the instance's inactivity timeout (0: none). An impersonation session
// has ImpersonationInactivity at most.
func (s *Session) Live(now time.Time, inactivity time.Duration) bool {
	if s.Status != Active || !now.Before(s.ExpireAt) {
		return false
	}
	if s.Impersonated() && (inactivity <= 0 || inactivity > ImpersonationInactivity) {
		inactivity = ImpersonationInactivity
	}
	return inactivity <= 0 || now.Sub(s.LastActiveAt) < inactivity
}
