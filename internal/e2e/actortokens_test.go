package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/actortoken"
	"github.com/clerk/clerk-sdk-go/v2/session"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/portalhq/portal/internal/testutil/portaltest"
	"github.com/portalhq/portal/internal/webhook"
)

const impersonationBanner = `aside[data-testid="impersonation"]`

// actOf verifies raw against the JWKS with go-jose, as a relying app
// would, and returns its act claim (nil when absent).
func actOf(t *testing.T, p *portaltest.Portal, raw string) map[string]any {
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
		Act map[string]any `json:"act"`
	}
	if err := tok.Claims(keys[0].Key, &c); err != nil {
		t.Fatalf("token does not verify: %v", err)
	}
	return c.Act
}

// lastSignIn is the user's last_sign_in_at as the Backend API answers it.
func lastSignIn(t *testing.T, p *portaltest.Portal, id string) any {
	t.Helper()
	var u map[string]any
	if r := api(t, p, http.MethodGet, "/v1/users/"+id, nil, &u); r.Status != http.StatusOK {
		t.Fatalf("GET user: %d %s", r.Status, r.Body)
	}
	return u["last_sign_in_at"]
}

// Clerk's actor tokens through clerk-sdk-go's actortoken client. Ada, of
// support, impersonates Bob, who protects his account with an
// authenticator app: the link shows a confirmation that says plainly what
// it does and signs nobody in by GET; its POST signs the browser in as
// Bob with no factor asked and hands back to the app, whose token —
// verified with go-jose — carries act {"sub": Ada}. The Backend API's
// session has the actor; every portal page says who is acting for whom;
// a handshake refresh keeps act; Bob's last sign-in does not move. The
// token works once; revoked and expired ones are refused.
func TestActorTokensImpersonate(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{})
	ctx := context.Background()
	sdk := actortoken.NewClient(clerkConfig(p))
	ada := apiUser(t, p, "ada@example.com")
	owner := newBrowser(t, p)
	wantHandBack(t, signUp(t, p, owner, "bob@example.com", appURL), http.StatusSeeOther, appURL)
	enrolTOTP(t, owner, clock)
	bob := userID(t, p, "bob@example.com")
	bobLast := lastSignIn(t, p, bob)

	tok, err := sdk.Create(ctx, &actortoken.CreateParams{UserID: clerk.String(bob),
		Actor: json.RawMessage(`{"sub":"` + ada + `"}`), SessionMaxDurationInSeconds: clerk.Int64(1200)})
	if err != nil {
		t.Fatal(err)
	}
	if tok.Object != "actor_token" || !strings.HasPrefix(tok.ID, "act_") || tok.Status != "pending" || tok.UserID != bob ||
		string(tok.Actor) != `{"sub":"`+ada+`"}` || tok.Token == "" || tok.URL == nil || tok.CreatedAt == 0 || tok.UpdatedAt != tok.CreatedAt {
		t.Fatalf("created = %+v", tok)
	}
	link := mustParse(t, *tok.URL)
	if link.Scheme+"://"+link.Host != p.URL || link.Path != "/sign-in" || link.Query().Get("__clerk_ticket") != tok.Token {
		t.Fatalf("url = %q, want %s/sign-in?__clerk_ticket=<token>", *tok.URL, p.URL)
	}
	withTarget := link.RequestURI() + "&redirect_url=" + url.QueryEscape(appURL)

	b := newBrowser(t, p)
	var confirm *page
	for range 2 { // a mail scanner's fetch, then the person's: neither uses it
		confirm = b.get(withTarget)
		if confirm.Status != http.StatusOK || confirm.Doc.Find(ticketForm).Length() != 1 {
			t.Fatalf("GET the link: %d, want the confirmation page:\n%s", confirm.Status, confirm.text())
		}
	}
	if h1 := strings.TrimSpace(confirm.Doc.Find("h1").Text()); h1 != "Sign in as bob@example.com, impersonated by ada@example.com" {
		t.Errorf("h1 = %q", h1)
	}
	if body := confirm.text(); !strings.Contains(body, "This starts an impersonation session") || !strings.Contains(body, "It ends after 20 minutes.") {
		t.Errorf("the page does not say what it starts: %q", body)
	}
	if btn := strings.TrimSpace(confirm.Doc.Find(ticketForm + ` button[type="submit"]`).Text()); btn != "Sign in as bob@example.com" {
		t.Errorf("button = %q", btn)
	}
	if got := confirm.Header.Get("Referrer-Policy"); got != "no-referrer" {
		t.Errorf("Referrer-Policy = %q, want no-referrer: the page's URL holds the token", got)
	}
	if n := activeSessions(t, p, bob); n != 1 { // his own, in his browser
		t.Fatalf("Bob has %d sessions after the GETs, want his own only", n)
	}

	// No second factor: straight back to the app, impersonating.
	raw := wantHandBack(t, b.submit(confirm, ticketForm, nil), http.StatusSeeOther, appURL)
	c, _ := verify(t, p, raw)
	if c.Subject != bob {
		t.Errorf("session token for %q, want Bob %s", c.Subject, bob)
	}
	if err := valid(p, c, clock.Now()); err != nil {
		t.Errorf("session token: %v", err)
	}
	if act := actOf(t, p, raw); act["sub"] != ada || len(act) != 1 {
		t.Errorf("act = %v, want {sub: %s}", act, ada)
	}
	if act := actOf(t, p, owner.cookie("__session")); act != nil {
		t.Errorf("Bob's own session token has act %v", act)
	}

	// The Backend API's session names the actor and ends with the token's 20 minutes.
	s, err := session.NewClient(clerkConfig(p)).Get(ctx, c.SID)
	if err != nil {
		t.Fatal(err)
	}
	if string(s.Actor) != `{"sub":"`+ada+`"}` || s.UserID != bob || s.ExpireAt != clock.Now().Add(20*time.Minute).UnixMilli() {
		t.Errorf("session = actor %s user %s expire_at %d", s.Actor, s.UserID, s.ExpireAt)
	}
	if got := lastSignIn(t, p, bob); got != bobLast {
		t.Errorf("Bob's last_sign_in_at moved from %v to %v", bobLast, got)
	}

	// Every portal page says so, with a way out.
	for _, path := range []string{"/user", "/user/security", "/user/verify?return=/user", "/create-organization",
		"/switch-organization", "/sign-out", "/"} {
		pg := b.get(path)
		banner := pg.Doc.Find(impersonationBanner)
		want := http.StatusOK
		if strings.HasPrefix(path, "/user/verify") {
			want = http.StatusForbidden // only Bob can confirm it's him
		}
		if pg.Status != want || banner.Length() != 1 ||
			strings.Join(strings.Fields(banner.Find("p").Text()), " ") != "You are signed in as bob@example.com, impersonated by ada@example.com." {
			t.Errorf("%s: %d, banner %q", path, pg.Status, banner.Text())
		}
	}
	if owner.get("/user").Doc.Find(impersonationBanner).Length() != 0 {
		t.Error("Bob's own browser shows the impersonation banner")
	}

	// Standing in is not proving who Bob is: deleting his account asks for
	// his own factor first, changing his password for the current one.
	if pg := b.get("/user/delete"); pg.URL.Path != "/user/verify" || pg.Status != http.StatusForbidden ||
		!strings.Contains(pg.text(), "Only bob@example.com can confirm this") || pg.Doc.Find(impersonationBanner).Length() != 1 {
		t.Errorf("/user/delete while impersonating: %d at %s, want the page saying only Bob can confirm it, with the banner", pg.Status, pg.URL)
	}
	// Nor can it give his password: changing it, or deleting his
	// organization, is refused with that page, and no guess at his password
	// counts toward his lockout.
	if pg := b.get("/user/password"); pg.Status != http.StatusForbidden || !strings.Contains(pg.text(), "Only bob@example.com can confirm this") {
		t.Errorf("/user/password while impersonating: %d, want the page saying only Bob can confirm it", pg.Status)
	}
	bobCo := (&member{b: owner}).createOrg(t, p, "Bob Co")
	for i := range 11 {
		pw := url.Values{"current_password": {"not-bobs-password-" + strconv.Itoa(i)}, "password": {"another-long-password-1"}}
		if pg := b.post("/user/password", pw); pg.Status != http.StatusForbidden {
			t.Fatalf("POST /user/password while impersonating: %d, want 403", pg.Status)
		}
		del := url.Values{"confirm_name": {"Bob Co"}, "password": {"not-bobs-password-" + strconv.Itoa(i)}}
		if pg := b.post("/organizations/"+bobCo.OrgID+"/delete", del); pg.Status != http.StatusForbidden ||
			!strings.Contains(pg.text(), "Only bob@example.com can confirm this") {
			t.Fatalf("deleting Bob's organization while impersonating: %d, want the page saying only Bob can confirm it", pg.Status)
		}
	}
	var bobNow struct {
		Locked bool `json:"locked"`
	}
	if r := api(t, p, http.MethodGet, "/v1/users/"+bob, nil, &bobNow); r.Status != http.StatusOK || bobNow.Locked {
		t.Errorf("Bob after 22 guesses by his impersonator: %d, locked %v; want not locked", r.Status, bobNow.Locked)
	}

	// A handshake after the token expired keeps act and sid.
	clock.Advance(2 * time.Minute)
	fresh := wantHandBack(t, b.getRaw(handshakePath(appURL)), http.StatusTemporaryRedirect, appURL)
	fc, _ := verify(t, p, fresh)
	if act := actOf(t, p, fresh); act["sub"] != ada || fc.SID != c.SID || valid(p, fc, clock.Now()) != nil {
		t.Errorf("after the handshake: act %v sid %s (want %s)", act, fc.SID, c.SID)
	}

	// Used: the link again, in any browser; revoking it is refused, as
	// Clerk refuses it.
	wantTicketGone(t, newBrowser(t, p).get(link.RequestURI()), "the link after use")
	_, err = sdk.Revoke(ctx, tok.ID)
	wantSDKError(t, err, http.StatusBadRequest, "actor_token_cannot_be_revoked_code")

	// The banner's button ends the impersonation.
	out := b.submit(b.get("/user"), impersonationBanner+" form", nil)
	if out.Status != http.StatusOK || activeSessions(t, p, bob) != 1 {
		t.Errorf("after the banner's sign-out: %d at %s, Bob's sessions %d (want his own only)", out.Status, out.URL, activeSessions(t, p, bob))
	}

	// Revoked: answered without token or url, and the link is dead.
	tok2, err := sdk.Create(ctx, &actortoken.CreateParams{UserID: clerk.String(bob), Actor: json.RawMessage(`{"sub":"` + ada + `"}`)})
	if err != nil {
		t.Fatal(err)
	}
	open := newBrowser(t, p)
	openPage := open.get(mustParse(t, *tok2.URL).RequestURI())
	rev, err := sdk.Revoke(ctx, tok2.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rev.ID != tok2.ID || rev.Status != "revoked" || rev.Token != "" || rev.URL != nil || string(rev.Actor) != `{"sub":"`+ada+`"}` {
		t.Errorf("revoked = %+v", rev)
	}
	wantTicketGone(t, open.submit(openPage, ticketForm, nil), "a revoked token")
	wantTicketGone(t, newBrowser(t, p).get(mustParse(t, *tok2.URL).RequestURI()), "a revoked token's link")

	// Expired: a minute's token, confirmed a second too late.
	tok3, err := sdk.Create(ctx, &actortoken.CreateParams{UserID: clerk.String(bob), Actor: json.RawMessage(`{"sub":"` + ada + `"}`),
		ExpiresInSeconds: clerk.Int64(60)})
	if err != nil {
		t.Fatal(err)
	}
	slow := newBrowser(t, p)
	slowPage := slow.get(mustParse(t, *tok3.URL).RequestURI())
	clock.Advance(61 * time.Second)
	wantTicketGone(t, slow.submit(slowPage, ticketForm, nil), "an expired token")
	if activeSessions(t, p, bob) != 1 {
		t.Errorf("Bob has %d sessions, want his own only", activeSessions(t, p, bob))
	}
}

// The Backend API refuses what Clerk refuses, with Clerk's error shape:
// no actor or no actor.sub, lifetimes out of range, an unknown or banned
// user; each endpoint revokes its own kind of token only.
func TestActorTokenRefusals(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ctx := context.Background()
	sdk := actortoken.NewClient(clerkConfig(p))
	ada := apiUser(t, p, "ada@example.com")
	actor := json.RawMessage(`{"sub":"user_support"}`)

	for name, c := range map[string]struct {
		body map[string]any
		code string
	}{
		"no actor":            {map[string]any{"user_id": ada}, "form_param_missing"},
		"actor without sub":   {map[string]any{"user_id": ada, "actor": map[string]any{"name": "Support"}}, "form_param_format_invalid"},
		"actor not an object": {map[string]any{"user_id": ada, "actor": "user_support"}, "form_param_format_invalid"},
	} {
		e := wantAPIError(t, api(t, p, http.MethodPost, "/v1/actor_tokens", c.body, nil), http.StatusUnprocessableEntity, c.code)
		if e.Errors[0].Meta["param_name"] != "actor" || !strings.Contains(e.Errors[0].LongMessage, `"sub"`) {
			t.Errorf("%s: %+v, want param_name actor and a message naming sub", name, e.Errors[0])
		}
	}
	for param, v := range map[string]int64{"expires_in_seconds": 0, "session_max_duration_in_seconds": 7*24*3600 + 1} {
		e := wantAPIError(t, api(t, p, http.MethodPost, "/v1/actor_tokens", map[string]any{"user_id": ada, "actor": actor, param: v}, nil),
			http.StatusUnprocessableEntity, "form_param_format_invalid")
		if e.Errors[0].Meta["param_name"] != param {
			t.Errorf("%s=%d: meta %v", param, v, e.Errors[0].Meta)
		}
	}
	wantAPIError(t, api(t, p, http.MethodPost, "/v1/actor_tokens", map[string]any{"user_id": "user_nobody", "actor": actor}, nil),
		http.StatusNotFound, "resource_not_found")
	if r := api(t, p, http.MethodPost, "/v1/users/"+ada+"/ban", nil, nil); r.Status != http.StatusOK {
		t.Fatalf("ban: %d %s", r.Status, r.Body)
	}
	if _, err := sdk.Create(ctx, &actortoken.CreateParams{UserID: clerk.String(ada), Actor: actor}); !isAPIStatus(err, http.StatusUnprocessableEntity) {
		t.Errorf("banned user: %v, want 422", err)
	}
	if r := api(t, p, http.MethodPost, "/v1/users/"+ada+"/unban", nil, nil); r.Status != http.StatusOK {
		t.Fatalf("unban: %d %s", r.Status, r.Body)
	}

	var sit struct {
		ID string `json:"id"`
	}
	if r := api(t, p, http.MethodPost, "/v1/sign_in_tokens", map[string]any{"user_id": ada}, &sit); r.Status != http.StatusOK {
		t.Fatalf("sign-in token: %d %s", r.Status, r.Body)
	}
	act, err := sdk.Create(ctx, &actortoken.CreateParams{UserID: clerk.String(ada), Actor: actor})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sdk.Revoke(ctx, sit.ID); !isAPIStatus(err, http.StatusNotFound) {
		t.Errorf("a sign-in token through /v1/actor_tokens: %v, want 404", err)
	}
	wantAPIError(t, api(t, p, http.MethodPost, "/v1/sign_in_tokens/"+act.ID+"/revoke", nil, nil), http.StatusNotFound, "resource_not_found")
	if _, err := sdk.Revoke(ctx, "act_unknown"); !isAPIStatus(err, http.StatusNotFound) {
		t.Errorf("revoking an unknown token: %v, want 404", err)
	}
}

// An actor whose sub is no user of this instance is named as given; the
// session.created webhook carries the actor object whole.
func TestImpersonationByAnOutsideActorIsDeliveredAsWebhook(t *testing.T) {
	secret := webhook.NewSecret()
	rcv := newHookReceiver(t, secret)
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{
		"PORTAL_WEBHOOK_URL": rcv.srv.URL + "/clerk", "PORTAL_WEBHOOK_SECRET": secret,
		"PORTAL_WEBHOOK_ALLOW_PRIVATE": "true"}})
	ada := apiUser(t, p, "ada@example.com")
	var tok struct {
		URL string `json:"url"`
	}
	body := map[string]any{"user_id": ada, "actor": map[string]any{"sub": "desk-7", "team": "billing"}}
	if r := api(t, p, http.MethodPost, "/v1/actor_tokens", body, &tok); r.Status != http.StatusOK {
		t.Fatalf("POST /v1/actor_tokens: %d %s", r.Status, r.Body)
	}
	b := newBrowser(t, p)
	confirm := b.get(mustParse(t, tok.URL).RequestURI() + "&redirect_url=" + url.QueryEscape(appURL))
	if h1 := strings.TrimSpace(confirm.Doc.Find("h1").Text()); h1 != "Sign in as ada@example.com, impersonated by desk-7" {
		t.Errorf("h1 = %q", h1)
	}
	c, _ := verify(t, p, wantHandBack(t, b.submit(confirm, ticketForm, nil), http.StatusSeeOther, appURL))
	ev := rcv.waitFor("session.created", func(d map[string]any) bool { return d["id"] == c.SID })
	var s struct {
		UserID string         `json:"user_id"`
		Actor  map[string]any `json:"actor"`
	}
	if err := json.Unmarshal(ev.Data, &s); err != nil || s.UserID != ada || s.Actor["sub"] != "desk-7" || s.Actor["team"] != "billing" {
		t.Errorf("session.created data = %s", ev.Data)
	}
	if banner := b.get("/user").Doc.Find(impersonationBanner).Text(); !strings.Contains(banner, "impersonated by desk-7") {
		t.Errorf("banner = %q", banner)
	}
}
