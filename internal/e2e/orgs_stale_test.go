package e2e

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/org"
	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// Saving a member's role as it is does not claim a change: the list says
// nothing changed, naming the member and the role, and keeps the way back
// to the app.
func TestSavingARoleUnchangedSaysNothingChanged(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ada := signedUp(t, p, "ada@example.com")
	acme := ada.createOrg(t, p, "Acme")
	mid := addTestMember(t, p, acme.OrgID, newTestUser(t, p, "bob@example.com"), org.RoleMember)
	pg := ada.b.get("/organizations/" + acme.OrgID + "/members?redirect_url=" + url.QueryEscape(appURL))
	form := `form[action$="/` + mid + `/role"]`
	same := ada.b.submit(pg, form, map[string]string{"role": org.RoleMember})
	wantText(t, "saved unchanged", same, http.StatusOK, "No change: bob already has the role Member.")
	if strings.Contains(same.text(), "The role is changed.") {
		t.Errorf("saving the role unchanged claims a change:\n%s", same.text())
	}
	if same.URL.Query().Get("redirect_url") != appURL {
		t.Errorf("saved unchanged: landed on %s, want the list with the way back to the app", same.URL)
	}
	// A real change still says so.
	changed := ada.b.submit(same, form, map[string]string{"role": org.RoleAdmin})
	wantText(t, "changed", changed, http.StatusOK, "The role is changed.")
	if strings.Contains(changed.text(), "No change") {
		t.Errorf("a change says nothing changed:\n%s", changed.text())
	}
}

// "Change role" on a member this organization already removed and
// "Resend" on an invitation it already revoked (a stale tab) go back to
// the list and say so, as Remove and Revoke do. REQ-AC-02 stays: another
// organization's IDs, even ones removed there, read exactly as made-up
// ones, and a member who may not manage learns nothing.
func TestRoleAndResendOnWhatIsGoneSaySo_REQ_AC_02(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ada := signedUp(t, p, "ada@example.com")
	acme := ada.createOrg(t, p, "Acme")
	eve := signedUp(t, p, "eve@example.com")
	evil := eve.createOrg(t, p, "Evil")
	ctx := context.Background()
	seed := func(orgID, email string) (mid, invID string) {
		now := p.Clock.Now()
		mid = addTestMember(t, p, orgID, newTestUser(t, p, email), org.RoleMember)
		inv := &org.Invitation{ID: id.New(id.OrgInvite), OrgID: orgID, Email: "invitee-" + email, Role: org.RoleMember,
			Status: org.Pending, TicketHash: org.HashTicket(id.Secret(32)), CreatedAt: now, UpdatedAt: now,
			ExpireAt: now.Add(24 * time.Hour)}
		if err := p.Store.Q.CreateInvitation(ctx, inv); err != nil {
			t.Fatal(err)
		}
		return mid, inv.ID
	}
	aMember, aInv := seed(acme.OrgID, "bob@example.com")
	bMember, bInv := seed(evil.OrgID, "mallory@example.com")

	base := "/organizations/" + acme.OrgID
	back := "?redirect_url=" + url.QueryEscape(appURL)
	members := ada.b.get(base + "/members" + back)
	invitations := ada.b.get(base + "/invitations" + back)
	// Removed and revoked from another tab.
	wantText(t, "removed", ada.b.removeMember(members, aMember), http.StatusOK, "The member is removed.")
	wantText(t, "revoked", ada.b.submit(invitations, `form[action$="/`+aInv+`/revoke"]`, nil), http.StatusOK, "The invitation is revoked.")

	for _, c := range []struct {
		what, sel, path, says string
		form                  map[string]string
		page                  *page
	}{
		{"role", `form[action$="/` + aMember + `/role"]`, base + "/members", "That member was already removed.",
			map[string]string{"role": org.RoleAdmin}, members},
		{"resend", `form[action$="/` + aInv + `/resend"]`, base + "/invitations", "That invitation was already revoked or declined.",
			nil, invitations},
	} {
		stale := ada.b.submit(c.page, c.sel, c.form)
		wantText(t, c.what+" on the stale tab", stale, http.StatusOK, c.says)
		if stale.URL.Path != c.path || stale.URL.Query().Get("redirect_url") != appURL {
			t.Errorf("%s on the stale tab: landed on %s, want its list with the way back to the app", c.what, stale.URL)
		}
	}
	for _, m := range p.SMTP.Messages() {
		if slices.Contains(m.To, "invitee-bob@example.com") {
			t.Error("the revoked invitation was sent again")
		}
	}

	// Another organization's objects, removed there, read as made up here.
	eve.b.post("/organizations/"+evil.OrgID+"/members/"+bMember+"/remove", nil)
	eve.b.post("/organizations/"+evil.OrgID+"/invitations/"+bInv+"/revoke", nil)
	for _, c := range []struct{ what, theirs, madeUp string }{
		{"role", "/members/" + bMember + "/role", "/members/" + id.New(id.OrgMember) + "/role"},
		{"resend", "/invitations/" + bInv + "/resend", "/invitations/" + id.New(id.OrgInvite) + "/resend"},
	} {
		form := func() url.Values { return url.Values{"_csrf": {ada.b.csrf()}, "role": {org.RoleAdmin}} }
		theirs := ada.b.postForm(http.MethodPost, base+c.theirs, form(), nil)
		madeUp := ada.b.postForm(http.MethodPost, base+c.madeUp, form(), nil)
		if theirs.Status != http.StatusNotFound || madeUp.Status != http.StatusNotFound {
			t.Errorf("%s of another organization: %d, made up: %d; want 404 for both", c.what, theirs.Status, madeUp.Status)
		}
		if normalise(theirs.Body) != normalise(madeUp.Body) {
			t.Errorf("%s of another organization reads differently from a made-up one:\n%s\n---\n%s", c.what, theirs.text(), madeUp.text())
		}
	}

	// Someone who may not manage the organization learns nothing either.
	bobby := signedUp(t, p, "bobby@example.com")
	u, err := p.Store.Q.UserByID(ctx, bobby.id)
	if err != nil {
		t.Fatal(err)
	}
	addTestMember(t, p, acme.OrgID, u, org.RoleMember)
	for _, path := range []string{"/members/" + aMember + "/role", "/invitations/" + aInv + "/resend"} {
		pg := bobby.b.postForm(http.MethodPost, base+path, url.Values{"_csrf": {bobby.b.csrf()}, "role": {org.RoleAdmin}}, nil)
		if pg.Status != http.StatusForbidden {
			t.Errorf("a member without the permission, %s: %d", path, pg.Status)
		}
	}
}

// A member search that is not valid UTF-8 (a hand-made or mangled link) is
// not run silently as everyone: the page says so beside the search box,
// as for a search too long, and the box keeps what can be shown of it.
func TestMemberSearchNotUTF8SaysSo(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ada := signedUp(t, p, "ada@example.com")
	acme := ada.createOrg(t, p, "Acme")
	pg := ada.b.get("/organizations/" + acme.OrgID + "/members?query=b%FFob")
	wantText(t, "search not UTF-8", pg, http.StatusUnprocessableEntity, "characters that can't be read")
	box := pg.Doc.Find(`input[name="query"][type="search"]`)
	if v := box.AttrOr("value", ""); v != "bob" {
		t.Errorf("the search box holds %q, want what can be shown of what was typed (bob)", v)
	}
	if box.AttrOr("aria-invalid", "") != "true" ||
		!strings.Contains(pg.Doc.Find("#"+box.AttrOr("aria-describedby", "none")).Text(), "characters that can't be read") {
		t.Errorf("the message is not tied to the search box")
	}
}
