package oauth

import (
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/portalhq/portal/internal/config"
)

const appleIssuer = "https://appleid.apple.com"

// newApple is Sign in with Apple, an OpenID provider with two quirks: the
// client secret is a short-lived JWT signed with the team's key, and asking
// for name or email requires response_mode=form_post, a cross-site POST to
// the callback.
func newApple(c config.OAuthProvider, client *http.Client) (Provider, error) {
	secret := staticSecret(c.ClientSecret)
	if c.PrivateKey != "" {
		if c.TeamID == "" || c.KeyID == "" {
			return nil, errors.New("TEAM_ID and KEY_ID are required with PRIVATE_KEY")
		}
		key, err := parseAppleKey(c.PrivateKey)
		if err != nil {
			return nil, fmt.Errorf("PRIVATE_KEY: want the .p8 (PKCS #8 PEM) key from Apple: %v", err)
		}
		secret = func() (string, error) { return appleSecret(key, c.TeamID, c.KeyID, c.ClientID, time.Now()) }
	}
	return &oidcProvider{
		name: "apple", display: "Apple", icon: "apple", formPost: true,
		issuer: appleIssuer, clientID: c.ClientID, secret: secret,
		scopes: []string{"name", "email"},
		// Apple checks a PKCE challenge it is sent, without advertising it.
		pkce: pkceAlways, nonce: true,
		authParams: url.Values{"response_mode": {"form_post"}},
		client:     client,
	}, nil
}

func parseAppleKey(pemKey string) (*ecdsa.PrivateKey, error) {
	// Environment variables often carry the PEM's line breaks as "\n".
	block, _ := pem.Decode([]byte(strings.ReplaceAll(strings.TrimSpace(pemKey), `\n`, "\n")))
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	ec, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("a %T, not an EC key", k)
	}
	return ec, nil
}

// appleSecret is the client secret Apple's token endpoint takes: an ES256
// JWT from the team, about the client, valid for five minutes. This is what
// goth's apple.MakeSecret does; done here with go-jose so the binary does not
// take in goth's apple package and the JOSE library it brings.
func appleSecret(key *ecdsa.PrivateKey, teamID, keyID, clientID string, now time.Time) (string, error) {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", keyID))
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(map[string]any{
		"iss": teamID, "sub": clientID, "aud": appleIssuer,
		"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
	})
	if err != nil {
		return "", err
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}

// CallbackProfile adds to who what a provider sends beside the code rather
// than in its ID token: the name Apple posts on a person's first sign-in
// (its ID tokens carry none), when who has no name. It is not signed, so
// it only ever fills in a name, never says who anyone is.
func CallbackProfile(p Provider, params url.Values, who *Identity) {
	if p.Name() == "apple" && who.FirstName == "" && who.LastName == "" {
		who.FirstName, who.LastName = AppleName(params)
	}
}

// AppleName reads the name Apple posts to the callback beside the code, on
// the first sign-in only. It is not signed: use it to prefill a form, never
// to identify anyone.
func AppleName(form url.Values) (first, last string) {
	var u struct {
		Name struct {
			FirstName string `json:"firstName"`
			LastName  string `json:"lastName"`
		} `json:"name"`
	}
	if json.Unmarshal([]byte(form.Get("user")), &u) != nil {
		return "", ""
	}
	return u.Name.FirstName, u.Name.LastName
}
