package jwttemplate

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"

	"github.com/go-jose/go-jose/v4"
)

// signingKey parses a custom key for alg: the shared secret for HS*, a PEM
// private key (PKCS#1, SEC 1 or PKCS#8) for RS256 and ES256.
func signingKey(alg, key string) (any, error) {
	bad := func(msg string) error { return invalid("signing_key", msg) }
	switch alg {
	case "HS256", "HS384", "HS512":
		if len(key) < minHMACKeyBytes {
			return nil, bad(fmt.Sprintf("An %s secret must be at least %d bytes.", alg, minHMACKeyBytes))
		}
		return []byte(key), nil
	}
	block, _ := pem.Decode([]byte(key))
	if block == nil {
		return nil, bad("Give the private key in PEM.")
	}
	var (
		parsed any
		err    error
	)
	switch block.Type {
	case "RSA PRIVATE KEY":
		parsed, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		parsed, err = x509.ParseECPrivateKey(block.Bytes)
	case "PRIVATE KEY":
		parsed, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	default:
		return nil, bad("Give a private key (PEM RSA PRIVATE KEY, EC PRIVATE KEY or PRIVATE KEY).")
	}
	if err != nil {
		return nil, bad("The private key could not be read.")
	}
	switch k := parsed.(type) {
	case *rsa.PrivateKey:
		if alg != "RS256" || k.N.BitLen() < 2048 {
			return nil, bad("RS256 needs an RSA key of at least 2048 bits.")
		}
		return k, nil
	case *ecdsa.PrivateKey:
		if alg != "ES256" || k.Curve != elliptic.P256() {
			return nil, bad("ES256 needs an EC key on P-256.")
		}
		return k, nil
	}
	return nil, bad("This kind of key can't sign " + alg + ".")
}

// signCustom signs claims with a template's own key, typ JWT, no kid.
func signCustom(t *Template, claims map[string]any) (string, error) {
	key, err := signingKey(t.SigningAlgorithm, t.SigningKey)
	if err != nil {
		return "", err
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(t.SigningAlgorithm), Key: key},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}
