package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/org"
	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// The link of an invitation email that Resend replaced still lets nobody
// in, but says what to do: a newer invitation to the organization was
// emailed, and its link is the one to use (not "ask for a new one", which
// the person already has). Also for someone who opened the older link,
// began signing up, and sent the form after the resend: they are signed
// up (by a code: the replaced link proves nothing), not made a member, and
// told the same.
func TestResentInvitationsOldLinkPointsToTheNewerEmail(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ada := signedUp(t, p, "ada@example.com")
	acme := ada.createOrg(t, p, "Acme")
	first := ada.invite(t, p, acme.OrgID, "grace@example.com", org.RoleMember)
	resend := func() string {
		t.Helper()
		inv := ada.b.get("/organizations/" + acme.OrgID + "/invitations")
		wantText(t, "resent", ada.b.submit(inv, `form[action$="/resend"]`, nil), http.StatusOK, "The invitation was sent again.")
		return p.SMTP.WaitFor(t, "grace@example.com", mailWait).Link()
	}
	second := resend()

	const (
		heading = "This invitation link was replaced"
		says    = "A newer invitation to Acme was emailed to you, and only its link works now. Use the link in the most recent invitation email."
	)
	grace := newBrowser(t, p)
	old := grace.get(first)
	wantText(t, "the older email's link", old, http.StatusGone, heading, says)
	if strings.Contains(old.text(), "Ask for a new one") {
		t.Errorf("the older link tells Grace to ask for a new invitation:\n%s", old.text())
	}
	if grace.cookie("__invitation") != "" {
		t.Error("the older link's ticket is kept for after signing up")
	}
	// The newer link works; Grace starts signing up with it…
	form := grace.get(second)
	if !strings.HasPrefix(form.URL.Path, "/sign-up") {
		t.Fatalf("the newer link led to %s", form.URL)
	}
	// …and Ada sends it again meanwhile. The replaced link no longer
	// vouches for the address, so a code does.
	resend()
	verify := grace.submit(form, signUpForm, map[string]string{"password": goodPassword, "first_name": "Grace", "last_name": "H"})
	code := p.SMTP.WaitFor(t, "grace@example.com", mailWait).Code()
	done := grace.submit(verify, verifyForm, map[string]string{"code": code})
	wantText(t, "signed up with a link replaced meanwhile", done, http.StatusGone, heading, says)
	if _, err := p.Store.Q.MembershipOf(context.Background(), acme.OrgID, userID(t, p, "grace@example.com")); err == nil {
		t.Error("a replaced link made Grace a member")
	}

	// A ticket nobody sent says only that the invitation can't be used.
	wantText(t, "a made-up ticket", newBrowser(t, p).get("/accept-invitation?ticket=not-a-ticket"), http.StatusGone,
		"This invitation can't be used")
}
