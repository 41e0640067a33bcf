package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/jwttemplate"
	"github.com/clerk/clerk-sdk-go/v2/session"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/portalhq/portal/internal/testutil/portaltest"
)

const supabaseSecret = "super-secret-jwt-token-with-at-least-32-characters-long"

// Clerk's Go SDK manages JWT templates and mints their tokens through a
// session; a template with a mistake is refused with where the mistake is.
func TestClerkSDKManagesJWTTemplates(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	c, _ := verify(t, p, wantHandBack(t, signUp(t, p, newBrowser(t, p), "ada@example.com", appURL), http.StatusSeeOther, appURL))
	cfg := clerkConfig(p)
	templates := jwttemplate.NewClient(cfg)
	ctx := context.Background()

	created, err := templates.Create(ctx, &jwttemplate.CreateParams{Name: str("supabase"),
		Claims:   json.RawMessage(`{"aud":"authenticated","role":"authenticated","email":"{{user.primary_email_address}}"}`),
		Lifetime: clerk.Int64(3600), CustomSigningKey: clerk.Bool(true), SigningAlgorithm: str("HS256"),
		SigningKey: str(supabaseSecret)})
	if err != nil {
		t.Fatal(err)
	}
	if created.Object != "jwt_template" || !strings.HasPrefix(created.ID, "jtmp_") || created.Name != "supabase" ||
		created.Lifetime != 3600 || created.AllowedClockSkew != 5 || !created.CustomSigningKey ||
		created.SigningAlgorithm != "HS256" || created.CreatedAt == 0 {
		t.Errorf("created = %+v", created)
	}
	jsonEqual(t, "claims", created.Claims, `{"aud":"authenticated","role":"authenticated","email":"{{user.primary_email_address}}"}`)
	if strings.Contains(string(api(t, p, http.MethodGet, "/v1/jwt_templates/"+created.ID, nil, nil).Body), supabaseSecret) {
		t.Error("the signing key is shown")
	}
	if _, err := templates.Create(ctx, &jwttemplate.CreateParams{Name: str("hasura"), Claims: json.RawMessage(
		`{"https://hasura.io/jwt/claims":{"x-hasura-default-role":"user","x-hasura-allowed-roles":["user"],"x-hasura-user-id":"{{user.id}}"}}`)}); err != nil {
		t.Fatal(err)
	}
	list, err := templates.List(ctx, &jwttemplate.ListParams{})
	if err != nil || list.TotalCount != 2 || len(list.JWTTemplates) != 2 || list.JWTTemplates[0].Name != "hasura" {
		t.Errorf("List = %+v, %v", list, err)
	}

	tok, err := session.NewClient(cfg).CreateToken(ctx, &session.CreateTokenParams{ID: c.SID, TemplateName: "supabase"})
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := jwt.ParseSigned(tok.JWT, []jose.SignatureAlgorithm{jose.HS256})
	if err != nil {
		t.Fatal(err)
	}
	var claims struct {
		jwt.Claims
		Role  string `json:"role"`
		Email string `json:"email"`
	}
	if err := parsed.Claims([]byte(supabaseSecret), &claims); err != nil {
		t.Fatalf("the Supabase token does not verify with its secret: %v", err)
	}
	if err := claims.ValidateWithLeeway(jwt.Expected{Issuer: p.URL, Subject: c.Subject,
		AnyAudience: jwt.Audience{"authenticated"}, Time: p.Clock.Now()}, 0); err != nil || claims.Email != "ada@example.com" {
		t.Errorf("claims = %+v, %v", claims, err)
	}
	hasura, err := session.NewClient(cfg).CreateToken(ctx, &session.CreateTokenParams{ID: c.SID, TemplateName: "hasura"})
	if err != nil {
		t.Fatal(err)
	}
	// expires_in_seconds replaces the template's lifetime for one token.
	twoMinutes := int64(120)
	short, err := session.NewClient(cfg).CreateToken(ctx, &session.CreateTokenParams{ID: c.SID, TemplateName: "hasura",
		ExpiresInSeconds: &twoMinutes})
	if err != nil {
		t.Fatal(err)
	}
	if sc, _ := verify(t, p, short.JWT); sc.Expiry.Time().Sub(sc.IssuedAt.Time()) != 2*time.Minute {
		t.Errorf("expires_in_seconds 120 on a template: from %v to %v", sc.IssuedAt.Time(), sc.Expiry.Time())
	}
	if hc, _ := verify(t, p, hasura.JWT); hc.Subject != c.Subject {
		t.Errorf("hasura token sub %q", hc.Subject)
	}

	updated, err := templates.Update(ctx, created.ID, &jwttemplate.UpdateParams{Lifetime: clerk.Int64(60)})
	if err != nil || updated.Lifetime != 60 || updated.Name != "supabase" {
		t.Errorf("Update = %+v, %v", updated, err)
	}
	_, err = templates.Create(ctx, &jwttemplate.CreateParams{Name: str("bad"),
		Claims: json.RawMessage("{\n  \"aud\": \"x\",\n  \"name\": \"{{user.nickname}}\"\n}")})
	wantSDKError(t, err, http.StatusUnprocessableEntity, "form_param_format_invalid")
	var apiErr *clerk.APIErrorResponse
	if asAPIError(err, &apiErr) {
		var meta map[string]any
		_ = json.Unmarshal(apiErr.Errors[0].Meta, &meta)
		// The SDK sends the claims compacted, so the place is in that text.
		if meta["param_name"] != "claims" || meta["line"] != 1.0 || meta["column"] != 20.0 ||
			!strings.Contains(apiErr.Errors[0].LongMessage, "user.nickname") {
			t.Errorf("error = %+v meta %v", apiErr.Errors[0], meta)
		}
	}
	// Claims sent as written keep their lines.
	r := apiCall(t, p, http.MethodPost, "/v1/jwt_templates", "Bearer "+p.SecretKey,
		json.RawMessage("{\"name\": \"bad\", \"claims\": {\n  \"aud\": \"x\",\n  \"name\": \"{{user.nickname}}\"\n}}"))
	if e := wantAPIError(t, r, http.StatusUnprocessableEntity, "form_param_format_invalid"); e.Errors[0].Meta["line"] != 3.0 ||
		e.Errors[0].Meta["column"] != 12.0 {
		t.Errorf("meta = %v, want line 3, column 12", e.Errors[0].Meta)
	}
	_, err = templates.Create(ctx, &jwttemplate.CreateParams{Name: str("bad"), Claims: json.RawMessage(`{"sub":"me"}`)})
	wantSDKError(t, err, http.StatusUnprocessableEntity, "form_param_format_invalid")
	_, err = templates.Create(ctx, &jwttemplate.CreateParams{Name: str("hasura"), Claims: json.RawMessage(`{}`)})
	wantSDKError(t, err, http.StatusUnprocessableEntity, "form_identifier_exists")

	if del, err := templates.Delete(ctx, created.ID); err != nil || !del.Deleted {
		t.Errorf("Delete = %+v, %v", del, err)
	}
	_, err = session.NewClient(cfg).CreateToken(ctx, &session.CreateTokenParams{ID: c.SID, TemplateName: "supabase"})
	wantSDKError(t, err, http.StatusNotFound, "resource_not_found")
}

// GET /v1/jwt_templates pages with limit and offset, as Clerk's JS SDK
// sends them, and total_count counts every template, not the page; a
// limit or offset out of range is refused as on every list.
func TestBackendAPIJWTTemplatesPage(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	for _, name := range []string{"convex", "hasura", "supabase"} {
		api(t, p, http.MethodPost, "/v1/jwt_templates", map[string]any{"name": name, "claims": map[string]any{"aud": name}}, nil)
	}
	type named struct{ Name string }
	var page struct {
		Data       []named `json:"data"`
		TotalCount int     `json:"total_count"`
	}
	if r := api(t, p, http.MethodGet, "/v1/jwt_templates?paginated=true&limit=1&offset=1", nil, &page); r.Status != http.StatusOK ||
		len(page.Data) != 1 || page.Data[0].Name != "hasura" || page.TotalCount != 3 {
		t.Errorf("limit=1&offset=1: %d %s; want hasura of 3", r.Status, r.Body)
	}
	var bare []named
	if r := api(t, p, http.MethodGet, "/v1/jwt_templates?limit=2", nil, &bare); r.Status != http.StatusOK ||
		len(bare) != 2 || bare[0].Name != "convex" || bare[1].Name != "hasura" {
		t.Errorf("limit=2, bare: %d %s; want convex, hasura", r.Status, r.Body)
	}
	for query, param := range map[string]string{"limit=501": "limit", "limit=-1": "limit", "limit=ten": "limit",
		"offset=-1": "offset"} {
		e := wantAPIError(t, api(t, p, http.MethodGet, "/v1/jwt_templates?"+query, nil, nil),
			http.StatusUnprocessableEntity, "form_param_format_invalid")
		if e.Errors[0].Meta["param_name"] != param {
			t.Errorf("%s: the error names %v", query, e.Errors[0].Meta)
		}
	}
	if e := wantAPIError(t, api(t, p, http.MethodGet, "/v1/jwt_templates?limit=501", nil, nil),
		http.StatusUnprocessableEntity, "form_param_format_invalid"); e.Errors[0].LongMessage != "limit must be between 1 and 500." {
		t.Errorf("limit=501 says %q", e.Errors[0].LongMessage)
	}
}

// The front end's getToken() and getToken({template}): the browser's
// __client cookie, CORS for the allowed app origins only (REQ-HDR-03), the
// app's origin as azp.
func TestClientTokenCORS_REQ_HDR_03(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	b := newBrowser(t, p)
	c, _ := verify(t, p, wantHandBack(t, signUp(t, p, b, "ada@example.com", appURL), http.StatusSeeOther, appURL))
	api(t, p, http.MethodPost, "/v1/jwt_templates", map[string]any{"name": "convex",
		"claims": map[string]any{"aud": "convex", "email": "{{user.primary_email_address}}"}}, nil)

	post := func(b *browser, path, origin string) *page {
		h := map[string]string{}
		if origin != "" {
			h["Origin"] = origin
			h["Sec-Fetch-Site"] = "same-site"
		}
		return b.postForm(http.MethodPost, path, nil, h)
	}
	base := "/v1/client/sessions/" + c.SID + "/tokens"
	for _, path := range []string{base, base + "/convex"} {
		pg := post(b, path, appOrigin)
		if pg.Status != http.StatusOK || pg.Header.Get("Access-Control-Allow-Origin") != appOrigin ||
			pg.Header.Get("Access-Control-Allow-Credentials") != "true" || pg.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("%s from the app: %d %v\n%s", path, pg.Status, pg.Header, pg.Body)
		}
		var tok struct {
			Object string `json:"object"`
			JWT    string `json:"jwt"`
		}
		_ = json.Unmarshal([]byte(pg.Body), &tok)
		got, _ := verify(t, p, tok.JWT)
		if got.Subject != c.Subject || got.AZP != appOrigin || tok.Object != "token" {
			t.Errorf("%s: token sub %q azp %q", path, got.Subject, got.AZP)
		}
	}
	for _, origin := range []string{"https://evil.example", "null", "http://127.0.0.1:5173", appOrigin + ".evil.example"} {
		pg := post(b, base, origin)
		if pg.Status != http.StatusForbidden || pg.Header.Get("Access-Control-Allow-Origin") != "" ||
			strings.Contains(pg.Body, "jwt") {
			t.Errorf("from %s: %d, ACAO %q", origin, pg.Status, pg.Header.Get("Access-Control-Allow-Origin"))
		}
		pre := b.postForm(http.MethodOptions, base, nil, map[string]string{"Origin": origin,
			"Access-Control-Request-Method": "POST"})
		if pre.Status != http.StatusForbidden || pre.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("preflight from %s: %d, ACAO %q", origin, pre.Status, pre.Header.Get("Access-Control-Allow-Origin"))
		}
	}
	pre := b.postForm(http.MethodOptions, base+"/convex", nil, map[string]string{"Origin": appOrigin,
		"Access-Control-Request-Method": "POST"})
	if pre.Status != http.StatusNoContent || pre.Header.Get("Access-Control-Allow-Origin") != appOrigin ||
		pre.Header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Errorf("preflight from the app: %d %v", pre.Status, pre.Header)
	}
	// Another browser, or another session's ID, gets nothing (REQ-AC-02).
	if pg := post(newBrowser(t, p), base, appOrigin); pg.Status != http.StatusUnauthorized {
		t.Errorf("without the cookie: %d", pg.Status)
	}
	if pg := post(b, "/v1/client/sessions/sess_other/tokens", appOrigin); pg.Status != http.StatusUnauthorized {
		t.Errorf("another session's ID: %d", pg.Status)
	}
	b.submit(b.get("/sign-out"), signOutForm, nil)
	if pg := post(b, base+"/convex", appOrigin); pg.Status != http.StatusUnauthorized {
		t.Errorf("after sign-out: %d", pg.Status)
	}
}

// A front end on an origin the portal does not allow gets 403; the log
// line says why, for its developer: what PORTAL_ALLOWED_REDIRECT_ORIGINS
// allows and, for a page on 127.0.0.1 beside localhost, that near miss.
func TestClientTokenRefusalLogSaysWhy(t *testing.T) {
	log := &syncBuffer{}
	p := portaltest.Start(t, portaltest.Options{Log: log, Env: map[string]string{"PORTAL_LOG_FORMAT": "json"}})
	b := newBrowser(t, p)
	pg := b.postForm(http.MethodPost, "/v1/client/sessions/sess_x/tokens", nil,
		map[string]string{"Origin": "http://127.0.0.1:5173", "Sec-Fetch-Site": "same-site"})
	wantAPIError(t, apiResponse{Status: pg.Status, Header: pg.Header, Body: []byte(pg.Body)}, http.StatusForbidden, "origin_invalid")
	var why string
	for _, l := range logLines(t, log) {
		if l["msg"] == "token request from an origin that is not allowed" {
			why, _ = l["why"].(string)
		}
	}
	for _, want := range []string{"PORTAL_ALLOWED_REDIRECT_ORIGINS allows http://localhost:*",
		"http://localhost:5173 is allowed, and to a browser 127.0.0.1 is another host than localhost"} {
		if !strings.Contains(why, want) {
			t.Errorf("the refusal's log line says why=%q, want it to say %q", why, want)
		}
	}
}
