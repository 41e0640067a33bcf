package mfa

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"golang.org/x/crypto/argon2"

	"github.com/portalhq/portal/internal/slots"
)

// BackupCodeCount is how many codes a person gets at enrolment.
const BackupCodeCount = 10

// A code is 10 characters from a 31-character alphabet without look-alikes
// (no 0/o, 1/l/i): about 49.5 bits, written "abcde-fghij".
const (
	backupAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"
	backupLength   = 10
)

// Backup codes are hashed with argon2id at small settings. The codes are
// random (≈49.5 bits) and online guesses are rate limited, so the hash only
// has to make searching a stolen table hopeless: 2^49 argon2id runs at 4 MiB
// each is. Small settings keep checking all ten codes around 30 ms.
const (
	argonTime    = 1
	argonMemory  = 4 * 1024 // KiB
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// GenerateBackupCodes makes n distinct codes: plain to show the person once,
// hashed to store (same order). Regenerating replaces every stored code.
func GenerateBackupCodes(n int) (plain []string, hashed []string, err error) {
	if n <= 0 {
		return nil, nil, errors.New("mfa: backup code count must be positive")
	}
	seen := make(map[string]bool, n)
	for len(plain) < n {
		raw, err := randomString(backupLength)
		if err != nil {
			return nil, nil, err
		}
		if seen[raw] {
			continue
		}
		seen[raw] = true
		h, err := hashBackupCode(raw)
		if err != nil {
			return nil, nil, err
		}
		plain = append(plain, raw[:backupLength/2]+"-"+raw[backupLength/2:])
		hashed = append(hashed, h)
	}
	return plain, hashed, nil
}

// NormalizeBackupCode is what is hashed: lower case, without the spaces and
// dashes people type or copy along.
func NormalizeBackupCode(code string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '-' || r == ' ' || r == '\t' || r == '\n' || r == '\r':
			return -1
		case r >= 'A' && r <= 'Z':
			return r + ('a' - 'A')
		}
		return r
	}, code)
}

// MatchBackupCode reports which of hashed (if any) the typed code is. It
// checks every entry, so the time taken does not say which one matched.
// An entry is the portal's own argon2id hash of a normalized code (its
// own codes and imported plain ones, of any length) or an imported bcrypt
// digest (see ImportBackupCode).
//
// Matching is not consuming: pass only the unused codes, then mark the one
// at index used with a conditional update (…SET used_at = now WHERE id = ?
// AND used_at IS NULL) and treat "no row changed" as a failed attempt. That
// update, not this function, is what keeps a code single-use when two
// requests race.
//
// It checks bcrypt digests without bound; the portal checks codes with
// CheckBackupCode.
func MatchBackupCode(code string, hashed []string) (index int, ok bool) {
	index, ok, _ = CheckBackupCode(context.Background(), code, hashed, nil)
	return index, ok
}

// CheckBackupCode is MatchBackupCode with each imported bcrypt digest
// compared in one of bcryptSlots (nil: no bound); slots.ErrBusy, with
// nothing checked, when none came free in time (REQ-PW-09). A user's
// unused codes are all checked at every attempt and a digest may cost up
// to BcryptMaxCost, against two forms of the code, so one wrong code can
// ask for seconds of CPU: without a bound, a few people typing wrong codes
// at once — or one person sending many at once, before the lockout counts
// them — would take every CPU from everyone else's requests. The portal's
// own argon2id codes are cheap and never wait.
func CheckBackupCode(ctx context.Context, code string, hashed []string, bcryptSlots *slots.Slots) (index int, ok bool, err error) {
	typed, normalized := strings.TrimSpace(code), NormalizeBackupCode(code)
	index = -1
	if normalized == "" || len(normalized) > maxTypedCode {
		return -1, false, nil
	}
	for i, h := range hashed {
		if isBcrypt(h) {
			if err := bcryptSlots.Enter(ctx); err != nil {
				return -1, false, err
			}
			matched := matchBcrypt(h, typed, normalized)
			bcryptSlots.Leave()
			if matched {
				index = i
			}
			continue
		}
		salt, want, err := parseBackupHash(h)
		if err != nil {
			continue
		}
		got := argon2.IDKey([]byte(normalized), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
		if subtle.ConstantTimeCompare(got, want) == 1 {
			index = i
		}
	}
	return index, index >= 0, nil
}

// maxTypedCode bounds the codes MatchBackupCode hashes: the sign-in page's
// field holds no more.
const maxTypedCode = 64

// LooksLikeTOTPCode reports whether code is shaped like an authenticator
// app's: six digits, spaces aside. It says nothing about whether it is
// right, nor that it is not a backup code: one brought from another system
// may be six digits too.
func LooksLikeTOTPCode(code string) bool {
	code = strings.Join(strings.Fields(code), "")
	return len(code) == int(totpDigits) && strings.Trim(code, "0123456789") == ""
}

// The stored form names its settings so they can change later:
// $argon2id$v=19$m=4096,t=1,p=1$<salt>$<hash>, base64 without padding.
const backupHashPrefix = "$argon2id$v=19$m=4096,t=1,p=1$"

func hashBackupCode(normalized string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("mfa: salt: %w", err)
	}
	key := argon2.IDKey([]byte(normalized), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return backupHashPrefix + base64.RawStdEncoding.EncodeToString(salt) + "$" + base64.RawStdEncoding.EncodeToString(key), nil
}

func parseBackupHash(h string) (salt, key []byte, err error) {
	rest, ok := strings.CutPrefix(h, backupHashPrefix)
	if !ok {
		return nil, nil, errors.New("mfa: unknown backup code hash format")
	}
	s, k, ok := strings.Cut(rest, "$")
	if !ok {
		return nil, nil, errors.New("mfa: malformed backup code hash")
	}
	if salt, err = base64.RawStdEncoding.DecodeString(s); err != nil {
		return nil, nil, err
	}
	if key, err = base64.RawStdEncoding.DecodeString(k); err != nil || len(key) != argonKeyLen {
		return nil, nil, errors.New("mfa: malformed backup code hash")
	}
	return salt, key, nil
}

func randomString(n int) (string, error) {
	b := make([]byte, n)
	max := big.NewInt(int64(len(backupAlphabet)))
	for i := range b {
		v, err := rand.Int(rand.Reader, max)
		if err != nil {
			return "", fmt.Errorf("mfa: random: %w", err)
		}
		b[i] = backupAlphabet[v.Int64()]
	}
	return string(b), nil
}
