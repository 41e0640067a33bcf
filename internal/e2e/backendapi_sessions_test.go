package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	clerkjwks "github.com/clerk/clerk-sdk-go/v2/jwks"
	"github.com/clerk/clerk-sdk-go/v2/session"
	"github.com/clerk/clerk-sdk-go/v2/user"

	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// Clerk's Go SDK lists, reads and revokes sessions, mints a session token
// that verifies against the JWKS it also fetches; a revoked session's
// browser is signed out at its next token refresh (REQ-SES-04, REQ-SES-05).
func TestClerkSDKManagesSessions_REQ_SES_05(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	b := newBrowser(t, p)
	c, _ := verify(t, p, wantHandBack(t, signUp(t, p, b, "ada@example.com", appURL), http.StatusSeeOther, appURL))
	cfg := clerkConfig(p)
	sessions := session.NewClient(cfg)
	ctx := context.Background()

	list, err := sessions.List(ctx, &session.ListParams{UserID: &c.Subject})
	if err != nil || list.TotalCount != 1 || len(list.Sessions) != 1 {
		t.Fatalf("List(user) = %+v, %v", list, err)
	}
	s := list.Sessions[0]
	if s.ID != c.SID || s.Object != "session" || s.UserID != c.Subject || s.Status != "active" || s.ClientID == "" ||
		s.ExpireAt <= s.CreatedAt || s.LastActiveAt == 0 {
		t.Errorf("session = %+v", s)
	}
	byClient, err := sessions.List(ctx, &session.ListParams{ClientID: &s.ClientID})
	if err != nil || byClient.TotalCount != 1 || byClient.Sessions[0].ID != c.SID {
		t.Errorf("List(client) = %+v, %v", byClient, err)
	}
	var bare []map[string]any
	if r := api(t, p, http.MethodGet, "/v1/sessions?user_id="+c.Subject, nil, &bare); r.Status != 200 || len(bare) != 1 {
		t.Errorf("unpaginated list: %d %s", r.Status, r.Body)
	}
	wantAPIError(t, api(t, p, http.MethodGet, "/v1/sessions", nil, nil), http.StatusUnprocessableEntity, "form_param_missing")

	got, err := sessions.Get(ctx, c.SID)
	if err != nil || got.ID != c.SID {
		t.Errorf("Get = %+v, %v", got, err)
	}
	tok, err := sessions.CreateToken(ctx, &session.CreateTokenParams{ID: c.SID})
	if err != nil || tok.Object != "token" {
		t.Fatalf("CreateToken = %+v, %v", tok, err)
	}
	minted, kid := verify(t, p, tok.JWT)
	if minted.Subject != c.Subject || minted.SID != c.SID {
		t.Errorf("minted token claims = %+v", minted)
	}
	if life := minted.Expiry.Time().Sub(minted.IssuedAt.Time()); life != 60*time.Second {
		t.Errorf("default lifetime %v, want the instance's 60 s", life)
	}
	// expires_in_seconds, as Clerk's SDK sends it, sets the lifetime;
	// out of range is refused.
	hour := int64(3600)
	long, err := sessions.CreateToken(ctx, &session.CreateTokenParams{ID: c.SID, ExpiresInSeconds: &hour})
	if err != nil {
		t.Fatalf("CreateToken for an hour: %v", err)
	}
	if lc, _ := verify(t, p, long.JWT); lc.Expiry.Time().Sub(lc.IssuedAt.Time()) != time.Hour {
		t.Errorf("expires_in_seconds 3600 gave a token from %v to %v", lc.IssuedAt.Time(), lc.Expiry.Time())
	}
	for _, bad := range []any{5, -1, int64(400_000_000), "60"} {
		r := api(t, p, http.MethodPost, "/v1/sessions/"+c.SID+"/tokens", map[string]any{"expires_in_seconds": bad}, nil)
		wantAPIError(t, r, http.StatusUnprocessableEntity, "form_param_format_invalid")
	}
	set, err := clerkjwks.NewClient(cfg).Get(ctx, &clerkjwks.GetParams{})
	if err != nil || len(set.Keys) == 0 {
		t.Fatalf("JWKS = %+v, %v", set, err)
	}
	found := false
	for _, k := range set.Keys {
		if k.KeyID == "" || k.Algorithm != "RS256" || k.Use != "sig" || k.Key == nil {
			t.Errorf("JWKS key = %+v", k)
		}
		found = found || k.KeyID == kid
	}
	if !found {
		t.Errorf("the token's kid %s is not in GET /v1/jwks", kid)
	}

	revoked, err := sessions.Revoke(ctx, &session.RevokeParams{ID: c.SID})
	if err != nil || revoked.Status != "revoked" {
		t.Fatalf("Revoke = %+v, %v", revoked, err)
	}
	signedOut(t, b)
	_, err = sessions.CreateToken(ctx, &session.CreateTokenParams{ID: c.SID})
	wantSDKError(t, err, http.StatusUnprocessableEntity, "session_not_active")
	_, err = sessions.Get(ctx, "sess_missing")
	wantSDKError(t, err, http.StatusNotFound, "resource_not_found")
}

// signedOut checks that the browser's next token refresh signs it out.
func signedOut(t *testing.T, b *browser) {
	t.Helper()
	pg := b.getRaw(handshakePath(appURL))
	if pg.Status != http.StatusTemporaryRedirect || pg.Header.Get("Location") != appURL {
		t.Fatalf("handshake: %d to %q", pg.Status, pg.Header.Get("Location"))
	}
	if c := pg.setCookie("__session"); c == nil || c.Value != "" {
		t.Errorf("handshake kept a __session cookie: %+v", c)
	}
	if c := pg.setCookie("__client_uat"); c == nil || c.Value != "0" {
		t.Errorf("handshake __client_uat = %+v, want 0", c)
	}
}

// Banning takes effect at the next token refresh: the sessions are revoked,
// the browser is signed out, and the account cannot sign in until unbanned.
// The change reaches webhooks as user.updated with banned set.
// A session past its lifetime reads "expired" in the Backend API at once,
// not "active" until its browser comes back, and the status filter and
// total_count agree with what the objects say (REQ-SES-03).
func TestBackendAPISessionPastItsLifetimeReadsExpired_REQ_SES_03(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{})
	b := newBrowser(t, p)
	c, _ := verify(t, p, wantHandBack(t, signUp(t, p, b, "ada@example.com", appURL), http.StatusSeeOther, appURL))
	g, _ := verify(t, p, wantHandBack(t, signUp(t, p, newBrowser(t, p), "grace@example.com", appURL), http.StatusSeeOther, appURL))
	clock.Advance(8 * 24 * time.Hour) // past the default 7-day lifetime; the browsers do not come back

	// Grace's session read by its ID, Ada's through the list: each on its own.
	var one struct {
		Status   string `json:"status"`
		ExpireAt int64  `json:"expire_at"`
	}
	if r := api(t, p, http.MethodGet, "/v1/sessions/"+g.SID, nil, &one); r.Status != 200 || one.Status != "expired" {
		t.Errorf("GET session past expire_at %d (now %d): %d %s; want status expired", one.ExpireAt, clock.Now().UnixMilli(), r.Status, r.Body)
	}
	var page struct {
		Data []struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"data"`
		TotalCount int `json:"total_count"`
	}
	api(t, p, http.MethodGet, "/v1/sessions?paginated=true&status=active&user_id="+c.Subject, nil, &page)
	if page.TotalCount != 0 || len(page.Data) != 0 {
		t.Errorf("status=active lists %+v, total %d; the only session has expired", page.Data, page.TotalCount)
	}
	api(t, p, http.MethodGet, "/v1/sessions?paginated=true&status=expired&user_id="+c.Subject, nil, &page)
	if page.TotalCount != 1 || len(page.Data) != 1 || page.Data[0].ID != c.SID || page.Data[0].Status != "expired" {
		t.Errorf("status=expired lists %+v, total %d; want the session", page.Data, page.TotalCount)
	}
}

func TestBanSignsOutAndKeepsOut_REQ_SES_05(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	b := newBrowser(t, p)
	c, _ := verify(t, p, wantHandBack(t, signUp(t, p, b, "ada@example.com", appURL), http.StatusSeeOther, appURL))
	users := user.NewClient(clerkConfig(p))
	ctx := context.Background()
	if u, err := users.Ban(ctx, c.Subject); err != nil || !u.Banned {
		t.Fatalf("Ban = %+v, %v", u, err)
	}
	if got := sessionStatus(t, p, c.SID); got != "revoked" {
		t.Errorf("session after the ban: %s, want revoked", got)
	}
	signedOut(t, b)
	noSession(t, "password sign-in of a banned account", signIn(t, newBrowser(t, p), "ada@example.com", goodPassword, appURL))

	evs, _ := p.Store.Q.EventsOfObject(ctx, c.Subject)
	last := evs[len(evs)-1]
	var obj map[string]any
	_ = json.Unmarshal(last.Data, &obj)
	if last.Type != "user.updated" || obj["banned"] != true {
		t.Errorf("last event about the user: %s %s", last.Type, last.Data)
	}

	if _, err := users.Unban(ctx, c.Subject); err != nil {
		t.Fatal(err)
	}
	wantHandBack(t, signIn(t, newBrowser(t, p), "ada@example.com", goodPassword, appURL), http.StatusSeeOther, appURL)
}

// A banned or locked account is refused whatever factor it signs in with:
// a texted or emailed code that is right still signs nobody in.
func TestBannedOrLockedAccountCannotSignInByAnyFactor(t *testing.T) {
	for _, block := range []string{"ban", "lock"} {
		t.Run(block, func(t *testing.T) {
			p := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_FACTORS": "password,email_code"}})
			c, _ := verify(t, p, wantHandBack(t, signUp(t, p, newBrowser(t, p), "ada@example.com", appURL),
				http.StatusSeeOther, appURL))
			api(t, p, http.MethodPost, "/v1/users/"+c.Subject+"/"+block, nil, nil)

			noSession(t, "password", signIn(t, newBrowser(t, p), "ada@example.com", goodPassword, appURL))
			b := newBrowser(t, p)
			codePage := b.submit(passwordStep(t, b, "ada@example.com", appURL), prepareForm,
				map[string]string{"strategy": "email_code"})
			code := p.SMTP.WaitFor(t, "ada@example.com", mailWait).Code()
			done := b.submit(codePage, codeForm, map[string]string{"code": code})
			wantText(t, "a right code", done, http.StatusForbidden, "can't sign in")
			noSession(t, "email code", done)
		})
	}
	t.Run("email link", func(t *testing.T) {
		p, _, b, wait, link := startLink(t, linkEnv)
		u := wantVerified(t, p, "email_address", "ada@example.com")
		api(t, p, http.MethodPost, "/v1/users/"+u.ID+"/ban", nil, nil)
		done := b.submit(b.get(link), linkConfirmForm, nil)
		wantText(t, "the link of a banned account", done, http.StatusForbidden, "can't sign in")
		noSession(t, "email link", done)
		noSession(t, "the waiting page", b.get(flowPath(wait)))
	})
}

// A session that ended is kept for PORTAL_EVENT_RETENTION, then pruned.
// After that the Backend API answers for its ID as Clerk answers for a
// session it does not have (404 resource_not_found, Clerk's SessionNotFound):
// the app that kept the ID learns it names nothing now, rather than a
// status that would claim to know what became of it.
func TestBackendAPIPrunedSessionIsNotFound(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{})
	signUp(t, p, newBrowser(t, p), "ada@example.com", appURL)
	var users []struct{ ID string }
	api(t, p, http.MethodGet, "/v1/users?email_address=ada@example.com", nil, &users)
	if len(users) != 1 {
		t.Fatalf("users %+v", users)
	}
	var sessions []struct{ ID, Status string }
	api(t, p, http.MethodGet, "/v1/sessions?user_id="+users[0].ID, nil, &sessions)
	if len(sessions) != 1 {
		t.Fatalf("sessions %+v", sessions)
	}
	id := sessions[0].ID
	if r := api(t, p, http.MethodPost, "/v1/sessions/"+id+"/revoke", nil, nil); r.Status != http.StatusOK {
		t.Fatalf("revoke: %d %s", r.Status, r.Body)
	}
	clock.Advance(29 * 24 * time.Hour)
	p.Housekeep(t.Context())
	var got struct{ Status string }
	if r := api(t, p, http.MethodGet, "/v1/sessions/"+id, nil, &got); r.Status != http.StatusOK || got.Status != "revoked" {
		t.Fatalf("day 29: %d %s, want the revoked session", r.Status, r.Body)
	}
	clock.Advance(2 * 24 * time.Hour)
	p.Housekeep(t.Context())
	for _, c := range []struct{ method, path string }{
		{http.MethodGet, "/v1/sessions/" + id},
		{http.MethodPost, "/v1/sessions/" + id + "/revoke"},
		{http.MethodPost, "/v1/sessions/" + id + "/tokens"},
	} {
		wantAPIError(t, api(t, p, c.method, c.path, nil, nil), http.StatusNotFound, "resource_not_found")
	}
	api(t, p, http.MethodGet, "/v1/sessions?user_id="+users[0].ID, nil, &sessions)
	if len(sessions) != 0 {
		t.Errorf("day 31: sessions %+v, want the pruned one gone from the list too", sessions)
	}
}
