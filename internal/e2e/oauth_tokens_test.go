package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2/user"
	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/store"
	"github.com/portalhq/portal/internal/testutil/oidctest"
	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// providerToken is Clerk's OAuthAccessToken as the portal answers it.
type providerToken struct {
	Object            string         `json:"object"`
	ExternalAccountID string         `json:"external_account_id"`
	ProviderUserID    string         `json:"provider_user_id"`
	Token             string         `json:"token"`
	ExpiresAt         *int64         `json:"expires_at"`
	Provider          string         `json:"provider"`
	PublicMetadata    map[string]any `json:"public_metadata"`
	Label             *string        `json:"label"`
	Scopes            []string       `json:"scopes"`
	IDToken           string         `json:"id_token"`
	TokenSecret       *string        `json:"token_secret"`
}

// providerTokens asks the Backend API for userID's tokens at provider and
// wants a 200 with a bare array of Clerk's objects, each with the fields
// Clerk's API reference requires (expires_at and label even when null).
func providerTokens(t *testing.T, p *portaltest.Portal, userID, provider string) []providerToken {
	t.Helper()
	r := apiCall(t, p, http.MethodGet, "/v1/users/"+userID+"/oauth_access_tokens/"+provider, "Bearer "+p.SecretKey, nil)
	if r.Status != http.StatusOK || r.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET oauth_access_tokens/%s: status %d, Content-Type %q: %s", provider, r.Status,
			r.Header.Get("Content-Type"), r.Body)
	}
	var raw []map[string]json.RawMessage
	if err := json.Unmarshal(r.Body, &raw); err != nil {
		t.Fatalf("not a bare array: %v: %s", err, r.Body)
	}
	for _, o := range raw {
		for _, k := range []string{"object", "external_account_id", "provider_user_id", "token", "expires_at",
			"provider", "public_metadata", "label", "scopes"} {
			if _, ok := o[k]; !ok {
				t.Errorf("token object lacks %s: %s", k, r.Body)
			}
		}
	}
	var out []providerToken
	_ = json.Unmarshal(r.Body, &out)
	return out
}

// wantProviderToken checks the one token listed: the provider's, for the
// account, expiring at expires (ms), with scopes.
func wantProviderToken(t *testing.T, list []providerToken, accountID, subject string, issued oidctest.Tokens, expires int64, scopes ...string) {
	t.Helper()
	if len(list) != 1 {
		t.Fatalf("%d tokens listed, want 1: %+v", len(list), list)
	}
	got := list[0]
	if got.Object != "oauth_access_token" || got.ExternalAccountID != accountID || got.ProviderUserID != subject ||
		got.Provider != "oauth_"+corp || got.Label != nil || got.PublicMetadata == nil || len(got.PublicMetadata) != 0 ||
		got.TokenSecret != nil {
		t.Errorf("token object %+v, want the %s account %s of %s, no label, {} metadata, no token_secret",
			got, corp, accountID, subject)
	}
	if got.Token != issued.Access || got.IDToken != issued.ID {
		t.Errorf("token …%s, id_token …%s; want the provider's last, …%s and …%s", tail(got.Token), tail(got.IDToken),
			tail(issued.Access), tail(issued.ID))
	}
	if got.ExpiresAt == nil || *got.ExpiresAt != expires {
		at := "null"
		if got.ExpiresAt != nil {
			at = time.UnixMilli(*got.ExpiresAt).String()
		}
		t.Errorf("expires_at %s, want %s", at, time.UnixMilli(expires))
	}
	if !slices.Equal(got.Scopes, scopes) {
		t.Errorf("scopes %q, want %q", got.Scopes, scopes)
	}
}

// tail is the end of a token, to tell tokens apart in a message (JWTs
// from one provider begin alike).
func tail(tok string) string { return tok[max(0, len(tok)-12):] }

// storedTokenRow reads the account's token row as the database holds it:
// the sealed column and the rest, side by side.
func storedTokenRow(t *testing.T, p *portaltest.Portal, accountID string) string {
	t.Helper()
	q := `SELECT sealed || ' ' || scopes FROM oauth_tokens WHERE external_account_id = ?`
	if p.Store.Dialect() == store.Postgres {
		q = strings.Replace(q, "?", "$1", 1)
	}
	var row string
	if err := p.Store.DB().QueryRowContext(context.Background(), q, accountID).Scan(&row); err != nil {
		t.Fatalf("token row of %s: %v", accountID, err)
	}
	return row
}

// countRows counts a table's rows, read directly.
func countRows(t *testing.T, p *portaltest.Portal, table string) int {
	t.Helper()
	var n int
	if err := p.Store.DB().QueryRowContext(context.Background(), "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// wantSealed checks that none of the tokens is in text, as it is or in
// its parts (a JWT's signature alone would be a secret).
func wantSealed(t *testing.T, what, text string, tokens oidctest.Tokens) {
	t.Helper()
	for _, tok := range []string{tokens.Access, tokens.Refresh, tokens.ID} {
		if tok == "" {
			continue
		}
		for _, part := range append(strings.Split(tok, "."), tok) {
			if len(part) >= 16 && strings.Contains(text, part) {
				t.Errorf("%s holds a provider token in plain text (%.12q…)", what, part)
			}
		}
	}
}

// A sign-up through an OpenID provider keeps the provider's token set:
// the Backend API answers it in Clerk's shape, to a raw request and to
// clerk-sdk-go's user.ListOAuthAccessTokens; the database holds it sealed,
// not in plain text; once the injected clock passes its expiry the
// endpoint refreshes it through the provider's token endpoint (a
// refresh_token grant there) and answers the new one, sealed in place of
// the old; a second sign-in replaces it; a refresh the provider refuses
// is Clerk's 400 oauth_token_retrieval_error. No token is ever logged
// (REQ-LOG-01). On both engines.
func TestOAuthAccessTokens_REQ_LOG_01(t *testing.T) {
	for _, engine := range []struct {
		name     string
		postgres bool
	}{{"sqlite", false}, {"postgres", true}} {
		t.Run(engine.name, func(t *testing.T) { testOAuthAccessTokens(t, engine.postgres) })
	}
}

func testOAuthAccessTokens(t *testing.T, postgres bool) {
	ctx := context.Background()
	clock := clockwork.NewFakeClockAt(time.Now())
	log := &syncBuffer{}
	p, op := startWithOIDC(t, portaltest.Options{Clock: clock, Postgres: postgres, Log: log,
		Env: map[string]string{"PORTAL_LOG_LEVEL": "debug"}})
	// The provider grants more than the portal asks for, and says so.
	op.ReportScope("openid email profile calendar.read")
	granted := []string{"openid", "email", "profile", "calendar.read"}
	const lifetime = 10 * time.Minute // mockoidc's access tokens
	var seen []oidctest.Tokens

	b := newBrowser(t, p)
	wantHandBack(t, viaProvider(t, b, providerButton(t, b.get(withRedirect("/sign-up", appURL)), corp)), http.StatusSeeOther, appURL)
	first := op.Issued()
	seen = append(seen, first)
	if first.Access == "" || first.Refresh == "" || first.ID == "" {
		t.Fatalf("the provider issued %+v, want access, refresh and ID tokens", first)
	}
	u := userByEmail(t, p, "ada@example.com")
	if len(u.ExternalAccounts) != 1 {
		t.Fatalf("external accounts %+v", u.ExternalAccounts)
	}
	x := u.ExternalAccounts[0]
	wantProviderToken(t, providerTokens(t, p, u.ID, "oauth_"+corp), x.ID, "user-1", first,
		clock.Now().Add(lifetime).UnixMilli(), granted...)
	// Clerk's name for a custom provider finds the same account.
	wantProviderToken(t, providerTokens(t, p, u.ID, "oauth_custom_corp"), x.ID, "user-1", first,
		clock.Now().Add(lifetime).UnixMilli(), granted...)

	// Sealed at rest: read from the database directly.
	row := storedTokenRow(t, p, x.ID)
	wantSealed(t, "the oauth_tokens row", row, first)
	if !strings.HasSuffix(row, " openid email profile calendar.read") {
		t.Errorf("stored row %q: want the scopes beside the sealed tokens", row)
	}

	// Clerk's Go SDK reads the answer (it asks for paginated=true).
	sdk, err := user.NewClient(clerkConfig(p)).ListOAuthAccessTokens(ctx,
		&user.ListOAuthAccessTokensParams{ID: u.ID, Provider: "oauth_" + corp})
	if err != nil {
		t.Fatalf("clerk-sdk-go ListOAuthAccessTokens: %v", err)
	}
	if sdk.TotalCount != 1 || len(sdk.OAuthAccessTokens) != 1 {
		t.Fatalf("clerk-sdk-go: total %d, %d tokens", sdk.TotalCount, len(sdk.OAuthAccessTokens))
	}
	if got := sdk.OAuthAccessTokens[0]; got.Token != first.Access || got.ExternalAccountID != x.ID ||
		got.Provider != "oauth_"+corp || got.Object != "oauth_access_token" || !slices.Equal(got.Scopes, granted) ||
		got.Label != nil || string(got.PublicMetadata) != "{}" || got.TokenSecret != nil {
		t.Errorf("clerk-sdk-go reads %+v", got)
	}

	// Still valid a minute and a half before it expires: no refresh.
	clock.Advance(lifetime - 90*time.Second)
	wantProviderToken(t, providerTokens(t, p, u.ID, "oauth_"+corp), x.ID, "user-1", first,
		clock.Now().Add(90*time.Second).UnixMilli(), granted...)
	if n := op.Refreshes(); n != 0 {
		t.Fatalf("%d refreshes of a token not yet expiring", n)
	}

	// Within the last minute it counts as expired: refreshed through the
	// provider, answered, and kept sealed in place of the old one.
	op.FastForward(2 * time.Second) // so the provider's new token differs
	clock.Advance(time.Minute)
	list := providerTokens(t, p, u.ID, "oauth_"+corp)
	refreshed := op.Issued()
	seen = append(seen, refreshed)
	if n := op.Refreshes(); n != 1 {
		t.Fatalf("the provider saw %d refresh_token grants, want 1", n)
	}
	if refreshed.Access == first.Access {
		t.Fatal("the provider's refreshed token is the first one; the test cannot tell them apart")
	}
	wantProviderToken(t, list, x.ID, "user-1", refreshed, clock.Now().Add(lifetime).UnixMilli(), granted...)
	row2 := storedTokenRow(t, p, x.ID)
	wantSealed(t, "the refreshed row", row2, refreshed)
	if row2 == row {
		t.Error("the stored row did not change with the refresh")
	}
	// Asked again: the stored, refreshed token, with no second refresh.
	wantProviderToken(t, providerTokens(t, p, u.ID, "oauth_"+corp), x.ID, "user-1", refreshed,
		clock.Now().Add(lifetime).UnixMilli(), granted...)
	if n := op.Refreshes(); n != 1 {
		t.Errorf("asked again: %d refreshes, want still 1", n)
	}

	// Signing in again (another browser) replaces the token set with the
	// new sign-in's.
	op.FastForward(2 * time.Second)
	op.ReportScope("")
	clock.Advance(time.Minute)
	b2 := newBrowser(t, p)
	wantHandBack(t, viaProvider(t, b2, providerButton(t, b2.get(withRedirect("/sign-in", appURL)), corp)), http.StatusSeeOther, appURL)
	again := op.Issued()
	seen = append(seen, again)
	if again.Access == refreshed.Access {
		t.Fatal("the second sign-in's token is the refreshed one")
	}
	// This time the provider named no scope: the scopes asked for.
	wantProviderToken(t, providerTokens(t, p, u.ID, "oauth_"+corp), x.ID, "user-1", again,
		clock.Now().Add(lifetime).UnixMilli(), "openid", "email", "profile")
	if n := op.Refreshes(); n != 1 {
		t.Errorf("after a sign-in: %d refreshes, want still 1", n)
	}

	// The person revokes the portal's access at the provider: the refresh
	// fails, and the answer says so as Clerk's does, with what the
	// provider said.
	op.RefuseRefresh()
	clock.Advance(lifetime)
	r := apiCall(t, p, http.MethodGet, "/v1/users/"+u.ID+"/oauth_access_tokens/oauth_"+corp, "Bearer "+p.SecretKey, nil)
	e := wantAPIError(t, r, http.StatusBadRequest, "oauth_token_retrieval_error")
	if pe, _ := e.Errors[0].Meta["provider_error"].(string); !strings.Contains(pe, `"invalid_grant"`) {
		t.Errorf("meta %v, want provider_error naming invalid_grant", e.Errors[0].Meta)
	}
	if strings.Contains(string(r.Body), again.Refresh) || strings.Contains(string(r.Body), again.Access) {
		t.Error("the refusal carries a token")
	}

	// REQ-LOG-01: no token, whole or in part, reached the log.
	for _, s := range seen {
		wantSealed(t, "the log", log.String(), s)
	}
	if !strings.Contains(log.String(), "oauth_token_retrieval_error") && !strings.Contains(log.String(), "invalid_grant") {
		t.Errorf("the refused refresh is not in the log:\n%s", log.String())
	}
}

// What the endpoint answers besides a token: an unknown user is Clerk's
// 404 resource_not_found; a provider the instance does not offer 404
// oauth_token_provider_not_enabled; a provider not named oauth_… 422
// naming provider; a user without an account at the provider an empty
// list (paginated: {"data":[],"total_count":0}); an expired token the
// provider gave no refresh token for 422 oauth_missing_refresh_token. A
// deleted user's token sets go with them.
func TestOAuthAccessTokensRefusals(t *testing.T) {
	clock := clockwork.NewFakeClockAt(time.Now())
	p, op := startWithOIDC(t, portaltest.Options{Clock: clock})
	path := func(userID, provider string) string {
		return "/v1/users/" + userID + "/oauth_access_tokens/" + provider
	}
	key := "Bearer " + p.SecretKey

	wantAPIError(t, apiCall(t, p, http.MethodGet, path("user_missing", "oauth_"+corp), key, nil),
		http.StatusNotFound, "resource_not_found")
	wantAPIError(t, apiCall(t, p, http.MethodGet, path("user_missing", "oauth_github"), key, nil),
		http.StatusNotFound, "resource_not_found")

	b := newBrowser(t, p)
	signUp(t, p, b, "grace@example.com", appURL)
	grace := userByEmail(t, p, "grace@example.com")
	wantAPIError(t, apiCall(t, p, http.MethodGet, path(grace.ID, "oauth_github"), key, nil),
		http.StatusNotFound, "oauth_token_provider_not_enabled")
	e := wantAPIError(t, apiCall(t, p, http.MethodGet, path(grace.ID, corp), key, nil),
		http.StatusUnprocessableEntity, "form_param_format_invalid")
	if e.Errors[0].Meta["param_name"] != "provider" || !strings.Contains(e.Errors[0].LongMessage, "oauth_") {
		t.Errorf("bare provider name: %+v, want it to name provider and the oauth_ form", e.Errors[0])
	}
	if got := providerTokens(t, p, grace.ID, "oauth_"+corp); len(got) != 0 {
		t.Errorf("a user without an account there: %+v, want []", got)
	}
	var page struct {
		Data       []providerToken `json:"data"`
		TotalCount *int            `json:"total_count"`
	}
	r := api(t, p, http.MethodGet, path(grace.ID, "oauth_"+corp)+"?paginated=true", nil, &page)
	if r.Status != http.StatusOK || page.Data == nil || len(page.Data) != 0 || page.TotalCount == nil || *page.TotalCount != 0 {
		t.Errorf("paginated: status %d %s, want {\"data\":[],\"total_count\":0}", r.Status, r.Body)
	}
	wantAPIError(t, apiCall(t, p, http.MethodGet, path(grace.ID, "oauth_"+corp)+"?paginated=maybe", key, nil),
		http.StatusUnprocessableEntity, "form_param_format_invalid")

	// A provider that gives no refresh token: once the access token has
	// expired there is nothing to answer with.
	op.GiveNoRefreshToken()
	b2 := newBrowser(t, p)
	wantHandBack(t, viaProvider(t, b2, providerButton(t, b2.get(withRedirect("/sign-up", appURL)), corp)), http.StatusSeeOther, appURL)
	ada := userByEmail(t, p, "ada@example.com")
	if got := providerTokens(t, p, ada.ID, "oauth_"+corp); len(got) != 1 || got[0].Token != op.Issued().Access {
		t.Fatalf("before expiry: %+v, want the provider's token", got)
	}
	clock.Advance(time.Hour)
	wantAPIError(t, apiCall(t, p, http.MethodGet, path(ada.ID, "oauth_"+corp), key, nil),
		http.StatusUnprocessableEntity, "oauth_missing_refresh_token")
	if n := op.Refreshes(); n != 0 {
		t.Errorf("%d refreshes without a refresh token", n)
	}

	// Deleting the user deletes their accounts' token sets.
	if n := countRows(t, p, "oauth_tokens"); n != 1 {
		t.Fatalf("%d token rows, want ada's", n)
	}
	if r := api(t, p, http.MethodDelete, "/v1/users/"+ada.ID, nil, nil); r.Status != http.StatusOK {
		t.Fatalf("DELETE user: %d %s", r.Status, r.Body)
	}
	if n := countRows(t, p, "oauth_tokens"); n != 0 {
		t.Errorf("%d token rows after the user was deleted, want 0", n)
	}
}

// A sign-up through a provider that stops at a step first (here the
// consent box) keeps the token set, sealed, on the sign-up until the
// account exists, then with the account.
func TestOAuthAccessTokensKeptThroughSignUpSteps(t *testing.T) {
	p, op := startWithOIDC(t, portaltest.Options{Env: legalEnv()})
	b := newBrowser(t, p)
	step := viaProvider(t, b, providerButton(t, b.get(withRedirect("/sign-up", appURL)), corp))
	if step.URL.Path != "/sign-up/continue" {
		t.Fatalf("after the provider: status %d at %s, want the consent step", step.Status, step.URL)
	}
	issued := op.Issued()
	var flows strings.Builder
	rows, err := p.Store.DB().QueryContext(context.Background(), "SELECT data FROM flows")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var d string
		_ = rows.Scan(&d)
		flows.WriteString(d)
	}
	rows.Close()
	if !strings.Contains(flows.String(), `"token"`) {
		t.Errorf("the sign-up keeps no token set: %s", flows.String())
	}
	wantSealed(t, "the sign-up flow", flows.String(), issued)

	wantHandBack(t, b.submit(step, `form[action="/sign-up/continue"]`, map[string]string{"legal_accepted": "true"}),
		http.StatusSeeOther, appURL)
	ada := userByEmail(t, p, "ada@example.com")
	list := providerTokens(t, p, ada.ID, "oauth_"+corp)
	if len(list) != 1 || list[0].Token != issued.Access || list[0].ExternalAccountID != ada.ExternalAccounts[0].ID {
		t.Errorf("after the consent step: %+v, want the provider's token for %s", list, ada.ExternalAccounts[0].ID)
	}
}

// Connecting a provider account from /user keeps its token set too.
func TestOAuthAccessTokensKeptOnConnect(t *testing.T) {
	p, op := startWithOIDC(t, portaltest.Options{})
	b := newBrowser(t, p)
	signUp(t, p, b, "dana@example.com", appURL)
	dana := userByEmail(t, p, "dana@example.com")
	if got := providerTokens(t, p, dana.ID, "oauth_"+corp); len(got) != 0 {
		t.Fatalf("before connecting: %+v", got)
	}
	op.SetUser("corp-dana", "dana.other@corp.example", false, "Dana", "D")
	pg := viaProvider(t, b, providerButton(t, b.get("/user"), corp))
	if pg.Status != http.StatusOK || !strings.Contains(pg.text(), "account is connected") {
		t.Fatalf("connect: status %d:\n%s", pg.Status, pg.text())
	}
	list := providerTokens(t, p, dana.ID, "oauth_"+corp)
	if len(list) != 1 || list[0].Token != op.Issued().Access || list[0].ProviderUserID != "corp-dana" {
		t.Errorf("after connecting: %+v, want corp-dana's token", list)
	}
}

// A provider whose access tokens last less than the minute before expiry
// at which a token counts as expired (here 30 s): the token it just
// granted is answered as it is, not refreshed at every request; it is
// refreshed once in the last half of its life, and the refreshed one is
// answered as it is in turn.
func TestOAuthAccessTokensShortLivedAreNotRefreshedAtEveryRequest(t *testing.T) {
	clock := clockwork.NewFakeClockAt(time.Now())
	p, op := startWithOIDC(t, portaltest.Options{Clock: clock})
	const lifetime = 30 * time.Second
	op.AccessTokenLifetime(lifetime)
	b := newBrowser(t, p)
	wantHandBack(t, viaProvider(t, b, providerButton(t, b.get(withRedirect("/sign-up", appURL)), corp)), http.StatusSeeOther, appURL)
	issued := op.Issued()
	u := userByEmail(t, p, "ada@example.com")
	ask := func(what string, want oidctest.Tokens, refreshes int) {
		t.Helper()
		list := providerTokens(t, p, u.ID, "oauth_"+corp)
		if len(list) != 1 || list[0].Token != want.Access {
			t.Errorf("%s: %+v, want the token ending …%s", what, list, tail(want.Access))
		}
		if n := op.Refreshes(); n != refreshes {
			t.Errorf("%s: the provider saw %d refresh_token grants, want %d", what, n, refreshes)
		}
	}
	ask("just granted", issued, 0)
	ask("asked again", issued, 0)
	clock.Advance(10 * time.Second)
	ask("20 s left", issued, 0)

	op.FastForward(2 * time.Second) // so the provider's new token differs
	clock.Advance(10 * time.Second)
	list := providerTokens(t, p, u.ID, "oauth_"+corp)
	refreshed := op.Issued()
	if n := op.Refreshes(); n != 1 || refreshed.Access == issued.Access || len(list) != 1 || list[0].Token != refreshed.Access {
		t.Fatalf("10 s left: %d refreshes, %d tokens answered; want one refresh and its token", n, len(list))
	}
	ask("the refreshed token, asked again", refreshed, 1)
}

// A refresh token the provider refused (invalid_grant) is not sent again:
// later requests answer the same 400 oauth_token_retrieval_error, with
// the provider's words, without calling the provider (here it would even
// accept by then), until a sign-in through the provider stores a new set,
// whose refresh token is used again when it is due.
func TestOAuthAccessTokensRefusedRefreshIsNotRetried(t *testing.T) {
	clock := clockwork.NewFakeClockAt(time.Now())
	p, op := startWithOIDC(t, portaltest.Options{Clock: clock})
	const lifetime = 10 * time.Minute // mockoidc's access tokens
	b := newBrowser(t, p)
	wantHandBack(t, viaProvider(t, b, providerButton(t, b.get(withRedirect("/sign-up", appURL)), corp)), http.StatusSeeOther, appURL)
	u := userByEmail(t, p, "ada@example.com")
	path := "/v1/users/" + u.ID + "/oauth_access_tokens/oauth_" + corp
	key := "Bearer " + p.SecretKey

	op.RefuseRefresh()
	clock.Advance(lifetime)
	first := wantAPIError(t, apiCall(t, p, http.MethodGet, path, key, nil), http.StatusBadRequest, "oauth_token_retrieval_error")
	if pe, _ := first.Errors[0].Meta["provider_error"].(string); !strings.Contains(pe, `"invalid_grant"`) {
		t.Errorf("meta %v, want provider_error naming invalid_grant", first.Errors[0].Meta)
	}
	if n := op.RefreshGrants(); n != 1 {
		t.Fatalf("the provider saw %d refresh_token grants, want 1", n)
	}

	op.AcceptRefresh()
	for i := range 2 {
		again := wantAPIError(t, apiCall(t, p, http.MethodGet, path, key, nil), http.StatusBadRequest, "oauth_token_retrieval_error")
		if got, want := again.Errors[0], first.Errors[0]; got.Message != want.Message || got.LongMessage != want.LongMessage ||
			got.Meta["provider_error"] != want.Meta["provider_error"] {
			t.Errorf("asked again (%d): %+v, want the first answer %+v", i+1, got, want)
		}
	}
	if n := op.RefreshGrants(); n != 1 {
		t.Errorf("asked again: the provider saw %d refresh_token grants, want still 1", n)
	}

	// Signing in through the provider again stores a new set: answered,
	// and refreshed through the provider once it expires.
	op.FastForward(2 * time.Second)
	b2 := newBrowser(t, p)
	wantHandBack(t, viaProvider(t, b2, providerButton(t, b2.get(withRedirect("/sign-in", appURL)), corp)), http.StatusSeeOther, appURL)
	signedIn := op.Issued()
	if list := providerTokens(t, p, u.ID, "oauth_"+corp); len(list) != 1 || list[0].Token != signedIn.Access {
		t.Fatalf("after a new sign-in: %+v, want its token …%s", list, tail(signedIn.Access))
	}
	op.FastForward(2 * time.Second)
	clock.Advance(lifetime)
	list := providerTokens(t, p, u.ID, "oauth_"+corp)
	refreshed := op.Issued()
	if n := op.RefreshGrants(); n != 2 || op.Refreshes() != 1 || refreshed.Access == signedIn.Access ||
		len(list) != 1 || list[0].Token != refreshed.Access {
		t.Errorf("the new set expired: %d grants, %d refreshes, %d tokens; want the provider asked once more and its token answered",
			n, op.Refreshes(), len(list))
	}
}
