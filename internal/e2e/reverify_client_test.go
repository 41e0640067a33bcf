package e2e

import (
	"net/http"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// twinOf is another HTTP client holding all of b's cookies but with
// __client set to value: b itself, sending a request with a cookie it had
// before (a second request already on its way, or a response whose cookie
// it dropped).
func twinOf(t *testing.T, p *portaltest.Portal, b *browser, value string) *browser {
	t.Helper()
	twin := newBrowser(t, p)
	for _, c := range b.jar.Cookies(b.base) {
		if c.Name == "__client" {
			c.Value = value
		}
		twin.jar.SetCookies(twin.base, []*http.Cookie{{Name: c.Name, Value: c.Value, Path: "/"}})
	}
	return twin
}

// REQ-SES-02: proving who one is again — "Confirm it's you" before a
// sensitive change, and the current password when changing it — is
// authenticating again, so the browser moves to a new client, as on
// sign-in. A copy of the old __client taken before (a stolen cookie) then
// reaches nothing; the same browser's request still carrying the old one
// follows for a moment and is given the new one, and after that moment
// it is signed out too.
func TestReverifyingMovesTheBrowserToANewClient_REQ_SES_02(t *testing.T) {
	engines(t, func(t *testing.T, postgres bool) {
		p, clock := startFake(t, portaltest.Options{Postgres: postgres})
		b := newBrowser(t, p)
		signUp(t, p, b, "ada@example.com", "")
		thief := newBrowser(t, p)
		plant(t, b, thief)
		if !signedIn(t, thief) {
			t.Fatal("a copy of the signed-in __client does not sign in: the test shows nothing")
		}

		for _, step := range []struct {
			name string
			do   func() *page
		}{
			{"confirm it's you", func() *page {
				confirm := b.get("/user/verify?return=%2Fuser%2Fsecurity&strategy=password")
				return b.submit(confirm, reverifyForm, map[string]string{"password": goodPassword})
			}},
			{"confirm it's you, the form sent twice at once", func() *page {
				confirm := b.get("/user/verify?return=%2Fuser%2Fsecurity&strategy=password")
				action, vals := b.formValues(confirm, reverifyForm, map[string]string{"password": goodPassword})
				sameLanding(t, "the password sent twice", sendTwice(t, b, action, vals), "/user/security")
				return b.get("/user/security")
			}},
			{"the current password, with a new password refused", func() *page {
				// Refused for being too short: the current password was
				// right all the same, and that proves who it is.
				return b.submit(b.get("/user/password"), `form[action="/user/password"]`,
					map[string]string{"current_password": goodPassword, "password": "short"})
			}},
		} {
			old := b.cookie("__client")
			plant(t, b, thief)
			clock.Advance(15 * time.Minute) // past the last proof
			pg := step.do()
			if pg.Status >= 500 {
				t.Fatalf("%s: %d at %s:\n%s", step.name, pg.Status, pg.URL, pg.text())
			}
			if b.cookie("__client") == old {
				t.Fatalf("%s: the browser kept its __client", step.name)
			}
			if !signedIn(t, b) {
				t.Fatalf("%s: the browser that proved it is signed out", step.name)
			}
			if signedIn(t, thief) {
				t.Errorf("%s: a copy of the __client from before is still signed in", step.name)
			}

			// The same browser, its request still carrying the old
			// client (same CSRF secret), within the moment: followed,
			// and told the new client.
			twin := twinOf(t, p, b, old)
			acct := twin.getRaw("/user")
			if acct.Status != http.StatusOK || acct.setCookie("__client") == nil {
				t.Errorf("%s: the same browser with the old __client just after: %d, __client %v; want the account page and the new client",
					step.name, acct.Status, acct.setCookie("__client"))
			}
			clock.Advance(11 * time.Second)
			if signedIn(t, twinOf(t, p, b, old)) {
				t.Errorf("%s: the old __client still signs in once the moment has passed", step.name)
			}
		}
	})
}
