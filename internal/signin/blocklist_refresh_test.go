package signin_test

import (
	"errors"
	"testing"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/restrict"
	"github.com/portalhq/portal/internal/session"
)

// A blocklist entry added after someone signed in ends their session's
// tokens at the next refresh, as a ban does; a session start is refused.
func TestBlocklistEndsTokenRefresh(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		e.account("ada@example.com")
		client := e.client()
		f := e.start(client, "ada@example.com")
		sess, err := e.password(client, f.ID, pw)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.sessions.Token(t.Context(), sess, ""); err != nil {
			t.Fatalf("token before the blocklist: %v", err)
		}
		rules, err := restrict.New(nil, []string{"@example.com"}, "", false)
		if err != nil {
			t.Fatal(err)
		}
		e.sessions.Restrict = rules
		if _, _, err := e.sessions.Token(t.Context(), sess, ""); !errors.Is(err, session.ErrSignedOut) {
			t.Errorf("token after the blocklist: %v, want ErrSignedOut", err)
		}
		other := e.client()
		g := e.start(other, "ada@example.com")
		_, err = e.password(other, g.ID, pw)
		wantErr(t, "a new sign-in of a blocked account", err, apperr.Forbidden, "error.session.cannot_sign_in")
	})
}
