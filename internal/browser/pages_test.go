package browser

import (
	"net/http"
	"testing"

	"github.com/portalhq/portal/handlers"
)

// portalPage is one HTML page a person can land on, in the state it needs: the
// accessibility, layout and screenshot checks run over this table.
type portalPage struct {
	name  string // names the subtest and the screenshot
	route string // the GET route it covers; "" for a page no GET route serves by itself
	who   who    // whose browser it is seen in
	path  func(s *states) string
	// submit, when set, reaches the page by submitting the form of the page
	// at path, browser validation off, so that the server's messages show.
	submit *formStep
	h1     string // the heading it shows, so that a redirect cannot pass for it
	// shows, when set, is a CSS selector the page must show besides its
	// heading: the mark of a state the heading alone does not tell.
	shows  string
	status int64 // its HTTP status; 0 means 200
	// waitlist: the page is seen on the matrix's second portal, in
	// PORTAL_SIGN_UP_MODE=waitlist (elsewhere it answers 404).
	waitlist bool
	// botProtected: the page is seen on the matrix's third portal, with
	// bot protection on; it may load the stand-in provider's widget.
	botProtected bool
	// fromAnotherSite: the page is reached as a person reaches it from a
	// link on another site's page (the matrix's elsewhere, on 127.0.0.1
	// while the portals are on localhost), which Chromium follows with
	// Sec-Fetch-Site: cross-site.
	fromAnotherSite bool
}

// formStep is a form filled and submitted.
type formStep struct {
	form   string            // CSS selector of the form
	fields map[string]string // field id → text typed
}

func at(path string) func(*states) string { return func(*states) string { return path } }

// pages is every page of the portal. TestEveryGETRouteIsInThePageTable
// keeps it complete: a new GET route must be added here, or to
// notAPage with the reason.
var pages = []portalPage{
	// Signed out.
	{name: "sign-in", route: "/sign-in", path: at("/sign-in"), h1: "Sign in to Portal"},
	{name: "sign-up", route: "/sign-up", path: at("/sign-up"), h1: "Create your account"},
	{name: "sign-up-with-errors", path: at("/sign-up"), h1: "Create your account", status: http.StatusUnprocessableEntity,
		submit: &formStep{form: `form[action^="/sign-up"]`, fields: map[string]string{
			"email_address-field": "not an address", "phone_number-field": "12", "password-field": "short"}}},
	// Bot protection (PORTAL_CAPTCHA_*, REQ-RL-04): the widget, a stand-in
	// of Turnstile's, and the form refused because the check was not
	// passed (the stand-in refuses every token).
	{name: "sign-up-bot-check", who: stranger, botProtected: true, path: at("/sign-up"), h1: "Create your account",
		shows: `form .cf-turnstile[data-loaded="true"] iframe`},
	{name: "sign-up-bot-check-refused", who: stranger, botProtected: true, path: at("/sign-up"), h1: "Create your account",
		status: http.StatusUnprocessableEntity, shows: `.cl-card:has(.cl-alert[role="alert"]) form .cf-turnstile[data-loaded="true"] iframe`,
		submit: &formStep{form: `form[action^="/sign-up"]`, fields: map[string]string{
			"email_address-field": ivanEmail, "password-field": password}}},
	// An organization's invitation opened without an account: sign-up
	// names the organization and who invited, and says the address is
	// the one invited.
	{name: "sign-up-invited", who: newcomer, path: func(s *states) string { return s.invitedSignUp }, h1: "Create your account",
		shows: `#email_address-hint`},
	// A provider's start linked from another site asks before going on
	// (REQ-SES-07): nothing is set or stored, so the main portal serves it.
	{name: "oauth-continue", route: "/sign-in/oauth/:provider", fromAnotherSite: true,
		path: at("/sign-in/oauth/oidc_corp"), h1: "Continue with Corp SSO?", shows: `a.cl-formButtonPrimary[href^="/sign-in/oauth/oidc_corp"]`},
	{name: "signed-out", route: "/sign-out", path: at("/sign-out"), h1: "You're signed out"},

	// Half-way through signing in or up.
	{name: "sign-in-password", route: "/sign-in/factor-one", path: flow("/sign-in/factor-one?sign_in=", (*states).passwordFlow), h1: "Enter your password"},
	{name: "sign-in-wrong-password", path: flow("/sign-in/factor-one?sign_in=", (*states).passwordFlow), h1: "Enter your password",
		status: http.StatusUnprocessableEntity,
		submit: &formStep{form: `form[action^="/sign-in/factor-one"]`, fields: map[string]string{"password-field": wrong}}},
	{name: "sign-in-code", route: "/sign-in/factor-one", path: flow("/sign-in/factor-one?sign_in=", (*states).codeFlow), h1: "Check your email"},
	{name: "sign-in-link-sent", route: "/sign-in/factor-one", path: flow("/sign-in/factor-one?sign_in=", (*states).linkFlow), h1: "Check your email"},
	{name: "sign-in-link-opened", route: "/v1/verify", path: func(s *states) string { return s.linkPath }, h1: "Sign in to Portal"},
	// A sign-in link, used already, opened again where it signed in.
	{name: "sign-in-link-spent-signed-in", who: linker, waitlist: true, path: func(s *states) string { return s.spentLink },
		h1: "You're already signed in"},
	// A sign-in token's link (Clerk's __clerk_ticket) confirms before it signs in.
	{name: "sign-in-token", route: "/sign-in", path: flow("/sign-in?__clerk_ticket=", (*states).signInTicket), h1: "Sign in to Portal"},
	// An actor token's link says it starts an impersonation.
	{name: "actor-token", route: "/sign-in", path: flow("/sign-in?__clerk_ticket=", (*states).actorTicket),
		h1: "Sign in as " + graceEmail + ", impersonated by " + adaEmail},
	{name: "forgot-password", route: "/sign-in/forgot-password", path: flow("/sign-in/forgot-password?sign_in=", (*states).passwordFlow), h1: "Forgot your password?"},
	{name: "reset-password", route: "/sign-in/reset-password", path: flow("/sign-in/reset-password?sign_in=", (*states).resetFlow), h1: "Set a new password"},
	// The right password, marked as compromised: the reset, saying why.
	{name: "forgot-password-compromised", path: flow("/sign-in/forgot-password?sign_in=", (*states).compromisedFlow),
		h1: "Change your password", shows: `.cl-alert[role="alert"]`},
	// The right password, found in a breach as it is typed (REQ-PW-05): the
	// same reset, saying so.
	{name: "forgot-password-breached", path: flow("/sign-in/forgot-password?sign_in=", (*states).breachedFlow),
		h1: "Change your password", shows: `.cl-alert[role="alert"]`},
	{name: "sign-up-verify-email", route: "/sign-up/verify-email-address", path: flow("/sign-up/verify-email-address?sign_up=", (*states).signUpEmailFlow), h1: "Verify your email"},
	{name: "sign-up-verify-phone", route: "/sign-up/verify-phone-number", path: flow("/sign-up/verify-phone-number?sign_up=", (*states).signUpPhoneFlow), h1: "Verify your phone number"},
	{name: "sign-in-factor-two", route: "/sign-in/factor-two", path: flow("/sign-in/factor-two?sign_in=", (*states).factorTwoFlow), h1: "Two-step verification"},
	{name: "sign-up-continue", route: "/sign-up/continue", path: flow("/sign-up/continue?sign_up=", (*states).signUpContinueFlow), h1: "Almost there"},
	// PORTAL_LEGAL_CONSENT: the consent step of a provider sign-up, and the
	// same step sent without the box ticked.
	{name: "sign-up-consent", route: "/sign-up/continue", path: flow("/sign-up/continue?sign_up=", (*states).signUpConsentFlow), h1: "Almost there"},
	{name: "sign-up-consent-not-ticked", path: flow("/sign-up/continue?sign_up=", (*states).signUpConsentFlow), h1: "Almost there",
		status: http.StatusUnprocessableEntity, submit: &formStep{form: `form[action^="/sign-up/continue"]`}},
	// Bot protection on a provider sign-up: the same step, with the widget.
	{name: "sign-up-continue-bot-check", who: stranger, botProtected: true,
		path: flow("/sign-up/continue?sign_up=", (*states).signUpBotCheckFlow), h1: "Almost there",
		shows: `form .cf-turnstile[data-loaded="true"] iframe`},

	// Signed in.
	{name: "home", route: "/", who: member, path: at("/"), h1: "You're signed in"},
	{name: "sign-out", route: "/sign-out", who: member, path: at("/sign-out"), h1: "Sign out"},
	{name: "account", route: "/user", who: member, path: at("/user"), h1: "Your account"},
	{name: "confirm-its-you", route: "/user/verify", who: member, path: at("/user/verify?return=/user/password"), h1: "Enter your password"},
	{name: "confirm-its-you-code", route: "/user/verify", who: member, path: at("/user/verify?return=/user/password&strategy=email_code"), h1: "Check your email"},
	{name: "add-email", route: "/user/email-addresses/new", who: member, path: at("/user/email-addresses/new"), h1: "Add an email address"},
	{name: "add-phone", route: "/user/phone-numbers/new", who: member, path: at("/user/phone-numbers/new"), h1: "Add a phone number"},
	{name: "verify-new-email", route: "/user/verify-identifier", who: member, path: flow("/user/verify-identifier?flow=", (*states).addEmailFlow), h1: "Verify your email address"},
	{name: "verify-new-email-link", route: "/user/verify-email", who: member, path: func(s *states) string { return s.addEmailLink }, h1: "Verify your email address"},
	{name: "make-email-primary", route: "/user/email-addresses/:id/primary", who: member, path: flow("/user/email-addresses/", (*states).emailPrimary), h1: "Make " + adaEmail},
	{name: "remove-email", route: "/user/email-addresses/:id/remove", who: member, path: flow("/user/email-addresses/", (*states).emailRemove), h1: "Remove " + adaEmail},
	{name: "make-phone-primary", route: "/user/phone-numbers/:id/primary", who: member, path: flow("/user/phone-numbers/", (*states).phonePrimary), h1: "Make +1"},
	{name: "remove-phone", route: "/user/phone-numbers/:id/remove", who: member, path: flow("/user/phone-numbers/", (*states).phoneRemove), h1: "Remove +1"},
	{name: "verify-email", route: "/user/email-addresses/:id/verify", who: member, path: flow("/user/email-addresses/", (*states).emailVerify), h1: "Verify " + adaUnverifiedEmail},
	{name: "verify-phone", route: "/user/phone-numbers/:id/verify", who: member, path: flow("/user/phone-numbers/", (*states).phoneVerify), h1: "Verify +1"},
	{name: "password", route: "/user/password", who: member, path: at("/user/password"), h1: "Change your password"},
	// A new password found in a breach is refused on its field (REQ-PW-05).
	{name: "password-breached", who: member, path: at("/user/password"), h1: "Change your password",
		status: http.StatusUnprocessableEntity, shows: `#password-error`,
		submit: &formStep{form: `form[action^="/user/password"]`, fields: map[string]string{"password-field": breachedPassword}}},
	{name: "security", route: "/user/security", who: member, path: at("/user/security"), h1: "Security"},
	{name: "add-passkey", route: "/user/security/passkeys/new", who: member, path: at("/user/security/passkeys/new"), h1: "Add a passkey"},
	{name: "remove-passkey", route: "/user/security/passkeys/:id/remove", who: member, path: flow("/user/security/passkeys/", (*states).passkeyRemove), h1: "Remove passkey?"},
	{name: "set-up-authenticator", route: "/user/security/totp", who: member, path: at("/user/security/totp"), h1: "Set up an authenticator app"},
	{name: "remove-authenticator", route: "/user/security/totp/remove", who: member, path: at("/user/security/totp/remove"), h1: "Remove authenticator app?"},
	{name: "text-message-codes", route: "/user/security/phone", who: member, path: at("/user/security/phone"), h1: "Turn on text-message codes?"},
	{name: "text-message-codes-off", route: "/user/security/phone/remove", who: member, path: at("/user/security/phone/remove"), h1: "Turn off text-message codes?"},
	{name: "new-backup-codes", route: "/user/security/backup-codes", who: member, path: at("/user/security/backup-codes"), h1: "Get new backup codes?"},
	// The new codes, shown once, with Copy all, Download and Print (Eve
	// has an authenticator app, so backup codes).
	{name: "backup-codes-shown", who: requester, path: at("/user/security/backup-codes"), h1: "Your new backup codes",
		shows:  `.cl-backupActions:not([hidden]) button[data-backup-download]`,
		submit: &formStep{form: `form[action^="/user/security/backup-codes"]`}},
	{name: "delete-account", route: "/user/delete", who: member, path: at("/user/delete"), h1: "Delete"},
	// "Confirm it's you" comes back to these when a press on /user was stale.
	{name: "sign-out-device", route: "/user/sessions/:id/revoke", who: member, path: flow("/user/sessions/", (*states).deviceRevoke), h1: "Sign out"},
	{name: "sign-out-other-devices", route: "/user/sessions/revoke-others", who: member, path: at("/user/sessions/revoke-others"), h1: "Sign out of all other devices?"},
	{name: "disconnect", route: "/user/external-accounts/:id/delete", who: member, path: flow("/user/external-accounts/", (*states).disconnect), h1: "Disconnect Corp SSO?"},
	{name: "create-organization", route: "/create-organization", who: member, path: at("/create-organization"), h1: "Create organization"},
	{name: "switch-organization", route: "/switch-organization", who: member, path: at("/switch-organization"), h1: "Switch organization"},
	// Grace's invitation to Ada's organization waits for her there, to join or decline.
	{name: "switch-organization-invited", route: "/switch-organization", who: invitee, path: at("/switch-organization"), h1: "Switch organization",
		shows: `[data-testid="org-invitation"]`},
	// Ada's organization is suggested to Heidi, to request to join; Eve asked already.
	{name: "switch-organization-suggested", route: "/switch-organization", who: suggested, path: at("/switch-organization"), h1: "Switch organization",
		shows: `[data-testid="org-suggestion"] form[action$="/request"]`},
	{name: "switch-organization-requested", route: "/switch-organization", who: requester, path: at("/switch-organization"), h1: "Switch organization",
		shows: `[data-testid="org-suggestion"] [data-testid="requested"]`},
	{name: "organization", route: "/organizations/:org_id", who: member, path: flow("/organizations/", (*states).org), h1: matrixOrgName},
	{name: "organization-with-errors", who: member, path: flow("/organizations/", (*states).org), h1: matrixOrgName,
		status: http.StatusUnprocessableEntity,
		submit: &formStep{form: `form[action$="/domains"]`, fields: map[string]string{"domain-field": "gmail.com"}}},
	{name: "organization-domain-code-sent", route: "/organizations/:org_id/domains/:domain_id", who: member,
		path: flow("/organizations/", (*states).orgDomainCodeSent), h1: matrixOrgName},
	{name: "organization-domain-with-errors", who: member, path: flow("/organizations/", (*states).orgDomainNew), h1: matrixOrgName,
		status: http.StatusUnprocessableEntity,
		submit: &formStep{form: `form[data-testid=domain-email]`, fields: map[string]string{"email_address-field": "it@elsewhere.test"}}},
	{name: "organization-domain-verified", route: "/organizations/:org_id/domains/:domain_id", who: member,
		path: flow("/organizations/", (*states).orgDomainVerified), h1: matrixOrgName},
	{name: "organization-members", route: "/organizations/:org_id/members", who: member, path: flow("/organizations/", (*states).orgMembers), h1: matrixOrgName},
	{name: "organization-remove-member", route: "/organizations/:org_id/members/:membership_id/remove", who: member,
		path: flow("/organizations/", (*states).orgRemoveMember), h1: "Remove " + bobName + " from " + matrixOrgName + "?"},
	{name: "organization-invitations", route: "/organizations/:org_id/invitations", who: member, path: flow("/organizations/", (*states).orgInvitations), h1: matrixOrgName},
	// Eve's request to join, to accept or reject.
	{name: "organization-requests", route: "/organizations/:org_id/requests", who: member, path: flow("/organizations/", (*states).orgRequests), h1: matrixOrgName,
		shows: `[data-testid="org-request"]`},
	// Impersonating: every page carries the banner; one page shows it here.
	{name: "account-impersonated", route: "/user", who: impersonator, path: at("/user"), h1: "Your account",
		shows: `aside[data-testid="impersonation"]`},
	{name: "accept-invitation", route: "/accept-invitation", who: invitee, path: flow("/accept-invitation?ticket=", (*states).invitation), h1: "Join " + matrixOrgName},

	// Messages and errors: one template, reached several ways.
	{name: "not-found", path: at("/no-such-page"), h1: "Page not found", status: http.StatusNotFound},
	{name: "refused-redirect", path: at("/sign-in?redirect_url=https%3A%2F%2Fevil.example%2F"), h1: "This link can't be used", status: http.StatusBadRequest},
	{name: "link-unusable", path: at("/v1/verify?token=not-a-token"), h1: "This link can't be used", status: http.StatusBadRequest},
	// An application invitation's link: a good ticket only redirects to
	// sign-up (checked above); one that can't be used gets this page.
	{name: "sign-in-token-gone", route: "/sign-in", path: at("/sign-in?__clerk_ticket=not-a-ticket"), h1: "This sign-in link can't be used", status: http.StatusGone},
	{name: "invitation-gone", route: "/invitation", path: at("/invitation?ticket=not-a-ticket"), h1: "This invitation can't be used", status: http.StatusGone},
	{name: "account-deleted", route: "/user/deleted", path: at("/user/deleted"), h1: "Your account is deleted"},

	// Waitlist mode: its own portal, seen by a visitor of that portal alone.
	{name: "waitlist", route: "/waitlist", who: hopeful, waitlist: true, path: at("/waitlist"), h1: "Join the waitlist"},
	{name: "waitlist-with-errors", who: hopeful, waitlist: true, path: at("/waitlist"), h1: "Join the waitlist",
		status: http.StatusUnprocessableEntity,
		submit: &formStep{form: `form[action^="/waitlist"]`, fields: map[string]string{"email_address-field": "not an address"}}},
	{name: "waitlist-joined", who: hopeful, waitlist: true, path: at("/waitlist"), h1: "You're on the waitlist",
		submit: &formStep{form: `form[action^="/waitlist"]`, fields: map[string]string{"email_address-field": danEmail}}},
}

// notAPage are the GET routes that render no page of their own, and why.
var notAPage = map[string]string{
	"/v1/client/handshake":         "redirects back to the app",
	"/.well-known/jwks.json":       "JSON for relying apps",
	"/healthz":                     "plain text for probes",
	"/readyz":                      "plain text for probes",
	"/theme.css":                   "a stylesheet",
	"/theme-custom.css":            "a stylesheet",
	"/theme-logo":                  "an image",
	"/images/:file":                "an image",
	"/organizations/:org_id/logo":  "an image",
	"/v1/oauth_callback/:provider": "redirects onwards; its errors are the message page checked here",
	"/organization":                "redirects to the active organization's page or the switcher, both checked here",
	"/dev/themes":                  "development tool framing the pages checked here, one frame per theme",
	"/dev/outbox":                  "development tool, served only while mail goes to the development outbox (TestOutboxShowsTheEmailAsSent)",
	"/dev/outbox/:id/html":         "an email's HTML part, as sent, for the outbox's frame (TestOutboxShowsTheEmailAsSent)",
}

func flow(prefix string, id func(*states) string) func(*states) string {
	return func(s *states) string { return prefix + id(s) }
}

func (s *states) passwordFlow() string       { return s.password }
func (s *states) codeFlow() string           { return s.code }
func (s *states) linkFlow() string           { return s.link }
func (s *states) resetFlow() string          { return s.reset }
func (s *states) compromisedFlow() string    { return s.compromised }
func (s *states) breachedFlow() string       { return s.breached }
func (s *states) signUpEmailFlow() string    { return s.signUpEmail }
func (s *states) signUpPhoneFlow() string    { return s.signUpPhone }
func (s *states) signUpContinueFlow() string { return s.signUpContinue }
func (s *states) signUpConsentFlow() string  { return s.signUpConsent }
func (s *states) signUpBotCheckFlow() string { return s.signUpBotCheck }
func (s *states) addEmailFlow() string       { return s.addEmail }
func (s *states) emailPrimary() string       { return s.emailID + "/primary" }
func (s *states) emailRemove() string        { return s.emailID + "/remove" }
func (s *states) phonePrimary() string       { return s.phoneID + "/primary" }
func (s *states) phoneRemove() string        { return s.phoneID + "/remove" }
func (s *states) emailVerify() string        { return s.unverifiedEmail + "/verify" }
func (s *states) phoneVerify() string        { return s.unverifiedPhone + "/verify" }
func (s *states) org() string                { return s.orgID }
func (s *states) orgMembers() string         { return s.orgID + "/members" }
func (s *states) orgInvitations() string     { return s.orgID + "/invitations" }
func (s *states) orgRemoveMember() string    { return s.orgID + "/members/" + s.memberID + "/remove" }
func (s *states) orgRequests() string        { return s.orgID + "/requests" }
func (s *states) orgDomainCodeSent() string  { return s.orgID + "/domains/" + s.domainCodeSent }
func (s *states) orgDomainNew() string       { return s.orgID + "/domains/" + s.domainNew }
func (s *states) orgDomainVerified() string  { return s.orgID + "/domains/" + s.domainVerified }
func (s *states) invitation() string         { return s.ticket }
func (s *states) factorTwoFlow() string      { return s.factorTwo }
func (s *states) signInTicket() string       { return s.ticketSignIn }
func (s *states) actorTicket() string        { return s.ticketActor }
func (s *states) passkeyRemove() string      { return s.passkeyID + "/remove" }
func (s *states) deviceRevoke() string       { return s.otherSession + "/revoke" }
func (s *states) disconnect() string         { return s.externalID + "/delete" }

// Every GET route either is a page of the table or is listed with the
// reason it is not, so that a new page cannot miss the accessibility,
// layout and screenshot checks.
func TestEveryGETRouteIsInThePageTable(t *testing.T) {
	covered := map[string]bool{}
	for _, p := range pages {
		if p.route != "" {
			covered[p.route] = true
		}
	}
	known := map[string]bool{}
	for _, r := range handlers.Routes() {
		if r.Method != http.MethodGet || r.API { // the Backend API answers JSON, not pages
			continue
		}
		known[r.Path] = true
		if !covered[r.Path] && notAPage[r.Path] == "" {
			t.Errorf("GET %s is in no page of the table in pages_test.go: add the page (and the state it needs), "+
				"or add the route to notAPage with the reason it renders no page", r.Path)
		}
		if covered[r.Path] && notAPage[r.Path] != "" {
			t.Errorf("GET %s is both a page and in notAPage", r.Path)
		}
	}
	for path := range covered {
		if !known[path] {
			t.Errorf("page table names GET %s, which the route table does not have", path)
		}
	}
	for path := range notAPage {
		if !known[path] {
			t.Errorf("notAPage names GET %s, which the route table does not have", path)
		}
	}
}
