package org_test

import (
	"testing"
	"time"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/org"
	"github.com/portalhq/portal/internal/signin"
)

// The password asked before deleting an organization is checked like a
// sign-in's: wrong ones count towards the account's lockout, and a locked
// account's password is refused, even the right one — otherwise a stolen
// session could guess the password here without limit (REQ-RL-01, REQ-RL-03).
func TestDeletePasswordCountsTowardsLockout_REQ_RL_03(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ada := e.person("ada@example.com")
		acme := e.create(ada, "Acme")
		e.clock.Advance(org.ReverifyWindow + time.Second)
		var checked []error
		for range lockoutThreshold {
			err := e.svc.DeleteChecked(ctx, ada.actor, acme.ID, "Acme", "wrong-password-here", func(err error) { checked = append(checked, err) })
			if e, ok := apperr.As(err); !ok || e.Field != "password" {
				t.Fatalf("wrong password: %v", err)
			}
		}
		if len(checked) != lockoutThreshold {
			t.Errorf("%d password checks reported, want %d", len(checked), lockoutThreshold)
		}
		u, err := e.st.Q.UserByID(ctx, ada.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !u.Locked(e.clock.Now()) {
			t.Fatalf("%d wrong passwords at the deletion prompt left the account unlocked", lockoutThreshold)
		}
		// The same lock as sign-in's: the right password is refused at
		// sign-in and at the prompt alike, with the same answer as a wrong one.
		signIn := &signin.PasswordStrategy{Clock: e.clock, Hasher: hasher, Repo: e.st.Q,
			Lockout: signin.Lockout{Threshold: lockoutThreshold, Duration: time.Hour}}
		// (The log's reason tells the lock apart; the person's answer is
		// a wrong password's, word for word: REQ-RL-05.)
		if err := signIn.Attempt(ctx, nil, u, flow.Input{Password: pw}); !sameAnswer(err, signin.ErrBadPassword) {
			t.Errorf("sign-in with the right password while locked: %v", err)
		}
		err = e.svc.Delete(ctx, ada.actor, acme.ID, "Acme", pw)
		if e, ok := apperr.As(err); !ok || e.Field != "password" || e.Code != apperr.Invalid {
			t.Errorf("right password while locked: %v", err)
		}
		if _, err := e.st.Q.OrganizationByID(ctx, acme.ID); err != nil {
			t.Fatalf("a locked account deleted the organization: %v", err)
		}
		// When the lock lapses the right password works again.
		e.clock.Advance(time.Hour + time.Second)
		if err := e.svc.Delete(ctx, ada.actor, acme.ID, "Acme", pw); err != nil {
			t.Fatal(err)
		}
	})
}

// sameAnswer reports whether err shows the person what want shows: the
// same field, code and message.
func sameAnswer(err error, want *apperr.Error) bool {
	e, ok := apperr.As(err)
	return ok && e.Field == want.Field && e.Code == want.Code && e.Message == want.Message && e.ID == want.ID
}
