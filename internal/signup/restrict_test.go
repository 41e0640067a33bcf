package signup_test

import (
	"errors"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/restrict"
	"github.com/portalhq/portal/internal/signup"
	"github.com/portalhq/portal/internal/store"
)

func allowCorp(t *testing.T) *restrict.Rules {
	t.Helper()
	r, err := restrict.New([]string{"@corp.example"}, nil, "", true)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// A provider sign-up is held to the lists like the form: the provider's
// address at once, an address the person fills in when the provider gave
// none, and the allowlist over all the account's identifiers.
func TestExternalSignUpRestricted(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		e.svc.Restrict = allowCorp(t)
		external := func(email string) (*flow.Flow, error) {
			f, _, err := e.svc.StartExternal(ctx, e.client(), flow.External{Provider: "oauth_corp", Subject: "s-" + email,
				Email: email, EmailVerified: true, FirstName: "Ada"}, signup.Invite{}, "", meta)
			return f, err
		}
		nothing := func(what string) {
			t.Helper()
			if f, m, u := e.rows("flows"), e.mail.Count(), e.users(); f+m+u != 0 {
				t.Errorf("%s: %d flows, %d messages, %d users; want none", what, f, m, u)
			}
		}
		_, err := external("ada@elsewhere.example")
		wantErr(t, "address off the allowlist", err, apperr.Invalid, "error.restrict.email")
		_, err = external("ada+x@corp.example")
		wantErr(t, "subaddress", err, apperr.Invalid, "error.restrict.subaddress")
		nothing("refused provider addresses")

		// No address from the provider, and the form requires one: it is
		// asked for, and what is typed is judged.
		f, err := external("")
		if err != nil || len(f.Data.Missing) != 1 || f.Data.Missing[0] != signup.FieldEmail {
			t.Fatalf("no provider address: flow %+v, err %v; want the email asked for", f, err)
		}
		_, err = e.svc.Fill(ctx, f, signup.Form{Email: "ada@elsewhere.example"}, meta)
		var fe *signup.FormError
		if !errors.As(err, &fe) {
			t.Fatalf("filling an address off the list: %v, want a *signup.FormError", err)
		}
		wantErr(t, "filled address off the list", fe.Errors[signup.FieldEmail], apperr.Invalid, "error.restrict.email")
		if _, err := e.svc.Fill(ctx, f, signup.Form{Email: "ada@corp.example"}, meta); err != nil {
			t.Fatalf("filling an allowed address: %v", err)
		}
		if e.mail.Count() != 1 {
			t.Errorf("%d messages after an allowed address, want its code", e.mail.Count())
		}

		// Email not required: no identifier on the allowlist at all.
		delete(e.svc.Fields.Required, signup.FieldEmail)
		_, err = external("")
		wantErr(t, "no identifier", err, apperr.Invalid, "error.restrict.none_allowed")
		if e.users() != 0 {
			t.Errorf("%d users, want none", e.users())
		}
	})
}

// The lists the operator changes through the Backend API judge a sign-up
// again as its account is made: an allowlist entry removed, or a blocklist
// entry added, after the form was sent stops it at the code, and nothing
// is made. Once the change is undone, a new code finishes the same flow.
func TestListsChangedDuringSignUp(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		rules, err := restrict.New(nil, nil, "", false)
		if err != nil {
			t.Fatal(err)
		}
		rules.Stored = e.st.Q
		e.svc.Restrict, e.sessions.Restrict = rules, rules
		lists := &restrict.Service{Clock: e.clock, Repo: e.st.Q, InTx: store.Tx[restrict.Repo](e.st)}
		add := func(list, raw string) *restrict.Stored {
			t.Helper()
			entry, err := lists.Add(ctx, list, raw, false)
			if err != nil {
				t.Fatal(err)
			}
			return entry
		}
		corp := add(restrict.Allowlist, "*@corp.example")
		add(restrict.Allowlist, "*@partner.example") // the list stays on without corp

		for _, tc := range []struct {
			email  string
			change func() *restrict.Stored // returns the entry that undoes it, or nil
		}{
			{"ada@corp.example", func() *restrict.Stored {
				if err := lists.Delete(ctx, restrict.Allowlist, corp.ID); err != nil {
					t.Fatal(err)
				}
				return nil
			}},
			{"bob@partner.example", func() *restrict.Stored { return add(restrict.Blocklist, "bob@partner.example") }},
		} {
			client := e.client()
			f := e.mustStart(client, signup.Form{Email: tc.email, Password: pw})
			code := signUpCode(t, e.mail, tc.email)
			undo := tc.change()
			_, err := e.verify(client, f.ID, code)
			wantErr(t, tc.email, err, apperr.Invalid, "error.restrict.email")
			e.noAccount(tc.email)
			if undo == nil {
				add(restrict.Allowlist, "*@corp.example")
			} else if err := lists.Delete(ctx, undo.List, undo.ID); err != nil {
				t.Fatal(err)
			}
			// The code was used up; a new one finishes the same flow.
			e.clock.Advance(time.Minute)
			if err := e.resend(client, f.ID); err != nil {
				t.Fatal(err)
			}
			if sess, err := e.verify(client, f.ID, signUpCode(t, e.mail, tc.email)); err != nil || sess == nil {
				t.Errorf("%s after the change was undone: session %v, %v", tc.email, sess, err)
			}
		}
		if n := e.users(); n != 2 {
			t.Errorf("%d accounts, want the two", n)
		}
	})
}
