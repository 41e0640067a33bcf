package signup_test

import (
	"errors"
	"testing"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/restrict"
	"github.com/portalhq/portal/internal/signup"
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
