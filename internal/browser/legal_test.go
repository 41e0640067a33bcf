package browser

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/portalhq/portal/internal/testutil/portaltest"
	"github.com/portalhq/portal/internal/user"
)

// TestSignUpWithTheConsentBox follows a person signing up on an instance
// that asks for express consent to its legal documents, JavaScript off.
// Beside the form's fields is a box reading "I agree to the Terms of
// Service and Privacy Policy", each a link. Pressing Create account without
// ticking it sends nothing: the browser holds the form back. A browser that
// does not (validation off) gets the form back from the server with the
// address still typed and the reason beside the box. Ticked, the person
// goes on to the emailed code and lands on the app signed in, the moment
// they agreed kept on their account.
func TestSignUpWithTheConsentBox(t *testing.T) {
	t.Parallel()
	w := startWith(t, portaltest.Options{Env: map[string]string{"PORTAL_LEGAL_CONSENT": "true",
		"PORTAL_TERMS_URL": "https://acme.example/terms", "PORTAL_PRIVACY_URL": "https://acme.example/privacy"}})
	b := w.b
	b.disableJavaScript()

	b.open(w.app.URL)
	w.expectSignedOut()
	b.load("click Sign in on the app", chromedp.Click(chromedp.ID("sign-in")))
	w.expectIdentifierPage()
	b.load("click Sign up", chromedp.Click(chromedp.CSS(`footer a[href^="/sign-up"]`)))
	b.expectPage("Create your account · Portal", "Create your account")

	label := `label[for="legal_accepted-field"]`
	if got := strings.Join(strings.Fields(b.text(label)), " "); !strings.HasPrefix(got, "I agree to the Terms of Service") ||
		!strings.Contains(got, " and Privacy Policy") {
		b.fatalf("the box reads %q", got)
	}
	for i, want := range []string{"https://acme.example/terms", "https://acme.example/privacy"} {
		a := label + " a:nth-of-type(" + string(rune('1'+i)) + ")"
		if href, target := b.attr(a, "href"), b.attr(a, "target"); href != want || target != "_blank" {
			b.fatalf("link %d goes to %q (target %q), want %s in a new tab", i+1, href, target, want)
		}
	}

	b.typeInto("email_address-field", email)
	b.typeInto("first_name-field", "Ada")
	b.typeInto("password-field", password)

	// The box is required: the browser does not send the form without it.
	b.do("press Create account, box not ticked", chromedp.Click(chromedp.CSS(`form[action="/sign-up"] button[type=submit]`)))
	if got := b.eval(`document.querySelector("#legal_accepted-field").validity.valueMissing ? "missing" : "given"`); got != "missing" {
		b.fatalf("the browser sees the box as %s", got)
	}
	b.expectURL(w.p.URL + "/sign-up?redirect_url=")
	if n := len(w.p.SMTP.Messages()); n != 0 {
		b.fatalf("%d emails sent before the box was ticked", n)
	}

	// A browser that sends it anyway: the server says why, keeps the form.
	b.do("turn the browser's validation off", chromedp.Evaluate[chromedp.Void](
		`document.querySelector('form[action="/sign-up"]').noValidate = true`))
	if st := b.submit("press Create account, box not ticked", `form[action="/sign-up"]`); st != http.StatusUnprocessableEntity {
		b.fatalf("status %d, want 422", st)
	}
	b.expectPage("Error: Create your account · Portal", "Create your account")
	if got := b.text("#legal_accepted-error"); got != "Tick the box to agree to the terms before you continue." {
		b.fatalf("beside the box: %q", got)
	}
	if got := b.attr("#legal_accepted-field", "aria-describedby"); got != "legal_accepted-error" {
		b.fatalf("the box is described by %q, want its message", got)
	}
	if got, name := b.value("#email_address-field"), b.value("#first_name-field"); got != email || name != "Ada" {
		b.fatalf("the form came back with %q and %q, want what was typed", got, name)
	}
	if got := b.value("#password-field"); got != "" {
		b.fatalf("the password came back in the form")
	}
	if _, err := w.p.Store.Q.UserByIdentifier(context.Background(), user.Email, email); err == nil {
		b.fatalf("an account was made without the box")
	}

	b.typeInto("password-field", password)
	b.do("tick the box", chromedp.Click(chromedp.ID("legal_accepted-field")))
	before := time.Now()
	if st := b.submit("press Create account", `form[action="/sign-up"]`); st != http.StatusOK {
		b.fatalf("sign-up: status %d", st)
	}
	b.expectPage("Verify your email · Portal", "Verify your email")
	b.typeInto("code-field", w.p.SMTP.WaitFor(t, email, 10*time.Second).Code())
	b.submit("submit the code", `form[action="/sign-up/verify-email-address"]`)

	u, err := w.p.Store.Q.UserByIdentifier(context.Background(), user.Email, email)
	if err != nil {
		b.fatalf("the new user is not in the store: %v", err)
	}
	w.expectSignedIn(u.ID)
	if u.LegalAcceptedAt == nil || u.LegalAcceptedAt.Before(before.Truncate(time.Millisecond)) {
		b.fatalf("legal_accepted_at %v, want the moment the ticked form was sent", u.LegalAcceptedAt)
	}
}
