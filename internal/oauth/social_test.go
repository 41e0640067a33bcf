package oauth_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/config"
	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/oauth"
	"golang.org/x/oauth2"
)

// fakeAS is a small OAuth 2 authorization server with PKCE, standing in for
// GitHub, Discord and Microsoft, which have no test instances. Profile
// endpoints are added per test on mux.
type fakeAS struct {
	srv          *httptest.Server
	mux          *http.ServeMux
	clientID     string
	clientSecret string
	errorsAs200  bool // GitHub reports token errors with status 200

	mu     sync.Mutex
	grants map[string]grant // code → what it was issued for
}

type grant struct{ challenge, redirect string }

func startFakeAS(t *testing.T, tokenPath string) *fakeAS {
	f := &fakeAS{mux: http.NewServeMux(), clientID: "client-1", clientSecret: "secret-1", grants: map[string]grant{}}
	f.mux.HandleFunc("GET /authorize", f.authorize)
	f.mux.HandleFunc("POST "+tokenPath, f.token)
	f.srv = httptest.NewServer(f.mux)
	t.Cleanup(f.srv.Close)
	return f
}

// issue approves an authorization request: a code bound to its challenge
// and redirect URI.
func (f *fakeAS) issue(q url.Values) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	code := id.Secret(16)
	f.grants[code] = grant{q.Get("code_challenge"), q.Get("redirect_uri")}
	return code
}

func (f *fakeAS) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	back, _ := url.Parse(q.Get("redirect_uri"))
	back.RawQuery = url.Values{"code": {f.issue(q)}, "state": {q.Get("state")}}.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

func (f *fakeAS) token(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	fail := func(code string) {
		w.Header().Set("Content-Type", "application/json")
		if !f.errorsAs200 {
			w.WriteHeader(http.StatusBadRequest)
		}
		_ = json.NewEncoder(w).Encode(map[string]string{"error": code})
	}
	if r.Form.Get("client_id") != f.clientID || r.Form.Get("client_secret") != f.clientSecret {
		fail("invalid_client")
		return
	}
	if r.Form.Get("grant_type") == "refresh_token" {
		// GitHub's answer: form-encoded, scopes separated by commas.
		if r.Form.Get("refresh_token") != "rt-1" {
			fail("bad_refresh_token")
			return
		}
		w.Header().Set("Content-Type", "application/x-www-form-urlencoded")
		_, _ = io.WriteString(w, url.Values{"access_token": {"at-2"}, "expires_in": {"28800"}, "refresh_token": {"rt-2"},
			"scope": {"repo,user:email"}, "token_type": {"bearer"}}.Encode())
		return
	}
	f.mu.Lock()
	g, ok := f.grants[r.Form.Get("code")]
	delete(f.grants, r.Form.Get("code"))
	f.mu.Unlock()
	switch {
	case !ok, g.redirect != r.Form.Get("redirect_uri"):
		fail("invalid_grant")
	case g.challenge == "" || oauth2.S256ChallengeFromVerifier(r.Form.Get("code_verifier")) != g.challenge:
		fail("invalid_grant") // GitHub: bad_verification_code; the same to the client
	default:
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "at-1", "token_type": "bearer", "expires_in": 3600})
	}
}

// profile serves body as JSON to requests bearing the access token.
func (f *fakeAS) profile(pattern string, status int, body any) {
	f.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer at-1" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(body)
	})
}

func startFakeGitHub(t *testing.T, emailsStatus int, emails any) (*fakeAS, oauth.Provider) {
	f := startFakeAS(t, "/login/oauth/access_token")
	f.errorsAs200 = true
	f.profile("GET /user", 200, map[string]any{
		"id": 583231, "login": "octocat", "name": "Mona Lisa Octocat",
		"email": "public@example.com", "avatar_url": "https://avatars.example/u/583231",
	})
	f.profile("GET /user/emails", emailsStatus, emails)
	p := oauth.NewGitHub(f.clientID, f.clientSecret, &oauth.GitHubURLs{
		Auth: f.srv.URL + "/authorize", Token: f.srv.URL + "/login/oauth/access_token",
		Profile: f.srv.URL + "/user", Emails: f.srv.URL + "/user/emails",
	}, nil)
	return f, p
}

func TestGitHubSignInWithPKCE_REQ_OA_02_REQ_OA_04(t *testing.T) {
	_, p := startFakeGitHub(t, 200, []map[string]any{
		{"email": "public@example.com", "primary": false, "verified": true},
		{"email": "mona@example.com", "primary": true, "verified": true},
	})
	pend := oauth.NewPending("github", oauth.IntentSignIn, "", "", time.Now())
	u, _ := url.Parse(p.AuthCodeURL(pend.State, pend.Nonce, pend.Verifier, oauth.CallbackURL(base, "github")))
	q := u.Query()
	for k, v := range map[string]string{
		"code_challenge_method": "S256", "code_challenge": oauth2.S256ChallengeFromVerifier(pend.Verifier),
		"state": pend.State, "redirect_uri": base + "/v1/oauth_callback/github", "scope": "user:email", "client_id": "client-1",
	} {
		if q.Get(k) != v {
			t.Errorf("auth URL %s = %q, want %q", k, q.Get(k), v)
		}
	}

	code, state, err := oauth.ParseCallback(p, follow(t, u.String()))
	if err != nil || pend.Check("github", state) != nil {
		t.Fatal(err)
	}
	id, err := exchange(p, pend, code)
	if err != nil {
		t.Fatal(err)
	}
	want := oauth.Identity{Provider: "github", Subject: "583231", Email: "mona@example.com", EmailVerified: true,
		FirstName: "Mona", LastName: "Lisa Octocat", Username: "octocat", AvatarURL: "https://avatars.example/u/583231"}
	tok := id.Token
	id.Token = oauth.Token{}
	if !reflect.DeepEqual(*id, want) {
		t.Errorf("identity = %+v\nwant %+v", *id, want)
	}
	// The answer gave no scope: the one asked for is the one granted.
	if tok.AccessToken != "at-1" || tok.RefreshToken != "" || tok.Lifetime != time.Hour ||
		len(tok.Scopes) != 1 || tok.Scopes[0] != "user:email" {
		t.Errorf("token = %+v, want at-1 for an hour with user:email", tok)
	}
}

func TestGitHubWrongVerifierRefused_REQ_OA_02(t *testing.T) {
	_, p := startFakeGitHub(t, 200, []any{})
	_, code := begin(t, p)
	wrong := oauth.NewPending("github", "", "", "", time.Now()).Verifier
	_, err := p.Exchange(context.Background(), code, "", wrong, oauth.CallbackURL(base, "github"))
	if !errors.Is(err, oauth.ErrExchange) {
		t.Fatalf("err = %v, want ErrExchange", err)
	}
}

func TestGitHubEmailVerifiedOnlyWhenGitHubSaysSo_REQ_OA_05(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		emails any
	}{
		{"no verified address", 200, []map[string]any{{"email": "public@example.com", "primary": true, "verified": false}}},
		{"emails not readable", 404, map[string]string{"message": "Not Found"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, p := startFakeGitHub(t, tc.status, tc.emails)
			pend, code := begin(t, p)
			id, err := exchange(p, pend, code)
			if err != nil {
				t.Fatal(err)
			}
			if id.Email != "public@example.com" || id.EmailVerified {
				t.Errorf("identity = %+v, want unverified public@example.com", id)
			}
		})
	}
}

// rewrite sends every request to the fake, whatever host it names: the
// goth providers for Discord and Microsoft have fixed endpoints.
type rewrite struct{ to *url.URL }

func (rw rewrite) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.URL.Scheme, r.URL.Host, r.Host = rw.to.Scheme, rw.to.Host, ""
	return http.DefaultTransport.RoundTrip(r)
}

// socialFlow runs a flow against a fixed-endpoint provider: the
// authorization URL is checked and answered by the fake directly.
func socialFlow(t *testing.T, f *fakeAS, name, wantAuthHost string) *oauth.Identity {
	t.Helper()
	ps, err := oauth.FromConfig(map[string]config.OAuthProvider{name: {ClientID: f.clientID, ClientSecret: f.clientSecret}},
		nil, &http.Client{Transport: rewrite{to: mustParse(f.srv.URL)}})
	if err != nil {
		t.Fatal(err)
	}
	p := ps[0]
	pend := oauth.NewPending(name, oauth.IntentSignIn, "", "", time.Now())
	u := mustParse(p.AuthCodeURL(pend.State, pend.Nonce, pend.Verifier, oauth.CallbackURL(base, name)))
	if u.Host != wantAuthHost || u.Query().Get("code_challenge_method") != "S256" || u.Query().Get("state") != pend.State {
		t.Fatalf("auth URL %s", u)
	}
	id, err := exchange(p, pend, f.issue(u.Query()))
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func mustParse(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

func TestDiscordSignIn_REQ_OA_02_REQ_OA_05(t *testing.T) {
	for _, verified := range []bool{true, false} {
		f := startFakeAS(t, "/api/oauth2/token")
		f.profile("GET /api/users/@me", 200, map[string]any{
			"id": "80351110224678912", "username": "nelly", "global_name": "Nelly Bly",
			"email": "nelly@example.com", "verified": verified,
		})
		id := socialFlow(t, f, "discord", "discord.com")
		if id.Subject != "80351110224678912" || id.Email != "nelly@example.com" || id.EmailVerified != verified ||
			id.Username != "nelly" || id.FirstName != "Nelly" || id.LastName != "Bly" {
			t.Errorf("verified=%v: identity = %+v", verified, id)
		}
	}
}

func TestMicrosoftEmailNeverVerified_REQ_OA_05(t *testing.T) {
	f := startFakeAS(t, "/common/oauth2/v2.0/token")
	f.profile("GET /v1.0/me", 200, map[string]any{
		"id": "0b7f9c2e", "displayName": "Alan Turing", "givenName": "Alan", "surname": "Turing",
		"mail": "alan@example.com", "userPrincipalName": "alan@example.com",
	})
	id := socialFlow(t, f, "microsoft", "login.microsoftonline.com")
	if id.Subject != "0b7f9c2e" || id.Email != "alan@example.com" || id.EmailVerified ||
		id.FirstName != "Alan" || id.LastName != "Turing" || id.AvatarURL != "" {
		t.Errorf("identity = %+v", id)
	}
	if !strings.HasPrefix(id.Token.AccessToken, "at-") {
		t.Errorf("access token %q", id.Token.AccessToken)
	}
}

// A refresh is a refresh_token grant at the token endpoint with the
// client's credentials; GitHub answers it form-encoded with its scopes
// separated by commas, and refuses a spent refresh token with status 200
// and an error, which comes back as a *RefreshError naming the code.
func TestGitHubRefresh(t *testing.T) {
	_, p := startFakeGitHub(t, 200, []map[string]any{})
	tok, err := p.Refresh(context.Background(), "rt-1")
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken != "at-2" || tok.RefreshToken != "rt-2" || tok.Lifetime < 8*time.Hour-time.Minute ||
		tok.Lifetime > 8*time.Hour || !reflect.DeepEqual(tok.Scopes, []string{"repo", "user:email"}) {
		t.Errorf("refreshed = %+v", tok)
	}
	_, err = p.Refresh(context.Background(), "rt-spent")
	var re *oauth.RefreshError
	if !errors.As(err, &re) || !errors.Is(err, oauth.ErrRefresh) || re.Code != "bad_refresh_token" || re.Provider != "github" {
		t.Errorf("spent refresh token: %v, want a RefreshError bad_refresh_token", err)
	}
	if strings.Contains(err.Error(), "rt-spent") {
		t.Errorf("the error names the refresh token: %v", err)
	}
}
