package account_test

import (
	"slices"
	"testing"

	"github.com/portalhq/portal/internal/account"
	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/restrict"
	"github.com/portalhq/portal/internal/user"
)

func yes() *bool { b := true; return &b }
func no() *bool  { b := false; return &b }

// wantCode checks err is a safe error of code tied to field.
func wantCode(t *testing.T, what string, err error, code apperr.Code, field string) {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok || e.Code != code || e.Field != field {
		t.Errorf("%s: %v, want %s on %q", what, err, code, field)
	}
}

// The operator adds addresses the person has verified elsewhere, or not
// yet: no code is sent, the blocklist does not stop it, uniqueness holds
// across accounts, a verified first of its kind becomes primary, and each
// addition is one user.updated.
func TestOperatorAddsIdentifiers(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		rules, err := restrict.New(nil, []string{"@blocked.example"}, "US", false)
		if err != nil {
			t.Fatal(err)
		}
		e.svc.Restrict = rules
		ada := e.person("ada@example.com", true)
		grace := e.person("grace@example.com", true)
		before := len(e.eventTypes(ada.ID))

		out, err := e.svc.OperatorAdd(ctx, ada.ID, user.Email, " Ada@Blocked.Example ", account.IdentifierChange{Verified: yes()})
		if err != nil {
			t.Fatalf("a verified address on the blocklist: %v", err)
		}
		i := out.User.Identifier(out.ID)
		if i == nil || i.Value != "ada@blocked.example" || !i.Verified() || out.User.PrimaryEmail() != "ada@example.com" {
			t.Fatalf("added %+v; primary %s", i, out.User.PrimaryEmail())
		}
		if e.out.Count() != 0 {
			t.Errorf("the operator's addition sent %+v", e.out.All())
		}
		if got := e.eventTypes(ada.ID)[before:]; !slices.Equal(got, []string{events.UserUpdated}) {
			t.Errorf("events %v, want one user.updated", got)
		}

		pending, err := e.svc.OperatorAdd(ctx, ada.ID, user.Email, "ada@later.example", account.IdentifierChange{})
		if err != nil {
			t.Fatal(err)
		}
		if pending.User.Identifier(pending.ID).Verified() {
			t.Error("an address added without verified=true is verified")
		}

		for what, c := range map[string]struct {
			userID, kind, raw string
			change            account.IdentifierChange
			code              apperr.Code
			field             string
		}{
			"another account's":       {grace.ID, user.Email, "ADA@example.com", account.IdentifierChange{Verified: yes()}, apperr.Conflict, user.Email},
			"the user's own":          {ada.ID, user.Email, "ada@blocked.example", account.IdentifierChange{}, apperr.Conflict, user.Email},
			"malformed":               {ada.ID, user.Email, "not-an-address", account.IdentifierChange{}, apperr.Invalid, "email_address"},
			"a malformed number":      {ada.ID, user.Phone, "12", account.IdentifierChange{}, apperr.Invalid, "phone_number"},
			"primary but unverified":  {ada.ID, user.Email, "ada@new.example", account.IdentifierChange{Primary: yes()}, apperr.Invalid, "primary"},
			"reserved but unverified": {ada.ID, user.Phone, "+14155550100", account.IdentifierChange{SecondFactor: yes()}, apperr.Invalid, "reserved_for_second_factor"},
			"an unknown user":         {"user_missing", user.Email, "x@example.com", account.IdentifierChange{}, apperr.NotFound, ""},
		} {
			_, err := e.svc.OperatorAdd(ctx, c.userID, c.kind, c.raw, c.change)
			wantCode(t, what, err, c.code, c.field)
		}
		if u := e.user(ada.ID); len(u.Identifiers) != 3 {
			t.Errorf("refused additions left %d identifiers, want 3", len(u.Identifiers))
		}

		// A first verified phone number becomes primary; reserving it for
		// second-factor codes makes the first backup codes.
		ph, err := e.svc.OperatorAdd(ctx, ada.ID, user.Phone, "(415) 555-0100",
			account.IdentifierChange{Verified: yes(), SecondFactor: yes()})
		if err != nil {
			t.Fatal(err)
		}
		if u := ph.User; u.PrimaryPhone() != "+14155550100" || u.SecondFactorPhone != "+14155550100" ||
			len(ph.BackupCodes) != 10 || u.BackupCodes != 10 {
			t.Errorf("phone: primary %q, second factor %q, %d codes shown, %d kept", u.PrimaryPhone(), u.SecondFactorPhone,
				len(ph.BackupCodes), u.BackupCodes)
		}
		if p := e.lastUserObject(ada.ID).PhoneNumber(ph.ID); p == nil || !p.ReservedForSecondFactor || !p.DefaultSecondFactor {
			t.Errorf("user.updated shows the number as %+v", p)
		}
		// One number receives the codes.
		_, err = e.svc.OperatorAdd(ctx, ada.ID, user.Phone, "+14155550101", account.IdentifierChange{Verified: yes(), SecondFactor: yes()})
		wantCode(t, "a second reserved number", err, apperr.Invalid, "reserved_for_second_factor")
	})
}

// Changing an address: verifying it, making it primary (the old primary
// address is told), releasing a number from second-factor codes; what
// Portal cannot do is refused; an unchanged request writes nothing.
func TestOperatorUpdatesIdentifiers(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ada := e.person("ada@example.com", true)
		added, err := e.svc.OperatorAdd(ctx, ada.ID, user.Email, "ada@work.example", account.IdentifierChange{})
		if err != nil {
			t.Fatal(err)
		}
		before := len(e.eventTypes(ada.ID))
		out, err := e.svc.OperatorUpdate(ctx, user.Email, added.ID, account.IdentifierChange{Verified: yes(), Primary: yes()})
		if err != nil {
			t.Fatal(err)
		}
		if !out.User.Identifier(added.ID).Verified() || out.User.PrimaryEmail() != "ada@work.example" {
			t.Errorf("after verifying and making it primary: %+v, primary %s", out.User.Identifier(added.ID), out.User.PrimaryEmail())
		}
		if n := e.out.To("primary_changed", "ada@example.com"); len(n) != 1 || n[0].Secret != "ada@work.example" {
			t.Errorf("the old primary address was told %+v", n)
		}
		if got := e.eventTypes(ada.ID)[before:]; !slices.Equal(got, []string{events.UserUpdated}) {
			t.Errorf("events %v, want one user.updated", got)
		}
		if _, err := e.svc.OperatorUpdate(ctx, user.Email, added.ID, account.IdentifierChange{Verified: yes(), Primary: yes()}); err != nil {
			t.Fatal(err)
		}
		if n := len(e.eventTypes(ada.ID)) - before; n != 1 {
			t.Errorf("an update changing nothing wrote an event (%d in all)", n)
		}

		old := e.identifier(e.user(ada.ID), "ada@example.com").ID
		_, err = e.svc.OperatorUpdate(ctx, user.Email, old, account.IdentifierChange{Verified: no()})
		wantCode(t, "taking a verification back", err, apperr.Invalid, "verified")
		_, err = e.svc.OperatorUpdate(ctx, user.Email, added.ID, account.IdentifierChange{Primary: no()})
		wantCode(t, "the primary address made not primary", err, apperr.Invalid, "primary")
		_, err = e.svc.OperatorUpdate(ctx, user.Phone, added.ID, account.IdentifierChange{})
		wantIs(t, "an email address as a phone number", err, account.ErrNoSuchIdentifier)
		_, err = e.svc.OperatorUpdate(ctx, user.Email, "idn_missing", account.IdentifierChange{})
		wantIs(t, "an unknown ID", err, account.ErrNoSuchIdentifier)

		// A reserved number is released; the backup codes go with the last
		// second factor.
		ph, err := e.svc.OperatorAdd(ctx, ada.ID, user.Phone, "+14155550100", account.IdentifierChange{Verified: yes(), SecondFactor: yes()})
		if err != nil {
			t.Fatal(err)
		}
		out, err = e.svc.OperatorUpdate(ctx, user.Phone, ph.ID, account.IdentifierChange{SecondFactor: no()})
		if err != nil {
			t.Fatal(err)
		}
		if out.User.SecondFactorPhone != "" || out.User.BackupCodes != 0 || out.User.PrimaryPhone() != "+14155550100" {
			t.Errorf("after releasing: second factor %q, %d codes, phone %q", out.User.SecondFactorPhone, out.User.BackupCodes, out.User.PrimaryPhone())
		}
	})
}

// Removing follows /user's rules, worded for the operator, and the one
// rule that keeps a way in.
func TestOperatorRemovesIdentifiers(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ada := e.person("ada@example.com", false) // no password: the email is the way in
		primary := e.identifier(ada, "ada@example.com").ID
		_, err := e.svc.OperatorRemove(ctx, user.Email, primary)
		wantIs(t, "the last way in", err, account.ErrLastWay)

		work, err := e.svc.OperatorAdd(ctx, ada.ID, user.Email, "ada@work.example", account.IdentifierChange{Verified: yes()})
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.OperatorRemove(ctx, user.Email, primary)
		wantCode(t, "the primary address while another is verified", err, apperr.Invalid, "")
		ph, err := e.svc.OperatorAdd(ctx, ada.ID, user.Phone, "+14155550100", account.IdentifierChange{Verified: yes(), SecondFactor: yes()})
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.OperatorRemove(ctx, user.Phone, ph.ID)
		wantCode(t, "a number receiving second-factor codes", err, apperr.Invalid, "")

		before := len(e.eventTypes(ada.ID))
		if owner, err := e.svc.OperatorRemove(ctx, user.Email, work.ID); err != nil || owner != ada.ID {
			t.Fatalf("removing a second address: %q, %v", owner, err)
		}
		if e.user(ada.ID).Has(user.Email, "ada@work.example") {
			t.Error("the address is still there")
		}
		if got := e.eventTypes(ada.ID)[before:]; !slices.Equal(got, []string{events.UserUpdated}) {
			t.Errorf("events %v, want one user.updated", got)
		}
		_, err = e.svc.OperatorRemove(ctx, user.Email, work.ID)
		wantIs(t, "removing it again", err, account.ErrNoSuchIdentifier)
	})
}
