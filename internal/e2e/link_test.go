package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/testutil/portaltest"
	"github.com/portalhq/portal/internal/user"
)

// linkEnv offers the email link first; sign-up still verifies by code, so
// the signUp helper works.
var linkEnv = map[string]string{"PORTAL_FACTORS": "email_link,email_code,password"}

// startLink starts a portal where ada@example.com has an account, and
// returns it with the page a second browser waits on after asking for a
// sign-in link to appURL, and the link.
func startLink(t *testing.T, env map[string]string) (*portaltest.Portal, *clockwork.FakeClock, *browser, *page, string) {
	t.Helper()
	p, clock := startFake(t, portaltest.Options{Env: env})
	signUp(t, p, newBrowser(t, p), "ada@example.com", "")
	b := newBrowser(t, p)
	wait := b.submit(b.get(withRedirect("/sign-in", appURL)), signInForm, map[string]string{"identifier": "ada@example.com"})
	wantText(t, "after the identifier", wait, http.StatusOK, "Check your email", "Waiting for you to open the link")
	return p, clock, b, wait, p.SMTP.WaitFor(t, "ada@example.com", mailWait).Link()
}

// REQ-OTP-09: opening the link (GET, as a mail scanner does) only shows a
// page, without a Referer to leak the token; the POST from its button signs
// in and hands back to the app; the link then says it was used.
func TestMagicLinkSameBrowser_REQ_OTP_09(t *testing.T) {
	p, _, b, wait, link := startLink(t, linkEnv)
	// Without scripts the page refreshes itself; with them, static/wait.js
	// asks in the background and reloads only once the link is opened.
	if got := wait.Doc.Find("head noscript").Text(); !strings.Contains(got, `http-equiv="refresh" content="3"`) {
		t.Errorf("the waiting page's <noscript> holds %q, want a refresh after 3 seconds", got)
	}
	if got := wait.Doc.Find(`script[src="/static/wait.js"]`).AttrOr("data-seconds", ""); got != "3" {
		t.Errorf("the waiting page's script asks every %q seconds, want 3", got)
	}
	if !strings.HasPrefix(link, p.URL+"/v1/verify?token=") {
		t.Fatalf("emailed link %q, want %s/v1/verify?token=…", link, p.URL)
	}

	var confirm *page
	for i := range 2 { // a scanner's fetch, then the person's
		confirm = b.get(link)
		wantText(t, "GET of the link", confirm, http.StatusOK, "Sign in", "ada@example.com")
		if got := confirm.Header.Get("Referrer-Policy"); got != "no-referrer" {
			t.Errorf("GET %d: Referrer-Policy %q, want no-referrer", i+1, got)
		}
		if got := confirm.Doc.Find(`meta[name="referrer"]`).AttrOr("content", ""); got != "no-referrer" {
			t.Errorf("GET %d: <meta name=referrer> %q, want no-referrer", i+1, got)
		}
		noSession(t, "GET of the link", confirm)
	}
	done := b.submit(confirm, linkConfirmForm, nil)
	wantHandBack(t, done, http.StatusSeeOther, appURL)

	// Opened again here, signed in now, it says so and goes on
	// (TestSpentLinkWhileSignedInGoesOn); in a browser signed out, it says
	// it was used and offers a new one, and its POST signs nobody in.
	out := newBrowser(t, p)
	used := out.get(link)
	wantText(t, "the link again", used, http.StatusGone, "already used")
	askForNewLink(t, "used link", used)
	again := out.postForm(http.MethodPost, "/v1/verify", url.Values{"_csrf": {out.csrf()}, "token": {tokenOf(t, link)}}, nil)
	wantText(t, "POST of the used link", again, http.StatusGone, "already used")
	noSession(t, "POST of the used link", again)
}

// REQ-OTP-08: the link is built from PORTAL_BASE_URL, whatever Host and
// X-Forwarded-Host the request that asked for it carried.
func TestMagicLinkIgnoresRequestHost_REQ_OTP_08(t *testing.T) {
	p, _ := startFake(t, portaltest.Options{Env: linkEnv})
	signUp(t, p, newBrowser(t, p), "ada@example.com", "")
	b := newBrowser(t, p)
	action, vals := b.formValues(b.get("/sign-in"), signInForm, map[string]string{"identifier": "ada@example.com"})
	req := b.request(http.MethodPost, action.String(), vals)
	req.Host = "evil.example"
	// The cookie jar files cookies under the Host sent, so carry them by hand.
	for _, c := range b.jar.Cookies(b.base) {
		req.AddCookie(c)
	}
	req.Header.Set("X-Forwarded-Host", "evil.example")
	req.Header.Set("X-Forwarded-Proto", "https")
	req.Header.Set("Forwarded", "host=evil.example;proto=https")
	if pg := b.send(req); pg.Status != http.StatusSeeOther {
		t.Fatalf("identifier with a foreign Host: status %d:\n%s", pg.Status, pg.text())
	}
	m := p.SMTP.WaitFor(t, "ada@example.com", mailWait)
	if link := m.Link(); !strings.HasPrefix(link, p.URL+"/v1/verify?token=") {
		t.Errorf("emailed link %q, want it on %s", link, p.URL)
	}
	if strings.Contains(string(m.Data), "evil.example") {
		t.Errorf("the email mentions the request's host:\n%s", m.Data)
	}
}

// A link opened on another device: that device is told to go back and gets
// no session; the tab that asked completes on its next (automatic) reload.
func TestMagicLinkOtherDevice(t *testing.T) {
	p, _, b, wait, link := startLink(t, linkEnv)
	still := b.getRaw(flowPath(wait))
	wantText(t, "the tab before the link is opened", still, http.StatusOK, "Waiting for you to open the link")
	// The waiting page's script asks before reloading: 204, keep waiting.
	probe := func() int {
		req := b.request(http.MethodGet, flowPath(wait), nil)
		req.Header.Set("X-Portal-Wait", "1")
		return b.send(req).Status
	}
	if st := probe(); st != http.StatusNoContent {
		t.Errorf("asked before the link is opened: %d, want 204", st)
	}

	phone := newBrowser(t, p)
	done := phone.submit(phone.get(link), linkConfirmForm, nil)
	wantText(t, "the other device", done, http.StatusOK, "You're signed in on your other device")
	noSession(t, "the other device", done)
	if phone.cookie("__session") != "" {
		t.Error("the other device holds a __session cookie")
	}

	// Now 205, reload; asking twice changes nothing, the reload signs in.
	for range 2 {
		if st := probe(); st != http.StatusResetContent {
			t.Errorf("asked after the link is opened: %d, want 205", st)
		}
	}
	wantHandBack(t, b.getRaw(flowPath(wait)), http.StatusSeeOther, appURL)
}

// PORTAL_EMAIL_LINK_OTHER_DEVICE_SESSION=true signs the other device in
// too, even one that never saw the portal before.
func TestMagicLinkOtherDeviceSession(t *testing.T) {
	env := map[string]string{"PORTAL_EMAIL_LINK_OTHER_DEVICE_SESSION": "true"}
	for k, v := range linkEnv {
		env[k] = v
	}
	p, _, b, wait, link := startLink(t, env)
	phone := newBrowser(t, p)
	done := phone.submit(phone.get(link), linkConfirmForm, nil)
	if done.Status != http.StatusSeeOther || done.setCookie("__session") == nil {
		t.Errorf("the other device: status %d, Location %q, want a hand-back with a session:\n%s",
			done.Status, done.Header.Get("Location"), done.text())
	}
	wantHandBack(t, b.getRaw(flowPath(wait)), http.StatusSeeOther, appURL)
}

// REQ-OTP-02, REQ-OTP-03: an expired, a tampered and a truncated link each
// get a 4xx page that says why and offers a new link; none signs in.
func TestBadLinks_REQ_OTP_02_REQ_OTP_03(t *testing.T) {
	p, clock, b, _, link := startLink(t, linkEnv)
	tok := tokenOf(t, link)
	flip := "A"
	if tok[20] == 'A' {
		flip = "B"
	}
	for _, c := range []struct {
		name, link string
		status     int
		says       string
	}{
		{"tampered", withToken(t, link, tok[:20]+flip+tok[21:]), http.StatusBadRequest, "isn't valid"},
		{"truncated", withToken(t, link, tok[:30]), http.StatusBadRequest, "isn't valid"},
		{"no token", p.URL + "/v1/verify", http.StatusBadRequest, "isn't valid"},
	} {
		pg := b.get(c.link)
		wantText(t, c.name+" link", pg, c.status, c.says)
		askForNewLink(t, c.name+" link", pg)
	}
	// Posting a tampered token is refused the same way.
	post := b.postForm(http.MethodPost, "/v1/verify", map[string][]string{
		"_csrf": {b.csrf()}, "token": {tok[:20] + flip + tok[21:]}}, nil)
	wantText(t, "POST of a tampered token", post, http.StatusBadRequest, "isn't valid")
	noSession(t, "POST of a tampered token", post)

	clock.Advance(11 * time.Minute)
	expired := b.get(link)
	wantText(t, "link after 11 minutes", expired, http.StatusGone, "expired", "10 minutes")
	askForNewLink(t, "expired link", expired)
	post = b.postForm(http.MethodPost, "/v1/verify", map[string][]string{"_csrf": {b.csrf()}, "token": {tok}}, nil)
	wantText(t, "POST of an expired link", post, http.StatusGone, "expired")
	noSession(t, "POST of an expired link", post)
}

// signUpLinkEnv verifies email addresses at sign-up by link only.
var signUpLinkEnv = map[string]string{"PORTAL_FACTORS": "email_link"}

// Sign-up with links only: the link verifies the address and creates the
// account, in the same browser or, from another device, in the tab that
// started it.
func TestSignUpByLink(t *testing.T) {
	p, _ := startFake(t, portaltest.Options{Env: signUpLinkEnv})

	t.Run("same browser", func(t *testing.T) {
		b := newBrowser(t, p)
		wait := signUpWith(b, map[string]string{"email_address": "ada@example.com", "first_name": "Ada"}, appURL)
		wantText(t, "after the sign-up form", wait, http.StatusOK, "Check your email")
		link := p.SMTP.WaitFor(t, "ada@example.com", mailWait).Link()
		confirm := b.get(link)
		wantText(t, "GET of the link", confirm, http.StatusOK, "Verify your email address", "ada@example.com")
		wantHandBack(t, b.submit(confirm, linkConfirmForm, nil), http.StatusSeeOther, appURL)
		wantVerified(t, p, user.Email, "ada@example.com")
	})

	t.Run("other device", func(t *testing.T) {
		b := newBrowser(t, p)
		wait := signUpWith(b, map[string]string{"email_address": "bob@example.com"}, appURL)
		link := p.SMTP.WaitFor(t, "bob@example.com", mailWait).Link()
		phone := newBrowser(t, p)
		done := phone.submit(phone.get(link), linkConfirmForm, nil)
		wantText(t, "the other device", done, http.StatusOK, "Your email address is verified")
		noSession(t, "the other device", done)
		wantHandBack(t, b.getRaw(flowPath(wait)), http.StatusSeeOther, appURL)
		wantVerified(t, p, user.Email, "bob@example.com")
	})
}

// REQ-OTP-08 beyond the magic link, with the proxy trusted
// (PORTAL_TRUSTED_PROXIES) and every request naming another host in
// X-Forwarded-Host, X-Forwarded-Proto and Forwarded: the sign-up code's
// email, the sign-in link, an organization's invitation sent from its page
// and an application invitation sent through the Backend API (its email
// and the url in the answer) all point at PORTAL_BASE_URL and never name
// that host.
func TestEveryEmailedLinkIgnoresForwardedHost_REQ_OTP_08(t *testing.T) {
	env := map[string]string{"PORTAL_TRUSTED_PROXIES": "127.0.0.1/32"}
	for k, v := range linkEnv {
		env[k] = v
	}
	p, _ := startFake(t, portaltest.Options{Env: env})
	const evil = "evil.example"
	forwarded := http.Header{"X-Forwarded-Host": {evil}, "X-Forwarded-Proto": {"https"},
		"Forwarded": {"for=198.51.100.7;host=" + evil + ";proto=https"}, "X-Forwarded-For": {"198.51.100.7"}}
	b := newBrowser(t, p)
	b.header = forwarded
	wantHandBack(t, signUp(t, p, b, "ada@example.com", appURL), http.StatusSeeOther, appURL)

	lb := newBrowser(t, p)
	lb.header = forwarded
	wantText(t, "the identifier step", lb.submit(lb.get(withRedirect("/sign-in", appURL)), signInForm,
		map[string]string{"identifier": "ada@example.com"}), http.StatusOK, "Check your email")
	p.SMTP.WaitFor(t, "ada@example.com", mailWait)

	ada := &member{b: b, email: "ada@example.com"}
	org := ada.createOrg(t, p, "Acme")
	ada.invite(t, p, org.OrgID, "bob@example.com", "org:member")

	body := strings.NewReader(`{"email_address":"cy@example.com","notify":true}`)
	req, err := http.NewRequest(http.MethodPost, p.URL+"/v1/invitations", body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header = forwarded.Clone()
	req.Header.Set("Authorization", "Bearer "+p.SecretKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var inv struct {
		URL string `json:"url"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(answer, &inv) != nil || !strings.HasPrefix(inv.URL, p.URL+"/") {
		t.Errorf("POST /v1/invitations with a forwarded host: %d, url %q; want it on %s", resp.StatusCode, inv.URL, p.URL)
	}
	p.SMTP.WaitFor(t, "cy@example.com", mailWait)

	msgs := p.SMTP.Messages()
	if len(msgs) < 4 {
		t.Fatalf("%d emails, want at least the four above", len(msgs))
	}
	for _, m := range msgs {
		if strings.Contains(string(m.Data), evil) {
			t.Errorf("the email to %v %q names %s:\n%s", m.To, m.Subject, evil, m.Text)
		}
		for _, l := range linkRE.FindAllString(m.Text+" "+m.HTML, -1) {
			if u, err := url.Parse(l); err == nil && !strings.HasPrefix(l, p.URL) && strings.Contains(u.Host, "localhost") {
				t.Errorf("the email to %v %q links to %s, not %s", m.To, m.Subject, l, p.URL)
			}
		}
	}
}

var linkRE = regexp.MustCompile(`https?://[^\s<>"']+`)
