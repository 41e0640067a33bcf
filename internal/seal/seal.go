// Package seal keeps secrets at rest: AES-256-GCM under a 32-byte key, with
// a random nonce per value and associated data that binds a sealed value to
// the record it belongs to, so that one copied onto another record does not
// open. The sealed form is the nonce followed by the ciphertext, base64
// without padding, fit for a TEXT column.
//
// The portal seals TOTP secrets (bound to the user's ID) and provider
// tokens (bound to the external account's ID) with the one key derived
// from the cookie secret; the IDs' prefixes differ (user_, eac_), so a
// value sealed for one purpose never opens as the other.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
)

// KeySize is the key length AES-256 takes.
const KeySize = 32

var (
	// ErrKey: the key is not KeySize bytes.
	ErrKey = errors.New("seal: the key must be 32 bytes")
	// ErrMalformed: the value is not a sealed value at all.
	ErrMalformed = errors.New("seal: sealed value is malformed")
	// ErrOpen: the value does not open with this key and associated data
	// (another key, another record's value, or altered).
	ErrOpen = errors.New("seal: value does not open with this key for this record")
)

// Seal encrypts plain under key, bound to ad.
func Seal(key []byte, ad, plain string) (string, error) {
	aead, err := gcm(key)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("seal: nonce: %w", err)
	}
	out := aead.Seal(nonce, nonce, []byte(plain), []byte(ad))
	return base64.RawStdEncoding.EncodeToString(out), nil
}

// Open decrypts what Seal made with the same key and ad.
func Open(key []byte, ad, sealed string) (string, error) {
	aead, err := gcm(key)
	if err != nil {
		return "", err
	}
	raw, err := base64.RawStdEncoding.DecodeString(sealed)
	if err != nil || len(raw) < aead.NonceSize() {
		return "", ErrMalformed
	}
	plain, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], []byte(ad))
	if err != nil {
		return "", ErrOpen
	}
	return string(plain), nil
}

func gcm(key []byte) (cipher.AEAD, error) {
	if len(key) != KeySize {
		return nil, ErrKey
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
