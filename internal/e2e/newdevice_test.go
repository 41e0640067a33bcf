package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/actortoken"
	"github.com/clerk/clerk-sdk-go/v2/signintoken"
	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// User-Agents of real browsers, as they sign in.
const (
	safariOnMac    = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15"
	firefoxOnWin   = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
	newSignInTitle = "New sign-in to Portal"
	// notifyNewSignIn is on by default, but off in portaltest unless a
	// test turns it on.
	notifyNewSignIn = "PORTAL_NOTIFY_NEW_SIGN_IN"
)

// browserAs is a fresh browser (its own cookie jar) that sends userAgent,
// and X-Forwarded-For: ip when ip is set (behind PORTAL_TRUSTED_PROXIES).
func browserAs(t *testing.T, p *portaltest.Portal, userAgent, ip string) *browser {
	b := newBrowser(t, p)
	b.header = http.Header{"User-Agent": {userAgent}}
	if ip != "" {
		b.header.Set("X-Forwarded-For", ip)
	}
	return b
}

// mailsTo lists the messages to addr from the index from on, once the
// work each request left for after its answer is done.
func mailsTo(p *portaltest.Portal, addr string, from int) []string {
	p.Settle()
	var out []string
	for _, m := range p.SMTP.Messages()[from:] {
		if slices.Contains(m.To, addr) {
			out = append(out, m.Subject)
		}
	}
	return out
}

// REQ-RL-07: a sign-in from a browser the account has not been used on
// emails the owner once, after the answer: when, which browser on which
// system, the IP address, how, and where to sign devices out. Signing up
// sends only the code; signing in again on the sign-up's browser sends
// nothing, nor does the new browser signing in a second time from another
// network. Both browsers are known by their cookie chain alone here: the
// first sends a User-Agent of no known kind, the second moves network.
func TestNewSignInEmailsTheOwnerOnce_REQ_RL_07(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{Env: map[string]string{notifyNewSignIn: "true", "PORTAL_TRUSTED_PROXIES": "127.0.0.1/32"}})
	const ada = "ada@example.com"
	home := browserAs(t, p, "Go-http-client/1.1", "198.51.100.20")
	start := len(p.SMTP.Messages())
	signUp(t, p, home, ada, "")
	if got := mailsTo(p, ada, start); len(got) != 1 {
		t.Fatalf("signing up sent %q, want the code alone", got)
	}

	before := len(p.SMTP.Messages())
	home.submit(home.get("/sign-out"), signOutForm, nil)
	clock.Advance(time.Hour)
	wantHandBack(t, signIn(t, home, ada, goodPassword, appURL), http.StatusSeeOther, appURL)
	if got := mailsTo(p, ada, before); len(got) != 0 {
		t.Fatalf("signing in again on the sign-up's browser sent %q, want nothing", got)
	}

	clock.Advance(time.Hour)
	away := browserAs(t, p, firefoxOnWin, "198.51.100.20")
	wantHandBack(t, signIn(t, away, ada, goodPassword, appURL), http.StatusSeeOther, appURL)
	m := p.SMTP.WaitFor(t, ada, mailWait)
	text := unwrapText(m.Text)
	if m.Subject != newSignInTitle {
		t.Errorf("subject %q, want %q", m.Subject, newSignInTitle)
	}
	for _, want := range []string{"Device: Firefox on Windows", "IP address: 198.51.100.20", "Signed in with: Password",
		"When: ", "If this was you, you can ignore this email.",
		"If it wasn't, change your password and sign out of the devices you don't recognize:", p.URL + "/user#devices"} {
		if !strings.Contains(text, want) {
			t.Errorf("the email does not say %q:\n%s", want, m.Text)
		}
	}
	if !strings.Contains(m.HTML, `href="`+p.URL+`/user#devices"`) {
		t.Errorf("the HTML part has no button to the devices:\n%s", m.HTML)
	}
	for _, secret := range []string{goodPassword, "__client", "sess_", "client_"} {
		if strings.Contains(m.Text, secret) || strings.Contains(m.HTML, secret) {
			t.Errorf("the email carries %q", secret)
		}
	}
	for _, line := range strings.Split(strings.ReplaceAll(m.Text, "\r\n", "\n"), "\n") {
		if len([]rune(line)) > 78 && (strings.Contains(line, " ") || !strings.HasPrefix(line, "http")) {
			t.Errorf("a text line of %d characters: %q", len([]rune(line)), line)
		}
	}
	if got := mailsTo(p, ada, before); len(got) != 1 {
		t.Errorf("after the new browser's sign-in: %q, want the one notice", got)
	}

	before = len(p.SMTP.Messages())
	away.submit(away.get("/sign-out"), signOutForm, nil)
	away.header.Set("X-Forwarded-For", "203.0.113.9") // the same laptop, at a café
	clock.Advance(time.Hour)
	wantHandBack(t, signIn(t, away, ada, goodPassword, appURL), http.StatusSeeOther, appURL)
	if got := mailsTo(p, ada, before); len(got) != 0 {
		t.Errorf("the same new browser signing in again sent %q, want nothing", got)
	}
}

// REQ-RL-07: once its __client cookie is gone (it lasts a session's
// lifetime; cleared cookies, a private window), a browser is still known
// by its kind and network: the same kind of browser from the same
// network is not reported, from another network it is; and the kind's
// name comes from a list, so a made-up User-Agent is "Unknown browser".
func TestNewSignInKnowsTheBrowserByKindAndNetwork_REQ_RL_07(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{Env: map[string]string{notifyNewSignIn: "true", "PORTAL_TRUSTED_PROXIES": "127.0.0.1/32"}})
	const ada = "ada@example.com"
	signUp(t, p, browserAs(t, p, safariOnMac, "198.51.100.20"), ada, "")

	before := len(p.SMTP.Messages())
	clock.Advance(time.Hour)
	// The same Mac from home, its cookies cleared; the address changed
	// within the provider's network.
	wantHandBack(t, signIn(t, browserAs(t, p, safariOnMac, "198.51.7.9"), ada, goodPassword, appURL), http.StatusSeeOther, appURL)
	if got := mailsTo(p, ada, before); len(got) != 0 {
		t.Fatalf("the same kind of browser from the same network sent %q, want nothing", got)
	}

	for i, c := range []struct{ ua, ip, device string }{
		{safariOnMac, "203.0.113.5", "Device: Safari on macOS"}, // someone else's Mac, elsewhere
		{"Call +1 555 0100 to secure your account", "198.51.100.20", "Device: Unknown browser"},
	} {
		clock.Advance(time.Hour)
		wantHandBack(t, signIn(t, browserAs(t, p, c.ua, c.ip), ada, goodPassword, appURL), http.StatusSeeOther, appURL)
		m := p.SMTP.WaitFor(t, ada, mailWait)
		if text := unwrapText(m.Text); m.Subject != newSignInTitle || !strings.Contains(text, c.device) ||
			!strings.Contains(text, "IP address: "+c.ip) || strings.Contains(text, "555") {
			t.Errorf("sign-in %d: email %q:\n%s", i+1, m.Subject, m.Text)
		}
	}
	if got := mailsTo(p, ada, before); len(got) != 2 {
		t.Errorf("emails %q, want the two notices", got)
	}
}

// REQ-RL-07: PORTAL_NOTIFY_NEW_SIGN_IN=false turns the notice off.
func TestNewSignInNoticeTurnedOff_REQ_RL_07(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{Env: map[string]string{notifyNewSignIn: "false"}})
	const ada = "ada@example.com"
	signUp(t, p, browserAs(t, p, safariOnMac, ""), ada, "")
	before := len(p.SMTP.Messages())
	clock.Advance(time.Hour)
	wantHandBack(t, signIn(t, browserAs(t, p, firefoxOnWin, ""), ada, goodPassword, appURL), http.StatusSeeOther, appURL)
	if got := mailsTo(p, ada, before); len(got) != 0 {
		t.Errorf("with the notice off, a new browser's sign-in sent %q", got)
	}
}

// REQ-RL-07: the notice names the way in, whichever it was (here an
// emailed code), and goes in the instance's language, not the one the
// person signing in chose: they may not be the owner.
func TestNewSignInNoticeNamesTheWayInInTheInstancesLanguage_REQ_RL_07(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{Env: map[string]string{notifyNewSignIn: "true", "PORTAL_DEFAULT_LOCALE": "de"}})
	const ada = "ada@example.com"
	signUp(t, p, browserAs(t, p, safariOnMac, ""), ada, "")
	clock.Advance(time.Hour)

	b := browserAs(t, p, firefoxOnWin, "")
	b.header.Set("Accept-Language", "fr")
	codePage := b.submit(passwordStep(t, b, ada, appURL), `form[action="/sign-in/factor-one/prepare"]`,
		map[string]string{"strategy": "email_code"})
	code := p.SMTP.WaitFor(t, ada, mailWait).Code()
	wantHandBack(t, b.submit(codePage, passwordForm, map[string]string{"code": code}), http.StatusSeeOther, appURL)
	m := p.SMTP.WaitFor(t, ada, mailWait)
	text := unwrapText(m.Text)
	for _, want := range []string{"Neue Anmeldung bei Portal", "Gerät: Firefox unter Windows", "Angemeldet mit: Code per E-Mail"} {
		if !strings.Contains(m.Subject+"\n"+text, want) {
			t.Errorf("the notice does not say %q (subject %q):\n%s", want, m.Subject, m.Text)
		}
	}
	if strings.Contains(text, "Appareil") {
		t.Errorf("the notice is in the language of the person signing in:\n%s", m.Text)
	}
}

// REQ-RL-07: what is not the person's own sign-in is not reported, nor
// makes a browser known: an impersonation through an actor token and a
// session the Backend API makes. A sign-in token is the person's way in,
// and is reported, named as such.
func TestNewSignInNoticeLeavesOutWhatIsNotThePersons_REQ_RL_07(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{Env: map[string]string{notifyNewSignIn: "true"}})
	ctx := context.Background()
	const ada = "ada@example.com"
	signUp(t, p, browserAs(t, p, safariOnMac, ""), ada, "")
	adaID, support := userID(t, p, ada), apiUser(t, p, "support@example.com")
	before := len(p.SMTP.Messages())

	clock.Advance(time.Hour)
	act, err := actortoken.NewClient(clerkConfig(p)).Create(ctx, &actortoken.CreateParams{UserID: clerk.String(adaID),
		Actor: json.RawMessage(`{"sub":"` + support + `"}`)})
	if err != nil {
		t.Fatal(err)
	}
	helper := browserAs(t, p, firefoxOnWin, "")
	link := mustParse(t, *act.URL).RequestURI() + "&redirect_url=" + url.QueryEscape(appURL)
	wantHandBack(t, helper.submit(helper.get(link), ticketForm, nil), http.StatusSeeOther, appURL)
	if r := api(t, p, http.MethodPost, "/v1/sessions", map[string]any{"user_id": adaID}, nil); r.Status != http.StatusOK {
		t.Fatalf("POST /v1/sessions: %d %s", r.Status, r.Body)
	}
	if got := mailsTo(p, ada, before); len(got) != 0 {
		t.Fatalf("an impersonation and a Backend API session sent %q, want nothing", got)
	}

	clock.Advance(time.Hour)
	tok, err := signintoken.NewClient(clerkConfig(p)).Create(ctx, &signintoken.CreateParams{UserID: clerk.String(adaID)})
	if err != nil {
		t.Fatal(err)
	}
	b := browserAs(t, p, firefoxOnWin, "") // as the impersonation's browser, which taught nothing
	link = mustParse(t, *tok.URL).RequestURI() + "&redirect_url=" + url.QueryEscape(appURL)
	wantHandBack(t, b.submit(b.get(link), ticketForm, nil), http.StatusSeeOther, appURL)
	m := p.SMTP.WaitFor(t, ada, mailWait)
	if text := unwrapText(m.Text); m.Subject != newSignInTitle || !strings.Contains(text, "Signed in with: One-time sign-in link") {
		t.Errorf("after a sign-in token: %q:\n%s", m.Subject, m.Text)
	}
	if got := mailsTo(p, ada, before); len(got) != 1 {
		t.Errorf("emails %q, want the one notice", got)
	}
}

// REQ-RL-07: an account made through a provider has no password, so the
// notice of a new sign-in through that provider does not tell the owner to
// change one: it says to check the provider's account and sign out of the
// devices they don't recognize.
func TestNewSignInNoticeWithoutPassword_REQ_RL_07(t *testing.T) {
	clock := clockwork.NewFakeClockAt(time.Now())
	p, _ := startWithOIDC(t, portaltest.Options{Clock: clock, Env: map[string]string{notifyNewSignIn: "true"}})
	const ada = "ada@example.com"
	home := browserAs(t, p, safariOnMac, "")
	wantHandBack(t, viaProvider(t, home, providerButton(t, home.get(withRedirect("/sign-up", appURL)), corp)),
		http.StatusSeeOther, appURL)
	before := len(p.SMTP.Messages())

	clock.Advance(time.Hour)
	away := browserAs(t, p, firefoxOnWin, "")
	wantHandBack(t, viaProvider(t, away, providerButton(t, away.get(withRedirect("/sign-in", appURL)), corp)),
		http.StatusSeeOther, appURL)
	m := p.SMTP.WaitFor(t, ada, mailWait)
	text := unwrapText(m.Text)
	if m.Subject != newSignInTitle || !strings.Contains(text, "Signed in with: "+corpDisplay+" account") ||
		!strings.Contains(text, "If it wasn't, check your "+corpDisplay+" account and sign out of the devices you don't recognize:") ||
		strings.Contains(strings.ToLower(text), "password") {
		t.Errorf("%q, want the notice with no word of a password:\n%s", m.Subject, m.Text)
	}
	if got := mailsTo(p, ada, before); len(got) != 1 {
		t.Errorf("emails %q, want the one notice", got)
	}
}
