package signin_test

import (
	"slices"
	"testing"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/user"
)

// The standard mode offers what the account has, as the contract says: an
// account without a password is not offered one, which tells it apart from
// an unknown address. Strict (PORTAL_ENUMERATION_PROTECTION=strict, REQ-RL-05)
// offers every identifier of a kind the same, and a password attempt on an
// account without one is the usual wrong-password answer with the usual work.
func TestStrictOffersTheSameWhateverTheAccountHolds_REQ_RL_05(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		e.account("nopass@example.com", func(u *user.User) { u.PasswordHash = "" })
		offered := func(identifier string) []string {
			t.Helper()
			f := e.start(e.client(), identifier)
			got, err := e.svc.Offered(t.Context(), f)
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		if a, b := offered("nopass@example.com"), offered("nobody@example.com"); slices.Equal(a, b) {
			t.Fatalf("standard mode: passwordless and unknown both offered %v; the contract offers the account's own factors", a)
		}

		e.svc.Strict = true
		want := []string{flow.Password, flow.EmailCode, flow.EmailLink}
		for _, who := range []string{"nopass@example.com", "nobody@example.com"} {
			if got := offered(who); !slices.Equal(got, want) {
				t.Errorf("strict: %s offered %v, want %v", who, got, want)
			}
		}
		client := e.client()
		f := e.start(client, "nopass@example.com")
		before := e.hasher.Computations()
		_, err := e.password(client, f.ID, pw)
		wantErr(t, "password on an account without one", err, apperr.Invalid, "error.signin.bad_password")
		if n := e.hasher.Computations() - before; n != 1 {
			t.Errorf("%d argon2 runs, want 1 as for any attempt", n)
		}
	})
}
