package waitlist_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"

	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/invitation"
	"github.com/portalhq/portal/internal/restrict"
	"github.com/portalhq/portal/internal/store"
	"github.com/portalhq/portal/internal/testutil/domaintest"
	"github.com/portalhq/portal/internal/user"
	"github.com/portalhq/portal/internal/waitlist"
)

const baseURL = "https://accounts.example.com"

// onEngines runs test on SQLite and on PostgreSQL, each with a fresh
// database.
func onEngines(t *testing.T, test func(t *testing.T, e *env)) {
	domaintest.Engines(t, func(t *testing.T, url string) { test(t, newEnv(t, url)) })
}

// env is the waitlist service on a real store, with the real invitation
// service, a fake clock and a mailbox at the notifier boundary.
type env struct {
	t     *testing.T
	st    *store.Store
	svc   *waitlist.Service
	inv   *invitation.Service
	clock *clockwork.FakeClock
	mail  *mailbox
}

func newEnv(t *testing.T, url string) *env {
	t.Helper()
	st, clock := domaintest.Open(t, url)
	mail := &mailbox{}
	rules, err := restrict.New(nil, []string{"mallory@example.com", "@blocked.example"}, "", true)
	if err != nil {
		t.Fatal(err)
	}
	inv := &invitation.Service{Clock: clock, Repo: st.Q, InTx: store.Tx[invitation.Repo](st), Notifier: mail, BaseURL: baseURL}
	svc := &waitlist.Service{Clock: clock, Repo: st.Q, InTx: store.Tx[waitlist.Repo](st), Invitations: inv,
		Notifier: mail, Restrict: rules}
	return &env{t: t, st: st, svc: svc, inv: inv, clock: clock, mail: mail}
}

// user stores an account owning email, verified.
func (e *env) user(email string) *user.User {
	e.t.Helper()
	now := e.clock.Now()
	u := &user.User{ID: id.New(id.User), CreatedAt: now, UpdatedAt: now, PublicMetadata: json.RawMessage(`{}`)}
	idn := user.Identifier{ID: id.New(id.Identifier), UserID: u.ID, Kind: user.Email, Value: email,
		CreatedAt: now, UpdatedAt: now, VerifiedAt: &now}
	u.PrimaryEmailID, u.Identifiers = idn.ID, []user.Identifier{idn}
	if err := e.st.Q.CreateUser(e.t.Context(), u); err != nil {
		e.t.Fatal(err)
	}
	return u
}

// entry reads an entry back from the store.
func (e *env) entry(entryID string) *waitlist.Entry {
	e.t.Helper()
	got, err := e.st.Q.WaitlistEntryByID(e.t.Context(), entryID)
	if err != nil {
		e.t.Fatal(err)
	}
	return got
}

// all lists every entry, oldest first.
func (e *env) all() []waitlist.Entry {
	e.t.Helper()
	list, _, err := e.st.Q.ListWaitlistEntries(e.t.Context(), waitlist.Filter{OrderBy: "created_at", Limit: 100})
	if err != nil {
		e.t.Fatal(err)
	}
	return list
}

// create adds an entry through the Backend API's path, which must succeed.
func (e *env) create(email string) *waitlist.Entry {
	e.t.Helper()
	en, err := e.svc.Create(e.t.Context(), waitlist.CreateInput{Email: email})
	if err != nil {
		e.t.Fatalf("Create(%s): %v", email, err)
	}
	return en
}

// mailbox keeps what was sent; fail, when set, refuses every email.
type mailbox struct {
	mu     sync.Mutex
	sent   []sent
	failed bool
}

type sent struct {
	kind string // "joined" or the invitation's template
	to   string
	url  string
}

var errSMTP = errors.New("smtp: 451 try later")

func (b *mailbox) fail(on bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failed = on
}

func (b *mailbox) add(s sent) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failed {
		return errSMTP
	}
	b.sent = append(b.sent, s)
	return nil
}

func (b *mailbox) SendWaitlistJoined(_ context.Context, to string) error {
	return b.add(sent{kind: "joined", to: to})
}

func (b *mailbox) SendAppInvitation(_ context.Context, to, _ string, m invitation.Mail) error {
	return b.add(sent{kind: m.Template, to: to, url: m.URL})
}

func (b *mailbox) all() []sent {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]sent(nil), b.sent...)
}
