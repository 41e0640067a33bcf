package oauth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/portalhq/portal/internal/config"
	"github.com/portalhq/portal/internal/testutil/oidctest"
)

func appleKey(t *testing.T) (*ecdsa.PrivateKey, string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return k, string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

func TestAppleClientSecret(t *testing.T) {
	key, pemKey := appleKey(t)
	// As an environment variable, the PEM's line breaks often arrive as \n.
	p, err := newApple(config.OAuthProvider{ClientID: "com.example.web", TeamID: "TEAM1", KeyID: "KEY1",
		PrivateKey: strings.ReplaceAll(pemKey, "\n", `\n`)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	secret, err := p.(*oidcProvider).secret()
	if err != nil {
		t.Fatal(err)
	}
	jws, err := jose.ParseSigned(secret, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	payload, err := jws.Verify(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Iss, Sub, Aud string
		Iat, Exp      int64
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		t.Fatal(err)
	}
	now := time.Now().Unix()
	if c.Iss != "TEAM1" || c.Sub != "com.example.web" || c.Aud != "https://appleid.apple.com" ||
		c.Iat > now || c.Exp <= now || c.Exp > now+600 || jws.Signatures[0].Header.KeyID != "KEY1" {
		t.Errorf("claims %+v, kid %q", c, jws.Signatures[0].Header.KeyID)
	}
}

// Apple's authorization URL, with discovery pointed at a local provider.
func TestAppleAuthCodeURL_REQ_OA_01_02(t *testing.T) {
	_, pemKey := appleKey(t)
	p, err := newApple(config.OAuthProvider{ClientID: "com.example.web", TeamID: "T", KeyID: "K", PrivateKey: pemKey}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ap := p.(*oidcProvider)
	ap.issuer = oidctest.Start(t).Issuer()
	if err := ap.Prepare(context.Background()); err != nil {
		t.Fatal(err)
	}
	u := ap.AuthCodeURL("st", "no", "ve", "https://accounts.example.com/v1/oauth_callback/apple")
	for _, want := range []string{"response_mode=form_post", "scope=name%20email", "nonce=no", "state=st", "code_challenge_method=S256"} {
		if !strings.Contains(u, want) {
			t.Errorf("auth URL %s lacks %s", u, want)
		}
	}
	if !p.FormPost() || p.Name() != "apple" {
		t.Errorf("FormPost %v name %q", p.FormPost(), p.Name())
	}
}
