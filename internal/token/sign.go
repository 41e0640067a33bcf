package token

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/portalhq/portal/internal/apperr"
)

// ClockSkew is how far ahead of this process's clock a token's nbf may be:
// it covers skew between portal processes (REQ-JWT-04). exp gets none, since
// the token lifetime is short and the contract's nbf is already backdated.
const ClockSkew = 5 * time.Second

// maxTokenBytes bounds the work an oversized token can cause.
const maxTokenBytes = 8 << 10

// Errors Verify returns, wrapped with the reason; match them with errors.Is.
var (
	ErrInvalid = apperr.New(apperr.Unauthorized, "Your session is not valid. Please sign in again.")
	ErrExpired = apperr.New(apperr.Unauthorized, "Your session has expired. Please sign in again.")
)

// Sign serialises claims as a compact JWS with header alg RS256, the active
// kid and typ JWT.
func (s *Signer) Sign(claims any) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("token: encode claims: %w", err)
	}
	return s.SignPayload(payload)
}

// SignPayload signs payload, JSON claims already encoded, with the active
// key.
func (s *Signer) SignPayload(payload []byte) (string, error) {
	active := s.current().active
	if active == nil {
		return "", errNoKey
	}
	tok, err := active.signer.sign(payload)
	if err != nil {
		return "", fmt.Errorf("token: sign: %w", err)
	}
	return tok, nil
}

// compactSigner writes an RS256 JWS in compact serialization, the same
// bytes go-jose's signer produced (a test holds them equal): the protected
// header {"alg":"RS256","kid":…,"typ":"JWT"} is encoded once per key
// instead of marshalled on every token, and the token is built in one
// buffer. Every session token refresh signs, so this is on the hot path.
type compactSigner struct {
	priv   *rsa.PrivateKey
	header string // base64url of the protected header
}

func newCompactSigner(priv *rsa.PrivateKey, kid string) (*compactSigner, error) {
	h, err := json.Marshal(struct {
		Alg string `json:"alg"`
		KID string `json:"kid"`
		Typ string `json:"typ"`
	}{Alg, kid, "JWT"})
	if err != nil {
		return nil, err
	}
	return &compactSigner{priv: priv, header: base64.RawURLEncoding.EncodeToString(h)}, nil
}

// sign returns header.payload.signature, each part base64url without
// padding (RFC 7515 §7.1), the signature RSASSA-PKCS1-v1_5 with SHA-256
// over the first two parts (RFC 7518 §3.3).
func (s *compactSigner) sign(payload []byte) (string, error) {
	enc := base64.RawURLEncoding
	buf := make([]byte, 0, len(s.header)+1+enc.EncodedLen(len(payload))+1+enc.EncodedLen(s.priv.Size()))
	buf = append(buf, s.header...)
	buf = append(buf, '.')
	buf = enc.AppendEncode(buf, payload)
	digest := sha256.Sum256(buf)
	sig, err := rsa.SignPKCS1v15(nil, s.priv, crypto.SHA256, digest[:])
	if err != nil {
		return "", err
	}
	buf = append(buf, '.')
	buf = enc.AppendEncode(buf, sig)
	return string(buf), nil
}

// Verify checks a session token the way a relying app should and returns its
// claims. Checking azp against the app is left to the caller (REQ-JWT-06).
func (s *Signer) Verify(token, expectedIssuer string) (*SessionClaims, error) {
	if len(token) > maxTokenBytes {
		return nil, invalid("token too large")
	}
	// The allowlist refuses none, HS256 and every other alg at parse time
	// (REQ-JWT-02).
	tok, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return nil, invalid(err.Error())
	}
	if len(tok.Headers) != 1 {
		return nil, invalid("expected one signature")
	}
	h := tok.Headers[0]
	if err := checkHeader(h); err != nil {
		return nil, err
	}
	set := s.current()
	key, ok := set.published[h.KeyID] // REQ-JWT-03: kid is only a map key
	if !ok {
		return nil, invalid("unknown kid")
	}
	var c SessionClaims
	// Claims checks the signature before decoding anything (REQ-JWT-01).
	if err := tok.Claims(key, &c); err != nil {
		return nil, invalid(err.Error())
	}
	now := s.clock.Now()
	switch {
	case expectedIssuer == "" || c.Issuer != expectedIssuer:
		return nil, invalid("wrong issuer")
	case c.Subject == "" || c.SessionID == "":
		return nil, invalid("sub and sid are required")
	case c.Expiry == 0: // REQ-JWT-04
		return nil, invalid("exp is required")
	case !now.Before(time.Unix(c.Expiry, 0)):
		return nil, fmt.Errorf("%w: expired", ErrExpired)
	case c.NotBefore != 0 && now.Add(ClockSkew).Before(time.Unix(c.NotBefore, 0)):
		return nil, invalid("not valid yet")
	}
	return &c, nil
}

// IssuedWithin reports whether token says it was issued within d before
// now, from its iat unverified: a first look that costs no signature
// check, for a caller that goes on to Verify only recent tokens (most a
// browser brings to the handshake expired long ago). It proves nothing.
func (s *Signer) IssuedWithin(token string, d time.Duration) bool {
	if len(token) > maxTokenBytes {
		return false
	}
	tok, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return false
	}
	var c struct {
		IssuedAt int64 `json:"iat"`
	}
	if err := tok.UnsafeClaimsWithoutVerification(&c); err != nil || c.IssuedAt == 0 {
		return false
	}
	return s.clock.Now().Sub(time.Unix(c.IssuedAt, 0)) <= d
}

// checkHeader refuses keys offered by the token itself (REQ-JWT-03) and any
// token type but a session JWT (REQ-JWT-05).
func checkHeader(h jose.Header) error {
	if h.KeyID == "" {
		return invalid("kid is required")
	}
	if h.JSONWebKey != nil {
		return invalid("embedded jwk refused")
	}
	if _, err := h.Certificates(x509.VerifyOptions{}); !errors.Is(err, jose.ErrMissingX5cHeader) {
		return invalid("x5c refused")
	}
	for _, name := range []jose.HeaderKey{"jku", "x5u"} {
		if _, ok := h.ExtraHeaders[name]; ok {
			return invalid(string(name) + " refused")
		}
	}
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); typ != "JWT" {
		return invalid("typ must be JWT")
	}
	return nil
}

func invalid(reason string) error { return fmt.Errorf("%w: %s", ErrInvalid, reason) }
