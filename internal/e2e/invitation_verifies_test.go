package e2e

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"

	"github.com/portalhq/portal/internal/admin"
	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/org"
	"github.com/portalhq/portal/internal/testutil/portaltest"
	"github.com/portalhq/portal/internal/user"
)

// wantCodeStep fails unless pg, the answer to a sign-up form, is the step
// that waits for an emailed code, or the form refused: what the
// invitation's link vouches for is only its own live address (REQ-IN-09:
// no sign-up without a verified address).
func wantCodeStep(t *testing.T, what string, pg *page) {
	t.Helper()
	if pg.Status == http.StatusUnprocessableEntity && pg.Doc.Find(signUpForm).Length() == 1 {
		return
	}
	if pg.Status != http.StatusOK || pg.Doc.Find(verifyForm).Length() != 1 {
		t.Errorf("%s: status %d, want the code step:\n%s", what, pg.Status, pg.text())
	}
}

// An organization invitation's link verifies the address it was sent to,
// and nothing else: not a look-alike typed instead (plus-address, trailing
// dot, another letter), not once the invitation was resent (the old
// link's ticket) or revoked; the same address in other letter case or
// with spaces is the same address.
func TestInvitationLinkVerifiesOnlyItsLiveAddress_REQ_IN_09(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ada := signedUp(t, p, "ada@example.com")
	acme := ada.createOrg(t, p, "Acme")
	noAccount := func(email string) {
		t.Helper()
		if _, err := p.Store.Q.UserByIdentifier(context.Background(), user.Email, email); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("an account has %s (err %v)", email, err)
		}
	}

	link := ada.invite(t, p, acme.OrgID, "bob@example.com", org.RoleMember)
	for _, typed := range []string{"bob+x@example.com", "bob@example.com.", "bob@example.co", "b0b@example.com"} {
		b := newBrowser(t, p)
		form := b.get(link)
		wantCodeStep(t, "signing up as "+typed, b.submit(form, signUpForm, map[string]string{
			"email_address": typed, "password": goodPassword}))
		noAccount(typed)
	}
	noAccount("bob@example.com")

	// Resent: the first email's link vouches for nothing any more, even
	// in a browser that opened it while it was live.
	early := newBrowser(t, p)
	earlyForm := early.get(link)
	inv := ada.b.get("/organizations/" + acme.OrgID + "/invitations")
	wantText(t, "resent", ada.b.submit(inv, `form[action$="/resend"]`, nil), http.StatusOK, "The invitation was sent again.")
	second := p.SMTP.WaitFor(t, "bob@example.com", mailWait).Link()
	wantCodeStep(t, "the first link's browser after a resend", early.submit(earlyForm, signUpForm,
		map[string]string{"password": goodPassword}))

	// Revoked while its browser holds the live link.
	late := newBrowser(t, p)
	lateForm := late.get(second)
	inv = ada.b.get("/organizations/" + acme.OrgID + "/invitations")
	wantText(t, "revoked", ada.b.submit(inv, `form[action$="/revoke"]`, nil), http.StatusOK, "The invitation is revoked.")
	wantCodeStep(t, "the link's browser after a revocation", late.submit(lateForm, signUpForm,
		map[string]string{"password": goodPassword}))
	noAccount("bob@example.com")

	// The same address, however written, is the invited one.
	link = ada.invite(t, p, acme.OrgID, "carol@example.com", org.RoleMember)
	carol := newBrowser(t, p)
	form := carol.get(link)
	wantHandBack(t, carol.submit(form, signUpForm, map[string]string{"email_address": "  Carol@EXAMPLE.com ",
		"password": goodPassword}), http.StatusSeeOther, appURL)
}

// Two browsers that opened the same invitation link sign up with its
// address at the same moment: one account is made, and the other browser
// is told, not answered with a 500 (REQ-IN-10, REQ-AC-06).
func TestInvitationLinkSignUpRaceMakesOneAccount_REQ_IN_10(t *testing.T) {
	for _, pg := range []bool{false, true} {
		t.Run(map[bool]string{false: "sqlite", true: "postgres"}[pg], func(t *testing.T) { invitationSignUpRace(t, pg) })
	}
}

func invitationSignUpRace(t *testing.T, postgres bool) {
	p := portaltest.Start(t, portaltest.Options{Postgres: postgres})
	ada := signedUp(t, p, "ada@example.com")
	acme := ada.createOrg(t, p, "Acme")
	link := ada.invite(t, p, acme.OrgID, "bob@example.com", org.RoleMember)

	const n = 2
	var browsers [n]*browser
	var forms [n]*page
	for i := range n {
		browsers[i] = newBrowser(t, p)
		forms[i] = browsers[i].get(link)
	}
	var answers [n]*page
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			answers[i] = browsers[i].submit(forms[i], signUpForm, map[string]string{"password": goodPassword})
		})
	}
	wg.Wait()
	signedIn := 0
	for i, pg := range answers {
		if pg.Status >= 500 {
			t.Errorf("browser %d: status %d:\n%s", i, pg.Status, pg.text())
		}
		if pg.setCookie("__session") != nil || pg.Status == http.StatusSeeOther {
			signedIn++
		}
	}
	if signedIn != 1 {
		t.Errorf("%d browsers signed in as bob@example.com, want exactly 1", signedIn)
	}
	if n, err := p.Store.Q.CountUsers(context.Background(), admin.UserFilter{EmailAddresses: []string{"bob@example.com"}}); err != nil || n != 1 {
		t.Errorf("accounts with bob@example.com: %d (%v), want 1", n, err)
	}
}
