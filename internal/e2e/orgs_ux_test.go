package e2e

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/org"
	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// "Not now" on the invitation's confirmation goes back to the app it was
// sent from, when that app is still allowed, else to the portal's home.
func TestAcceptInvitationNotNowGoesBackToTheApp(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ada := signedUp(t, p, "ada@example.com")
	bob := signedUp(t, p, "bob@example.com")
	acme := ada.createOrg(t, p, "Acme")
	link := ada.invite(t, p, acme.OrgID, "bob@example.com", org.RoleMember)
	pg := bob.b.get(link)
	wantText(t, "confirmation", pg, http.StatusOK, "Join Acme")
	if href := pg.Doc.Find(`a:contains("Not now")`).AttrOr("href", ""); href != appURL {
		t.Errorf(`"Not now" leads to %q, want the app the invitation came from (%s)`, href, appURL)
	}

	// An invitation whose app is no longer allowed falls back to home.
	ticket := id.Secret(32)
	now := p.Clock.Now()
	inv := &org.Invitation{ID: id.New(id.OrgInvite), OrgID: acme.OrgID, Email: "carol@example.com", Role: org.RoleMember,
		Status: org.Pending, TicketHash: org.HashTicket(ticket), RedirectURL: "https://elsewhere.example/app",
		CreatedAt: now, UpdatedAt: now, ExpireAt: now.Add(24 * time.Hour)}
	if err := p.Store.Q.CreateInvitation(context.Background(), inv); err != nil {
		t.Fatal(err)
	}
	carol := signedUp(t, p, "carol@example.com")
	pg = carol.b.get(org.AcceptPath + "?ticket=" + ticket)
	wantText(t, "confirmation", pg, http.StatusOK, "Join Acme")
	if href := pg.Doc.Find(`a:contains("Not now")`).AttrOr("href", ""); href != "/" {
		t.Errorf(`"Not now" with a disallowed app leads to %q, want "/"`, href)
	}
}
