// Package handlers is Portal's HTTP layer: the route table, middleware and
// one file per flow. Handlers are thin: parse, call a service, render. They
// hold no SQL and no crypto.
package handlers

import (
	"context"
	"log/slog"
	"net/url"
	"time"

	"github.com/gorilla/sessions"
	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/account"
	"github.com/portalhq/portal/internal/admin"
	"github.com/portalhq/portal/internal/captcha"
	"github.com/portalhq/portal/internal/config"
	"github.com/portalhq/portal/internal/factors"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/i18n"
	"github.com/portalhq/portal/internal/invitation"
	"github.com/portalhq/portal/internal/jwttemplate"
	"github.com/portalhq/portal/internal/notify"
	"github.com/portalhq/portal/internal/oauth"
	"github.com/portalhq/portal/internal/oauthtoken"
	"github.com/portalhq/portal/internal/org"
	"github.com/portalhq/portal/internal/passkey"
	"github.com/portalhq/portal/internal/ratelimit"
	"github.com/portalhq/portal/internal/redirect"
	"github.com/portalhq/portal/internal/restrict"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/signin"
	"github.com/portalhq/portal/internal/signintoken"
	"github.com/portalhq/portal/internal/signup"
	"github.com/portalhq/portal/internal/social"
	"github.com/portalhq/portal/internal/theme"
	"github.com/portalhq/portal/internal/token"
	"github.com/portalhq/portal/internal/user"
	"github.com/portalhq/portal/internal/waitlist"
	"github.com/portalhq/portal/internal/webhook"
)

// Users is what handlers read about users.
type Users interface {
	UserByID(ctx context.Context, id string) (*user.User, error)
}

// Outbox lists what the development outbox captured.
type Outbox interface {
	ListOutbox(ctx context.Context, limit int) ([]notify.OutboxMessage, error)
	// OutboxMessage returns one message; apperr.ErrNotFound when there is
	// no such message.
	OutboxMessage(ctx context.Context, id string) (notify.OutboxMessage, error)
}

// Deps is everything the HTTP layer needs, built by cmd/portal.
type Deps struct {
	Config *config.Config
	Log    *slog.Logger
	Clock  clockwork.Clock
	SignIn *signin.Service
	SignUp *signup.Service
	Codes  *flow.Codes // email links are confirmed outside either flow
	// OAuth and OpenID providers, in the order their buttons are shown.
	Providers []oauth.Provider
	Sealer    *oauth.Sealer
	Social    *social.Service
	// OAuthTokens hands relying apps the providers' tokens of a user's
	// external accounts (Backend API).
	OAuthTokens *oauthtoken.Service
	Sessions    *session.Service
	Signer      *token.Signer
	Redirects   *redirect.Policy
	Users       Users
	Outbox      Outbox // nil unless the dev outbox is in use
	Limiter     *ratelimit.Limiter
	// Ready reports whether the database answers and takes writes
	// (store.Ready): /readyz answers 503 with its error when not.
	Ready func(ctx context.Context) error
	// ShuttingDown reports that the portal was told to stop and is only
	// serving out its shutdown delay: /readyz then answers 503, so load
	// balancers send no more requests here. nil = never.
	ShuttingDown func() bool
	// CookieKeys authenticate and encrypt the __client cookie (securecookie
	// hash key, then block key; pairs may repeat for key rotation).
	CookieKeys [][]byte
	// PasswordMin is shown on the sign-up form.
	PasswordMin int
	// Passkeys runs WebAuthn registration; Factors manages passkeys and
	// second factors on /user/security.
	Passkeys *passkey.Service
	Factors  *factors.Service
	// Theme is the appearance (PORTAL_THEME, PORTAL_THEME_CSS); the
	// default theme when nil.
	Theme *theme.Live
	// I18n holds the message catalogs; English by default when nil.
	I18n *i18n.Catalog
	// Account changes accounts on /user; Images serves profile images.
	Account *account.Service
	Images  Images
	// Orgs runs organizations; nil turns their pages off.
	Orgs *org.Service
	// Invitations are application invitations (/v1/invitations); nil
	// turns their link off.
	Invitations *invitation.Service
	// Waitlist is the waiting list: /v1/waitlist_entries in every mode,
	// the /waitlist page in waitlist mode; nil turns both off.
	Waitlist *waitlist.Service
	// Lists are the allowlist and blocklist entries of
	// /v1/allowlist_identifiers and /v1/blocklist_identifiers.
	Lists *restrict.Service
	// SignInTokens are the Backend API's sign-in tokens
	// (/v1/sign_in_tokens); nil turns the endpoints off. Their links are
	// used through SignIn.
	SignInTokens *signintoken.Service
	// Captcha is bot protection on sign-up and the waitlist
	// (PORTAL_CAPTCHA_PROVIDER); nil turns it off.
	Captcha *captcha.Verifier
	// Marks are notes one request leaves another for a moment, on any
	// machine sharing the database (the store): the waitlist's double
	// click finds its first press's passed check there.
	Marks Marks

	// Backend API.
	SecretKey  string
	AdminUsers *admin.Users
	AdminRepo  admin.Repo
	Webhooks   *webhook.Service
	Templates  *jwttemplate.Service
}

// Images reads stored profile images.
type Images interface {
	UserImage(ctx context.Context, id string) (*user.Image, error)
}

// app carries the dependencies to every handler.
type app struct {
	Deps
	base    *url.URL
	clients *sessions.CookieStore
	// clientIDs remembers the client IDs of __client values that decoded
	// (clientID).
	clientIDs *decodedCookies
	limits    limits
}

// limits are the per-IP caps on costly requests (REQ-RL-02, REQ-RL-04).
type limits struct {
	attempt ratelimit.Window // sign-in / verification attempts
	start   ratelimit.Window // flows started, codes sent
	// identifier caps attempts on one email address from anywhere.
	identifier ratelimit.Window
	// oauthFailed caps the provider callbacks from one network that fail
	// (a forged or replayed answer, a refused code): only failures count,
	// so an office signing in through its SSO behind one address is not
	// held back by its own successes.
	oauthFailed ratelimit.Window
	// oauthFlow caps the failed callbacks of one provider round trip
	// (its sealed state), from any network.
	oauthFlow ratelimit.Window
	// connect caps the provider accounts one user starts to connect.
	connect ratelimit.Window
}

func defaultLimits() limits {
	return limits{
		attempt:     ratelimit.Window{Limit: 60, Per: 10 * time.Minute},
		start:       ratelimit.Window{Limit: 30, Per: 10 * time.Minute},
		identifier:  ratelimit.Window{Limit: 20, Per: 10 * time.Minute},
		oauthFailed: ratelimit.Window{Limit: 60, Per: 10 * time.Minute},
		oauthFlow:   ratelimit.Window{Limit: 3, Per: 10 * time.Minute},
		connect:     ratelimit.Window{Limit: 10, Per: time.Hour},
	}
}
