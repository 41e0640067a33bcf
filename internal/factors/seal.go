package factors

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/portalhq/portal/internal/id"
)

// seal encrypts a TOTP secret with AES-256-GCM. The user ID is the
// additional data: a sealed secret copied onto another user's row does not
// open.
func seal(key []byte, userID, secret string) (string, error) {
	aead, err := gcm(key)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("factors: nonce: %w", err)
	}
	out := aead.Seal(nonce, nonce, []byte(secret), []byte(userID))
	return base64.RawStdEncoding.EncodeToString(out), nil
}

func open(key []byte, userID, sealed string) (string, error) {
	aead, err := gcm(key)
	if err != nil {
		return "", err
	}
	raw, err := base64.RawStdEncoding.DecodeString(sealed)
	if err != nil || len(raw) < aead.NonceSize() {
		return "", errors.New("factors: sealed TOTP secret is malformed")
	}
	plain, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], []byte(userID))
	if err != nil {
		return "", errors.New("factors: TOTP secret does not open with this key (was the cookie secret changed?)")
	}
	return string(plain), nil
}

func gcm(key []byte) (cipher.AEAD, error) {
	if len(key) != 32 {
		return nil, errors.New("factors: the TOTP key must be 32 bytes")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

func newID(prefix string) string { return id.New(prefix) }
