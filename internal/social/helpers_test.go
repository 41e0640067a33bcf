package social_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/oauth"
	"github.com/portalhq/portal/internal/password"
	"github.com/portalhq/portal/internal/phone"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/signin"
	"github.com/portalhq/portal/internal/signup"
	"github.com/portalhq/portal/internal/social"
	"github.com/portalhq/portal/internal/store"
	"github.com/portalhq/portal/internal/testutil/pgtest"
	"github.com/portalhq/portal/internal/user"
)

// onEngines runs test once on SQLite and once on PostgreSQL, each with a
// fresh database: "one account per (provider, subject)" is the store's
// unique index as much as the domain's rule.
func onEngines(t *testing.T, test func(t *testing.T, e *env)) {
	t.Run("sqlite", func(t *testing.T) {
		test(t, newEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "portal.db")))
	})
	t.Run("postgres", func(t *testing.T) {
		test(t, newEnv(t, pgtest.URL(t)))
	})
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
	st, err := store.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clock := clockwork.NewFakeClockAt(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
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
		SignUp: up, SecondStep: in, WaysIn: user.SignInOptions{Email: true, Factors: []string{flow.Password}}}
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
	return e.svc.SignIn(e.t.Context(), c.ID, who, "https://app.example.com/", meta)
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
	evs, err := e.st.Q.EventsOfObject(e.t.Context(), objectID)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, ev := range evs {
		out = append(out, ev.Type)
	}
	return out
}

// wantErr checks that err is the safe error with catalog ID msgID.
func wantErr(t *testing.T, what string, err error, code apperr.Code, msgID string) {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok || e.Code != code || e.ID != msgID {
		t.Errorf("%s: error %v, want %s %s", what, err, code, msgID)
	}
}

// message is one thing the services would have sent.
type message struct{ Kind, To, Secret, Purpose string }

// outbox is the flow.Notifier: it keeps messages instead of sending them.
type outbox struct {
	mu   sync.Mutex
	sent []message
}

func (o *outbox) add(m message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.sent = append(o.sent, m)
	return nil
}

func (o *outbox) SendCode(_ context.Context, to, code, purpose string) error {
	return o.add(message{"code", to, code, purpose})
}

func (o *outbox) SendLink(_ context.Context, to, link, purpose string) error {
	return o.add(message{"link", to, link, purpose})
}

func (o *outbox) SendSMSCode(_ context.Context, to, code, purpose string) error {
	return o.add(message{"sms", to, code, purpose})
}

func (o *outbox) SendExistingAccount(_ context.Context, to string) error {
	return o.add(message{Kind: "existing_account", To: to})
}

func (o *outbox) SendPasswordChanged(_ context.Context, to string) error {
	return o.add(message{Kind: "password_changed", To: to})
}

func (o *outbox) all() []message {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]message(nil), o.sent...)
}
