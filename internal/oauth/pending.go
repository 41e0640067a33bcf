package oauth

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/portalhq/portal/internal/id"
)

// PendingMaxAge bounds how long a sign-in may wait at the provider.
const PendingMaxAge = 10 * time.Minute

// What the person was doing when they left for the provider.
const (
	IntentSignIn  = "sign_in"
	IntentSignUp  = "sign_up"
	IntentConnect = "connect"
)

// Pending is the browser's half of a flow in flight: the one-time values sent
// to the provider and what to do on return. It lives only in a sealed cookie,
// which is what binds the state to this browser (REQ-OA-01).
type Pending struct {
	Provider    string    `json:"p"`
	State       string    `json:"s"`
	Nonce       string    `json:"n"`
	Verifier    string    `json:"v"`
	FlowID      string    `json:"f,omitempty"`
	Intent      string    `json:"i,omitempty"`
	RedirectURL string    `json:"r,omitempty"`
	UserID      string    `json:"u,omitempty"` // who asked to connect an account (IntentConnect)
	Created     time.Time `json:"c"`
}

// NewPending starts a flow with provider: fresh state, nonce and PKCE
// verifier, each 32 bytes from crypto/rand (REQ-CR-01; a 43-character
// verifier is what Discord and RFC 7636 require at least).
func NewPending(provider, intent, flowID, redirectURL string, now time.Time) Pending {
	return Pending{
		Provider: provider, Intent: intent, FlowID: flowID, RedirectURL: redirectURL,
		State: id.Secret(32), Nonce: id.Secret(32), Verifier: id.Secret(32),
		Created: now,
	}
}

// Check is the callback's test: the callback arrived on the provider this flow
// was started with (mix-up defence, REQ-OA-03) and carries its state
// (REQ-OA-01). Both comparisons are constant time.
func (p Pending) Check(provider, state string) error {
	if provider == "" || subtle.ConstantTimeCompare([]byte(provider), []byte(p.Provider)) != 1 {
		return fmt.Errorf("%w: started with %q, returned to %q", ErrProvider, p.Provider, provider)
	}
	if state == "" || p.State == "" || subtle.ConstantTimeCompare([]byte(state), []byte(p.State)) != 1 {
		return ErrState
	}
	return nil
}

// Sealer encrypts a Pending into a cookie value and back (AES-256-GCM), so the
// browser carries it without being able to read or change it.
type Sealer struct{ aead cipher.AEAD }

// sealLabel is authenticated with every value, so a value sealed for another
// purpose under the same key does not open here.
var sealLabel = []byte("portal oauth pending v1")

// NewSealer takes a 32-byte key. Every instance behind one portal URL needs
// the same key; a new key only fails the sign-ins in flight.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("oauth: sealer key is %d bytes, want 32", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead}, nil
}

// Seal returns p as a cookie-safe string. p.Created must be set.
func (s *Sealer) Seal(p Pending) (string, error) {
	if p.Created.IsZero() {
		return "", errors.New("oauth: pending has no creation time")
	}
	plain, err := json.Marshal(p)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(s.aead.Seal(nonce, nonce, plain, sealLabel)), nil
}

// Open returns the Pending sealed in value if it is intact and younger than
// PendingMaxAge at now.
func (s *Sealer) Open(value string, now time.Time) (Pending, error) {
	raw, err := base64.RawURLEncoding.DecodeString(value)
	if err != nil || len(raw) < s.aead.NonceSize() {
		return Pending{}, ErrCookie
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, raw[:n], raw[n:], sealLabel)
	if err != nil {
		return Pending{}, ErrCookie
	}
	var p Pending
	if err := json.Unmarshal(plain, &p); err != nil {
		return Pending{}, ErrCookie
	}
	// A minute of leeway for instances whose clocks disagree.
	if age := now.Sub(p.Created); age > PendingMaxAge || age < -time.Minute {
		return Pending{}, ErrExpired
	}
	return p, nil
}

// PendingCookieName names the cookie that carries a sealed Pending: over
// HTTPS with the __Secure- prefix (REQ-CK-01; __Host- would need Path=/,
// and the cookie is kept to the callback path).
func PendingCookieName(secure bool) string {
	if secure {
		return "__Secure-oauth"
	}
	return "__oauth"
}

// PendingCookie is the cookie to set before redirecting to the provider:
// host-only, HttpOnly, limited to the callback path and PendingMaxAge
// (REQ-CK-06). Lax is enough for a redirect back; a form_post provider
// (Apple) returns with a cross-site POST, which only a SameSite=None cookie
// survives, and None requires Secure.
func PendingCookie(value string, formPost, secure bool) *http.Cookie {
	c := &http.Cookie{
		Name: PendingCookieName(secure), Value: value, Path: "/v1/oauth_callback/",
		MaxAge: int(PendingMaxAge / time.Second), HttpOnly: true, Secure: secure,
		SameSite: http.SameSiteLaxMode,
	}
	if formPost {
		c.SameSite, c.Secure = http.SameSiteNoneMode, true
	}
	return c
}

// ClearPendingCookie deletes the cookie on the callback, whatever the
// outcome, so each state is used once.
func ClearPendingCookie(formPost, secure bool) *http.Cookie {
	c := PendingCookie("", formPost, secure)
	c.MaxAge = -1
	return c
}
