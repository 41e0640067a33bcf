package account_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/account"
	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/factors"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/org"
	"github.com/portalhq/portal/internal/password"
	"github.com/portalhq/portal/internal/phone"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/signin"
	"github.com/portalhq/portal/internal/store"
	"github.com/portalhq/portal/internal/testutil/domaintest"
	"github.com/portalhq/portal/internal/user"
)

// onEngines runs test once on SQLite and once on PostgreSQL, each with a
// fresh database: the "a way in remains" checks lean on the store's row
// locks as much as on the domain's logic.
func onEngines(t *testing.T, test func(t *testing.T, e *env)) {
	domaintest.Engines(t, func(t *testing.T, url string) { test(t, newEnv(t, url)) })
}

// env is the account service wired as app.go wires it, on a real store, a
// fake clock, and a notifier that keeps what it would send.
type env struct {
	t     *testing.T
	st    *store.Store
	clock *clockwork.FakeClock
	out   *outbox
	svc   *account.Service
	orgs  *org.Service
	mail  *invitations
}

const pw = "velvet-otter-harbour-lantern-42"

var hasher = password.NewHasher(password.Params{Memory: 1024, Time: 1, Threads: 1}, 4, 5*time.Second)

var meta = flow.Meta{IP: "192.0.2.1", UserAgent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) Firefox/127.0"}

func newEnv(t *testing.T, url string) *env {
	t.Helper()
	st, clock := domaintest.Open(t, url)
	out, mail := &outbox{}, &invitations{urls: map[string]string{}}
	countries, err := phone.NewAllowlist(nil)
	if err != nil {
		t.Fatal(err)
	}
	sessions := &session.Service{Clock: clock, Issuer: "https://accounts.example.com", Repo: st.Q,
		InTx:   store.Tx[session.Repo](st),
		Policy: session.Policy{TokenTTL: time.Minute, MaxLifetime: 7 * 24 * time.Hour}}
	codes := &flow.Codes{Clock: clock, Key: []byte("account-test-key-0123456789abcd!"), Limits: flow.DefaultSendLimits}
	lockout := signin.Lockout{Threshold: 10, Duration: time.Hour}
	svc := &account.Service{Clock: clock, Repo: st.Q, InTx: store.Tx[account.Repo](st), Sessions: sessions,
		Codes: codes, Notifier: out, Hasher: hasher, Policy: password.Policy{MinLength: password.SingleFactorMinLength},
		Password: &signin.PasswordStrategy{Clock: clock, Hasher: hasher, Repo: st.Q, Lockout: lockout},
		SignIn: user.SignInOptions{Email: true, Phone: true,
			Factors: []string{flow.Password, flow.EmailCode, flow.PhoneCode}},
		PhoneRegion: "US", Countries: countries, AppName: "Acme", BaseURL: "https://accounts.example.com",
		AllowDeletion: true}
	svc.ReverifyFactors = []account.Factor{&account.PasswordFactor{Check: svc.Password},
		&account.CodeFactor{Strategy: flow.EmailCode, Codes: codes, Store: st.Q, Notifier: out},
		&account.CodeFactor{Strategy: flow.PhoneCode, Codes: codes, Store: st.Q, Notifier: out}}
	orgs := &org.Service{Clock: clock, Repo: st.Q, InTx: store.Tx[org.Repo](st), Roles: org.DefaultRoles(),
		Policy:   org.Policy{CreateEnabled: true, InvitationTTL: 7 * 24 * time.Hour, PersonalAccounts: true},
		Notifier: orgMail{mail, out}, Passwords: svc.Password, BaseURL: "https://accounts.example.com", Codes: codes}
	sessions.Orgs = orgs
	svc.Orgs = orgs
	svc.Factors = &factors.Service{Clock: clock, Repo: st.Q, InTx: store.Tx[factors.Repo](st),
		Key: []byte("account-test-totp-key-0123456789"), Issuer: func() string { return "Acme" }, SignIn: svc.SignIn,
		SecondFactors: []string{factors.TOTPFactor, factors.BackupCodeFactor, factors.PhoneFactor}}
	return &env{t: t, st: st, clock: clock, out: out, svc: svc, orgs: orgs, mail: mail}
}

// person creates a user with the verified primary email address and, when
// withPassword, the password pw.
func (e *env) person(email string, withPassword bool) *user.User {
	e.t.Helper()
	ctx, now := e.t.Context(), e.clock.Now()
	u := &user.User{ID: id.New(id.User), FirstName: "Ada", CreatedAt: now, UpdatedAt: now}
	if withPassword {
		u.PasswordHash, _ = hasher.Hash(ctx, pw)
	}
	i := user.Identifier{ID: id.New(id.Identifier), UserID: u.ID, Kind: user.Email, Value: email,
		VerifiedAt: &now, CreatedAt: now, UpdatedAt: now}
	u.PrimaryEmailID, u.Identifiers = i.ID, []user.Identifier{i}
	if err := e.st.Q.CreateUser(ctx, u); err != nil {
		e.t.Fatal(err)
	}
	return e.user(u.ID)
}

// signIn starts a session of userID on a new browser, the way every
// sign-in does; it counts as a fresh proof of identity.
func (e *env) signIn(userID string) *session.Session {
	e.t.Helper()
	ctx := e.t.Context()
	c, err := e.svc.Sessions.NewClient(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	var s *session.Session
	err = e.st.InTx(ctx, func(q *store.Q) error {
		s, err = e.svc.Sessions.Start(ctx, q, session.Proof{ClientID: c.ID, UserID: userID, IP: meta.IP,
			UserAgent: meta.UserAgent, Strategy: flow.Password, FirstFactorAt: e.clock.Now()})
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// stale lets the reverification window of every session run out.
func (e *env) stale() { e.clock.Advance(account.ReverifyWindow) }

func (e *env) user(userID string) *user.User {
	e.t.Helper()
	u, err := e.st.Q.UserByID(e.t.Context(), userID)
	if err != nil {
		e.t.Fatalf("user %s: %v", userID, err)
	}
	return u
}

// session reads a session back as the next request would see it.
func (e *env) session(sessionID string) *session.Session {
	e.t.Helper()
	s, err := e.st.Q.SessionByID(e.t.Context(), sessionID)
	if err != nil {
		e.t.Fatalf("session %s: %v", sessionID, err)
	}
	return s
}

func (e *env) identifier(u *user.User, value string) *user.Identifier {
	e.t.Helper()
	for _, i := range u.Identifiers {
		if i.Value == value {
			return &i
		}
	}
	e.t.Fatalf("user %s has no identifier %s", u.ID, value)
	return nil
}

// eventTypes lists the types of the events about objectID, oldest first.
func (e *env) eventTypes(objectID string) []string {
	e.t.Helper()
	return domaintest.EventTypes(e.t, e.st.Q, objectID)
}

// lastUserObject decodes the latest user.updated event about userID.
func (e *env) lastUserObject(userID string) user.Object {
	e.t.Helper()
	evs, err := e.st.Q.EventsOfObject(e.t.Context(), userID)
	if err != nil {
		e.t.Fatal(err)
	}
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Type == events.UserUpdated {
			var o user.Object
			if err := json.Unmarshal(evs[i].Data, &o); err != nil {
				e.t.Fatal(err)
			}
			return o
		}
	}
	e.t.Fatalf("no %s event about %s", events.UserUpdated, userID)
	return user.Object{}
}

// wantIs checks that err is sentinel.
func wantIs(t *testing.T, what string, err, sentinel error) {
	t.Helper()
	if !errors.Is(err, sentinel) {
		t.Errorf("%s: error %v, want %v", what, err, sentinel)
	}
}

// invitations keeps the link of the latest invitation to each address.
// orgMail is what organizations send: the invitations, and the codes that
// verify domains through the outbox.
type orgMail struct {
	*invitations
	*outbox
}

// SendDomainCode puts a domain's code in the outbox, as the other codes.
func (m orgMail) SendDomainCode(ctx context.Context, to, code string, _ org.DomainCodeMail) error {
	return m.outbox.SendCode(ctx, to, code, "verify-domain")
}

type invitations struct {
	mu   sync.Mutex
	urls map[string]string
}

func (m *invitations) SendOrgInvitation(_ context.Context, to, _ string, mail org.InvitationMail) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.urls[to] = mail.URL
	return nil
}

// org creates an organization administered by admin, with members joining
// it through an accepted invitation.
func (e *env) org(name string, admin *user.User, adminSess *session.Session, members ...*user.User) *org.Organization {
	e.t.Helper()
	ctx := e.t.Context()
	actor := func(u *user.User, s *session.Session) org.Actor {
		return org.Actor{UserID: u.ID, SessionID: s.ID, FactorAt: s.FirstFactorAt}
	}
	o, err := e.orgs.Create(ctx, actor(admin, adminSess), org.CreateInput{Name: name})
	if err != nil {
		e.t.Fatalf("create %s: %v", name, err)
	}
	for _, m := range members {
		email := m.PrimaryEmail()
		if _, err := e.orgs.Invite(ctx, actor(admin, adminSess), o.ID, org.InviteInput{Emails: []string{email}, Role: "org:member"}); err != nil {
			e.t.Fatalf("invite %s: %v", email, err)
		}
		_, ticket, _ := strings.Cut(e.mail.urls[email], "?ticket=")
		if _, _, err := e.orgs.Accept(ctx, actor(m, e.signIn(m.ID)), ticket); err != nil {
			e.t.Fatalf("%s accepts: %v", email, err)
		}
	}
	return o
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
