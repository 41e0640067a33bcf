// Package id makes the prefixed random identifiers of the contract
// (user_…, sess_…, client_…) and opaque secrets.
package id

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"math/big"
)

const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// Prefixes of the contract's identifiers.
const (
	User         = "user"
	Session      = "sess"
	Client       = "client"
	Identifier   = "idn"
	SignIn       = "sia"
	SignUp       = "sua"
	Event        = "evt"
	Verification = "ver"
	Message      = "msg"
	Org          = "org"
	OrgMember    = "orgmem"
	OrgInvite    = "orginv"
	Invitation   = "inv" // an invitation to the application, Clerk's inv_
	// WaitlistEntry is an address on the waiting list (wle_).
	WaitlistEntry = "wle"
	// SignInToken is a Backend API sign-in token (Clerk's sit_).
	SignInToken = "sit"
	// ActorToken is a Backend API actor token, for impersonation (Clerk's act_).
	ActorToken = "act"
	// AllowlistIdentifier and BlocklistIdentifier are entries the Backend
	// API adds to the allowlist and blocklist (Clerk's alid_, blid_).
	AllowlistIdentifier = "alid"
	BlocklistIdentifier = "blid"
)

// New returns prefix_ followed by 27 base62 characters (160 random bits).
func New(prefix string) string {
	return prefix + "_" + Random(27)
}

// Random returns n base62 characters from crypto/rand.
func Random(n int) string {
	b := make([]byte, n)
	max := big.NewInt(int64(len(alphabet)))
	for i := range b {
		v, err := rand.Int(rand.Reader, max)
		if err != nil {
			panic(err) // crypto/rand never fails on supported platforms
		}
		b[i] = alphabet[v.Int64()]
	}
	return string(b)
}

// HashSecret is what the store keeps of a secret made by Secret(32) (an
// invitation's ticket, a sign-in token): its SHA-256 in hex. 256 random
// bits need no slow hash.
func HashSecret(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// Secret returns a URL-safe string of n random bytes (use n ≥ 16, REQ-CR-01).
func Secret(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
