package browser

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/portalhq/portal/internal/testutil/oidctest"
	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// TestFormsKeepWhatWasTypedAcrossReloadAndBack: a form that keeps what
// was typed (sign-up's first page, create organization, an organization's
// invitations, the account's forms) sent back with a mistake is the answer to a POST. A reload, or
// Back to it from the next page, made Chromium send the form again or
// show "Confirm Form Resubmission"; a page of its own, rendered empty,
// would lose what was typed. Now the entry is the form's page, without
// what was typed in its address, and what was typed — never the password
// — comes back on a reload and on Back (not when the page is reached
// afresh).
func TestFormsKeepWhatWasTypedAcrossReloadAndBack(t *testing.T) {
	t.Parallel()
	w := startWith(t, portaltest.Options{})
	b := w.b
	const typedEmail = "ada.lovelace@example.com"

	// Sign-up: a password too short (the browser's own checks off, so
	// that the portal's message shows, as the page matrix does).
	b.open(w.p.URL + "/sign-up")
	b.typeInto("first_name-field", "Ada")
	b.typeInto("email_address-field", typedEmail)
	b.typeInto("password-field", "short")
	noValidate(b, `form[action="/sign-up"]`)
	if st := b.submit("submit a password too short", `form[action="/sign-up"]`); st != http.StatusUnprocessableEntity {
		b.fatalf("a password too short: status %d, want 422", st)
	}
	b.expectFieldError("password")
	if got := b.url(); got != w.p.URL+"/sign-up" {
		b.fatalf("the form sent back is at %s, want %s/sign-up (and nothing typed in the address)", got, w.p.URL)
	}
	reload(b)
	expectValues(b, map[string]string{"first_name-field": "Ada", "email_address-field": typedEmail, "password-field": ""})
	// Typed after the reload: the next reload keeps it too.
	b.typeInto("last_name-field", "Lovelace")
	reload(b)
	expectValues(b, map[string]string{"first_name-field": "Ada", "last_name-field": "Lovelace", "email_address-field": typedEmail})
	// The form sent: Back shows it all, but the password.
	b.typeInto("password-field", password)
	if kept := b.eval(`JSON.stringify(Object.entries(sessionStorage))`); strings.Contains(kept, password) || !strings.Contains(kept, "Lovelace") {
		b.fatalf("the tab's storage holds %s: want what was typed, never the password", kept)
	}
	b.submit("submit the sign-up form", `form[action="/sign-up"]`)
	b.expectPage("Verify your email · Portal", "Verify your email")
	goBack(b)
	b.expectPage("Create your account · Portal", "Create your account")
	expectValues(b, map[string]string{"first_name-field": "Ada", "last_name-field": "Lovelace",
		"email_address-field": typedEmail, "password-field": ""})
	b.do("go forward", chromedp.NavigateForward(), chromedp.WaitVisible(chromedp.ID("code-field")))
	b.typeInto("code-field", w.p.SMTP.WaitFor(t, typedEmail, 10*time.Second).Code())
	b.submit("enter the emailed code", `form[action="/sign-up/verify-email-address"]`)
	b.expectPage("Signed in · Portal", "You're signed in")

	// Create organization: a slug that is none.
	b.open(w.p.URL + "/create-organization")
	b.typeInto("name-field", "Analytical Engines")
	b.do("lift the slug's pattern", chromedp.Evaluate[chromedp.Void](`document.getElementById("slug-field").removeAttribute("pattern")`))
	b.do("clear the slug", chromedp.Clear(chromedp.ID("slug-field")))
	b.typeInto("slug-field", "Not A Slug")
	noValidate(b, `form[action="/create-organization"]`)
	if st := b.submit("create with a slug that is none", `form[action="/create-organization"]`); st != http.StatusUnprocessableEntity {
		b.fatalf("a slug with spaces: status %d, want 422", st)
	}
	b.expectFieldError("slug")
	reload(b)
	expectValues(b, map[string]string{"name-field": "Analytical Engines", "slug-field": "Not A Slug"})
	// (Cleared as a person's select-all does: chromedp.Clear resets only
	// the attribute, which a field typed in no longer follows.)
	b.do("clear the slug", chromedp.Evaluate[chromedp.Void](`document.getElementById("slug-field").value = ""`))
	b.typeInto("slug-field", "analytical-engines")
	b.submit("create the organization", `form[action="/create-organization"]`)
	b.open(w.p.URL + "/organization")
	orgID := afterPrefix(b, w.p.URL+"/organizations/")

	// Its invitations: one address of two that is none.
	invitations := w.p.URL + "/organizations/" + orgID + "/invitations"
	b.open(invitations)
	b.typeInto("email_address-field", "grace@example.com, not-an-email")
	if st := b.submit("invite an address that is none", `form[action$="/invitations"]`); st != http.StatusUnprocessableEntity {
		b.fatalf("an address that is none: status %d, want 422", st)
	}
	if got := b.url(); got != invitations {
		b.fatalf("the invitations sent back are at %s, want %s", got, invitations)
	}
	reload(b)
	expectValues(b, map[string]string{"email_address-field": "grace@example.com, not-an-email"})

	// The account's names: a first name longer than a name can be
	// (pasted past the field's own limit).
	long := strings.Repeat("Ada ", 100)
	b.open(w.p.URL + "/user")
	b.do("clear the last name", chromedp.Clear(chromedp.ID("last_name-field")))
	b.typeInto("last_name-field", "Byron")
	b.do("paste a first name too long", chromedp.Evaluate[chromedp.Void](`(() => {
		const f = document.getElementById("first_name-field");
		f.removeAttribute("maxlength");
		f.value = `+quoteJS(long)+`;
	})()`))
	noValidate(b, `form[action="/user/profile"]`)
	if st := b.submit("save a first name too long", `form[action="/user/profile"]`); st != http.StatusUnprocessableEntity {
		b.fatalf("a first name too long: status %d, want 422", st)
	}
	if got := b.url(); got != w.p.URL+"/user" {
		b.fatalf("the profile sent back is at %s, want %s/user", got, w.p.URL)
	}
	reload(b)
	expectValues(b, map[string]string{"first_name-field": long, "last_name-field": "Byron"})

	// A new password too short: a reload shows the page again, and sends
	// no password.
	b.open(w.p.URL + "/user/password") // signed up a moment ago: no current password asked
	b.typeInto("password-field", "short")
	noValidate(b, `form[action="/user/password"]`)
	if st := b.submit("choose a password too short", `form[action="/user/password"]`); st != http.StatusUnprocessableEntity {
		b.fatalf("a password too short: status %d, want 422", st)
	}
	reload(b)
	b.expectPage("Password · Portal", "Change your password")
	expectValues(b, map[string]string{"password-field": ""})

	// Adding an address that is none.
	b.open(w.p.URL + "/user/email-addresses/new")
	b.typeInto("email_address-field", "ada at example")
	noValidate(b, `form[action="/user/email-addresses"]`)
	if st := b.submit("add an address that is none", `form[action="/user/email-addresses"]`); st != http.StatusUnprocessableEntity {
		b.fatalf("an address that is none: status %d, want 422", st)
	}
	reload(b)
	expectValues(b, map[string]string{"email_address-field": "ada at example"})
	// Reached afresh, the page starts empty.
	b.open(w.p.URL + "/user/email-addresses/new")
	expectValues(b, map[string]string{"email_address-field": ""})
}

// noValidate turns the browser's own checks off for the form, so that the
// portal's answer to a mistake shows.
func noValidate(b *tab, form string) {
	b.t.Helper()
	b.do("turn the browser's checks off", chromedp.Evaluate[chromedp.Void](`document.querySelector(`+quoteJS(form)+`).noValidate = true`))
}

// reload reloads the page as the browser's button does and expects the
// page, not the form sent again.
func reload(b *tab) {
	b.t.Helper()
	if st := b.load("reload", chromedp.Reload()); st != http.StatusOK {
		b.fatalf("reload: status %d, want 200 (the page again, not the form sent again)", st)
	}
}

// goBack goes Back as the browser's button does and expects a page, not
// "Confirm Form Resubmission".
func goBack(b *tab) {
	b.t.Helper()
	if st := b.load("go back", chromedp.NavigateBack()); st != http.StatusOK {
		b.fatalf("back: status %d, want 200", st)
	}
}

// expectValues checks what the fields hold, by id.
func expectValues(b *tab, want map[string]string) {
	b.t.Helper()
	for id, v := range want {
		if got := b.value("#" + id); got != v {
			b.fatalf("#%s holds %q, want %q", id, got, v)
		}
	}
}

// TestProviderSignUpStepKeepsWhatWasTyped: a provider that gave no email
// address leaves sign-up at "Almost there", which asks for it. Sent back
// with a mistake, the step takes its own address: a reload shows it again,
// with what was typed, instead of sending the form again.
func TestProviderSignUpStepKeepsWhatWasTyped(t *testing.T) {
	t.Parallel()
	op := oidctest.Start(t)
	op.SetUser("corp-noemail", "", false, "Xi", "Li")
	w := startWith(t, portaltest.Options{Env: corpSSO(op)})
	b := w.b
	b.open(w.p.URL + "/sign-in")
	b.load("continue with Corp SSO", chromedp.Click(chromedp.CSS(`a.cl-socialButtonsBlockButton__oidc_corp`)))
	b.expectURL(w.p.URL + "/sign-up/continue?sign_up=")
	step := b.url()
	b.typeInto("email_address-field", "xi at example")
	noValidate(b, `form[action^="/sign-up/continue"]`)
	if st := b.submit("give an address that is none", `form[action^="/sign-up/continue"]`); st != http.StatusUnprocessableEntity {
		b.fatalf("an address that is none: status %d, want 422", st)
	}
	if got := b.url(); got != step {
		b.fatalf("the step sent back is at %s, want its own address %s", got, step)
	}
	reload(b)
	b.expectPage("Almost there · Portal", "Almost there")
	expectValues(b, map[string]string{"email_address-field": "xi at example"})
}

// TestProviderSignUpStepHasAWayOut: at "Almost there", someone who would
// rather not give what the provider left out is not held there. "Back to
// sign up" goes back to choosing another way, and "Already have an
// account? Sign in" to signing in; both keep where the person was going.
func TestProviderSignUpStepHasAWayOut(t *testing.T) {
	t.Parallel()
	op := oidctest.Start(t)
	op.SetUser("corp-noemail", "", false, "Xi", "Li")
	w := startWith(t, portaltest.Options{Env: corpSSO(op)})
	b := w.b
	going := w.p.URL + "/user/security"
	b.open(w.p.URL + "/sign-in?" + url.Values{"redirect_url": {going}}.Encode())
	b.load("continue with Corp SSO", chromedp.Click(chromedp.CSS(`a.cl-socialButtonsBlockButton__oidc_corp`)))
	b.expectURL(w.p.URL + "/sign-up/continue?sign_up=")
	b.expectPage("Almost there · Portal", "Almost there")
	step := b.url()

	const back, signIn = `footer a[href^="/sign-up"]`, `footer a[href^="/sign-in"]`
	if got := b.text(back); got != "Back to sign up" {
		b.fatalf("the way back to sign-up reads %q, want %q", got, "Back to sign up")
	}
	if got := strings.Join(strings.Fields(b.text(`footer .cl-footerAction:has(a[href^="/sign-in"])`)), " "); got != "Already have an account? Sign in" {
		b.fatalf("the way to sign in reads %q", got)
	}
	b.load("back to sign up", chromedp.Click(chromedp.CSS(back)))
	b.expectPage("Create your account · Portal", "Create your account")
	b.expectURL(w.p.URL + "/sign-up?" + url.Values{"redirect_url": {going}}.Encode())
	if b.count(`a.cl-socialButtonsBlockButton__oidc_corp`) == 0 {
		b.fatalf("back at sign-up, the provider is not offered among the ways to sign up")
	}

	b.open(step)
	b.load("sign in instead", chromedp.Click(chromedp.CSS(signIn)))
	b.expectPage("Sign in · Portal", "Sign in to Portal")
	b.expectURL(w.p.URL + "/sign-in?" + url.Values{"redirect_url": {going}}.Encode())
}

// TestSigningOutForgetsWhatWasTyped: on a shared computer, what one person
// typed into a form (sign-up's names and address, kept by typed.js in the
// tab's session storage) must not come back to the next one by Back once
// the first has signed out. The sign-out button forgets it, and so does
// the page that says nobody is signed in (a session ended elsewhere).
func TestSigningOutForgetsWhatWasTyped(t *testing.T) {
	t.Parallel()
	w := startWith(t, portaltest.Options{})
	b := w.b
	const typedEmail = "ada.shared@example.com"
	kept := func() string {
		return b.eval(`JSON.stringify(Object.entries(sessionStorage).filter(([k]) => k.startsWith("portalTyped:")))`)
	}

	b.open(w.p.URL + "/sign-up")
	b.typeInto("first_name-field", "Ada")
	b.typeInto("last_name-field", "Lovelace")
	b.typeInto("email_address-field", typedEmail)
	b.typeInto("password-field", password)
	b.submit("sign up", `form[action="/sign-up"]`)
	b.typeInto("code-field", w.p.SMTP.WaitFor(t, typedEmail, 10*time.Second).Code())
	b.submit("enter the emailed code", `form[action="/sign-up/verify-email-address"]`)
	b.expectPage("Signed in · Portal", "You're signed in")
	if got := kept(); !strings.Contains(got, "Lovelace") {
		b.fatalf("before signing out the tab keeps %s: want what was typed at sign-up", got)
	}

	b.open(w.p.URL + "/sign-out")
	b.submit("sign out", `form[action="/sign-out"]`)
	b.expectPage("Sign in · Portal", "Sign in to Portal")
	if got := kept(); got != "[]" {
		b.fatalf("after signing out the tab still keeps %s", got)
	}
	// The next person goes Back to the sign-up form: empty.
	hist, err := chromedp.Run(b.ctx, chromedp.NavigationEntries())
	if err != nil {
		b.fatalf("history: %v", err)
	}
	var signUp int64 = -1
	for _, e := range hist.Entries {
		if e.URL == w.p.URL+"/sign-up" {
			signUp = e.ID
		}
	}
	if signUp < 0 {
		b.fatalf("no /sign-up in the tab's history")
	}
	b.load("go back to the sign-up form", chromedp.NavigateToHistoryEntry(signUp))
	b.expectPage("Create your account · Portal", "Create your account")
	expectValues(b, map[string]string{"first_name-field": "", "last_name-field": "", "email_address-field": ""})
	// The browser's own memory of the form was held back by turning the
	// fields' autocomplete off; the first key the person presses gives
	// autofill its hints back.
	b.keys("G")
	for id, want := range map[string]string{"first_name-field": "given-name", "email_address-field": "email"} {
		if got := b.attr("#"+id, "autocomplete"); got != want {
			b.fatalf("after a key, #%s has autocomplete %q, want %q", id, got, want)
		}
	}

	// Typed again, then the session ends elsewhere: the page saying
	// nobody is signed in forgets it too.
	b.open(w.p.URL + "/sign-up")
	b.typeInto("first_name-field", "Grace")
	if got := kept(); !strings.Contains(got, "Grace") {
		b.fatalf("the tab keeps %s: want what was typed", got)
	}
	b.open(w.p.URL + "/sign-out")
	b.expectPage("You're signed out · Portal", "You're signed out")
	if got := kept(); got != "[]" {
		b.fatalf("on the signed-out page the tab still keeps %s", got)
	}
}
