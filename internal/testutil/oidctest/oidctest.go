// Package oidctest runs a real OpenID provider on loopback for tests: the
// oauth2-proxy mockoidc server (discovery, JWKS, authorize, token, userinfo,
// RS256 ID tokens) with a layer that makes it stricter and adds knobs for
// attack tests.
//
// The authorize endpoint approves at once and redirects back with a code, so
// a plain HTTP client or a browser completes the flow with no login page.
// Stricter than mockoidc alone: authorization requests must carry a PKCE S256
// challenge and a nonce, the token request's redirect_uri must be the one the
// code was issued for, and client_secret_basic works as advertised.
package oidctest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"
)

// User is the person who "logs in" at the provider.
type User struct {
	Subject, Email        string
	EmailVerified         bool
	GivenName, FamilyName string
	PreferredUsername     string
	Picture               string
}

// Server is a running provider. ClientID and ClientSecret are the one client
// it knows; any redirect_uri is accepted.
type Server struct {
	ClientID, ClientSecret string

	m *mockoidc.MockOIDC
	// serial runs one request at a time: mockoidc's session map has no lock.
	serial sync.Mutex

	mu                sync.Mutex
	user              User
	nonce             *string
	audience          string
	otherKey          bool
	deny              string
	profileInUserinfo bool
	redirects         map[string]string // code → redirect_uri it was issued for
	apple             *Apple            // answer as Sign in with Apple does; nil: plain OpenID
	appleSeen         map[string]bool   // subjects Apple has posted a name for
	scope             string            // the scope token answers carry; "": none
	refuseRefresh     bool              // refresh_token grants answer invalid_grant
	noRefreshToken    bool              // token answers carry no refresh_token
	refreshes         int               // refresh_token grants answered with a token
	refreshGrants     int               // refresh_token grants received, answered or refused
	issued            Tokens            // the last token set answered
	offline           bool              // refresh tokens only for offline_access, which discovery lists
	offlineCodes      map[string]bool   // code → its authorization asked for offline_access
	spent             map[string]bool   // refresh tokens used, when each is accepted once (RotateRefreshTokens)
	rotated           map[string]string // refresh token a refresh answered → mockoidc's own, which it stands for
	spentSeen         chan struct{}     // closed when a spent refresh token is first refused
	held              *heldRefresh      // the next refresh answered with a token waits (HoldNextRefresh)
	failTokens        int               // token requests still to answer failStatus (FailTokens)
	failStatus        int
}

// heldRefresh is a refresh answer kept back: arrived closes when the
// request came and its answer is made; the answer leaves when release
// closes.
type heldRefresh struct {
	arrived, release chan struct{}
}

// Tokens is a token set the token endpoint answered.
type Tokens struct {
	Access, Refresh, ID string
}

// Apple describes the client Sign in with Apple knows: the team and key
// whose ES256-signed JWT is its client secret.
type Apple struct {
	TeamID, KeyID string
	Key           *ecdsa.PublicKey
}

// AppleAudience is the aud Apple requires in a client secret, whatever
// issuer URL the stand-in runs at.
const AppleAudience = "https://appleid.apple.com"

// ActAsApple makes the provider answer as Sign in with Apple does, to a
// client configured with ClientID and a as its team and key:
//   - authorization requests must ask for response_mode=form_post, and
//     take Apple's scopes (name, email; openid is implied);
//   - the answer is a page whose form POSTs code and state to the
//     redirect_uri, cross-site, by itself (and with a button without
//     JavaScript); on a subject's first authorization with the name scope
//     it also posts Apple's unsigned "user" JSON with the person's name;
//   - the token endpoint takes as client secret only a fresh ES256 JWT
//     signed with a.Key (iss the team, sub the client, aud AppleAudience,
//     kid the key);
//   - ID tokens carry no name, and email_verified and is_private_email as
//     the strings "true"/"false".
func (s *Server) ActAsApple(a Apple) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apple, s.appleSeen = &a, map[string]bool{}
}

// Start runs a provider on 127.0.0.1 until the test ends, with a fresh
// signing key. The user who logs in is "user-1", ada@example.com, verified,
// until SetUser says otherwise.
func Start(t testing.TB) *Server {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	m, err := mockoidc.NewServer(key)
	if err != nil {
		t.Fatal(err)
	}
	m.CodeChallengeMethodsSupported = []string{"S256"} // never plain
	s := &Server{
		ClientID: m.ClientID, ClientSecret: m.ClientSecret, m: m,
		user:      User{Subject: "user-1", Email: "ada@example.com", EmailVerified: true, GivenName: "Ada", FamilyName: "Lovelace"},
		redirects: map[string]string{},
	}
	if err := m.AddMiddleware(s.intercept); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ln, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	return s
}

// Issuer is the issuer URL to discover from.
func (s *Server) Issuer() string { return s.m.Issuer() }

// SetUser sets who logs in from now on.
func (s *Server) SetUser(sub, email string, verified bool, given, family string) {
	s.SetUserInfo(User{Subject: sub, Email: email, EmailVerified: verified, GivenName: given, FamilyName: family})
}

// SetUserInfo is SetUser with every field.
func (s *Server) SetUserInfo(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.user = u
}

// NextIDTokenNonce makes the next ID token carry nonce instead of the one
// the authorization request sent.
func (s *Server) NextIDTokenNonce(nonce string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nonce = &nonce
}

// NextIDTokenAudience makes the next ID token's aud this instead of the
// client ID.
func (s *Server) NextIDTokenAudience(aud string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.audience = aud
}

// SignNextIDTokenWithOtherKey signs the next ID token with a key that is not
// in the JWKS, under the published key's kid: a forgery.
func (s *Server) SignNextIDTokenWithOtherKey() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.otherKey = true
}

// DenyNext makes the next authorization request redirect back with
// error=code (e.g. "access_denied") instead of a code.
func (s *Server) DenyNext(code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deny = code
}

// FailTokens makes the next n token requests fail with status and a page
// that is no OAuth answer, as a provider's overloaded front end does.
func (s *Server) FailTokens(n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failTokens, s.failStatus = n, status
}

// ProfileInUserinfoOnly keeps email and profile claims out of ID tokens, as
// OpenID Connect allows for the code flow: clients must ask UserInfo.
func (s *Server) ProfileInUserinfoOnly() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.profileInUserinfo = true
}

// ReportScope makes token answers carry scope (space-separated), as
// providers that grant other scopes than asked for do; by default they
// carry none, which RFC 6749 reads as the scope requested.
func (s *Server) ReportScope(scope string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scope = scope
}

// RefuseRefresh makes every refresh_token grant from now on fail with
// invalid_grant, as for a refresh token the person revoked.
func (s *Server) RefuseRefresh() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuseRefresh = true
}

// AcceptRefresh undoes RefuseRefresh: refresh_token grants from now on
// are answered with a new token set.
func (s *Server) AcceptRefresh() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuseRefresh = false
}

// RotateRefreshTokens makes the provider accept each refresh token once,
// as providers that rotate refresh tokens do (GitHub's expiring tokens,
// RFC 9700 4.14.2): a refresh answers with a new refresh token, and a
// second refresh_token grant with the same token is invalid_grant.
// SpentRefreshSeen closes when that first happens.
func (s *Server) RotateRefreshTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.spent, s.spentSeen, s.rotated = map[string]bool{}, make(chan struct{}), map[string]string{}
}

// SpentRefreshSeen is closed once a refresh token was refused as spent
// (RotateRefreshTokens).
func (s *Server) SpentRefreshSeen() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.spentSeen
}

// HoldNextRefresh keeps back the answer to the next refresh_token grant
// answered with a token: arrived closes once that request came and its
// answer is made (its refresh token spent), and the answer is sent when
// release is called. Other requests are answered meanwhile.
func (s *Server) HoldNextRefresh() (arrived <-chan struct{}, release func()) {
	h := &heldRefresh{arrived: make(chan struct{}), release: make(chan struct{})}
	s.mu.Lock()
	s.held = h
	s.mu.Unlock()
	var once sync.Once
	return h.arrived, func() { once.Do(func() { close(h.release) }) }
}

// GiveNoRefreshToken makes token answers from now on carry no refresh
// token, as providers that were not asked for offline access answer.
func (s *Server) GiveNoRefreshToken() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.noRefreshToken = true
}

// OfferOfflineAccess makes the provider one that gives refresh tokens only
// when asked (OpenID Connect Core 11): its discovery lists offline_access
// in scopes_supported, and a code's token answer carries a refresh_token
// only if the authorization request asked for offline_access.
func (s *Server) OfferOfflineAccess() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offline, s.offlineCodes = true, map[string]bool{}
}

// AccessTokenLifetime makes the token answers from now on say their
// access tokens last d (expires_in), instead of mockoidc's 10 minutes.
func (s *Server) AccessTokenLifetime(d time.Duration) {
	s.serial.Lock()
	defer s.serial.Unlock()
	s.m.AccessTTL = d
}

// Refreshes counts the refresh_token grants answered with a new token.
func (s *Server) Refreshes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refreshes
}

// RefreshGrants counts the refresh_token grants received (from a client
// it knows), whether answered with a token or refused.
func (s *Server) RefreshGrants() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refreshGrants
}

// Issued is the token set the token endpoint answered last, to either
// grant.
func (s *Server) Issued() Tokens {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issued
}

// FastForward moves the provider's clock on by d, for the tokens it
// issues and the expiry it checks (mockoidc's tokens carry the second
// they were issued, so a token issued a second later differs). Keep d
// well under five minutes: ID tokens are checked against the real clock.
func (s *Server) FastForward(d time.Duration) {
	s.serial.Lock()
	defer s.serial.Unlock()
	s.m.FastForward(d)
}

func (s *Server) intercept(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == mockoidc.TokenEndpoint {
			// Answered into a recorder, so that a held answer waits
			// outside the lock that serialises the provider's requests.
			rec := httptest.NewRecorder()
			s.serial.Lock()
			s.token(rec, r, next)
			s.serial.Unlock()
			s.mu.Lock()
			h := s.held
			if h != nil && rec.Code == http.StatusOK && r.Form.Get("grant_type") == "refresh_token" {
				s.held = nil
			} else {
				h = nil
			}
			s.mu.Unlock()
			if h != nil {
				close(h.arrived)
				<-h.release
			}
			copyResponse(w, rec)
			return
		}
		s.serial.Lock()
		defer s.serial.Unlock()
		switch r.URL.Path {
		case mockoidc.AuthorizationEndpoint:
			s.authorize(w, r, next)
		case mockoidc.DiscoveryEndpoint:
			s.discovery(w, r, next)
		default:
			next.ServeHTTP(w, r)
		}
	})
}

func (s *Server) authorize(w http.ResponseWriter, r *http.Request, next http.Handler) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	redirect, state := r.Form.Get("redirect_uri"), r.Form.Get("state")
	if u, err := url.Parse(redirect); err != nil || !u.IsAbs() {
		http.Error(w, "redirect_uri must be an absolute URL", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	deny, user, apple, offline := s.deny, s.user, s.apple, s.offline
	s.deny = ""
	s.mu.Unlock()
	var offlineAsked bool
	if offline {
		// mockoidc knows no offline_access: it is this layer's.
		scopes := strings.Fields(r.Form.Get("scope"))
		offlineAsked = slices.Contains(scopes, "offline_access")
		r.Form.Set("scope", strings.Join(slices.DeleteFunc(scopes, func(sc string) bool { return sc == "offline_access" }), " "))
	}
	var postName bool
	if apple != nil {
		if r.Form.Get("response_mode") != "form_post" {
			http.Error(w, "invalid_request: Apple requires response_mode=form_post when asking for name or email", http.StatusBadRequest)
			return
		}
		scopes := strings.Fields(r.Form.Get("scope"))
		for _, sc := range scopes {
			if sc != "name" && sc != "email" && sc != "openid" {
				http.Error(w, "invalid_scope: "+sc, http.StatusBadRequest)
				return
			}
		}
		// mockoidc knows no "name"; Apple issues an ID token without "openid".
		mapped := []string{"openid"}
		if slices.Contains(scopes, "email") {
			mapped = append(mapped, "email")
		}
		r.Form.Set("scope", strings.Join(mapped, " "))
		s.mu.Lock()
		postName = slices.Contains(scopes, "name") && !s.appleSeen[user.Subject]
		s.appleSeen[user.Subject] = true
		s.mu.Unlock()
	}
	back := func(params url.Values) {
		params.Set("state", state)
		u, _ := url.Parse(redirect)
		q := u.Query()
		for k, v := range params {
			q[k] = v
		}
		u.RawQuery = q.Encode()
		http.Redirect(w, r, u.String(), http.StatusFound)
	}
	switch {
	case deny != "":
		back(url.Values{"error": {deny}})
		return
	case r.Form.Get("code_challenge") == "" || r.Form.Get("code_challenge_method") != "S256":
		back(url.Values{"error": {"invalid_request"}, "error_description": {"PKCE with S256 is required"}})
		return
	case r.Form.Get("nonce") == "":
		back(url.Values{"error": {"invalid_request"}, "error_description": {"nonce is required"}})
		return
	}
	s.m.QueueUser(&login{user: user, srv: s})
	rec := httptest.NewRecorder()
	next.ServeHTTP(rec, r)
	loc, err := url.Parse(rec.Header().Get("Location"))
	if err != nil || rec.Code != http.StatusFound {
		copyResponse(w, rec)
		return
	}
	s.redirects[loc.Query().Get("code")] = redirect
	if offline {
		s.mu.Lock()
		s.offlineCodes[loc.Query().Get("code")] = offlineAsked
		s.mu.Unlock()
	}
	if apple == nil {
		copyResponse(w, rec)
		return
	}
	fields := url.Values{"code": {loc.Query().Get("code")}, "state": {state}}
	if postName {
		var who struct {
			Name struct {
				FirstName string `json:"firstName"`
				LastName  string `json:"lastName"`
			} `json:"name"`
			Email string `json:"email"`
		}
		who.Name.FirstName, who.Name.LastName, who.Email = user.GivenName, user.FamilyName, user.Email
		b, _ := json.Marshal(who)
		fields.Set("user", string(b))
	}
	formPost(w, redirect, fields)
}

// discovery answers mockoidc's discovery document, with offline_access
// among scopes_supported when the provider offers it.
func (s *Server) discovery(w http.ResponseWriter, r *http.Request, next http.Handler) {
	rec := httptest.NewRecorder()
	next.ServeHTTP(rec, r)
	s.mu.Lock()
	offline := s.offline
	s.mu.Unlock()
	var doc map[string]any
	if !offline || rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &doc) != nil {
		copyResponse(w, rec)
		return
	}
	scopes, _ := doc["scopes_supported"].([]any)
	doc["scopes_supported"] = append(scopes, "offline_access")
	rec.Body.Reset()
	_ = json.NewEncoder(rec.Body).Encode(doc)
	rec.Header().Del("Content-Length")
	copyResponse(w, rec)
}

// formPost answers with Apple's kind of page: a form that POSTs fields to
// action as soon as it loads.
func formPost(w http.ResponseWriter, action string, fields url.Values) {
	var b strings.Builder
	b.WriteString(`<!doctype html><html lang="en"><head><title>Sign in with Apple</title></head>` +
		`<body onload="document.forms[0].submit()"><form method="post" action="` + html.EscapeString(action) + `">`)
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		b.WriteString(`<input type="hidden" name="` + html.EscapeString(k) + `" value="` + html.EscapeString(fields.Get(k)) + `">`)
	}
	b.WriteString(`<button type="submit">Continue</button></form></body></html>`)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = io.WriteString(w, b.String())
}

func (s *Server) token(w http.ResponseWriter, r *http.Request, next http.Handler) {
	s.mu.Lock()
	fail := s.failTokens > 0
	if fail {
		s.failTokens--
	}
	s.mu.Unlock()
	if fail {
		http.Error(w, "upstream unavailable", s.failStatus)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	// RFC 6749 2.3.1: both parts are form-encoded before Basic encoding.
	if id, secret, ok := r.BasicAuth(); ok {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
		for _, f := range []url.Values{r.Form, r.PostForm} {
			f.Set("client_id", id)
			f.Set("client_secret", secret)
		}
	}
	s.mu.Lock()
	apple := s.apple
	s.mu.Unlock()
	if apple != nil {
		if err := apple.checkSecret(r.Form.Get("client_secret"), r.Form.Get("client_id")); err != nil {
			tokenError(w, "invalid_client", err.Error())
			return
		}
		for _, f := range []url.Values{r.Form, r.PostForm} {
			f.Set("client_secret", s.ClientSecret)
		}
	}
	grant := r.Form.Get("grant_type")
	if grant == "authorization_code" {
		if want, ok := s.redirects[r.Form.Get("code")]; ok && want != r.Form.Get("redirect_uri") {
			tokenError(w, "invalid_grant", "redirect_uri is not the one the code was issued for")
			return
		}
	}
	s.mu.Lock()
	refuse := s.refuseRefresh && grant == "refresh_token"
	spent := false
	if grant == "refresh_token" {
		s.refreshGrants++
		if rt := r.Form.Get("refresh_token"); s.spent != nil && !refuse {
			if spent = s.spent[rt]; spent {
				select {
				case <-s.spentSeen:
				default:
					close(s.spentSeen)
				}
			}
			s.spent[rt] = true
			if own, ok := s.rotated[rt]; ok { // mockoidc knows only its own
				r.Form.Set("refresh_token", own)
				r.PostForm.Set("refresh_token", own)
			}
		}
	}
	s.mu.Unlock()
	if refuse {
		tokenError(w, "invalid_grant", "the refresh token was revoked")
		return
	}
	if spent {
		tokenError(w, "invalid_grant", "the refresh token was used already")
		return
	}
	rec := httptest.NewRecorder()
	next.ServeHTTP(rec, r)
	if rec.Code != http.StatusOK {
		copyResponse(w, rec)
		return
	}
	var body map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		copyResponse(w, rec)
		return
	}
	// mockoidc writes a Go duration (nanoseconds); RFC 6749 says seconds.
	if ns, ok := body["expires_in"].(float64); ok {
		body["expires_in"] = int64(ns / 1e9)
	}
	s.mu.Lock()
	forge := s.otherKey
	s.otherKey = false
	if s.scope != "" {
		body["scope"] = s.scope
	}
	if s.noRefreshToken || s.offline && grant == "authorization_code" && !s.offlineCodes[r.Form.Get("code")] {
		delete(body, "refresh_token")
	}
	if grant == "refresh_token" {
		s.refreshes++
		if own, ok := body["refresh_token"].(string); ok && s.rotated != nil {
			// mockoidc answers a refresh with the refresh token it was
			// sent; a rotating provider gives a new one.
			next := fmt.Sprintf("rotated-%d.%s", s.refreshes, own)
			s.rotated[next] = own
			body["refresh_token"] = next
		}
	}
	s.mu.Unlock()
	if raw, ok := body["id_token"].(string); ok && forge {
		body["id_token"] = signWithOtherKey(raw)
	}
	s.mu.Lock()
	s.issued.Access, _ = body["access_token"].(string)
	s.issued.Refresh, _ = body["refresh_token"].(string)
	s.issued.ID, _ = body["id_token"].(string)
	s.mu.Unlock()
	rec.Body.Reset()
	_ = json.NewEncoder(rec.Body).Encode(body)
	rec.Header().Del("Content-Length")
	copyResponse(w, rec)
}

// signWithOtherKey keeps the header (and so the kid) and the claims of a
// JWT and replaces its signature with one from a fresh key.
func signWithOtherKey(jwt string) string {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return jwt
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		panic(err)
	}
	return parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// checkSecret verifies an Apple client secret: an ES256 JWT signed with
// a.Key under a.KeyID, from the team, about clientID, for Apple, not
// expired and living at most six months (Apple's limit).
func (a *Apple) checkSecret(secret, clientID string) error {
	jws, err := jose.ParseSigned(secret, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		return fmt.Errorf("client_secret is not an ES256 JWT: %v", err)
	}
	if len(jws.Signatures) != 1 || jws.Signatures[0].Header.KeyID != a.KeyID {
		return errors.New("client_secret names another key")
	}
	payload, err := jws.Verify(a.Key)
	if err != nil {
		return errors.New("client_secret is not signed with the team's key")
	}
	var c struct {
		Iss, Sub, Aud string
		Iat, Exp      int64
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		return err
	}
	now := time.Now().Unix()
	switch {
	case c.Iss != a.TeamID || c.Sub != clientID || c.Aud != AppleAudience:
		return fmt.Errorf("client_secret is for iss %q sub %q aud %q", c.Iss, c.Sub, c.Aud)
	case c.Exp <= now || c.Iat > now+60 || c.Exp-c.Iat > 180*24*3600:
		return errors.New("client_secret has expired or lives too long")
	}
	return nil
}

func tokenError(w http.ResponseWriter, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}

func copyResponse(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// login is mockoidc's User for one sign-in; its ID token claims apply the
// server's knobs at the moment the token is issued.
type login struct {
	user User
	srv  *Server
}

type claims struct {
	*mockoidc.IDTokenClaims
	Email string `json:"email,omitempty"`
	// EmailVerified is a bool, or Apple's "true"/"false".
	EmailVerified     any    `json:"email_verified,omitempty"`
	IsPrivateEmail    string `json:"is_private_email,omitempty"` // Apple's, "true"/"false"
	GivenName         string `json:"given_name,omitempty"`
	FamilyName        string `json:"family_name,omitempty"`
	PreferredUsername string `json:"preferred_username,omitempty"`
	Picture           string `json:"picture,omitempty"`
}

func (l *login) ID() string { return l.user.Subject }

func (l *login) Userinfo(scopes []string) ([]byte, error) {
	c := l.scoped(scopes)
	c.IDTokenClaims = &mockoidc.IDTokenClaims{RegisteredClaims: &jwt.RegisteredClaims{Subject: l.user.Subject}}
	return json.Marshal(c)
}

func (l *login) Claims(scopes []string, base *mockoidc.IDTokenClaims) (jwt.Claims, error) {
	s := l.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.nonce != nil {
		base.Nonce, s.nonce = *s.nonce, nil
	}
	if s.audience != "" {
		base.Audience, s.audience = jwt.ClaimStrings{s.audience}, ""
	}
	c := claims{}
	if !s.profileInUserinfo {
		c = l.scoped(scopes)
	}
	if s.apple != nil && c.Email != "" {
		c.EmailVerified = strconv.FormatBool(l.user.EmailVerified)
		c.IsPrivateEmail = strconv.FormatBool(strings.HasSuffix(c.Email, "@privaterelay.appleid.com"))
	}
	c.IDTokenClaims = base
	return c, nil
}

func (l *login) scoped(scopes []string) claims {
	var c claims
	u := l.user
	if slices.Contains(scopes, "email") {
		verified := u.EmailVerified
		c.Email, c.EmailVerified = u.Email, &verified
	}
	if slices.Contains(scopes, "profile") {
		c.GivenName, c.FamilyName = u.GivenName, u.FamilyName
		c.PreferredUsername, c.Picture = u.PreferredUsername, u.Picture
	}
	return c
}
