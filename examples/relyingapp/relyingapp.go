// Package relyingapp is the minimal Go app of the README's "Integrating a
// relying app": the code between the README markers is the README's
// example, character for character. A test in internal/e2e
// (TestReadmeRelyingAppExample) checks the two are equal and runs the
// code against a real portal, so the README's example compiles and works.
package relyingapp

import (
	"errors"
	"net/http"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// README begin
var jwks jose.JSONWebKeySet // fetched from https://accounts.example.com/.well-known/jwks.json and refreshed on an unknown kid

func userID(r *http.Request) (string, error) {
	c, err := r.Cookie("__session")
	if err != nil {
		return "", err
	}
	tok, err := jwt.ParseSigned(c.Value, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return "", err
	}
	keys := jwks.Key(tok.Headers[0].KeyID)
	if len(keys) == 0 {
		return "", errors.New("unknown signing key") // after portal keys rotate: fetch the JWKS again, then retry
	}
	var claims struct {
		jwt.Claims
		AZP string `json:"azp"`
		SID string `json:"sid"`
	}
	if err := tok.Claims(keys[0].Key, &claims); err != nil {
		return "", err
	}
	if err := claims.ValidateWithLeeway(jwt.Expected{Issuer: "https://accounts.example.com", Time: time.Now()}, 5*time.Second); err != nil {
		return "", err // errors.Is(err, jwt.ErrExpired): redirect through /v1/client/handshake; else refuse
	}
	if claims.AZP != "https://app.example.com" {
		return "", errors.New("token issued for another app")
	}
	return claims.Subject, nil
}

// README end

// SetKeys and UserID let a test drive the example; an app has its own.
func SetKeys(set jose.JSONWebKeySet) { jwks = set }

// UserID is the README's userID.
func UserID(r *http.Request) (string, error) { return userID(r) }
