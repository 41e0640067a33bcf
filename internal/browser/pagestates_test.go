package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/org"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/signintoken"
	"github.com/portalhq/portal/internal/testutil/oidctest"
	"github.com/portalhq/portal/internal/testutil/portaltest"
	"github.com/portalhq/portal/internal/testutil/pwnedtest"
	"github.com/portalhq/portal/internal/testutil/totptest"
	"github.com/portalhq/portal/internal/user"
)

// The people of the page matrix. Grace has an account and is signed in in
// her own browser; the anonymous browser is half-way through signing in
// to her account in every way at once, and through three sign-ups; Ada is
// signed in, with a phone number, an organization and an address being
// added.
const (
	adaEmail = "ada@example.com"
	adaPhone = "+14155550100"
	// an address the operator gave Ada unverified
	adaUnverifiedEmail = "ada.unverified@example.com"
	adaWorkEmail       = "ada.work@example.com"
	graceEmail         = "grace@example.com"
	carolEmail         = "carol@example.com"
	danEmail           = "dan@example.com"
	danPhone           = "+14155550101"
	eveEmail           = "eve@example.com"
	heidiEmail         = "heidi@example.com"
	judyEmail          = "judy@example.com"
	ivanEmail          = "ivan@example.com"
	kimEmail           = "kim@example.com" // invited to Ada's organization, without an account
	linEmail           = "lin@example.com" // signs in on the waitlist portal with a link
	// breachedPassword passes every local check, but the matrix's fake
	// of the Pwned Passwords range API lists it as seen in breaches.
	breachedPassword = "amber-falcon-window-seventeen-9"
	bobName          = "Bob Jones" // a member of Ada's organization
	bobEmail         = "bob@acme-rockets.test"
	matrixOrgName    = "Acme Rockets"
)

// whose browser a page is seen in.
type who int

const (
	anon         who = iota // nobody signed in
	member                  // Ada, signed in, admin of an organization
	invitee                 // Grace, signed in, invited to Ada's organization
	hopeful                 // nobody signed in, on the waitlist portal only
	impersonator            // Ada's support, signed in as Grace through an actor token
	suggested               // Heidi, signed in, with Ada's organization suggested to her
	requester               // Eve, signed in, who asked to join Ada's organization
	stranger                // nobody signed in, on the bot-protected portal only
	newcomer                // Kim, without an account, who followed her invitation to Ada's organization
	linker                  // Lin, signed in on the waitlist portal by an emailed link
)

// people are everyone a page can be seen as.
var people = []who{anon, member, invitee, hopeful, impersonator, suggested, requester, stranger, newcomer, linker}

// states are the IDs and links the pages of the matrix need, made once
// through the real forms.
type states struct {
	password, code, link, reset string // sign-in flows (sia_…) for Grace
	linkPath                    string // the sign-in link emailed to Grace
	signUpEmail, signUpPhone    string // sign-up flows (sua_…) waiting for a code
	signUpContinue              string // a provider sign-up missing the email address (and the consent box)
	signUpConsent               string // a provider sign-up missing the consent box alone
	signUpBotCheck              string // a provider sign-up on the bot-protected portal, waiting for the check
	addEmail, addEmailLink      string // Ada adding an address: its flow and emailed link
	emailID, phoneID            string // Ada's identifiers
	unverifiedEmail             string // an address the operator gave Ada unverified
	unverifiedPhone             string // a number likewise
	orgID, ticket               string
	// Sign-up, where Kim's invitation to Ada's organization led (her
	// browser keeps the invitation).
	invitedSignUp            string
	spentLink                string // a sign-in link for Lin on the waitlist portal, used already
	memberID                 string // Bob Jones's membership of Ada's organization
	passkeyID                string // Ada's passkey
	otherSession, externalID string // Ada's second device, and her connected Corp SSO account
	factorTwo                string // a sign-in flow (sia_…) for Eve, at her second step
	compromised              string // a sign-in flow (sia_…) for Judy, whose right password is marked as compromised
	breached                 string // a sign-in flow (sia_…) for Ivan, whose right password turned up in a breach
	ticketSignIn             string // a sign-in token for Grace (the __clerk_ticket value)
	ticketActor              string // an actor token for Grace, Ada acting (the __clerk_ticket value)
	// Ada's organization's domains: one with a code on its way, one
	// without, one her own address verified (which suggests the
	// organization to people at example.com).
	domainCodeSent, domainNew, domainVerified string
}

// matrix is a portal configured to show as much as it can (every
// identifier, a provider button, optional phone and username, the
// breached-password check) and one browser context per person.
type matrix struct {
	t *testing.T
	p *portaltest.Portal
	// wl is a second portal, configured like p but in waitlist mode, for
	// the pages only that mode has.
	wl *portaltest.Portal
	// bp is a third portal, configured like p but with bot protection on,
	// whose widget and siteverify are a loopback stand-in (captcha) that
	// refuses every token: nobody signs up there.
	bp      *portaltest.Portal
	captcha *httptest.Server
	// elsewhere is another site, on 127.0.0.1 (the portals are on
	// localhost): its page at /?to=URL is a link to URL.
	elsewhere *httptest.Server
	op        *oidctest.Server
	pwned     *pwnedtest.Server // the Pwned Passwords range API p asks
	browser   map[who]*tab
	s         states
	signIns   int // sign-in steps begun, each with a target of its own
	// visitors counts the addresses handed out by from.
	visitors atomic.Uint32
}

// from is the X-Forwarded-For of one page's visit, with the other headers
// h: a new address each time, in 198.18.0.0/15 (RFC 2544: for tests,
// routed nowhere), so that no page shares a rate limit with another.
// ClientIP believes it only because the portals trust loopback (REQ-RL-06).
func (m *matrix) from(h network.Headers) chromedp.Action[chromedp.Void] {
	n := m.visitors.Add(1)
	if n >= 1<<17 {
		m.t.Fatalf("more than %d pages: 198.18.0.0/15 has no address left", 1<<17-1)
	}
	h = maps.Clone(h)
	if h == nil {
		h = network.Headers{}
	}
	h["X-Forwarded-For"] = fmt.Sprintf("198.%d.%d.%d", 18+n>>16, n>>8&0xff, n&0xff)
	return extraHeaders(h)
}

func startMatrix(t *testing.T, timeout time.Duration) *matrix {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test: `make unit` (-short) leaves it out; `make test` runs it")
	}
	op := oidctest.Start(t)
	first := openTab(t, timeout)
	env := map[string]string{
		"PORTAL_IDENTIFIERS":      "email,phone,username",
		"PORTAL_SIGN_UP_REQUIRED": "email_address,password",
		"PORTAL_LOCALES_DIR":      pseudoCatalogDir(t),
		// Sign-up asks for consent, so that its box is checked on every
		// sign-up page, and the step that asks for it alone is a page.
		"PORTAL_LEGAL_CONSENT": "true",
		"PORTAL_TERMS_URL":     "https://acme.example/terms",
		"PORTAL_PRIVACY_URL":   "https://acme.example/privacy",
		// The browser stands behind a proxy the portals trust, and each
		// page is seen from an address of its own (matrix.from): the
		// per-network limits (REQ-RL-02, REQ-RL-04) stay as real users
		// meet them, and hundreds of pages from one address never reach
		// them. What the browser does before, setUp, is seen from the
		// loopback address itself.
		"PORTAL_TRUSTED_PROXIES": "127.0.0.0/8,::1/128",
	}
	maps.Copy(env, corpSSO(op))
	wlEnv := maps.Clone(env)
	wlEnv["PORTAL_SIGN_UP_MODE"] = "waitlist"
	captcha := refusingCaptchaProvider(t)
	bpEnv := maps.Clone(env)
	maps.Copy(bpEnv, map[string]string{
		"PORTAL_CAPTCHA_PROVIDER":   "turnstile",
		"PORTAL_CAPTCHA_SITE_KEY":   "1x00000000000000000000AA",
		"PORTAL_CAPTCHA_SECRET_KEY": "stand-in-secret",
		"PORTAL_CAPTCHA_VERIFY_URL": captcha.URL + "/siteverify",
		"PORTAL_CAPTCHA_SCRIPT_URL": captcha.URL + "/api.js",
	})
	pwned := pwnedtest.Start(t)
	env["PORTAL_PASSWORD_BREACH_CHECK"], env["PORTAL_PWNED_PASSWORDS_URL"] = "true", pwned.URL
	p := portaltest.Start(t, portaltest.Options{Env: env})
	// Their visitors have browser contexts of their own: cookies on
	// localhost are shared across ports, and the portals' must not meet.
	m := &matrix{t: t, p: p, wl: portaltest.Start(t, portaltest.Options{Env: wlEnv}), bp: portaltest.Start(t, portaltest.Options{Env: bpEnv}),
		captcha: captcha, elsewhere: anotherSite(t), op: op, pwned: pwned, browser: map[who]*tab{
			anon: first, member: first.otherContext(), invitee: first.otherContext(), hopeful: first.otherContext(),
			impersonator: first.otherContext(), suggested: first.otherContext(), stranger: first.otherContext(),
			newcomer: first.otherContext(), linker: first.otherContext()}}
	m.setUp()
	return m
}

// anotherSite serves, on 127.0.0.1, a page whose one link goes to the
// address in its query's "to": a site of its own to Chromium, beside
// portals on localhost.
func anotherSite(t *testing.T) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html lang="en"><title>Another site</title><a id="xsite" href="%s">Sign in</a></html>`,
			html.EscapeString(r.URL.Query().Get("to")))
	}))
	t.Cleanup(s.Close)
	return s
}

// setUp walks each browser to where the pages need it.
func (m *matrix) setUp() {
	m.t.Helper()
	grace, ada, visitor := m.browser[invitee], m.browser[member], m.browser[anon]
	s := &m.s

	m.signUp(grace, graceEmail, "")
	m.signUp(ada, adaEmail, adaPhone)
	u, err := m.p.Store.Q.UserByIdentifier(context.Background(), user.Email, adaEmail)
	if err != nil {
		m.t.Fatalf("Ada is not in the store: %v", err)
	}
	for _, i := range u.Identifiers {
		switch i.Kind {
		case user.Email:
			s.emailID = i.ID
		case user.Phone:
			s.phoneID = i.ID
		}
	}
	if s.emailID == "" || s.phoneID == "" {
		m.t.Fatalf("Ada's identifiers: %+v", u.Identifiers)
	}
	// The operator gives Ada an address and a number unverified, for
	// their Verify pages.
	for _, i := range []user.Identifier{{Kind: user.Email, Value: adaUnverifiedEmail}, {Kind: user.Phone, Value: "+14155550177"}} {
		now := time.Now()
		i.ID, i.UserID, i.CreatedAt, i.UpdatedAt = id.New(id.Identifier), u.ID, now, now
		if err := m.p.Store.Q.CreateIdentifier(context.Background(), i); err != nil {
			m.t.Fatal(err)
		}
		if i.Kind == user.Email {
			s.unverifiedEmail = i.ID
		} else {
			s.unverifiedPhone = i.ID
		}
	}

	// A sign-in token for Grace, as POST /v1/sign_in_tokens makes one.
	g, err := m.p.Store.Q.UserByIdentifier(context.Background(), user.Email, graceEmail)
	if err != nil {
		m.t.Fatalf("Grace is not in the store: %v", err)
	}
	s.ticketSignIn = id.Secret(32)
	now := time.Now()
	if err := m.p.Store.Q.CreateSignInToken(context.Background(), &signintoken.Token{ID: id.New(id.SignInToken), UserID: g.ID,
		TokenHash: signintoken.Hash(s.ticketSignIn), Status: signintoken.Pending, ExpiresAt: now.Add(time.Hour),
		CreatedAt: now, UpdatedAt: now}); err != nil {
		m.t.Fatal(err)
	}

	// Two actor tokens for Grace with Ada acting, as POST /v1/actor_tokens
	// makes them: one waits on its confirmation page, the other signs the
	// impersonator's browser in (an hour's session, longer than the matrix).
	actor := json.RawMessage(`{"sub":"` + u.ID + `"}`)
	impTicket := id.Secret(32)
	s.ticketActor = id.Secret(32)
	for _, ticket := range []string{s.ticketActor, impTicket} {
		if err := m.p.Store.Q.CreateSignInToken(context.Background(), &signintoken.Token{ID: id.New(id.ActorToken), UserID: g.ID,
			TokenHash: signintoken.Hash(ticket), Status: signintoken.Pending, ExpiresAt: now.Add(time.Hour),
			CreatedAt: now, UpdatedAt: now, Actor: actor, SessionMax: time.Hour}); err != nil {
			m.t.Fatal(err)
		}
	}
	imp := m.browser[impersonator]
	imp.open(m.p.URL + "/sign-in?__clerk_ticket=" + impTicket)
	imp.submit("sign in as Grace on Ada's behalf", `form[action="/sign-in/ticket"]`)
	imp.expectPage("Signed in · Portal", "You're signed in")

	// Ada's organization, with Grace invited.
	ada.open(m.p.URL + "/create-organization")
	ada.typeInto("name-field", matrixOrgName)
	ada.submit("create the organization", `form[action="/create-organization"]`)
	ada.open(m.p.URL + "/organization")
	s.orgID = afterPrefix(ada, m.p.URL+"/organizations/")
	ada.open(m.p.URL + "/organizations/" + s.orgID + "/invitations")
	ada.typeInto("email_address-field", graceEmail)
	ada.submit("invite Grace", `form[action$="/invitations"]`)
	s.ticket = queryOf(m.t, m.p.SMTP.WaitFor(m.t, graceEmail, mailWait).Link(), "ticket")
	// Kim, who has no account, invited too (through the Backend API, in
	// Ada's name: the form's rate limit is the matrix's to spend on its
	// pages): her link opens sign-up.
	m.api("/v1/organizations/"+s.orgID+"/invitations", `{"email_address":"`+kimEmail+`","role":"`+org.RoleMember+`","inviter_user_id":"`+u.ID+`"}`)
	kim := m.browser[newcomer]
	kim.open(m.p.URL + pathOf(m.t, m.p.SMTP.WaitFor(m.t, kimEmail, mailWait).Link()))
	kim.expectURL(m.p.URL + "/sign-up?")
	s.invitedSignUp = pathOf(m.t, kim.url())
	// Bob, a member, for the page that asks before removing him.
	first, last, _ := strings.Cut(bobName, " ")
	bob := &user.User{ID: id.New(id.User), FirstName: first, LastName: last, CreatedAt: now, UpdatedAt: now}
	bobAddress := user.Identifier{ID: id.New(id.Identifier), UserID: bob.ID, Kind: user.Email, Value: bobEmail,
		VerifiedAt: &now, CreatedAt: now, UpdatedAt: now}
	bob.PrimaryEmailID, bob.Identifiers = bobAddress.ID, []user.Identifier{bobAddress}
	if err := m.p.Store.Q.CreateUser(context.Background(), bob); err != nil {
		m.t.Fatal(err)
	}
	s.memberID = id.New(id.OrgMember)
	if err := m.p.Store.Q.CreateMembership(context.Background(), &org.Membership{ID: s.memberID, OrgID: s.orgID, UserID: bob.ID,
		Role: org.RoleMember, CreatedAt: now, UpdatedAt: now}); err != nil {
		m.t.Fatal(err)
	}

	// Its verified domains: example.com, which Ada's own address verifies
	// as it is added; one waiting for the code sent to an address there;
	// one just added.
	domain := func(name string) string {
		ada.open(m.p.URL + "/organizations/" + s.orgID)
		ada.typeInto("domain-field", name)
		ada.submit("add the domain "+name, `form[action$="/domains"]`)
		return afterPrefix(ada, m.p.URL+"/organizations/"+s.orgID+"/domains/")
	}
	s.domainVerified, s.domainCodeSent, s.domainNew = domain("example.com"), domain("acme-rockets.test"), domain("beta-rockets.test")
	ada.open(m.p.URL + "/organizations/" + s.orgID + "/domains/" + s.domainCodeSent)
	ada.typeInto("email_address-field", "it@acme-rockets.test")
	ada.submit("send a code to verify acme-rockets.test", `form[data-testid=domain-email]`)
	m.p.SMTP.WaitFor(m.t, "it@acme-rockets.test", mailWait)
	// example.com suggests the organization: to Heidi, who signs up at it,
	// and to Eve (below), who asks to join. Grace, invited, is not
	// suggested it.
	ada.open(m.p.URL + "/organizations/" + s.orgID + "/domains/" + s.domainVerified)
	ada.do("choose automatic suggestions", chromedp.Click(chromedp.ID("mode-automatic_suggestion")))
	ada.submit("save the enrollment mode", `form[action$="/enrollment"]`)
	m.signUp(m.browser[suggested], heidiEmail, "")

	// Ada adding an address: the code step, and the link she asked for instead.
	ada.open(m.p.URL + "/user/email-addresses/new")
	ada.typeInto("email_address-field", adaWorkEmail)
	ada.submit("add an address", `form[action="/user/email-addresses"]`)
	s.addEmail = queryOf(m.t, ada.url(), "flow")
	m.p.SMTP.WaitFor(m.t, adaWorkEmail, mailWait)
	ada.load("ask for a link instead", chromedp.Click(chromedp.CSS(`button[value="email_link"]`)))
	s.addEmailLink = pathOf(m.t, m.p.SMTP.WaitFor(m.t, adaWorkEmail, mailWait).Link())
	// A code on its way for "confirm it's you", so that page shows its code form.
	ada.open(m.p.URL + "/user/verify?return=/user/password&strategy=email_code")
	ada.submit("send a code to confirm it's Ada", `form[action="/user/verify/prepare"]`)
	m.p.SMTP.WaitFor(m.t, adaEmail, mailWait)

	// Ada's passkey, made by Chromium's virtual authenticator, for the
	// page that removes it (the sign-up just now counts as confirming it's her).
	ada.addAuthenticator()
	ada.open(m.p.URL + "/user/security/passkeys/new")
	ada.runThenWaitFor("create a passkey", chromedp.Click(chromedp.CSS(`form[data-passkey-register] button`)),
		m.p.URL+"/user/security?done=passkey-added")
	remove := ada.eval(`document.querySelector('[data-testid=passkey] a[href$="/remove"]').getAttribute("href")`)
	s.passkeyID = strings.TrimSuffix(strings.TrimPrefix(remove, "/user/security/passkeys/"), "/remove")

	// Ada signed in on a second device, and her Corp SSO account
	// connected, for the pages that sign the device out and disconnect it.
	laptop := ada.otherContext()
	laptop.open(m.p.URL + "/sign-in")
	laptop.typeInto("identifier-field", adaEmail)
	laptop.submit("submit Ada's address on her laptop", `form[action="/sign-in"]`)
	laptop.typeInto("password-field", password)
	laptop.submit("submit Ada's password on her laptop", `form[action^="/sign-in/factor-one"]`)
	laptop.expectPage("Signed in · Portal", "You're signed in")
	m.op.SetUser("corp-ada", adaEmail, true, "Ada", "Lovelace")
	ada.open(m.p.URL + "/user")
	ada.load("connect Corp SSO", chromedp.Click(chromedp.CSS(`a.cl-socialButtonsBlockButton__oidc_corp`)))
	ada.expectURL(m.p.URL + "/user?connected=")
	sessions, err := m.p.Store.Q.ActiveSessionsOfUser(context.Background(), u.ID)
	if err != nil || len(sessions) != 2 {
		m.t.Fatalf("Ada's sessions: %v %+v", err, sessions)
	}
	s.otherSession = slices.MaxFunc(sessions, func(a, b session.Session) int { return a.CreatedAt.Compare(b.CreatedAt) }).ID
	if u, err = m.p.Store.Q.UserByID(context.Background(), u.ID); err != nil || len(u.ExternalAccounts) != 1 {
		m.t.Fatalf("Ada's connected accounts: %v %+v", err, u)
	}
	s.externalID = u.ExternalAccounts[0].ID

	// Eve has an authenticator app, so that signing in to her account
	// stops at the second step.
	eve := visitor.otherContext()
	m.browser[requester] = eve
	m.signUp(eve, eveEmail, "")
	eve.open(m.p.URL + "/switch-organization")
	eve.submit("ask to join Ada's organization", `[data-testid=org-suggestion] form[action$="/request"]`)
	eve.expectURL(m.p.URL + "/switch-organization?")
	eve.open(m.p.URL + "/user/security/totp")
	eve.typeInto("code-field", totptest.Code(m.t, eve.text(`[data-testid=totp-secret]`), time.Now()))
	eve.submit("confirm the authenticator app", `form[action^="/user/security/totp"]`)
	visitor.open(m.p.URL + "/sign-in")
	visitor.typeInto("identifier-field", eveEmail)
	visitor.submit("submit Eve's address", `form[action="/sign-in"]`)
	visitor.typeInto("password-field", password)
	visitor.submit("submit Eve's password", `form[action^="/sign-in/factor-one"]`)
	visitor.expectURL(m.p.URL + "/sign-in/factor-two?")
	s.factorTwo = queryOf(m.t, visitor.url(), "sign_in")

	// Grace's sign-ins, one per way, in the anonymous browser.
	s.password = m.signInStep(visitor, "")
	s.code = m.signInStep(visitor, "email_code")
	m.p.SMTP.WaitFor(m.t, graceEmail, mailWait)
	s.link = m.signInStep(visitor, "email_link")
	s.linkPath = pathOf(m.t, m.p.SMTP.WaitFor(m.t, graceEmail, mailWait).Link())
	// Lin signs in on the waitlist portal (whose rate limits the sign-ins
	// here do not spend) with an emailed link, to open it again signed in.
	lin := m.browser[linker]
	m.apiOn(m.wl, "/v1/users", `{"email_address":["`+linEmail+`"],"password":"`+password+`","skip_legal_checks":true}`)
	lin.open(m.wl.URL + "/sign-in")
	lin.typeInto("identifier-field", linEmail)
	lin.submit("submit Lin's address", `form[action="/sign-in"]`)
	lin.load("ask for a sign-in link", chromedp.Click(chromedp.CSS(`button[value="email_link"]`)))
	s.spentLink = pathOf(m.t, m.wl.SMTP.WaitFor(m.t, linEmail, mailWait).Link())
	lin.open(m.wl.URL + s.spentLink)
	lin.submit("use Lin's sign-in link", `form[action="/v1/verify"]`)
	lin.expectPage("Signed in · Portal", "You're signed in")
	s.reset = m.signInStep(visitor, "")
	visitor.load("click Forgot password?", chromedp.Click(chromedp.CSS(`a[href^="/sign-in/forgot-password"]`)))
	visitor.load("ask for a reset code", chromedp.Click(chromedp.CSS(`button[value="reset_password_email_code"]`)))
	visitor.typeInto("code-field", m.p.SMTP.WaitFor(m.t, graceEmail, mailWait).Code())
	visitor.submit("enter the reset code", `form[action="/sign-in/factor-one"]`)
	visitor.expectURL(m.p.URL + "/sign-in/reset-password?")

	// Three sign-ups that wait: for an emailed code, for a texted one, and
	// for the email address a provider did not give.
	s.signUpEmail = m.signUpStep(visitor, carolEmail, "")
	s.signUpPhone = m.signUpStep(visitor, danEmail, danPhone)
	m.enterEmailCode(visitor, danEmail)
	visitor.expectURL(m.p.URL + "/sign-up/verify-phone-number?")
	m.op.SetUser("corp-xi", "", false, "Xi", "Li")
	visitor.open(m.p.URL + "/sign-in")
	visitor.load("continue with Corp SSO", chromedp.Click(chromedp.CSS(`a.cl-socialButtonsBlockButton__oidc_corp`)))
	visitor.expectURL(m.p.URL + "/sign-up/continue?")
	s.signUpContinue = queryOf(m.t, visitor.url(), "sign_up")
	// A provider that gave everything: only the consent box is left.
	m.op.SetUser("corp-yu", "yu@example.com", true, "Xi", "Li")
	visitor.open(m.p.URL + "/sign-in")
	visitor.load("continue with Corp SSO again", chromedp.Click(chromedp.CSS(`a.cl-socialButtonsBlockButton__oidc_corp`)))
	visitor.expectURL(m.p.URL + "/sign-up/continue?")
	s.signUpConsent = queryOf(m.t, visitor.url(), "sign_up")
	// On the bot-protected portal a provider sign-up waits for the check
	// too (no PORTAL_CAPTCHA_OAUTH_BYPASS), with the consent box.
	m.op.SetUser("corp-zoe", "zoe@example.com", true, "Zoe", "Li")
	bot := m.browser[stranger]
	bot.open(m.bp.URL + "/sign-in")
	bot.load("continue with Corp SSO on the bot-protected portal", chromedp.Click(chromedp.CSS(`a.cl-socialButtonsBlockButton__oidc_corp`)))
	bot.expectURL(m.bp.URL + "/sign-up/continue?")
	s.signUpBotCheck = queryOf(m.t, bot.url(), "sign_up")

	// Judy's password is marked as compromised (through the Backend API,
	// as an app's server would): typed right, it leads into the reset,
	// which says why.
	judy := m.api("/v1/users", `{"email_address":["`+judyEmail+`"],"password":"`+password+`","skip_legal_checks":true}`)
	m.api("/v1/users/"+judy+"/password/set_compromised", "")
	visitor.open(m.p.URL + "/sign-in")
	visitor.typeInto("identifier-field", judyEmail)
	visitor.submit("submit Judy's address", `form[action="/sign-in"]`)
	visitor.typeInto("password-field", password)
	visitor.submit("submit Judy's password", `form[action^="/sign-in/factor-one"]`)
	visitor.expectURL(m.p.URL + "/sign-in/forgot-password?")
	s.compromised = queryOf(m.t, visitor.url(), "sign_in")

	// Ivan's password turns up in a breach after he set it: typed right,
	// it leads into the reset, which says so (REQ-PW-05).
	m.api("/v1/users", `{"email_address":["`+ivanEmail+`"],"password":"`+breachedPassword+`","skip_legal_checks":true}`)
	m.pwned.Add(breachedPassword, 42)
	visitor.open(m.p.URL + "/sign-in")
	visitor.typeInto("identifier-field", ivanEmail)
	visitor.submit("submit Ivan's address", `form[action="/sign-in"]`)
	visitor.typeInto("password-field", breachedPassword)
	visitor.submit("submit Ivan's breached password", `form[action^="/sign-in/factor-one"]`)
	visitor.expectURL(m.p.URL + "/sign-in/forgot-password?")
	if got := visitor.text(`.cl-alert[role="alert"]`); !strings.Contains(got, "data breach") {
		visitor.fatalf("Ivan's reset page says %q, want why: a data breach", got)
	}
	s.breached = queryOf(m.t, visitor.url(), "sign_in")
}

// api POSTs body (JSON, "" for none) to the Backend API with the secret
// key and returns the ID of the object it answers.
func (m *matrix) api(path, body string) string {
	m.t.Helper()
	return m.apiOn(m.p, path, body)
}

// apiOn is api on portal p.
func (m *matrix) apiOn(p *portaltest.Portal, path, body string) string {
	m.t.Helper()
	return apiPost(m.t, p, path, body)
}

// apiPost sends body to the Backend API of p as POST path and returns the
// ID of what it made.
func apiPost(t *testing.T, p *portaltest.Portal, path, body string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, p.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+p.SecretKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		ID string `json:"id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: %d %v", path, resp.StatusCode, err)
	}
	return out.ID
}

const mailWait = 10 * time.Second

// signUp creates an account in b and leaves it signed in; with a phone
// number, its texted code is entered too.
func (m *matrix) signUp(b *tab, email, phone string) {
	m.t.Helper()
	m.signUpStep(b, email, phone)
	m.enterEmailCode(b, email)
	if phone != "" {
		m.enterTextedCode(b, phone)
	}
	b.expectPage("Signed in · Portal", "You're signed in")
}

// signUpStep fills the sign-up form and returns the flow's ID from the
// page that waits for the emailed code.
func (m *matrix) signUpStep(b *tab, email, phone string) string {
	m.t.Helper()
	b.open(m.p.URL + "/sign-up")
	b.typeInto("email_address-field", email)
	if phone != "" {
		b.typeInto("phone_number-field", phone)
	}
	b.typeInto("password-field", password)
	b.do("tick the consent box", chromedp.Click(chromedp.ID("legal_accepted-field")))
	b.submit("submit the sign-up form", `form[action="/sign-up"]`)
	b.expectURL(m.p.URL + "/sign-up/verify-email-address?")
	return queryOf(m.t, b.url(), "sign_up")
}

func (m *matrix) enterEmailCode(b *tab, email string) {
	m.t.Helper()
	b.typeInto("code-field", m.p.SMTP.WaitFor(m.t, email, mailWait).Code())
	b.submit("enter the emailed code", `form[action="/sign-up/verify-email-address"]`)
}

func (m *matrix) enterTextedCode(b *tab, phone string) {
	m.t.Helper()
	b.expectURL(m.p.URL + "/sign-up/verify-phone-number?")
	b.typeInto("code-field", m.textedCode(phone))
	b.submit("enter the texted code", `form[action="/sign-up/verify-phone-number"]`)
}

// signInStep starts signing in to Grace's account and, with strategy,
// chooses that way from the password page. It returns the flow's ID.
func (m *matrix) signInStep(b *tab, strategy string) string {
	m.t.Helper()
	// Each step a sign-in of its own: the same identifier from the same
	// browser within seconds would otherwise go on with the flow before (a
	// double click), so each names another page of the portal to return to.
	m.signIns++
	b.open(m.p.URL + "/sign-in?redirect_url=" + url.QueryEscape(m.p.URL+"/user?sign_in="+strconv.Itoa(m.signIns)))
	b.typeInto("identifier-field", graceEmail)
	b.submit("submit Grace's address", `form[action="/sign-in"]`)
	b.expectURL(m.p.URL + "/sign-in/factor-one?")
	id := queryOf(m.t, b.url(), "sign_in")
	if strategy != "" {
		b.load("choose "+strategy, chromedp.Click(chromedp.CSS(`button[value="`+strategy+`"]`)))
	}
	return id
}

var sixDigits = regexp.MustCompile(`\b[0-9]{6}\b`)

// textedCode reads the newest code texted to number from the development
// outbox, where texts go without an SMS provider.
func (m *matrix) textedCode(number string) string {
	m.t.Helper()
	deadline := time.Now().Add(mailWait)
	for time.Now().Before(deadline) {
		msgs, err := m.p.Store.Q.ListOutbox(context.Background(), 50)
		if err != nil {
			m.t.Fatal(err)
		}
		for _, msg := range msgs { // newest first
			if msg.To == number {
				if code := sixDigits.FindString(msg.Text); code != "" {
					return code
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	m.t.Fatalf("no text to %s in the outbox", number)
	return ""
}

func queryOf(t *testing.T, raw, name string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil || u.Query().Get(name) == "" {
		t.Fatalf("no %s in %q", name, raw)
	}
	return u.Query().Get(name)
}

// pathOf is a link's path and query, to be opened on the portal.
func pathOf(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil || u.Path == "" {
		t.Fatalf("not a link: %q", raw)
	}
	return u.RequestURI()
}

// afterPrefix is the path segment after prefix in the tab's address.
func afterPrefix(b *tab, prefix string) string {
	b.t.Helper()
	rest, ok := strings.CutPrefix(b.url(), prefix)
	if !ok {
		b.fatalf("at %s, want %s…", b.url(), prefix)
	}
	seg, _, _ := strings.Cut(rest, "?")
	seg, _, _ = strings.Cut(seg, "/")
	return seg
}
