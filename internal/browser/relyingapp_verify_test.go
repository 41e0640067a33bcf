package browser

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/portalhq/portal/internal/testutil/portaltest"
	"github.com/portalhq/portal/internal/token"
)

// TestRelyingAppRejectsWhatItShould keeps the browser test honest: the app
// that shows "Signed in as …" must refuse every token the portal did not
// issue for it (REQ-JWT-01…06), or landing on it would prove nothing.
func TestRelyingAppRejectsWhatItShould(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	app := startRelyingApp(t, p.URL, time.Now)
	now := time.Now()

	mint := func(edit func(*token.SessionClaims)) string {
		t.Helper()
		c, err := token.NewSessionClaims(token.SessionParams{Issuer: p.URL, UserID: "user_a", SessionID: "sess_a",
			AuthorizedParty: app.origin, Now: now, TTL: time.Minute, FirstFactorAt: now})
		if err != nil {
			t.Fatal(err)
		}
		if edit != nil {
			edit(&c)
		}
		s, err := p.Signer.Sign(c)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	good := mint(nil)
	if c, err := app.verify(context.Background(), good); err != nil || c.Subject != "user_a" {
		t.Fatalf("a token the portal issued for this app: %v", err)
	}
	parsed, err := jwt.ParseSigned(good, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	kid := parsed.Headers[0].KeyID
	var claims map[string]any
	if err := parsed.UnsafeClaimsWithoutVerification(&claims); err != nil {
		t.Fatal(err)
	}

	parts := strings.Split(good, ".")
	tampered := parts[0] + "." + encodeSegment(t, withClaim(claims, "sub", "user_b")) + "." + parts[2]

	cases := map[string]string{
		"for another app (azp)": mint(func(c *token.SessionClaims) { c.AuthorizedParty = "http://localhost:1" }),
		"from another issuer":   mint(func(c *token.SessionClaims) { c.Issuer = "http://localhost:2" }),
		"not valid yet": mint(func(c *token.SessionClaims) {
			c.NotBefore = now.Add(time.Minute).Unix()
		}),
		"claims changed after signing": tampered,
		"alg none": encodeSegment(t, map[string]any{"alg": "none", "typ": "JWT", "kid": kid}) + "." +
			encodeSegment(t, claims) + ".",
		"signed with HS256": signWith(t, jose.SigningKey{Algorithm: jose.HS256, Key: []byte(strings.Repeat("k", 32))}, kid, claims),
		"signed by another RSA key under the portal's kid": signWith(t,
			jose.SigningKey{Algorithm: jose.RS256, Key: newRSAKey(t)}, kid, claims),
	}
	for name, raw := range cases {
		if c, err := app.verify(context.Background(), raw); err == nil {
			t.Errorf("%s: accepted as %s", name, c.Subject)
		}
	}

	expired := mint(func(c *token.SessionClaims) {
		c.IssuedAt, c.NotBefore, c.Expiry = now.Add(-time.Hour).Unix(), now.Add(-time.Hour).Unix(), now.Add(-time.Minute).Unix()
	})
	if _, err := app.verify(context.Background(), expired); !errors.Is(err, jwt.ErrExpired) {
		t.Errorf("expired token: %v, want jwt.ErrExpired (which sends the browser to the handshake)", err)
	}
}

func withClaim(claims map[string]any, k string, v any) map[string]any {
	out := map[string]any{k: v}
	for name, val := range claims {
		if name != k {
			out[name] = val
		}
	}
	return out
}

func encodeSegment(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func signWith(t *testing.T, key jose.SigningKey, kid string, claims map[string]any) string {
	t.Helper()
	s, err := jose.NewSigner(key, (&jose.SignerOptions{}).WithType("JWT").WithHeader(jose.HeaderKey("kid"), kid))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jwt.Signed(s).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func newRSAKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
