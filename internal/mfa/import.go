package mfa

import (
	"encoding/base32"
	"errors"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// What a user brings from another system (the Backend API's POST /v1/users
// totp_secret and backup_codes) is checked here before anything is stored.
const (
	// MinImportedSecretBytes is the shortest TOTP secret taken: 80 bits,
	// 16 Base32 characters, what many authenticator setups have long
	// issued. A much shorter one could be worked out from a few codes
	// someone saw.
	MinImportedSecretBytes = 10
	// MaxImportedSecretBytes is HMAC-SHA1's block: a longer key is hashed
	// down to 20 bytes anyway, and none is issued that long.
	MaxImportedSecretBytes = 64
	// MinBackupCodeLength and MaxBackupCodeLength bound an imported plain
	// backup code, normalized: six characters is the shortest any system
	// issues (Clerk documents six digits); the longest, with a dash every
	// few characters, still fits the sign-in page's field (64).
	MinBackupCodeLength = 6
	MaxBackupCodeLength = 32
	// BcryptMaxCost bounds an imported bcrypt digest of a backup code.
	// Every unused code is checked at each attempt, against the code as
	// typed and, when that fails and differs, as normalized, so their
	// costs add up: ten digests of cost 12 take a few seconds of a CPU,
	// the most a person typing a backup code should wait. CheckBackupCode
	// keeps those seconds from adding up across requests.
	BcryptMaxCost = 12
)

var (
	ErrSecretNotBase32 = errors.New("not Base32")
	ErrSecretTooShort  = errors.New("shorter than 80 bits")
	ErrSecretTooLong   = errors.New("longer than 512 bits")
	ErrCodeEmpty       = errors.New("empty")
	ErrCodeLength      = errors.New("not 6 to 32 characters")
	ErrCodeCharacters  = errors.New("not printable ASCII")
	ErrCodeDigest      = errors.New("not a bcrypt digest of acceptable cost")
)

var secretEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// ParseTOTPSecret reads a Base32 TOTP secret (RFC 4648: A–Z, 2–7) as other
// systems write it — in either case, in groups separated by spaces, with
// '=' padding or without — and returns it as NewTOTPSecret makes them: upper
// case, unpadded. The secret must be for 30-second, six-digit SHA-1 codes,
// the only kind the portal checks; nothing in it says otherwise.
func ParseTOTPSecret(secret string) (string, error) {
	s := strings.TrimRight(strings.ToUpper(strings.Join(strings.Fields(secret), "")), "=")
	raw, err := secretEncoding.DecodeString(s)
	switch {
	// Go's decoder drops a last character that no byte needs; a length
	// no bytes encode to is a secret cut short or mistyped.
	case err != nil || s == "" || len(s)%8 == 1 || len(s)%8 == 3 || len(s)%8 == 6:
		return "", ErrSecretNotBase32
	case len(raw) < MinImportedSecretBytes:
		return "", ErrSecretTooShort
	case len(raw) > MaxImportedSecretBytes:
		return "", ErrSecretTooLong
	}
	return secretEncoding.EncodeToString(raw), nil
}

// ImportBackupCode returns what to store for a backup code brought from
// another system: a bcrypt digest of it ($2a$, $2b$ or $2y$, cost at most
// BcryptMaxCost) as it is, or a plain code hashed as the portal's own codes
// are, so that it is typed the same way (any case, dashes and spaces
// ignored). key tells two given codes apart: the normalized code, or the
// digest.
func ImportBackupCode(code string) (stored, key string, err error) {
	code = strings.TrimSpace(code)
	if strings.HasPrefix(code, "$2") {
		if !validBcrypt(code) {
			return "", "", ErrCodeDigest
		}
		return code, code, nil
	}
	n := NormalizeBackupCode(code)
	switch {
	case n == "":
		return "", "", ErrCodeEmpty
	case strings.IndexFunc(n, func(r rune) bool { return r < '!' || r > '~' }) >= 0:
		return "", "", ErrCodeCharacters
	case len(n) < MinBackupCodeLength || len(n) > MaxBackupCodeLength:
		return "", "", ErrCodeLength
	}
	h, err := hashBackupCode(n)
	return h, n, err
}

func isBcrypt(h string) bool {
	return strings.HasPrefix(h, "$2a$") || strings.HasPrefix(h, "$2b$") || strings.HasPrefix(h, "$2y$")
}

// validBcrypt reports whether h is a whole bcrypt digest: a version the
// portal reads, a cost it accepts, then 53 characters of bcrypt's base64.
func validBcrypt(h string) bool {
	if !isBcrypt(h) || len(h) != 60 {
		return false
	}
	cost, err := bcrypt.Cost([]byte(h))
	if err != nil || cost > BcryptMaxCost {
		return false
	}
	const alphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	return h[6] == '$' && strings.Trim(h[7:], alphabet) == ""
}

// matchBcrypt checks an imported digest against the code as typed (the old
// system may have hashed it with its dash or in capitals) and, when that
// fails and differs, as normalized (or without them). bcrypt reads 72
// bytes at most: a longer code never matches.
func matchBcrypt(digest, typed, normalized string) bool {
	if !validBcrypt(digest) {
		return false
	}
	if bcrypt.CompareHashAndPassword([]byte(digest), []byte(typed)) == nil {
		return true
	}
	return normalized != typed && bcrypt.CompareHashAndPassword([]byte(digest), []byte(normalized)) == nil
}
