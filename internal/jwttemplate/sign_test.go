package jwttemplate_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	gojwt "github.com/golang-jwt/jwt/v5"
	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/jwttemplate"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/store"
	"github.com/portalhq/portal/internal/token"
	"github.com/portalhq/portal/internal/user"
)

const issuer = "https://accounts.example.com"

type fixture struct {
	svc    *jwttemplate.Service
	signer *token.Signer
	clock  *clockwork.FakeClock
	user   *user.User
	sess   *session.Session
}

func newFixture(t *testing.T) *fixture {
	st, err := store.Open(t.Context(), "sqlite:"+filepath.Join(t.TempDir(), "portal.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clock := clockwork.NewFakeClockAt(time.Now().Truncate(time.Second))
	signer, err := token.NewSigner(t.Context(), st.Q, clock, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	now := clock.Now()
	u := &user.User{ID: id.New(id.User), FirstName: "Ada", LastName: "Lovelace", CreatedAt: now, UpdatedAt: now,
		PublicMetadata: json.RawMessage(`{"role":"editor","tenant":{"id":42}}`)}
	email := user.Identifier{ID: id.New(id.Identifier), UserID: u.ID, Kind: user.Email, Value: "ada@example.com",
		VerifiedAt: &now, CreatedAt: now, UpdatedAt: now}
	name := user.Identifier{ID: id.New(id.Identifier), UserID: u.ID, Kind: user.Username, Value: "ada",
		CreatedAt: now, UpdatedAt: now}
	u.PrimaryEmailID, u.Identifiers = email.ID, []user.Identifier{email, name}
	if err := st.Q.CreateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	return &fixture{svc: &jwttemplate.Service{Clock: clock, Store: st.Q, Signer: signer, Issuer: issuer},
		signer: signer, clock: clock, user: u, sess: &session.Session{ID: id.New(id.Session), UserID: u.ID}}
}

func (f *fixture) create(t *testing.T, in jwttemplate.Input) *jwttemplate.Template {
	t.Helper()
	tmpl, err := f.svc.Create(t.Context(), in)
	if err != nil {
		t.Fatal(err)
	}
	return tmpl
}

func (f *fixture) mint(t *testing.T, name, azp string) string {
	t.Helper()
	tok, err := f.svc.Mint(t.Context(), name, f.sess, azp, 0)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func ptr[T any](v T) *T { return &v }

// fixed checks the claims the portal sets on every template token.
func (f *fixture) fixed(t *testing.T, c map[string]any, lifetime, skew time.Duration, azp string) {
	t.Helper()
	now := f.clock.Now().Unix()
	if c["iss"] != issuer || c["sub"] != f.user.ID || c["jti"] == "" || c["iat"] != float64(now) ||
		c["exp"] != float64(now+int64(lifetime/time.Second)) || c["nbf"] != float64(now-int64(skew/time.Second)) {
		t.Errorf("fixed claims = %v", c)
	}
	if got, _ := c["azp"].(string); got != azp {
		t.Errorf("azp = %q, want %q", got, azp)
	}
}

// Supabase: HS256 with the project's JWT secret; aud and role
// "authenticated", the email; verified as Supabase (PostgREST) does, with
// the shared secret.
func testSupabaseTemplate(t *testing.T, f *fixture) {
	secret := "super-secret-jwt-token-with-at-least-32-characters-long"
	f.create(t, jwttemplate.Input{Name: ptr("supabase"), CustomSigningKey: ptr(true), SigningAlgorithm: ptr("HS256"),
		SigningKey: ptr(secret), Lifetime: ptr[int64](3600),
		Claims: json.RawMessage(`{"aud": "authenticated", "role": "authenticated",
			"email": "{{user.primary_email_address}}", "app_metadata": {}, "user_metadata": {}}`)})
	raw := f.mint(t, "supabase", "")

	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.HS256})
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := tok.Claims([]byte(secret), &c); err != nil {
		t.Fatalf("does not verify with the shared secret: %v", err)
	}
	if c["aud"] != "authenticated" || c["role"] != "authenticated" || c["email"] != "ada@example.com" {
		t.Errorf("claims = %v", c)
	}
	f.fixed(t, c, time.Hour, jwttemplate.DefaultSkew, "")
	// golang-jwt, as many Go services verify it, agrees.
	parsed, err := gojwt.Parse(raw, func(*gojwt.Token) (any, error) { return []byte(secret), nil },
		gojwt.WithValidMethods([]string{"HS256"}), gojwt.WithAudience("authenticated"), gojwt.WithIssuer(issuer),
		gojwt.WithTimeFunc(f.clock.Now))
	if err != nil || !parsed.Valid {
		t.Errorf("golang-jwt: %v", err)
	}
	if _, err := gojwt.Parse(raw, func(*gojwt.Token) (any, error) { return []byte(secret + "x"), nil }); err == nil {
		t.Error("verified with a wrong secret")
	}
}

// verifyJWKS checks raw against the instance's JWKS and returns its claims.
func (f *fixture) verifyJWKS(t *testing.T, raw string) map[string]any {
	t.Helper()
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(f.signer.JWKS(), &set); err != nil {
		t.Fatal(err)
	}
	keys := set.Key(tok.Headers[0].KeyID)
	if len(keys) != 1 {
		t.Fatalf("kid %q not in the JWKS", tok.Headers[0].KeyID)
	}
	var c map[string]any
	if err := tok.Claims(keys[0].Key, &c); err != nil {
		t.Fatalf("does not verify against the JWKS: %v", err)
	}
	return c
}

// Hasura: the claims namespace with roles and the user ID, RS256 with the
// instance key, verified against the JWKS as Hasura's jwk_url does.
func testHasuraTemplate(t *testing.T, f *fixture) {
	f.create(t, jwttemplate.Input{Name: ptr("hasura"), Claims: json.RawMessage(`{
		"https://hasura.io/jwt/claims": {
			"x-hasura-default-role": "user",
			"x-hasura-allowed-roles": ["user", "{{user.public_metadata.role || 'user'}}"],
			"x-hasura-user-id": "{{user.id}}",
			"x-hasura-tenant-id": "{{user.public_metadata.tenant.id}}"
		}
	}`)})
	c := f.verifyJWKS(t, f.mint(t, "hasura", "https://app.example.com"))
	h, _ := c["https://hasura.io/jwt/claims"].(map[string]any)
	roles, _ := h["x-hasura-allowed-roles"].([]any)
	if h["x-hasura-user-id"] != f.user.ID || h["x-hasura-default-role"] != "user" || len(roles) != 2 ||
		roles[1] != "editor" || h["x-hasura-tenant-id"] != 42.0 {
		t.Errorf("hasura claims = %v", h)
	}
	f.fixed(t, c, jwttemplate.DefaultLifetime, jwttemplate.DefaultSkew, "https://app.example.com")
}

// Convex: aud "convex" and OpenID-style profile claims, RS256 with the
// instance key (Convex reads the issuer's JWKS).
func testConvexTemplate(t *testing.T, f *fixture) {
	f.create(t, jwttemplate.Input{Name: ptr("convex"), AllowedClockSkew: ptr[int64](0), Claims: json.RawMessage(`{
		"aud": "convex", "name": "{{user.full_name}}", "email": "{{user.primary_email_address}}",
		"picture": "{{user.image_url}}", "nickname": "{{user.username}}", "given_name": "{{user.first_name}}",
		"family_name": "{{user.last_name}}", "email_verified": "{{user.email_verified}}",
		"phone_number": "{{user.primary_phone_address}}", "phone_number_verified": "{{user.phone_number_verified}}",
		"updated_at": "{{user.updated_at}}"}`)})
	raw := f.mint(t, "convex", "")
	tok, _ := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	var std jwt.Claims
	c := f.verifyJWKS(t, raw)
	var set jose.JSONWebKeySet
	_ = json.Unmarshal(f.signer.JWKS(), &set)
	_ = tok.Claims(set.Key(tok.Headers[0].KeyID)[0].Key, &std)
	if err := std.ValidateWithLeeway(jwt.Expected{Issuer: issuer, AnyAudience: jwt.Audience{"convex"}, Time: f.clock.Now()}, 0); err != nil {
		t.Errorf("as Convex validates it: %v", err)
	}
	if c["name"] != "Ada Lovelace" || c["nickname"] != "ada" || c["email_verified"] != true || c["picture"] != nil ||
		c["phone_number"] != nil || c["phone_number_verified"] != false || c["updated_at"] != float64(f.user.UpdatedAt.Unix()) {
		t.Errorf("convex claims = %v", c)
	}
	f.fixed(t, c, jwttemplate.DefaultLifetime, 0, "")
}

// ES256 with a custom key verifies with that key's public half; the
// instance key is not involved.
func testCustomES256Template(t *testing.T, f *fixture) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalECPrivateKey(key)
	f.create(t, jwttemplate.Input{Name: ptr("es"), CustomSigningKey: ptr(true), SigningAlgorithm: ptr("ES256"),
		SigningKey: ptr(string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}))),
		Claims:     json.RawMessage(`{"uid": "{{user.id}}"}`)})
	tok, err := jwt.ParseSigned(f.mint(t, "es", ""), []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := tok.Claims(&key.PublicKey, &c); err != nil || c["uid"] != f.user.ID {
		t.Errorf("ES256 claims = %v, %v", c, err)
	}
}

// Templates are checked when they are saved: limits, keys and names.
func testTemplateInputIsChecked(t *testing.T, f *fixture) {
	claims := json.RawMessage(`{"a":1}`)
	f.create(t, jwttemplate.Input{Name: ptr("taken"), Claims: claims})
	for name, in := range map[string]jwttemplate.Input{
		"lifetime under 30 s":      {Name: ptr("a"), Claims: claims, Lifetime: ptr[int64](29)},
		"lifetime over 10 years":   {Name: ptr("a"), Claims: claims, Lifetime: ptr[int64](315360001)},
		"skew over 300 s":          {Name: ptr("a"), Claims: claims, AllowedClockSkew: ptr[int64](301)},
		"short HMAC secret":        {Name: ptr("a"), Claims: claims, CustomSigningKey: ptr(true), SigningAlgorithm: ptr("HS256"), SigningKey: ptr("short")},
		"custom key without a key": {Name: ptr("a"), Claims: claims, CustomSigningKey: ptr(true), SigningAlgorithm: ptr("RS256")},
		"ES256 on the instance":    {Name: ptr("a"), Claims: claims, SigningAlgorithm: ptr("ES256")},
		"unknown algorithm":        {Name: ptr("a"), Claims: claims, CustomSigningKey: ptr(true), SigningAlgorithm: ptr("none"), SigningKey: ptr("x")},
		"not a PEM key":            {Name: ptr("a"), Claims: claims, CustomSigningKey: ptr(true), SigningAlgorithm: ptr("RS256"), SigningKey: ptr("-----BEGIN nonsense")},
		"taken name":               {Name: ptr("taken"), Claims: claims},
		"bad name":                 {Name: ptr("a b"), Claims: claims},
		"reserved claim":           {Name: ptr("a"), Claims: json.RawMessage(`{"iss":"me"}`)},
	} {
		if _, err := f.svc.Create(t.Context(), in); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := f.svc.Mint(t.Context(), "nope", f.sess, "", 0); err != jwttemplate.ErrNotFound {
		t.Errorf("Mint(unknown) = %v", err)
	}
	// A string holding the claims is read as the claims.
	if _, err := f.svc.Create(t.Context(), jwttemplate.Input{Name: ptr("text"),
		Claims: json.RawMessage(`"{\"a\": \"{{user.id}}\"}"`)}); err != nil {
		t.Errorf("claims given as a string: %v", err)
	}
}

// One fixture (one instance key: RSA generation is slow) serves every
// documented example; each uses its own template names.
func TestTemplates(t *testing.T) {
	f := newFixture(t)
	t.Run("supabase", func(t *testing.T) { testSupabaseTemplate(t, f) })
	t.Run("hasura", func(t *testing.T) { testHasuraTemplate(t, f) })
	t.Run("convex", func(t *testing.T) { testConvexTemplate(t, f) })
	t.Run("custom ES256", func(t *testing.T) { testCustomES256Template(t, f) })
	t.Run("input is checked", func(t *testing.T) { testTemplateInputIsChecked(t, f) })
}
