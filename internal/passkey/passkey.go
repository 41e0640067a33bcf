// Package passkey is the portal's WebAuthn relying party: it registers
// passkeys (discoverable credentials with user verification) and signs people
// in with them, on top of go-webauthn.
//
// go-webauthn verifies the ceremony itself (type, challenge, origin, rpIdHash,
// flags, algorithm, signature: REQ-WA-01..07). What it leaves to the relying
// party lives here: challenges stored server-side and deleted on first use
// (REQ-WA-02), a credential ID registered once across all users (REQ-WA-07),
// the userHandle belonging to the credential's owner (REQ-WA-08), and a
// signature counter that goes backwards failing the sign-in (REQ-WA-09).
//
// The caller decides who may register: BeginRegistration must only be reached
// after a recent verification of the account (REQ-WA-10).
package passkey

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/apperr"
)

// Credential is a stored passkey. ID is the WebAuthn credential ID (raw bytes,
// unique across all users); UserID is the owner, whose bytes are also the
// WebAuthn user handle.
type Credential struct {
	ID              []byte
	UserID          string
	Name            string
	PublicKey       []byte // COSE-encoded
	AttestationType string
	AAGUID          []byte
	SignCount       uint32
	BackupEligible  bool
	BackupState     bool
	Transports      []string
	CreatedAt       time.Time
	LastUsedAt      *time.Time
}

// Challenge is the server-side half of one ceremony. Data is go-webauthn's
// SessionData as JSON; the store keeps it opaque.
type Challenge struct {
	ID        string
	UserID    string // the registering user; "" for a discoverable sign-in
	FlowID    string // the sign-in flow a login ceremony belongs to
	Kind      string // KindRegister or KindLogin
	Data      []byte
	ExpiresAt time.Time
}

// Challenge kinds.
const (
	KindRegister = "register"
	KindLogin    = "login"
)

// Store persists challenges and credentials. The SQL store implements it.
type Store interface {
	SaveChallenge(ctx context.Context, c Challenge) error
	// TakeChallenge returns the challenge and deletes it in one step, so two
	// requests racing with the same ID cannot both get it (REQ-WA-02).
	// A missing challenge is apperr.ErrNotFound.
	TakeChallenge(ctx context.Context, id string) (*Challenge, error)
	CredentialsOfUser(ctx context.Context, userID string) ([]Credential, error)
	// CredentialByID returns apperr.ErrNotFound when no user has the ID.
	CredentialByID(ctx context.Context, id []byte) (*Credential, error)
	// InsertCredential returns apperr.ErrConflict when the ID exists (it is
	// unique across all users, REQ-WA-07).
	InsertCredential(ctx context.Context, c Credential) error
	// UpdateCredentialUse stores the counter, backup state and last use. It
	// must only move the counter forwards — update where the stored counter is
	// lower than signCount, or both are zero — and return apperr.ErrConflict
	// when no row qualified, so two sign-ins racing with one counter value
	// cannot both succeed (REQ-WA-09).
	UpdateCredentialUse(ctx context.Context, id []byte, signCount uint32, backupState bool, at time.Time) error
	// RenameCredential and DeleteCredential touch only the user's own
	// credential and return apperr.ErrNotFound otherwise.
	RenameCredential(ctx context.Context, userID string, id []byte, name string) error
	DeleteCredential(ctx context.Context, userID string, id []byte) error
}

// Config is the relying party. RPID may be a parent domain of the origins
// (example.com for https://accounts.example.com); Origins are matched exactly.
type Config struct {
	RPID   string
	RPName string
	// Name, when set, is the relying party's name at each registration
	// (what the authenticator shows the passkey under): the app's name,
	// which a theme's applicationName may change; RPName when it is "".
	Name       func() string
	Origins    []string
	MaxPerUser int           // 0 means DefaultMaxPerUser
	Timeout    time.Duration // ceremony timeout and challenge lifetime; 0 means DefaultTimeout
}

// Defaults for Config.
const (
	DefaultMaxPerUser = 10
	DefaultTimeout    = 5 * time.Minute
)

// UserInfo describes the account a passkey is registered for. Name is what
// the authenticator shows in its account picker (an email or username).
type UserInfo struct {
	ID          string
	Name        string
	DisplayName string
}

// ErrCloneWarning is in the chain of the error FinishLogin returns when the
// signature counter did not move forwards: the caller logs it and should ask
// for another factor (REQ-WA-09).
var ErrCloneWarning = errors.New("passkey: signature counter did not increase; the authenticator may be cloned")

// Messages shown to people.
const (
	msgNotVerified = "This passkey couldn't be verified. Try again or use another way to sign in."
	msgNotAdded    = "This passkey couldn't be added. Try again."
	msgExpired     = "That took too long. Try again."
	msgDuplicate   = "This passkey is already registered."
	msgNotFound    = "That passkey no longer exists."
)

// fail is a refusal a person sees, in their language (the catalog's
// account area) with the English message for logs.
func fail(code apperr.Code, msg string, cause error) *apperr.Error {
	e := &apperr.Error{Code: code, Message: msg, Err: cause}
	switch msg {
	case msgNotVerified:
		return e.T("account.error.passkey_not_verified")
	case msgNotAdded:
		return e.T("account.error.passkey_not_added")
	case msgExpired:
		return e.T("account.error.passkey_too_slow")
	case msgDuplicate:
		return e.T("account.error.passkey_duplicate")
	case msgNotFound:
		return e.T("account.error.passkey_gone")
	}
	return e
}

// Service runs the ceremonies. It is safe for concurrent use.
type Service struct {
	wa    *webauthn.WebAuthn
	cfg   Config
	clock clockwork.Clock
	store Store
}

// New checks cfg and builds the relying party: registration asks for a
// discoverable credential with user verification and no attestation; sign-in
// requires user verification.
func New(cfg Config, clock clockwork.Clock, store Store) (*Service, error) {
	if cfg.MaxPerUser <= 0 {
		cfg.MaxPerUser = DefaultMaxPerUser
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.RPName == "" {
		cfg.RPName = cfg.RPID
	}
	if clock == nil {
		clock = clockwork.NewRealClock()
	}
	wa, err := webauthn.New(&webauthn.Config{
		RPID:                  cfg.RPID,
		RPDisplayName:         cfg.RPName,
		RPOrigins:             cfg.Origins,
		AttestationPreference: protocol.PreferNoAttestation,
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			RequireResidentKey: protocol.ResidentKeyRequired(),
			ResidentKey:        protocol.ResidentKeyRequirementRequired,
			UserVerification:   protocol.VerificationRequired,
		},
		// Expiry is enforced on Challenge.ExpiresAt with the injected clock;
		// go-webauthn's own check reads the wall clock.
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Timeout: cfg.Timeout, TimeoutUVD: cfg.Timeout},
			Registration: webauthn.TimeoutConfig{Timeout: cfg.Timeout, TimeoutUVD: cfg.Timeout},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("passkey: %w", err)
	}
	return &Service{wa: wa, cfg: cfg, clock: clock, store: store}, nil
}

// MaxPerUser is the configured limit, for pages that show it.
func (s *Service) MaxPerUser() int { return s.cfg.MaxPerUser }

// takeChallenge consumes the challenge whatever happens next, so a response
// can be tried against it once only (REQ-WA-02).
func (s *Service) takeChallenge(ctx context.Context, id, kind, failMsg string) (*Challenge, *webauthn.SessionData, error) {
	if id == "" {
		return nil, nil, fail(apperr.Expired, msgExpired, nil)
	}
	c, err := s.store.TakeChallenge(ctx, id)
	if errors.Is(err, apperr.ErrNotFound) {
		return nil, nil, fail(apperr.Expired, msgExpired, errors.New("passkey: challenge unknown or already used"))
	}
	if err != nil {
		return nil, nil, fmt.Errorf("passkey: take challenge: %w", err)
	}
	if c.Kind != kind {
		return nil, nil, fail(apperr.Unauthorized, failMsg, fmt.Errorf("passkey: %s challenge used for %s", c.Kind, kind))
	}
	if !s.clock.Now().Before(c.ExpiresAt) {
		return nil, nil, fail(apperr.Expired, msgExpired, errors.New("passkey: challenge expired"))
	}
	var sd webauthn.SessionData
	if err := json.Unmarshal(c.Data, &sd); err != nil {
		return nil, nil, fmt.Errorf("passkey: challenge data: %w", err)
	}
	return c, &sd, nil
}

func (s *Service) saveChallenge(ctx context.Context, c Challenge, sd *webauthn.SessionData) error {
	data, err := json.Marshal(sd)
	if err != nil {
		return fmt.Errorf("passkey: session data: %w", err)
	}
	c.Data = data
	c.ExpiresAt = s.clock.Now().Add(s.cfg.Timeout)
	if err := s.store.SaveChallenge(ctx, c); err != nil {
		return fmt.Errorf("passkey: save challenge: %w", err)
	}
	return nil
}

// waUser adapts a portal user to go-webauthn. The user handle is the user ID's
// bytes: random, no personal data, at most 64 bytes.
type waUser struct {
	id          []byte
	name        string
	displayName string
	creds       []webauthn.Credential
}

func (u *waUser) WebAuthnID() []byte                         { return u.id }
func (u *waUser) WebAuthnName() string                       { return u.name }
func (u *waUser) WebAuthnDisplayName() string                { return u.displayName }
func (u *waUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

// toWebAuthn rebuilds the record go-webauthn verifies an assertion against.
func (c *Credential) toWebAuthn() webauthn.Credential {
	transports := make([]protocol.AuthenticatorTransport, len(c.Transports))
	for i, t := range c.Transports {
		transports[i] = protocol.AuthenticatorTransport(t)
	}
	return webauthn.Credential{
		ID:              c.ID,
		PublicKey:       c.PublicKey,
		AttestationType: c.AttestationType,
		Transport:       transports,
		Flags: webauthn.CredentialFlags{
			UserPresent:    true,
			UserVerified:   true,
			BackupEligible: c.BackupEligible,
			BackupState:    c.BackupState,
		},
		Authenticator: webauthn.Authenticator{AAGUID: c.AAGUID, SignCount: c.SignCount},
	}
}

func descriptors(creds []Credential) []protocol.CredentialDescriptor {
	out := make([]protocol.CredentialDescriptor, len(creds))
	for i := range creds {
		wc := creds[i].toWebAuthn()
		out[i] = wc.Descriptor()
	}
	return out
}
