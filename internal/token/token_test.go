package token

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
	gojwt "github.com/golang-jwt/jwt/v5"
	"github.com/jonboulle/clockwork"
)

// REQ-JWT-01, REQ-JWT-02, REQ-JWT-03: a relying app using go-jose and only
// the published JWKS verifies the token and reads every claim.
func TestSessionTokenVerifiesWithGoJoseFromJWKS(t *testing.T) {
	clock := clockwork.NewFakeClockAt(start)
	s := newSigner(t, newMemStore(), clock)
	want := sessionClaims(t, clock.Now())
	tok := sign(t, s, want)

	parsed, err := josejwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	h := parsed.Headers[0]
	if h.Algorithm != "RS256" || h.KeyID != s.ActiveKID() || h.ExtraHeaders[jose.HeaderType] != "JWT" {
		t.Errorf("header = alg %q kid %q typ %v", h.Algorithm, h.KeyID, h.ExtraHeaders[jose.HeaderType])
	}
	got, err := verifyWithGoJose(t, s.JWKS(), tok, clock.Now())
	if err != nil {
		t.Fatalf("go-jose verify: %v", err)
	}
	if !equalClaims(got, want) {
		t.Errorf("claims = %+v, want %+v", got, want)
	}
	if got.NotBefore != got.IssuedAt-5 || got.Expiry != got.IssuedAt+60 || got.FVA != [2]int{10, 1} {
		t.Errorf("nbf/exp/fva = %d/%d/%v for iat %d", got.NotBefore, got.Expiry, got.FVA, got.IssuedAt)
	}
}

// REQ-JWT-02, REQ-JWT-04: the same token through golang-jwt, a second
// library with its own JWK decoding, RS256 only, exp required.
func TestSessionTokenVerifiesWithGolangJWT(t *testing.T) {
	clock := clockwork.NewFakeClockAt(start)
	s := newSigner(t, newMemStore(), clock)
	want := sessionClaims(t, clock.Now())
	tok := sign(t, s, want)
	keys := rsaKeysFromJWKS(t, s.JWKS())

	type appClaims struct {
		gojwt.RegisteredClaims
		SID            string   `json:"sid"`
		AZP            string   `json:"azp"`
		FVA            [2]int   `json:"fva"`
		OrgID          string   `json:"org_id"`
		OrgSlug        string   `json:"org_slug"`
		OrgRole        string   `json:"org_role"`
		OrgPermissions []string `json:"org_permissions"`
	}
	var got appClaims
	_, err := gojwt.ParseWithClaims(tok, &got, func(tk *gojwt.Token) (any, error) {
		if k, ok := keys[tk.Header["kid"].(string)]; ok {
			return k, nil
		}
		return nil, errors.New("unknown kid")
	},
		gojwt.WithValidMethods([]string{"RS256"}),
		gojwt.WithExpirationRequired(),
		gojwt.WithIssuer(issuer),
		gojwt.WithIssuedAt(),
		gojwt.WithTimeFunc(clock.Now),
	)
	if err != nil {
		t.Fatalf("golang-jwt verify: %v", err)
	}
	if got.Subject != want.Subject || got.SID != want.SessionID || got.AZP != want.AuthorizedParty ||
		got.ID != want.ID || got.ExpiresAt.Unix() != want.Expiry || got.NotBefore.Unix() != want.NotBefore ||
		got.IssuedAt.Unix() != want.IssuedAt || got.FVA != want.FVA || got.OrgID != want.OrgID ||
		got.OrgSlug != want.OrgSlug || got.OrgRole != want.OrgRole ||
		!slices.Equal(got.OrgPermissions, want.OrgPermissions) {
		t.Errorf("claims = %+v, want %+v", got, want)
	}
}

func TestVerifyReturnsClaims(t *testing.T) {
	clock := clockwork.NewFakeClockAt(start)
	s := newSigner(t, newMemStore(), clock)
	want := sessionClaims(t, clock.Now())
	got, err := s.Verify(sign(t, s, want), issuer)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if !equalClaims(*got, want) {
		t.Errorf("claims = %+v, want %+v", *got, want)
	}
	if _, err := s.Verify(sign(t, s, want), "https://evil.example"); !errors.Is(err, ErrInvalid) {
		t.Errorf("wrong issuer: err = %v", err)
	}
}

// REQ-JWT-02: one algorithm only. REQ-JWT-03: keys only from the published
// set, never from the token.
func TestVerifyRefusesForgedTokens(t *testing.T) {
	clock := clockwork.NewFakeClockAt(start)
	ks := newMemStore()
	s := newSigner(t, ks, clock)
	kid := s.ActiveKID()
	real := storedPrivateKey(t, ks, kid)
	attacker, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: mustDER(t, &real.PublicKey)})
	realJWK, _ := json.Marshal(jose.JSONWebKey{Key: &real.PublicKey})
	var realJWKMap map[string]any
	_ = json.Unmarshal(realJWK, &realJWKMap)
	claims := validMapClaims(clock.Now())

	cases := map[string]string{
		"alg none": forge(t, gojwt.SigningMethodNone, gojwt.UnsafeAllowNoneSignatureType,
			map[string]any{"kid": kid}, claims),
		"HS256 keyed with the public key PEM": forge(t, gojwt.SigningMethodHS256, pubPEM,
			map[string]any{"kid": kid}, claims),
		"HS256 keyed with the JWKS": forge(t, gojwt.SigningMethodHS256, s.JWKS(),
			map[string]any{"kid": kid}, claims),
		"PS256 with the real key": forge(t, gojwt.SigningMethodPS256, real,
			map[string]any{"kid": kid}, claims),
		"RS512 with the real key": forge(t, gojwt.SigningMethodRS512, real,
			map[string]any{"kid": kid}, claims),
		"unknown kid": forge(t, gojwt.SigningMethodRS256, attacker,
			map[string]any{"kid": "attacker"}, claims),
		"published kid, other key": forge(t, gojwt.SigningMethodRS256, attacker,
			map[string]any{"kid": kid}, claims),
		"no kid": forge(t, gojwt.SigningMethodRS256, real, nil, claims),
		"jku header": forge(t, gojwt.SigningMethodRS256, real,
			map[string]any{"kid": kid, "jku": "https://evil.example/jwks.json"}, claims),
		"x5u header": forge(t, gojwt.SigningMethodRS256, real,
			map[string]any{"kid": kid, "x5u": "https://evil.example/cert.pem"}, claims),
		"embedded jwk": forge(t, gojwt.SigningMethodRS256, real,
			map[string]any{"kid": kid, "jwk": realJWKMap}, claims),
		"x5c header": forge(t, gojwt.SigningMethodRS256, real,
			map[string]any{"kid": kid, "x5c": []string{selfSignedCert(t, real)}}, claims),
		"tampered payload": tamper(t, sign(t, s, claims)),
	}
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := s.Verify(tok, issuer); !errors.Is(err, ErrInvalid) {
				t.Errorf("Verify = %v, want ErrInvalid", err)
			}
		})
	}
	// The control: the same forging path with nothing wrong is accepted, so
	// each refusal above is about what that case changed.
	ok := forge(t, gojwt.SigningMethodRS256, real, map[string]any{"kid": kid}, claims)
	if _, err := s.Verify(ok, issuer); err != nil {
		t.Errorf("control token refused: %v", err)
	}
}

// REQ-JWT-04: exp required and enforced; nbf allowed ClockSkew, no more.
func TestVerifyTimeClaims(t *testing.T) {
	clock := clockwork.NewFakeClockAt(start)
	ks := newMemStore()
	s := newSigner(t, ks, clock)
	real := storedPrivateKey(t, ks, s.ActiveKID())
	now := clock.Now()
	withClaims := func(change func(gojwt.MapClaims)) string {
		c := validMapClaims(now)
		change(c)
		return forge(t, gojwt.SigningMethodRS256, real, map[string]any{"kid": s.ActiveKID()}, c)
	}

	if _, err := s.Verify(withClaims(func(c gojwt.MapClaims) { delete(c, "exp") }), issuer); !errors.Is(err, ErrInvalid) {
		t.Errorf("no exp: err = %v", err)
	}
	inSkew := withClaims(func(c gojwt.MapClaims) { c["nbf"] = now.Add(ClockSkew).Unix() })
	if _, err := s.Verify(inSkew, issuer); err != nil {
		t.Errorf("nbf within skew: %v", err)
	}
	beyond := withClaims(func(c gojwt.MapClaims) { c["nbf"] = now.Add(ClockSkew + time.Second).Unix() })
	if _, err := s.Verify(beyond, issuer); !errors.Is(err, ErrInvalid) {
		t.Errorf("nbf beyond skew: err = %v", err)
	}

	tok := sign(t, s, sessionClaims(t, now))
	clock.Advance(ttl - time.Second)
	if _, err := s.Verify(tok, issuer); err != nil {
		t.Errorf("1 s before exp: %v", err)
	}
	clock.Advance(time.Second)
	if _, err := s.Verify(tok, issuer); !errors.Is(err, ErrExpired) {
		t.Errorf("at exp: err = %v, want ErrExpired", err)
	}
}

// REQ-JWT-05: a JWT of another type signed with the same key is no session.
func TestVerifyRefusesOtherTokenTypes(t *testing.T) {
	clock := clockwork.NewFakeClockAt(start)
	ks := newMemStore()
	s := newSigner(t, ks, clock)
	real := storedPrivateKey(t, ks, s.ActiveKID())
	for _, typ := range []any{"at+jwt", "invitation+jwt", nil} {
		tok := forge(t, gojwt.SigningMethodRS256, real,
			map[string]any{"kid": s.ActiveKID(), "typ": typ}, validMapClaims(clock.Now()))
		if _, err := s.Verify(tok, issuer); !errors.Is(err, ErrInvalid) {
			t.Errorf("typ %v: err = %v", typ, err)
		}
	}
}

// REQ-JWT-07: after rotation the old key stays published until every token
// it signed has expired (plus PublishLeeway), then drops out and is pruned.
func TestRotationKeepsOldKeyPublishedUntilItsTokensExpire(t *testing.T) {
	ctx := context.Background()
	clock := clockwork.NewFakeClockAt(start)
	ks := newMemStore()
	s := newSigner(t, ks, clock)
	oldKID := s.ActiveKID()
	oldTok := sign(t, s, sessionClaims(t, clock.Now()))
	etagBefore := s.JWKSETag()

	clock.Advance(10 * time.Second)
	retiredAt := clock.Now()
	newKID, err := s.Rotate(ctx)
	if err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	if newKID == oldKID || s.ActiveKID() != newKID {
		t.Fatalf("active = %s after rotating from %s to %s", s.ActiveKID(), oldKID, newKID)
	}
	if got := publishedKIDs(t, s.JWKS()); !slices.Equal(got, []string{newKID, oldKID}) {
		t.Errorf("JWKS kids = %v, want new then old", got)
	}
	if s.JWKSETag() == etagBefore {
		t.Error("ETag unchanged by rotation")
	}
	newTok := sign(t, s, sessionClaims(t, clock.Now()))
	if kidOf(t, newTok) != newKID {
		t.Error("new token not signed with the new key")
	}

	clock.Advance(30 * time.Second) // the old token is still live
	if _, err := verifyWithGoJose(t, s.JWKS(), oldTok, clock.Now()); err != nil {
		t.Errorf("pre-rotation token refused via JWKS: %v", err)
	}
	if _, err := s.Verify(oldTok, issuer); err != nil {
		t.Errorf("pre-rotation token refused by Verify: %v", err)
	}

	// A long-lived token from the old key shows that what ends is the key's
	// publication, not just the token.
	long := forge(t, gojwt.SigningMethodRS256, storedPrivateKey(t, ks, oldKID),
		map[string]any{"kid": oldKID}, validMapClaims(start.Add(time.Hour)))
	clock.Advance(retiredAt.Add(ttl + PublishLeeway - time.Second).Sub(clock.Now()))
	if !slices.Contains(publishedKIDs(t, s.JWKS()), oldKID) {
		t.Error("old key dropped before its publication window ended")
	}
	if err := s.Prune(ctx); err != nil || ks.len() != 2 {
		t.Errorf("Prune inside the window: err %v, %d keys left", err, ks.len())
	}
	etagWithOld := s.JWKSETag()

	clock.Advance(time.Second)
	if got := publishedKIDs(t, s.JWKS()); !slices.Equal(got, []string{newKID}) {
		t.Errorf("JWKS kids after the window = %v, want only %s", got, newKID)
	}
	if s.JWKSETag() == etagWithOld {
		t.Error("ETag unchanged when the old key dropped out")
	}
	if _, err := s.Verify(long, issuer); !errors.Is(err, ErrInvalid) {
		t.Errorf("token of an unpublished key: err = %v", err)
	}
	if err := s.Prune(ctx); err != nil {
		t.Fatalf("Prune: %v", err)
	}
	if _, ok := ks.get(oldKID); ok || ks.len() != 1 {
		t.Errorf("Prune left %d keys, old key present: %v", ks.len(), ok)
	}
}

// Another process rotates; Reload makes this one sign with the new key and
// publish both.
func TestReloadPicksUpRotationByAnotherSigner(t *testing.T) {
	ctx := context.Background()
	clock := clockwork.NewFakeClockAt(start)
	ks := newMemStore()
	a := newSigner(t, ks, clock)
	b := newSigner(t, ks, clock)
	if a.ActiveKID() != b.ActiveKID() || ks.len() != 1 {
		t.Fatalf("second signer did not reuse the stored key (%d keys)", ks.len())
	}
	oldKID := a.ActiveKID()
	newKID, err := b.Rotate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if kidOf(t, sign(t, a, sessionClaims(t, clock.Now()))) != oldKID {
		t.Error("a changed key before Reload")
	}
	if err := a.Reload(ctx); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	if a.ActiveKID() != newKID {
		t.Errorf("after Reload active = %s, want %s", a.ActiveKID(), newKID)
	}
	if string(a.JWKS()) != string(b.JWKS()) || a.JWKSETag() != b.JWKSETag() {
		t.Error("the two signers publish different key sets")
	}
	tok := sign(t, a, sessionClaims(t, clock.Now()))
	if _, err := b.Verify(tok, issuer); err != nil {
		t.Errorf("b refuses a's token: %v", err)
	}
}

// Two processes rotating at once must not retire each other's new key:
// they agree on the active key, and Prune retires the other.
func TestConcurrentRotationsLeaveOneActiveKey(t *testing.T) {
	ctx := context.Background()
	clock := clockwork.NewFakeClockAt(start)
	ks := newMemStore()
	a, b := newSigner(t, ks, clock), newSigner(t, ks, clock)
	var wg sync.WaitGroup
	for _, s := range []*Signer{a, b} {
		wg.Go(func() {
			if _, err := s.Rotate(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(a.Reload(ctx), b.Reload(ctx)); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	active := a.ActiveKID()
	if b.ActiveKID() != active || !slices.Contains(unretiredKIDs(t, ks), active) {
		t.Fatalf("active a=%s b=%s, unretired %v", active, b.ActiveKID(), unretiredKIDs(t, ks))
	}
	if err := a.Prune(ctx); err != nil {
		t.Fatal(err)
	}
	if got := unretiredKIDs(t, ks); !slices.Equal(got, []string{active}) {
		t.Errorf("after Prune unretired = %v, want only %s", got, active)
	}
}

// REQ-LOG-02: with no key left in the store the signer fails closed.
func TestSignFailsWithoutUsableKey(t *testing.T) {
	ctx := context.Background()
	ks := newMemStore()
	s := newSigner(t, ks, clockwork.NewFakeClockAt(start))
	_ = ks.DeleteSigningKey(ctx, s.ActiveKID())
	if err := s.Reload(ctx); err == nil {
		t.Error("Reload succeeded with an empty store")
	}
	if tok, err := s.Sign(sessionClaims(t, start)); err == nil {
		t.Errorf("Sign = %q without a key", tok)
	}
	if got := publishedKIDs(t, s.JWKS()); len(got) != 0 {
		t.Errorf("JWKS still lists %v", got)
	}
}

// REQ-JWT-07: every published key names itself, its algorithm and use, and
// the JWKS carries no private material.
func TestJWKSDescribesEveryKey(t *testing.T) {
	clock := clockwork.NewFakeClockAt(start)
	ks := newMemStore()
	s := newSigner(t, ks, clock)
	if _, err := s.Rotate(context.Background()); err != nil {
		t.Fatal(err)
	}
	body, etag := s.JWKSWithETag()
	if etag != s.JWKSETag() || string(body) != string(s.JWKS()) {
		t.Error("JWKSWithETag disagrees with JWKS/JWKSETag")
	}
	var doc struct{ Keys []map[string]any }
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Keys) != 2 {
		t.Fatalf("%d keys published, want 2", len(doc.Keys))
	}
	for _, k := range doc.Keys {
		if k["kty"] != "RSA" || k["alg"] != "RS256" || k["use"] != "sig" || k["kid"] == "" || k["n"] == nil || k["e"] == nil {
			t.Errorf("incomplete JWK %v", k)
		}
		for _, private := range []string{"d", "p", "q", "dp", "dq", "qi"} {
			if _, ok := k[private]; ok {
				t.Errorf("JWK %v publishes private member %q", k["kid"], private)
			}
		}
		// The kid is the RFC 7638 thumbprint, so anyone can recompute it.
		raw, _ := json.Marshal(k)
		var jwk jose.JSONWebKey
		if err := json.Unmarshal(raw, &jwk); err != nil {
			t.Fatal(err)
		}
		thumb, _ := jwk.Thumbprint(crypto.SHA256)
		if base64.RawURLEncoding.EncodeToString(thumb) != k["kid"] {
			t.Errorf("kid %v is not the key's thumbprint", k["kid"])
		}
		if pub := jwk.Key.(*rsa.PublicKey); pub.N.BitLen() != 2048 {
			t.Errorf("key size %d", pub.N.BitLen())
		}
	}
}

// A key the portal cannot use stops it rather than being skipped (REQ-LOG-02).
func TestNewSignerRefusesUnusableStoredKeys(t *testing.T) {
	good, err := generateKey(start)
	if err != nil {
		t.Fatal(err)
	}
	for name, k := range map[string]Key{
		"other alg":   {KID: "a", Alg: "ES256", PrivatePEM: good.PrivatePEM, CreatedAt: start},
		"garbage PEM": {KID: "b", Alg: Alg, PrivatePEM: []byte("nope"), CreatedAt: start},
		"PKCS#1 block": {KID: "c", Alg: Alg, CreatedAt: start, PrivatePEM: pem.EncodeToMemory(
			&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(mustParse(t, good))})},
	} {
		ks := newMemStore()
		_ = ks.InsertSigningKey(context.Background(), k)
		if _, err := NewSigner(context.Background(), ks, clockwork.NewFakeClockAt(start), ttl); err == nil {
			t.Errorf("%s: NewSigner accepted it", name)
		}
	}
}

// Two processes starting on an empty store may each generate a key; Prune
// retires the one not chosen so it does not stay published for ever.
func TestPruneRetiresStrayUnretiredKeys(t *testing.T) {
	ctx := context.Background()
	clock := clockwork.NewFakeClockAt(start)
	ks := newMemStore()
	older, _ := generateKey(start.Add(-time.Minute))
	newer, _ := generateKey(start)
	_ = ks.InsertSigningKey(ctx, older)
	_ = ks.InsertSigningKey(ctx, newer)
	s := newSigner(t, ks, clock)
	if s.ActiveKID() != newer.KID {
		t.Fatalf("active = %s, want the newest", s.ActiveKID())
	}
	if err := s.Prune(ctx); err != nil {
		t.Fatal(err)
	}
	if k, _ := ks.get(older.KID); k.RetiredAt == nil || !k.RetiredAt.Equal(start) {
		t.Errorf("older key RetiredAt = %v", k.RetiredAt)
	}
	clock.Advance(ttl + PublishLeeway)
	if got := publishedKIDs(t, s.JWKS()); !slices.Equal(got, []string{newer.KID}) {
		t.Errorf("published = %v", got)
	}
}

func TestNewSessionClaims(t *testing.T) {
	now := start.Add(30 * time.Second)
	p := SessionParams{
		Issuer: issuer, UserID: "user_1", SessionID: "sess_1", AuthorizedParty: "https://app.example.com",
		Now: now, TTL: 2 * time.Minute, FirstFactorAt: now.Add(-59 * time.Second),
	}
	c, err := NewSessionClaims(p)
	if err != nil {
		t.Fatal(err)
	}
	if c.IssuedAt != now.Unix() || c.NotBefore != now.Unix()-5 || c.Expiry != now.Unix()+120 {
		t.Errorf("iat/nbf/exp = %d/%d/%d", c.IssuedAt, c.NotBefore, c.Expiry)
	}
	if c.FVA != [2]int{0, -1} {
		t.Errorf("fva = %v, want [0 -1] without a second factor", c.FVA)
	}
	// REQ-CR-01: jti carries at least 128 random bits.
	if raw, err := base64.RawURLEncoding.DecodeString(c.ID); err != nil || len(raw) < 16 {
		t.Errorf("jti %q: %d bytes, %v", c.ID, len(raw), err)
	}
	if again, _ := NewSessionClaims(p); again.ID == c.ID {
		t.Error("jti repeated")
	}
	b, _ := json.Marshal(c)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	for _, k := range []string{"iss", "sub", "sid", "azp", "iat", "nbf", "exp", "jti", "fva"} {
		if _, ok := m[k]; !ok {
			t.Errorf("claim %q missing from %s", k, b)
		}
	}
	for _, k := range []string{"org_id", "org_slug", "org_role", "org_permissions"} {
		if _, ok := m[k]; ok {
			t.Errorf("claim %q present without an active organization", k)
		}
	}
	if _, ok := m["act"]; ok {
		t.Errorf("act present outside an impersonation session: %s", b)
	}
	imp := p
	imp.Actor = json.RawMessage(`{"sub":"user_support","reason":"ticket 42"}`)
	ic, _ := NewSessionClaims(imp)
	b, _ = json.Marshal(ic)
	var act struct {
		Act map[string]any `json:"act"`
	}
	if err := json.Unmarshal(b, &act); err != nil || act.Act["sub"] != "user_support" || act.Act["reason"] != "ticket 42" {
		t.Errorf("an impersonation session's claims %s: want act to be the actor object", b)
	}
	if ic.FVA != [2]int{-1, -1} {
		t.Errorf("an impersonation session's fva = %v, want [-1 -1]: no factor of the user's was verified", ic.FVA)
	}

	// A session nobody signed in to (the Backend API's POST /v1/sessions)
	// proved no first factor: fva[0] is -1, and its zero time is no error.
	unproved := p
	unproved.FirstFactorAt, unproved.NoFirstFactor = time.Time{}, true
	if uc, err := NewSessionClaims(unproved); err != nil || uc.FVA != [2]int{-1, -1} {
		t.Errorf("a session without a first factor: fva %v, %v; want [-1 -1]", uc.FVA, err)
	}
	unproved.SecondFactorAt = now.Add(-2 * time.Minute)
	if uc, _ := NewSessionClaims(unproved); uc.FVA != [2]int{-1, 2} {
		t.Errorf("a session without a first factor but with a second: fva %v, want [-1 2]", uc.FVA)
	}

	p.SecondFactorAt = now.Add(time.Minute) // another process's clock ahead
	if c, _ := NewSessionClaims(p); c.FVA != [2]int{0, 0} {
		t.Errorf("fva with a factor time in the future = %v", c.FVA)
	}
	for name, change := range map[string]func(*SessionParams){
		"no issuer":       func(p *SessionParams) { p.Issuer = "" },
		"no user":         func(p *SessionParams) { p.UserID = "" },
		"no session":      func(p *SessionParams) { p.SessionID = "" },
		"no ttl":          func(p *SessionParams) { p.TTL = 0 },
		"no first factor": func(p *SessionParams) { p.FirstFactorAt = time.Time{} },
	} {
		bad := p
		change(&bad)
		if _, err := NewSessionClaims(bad); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// Sign, Verify and JWKS run while keys rotate; run with -race.
func TestSignerIsSafeDuringRotation(t *testing.T) {
	ctx := context.Background()
	clock := clockwork.NewFakeClockAt(start)
	ks := newMemStore()
	s := newSigner(t, ks, clock)
	claims := sessionClaims(t, clock.Now())
	var wg sync.WaitGroup
	done := make(chan struct{})
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				tok, err := s.Sign(claims)
				if err == nil {
					_, err = s.Verify(tok, issuer)
				}
				if err != nil {
					t.Error(err)
					return
				}
				_ = s.JWKS()
			}
		})
	}
	if _, err := s.Rotate(ctx); err != nil {
		t.Error(err)
	}
	if err := errors.Join(s.Reload(ctx), s.Prune(ctx)); err != nil {
		t.Error(err)
	}
	close(done)
	wg.Wait()
}

func BenchmarkSign(b *testing.B) {
	clock := clockwork.NewRealClock()
	s := newSigner(b, newMemStore(), clock)
	claims := sessionClaims(b, clock.Now())
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.Sign(claims); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkJWKS(b *testing.B) {
	s := newSigner(b, newMemStore(), clockwork.NewRealClock())
	if _, err := s.Rotate(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if body, etag := s.JWKSWithETag(); len(body) == 0 || etag == "" {
				b.Fatal("empty JWKS")
			}
		}
	})
}

// The payload carries custom claims after the token's own, in name order;
// without any it is exactly the claims' JSON.
func TestSessionClaimsJSONAppendsCustomClaims(t *testing.T) {
	c := sessionClaims(t, time.Now())
	plain, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.JSON(); err != nil || string(got) != string(plain) {
		t.Fatalf("JSON() without custom claims = %s, %v; want %s", got, err, plain)
	}
	c.Custom = json.RawMessage(`{"metadata":{"plan":"pro"},"zeta":1}`)
	got, err := c.JSON()
	if err != nil {
		t.Fatal(err)
	}
	want := string(plain[:len(plain)-1]) + `,"metadata":{"plan":"pro"},"zeta":1}`
	if string(got) != want {
		t.Errorf("JSON() = %s\nwant     %s", got, want)
	}
	var back map[string]any
	if err := json.Unmarshal(got, &back); err != nil || back["sid"] != c.SessionID || back["zeta"] != float64(1) {
		t.Errorf("the payload does not read back: %v, %v", back, err)
	}
}

// A staged key (portal keys rotate) is published at once, on every process
// from its next reload, and signs only from StageAhead on, when every
// process switches to it; the key it replaces stays published until its
// last tokens have expired, whether or not Prune has run (REQ-JWT-07).
func TestStagedKeyIsPublishedBeforeItSigns_REQ_JWT_07(t *testing.T) {
	ctx := context.Background()
	clock := clockwork.NewFakeClockAt(start)
	ks := newMemStore()
	a, b := newSigner(t, ks, clock), newSigner(t, ks, clock) // two processes
	oldKID := a.ActiveKID()

	newKID, at, err := a.Stage(ctx, StageAhead)
	if err != nil || !at.Equal(start.Add(StageAhead)) || newKID == oldKID {
		t.Fatalf("Stage = %s, %v, %v", newKID, at, err)
	}
	if err := b.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]*Signer{"a": a, "b": b} {
		if got := publishedKIDs(t, s.JWKS()); !slices.Equal(got, []string{newKID, oldKID}) {
			t.Errorf("%s publishes %v while the new key waits, want both", name, got)
		}
		if kidOf(t, sign(t, s, sessionClaims(t, clock.Now()))) != oldKID || s.ActiveKID() != oldKID {
			t.Errorf("%s signs with the staged key before its time", name)
		}
	}
	if err := a.Prune(ctx); err != nil || ks.len() != 2 {
		t.Fatalf("Prune before the switch: %v, %d keys; it must leave the staged key alone", err, ks.len())
	}
	if k, _ := ks.get(newKID); k.RetiredAt != nil {
		t.Fatal("Prune retired the staged key")
	}

	clock.Advance(StageAhead)
	oldTok := forge(t, gojwt.SigningMethodRS256, storedPrivateKey(t, ks, oldKID),
		map[string]any{"kid": oldKID}, validMapClaims(clock.Now()))
	for name, s := range map[string]*Signer{"a": a, "b": b} { // no reload needed
		if kidOf(t, sign(t, s, sessionClaims(t, clock.Now()))) != newKID || s.ActiveKID() != newKID {
			t.Errorf("%s does not sign with the new key at its time", name)
		}
		if _, err := s.Verify(oldTok, issuer); err != nil {
			t.Errorf("%s refuses a token the old key signed just before the switch: %v", name, err)
		}
	}

	// Without Prune the old key still drops out once its tokens are over.
	clock.Advance(ttl + PublishLeeway)
	if got := publishedKIDs(t, b.JWKS()); !slices.Equal(got, []string{newKID}) {
		t.Errorf("after the old key's last tokens b publishes %v, want only the new key", got)
	}
	if err := a.Prune(ctx); err != nil || ks.len() != 1 {
		t.Errorf("Prune after the window: %v, %d keys left", err, ks.len())
	}
}

// A key generated ahead, while a first start migrates, is the one an empty
// store gets; a store that has a key keeps it and ignores the pending one.
func TestNewSignerStoresThePendingKeyOnlyWhenTheStoreHasNone(t *testing.T) {
	ctx := context.Background()
	clock := clockwork.NewFakeClockAt(start)

	ahead := GenerateAhead(clock)
	empty := newMemStore()
	s, err := NewSigner(ctx, empty, clock, ttl, WithPendingKey(ahead))
	if err != nil {
		t.Fatalf("NewSigner: %v", err)
	}
	want, _ := ahead.wait(ctx)
	stored, _ := empty.SigningKeys(ctx)
	if len(stored) != 1 || stored[0].KID != want.KID || s.ActiveKID() != want.KID {
		t.Fatalf("empty store: stored %d key(s), active %s; want only the pending key %s", len(stored), s.ActiveKID(), want.KID)
	}
	if _, err := verifyWithGoJose(t, s.JWKS(), sign(t, s, sessionClaims(t, clock.Now())), clock.Now()); err != nil {
		t.Fatalf("token signed with the pending key does not verify: %v", err)
	}

	// Restarting on that store with another pending key changes nothing.
	again, err := NewSigner(ctx, empty, clock, ttl, WithPendingKey(GenerateAhead(clock)))
	if err != nil {
		t.Fatalf("NewSigner on a store with a key: %v", err)
	}
	if stored, _ := empty.SigningKeys(ctx); len(stored) != 1 || again.ActiveKID() != want.KID {
		t.Fatalf("store with a key: %d key(s), active %s; want the first key %s alone", len(stored), again.ActiveKID(), want.KID)
	}

	// A pending key that failed fails the start rather than leaving it keyless.
	failed := &PendingKey{done: make(chan struct{}), err: errors.New("entropy ran out")}
	close(failed.done)
	if _, err := NewSigner(ctx, newMemStore(), clock, ttl, WithPendingKey(failed)); err == nil {
		t.Fatal("NewSigner accepted a pending key that failed")
	}
}

// IssuedWithin reads iat without checking anything: recent and old tokens
// are told apart, and what is no token at all is never recent.
func TestIssuedWithinReadsIAT(t *testing.T) {
	clock := clockwork.NewFakeClockAt(start)
	s := newSigner(t, newMemStore(), clock)
	tok := sign(t, s, sessionClaims(t, clock.Now()))
	if !s.IssuedWithin(tok, 10*time.Second) {
		t.Error("a token just issued is not within 10 s")
	}
	clock.Advance(11 * time.Second)
	if s.IssuedWithin(tok, 10*time.Second) {
		t.Error("a token issued 11 s ago is within 10 s")
	}
	for _, bad := range []string{"", "not.a.token", string(make([]byte, maxTokenBytes+1))} {
		if s.IssuedWithin(bad, time.Hour) {
			t.Errorf("IssuedWithin(%.20q) = true", bad)
		}
	}
}
