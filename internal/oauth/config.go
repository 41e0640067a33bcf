package oauth

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/portalhq/portal/internal/config"
	"golang.org/x/oauth2"
)

// defaultTimeout bounds every request to a provider when the caller gives no
// client: a hung provider must not hold a sign-in open.
const defaultTimeout = 10 * time.Second

// builtins are the social providers PORTAL_OAUTH_<NAME>_* may enable, in the
// order their buttons appear.
var builtins = []string{"github", "google", "microsoft", "apple", "discord", "gitlab", "linkedin", "slack"}

// FromConfig builds the enabled providers: the built-in ones in a fixed
// order, then the generic OpenID ones by name. It does no I/O; call Prepare
// on each to discover OpenID issuers early and log the ones that are down.
// Each provider's redirect URI is the CallbackURL the caller passes to
// AuthCodeURL and Exchange. A nil httpClient means one with a 10-second
// timeout.
func FromConfig(social map[string]config.OAuthProvider, oidcs map[string]config.OIDCProvider, httpClient *http.Client) ([]Provider, error) {
	client := orDefault(httpClient)
	var out []Provider
	for name := range social {
		if !slices.Contains(builtins, name) {
			return nil, fmt.Errorf("PORTAL_OAUTH_%s_CLIENT_ID: unknown provider %q; known: %s (other OpenID providers: PORTAL_OIDC_<NAME>_ISSUER)",
				strings.ToUpper(name), name, strings.Join(builtins, ", "))
		}
	}
	for _, name := range builtins {
		c, ok := social[name]
		if !ok {
			continue
		}
		p, err := builtin(name, c, client)
		if err != nil {
			return nil, fmt.Errorf("PORTAL_OAUTH_%s_*: %w", strings.ToUpper(name), err)
		}
		out = append(out, p)
	}
	for _, name := range slices.Sorted(maps.Keys(oidcs)) {
		c := oidcs[name]
		p, err := NewOIDC(name, c.Issuer, c.ClientID, c.ClientSecret, c.DisplayName, c.Icon, client)
		if err != nil {
			return nil, fmt.Errorf("PORTAL_OIDC_%s_*: %w", strings.ToUpper(name), err)
		}
		out = append(out, p)
	}
	return out, nil
}

func builtin(name string, c config.OAuthProvider, client *http.Client) (Provider, error) {
	if c.ClientID == "" {
		return nil, fmt.Errorf("client ID is empty")
	}
	switch name {
	case "github", "microsoft", "discord":
		if c.Issuer != "" {
			return nil, fmt.Errorf("ISSUER is for OpenID providers (Google, Apple, GitLab, LinkedIn, Slack); %s is not one", name)
		}
	}
	switch name {
	case "github":
		return NewGitHub(c.ClientID, c.ClientSecret, nil, client), nil
	case "microsoft":
		return newMicrosoft(c.ClientID, c.ClientSecret, client), nil
	case "discord":
		return newDiscord(c.ClientID, c.ClientSecret, client), nil
	case "apple":
		p, err := newApple(c, client)
		if err == nil && c.Issuer != "" {
			p.(*oidcProvider).issuer = c.Issuer
		}
		return p, err
	}
	// Refresh tokens: GitLab and Apple give one with every code; Slack
	// only to an app with token rotation turned on, LinkedIn only to its
	// approved partners, however asked; Google needs asking (below). Any
	// of them whose discovery lists offline_access is asked with it.
	p := &oidcProvider{
		name: name, clientID: c.ClientID, secret: staticSecret(c.ClientSecret),
		scopes: []string{"openid", "email", "profile"}, nonce: true, client: client,
	}
	switch name {
	case "google":
		// Google gives a refresh token only for access_type=offline, and
		// then only at the person's first consent to the client: no
		// prompt=consent, which would ask them again at every sign-in.
		// Its discovery lists no offline_access, which it refuses.
		p.display, p.icon, p.issuer = "Google", "google", "https://accounts.google.com"
		p.authParams = url.Values{"access_type": {"offline"}}
	case "gitlab":
		p.display, p.icon, p.issuer = "GitLab", "gitlab", "https://gitlab.com"
	case "linkedin":
		// LinkedIn's token endpoint refuses a code_verifier and its ID
		// tokens carry no nonce; state and the client secret remain.
		p.display, p.icon, p.issuer = "LinkedIn", "linkedin", "https://www.linkedin.com/oauth"
		p.pkce, p.nonce, p.tokenAuth = pkceNever, false, oauth2.AuthStyleInParams
	case "slack":
		// openid.connect.token takes code_verifier; discovery does not say so.
		p.display, p.icon, p.issuer = "Slack", "slack", "https://slack.com"
		p.pkce, p.tokenAuth = pkceAlways, oauth2.AuthStyleInParams
	}
	if c.Issuer != "" {
		p.issuer = c.Issuer
	}
	return p, nil
}
