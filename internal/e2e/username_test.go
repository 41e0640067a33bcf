package e2e

import (
	"fmt"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/portalhq/portal/internal/testutil/portaltest"
	"github.com/portalhq/portal/internal/user"
)

// Usernames are an optional identifier, unique regardless of case; an
// account signs in with its username in any case.
func TestUsernames(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_IDENTIFIERS": "email,username"}})
	fields := func(email, username string) map[string]string {
		return map[string]string{"email_address": email, "username": username, "password": goodPassword,
			"first_name": "Ada", "last_name": "Lovelace"}
	}

	b := newBrowser(t, p)
	verify := signUpWith(b, fields("ada@example.com", "Ada_L"), "")
	wantText(t, "sign-up with Ada_L", verify, http.StatusOK, "Verify your email")
	code := p.SMTP.WaitFor(t, "ada@example.com", mailWait).Code()
	if done := b.submit(verify, verifyForm, map[string]string{"code": code}); done.Status != http.StatusOK || b.cookie("__session") == "" {
		t.Fatalf("verifying the sign-up: status %d at %s:\n%s", done.Status, done.URL, done.text())
	}

	wantHandBack(t, signIn(t, newBrowser(t, p), "ada_l", goodPassword, appURL), http.StatusSeeOther, appURL)
	wantHandBack(t, signIn(t, newBrowser(t, p), " ADA_L ", goodPassword, appURL), http.StatusSeeOther, appURL)

	for _, c := range []struct{ username, says string }{
		{"ADA_L", "That username is taken"},
		{"ada", "4 to 64 characters"},
		{"_ada", "starting with a letter or digit"},
		{"ada l", "Use letters, digits"},
	} {
		pg := signUpWith(newBrowser(t, p), fields("grace@example.com", c.username), "")
		wantText(t, "sign-up with "+c.username, pg, http.StatusUnprocessableEntity, c.says)
	}
	in := newBrowser(t, p)
	pg := in.submit(in.get("/sign-in"), signInForm, map[string]string{"identifier": "ada"})
	wantText(t, "sign-in with a 3-character username", pg, http.StatusUnprocessableEntity, "4 to 64 characters")
}

// The sign-up and account forms carry the server's length limits on
// usernames (4 to 64) and names (at most 100), so a browser stops such
// input before it is sent: each attribute is checked against what the
// server accepts just inside it and refuses just outside it.
func TestNameAndUsernameFieldsCarryTheServersLimits(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_IDENTIFIERS": "email,username"}})
	attr := func(pg *page, name, key string) int {
		t.Helper()
		v, ok := pg.Doc.Find(`input[name="` + name + `"]`).Attr(key)
		n, err := strconv.Atoi(v)
		if !ok || err != nil {
			t.Fatalf("%s: input %s has %s=%q (present %v), want a number", pg.URL.Path, name, key, v, ok)
		}
		return n
	}
	noAttr := func(pg *page, name, key string) {
		t.Helper()
		if v, ok := pg.Doc.Find(`input[name="` + name + `"]`).Attr(key); ok {
			t.Errorf("%s: input %s has %s=%q, which the server does not ask", pg.URL.Path, name, key, v)
		}
	}
	username := func(n int) string { return "a" + strings.Repeat("x", n-1) }
	name := func(n int) string { return strings.Repeat("é", n) } // runes, as the server counts
	emails := 0
	fields := func(over map[string]string) map[string]string {
		emails++
		f := map[string]string{"email_address": fmt.Sprintf("u%d@example.com", emails), "username": username(8),
			"password": goodPassword, "first_name": "Ada", "last_name": "Lovelace"}
		maps.Copy(f, over)
		return f
	}

	form := newBrowser(t, p).get("/sign-up")
	minU, maxU := attr(form, "username", "minlength"), attr(form, "username", "maxlength")
	if minU != user.UsernameMin || maxU != user.UsernameMax {
		t.Errorf("sign-up username: minlength %d maxlength %d, want %d and %d", minU, maxU, user.UsernameMin, user.UsernameMax)
	}
	for _, c := range []struct {
		field, value string
		ok           bool
	}{
		{"username", username(minU), true}, {"username", username(maxU), true},
		{"username", username(minU - 1), false}, {"username", username(maxU + 1), false},
		{"first_name", name(attr(form, "first_name", "maxlength")), true},
		{"first_name", name(attr(form, "first_name", "maxlength") + 1), false},
		{"last_name", name(attr(form, "last_name", "maxlength")), true},
		{"last_name", name(attr(form, "last_name", "maxlength") + 1), false},
	} {
		pg := signUpWith(newBrowser(t, p), fields(map[string]string{c.field: c.value}), "")
		if got := messageFor(pg, c.field) == ""; got != c.ok {
			t.Errorf("sign-up with a %d-character %s: accepted %v, want %v (status %d, %q)",
				utf8.RuneCountInString(c.value), c.field, got, c.ok, pg.Status, messageFor(pg, c.field))
		}
	}
	noAttr(form, "first_name", "minlength")
	noAttr(form, "last_name", "minlength")

	b := newBrowser(t, p)
	pg := signUpWith(b, fields(nil), "")
	b.submit(pg, verifyForm, map[string]string{"code": p.SMTP.WaitFor(t, fmt.Sprintf("u%d@example.com", emails), mailWait).Code()})
	account := b.get("/user")
	if minA, maxA := attr(account, "username", "minlength"), attr(account, "username", "maxlength"); minA != minU || maxA != maxU {
		t.Errorf("account username: minlength %d maxlength %d, want %d and %d", minA, maxA, minU, maxU)
	}
	for _, field := range []string{"first_name", "last_name"} {
		noAttr(account, field, "minlength")
		max := attr(account, field, "maxlength")
		over := b.submit(account, profileForm, map[string]string{field: name(max + 1)})
		if over.Status != http.StatusUnprocessableEntity || messageFor(over, field) == "" {
			t.Errorf("account %s of %d characters: status %d, error %q; want it refused", field, max+1, over.Status, messageFor(over, field))
		}
		if at := b.submit(account, profileForm, map[string]string{field: name(max)}); at.Status != http.StatusOK || messageFor(at, field) != "" {
			t.Errorf("account %s of %d characters: status %d, error %q; want it saved", field, max, at.Status, messageFor(at, field))
		}
	}
}

// On an instance with usernames only there is no other way in than the
// password and no reset, so a wrong password is not told to "use another
// method"; unknown usernames get the same answer. Where the page does
// offer more ("Forgot password?"), the message still points to it.
func TestUsernameOnlyWrongPasswordOffersNoOtherMethod(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_IDENTIFIERS": "username"}})
	up := signUpWith(newBrowser(t, p), map[string]string{"username": "ada_l", "password": goodPassword,
		"first_name": "Ada", "last_name": "Lovelace"}, appURL)
	wantHandBack(t, up, http.StatusSeeOther, appURL)

	for _, who := range []string{"ada_l", "nobody_here"} {
		b := newBrowser(t, p)
		step := passwordStep(t, b, who, "")
		if n := step.Doc.Find(prepareForm).Length() + step.Doc.Find(`a:contains("Forgot password?")`).Length(); n != 0 {
			t.Fatalf("%s: the password step offers %d other ways in:\n%s", who, n, step.text())
		}
		wrong := b.submit(step, passwordForm, map[string]string{"password": wrongPassword})
		if got := messageFor(wrong, "password"); wrong.Status != http.StatusUnprocessableEntity || got != "Password is incorrect. Try again." {
			t.Errorf("%s: status %d, password error %q; want 422 and %q", who, wrong.Status, got, "Password is incorrect. Try again.")
		}
	}

	q := portaltest.Start(t, portaltest.Options{})
	signUp(t, q, newBrowser(t, q), "ada@example.com", "")
	b := newBrowser(t, q)
	wrong := b.submit(passwordStep(t, b, "ada@example.com", ""), passwordForm, map[string]string{"password": wrongPassword})
	if got := messageFor(wrong, "password"); !strings.Contains(got, "or use another method") {
		t.Errorf("with Forgot password? on the page the error is %q; want it to point there", got)
	}
}
