package token

import (
	"crypto/x509"
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
	active := s.set.Load().active
	if active == nil {
		return "", errNoKey
	}
	jws, err := active.signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("token: sign: %w", err)
	}
	return jws.CompactSerialize()
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
