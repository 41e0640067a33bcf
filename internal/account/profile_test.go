package account_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/account"
	"github.com/portalhq/portal/internal/apperr"
)

func TestUpdateProfileWritesUserUpdated(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ada := e.person("ada@example.com", true)
		e.clock.Advance(time.Minute)
		if err := e.svc.UpdateProfile(t.Context(), ada, account.Profile{FirstName: "  Augusta ", LastName: "King"}); err != nil {
			t.Fatal(err)
		}
		if u := e.user(ada.ID); u.FirstName != "Augusta" || u.LastName != "King" {
			t.Errorf("stored names %q %q, want the trimmed %q %q", u.FirstName, u.LastName, "Augusta", "King")
		}
		o := e.lastUserObject(ada.ID)
		if o.FirstName == nil || *o.FirstName != "Augusta" || o.LastName == nil || *o.LastName != "King" {
			t.Errorf("user.updated carries names %v %v", o.FirstName, o.LastName)
		}
	})
}

// Every field's problem is reported at once, and nothing is written.
func TestUpdateProfileRefusesBadNamesTogether(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ada := e.person("ada@example.com", true)
		err := e.svc.UpdateProfile(t.Context(), ada, account.Profile{FirstName: "Ada\x07", LastName: strings.Repeat("x", 101)})
		var fe *account.FormError
		if !errors.As(err, &fe) {
			t.Fatalf("error %v, want a *account.FormError", err)
		}
		wantErr(t, "first name with a control character", fe.Fields["first_name"], apperr.Invalid, "account.error.name_characters")
		wantErr(t, "last name of 101 characters", fe.Fields["last_name"], apperr.Invalid, "account.error.name_too_long")
		if u := e.user(ada.ID); u.FirstName != "Ada" || u.LastName != "" {
			t.Errorf("names changed to %q %q by a refused form", u.FirstName, u.LastName)
		}
		if got := e.eventTypes(ada.ID); len(got) != 0 {
			t.Errorf("events after a refused form: %v", got)
		}
	})
}
