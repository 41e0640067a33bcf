package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/testutil/portaltest"
)

const (
	knownEmail   = "known@example.com"
	unknownEmail = "nobody@example.com"
)

// sameAnswer fails unless two responses read the same once what legitimately
// differs (IDs, tokens, the address typed) is blanked.
func sameAnswer(t *testing.T, what string, a, b *page, emailA, emailB string) {
	t.Helper()
	if a.Status != b.Status {
		t.Errorf("%s: status %d for %s, %d for %s", what, a.Status, emailA, b.Status, emailB)
	}
	if va, vb := normalise(strings.Join(a.Via, " "), emailA), normalise(strings.Join(b.Via, " "), emailB); va != vb {
		t.Errorf("%s: redirected via %q for %s, %q for %s", what, va, emailA, vb, emailB)
	}
	if na, nb := normalise(a.Body, emailA), normalise(b.Body, emailB); na != nb {
		t.Errorf("%s: pages differ for %s and %s:\n%s\n---\n%s", what, emailA, emailB, na, nb)
	}
}

// REQ-RL-05: sign-in reveals nothing about which addresses have accounts —
// not by status, page or hashing work.
func TestSignInDoesNotRevealAccounts_REQ_RL_05(t *testing.T) {
	hasher := portaltest.FastHasher()
	p := portaltest.Start(t, portaltest.Options{Hasher: hasher})
	signUp(t, p, newBrowser(t, p), knownEmail, "")

	b := newBrowser(t, p)
	known, unknown := passwordStep(t, b, knownEmail, ""), passwordStep(t, b, unknownEmail, "")
	sameAnswer(t, "identifier step", known, unknown, knownEmail, unknownEmail)

	attempt := func(step *page) (*page, uint64) {
		before := hasher.Computations()
		pg := b.submit(step, passwordForm, map[string]string{"password": wrongPassword})
		return pg, hasher.Computations() - before
	}
	k, kWork := attempt(known)
	u, uWork := attempt(unknown)
	if k.Status != http.StatusUnprocessableEntity {
		t.Errorf("wrong password: status %d, want 422", k.Status)
	}
	sameAnswer(t, "wrong password", k, u, knownEmail, unknownEmail)
	if kWork != 1 || uWork != 1 {
		t.Errorf("argon2 runs: %d for a known account, %d for an unknown one; want 1 each", kWork, uWork)
	}
}

// REQ-RL-05: signing up with an address that has an account looks exactly
// like a new sign-up; the owner is told by email and the visitor never gets
// a code.
func TestSignUpDoesNotRevealAccounts_REQ_RL_05(t *testing.T) {
	hasher := portaltest.FastHasher()
	p := portaltest.Start(t, portaltest.Options{Hasher: hasher})
	signUp(t, p, newBrowser(t, p), knownEmail, "")
	const newEmail = "newcomer@example.com"

	b := newBrowser(t, p)
	try := func(email string) (*page, uint64) {
		before := hasher.Computations()
		pg := b.submit(b.get("/sign-up"), signUpForm, map[string]string{
			"email_address": email, "password": goodPassword, "first_name": "Eve", "last_name": "Visitor"})
		return pg, hasher.Computations() - before
	}
	existing, eWork := try(knownEmail)
	fresh, fWork := try(newEmail)
	if fresh.Status != http.StatusOK || len(fresh.Via) != 1 || !strings.HasPrefix(fresh.Via[0], "/sign-up/verify-email-address?sign_up=sua_") {
		t.Fatalf("new sign-up: status %d via %v, want the verify page", fresh.Status, fresh.Via)
	}
	sameAnswer(t, "sign-up", existing, fresh, knownEmail, newEmail)
	if eWork != fWork {
		t.Errorf("argon2 runs: %d for an existing address, %d for a new one", eWork, fWork)
	}

	// Mail is sent before the response, so everything for both is in by now.
	if m := p.SMTP.WaitFor(t, newEmail, mailWait); m.Code() == "" {
		t.Errorf("the new address got no code: %q", m.Subject)
	}
	owner := p.SMTP.WaitFor(t, knownEmail, mailWait)
	if !strings.Contains(owner.Subject, "already have") || owner.Code() != "" {
		t.Errorf("the owner got %q (code %q), want the 'already have an account' email and no code", owner.Subject, owner.Code())
	}
	var toOwner int
	for _, m := range p.SMTP.Messages() {
		for _, to := range m.To {
			if strings.EqualFold(to, knownEmail) {
				toOwner++
			}
		}
	}
	if toOwner != 2 { // the owner's own sign-up code, then the notice
		t.Errorf("%d messages to the owner, want 2", toOwner)
	}

	// Guessing a code gets the visitor nowhere.
	guess := b.submit(existing, verifyForm, map[string]string{"code": "123456"})
	if guess.Status < 400 || guess.Status > 499 || guess.setCookie("__session") != nil {
		t.Errorf("guessed code for an existing address: status %d", guess.Status)
	}
}

// REQ-RL-05 under PORTAL_ENUMERATION_PROTECTION=strict: the ways in offered
// after the identifier depend on what kind of identifier was typed, never on
// the account: one with a password, one without (made through the Backend
// API) and an unknown address get the same page, and so do a known and an
// unknown username. After a username the code goes to the account's own
// address, which the page does not show, even partly hidden. (The standard
// mode offers the factors the account has, as the contract says; see
// TestPasskeyAfterIdentifier and TestPasswordResetBySMS_REQ_PW_07.)
func TestStrictSignInChoicesDoNotRevealAccounts_REQ_RL_05(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_IDENTIFIERS": "email,username",
		"PORTAL_ENUMERATION_PROTECTION": "strict"}})
	signUpWith(newBrowser(t, p), map[string]string{"email_address": knownEmail, "username": "known_k", "password": goodPassword}, "")
	p.SMTP.WaitFor(t, knownEmail, mailWait)
	for _, body := range []map[string]any{
		{"email_address": []string{"nopass@example.com"}, "skip_password_requirement": true},
		{"email_address": []string{"ada@example.com"}, "username": "ada_l", "password": goodPassword},
	} {
		if r := api(t, p, http.MethodPost, "/v1/users", body, nil); r.Status != http.StatusOK {
			t.Fatalf("create %v: %d %s", body, r.Status, r.Body)
		}
	}
	b := newBrowser(t, p)
	step := func(identifier string) *page { return passwordStep(t, b, identifier, "") }

	known := step(knownEmail)
	for _, other := range []string{"nopass@example.com", unknownEmail} {
		sameAnswer(t, "first factor page", known, step(other), knownEmail, other)
	}
	for _, want := range []string{"Email a code to " + knownEmail, "Email a sign-in link to " + knownEmail, "Sign in with a passkey"} {
		if !strings.Contains(known.text(), want) {
			t.Errorf("after an address: no %q in\n%s", want, known.text())
		}
	}

	ada, nobody := step("ada_l"), step("nobody_n")
	sameAnswer(t, "first factor page after a username", ada, nobody, "ada_l", "nobody_n")
	if !strings.Contains(ada.text(), "Email a code to the address on your account") || strings.Contains(ada.text(), "@") {
		t.Errorf("after a username the page should name no address:\n%s", ada.text())
	}
	before := len(p.SMTP.Messages())
	sent := b.submit(ada, prepareForm, map[string]string{"strategy": "email_code"})
	unsent := b.submit(nobody, prepareForm, map[string]string{"strategy": "email_code"})
	sameAnswer(t, "the code page after a username", sent, unsent, "ada_l", "nobody_n")
	if m := p.SMTP.WaitFor(t, "ada@example.com", mailWait); len(m.Code()) != 6 {
		t.Errorf("ada's code email: %q", m.Subject)
	}
	if got := len(p.SMTP.Messages()) - before; got != 1 {
		t.Errorf("%d emails after asking codes for a username and an unknown one, want 1", got)
	}
}
