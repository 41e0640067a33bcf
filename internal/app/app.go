// Package app is Portal's composition root: from a Config it opens the store,
// builds every service with plain constructors and serves HTTP. cmd/portal
// calls it, and tests start the same thing in-process.
package app

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/handlers"
	"github.com/portalhq/portal/internal/account"
	"github.com/portalhq/portal/internal/admin"
	"github.com/portalhq/portal/internal/avatar"
	"github.com/portalhq/portal/internal/captcha"
	"github.com/portalhq/portal/internal/config"
	authfactors "github.com/portalhq/portal/internal/factors"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/i18n"
	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/invitation"
	"github.com/portalhq/portal/internal/jwttemplate"
	"github.com/portalhq/portal/internal/mailer"
	"github.com/portalhq/portal/internal/newdevice"
	"github.com/portalhq/portal/internal/notify"
	"github.com/portalhq/portal/internal/oauth"
	"github.com/portalhq/portal/internal/oauthtoken"
	"github.com/portalhq/portal/internal/org"
	"github.com/portalhq/portal/internal/passkey"
	"github.com/portalhq/portal/internal/password"
	"github.com/portalhq/portal/internal/phone"
	"github.com/portalhq/portal/internal/ratelimit"
	"github.com/portalhq/portal/internal/redirect"
	"github.com/portalhq/portal/internal/restrict"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/signin"
	"github.com/portalhq/portal/internal/signintoken"
	"github.com/portalhq/portal/internal/signup"
	"github.com/portalhq/portal/internal/slots"
	"github.com/portalhq/portal/internal/sms"
	"github.com/portalhq/portal/internal/social"
	"github.com/portalhq/portal/internal/store"
	"github.com/portalhq/portal/internal/theme"
	"github.com/portalhq/portal/internal/token"
	"github.com/portalhq/portal/internal/user"
	"github.com/portalhq/portal/internal/waitlist"
	"github.com/portalhq/portal/internal/webhook"
)

// Options are what tests inject; zero values mean the real thing.
type Options struct {
	Clock  clockwork.Clock
	Mailer notify.Mailer // replaces SMTP / the dev outbox
	SMS    sms.Sender    // replaces Twilio / the dev outbox
	Log    io.Writer     // log destination; os.Stderr when nil
	Hasher *password.Hasher
}

// Portal is a built, not yet serving, instance.
type Portal struct {
	Config  *config.Config
	Log     *slog.Logger
	Clock   clockwork.Clock
	Store   *store.Store
	Signer  *token.Signer
	Limiter *ratelimit.Limiter
	Hasher  *password.Hasher
	Handler http.Handler

	// SecretKey is the Backend API key in force (configured or generated).
	SecretKey string
	// InstanceID names this instance in webhook envelopes.
	InstanceID    string
	Webhooks      *webhook.Service
	WebhookWorker *webhook.Worker

	// smtp is the mail server PORTAL_SMTP_URL names, checked as serving
	// starts (nil: the dev outbox, or a mailer a test injected).
	smtp     *notify.SMTPMailer
	server   *http.Server
	listener net.Listener
	cancel   context.CancelFunc
	done     chan struct{}
	// later counts the work requests left running after their answer
	// (Later); Close waits for it before closing the store, and once
	// closing (closed, under laterMu) Later starts nothing more.
	later   sync.WaitGroup
	laterMu sync.Mutex
	closed  bool
	// shuttingDown is set when Serve's ctx ends: /readyz answers 503
	// through the shutdown delay. endDelay, when closed, ends that delay
	// early (EndDelayOn).
	shuttingDown atomic.Bool
	endDelay     <-chan struct{}
}

// laterTimeout bounds work left running after a request (an email).
const laterTimeout = time.Minute

// Later runs fn after the request that asked for it, with that request's
// values (its language, its request ID) but not its cancellation. A
// failure is logged, and so is a panic, which ends only fn. Once Close has
// begun, fn is dropped (logged): the store it would use is closing.
func (p *Portal) Later(ctx context.Context, fn func(context.Context) error) {
	p.laterMu.Lock()
	if p.closed {
		p.laterMu.Unlock()
		p.Log.WarnContext(ctx, "background work dropped: the portal is shutting down")
		return
	}
	p.later.Add(1)
	p.laterMu.Unlock()
	go func() {
		defer p.later.Done()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), laterTimeout)
		defer cancel()
		defer func() {
			if r := recover(); r != nil {
				p.Log.ErrorContext(ctx, "background work panicked", "panic", r, "stack", string(debug.Stack()))
			}
		}()
		if err := fn(ctx); err != nil {
			p.Log.WarnContext(ctx, "background work failed", "err", err)
		}
	}()
}

// Settle waits for the work requests left running after their answer
// (Later) to end. Tests call it between requests, to see what that work
// did, or that it sent nothing; nothing may call Later meanwhile.
func (p *Portal) Settle() { p.later.Wait() }

// sendTimeout bounds a send to another service (the mail server, the SMS
// provider) so that a request that sends an email or a text still answers
// within the HTTP write timeout: a server that stalls gets the person "We
// couldn't send the email just now", not a connection the server drops
// unanswered, nor the request running out of time. Half the write timeout
// is left for the rest of the request (hashing a password, the database),
// and no send takes over most.
func sendTimeout(write, most time.Duration) time.Duration {
	if write > 0 {
		return min(most, write/2)
	}
	return most
}

// mailTimeouts bounds connecting to the mail server and a whole send
// (sendTimeout, at most 20 s).
func mailTimeouts(write time.Duration) (dial, send time.Duration) {
	send = sendTimeout(write, 20*time.Second)
	return min(10*time.Second, send/2), send
}

// Build opens the store and wires every service.
func Build(ctx context.Context, cfg *config.Config, opt Options) (*Portal, error) {
	clock := opt.Clock
	if clock == nil {
		clock = clockwork.NewRealClock()
	}
	log := newLogger(cfg, opt.Log)
	// A first start on SQLite creates the database, then a signing key.
	// Generating the key takes 20 ms to several hundred on a slow machine;
	// it runs while the migrations do instead of after them.
	var ahead *token.PendingKey
	if path, ok := cfg.SQLitePath(); ok {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			ahead = token.GenerateAhead(clock)
		}
	}
	st, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	st.ServeImagesAt(cfg.BaseURL)
	if db, known := st.Newer(); db != 0 {
		log.Warn("the database was migrated by a newer Portal: fine while a rolling upgrade is under way; "+
			"after a rollback, restore the backup taken before the upgrade, or run the newer Portal again",
			"database_migration", db, "known_migration", known)
	}
	p := &Portal{Config: cfg, Log: log, Clock: clock, Store: st}
	if err := p.wire(ctx, opt, ahead); err != nil {
		st.Close()
		return nil, err
	}
	return p, nil
}

func (p *Portal) wire(ctx context.Context, opt Options, ahead *token.PendingKey) error {
	cfg, st, clock := p.Config, p.Store, p.Clock
	secrets, err := p.secrets(ctx)
	if err != nil {
		return err
	}
	p.SecretKey = secrets.apiKey
	p.sameSecrets(ctx)
	if p.Signer, err = token.NewSigner(ctx, st.Q, clock, cfg.SessionTokenTTL, token.WithPendingKey(ahead)); err != nil {
		return fmt.Errorf("signing keys: %w", err)
	}
	policy, err := redirect.NewPolicy(cfg.AllowedRedirectOrigins)
	if err != nil {
		return err
	}
	if base, err := url.Parse(cfg.BaseURL); err == nil && !devOrigins(cfg) {
		if far := policy.BeyondCookies(base.Hostname(), cfg.CookieDomain); len(far) > 0 {
			// The first deployment's classic: portal and app on two hosts,
			// PORTAL_COOKIE_DOMAIN unset; sign-in and the app then send the
			// browser back and forth. Not an error: an app may get its tokens
			// from the front-end token endpoint instead.
			p.Log.Warn("PORTAL_ALLOWED_REDIRECT_ORIGINS: these apps never receive the __session and __client_uat cookies, "+
				"so sign-in returns to them without a token: serve them on the portal's host (localhost, not 127.0.0.1, "+
				"beside a portal on localhost), or set PORTAL_COOKIE_DOMAIN to a domain they share with the portal "+
				"(example.com for accounts.example.com and app.example.com)",
				"origins", strings.Join(far, ","), "cookie_domain", cmp.Or(cfg.CookieDomain, base.Hostname()+" (host-only)"))
		}
	}
	if plain := policy.OverPlainHTTP(); cfg.Secure() && len(plain) > 0 {
		// The cookies of a portal on https:// are Secure: a browser keeps
		// them from a page on http:// (localhost aside), so sign-in returns
		// to such an app without a token, round and round.
		p.Log.Warn("PORTAL_ALLOWED_REDIRECT_ORIGINS: these apps are served over http:// but the portal, on https://, "+
			"marks __session and __client_uat Secure, which browsers never send to an http:// page: "+
			"serve the apps over https://", "origins", strings.Join(plain, ","))
	}
	warnRisky(p.Log, cfg)
	hasher := opt.Hasher
	if hasher == nil {
		hasher = password.NewHasher(password.DefaultParams, cfg.HashConcurrency, 0)
	}
	p.Hasher = hasher
	send := opt.Mailer
	var outbox handlers.Outbox
	switch {
	case send != nil:
	case cfg.SMTPURL != "":
		dial, total := mailTimeouts(cfg.WriteTimeout)
		if p.smtp, err = notify.NewSMTP(cfg.SMTPURL, cfg.EmailFrom, notify.WithClock(clock),
			notify.WithTimeouts(dial, total)); err != nil {
			return err
		}
		send = p.smtp
	default:
		send, outbox = notify.NewDevOutbox(st.Q, p.Log, clock), st.Q
	}
	countries, err := phone.NewAllowlist(cfg.SMSCountries)
	if err != nil {
		return fmt.Errorf("PORTAL_SMS_COUNTRIES: %w", err)
	}
	restrictions, err := cfg.Restrictions()
	if err != nil {
		return fmt.Errorf("PORTAL_ALLOWLIST, PORTAL_BLOCKLIST: %w", err)
	}
	// The entries added through the Backend API count with the configured
	// ones, read from the database at every check (every machine sees a
	// change at once).
	restrictions.Stored = st.Q
	var texts sms.Sender
	switch {
	case opt.SMS != nil:
		texts = opt.SMS
	case cfg.SMSProvider == "twilio":
		if texts, err = sms.NewTwilio(sms.TwilioConfig{AccountSID: cfg.TwilioAccountSID, AuthToken: cfg.TwilioAuthToken,
			From: cfg.TwilioFrom, APIURL: cfg.TwilioAPIURL, Clock: clock,
			Timeout: sendTimeout(cfg.WriteTimeout, sms.Timeout)}); err != nil {
			return err
		}
	default:
		texts = sms.NewDevOutbox(st.Q, p.Log, clock)
	}
	var bots *captcha.Verifier
	if cfg.CaptchaProvider != "" {
		verify, script := cfg.CaptchaURLs()
		if bots, err = captcha.New(captcha.Config{Provider: cfg.CaptchaProvider, SiteKey: cfg.CaptchaSiteKey,
			Secret: cfg.CaptchaSecretKey, VerifyURL: verify, ScriptURL: script, Hostname: cfg.BaseHost()}); err != nil {
			return err
		}
	}
	catalog, err := i18n.New(cfg.DefaultLocale, cfg.LocalesDir)
	if err != nil {
		return err
	}
	look, err := theme.NewLive(cfg.Theme, cfg.ThemeCSS, cfg.Dev())
	if err != nil {
		return err
	}
	look.Loaded = func(t *theme.Theme) { warnContrast(p.Log, t) }
	look.Refused = func(err error) {
		p.Log.Warn("theme file refused, still using the last good version until it is fixed", "err", err)
	}
	if t, _ := look.Theme(); t != nil {
		warnContrast(p.Log, t)
	}
	// The app's name as the pages show it, for what is named outside them:
	// passkeys and authenticator apps (the mailer reads the theme itself).
	appName := func() string {
		t, _ := look.Theme() // on a reload error, the last good theme
		return t.AppName(cfg.AppName)
	}
	mail := &mailer.Mailer{Clock: clock, Send: send, Events: st.Q, AppName: cfg.AppName, BaseURL: cfg.BaseURL,
		SMS: texts, Countries: countries, I18n: catalog, Theme: look}

	sessions := &session.Service{Clock: clock, Signer: p.Signer, Issuer: cfg.BaseURL, Repo: st.Q,
		InTx: store.Tx[session.Repo](st),
		Policy: session.Policy{TokenTTL: cfg.SessionTokenTTL, MaxLifetime: cfg.SessionMaxLifetime,
			Inactivity: cfg.SessionInactivityTimeout}, Restrict: restrictions}
	codes := &flow.Codes{Clock: clock, Key: secrets.codeKey, Limits: flow.SendLimits{
		PerTargetHour: cfg.SendLimitPerIdentifierHour, PerTargetDay: cfg.SendLimitPerIdentifierDay,
		PerIPHour: cfg.SendLimitPerIPHour, PerIPDay: cfg.SendLimitPerIPDay,
		SMSPerMinute: cfg.SMSLimitPerMinute, SMSPerHour: cfg.SMSLimitPerHour}}
	minLen := cfg.PasswordMinLength
	if cfg.RequireMFA {
		minLen = cfg.PasswordMinLengthMFA
	}
	// No password may contain the app's name as the pages show it, with
	// its spaces or without ("Acme Rockets", "AcmeRockets").
	pwPolicy := password.Policy{MinLength: minLen, Words: func() []string {
		name := appName()
		return []string{name, strings.Join(strings.Fields(name), "")}
	}}
	if cfg.PasswordBreachCheck {
		// Its own client: a lookup never waits behind, or holds up, other
		// outbound traffic; the timeout also bounds a slow body.
		pwPolicy.Breaches = &password.Breaches{URL: cfg.PwnedPasswordsURL, Log: p.Log,
			Client: &http.Client{Timeout: password.BreachTimeout, Transport: http.DefaultTransport.(*http.Transport).Clone()}}
	}
	ids := flow.Identifiers{Email: cfg.HasIdentifier("email"), Phone: cfg.HasIdentifier("phone"),
		Username: cfg.HasIdentifier("username"), Region: cfg.PhoneRegion}
	// Failures that lock an account email its owner (REQ-RL-07), after the answer.
	lockout := signin.Lockout{Threshold: cfg.LockoutThreshold, Duration: cfg.LockoutDuration, Notifier: mail, Later: p.Later,
		Log: p.Log}
	// What every user may do on their own, which their user objects say
	// (Clerk's delete_self_enabled, create_organization_enabled).
	can := user.Abilities{DeleteSelf: cfg.AllowAccountDeletion, CreateOrganization: cfg.OrgCreation}
	in := &signin.Service{Clock: clock, Repo: st.Q, InTx: store.Tx[signin.Repo](st), Sessions: sessions, UserAbilities: can,
		Identifiers: ids, Hasher: hasher, Policy: pwPolicy, AppName: cfg.AppName, Notifier: mail,
		LinkOtherDeviceSession: cfg.EmailLinkOtherDeviceSession, Restrict: restrictions,
		Strict: cfg.EnumerationProtection == config.EnumerationStrict}
	tickets := &signintoken.Service{Clock: clock, Repo: st.Q, InTx: store.Tx[signintoken.Repo](st), BaseURL: cfg.BaseURL,
		SessionLifetime: cfg.SessionMaxLifetime}
	in.Tickets = tickets
	factors := cfg.EnabledFactors()
	if !cfg.PasskeysPossible() && slices.Contains(factors, flow.Passkey) {
		p.Log.Warn("passkeys are off: WebAuthn needs the base URL to be a domain name, not an IP address", "base_url", cfg.BaseURL)
		factors = slices.DeleteFunc(factors, func(f string) bool { return f == flow.Passkey })
	}
	rpID, origins := cfg.PasskeyRelyingParty()
	passkeys, err := passkey.New(passkey.Config{RPID: rpID, RPName: cfg.AppName, Name: appName, Origins: origins,
		MaxPerUser: cfg.PasskeysMax}, clock, st.Q)
	if err != nil && slices.Contains(factors, flow.Passkey) {
		return fmt.Errorf("passkeys: %w", err)
	}
	// One rule keeps every account a way to sign in, whatever is removed
	// (user.CanSignIn): identifiers, provider accounts, passkeys.
	waysIn := user.SignInOptions{Email: ids.Email, Phone: ids.Phone, Username: ids.Username, Factors: factors}
	second := &authfactors.Service{Clock: clock, Repo: st.Q, InTx: store.Tx[authfactors.Repo](st), Key: secrets.totpKey, UserAbilities: can,
		Issuer: appName, Passkeys: passkeys, SignIn: waysIn, SecondFactors: cfg.EnabledSecondFactors(),
		RequireMFA: cfg.RequireMFA,
		// Imported bcrypt backup codes take at most half the CPUs, waiting
		// as long as a password hash may (REQ-PW-09).
		Bcrypt: slots.New(runtime.GOMAXPROCS(0)/2, 3*time.Second)}
	in.Lockout = lockout
	code := func(strategy string) *signin.CodeStrategy {
		return &signin.CodeStrategy{Strategy: strategy, Codes: codes, Store: st.Q, Notifier: mail}
	}
	for _, f := range factors {
		switch f {
		case flow.Password:
			in.Strategies = append(in.Strategies, &signin.PasswordStrategy{Clock: clock, Hasher: hasher, Repo: st.Q,
				Lockout: lockout})
		case flow.EmailCode, flow.PhoneCode:
			in.Strategies = append(in.Strategies, code(f))
		case flow.EmailLink:
			in.Strategies = append(in.Strategies, &signin.LinkStrategy{Codes: codes, Store: st.Q, Notifier: mail,
				BaseURL: cfg.BaseURL})
		case flow.Passkey:
			in.Strategies = append(in.Strategies, &signin.PasskeyStrategy{Clock: clock, Passkeys: passkeys})
		}
	}
	for _, f := range cfg.EnabledSecondFactors() {
		switch f {
		case flow.TOTP:
			in.SecondFactors = append(in.SecondFactors, &signin.TOTPStrategy{Checker: second})
		case flow.BackupCode:
			in.SecondFactors = append(in.SecondFactors, &signin.BackupCodeStrategy{Checker: second})
		case flow.PhoneCode:
			in.SecondFactors = append(in.SecondFactors, &signin.SecondFactorPhoneStrategy{Codes: codes, Store: st.Q, Notifier: mail})
		}
	}
	if slices.Contains(factors, flow.Password) { // a password can be reset through what the account can receive
		if ids.Email {
			in.Strategies = append(in.Strategies, code(flow.ResetPasswordEmailCode))
		}
		if ids.Phone {
			in.Strategies = append(in.Strategies, code(flow.ResetPasswordPhoneCode))
		}
	}
	emailVia, emailAlt := flow.EmailCode, ""
	switch {
	case slices.Contains(factors, flow.EmailCode) && slices.Contains(factors, flow.EmailLink):
		emailAlt = flow.EmailLink
	case slices.Contains(factors, flow.EmailLink):
		emailVia = flow.EmailLink
	}
	up := &signup.Service{Clock: clock, Repo: st.Q, InTx: store.Tx[signup.Repo](st), Sessions: sessions, UserAbilities: can,
		Hasher: hasher, Policy: pwPolicy, Codes: codes, Notifier: mail, AppName: cfg.AppName, BaseURL: cfg.BaseURL,
		Fields:   signup.Fields{Shown: set(cfg.SignUpFieldsShown()), Required: set(cfg.SignUpFieldsRequired())},
		EmailVia: emailVia, EmailAlt: emailAlt, PhoneRegion: cfg.PhoneRegion, Countries: countries,
		LinkOtherDeviceSession: cfg.EmailLinkOtherDeviceSession, Restrict: restrictions,
		Restricted: cfg.InviteOnly(), LegalConsent: cfg.LegalConsent,
		BotProtection: bots != nil, BotBypass: cfg.CaptchaBypass()}
	providers, err := oauth.FromConfig(cfg.OAuth, cfg.OIDC, &http.Client{Timeout: 10 * time.Second})
	if err != nil {
		return err
	}
	for _, pr := range providers {
		p.Log.Info("sign-in provider enabled: register this callback URL with it", "provider", pr.DisplayName(),
			"callback_url", oauth.CallbackURL(cfg.BaseURL, pr.Name()))
		if err := pr.Prepare(ctx); err != nil { // discovery is retried on first use
			p.Log.Warn("sign-in provider not reachable yet", "provider", pr.Name(), "err", err)
		}
	}
	sealer, err := oauth.NewSealer(secrets.oauthKey)
	if err != nil {
		return err
	}
	// Provider tokens are sealed with the key that seals TOTP secrets,
	// each bound to its external account's ID (package seal).
	tokenSealer := oauthtoken.Sealer{Key: secrets.totpKey}
	soc := &social.Service{Clock: clock, Repo: st.Q, InTx: store.Tx[social.Repo](st), Sessions: sessions, SignUp: up, UserAbilities: can,
		SecondStep: in, WaysIn: waysIn, Restrict: restrictions, Tokens: tokenSealer}
	if cfg.NotifyNewSignIn {
		// A sign-in from a browser new to the account emails its owner
		// (REQ-RL-07), after the answer.
		names := make(map[string]string, len(providers))
		for _, pr := range providers {
			names[pr.Name()] = pr.DisplayName()
		}
		watch := &newdevice.Service{Repo: st.Q, Notifier: mail, Later: p.Later, Log: p.Log,
			Providers: func(name string) string { return names[name] }}
		in.Watch, soc.Watch = watch, watch
	}
	providerTokens := &oauthtoken.Service{Clock: clock, Repo: st.Q, Sealer: tokenSealer, Providers: providers, Log: p.Log}
	// Profile images and organization logos are decoded a few at a time.
	images := avatar.NewResizer(2)
	acct := &account.Service{Clock: clock, Repo: st.Q, InTx: store.Tx[account.Repo](st), Sessions: sessions, UserAbilities: can,
		Codes: codes, Notifier: mail, Hasher: hasher, Policy: pwPolicy, Images: images,
		Password: &signin.PasswordStrategy{Clock: clock, Hasher: hasher, Repo: st.Q,
			Lockout: lockout},
		SignIn:      waysIn,
		PhoneRegion: cfg.PhoneRegion, Countries: countries, AppName: cfg.AppName, BaseURL: cfg.BaseURL,
		AllowDeletion: cfg.AllowAccountDeletion, Restrict: restrictions, Factors: second}
	// "Confirm it's you" before sensitive changes, in the order offered: a
	// password (failures count towards the lockout), an emailed or texted
	// code, a passkey, the authenticator app.
	acct.ReverifyFactors = []account.Factor{&account.PasswordFactor{Check: acct.Password},
		&account.CodeFactor{Strategy: flow.EmailCode, Codes: codes, Store: st.Q, Notifier: mail}}
	if ids.Phone {
		acct.ReverifyFactors = append(acct.ReverifyFactors,
			&account.CodeFactor{Strategy: flow.PhoneCode, Codes: codes, Store: st.Q, Notifier: mail})
	}
	if slices.Contains(factors, flow.Passkey) {
		acct.ReverifyFactors = append(acct.ReverifyFactors,
			&account.PasskeyFactor{SignIn: &signin.PasskeyStrategy{Clock: clock, Passkeys: passkeys}})
	}
	if slices.Contains(cfg.EnabledSecondFactors(), flow.TOTP) {
		acct.ReverifyFactors = append(acct.ReverifyFactors, &account.TOTPFactor{Clock: clock, Checker: second,
			Failures: st.Q, Lockout: lockout})
	}
	roles := cfg.OrgRoles
	if roles == nil {
		roles = org.DefaultRoles()
	}
	orgs := &org.Service{Clock: clock, Repo: st.Q, InTx: store.Tx[org.Repo](st), Roles: roles,
		Policy: org.Policy{CreateEnabled: cfg.OrgCreation, CreateLimit: cfg.OrgCreationLimit,
			MaxMembers: cfg.OrgMaxMembers, InvitationTTL: cfg.OrgInvitationTTL, PersonalAccounts: cfg.PersonalAccounts},
		Notifier: mail, Passwords: acct.Password, BaseURL: cfg.BaseURL, Codes: codes, Images: images}
	up.Domains = orgs
	invites := &invitation.Service{Clock: clock, Repo: st.Q, InTx: store.Tx[invitation.Repo](st), Notifier: mail, UserAbilities: can,
		BaseURL: cfg.BaseURL}
	// The Backend API keeps the list in every mode (the operator may fill
	// it before switching to waitlist mode); the page is waitlist mode's.
	waiting := &waitlist.Service{Clock: clock, Repo: st.Q, InTx: store.Tx[waitlist.Repo](st), Invitations: invites,
		Notifier: mail, Restrict: restrictions, Later: p.Later}
	lists := &restrict.Service{Clock: clock, Repo: st.Q, InTx: store.Tx[restrict.Repo](st), Invitations: invites,
		Region: cfg.PhoneRegion, Configured: restrictions}
	sessions.Orgs = orgs
	acct.Orgs = orgs
	if err := p.wireWebhooks(ctx); err != nil {
		return err
	}
	p.Limiter = ratelimit.New(clock, 100_000)
	if st.Dialect() == store.Postgres {
		// Several machines may share this database: so do the limits.
		p.Limiter.Share(st.Q, func(err error) { p.Log.Warn("shared rate limit; this process's own limit applied", "err", err) })
	}
	templates := &jwttemplate.Service{Clock: clock, Store: st.Q, Signer: p.Signer, Issuer: cfg.BaseURL,
		Orgs: templateOrgs{orgs}, Admit: sessions.Admit}
	if cfg.SessionTokenClaims != "" { // checked by config.Validate
		custom, err := jwttemplate.CompileSession([]byte(cfg.SessionTokenClaims))
		if err != nil {
			return fmt.Errorf("PORTAL_SESSION_TOKEN_CLAIMS: %w", err)
		}
		sessions.CustomClaims = templates.SessionClaims(custom, func(ctx context.Context, sess *session.Session, size int) {
			p.Log.ErrorContext(ctx, "custom session claims left out of the token: larger than the limit",
				"user_id", sess.UserID, "session_id", sess.ID, "bytes", size, "limit", jwttemplate.MaxSessionClaimsBytes)
		})
	}
	p.Handler, err = handlers.New(handlers.Deps{Config: cfg, Log: p.Log, Clock: clock, SignIn: in, SignUp: up, Codes: codes,
		Providers: providers, Sealer: sealer, Social: soc, OAuthTokens: providerTokens,
		Sessions: sessions, Signer: p.Signer, Redirects: policy, Users: st.Q, Outbox: outbox, Limiter: p.Limiter,
		Ready: st.Ready, ShuttingDown: p.shuttingDown.Load, CookieKeys: secrets.cookieKeys, PasswordMin: minLen,
		SecretKey: p.SecretKey, AdminRepo: st.Q, Webhooks: p.Webhooks,
		Templates: templates,
		AdminUsers: &admin.Users{Clock: clock, Repo: st.Q, InTx: store.Tx[admin.Repo](st), Sessions: sessions, UserAbilities: can,
			Hasher: hasher, Policy: pwPolicy, AppName: cfg.AppName, PhoneRegion: cfg.PhoneRegion, Orgs: orgs,
			LegalConsent: cfg.LegalConsent, Passwords: slices.Contains(factors, flow.Password), Identifiers: waysIn,
			Factors: second},
		Passkeys: passkeys, Factors: second, Theme: look, I18n: catalog, Account: acct, Images: st.Q, Orgs: orgs,
		Invitations: invites, Waitlist: waiting, SignInTokens: tickets, Lists: lists, Captcha: bots, Marks: st.Q})
	return err
}

// wireWebhooks builds the endpoint service and the delivery worker, and
// brings the PORTAL_WEBHOOK_URL endpoint in line with the configuration.
func (p *Portal) wireWebhooks(ctx context.Context) error {
	cfg, st := p.Config, p.Store
	instance, err := st.Q.SettingOrInit(ctx, "instance_id", func() string { return id.New("ins") })
	if err != nil {
		return err
	}
	p.InstanceID = instance
	tx := store.Tx[webhook.Store](st)
	p.WebhookWorker = &webhook.Worker{Clock: p.Clock, Store: st.Q, InTx: tx, InstanceID: instance, Log: p.Log,
		Client: webhook.NewHTTPClient(cfg.WebhookAllowPrivate)}
	p.Webhooks = &webhook.Service{Clock: p.Clock, Store: st.Q, InTx: tx, AllowPrivate: cfg.WebhookAllowPrivate,
		Wake: p.WebhookWorker.Wake}
	return p.Webhooks.Configure(ctx, cfg.WebhookURL, cfg.WebhookSecret)
}

func set(list []string) map[string]bool {
	m := make(map[string]bool, len(list))
	for _, v := range list {
		m[v] = true
	}
	return m
}

type secrets struct {
	totpKey    []byte
	oauthKey   []byte
	apiKey     string
	cookieKeys [][]byte
	codeKey    []byte
}

// secrets takes configured secrets, or in development generates them once
// and keeps them in the database so restarts keep sessions and keys.
func (p *Portal) secrets(ctx context.Context) (secrets, error) {
	cfg, q := p.Config, p.Store.Q
	get := func(key, configured string, gen func() string) (string, error) {
		if configured != "" {
			return configured, nil
		}
		if !cfg.Dev() {
			return "", fmt.Errorf("%s must be set in production", key)
		}
		return q.SettingOrInit(ctx, key, gen)
	}
	apiKey, err := get("secret_key", cfg.SecretKey, func() string { return "sk_test_" + id.Random(40) })
	if err != nil {
		return secrets{}, err
	}
	cookie, err := get("cookie_secret", cfg.CookieSecret, func() string { return id.Secret(32) })
	if err != nil {
		return secrets{}, err
	}
	// Separate keys per purpose, derived from the one cookie secret.
	derive := func(purpose string) []byte {
		h := sha256.Sum256([]byte(purpose + "\x00" + cookie))
		return h[:]
	}
	// TOTP secrets and provider tokens are sealed with a key derived from
	// the cookie secret: changing that secret makes enrolled authenticator
	// apps unusable, and kept provider tokens unreadable until each person
	// signs in with the provider again.
	return secrets{apiKey: apiKey, codeKey: derive("codes"), oauthKey: derive("oauth-pending"), totpKey: derive("totp-secret"),
		cookieKeys: [][]byte{derive("client-cookie-hash"), derive("client-cookie-block")}}, nil
}

// sameSecrets warns when this portal's PORTAL_SECRET_KEY or
// PORTAL_COOKIE_SECRET is not the one the portal started before it on
// this database had: on several machines, one given another value than
// the rest fails a share of the requests at random (the Backend API
// answers 401 there, a __client cookie one machine sets opens on no
// other, authenticator-app secrets sealed under one open under no other).
// It compares fingerprints kept in instance_settings: 64 bits of a
// SHA-256 over the secret. Like any check value, one lets a reader of the
// database test a guess, which is why production asks for 32 random
// characters; the database already holds values sealed under keys derived
// from the cookie secret, which allow the same. A value left to be
// generated is the database's own and always the same. A failure to
// read or write them is no reason not to serve.
func (p *Portal) sameSecrets(ctx context.Context) {
	for _, s := range []struct{ name, value, harm string }{
		{"PORTAL_SECRET_KEY", p.Config.SecretKey, "the Backend API refuses the apps' calls on the machines with the other key"},
		{"PORTAL_COOKIE_SECRET", p.Config.CookieSecret, "a browser signed in on one machine is signed out on the others, " +
			"and authenticator-app secrets and provider tokens saved by one cannot be read by the others"},
	} {
		if s.value == "" {
			continue
		}
		sum := sha256.Sum256([]byte("portal secret fingerprint\x00" + s.name + "\x00" + s.value))
		fp, key := hex.EncodeToString(sum[:8]), strings.ToLower(s.name)+"_fingerprint"
		was, ok, err := p.Store.Q.Setting(ctx, key)
		if err != nil || (ok && was == fp) {
			continue
		}
		if ok {
			p.Log.Warn(s.name+" is not the one the portal started before this one on this database had: give every "+
				"machine the same, or "+s.harm+"; if you changed it on purpose, change it on every machine (this "+
				"warning then stops once they all have the new one)", "setting", s.name)
		}
		if err := p.Store.Q.SetSetting(ctx, key, fp); err != nil {
			p.Log.Debug("could not keep the fingerprint of "+s.name, "err", err)
		}
	}
}

// Listen binds the configured address (":0"-style addresses pick a port).
func (p *Portal) Listen() (net.Listener, error) {
	l, err := net.Listen("tcp", p.Config.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w (set PORTAL_ADDR to a free address)", p.Config.Addr, err)
	}
	p.listener = l
	return l, nil
}

// UseListener makes Serve use l (tests pass one bound to port 0).
func (p *Portal) UseListener(l net.Listener) { p.listener = l }

// EndDelayOn makes a closed c end PORTAL_SHUTDOWN_DELAY early: cmd/portal
// closes it on a second SIGTERM or SIGINT, as whoever sends that wants the
// portal gone now. Call it before Serve.
func (p *Portal) EndDelayOn(c <-chan struct{}) { p.endDelay = c }

// Serve serves on the listener from Listen until ctx ends; then /readyz
// answers 503, it serves on for PORTAL_SHUTDOWN_DELAY (if any), and shuts
// down gracefully. Background jobs run alongside.
func (p *Portal) Serve(ctx context.Context) error {
	if p.listener == nil {
		if _, err := p.Listen(); err != nil {
			return err
		}
	}
	cfg := p.Config
	p.server = &http.Server{Handler: p.Handler, ReadHeaderTimeout: cfg.ReadHeaderTimeout, ReadTimeout: cfg.ReadTimeout,
		WriteTimeout: cfg.WriteTimeout, IdleTimeout: cfg.IdleTimeout, MaxHeaderBytes: 64 << 10,
		ErrorLog: slog.NewLogLogger(p.Log.Handler(), slog.LevelWarn)}
	bg, cancel := context.WithCancel(ctx)
	var deliveries sync.WaitGroup
	defer func() {
		cancel()
		deliveries.Wait() // an attempt in flight ends before the store closes
	}()
	go p.Limiter.Run(bg, time.Minute)
	go p.maintain(bg)
	if p.smtp != nil {
		go p.checkMail(bg)
	}
	deliveries.Go(func() { p.WebhookWorker.Run(bg) })

	errc := make(chan error, 1)
	go func() { errc <- p.server.Serve(p.listener) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	p.shuttingDown.Store(true)
	if delay := cfg.ShutdownDelay; delay > 0 {
		// A load balancer (a Kubernetes Service) goes on sending requests
		// for a few seconds after the signal, until it sees /readyz fail or
		// the endpoint removed: serve them, rather than refuse connections.
		p.Log.Info("shutting down: /readyz answers 503; serving on for the shutdown delay (PORTAL_SHUTDOWN_DELAY) "+
			"so load balancers stop sending requests here first", "delay", delay.String())
		wait := time.NewTimer(delay) // real time, as the balancer's
		select {
		case <-wait.C:
		case <-p.endDelay:
			wait.Stop()
			p.Log.Info("shutting down: a second signal ended the shutdown delay early")
		case err := <-errc:
			wait.Stop()
			return err
		}
	}
	// Requests in flight finish: no answer can be written after the write
	// timeout, so waiting that long lets every request that can still be
	// answered be answered.
	grace := cmp.Or(cfg.WriteTimeout, 30*time.Second)
	p.Log.Info("shutting down: no new connections; requests in flight may finish", "grace", grace.String())
	shut, done := context.WithTimeout(context.Background(), grace)
	defer done()
	if err := p.server.Shutdown(shut); errors.Is(err, context.DeadlineExceeded) {
		p.Log.Warn("shutting down: requests still running after the grace period (PORTAL_WRITE_TIMEOUT) were cut off",
			"grace", grace.String())
		p.server.Close()
	} else if err != nil {
		return err
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	p.Log.Info("stopped")
	return nil
}

// checkMail logs in to the mail server as a send would, so that a wrong
// host or password in PORTAL_SMTP_URL shows in the log when the portal
// starts, not when the first person waits for a code that never comes.
// The portal serves either way: passwords and passkeys need no mail.
func (p *Portal) checkMail(ctx context.Context) {
	if err := p.smtp.Check(ctx); err != nil {
		if ctx.Err() == nil {
			p.Log.Warn("email: the mail server in PORTAL_SMTP_URL cannot be used; codes and links will not reach anyone "+
				"until it is fixed", "err", err)
		}
		return
	}
	p.Log.Info("email: the mail server in PORTAL_SMTP_URL answers (and takes the login the URL gives)")
}

// maintain reloads signing keys every minute (another machine may have
// rotated them) and housekeeps once an hour has passed since it last did.
// Elapsed time, not a count of ticks, decides: a ticker drops the ticks a
// slow round misses.
func (p *Portal) maintain(ctx context.Context) {
	t := p.Clock.NewTicker(time.Minute)
	defer t.Stop()
	last := p.Clock.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.Chan():
		}
		if err := p.Signer.Reload(ctx); err != nil && ctx.Err() == nil {
			p.Log.Warn("reload signing keys", "err", err)
		}
		if now := p.Clock.Now(); now.Sub(last) >= time.Hour {
			p.Housekeep(ctx)
			last = now
		}
	}
}

// Housekeep deletes what has expired: signing keys past their publication
// (retiring those a staged key replaced), flows, passkey ceremonies, shared
// rate-limit state whose allowance is full again, sessions that ended or
// ran out longer ago than PORTAL_EVENT_RETENTION, clients a day old that
// hold no session and have no flow, and events, finished webhook
// deliveries and captured messages older than PORTAL_EVENT_RETENTION.
// maintain runs it hourly; failures are logged.
func (p *Portal) Housekeep(ctx context.Context) {
	now := p.Clock.Now()
	if err := p.Signer.Prune(ctx); err != nil && ctx.Err() == nil {
		p.Log.Warn("prune signing keys", "err", err)
	}
	if _, err := p.Store.Q.DeleteExpiredFlows(ctx, now.Add(-time.Hour)); err != nil && ctx.Err() == nil {
		p.Log.Warn("delete expired flows", "err", err)
	}
	if _, err := p.Store.Q.DeleteExpiredPasskeyChallenges(ctx, now); err != nil && ctx.Err() == nil {
		p.Log.Warn("delete expired passkey challenges", "err", err)
	}
	if _, err := p.Store.Q.DeleteSpentRates(ctx, now); err != nil && ctx.Err() == nil {
		p.Log.Warn("delete spent rate limits", "err", err)
	}
	keep := p.Config.EventRetention
	if keep > 0 { // before the idle clients: the clients of these go with them
		if n, err := p.Store.Q.DeleteFinishedSessions(ctx, now.Add(-keep)); err != nil && ctx.Err() == nil {
			p.Log.Warn("delete finished sessions", "err", err)
		} else if n > 0 {
			p.Log.Info("deleted finished sessions", "rows", n, "older_than", keep.String())
		}
	}
	if _, err := p.Store.Q.DeleteIdleClients(ctx, now.Add(-24*time.Hour)); err != nil && ctx.Err() == nil {
		p.Log.Warn("delete idle clients", "err", err)
	}
	if keep > 0 {
		if n, err := p.Store.Q.PruneBefore(ctx, now.Add(-keep)); err != nil && ctx.Err() == nil {
			p.Log.Warn("prune old events", "err", err)
		} else if n > 0 {
			p.Log.Info("pruned old events and deliveries", "rows", n, "older_than", keep.String())
		}
	}
}

// Close waits for work left running after requests, then releases the
// store.
func (p *Portal) Close() error {
	p.laterMu.Lock()
	p.closed = true
	p.laterMu.Unlock()
	p.later.Wait()
	return p.Store.Close()
}

func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	if w == nil {
		w = os.Stderr
	}
	var level slog.Level
	_ = level.UnmarshalText([]byte(strings.ToUpper(cfg.LogLevel)))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(handlers.LogRequestIDs(slog.NewJSONHandler(w, opts)))
	}
	return slog.New(handlers.LogRequestIDs(slog.NewTextHandler(w, opts)))
}

// longTokenTTL is the longest PORTAL_SESSION_TOKEN_TTL production takes
// without a warning. Clerk's tokens last 60 s; an app that verifies a token
// without asking the portal accepts it until it expires, so a signed-out
// or revoked session goes on working in apps for that long.
const longTokenTTL = 5 * time.Minute

// warnRisky logs at start-up, in production, each setting that weakens a
// guard but may be deliberate, so not refused as the unsafe ones are
// (config.Validate): one warning each, naming the setting, its value and
// the risk.
func warnRisky(log *slog.Logger, cfg *config.Config) {
	if cfg.Dev() {
		return
	}
	if devOrigins(cfg) {
		log.Warn("PORTAL_ALLOWED_REDIRECT_ORIGINS is left at its development default in production: sign-in sends "+
			"people back only to apps on http://localhost, so a redirect_url to your apps is refused; set it to their "+
			"origins (https://app.example.com, https://*.example.com)",
			"setting", "PORTAL_ALLOWED_REDIRECT_ORIGINS", "value", strings.Join(cfg.AllowedRedirectOrigins, ","))
	}
	if cfg.WebhookAllowPrivate {
		log.Warn("PORTAL_WEBHOOK_ALLOW_PRIVATE=true in production: webhook endpoints may be on loopback and private "+
			"addresses, so whoever holds the secret key can make the portal send requests into your own network; "+
			"set it to false unless an endpoint really is internal",
			"setting", "PORTAL_WEBHOOK_ALLOW_PRIVATE", "value", "true")
	}
	if ttl := cfg.SessionTokenTTL; ttl > longTokenTTL {
		log.Warn("PORTAL_SESSION_TOKEN_TTL is long for production: apps accept a session token until it expires, so a "+
			"session signed out or revoked goes on working in them for up to that long; keep it at a few minutes or "+
			"less (Clerk's is 60s)",
			"setting", "PORTAL_SESSION_TOKEN_TTL", "value", ttl.String(), "warn_above", longTokenTTL.String())
	}
}

// devOrigins reports that the apps sign-in may send people back to are
// the development default's only, apps on this machine: in production, the
// setting forgotten.
func devOrigins(cfg *config.Config) bool {
	return !cfg.Dev() && slices.Equal(cfg.AllowedRedirectOrigins, []string{"http://localhost:*"})
}

// warnContrast logs each pair of the theme's colours that the pages paint
// one on the other below WCAG AA, so an owner's brand colour that leaves
// a button's label or a link hard to read is told of at start-up (and in
// development on each save) rather than found by a user. The portal starts
// anyway: the theme is the owner's to decide.
func warnContrast(log *slog.Logger, t *theme.Theme) {
	for _, c := range t.ContrastProblems() {
		log.Warn("theme: colours below WCAG AA contrast; change one of the two variables",
			"theme", t.Source, "pair", c.String())
	}
}
