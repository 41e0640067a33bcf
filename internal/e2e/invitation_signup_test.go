package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/org"
	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// A person without an account who opens an organization's invitation lands
// on sign-up, and the page says what the account is for: who invited them
// to which organization, as Clerk's sign-up from an invitation does; still
// so when the form comes back with a mistake. An invitation the Backend
// API sent names no one; an application invitation's sign-up, and a plain
// one, keep the usual welcome. The address field says the invitation went
// to that address.
func TestInvitationSignUpNamesTheOrganization(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ada := signedUp(t, p, "ada@example.com")
	acme := ada.createOrg(t, p, "Acme Rockets")
	link := ada.invite(t, p, acme.OrgID, "bob@example.com", org.RoleMember)

	const welcome = "Welcome! Please fill in the details to get started."
	subtitle := func(pg *page) string {
		return strings.Join(strings.Fields(pg.Doc.Find(".cl-headerSubtitle").Text()), " ")
	}

	bob := newBrowser(t, p)
	pg := bob.get(link)
	if !strings.HasPrefix(pg.URL.Path, "/sign-up") {
		t.Fatalf("the invitation led to %s", pg.URL)
	}
	if got, want := subtitle(pg), "Ada Lovelace invited you to join Acme Rockets. Create your account to accept."; got != want {
		t.Errorf("sign-up from the invitation says %q, want %q", got, want)
	}
	again := bob.submit(pg, signUpForm, map[string]string{"password": "short"})
	if again.Status != http.StatusUnprocessableEntity || subtitle(again) != subtitle(pg) {
		t.Errorf("the form back with a mistake: status %d, says %q", again.Status, subtitle(again))
	}
	// Under the address, whose it is: someone sent another person's
	// invitation link sees that the account would have that address. The
	// hint is tied to the field for screen readers, and goes when another
	// address is typed.
	hint := func(pg *page) string {
		in := pg.Doc.Find(`input[name="email_address"]`)
		id := in.AttrOr("aria-describedby", "")
		if id == "" {
			return ""
		}
		return strings.TrimSpace(pg.Doc.Find("#" + strings.Fields(id)[0]).Text())
	}
	if got := hint(pg); got != "Your invitation was sent to this address." {
		t.Errorf("the invited address's hint is %q", got)
	}
	if got := hint(bob.submit(pg, signUpForm, map[string]string{"email_address": "robert@example.com", "password": "short"})); got != "" {
		t.Errorf("another address typed: the hint is %q, want none", got)
	}

	var inv struct{ ID string }
	api(t, p, http.MethodPost, "/v1/organizations/"+acme.OrgID+"/invitations",
		map[string]any{"email_address": "cy@example.com", "role": org.RoleMember}, &inv)
	if inv.ID == "" {
		t.Fatal("the Backend API made no invitation")
	}
	pg = newBrowser(t, p).get(p.SMTP.WaitFor(t, "cy@example.com", mailWait).Link())
	if got, want := subtitle(pg), "Create your account to join Acme Rockets."; got != want {
		t.Errorf("sign-up from the Backend API's invitation says %q, want %q", got, want)
	}

	var appInv struct{ ID, URL string }
	api(t, p, http.MethodPost, "/v1/invitations", map[string]any{"email_address": "dee@example.com"}, &appInv)
	dee := newBrowser(t, p)
	pg = dee.get(p.SMTP.WaitFor(t, "dee@example.com", mailWait).Link())
	if !strings.HasPrefix(pg.URL.Path, "/sign-up") || subtitle(pg) != welcome {
		t.Errorf("sign-up from an application invitation (%s) says %q, want %q", pg.URL, subtitle(pg), welcome)
	}
	if got := subtitle(newBrowser(t, p).get("/sign-up")); got != welcome {
		t.Errorf("plain sign-up says %q, want %q", got, welcome)
	}
}

// An inviter with no name on file is named by their verified address, as
// the invitation's email names them, on sign-up and on the page that asks
// a signed-in invitee to join: both said only "Create your account to
// join Acme Rockets." or named nobody.
func TestInvitationFromSomeoneWithoutANameGivesTheirAddress(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ada := signedUp(t, p, "ada@example.com")
	api(t, p, http.MethodPatch, "/v1/users/"+ada.id, map[string]any{"first_name": "", "last_name": ""}, nil)
	acme := ada.createOrg(t, p, "Acme Rockets")
	subtitle := func(pg *page) string {
		return strings.Join(strings.Fields(pg.Doc.Find(".cl-headerSubtitle").Text()), " ")
	}
	pg := newBrowser(t, p).get(ada.invite(t, p, acme.OrgID, "bob@example.com", org.RoleMember))
	if got, want := subtitle(pg), "ada@example.com invited you to join Acme Rockets. Create your account to accept."; got != want {
		t.Errorf("sign-up from the invitation says %q, want %q", got, want)
	}
	cy := signedUp(t, p, "cy@example.com")
	pg = cy.b.get(ada.invite(t, p, acme.OrgID, "cy@example.com", org.RoleMember))
	if got := subtitle(pg); !strings.HasPrefix(got, "ada@example.com invited you") {
		t.Errorf("the signed-in invitee's page says %q, want it to name ada@example.com", got)
	}
}
