package account_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/account"
	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/user"
)

// An added address joins the account only when its code comes back on the
// session that asked; then it can become the primary one, and the old
// primary address is told (REQ-PW-07).
func TestAddEmailThenMakeItPrimary(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ada := e.person("ada@example.com", true)
		sess := e.signIn(ada.ID)
		f, err := e.svc.AddEmail(ctx, sess, ada, " Ada@Work.Example ", meta)
		if err != nil {
			t.Fatal(err)
		}
		const added = "ada@work.example"
		sent := e.out.To("code", added)
		if len(sent) != 1 || sent[0].Purpose != "add-email" || f.Identifier != added {
			t.Fatalf("adding %s: flow for %q, sent %+v", added, f.Identifier, sent)
		}
		if _, err := e.st.Q.UserByIdentifier(ctx, user.Email, added); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("before its code, the address belongs to someone: %v", err)
		}
		if _, err := e.svc.Pending(ctx, e.signIn(ada.ID), f.ID); err != account.ErrPendingGone {
			t.Errorf("the addition from another session of Ada's: %v, want ErrPendingGone", err)
		}

		code := e.out.Latest(t, "code", added)
		_, err = e.svc.VerifyCode(ctx, sess, f, wrong(code))
		wantErr(t, "a wrong code", err, apperr.Invalid, "error.code.incorrect_email")
		if e.user(ada.ID).Has(user.Email, added) {
			t.Fatal("a wrong code added the address")
		}
		i, err := e.svc.VerifyCode(ctx, sess, f, code)
		if err != nil {
			t.Fatal(err)
		}
		u := e.user(ada.ID)
		if !u.Has(user.Email, added) || u.PrimaryEmail() != "ada@example.com" {
			t.Fatalf("after the code: verified %v, primary %s", u.Has(user.Email, added), u.PrimaryEmail())
		}
		if o := e.lastUserObject(ada.ID); len(o.EmailAddresses) != 2 {
			t.Errorf("user.updated lists %d addresses, want 2", len(o.EmailAddresses))
		}
		if _, err := e.svc.Pending(ctx, sess, f.ID); err != account.ErrPendingGone {
			t.Errorf("the finished addition is still pending: %v", err)
		}

		if err := e.svc.SetPrimary(ctx, sess, u, user.Email, i.ID); err != nil {
			t.Fatal(err)
		}
		if got := e.user(ada.ID).PrimaryEmail(); got != added {
			t.Errorf("primary %s, want %s", got, added)
		}
		if n := e.out.To("primary_changed", "ada@example.com"); len(n) != 1 || n[0].Secret != added {
			t.Errorf("the old primary address was told %+v, want one notice naming %s", n, added)
		}
	})
}

// Typing someone else's address sends them a code as for anyone; it never
// joins a second account.
func TestAddSomeoneElsesEmail(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ada, bob := e.person("ada@example.com", true), e.person("bob@example.com", true)
		sess := e.signIn(ada.ID)
		f, err := e.svc.AddEmail(ctx, sess, ada, "bob@example.com", meta)
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.VerifyCode(ctx, sess, f, e.out.Latest(t, "code", "bob@example.com"))
		wantErr(t, "verifying Bob's address on Ada's account", err, apperr.Conflict, "account.error.taken_after_verify")
		if e.user(ada.ID).Has(user.Email, "bob@example.com") || !e.user(bob.ID).Has(user.Email, "bob@example.com") {
			t.Error("the address moved")
		}
	})
}

// Removing an address or number must leave a way to sign in (one rule,
// user.CanSignIn, with this instance's email, phone, password and codes).
func TestRemoveKeepsAWayIn(t *testing.T) {
	cases := []struct {
		name     string
		password bool
		more     []string // further verified addresses or numbers (+…)
		remove   string
		wantID   string // "" = removed
	}{
		{"the only address, with a password", true, nil, "ada@example.com", "account.error.last_way_identifier"},
		{"the only address, without a password", false, nil, "ada@example.com", "account.error.last_way_identifier"},
		{"the primary address while another is verified", true, []string{"ada@work.example"}, "ada@example.com", "account.error.primary_email"},
		{"a second address", false, []string{"ada@work.example"}, "ada@work.example", ""},
		{"the only address beside a verified number", false, []string{"+14155550100"}, "ada@example.com", ""},
		{"the number beside the address", false, []string{"+14155550100"}, "+14155550100", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			onEngines(t, func(t *testing.T, e *env) {
				ada := e.person("ada@example.com", c.password)
				for _, v := range c.more {
					e.addVerified(ada, v)
				}
				ada = e.user(ada.ID)
				i := e.identifier(ada, c.remove)
				err := e.svc.Remove(t.Context(), e.signIn(ada.ID), ada.ID, i.Kind, i.ID)
				after := e.user(ada.ID)
				updated := slices.Contains(e.eventTypes(ada.ID), events.UserUpdated)
				if c.wantID == "" {
					if err != nil || after.Identifier(i.ID) != nil || !updated {
						t.Errorf("remove: %v; still there %v; user.updated %v", err, after.Identifier(i.ID) != nil, updated)
					}
					return
				}
				wantErr(t, "remove", err, apperr.Invalid, c.wantID)
				if after.Identifier(i.ID) == nil || updated {
					t.Errorf("a refused removal took the identifier (%v) or wrote user.updated (%v)", after.Identifier(i.ID) == nil, updated)
				}
			})
		})
	}
}

// REQ-AC-02: an identifier ID of another user is not found, and stays.
func TestRemoveAnotherUsersIdentifier_REQ_AC_02(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ada, bob := e.person("ada@example.com", true), e.person("bob@example.com", true)
		bobs := e.identifier(bob, "bob@example.com")
		err := e.svc.Remove(t.Context(), e.signIn(ada.ID), ada.ID, user.Email, bobs.ID)
		wantErr(t, "removing Bob's address as Ada", err, apperr.NotFound, "account.error.no_such_identifier")
		if e.user(bob.ID).Identifier(bobs.ID) == nil {
			t.Error("Bob's address is gone")
		}
	})
}

// addVerified gives u a verified email address, or phone number when value
// starts with "+".
func (e *env) addVerified(u *user.User, value string) {
	e.t.Helper()
	now := e.clock.Now()
	kind := user.Email
	if strings.HasPrefix(value, "+") {
		kind = user.Phone
	}
	err := e.st.Q.CreateIdentifier(e.t.Context(), user.Identifier{ID: id.New(id.Identifier), UserID: u.ID, Kind: kind,
		Value: value, VerifiedAt: &now, CreatedAt: now, UpdatedAt: now})
	if err != nil {
		e.t.Fatal(err)
	}
}

// wrong is a well-formed code that is not code.
func wrong(code string) string {
	return string((code[0]-'0'+1)%10+'0') + code[1:]
}
