package oauth_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/config"
	"github.com/portalhq/portal/internal/oauth"
	"github.com/portalhq/portal/internal/testutil/oidctest"
)

// Each provider is asked for a refresh token the way it needs, so that
// GET /v1/users/{id}/oauth_access_tokens/{provider} can refresh an expired
// access token: Google with access_type=offline, Microsoft with the
// offline_access scope, a generic OpenID provider with offline_access
// only when its discovery lists it (Google refuses the scope, and its
// discovery does not list it). GitHub, Discord, GitLab, LinkedIn and
// Slack have nothing to ask. Nobody is sent prompt=consent, which would
// ask the person to consent again at every sign-in.
func TestAuthorizationURLsAskForRefreshTokens(t *testing.T) {
	plain := oidctest.Start(t).Issuer() // discovery without offline_access, as Google's and GitLab's
	offering := oidctest.Start(t)
	offering.OfferOfflineAccess()
	for _, tc := range []struct {
		name       string // PORTAL_OAUTH_<name>, or "oidc_<name>" for PORTAL_OIDC_<name>
		issuer     string
		scope      string
		accessType string // "" for none, or whatever the provider's library sends but offline
	}{
		{name: "github", scope: "user:email"},
		{name: "google", issuer: plain, scope: "openid email profile", accessType: "offline"},
		{name: "microsoft", scope: "User.Read offline_access"},
		{name: "discord", scope: "identify email", accessType: "online"},
		{name: "gitlab", issuer: plain, scope: "openid email profile"},
		{name: "linkedin", issuer: plain, scope: "openid email profile"},
		{name: "slack", issuer: plain, scope: "openid email profile"},
		{name: "oidc_plain", issuer: plain, scope: "openid email profile"},
		{name: "oidc_offering", issuer: offering.Issuer(), scope: "openid email profile offline_access"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			social, oidcs := map[string]config.OAuthProvider{}, map[string]config.OIDCProvider{}
			if name, ok := strings.CutPrefix(tc.name, "oidc_"); ok {
				oidcs[name] = config.OIDCProvider{Issuer: tc.issuer, ClientID: "client-1", ClientSecret: "s"}
			} else {
				social[tc.name] = config.OAuthProvider{ClientID: "client-1", ClientSecret: "s", Issuer: tc.issuer}
			}
			ps, err := oauth.FromConfig(social, oidcs, nil)
			if err != nil {
				t.Fatal(err)
			}
			p := ps[0]
			if err := p.Prepare(context.Background()); err != nil {
				t.Fatal(err)
			}
			u, err := url.Parse(p.AuthCodeURL("st", "no", "ve", oauth.CallbackURL(base, p.Name())))
			if err != nil {
				t.Fatal(err)
			}
			q := u.Query()
			if q.Get("scope") != tc.scope || q.Get("access_type") != tc.accessType {
				t.Errorf("scope %q, access_type %q; want %q, %q in %s", q.Get("scope"), q.Get("access_type"), tc.scope, tc.accessType, u)
			}
			if slices.Contains(strings.Split(q.Get("prompt"), " "), "consent") || q.Has("approval_prompt") {
				t.Errorf("the person would be asked to consent at every sign-in: %s", u)
			}
		})
	}
}

// A provider that gives refresh tokens only for offline_access, and says
// so in its discovery, gives one to the portal at sign-in, and the token
// set can then be refreshed.
func TestOIDCOfflineAccessGivesARefreshToken(t *testing.T) {
	srv := oidctest.Start(t)
	srv.OfferOfflineAccess()
	p := newOIDC(t, srv, &http.Client{Timeout: 10 * time.Second})
	pend, code := begin(t, p)
	id, err := exchange(p, pend, code)
	if err != nil {
		t.Fatal(err)
	}
	if id.Token.RefreshToken == "" || !slices.Contains(id.Token.Scopes, "offline_access") {
		t.Fatalf("signed in without a refresh token: scopes %v, refresh token given %v", id.Token.Scopes, id.Token.RefreshToken != "")
	}
	tok, err := p.Refresh(context.Background(), id.Token.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken == "" || srv.Refreshes() != 1 {
		t.Errorf("refresh: access token given %v, refreshes answered %d", tok.AccessToken != "", srv.Refreshes())
	}
}
