package social_test

import (
	"errors"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/oauth"
	"github.com/portalhq/portal/internal/oauthtoken"
	"github.com/portalhq/portal/internal/password"
	"github.com/portalhq/portal/internal/phone"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/signin"
	"github.com/portalhq/portal/internal/signup"
	"github.com/portalhq/portal/internal/social"
	"github.com/portalhq/portal/internal/store"
	"github.com/portalhq/portal/internal/testutil/domaintest"
	"github.com/portalhq/portal/internal/user"
)

// onEngines runs test once on SQLite and once on PostgreSQL, each with a
// fresh database: "one account per (provider, subject)" is the store's
// unique index as much as the domain's rule.
func onEngines(t *testing.T, test func(t *testing.T, e *env)) {
	domaintest.Engines(t, func(t *testing.T, url string) { test(t, newEnv(t, url)) })
}

// env is the social service wired as app.go wires it, on a real store, a
// fake clock and a notifier that keeps what it would send. The instance
// signs in by email address and password, with texted codes as a second
// factor; sign-up asks for an email address.
type env struct {
	t     *testing.T
	st    *store.Store
	clock *clockwork.FakeClock
	out   *outbox
	svc   *social.Service
}

var hasher = password.NewHasher(password.Params{Memory: 1024, Time: 1, Threads: 1}, 4, 5*time.Second)

var meta = flow.Meta{IP: "192.0.2.1", UserAgent: "Mozilla/5.0 Firefox/127.0"}

func newEnv(t *testing.T, url string) *env {
	t.Helper()
	st, clock := domaintest.Open(t, url)
	out := &outbox{}
	countries, err := phone.NewAllowlist(nil)
	if err != nil {
		t.Fatal(err)
	}
	sessions := &session.Service{Clock: clock, Issuer: "https://accounts.example.com", Repo: st.Q,
		InTx:   store.Tx[session.Repo](st),
		Policy: session.Policy{TokenTTL: time.Minute, MaxLifetime: 7 * 24 * time.Hour}}
	codes := &flow.Codes{Clock: clock, Key: []byte("social-test-key-0123456789abcde!"), Limits: flow.DefaultSendLimits}
	pwPolicy := password.Policy{MinLength: password.SingleFactorMinLength}
	in := &signin.Service{Clock: clock, Repo: st.Q, InTx: store.Tx[signin.Repo](st), Sessions: sessions,
		Identifiers: flow.Identifiers{Email: true, Region: "US"}, Hasher: hasher, Policy: pwPolicy, AppName: "Acme",
		Notifier: out, Lockout: signin.Lockout{Threshold: 10, Duration: time.Hour}}
	in.Strategies = []flow.Strategy{&signin.PasswordStrategy{Clock: clock, Hasher: hasher, Repo: st.Q, Lockout: in.Lockout}}
	in.SecondFactors = []flow.Strategy{&signin.SecondFactorPhoneStrategy{Codes: codes, Store: st.Q, Notifier: out}}
	up := &signup.Service{Clock: clock, Repo: st.Q, InTx: store.Tx[signup.Repo](st), Sessions: sessions,
		Hasher: hasher, Policy: pwPolicy, Codes: codes, Notifier: out, AppName: "Acme", BaseURL: "https://accounts.example.com",
		Fields: signup.Fields{Shown: map[string]bool{signup.FieldEmail: true, signup.FieldPassword: true},
			Required: map[string]bool{signup.FieldEmail: true}},
		EmailVia: flow.EmailCode, PhoneRegion: "US", Countries: countries}
	svc := &social.Service{Clock: clock, Repo: st.Q, InTx: store.Tx[social.Repo](st), Sessions: sessions,
		SignUp: up, SecondStep: in, WaysIn: user.SignInOptions{Email: true, Factors: []string{flow.Password}},
		Tokens: oauthtoken.Sealer{Key: []byte("social-test-token-key-0123456789")}}
	return &env{t: t, st: st, clock: clock, out: out, svc: svc}
}

// person creates a user with a password and the email address, verified or
// not.
func (e *env) person(email string, verified bool) *user.User {
	e.t.Helper()
	ctx, now := e.t.Context(), e.clock.Now()
	u := &user.User{ID: id.New(id.User), FirstName: "Ada", CreatedAt: now, UpdatedAt: now}
	u.PasswordHash, _ = hasher.Hash(ctx, "velvet-otter-harbour-lantern-42")
	i := user.Identifier{ID: id.New(id.Identifier), UserID: u.ID, Kind: user.Email, Value: email, CreatedAt: now, UpdatedAt: now}
	if verified {
		i.VerifiedAt = &now
	}
	u.PrimaryEmailID, u.Identifiers = i.ID, []user.Identifier{i}
	if err := e.st.Q.CreateUser(ctx, u); err != nil {
		e.t.Fatal(err)
	}
	return e.user(u.ID)
}

// signIn signs in with who from a new browser.
func (e *env) signIn(who *oauth.Identity) (*social.Result, error) {
	e.t.Helper()
	c, err := e.svc.Sessions.NewClient(e.t.Context())
	if err != nil {
		e.t.Fatal(err)
	}
	return e.svc.SignIn(e.t.Context(), c.ID, who, signup.Invite{}, "https://app.example.com/", meta)
}

// mustSignIn signs in with who and returns the session.
func (e *env) mustSignIn(who *oauth.Identity) *session.Session {
	e.t.Helper()
	res, err := e.signIn(who)
	if err != nil || res.Session == nil {
		e.t.Fatalf("sign-in with %s/%s: %+v, %v", who.Provider, who.Subject, res, err)
	}
	return res.Session
}

func (e *env) user(userID string) *user.User {
	e.t.Helper()
	u, err := e.st.Q.UserByID(e.t.Context(), userID)
	if err != nil {
		e.t.Fatalf("user %s: %v", userID, err)
	}
	return u
}

// owner is the user the provider account is connected to, "" when none.
func (e *env) owner(who *oauth.Identity) string {
	e.t.Helper()
	x, err := e.st.Q.ExternalAccount(e.t.Context(), who.Provider, who.Subject)
	if errors.Is(err, apperr.ErrNotFound) {
		return ""
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return x.UserID
}

// liveSessions counts the active sessions of userID.
func (e *env) liveSessions(userID string) int {
	e.t.Helper()
	list, err := e.st.Q.ActiveSessionsOfUser(e.t.Context(), userID)
	if err != nil {
		e.t.Fatal(err)
	}
	return len(list)
}

// eventTypes lists the types of the events about objectID, oldest first.
func (e *env) eventTypes(objectID string) []string {
	e.t.Helper()
	return domaintest.EventTypes(e.t, e.st.Q, objectID)
}

// The recorder and checks every domain package's tests share.
type (
	outbox  = domaintest.Outbox
	message = domaintest.Message
)

var (
	wantErr   = domaintest.WantErr
	otherCode = domaintest.OtherCode
)
