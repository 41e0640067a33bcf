package browser

import (
	"context"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestCompromisedPassword follows a person whose password the operator
// marked as compromised (the Backend API's set_compromised, called as an
// app's server would, with the secret key), as they see it. A typo is
// answered as any wrong password, saying nothing of the mark (REQ-RL-05).
// The right password lands on "Change your password", whose alert says in
// plain words why, and offers the emailed reset code; the code leads to
// "Set a new password", which says again why, refuses the old password
// and, with a new one, signs in to the app (REQ-PW-03).
func TestCompromisedPassword(t *testing.T) {
	t.Parallel()
	w := start(t, nil)
	b := w.b
	userID := w.signUp()
	w.signOut()

	req, err := http.NewRequest(http.MethodPost, w.p.URL+"/v1/users/"+userID+"/password/set_compromised", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+w.p.SecretKey)
	resp, err := w.p.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("set_compromised: status %d", resp.StatusCode)
	}

	b.load("click Sign in on the app", chromedp.Click(chromedp.ID("sign-in")))
	w.expectIdentifierPage()
	b.typeInto("identifier-field", email)
	b.submit("submit the email", `form[action="/sign-in"]`)
	w.expectPasswordPage()
	b.typeInto("password-field", wrong)
	if st := b.submit("submit a wrong password", `form[action="/sign-in/factor-one"]`); st != http.StatusUnprocessableEntity {
		b.fatalf("wrong password: status %d, want 422", st)
	}
	b.expectPage("Error: Enter your password · Portal", "Enter your password")
	if got := b.text("#password-error"); !regexp.MustCompile(`^Password is incorrect`).MatchString(got) {
		b.fatalf("password error = %q, want the usual %q", got, "Password is incorrect")
	}

	b.typeInto("password-field", password)
	if st := b.submit("submit the right password", `form[action="/sign-in/factor-one"]`); st != http.StatusOK {
		b.fatalf("right password: status %d, want 200", st)
	}
	b.expectURL(w.p.URL + "/sign-in/forgot-password?sign_in=")
	b.expectPage("Change your password · Portal", "Change your password")
	const why = "Your password may have been exposed, so it has to be changed before you can sign in."
	if got := b.text(`.cl-alert[role="alert"] .cl-alertText`); got != why {
		b.fatalf("alert says %q, want %q", got, why)
	}
	if got := b.cookie(w.app.URL, "__session"); got != "" {
		b.fatalf("the app got a token for the marked password")
	}

	b.load("choose the emailed reset code", chromedp.Click(chromedp.CSS(`button[value="reset_password_email_code"]`)))
	b.expectPage("Reset your password · Portal", "Reset your password")
	code := w.p.SMTP.WaitFor(t, email, 10*time.Second).Code()
	b.typeInto("code-field", code)
	b.submit("submit the reset code", `form[action="/sign-in/factor-one"]`)
	b.expectPage("Set a new password · Portal", "Set a new password")
	if got, want := b.text(".cl-headerSubtitle"), "Your password may have been exposed. Choose a new one to finish signing in."; got != want {
		b.fatalf("subtitle = %q, want %q", got, want)
	}
	w.expectAutocomplete("#password-field", "new-password")

	b.typeInto("password-field", password)
	if st := b.submit("submit the old password as the new one", `form[action="/sign-in/reset-password"]`); st != http.StatusUnprocessableEntity {
		b.fatalf("the old password again: status %d, want 422", st)
	}
	if got, want := b.text("#password-error"), "Choose a different password: your old one may have been exposed."; got != want {
		b.fatalf("password error = %q, want %q", got, want)
	}
	if got := b.value("#password-field"); got != "" {
		b.fatalf("the refused password came back in the field (%d chars)", len(got))
	}
	b.typeInto("password-field", "amber falcon lighthouse tundra 2024")
	b.submit("submit a new password", `form[action="/sign-in/reset-password"]`)
	w.expectSignedIn(userID)

	u, err := w.p.Store.Q.UserByID(context.Background(), userID)
	if err != nil || u.PasswordCompromisedAt != nil {
		t.Errorf("after the new password the mark is %v (%v), want none", u.PasswordCompromisedAt, err)
	}
}
