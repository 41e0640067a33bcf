package e2e

import (
	"net/http"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// "Email me a code" on "Confirm it's you" pressed twice — at the same
// moment (a double click), or one press after the other (Enter, then a
// click) — sends one code, both presses land on the page that takes it,
// and the emailed code confirms; on both engines.
func TestReverifyCodePressedTwiceSendsOneCode(t *testing.T) {
	engines(t, func(t *testing.T, postgres bool) {
		p, clock := startFake(t, portaltest.Options{Postgres: postgres})
		b := newBrowser(t, p)
		signUp(t, p, b, "ada@example.com", "")
		before := len(mailTo(p.SMTP, "ada@example.com"))
		clock.Advance(15 * time.Minute)

		confirm := b.get("/user/verify?return=%2Fuser%2Fsecurity%2Ftotp&strategy=email_code")
		action, vals := b.formValues(confirm, reverifyPrepare, map[string]string{"strategy": "email_code"})
		landing := sameLanding(t, "the code asked for twice at once", sendTwice(t, b, action, vals), "/user/verify?")
		mails := mailTo(p.SMTP, "ada@example.com")[before:]
		if len(mails) != 1 {
			t.Fatalf("%d codes emailed, want 1", len(mails))
		}
		back := b.submit(b.get(landing), reverifyForm, map[string]string{"code": mails[0].Code()})
		if back.URL.Path != "/user/security/totp" || back.Doc.Find(totpForm).Length() == 0 {
			t.Fatalf("after the code: %d at %s:\n%s", back.Status, back.URL, back.text())
		}

		clock.Advance(15 * time.Minute)
		before = len(mailTo(p.SMTP, "ada@example.com"))
		confirm = b.get("/user/verify?return=%2Fuser%2Fsecurity%2Ftotp&strategy=email_code")
		first := b.submit(confirm, reverifyPrepare, map[string]string{"strategy": "email_code"})
		second := b.submit(confirm, reverifyPrepare, map[string]string{"strategy": "email_code"})
		for i, pg := range []*page{first, second} {
			if pg.Status != http.StatusOK || pg.URL.Path != "/user/verify" || pg.Doc.Find(reverifyForm+` input[name=code]`).Length() != 1 {
				t.Fatalf("press %d: %d at %s, want the code page:\n%s", i+1, pg.Status, pg.URL, pg.text())
			}
		}
		if first.URL.String() != second.URL.String() {
			t.Errorf("the presses land on %s and %s, want one page", first.URL, second.URL)
		}
		mails = mailTo(p.SMTP, "ada@example.com")[before:]
		if len(mails) != 1 {
			t.Fatalf("%d codes emailed, want 1", len(mails))
		}
		back = b.submit(second, reverifyForm, map[string]string{"code": mails[0].Code()})
		if back.URL.Path != "/user/security/totp" || back.Doc.Find(totpForm).Length() == 0 {
			t.Fatalf("the first email's code on the second press's page: %d at %s:\n%s", back.Status, back.URL, back.text())
		}
	})
}
