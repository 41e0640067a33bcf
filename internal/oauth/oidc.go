package oauth

import (
	"cmp"
	"context"
	"crypto/subtle"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// pkceMode says when an OpenID provider gets PKCE.
type pkceMode int

const (
	// pkceDiscovered follows the discovery document: S256 when
	// code_challenge_methods_supported lists it. RFC 8414 says an absent list
	// means no PKCE; never "plain" (REQ-OA-02).
	pkceDiscovered pkceMode = iota
	pkceAlways              // the provider supports S256 without advertising it
	pkceNever               // the provider refuses a code_verifier (LinkedIn)
)

// oidcProvider is an OpenID provider checked with go-oidc: the ID token's
// signature against the issuer's JWKS, iss, aud, exp (REQ-OA-06) and nonce
// (REQ-OA-01).
type oidcProvider struct {
	name, display, icon string
	formPost            bool
	issuer, clientID    string
	secret              func() (string, error) // Apple's is a fresh signed JWT
	scopes              []string
	pkce                pkceMode
	nonce               bool             // false only for a provider that drops it (LinkedIn)
	authParams          url.Values       // added to every authorization URL
	tokenAuth           oauth2.AuthStyle // how to send the secret when discovery does not say; 0 = try both
	client              *http.Client

	mu    sync.Mutex
	ready *discovered // nil until discovery succeeds
}

type discovered struct {
	op       *oidc.Provider
	endpoint oauth2.Endpoint
	verifier *oidc.IDTokenVerifier
	pkce     bool
	scopes   []string // what the authorization URL asks for
}

// scopeOfflineAccess asks an OpenID provider for a refresh token (OpenID
// Connect Core 11), so that the person's tokens can be refreshed for a
// relying app after the access token expires.
const scopeOfflineAccess = "offline_access"

// withOfflineAccess adds offline_access to scopes when the provider's
// discovery lists it among scopes_supported. Only then: a provider that
// does not know it may refuse the whole request (Google answers
// invalid_scope), and many give refresh tokens without it anyway.
func withOfflineAccess(scopes, supported []string) []string {
	if !slices.Contains(supported, scopeOfflineAccess) || slices.Contains(scopes, scopeOfflineAccess) {
		return scopes
	}
	return append(slices.Clip(scopes), scopeOfflineAccess)
}

var oidcName = regexp.MustCompile(`^[a-z0-9][a-z0-9_]*$`)

// NewOIDC returns a generic OpenID Connect provider named "oidc_"+name,
// configured by discovery at issuer. It does no I/O: discovery runs in
// Prepare (or the first Exchange) and is retried on every call until it
// succeeds, so an issuer that is down at start-up disables only its own
// button, for as long as it is down. A nil httpClient means a client with a
// 10-second timeout.
func NewOIDC(name, issuer, clientID, clientSecret, displayName, icon string, httpClient *http.Client) (Provider, error) {
	if !oidcName.MatchString(name) {
		return nil, fmt.Errorf("oauth: OIDC provider name %q: use lower-case letters, digits and _", name)
	}
	if u, err := url.Parse(issuer); err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("oauth: OIDC provider %s: issuer %q is not an http(s) URL", name, issuer)
	}
	if clientID == "" {
		return nil, fmt.Errorf("oauth: OIDC provider %s: client ID is empty", name)
	}
	if displayName == "" {
		displayName = titleName(name)
	}
	if icon == "" {
		icon = "openid"
	}
	return &oidcProvider{
		name: "oidc_" + name, display: displayName, icon: icon,
		issuer: issuer, clientID: clientID, secret: staticSecret(clientSecret),
		scopes: []string{oidc.ScopeOpenID, "email", "profile"},
		nonce:  true, client: orDefault(httpClient),
	}, nil
}

func (p *oidcProvider) Name() string        { return p.name }
func (p *oidcProvider) DisplayName() string { return p.display }
func (p *oidcProvider) Icon() string        { return p.icon }
func (p *oidcProvider) FormPost() bool      { return p.formPost }
func (p *oidcProvider) Issuer() string      { return p.issuer }

func (p *oidcProvider) Prepare(ctx context.Context) error {
	_, err := p.discover(ctx)
	return err
}

// discover fetches the discovery document once it can. The lock is held
// across the request so a burst of sign-ins makes one request, not many.
func (p *oidcProvider) discover(ctx context.Context) (*discovered, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ready != nil {
		return p.ready, nil
	}
	op, err := oidc.NewProvider(oidc.ClientContext(ctx, p.client), p.issuer)
	if err != nil {
		return nil, fmt.Errorf("%w: %s (%s): %v", ErrDiscovery, p.name, p.issuer, err)
	}
	var meta struct {
		PKCE       []string `json:"code_challenge_methods_supported"`
		AuthMethod []string `json:"token_endpoint_auth_methods_supported"`
		Scopes     []string `json:"scopes_supported"`
	}
	if err := op.Claims(&meta); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrDiscovery, p.name, err)
	}
	ep := op.Endpoint()
	ep.AuthStyle = authStyle(meta.AuthMethod, p.tokenAuth)
	p.ready = &discovered{
		op: op, endpoint: ep,
		verifier: op.Verifier(&oidc.Config{ClientID: p.clientID}),
		pkce:     p.pkce == pkceAlways || p.pkce == pkceDiscovered && slices.Contains(meta.PKCE, "S256"),
		scopes:   withOfflineAccess(p.scopes, meta.Scopes),
	}
	return p.ready, nil
}

// authStyle picks how to send the client secret from the discovery document.
// Without a list it falls back to known, then to oauth2's auto-detection
// (Basic, then the form): the spec's default is Basic, but not every
// provider that omits the list takes it.
func authStyle(methods []string, known oauth2.AuthStyle) oauth2.AuthStyle {
	switch {
	case slices.Contains(methods, "client_secret_basic"):
		return oauth2.AuthStyleInHeader
	case slices.Contains(methods, "client_secret_post"):
		return oauth2.AuthStyleInParams
	}
	return known
}

func (p *oidcProvider) AuthCodeURL(state, nonce, verifier, redirectURI string) string {
	p.mu.Lock()
	d := p.ready
	p.mu.Unlock()
	if d == nil {
		return ""
	}
	cfg := oauth2.Config{ClientID: p.clientID, Endpoint: d.endpoint, RedirectURL: redirectURI, Scopes: d.scopes}
	params := url.Values{}
	for k, v := range p.authParams {
		params[k] = v
	}
	if p.nonce {
		params.Set("nonce", nonce)
	}
	if d.pkce {
		params.Set("code_challenge_method", "S256")
		params.Set("code_challenge", oauth2.S256ChallengeFromVerifier(verifier))
	}
	return withParams(cfg.AuthCodeURL(state), params)
}

func (p *oidcProvider) Exchange(ctx context.Context, code, nonce, verifier, redirectURI string) (*Identity, error) {
	d, err := p.discover(ctx)
	if err != nil {
		return nil, err
	}
	secret, err := p.secret()
	if err != nil {
		return nil, fmt.Errorf("%w: %s: client secret: %v", ErrExchange, p.name, err)
	}
	cfg := oauth2.Config{ClientID: p.clientID, ClientSecret: secret, Endpoint: d.endpoint, RedirectURL: redirectURI, Scopes: d.scopes}
	var opts []oauth2.AuthCodeOption
	if d.pkce {
		if verifier == "" {
			return nil, fmt.Errorf("%w: %s: no PKCE verifier", ErrExchange, p.name)
		}
		opts = append(opts, oauth2.VerifierOption(verifier))
	}
	ctx = oidc.ClientContext(ctx, p.client)
	tok, err := cfg.Exchange(ctx, code, opts...)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrExchange, p.name, err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, fmt.Errorf("%w: %s: token response has no id_token", ErrIDToken, p.name)
	}
	idt, err := d.verifier.Verify(ctx, raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrIDToken, p.name, err)
	}
	if idt.Subject == "" {
		return nil, fmt.Errorf("%w: %s: no sub", ErrIDToken, p.name)
	}
	// go-oidc leaves the nonce to the caller.
	if p.nonce && (nonce == "" || subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(nonce)) != 1) {
		return nil, fmt.Errorf("%w: %s", ErrNonce, p.name)
	}
	var c claims
	if err := idt.Claims(&c); err != nil {
		return nil, fmt.Errorf("%w: %s: claims: %v", ErrIDToken, p.name, err)
	}
	if c.Email == "" && d.op.UserInfoEndpoint() != "" {
		// With the code flow, OpenID Connect lets a provider keep the email
		// and profile claims for the UserInfo endpoint.
		if err := p.userInfo(ctx, d.op, tok, idt.Subject, &c); err != nil {
			return nil, err
		}
	}
	return &Identity{
		Provider: p.name, Subject: idt.Subject,
		Email: c.Email, EmailVerified: c.Email != "" && bool(c.EmailVerified),
		FirstName: c.GivenName, LastName: c.FamilyName,
		Username: c.PreferredUsername, AvatarURL: c.Picture,
		Token: newToken(tok, d.scopes),
	}, nil
}

// Refresh asks the token endpoint for a new token set: with
// grant_type=refresh_token, the client authenticated as for the code.
func (p *oidcProvider) Refresh(ctx context.Context, refreshToken string) (*Token, error) {
	d, err := p.discover(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrRefresh, p.name, err)
	}
	secret, err := p.secret()
	if err != nil {
		return nil, fmt.Errorf("%w: %s: client secret: %v", ErrRefresh, p.name, err)
	}
	cfg := oauth2.Config{ClientID: p.clientID, ClientSecret: secret, Endpoint: d.endpoint, Scopes: d.scopes}
	return refresh(oidc.ClientContext(ctx, p.client), p.name, cfg, refreshToken)
}

// userInfo fills what c lacks from the UserInfo endpoint, whose sub must be
// the ID token's (OpenID Connect Core 5.3.2).
func (p *oidcProvider) userInfo(ctx context.Context, op *oidc.Provider, tok *oauth2.Token, sub string, c *claims) error {
	ui, err := op.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		return fmt.Errorf("%w: %s: userinfo: %v", ErrProfile, p.name, err)
	}
	if ui.Subject != sub {
		return fmt.Errorf("%w: %s: userinfo sub %q is not the ID token's", ErrProfile, p.name, ui.Subject)
	}
	var u claims
	if err := ui.Claims(&u); err != nil {
		return fmt.Errorf("%w: %s: userinfo: %v", ErrProfile, p.name, err)
	}
	c.Email, c.EmailVerified = u.Email, u.EmailVerified
	c.GivenName = cmp.Or(c.GivenName, u.GivenName)
	c.FamilyName = cmp.Or(c.FamilyName, u.FamilyName)
	c.Name = cmp.Or(c.Name, u.Name)
	c.PreferredUsername = cmp.Or(c.PreferredUsername, u.PreferredUsername)
	c.Picture = cmp.Or(c.Picture, u.Picture)
	return nil
}

// claims are the standard claims read from an ID token or UserInfo.
type claims struct {
	Email             string   `json:"email"`
	EmailVerified     flexBool `json:"email_verified"`
	GivenName         string   `json:"given_name"`
	FamilyName        string   `json:"family_name"`
	Name              string   `json:"name"`
	PreferredUsername string   `json:"preferred_username"`
	Picture           string   `json:"picture"`
}

// flexBool reads a JSON boolean or the strings "true"/"false" (Apple and
// Cognito send strings). Anything else is false: a claim that cannot be read
// does not vouch for the email.
type flexBool bool

func (b *flexBool) UnmarshalJSON(data []byte) error {
	s := strings.Trim(string(data), `"`)
	*b = flexBool(strings.EqualFold(s, "true"))
	return nil
}

func staticSecret(s string) func() (string, error) {
	return func() (string, error) { return s, nil }
}

func orDefault(c *http.Client) *http.Client {
	if c != nil {
		return c
	}
	return &http.Client{Timeout: defaultTimeout}
}

// titleName makes "corp_sso" read "Corp sso" for a button with no display
// name configured.
func titleName(name string) string {
	s := strings.ReplaceAll(name, "_", " ")
	return strings.ToUpper(s[:1]) + s[1:]
}
