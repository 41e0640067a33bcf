// Package domaintest is what the domain packages' own tests share: a real
// store on each engine, a cheap hasher, a recorder at the notifier boundary
// and checks of the errors a person would see.
package domaintest

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/password"
	"github.com/portalhq/portal/internal/store"
	"github.com/portalhq/portal/internal/testutil/pgtest"
)

// Engines runs test once on a fresh SQLite file and once on a fresh
// PostgreSQL schema, each a subtest given the database URL.
func Engines(t *testing.T, test func(t *testing.T, url string)) {
	t.Run("sqlite", func(t *testing.T) { test(t, "sqlite:"+filepath.Join(t.TempDir(), "portal.db")) })
	t.Run("postgres", func(t *testing.T) { test(t, pgtest.URL(t)) })
}

// Open opens a store at url, closed when the test ends, and a fake clock
// at a whole second of 1 May 2026 (the store keeps milliseconds).
func Open(t *testing.T, url string) (*store.Store, *clockwork.FakeClock) {
	t.Helper()
	st, err := store.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, clockwork.NewFakeClockAt(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
}

// Hasher hashes with small argon2id parameters so tests stay fast; each
// call is a hasher of its own, so Computations counts one test's work.
func Hasher() *password.Hasher {
	return password.NewHasher(password.Params{Memory: 1024, Time: 1, Threads: 1}, 4, 5*time.Second)
}

// WantErr checks that err is the *apperr.Error a person would see: its code
// and catalog message ID.
func WantErr(t *testing.T, what string, err error, code apperr.Code, msgID string) {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok {
		t.Errorf("%s: error %v, want %s %q", what, err, code, msgID)
		return
	}
	if e.Code != code || e.ID != msgID {
		t.Errorf("%s: %s %q (%s), want %s %q", what, e.Code, e.ID, e.Message, code, msgID)
	}
}

// EventTypes lists the types of the events written about objectID, oldest
// first.
func EventTypes(t *testing.T, st interface {
	EventsOfObject(ctx context.Context, objectID string) ([]events.Event, error)
}, objectID string) []string {
	t.Helper()
	evs, err := st.EventsOfObject(t.Context(), objectID)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, ev := range evs {
		out = append(out, ev.Type)
	}
	return out
}

// OtherCode is a six-digit code that is not c.
func OtherCode(c string) string {
	b := []byte(c)
	b[0] = '0' + (b[0]-'0'+1)%10
	return string(b)
}

// Message is one message the portal sent.
type Message struct {
	Kind    string // "code", "link", "sms", "existing_account", "password_changed", "primary_changed", "sign_in_locked"
	To      string
	Secret  string // the code or link; the new address for "primary_changed"
	Purpose string
}

// Outbox records what a service sends, in order. It stands in for the
// mailer and the text sender at the notifier boundary (flow.Notifier and
// the account package's notifier).
type Outbox struct {
	mu   sync.Mutex
	sent []Message
}

func (o *Outbox) add(m Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.sent = append(o.sent, m)
	return nil
}

func (o *Outbox) SendCode(_ context.Context, to, code, purpose string) error {
	return o.add(Message{"code", to, code, purpose})
}

func (o *Outbox) SendLink(_ context.Context, to, link, purpose string) error {
	return o.add(Message{"link", to, link, purpose})
}

func (o *Outbox) SendSMSCode(_ context.Context, to, code, purpose string) error {
	return o.add(Message{"sms", to, code, purpose})
}

func (o *Outbox) SendExistingAccount(_ context.Context, to, _ string) error {
	return o.add(Message{Kind: "existing_account", To: to})
}

func (o *Outbox) SendPasswordChanged(_ context.Context, to, _ string) error {
	return o.add(Message{Kind: "password_changed", To: to})
}

func (o *Outbox) SendSignInLocked(_ context.Context, to, _ string, _ int, _ time.Time) error {
	return o.add(Message{Kind: "sign_in_locked", To: to})
}

func (o *Outbox) SendPrimaryEmailChanged(_ context.Context, to, _, newAddress string) error {
	return o.add(Message{Kind: "primary_changed", To: to, Secret: newAddress})
}

// All is every message sent, oldest first.
func (o *Outbox) All() []Message {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]Message(nil), o.sent...)
}

// Count is how many messages have been sent.
func (o *Outbox) Count() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.sent)
}

// To lists the messages of kind sent to to, oldest first.
func (o *Outbox) To(kind, to string) []Message {
	var out []Message
	for _, m := range o.All() {
		if m.Kind == kind && m.To == to {
			out = append(out, m)
		}
	}
	return out
}

// Kinds lists the kinds of the messages sent to to, oldest first.
func (o *Outbox) Kinds(to string) []string {
	var out []string
	for _, m := range o.All() {
		if m.To == to {
			out = append(out, m.Kind)
		}
	}
	return out
}

// Latest is the secret of the newest message of kind sent to to.
func (o *Outbox) Latest(t *testing.T, kind, to string) string {
	t.Helper()
	list := o.To(kind, to)
	if len(list) == 0 {
		t.Fatalf("no %s sent to %s", kind, to)
	}
	return list[len(list)-1].Secret
}

// Last is the newest message of all, which must be of kind and to to.
func (o *Outbox) Last(t *testing.T, to, kind string) Message {
	t.Helper()
	all := o.All()
	if len(all) == 0 {
		t.Fatalf("nothing was sent; want a %s to %s", kind, to)
	}
	m := all[len(all)-1]
	if m.To != to || m.Kind != kind {
		t.Fatalf("last message is a %s to %s; want a %s to %s", m.Kind, m.To, kind, to)
	}
	return m
}
