package signup_test

import (
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/admin"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/password"
	"github.com/portalhq/portal/internal/phone"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/signup"
	"github.com/portalhq/portal/internal/store"
	"github.com/portalhq/portal/internal/testutil/domaintest"
	"github.com/portalhq/portal/internal/token"
	"github.com/portalhq/portal/internal/user"
)

// onEngines runs test once on SQLite and once on PostgreSQL, each with a
// fresh database: one account per address and single-use codes are the
// store's to enforce.
func onEngines(t *testing.T, test func(t *testing.T, e *env)) {
	domaintest.Engines(t, func(t *testing.T, url string) { test(t, newEnv(t, url)) })
}

const pw = "velvet-otter-harbour-lantern-42"

// env is a sign-up service wired as app.Portal.wire does with the default
// configuration (email identifier; email, names and password shown; email
// and password required; email verified by code, link offered as the
// other choice), on a real store, a fake clock, the cheap hasher and an
// outbox that keeps what was sent.
type env struct {
	t        *testing.T
	st       *store.Store
	clock    *clockwork.FakeClock
	hasher   *password.Hasher
	mail     *outbox
	sessions *session.Service
	svc      *signup.Service
}

func newEnv(t *testing.T, url string) *env {
	t.Helper()
	ctx := t.Context()
	st, clock := domaintest.Open(t, url)
	hasher := password.NewHasher(password.Params{Memory: 1024, Time: 1, Threads: 1}, 4, 5*time.Second)
	signer, err := token.NewSigner(ctx, st.Q, clock, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	countries, err := phone.NewAllowlist(nil)
	if err != nil {
		t.Fatal(err)
	}
	mail := &outbox{}
	sessions := &session.Service{Clock: clock, Signer: signer, Issuer: "https://accounts.example.com", Repo: st.Q,
		InTx:   store.Tx[session.Repo](st),
		Policy: session.Policy{TokenTTL: time.Minute, MaxLifetime: 7 * 24 * time.Hour}}
	codes := &flow.Codes{Clock: clock, Key: []byte("signup-test-key-0123456789abcdef"), Limits: flow.DefaultSendLimits}
	set := func(names ...string) map[string]bool {
		m := map[string]bool{}
		for _, n := range names {
			m[n] = true
		}
		return m
	}
	svc := &signup.Service{Clock: clock, Repo: st.Q, InTx: store.Tx[signup.Repo](st), Sessions: sessions,
		Hasher: hasher, Policy: password.Policy{MinLength: password.SingleFactorMinLength}, Codes: codes,
		Notifier: mail, AppName: "Portal", BaseURL: "https://accounts.example.com",
		Fields: signup.Fields{
			Shown:    set(signup.FieldEmail, signup.FieldFirstName, signup.FieldLastName, signup.FieldPassword),
			Required: set(signup.FieldEmail, signup.FieldPassword)},
		EmailVia: flow.EmailCode, EmailAlt: flow.EmailLink, Countries: countries}
	return &env{t: t, st: st, clock: clock, hasher: hasher, mail: mail, sessions: sessions, svc: svc}
}

// owner creates an account that already has email, with pw.
func (e *env) owner(email string) *user.User {
	e.t.Helper()
	ctx, now := e.t.Context(), e.clock.Now()
	hash, err := e.hasher.Hash(ctx, pw)
	if err != nil {
		e.t.Fatal(err)
	}
	u := &user.User{ID: id.New(id.User), FirstName: "Owner", PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
	idn := user.Identifier{ID: id.New(id.Identifier), UserID: u.ID, Kind: user.Email, Value: email,
		VerifiedAt: &now, CreatedAt: now, UpdatedAt: now}
	u.PrimaryEmailID, u.Identifiers = idn.ID, []user.Identifier{idn}
	if err := e.st.Q.CreateUser(ctx, u); err != nil {
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

// start submits the sign-up form on client.
func (e *env) start(client string, in signup.Form) (*flow.Flow, error) {
	e.t.Helper()
	f, _, err := e.svc.Start(e.t.Context(), client, in, "", meta)
	return f, err
}

func (e *env) mustStart(client string, in signup.Form) *flow.Flow {
	e.t.Helper()
	f, err := e.start(client, in)
	if err != nil {
		e.t.Fatalf("Start(%+v): %v", in, err)
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

// verify submits a code on the stored flow.
func (e *env) verify(client, flowID, code string) (*session.Session, error) {
	e.t.Helper()
	return e.svc.Verify(e.t.Context(), e.load(client, flowID), code, meta)
}

// resend asks for the code again on the stored flow.
func (e *env) resend(client, flowID string) error {
	e.t.Helper()
	return e.svc.Resend(e.t.Context(), e.load(client, flowID), meta)
}

// users counts the accounts in the store.
func (e *env) users() int {
	e.t.Helper()
	n, err := e.st.Q.CountUsers(e.t.Context(), admin.UserFilter{})
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

// rows counts the rows of a table, to show a refused form wrote nothing.
func (e *env) rows(table string) int {
	e.t.Helper()
	var n int
	if err := e.st.DB().QueryRowContext(e.t.Context(), "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

func (e *env) eventTypes(objectID string) []string {
	e.t.Helper()
	return domaintest.EventTypes(e.t, e.st.Q, objectID)
}

// noAccount checks that nobody holds email.
func (e *env) noAccount(email string) {
	e.t.Helper()
	if u, err := e.st.Q.UserByIdentifier(e.t.Context(), user.Email, email); err == nil {
		e.t.Errorf("%s belongs to %s, want no account", email, u.ID)
	}
}

// waiting checks that the flow still waits for its email verification and
// the client has no session.
func (e *env) waiting(client, flowID string) {
	e.t.Helper()
	f := e.load(client, flowID)
	if f.Status != flow.MissingRequirements || f.Data.EmailVerified || f.UserID != "" || f.SessionID != "" {
		e.t.Errorf("flow: status %q verified %v user %q session %q; want missing_requirements, unverified, none",
			f.Status, f.Data.EmailVerified, f.UserID, f.SessionID)
	}
	if list, err := e.st.Q.ActiveSessionsOfClient(e.t.Context(), client); err != nil || len(list) != 0 {
		e.t.Errorf("client's active sessions = %v, %v; want none", list, err)
	}
}

var meta = flow.Meta{IP: "192.0.2.7", UserAgent: "signup-test"}

// The recorder and checks every domain package's tests share.
type (
	outbox  = domaintest.Outbox
	message = domaintest.Message
)

var (
	wantErr   = domaintest.WantErr
	otherCode = domaintest.OtherCode
)

// signUpCode is the newest message, which must be a six-digit sign-up code
// to to.
func signUpCode(t *testing.T, o *outbox, to string) string {
	t.Helper()
	m := o.Last(t, to, "code")
	if m.Purpose != "sign-up" || len(m.Secret) != flow.CodeDigits {
		t.Fatalf("last message %+v; want a six-digit sign-up code to %s", m, to)
	}
	return m.Secret
}
