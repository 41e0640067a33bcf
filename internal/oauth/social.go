package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/markbates/goth"
	"github.com/markbates/goth/providers/azureadv2"
	"github.com/markbates/goth/providers/discord"
	"github.com/markbates/goth/providers/github"
	"golang.org/x/oauth2"
)

// socialProvider wraps a goth provider that is plain OAuth 2 (no ID token we
// rely on): goth builds the authorization URL and reads the profile. The code
// exchange is ours, because goth's Session.Authorize sends no code_verifier
// (REQ-OA-02); goth then gets the token through its own Session type.
type socialProvider struct {
	name, display, icon string
	goth                goth.Provider
	token               oauth2.Config // client credentials and token endpoint
	scopes              []string      // what the authorization URL asks for, as goth sends it
	pkce                bool
	client              *http.Client
	session             func(*oauth2.Token) goth.Session
	// email returns the address to use and whether the provider vouches for
	// it (REQ-OA-05); goth.User has no such flag.
	email func(ctx context.Context, tok *oauth2.Token, u goth.User) (string, bool)
	// names reads first, last and user name from goth's user, whose fields
	// mean different things per provider.
	names func(u goth.User) (first, last, username string)
	// noAvatar drops goth's avatar URL where fetching it needs the access
	// token (Microsoft Graph), which an <img> on a page cannot send.
	noAvatar bool
	// tolerate is a FetchUser error that still leaves a usable user.
	tolerate error
}

func (p *socialProvider) Name() string                  { return p.name }
func (p *socialProvider) DisplayName() string           { return p.display }
func (p *socialProvider) Icon() string                  { return p.icon }
func (p *socialProvider) FormPost() bool                { return false }
func (p *socialProvider) Prepare(context.Context) error { return nil }

// AuthCodeURL ignores nonce: these providers give no ID token to check it in.
func (p *socialProvider) AuthCodeURL(state, _, verifier, redirectURI string) string {
	sess, err := p.goth.BeginAuth(state)
	if err != nil {
		return ""
	}
	u, err := sess.GetAuthURL()
	if err != nil {
		return ""
	}
	params := url.Values{"redirect_uri": {redirectURI}}
	if p.pkce {
		params.Set("code_challenge_method", "S256")
		params.Set("code_challenge", oauth2.S256ChallengeFromVerifier(verifier))
	}
	return withParams(u, params)
}

func (p *socialProvider) Exchange(ctx context.Context, code, _, verifier, redirectURI string) (*Identity, error) {
	cfg := p.token
	cfg.RedirectURL = redirectURI
	var opts []oauth2.AuthCodeOption
	if p.pkce {
		if verifier == "" {
			return nil, fmt.Errorf("%w: %s: no PKCE verifier", ErrExchange, p.name)
		}
		opts = append(opts, oauth2.VerifierOption(verifier))
	}
	ctx = context.WithValue(ctx, oauth2.HTTPClient, p.client)
	tok, err := cfg.Exchange(ctx, code, opts...)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrExchange, p.name, err)
	}
	u, err := p.goth.FetchUser(p.session(tok))
	if err != nil && (p.tolerate == nil || !errors.Is(err, p.tolerate)) {
		return nil, fmt.Errorf("%w: %s: %v", ErrProfile, p.name, err)
	}
	if u.UserID == "" {
		return nil, fmt.Errorf("%w: %s: no user ID", ErrProfile, p.name)
	}
	first, last, username := p.names(u)
	email, verified := p.email(ctx, tok, u)
	if p.noAvatar {
		u.AvatarURL = ""
	}
	return &Identity{
		Provider: p.name, Subject: u.UserID,
		Email: email, EmailVerified: email != "" && verified,
		FirstName: first, LastName: last, Username: username, AvatarURL: u.AvatarURL,
		Token: newToken(tok, p.scopes),
	}, nil
}

// Refresh asks the token endpoint for a new token set (Discord's and
// Microsoft's expire; GitHub's expire only where the app opted in).
func (p *socialProvider) Refresh(ctx context.Context, refreshToken string) (*Token, error) {
	return refresh(context.WithValue(ctx, oauth2.HTTPClient, p.client), p.name, p.token, refreshToken)
}

// refresh runs a refresh_token grant through oauth2's TokenSource: given a
// token with no access token, it refreshes at once.
func refresh(ctx context.Context, name string, cfg oauth2.Config, refreshToken string) (*Token, error) {
	if refreshToken == "" {
		return nil, fmt.Errorf("%w: %s: no refresh token", ErrRefresh, name)
	}
	tok, err := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: refreshToken}).Token()
	if err != nil {
		return nil, refreshError(name, err)
	}
	t := newToken(tok, nil)
	if t.RefreshToken == "" { // oauth2 keeps it; so does this, whatever oauth2 does
		t.RefreshToken = refreshToken
	}
	return &t, nil
}

// GitHubURLs are GitHub's endpoints; tests and GitHub Enterprise change them.
type GitHubURLs struct{ Auth, Token, Profile, Emails string }

// NewGitHub returns the GitHub provider; nil urls means github.com. There
// is no asking for a refresh token: an OAuth app's tokens do not expire,
// and an app whose user tokens expire gets a refresh token with each.
func NewGitHub(clientID, clientSecret string, urls *GitHubURLs, httpClient *http.Client) Provider {
	if urls == nil {
		urls = &GitHubURLs{github.AuthURL, github.TokenURL, github.ProfileURL, github.EmailURL}
	}
	client := orDefault(httpClient)
	// The callback is left empty here and set per request, so the URL sent
	// and the URL exchanged are always the same argument.
	scopes := []string{"user:email"}
	g := github.NewCustomisedURL(clientID, clientSecret, "", urls.Auth, urls.Token, urls.Profile, urls.Emails, scopes...)
	g.HTTPClient = client
	return &socialProvider{
		name: "github", display: "GitHub", icon: "github",
		goth: g, scopes: scopes,
		token: tokenConfig(clientID, clientSecret, urls.Token),
		pkce:  true, client: client,
		session: func(t *oauth2.Token) goth.Session { return &github.Session{AccessToken: t.AccessToken} },
		email: func(ctx context.Context, t *oauth2.Token, u goth.User) (string, bool) {
			return githubEmail(ctx, client, urls.Emails, t, u)
		},
		names: func(u goth.User) (string, string, string) {
			first, last := splitName(u.Name)
			return first, last, u.NickName // NickName is the login
		},
		// Raised when the profile has no public email and none is both
		// primary and verified: the person can still sign in, without email.
		tolerate: github.ErrNoVerifiedGitHubPrimaryEmail,
	}
}

// githubEmail asks /user/emails which address is verified: the profile's
// public email carries no such flag. It prefers the primary address, and
// vouches for nothing it cannot see verified.
func githubEmail(ctx context.Context, client *http.Client, emailsURL string, tok *oauth2.Token, u goth.User) (string, bool) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, emailsURL, nil)
	if err != nil {
		return u.Email, false
	}
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	req.Header.Set("Accept", "application/vnd.github+json")
	resp, err := client.Do(req)
	if err != nil {
		return u.Email, false
	}
	defer resp.Body.Close()
	var emails []struct {
		Email             string
		Primary, Verified bool
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&emails) != nil {
		return u.Email, false
	}
	for _, e := range emails {
		if e.Primary && e.Verified {
			return e.Email, true
		}
	}
	for _, e := range emails {
		if e.Email == u.Email && e.Verified {
			return e.Email, true
		}
	}
	return u.Email, false
}

const (
	discordTokenURL   = "https://discord.com/api/oauth2/token"
	microsoftTokenURL = "https://login.microsoftonline.com/common/oauth2/v2.0/token"
)

// newDiscord: Discord's user object says whether its email is verified.
// Discord answers every code with a refresh token; nothing asks for it.
func newDiscord(clientID, clientSecret string, client *http.Client) Provider {
	scopes := []string{discord.ScopeIdentify, discord.ScopeEmail}
	g := discord.New(clientID, clientSecret, "", scopes...)
	g.HTTPClient = client
	return &socialProvider{
		name: "discord", display: "Discord", icon: "discord",
		goth: g, token: tokenConfig(clientID, clientSecret, discordTokenURL), scopes: scopes,
		pkce: true, client: client,
		session: func(t *oauth2.Token) goth.Session {
			return &discord.Session{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, ExpiresAt: t.Expiry}
		},
		email: func(_ context.Context, _ *oauth2.Token, u goth.User) (string, bool) {
			v, _ := u.RawData["verified"].(bool)
			return u.Email, v
		},
		names: func(u goth.User) (string, string, string) {
			display, _ := u.RawData["global_name"].(string)
			first, last := splitName(display)
			return first, last, u.Name // goth puts the username in Name
		},
	}
}

// newMicrosoft signs in work, school and personal Microsoft accounts (the
// "common" tenant) and reads the profile from Microsoft Graph. Graph's mail
// is an attribute a tenant's administrator can set to anything, so it is
// never taken as verified: such accounts link by explicit sign-in only.
//
// Microsoft gives a refresh token only for the offline_access scope, and
// its access tokens last about an hour: without it, a relying app could
// call Graph as the person for an hour after each sign-in and no longer.
func newMicrosoft(clientID, clientSecret string, client *http.Client) Provider {
	scopes := []azureadv2.ScopeType{azureadv2.UserReadScope, azureadv2.OfflineAccessScope}
	g := azureadv2.New(clientID, clientSecret, "", azureadv2.ProviderOptions{
		Tenant: azureadv2.CommonTenant, Scopes: scopes,
	})
	g.HTTPClient = client
	return &socialProvider{
		name: "microsoft", display: "Microsoft", icon: "microsoft",
		goth: g, token: tokenConfig(clientID, clientSecret, microsoftTokenURL),
		scopes: []string{string(scopes[0]), string(scopes[1])},
		pkce:   true, client: client,
		session: func(t *oauth2.Token) goth.Session {
			return &azureadv2.Session{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, ExpiresAt: t.Expiry}
		},
		email:    func(_ context.Context, _ *oauth2.Token, u goth.User) (string, bool) { return u.Email, false },
		names:    func(u goth.User) (string, string, string) { return u.FirstName, u.LastName, "" },
		noAvatar: true,
	}
}

// tokenConfig sends the client secret in the form, which all three accept
// and which saves oauth2's try-the-header-first round trip.
func tokenConfig(clientID, clientSecret, tokenURL string) oauth2.Config {
	return oauth2.Config{
		ClientID: clientID, ClientSecret: clientSecret,
		Endpoint: oauth2.Endpoint{TokenURL: tokenURL, AuthStyle: oauth2.AuthStyleInParams},
	}
}
