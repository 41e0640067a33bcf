package e2e

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/testutil/portaltest"
	"github.com/portalhq/portal/internal/token"
)

const tokenTTL = 60 * time.Second // PORTAL_SESSION_TOKEN_TTL default

func handshakePath(target string) string {
	return "/v1/client/handshake?redirect_url=" + url.QueryEscape(target)
}

// DESIGN "Handing the session back": the cookies set on the 303 to the app.
func TestSignUpHandsBackCookies(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{})
	b := newBrowser(t, p)
	done := signUp(t, p, b, "ada@example.com", appURL)
	raw := wantHandBack(t, done, http.StatusSeeOther, appURL)

	sc, uat := done.setCookie("__session"), done.setCookie("__client_uat")
	if !sc.HttpOnly || sc.SameSite != http.SameSiteLaxMode || sc.Path != "/" {
		t.Errorf("__session: HttpOnly=%v SameSite=%v Path=%q, want HttpOnly, Lax, /", sc.HttpOnly, sc.SameSite, sc.Path)
	}
	if uat == nil || uat.HttpOnly || uat.SameSite != http.SameSiteLaxMode {
		t.Fatalf("__client_uat = %+v, want a Lax cookie readable by scripts", uat)
	}
	if want := strconv.FormatInt(clock.Now().Unix(), 10); uat.Value != want {
		t.Errorf("__client_uat = %s, want the sign-in time %s", uat.Value, want)
	}
	if b.cookie("__client") == "" {
		t.Error("browser holds no __client cookie")
	}

	c, _ := verify(t, p, raw)
	if err := valid(p, c, clock.Now()); err != nil {
		t.Errorf("fresh token invalid: %v", err)
	}
	if c.AZP != appOrigin || !strings.HasPrefix(c.Subject, "user_") || !strings.HasPrefix(c.SID, "sess_") {
		t.Errorf("claims azp=%q sub=%q sid=%q", c.AZP, c.Subject, c.SID)
	}
	if life := c.Expiry.Time().Sub(c.IssuedAt.Time()); life != tokenTTL {
		t.Errorf("exp-iat = %v, want %v", life, tokenTTL)
	}
}

// REQ-SES-04, DESIGN "Handing the session back": an expired token is
// refreshed with the same sid; after sign-out the handshake clears the app
// cookies and still sends the browser back, every time, so nothing loops.
func TestHandshakeRefreshesAndSignsOut_REQ_SES_04(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{})
	b := newBrowser(t, p)
	old, _ := verify(t, p, wantHandBack(t, signUp(t, p, b, "ada@example.com", appURL), http.StatusSeeOther, appURL))

	clock.Advance(tokenTTL + time.Second)
	if err := valid(p, old, clock.Now()); !errors.Is(err, jwt.ErrExpired) {
		t.Fatalf("old token after %v: %v, want expired", tokenTTL, err)
	}

	fresh, _ := verify(t, p, wantHandBack(t, b.getRaw(handshakePath(appURL)), http.StatusTemporaryRedirect, appURL))
	if err := valid(p, fresh, clock.Now()); err != nil {
		t.Fatalf("refreshed token: %v", err)
	}
	if fresh.SID != old.SID || fresh.Subject != old.Subject || fresh.AZP != appOrigin {
		t.Errorf("refreshed sid=%q sub=%q azp=%q, want sid=%q sub=%q azp=%q",
			fresh.SID, fresh.Subject, fresh.AZP, old.SID, old.Subject, appOrigin)
	}
	if !fresh.Expiry.Time().After(clock.Now()) {
		t.Errorf("refreshed exp %v not after now %v", fresh.Expiry.Time(), clock.Now())
	}

	out := b.submit(b.get("/sign-out"), signOutForm, nil)
	if out.Status != http.StatusOK || len(out.Via) == 0 {
		t.Fatalf("sign-out: status %d via %v", out.Status, out.Via)
	}
	s, err := p.Store.Q.SessionByID(context.Background(), old.SID)
	if err != nil || s.Status != session.Ended {
		t.Fatalf("session after sign-out: %+v, %v; want status ended", s, err)
	}

	for i := range 2 { // the second round shows a signed-out browser is not bounced back here
		hs := b.getRaw(handshakePath(appURL))
		if hs.Status != http.StatusTemporaryRedirect || hs.Header.Get("Location") != appURL {
			t.Fatalf("handshake %d after sign-out: %d to %q, want 307 to %s", i+1, hs.Status, hs.Header.Get("Location"), appURL)
		}
		sc, uat := hs.setCookie("__session"), hs.setCookie("__client_uat")
		if sc == nil || sc.MaxAge >= 0 || sc.Value != "" {
			t.Errorf("handshake %d: __session = %+v, want it cleared", i+1, sc)
		}
		if uat == nil || uat.Value != "0" {
			t.Errorf("handshake %d: __client_uat = %+v, want 0", i+1, uat)
		}
	}
}

// REQ-HDR-05: the handshake never sends a browser outside the allowed origins.
func TestHandshakeRefusesHostileTarget_REQ_HDR_05(t *testing.T) {
	p, _ := startFake(t, portaltest.Options{})
	b := newBrowser(t, p)
	wantHandBack(t, signUp(t, p, b, "ada@example.com", appURL), http.StatusSeeOther, appURL)

	for _, target := range []string{
		"https://evil.example/",
		"http://127.0.0.1:5173/", // not http://localhost:5173 (DESIGN)
		"//evil.example/",
		"http://localhost:5173@evil.example/",
		"javascript:alert(1)",
		"",
	} {
		hs := b.getRaw(handshakePath(target))
		if hs.Status < 400 || hs.Status > 499 || hs.Header.Get("Location") != "" {
			t.Errorf("handshake to %q: %d Location %q, want a 4xx page and no Location", target, hs.Status, hs.Header.Get("Location"))
		}
		if hs.setCookie("__session") != nil {
			t.Errorf("handshake to %q set a __session", target)
		}
	}
}

// REQ-JWT-07: after a rotation the old key stays published until its tokens
// have expired, then drops out; new tokens name the new key.
func TestKeyRotation_REQ_JWT_07(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{})
	ctx := context.Background()
	b := newBrowser(t, p)
	before := wantHandBack(t, signUp(t, p, b, "ada@example.com", appURL), http.StatusSeeOther, appURL)
	_, oldKID := verify(t, p, before)

	newKID, err := p.Signer.Rotate(ctx)
	if err != nil || newKID == oldKID {
		t.Fatalf("rotate: kid %q, %v", newKID, err)
	}
	c, kid := verify(t, p, before) // against the JWKS fetched after the rotation
	if kid != oldKID || valid(p, c, clock.Now()) != nil {
		t.Errorf("token signed before rotation no longer verifies (kid %q)", kid)
	}
	if _, kid := verify(t, p, wantHandBack(t, b.getRaw(handshakePath(appURL)), http.StatusTemporaryRedirect, appURL)); kid != newKID {
		t.Errorf("token after rotation has kid %q, want the new %q", kid, newKID)
	}

	clock.Advance(tokenTTL + token.PublishLeeway + time.Second)
	if err := p.Signer.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	set := jwks(t, p)
	if len(set.Key(oldKID)) != 0 {
		t.Errorf("old kid %q still published after every token it signed expired", oldKID)
	}
	if len(set.Key(newKID)) != 1 {
		t.Errorf("new kid %q not published", newKID)
	}
}

// DESIGN "The session token": every published key names its kid, alg and
// use, and the JWKS can be revalidated as HTTP caches and JWKS clients do
// (RFC 9110 §13.1.2): If-None-Match compares weakly, may list several tags
// (a cache holding several) or be "*", and a changed key set is answered
// in full (REQ-JWT-07).
func TestJWKSRevalidation(t *testing.T) {
	p, _ := startFake(t, portaltest.Options{})
	hc := p.HTTPClient()
	get := func(inm string) (*http.Response, []byte) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, p.URL+"/.well-known/jwks.json", nil)
		if err != nil {
			t.Fatal(err)
		}
		if inm != "" {
			req.Header.Set("If-None-Match", inm)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, body
	}

	first, _ := get("")
	etag := first.Header.Get("ETag")
	if first.StatusCode != http.StatusOK || !strings.HasPrefix(etag, `"`) || first.Header.Get("Cache-Control") != "public, max-age=300" {
		t.Fatalf("JWKS: %d ETag %q Cache-Control %q", first.StatusCode, etag, first.Header.Get("Cache-Control"))
	}
	for _, k := range jwks(t, p).Keys {
		if k.KeyID == "" || k.Algorithm != "RS256" || k.Use != "sig" || !k.IsPublic() {
			t.Errorf("published key kid=%q alg=%q use=%q public=%v", k.KeyID, k.Algorithm, k.Use, k.IsPublic())
		}
	}
	for _, inm := range []string{etag, "W/" + etag, `"older", ` + etag, `W/"older",W/` + etag, "*"} {
		resp, body := get(inm)
		if resp.StatusCode != http.StatusNotModified || len(body) != 0 || resp.Header.Get("ETag") != etag {
			t.Errorf("If-None-Match: %s: %d ETag %q, want 304 with %q", inm, resp.StatusCode, resp.Header.Get("ETag"), etag)
		}
	}
	for _, inm := range []string{`"older"`, `W/"older"`, strings.Trim(etag, `"`)} {
		if resp, body := get(inm); resp.StatusCode != http.StatusOK || len(body) == 0 {
			t.Errorf("If-None-Match: %s: %d with %d bytes, want the key set", inm, resp.StatusCode, len(body))
		}
	}

	if _, err := p.Signer.Rotate(context.Background()); err != nil {
		t.Fatal(err)
	}
	resp, body := get(etag)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("ETag") == etag || len(body) == 0 {
		t.Errorf("after a rotation, If-None-Match with the old tag: %d ETag %q, want the new key set", resp.StatusCode, resp.Header.Get("ETag"))
	}
}

// HEAD, as load balancers' health checks and some caches send it, answers
// like GET without a body, on the JWKS and the health endpoints.
func TestHeadOnJWKSAndHealth(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	hc := p.HTTPClient()
	for _, path := range []string{"/.well-known/jwks.json", "/healthz", "/readyz"} {
		get, err := hc.Get(p.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		get.Body.Close()
		head, err := hc.Head(p.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(head.Body)
		head.Body.Close()
		if head.StatusCode != http.StatusOK || get.StatusCode != http.StatusOK || len(body) != 0 ||
			head.Header.Get("Content-Type") != get.Header.Get("Content-Type") || head.Header.Get("ETag") != get.Header.Get("ETag") {
			t.Errorf("HEAD %s: %d %q ETag %q with %d bytes; GET: %d %q ETag %q", path, head.StatusCode,
				head.Header.Get("Content-Type"), head.Header.Get("ETag"), len(body), get.StatusCode,
				get.Header.Get("Content-Type"), get.Header.Get("ETag"))
		}
	}
}
