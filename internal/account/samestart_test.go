package account_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/account"
	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/user"
)

// unverified gives u the unverified email address or phone number value,
// as the operator does through the Backend API, and returns its ID.
func (e *env) unverified(u *user.User, kind, value string) string {
	e.t.Helper()
	now := e.clock.Now()
	i := user.Identifier{ID: id.New(id.Identifier), UserID: u.ID, Kind: kind, Value: value, CreatedAt: now, UpdatedAt: now}
	if err := e.st.Q.CreateIdentifier(e.t.Context(), i); err != nil {
		e.t.Fatal(err)
	}
	return i.ID
}

// starts are the three ways /user begins a verification, each for one
// address or number of Ada's, with the kind of message that carries its code.
type startCase struct {
	name, kind, to string
	start          func(e *env, sess *session.Session, u *user.User) (*flow.Flow, error)
}

func starts(e *env, ada *user.User) []startCase {
	work := e.unverified(ada, user.Email, "ada@work.example")
	mobile := e.unverified(ada, user.Phone, "+14155550123")
	ctx := e.t.Context()
	return []startCase{
		{"add an email address", "code", "ada@home.example", func(e *env, sess *session.Session, u *user.User) (*flow.Flow, error) {
			return e.svc.AddEmail(ctx, sess, u, "ada@home.example", meta)
		}},
		{"add a phone number", "sms", "+14155550100", func(e *env, sess *session.Session, u *user.User) (*flow.Flow, error) {
			return e.svc.AddPhone(ctx, sess, u, "+1 415 555 0100", meta)
		}},
		{"verify an email address", "code", "ada@work.example", func(e *env, sess *session.Session, u *user.User) (*flow.Flow, error) {
			return e.svc.StartVerify(ctx, sess, u, user.Email, work, meta)
		}},
		{"verify a phone number", "sms", "+14155550123", func(e *env, sess *session.Session, u *user.User) (*flow.Flow, error) {
			return e.svc.StartVerify(ctx, sess, u, user.Phone, mobile, meta)
		}},
	}
}

// Add or Verify pressed twice (a double click, or Enter and then a click)
// goes on with the first flow and sends one code, which verifies: within
// flow.SameStartWindow, on the same session, for the same address. Another
// session, another address or a later press starts its own.
func TestSameAccountStartGoesOnWithTheFirstFlow(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ada := e.person("ada@example.com", true)
		ada = e.user(ada.ID)
		for _, c := range starts(e, e.user(ada.ID)) {
			ada = e.user(ada.ID)
			sess := e.signIn(ada.ID)
			first, err := c.start(e, sess, ada)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			e.clock.Advance(flow.SameStartWindow - time.Second)
			again, err := c.start(e, sess, ada)
			if err != nil || again.ID != first.ID {
				t.Fatalf("%s pressed again: flow %v, %v; want %s", c.name, again, err, first.ID)
			}
			if sent := e.out.To(c.kind, c.to); len(sent) != 1 {
				t.Fatalf("%s pressed twice: %d codes sent, want 1", c.name, len(sent))
			}
			other, err := c.start(e, e.signIn(ada.ID), ada)
			if err != nil || other.ID == first.ID {
				t.Errorf("%s from another session: flow %v, %v; want one of its own", c.name, other, err)
			}
			e.clock.Advance(2 * time.Second)
			later, err := c.start(e, sess, ada)
			if err != nil || later.ID == first.ID {
				t.Errorf("%s pressed %v later: flow %v, %v; want one of its own", c.name, flow.SameStartWindow+time.Second, later, err)
			}
			// The first code, typed on the page both presses landed on,
			// still verifies.
			code := e.out.To(c.kind, c.to)[0].Secret
			pending, err := e.svc.Pending(ctx, sess, first.ID)
			if err != nil {
				t.Fatalf("%s: the first flow: %v", c.name, err)
			}
			if _, err := e.svc.VerifyCode(ctx, sess, pending, code); err != nil {
				t.Errorf("%s: the first code on the first flow: %v", c.name, err)
			}
		}
		u := e.user(ada.ID)
		for _, v := range []string{"ada@home.example", "+14155550100", "ada@work.example", "+14155550123"} {
			if i := e.identifier(u, v); !i.Verified() {
				t.Errorf("%s is not verified", v)
			}
		}

		// Another address from the same session, at once, is its own start.
		sess := e.signIn(ada.ID)
		a, errA := e.svc.AddEmail(ctx, sess, u, "ada@one.example", meta)
		b, errB := e.svc.AddEmail(ctx, sess, u, "ada@two.example", meta)
		if errA != nil || errB != nil || a.ID == b.ID {
			t.Errorf("two addresses: flows %v and %v, %v %v; want two", a, b, errA, errB)
		}
	})
}

// Both presses sent at the same moment: the store serializes the session's
// browser's starts, so one flow is created and one code sent; both answers
// are that flow. On SQLite and PostgreSQL.
func TestSameAccountStartAtOnceSendsOneCode(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ada := e.person("ada@example.com", true)
		for _, c := range starts(e, e.user(ada.ID)) {
			u := e.user(ada.ID)
			sess := e.signIn(ada.ID)
			var (
				got  [2]*flow.Flow
				errs [2]error
				wg   sync.WaitGroup
			)
			ready := make(chan struct{})
			for i := range got {
				wg.Go(func() {
					<-ready
					got[i], errs[i] = c.start(e, sess, u)
				})
			}
			close(ready)
			wg.Wait()
			if errs[0] != nil || errs[1] != nil || got[0].ID != got[1].ID {
				t.Fatalf("%s twice at once: flows %v and %v, errors %v %v; want one flow", c.name, got[0], got[1], errs[0], errs[1])
			}
			if sent := e.out.To(c.kind, c.to); len(sent) != 1 {
				t.Errorf("%s twice at once: %d codes sent, want 1", c.name, len(sent))
			}
			e.clock.Advance(flow.SameStartWindow) // the next case is a start of its own
		}
	})
}

// failing refuses to send one email, as a mail server that is down does.
type failing struct {
	account.Notifier
	mu   sync.Mutex
	fail bool
}

var errMailDown = errors.New("mail server down")

func (f *failing) SendCode(ctx context.Context, to, code, purpose string) error {
	f.mu.Lock()
	fail := f.fail
	f.fail = false
	f.mu.Unlock()
	if fail {
		return errMailDown
	}
	return f.Notifier.SendCode(ctx, to, code, purpose)
}

// A start whose code could not be sent is over: pressing again at once
// sends the code, rather than landing on a page waiting for one that
// never came.
func TestAccountStartAgainAfterTheCodeFailedSends(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ada := e.person("ada@example.com", true)
		sess := e.signIn(ada.ID)
		e.svc.Notifier = &failing{Notifier: e.out, fail: true}
		if _, err := e.svc.AddEmail(ctx, sess, ada, "ada@home.example", meta); !errors.Is(err, errMailDown) {
			t.Fatalf("the first press: %v, want the mail server's failure", err)
		}
		e.clock.Advance(time.Second)
		f, err := e.svc.AddEmail(ctx, sess, ada, "ada@home.example", meta)
		if err != nil {
			t.Fatal(err)
		}
		sent := e.out.To("code", "ada@home.example")
		if len(sent) != 1 {
			t.Fatalf("after pressing again: %d codes sent, want 1", len(sent))
		}
		if _, err := e.svc.VerifyCode(ctx, sess, f, sent[0].Secret); err != nil {
			t.Errorf("the code sent on the second press: %v", err)
		}
	})
}

// "Confirm it's you" asked to send its code twice — at once (a double
// click) or one press after the other (Enter, then a click) — sends one
// code by email or text, both presses succeed (so both land on the code
// page), and the first code confirms. A press after flow.SameStartWindow,
// still within the cooldown, hears the cooldown. On SQLite and PostgreSQL.
func TestReverifyCodeAskedTwiceSendsOne(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ada := e.person("ada@example.com", false)
		e.addVerified(ada, "+14155550100")
		ada = e.user(ada.ID)
		for _, c := range []struct{ strategy, kind, to string }{
			{flow.EmailCode, "code", "ada@example.com"},
			{flow.PhoneCode, "sms", "+14155550100"},
		} {
			// At once.
			sess := e.signIn(ada.ID)
			e.stale()
			var (
				errs [2]error
				wg   sync.WaitGroup
			)
			ready := make(chan struct{})
			for i := range errs {
				wg.Go(func() {
					<-ready
					errs[i] = e.svc.PrepareReverify(ctx, sess, ada, c.strategy, meta)
				})
			}
			close(ready)
			wg.Wait()
			if errs[0] != nil || errs[1] != nil {
				t.Fatalf("%s asked for twice at once: %v, %v; want both to land on the code page", c.strategy, errs[0], errs[1])
			}
			sent := e.out.To(c.kind, c.to)
			if len(sent) != 1 {
				t.Fatalf("%s asked for twice at once: %d codes sent, want 1", c.strategy, len(sent))
			}
			if err := e.svc.Reverify(ctx, e.session(sess.ID), ada, c.strategy, flow.Input{Code: sent[0].Secret}); err != nil {
				t.Errorf("%s: the code of two presses at once: %v", c.strategy, err)
			}

			// One after the other, then once more after the window.
			sess = e.signIn(ada.ID)
			e.stale()
			if err := e.svc.PrepareReverify(ctx, sess, ada, c.strategy, meta); err != nil {
				t.Fatal(err)
			}
			e.clock.Advance(flow.SameStartWindow - time.Second)
			if err := e.svc.PrepareReverify(ctx, sess, ada, c.strategy, meta); err != nil {
				t.Fatalf("%s asked for again %v later: %v, want the code page", c.strategy, flow.SameStartWindow-time.Second, err)
			}
			if got := e.out.To(c.kind, c.to); len(got) != 2 {
				t.Fatalf("%s asked for twice, one after the other: %d codes sent in all, want 2", c.strategy, len(got))
			}
			e.clock.Advance(time.Second)
			err := e.svc.PrepareReverify(ctx, sess, ada, c.strategy, meta)
			wantErr(t, c.strategy+" asked for again after the window", err, apperr.RateLimited, "error.code.resend_wait")
			first := e.out.To(c.kind, c.to)[1].Secret
			if err := e.svc.Reverify(ctx, e.session(sess.ID), ada, c.strategy, flow.Input{Code: first}); err != nil {
				t.Errorf("%s: the first code after pressing again: %v", c.strategy, err)
			}
			if !e.svc.Fresh(e.session(sess.ID)) {
				t.Errorf("%s: the first code did not confirm the session", c.strategy)
			}
			e.clock.Advance(flow.ResendAfter) // the next case starts afresh
		}
	})
}
