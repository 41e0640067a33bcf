package account_test

import (
	"slices"
	"testing"

	"github.com/portalhq/portal/internal/account"
	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/session"
)

const newPassword = "copper-heron-meadow-violin-17"

// REQ-PW-07: past the reverification window the change needs the current
// password, and a wrong one counts towards the sign-in lockout (REQ-RL-03).
func TestChangePasswordNeedsTheCurrentOne_REQ_PW_07(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ada := e.person("ada@example.com", true)
		sess := e.signIn(ada.ID)
		e.stale()
		sess = e.session(sess.ID)
		if !e.svc.NeedsCurrentPassword(sess, ada) {
			t.Fatal("a stale session is not asked for the current password")
		}
		err := e.svc.ChangePassword(ctx, sess, ada, account.PasswordChange{New: newPassword})
		wantErr(t, "no current password", err, apperr.Invalid, "account.error.enter_current_password")
		err = e.svc.ChangePassword(ctx, sess, ada, account.PasswordChange{Current: "not-" + pw, New: newPassword})
		wantErr(t, "a wrong current password", err, apperr.Invalid, "account.error.current_password_wrong")
		u := e.user(ada.ID)
		if u.PasswordHash != ada.PasswordHash || u.FailedSignIns != 1 {
			t.Errorf("after a wrong current password: hash changed %v, failed sign-ins %d (want 1)",
				u.PasswordHash != ada.PasswordHash, u.FailedSignIns)
		}
		if err := e.svc.ChangePassword(ctx, sess, ada, account.PasswordChange{Current: pw, New: newPassword}); err != nil {
			t.Fatal(err)
		}
		if ok, _, _ := hasher.Verify(ctx, newPassword, e.user(ada.ID).PasswordHash); !ok {
			t.Error("the new password does not verify")
		}
		if n := e.out.To("password_changed", "ada@example.com"); len(n) != 1 {
			t.Errorf("password-changed notices: %d, want 1", len(n))
		}
	})
}

// REQ-PW-01, REQ-PW-05: a short, common or guessable password is refused
// with its reason, and nothing is written or sent.
func TestChangePasswordRefusesWeakOnes_REQ_PW_05(t *testing.T) {
	cases := []struct{ name, password, wantID string }{
		{"REQ-PW-01 shorter than 15", "short-but-ok", "error.password.too_short"},
		{"REQ-PW-05 common", "1qaz2wsx3edc4rfv", "error.password.common"},
		{"REQ-PW-05 the site's name", "acme-otter-harbour-lantern", "error.password.contains"},
		{"REQ-PW-05 the email's local part", "ada-otter-harbour-lantern", "error.password.contains"},
	}
	onEngines(t, func(t *testing.T, e *env) {
		ada := e.person("ada@example.com", true)
		sess := e.signIn(ada.ID)
		for _, c := range cases {
			err := e.svc.ChangePassword(t.Context(), sess, ada, account.PasswordChange{New: c.password})
			wantErr(t, c.name, err, apperr.Invalid, c.wantID)
		}
		if e.user(ada.ID).PasswordHash != ada.PasswordHash || len(e.eventTypes(ada.ID)) != 0 ||
			len(e.out.To("password_changed", "ada@example.com")) != 0 {
			t.Error("a refused password was stored, announced or notified")
		}
	})
}

// Having given the right current password, a person whose new one is
// refused is not asked for the current one again.
func TestCurrentPasswordProvesTheSession(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ada := e.person("ada@example.com", true)
		sess := e.signIn(ada.ID)
		e.stale()
		sess = e.session(sess.ID)
		err := e.svc.ChangePassword(t.Context(), sess, ada, account.PasswordChange{Current: pw, New: "1qaz2wsx3edc4rfv"})
		wantErr(t, "a common new password", err, apperr.Invalid, "error.password.common")
		if !e.svc.Fresh(e.session(sess.ID)) {
			t.Fatal("the right current password did not mark the session reverified")
		}
		if err := e.svc.ChangePassword(t.Context(), e.session(sess.ID), ada, account.PasswordChange{New: newPassword}); err != nil {
			t.Errorf("the second try without the current password: %v", err)
		}
	})
}

// REQ-SES-05: "sign out everywhere else" ends the other sessions (each with
// session.revoked) and keeps this one; without it, they stay.
func TestChangePasswordSignsOutOthers_REQ_SES_05(t *testing.T) {
	for _, signOut := range []bool{true, false} {
		t.Run(map[bool]string{true: "sign out others", false: "keep others"}[signOut], func(t *testing.T) {
			onEngines(t, func(t *testing.T, e *env) {
				ada := e.person("ada@example.com", true)
				here, other := e.signIn(ada.ID), e.signIn(ada.ID)
				err := e.svc.ChangePassword(t.Context(), here, ada, account.PasswordChange{New: newPassword, SignOutOthers: signOut})
				if err != nil {
					t.Fatal(err)
				}
				want := session.Active
				if signOut {
					want = session.Revoked
				}
				if got := e.session(other.ID).Status; got != want {
					t.Errorf("SignOutOthers %v: other session %s, want %s", signOut, got, want)
				}
				if revoked := slices.Contains(e.eventTypes(other.ID), events.SessionRevoked); revoked != signOut {
					t.Errorf("SignOutOthers %v: session.revoked written %v", signOut, revoked)
				}
				if e.session(here.ID).Status != session.Active || !slices.Contains(e.eventTypes(ada.ID), events.UserUpdated) {
					t.Error("this session ended, or no user.updated")
				}
			})
		})
	}
}

// An account without a password gets its first one after reverifying; there
// is no current password to ask for.
func TestSetFirstPassword(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ada := e.person("ada@example.com", false)
		sess := e.signIn(ada.ID)
		e.stale()
		err := e.svc.ChangePassword(t.Context(), e.session(sess.ID), ada, account.PasswordChange{New: newPassword})
		wantIs(t, "a first password on a stale session", err, account.ErrReverify)
		if e.user(ada.ID).PasswordHash != "" {
			t.Fatal("a password was set without reverification")
		}
		fresh := e.signIn(ada.ID)
		if err := e.svc.ChangePassword(t.Context(), fresh, ada, account.PasswordChange{New: newPassword}); err != nil {
			t.Fatal(err)
		}
		if ok, _, _ := hasher.Verify(t.Context(), newPassword, e.user(ada.ID).PasswordHash); !ok {
			t.Error("the first password does not verify")
		}
	})
}
