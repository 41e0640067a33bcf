package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// templateExp reads the exp of a template token signed by the portal's
// key (verified against the JWKS).
func templateExp(t *testing.T, p *portaltest.Portal, raw string) int64 {
	t.Helper()
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	keys := jwks(t, p).Key(tok.Headers[0].KeyID)
	if len(keys) != 1 {
		t.Fatalf("no key %q in the JWKS", tok.Headers[0].KeyID)
	}
	var c struct {
		Exp int64 `json:"exp"`
	}
	if err := tok.Claims(keys[0].Key, &c); err != nil {
		t.Fatal(err)
	}
	return c.Exp
}

// REVIEW2 (defect): 8516ad3 made an impersonation's session tokens end by
// the session's end "whatever lifetime is asked", but JWT template tokens
// of the same session are signed with the template's lifetime (up to ten
// years) or the Backend API's expires_in_seconds, uncapped
// (jwttemplate.Service.Mint/Sign never look at sess.ExpireAt). An actor
// token capped at 20 minutes thus yields a token a relying app accepts as
// the user for a year: the impersonation outlives session_max_duration.
func TestReview2ImpersonationTemplateTokensEndWithTheSession(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	wantHandBack(t, signUp(t, p, newBrowser(t, p), "bob@example.com", appURL), http.StatusSeeOther, appURL)
	bob := userID(t, p, "bob@example.com")
	if r := api(t, p, http.MethodPost, "/v1/jwt_templates", map[string]any{"name": "long",
		"claims": map[string]any{"email": "{{user.primary_email_address}}"}, "lifetime": 365 * 24 * 3600}, nil); r.Status != http.StatusOK {
		t.Fatalf("create template: %d %s", r.Status, r.Body)
	}

	var tok struct {
		URL string `json:"url"`
	}
	body := map[string]any{"user_id": bob, "actor": map[string]any{"sub": "user_support"}, "session_max_duration_in_seconds": 1200}
	if r := api(t, p, http.MethodPost, "/v1/actor_tokens", body, &tok); r.Status != http.StatusOK {
		t.Fatalf("POST /v1/actor_tokens: %d %s", r.Status, r.Body)
	}
	b := newBrowser(t, p)
	confirm := b.get(mustParse(t, tok.URL).RequestURI() + "&redirect_url=" + url.QueryEscape(appURL))
	c, _ := verify(t, p, wantHandBack(t, b.submit(confirm, ticketForm, nil), http.StatusSeeOther, appURL))

	var s struct {
		ExpireAt int64 `json:"expire_at"`
	}
	if r := api(t, p, http.MethodGet, "/v1/sessions/"+c.SID, nil, &s); r.Status != http.StatusOK {
		t.Fatalf("GET session: %d %s", r.Status, r.Body)
	}
	var out struct {
		JWT string `json:"jwt"`
	}
	if r := api(t, p, http.MethodPost, "/v1/sessions/"+c.SID+"/tokens/long", nil, &out); r.Status != http.StatusOK {
		t.Fatalf("template token: %d %s", r.Status, r.Body)
	}
	if exp := templateExp(t, p, out.JWT); exp > s.ExpireAt/1000 {
		t.Errorf("template token of a 20-minute impersonation expires at %d, %d s after the session ends (%d)",
			exp, exp-s.ExpireAt/1000, s.ExpireAt/1000)
	}
	if r := api(t, p, http.MethodPost, "/v1/sessions/"+c.SID+"/tokens/long",
		map[string]any{"expires_in_seconds": 30 * 24 * 3600}, &out); r.Status == http.StatusOK {
		if exp := templateExp(t, p, out.JWT); exp > s.ExpireAt/1000 {
			t.Errorf("template token with expires_in_seconds of 30 days: exp %d, after the session's end %d", exp, s.ExpireAt/1000)
		}
	}
}

// REVIEW2 (defect): a blocklist entry added at run time ends the session
// tokens of an account that holds a blocked identifier (session.TokenFor →
// admitted), but not its JWT template tokens: jwttemplate.Service.Mint
// checks only a ban, so the blocked person's session keeps minting
// template tokens (Backend API and the frontend's /tokens/:template).
func TestReview2BlocklistEndsTemplateTokensToo(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	c, _ := verify(t, p, wantHandBack(t, signUp(t, p, newBrowser(t, p), "ada@blocked.example", appURL), http.StatusSeeOther, appURL))
	if r := api(t, p, http.MethodPost, "/v1/jwt_templates", map[string]any{"name": "app",
		"claims": map[string]any{"email": "{{user.primary_email_address}}"}}, nil); r.Status != http.StatusOK {
		t.Fatalf("create template: %d %s", r.Status, r.Body)
	}
	if r := api(t, p, http.MethodPost, "/v1/blocklist_identifiers", map[string]any{"identifier": "*@blocked.example"}, nil); r.Status != http.StatusOK {
		t.Fatalf("block: %d %s", r.Status, r.Body)
	}
	plain := api(t, p, http.MethodPost, "/v1/sessions/"+c.SID+"/tokens", nil, nil)
	if plain.Status == http.StatusOK {
		t.Fatalf("session token of a blocked account: 200, want it refused (precondition)")
	}
	var out json.RawMessage
	if r := api(t, p, http.MethodPost, "/v1/sessions/"+c.SID+"/tokens/app", nil, &out); r.Status != plain.Status {
		t.Errorf("template token of the blocked account: %d %s; the session token is refused with %d", r.Status, r.Body, plain.Status)
	}
}

// A blocklist entry added while a browser is signed in: the next time the
// portal would hand that browser to an app, the session ends (revoked,
// with session.revoked) and the browser sees the sign-in form — before,
// /sign-in sent it to /sign-in for ever, since the session the token was
// refused for stayed active. /user then asks to sign in, and signing in
// again is refused.
func TestBlockedAccountIsSignedOutWithoutALoop(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	b := newBrowser(t, p)
	c, _ := verify(t, p, wantHandBack(t, signUp(t, p, b, "ada@blocked.example", appURL), http.StatusSeeOther, appURL))
	if r := api(t, p, http.MethodPost, "/v1/blocklist_identifiers", map[string]any{"identifier": "*@blocked.example"}, nil); r.Status != http.StatusOK {
		t.Fatalf("block: %d %s", r.Status, r.Body)
	}
	first := b.getRaw(withRedirect("/sign-in", appURL))
	if first.Status != http.StatusSeeOther || first.Header.Get("Location") != "/sign-in" {
		t.Fatalf("/sign-in of the blocked account: %d to %q, want 303 to /sign-in", first.Status, first.Header.Get("Location"))
	}
	again := b.getRaw("/sign-in")
	if again.Status != http.StatusOK || again.Doc.Find(signInForm).Length() != 1 {
		t.Fatalf("after the refused hand-back /sign-in answers %d to %q, want the form", again.Status, again.Header.Get("Location"))
	}
	var sess struct{ Status string }
	if r := api(t, p, http.MethodGet, "/v1/sessions/"+c.SID, nil, &sess); r.Status != http.StatusOK || sess.Status != "revoked" {
		t.Errorf("the session is %q (%d), want revoked", sess.Status, r.Status)
	}
	if got := eventTypes(eventsOf(t, p, c.SID)); len(got) == 0 || got[len(got)-1] != events.SessionRevoked {
		t.Errorf("session events %v, want session.revoked last", got)
	}
	if pg := b.getRaw("/user"); pg.Status != http.StatusSeeOther || !strings.HasPrefix(pg.Header.Get("Location"), "/sign-in") {
		t.Errorf("/user answers %d to %q, want sign-in", pg.Status, pg.Header.Get("Location"))
	}
	refused := b.submit(b.get(withRedirect("/sign-in", appURL)), signInForm, map[string]string{"identifier": "ada@blocked.example"})
	wantText(t, "signing in again", refused, http.StatusUnprocessableEntity, "This email address can't be used to sign up or sign in here.")
}
