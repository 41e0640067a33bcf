package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	clerkclient "github.com/clerk/clerk-sdk-go/v2/client"
	"github.com/clerk/clerk-sdk-go/v2/session"

	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// Clerk's Go SDK reads a client by ID and verifies a browser's __client
// cookie value, server-side with the portal's own cookie keys: the client
// holds the session the browser just signed in to; a value altered, a
// session token (a JWT, Clerk's kind of client token) or a cookie value with
// its name are refused with Clerk's 400 cookie_invalid, never a 500
// (REQ-SES-01).
func TestClerkSDKGetsAndVerifiesClients_REQ_SES_01(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	b := newBrowser(t, p)
	sessTok := wantHandBack(t, signUp(t, p, b, "ada@example.com", appURL), http.StatusSeeOther, appURL)
	c, _ := verify(t, p, sessTok)
	cookie := b.cookie("__client")
	if cookie == "" {
		t.Fatal("the signed-in browser holds no __client cookie")
	}
	cfg := clerkConfig(p)
	clients := clerkclient.NewClient(cfg)
	ctx := context.Background()

	verified, err := clients.Verify(ctx, &clerkclient.VerifyParams{Token: &cookie})
	if err != nil {
		t.Fatalf("Verify(__client) = %v", err)
	}
	s, err := session.NewClient(cfg).Get(ctx, c.SID)
	if err != nil {
		t.Fatal(err)
	}
	if verified.ID != s.ClientID || !strings.HasPrefix(verified.ID, "client_") || verified.Object != "client" {
		t.Errorf("Verify = client %q (%q), want the session's %q", verified.ID, verified.Object, s.ClientID)
	}
	wantSignedIn := func(what string, got *clerk.Client) {
		t.Helper()
		if len(got.Sessions) != 1 || got.Sessions[0].ID != c.SID || got.Sessions[0].Status != "active" ||
			got.Sessions[0].UserID != c.Subject || got.Sessions[0].ClientID != got.ID ||
			!slices.Equal(got.SessionIDs, []string{c.SID}) {
			t.Errorf("%s: sessions %v %+v, want the new session %s active", what, got.SessionIDs, got.Sessions, c.SID)
		}
		if got.LastActiveSessionID == nil || *got.LastActiveSessionID != c.SID {
			t.Errorf("%s: last_active_session_id = %v, want %s", what, got.LastActiveSessionID, c.SID)
		}
		if got.SignInID != nil || got.SignUpID != nil {
			t.Errorf("%s: sign_in_id %v, sign_up_id %v; want null (nothing under way)", what, got.SignInID, got.SignUpID)
		}
		if s := got.LastAuthenticationStrategy; s == nil || *s != "password" {
			t.Errorf("%s: last_authentication_strategy %v; want password, the way this client signed up", what, s)
		}
		if got.CreatedAt == 0 || got.UpdatedAt < got.CreatedAt {
			t.Errorf("%s: created_at %d, updated_at %d", what, got.CreatedAt, got.UpdatedAt)
		}
	}
	wantSignedIn("Verify", verified)
	byID, err := clients.Get(ctx, verified.ID)
	if err != nil {
		t.Fatalf("Get(%s) = %v", verified.ID, err)
	}
	wantSignedIn("Get", byID)

	// Every field of Clerk's client object is there, null where it has no
	// value (the SDK alone would read a missing one as null).
	var raw map[string]json.RawMessage
	if r := api(t, p, http.MethodGet, "/v1/clients/"+verified.ID, nil, &raw); r.Status != http.StatusOK {
		t.Fatalf("GET /v1/clients/{id}: %d %s", r.Status, r.Body)
	}
	for _, k := range []string{"object", "id", "session_ids", "sessions", "sign_in_id", "sign_up_id",
		"last_active_session_id", "last_authentication_strategy", "updated_at", "created_at"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("the client object lacks %s", k)
		}
	}

	// Refused: an altered value, a JWT, the cookie with its name, nothing.
	altered := []byte(cookie)
	altered[len(altered)/2] ^= 1
	for what, tok := range map[string]string{"altered": string(altered), "a session token": sessTok,
		"with its name": "__client=" + cookie, "garbage": "not-a-cookie"} {
		_, err := clients.Verify(ctx, &clerkclient.VerifyParams{Token: &tok})
		wantSDKError(t, err, http.StatusBadRequest, "cookie_invalid")
		e := wantAPIError(t, api(t, p, http.MethodPost, "/v1/clients/verify", map[string]string{"token": tok}, nil),
			http.StatusBadRequest, "cookie_invalid")
		if what == "a session token" && !strings.Contains(e.Errors[0].LongMessage, "__client") {
			t.Errorf("a JWT is refused without saying what to send: %+v", e.Errors[0])
		}
	}
	for _, body := range []any{map[string]any{}, map[string]any{"token": ""}, nil} {
		wantAPIError(t, api(t, p, http.MethodPost, "/v1/clients/verify", body, nil),
			http.StatusUnprocessableEntity, "form_param_missing")
	}
	wantAPIError(t, api(t, p, http.MethodPost, "/v1/clients/verify", map[string]any{"token": 5}, nil),
		http.StatusUnprocessableEntity, "form_param_format_invalid")
	_, err = clients.Get(ctx, "client_nope")
	wantSDKError(t, err, http.StatusNotFound, "resource_not_found")

	// A browser in the middle of a sign-in: its client holds the sign-in
	// and no session.
	b2 := newBrowser(t, p)
	passwordStep(t, b2, "ada@example.com", appURL)
	tok2 := b2.cookie("__client")
	pending, err := clients.Verify(ctx, &clerkclient.VerifyParams{Token: &tok2})
	if err != nil {
		t.Fatalf("Verify(a browser signing in) = %v", err)
	}
	if pending.SignInID == nil || !strings.HasPrefix(*pending.SignInID, "sia_") || pending.SignUpID != nil ||
		len(pending.Sessions) != 0 || len(pending.SessionIDs) != 0 || pending.LastActiveSessionID != nil {
		t.Errorf("client signing in = %+v, want its sign_in_id and no session", pending)
	}
	if pending.ID == verified.ID {
		t.Error("two browsers share a client")
	}

	// The list: a bare array, newest first, as Clerk answers it, or
	// {"data","total_count"} with paginated=true, which @clerk/backend's
	// getClientList sends.
	var bare []clerk.Client
	if r := api(t, p, http.MethodGet, "/v1/clients", nil, &bare); r.Status != http.StatusOK {
		t.Fatalf("GET /v1/clients: %d %s", r.Status, r.Body)
	}
	ids := make([]string, 0, len(bare))
	for _, x := range bare {
		ids = append(ids, x.ID)
	}
	at, atPending := slices.Index(ids, verified.ID), slices.Index(ids, pending.ID)
	if at < 0 || atPending < 0 || atPending > at {
		t.Fatalf("GET /v1/clients = %v, want %s and, before it, %s", ids, verified.ID, pending.ID)
	}
	wantSignedIn("listed", &bare[at])
	var page clerk.ClientList
	if r := api(t, p, http.MethodGet, "/v1/clients?paginated=true&limit=1&offset=1", nil, &page); r.Status != http.StatusOK {
		t.Fatalf("GET /v1/clients?paginated=true: %d %s", r.Status, r.Body)
	}
	if page.TotalCount != int64(len(ids)) || len(page.Clients) != 1 || page.Clients[0].ID != ids[1] {
		t.Errorf("page 2 of 1 = %d clients of %d, want %s of %d", len(page.Clients), page.TotalCount, ids[1], len(ids))
	}
	for _, q := range []string{"limit=0", "limit=501", "offset=-1", "paginated=maybe"} {
		wantAPIError(t, api(t, p, http.MethodGet, "/v1/clients?"+q, nil, nil),
			http.StatusUnprocessableEntity, "form_param_format_invalid")
	}
}

// A client shows what became of its sessions: signed out, the session
// reads ended and the client has no last active session, while the
// browser's cookie still names the client; past its lifetime, a session
// reads expired, as GET /v1/sessions/{id} reads it.
func TestBackendAPIClientShowsItsSessionsEnd(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{})
	clients := clerkclient.NewClient(clerkConfig(p))
	ctx := context.Background()
	signedIn := func(email string) (*browser, string, string) {
		b := newBrowser(t, p)
		c, _ := verify(t, p, wantHandBack(t, signUp(t, p, b, email, appURL), http.StatusSeeOther, appURL))
		tok := b.cookie("__client")
		cl, err := clients.Verify(ctx, &clerkclient.VerifyParams{Token: &tok})
		if err != nil {
			t.Fatalf("Verify: %v", err)
		}
		return b, c.SID, cl.ID
	}
	wantSession := func(what, clientID, sid, status string) {
		t.Helper()
		got, err := clients.Get(ctx, clientID)
		if err != nil {
			t.Fatalf("%s: Get = %v", what, err)
		}
		var seen []string
		for _, s := range got.Sessions {
			seen = append(seen, s.ID+" "+s.Status)
		}
		if !slices.Equal(seen, []string{sid + " " + status}) {
			t.Errorf("%s: sessions %v, want %s %s", what, seen, sid, status)
		}
		if live := status == "active"; (got.LastActiveSessionID != nil) != live {
			t.Errorf("%s: last_active_session_id is set: %t, want %t", what, got.LastActiveSessionID != nil, live)
		}
	}

	b, sid, clientID := signedIn("ada@example.com")
	wantSession("signed in", clientID, sid, "active")
	b.submit(b.get("/sign-out"), signOutForm, nil)
	tok := b.cookie("__client")
	after, err := clients.Verify(ctx, &clerkclient.VerifyParams{Token: &tok})
	if err != nil || after.ID != clientID {
		t.Fatalf("Verify after sign-out = %+v, %v; want the same client %s", after, err, clientID)
	}
	wantSession("signed out", clientID, sid, "ended")

	_, sid2, clientID2 := signedIn("bea@example.com")
	clock.Advance(8 * 24 * time.Hour) // past the default 7-day lifetime
	wantSession("past its lifetime", clientID2, sid2, "expired")
	var s struct{ Status string }
	if r := api(t, p, http.MethodGet, "/v1/sessions/"+sid2, nil, &s); r.Status != http.StatusOK || s.Status != "expired" {
		t.Errorf("GET /v1/sessions/{id} = %d %s", r.Status, r.Body)
	}
}
