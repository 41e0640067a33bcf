package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// appOrigin is a relying app allowed by the default
// PORTAL_ALLOWED_REDIRECT_ORIGINS (http://localhost:*).
const (
	appOrigin = "http://localhost:5173"
	appURL    = appOrigin + "/dashboard?tab=1&x=%C3%A9"

	// goodPassword passes the single-factor policy (REQ-PW-01: 15+ characters).
	goodPassword  = "velvet-otter-harbour-lantern-42"
	wrongPassword = "velvet-otter-harbour-lantern-43"

	mailWait = 10 * time.Second // an upper bound only: mail is sent before the response
)

// Form selectors of the portal's pages.
const (
	signInForm   = `form[action="/sign-in"]`
	passwordForm = `form[action="/sign-in/factor-one"]`
	signUpForm   = `form[action="/sign-up"]`
	verifyForm   = `form[action="/sign-up/verify-email-address"]`
	signOutForm  = `form[action="/sign-out"]`
)

// startFake starts a portal on a fake clock set to now.
func startFake(t *testing.T, opt portaltest.Options) (*portaltest.Portal, *clockwork.FakeClock) {
	t.Helper()
	clock := clockwork.NewFakeClockAt(time.Now())
	opt.Clock = clock
	return portaltest.Start(t, opt), clock
}

func withRedirect(path, target string) string {
	if target == "" {
		return path
	}
	return path + "?redirect_url=" + url.QueryEscape(target)
}

// signUp creates an account through the forms and returns the response to
// the verification code: a 303 to target (not followed) when target is an
// app, or the portal's own page.
func signUp(t *testing.T, p *portaltest.Portal, b *browser, email, target string) *page {
	t.Helper()
	verify := b.submit(b.get(withRedirect("/sign-up", target)), signUpForm, map[string]string{
		"email_address": email, "password": goodPassword, "first_name": "Ada", "last_name": "Lovelace"})
	if verify.Status != http.StatusOK {
		t.Fatalf("sign-up form: status %d, want 200 on the verify page:\n%s", verify.Status, verify.text())
	}
	code := p.SMTP.WaitFor(t, email, mailWait).Code()
	if code == "" {
		t.Fatalf("no code in the sign-up email to %s", email)
	}
	return b.submit(verify, verifyForm, map[string]string{"code": code})
}

// passwordStep starts a sign-in for identifier and returns the password page.
func passwordStep(t *testing.T, b *browser, identifier, target string) *page {
	t.Helper()
	pg := b.submit(b.get(withRedirect("/sign-in", target)), signInForm, map[string]string{"identifier": identifier})
	if pg.Status != http.StatusOK || pg.Doc.Find(passwordForm).Length() == 0 {
		t.Fatalf("identifier step: status %d, want the password page:\n%s", pg.Status, pg.text())
	}
	return pg
}

// signIn signs in with the password and returns the hand-back response.
func signIn(t *testing.T, b *browser, email, password, target string) *page {
	t.Helper()
	return b.submit(passwordStep(t, b, email, target), passwordForm, map[string]string{"password": password})
}

// wantHandBack checks a 303/307 to exactly target carrying a __session and
// returns the token.
func wantHandBack(t *testing.T, pg *page, status int, target string) string {
	t.Helper()
	if pg.Status != status || pg.Header.Get("Location") != target {
		t.Fatalf("got %d to %q, want %d to %q:\n%s", pg.Status, pg.Header.Get("Location"), status, target, pg.text())
	}
	c := pg.setCookie("__session")
	if c == nil || c.Value == "" {
		t.Fatalf("no __session cookie in the hand-back to %s", target)
	}
	return c.Value
}

// claims are the session token's claims the tests look at.
type claims struct {
	jwt.Claims
	SID string `json:"sid"`
	AZP string `json:"azp"`
}

// jwks fetches the published keys over HTTP, as a relying app does.
func jwks(t *testing.T, p *portaltest.Portal) *jose.JSONWebKeySet {
	t.Helper()
	resp, err := p.HTTPClient().Get(p.URL + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatalf("JWKS: %v", err)
	}
	return &set
}

// verify checks raw's RS256 signature against the JWKS fetched now and
// returns its claims and kid. It does not judge the times: see valid.
func verify(t *testing.T, p *portaltest.Portal, raw string) (claims, string) {
	t.Helper()
	var c claims
	kid := verifyInto(t, p, raw, &c)
	return c, kid
}

// verifyInto checks raw's RS256 signature against the JWKS fetched over
// HTTP, as a relying app does, decodes its claims into out and returns its
// kid.
func verifyInto(t *testing.T, p *portaltest.Portal, raw string, out any) string {
	t.Helper()
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatalf("parse token: %v", err)
	}
	kid := tok.Headers[0].KeyID
	keys := jwks(t, p).Key(kid)
	if len(keys) != 1 {
		t.Fatalf("kid %q: %d keys in the JWKS, want 1", kid, len(keys))
	}
	if err := tok.Claims(keys[0].Key, out); err != nil {
		t.Fatalf("token does not verify against the JWKS: %v", err)
	}
	return kid
}

// activeSessionOf is the ID of the one active session of the account with
// email, found through the Backend API as an app's server would.
func activeSessionOf(t *testing.T, p *portaltest.Portal, email string) string {
	t.Helper()
	var users, sessions []struct {
		ID string `json:"id"`
	}
	api(t, p, http.MethodGet, "/v1/users?email_address="+url.QueryEscape(email), nil, &users)
	if len(users) != 1 {
		t.Fatalf("users named %s: %d", email, len(users))
	}
	api(t, p, http.MethodGet, "/v1/sessions?status=active&user_id="+users[0].ID, nil, &sessions)
	if len(sessions) != 1 {
		t.Fatalf("active sessions of %s: %d, want one", email, len(sessions))
	}
	return sessions[0].ID
}

// valid judges the claims as a relying app would at now, without leeway.
func valid(p *portaltest.Portal, c claims, now time.Time) error {
	return c.ValidateWithLeeway(jwt.Expected{Issuer: p.URL, Time: now}, 0)
}

var (
	flowIDRE = regexp.MustCompile(`\b(sia|sua)_[0-9A-Za-z]+`)
	csrfRE   = regexp.MustCompile(`name="_csrf" value="[^"]*"`)
	nonceRE  = regexp.MustCompile(`nonce="[^"]*"`)
)

// normalise blanks what legitimately differs between two renderings of the
// same page: flow IDs, CSRF tokens, CSP nonces and the address typed (with
// the places a title may break it, which follow the address).
func normalise(s string, emails ...string) string {
	s = strings.ReplaceAll(s, "<wbr>", "")
	for _, e := range emails {
		s = strings.ReplaceAll(s, e, "EMAIL")
		s = strings.ReplaceAll(s, url.QueryEscape(e), "EMAIL")
	}
	s = flowIDRE.ReplaceAllString(s, "FLOW")
	s = csrfRE.ReplaceAllString(s, `name="_csrf" value="CSRF"`)
	return nonceRE.ReplaceAllString(s, `nonce="NONCE"`)
}
