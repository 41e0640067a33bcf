package e2e

import (
	"net/http"
	"testing"

	"github.com/portalhq/portal/internal/testutil/portaltest"
	"github.com/portalhq/portal/internal/user"
)

// "Add an email address" sent twice at once (a double click) starts one
// addition: one email, both answers on its code page, and the emailed
// code adds the address; on both engines.
func TestDoubleClickAddEmailSendsOneCode(t *testing.T) {
	engines(t, func(t *testing.T, postgres bool) {
		p := portaltest.Start(t, portaltest.Options{Postgres: postgres})
		b := newBrowser(t, p)
		signUp(t, p, b, "ada@example.com", "")
		action, vals := b.formValues(b.get("/user/email-addresses/new"), addEmailForm,
			map[string]string{"email_address": "ada@work.example"})
		landing := sameLanding(t, "the address sent twice", sendTwice(t, b, action, vals), "/user/verify-identifier?")
		mails := mailTo(p.SMTP, "ada@work.example")
		if len(mails) != 1 {
			t.Fatalf("%d emails to ada@work.example, want 1", len(mails))
		}
		pg := b.submit(b.get(landing), identifierCodeForm, map[string]string{"code": mails[0].Code()})
		wantText(t, "after the code", pg, http.StatusOK, "ada@work.example")
		wantVerified(t, p, user.Email, "ada@work.example")
	})
}

// Verify pressed twice — at the same moment, or one press after the
// other (Enter, then a click) — sends one code to the unverified address,
// and both presses land on the page that takes it; on both engines.
func TestVerifyPressedTwiceSendsOneCode(t *testing.T) {
	engines(t, func(t *testing.T, postgres bool) {
		p := portaltest.Start(t, portaltest.Options{Postgres: postgres})
		b := newBrowser(t, p)
		signUp(t, p, b, "ada@example.com", "")
		ada := userByEmail(t, p, "ada@example.com")

		atOnce := addUnverified(t, p, user.Email, ada.ID, "ada@work.example")
		pg := b.get("/user/email-addresses/" + atOnce + "/verify")
		action, vals := b.formValues(pg, confirmForm(pg), nil)
		landing := sameLanding(t, "Verify sent twice at once", sendTwice(t, b, action, vals), "/user/verify-identifier?")
		mails := mailTo(p.SMTP, "ada@work.example")
		if len(mails) != 1 {
			t.Fatalf("%d emails to ada@work.example, want 1", len(mails))
		}
		got := b.submit(b.get(landing), identifierCodeForm, map[string]string{"code": mails[0].Code()})
		wantText(t, "after the code", got, http.StatusOK, "The email address is verified.")

		oneAfter := addUnverified(t, p, user.Email, ada.ID, "ada@home.example")
		pg = b.get("/user/email-addresses/" + oneAfter + "/verify")
		first := b.submit(pg, confirmForm(pg), nil)
		second := b.submit(pg, confirmForm(pg), nil)
		if first.URL.String() != second.URL.String() || first.URL.Path != "/user/verify-identifier" {
			t.Fatalf("Verify pressed twice lands on %s and %s, want one code page", first.URL, second.URL)
		}
		mails = mailTo(p.SMTP, "ada@home.example")
		if len(mails) != 1 {
			t.Fatalf("%d emails to ada@home.example, want 1", len(mails))
		}
		got = b.submit(second, identifierCodeForm, map[string]string{"code": mails[0].Code()})
		wantText(t, "after the first email's code on the second press's page", got, http.StatusOK, "The email address is verified.")
		wantVerified(t, p, user.Email, "ada@home.example")
	})
}
