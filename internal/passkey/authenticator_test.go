package passkey_test

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
	flagUP = 0x01
	flagUV = 0x04
	flagBE = 0x08
	flagBS = 0x10
	flagAT = 0x40
)

const (
	testRPID   = "example.com" // the parent domain of the origin
	testOrigin = "https://accounts.example.com"
)

var b64 = base64.RawURLEncoding

// softKey is a software passkey: one ECDSA P-256 credential, as a platform
// authenticator would hold it, producing the JSON a browser posts back.
type softKey struct {
	key        *ecdsa.PrivateKey
	id         []byte
	userHandle []byte // learnt at registration
	aaguid     [16]byte
	counter    uint32
}

func newSoftKey(t *testing.T) *softKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 32)
	_, _ = rand.Read(id)
	return &softKey{key: key, id: id}
}

// ceremony holds what a test changes about one response; zero values mean
// "as a real browser and authenticator would do it".
type ceremony struct {
	origin      string
	rpID        string
	typ         string
	flags       byte // UP|UV|BE|BS when 0
	counter     *uint32
	userHandle  []byte
	alg         int64 // COSE algorithm declared for the key; ES256 when 0
	crossOrigin bool
	challenge   []byte // replaces the server's challenge
}

func (c ceremony) or(origin, rpID, typ string) ceremony {
	if c.origin == "" {
		c.origin = origin
	}
	if c.rpID == "" {
		c.rpID = rpID
	}
	if c.typ == "" {
		c.typ = typ
	}
	if c.flags == 0 {
		c.flags = flagUP | flagUV | flagBE | flagBS
	}
	if c.alg == 0 {
		c.alg = -7
	}
	return c
}

// serverOptions is the part of the portal's options JSON the authenticator reads.
type serverOptions struct {
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

func parseOptions(t *testing.T, optionsJSON []byte) serverOptions {
	t.Helper()
	var o serverOptions
	if err := json.Unmarshal(optionsJSON, &o); err != nil {
		t.Fatalf("options JSON: %v\n%s", err, optionsJSON)
	}
	return o
}

func (k *softKey) clientData(t *testing.T, c ceremony, challenge string) []byte {
	t.Helper()
	if c.challenge != nil {
		challenge = b64.EncodeToString(c.challenge)
	}
	cd, err := json.Marshal(map[string]any{
		"type": c.typ, "challenge": challenge, "origin": c.origin, "crossOrigin": c.crossOrigin,
	})
	if err != nil {
		t.Fatal(err)
	}
	return cd
}

func (k *softKey) authData(c ceremony, extra []byte) []byte {
	rpHash := sha256.Sum256([]byte(c.rpID))
	counter := k.counter
	if c.counter != nil {
		counter = *c.counter
	}
	out := append(rpHash[:], c.flags)
	out = binary.BigEndian.AppendUint32(out, counter)
	return append(out, extra...)
}

// create answers navigator.credentials.create() with a "none" attestation.
func (k *softKey) create(t *testing.T, optionsJSON []byte, c ceremony) []byte {
	t.Helper()
	c = c.or(testOrigin, testRPID, "webauthn.create")
	c.flags |= flagAT
	o := parseOptions(t, optionsJSON)
	handle, err := b64.DecodeString(o.PublicKey.User.ID)
	if err != nil {
		t.Fatalf("user.id is not base64url: %v", err)
	}
	k.userHandle = handle

	cose, err := cbor.Marshal(map[int]any{
		1: 2, 3: c.alg, -1: 1, // kty EC2, alg, crv P-256
		-2: k.key.X.FillBytes(make([]byte, 32)),
		-3: k.key.Y.FillBytes(make([]byte, 32)),
	})
	if err != nil {
		t.Fatal(err)
	}
	attested := append(k.aaguid[:], byte(len(k.id)>>8), byte(len(k.id)))
	attested = append(append(attested, k.id...), cose...)
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

// get answers navigator.credentials.get() and advances the counter unless
// the ceremony fixes it.
func (k *softKey) get(t *testing.T, optionsJSON []byte, c ceremony) []byte {
	t.Helper()
	c = c.or(testOrigin, testRPID, "webauthn.get")
	if c.counter == nil && k.counter != 0 {
		k.counter++
	}
	o := parseOptions(t, optionsJSON)
	cd := k.clientData(t, c, o.PublicKey.Challenge)
	ad := k.authData(c, nil)
	cdHash := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte{}, ad...), cdHash[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, k.key, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	handle := k.userHandle
	if c.userHandle != nil {
		handle = c.userHandle
	}
	return k.response(t, map[string]any{
		"clientDataJSON":    b64.EncodeToString(cd),
		"authenticatorData": b64.EncodeToString(ad),
		"signature":         b64.EncodeToString(sig),
		"userHandle":        b64.EncodeToString(handle),
	})
}

func (k *softKey) response(t *testing.T, response map[string]any) []byte {
	t.Helper()
	out, err := json.Marshal(map[string]any{
		"id": b64.EncodeToString(k.id), "rawId": b64.EncodeToString(k.id), "type": "public-key",
		"authenticatorAttachment": "platform", "clientExtensionResults": map[string]any{},
		"response": response,
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
