package oidctest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// The provider refuses what a careless client would send, so tests of the
// client fail when it stops sending PKCE or a nonce (REQ-OA-01, REQ-OA-02).
func TestAuthorizeRequiresS256AndNonce(t *testing.T) {
	s := Start(t)
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	good := url.Values{
		"client_id": {s.ClientID}, "response_type": {"code"}, "scope": {"openid email"}, "state": {"st"},
		"redirect_uri": {"http://localhost:4000/cb"}, "nonce": {"n"},
		"code_challenge": {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}, "code_challenge_method": {"S256"},
	}
	for _, tc := range []struct {
		name, drop, set, to string
		wantError           string
	}{
		{name: "complete", wantError: ""},
		{name: "no challenge", drop: "code_challenge", wantError: "invalid_request"},
		{name: "plain challenge", set: "code_challenge_method", to: "plain", wantError: "invalid_request"},
		{name: "no nonce", drop: "nonce", wantError: "invalid_request"},
	} {
		q := url.Values{}
		for k, v := range good {
			q[k] = v
		}
		q.Del(tc.drop)
		if tc.set != "" {
			q.Set(tc.set, tc.to)
		}
		resp, err := c.Get(s.Issuer() + "/authorize?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc, _ := url.Parse(resp.Header.Get("Location"))
		back := loc.Query()
		if back.Get("error") != tc.wantError || back.Get("state") != "st" || (tc.wantError == "") == (back.Get("code") == "") {
			t.Errorf("%s: redirected to %s", tc.name, loc)
		}
	}
}

// As Apple, the stand-in takes only a fresh client secret signed with the
// team's key for this client, so a portal signing it wrongly fails its
// tests.
func TestAppleClientSecretChecked(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	a := &Apple{TeamID: "TEAM", KeyID: "KEY", Key: &key.PublicKey}
	now := time.Now()
	secret := func(k *ecdsa.PrivateKey, kid string, claims map[string]any) string {
		signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: k}, (&jose.SignerOptions{}).WithHeader("kid", kid))
		if err != nil {
			t.Fatal(err)
		}
		c := map[string]any{"iss": "TEAM", "sub": "client", "aud": AppleAudience, "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix()}
		for k, v := range claims {
			c[k] = v
		}
		payload, _ := json.Marshal(c)
		jws, err := signer.Sign(payload)
		if err != nil {
			t.Fatal(err)
		}
		s, _ := jws.CompactSerialize()
		return s
	}
	if err := a.checkSecret(secret(key, "KEY", nil), "client"); err != nil {
		t.Fatalf("a good secret: %v", err)
	}
	for name, s := range map[string]string{
		"another key":    secret(other, "KEY", nil),
		"another kid":    secret(key, "KEY2", nil),
		"another client": secret(key, "KEY", map[string]any{"sub": "other"}),
		"another team":   secret(key, "KEY", map[string]any{"iss": "OTHER"}),
		"not for Apple":  secret(key, "KEY", map[string]any{"aud": "https://example.com"}),
		"expired":        secret(key, "KEY", map[string]any{"exp": now.Add(-time.Minute).Unix()}),
		"a plain secret": "s3cret",
	} {
		if err := a.checkSecret(s, "client"); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
