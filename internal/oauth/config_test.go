package oauth_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/config"
	"github.com/portalhq/portal/internal/oauth"
	"github.com/portalhq/portal/internal/testutil/oidctest"
)

func TestFromConfigOrderAndNames(t *testing.T) {
	social := map[string]config.OAuthProvider{}
	for _, n := range []string{"slack", "linkedin", "gitlab", "discord", "microsoft", "google", "github"} {
		social[n] = config.OAuthProvider{ClientID: n + "-id", ClientSecret: "s"}
	}
	ps, err := oauth.FromConfig(social, map[string]config.OIDCProvider{
		"zeta":     {Issuer: "https://zeta.example", ClientID: "z"},
		"corp_sso": {Issuer: "https://sso.corp.example", ClientID: "c", DisplayName: "Corp", Icon: "https://corp.example/i.svg"},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names, displays []string
	for _, p := range ps {
		names = append(names, p.Name())
		displays = append(displays, p.DisplayName())
	}
	if got := strings.Join(names, " "); got != "github google microsoft discord gitlab linkedin slack oidc_corp_sso oidc_zeta" {
		t.Errorf("names = %s", got)
	}
	if got := strings.Join(displays, "|"); got != "GitHub|Google|Microsoft|Discord|GitLab|LinkedIn|Slack|Corp|Zeta" {
		t.Errorf("display names = %s", got)
	}
	if ps[7].Icon() != "https://corp.example/i.svg" || ps[0].Icon() != "github" {
		t.Errorf("icons %q %q", ps[7].Icon(), ps[0].Icon())
	}
}

func TestFromConfigRefusesUnknownProvider(t *testing.T) {
	_, err := oauth.FromConfig(map[string]config.OAuthProvider{"myspace": {ClientID: "x", ClientSecret: "y"}}, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "PORTAL_OAUTH_MYSPACE_CLIENT_ID") {
		t.Errorf("err = %v", err)
	}
}

func TestFromConfigRefusesBadAppleKey(t *testing.T) {
	for _, c := range []config.OAuthProvider{
		{ClientID: "com.example", TeamID: "T", KeyID: "K", PrivateKey: "-----BEGIN PRIVATE KEY-----"},
		{ClientID: "com.example", PrivateKey: "x"},
	} {
		_, err := oauth.FromConfig(map[string]config.OAuthProvider{"apple": c}, nil, nil)
		if err == nil || !strings.Contains(err.Error(), "PORTAL_OAUTH_APPLE") {
			t.Errorf("%+v: err = %v", c, err)
		}
	}
}

func TestCallbackURLPerProvider_REQ_OA_03(t *testing.T) {
	if got := oauth.CallbackURL("https://accounts.example.com/", "oidc_corp"); got != "https://accounts.example.com/v1/oauth_callback/oidc_corp" {
		t.Errorf("CallbackURL = %q", got)
	}
}

func TestAppleName(t *testing.T) {
	first, last := oauth.AppleName(url.Values{"user": {`{"name":{"firstName":"Tim","lastName":"Berners-Lee"},"email":"t@example.com"}`}})
	if first != "Tim" || last != "Berners-Lee" {
		t.Errorf("AppleName = %q %q", first, last)
	}
	if first, last := oauth.AppleName(url.Values{}); first != "" || last != "" {
		t.Errorf("no user field: %q %q", first, last)
	}
}

// _ISSUER points an OpenID provider somewhere else, as a self-managed
// GitLab needs: discovery and the authorization URL use it. A provider
// that is not OpenID refuses it.
func TestFromConfigIssuer(t *testing.T) {
	op := oidctest.Start(t)
	ps, err := oauth.FromConfig(map[string]config.OAuthProvider{"gitlab": {ClientID: "id", ClientSecret: "s",
		Issuer: op.Issuer()}}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := ps[0].Prepare(t.Context()); err != nil {
		t.Fatalf("discovery at the configured issuer: %v", err)
	}
	if u := ps[0].AuthCodeURL("st", "no", "ve", "https://accounts.example.com/v1/oauth_callback/gitlab"); !strings.HasPrefix(u, op.Issuer()) {
		t.Errorf("GitLab sends people to %s, want the configured issuer %s", u, op.Issuer())
	}
	_, err = oauth.FromConfig(map[string]config.OAuthProvider{"github": {ClientID: "id", ClientSecret: "s",
		Issuer: "https://github.example.com"}}, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "PORTAL_OAUTH_GITHUB_*: ISSUER is for OpenID providers") {
		t.Errorf("GitHub with an issuer: %v", err)
	}
}

// What a provider says about a person is held to the portal's own form
// rules before anything is stored (REQ-IN-02): control characters out,
// spaces tidied, lengths bounded; what cannot be kept is dropped.
func TestIdentityTidy_REQ_IN_02(t *testing.T) {
	who := &oauth.Identity{FirstName: "  Ada\x00\r\n  Augusta ", LastName: strings.Repeat("L", 101),
		Username: "ada\nlovelace", Email: "ada@example.com\x00", EmailVerified: true,
		AvatarURL: "https://img.example/" + strings.Repeat("a", 3000)}
	who.Tidy()
	if who.FirstName != "Ada Augusta" || who.LastName != "" || who.Username != "" || who.AvatarURL != "" ||
		who.Email != "" || who.EmailVerified {
		t.Errorf("tidied to %+v", who)
	}
	ok := &oauth.Identity{FirstName: "Grace", LastName: "Hopper", Username: "grace", Email: " grace@example.com ", EmailVerified: true,
		AvatarURL: "https://img.example/g.png"}
	ok.Tidy()
	if ok.FirstName != "Grace" || ok.LastName != "Hopper" || ok.Username != "grace" || ok.Email != "grace@example.com" ||
		!ok.EmailVerified || ok.AvatarURL != "https://img.example/g.png" {
		t.Errorf("a clean identity changed: %+v", ok)
	}
}

// REQ-HDR-05 (A5 1.2.2: only safe URL schemes in generated URLs), REQ-IN-01:
// a provider's picture reaches relying apps as the user's image_url, which
// their pages put in src and href attributes. Some providers let people
// write their own picture claim, so anything but an absolute http(s) URL
// with a host is dropped, as an unusable value is: javascript:, data:,
// scheme-relative and relative references.
func TestIdentityTidyKeepsOnlyWebPictures_REQ_HDR_05(t *testing.T) {
	for _, bad := range []string{"javascript:alert(document.domain)", "JavaScript:alert(1)", " javascript:alert(1)",
		"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==", "vbscript:msgbox", "//evil.example/x.png",
		"/x.png", "https:///x.png", "https://user:pass@img.example/x.png", "ftp://img.example/x.png"} {
		who := &oauth.Identity{AvatarURL: bad}
		who.Tidy()
		if who.AvatarURL != "" {
			t.Errorf("picture %q kept as %q", bad, who.AvatarURL)
		}
	}
	for _, good := range []string{"https://avatars.githubusercontent.com/u/1?v=4", "http://gitlab.internal/uploads/a.png"} {
		who := &oauth.Identity{AvatarURL: good}
		who.Tidy()
		if who.AvatarURL != good {
			t.Errorf("picture %q became %q", good, who.AvatarURL)
		}
	}
}
