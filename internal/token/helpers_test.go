package token

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
	gojwt "github.com/golang-jwt/jwt/v5"
	"github.com/jonboulle/clockwork"
)

const (
	issuer = "https://accounts.example.com"
	ttl    = 60 * time.Second
)

var start = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newSigner(t testing.TB, ks KeyStore, clock clockwork.Clock) *Signer {
	t.Helper()
	s, err := NewSigner(context.Background(), ks, clock, ttl)
	if err != nil {
		t.Fatalf("NewSigner: %v", err)
	}
	return s
}

func sessionClaims(t testing.TB, now time.Time) SessionClaims {
	t.Helper()
	c, err := NewSessionClaims(SessionParams{
		Issuer:          issuer,
		UserID:          "user_2abc",
		SessionID:       "sess_2def",
		AuthorizedParty: "https://app.example.com",
		Now:             now,
		TTL:             ttl,
		FirstFactorAt:   now.Add(-10*time.Minute - 30*time.Second),
		SecondFactorAt:  now.Add(-90 * time.Second),
		OrgID:           "org_1",
		OrgSlug:         "acme",
		OrgRole:         "org:admin",
		OrgPermissions:  []string{"org:sys_memberships:manage"},
	})
	if err != nil {
		t.Fatalf("NewSessionClaims: %v", err)
	}
	return c
}

func sign(t testing.TB, s *Signer, claims any) string {
	t.Helper()
	tok, err := s.Sign(claims)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	return tok
}

// verifyWithGoJose verifies tok the way a relying app using go-jose would:
// from the published JWKS bytes only.
func verifyWithGoJose(t *testing.T, jwks []byte, tok string, now time.Time) (SessionClaims, error) {
	t.Helper()
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(jwks, &set); err != nil {
		t.Fatalf("parse JWKS: %v", err)
	}
	parsed, err := josejwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return SessionClaims{}, err
	}
	keys := set.Key(parsed.Headers[0].KeyID)
	if len(keys) != 1 {
		return SessionClaims{}, errors.New("kid not in JWKS")
	}
	var std josejwt.Claims
	var c SessionClaims
	if err := parsed.Claims(keys[0].Key, &std, &c); err != nil {
		return SessionClaims{}, err
	}
	err = std.ValidateWithLeeway(josejwt.Expected{Issuer: issuer, Subject: c.Subject, Time: now}, 0)
	return c, err
}

// rsaKeysFromJWKS reads n and e by hand so the golang-jwt check shares no
// code with go-jose.
func rsaKeysFromJWKS(t *testing.T, jwks []byte) map[string]*rsa.PublicKey {
	t.Helper()
	var doc struct {
		Keys []struct{ Kid, Kty, Alg, Use, N, E string }
	}
	if err := json.Unmarshal(jwks, &doc); err != nil {
		t.Fatalf("parse JWKS: %v", err)
	}
	out := map[string]*rsa.PublicKey{}
	for _, k := range doc.Keys {
		n, err1 := base64.RawURLEncoding.DecodeString(k.N)
		e, err2 := base64.RawURLEncoding.DecodeString(k.E)
		if err := errors.Join(err1, err2); err != nil || k.Kty != "RSA" {
			t.Fatalf("bad JWK %+v: %v", k, err)
		}
		out[k.Kid] = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	}
	return out
}

func storedPrivateKey(t *testing.T, ks *memStore, kid string) *rsa.PrivateKey {
	t.Helper()
	k, ok := ks.get(kid)
	if !ok {
		t.Fatalf("key %s not stored", kid)
	}
	block, _ := pem.Decode(k.PrivatePEM)
	priv, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return priv.(*rsa.PrivateKey)
}

// forge signs claims with key under any method and header the test wants.
func forge(t *testing.T, method gojwt.SigningMethod, key any, header map[string]any, claims gojwt.MapClaims) string {
	t.Helper()
	tok := gojwt.NewWithClaims(method, claims)
	for k, v := range header {
		if v == nil {
			delete(tok.Header, k)
		} else {
			tok.Header[k] = v
		}
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("forge: %v", err)
	}
	return s
}

func validMapClaims(now time.Time) gojwt.MapClaims {
	return gojwt.MapClaims{
		"iss": issuer, "sub": "user_1", "sid": "sess_1", "azp": "https://app.example.com",
		"iat": now.Unix(), "nbf": now.Unix() - 5, "exp": now.Add(ttl).Unix(), "jti": "x",
	}
}

func unretiredKIDs(t *testing.T, ks KeyStore) []string {
	t.Helper()
	keys, err := ks.SigningKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var kids []string
	for _, k := range keys {
		if k.RetiredAt == nil {
			kids = append(kids, k.KID)
		}
	}
	return kids
}

func equalClaims(a, b SessionClaims) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

func publishedKIDs(t *testing.T, jwks []byte) []string {
	t.Helper()
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(jwks, &set); err != nil {
		t.Fatal(err)
	}
	var kids []string
	for _, k := range set.Keys {
		kids = append(kids, k.KeyID)
	}
	return kids
}

func kidOf(t *testing.T, tok string) string {
	t.Helper()
	parsed, err := josejwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	return parsed.Headers[0].KeyID
}

// tamper changes the subject in the payload and keeps the signature.
func tamper(t *testing.T, tok string) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	_ = json.Unmarshal(payload, &m)
	m["sub"] = "user_admin"
	payload, _ = json.Marshal(m)
	return parts[0] + "." + base64.RawURLEncoding.EncodeToString(payload) + "." + parts[2]
}

func mustDER(t *testing.T, pub *rsa.PublicKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func mustParse(t *testing.T, k Key) *rsa.PrivateKey {
	t.Helper()
	priv, _, err := parseKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return priv
}

func selfSignedCert(t *testing.T, priv *rsa.PrivateKey) string {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "evil"},
		NotBefore: start.Add(-time.Hour), NotAfter: start.Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(der)
}
