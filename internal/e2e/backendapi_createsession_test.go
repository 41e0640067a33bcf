package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2/session"

	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/testutil/portaltest"
	"github.com/portalhq/portal/internal/webhook"
)

// unprovedClaims are the claims of a token of a session that POST
// /v1/sessions started.
type unprovedClaims struct {
	claims
	FVA []int           `json:"fva"`
	Act json.RawMessage `json:"act"`
}

// POST /v1/sessions (Clerk's createSession, through Clerk's Go SDK) in
// development: an active session of the user, answered as GET
// /v1/sessions/{id} answers it, listed with the user's sessions, whose
// token verifies against the JWKS as the user's and the session's; it
// writes session.created, which the webhook delivers, counts as the
// user's activity, and is revoked like any session. It lives on a client
// of its own: a browser the user is signed in on keeps its session, and no
// browser is signed in by it (REQ-SES-07, REQ-SES-02). It proved no
// factor: its tokens' fva is [-1, -1], and it is no impersonation (no
// actor, no act claim) (REQ-SES-06).
func TestBackendAPICreatesASessionInDevelopment_REQ_SES_07(t *testing.T) {
	secret := webhook.NewSecret()
	rcv := newHookReceiver(t, secret)
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{
		"PORTAL_WEBHOOK_URL": rcv.srv.URL + "/clerk", "PORTAL_WEBHOOK_SECRET": secret,
		"PORTAL_WEBHOOK_ALLOW_PRIVATE": "true"}})
	if !p.Config.Dev() {
		t.Fatal("precondition: the test portal runs in development")
	}
	b := newBrowser(t, p)
	browserSession, _ := verify(t, p, wantHandBack(t, signUp(t, p, b, "ada@example.com", appURL), http.StatusSeeOther, appURL))
	ada := browserSession.Subject
	sessions := session.NewClient(clerkConfig(p))
	ctx := context.Background()

	created, err := sessions.Create(ctx, &session.CreateParams{UserID: ada})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if created.Object != "session" || !strings.HasPrefix(created.ID, "sess_") || created.UserID != ada ||
		created.Status != "active" || created.ClientID == "" || string(created.Actor) != "null" || created.LastActiveAt == 0 {
		t.Errorf("created session = %+v", created)
	}
	if life := time.Duration(created.ExpireAt-created.CreatedAt) * time.Millisecond; life != 7*24*time.Hour {
		t.Errorf("lifetime %v, want the instance's 7 days", life)
	}
	// The answer is the session as GET /v1/sessions/{id} answers it.
	raw := api(t, p, http.MethodPost, "/v1/sessions", map[string]any{"user_id": ada}, nil)
	if raw.Status != http.StatusOK {
		t.Fatalf("POST /v1/sessions: %d %s", raw.Status, raw.Body)
	}
	var second struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(raw.Body, &second); err != nil {
		t.Fatal(err)
	}
	if got := api(t, p, http.MethodGet, "/v1/sessions/"+second.ID, nil, nil); got.Status != http.StatusOK {
		t.Fatalf("GET the new session: %d %s", got.Status, got.Body)
	} else {
		jsonEqual(t, "POST /v1/sessions against GET /v1/sessions/{id}", raw.Body, string(got.Body))
	}

	// Listed with the user's sessions, each on its own new client; the
	// browser's session is untouched.
	list, err := sessions.List(ctx, &session.ListParams{UserID: &ada})
	if err != nil || list.TotalCount != 3 {
		t.Fatalf("List(user) = %+v, %v; want the browser's and the two created", list, err)
	}
	clients := map[string]string{}
	for _, s := range list.Sessions {
		if s.Status != "active" {
			t.Errorf("session %s is %s, want active", s.ID, s.Status)
		}
		if other, dup := clients[s.ClientID]; dup {
			t.Errorf("sessions %s and %s share client %s", s.ID, other, s.ClientID)
		}
		clients[s.ClientID] = s.ID
	}
	for _, id := range []string{created.ID, second.ID, browserSession.SID} {
		if !containsValue(clients, id) {
			t.Errorf("session %s not listed: %v", id, clients)
		}
	}
	byClient, err := sessions.List(ctx, &session.ListParams{ClientID: &created.ClientID})
	if err != nil || byClient.TotalCount != 1 || byClient.Sessions[0].ID != created.ID {
		t.Errorf("List(client) = %+v, %v", byClient, err)
	}
	if c, _ := verify(t, p, b.getRaw(handshakePath(appURL)).setCookie("__session").Value); c.SID != browserSession.SID {
		t.Errorf("the browser's token is of session %s, want still its own %s", c.SID, browserSession.SID)
	}

	// Its token, minted as any session's, verifies as Ada's and the session's.
	tok, err := sessions.CreateToken(ctx, &session.CreateTokenParams{ID: created.ID})
	if err != nil {
		t.Fatalf("CreateToken: %v", err)
	}
	var minted unprovedClaims
	verifyInto(t, p, tok.JWT, &minted)
	if minted.Subject != ada || minted.SID != created.ID || minted.Issuer != p.URL || minted.AZP != "" {
		t.Errorf("token claims = %+v", minted.claims)
	}
	if len(minted.FVA) != 2 || minted.FVA[0] != -1 || minted.FVA[1] != -1 {
		t.Errorf("fva = %v, want [-1,-1]: nobody proved a factor for this session", minted.FVA)
	}
	if len(minted.Act) != 0 {
		t.Errorf("act = %s, want none: it is no impersonation", minted.Act)
	}

	// session.created, written with it and delivered.
	if got := eventTypes(eventsOf(t, p, created.ID)); len(got) != 1 || got[0] != events.SessionCreated {
		t.Errorf("events of the new session %v, want session.created", got)
	}
	ev := rcv.waitFor("session.created", func(d map[string]any) bool { return d["id"] == created.ID })
	var data struct {
		UserID string          `json:"user_id"`
		Status string          `json:"status"`
		Actor  json.RawMessage `json:"actor"`
	}
	if err := json.Unmarshal(ev.Data, &data); err != nil || data.UserID != ada || data.Status != "active" || string(data.Actor) != "null" {
		t.Errorf("session.created data = %s", ev.Data)
	}
	// Starting a session is the user's activity, as any sign-in is.
	var u struct {
		LastActiveAt *int64 `json:"last_active_at"`
	}
	if api(t, p, http.MethodGet, "/v1/users/"+ada, nil, &u); u.LastActiveAt == nil || *u.LastActiveAt < created.CreatedAt {
		t.Errorf("user last_active_at = %v, want at least the session's start %d", u.LastActiveAt, created.CreatedAt)
	}

	// Revoked like any session: its tokens stop, session.revoked is written.
	revoked, err := sessions.Revoke(ctx, &session.RevokeParams{ID: created.ID})
	if err != nil || revoked.Status != "revoked" {
		t.Fatalf("Revoke = %+v, %v", revoked, err)
	}
	_, err = sessions.CreateToken(ctx, &session.CreateTokenParams{ID: created.ID})
	wantSDKError(t, err, http.StatusUnprocessableEntity, "session_not_active")
	if got := eventTypes(eventsOf(t, p, created.ID)); len(got) != 2 || got[1] != events.SessionRevoked {
		t.Errorf("events after revoking %v, want session.revoked last", got)
	}
}

func containsValue(m map[string]string, v string) bool {
	for _, x := range m {
		if x == v {
			return true
		}
	}
	return false
}

// A session POST /v1/sessions started ends at the instance's lifetime as
// any session does (REQ-SES-03).
func TestCreatedSessionExpiresAsAnySession_REQ_SES_03(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{})
	ada := apiUser(t, p, "ada@example.com")
	var s struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	if r := api(t, p, http.MethodPost, "/v1/sessions", map[string]any{"user_id": ada}, &s); r.Status != http.StatusOK {
		t.Fatalf("POST /v1/sessions: %d %s", r.Status, r.Body)
	}
	if r := api(t, p, http.MethodPost, "/v1/sessions/"+s.ID+"/tokens", nil, nil); r.Status != http.StatusOK {
		t.Fatalf("token of the new session: %d %s", r.Status, r.Body)
	}
	clock.Advance(7*24*time.Hour + time.Minute)
	wantAPIError(t, api(t, p, http.MethodPost, "/v1/sessions/"+s.ID+"/tokens", nil, nil), http.StatusUnprocessableEntity, "session_not_active")
	if r := api(t, p, http.MethodGet, "/v1/sessions/"+s.ID, nil, &s); r.Status != http.StatusOK || s.Status != "expired" {
		t.Errorf("after the lifetime: %d %s, want expired", r.Status, r.Body)
	}
}

// Refusals: a missing user_id 422 form_param_missing, an unknown user 404
// resource_not_found, a body field the endpoint does not take 422
// form_param_unknown; a banned or locked user, or one holding a blocked
// identifier, 422 naming user_id, as POST /v1/sign_in_tokens refuses a
// banned or locked one: no session starts for an account that may not
// sign in (REQ-SES-05). None of them starts a session or writes an event.
func TestCreateSessionRefusals_REQ_SES_05(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	sessions := session.NewClient(clerkConfig(p))
	ctx := context.Background()

	for _, body := range []any{nil, map[string]any{}, map[string]any{"user_id": ""}, map[string]any{"user_id": nil}} {
		e := wantAPIError(t, api(t, p, http.MethodPost, "/v1/sessions", body, nil), http.StatusUnprocessableEntity, "form_param_missing")
		if e.Errors[0].Meta["param_name"] != "user_id" {
			t.Errorf("body %v: meta %v, want param_name user_id", body, e.Errors[0].Meta)
		}
	}
	_, err := sessions.Create(ctx, &session.CreateParams{UserID: "user_nobody"})
	wantSDKError(t, err, http.StatusNotFound, "resource_not_found")
	ada := apiUser(t, p, "ada@example.com")
	e := wantAPIError(t, api(t, p, http.MethodPost, "/v1/sessions", map[string]any{"user_id": ada, "actor": map[string]any{"sub": "x"}}, nil),
		http.StatusUnprocessableEntity, "form_param_unknown")
	if e.Errors[0].Meta["param_name"] != "actor" {
		t.Errorf("unknown field: meta %v", e.Errors[0].Meta)
	}

	banned, locked, blocked := apiUser(t, p, "bob@example.com"), apiUser(t, p, "cy@example.com"), apiUser(t, p, "dee@blocked.example")
	for path, what := range map[string]string{"/v1/users/" + banned + "/ban": "ban", "/v1/users/" + locked + "/lock": "lock"} {
		if r := api(t, p, http.MethodPost, path, nil, nil); r.Status != http.StatusOK {
			t.Fatalf("%s: %d %s", what, r.Status, r.Body)
		}
	}
	if r := api(t, p, http.MethodPost, "/v1/blocklist_identifiers", map[string]any{"identifier": "*@blocked.example"}, nil); r.Status != http.StatusOK {
		t.Fatalf("block: %d %s", r.Status, r.Body)
	}
	for who, id := range map[string]string{"banned": banned, "locked": locked, "blocked": blocked} {
		e := wantAPIError(t, api(t, p, http.MethodPost, "/v1/sessions", map[string]any{"user_id": id}, nil),
			http.StatusUnprocessableEntity, "form_param_format_invalid")
		if e.Errors[0].Meta["param_name"] != "user_id" || !strings.Contains(e.Errors[0].LongMessage, "can't sign in") {
			t.Errorf("%s user: %+v", who, e.Errors[0])
		}
		if list, err := sessions.List(ctx, &session.ListParams{UserID: &id}); err != nil || list.TotalCount != 0 {
			t.Errorf("%s user has sessions %+v, %v", who, list, err)
		}
	}
	// The same user unbanned gets one: the refusal was the ban.
	if r := api(t, p, http.MethodPost, "/v1/users/"+banned+"/unban", nil, nil); r.Status != http.StatusOK {
		t.Fatalf("unban: %d %s", r.Status, r.Body)
	}
	if _, err := sessions.Create(ctx, &session.CreateParams{UserID: banned}); err != nil {
		t.Errorf("after the unban: %v", err)
	}
}

// In production POST /v1/sessions starts no session: 400
// request_invalid_for_environment, Clerk's code for a request only valid
// on another kind of instance, whatever the body; still behind the secret
// key (REQ-SES-07: no session without the person's action).
func TestCreateSessionIsRefusedInProduction_REQ_SES_07(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{
		"PORTAL_ENV": "production", "PORTAL_SECRET_KEY": "sk_test_" + strings.Repeat("k", 40),
		"PORTAL_COOKIE_SECRET": strings.Repeat("c", 40), "PORTAL_SMTP_URL": "smtp://localhost:2525",
	}})
	if p.Config.Dev() {
		t.Fatal("precondition: the portal runs in production")
	}
	ada := apiUser(t, p, "ada@example.com")
	_, err := session.NewClient(clerkConfig(p)).Create(context.Background(), &session.CreateParams{UserID: ada})
	wantSDKError(t, err, http.StatusBadRequest, "request_invalid_for_environment")
	for _, body := range []any{map[string]any{"user_id": ada}, nil, map[string]any{"user_id": "user_nobody", "x": 1}} {
		e := wantAPIError(t, api(t, p, http.MethodPost, "/v1/sessions", body, nil), http.StatusBadRequest, "request_invalid_for_environment")
		if !strings.Contains(e.Errors[0].LongMessage, "development") {
			t.Errorf("long_message %q does not say where it works", e.Errors[0].LongMessage)
		}
	}
	wantAPIError(t, apiCall(t, p, http.MethodPost, "/v1/sessions", "", map[string]any{"user_id": ada}),
		http.StatusUnauthorized, "authorization_header_missing")
	wantAPIError(t, apiCall(t, p, http.MethodPost, "/v1/sessions", "Bearer sk_test_wrong", map[string]any{"user_id": ada}),
		http.StatusUnauthorized, "authentication_invalid")
	var list []json.RawMessage
	if r := api(t, p, http.MethodGet, "/v1/sessions?user_id="+ada, nil, &list); r.Status != http.StatusOK || len(list) != 0 {
		t.Errorf("Ada's sessions in production: %d %s, want none", r.Status, r.Body)
	}
}

// Without the secret key the development endpoint answers nothing but 401.
func TestCreateSessionNeedsTheSecretKey(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ada := apiUser(t, p, "ada@example.com")
	wantAPIError(t, apiCall(t, p, http.MethodPost, "/v1/sessions", "", map[string]any{"user_id": ada}),
		http.StatusUnauthorized, "authorization_header_missing")
	wantAPIError(t, apiCall(t, p, http.MethodPost, "/v1/sessions", "Bearer "+strings.Replace(p.SecretKey, "sk_", "pk_", 1),
		map[string]any{"user_id": ada}), http.StatusUnauthorized, "authentication_invalid")
	var list []json.RawMessage
	if r := api(t, p, http.MethodGet, "/v1/sessions?user_id="+ada, nil, &list); r.Status != http.StatusOK || len(list) != 0 {
		t.Errorf("Ada's sessions: %d %s, want none", r.Status, r.Body)
	}
}
