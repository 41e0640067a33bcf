package factors

import (
	"errors"

	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/seal"
)

// sealSecret encrypts a TOTP secret with AES-256-GCM (package seal). The
// user ID is the additional data: a sealed secret copied onto another
// user's row does not open.
func sealSecret(key []byte, userID, secret string) (string, error) {
	if len(key) != seal.KeySize {
		return "", errors.New("factors: the TOTP key must be 32 bytes")
	}
	return seal.Seal(key, userID, secret)
}

func open(key []byte, userID, sealed string) (string, error) {
	if len(key) != seal.KeySize {
		return "", errors.New("factors: the TOTP key must be 32 bytes")
	}
	plain, err := seal.Open(key, userID, sealed)
	switch {
	case errors.Is(err, seal.ErrMalformed):
		return "", errors.New("factors: sealed TOTP secret is malformed")
	case err != nil:
		return "", errors.New("factors: TOTP secret does not open with this key (was the cookie secret changed?)")
	}
	return plain, nil
}

func newID(prefix string) string { return id.New(prefix) }
