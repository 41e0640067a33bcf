package signin_test

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/signin"
	"github.com/portalhq/portal/internal/user"
)

const otherPw = "quartz-meadow-falcon-ribbon-19"

// compromised creates an account whose password (pw) the operator marked
// as compromised.
func (e *env) compromised(email string) *user.User {
	e.t.Helper()
	return e.account(email, func(u *user.User) {
		at := e.clock.Now().Add(-time.Hour)
		u.PasswordCompromisedAt = &at
	})
}

// REQ-RL-05: a wrong password for an account whose password is marked as
// compromised is answered exactly as any wrong password (the same error,
// one argon2 run, the failure counted) and the flow learns nothing; only
// the right password hears that it is compromised, and it signs nobody in,
// counts no failure and leaves the mark and the stored hash alone.
func TestCompromisedPasswordIsToldOnlyToTheRightPassword_REQ_RL_05(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		u := e.compromised("ada@example.com")
		client := e.client()
		f := e.start(client, "ada@example.com")

		before := e.hasher.Computations()
		sess, err := e.password(client, f.ID, wrongPw)
		if sess != nil || !reflect.DeepEqual(err, signin.ErrBadPassword) {
			t.Errorf("wrong password = %v, %v; want exactly ErrBadPassword", sess, err)
		}
		if n := e.hasher.Computations() - before; n != 1 {
			t.Errorf("%d argon2 runs for the wrong password, want 1", n)
		}
		if got := e.user(u.ID).FailedSignIns; got != 1 {
			t.Errorf("failed sign-ins after a wrong password = %d, want 1", got)
		}
		if e.load(client, f.ID).Data.PasswordCompromised {
			t.Error("the flow learnt of the mark from a wrong password")
		}

		sess, err = e.password(client, f.ID, pw)
		if sess != nil || err != signin.ErrPasswordCompromised {
			t.Fatalf("right password = %v, %v; want ErrPasswordCompromised", sess, err)
		}
		wantErr(t, "right password", err, apperr.Invalid, "error.signin.password_compromised")
		e.stillWaiting(client, f.ID)
		if !e.load(client, f.ID).Data.PasswordCompromised {
			t.Error("the flow does not remember that the password was proven and is marked")
		}
		after := e.user(u.ID)
		if after.FailedSignIns != 1 || after.PasswordHash != u.PasswordHash || !after.PasswordCompromised() {
			t.Errorf("after the right password: %d failures, hash changed %v, marked %v; want 1, false, true",
				after.FailedSignIns, after.PasswordHash != u.PasswordHash, after.PasswordCompromised())
		}
	})
}

// REQ-PW-03: the reset that follows ends signed in with a new password,
// which may not be the marked one again, and clears the mark.
func TestCompromisedPasswordResetClearsTheMark_REQ_PW_03(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		u := e.compromised("ada@example.com")
		client := e.client()
		f := e.start(client, "ada@example.com")
		if _, err := e.password(client, f.ID, pw); err != signin.ErrPasswordCompromised {
			t.Fatalf("right password: %v", err)
		}
		if err := e.svc.Choose(t.Context(), e.load(client, f.ID), flow.ResetPasswordEmailCode, meta); err != nil {
			t.Fatalf("Choose reset: %v", err)
		}
		code := e.mail.Last(t, "ada@example.com", "code").Secret
		if _, err := e.svc.Attempt(t.Context(), e.load(client, f.ID), flow.ResetPasswordEmailCode, flow.Input{Code: code}, meta); err != nil {
			t.Fatalf("reset code: %v", err)
		}
		g := e.load(client, f.ID)
		if g.Status != flow.NeedsNewPassword || g.Data.FactorsPassed {
			t.Fatalf("after the reset code: %s, factors passed %v; want needs_new_password for a reset", g.Status, g.Data.FactorsPassed)
		}
		_, err := e.svc.ResetPassword(t.Context(), g, pw, false, meta)
		wantErr(t, "the marked password again", err, apperr.Invalid, "error.password.exposed")
		if !e.user(u.ID).PasswordCompromised() {
			t.Fatal("a refused new password cleared the mark")
		}
		sess, err := e.svc.ResetPassword(t.Context(), e.load(client, f.ID), otherPw, false, meta)
		if err != nil {
			t.Fatalf("ResetPassword: %v", err)
		}
		e.signedIn(sess, client, f.ID, u.ID)
		if after := e.user(u.ID); after.PasswordCompromisedAt != nil {
			t.Errorf("the mark is still there after the reset: %v", after.PasswordCompromisedAt)
		}
		if got := e.eventTypes(u.ID); !slices.Contains(got, "user.updated") {
			t.Errorf("events of the user = %v, want user.updated for the new password", got)
		}
		// The new password signs in as any does.
		client = e.client()
		f = e.start(client, "ada@example.com")
		if sess, err := e.password(client, f.ID, otherPw); err != nil || sess == nil {
			t.Errorf("the new password: %v, %v", sess, err)
		}
	})
}

// Clerk's reset-password session task: an emailed code signs in as ever,
// but an account whose password is marked gets its session only once it
// has chosen a new one, without being asked for the code again; the
// session's first factor is the code's time, not the new password's.
func TestCompromisedPasswordOtherFactorAsksForANewOneFirst(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		u := e.compromised("ada@example.com")
		client := e.client()
		f := e.start(client, "ada@example.com")
		if err := e.prepare(client, f.ID, flow.EmailCode); err != nil {
			t.Fatal(err)
		}
		codeAt := e.clock.Now()
		sess, err := e.code(client, f.ID, e.mail.Last(t, "ada@example.com", "code").Secret)
		if err != nil || sess != nil {
			t.Fatalf("email code = %v, %v; want no session yet", sess, err)
		}
		g := e.load(client, f.ID)
		if g.Status != flow.NeedsNewPassword || !g.Data.FactorsPassed || !g.Data.PasswordCompromised {
			t.Fatalf("after the code: %s %+v; want needs_new_password with every factor passed", g.Status, g.Data)
		}
		if list := e.sessionsOf(u.ID); len(list) != 0 {
			t.Fatalf("sessions before the new password: %v", list)
		}
		e.clock.Advance(2 * time.Minute)
		sess, err = e.svc.ResetPassword(t.Context(), g, otherPw, false, meta)
		if err != nil || sess == nil {
			t.Fatalf("ResetPassword = %v, %v", sess, err)
		}
		got, err := e.st.Q.SessionByID(t.Context(), sess.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != session.Active || !got.FirstFactorAt.Equal(codeAt.Truncate(time.Millisecond)) || got.SecondFactorAt != nil {
			t.Errorf("session = %+v, want active with the code's time as first factor and no second", got)
		}
		if e.user(u.ID).PasswordCompromised() {
			t.Error("the mark is still there after the new password")
		}
	})
}
