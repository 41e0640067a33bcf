package signin_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/signin"
	"github.com/portalhq/portal/internal/testutil/domaintest"
	"github.com/portalhq/portal/internal/user"
)

// An identifier, then the password: a wrong one leaves the flow where it
// was and counts a failure; the right one completes it with a new session
// and resets the count.
func TestPasswordSignIn(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		u := e.account("ada@example.com")
		client := e.client()
		f := e.start(client, "  Ada@Example.COM ")
		if f.Status != flow.NeedsFirstFactor || f.UserID != u.ID || f.Identifier != "ada@example.com" {
			t.Fatalf("Start: status %q user %q identifier %q, want needs_first_factor for %s, normalised",
				f.Status, f.UserID, f.Identifier, u.ID)
		}
		offered, err := e.svc.Offered(t.Context(), e.load(client, f.ID))
		if err != nil || !slices.Equal(offered, []string{flow.Password, flow.EmailCode, flow.EmailLink}) {
			t.Errorf("Offered = %v, %v; want password, email_code, email_link", offered, err)
		}

		sess, err := e.password(client, f.ID, wrongPw)
		wantErr(t, "wrong password", err, apperr.Invalid, "error.signin.bad_password")
		if sess != nil {
			t.Errorf("wrong password gave session %s", sess.ID)
		}
		e.stillWaiting(client, f.ID)
		if n := e.user(u.ID).FailedSignIns; n != 1 {
			t.Errorf("failed sign-ins after one wrong password = %d, want 1", n)
		}

		sess, err = e.password(client, f.ID, pw)
		if err != nil {
			t.Fatalf("right password: %v", err)
		}
		e.signedIn(sess, client, f.ID, u.ID)
		after := e.user(u.ID)
		if after.FailedSignIns != 0 || after.LastSignInAt == nil || !after.LastSignInAt.Equal(e.clock.Now()) {
			t.Errorf("after sign-in: %d failures, last sign-in %v; want 0 and now", after.FailedSignIns, after.LastSignInAt)
		}
		// A finished flow cannot be used again, not even by its browser.
		_, err = e.password(client, f.ID, pw)
		wantErr(t, "the completed flow again", err, apperr.Expired, "error.signin.expired")
	})
}

// A flow is its browser's, for a limited time.
func TestFlowBelongsToItsClient(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		e.account("ada@example.com")
		client := e.client()
		f := e.start(client, "ada@example.com")
		for _, other := range []string{e.client(), ""} {
			_, err := e.svc.Load(t.Context(), other, f.ID)
			wantErr(t, "another client loads the flow", err, apperr.Expired, "error.signin.expired")
		}
		e.clock.Advance(flow.Lifetime - time.Second)
		e.load(client, f.ID)
		e.clock.Advance(time.Second)
		_, err := e.svc.Load(t.Context(), client, f.ID)
		wantErr(t, "the flow after its lifetime", err, apperr.Expired, "error.signin.expired")
	})
}

// REQ-RL-05: whatever stands behind a failed password — no account, an
// address not verified, a locked or banned account, a wrong password — the
// person sees the same error and the same hashing work was done (one
// argon2 run), so neither message nor timing tells them apart.
func TestFailedPasswordRevealsNothing_REQ_RL_05(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		e.account("known@example.com")
		e.account("locked@example.com", func(u *user.User) {
			until := e.clock.Now().Add(time.Hour)
			u.LockedUntil = &until
		})
		e.account("banned@example.com", func(u *user.User) { u.Banned = true })
		e.account("unverified@example.com", func(u *user.User) { u.Identifiers[0].VerifiedAt = nil })

		var offeredKnown []string
		for _, c := range []struct {
			name, identifier, password string
			knownUser                  bool
		}{
			{"wrong password", "known@example.com", wrongPw, true},
			{"no such account", "nobody@example.com", pw, false},
			{"address not verified", "unverified@example.com", pw, false},
			{"locked, right password", "locked@example.com", pw, true},
			{"banned, right password", "banned@example.com", pw, true},
		} {
			t.Run(c.name, func(t *testing.T) {
				client := e.client()
				f := e.start(client, c.identifier)
				if f.Status != flow.NeedsFirstFactor || (f.UserID != "") != c.knownUser {
					t.Errorf("Start: status %q user %q", f.Status, f.UserID)
				}
				offered, err := e.svc.Offered(t.Context(), e.load(client, f.ID))
				if err != nil {
					t.Fatal(err)
				}
				if offeredKnown == nil { // the first case, a known account
					if !slices.Contains(offered, flow.Password) {
						t.Fatalf("offered %v to a known account with a password", offered)
					}
					offeredKnown = offered
				} else if !slices.Equal(offered, offeredKnown) {
					t.Errorf("offered %v, for a known account %v", offered, offeredKnown)
				}
				before := e.hasher.Computations()
				sess, err := e.password(client, f.ID, c.password)
				if sess != nil || !reflect.DeepEqual(err, signin.ErrBadPassword) {
					t.Errorf("attempt = %v, %v; want exactly ErrBadPassword", sess, err)
				}
				if n := e.hasher.Computations() - before; n != 1 {
					t.Errorf("%d argon2 runs, want 1 as for a wrong password", n)
				}
				e.stillWaiting(client, f.ID)
			})
		}
	})
}

// REQ-RL-05: an unknown address is offered the email code like a known
// one, and asking for it records a code (same cooldown) but sends nothing.
func TestEmailCodeForUnknownAddressSendsNothing_REQ_RL_05(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		client := e.client()
		f := e.start(client, "nobody@example.com")
		if err := e.prepare(client, f.ID, flow.EmailCode); err != nil {
			t.Fatalf("Prepare: %v", err)
		}
		if n := e.mail.Count(); n != 0 {
			t.Errorf("%d messages sent for an unknown address", n)
		}
		v, err := e.st.Q.LatestVerification(t.Context(), f.ID, flow.EmailCode)
		if err != nil || v == nil || v.Target != "nobody@example.com" {
			t.Errorf("recorded verification = %+v, %v; want one for the typed address", v, err)
		}
		e.clock.Advance(time.Second)
		wantErr(t, "asking again at once", e.prepare(client, f.ID, flow.EmailCode), apperr.RateLimited, "error.code.resend_wait")
		// The code went nowhere, so this guess is as good as any (a match is
		// one in a million).
		_, err = e.code(client, f.ID, "123456")
		wantErr(t, "a guessed code", err, apperr.Invalid, "error.code.incorrect_email")
		e.stillWaiting(client, f.ID)
	})
}

// REQ-RL-01, REQ-RL-02: the configured number of consecutive wrong passwords
// locks the password for the configured time; while locked the right
// password answers like a wrong one (REQ-RL-05). A success resets the count,
// and the lock runs out by itself.
func TestLockout_REQ_RL_01_REQ_RL_02(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		u := e.account("ada@example.com")
		client := e.client()
		fail := func(n int) {
			t.Helper()
			before := e.user(u.ID).FailedSignIns
			for i := range n {
				f := e.start(client, "ada@example.com")
				_, err := e.password(client, f.ID, wrongPw)
				wantErr(t, "wrong password", err, apperr.Invalid, "error.signin.bad_password")
				if got := e.user(u.ID).FailedSignIns; got != before+i+1 {
					t.Fatalf("after %d more wrong passwords the store counts %d, want %d", i+1, got, before+i+1)
				}
			}
		}
		// One short of the threshold, then the right password: the count
		// starts again, so another run one short does not lock.
		fail(lockoutThreshold - 1)
		f := e.start(client, "ada@example.com")
		if _, err := e.password(client, f.ID, pw); err != nil {
			t.Fatalf("right password below the threshold: %v", err)
		}
		fail(lockoutThreshold - 1)
		if e.user(u.ID).Locked(e.clock.Now()) {
			t.Fatal("locked after a success and fewer failures than the threshold")
		}
		fail(1)
		locked := e.user(u.ID)
		if locked.LockedUntil == nil || !locked.LockedUntil.Equal(e.clock.Now().Add(lockoutDuration)) {
			t.Fatalf("locked until %v, want %v", locked.LockedUntil, e.clock.Now().Add(lockoutDuration))
		}

		e.clock.Advance(lockoutDuration - time.Second)
		client = e.client()
		f = e.start(client, "ada@example.com")
		before := e.hasher.Computations()
		_, err := e.password(client, f.ID, pw)
		wantErr(t, "right password while locked", err, apperr.Invalid, "error.signin.bad_password")
		if n := e.hasher.Computations() - before; n != 1 {
			t.Errorf("right password while locked: %d argon2 runs, want 1 like a wrong password", n)
		}
		e.stillWaiting(client, f.ID)

		e.clock.Advance(time.Second)
		f = e.start(client, "ada@example.com")
		sess, err := e.password(client, f.ID, pw)
		if err != nil {
			t.Fatalf("right password once the lock ran out: %v", err)
		}
		e.signedIn(sess, client, f.ID, u.ID)
		if after := e.user(u.ID); after.FailedSignIns != 0 || after.LockedUntil != nil {
			t.Errorf("after sign-in: %d failures, locked until %v; want 0 and none", after.FailedSignIns, after.LockedUntil)
		}
	})
}

// REQ-RL-02: the lock is on the password only, so locking someone's
// password out does not lock them out: the emailed code still signs them
// in, and that success clears the count and the lock (REQ-RL-01).
func TestLockedPasswordLeavesEmailCode_REQ_RL_02(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		u := e.account("ada@example.com")
		attacker, owner := e.client(), e.client()
		for range lockoutThreshold {
			f := e.start(attacker, "ada@example.com")
			if _, err := e.password(attacker, f.ID, wrongPw); err == nil {
				t.Fatal("wrong password accepted")
			}
		}
		if !e.user(u.ID).Locked(e.clock.Now()) {
			t.Fatal("not locked after the threshold")
		}
		f := e.start(owner, "ada@example.com")
		if err := e.prepare(owner, f.ID, flow.EmailCode); err != nil {
			t.Fatal(err)
		}
		sess, err := e.code(owner, f.ID, e.mail.Last(t, "ada@example.com", "code").Secret)
		if err != nil {
			t.Fatalf("email code while the password is locked: %v", err)
		}
		e.signedIn(sess, owner, f.ID, u.ID)
		if after := e.user(u.ID); after.FailedSignIns != 0 || after.LockedUntil != nil {
			t.Errorf("after the code sign-in: %d failures, locked until %v; want 0 and none", after.FailedSignIns, after.LockedUntil)
		}
	})
}

// REQ-OTP-02..04 through sign-in: the emailed code signs in when right,
// within its five tries and ten minutes; a wrong one leaves the flow as it
// was.
func TestEmailCodeSignIn_REQ_OTP_02_REQ_OTP_04(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		for i, c := range []struct {
			name      string
			wrong     int
			wait      time.Duration
			wantCode  apperr.Code
			wantMsgID string
		}{
			{"right code", 0, 0, "", ""},
			{"right code after four wrong", flow.MaxAttempts - 1, 0, "", ""},
			{"right code after five wrong", flow.MaxAttempts, 0, apperr.Expired, "error.code.too_many"},
			{"right code a second before ten minutes", 0, flow.CodeTTL - time.Second, "", ""},
			{"right code at ten minutes", 0, flow.CodeTTL, apperr.Expired, "error.code.expired"},
		} {
			t.Run(c.name, func(t *testing.T) {
				email := string(rune('a'+i)) + "@example.com"
				u := e.account(email)
				client := e.client()
				f := e.start(client, email)
				if err := e.prepare(client, f.ID, flow.EmailCode); err != nil {
					t.Fatalf("Prepare: %v", err)
				}
				if got := e.load(client, f.ID).Data.Strategy; got != flow.EmailCode {
					t.Errorf("stored strategy %q, want email_code", got)
				}
				m := e.mail.Last(t, email, "code")
				if len(m.Secret) != flow.CodeDigits || m.Purpose != "sign-in" {
					t.Errorf("sent %+v, want a six-digit sign-in code", m)
				}
				for range c.wrong {
					_, err := e.code(client, f.ID, otherCode(m.Secret))
					wantErr(t, "wrong code", err, apperr.Invalid, "error.code.incorrect_email")
				}
				e.clock.Advance(c.wait)
				sess, err := e.code(client, f.ID, m.Secret)
				if c.wantMsgID != "" {
					wantErr(t, "right code", err, c.wantCode, c.wantMsgID)
					e.stillWaiting(client, f.ID)
					return
				}
				if err != nil {
					t.Fatalf("right code: %v", err)
				}
				e.signedIn(sess, client, f.ID, u.ID)
			})
		}
	})
}

// REQ-OTP-03: a code is spent by its sign-in, and works only for the flow
// it was sent for.
func TestEmailCodeSingleUseAndBoundToFlow_REQ_OTP_03(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		u := e.account("ada@example.com")
		client := e.client()
		first := e.start(client, "ada@example.com")
		if err := e.prepare(client, first.ID, flow.EmailCode); err != nil {
			t.Fatal(err)
		}
		code := e.mail.Last(t, "ada@example.com", "code").Secret

		// Past the moment in which the same start goes on with the first
		// flow (a double click), so that this one is a flow of its own.
		e.clock.Advance(flow.SameStartWindow + time.Second)
		second := e.start(client, "ada@example.com")
		if err := e.prepare(client, second.ID, flow.EmailCode); err != nil {
			t.Fatal(err)
		}
		_, err := e.code(client, second.ID, code)
		wantErr(t, "the first flow's code in the second", err, apperr.Invalid, "error.code.incorrect_email")

		sess, err := e.code(client, first.ID, code)
		if err != nil {
			t.Fatalf("the code in its own flow: %v", err)
		}
		e.signedIn(sess, client, first.ID, u.ID)
		v, err := e.st.Q.LatestVerification(t.Context(), first.ID, flow.EmailCode)
		if err != nil || v.ConsumedAt == nil {
			t.Errorf("verification after use = %+v, %v; want consumed", v, err)
		}
		// Replayed on the flow as a second tab still holds it, the code is
		// spent; on the flow as stored, the sign-in is over.
		_, err = e.svc.Attempt(t.Context(), first, flow.EmailCode, flow.Input{Code: code}, meta)
		wantErr(t, "the code again, stale flow", err, apperr.Expired, "error.code.used")
		_, err = e.code(client, first.ID, code)
		wantErr(t, "the code again, stored flow", err, apperr.Expired, "error.signin.expired")
		if n := len(e.sessionsOf(u.ID)); n != 1 {
			t.Errorf("%d active sessions after replaying the code, want 1", n)
		}
	})
}

// REQ-SES-02: signing in again on the same browser ends the session it
// had and starts a new one; the user's sessions elsewhere are untouched.
func TestSignInAgainEndsTheClientsSession_REQ_SES_02(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		u := e.account("ada@example.com")
		laptop, phone := e.client(), e.client()
		signIn := func(client string) *session.Session {
			t.Helper()
			f := e.start(client, "ada@example.com")
			sess, err := e.password(client, f.ID, pw)
			if err != nil {
				t.Fatal(err)
			}
			e.signedIn(sess, client, f.ID, u.ID)
			return sess
		}
		onPhone := signIn(phone)
		old := signIn(laptop)
		laptop = old.ClientID // the browser holds the client its sign-in made
		e.clock.Advance(time.Minute)
		fresh := signIn(laptop)
		if fresh.ID == old.ID {
			t.Fatal("the second sign-in kept the session ID")
		}

		got, err := e.st.Q.SessionByID(t.Context(), old.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != session.Ended || got.EndedAt == nil || !got.EndedAt.Equal(e.clock.Now()) {
			t.Errorf("previous session: status %q ended %v, want ended now", got.Status, got.EndedAt)
		}
		if types := e.eventTypes(old.ID); !slices.Equal(types, []string{"session.created", "session.ended"}) {
			t.Errorf("events of the previous session = %v", types)
		}
		active, err := e.st.Q.ActiveSessionsOfClient(t.Context(), fresh.ClientID)
		if err != nil || len(active) != 1 || active[0].ID != fresh.ID {
			t.Errorf("laptop's active sessions = %v, %v; want only the new one", active, err)
		}
		if s, err := e.st.Q.SessionByID(t.Context(), onPhone.ID); err != nil || s.Status != session.Active {
			t.Errorf("the phone's session = %+v, %v; want still active", s, err)
		}
	})
}

// A banned or admin-locked account gets no session by any factor: the
// password answers as a wrong one would (REQ-RL-05), the emailed code —
// which proves the person owns the address — says the account can't sign in.
func TestBannedOrLockedByAdminCannotSignIn(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		for _, c := range []struct {
			name  string
			apply func(u *user.User)
		}{
			{"banned", func(u *user.User) { u.Banned = true }},
			{"locked by an admin", func(u *user.User) { u.AdminLocked = true }},
		} {
			t.Run(c.name, func(t *testing.T) {
				email := "x" + c.name[:3] + "@example.com"
				u := e.account(email, c.apply)
				client := e.client()

				f := e.start(client, email)
				_, err := e.password(client, f.ID, pw)
				wantErr(t, "right password", err, apperr.Invalid, "error.signin.bad_password")
				// The log's reason tells the operator why (handlers.logAttempt).
				if want := map[string]error{"banned": signin.ErrPasswordBanned, "locked by an admin": signin.ErrPasswordLocked}[c.name]; !errors.Is(err, want) {
					t.Errorf("right password: %v, want the error logged as %s", err, c.name)
				}
				if n := e.user(u.ID).FailedSignIns; n != 0 {
					t.Errorf("refused account's failures counted: %d", n)
				}

				if err := e.prepare(client, f.ID, flow.EmailCode); err != nil {
					t.Fatal(err)
				}
				sess, err := e.code(client, f.ID, e.mail.Last(t, email, "code").Secret)
				wantErr(t, "right code", err, apperr.Forbidden, "error.session.cannot_sign_in")
				if sess != nil {
					t.Errorf("session %s for a refused account", sess.ID)
				}
				e.stillWaiting(client, f.ID)
				if types := e.eventTypes(u.ID); len(types) != 0 {
					t.Errorf("events about the user: %v", types)
				}
			})
		}
	})
}

// REQ-RL-07: the failure that locks an account tells its owner, once, at
// the primary address — not the failures before it nor the attempts made
// while it is locked, and never anyone for an account without an address.
// With Later set, the email waits for it (after the answer).
func TestLockTellsTheOwner_REQ_RL_07(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		mail := &outbox{}
		l := signin.Lockout{Threshold: 3, Duration: time.Hour, Notifier: mail}
		u := e.account("ada@example.com")
		locked := func(m domaintest.Message) bool { return m.Kind == "sign_in_locked" }
		for i := range 5 { // three to lock, then two while locked
			if err := l.Fail(ctx, e.st.Q, u, e.clock.Now()); err != nil {
				t.Fatal(err)
			}
			want := 0
			if i >= 2 {
				want = 1
			}
			if got := countOf(mail.All(), locked); got != want {
				t.Fatalf("after %d failures %d lock emails, want %d", i+1, got, want)
			}
		}
		if m := mail.All()[0]; m.To != "ada@example.com" {
			t.Errorf("lock email to %q, want the owner's address", m.To)
		}

		noEmail := e.account("ada2@example.com", func(u *user.User) { u.PrimaryEmailID, u.Identifiers = "", nil })
		for range 3 {
			if err := l.Fail(ctx, e.st.Q, noEmail, e.clock.Now()); err != nil {
				t.Fatal(err)
			}
		}
		if !e.user(noEmail.ID).Locked(e.clock.Now()) || mail.Count() != 1 {
			t.Errorf("account without an address: locked %v, %d emails in all (want locked, still 1)",
				e.user(noEmail.ID).Locked(e.clock.Now()), mail.Count())
		}

		var queued []func(context.Context) error
		l.Later = func(_ context.Context, fn func(context.Context) error) { queued = append(queued, fn) }
		bob := e.account("bob@example.com")
		for range 3 {
			if err := l.Fail(ctx, e.st.Q, bob, e.clock.Now()); err != nil {
				t.Fatal(err)
			}
		}
		if len(queued) != 1 || mail.Count() != 1 {
			t.Fatalf("with Later: %d queued, %d sent; want 1 queued, nothing sent yet", len(queued), mail.Count())
		}
		if err := queued[0](ctx); err != nil || mail.All()[1].To != "bob@example.com" {
			t.Errorf("the queued email: %v, sent %+v", err, mail.All())
		}
	})
}

func countOf[T any](list []T, keep func(T) bool) int {
	n := 0
	for _, x := range list {
		if keep(x) {
			n++
		}
	}
	return n
}

// The same identifier sent again from the same browser a moment later (a
// double click) goes on with the first flow, known account or not; another
// identifier, redirect or browser, a later moment, or a first flow that
// has moved on, starts one of its own.
func TestSameStartGoesOnWithTheFirstFlow(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		e.account("ada@example.com")
		for _, who := range []string{"ada@example.com", "nobody@example.com"} {
			client := e.client()
			first := e.start(client, who)
			e.clock.Advance(flow.SameStartWindow - time.Second)
			got, again, err := e.svc.Start(ctx, client, " "+strings.ToUpper(who), "")
			if err != nil || !again || got.ID != first.ID {
				t.Fatalf("%s again: flow %v again %v, %v; want %s again", who, got, again, err, first.ID)
			}
			for _, c := range []struct{ what, client, identifier, target string }{
				{"another identifier", client, "grace@example.com", ""},
				{"another redirect", client, who, "http://localhost:3000/after"},
				{"another browser", e.client(), who, ""},
			} {
				f, again, err := e.svc.Start(ctx, c.client, c.identifier, c.target)
				if err != nil || again || f.ID == first.ID {
					t.Errorf("%s, %s: flow %v again %v, %v; want a sign-in of its own", who, c.what, f, again, err)
				}
			}
			e.clock.Advance(2 * time.Second)
			if f, again, err := e.svc.Start(ctx, client, who, ""); err != nil || again || f.ID == first.ID {
				t.Errorf("%s later: flow %v again %v, %v; want a new sign-in", who, f, again, err)
			}
		}

		client := e.client()
		first := e.start(client, "ada@example.com")
		stored := e.load(client, first.ID)
		stored.Status = flow.Complete
		if err := e.st.Q.UpdateFlow(ctx, stored); err != nil {
			t.Fatal(err)
		}
		if f, again, err := e.svc.Start(ctx, client, "ada@example.com", ""); err != nil || again || f.ID == first.ID {
			t.Errorf("after the first completed: flow %v again %v, %v; want a new sign-in", f, again, err)
		}

		// The person picked another way in on the page ("Email a code
		// instead"), then typed the identifier again: they start afresh, on
		// the step the start gives, not on the factor they had picked.
		client = e.client()
		first = e.start(client, "ada@example.com")
		if err := e.svc.Choose(ctx, e.load(client, first.ID), flow.EmailCode, meta); err != nil {
			t.Fatal(err)
		}
		if f, again, err := e.svc.Start(ctx, client, "ada@example.com", ""); err != nil || again || f.ID == first.ID {
			t.Errorf("after choosing a factor: flow %v again %v, %v; want a new sign-in", f, again, err)
		}
	})
}
