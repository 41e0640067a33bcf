// Package password hashes, verifies and vets passwords.
//
// Hashes are argon2id in the PHC string format, so each stored hash carries the
// parameters it was made with and can be upgraded on the next sign-in
// (REQ-PW-08). Every path into argon2 is bounded: input bytes, concurrent
// computations and parameters read back from storage (REQ-PW-09).
package password

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/text/unicode/norm"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/slots"
)

// Params are argon2id cost parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes over memory
	Threads uint8
}

// DefaultParams is the ASVS Appendix C pairing of 19 MiB with two passes:
// slow enough to hurt offline guessing, cheap enough for a busy sign-in page.
// Treat it as a constant.
var DefaultParams = Params{Memory: 19 * 1024, Time: 2, Threads: 1}

const (
	// MaxBytes caps password input. It is far above any password a person types
	// (REQ-PW-02 asks for at least 64 characters) and keeps hashing cost fixed.
	MaxBytes = 1024

	saltLen = 16
	keyLen  = 32

	// Ceilings for parameters, whether configured or decoded from a stored hash:
	// a tampered or corrupt row must not make one sign-in allocate gigabytes.
	maxMemory  = 256 * 1024
	maxTime    = 10
	maxThreads = 8
	minSaltLen = 8 // the argon2 specification's minimum
	maxSaltLen = 64
	minKeyLen  = 16
	maxKeyLen  = 64

	defaultMaxWait = 3 * time.Second
)

var (
	// ErrBusy means every hashing slot stayed taken for the whole wait.
	ErrBusy = &apperr.Error{
		Code:    apperr.Unavailable,
		Message: "Too many sign-in attempts are being processed right now. Please try again in a moment.",
		ID:      "error.password.busy",
	}
	// ErrTooLong is returned before any hashing for input over MaxBytes.
	ErrTooLong = &apperr.Error{
		Code:    apperr.Invalid,
		Field:   "password",
		Message: "That password is too long. Please use a shorter one.",
		ID:      "error.password.too_long_bytes",
		// Clerk's code for a password over its byte limit.
		APICode: "form_password_size_in_bytes_exceeded",
	}
)

// Hasher computes argon2id hashes with a bound on how many run at once, so a
// burst of sign-ins queues instead of exhausting memory (REQ-PW-09).
type Hasher struct {
	params Params
	slots  *slots.Slots
	dummy  string // hash with h's params that no password matches

	computed atomic.Int64 // argon2 runs, so tests can see work was done
}

// NewHasher returns a Hasher using p. maxConcurrent <= 0 means one slot per
// CPU; maxWait <= 0 means 3 s. It panics when p is outside the bounds Verify
// accepts, because such hashes could never be verified.
func NewHasher(p Params, maxConcurrent int, maxWait time.Duration) *Hasher {
	if err := p.check(); err != nil {
		panic("password: " + err.Error())
	}
	if maxConcurrent <= 0 {
		maxConcurrent = runtime.NumCPU()
	}
	if maxWait <= 0 {
		maxWait = defaultMaxWait
	}
	dummySalt := make([]byte, saltLen)
	if _, err := rand.Read(dummySalt); err != nil {
		panic("password: reading random salt: " + err.Error())
	}
	// An all-zero key is as good as any: no password derives it, and Verify
	// does the same argon2 work whatever it is compared with.
	return &Hasher{
		params: p,
		slots:  slots.New(maxConcurrent, maxWait),
		dummy:  encode(p, dummySalt, make([]byte, keyLen)),
	}
}

// Params reports the parameters new hashes are made with.
func (h *Hasher) Params() Params { return h.params }

// Slots reports how many hashes are computed at once at most.
func (h *Hasher) Slots() int { return h.slots.Cap() }

// Computations reports how many argon2 runs h has done. Tests use it to see
// that every failed sign-in costs the same work, known account or not
// (REQ-RL-05).
func (h *Hasher) Computations() uint64 { return uint64(h.computed.Load()) }

// Hash returns the PHC-encoded argon2id hash of password after NFC
// normalisation (REQ-PW-02). It returns ErrTooLong or ErrBusy as they apply.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	if len(password) > MaxBytes {
		return "", ErrTooLong
	}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password: reading salt: %w", err)
	}
	key, err := h.derive(ctx, password, salt, h.params, keyLen)
	if err != nil {
		return "", err
	}
	return encode(h.params, salt, key), nil
}

// Verify reports whether password matches encoded, comparing the whole
// normalised input in constant time (REQ-PW-04). needsRehash is true on a
// match whose hash was made with other parameters than h's; the caller should
// then store a fresh Hash. A malformed hash, or one whose parameters exceed the
// ceilings, is an error and costs no hashing (REQ-PW-09).
func (h *Hasher) Verify(ctx context.Context, password, encoded string) (ok, needsRehash bool, err error) {
	if len(password) > MaxBytes {
		return false, false, ErrTooLong
	}
	if isBcrypt(encoded) {
		return h.verifyBcrypt(ctx, password, encoded)
	}
	p, salt, want, err := decode(encoded)
	if err != nil {
		return false, false, err
	}
	got, err := h.derive(ctx, password, salt, p, uint32(len(want)))
	if err != nil {
		return false, false, err
	}
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return h.verifyUnnormalised(ctx, password, salt, p, want)
	}
	stale := p != h.params || len(salt) != saltLen || len(want) != keyLen
	return true, stale, nil
}

// verifyUnnormalised checks the password's exact bytes when NFC changes
// them. An argon2id digest imported from another system was made from what
// that system received, not normalised as the portal's own hashes are: a
// password with a decomposed accent (as some keyboards send é) would
// otherwise never match its imported hash. The bytes are the same password
// as its normalised form (REQ-PW-04: nothing is folded), so this accepts
// nothing a person could not type; a match is rehashed the portal's way.
func (h *Hasher) verifyUnnormalised(ctx context.Context, password string, salt []byte, p Params, want []byte) (ok, needsRehash bool, err error) {
	if norm.NFC.IsNormalString(password) {
		return false, false, nil
	}
	got, err := h.deriveBytes(ctx, []byte(password), salt, p, uint32(len(want)))
	if err != nil {
		return false, false, err
	}
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return false, false, nil
	}
	return true, true, nil
}

// DummyVerify does the work of a failed Verify for an identifier that matches
// no account, so response time does not reveal which accounts exist. It
// returns the errors Verify would (ErrBusy, ErrTooLong), so an overloaded or
// over-long attempt looks the same whether the account exists or not.
func (h *Hasher) DummyVerify(ctx context.Context, password string) error {
	_, _, err := h.Verify(ctx, password, h.dummy)
	return err
}

func (h *Hasher) derive(ctx context.Context, password string, salt []byte, p Params, n uint32) ([]byte, error) {
	return h.deriveBytes(ctx, []byte(norm.NFC.String(password)), salt, p, n)
}

func (h *Hasher) deriveBytes(ctx context.Context, pw, salt []byte, p Params, n uint32) ([]byte, error) {
	if err := h.acquire(ctx); err != nil {
		return nil, err
	}
	defer h.slots.Leave()
	h.computed.Add(1)
	return argon2.IDKey(pw, salt, p.Time, p.Memory, p.Threads, n), nil
}

func (h *Hasher) acquire(ctx context.Context) error {
	if h.slots.Enter(ctx) != nil {
		return ErrBusy
	}
	return nil
}

func (p Params) check() error {
	switch {
	case p.Time < 1 || p.Time > maxTime:
		return fmt.Errorf("argon2 time %d outside 1..%d", p.Time, maxTime)
	case p.Threads < 1 || p.Threads > maxThreads:
		return fmt.Errorf("argon2 threads %d outside 1..%d", p.Threads, maxThreads)
	case p.Memory < 8*uint32(p.Threads) || p.Memory > maxMemory:
		return fmt.Errorf("argon2 memory %d KiB outside %d..%d", p.Memory, 8*uint32(p.Threads), maxMemory)
	}
	return nil
}

var b64 = base64.RawStdEncoding

func encode(p Params, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

var errFormat = errors.New("password: stored hash is not a PHC argon2id string")

func decode(s string) (p Params, salt, key []byte, err error) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, errFormat
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, fmt.Errorf("password: unsupported argon2 version %q", parts[2])
	}
	if p, err = parseParams(parts[3]); err != nil {
		return p, nil, nil, err
	}
	if err = p.check(); err != nil {
		return p, nil, nil, fmt.Errorf("password: refusing stored hash: %w", err)
	}
	if salt, err = b64.Strict().DecodeString(parts[4]); err != nil || len(salt) < minSaltLen || len(salt) > maxSaltLen {
		return p, nil, nil, fmt.Errorf("password: stored hash has a bad salt")
	}
	if key, err = b64.Strict().DecodeString(parts[5]); err != nil || len(key) < minKeyLen || len(key) > maxKeyLen {
		return p, nil, nil, fmt.Errorf("password: stored hash has a bad key")
	}
	return p, salt, key, nil
}

// parseParams reads "m=…,t=…,p=…" strictly, in that order.
func parseParams(s string) (Params, error) {
	fields := strings.Split(s, ",")
	if len(fields) != 3 {
		return Params{}, errFormat
	}
	var v [3]uint64
	for i, name := range []string{"m", "t", "p"} {
		num, ok := strings.CutPrefix(fields[i], name+"=")
		if !ok {
			return Params{}, errFormat
		}
		n, err := strconv.ParseUint(num, 10, 32)
		if err != nil {
			return Params{}, fmt.Errorf("password: stored hash parameter %s: %w", name, err)
		}
		v[i] = n
	}
	if v[2] > 255 {
		return Params{}, fmt.Errorf("password: stored hash parameter p=%d too large", v[2])
	}
	return Params{Memory: uint32(v[0]), Time: uint32(v[1]), Threads: uint8(v[2])}, nil
}

// Imported bcrypt hashes (Backend API password_digest) are verified as they
// are and replaced by argon2id on the first sign-in that matches. bcrypt
// reads only 72 bytes: a longer password never matches (instead of matching
// on its first 72 bytes, SECURITY.md T2), and the person resets it.
const (
	bcryptMaxBytes = 72
	bcryptMaxCost  = 14 // bounds the work a stored hash can ask for (REQ-PW-09)
)

func isBcrypt(s string) bool {
	return strings.HasPrefix(s, "$2a$") || strings.HasPrefix(s, "$2b$") || strings.HasPrefix(s, "$2y$")
}

func checkBcrypt(encoded string) error {
	cost, err := bcrypt.Cost([]byte(encoded))
	if err != nil {
		return fmt.Errorf("password: stored bcrypt hash: %w", err)
	}
	if cost > bcryptMaxCost {
		return fmt.Errorf("password: refusing stored bcrypt hash of cost %d (at most %d)", cost, bcryptMaxCost)
	}
	return nil
}

func (h *Hasher) verifyBcrypt(ctx context.Context, password, encoded string) (ok, needsRehash bool, err error) {
	if err := checkBcrypt(encoded); err != nil {
		return false, false, err
	}
	if err := h.acquire(ctx); err != nil {
		return false, false, err
	}
	defer h.slots.Leave()
	h.computed.Add(1)
	if len(password) > bcryptMaxBytes {
		return false, false, nil
	}
	if bcrypt.CompareHashAndPassword([]byte(encoded), []byte(password)) != nil {
		return false, false, nil
	}
	return true, true, nil
}

// Digest hashers accepted for imported passwords.
const (
	DigestArgon2id = "argon2id"
	DigestBcrypt   = "bcrypt"
)

// CheckDigest validates a password hash brought from another system: a PHC
// argon2id string or a bcrypt hash, with parameters Verify will accept.
func CheckDigest(hasher, digest string) error {
	bad := func(msg string) error {
		return apperr.Field(apperr.Invalid, "password_digest", msg).Coded("form_password_digest_invalid_code")
	}
	switch hasher {
	case DigestBcrypt:
		if !isBcrypt(digest) || checkBcrypt(digest) != nil {
			return bad("This is not a bcrypt hash ($2a$, $2b$ or $2y$, cost at most 14).")
		}
	case DigestArgon2id:
		if _, _, _, err := decode(digest); err != nil {
			return bad("This is not an argon2id hash in the PHC string format with acceptable parameters.")
		}
	case "":
		return apperr.Field(apperr.Invalid, "password_hasher", "Use bcrypt or argon2id.")
	default:
		// Clerk takes more (pbkdf2_sha256, scrypt_firebase, …): say which
		// was refused and what to do with such users instead.
		return apperr.Field(apperr.Invalid, "password_hasher", fmt.Sprintf("Portal verifies bcrypt and argon2id "+
			"digests only, not %.40q. Import this user without a password (skip_password_requirement) "+
			"and they sign in another way or set a new one.", hasher))
	}
	return nil
}

// ErrExposedAgain refuses, as the new password, the one that was marked as
// compromised: a change forced on evidence of compromise (REQ-PW-03) must
// end with another password.
var ErrExposedAgain = apperr.Field(apperr.Invalid, "password",
	"Choose a different password: your old one may have been exposed.").T("error.password.exposed")

// CheckNotExposed returns ErrExposedAgain when pw is the password exposed
// encodes (the stored hash of a password marked as compromised).
func (h *Hasher) CheckNotExposed(ctx context.Context, pw, exposed string) error {
	ok, _, err := h.Verify(ctx, pw, exposed)
	if err != nil {
		return err
	}
	if ok {
		return ErrExposedAgain
	}
	return nil
}
