package oauth_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/oauth"
	"github.com/portalhq/portal/internal/testutil/oidctest"
	"golang.org/x/oauth2"
)

const base = "http://localhost:4000"

// follow requests the authorization URL as a browser would, without a
// browser: the provider approves at once and redirects to the callback,
// whose query is returned.
func follow(t *testing.T, authURL string) url.Values {
	t.Helper()
	if authURL == "" {
		t.Fatal("empty authorization URL")
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil {
		t.Fatalf("authorize answered %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return loc.Query()
}

func newOIDC(t *testing.T, srv *oidctest.Server, client *http.Client) oauth.Provider {
	t.Helper()
	p, err := oauth.NewOIDC("test", srv.Issuer(), srv.ClientID, srv.ClientSecret, "Test IdP", "", client)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Prepare(context.Background()); err != nil {
		t.Fatal(err)
	}
	return p
}

// begin starts a flow the way the handler will: a Pending, its URL, the
// provider's answer on the callback, and the checks of the callback.
func begin(t *testing.T, p oauth.Provider) (oauth.Pending, string) {
	t.Helper()
	pend := oauth.NewPending(p.Name(), oauth.IntentSignIn, "", "", time.Now())
	q := follow(t, p.AuthCodeURL(pend.State, pend.Nonce, pend.Verifier, oauth.CallbackURL(base, p.Name())))
	code, state, err := oauth.ParseCallback(p, q)
	if err != nil {
		t.Fatal(err)
	}
	if err := pend.Check(p.Name(), state); err != nil {
		t.Fatal(err)
	}
	return pend, code
}

func exchange(p oauth.Provider, pend oauth.Pending, code string) (*oauth.Identity, error) {
	return p.Exchange(context.Background(), code, pend.Nonce, pend.Verifier, oauth.CallbackURL(base, p.Name()))
}

func TestOIDCSignIn_REQ_OA_01_02_04_06(t *testing.T) {
	srv := oidctest.Start(t)
	srv.SetUserInfo(oidctest.User{Subject: "sub-7", Email: "grace@example.com", EmailVerified: true,
		GivenName: "Grace", FamilyName: "Hopper", PreferredUsername: "grace", Picture: "https://img.example/g.png"})
	p := newOIDC(t, srv, nil)
	if p.Name() != "oidc_test" || p.DisplayName() != "Test IdP" || p.Icon() != "openid" || p.FormPost() {
		t.Errorf("metadata: %q %q %q %v", p.Name(), p.DisplayName(), p.Icon(), p.FormPost())
	}

	pend := oauth.NewPending(p.Name(), oauth.IntentSignIn, "sia_1", "", time.Now())
	u, _ := url.Parse(p.AuthCodeURL(pend.State, pend.Nonce, pend.Verifier, oauth.CallbackURL(base, p.Name())))
	q := u.Query()
	want := map[string]string{
		"state": pend.State, "nonce": pend.Nonce, "scope": "openid email profile",
		"code_challenge_method": "S256", "code_challenge": oauth2.S256ChallengeFromVerifier(pend.Verifier),
		"redirect_uri": base + "/v1/oauth_callback/oidc_test", "client_id": srv.ClientID, "response_type": "code",
	}
	for k, v := range want {
		if q.Get(k) != v {
			t.Errorf("auth URL %s = %q, want %q", k, q.Get(k), v)
		}
	}

	cb := follow(t, u.String())
	code, state, err := oauth.ParseCallback(p, cb)
	if err != nil || pend.Check("oidc_test", state) != nil {
		t.Fatalf("callback %v: %v", cb, err)
	}
	id, err := exchange(p, pend, code)
	if err != nil {
		t.Fatal(err)
	}
	if id.Provider != "oidc_test" || id.Subject != "sub-7" || id.Email != "grace@example.com" || !id.EmailVerified ||
		id.FirstName != "Grace" || id.LastName != "Hopper" || id.Username != "grace" || id.AvatarURL != "https://img.example/g.png" {
		t.Errorf("identity = %+v", id)
	}
	if tok := id.Token; tok.AccessToken == "" || tok.RefreshToken == "" || tok.IDToken == "" ||
		tok.Lifetime <= 0 || tok.Lifetime > time.Hour || strings.Join(tok.Scopes, " ") != "openid email profile" {
		t.Errorf("token: %+v", tok)
	}
}

func TestOIDCUnverifiedEmailIsNotVouchedFor_REQ_OA_05(t *testing.T) {
	srv := oidctest.Start(t)
	srv.SetUser("sub-8", "eve@example.com", false, "Eve", "")
	p := newOIDC(t, srv, nil)
	pend, code := begin(t, p)
	id, err := exchange(p, pend, code)
	if err != nil {
		t.Fatal(err)
	}
	if id.Email != "eve@example.com" || id.EmailVerified {
		t.Errorf("identity = %+v, want unverified eve@example.com", id)
	}
}

func TestOIDCWrongVerifierRefused_REQ_OA_02(t *testing.T) {
	srv := oidctest.Start(t)
	p := newOIDC(t, srv, nil)
	pend, code := begin(t, p)
	other := oauth.NewPending(p.Name(), oauth.IntentSignIn, "", "", time.Now())
	_, err := p.Exchange(context.Background(), code, pend.Nonce, other.Verifier, oauth.CallbackURL(base, p.Name()))
	if !errors.Is(err, oauth.ErrExchange) {
		t.Fatalf("err = %v, want ErrExchange", err)
	}
}

func TestOIDCCodeForAnotherCallbackRefused_REQ_OA_03(t *testing.T) {
	srv := oidctest.Start(t)
	p := newOIDC(t, srv, nil)
	pend, code := begin(t, p)
	_, err := p.Exchange(context.Background(), code, pend.Nonce, pend.Verifier, oauth.CallbackURL(base, "github"))
	if !errors.Is(err, oauth.ErrExchange) {
		t.Fatalf("err = %v, want ErrExchange", err)
	}
}

func TestOIDCAttackedIDTokens_REQ_OA_06(t *testing.T) {
	for _, tc := range []struct {
		name   string
		attack func(*oidctest.Server)
		want   error
	}{
		{"nonce from another flow", func(s *oidctest.Server) { s.NextIDTokenNonce("replayed-nonce") }, oauth.ErrNonce},
		{"empty nonce", func(s *oidctest.Server) { s.NextIDTokenNonce("") }, oauth.ErrNonce},
		{"audience is another client", func(s *oidctest.Server) { s.NextIDTokenAudience("someone-else") }, oauth.ErrIDToken},
		{"signed with a key not in the JWKS", func(s *oidctest.Server) { s.SignNextIDTokenWithOtherKey() }, oauth.ErrIDToken},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := oidctest.Start(t)
			p := newOIDC(t, srv, nil)
			pend, code := begin(t, p)
			tc.attack(srv)
			id, err := exchange(p, pend, code)
			if !errors.Is(err, tc.want) {
				t.Fatalf("identity %+v, err = %v, want %v", id, err, tc.want)
			}
		})
	}
}

func TestOIDCProfileFromUserinfo(t *testing.T) {
	srv := oidctest.Start(t)
	srv.ProfileInUserinfoOnly()
	srv.SetUser("sub-9", "ida@example.com", true, "Ida", "Rhodes")
	p := newOIDC(t, srv, nil)
	pend, code := begin(t, p)
	id, err := exchange(p, pend, code)
	if err != nil {
		t.Fatal(err)
	}
	if id.Subject != "sub-9" || id.Email != "ida@example.com" || !id.EmailVerified || id.FirstName != "Ida" {
		t.Errorf("identity = %+v", id)
	}
}

func TestOIDCDenied(t *testing.T) {
	srv := oidctest.Start(t)
	p := newOIDC(t, srv, nil)
	pend := oauth.NewPending(p.Name(), oauth.IntentSignIn, "", "", time.Now())
	srv.DenyNext("access_denied")
	q := follow(t, p.AuthCodeURL(pend.State, pend.Nonce, pend.Verifier, oauth.CallbackURL(base, p.Name())))
	_, state, err := oauth.ParseCallback(p, q)
	if !errors.Is(err, oauth.ErrDenied) || state != pend.State {
		t.Fatalf("err = %v, state %q", err, state)
	}
}

func TestParseCallbackIssuer_REQ_OA_03(t *testing.T) {
	srv := oidctest.Start(t)
	p := newOIDC(t, srv, nil)
	_, _, err := oauth.ParseCallback(p, url.Values{"code": {"c"}, "state": {"s"}, "iss": {"https://evil.example"}})
	if !errors.Is(err, oauth.ErrIssuer) {
		t.Errorf("foreign iss: err = %v", err)
	}
	code, _, err := oauth.ParseCallback(p, url.Values{"code": {"c"}, "state": {"s"}, "iss": {srv.Issuer()}})
	if err != nil || code != "c" {
		t.Errorf("own iss: code %q err %v", code, err)
	}
	if _, _, err := oauth.ParseCallback(p, url.Values{"state": {"s"}}); !errors.Is(err, oauth.ErrCallback) {
		t.Errorf("no code: err = %v", err)
	}
}

// downTransport fails every request while down is set, like an issuer that
// is unreachable when the portal starts.
type downTransport struct{ down atomic.Bool }

func (d *downTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if d.down.Load() {
		return nil, errors.New("connection refused")
	}
	return http.DefaultTransport.RoundTrip(r)
}

func TestOIDCDiscoveryRetriedUntilIssuerUp(t *testing.T) {
	srv := oidctest.Start(t)
	tr := &downTransport{}
	tr.down.Store(true)
	p, err := oauth.NewOIDC("late", srv.Issuer(), srv.ClientID, srv.ClientSecret, "", "", &http.Client{Transport: tr})
	if err != nil {
		t.Fatal(err) // construction does no I/O, so a down issuer cannot fail it
	}
	if err := p.Prepare(context.Background()); !errors.Is(err, oauth.ErrDiscovery) {
		t.Fatalf("Prepare while down: %v", err)
	}
	if u := p.AuthCodeURL("s", "n", "v", base); u != "" {
		t.Fatalf("AuthCodeURL before discovery = %q", u)
	}
	tr.down.Store(false)
	if err := p.Prepare(context.Background()); err != nil {
		t.Fatalf("Prepare once up: %v", err)
	}
	pend, code := begin(t, p)
	if _, err := exchange(p, pend, code); err != nil {
		t.Fatal(err)
	}
	if p.DisplayName() != "Late" {
		t.Errorf("default display name = %q", p.DisplayName())
	}
}

func TestNewOIDCRejectsBadConfig(t *testing.T) {
	for _, tc := range [][3]string{
		{"Bad-Name", "https://idp.example", "id"},
		{"ok", "idp.example", "id"},
		{"ok", "ftp://idp.example", "id"},
		{"ok", "https://idp.example", ""},
	} {
		if _, err := oauth.NewOIDC(tc[0], tc[1], tc[2], "secret", "", "", nil); err == nil {
			t.Errorf("NewOIDC(%q, %q, %q) accepted", tc[0], tc[1], tc[2])
		}
	}
}
