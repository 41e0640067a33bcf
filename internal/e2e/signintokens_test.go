package e2e

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/signintoken"

	"github.com/portalhq/portal/internal/testutil/portaltest"
	"github.com/portalhq/portal/internal/user"
)

const ticketForm = `form[action="/sign-in/ticket"]`

// apiUser creates a user with email and the good password through the
// Backend API and returns its ID.
func apiUser(t *testing.T, p *portaltest.Portal, email string) string {
	t.Helper()
	var u struct {
		ID string `json:"id"`
	}
	if r := api(t, p, http.MethodPost, "/v1/users", map[string]any{"email_address": []string{email},
		"password": goodPassword}, &u); r.Status != http.StatusOK {
		t.Fatalf("create %s: %d %s", email, r.Status, r.Body)
	}
	return u.ID
}

// wantTicketGone checks the 410 page of a token that can't be used, and
// that it set no session.
func wantTicketGone(t *testing.T, pg *page, what string) {
	t.Helper()
	if pg.Status != http.StatusGone || !strings.Contains(pg.text(), "This sign-in link can't be used") ||
		!strings.Contains(pg.text(), "It has expired, was revoked or was already used.") ||
		strings.Contains(pg.text(), "used: it has expired") {
		t.Errorf("%s: %d %q, want 410 and the gone page, saying why once", what, pg.Status, pg.text())
	}
	if c := pg.setCookie("__session"); c != nil && c.Value != "" {
		t.Errorf("%s set a session token", what)
	}
}

// Clerk's sign-in tokens through clerk-sdk-go's signintoken client: the
// link shows a confirmation and signs nobody in by GET (REQ-OTP-09,
// REQ-SES-07); its POST signs the browser in as the token's user — also
// one signed in as someone else — and hands back to the redirect target;
// the token works once; revoked and expired tokens are refused.
func TestSignInTokens_REQ_OTP_09(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{})
	ctx := context.Background()
	sdk := signintoken.NewClient(clerkConfig(p))
	ada := apiUser(t, p, "ada@example.com")
	bob := apiUser(t, p, "bob@example.com")

	tok, err := sdk.Create(ctx, &signintoken.CreateParams{UserID: clerk.String(ada)})
	if err != nil {
		t.Fatal(err)
	}
	if tok.Object != "sign_in_token" || !strings.HasPrefix(tok.ID, "sit_") || tok.Status != "pending" ||
		tok.UserID != ada || tok.Token == "" || tok.URL == nil || tok.CreatedAt == 0 || tok.UpdatedAt != tok.CreatedAt {
		t.Fatalf("created = %+v", tok)
	}
	link := mustParse(t, *tok.URL)
	if link.Scheme+"://"+link.Host != p.URL || link.Path != "/sign-in" || link.Query().Get("__clerk_ticket") != tok.Token {
		t.Fatalf("url = %q, want %s/sign-in?__clerk_ticket=<token>", *tok.URL, p.URL)
	}
	// The app adds where to land, as with any sign-in link.
	withTarget := link.RequestURI() + "&redirect_url=" + url.QueryEscape(appURL)

	// The browser is signed in as Bob already.
	b := newBrowser(t, p)
	wantHandBack(t, signIn(t, b, "bob@example.com", goodPassword, appURL), http.StatusSeeOther, appURL)
	// A second browser opens the link too, and waits.
	late := newBrowser(t, p)
	latePage := late.get(withTarget)

	var confirm *page
	for range 2 { // a mail scanner's fetch, then the person's: neither uses it
		confirm = b.get(withTarget)
		if confirm.Status != http.StatusOK || confirm.Doc.Find(ticketForm).Length() != 1 {
			t.Fatalf("GET the link: %d, want the confirmation page:\n%s", confirm.Status, confirm.text())
		}
		if c := confirm.setCookie("__session"); c != nil {
			t.Error("opening the link set __session")
		}
	}
	if btn := strings.TrimSpace(confirm.Doc.Find(ticketForm + ` button[type="submit"]`).Text()); btn != "Continue as ada@example.com" {
		t.Errorf("button = %q, want Continue as ada@example.com", btn)
	}
	if got := confirm.Header.Get("Referrer-Policy"); got != "no-referrer" {
		t.Errorf("Referrer-Policy = %q, want no-referrer: the page's URL holds the token", got)
	}
	if n := activeSessions(t, p, ada); n != 0 {
		t.Fatalf("Ada has %d sessions after the GETs, want none", n)
	}

	// Without the CSRF value the POST is refused and nothing is used.
	action, vals := b.formValues(confirm, ticketForm, nil)
	vals.Del("_csrf")
	if pg := b.send(b.request(http.MethodPost, action.String(), vals)); pg.Status != http.StatusForbidden {
		t.Errorf("POST without CSRF: %d, want 403", pg.Status)
	}

	used := b.submit(confirm, ticketForm, nil)
	raw := wantHandBack(t, used, http.StatusSeeOther, appURL)
	// One __client for the new session's client, not the request's own
	// and then that one: the browser would have to pick.
	if n := countSetCookies(used, "__client"); n != 1 {
		t.Errorf("the hand-back sets __client %d times:\n%q", n, used.Header.Values("Set-Cookie"))
	}
	c, _ := verify(t, p, raw)
	if c.Subject != ada {
		t.Errorf("session token for %q, want Ada %s", c.Subject, ada)
	}
	if err := valid(p, c, clock.Now()); err != nil {
		t.Errorf("session token: %v", err)
	}
	if activeSessions(t, p, ada) != 1 || activeSessions(t, p, bob) != 0 {
		t.Errorf("sessions: Ada %d, Bob %d; want 1 and 0 (the browser is Ada's now)", activeSessions(t, p, ada), activeSessions(t, p, bob))
	}

	// Used: the other browser's waiting page, and the link again.
	wantTicketGone(t, late.submit(latePage, ticketForm, nil), "a second use")
	wantTicketGone(t, newBrowser(t, p).get(link.RequestURI()), "the link after use")
	_, err = sdk.Revoke(ctx, tok.ID)
	wantSDKError(t, err, http.StatusBadRequest, "sign_in_token_cannot_be_revoked_code")

	// Revoked: answered without token or url, and the link is dead.
	tok2, err := sdk.Create(ctx, &signintoken.CreateParams{UserID: clerk.String(ada)})
	if err != nil {
		t.Fatal(err)
	}
	open := newBrowser(t, p)
	openPage := open.get(mustParse(t, *tok2.URL).RequestURI())
	rev, err := sdk.Revoke(ctx, tok2.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rev.ID != tok2.ID || rev.Status != "revoked" || rev.Token != "" || rev.URL != nil {
		t.Errorf("revoked = %+v", rev)
	}
	wantTicketGone(t, open.submit(openPage, ticketForm, nil), "a revoked token")
	wantTicketGone(t, newBrowser(t, p).get(mustParse(t, *tok2.URL).RequestURI()), "a revoked token's link")

	// Expired: a minute's token, confirmed a second too late.
	tok3, err := sdk.Create(ctx, &signintoken.CreateParams{UserID: clerk.String(ada), ExpiresInSeconds: clerk.Int64(60)})
	if err != nil {
		t.Fatal(err)
	}
	slow := newBrowser(t, p)
	slowPage := slow.get(mustParse(t, *tok3.URL).RequestURI())
	if slowPage.Doc.Find(ticketForm).Length() != 1 {
		t.Fatalf("a fresh minute's token: %d\n%s", slowPage.Status, slowPage.text())
	}
	clock.Advance(61 * time.Second)
	wantTicketGone(t, slow.submit(slowPage, ticketForm, nil), "an expired token")
	if activeSessions(t, p, ada) != 1 {
		t.Errorf("Ada has %d sessions, want still the one", activeSessions(t, p, ada))
	}

	// Refusals: unknown user 404, a bad lifetime 422, a banned user 422.
	if _, err := sdk.Create(ctx, &signintoken.CreateParams{UserID: clerk.String("user_nobody")}); !isAPIStatus(err, http.StatusNotFound) {
		t.Errorf("unknown user: %v, want 404", err)
	}
	if _, err := sdk.Create(ctx, &signintoken.CreateParams{UserID: clerk.String(ada), ExpiresInSeconds: clerk.Int64(2592001)}); !isAPIStatus(err, http.StatusUnprocessableEntity) {
		t.Errorf("expires_in_seconds over 30 days: %v, want 422", err)
	}
	if r := api(t, p, http.MethodPost, "/v1/users/"+bob+"/ban", nil, nil); r.Status != http.StatusOK {
		t.Fatalf("ban: %d %s", r.Status, r.Body)
	}
	if _, err := sdk.Create(ctx, &signintoken.CreateParams{UserID: clerk.String(bob)}); !isAPIStatus(err, http.StatusUnprocessableEntity) {
		t.Errorf("banned user: %v, want 422", err)
	}
	if _, err := sdk.Revoke(ctx, "sit_unknown"); !isAPIStatus(err, http.StatusNotFound) {
		t.Errorf("revoking an unknown token: %v, want 404", err)
	}
}

// A token made before its user was banned signs nobody in, and stays
// usable for when the ban is lifted.
func TestSignInTokenOfABannedUser(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	sdk := signintoken.NewClient(clerkConfig(p))
	ada := apiUser(t, p, "ada@example.com")
	tok, err := sdk.Create(context.Background(), &signintoken.CreateParams{UserID: clerk.String(ada)})
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, p)
	confirm := b.get(mustParse(t, *tok.URL).RequestURI())
	if r := api(t, p, http.MethodPost, "/v1/users/"+ada+"/ban", nil, nil); r.Status != http.StatusOK {
		t.Fatalf("ban: %d %s", r.Status, r.Body)
	}
	pg := b.submit(confirm, ticketForm, nil)
	if pg.Status != http.StatusForbidden || pg.setCookie("__session") != nil {
		t.Errorf("banned: %d %q, want 403 and no session", pg.Status, pg.text())
	}
	if r := api(t, p, http.MethodPost, "/v1/users/"+ada+"/unban", nil, nil); r.Status != http.StatusOK {
		t.Fatalf("unban: %d %s", r.Status, r.Body)
	}
	// No redirect_url: the portal's own page, signed in.
	if pg := b.submit(b.get(mustParse(t, *tok.URL).RequestURI()), ticketForm, nil); pg.Status != http.StatusOK ||
		!strings.Contains(pg.text(), "signed in as ada@example.com") || activeSessions(t, p, ada) != 1 {
		t.Errorf("after the unban: %d %q", pg.Status, pg.text())
	}
}

func isAPIStatus(err error, status int) bool {
	var e *clerk.APIErrorResponse
	return errors.As(err, &e) && e.HTTPStatusCode == status
}

// REQ-IN-09: a sign-in token is a first factor only. For an account with
// an authenticator app, using one leads to the second step with no
// session; the app's code then signs in and lands on the target.
func TestSignInTokenStillAsksForTheSecondFactor_REQ_IN_09(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{})
	owner := newBrowser(t, p)
	wantHandBack(t, signUp(t, p, owner, "ada@example.com", appURL), http.StatusSeeOther, appURL)
	secret, _ := enrolTOTP(t, owner, clock)
	u, err := p.Store.Q.UserByIdentifier(context.Background(), user.Email, "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		URL string `json:"url"`
	}
	if r := api(t, p, http.MethodPost, "/v1/sign_in_tokens", map[string]any{"user_id": u.ID}, &tok); r.Status != http.StatusOK {
		t.Fatalf("POST /v1/sign_in_tokens: %d %s", r.Status, r.Body)
	}
	clock.Advance(time.Minute) // a fresh TOTP step, not the one used to enrol
	link := mustParse(t, tok.URL)
	b := newBrowser(t, p)
	second := b.submit(b.get(link.RequestURI()+"&redirect_url="+url.QueryEscape(appURL)), ticketForm, nil)
	if second.URL.Path != "/sign-in/factor-two" || b.cookie("__session") != "" || second.Doc.Find(factorTwoForm).Length() != 1 {
		t.Fatalf("after the token: %d at %s with session %q, want the second step and no session:\n%s",
			second.Status, second.URL, b.cookie("__session"), second.text())
	}
	c, _ := verify(t, p, wantHandBack(t, b.submit(second, factorTwoForm, map[string]string{"code": totpCode(t, secret, clock.Now())}),
		http.StatusSeeOther, appURL))
	if c.Subject != u.ID {
		t.Errorf("signed in as %s, want %s", c.Subject, u.ID)
	}
}

// countSetCookies counts the Set-Cookie headers of pg for the cookie name.
func countSetCookies(pg *page, name string) int {
	n := 0
	for _, h := range pg.Header.Values("Set-Cookie") {
		if ck, err := http.ParseSetCookie(h); err == nil && ck.Name == name {
			n++
		}
	}
	return n
}
