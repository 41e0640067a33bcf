package org_test

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/avatar"
	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/org"
	"github.com/portalhq/portal/internal/password"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/signin"
	"github.com/portalhq/portal/internal/store"
	"github.com/portalhq/portal/internal/testutil/domaintest"
	"github.com/portalhq/portal/internal/user"
)

// onEngines runs test once on SQLite and once on PostgreSQL, each subtest
// with a fresh database: the invariants are the store's locking as much as
// the domain's logic, so both engines must hold them.
func onEngines(t *testing.T, test func(t *testing.T, e *env)) {
	domaintest.Engines(t, func(t *testing.T, url string) { test(t, newEnv(t, url)) })
}

// env is an organization service on a real store, a fake clock, and a
// notifier that keeps the invitation emails.
type env struct {
	t     *testing.T
	st    *store.Store
	svc   *org.Service
	clock *clockwork.FakeClock
	mail  *mailbox
}

const pw = "velvet-otter-harbour-lantern-42"

// lockoutThreshold is the failed passwords that lock an account, as at sign-in.
const lockoutThreshold = 5

var hasher = password.NewHasher(password.Params{Memory: 1024, Time: 1, Threads: 1}, 4, 5*time.Second)

func newEnv(t *testing.T, url string) *env {
	t.Helper()
	st, clock := domaintest.Open(t, url)
	mail := &mailbox{}
	svc := &org.Service{Clock: clock, Repo: st.Q, InTx: store.Tx[org.Repo](st), Roles: org.DefaultRoles(),
		Policy:   org.Policy{CreateEnabled: true, InvitationTTL: 7 * 24 * time.Hour, PersonalAccounts: true},
		Notifier: mail, BaseURL: "https://accounts.example.com",
		Passwords: &signin.PasswordStrategy{Clock: clock, Hasher: hasher, Repo: st.Q,
			Lockout: signin.Lockout{Threshold: lockoutThreshold, Duration: time.Hour}},
		Codes:  &flow.Codes{Clock: clock, Key: []byte("org-test-key-0123456789abcdefgh!"), Limits: flow.DefaultSendLimits},
		Images: avatar.NewResizer(1)}
	return &env{t: t, st: st, svc: svc, clock: clock, mail: mail}
}

// person is a user with a verified email and a live session.
type person struct {
	user.User
	email string
	actor org.Actor
}

func (e *env) person(email string) *person {
	e.t.Helper()
	return e.personWith(email, true)
}

// personWith is person, with the address verified or not (as an import
// through the Backend API may leave it).
func (e *env) personWith(email string, verified bool) *person {
	e.t.Helper()
	ctx, now := e.t.Context(), e.clock.Now()
	u := &user.User{ID: id.New(id.User), FirstName: strings.Split(email, "@")[0], CreatedAt: now, UpdatedAt: now}
	u.PasswordHash, _ = hasher.Hash(ctx, pw)
	idn := user.Identifier{ID: id.New(id.Identifier), UserID: u.ID, Kind: user.Email, Value: email,
		CreatedAt: now, UpdatedAt: now}
	if verified {
		idn.VerifiedAt = &now
	}
	u.PrimaryEmailID, u.Identifiers = idn.ID, []user.Identifier{idn}
	if err := e.st.Q.CreateUser(ctx, u); err != nil {
		e.t.Fatal(err)
	}
	c := session.Client{ID: id.New(id.Client), CreatedAt: now, UpdatedAt: now}
	if err := e.st.Q.CreateClient(ctx, c); err != nil {
		e.t.Fatal(err)
	}
	s := session.Session{ID: id.New(id.Session), ClientID: c.ID, UserID: u.ID, Status: session.Active,
		FirstFactorAt: now, CreatedAt: now, UpdatedAt: now, LastActiveAt: now, ExpireAt: now.Add(24 * time.Hour)}
	if err := e.st.Q.CreateSession(ctx, s); err != nil {
		e.t.Fatal(err)
	}
	return &person{User: *u, email: email, actor: org.Actor{UserID: u.ID, SessionID: s.ID, FactorAt: now}}
}

// newSession starts another session of p's.
func (e *env) newSession(p *person) *session.Session {
	e.t.Helper()
	now := e.clock.Now()
	s := session.Session{ID: id.New(id.Session), UserID: p.ID, Status: session.Active, FirstFactorAt: now,
		CreatedAt: now, UpdatedAt: now, LastActiveAt: now, ExpireAt: now.Add(24 * time.Hour)}
	prev, err := e.st.Q.SessionByID(e.t.Context(), p.actor.SessionID)
	if err != nil {
		e.t.Fatal(err)
	}
	s.ClientID = prev.ClientID
	if err := e.st.Q.CreateSession(e.t.Context(), s); err != nil {
		e.t.Fatal(err)
	}
	return &s
}

func (e *env) activeOrgOf(sessionID string) string {
	e.t.Helper()
	s, err := e.st.Q.SessionByID(e.t.Context(), sessionID)
	if err != nil {
		e.t.Fatal(err)
	}
	return s.ActiveOrgID
}

// activeOrg is the organization the person's session has active.
func (e *env) activeOrg(p *person) string {
	e.t.Helper()
	s, err := e.st.Q.SessionByID(e.t.Context(), p.actor.SessionID)
	if err != nil {
		e.t.Fatal(err)
	}
	return s.ActiveOrgID
}

// create makes an organization with p as its admin.
func (e *env) create(p *person, name string) *org.Organization {
	e.t.Helper()
	o, err := e.svc.Create(e.t.Context(), p.actor, org.CreateInput{Name: name})
	if err != nil {
		e.t.Fatalf("create %q: %v", name, err)
	}
	return o
}

// join invites p into o (by admin) with role and accepts, returning the
// membership.
func (e *env) join(admin, p *person, o *org.Organization, role string) *org.Membership {
	e.t.Helper()
	ticket := e.invite(admin, o, p.email, role)
	if _, _, err := e.svc.Accept(e.t.Context(), p.actor, ticket); err != nil {
		e.t.Fatalf("%s accepts: %v", p.email, err)
	}
	return e.membership(o, p)
}

// invite sends an invitation and returns the ticket from the email.
func (e *env) invite(admin *person, o *org.Organization, email, role string) string {
	e.t.Helper()
	if _, err := e.svc.Invite(e.t.Context(), admin.actor, o.ID, org.InviteInput{Emails: []string{email}, Role: role}); err != nil {
		e.t.Fatalf("invite %s: %v", email, err)
	}
	return e.mail.ticket(e.t, email)
}

func (e *env) membership(o *org.Organization, p *person) *org.Membership {
	e.t.Helper()
	m, err := e.st.Q.MembershipOf(e.t.Context(), o.ID, p.ID)
	if err != nil {
		e.t.Fatalf("membership of %s: %v", p.email, err)
	}
	return m
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

// allEvents counts the events written so far.
func (e *env) allEvents() []events.Event {
	e.t.Helper()
	evs, err := e.st.Q.EventsAfter(e.t.Context(), 0, 10000)
	if err != nil {
		e.t.Fatal(err)
	}
	return evs
}

// mailbox keeps the invitation emails the service sends.
type mailbox struct {
	mu          sync.Mutex
	sent        map[string][]org.InvitationMail
	locales     map[string][]string // the locale each invitation was written in, by address
	codes       map[string][]string // purpose and code
	domainMails []org.DomainCodeMail
}

func (m *mailbox) SendOrgInvitation(_ context.Context, to, locale string, mail org.InvitationMail) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.sent == nil {
		m.sent, m.locales = map[string][]org.InvitationMail{}, map[string][]string{}
	}
	m.sent[to] = append(m.sent[to], mail)
	m.locales[to] = append(m.locales[to], locale)
	return nil
}

// SendDomainCode keeps the codes that verify domains, with whom they name.
func (m *mailbox) SendDomainCode(_ context.Context, to, code string, d org.DomainCodeMail) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.codes == nil {
		m.codes = map[string][]string{}
	}
	m.codes[to] = append(m.codes[to], "verify-domain "+code)
	m.domainMails = append(m.domainMails, d)
	return nil
}

// code is the latest code sent to to for purpose.
func (m *mailbox) code(t *testing.T, to, purpose string) string {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	list := m.codes[to]
	if len(list) == 0 {
		t.Fatalf("no code sent to %s", to)
	}
	p, code, _ := strings.Cut(list[len(list)-1], " ")
	if p != purpose {
		t.Fatalf("the latest code to %s is for %q, want %q", to, p, purpose)
	}
	return code
}

// ticket is the ticket of the latest invitation emailed to to.
func (m *mailbox) ticket(t *testing.T, to string) string {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	list := m.sent[to]
	if len(list) == 0 {
		t.Fatalf("no invitation emailed to %s", to)
	}
	_, tk, ok := strings.Cut(list[len(list)-1].URL, "?ticket=")
	if !ok || tk == "" {
		t.Fatalf("invitation link %q has no ticket", list[len(list)-1].URL)
	}
	return tk
}

// race runs fn from n goroutines released together on a warm pool.
func race[T any](t *testing.T, st *store.Store, n int, fn func(i int) T) []T {
	t.Helper()
	var conns []*sql.Conn
	for range 8 {
		c, err := st.DB().Conn(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	for _, c := range conns {
		c.Close()
	}
	out := make([]T, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			out[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return out
}
