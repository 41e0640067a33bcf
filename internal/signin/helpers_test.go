package signin_test

import (
	"slices"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/password"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/signin"
	"github.com/portalhq/portal/internal/store"
	"github.com/portalhq/portal/internal/testutil/domaintest"
	"github.com/portalhq/portal/internal/token"
	"github.com/portalhq/portal/internal/user"
)

// onEngines runs test once on SQLite and once on PostgreSQL, each with a
// fresh database: failure counting, single-use codes and the end of the
// previous session are the store's work as much as the service's.
func onEngines(t *testing.T, test func(t *testing.T, e *env)) {
	domaintest.Engines(t, func(t *testing.T, url string) { test(t, newEnv(t, url)) })
}

// The lockout is deliberately not the default (10), so a test that passes
// proves the configured value is the one applied.
const (
	lockoutThreshold = 4
	lockoutDuration  = time.Hour
	pw               = "velvet-otter-harbour-lantern-42"
	wrongPw          = "velvet-otter-harbour-lantern-43"
)

// env is a sign-in service wired as app.Portal.wire does for an instance
// with email identifiers and the password, email code and email link
// factors (passkeys and second factors left out): a real store, a fake
// clock, the cheap hasher and an outbox that keeps what was sent.
type env struct {
	t        *testing.T
	st       *store.Store
	clock    *clockwork.FakeClock
	hasher   *password.Hasher
	mail     *outbox
	sessions *session.Service
	svc      *signin.Service
}

func newEnv(t *testing.T, url string) *env {
	t.Helper()
	ctx := t.Context()
	st, clock := domaintest.Open(t, url)
	// Its own hasher per env, so Computations counts this test's work only.
	hasher := password.NewHasher(password.Params{Memory: 1024, Time: 1, Threads: 1}, 4, 5*time.Second)
	signer, err := token.NewSigner(ctx, st.Q, clock, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	mail := &outbox{}
	sessions := &session.Service{Clock: clock, Signer: signer, Issuer: "https://accounts.example.com", Repo: st.Q,
		InTx:   store.Tx[session.Repo](st),
		Policy: session.Policy{TokenTTL: time.Minute, MaxLifetime: 7 * 24 * time.Hour}}
	codes := &flow.Codes{Clock: clock, Key: []byte("signin-test-key-0123456789abcdef"), Limits: flow.DefaultSendLimits}
	lockout := signin.Lockout{Threshold: lockoutThreshold, Duration: lockoutDuration}
	svc := &signin.Service{Clock: clock, Repo: st.Q, InTx: store.Tx[signin.Repo](st), Sessions: sessions,
		Identifiers: flow.Identifiers{Email: true}, Hasher: hasher, Policy: password.Policy{MinLength: 15},
		AppName: "Portal", Notifier: mail, Lockout: lockout}
	code := func(strategy string) *signin.CodeStrategy {
		return &signin.CodeStrategy{Strategy: strategy, Codes: codes, Store: st.Q, Notifier: mail}
	}
	svc.Strategies = []flow.Strategy{
		&signin.PasswordStrategy{Clock: clock, Hasher: hasher, Repo: st.Q, Lockout: lockout},
		code(flow.EmailCode),
		&signin.LinkStrategy{Codes: codes, Store: st.Q, Notifier: mail, BaseURL: "https://accounts.example.com"},
		code(flow.ResetPasswordEmailCode),
	}
	return &env{t: t, st: st, clock: clock, hasher: hasher, mail: mail, sessions: sessions, svc: svc}
}

// account creates a user with email verified and pw as password; opts
// change it before it is stored.
func (e *env) account(email string, opts ...func(u *user.User)) *user.User {
	e.t.Helper()
	ctx, now := e.t.Context(), e.clock.Now()
	hash, err := e.hasher.Hash(ctx, pw)
	if err != nil {
		e.t.Fatal(err)
	}
	u := &user.User{ID: id.New(id.User), FirstName: "Ada", PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
	idn := user.Identifier{ID: id.New(id.Identifier), UserID: u.ID, Kind: user.Email, Value: email,
		VerifiedAt: &now, CreatedAt: now, UpdatedAt: now}
	u.PrimaryEmailID, u.Identifiers = idn.ID, []user.Identifier{idn}
	for _, opt := range opts {
		opt(u)
	}
	if err := e.st.Q.CreateUser(ctx, u); err != nil {
		e.t.Fatal(err)
	}
	return e.user(u.ID)
}

func (e *env) user(userID string) *user.User {
	e.t.Helper()
	u, err := e.st.Q.UserByID(e.t.Context(), userID)
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

// client is a new browser.
func (e *env) client() string {
	e.t.Helper()
	c, err := e.sessions.NewClient(e.t.Context())
	if err != nil {
		e.t.Fatal(err)
	}
	return c.ID
}

// start begins a sign-in on client with what the person typed.
func (e *env) start(client, identifier string) *flow.Flow {
	e.t.Helper()
	f, _, err := e.svc.Start(e.t.Context(), client, identifier, "")
	if err != nil {
		e.t.Fatalf("Start(%q): %v", identifier, err)
	}
	return f
}

// load reads the flow back as the next request of client would.
func (e *env) load(client, flowID string) *flow.Flow {
	e.t.Helper()
	f, err := e.svc.Load(e.t.Context(), client, flowID)
	if err != nil {
		e.t.Fatalf("Load(%s): %v", flowID, err)
	}
	return f
}

// password submits pw on the stored flow, as a request would.
func (e *env) password(client, flowID, pw string) (*session.Session, error) {
	e.t.Helper()
	return e.svc.Attempt(e.t.Context(), e.load(client, flowID), flow.Password, flow.Input{Password: pw}, meta)
}

// prepare asks for the strategy's code or link on the stored flow.
func (e *env) prepare(client, flowID, strategy string) error {
	e.t.Helper()
	return e.svc.Prepare(e.t.Context(), e.load(client, flowID), strategy, meta)
}

// code submits an email code on the stored flow.
func (e *env) code(client, flowID, code string) (*session.Session, error) {
	e.t.Helper()
	return e.svc.Attempt(e.t.Context(), e.load(client, flowID), flow.EmailCode, flow.Input{Code: code}, meta)
}

// signedIn checks that sess is a fresh active session of userID on client,
// the flow is stored complete with it, and session.created was written.
func (e *env) signedIn(sess *session.Session, client, flowID, userID string) {
	e.t.Helper()
	if sess == nil {
		e.t.Fatal("no session")
	}
	got, err := e.st.Q.SessionByID(e.t.Context(), sess.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	// The session is on a new client the sign-in made, which the caller
	// gives the browser that was on client (REQ-SES-02).
	if got.Status != session.Active || got.UserID != userID || got.ClientID == "" || got.ClientID == client || !got.FirstFactorAt.Equal(e.clock.Now()) {
		e.t.Errorf("stored session = %+v, want active for %s on a new client succeeding %s, first factor now", got, userID, client)
	}
	if _, err := e.st.Q.ClientByID(e.t.Context(), got.ClientID); err != nil {
		e.t.Errorf("the session's client %s: %v", got.ClientID, err)
	}
	f, err := e.st.Q.FlowByID(e.t.Context(), flowID)
	if err != nil {
		e.t.Fatal(err)
	}
	if f.Status != flow.Complete || f.SessionID != sess.ID {
		e.t.Errorf("stored flow: status %q session %q, want complete with %s", f.Status, f.SessionID, sess.ID)
	}
	if got := e.eventTypes(sess.ID); !slices.Equal(got, []string{"session.created"}) {
		e.t.Errorf("events of the session = %v, want [session.created]", got)
	}
}

// stillWaiting checks that the flow stayed on the first factor and the
// client has no session.
func (e *env) stillWaiting(client, flowID string) {
	e.t.Helper()
	if f := e.load(client, flowID); f.Status != flow.NeedsFirstFactor || f.SessionID != "" {
		e.t.Errorf("flow: status %q session %q, want needs_first_factor and none", f.Status, f.SessionID)
	}
	if list, err := e.st.Q.ActiveSessionsOfClient(e.t.Context(), client); err != nil || len(list) != 0 {
		e.t.Errorf("client's active sessions = %v, %v; want none", list, err)
	}
}

// sessionsOf lists the user's active sessions.
func (e *env) sessionsOf(userID string) []session.Session {
	e.t.Helper()
	list, err := e.st.Q.ActiveSessionsOfUser(e.t.Context(), userID)
	if err != nil {
		e.t.Fatal(err)
	}
	return list
}

func (e *env) eventTypes(objectID string) []string {
	e.t.Helper()
	return domaintest.EventTypes(e.t, e.st.Q, objectID)
}

var meta = flow.Meta{IP: "192.0.2.7", UserAgent: "signin-test"}

// The recorder and checks every domain package's tests share.
type (
	outbox  = domaintest.Outbox
	message = domaintest.Message
)

var (
	wantErr   = domaintest.WantErr
	otherCode = domaintest.OtherCode
)
