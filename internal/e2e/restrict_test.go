package e2e

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/testutil/portaltest"
	"github.com/portalhq/portal/internal/user"
)

// Messages of the restrictions (catalog error.restrict.*).
const (
	refusedEmail    = "This email address can't be used to sign up or sign in here."
	refusedPhone    = "This phone number can't be used to sign up or sign in here."
	refusedUsername = "This username can't be used to sign up or sign in here."
	refusedPlus     = `Email addresses with a "+" can't be used here.`
	noneAllowed     = "Sign-up here is limited to approved email addresses, phone numbers and usernames."
)

// fieldErrorOf is the message shown under the form field name.
func fieldErrorOf(pg *page, name string) string {
	return strings.TrimSpace(pg.Doc.Find("#" + name + "-error").Text())
}

// wantSignUpRefused checks a sign-up form came back 422 with msg under
// field, everything typed kept but the password, and nothing sent or
// written: no email, no event, no account for any of the identifiers.
func wantSignUpRefused(t *testing.T, p *portaltest.Portal, pg *page, typed map[string]string, field, msg string) {
	t.Helper()
	if pg.Status != http.StatusUnprocessableEntity || pg.Doc.Find(signUpForm).Length() != 1 {
		t.Fatalf("status %d, want 422 with the sign-up form again:\n%s", pg.Status, pg.text())
	}
	if got := fieldErrorOf(pg, field); got != msg {
		t.Errorf("error under %s = %q, want %q:\n%s", field, got, msg, pg.text())
	}
	for name, v := range typed {
		if name == "password" {
			continue
		}
		if got, _ := inputValue(pg, name); got != v {
			t.Errorf("%s = %q, want %q kept", name, got, v)
		}
	}
	if pw := typed["password"]; pw != "" && strings.Contains(pg.Body, pw) {
		t.Error("the password is echoed back")
	}
	if n := len(p.SMTP.Messages()); n != 0 {
		t.Errorf("%d emails sent for a refused sign-up", n)
	}
	evs, err := p.Store.Q.EventsAfter(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 0 {
		t.Errorf("%d events written for a refused sign-up, first %s", len(evs), evs[0].Type)
	}
	for kind, name := range map[string]string{user.Email: "email_address", user.Username: "username"} {
		if v := typed[name]; v != "" {
			if _, err := p.Store.Q.UserByIdentifier(context.Background(), kind, strings.ToLower(v)); !errors.Is(err, apperr.ErrNotFound) {
				t.Errorf("account with %s %s: err %v, want none", kind, v, err)
			}
		}
	}
}

// The blocklist refuses sign-up by any identifier on it, whatever the case
// it is typed in, on the field that carries it.
func TestSignUpRefusedByBlocklist(t *testing.T) {
	env := map[string]string{
		"PORTAL_IDENTIFIERS": "email,phone,username",
		"PORTAL_BLOCKLIST":   "@spam.example, mallory@example.com, +1 415 555 0100, admin",
	}
	ok := func(over map[string]string) map[string]string {
		m := map[string]string{"email_address": "ada@example.com", "phone_number": "+1 415 555 0199",
			"username": "ada_l", "password": goodPassword, "first_name": "Ada", "last_name": "Lovelace"}
		for k, v := range over {
			m[k] = v
		}
		return m
	}
	for _, tc := range []struct {
		name, field, msg string
		typed            map[string]string
	}{
		{"domain", "email_address", refusedEmail, ok(map[string]string{"email_address": "eve@SPAM.example"})},
		{"address", "email_address", refusedEmail, ok(map[string]string{"email_address": "Mallory@Example.com"})},
		{"phone in another format", "phone_number", refusedPhone, ok(map[string]string{"phone_number": "+1 (415) 555-0100"})},
		{"username", "username", refusedUsername, ok(map[string]string{"username": "Admin"})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := portaltest.Start(t, portaltest.Options{Env: env})
			pg := signUpWith(newBrowser(t, p), tc.typed, "")
			wantSignUpRefused(t, p, pg, tc.typed, tc.field, tc.msg)
		})
	}

	// Everyone else signs up as usual.
	p := portaltest.Start(t, portaltest.Options{Env: env})
	pg := signUpWith(newBrowser(t, p), ok(nil), "")
	if pg.Status != http.StatusOK || len(pg.Via) != 1 || !strings.HasPrefix(pg.Via[0], "/sign-up/verify-email-address") {
		t.Fatalf("allowed sign-up: status %d via %v, want the verify page:\n%s", pg.Status, pg.Via, pg.text())
	}
}

// With an allowlist only listed identifiers sign up; an address at the
// listed domain gets through the whole flow, and leaving the listed kind
// out (a username alone) does not get around the list.
func TestSignUpRefusedByAllowlist(t *testing.T) {
	env := map[string]string{"PORTAL_ALLOWLIST": "@corp.example, grace@partner.example"}
	p := portaltest.Start(t, portaltest.Options{Env: env})
	typed := map[string]string{"email_address": "ada@elsewhere.example", "password": goodPassword,
		"first_name": "Ada", "last_name": "Lovelace"}
	wantSignUpRefused(t, p, signUpWith(newBrowser(t, p), typed, ""), typed, "email_address", refusedEmail)

	for _, email := range []string{"ada@corp.example", "Grace@Partner.example"} {
		wantHandBack(t, signUp(t, p, newBrowser(t, p), email, appURL), http.StatusSeeOther, appURL)
		wantVerified(t, p, user.Email, strings.ToLower(email))
	}

	// Email optional: a username and password alone would be an account
	// the allowlist never saw.
	p = portaltest.Start(t, portaltest.Options{Env: map[string]string{
		"PORTAL_ALLOWLIST": "@corp.example", "PORTAL_IDENTIFIERS": "email,username",
		"PORTAL_SIGN_UP_REQUIRED": "username,password"}})
	typed = map[string]string{"username": "sneaky", "password": goodPassword, "first_name": "Eve", "last_name": "Visitor"}
	wantSignUpRefused(t, p, signUpWith(newBrowser(t, p), typed, ""), typed, "username", noneAllowed)
	typed["email_address"] = "eve@corp.example"
	if pg := signUpWith(newBrowser(t, p), typed, ""); pg.Status != http.StatusOK || len(pg.Via) != 1 {
		t.Errorf("username with an allowed address: status %d via %v, want the verify page:\n%s", pg.Status, pg.Via, pg.text())
	}
}

// An account the operator made through the Backend API is theirs to make:
// the lists do not apply there. At the sign-in identifier step a blocked
// address is refused with 422 and the address kept, the same answer
// whether or not it has an account, so it reveals none (REQ-RL-05); other
// accounts sign in as usual.
func TestSignInRefusedForBlockedAddress_REQ_RL_05(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_BLOCKLIST": "@spam.example"}})
	for _, email := range []string{"eve@spam.example", "ada@example.com"} {
		if r := api(t, p, http.MethodPost, "/v1/users", map[string]any{"email_address": []string{email},
			"password": goodPassword}, nil); r.Status != http.StatusOK {
			t.Fatalf("Backend API create %s: %d %s", email, r.Status, r.Body)
		}
		wantVerified(t, p, user.Email, email)
	}

	b := newBrowser(t, p)
	try := func(identifier string) *page {
		return b.submit(b.get("/sign-in"), signInForm, map[string]string{"identifier": identifier})
	}
	known, unknown := try("Eve@Spam.example"), try("nobody@spam.example")
	for _, pg := range []*page{known, unknown} {
		if pg.Status != http.StatusUnprocessableEntity || pg.Doc.Find(passwordForm).Length() != 0 {
			t.Fatalf("blocked address: status %d, want 422 on the identifier step:\n%s", pg.Status, pg.text())
		}
		if got := fieldErrorOf(pg, "identifier"); got != refusedEmail {
			t.Errorf("error under identifier = %q, want %q", got, refusedEmail)
		}
	}
	if v, _ := inputValue(known, "identifier"); v != "Eve@Spam.example" {
		t.Errorf("identifier = %q, want what was typed", v)
	}
	sameAnswer(t, "blocked identifier", known, unknown, "Eve@Spam.example", "nobody@spam.example")
	if n := count(t, p); n.sessions != 0 {
		t.Errorf("%d sessions, want none", n.sessions)
	}

	wantHandBack(t, signIn(t, newBrowser(t, p), "ada@example.com", goodPassword, appURL), http.StatusSeeOther, appURL)
}

// The allowlist decides who joins, not who signs in: an account the operator
// made through the Backend API outside it signs in as usual. An account that
// holds a blocked address cannot sign in by another identifier either: its
// username and the right password end in "can't sign in", with no session.
func TestListsAtSignInJudgeTheAccount(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_IDENTIFIERS": "email,username",
		"PORTAL_ALLOWLIST": "@corp.example", "PORTAL_BLOCKLIST": "@spam.example"}})
	for _, body := range []map[string]any{
		{"email_address": []string{"guest@elsewhere.example"}, "password": goodPassword},
		{"email_address": []string{"eve@spam.example"}, "username": "eve_e", "password": goodPassword},
	} {
		if r := api(t, p, http.MethodPost, "/v1/users", body, nil); r.Status != http.StatusOK {
			t.Fatalf("Backend API create %v: %d %s", body, r.Status, r.Body)
		}
	}
	wantHandBack(t, signIn(t, newBrowser(t, p), "guest@elsewhere.example", goodPassword, appURL), http.StatusSeeOther, appURL)

	pg := signIn(t, newBrowser(t, p), "eve_e", goodPassword, appURL)
	if pg.Status < 400 || !strings.Contains(pg.text(), "This account can't sign in.") || pg.setCookie("__session") != nil {
		t.Errorf("eve by username: status %d, session cookie %v:\n%s", pg.Status, pg.setCookie("__session"), pg.text())
	}
	if n := count(t, p); n.sessions != 1 {
		t.Errorf("%d sessions, want only the guest's", n.sessions)
	}
}

// PORTAL_BLOCK_EMAIL_SUBADDRESSES refuses new addresses with a "+", at
// sign-up and on /user; an account that has one already still signs in.
func TestEmailSubaddressesBlocked(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_BLOCK_EMAIL_SUBADDRESSES": "true"}})
	typed := map[string]string{"email_address": "ada+news@example.com", "password": goodPassword,
		"first_name": "Ada", "last_name": "Lovelace"}
	pg := signUpWith(newBrowser(t, p), typed, "")
	wantSignUpRefused(t, p, pg, typed, "email_address", refusedPlus+" Use your address without the + part.")

	if r := api(t, p, http.MethodPost, "/v1/users", map[string]any{"email_address": []string{"old+timer@example.com"},
		"password": goodPassword}, nil); r.Status != http.StatusOK {
		t.Fatalf("Backend API create: %d %s", r.Status, r.Body)
	}
	wantHandBack(t, signIn(t, newBrowser(t, p), "old+timer@example.com", goodPassword, appURL), http.StatusSeeOther, appURL)

	b := newBrowser(t, p)
	signUp(t, p, b, "ada@example.com", "")
	pg = b.submit(b.get("/user/email-addresses/new"), addEmailForm, map[string]string{"email_address": "ada+work@example.com"})
	if pg.Status != http.StatusUnprocessableEntity || !strings.HasPrefix(fieldErrorOf(pg, "email_address"), refusedPlus) {
		t.Errorf("adding a subaddress: status %d, error %q:\n%s", pg.Status, fieldErrorOf(pg, "email_address"), pg.text())
	}
	if u := userByEmail(t, p, "ada@example.com"); u.Has(user.Email, "ada+work@example.com") || len(u.Identifiers) != 1 {
		t.Errorf("identifiers after a refused addition: %+v", u.Identifiers)
	}
}

// A provider account whose email the lists refuse neither signs up nor
// signs in: the refusal page says why and nothing is created.
func TestOAuthSignUpRefusedByRestrictions(t *testing.T) {
	for name, env := range map[string]map[string]string{
		"blocklist": {"PORTAL_BLOCKLIST": "@example.com"},
		"allowlist": {"PORTAL_ALLOWLIST": "@corp.example"},
	} {
		t.Run(name, func(t *testing.T) {
			p, _ := startWithOIDC(t, portaltest.Options{Env: env}) // the provider's user is ada@example.com
			b := newBrowser(t, p)
			before := count(t, p)
			// "Continue with" on /sign-in creates the account as well.
			pg := viaProvider(t, b, providerButton(t, b.get(withRedirect("/sign-in", appURL)), corp))
			wantOAuthRefused(t, p, pg, before, http.StatusUnprocessableEntity, "Signing in with "+corpDisplay+" didn't work")
			if !strings.Contains(pg.text(), refusedEmail) {
				t.Errorf("the page does not say why:\n%s", pg.text())
			}
			if _, err := p.Store.Q.UserByIdentifier(context.Background(), user.Email, "ada@example.com"); !errors.Is(err, apperr.ErrNotFound) {
				t.Errorf("account for the provider's address: err %v, want none", err)
			}
		})
	}

	// The same provider account at an allowed address signs up.
	p, op := startWithOIDC(t, portaltest.Options{Env: map[string]string{"PORTAL_ALLOWLIST": "@corp.example"}})
	op.SetUser("user-2", "grace@corp.example", true, "Grace", "Hopper")
	b := newBrowser(t, p)
	wantHandBack(t, viaProvider(t, b, providerButton(t, b.get(withRedirect("/sign-up", appURL)), corp)), http.StatusSeeOther, appURL)
	wantVerified(t, p, user.Email, "grace@corp.example")
}

// An address on the blocklist can't be added on /user either; no code is
// sent to it.
func TestAddingBlockedAddressOnAccountPage(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_BLOCKLIST": "@spam.example"}})
	b := newBrowser(t, p)
	signUp(t, p, b, "ada@example.com", "")

	pg := b.submit(b.get("/user/email-addresses/new"), addEmailForm, map[string]string{"email_address": "ada@spam.example"})
	if pg.Status != http.StatusUnprocessableEntity || fieldErrorOf(pg, "email_address") != refusedEmail {
		t.Fatalf("adding a blocked address: status %d, error %q:\n%s", pg.Status, fieldErrorOf(pg, "email_address"), pg.text())
	}
	if v, _ := inputValue(pg, "email_address"); v != "ada@spam.example" {
		t.Errorf("email_address = %q, want what was typed", v)
	}
	for _, m := range p.SMTP.Messages() {
		for _, to := range m.To {
			if strings.Contains(to, "spam.example") {
				t.Errorf("a message went to %s: %q", to, m.Subject)
			}
		}
	}
	if u := userByEmail(t, p, "ada@example.com"); len(u.Identifiers) != 1 {
		t.Errorf("identifiers after a refused addition: %+v", u.Identifiers)
	}
	// Another address is added as usual.
	addEmail(t, p, b, "ada@work.example")
	wantVerified(t, p, user.Email, "ada@work.example")
}
