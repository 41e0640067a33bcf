package passkey

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/id"
)

// challengePrefix marks challenge IDs; they travel in forms, never in logs.
const challengePrefix = "pkc"

// options is what Begin* return: the challenge ID to post back, and the
// publicKey options in the WebAuthn JSON form (base64url for binary fields),
// ready for PublicKeyCredential.parse*OptionsFromJSON.
type options struct {
	ChallengeID string `json:"challenge_id"`
	PublicKey   any    `json:"publicKey"`
}

// BeginRegistration starts adding a passkey for u, who must have verified
// recently (REQ-WA-10: the caller checks). existing are u's passkeys: the
// browser is told not to create a second one on an authenticator that holds
// one already. optionsJSON is {"challenge_id": …, "publicKey": {…}}.
func (s *Service) BeginRegistration(ctx context.Context, u UserInfo, existing []Credential) (optionsJSON []byte, challengeID string, err error) {
	if err := s.checkRoom(len(existing)); err != nil {
		return nil, "", err
	}
	user := &waUser{id: []byte(u.ID), name: u.Name, displayName: u.DisplayName}
	if user.displayName == "" {
		user.displayName = u.Name
	}
	creation, sd, err := s.wa.BeginRegistration(user, webauthn.WithExclusions(descriptors(existing)))
	if err != nil {
		return nil, "", fmt.Errorf("passkey: begin registration: %w", err)
	}
	// Only the RP ID is checked when the response comes back; the name is
	// what the person sees, so it is read now.
	if s.cfg.Name != nil {
		if name := s.cfg.Name(); name != "" {
			creation.Response.RelyingParty.Name = name
		}
	}
	challengeID = id.New(challengePrefix)
	c := Challenge{ID: challengeID, UserID: u.ID, Kind: KindRegister}
	if err := s.saveChallenge(ctx, c, sd); err != nil {
		return nil, "", err
	}
	optionsJSON, err = json.Marshal(options{ChallengeID: challengeID, PublicKey: creation.Response})
	if err != nil {
		return nil, "", fmt.Errorf("passkey: registration options: %w", err)
	}
	return optionsJSON, challengeID, nil
}

// FinishRegistration verifies the browser's response (the JSON of the
// PublicKeyCredential) against the challenge, which it consumes, and stores
// the new passkey named after its provider or, failing that, the browser and
// system in userAgent.
func (s *Service) FinishRegistration(ctx context.Context, userID, challengeID string, responseJSON []byte, userAgent string) (*Credential, error) {
	c, sd, err := s.takeChallenge(ctx, challengeID, KindRegister, msgNotAdded)
	if err != nil {
		return nil, err
	}
	if c.UserID == "" || c.UserID != userID {
		return nil, fail(apperr.Unauthorized, msgNotAdded, errors.New("passkey: registration challenge belongs to another user"))
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(responseJSON)
	if err != nil {
		return nil, fail(apperr.Invalid, msgNotAdded, describe(err))
	}
	existing, err := s.store.CredentialsOfUser(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("passkey: credentials of user: %w", err)
	}
	// Checked again: two registrations may have been started side by side.
	if err := s.checkRoom(len(existing)); err != nil {
		return nil, err
	}
	// Type, challenge, origin, rpIdHash, UP, UV, BE/BS and the algorithm
	// against the requested list (REQ-WA-01..07).
	wc, err := s.wa.CreateCredential(&waUser{id: []byte(userID)}, *sd, parsed)
	if err != nil {
		return nil, fail(apperr.Invalid, msgNotAdded, describe(err))
	}
	// REQ-WA-07: a credential ID already registered, to anyone, is refused.
	if _, err := s.store.CredentialByID(ctx, wc.ID); err == nil {
		return nil, fail(apperr.Conflict, msgDuplicate, errors.New("passkey: credential ID already registered"))
	} else if !errors.Is(err, apperr.ErrNotFound) {
		return nil, fmt.Errorf("passkey: credential by ID: %w", err)
	}
	cred := Credential{
		ID:              wc.ID,
		UserID:          userID,
		Name:            uniqueName(nameFor(wc.Authenticator.AAGUID, userAgent), existing),
		PublicKey:       wc.PublicKey,
		AttestationType: wc.AttestationType,
		AAGUID:          wc.Authenticator.AAGUID,
		SignCount:       wc.Authenticator.SignCount,
		BackupEligible:  wc.Flags.BackupEligible,
		BackupState:     wc.Flags.BackupState,
		Transports:      make([]string, 0, len(wc.Transport)),
		CreatedAt:       s.clock.Now().UTC(),
	}
	for _, t := range wc.Transport {
		cred.Transports = append(cred.Transports, string(t))
	}
	if err := s.store.InsertCredential(ctx, cred); errors.Is(err, apperr.ErrConflict) {
		return nil, fail(apperr.Conflict, msgDuplicate, err)
	} else if err != nil {
		return nil, fmt.Errorf("passkey: insert credential: %w", err)
	}
	return &cred, nil
}

func (s *Service) checkRoom(have int) error {
	if have < s.cfg.MaxPerUser {
		return nil
	}
	return apperr.New(apperr.Conflict, fmt.Sprintf("You already have %d passkeys. Remove one to add another.", s.cfg.MaxPerUser)).
		T("account.error.passkey_limit", "Count", s.cfg.MaxPerUser)
}

// describe keeps go-webauthn's developer detail for the log; its Error()
// alone says only "Error validating origin" and the like.
func describe(err error) error {
	var pe *protocol.Error
	if errors.As(err, &pe) && pe.DevInfo != "" {
		return fmt.Errorf("%w (%s)", err, pe.DevInfo)
	}
	return err
}
