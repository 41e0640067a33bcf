package account_test

import (
	"errors"
	"testing"

	"github.com/portalhq/portal/internal/account"
	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/restrict"
)

func restrictions(t *testing.T, block ...string) *restrict.Rules {
	t.Helper()
	r, err := restrict.New(nil, block, "US", true)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Addresses and numbers the lists refuse are not added: no flow, no code,
// the field named; others are added as usual.
func TestAddRefusedByRestrictions(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		e.svc.Restrict = restrictions(t, "@spam.example", "(415) 555-0100")
		ada := e.person("ada@example.com", true)
		sess := e.signIn(ada.ID)
		for _, tc := range []struct {
			add          func() error
			field, msgID string
		}{
			{func() error { _, err := e.svc.AddEmail(ctx, sess, ada, "Eve@Spam.Example", meta); return err }, "email_address", "error.restrict.email"},
			{func() error { _, err := e.svc.AddEmail(ctx, sess, ada, "ada+x@example.com", meta); return err }, "email_address", "error.restrict.subaddress"},
			{func() error { _, err := e.svc.AddPhone(ctx, sess, ada, "+1 415 555 0100", meta); return err }, "phone_number", "error.restrict.phone"},
		} {
			err := tc.add()
			wantErr(t, tc.msgID, err, apperr.Invalid, tc.msgID)
			if ae, ok := apperr.As(err); ok && ae.Field != tc.field {
				t.Errorf("%s: field %q, want %q", tc.msgID, ae.Field, tc.field)
			}
		}
		if sent := e.out.All(); len(sent) != 0 {
			t.Errorf("sent %+v for refused additions", sent)
		}
		if _, err := e.svc.AddPhone(ctx, sess, ada, "+1 415 555 0199", meta); err != nil {
			t.Errorf("adding an unlisted number: %v", err)
		}
		if len(e.user(ada.ID).Identifiers) != 1 {
			t.Errorf("identifiers changed: %+v", e.user(ada.ID).Identifiers)
		}
	})
}

// A blocked username can't be taken on /user; a username the account
// already has stays when the names change.
func TestUsernameRefusedByBlocklist(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		e.svc.SignIn.Username = true
		e.svc.Restrict = restrictions(t, "admin")
		ada := e.person("ada@example.com", true)
		err := e.svc.UpdateProfile(t.Context(), ada, account.Profile{FirstName: "Ada", Username: "Admin"})
		var fe *account.FormError
		if !errors.As(err, &fe) {
			t.Fatalf("error %v, want a *account.FormError", err)
		}
		wantErr(t, "blocked username", fe.Fields["username"], apperr.Invalid, "error.restrict.username")
		if got := e.user(ada.ID).Username(); got != "" {
			t.Errorf("username %q stored", got)
		}
		if err := e.svc.UpdateProfile(t.Context(), ada, account.Profile{FirstName: "Ada", Username: "ada_l"}); err != nil {
			t.Fatal(err)
		}
		// The list grows to cover the username Ada has: she keeps it.
		e.svc.Restrict = restrictions(t, "ada_l")
		if err := e.svc.UpdateProfile(t.Context(), e.user(ada.ID), account.Profile{FirstName: "Augusta", Username: "ada_l"}); err != nil {
			t.Errorf("keeping a username the list now covers: %v", err)
		}
		if u := e.user(ada.ID); u.FirstName != "Augusta" || u.Username() != "ada_l" {
			t.Errorf("after the update: first name %q, username %q", u.FirstName, u.Username())
		}
	})
}
