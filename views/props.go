// Package views holds the templ components of every page and email.
//
// Views are dumb: a component receives one of the props structs below and
// renders it. It calls no service and reads no request.
package views

// Page is what every page shell needs.
type Page struct {
	Title   string // the document title, before " · AppName"
	AppName string // the instance's name, shown in the header
	Lang    string // BCP 47 tag for <html lang>; "en" when empty
	Nonce   string // CSP nonce for any inline <script> or <style>
	CSRF    string // value of the hidden _csrf field in every POST form
	DevMode bool   // shows a small "development instance" badge
	// Refresh reloads the page every so many seconds (waiting for a link
	// opened elsewhere); works without JavaScript.
	Refresh int
	// NoReferrer keeps the URL (which holds a secret) out of Referer headers.
	NoReferrer bool
	// Passkeys loads /static/passkeys.js, which runs the page's
	// [data-passkey-*] forms; everything else works without it.
	Passkeys bool

	// Dir is "rtl" for a right-to-left locale; empty means left to right.
	Dir string
	// I18n renders catalog messages in the request's locale.
	I18n Translator
	// ThemeCSS is the href of the theme's stylesheet (versioned, so it can
	// be cached); "/theme.css" when empty. CustomCSS is the owner's own
	// stylesheet, linked after it; empty when there is none.
	ThemeCSS  string
	CustomCSS string
	// Logo and footer links from the theme's options; empty = not shown.
	LogoURL       string
	DarkLogoURL   string // drawn instead under prefers-color-scheme: dark; only with LogoURL
	LogoLink      string
	LogoPlacement string // "inside" (the default), "outside" or "none"
	TermsURL      string
	PrivacyURL    string
	HelpURL       string
	// Social button layout from the theme (blockButton, iconButton or auto;
	// top or bottom).
	SocialVariant   string
	SocialPlacement string
	// HideOptionalFields leaves optional sign-up fields out (the theme's
	// showOptionalFields: false); the zero value shows them.
	HideOptionalFields bool
	// Impersonation, set while someone acts for the user (an actor
	// token's session), shows the banner that says so on every page.
	Impersonation *Impersonation
}

// Impersonation names the two people of an impersonation session.
type Impersonation struct {
	Account string // the user's account: their address, username or number
	Actor   string // who acts for them: their account, or the actor's sub
}

// Translator renders catalog messages; internal/i18n's Localizer is one.
// args are placeholder name/value pairs.
type Translator interface {
	T(id string, args ...any) string
	N(id string, count int, args ...any) string
}

// T renders a catalog message, in English when no translator is set.
func (p Page) T(id string, args ...any) string {
	return p.tr().T(id, args...)
}

// N renders the plural form of a catalog message for count ({{.Count}}).
func (p Page) N(id string, count int, args ...any) string {
	return p.tr().N(id, count, args...)
}

func (p Page) tr() Translator {
	if p.I18n == nil {
		return pageEnglish()
	}
	return p.I18n
}

// Hidden is a hidden form field carried from step to step (flow ID, redirect parameters).
type Hidden struct {
	Name  string
	Value string
}

// Errors maps a form field name to the message shown beside it. The key ""
// holds a message for the form as a whole.
type Errors map[string]string

// Form returns the message for the form as a whole.
func (e Errors) Form() string { return e[""] }

// onFields reports whether a field has a message of its own.
func (e Errors) onFields() bool {
	for name, msg := range e {
		if name != "" && msg != "" {
			return true
		}
	}
	return false
}

// Method is another way to finish a sign-in step, offered as a button.
type Method struct {
	Strategy string // posted as "strategy"
	Label    string // e.g. "Email code to j***@example.com"
}

// SocialButton starts sign-in with an OAuth or OpenID provider.
type SocialButton struct {
	Provider string // "github", "oidc_corp"
	Name     string // "GitHub", shown alone on icon-style buttons
	Label    string // "Continue with GitHub"
	URL      string // GET /sign-in/oauth/{provider}?…
	// LastUsed marks the provider this browser last signed in with
	// ("Last used", as Clerk's sign-in shows it).
	LastUsed bool
}

// SignInStart is /sign-in: the identifier step.
type SignInStart struct {
	Page
	Social     []SocialButton
	Action     string // form action, "/sign-in"
	Identifier string // what the person typed, or the prefill
	// IdentifierLabel names what may be typed ("Email address or username");
	// IdentifierType is the input type ("email", "tel" or "text").
	IdentifierLabel string
	IdentifierType  string
	Hidden          []Hidden // redirect parameters carried to the flow
	Errors          Errors
	SignUpURL       string // "Don't have an account? Sign up" link, with the redirect parameters
	// JoinWaitlist says SignUpURL is the waiting list (waitlist mode),
	// so the link reads "Join the waitlist".
	JoinWaitlist bool
	// Passkey, when set, offers "Sign in with a passkey" and passkeys in
	// the identifier field's autofill (autocomplete="username webauthn").
	Passkey *PasskeyForm
}

// SignInPassword is the password step of sign-in.
type SignInPassword struct {
	Page
	Action        string // "/sign-in/factor-one"
	FlowID        string
	Identifier    string // the account's identifier, for password managers
	Shown         string // Identifier as people read it (a formatted phone number); empty shows Identifier
	ChangeURL     string // back to the identifier step ("Not you?")
	Errors        Errors
	OtherMethods  []Method // posted to PrepareAction
	PrepareAction string   // "/sign-in/factor-one/prepare"
	ForgotURL     string   // "Forgot password?"; empty when no reset is possible
}

// SignInCode is the step where a code sent by email is entered.
type SignInCode struct {
	Page
	Action       string // "/sign-in/factor-one"
	ResendAction string // "/sign-in/factor-one/prepare"
	FlowID       string
	Strategy     string // "email_code"
	Heading      string // "Check your email", "Check your phone", "Reset your password"
	Destination  string // where the code was sent, masked for display
	ChangeURL    string
	Errors       Errors
	ResendWait   int      // seconds until a new code may be sent; 0 = now
	OtherMethods []Method // e.g. back to password
	NotSent      bool     // no code went out (the send failed): no "we sent" subtitle
}

// SignInLink is the step that waits for an emailed link to be opened. The
// page refreshes itself, so it completes without JavaScript.
type SignInLink struct {
	Page
	FlowID       string
	FlowField    string // "sign_in" or "sign_up"
	Destination  string
	ChangeURL    string
	ResendAction string
	ResendWait   int
	Errors       Errors
	Notice       string
	OtherMethods []Method // e.g. "Use a code instead"
	OtherAction  string
	NotSent      bool // no link went out (the send failed): no "we sent" subtitle or waiting line
}

// SignInForgot lists the ways to receive a password-reset code.
type SignInForgot struct {
	Page
	Action  string // "/sign-in/factor-one/prepare"
	FlowID  string
	Methods []Method
	BackURL string
	Errors  Errors
	// Compromised: the person typed the right password, which is marked as
	// compromised; the page says it must be changed, and why.
	Compromised bool
	// Breached: the mark came from that sign-in, the password found in a
	// data breach; the page says so.
	Breached bool
}

// SignInNewPassword is the step after a verified reset code.
type SignInNewPassword struct {
	Page
	Action      string // "/sign-in/reset-password"
	FlowID      string
	Identifier  string // the account's identifier, for password managers
	Shown       string // Identifier as people read it; empty shows Identifier
	PasswordMin int
	SignOutAll  bool // "Sign out of all other devices", checked by default
	Errors      Errors
	// Compromised: the old password is marked as compromised, which is
	// why a new one is asked for (after a reset, or after every factor
	// passed): the page says so.
	Compromised bool
}

// LinkConfirm is what opening an emailed link shows: the link is used only
// when the person presses the button (mail scanners only GET: REQ-OTP-09).
type LinkConfirm struct {
	Page
	Action  string // "/v1/verify"
	Token   string
	Heading string
	Body    string
	Button  string
}

// TicketConfirm is /sign-in?__clerk_ticket=…: the confirmation a sign-in
// token's link shows before it is used.
type TicketConfirm struct {
	Page
	Action  string   // "/sign-in/ticket"
	Hidden  []Hidden // the token and the redirect parameters
	Heading string
	Account string // the account it signs in to: its address or username
	Body    string
	Button  string
}

// SignUp is /sign-up: the fields the instance requires. The same page, with
// only the missing fields shown and FlowID set, continues a sign-up through
// a provider that did not give everything required.
type SignUp struct {
	Page
	Social          []SocialButton
	FlowID          string // set when continuing a sign-up
	Provider        string // "GitHub", when continuing one through a provider
	Action          string // "/sign-up"
	Email           string
	Phone           string
	Username        string
	ShowEmail       bool
	RequireEmail    bool
	ShowPhone       bool
	RequirePhone    bool
	ShowUsername    bool
	RequireUsername bool
	ShowPassword    bool
	FirstName       string
	LastName        string
	ShowNames       bool // first/last name fields shown
	RequireNames    bool // and required
	PasswordMin     int  // shown as a hint and used for minlength
	Hidden          []Hidden
	Errors          Errors
	SignInURL       string
	// BackURL, on the step that continues a sign-up (FlowID set), goes
	// back to the sign-up form, to sign up another way: the person who
	// would rather not give what the step asks is not held there.
	BackURL string
	// Legal, when set, is the box agreeing to the legal documents
	// (PORTAL_LEGAL_CONSENT); its message is Errors["legal_accepted"].
	Legal *LegalConsent
	// Captcha, when set, is the bot-protection widget.
	Captcha *Captcha
	// Focus names the field the person came back to change ("Change"
	// beside the address a code went to): it takes the focus unless a
	// field has an error.
	Focus string
	// InvitedTo names the organization whose invitation brought the
	// person here, and InvitedBy who sent it (either may be ""): the
	// subtitle says what the account is for.
	InvitedTo, InvitedBy string
	// InvitedEmail is the address of the invitation the browser holds:
	// while the address field shows it, a hint under it says the
	// invitation went there, so that someone sent another person's
	// invitation link sees whose address the account would have.
	InvitedEmail string
}

// Captcha is a bot-protection widget: the element class the provider's
// script looks for (cf-turnstile, h-captcha), the instance's site key and
// the script's URL.
type Captcha struct {
	Class, SiteKey, ScriptURL string
}

// LegalConsent is the box people tick to agree to the instance's legal
// documents, each linked when configured.
type LegalConsent struct {
	TermsURL   string // "" when there are no terms of service
	PrivacyURL string // "" when there is no privacy policy
	Checked    bool   // ticked when the form was sent
}

// SignUpVerify is the step where the emailed sign-up code is entered.
type SignUpVerify struct {
	Page
	Action       string // "/sign-up/verify-email-address"
	ResendAction string // "/sign-up/verify-email-address/resend"
	FlowID       string
	Email        string // where the code went (an email address or a phone number)
	Heading      string // "Verify your email" / "Verify your phone number"
	Errors       Errors
	ResendWait   int
	Notice       string // e.g. "A new code is on its way."
	ChangeURL    string // start sign-up again
	OtherMethods []Method
	OtherAction  string // "/sign-up/verify/switch"
	NotSent      bool   // no code went out (the send failed): no "we sent" subtitle
}

// SignOut is the confirmation page at GET /sign-out.
type SignOut struct {
	Page
	Action    string // "/sign-out"
	Email     string // who is signed in; empty when nobody is
	Hidden    []Hidden
	SignInURL string // shown when nobody is signed in
	CancelURL string // "Cancel": back where the person came from, still signed in
	// BackURL, when nobody is signed in and the page was opened from an
	// app (an allowed redirect URL), takes the person back to it: the
	// app's own "Sign out" link should not strand them on the portal.
	BackURL string
}

// Home is "/" for a signed-in person with nowhere else to go.
type Home struct {
	Page
	Name       string
	Email      string
	AccountURL string // the account page, "/user"
	SignOutURL string
}

// Message is a page with a title and a sentence: errors, "signed out", "done".
type Message struct {
	Page
	Status    int    // HTTP status, shown small for support
	Heading   string // e.g. "This link can't be used"
	Body      string // a sentence a person understands
	BackURL   string // optional way back
	BackLabel string
	RequestID string // shown for "Something went wrong" so support can find the log
	// DevDetail, in development mode only, tells the developer integrating
	// an app what the person's message cannot: which setting refused what.
	DevDetail string
}

// OAuthConfirm asks a person who arrived from another site to start a
// provider sign-in themselves (REQ-SES-07).
type OAuthConfirm struct {
	Page
	Heading       string
	Body          string
	ContinueURL   string // the same start, now from the portal's own page
	ContinueLabel string // "Continue with GitHub"
	BackURL       string // the sign-in or sign-up page, with its redirect
	BackLabel     string
}

// OutboxItem is one captured message in the development outbox.
type OutboxItem struct {
	ID        string
	Channel   string // "email" or "sms"
	To        string
	Subject   string
	Text      string
	CreatedAt string
	// HTMLURL serves the email's HTML part; "" for a text message.
	HTMLURL string
}

// OutboxSandbox is the sandbox of an email's HTML part on /dev/outbox, in
// its frame and in its own Content-Security-Policy: an origin of its own,
// no scripts, forms or top-level navigation; its links may open a new tab
// (the email's HTML part opens every link in one), which is not sandboxed,
// so a link to the portal opens the page as the email's reader gets it.
const OutboxSandbox = "allow-popups allow-popups-to-escape-sandbox"

// Outbox is /dev/outbox.
type Outbox struct {
	Page
	Items []OutboxItem
}

// Email is what every email body needs.
type Email struct {
	AppName string
	BaseURL string
	// Lang and Dir are the locale's BCP 47 tag and direction ("rtl" or
	// empty); I18n renders the catalog messages in it (English when nil).
	Lang string
	Dir  string
	I18n Translator
	// Colors are the theme's, for the button; the default when empty.
	Colors EmailColors
	// Logo is the theme's logo above the app's name; none when its URL
	// is empty.
	Logo EmailLogo
}

// EmailLogo is an image at the top of an email: an absolute URL (a mail
// client has no page to resolve a path against) and the size to draw it,
// 0 for a size not known.
type EmailLogo struct {
	URL           string
	Width, Height int
}

// CodeEmail carries a one-time code ("Your verification code is 123456").
type CodeEmail struct {
	Email
	Code    string
	Minutes int    // validity
	Purpose string // "sign-in" or "sign-up"
	// OrgName and Domain name who asks, for a domain's code
	// ("verify-domain").
	OrgName, Domain string
}

// ExistingAccountEmail tells the owner of an address that someone tried to sign
// up with it (instead of revealing to the visitor that the account exists).
type ExistingAccountEmail struct {
	Email
	SignInURL string
}

// LinkEmail carries a sign-in or verification link (a magic link).
type LinkEmail struct {
	Email
	URL     string
	Minutes int
	Purpose string // "sign-in" or "sign-up"
}

// PasswordChangedEmail tells the owner their password was changed.
type PasswordChangedEmail struct {
	Email
	When      string // e.g. "26 Nov 2026 14:03 UTC"
	SignInURL string
}

// SignInLockedEmail tells the owner that failed attempts paused sign-in to
// their account (REQ-RL-07).
type SignInLockedEmail struct {
	Email
	Attempts   int
	Until      string // e.g. "26 Nov 2026, 15:03 UTC"
	AccountURL string // where to change the password and add two-step verification
}

// NewSignInEmail tells the owner that their account was signed in to from
// a browser it had not been used on lately (REQ-RL-07, package newdevice).
type NewSignInEmail struct {
	Email
	When string // e.g. "26 Nov 2026, 15:03 UTC"
	// Browser and OS are the kinds' names ("Firefox", "Windows"), ""
	// when unknown.
	Browser, OS string
	IP          string
	// Method is the first factor's strategy ("password", "oauth_github",
	// …) and Provider the provider's name for an "oauth_" one.
	Method, Provider string
	AccountURL       string // the account page's devices, where to sign them out
	// HasPassword is whether the account has a password: only then does
	// the email say to change it.
	HasPassword bool
}

// SMSCode is the text message carrying a code.
type SMSCode struct {
	AppName string
	Code    string
	Minutes int
	Purpose string
	Domain  string     // the portal's host, for WebOTP's "@host #code" line
	I18n    Translator // English when nil
}

// ConnectedAccount is one provider account on the profile page.
type ConnectedAccount struct {
	ID       string
	Provider string // display name, e.g. "GitHub"
	Email    string
	Username string
}

// UserProfile is /user: a section for each thing the instance enables.
type UserProfile struct {
	Page
	FirstName    string // as stored, or as typed when the form failed
	LastName     string
	Username     string
	ShowUsername bool
	HasUsername  bool   // one is stored: it can be changed, not cleared
	Initials     string // shown when there is no image
	ImageURL     string
	Emails       []ProfileIdentifier
	ShowPhones   bool
	AddPhones    bool // the person may add phone numbers (else the operator adds them)
	Phones       []ProfileIdentifier
	HasPassword  bool
	Devices      []ProfileDevice
	AllowDelete  bool
	Notice       string
	Errors       Errors
	Connected    []ConnectedAccount
	Connect      []SocialButton // providers not connected yet
	BackURL      string         // the app the person came from
	SignOutURL   string
	// Languages are those the portal speaks, to choose the account's
	// from; Language is the one chosen: the user's locale matched to
	// them, else the page's.
	Languages []LanguageOption
	Language  string
}

// LanguageOption is one language of the account page's list: its catalog
// locale and its name in itself ("Deutsch").
type LanguageOption struct {
	Locale, Name string
}

// ProfileIdentifier is one email address or phone number on /user.
type ProfileIdentifier struct {
	ID       string
	Value    string // as shown (phone numbers formatted)
	Primary  bool
	Verified bool
}

// ProfileDevice is one active session on /user.
type ProfileDevice struct {
	ID         string
	Browser    string // "Chrome 126"
	OS         string // "macOS 14.5"; may be empty
	IP         string
	SignedIn   string // formatted time
	LastActive string
	This       bool
}

// PrimaryEmailChangedEmail tells the old primary address that the account
// now uses another one.
type PrimaryEmailChangedEmail struct {
	Email
	NewAddress string
	When       string // e.g. "26 Nov 2026 14:03 UTC"
	SignInURL  string
}

// UserVerify is /user/verify: confirming who one is before a sensitive
// change, which then continues at Return.
type UserVerify struct {
	Page
	Action        string // "/user/verify"
	PrepareAction string // "/user/verify/prepare"
	Return        string
	Strategy      string // the factor shown: "password", "email_code", "phone_code", "totp", "passkey"
	Identifier    string // the account, for password managers
	Destination   string // where a code goes
	CodeSent      bool
	ResendWait    int
	Methods       []Method // the other factors, passkey aside
	// Passkey is the "Use a passkey" form (static/passkeys.js), nil when
	// the account has none.
	Passkey   *PasskeyForm
	Errors    Errors
	CancelURL string
}

// UserAddIdentifier is the form adding an email address or phone number.
type UserAddIdentifier struct {
	Page
	Action    string
	Phone     bool // a phone number rather than an email address
	Value     string
	Errors    Errors
	CancelURL string
}

// UserVerifyIdentifier is the code step of adding an email address or
// phone number.
type UserVerifyIdentifier struct {
	Page
	Action      string // "/user/verify-identifier"
	SendAction  string // "/user/verify-identifier/send"
	FlowID      string
	Destination string
	Phone       bool
	NoLink      bool // no "send a link instead": verifying an address the account has
	ResendWait  int
	Notice      string
	Errors      Errors
	CancelURL   string
}

// UserConfirm asks to confirm one change: making an address primary,
// removing it.
type UserConfirm struct {
	Page
	Heading   string
	Body      string
	Action    string
	Button    string
	Danger    bool
	CancelURL string
	Errors    Errors // why the last press failed
}

// UserPassword is /user/password: set or change the password.
type UserPassword struct {
	Page
	Action        string // "/user/password"
	Identifier    string // the account, for password managers
	Set           bool   // the account has no password yet
	AskCurrent    bool
	PasswordMin   int
	SignOutOthers bool
	Errors        Errors
	CancelURL     string
}

// UserDelete is /user/delete.
type UserDelete struct {
	Page
	Action       string // "/user/delete"
	Phrase       string // what to type to confirm
	Confirmation string // what was typed
	Errors       Errors
	CancelURL    string
}

// DevThemes is /dev/themes: one page shown in the theme in use and in
// every other shipped theme, side by side, for an owner choosing or
// editing a theme.
type DevThemes struct {
	Page
	Pages  []DevLink  // the pages that can be previewed
	Frames []DevFrame // one per theme, the one in use first
	// Refused are the errors of a change to the theme's files that was
	// refused: the pages show the last version that loaded.
	Refused []string
	// Contrast are the pairs of the theme's colours below WCAG AA.
	Contrast []string
}

// DevLink is a page that can be previewed.
type DevLink struct {
	Label   string
	URL     string
	Current bool
}

// DevFrame is the previewed page in one theme.
type DevFrame struct {
	Theme  string
	URL    string // the page with ?__theme=<theme>
	InUse  bool   // the configured theme
	Source string // where the theme in use was read from (InUse only)
}

// OrgInvitationEmail invites someone to join an organization.
type OrgInvitationEmail struct {
	Email
	OrgName     string
	InviterName string // "" when the inviter has no name on file
	// InviterEmail is the inviter's primary address, shown next to the
	// name; "" when they have none.
	InviterEmail string
	URL          string // the one-time link
	Expires      string // e.g. "3 Dec 2026"
}

// AppInvitationEmail invites someone to sign up (an application
// invitation, not an organization's).
type AppInvitationEmail struct {
	Email
	URL     string // the one-time link
	Expires string // e.g. "3 Dec 2026"
	// Waitlist is template_slug waitlist_invitation: the email says the
	// person is off the waiting list.
	Waitlist bool
}

// Waitlist is /waitlist: the form, or once sent the confirmation.
type Waitlist struct {
	Page
	Action    string // form action, "/waitlist"
	Email     string // what was typed, or the prefill; the address confirmed
	Hidden    []Hidden
	Errors    Errors
	SignInURL string // "Already have an account? Sign in", with the redirect parameters
	Joined    bool   // show the confirmation instead of the form
	Captcha   *Captcha
}

// WaitlistJoinedEmail confirms that an address is on the waiting list.
type WaitlistJoinedEmail struct {
	Email
}

// OrgItem is one organization in the switcher.
type OrgItem struct {
	ID      string
	Name    string
	Role    string // display name, e.g. "Admin"
	LogoURL string // "" = initials
	Active  bool
}

// OrgInvitationItem is an invitation waiting for the person, in the
// switcher.
type OrgInvitationItem struct {
	ID      string
	OrgName string
	Role    string // display name
}

// OrgSuggestionItem is an organization suggested to the person, in the
// switcher: "Request to join", or "Requested" once they asked.
type OrgSuggestionItem struct {
	ID        string
	OrgName   string
	Email     string // the person's address that the organization's domain matched
	Requested bool
}

// SwitchOrg is /switch-organization (OrganizationSwitcher); with Task set it
// is the choose-organization step of an instance without personal accounts.
type SwitchOrg struct {
	Page
	Task           bool
	Personal       bool   // offer the personal account
	PersonalActive bool   // it is the current choice
	PersonalName   string // the person's name or email
	Orgs           []OrgItem
	Invitations    []OrgInvitationItem // waiting for the person: Join or decline
	Suggestions    []OrgSuggestionItem // suggested to the person: request to join
	Hidden         []Hidden            // redirect parameters
	CreateURL      string              // "" when creating organizations is off
	ProfileURL     string              // the active organization's page; "" when none
	BackURL        string              // the app the switcher was opened from, unchanged; "" when none or a choice is required
	Errors         Errors
	Notice         string
	SignOutURL     string
}

// CreateOrg is /create-organization.
type CreateOrg struct {
	Page
	Name    string
	Slug    string
	Hidden  []Hidden
	Errors  Errors
	BackURL string
}

// OrgNav is the header and tabs of the organization profile.
type OrgNav struct {
	OrgID           string
	Name            string
	LogoURL         string
	Role            string // the viewer's role, display name
	Current         string // "general", "members", "invitations" or "requests"
	ShowMembers     bool
	ShowInvitations bool
	ShowRequests    bool
	Requests        int    // requests to join waiting for an answer
	Query           string // "?redirect_url=…" carried from tab to tab
	SwitchURL       string
	BackURL         string   // the app the person came from
	Hidden          []Hidden // the redirect_url, carried by every form
}

// OrgGeneral is the organization's own page: details, settings, leave, delete.
type OrgGeneral struct {
	Page
	Nav           OrgNav
	Name          string
	Slug          string
	HasLogo       bool
	CanManage     bool
	CanDelete     bool
	NeedsPassword bool // deleting asks for the password again
	SignInAgain   bool // deleting needs a fresh sign-in: no password to ask for
	Errors        Errors
	ConfirmName   string // as typed in the delete form
	DeleteErrors  Errors
	LeaveConfirm  string // as typed in the leave form
	LeaveErrors   Errors
	Notice        string

	// Verified domains, for those whose role shows them.
	ShowDomains   bool
	ManageDomains bool
	Domains       []OrgDomainRow
	DomainName    string // as typed in the add form
	DomainErrors  Errors
}

// OrgDomainRow is one verified domain in the organization's settings.
type OrgDomainRow struct {
	ID       string
	Name     string
	Verified bool
	Mode     string // the enrollment mode
}

// OrgDomain is one domain's page: verify it with an emailed code, choose
// how people with an address there join, or remove it.
type OrgDomain struct {
	Page
	Nav                OrgNav
	ID                 string
	Name               string
	Verified           bool
	AffiliationEmail   string
	Mode               string // the enrollment mode chosen
	PendingInvitations int
	PendingSuggestions int    // suggestions made through it that nobody asked for yet
	CodeSentTo         string // where the code that can be entered now went; "" for none
	Email              string // as typed in the send form
	Errors             Errors // the send form
	CodeError          string
	ModeError          string
	RemoveError        string
	Notice             string
}

// RoleOption is a role offered in a select.
type RoleOption struct {
	Key  string
	Name string
	// Withheld: it can do more than the viewer's own role, so it is not
	// theirs to give (REQ-AC-03): named, never offered.
	Withheld bool
}

// OrgMember is one row of the member list.
type OrgMember struct {
	ID       string
	Name     string
	Email    string
	Role     string // key, selected in the role select
	RoleName string // its option's label
	// Unoffered: Role is not one of the configured roles (PORTAL_ORG_ROLES
	// changed); the select shows it, selected, besides them.
	Unoffered bool
	Joined    string
	You       bool
	// Above: the member's role can do more than the viewer's, so the row
	// offers no change of role and no removal (REQ-AC-03).
	Above bool
}

// OrgMembers is the member list with search and pages.
type OrgMembers struct {
	Page
	Nav       OrgNav
	Query     string
	Members   []OrgMember
	Roles     []RoleOption
	CanManage bool
	Total     int
	PageNum   int
	Pages     int
	PrevURL   string
	NextURL   string
	Errors    Errors // "query": beside the search box
	Notice    string
	// Hidden goes with every change made from the list: the app's
	// redirect_url, and the page and search to come back to.
	Hidden []Hidden
}

// OrgInvitationRow is one pending invitation.
type OrgInvitationRow struct {
	ID       string
	Email    string
	RoleName string
	Expires  string
	Expired  bool
	// Above: it gives a role that can do more than the viewer's, so it is
	// not theirs to resend or revoke (REQ-AC-03).
	Above bool
}

// OrgInvitations is the invite form and the pending invitations.
type OrgInvitations struct {
	Page
	Nav         OrgNav
	Emails      string // as typed
	Role        string // selected
	Roles       []RoleOption
	Invitations []OrgInvitationRow
	Errors      Errors
	Notice      string
}

// OrgRequests is the organization's requests to join, to accept or reject.
type OrgRequests struct {
	Page
	Nav      OrgNav
	Requests []OrgRequestRow
	Total    int
	PageNum  int
	Pages    int
	PrevURL  string
	NextURL  string
	Errors   Errors
	Notice   string
	// CannotAccept: the viewer's role may not give the member role that
	// accepting gives (a custom manager below it): only Reject is offered.
	CannotAccept bool
}

// OrgRequestRow is one request to join.
type OrgRequestRow struct {
	ID    string
	Name  string // "" when the person has no name on file
	Email string // their address at the organization's domain
	Asked string // the day they asked, formatted
}

// AcceptInvitation asks a signed-in invitee to confirm joining.
type AcceptInvitation struct {
	Page
	OrgName string
	Inviter string // who sent it, as the email names them; "" when unknown
	Email   string
	Role    string
	Ticket  string
	NotNow  string // "Not now": back to the app the invitation was sent from; "" = home
}

// acceptSubtitle says who invited the person, when known, as the email did.
func acceptSubtitle(p AcceptInvitation) string {
	if name := shownName(p.Inviter); name != "" {
		return p.T("org.accept.subtitle_from", "Inviter", name, "Org", p.OrgName, "Role", p.Role)
	}
	return p.T("org.accept.subtitle", "Org", p.OrgName, "Role", p.Role)
}

// PasskeyForm is a form static/passkeys.js runs: it fetches the WebAuthn
// options from OptionsURL, asks the browser, and posts the credential to
// Action. It stays hidden where the browser has no WebAuthn.
type PasskeyForm struct {
	Action     string
	OptionsURL string
	Hidden     []Hidden // flow fields, redirect parameters
	Label      string   // the button
	LastUsed   bool     // this browser last signed in with a passkey
	// Primary draws the button as the page's main action, where it is
	// the only one (adding a passkey), not an alternative to a form.
	Primary bool
}

// primary is f drawn as its page's main action.
func (f PasskeyForm) primary() PasskeyForm {
	f.Primary = true
	return f
}

// SignInPasskey is the first-factor step that signs in with a passkey.
type SignInPasskey struct {
	Page
	Identifier    string
	ChangeURL     string
	Form          PasskeyForm
	Errors        Errors
	OtherMethods  []Method
	PrepareAction string
	FlowID        string
}

// SignInFactorTwo is the second step of sign-in: an authenticator-app code,
// a backup code or a texted code.
type SignInFactorTwo struct {
	Page
	Action        string // "/sign-in/factor-two"
	PrepareAction string // "/sign-in/factor-two/prepare": choose another, resend
	FlowID        string
	Strategy      string // "totp", "backup_code", "phone_code"
	Heading       string
	Subtitle      string
	ResendWait    int // phone_code: seconds until a new code may be sent
	Errors        Errors
	Notice        string
	OtherMethods  []Method
	ChangeURL     string // sign in as someone else
}

// PasskeyItem is one passkey in the list on /user/security.
type PasskeyItem struct {
	ID       string // encoded credential ID
	Name     string
	Created  string
	LastUsed string // "" when never used
}

// PasskeyRename is a rename that was refused: which passkey, what was typed
// and why.
type PasskeyRename struct {
	ID, Value, Error string
}

// value is what the passkey's rename box holds: what was typed when its
// rename was refused, else its name.
func (r PasskeyRename) value(k PasskeyItem) string {
	if r.ID == k.ID {
		return r.Value
	}
	return k.Name
}

// UserSecurity is /user/security: passkeys and the second step of sign-in.
type UserSecurity struct {
	Page
	Notice string
	Errors Errors
	// Required says the instance requires a second factor the person has
	// not set up yet; ContinueURL goes back to the app once they have.
	Required    bool
	ContinueURL string
	// Passkeys, when the instance offers them.
	PasskeysEnabled bool
	Passkeys        []PasskeyItem
	MaxPasskeys     int
	Rename          PasskeyRename // a refused rename, shown open again
	// Second factors: what the instance offers, and what the person has.
	TOTPEnabled   bool
	TOTP          bool
	PhoneEnabled  bool
	Phone         string // the verified number texts would go to; "" when none
	PhoneOn       bool
	BackupEnabled bool
	BackupCodes   int // unused
	SecondFactor  bool
	BackURL       string // /user
	// Carry is appended to the setup links ("?redirect_url=…") so that a
	// required enrolment returns to the app afterwards.
	Carry string
}

// PasskeyAdd is the page that adds a passkey (also offered after sign-up).
type PasskeyAdd struct {
	Page
	Form        PasskeyForm
	AfterSignUp bool
	SkipURL     string // "Not now" after sign-up; "Cancel" otherwise
	Errors      Errors
}

// TOTPSetup shows the QR code and the secret of a pending authenticator
// app, and asks for a code to confirm it.
type TOTPSetup struct {
	Page
	Action  string
	Secret  string
	QRSVG   string // drawn by the portal from the otpauth:// URL: no user data, no request
	Hidden  []Hidden
	Errors  Errors
	BackURL string
}

// BackupCodesShown shows new backup codes, once.
type BackupCodesShown struct {
	Page
	Heading     string
	Codes       []string
	Account     string // whose codes: the account's address, username or number, for the file and the printout
	ContinueURL string
}

// Confirm asks to confirm one action.
type Confirm struct {
	Page
	Heading string
	Body    string
	Action  string
	Button  string
	Hidden  []Hidden
	BackURL string
	Errors  Errors
	Danger  bool // the button undoes something for good: in the danger colour
}

// unlessNotSent is a code or link step's subtitle ("Enter the code we sent
// to …"), or none when nothing was sent: the page's alert then says the
// send failed, and a subtitle claiming otherwise would contradict it.
func unlessNotSent(notSent bool, subtitle string) string {
	if notSent {
		return ""
	}
	return subtitle
}

// LinkSignedIn is the page of a spent email link opened while signed in.
type LinkSignedIn struct {
	Page
	Who         string // the account signed in: its address, username or number
	ContinueURL string // on to the app the link was for, "" when it named none
	AccountURL  string // the account page, "/user"
}
