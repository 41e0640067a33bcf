package e2e

import (
	"net/http"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/testutil/portaltest"
	"github.com/portalhq/portal/internal/testutil/webauthntest"
)

// "Confirm it's you" with a passkey beside other ways says "or" once: the
// line between the way shown and every other — the passkey button and the
// other methods alike —, and none after the passkey when it is the way
// shown. Where the passkey is the only other way, the line hides with its
// button in a browser without WebAuthn.
func TestReverifyPageSaysOrOnce(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{})
	b := newBrowser(t, p)
	signUp(t, p, b, "ada@example.com", "")
	addPasskey(t, b, newKey(t, p), webauthntest.Ceremony{})
	clock.Advance(11 * time.Minute)
	for _, c := range []struct{ path, first, second string }{
		{"/user/verify?return=%2Fuser", reverifyForm, ".cl-passkeyForm"},
		{"/user/verify?return=%2Fuser&strategy=passkey", ".cl-passkeyForm", ".cl-alternativeMethods"},
		{"/user/verify?return=%2Fuser&strategy=email_code", reverifyPrepare, ".cl-passkeyForm"},
	} {
		pg := b.get(c.path)
		or := pg.Doc.Find(".cl-dividerText")
		if pg.Status != http.StatusOK || or.Length() != 1 {
			t.Errorf("%s: %d, %d dividers:\n%s", c.path, pg.Status, or.Length(), pg.Body)
			continue
		}
		// The one "or" sits between the way shown and the others.
		if or.PrevAllFiltered(c.first).Length() == 0 || or.NextAllFiltered(c.second).Length() == 0 {
			t.Errorf("%s: the divider is not between %s and %s:\n%s", c.path, c.first, c.second, pg.Body)
		}
		if _, ok := or.Attr("data-passkey-only"); ok {
			t.Errorf("%s: the divider hides without WebAuthn although other methods follow it", c.path)
		}
		if n := pg.Doc.Find(".cl-passkeyForm").Length(); n != 1 {
			t.Errorf("%s: %d passkey forms", c.path, n)
		}
	}
}
