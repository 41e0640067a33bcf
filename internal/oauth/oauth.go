// Package oauth signs people in through outside identity providers: social
// ones wrapped from goth (GitHub, Microsoft, Discord) and OpenID Connect ones
// checked with go-oidc (Google, Apple, GitLab, LinkedIn, Slack and any
// number of generic issuers found by discovery).
//
// It is a library for the handlers: it builds authorization URLs with state,
// nonce and PKCE, exchanges the code, verifies what comes back and returns an
// Identity. It keeps no state of its own between the two legs of the flow;
// the caller seals a Pending into a short-lived cookie (Sealer) and checks it
// on the callback. None of goth's package-level registries or gothic is used.
package oauth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/oauth2"
)

// Identity is what a provider says about the person who signed in. An
// external account is (Provider, Subject), never Email (REQ-OA-04); Email may
// be used to link to an existing account only when EmailVerified (REQ-OA-05).
type Identity struct {
	Provider, Subject, Email string
	EmailVerified            bool
	FirstName, LastName      string
	Username, AvatarURL      string
	// Token is what the provider's token endpoint granted, kept (sealed)
	// for relying apps that call the provider's API as the person.
	Token Token
}

// Token is a provider's token set: what its token endpoint answered to the
// code, or to a refresh. It is secret: never logged, stored only sealed.
type Token struct {
	AccessToken  string
	RefreshToken string // "" when the provider gave none
	IDToken      string // an OpenID provider's, as it sent it
	TokenSecret  string // OAuth 1.0a's; none of the providers here is one
	// Lifetime is how long the access token lasts from when it was
	// granted (the answer's expires_in); 0 when the provider did not say
	// (GitHub's OAuth apps' tokens do not expire). The caller turns it
	// into a time with its own clock.
	Lifetime time.Duration
	// Scopes are what the provider granted: the answer's scope, else what
	// was asked for (RFC 6749 5.1: an absent scope is the one requested).
	// After a refresh whose answer has no scope they are nil: the scope
	// granted before stands (RFC 6749 6).
	Scopes []string
}

// ErrRefresh: the provider's token endpoint refused or did not answer a
// refresh; the wrapped error says which (never with a token in it).
var ErrRefresh = errors.New("oauth: token refresh failed")

// newToken reads tok as granted for the scopes requested (nil for a
// refresh).
func newToken(tok *oauth2.Token, requested []string) Token {
	t := Token{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, Scopes: slices.Clone(requested)}
	t.IDToken, _ = tok.Extra("id_token").(string)
	switch {
	case tok.ExpiresIn > 0:
		t.Lifetime = time.Duration(tok.ExpiresIn) * time.Second
	case !tok.Expiry.IsZero():
		// A form-encoded answer (GitHub's) leaves only the time oauth2
		// worked out from expires_in with its own clock.
		t.Lifetime = time.Until(tok.Expiry).Round(time.Second)
	}
	if s, ok := tok.Extra("scope").(string); ok && strings.TrimSpace(s) != "" {
		// Space-separated per RFC 6749; GitHub separates with commas.
		t.Scopes = strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' })
	}
	return t
}

// refreshError describes a failed refresh without the provider's raw
// answer, which could echo what it was sent.
func refreshError(name string, err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		return &RefreshError{Provider: name, Status: status, Code: re.ErrorCode, Description: re.ErrorDescription}
	}
	return fmt.Errorf("%w: %s: %v", ErrRefresh, name, err)
}

// RefreshError is a token endpoint's refusal of a refresh: its error code
// ("invalid_grant" for a revoked or expired refresh token) and description.
type RefreshError struct {
	Provider    string
	Status      int
	Code        string
	Description string
}

func (e *RefreshError) Error() string {
	return fmt.Sprintf("%v: %s: HTTP %d %s %s", ErrRefresh, e.Provider, e.Status, e.Code, e.Description)
}

func (e *RefreshError) Unwrap() error { return ErrRefresh }

// Bounds of what Tidy keeps: names as the sign-up form's, the rest as the
// store's columns comfortably hold.
const (
	maxName     = 100
	maxUsername = 100
	maxURL      = 2048
	maxEmail    = 320
)

// Tidy holds what a provider said about a person to the rules the portal's
// own forms keep: valid UTF-8, no control characters (a name's become
// spaces), no surrounding or repeated spaces in names, and bounded
// lengths. A value that cannot be kept — a name over 100 characters, a
// username, email address or picture URL that is malformed or too long —
// is dropped, as
// if the provider had not sent it: a sign-up then asks for what it needs.
// Providers answer for the person, and some of what they send (Apple's
// name) is not even signed.
func (who *Identity) Tidy() {
	name := func(s string) string {
		s = strings.Join(strings.FieldsFunc(strings.ToValidUTF8(s, ""), func(r rune) bool {
			return unicode.IsSpace(r) || unicode.IsControl(r)
		}), " ")
		if utf8.RuneCountInString(s) > maxName {
			return ""
		}
		return s
	}
	plain := func(s string, limit int) string {
		if !utf8.ValidString(s) || len(s) > limit || strings.ContainsFunc(s, unicode.IsControl) {
			return ""
		}
		return s
	}
	who.FirstName, who.LastName = name(who.FirstName), name(who.LastName)
	who.Username, who.AvatarURL = plain(strings.TrimSpace(who.Username), maxUsername), webURL(plain(who.AvatarURL, maxURL))
	if who.Email = plain(strings.TrimSpace(who.Email), maxEmail); who.Email == "" {
		who.EmailVerified = false
	}
}

// webURL is s when it is an absolute http(s) URL with a host and no user
// info, else "". A picture reaches relying apps as the user's image_url,
// which their pages put in src and href attributes, and some providers let
// people write their own: a javascript: or data: URL, or a reference
// relative to whichever page shows it, is dropped (REQ-HDR-05).
func webURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.Opaque != "" {
		return ""
	}
	return s
}

// Provider is one configured identity provider.
type Provider interface {
	Name() string        // "github", "google", "oidc_<name>"; lower case, the callback path segment
	DisplayName() string // "GitHub", or the configured display name
	Icon() string        // a short icon key ("github") or an image URL
	// FormPost reports that the provider returns to the callback with a
	// cross-site POST (Apple), so the pending cookie must be SameSite=None.
	FormPost() bool
	// Prepare makes the provider ready to use: OpenID providers run
	// discovery here, on first use, and retry on later calls while the
	// issuer is unreachable. Cheap once it has succeeded.
	Prepare(ctx context.Context) error
	// AuthCodeURL is where to send the browser. It returns "" when Prepare
	// has not yet succeeded.
	AuthCodeURL(state, nonce, verifier, redirectURI string) string
	// Exchange trades the callback's code for an Identity, sending the PKCE
	// verifier and checking the ID token and its nonce where there is one.
	Exchange(ctx context.Context, code, nonce, verifier, redirectURI string) (*Identity, error)
	// Refresh trades a refresh token for a new token set at the token
	// endpoint. A token set without a new refresh token keeps the one
	// given. Errors wrap ErrRefresh; a refusal is a *RefreshError.
	Refresh(ctx context.Context, refreshToken string) (*Token, error)
}

// Errors say which check failed; wrapped errors carry the detail for the log.
// None of the detail is meant for the person signing in.
var (
	ErrCookie    = errors.New("oauth: pending sign-in cookie missing or unreadable")
	ErrExpired   = errors.New("oauth: pending sign-in expired")
	ErrState     = errors.New("oauth: state mismatch")
	ErrProvider  = errors.New("oauth: callback for a different provider") // mix-up, REQ-OA-03
	ErrIssuer    = errors.New("oauth: callback iss does not match the provider")
	ErrDenied    = errors.New("oauth: the person declined at the provider")
	ErrCallback  = errors.New("oauth: provider returned an error")
	ErrDiscovery = errors.New("oauth: OpenID discovery failed")
	ErrExchange  = errors.New("oauth: code exchange refused")
	ErrIDToken   = errors.New("oauth: ID token missing or invalid")
	ErrNonce     = errors.New("oauth: ID token nonce mismatch")
	ErrProfile   = errors.New("oauth: could not read the user's profile")
)

// CallbackURL is the redirect URI registered with provider name: one path per
// provider, so a code can only come back to the provider that issued it
// (REQ-OA-03).
func CallbackURL(base, name string) string {
	return strings.TrimSuffix(base, "/") + "/v1/oauth_callback/" + name
}

// issuerer is implemented by OpenID providers, whose callbacks may carry iss.
type issuerer interface{ Issuer() string }

// ProviderFault reports a callback that failed through no doing of whoever
// sent it: the provider's discovery or profile could not be read, or the code
// exchange got no OAuth answer (no connection, a time-out, the provider's 5xx).
// A provider that answered and refused the code (invalid_grant and the like)
// is not one: that is what a forged or replayed code gets.
func ProviderFault(err error) bool {
	if errors.Is(err, ErrDiscovery) || errors.Is(err, ErrProfile) {
		return true
	}
	if !errors.Is(err, ErrExchange) {
		return false
	}
	var re *oauth2.RetrieveError
	return !errors.As(err, &re) || re.Response == nil || re.Response.StatusCode >= http.StatusInternalServerError
}

// ParseCallback reads the provider's answer from the callback's query (or,
// for form_post, its form): the code and state, or the error the provider
// sent. When the provider names itself with RFC 9207's iss, it must be the
// issuer this provider was configured with (REQ-OA-03).
func ParseCallback(p Provider, q url.Values) (code, state string, err error) {
	state = q.Get("state")
	if iss := q.Get("iss"); iss != "" {
		if i, ok := p.(issuerer); ok && subtle.ConstantTimeCompare([]byte(iss), []byte(i.Issuer())) != 1 {
			return "", state, fmt.Errorf("%w: got %q", ErrIssuer, iss)
		}
	}
	if e := q.Get("error"); e != "" {
		if e == "access_denied" {
			return "", state, ErrDenied
		}
		return "", state, fmt.Errorf("%w: %s %s", ErrCallback, e, q.Get("error_description"))
	}
	code = q.Get("code")
	if code == "" {
		return "", state, fmt.Errorf("%w: no code", ErrCallback)
	}
	return code, state, nil
}

// splitName turns a display name into a best-effort first and last name for
// prefilling a form; providers that send given and family names are not
// split.
func splitName(name string) (first, last string) {
	name = strings.TrimSpace(name)
	first, last, _ = strings.Cut(name, " ")
	return first, strings.TrimSpace(last)
}

// withParams adds params to an authorization URL, keeping what is there.
// Spaces are written %20: url.Values writes "+", which Apple refuses and
// every server reads the same as %20.
func withParams(authURL string, params url.Values) string {
	u, err := url.Parse(authURL)
	if err != nil {
		return ""
	}
	q := u.Query()
	for k, vs := range params {
		q[k] = vs
	}
	u.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20")
	return u.String()
}
