package account_test

import (
	"slices"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/account"
	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/user"
)

// REQ-SES-06: a sign-in lets sensitive changes through for ReverifyWindow;
// after it every one of them asks for a fresh proof and changes nothing,
// until the password is given again.
func TestReverificationWindow_REQ_SES_06(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ada := e.person("ada@example.com", true)
		e.addVerified(ada, "ada@work.example")
		ada = e.user(ada.ID)
		sess, other := e.signIn(ada.ID), e.signIn(ada.ID)
		e.clock.Advance(account.ReverifyWindow - time.Second)
		if !e.svc.Fresh(e.session(sess.ID)) {
			t.Fatal("not fresh a second before the window ends")
		}
		e.clock.Advance(time.Second)
		sess = e.session(sess.ID)
		if e.svc.Fresh(sess) {
			t.Fatal("still fresh when the window ends")
		}

		work := e.identifier(ada, "ada@work.example")
		changes := map[string]func() error{
			"add an email":      func() error { _, err := e.svc.AddEmail(ctx, sess, ada, "ada@home.example", meta); return err },
			"add a phone":       func() error { _, err := e.svc.AddPhone(ctx, sess, ada, "+1 415 555 0100", meta); return err },
			"set primary":       func() error { return e.svc.SetPrimary(ctx, sess, ada, user.Email, work.ID) },
			"remove":            func() error { return e.svc.Remove(ctx, sess, ada.ID, user.Email, work.ID) },
			"sign out a device": func() error { return e.svc.SignOutDevice(ctx, sess, other.ID) },
			"sign out others":   func() error { _, err := e.svc.SignOutOthers(ctx, sess); return err },
			"delete":            func() error { return e.svc.Delete(ctx, sess, account.DeletePhrase) },
		}
		for what, change := range changes {
			wantIs(t, what, change(), account.ErrReverify)
		}
		u := e.user(ada.ID)
		if len(e.out.All()) != 0 || u.PrimaryEmail() != "ada@example.com" || u.Identifier(work.ID) == nil ||
			e.session(other.ID).Status != session.Active || len(e.eventTypes(ada.ID)) != 0 {
			t.Fatalf("a refused change had an effect: sent %+v, events %v", e.out.All(), e.eventTypes(ada.ID))
		}

		err := e.svc.Reverify(ctx, sess, ada, flow.Password, flow.Input{Password: "not-" + pw})
		wantErr(t, "a wrong password", err, apperr.Invalid, "error.signin.bad_password")
		if e.svc.Fresh(e.session(sess.ID)) {
			t.Fatal("a wrong password reverified the session")
		}
		if err := e.svc.Reverify(ctx, sess, ada, flow.Password, flow.Input{Password: pw}); err != nil {
			t.Fatal(err)
		}
		stored := e.session(sess.ID)
		if !e.svc.Fresh(stored) || !stored.ReverifiedAt.Equal(e.clock.Now()) {
			t.Fatalf("after the password: reverified at %v, now %v", stored.ReverifiedAt, e.clock.Now())
		}
		if err := e.svc.SetPrimary(ctx, stored, ada, user.Email, work.ID); err != nil {
			t.Errorf("set primary after reverifying: %v", err)
		}
	})
}

// A passwordless account confirms with a code emailed to it; the code is
// bound to the session it was sent for.
func TestReverifyWithAnEmailedCode(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ada := e.person("ada@example.com", false)
		if got := e.svc.ReverifyOffered(ada); !slices.Equal(got, []string{flow.EmailCode}) {
			t.Errorf("offered %v, want only %s", got, flow.EmailCode)
		}
		err := e.svc.Reverify(ctx, e.signIn(ada.ID), ada, flow.Password, flow.Input{Password: pw})
		wantErr(t, "a password on a passwordless account", err, apperr.Invalid, "account.error.reverify_unavailable")

		sess, other := e.signIn(ada.ID), e.signIn(ada.ID)
		e.stale()
		if err := e.svc.PrepareReverify(ctx, sess, ada, flow.EmailCode, meta); err != nil {
			t.Fatal(err)
		}
		sent := e.out.To("code", "ada@example.com")
		if len(sent) != 1 || sent[0].Purpose != "reverify" {
			t.Fatalf("sent %+v, want one reverify code", sent)
		}
		err = e.svc.Reverify(ctx, e.session(other.ID), ada, flow.EmailCode, flow.Input{Code: sent[0].Secret})
		wantErr(t, "the code on another session", err, apperr.Invalid, "error.code.none_sent")
		if err := e.svc.Reverify(ctx, e.session(sess.ID), ada, flow.EmailCode, flow.Input{Code: sent[0].Secret}); err != nil {
			t.Fatal(err)
		}
		if !e.svc.Fresh(e.session(sess.ID)) || e.svc.Fresh(e.session(other.ID)) {
			t.Error("the code reverified the wrong session")
		}
	})
}
