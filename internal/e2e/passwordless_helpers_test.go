package e2e

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/testutil/portaltest"
	"github.com/portalhq/portal/internal/testutil/twiliotest"
	"github.com/portalhq/portal/internal/user"
)

// Twilio credentials the portal is configured with; twiliotest refuses any
// request not authenticated as them.
const (
	twilioSID   = "AC0123456789abcdef0123456789abcdef"
	twilioToken = "e2e-twilio-auth-token"
	twilioFrom  = "+15005550006"
)

// More form selectors, for the steps of issue 3.
const (
	codeForm        = `form[action="/sign-in/factor-one"]` // the code form shares the password form's action
	prepareForm     = `form[action="/sign-in/factor-one/prepare"]`
	phoneVerifyForm = `form[action="/sign-up/verify-phone-number"]`
	phoneResendForm = `form[action="/sign-up/verify-phone-number/resend"]`
	linkConfirmForm = `form[action="/v1/verify"]`
	newPasswordForm = `form[action="/sign-in/reset-password"]`
)

// twilioEnv sends the portal's texts through its real Twilio client to tw.
func twilioEnv(tw *twiliotest.Server, extra map[string]string) map[string]string {
	env := map[string]string{
		"PORTAL_SMS_PROVIDER":       "twilio",
		"PORTAL_TWILIO_ACCOUNT_SID": twilioSID,
		"PORTAL_TWILIO_AUTH_TOKEN":  twilioToken,
		"PORTAL_TWILIO_FROM":        twilioFrom,
		"PORTAL_TWILIO_API_URL":     tw.URL(),
	}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

// startTwilio starts a portal on a fake clock that texts through twiliotest.
func startTwilio(t *testing.T, env map[string]string) (*portaltest.Portal, *clockwork.FakeClock, *twiliotest.Server) {
	t.Helper()
	tw := twiliotest.Start(t, twilioSID, twilioToken)
	p, clock := startFake(t, portaltest.Options{Env: twilioEnv(tw, env)})
	return p, clock, tw
}

// signUpWith submits the sign-up form with fields and follows the portal's
// redirects.
func signUpWith(b *browser, fields map[string]string, target string) *page {
	b.t.Helper()
	return b.submit(b.get(withRedirect("/sign-up", target)), signUpForm, fields)
}

// wantText fails unless pg has status and its visible text contains each of want.
func wantText(t *testing.T, what string, pg *page, status int, want ...string) {
	t.Helper()
	if pg.Status != status {
		t.Fatalf("%s: status %d, want %d:\n%s", what, pg.Status, status, pg.text())
	}
	for _, w := range want {
		if !strings.Contains(pg.text(), w) {
			t.Fatalf("%s: the page does not say %q:\n%s", what, w, pg.text())
		}
	}
}

// smsTo waits for the next text message to e164 and checks what Twilio was
// asked to send: from the configured sender, to exactly that number, with
// a code.
func smsTo(t *testing.T, tw *twiliotest.Server, e164 string) twiliotest.Message {
	t.Helper()
	m := tw.WaitFor(t, e164, mailWait)
	if m.From != twilioFrom || m.To != e164 || m.Code() == "" {
		t.Fatalf("text = {From %q To %q Body %q}, want from %s to %s with a code", m.From, m.To, m.Body, twilioFrom, e164)
	}
	return m
}

// noTexts fails if Twilio was asked to send anything.
func noTexts(t *testing.T, tw *twiliotest.Server) {
	t.Helper()
	if msgs := tw.Messages(); len(msgs) != 0 {
		t.Fatalf("%d text messages sent, want none: %+v", len(msgs), msgs)
	}
}

// flowPath is the path and query of the step pg shows (pg.URL after
// redirects), for a tab reloading it.
func flowPath(pg *page) string { return pg.URL.RequestURI() }

// tokenOf returns the token of an emailed link.
func tokenOf(t *testing.T, link string) string {
	t.Helper()
	u := mustParse(t, link)
	tok := u.Query().Get("token")
	if tok == "" {
		t.Fatalf("no token in link %q", link)
	}
	return tok
}

// withToken returns link with its token replaced.
func withToken(t *testing.T, link, tok string) string {
	t.Helper()
	u := mustParse(t, link)
	u.RawQuery = url.Values{"token": {tok}}.Encode()
	return u.String()
}

// askForNewLink checks that pg offers a way to ask for a new link.
func askForNewLink(t *testing.T, what string, pg *page) {
	t.Helper()
	a := pg.Doc.Find(`a[href="/sign-in"]`)
	if a.Length() == 0 || !strings.Contains(a.Text(), "Ask for a new link") {
		t.Errorf("%s: no link to ask for a new one:\n%s", what, pg.Body)
	}
}

// noSession checks that pg set no session cookie.
func noSession(t *testing.T, what string, pg *page) {
	t.Helper()
	if c := pg.setCookie("__session"); c != nil && c.Value != "" {
		t.Errorf("%s set a __session cookie", what)
	}
	if pg.Status == http.StatusSeeOther && !strings.HasPrefix(pg.Header.Get("Location"), "/") {
		t.Errorf("%s handed back to %s", what, pg.Header.Get("Location"))
	}
}

// wantVerified returns the account that owns value as a verified
// identifier of kind.
func wantVerified(t *testing.T, p *portaltest.Portal, kind, value string) *user.User {
	t.Helper()
	u, err := p.Store.Q.UserByIdentifier(context.Background(), kind, value)
	if err != nil {
		t.Fatalf("no account with %s %s: %v", kind, value, err)
	}
	if !u.Has(kind, value) {
		t.Fatalf("account %s has %s %s unverified", u.ID, kind, value)
	}
	return u
}
