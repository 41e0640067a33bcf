package invitation_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/invitation"
	"github.com/portalhq/portal/internal/store"
	"github.com/portalhq/portal/internal/testutil/domaintest"
	"github.com/portalhq/portal/internal/user"
)

const baseURL = "https://accounts.example.com"

// onEngines runs test on SQLite and on PostgreSQL, each with a fresh
// database.
func onEngines(t *testing.T, test func(t *testing.T, e *env)) {
	domaintest.Engines(t, func(t *testing.T, url string) { test(t, newEnv(t, url)) })
}

// env is the invitation service on a real store, a fake clock and a
// notifier that keeps the emails.
type env struct {
	t     *testing.T
	st    *store.Store
	svc   *invitation.Service
	clock *clockwork.FakeClock
	mail  *mailbox
}

func newEnv(t *testing.T, url string) *env {
	t.Helper()
	st, clock := domaintest.Open(t, url)
	mail := &mailbox{}
	svc := &invitation.Service{Clock: clock, Repo: st.Q, InTx: store.Tx[invitation.Repo](st), Notifier: mail,
		BaseURL: baseURL}
	return &env{t: t, st: st, svc: svc, clock: clock, mail: mail}
}

// user stores an account owning email, verified or not, with public
// metadata md.
func (e *env) user(email string, verified bool, md string) *user.User {
	e.t.Helper()
	now := e.clock.Now()
	u := &user.User{ID: id.New(id.User), CreatedAt: now, UpdatedAt: now, PublicMetadata: json.RawMessage(md)}
	idn := user.Identifier{ID: id.New(id.Identifier), UserID: u.ID, Kind: user.Email, Value: email,
		CreatedAt: now, UpdatedAt: now}
	if verified {
		idn.VerifiedAt = &now
	}
	u.PrimaryEmailID, u.Identifiers = idn.ID, []user.Identifier{idn}
	if err := e.st.Q.CreateUser(e.t.Context(), u); err != nil {
		e.t.Fatal(err)
	}
	return u
}

// invite creates an invitation that must succeed and returns it with its
// ticket, taken from the link.
func (e *env) invite(in invitation.CreateInput) (*invitation.Invitation, string) {
	e.t.Helper()
	inv, link, err := e.svc.Create(e.t.Context(), in)
	if err != nil {
		e.t.Fatalf("Create(%+v): %v", in, err)
	}
	return inv, ticketOf(e.t, link)
}

// stored reads an invitation back from the store.
func (e *env) stored(invID string) *invitation.Invitation {
	e.t.Helper()
	inv, err := e.st.Q.AppInvitationByID(e.t.Context(), invID)
	if err != nil {
		e.t.Fatal(err)
	}
	return inv
}

// all lists every stored invitation.
func (e *env) all() []invitation.Invitation {
	e.t.Helper()
	list, _, err := e.st.Q.ListAppInvitations(e.t.Context(), invitation.Filter{Now: e.clock.Now(), Limit: 100})
	if err != nil {
		e.t.Fatal(err)
	}
	return list
}

func ticketOf(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil || !strings.HasPrefix(link, baseURL+invitation.AcceptPath+"?") || u.Query().Get("ticket") == "" {
		t.Fatalf("link %q: want %s%s?ticket=…", link, baseURL, invitation.AcceptPath)
	}
	return u.Query().Get("ticket")
}

// mailbox keeps the invitation emails.
type mailbox struct {
	mu   sync.Mutex
	sent []sent
}

type sent struct {
	to     string
	locale string // the invitee's, "" when unknown
	m      invitation.Mail
}

func (b *mailbox) SendAppInvitation(_ context.Context, to, locale string, m invitation.Mail) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sent = append(b.sent, sent{to, locale, m})
	return nil
}

func (b *mailbox) all() []sent {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]sent(nil), b.sent...)
}

// sameJSON compares two JSON documents by value.
func sameJSON(t *testing.T, what string, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s: %s is not JSON: %v", what, got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if string(gb) != string(wb) {
		t.Errorf("%s = %s, want %s", what, got, want)
	}
}

const day = 24 * time.Hour
