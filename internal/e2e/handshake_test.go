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

// jwksGet fetches /.well-known/jwks.json asking for one content coding
// (gzip or identity) with If-None-Match inm when not "". The body is read
// as sent, compressed or not.
func jwksGet(t *testing.T, p *portaltest.Portal, coding, inm string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, p.URL+"/.well-known/jwks.json", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept-Encoding", coding) // set, so the client neither adds gzip nor undoes it
	if inm != "" {
		req.Header.Set("If-None-Match", inm)
	}
	resp, err := p.HTTPClient().Do(req)
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

// DESIGN "The session token": every published key names its kid, alg and
// use, and the JWKS can be revalidated as HTTP caches and JWKS clients do
// (RFC 9110 §13.1.2), whichever coding they take it in: If-None-Match
// compares weakly, may list several tags (a cache holding several) or be
// "*", and a changed key set is answered in full (REQ-JWT-07).
func TestJWKSRevalidation(t *testing.T) {
	p, _ := startFake(t, portaltest.Options{})
	for _, k := range jwks(t, p).Keys {
		if k.KeyID == "" || k.Algorithm != "RS256" || k.Use != "sig" || !k.IsPublic() {
			t.Errorf("published key kid=%q alg=%q use=%q public=%v", k.KeyID, k.Algorithm, k.Use, k.IsPublic())
		}
	}
	tags := map[string]string{}
	for _, coding := range []string{"gzip", "identity"} {
		first, _ := jwksGet(t, p, coding, "")
		etag := first.Header.Get("ETag")
		opaque := strings.TrimPrefix(etag, "W/") // the quoted tag, weak or not
		if first.StatusCode != http.StatusOK || !strings.HasPrefix(opaque, `"`) || first.Header.Get("Cache-Control") != "public, max-age=300" {
			t.Fatalf("JWKS (%s): %d ETag %q Cache-Control %q", coding, first.StatusCode, etag, first.Header.Get("Cache-Control"))
		}
		tags[coding] = etag
		for _, inm := range []string{etag, opaque, "W/" + opaque, `"older", ` + etag, `W/"older",W/` + opaque, "*"} {
			resp, body := jwksGet(t, p, coding, inm)
			if resp.StatusCode != http.StatusNotModified || len(body) != 0 || resp.Header.Get("ETag") != etag {
				t.Errorf("%s, If-None-Match: %s: %d ETag %q, want 304 with %q", coding, inm, resp.StatusCode, resp.Header.Get("ETag"), etag)
			}
		}
		for _, inm := range []string{`"older"`, `W/"older"`, strings.Trim(opaque, `"`)} {
			if resp, body := jwksGet(t, p, coding, inm); resp.StatusCode != http.StatusOK || len(body) == 0 {
				t.Errorf("%s, If-None-Match: %s: %d with %d bytes, want the key set", coding, inm, resp.StatusCode, len(body))
			}
		}
	}

	if _, err := p.Signer.Rotate(context.Background()); err != nil {
		t.Fatal(err)
	}
	for coding, etag := range tags {
		resp, body := jwksGet(t, p, coding, tags["gzip"]+", "+tags["identity"])
		if resp.StatusCode != http.StatusOK || resp.Header.Get("ETag") == etag || len(body) == 0 {
			t.Errorf("%s, after a rotation, If-None-Match with the old tags: %d ETag %q, want the new key set",
				coding, resp.StatusCode, resp.Header.Get("ETag"))
		}
	}
}

// RFC 9110 §8.8.3: a strong ETag names one representation's exact bytes,
// so the gzip-coded JWKS and the identity one must not share one. Portal
// weakens the tag of what may go out compressed (W/"…", as nginx does)
// and keeps the strong one for the identity bytes; since If-None-Match
// compares weakly, a cache holding either still gets its 304, answered
// with the tag of the coding it asked for.
func TestJWKSETagPerContentCoding(t *testing.T) {
	p, _ := startFake(t, portaltest.Options{})
	gz, gzBody := jwksGet(t, p, "gzip", "")
	id, idBody := jwksGet(t, p, "identity", "")
	if gz.StatusCode != http.StatusOK || gz.Header.Get("Content-Encoding") != "gzip" || len(gzBody) == 0 {
		t.Fatalf("JWKS asked for gzip: %d Content-Encoding %q", gz.StatusCode, gz.Header.Get("Content-Encoding"))
	}
	if id.StatusCode != http.StatusOK || id.Header.Get("Content-Encoding") != "" || len(idBody) == 0 {
		t.Fatalf("JWKS asked for identity: %d Content-Encoding %q", id.StatusCode, id.Header.Get("Content-Encoding"))
	}
	gzTag, idTag := gz.Header.Get("ETag"), id.Header.Get("ETag")
	strong := func(tag string) bool { return strings.HasPrefix(tag, `"`) }
	if gzTag == "" || idTag == "" || (strong(gzTag) && strong(idTag) && gzTag == idTag) {
		t.Fatalf("ETag gzip %q, identity %q: two content codings share one strong tag (RFC 9110 §8.8.3)", gzTag, idTag)
	}
	if !strong(idTag) {
		t.Errorf("identity ETag %q, want it strong: its bytes are the only ones it names", idTag)
	}
	for coding, want := range map[string]string{"gzip": gzTag, "identity": idTag} {
		for _, inm := range []string{gzTag, idTag} {
			resp, body := jwksGet(t, p, coding, inm)
			if resp.StatusCode != http.StatusNotModified || len(body) != 0 || resp.Header.Get("ETag") != want {
				t.Errorf("%s with If-None-Match %s: %d ETag %q, want 304 with %q", coding, inm, resp.StatusCode, resp.Header.Get("ETag"), want)
			}
		}
	}
}

// HEAD, as load balancers' health checks and some caches send it, answers
// like GET without a body, on the JWKS and the health endpoints, whichever
// content coding the two ask for (Go's client asks for gzip on GET only,
// so both set it here).
func TestHeadOnJWKSAndHealth(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	hc := p.HTTPClient()
	do := func(method, path, coding string) (*http.Response, []byte) {
		t.Helper()
		req, err := http.NewRequest(method, p.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Accept-Encoding", coding)
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, body
	}
	for _, path := range []string{"/.well-known/jwks.json", "/healthz", "/readyz"} {
		for _, coding := range []string{"gzip", "identity"} {
			get, _ := do(http.MethodGet, path, coding)
			head, body := do(http.MethodHead, path, coding)
			if head.StatusCode != http.StatusOK || get.StatusCode != http.StatusOK || len(body) != 0 ||
				head.Header.Get("Content-Type") != get.Header.Get("Content-Type") || head.Header.Get("ETag") != get.Header.Get("ETag") {
				t.Errorf("HEAD %s (%s): %d %q ETag %q with %d bytes; GET: %d %q ETag %q", path, coding, head.StatusCode,
					head.Header.Get("Content-Type"), head.Header.Get("ETag"), len(body), get.StatusCode,
					get.Header.Get("Content-Type"), get.Header.Get("ETag"))
			}
		}
	}
}

// An app that refuses the token the handshake just gave it (its clock
// behind, the wrong issuer or azp expected, a JWKS it never fetches
// again) sends the browser straight back, round and round. The portal
// cannot stop the app, but the handshake that meets a token it issued
// for that app moments ago, still good, logs a warning naming the values
// to compare; an expired token's handshake, a token for another app, an
// older one and an organization switch log nothing.
func TestHandshakeWarnsOfAnAppRefusingItsFreshToken(t *testing.T) {
	log := &syncBuffer{}
	p, clock := startFake(t, portaltest.Options{Log: log, Env: map[string]string{"PORTAL_LOG_FORMAT": "json"}})
	b := newBrowser(t, p)
	wantHandBack(t, signUp(t, p, b, "ada@example.com", appURL), http.StatusSeeOther, appURL)
	warnings := func() []map[string]any {
		var out []map[string]any
		for _, l := range logLines(t, log) {
			if msg, _ := l["msg"].(string); strings.Contains(msg, "the app refuses the token") {
				out = append(out, l)
			}
		}
		return out
	}

	// The app had a good reason: its token expired.
	clock.Advance(tokenTTL + time.Second)
	wantHandBack(t, b.getRaw(handshakePath(appURL)), http.StatusTemporaryRedirect, appURL)
	// Another app on the cookie's domain asks for its own token.
	const other = "http://localhost:5174/"
	wantHandBack(t, b.getRaw(handshakePath(other)), http.StatusTemporaryRedirect, other)
	// Back to the first, holding the other's: the handshake is how it gets one.
	wantHandBack(t, b.getRaw(handshakePath(appURL)), http.StatusTemporaryRedirect, appURL)
	// An organization switch with a good token.
	wantHandBack(t, b.getRaw(handshakePath(appURL)+"&organization_id="), http.StatusTemporaryRedirect, appURL)
	if w := warnings(); len(w) > 0 {
		t.Fatalf("warned on handshakes an app has reasons for: %v", w)
	}

	// The app sends the browser back with the token it just got (Clerk's
	// SDK saying why).
	wantHandBack(t, b.getRaw(handshakePath(appURL)+"&__clerk_hs_reason=session-token-nbf"), http.StatusTemporaryRedirect, appURL)
	w := warnings()
	if len(w) != 1 {
		t.Fatalf("%d warnings for an app refusing its fresh token, want 1: %v", len(w), w)
	}
	for _, k := range []string{"origin", "portal_time", "iss", "azp", "nbf", "exp", "kid"} {
		if w[0][k] == nil || w[0][k] == "" {
			t.Errorf("the warning lacks %s: %v", k, w[0])
		}
	}
	if w[0]["origin"] != appOrigin || w[0]["iss"] != p.URL || w[0]["app_reason"] != "session-token-nbf" ||
		!strings.Contains(w[0]["msg"].(string), "clock") {
		t.Errorf("warning %v, want the app's origin, the portal's issuer and the clock named", w[0])
	}

	// A token older than a few seconds: the app may refresh early.
	clock.Advance(11 * time.Second)
	wantHandBack(t, b.getRaw(handshakePath(appURL)), http.StatusTemporaryRedirect, appURL)
	if n := len(warnings()); n != 1 {
		t.Errorf("%d warnings after a handshake with an 11 s old token, want still 1", n)
	}
}
