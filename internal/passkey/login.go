package passkey

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/id"
)

// BeginLogin starts a discoverable sign-in (empty allowCredentials, user
// verification required) bound to flowID: something only this browser holds,
// such as the sign-in attempt or the client cookie's ID. The same options
// serve the "Sign in with a passkey" button and autofill (the script adds
// mediation "conditional" itself). optionsJSON is
// {"challenge_id": …, "publicKey": {…}}.
func (s *Service) BeginLogin(ctx context.Context, flowID string) (optionsJSON []byte, challengeID string, err error) {
	if flowID == "" {
		return nil, "", errors.New("passkey: BeginLogin needs a flow ID to bind the challenge to")
	}
	assertion, sd, err := s.wa.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return nil, "", fmt.Errorf("passkey: begin login: %w", err)
	}
	challengeID = id.New(challengePrefix)
	if err := s.saveChallenge(ctx, Challenge{ID: challengeID, FlowID: flowID, Kind: KindLogin}, sd); err != nil {
		return nil, "", err
	}
	optionsJSON, err = json.Marshal(options{ChallengeID: challengeID, PublicKey: assertion.Response})
	if err != nil {
		return nil, "", fmt.Errorf("passkey: login options: %w", err)
	}
	return optionsJSON, challengeID, nil
}

// FinishLogin verifies an assertion against the challenge, which it consumes,
// and returns the passkey used; its UserID is who signed in. Every failure is
// an *apperr.Error with one message, so nothing tells an attacker which check
// failed. A counter that did not move forwards has ErrCloneWarning in its
// chain: log it as a security event.
func (s *Service) FinishLogin(ctx context.Context, challengeID, flowID string, responseJSON []byte) (*Credential, error) {
	c, sd, err := s.takeChallenge(ctx, challengeID, KindLogin, msgNotVerified)
	if err != nil {
		return nil, err
	}
	if c.FlowID == "" || c.FlowID != flowID {
		return nil, notVerified(errors.New("passkey: login challenge belongs to another flow"))
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(responseJSON)
	if err != nil {
		return nil, notVerified(describe(err))
	}
	stored, err := s.store.CredentialByID(ctx, parsed.RawID)
	if errors.Is(err, apperr.ErrNotFound) {
		return nil, notVerified(errors.New("passkey: unknown credential"))
	} else if err != nil {
		return nil, fmt.Errorf("passkey: credential by ID: %w", err)
	}
	owner := []byte(stored.UserID)
	// REQ-WA-08: the userHandle must name the credential's owner.
	// go-webauthn compares it with the user returned here as well.
	lookup := func(_, userHandle []byte) (webauthn.User, error) {
		if !bytes.Equal(userHandle, owner) {
			return nil, errors.New("userHandle is not the credential's owner")
		}
		return &waUser{id: owner, creds: []webauthn.Credential{stored.toWebAuthn()}}, nil
	}
	_, wc, err := s.wa.ValidatePasskeyLogin(lookup, *sd, parsed)
	if err != nil {
		return nil, notVerified(describe(err))
	}
	received := parsed.Response.AuthenticatorData.Counter
	// REQ-WA-09: go-webauthn only raises a flag; a possible clone fails here.
	if wc.Authenticator.CloneWarning {
		return nil, notVerified(fmt.Errorf("%w (stored %d, received %d)", ErrCloneWarning, stored.SignCount, received))
	}
	now := s.clock.Now().UTC()
	err = s.store.UpdateCredentialUse(ctx, stored.ID, wc.Authenticator.SignCount, wc.Flags.BackupState, now)
	if errors.Is(err, apperr.ErrConflict) {
		// Another sign-in with this counter value won the race.
		return nil, notVerified(fmt.Errorf("%w (received %d, lost a concurrent update)", ErrCloneWarning, received))
	} else if err != nil {
		return nil, fmt.Errorf("passkey: update credential use: %w", err)
	}
	stored.SignCount = wc.Authenticator.SignCount
	stored.BackupState = wc.Flags.BackupState
	stored.LastUsedAt = &now
	return stored, nil
}

func notVerified(cause error) error {
	return fail(apperr.Unauthorized, msgNotVerified, cause)
}
