// Package webauthntest is a software passkey for tests: one ECDSA P-256
// credential, as a platform authenticator would hold it, answering the
// portal's options JSON with the JSON a browser posts back. Every field of
// a response can be bent through Ceremony, so tests can send what a
// broken or hostile client would.
package webauthntest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"testing"

	"github.com/fxamacker/cbor/v2"
)

// Authenticator data flags (WebAuthn §6.1).
const (
	FlagUP = 0x01
	FlagUV = 0x04
	FlagBE = 0x08
	FlagBS = 0x10
	FlagAT = 0x40
)

var b64 = base64.RawURLEncoding

// Key is one passkey. Origin and RPID are what a browser at that origin
// would put in its responses.
type Key struct {
	ID         []byte
	UserHandle []byte // learnt at registration
	AAGUID     [16]byte
	Counter    uint32 // 0 keeps it at zero, as synced passkeys do
	Origin     string
	RPID       string
	key        *ecdsa.PrivateKey
}

// NewKey makes a passkey used from origin for the relying party rpID.
func NewKey(t testing.TB, origin, rpID string) *Key {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 32)
	_, _ = rand.Read(id)
	return &Key{key: key, ID: id, Origin: origin, RPID: rpID}
}

// Ceremony holds what a test changes about one response; zero values mean
// "as a real browser and authenticator would do it".
type Ceremony struct {
	Origin      string
	RPID        string
	Type        string
	Flags       byte // UP|UV|BE|BS when 0
	Counter     *uint32
	UserHandle  []byte
	Alg         int64 // COSE algorithm declared for the key; ES256 when 0
	CrossOrigin bool
	TopOrigin   string // clientData.topOrigin when set
	Challenge   []byte // replaces the server's challenge
}

func (k *Key) fill(c Ceremony, typ string) Ceremony {
	if c.Origin == "" {
		c.Origin = k.Origin
	}
	if c.RPID == "" {
		c.RPID = k.RPID
	}
	if c.Type == "" {
		c.Type = typ
	}
	if c.Flags == 0 {
		c.Flags = FlagUP | FlagUV | FlagBE | FlagBS
	}
	if c.Alg == 0 {
		c.Alg = -7
	}
	return c
}

// Options is the part of the portal's options JSON an authenticator reads.
type Options struct {
	ChallengeID string `json:"challenge_id"`
	PublicKey   struct {
		Challenge string `json:"challenge"`
		RPID      string `json:"rpId"`
		RP        struct {
			ID string `json:"id"`
		} `json:"rp"`
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	} `json:"publicKey"`
}

// ParseOptions reads {"challenge_id": …, "publicKey": {…}}.
func ParseOptions(t testing.TB, optionsJSON []byte) Options {
	t.Helper()
	var o Options
	if err := json.Unmarshal(optionsJSON, &o); err != nil {
		t.Fatalf("options JSON: %v\n%s", err, optionsJSON)
	}
	return o
}

func (k *Key) clientData(t testing.TB, c Ceremony, challenge string) []byte {
	t.Helper()
	if c.Challenge != nil {
		challenge = b64.EncodeToString(c.Challenge)
	}
	fields := map[string]any{
		"type": c.Type, "challenge": challenge, "origin": c.Origin, "crossOrigin": c.CrossOrigin,
	}
	if c.TopOrigin != "" {
		fields["topOrigin"] = c.TopOrigin
	}
	cd, err := json.Marshal(fields)
	if err != nil {
		t.Fatal(err)
	}
	return cd
}

func (k *Key) authData(c Ceremony, extra []byte) []byte {
	rpHash := sha256.Sum256([]byte(c.RPID))
	counter := k.Counter
	if c.Counter != nil {
		counter = *c.Counter
	}
	out := append(rpHash[:], c.Flags)
	out = binary.BigEndian.AppendUint32(out, counter)
	return append(out, extra...)
}

// Create answers navigator.credentials.create() with a "none" attestation.
func (k *Key) Create(t testing.TB, optionsJSON []byte, c Ceremony) []byte {
	t.Helper()
	c = k.fill(c, "webauthn.create")
	c.Flags |= FlagAT
	o := ParseOptions(t, optionsJSON)
	handle, err := b64.DecodeString(o.PublicKey.User.ID)
	if err != nil {
		t.Fatalf("user.id is not base64url: %v", err)
	}
	k.UserHandle = handle

	cose, err := cbor.Marshal(map[int]any{
		1: 2, 3: c.Alg, -1: 1, // kty EC2, alg, crv P-256
		-2: k.key.X.FillBytes(make([]byte, 32)),
		-3: k.key.Y.FillBytes(make([]byte, 32)),
	})
	if err != nil {
		t.Fatal(err)
	}
	attested := append(k.AAGUID[:], byte(len(k.ID)>>8), byte(len(k.ID)))
	attested = append(append(attested, k.ID...), cose...)
	attObj, err := cbor.Marshal(map[string]any{
		"fmt": "none", "attStmt": map[string]any{}, "authData": k.authData(c, attested),
	})
	if err != nil {
		t.Fatal(err)
	}
	return k.response(t, map[string]any{
		"clientDataJSON":    b64.EncodeToString(k.clientData(t, c, o.PublicKey.Challenge)),
		"attestationObject": b64.EncodeToString(attObj),
		"transports":        []string{"internal", "hybrid"},
	})
}

// Get answers navigator.credentials.get() and advances the counter unless
// the ceremony fixes it.
func (k *Key) Get(t testing.TB, optionsJSON []byte, c Ceremony) []byte {
	t.Helper()
	c = k.fill(c, "webauthn.get")
	if c.Counter == nil && k.Counter != 0 {
		k.Counter++
	}
	o := ParseOptions(t, optionsJSON)
	cd := k.clientData(t, c, o.PublicKey.Challenge)
	ad := k.authData(c, nil)
	cdHash := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte{}, ad...), cdHash[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, k.key, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	handle := k.UserHandle
	if c.UserHandle != nil {
		handle = c.UserHandle
	}
	return k.response(t, map[string]any{
		"clientDataJSON":    b64.EncodeToString(cd),
		"authenticatorData": b64.EncodeToString(ad),
		"signature":         b64.EncodeToString(sig),
		"userHandle":        b64.EncodeToString(handle),
	})
}

func (k *Key) response(t testing.TB, response map[string]any) []byte {
	t.Helper()
	out, err := json.Marshal(map[string]any{
		"id": b64.EncodeToString(k.ID), "rawId": b64.EncodeToString(k.ID), "type": "public-key",
		"authenticatorAttachment": "platform", "clientExtensionResults": map[string]any{},
		"response": response,
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
