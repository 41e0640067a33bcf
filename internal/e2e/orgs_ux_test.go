package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/org"
	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// A refused change on the members page (here a role nobody offers, as a
// form opened before PORTAL_ORG_ROLES changed would send) comes back on the
// page and with the search the person was looking at; so does a change
// that went through.
func TestMembersPageKeepsPageAndSearchAfterAChange(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ada := signedUp(t, p, "ada@example.com")
	acme := ada.createOrg(t, p, "Acme")
	for i := range org.PerPage + 3 {
		addTestMember(t, p, acme.OrgID, newTestUser(t, p, fmt.Sprintf("team-%02d@example.com", i)), org.RoleMember)
	}
	addTestMember(t, p, acme.OrgID, newTestUser(t, p, "other@example.com"), org.RoleMember)
	members := "/organizations/" + acme.OrgID + "/members"
	pg := ada.b.get(members + "?query=team-&redirect_url=" + url.QueryEscape(appURL))
	wantText(t, "search", pg, http.StatusOK, "Page 1 of 2")
	pg = ada.b.get(pg.Doc.Find(`a[rel="next"]`).AttrOr("href", ""))
	wantText(t, "page 2 of the search", pg, http.StatusOK, "Page 2 of 2")
	rows := func(pg *page) string { return pg.Doc.Find("tbody td.cl-wrap").Text() }
	page2 := rows(pg)
	wantSearchPage := func(what string, pg *page) {
		t.Helper()
		if !strings.Contains(pg.text(), "Page 2 of 2") || rows(pg) != page2 {
			t.Errorf("%s: not page 2 of the search any more:\n%s", what, pg.text())
		}
		if v := pg.Doc.Find(`input[name="query"][type="search"]`).AttrOr("value", ""); v != "team-" {
			t.Errorf("%s: the search box holds %q, want what was typed", what, v)
		}
		if pg.Doc.Find(`a[href="`+appURL+`"]`).Length() == 0 {
			t.Errorf("%s: the way back to the app is lost", what)
		}
	}

	refused := ada.b.submit(pg, memberRoleForm, map[string]string{"role": "org:nope"})
	wantText(t, "refused change", refused, http.StatusUnprocessableEntity, "Choose one of the roles offered.")
	wantSearchPage("after a refused change", refused)

	done := ada.b.submit(refused, memberRoleForm, map[string]string{"role": org.RoleAdmin})
	wantText(t, "role changed", done, http.StatusOK, "The role is changed.")
	wantSearchPage("after a change", done)

	// Removing the members of the last page ends on the page before it,
	// still searching.
	for range 3 {
		done = ada.b.removeMember(done, "")
		wantText(t, "removed", done, http.StatusOK, "The member is removed.")
	}
	// One page left: the count stays, "Page 1 of 1" and the links go.
	wantText(t, "page 2 emptied", done, http.StatusOK, "20 members")
	if pager := done.Doc.Find(".cl-pager").Text(); strings.Contains(pager, "Page") || done.Doc.Find(`.cl-pager a`).Length() > 0 {
		t.Errorf("a single page still shows a pager: %q", pager)
	}
	if v := done.Doc.Find(`input[name="query"][type="search"]`).AttrOr("value", ""); v != "team-" || strings.Contains(done.text(), "other@example.com") {
		t.Errorf("the search is lost after emptying its last page (box %q)", v)
	}
}

// A search longer than the portal takes (REQ-IN-07) is not run, and the
// page says so next to the search box instead of silently listing
// everyone; what was typed stays in the box.
func TestMemberSearchTooLongSaysSo(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ada := signedUp(t, p, "ada@example.com")
	acme := ada.createOrg(t, p, "Acme")
	long := strings.Repeat("é", 101)
	pg := ada.b.get("/organizations/" + acme.OrgID + "/members?query=" + url.QueryEscape(long))
	wantText(t, "long search", pg, http.StatusUnprocessableEntity, "at most 100 characters")
	box := pg.Doc.Find(`input[name="query"][type="search"]`)
	if v := box.AttrOr("value", ""); v != long {
		t.Errorf("the search box holds %q, want what was typed", v)
	}
	if box.AttrOr("aria-invalid", "") != "true" ||
		!strings.Contains(pg.Doc.Find("#"+box.AttrOr("aria-describedby", "none")).Text(), "at most 100 characters") {
		t.Errorf("the message is not tied to the search box")
	}
	if pg := ada.b.get("/organizations/" + acme.OrgID + "/members?query=" + url.QueryEscape(strings.Repeat("é", 100))); pg.Status != http.StatusOK {
		t.Errorf("a search of exactly 100 characters: %d", pg.Status)
	}
}

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

// A member whose role is no longer configured shows that role selected,
// marked as no longer offered; saving the form as it is keeps it.
func TestMemberWithARoleNoLongerOfferedKeepsIt(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ada := signedUp(t, p, "ada@example.com")
	acme := ada.createOrg(t, p, "Acme")
	mid := addTestMember(t, p, acme.OrgID, newTestUser(t, p, "bob@example.com"), "org:billing")
	pg := ada.b.get("/organizations/" + acme.OrgID + "/members")
	sel := pg.Doc.Find("#role-" + mid + " option[selected]")
	if sel.Length() != 1 || sel.AttrOr("value", "") != "org:billing" || !strings.Contains(sel.Text(), "no longer offered") {
		t.Fatalf("selected option %q %q, want org:billing marked as no longer offered", sel.AttrOr("value", ""), sel.Text())
	}
	if pg.Doc.Find("#role-"+mid+` option[value="`+org.RoleAdmin+`"]`).Length() != 1 {
		t.Error("the configured roles are no longer offered beside it")
	}
	saved := ada.b.submit(pg, `form[action$="/`+mid+`/role"]`, map[string]string{"role": sel.AttrOr("value", "")})
	if saved.Status != http.StatusOK || strings.Contains(saved.text(), "Choose one of the roles offered") {
		t.Fatalf("saving unchanged: %d\n%s", saved.Status, saved.text())
	}
	m, err := p.Store.Q.MembershipByID(context.Background(), mid)
	if err != nil || m.Role != "org:billing" {
		t.Errorf("after saving unchanged: %+v, %v", m, err)
	}
	// Changing it to a role that is offered still works.
	pg = ada.b.submit(saved, `form[action$="/`+mid+`/role"]`, map[string]string{"role": org.RoleMember})
	wantText(t, "changed", pg, http.StatusOK, "The role is changed.")
	if m, _ := p.Store.Q.MembershipByID(context.Background(), mid); m.Role != org.RoleMember {
		t.Errorf("after changing it: %q", m.Role)
	}
}

// Pressing Remove again (a stale tab, a double click) on something this
// organization already removed goes back to its list with a plain notice.
// REQ-AC-02 stays: an ID of another organization, even one removed there,
// reads exactly as one that never existed.
func TestRemovingTwiceSaysAlreadyRemoved_REQ_AC_02(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ada := signedUp(t, p, "ada@example.com")
	acme := ada.createOrg(t, p, "Acme")
	eve := signedUp(t, p, "eve@example.com")
	evil := eve.createOrg(t, p, "Evil")
	ctx := context.Background()
	seed := func(orgID, email, domain string) (mid, invID, domainID string) {
		now := p.Clock.Now()
		mid = addTestMember(t, p, orgID, newTestUser(t, p, email), org.RoleMember)
		inv := &org.Invitation{ID: id.New(id.OrgInvite), OrgID: orgID, Email: "invitee-" + email, Role: org.RoleMember,
			Status: org.Pending, TicketHash: org.HashTicket(id.Secret(32)), CreatedAt: now, UpdatedAt: now,
			ExpireAt: now.Add(24 * time.Hour)}
		if err := p.Store.Q.CreateInvitation(ctx, inv); err != nil {
			t.Fatal(err)
		}
		d := &org.Domain{ID: id.New(org.DomainPrefix), OrgID: orgID, Name: domain, EnrollmentMode: org.ManualInvitation,
			CreatedAt: now, UpdatedAt: now}
		if err := p.Store.Q.CreateDomain(ctx, d); err != nil {
			t.Fatal(err)
		}
		return mid, inv.ID, d.ID
	}
	aMember, aInv, aDomain := seed(acme.OrgID, "bob@example.com", "acme.test")
	bMember, bInv, bDomain := seed(evil.OrgID, "mallory@example.com", "evil.test")

	base := "/organizations/" + acme.OrgID
	back := "?redirect_url=" + url.QueryEscape(appURL)
	members := ada.b.get(base + "/members" + back)
	invitations := ada.b.get(base + "/invitations" + back)
	domain := ada.b.get(base + "/domains/" + aDomain + back)
	stale := ada.b.openRemove(members, aMember) // the confirmation, left open
	wantText(t, "removed", ada.b.submit(stale, removeForm, nil), http.StatusOK, "The member is removed.")
	wantText(t, "revoked", ada.b.submit(invitations, `form[action$="/`+aInv+`/revoke"]`, nil), http.StatusOK, "The invitation is revoked.")
	wantText(t, "domain removed", ada.b.submit(domain, `form[action$="/`+aDomain+`/remove"]`, nil), http.StatusOK, "The domain is removed.")

	for _, c := range []struct {
		what, sel, path, says string
		page                  *page
	}{
		{"member", removeForm, base + "/members", "That member was already removed.", stale},
		{"invitation", `form[action$="/` + aInv + `/revoke"]`, base + "/invitations", "That invitation was already revoked or declined.", invitations},
		{"domain", `form[action$="/` + aDomain + `/remove"]`, base, "That domain was already removed.", domain},
	} {
		again := ada.b.submit(c.page, c.sel, nil)
		wantText(t, c.what+" removed again", again, http.StatusOK, c.says)
		if again.URL.Path != c.path || again.URL.Query().Get("redirect_url") != appURL {
			t.Errorf("%s removed again: landed on %s, want its list with the way back to the app", c.what, again.URL)
		}
	}

	// Another organization's objects, removed there, read as made up here.
	eve.b.post("/organizations/"+evil.OrgID+"/members/"+bMember+"/remove", nil)
	eve.b.post("/organizations/"+evil.OrgID+"/invitations/"+bInv+"/revoke", nil)
	eve.b.post("/organizations/"+evil.OrgID+"/domains/"+bDomain+"/remove", nil)
	if _, err := p.Store.Q.MembershipByID(ctx, bMember); err == nil {
		t.Fatal("the other organization's member was not removed")
	}
	for _, c := range []struct{ what, theirs, madeUp string }{
		{"member", "/members/" + bMember + "/remove", "/members/" + id.New(id.OrgMember) + "/remove"},
		{"invitation", "/invitations/" + bInv + "/revoke", "/invitations/" + id.New(id.OrgInvite) + "/revoke"},
		{"domain", "/domains/" + bDomain + "/remove", "/domains/" + id.New(org.DomainPrefix) + "/remove"},
	} {
		theirs := ada.b.postForm(http.MethodPost, base+c.theirs, url.Values{"_csrf": {ada.b.csrf()}}, nil)
		madeUp := ada.b.postForm(http.MethodPost, base+c.madeUp, url.Values{"_csrf": {ada.b.csrf()}}, nil)
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
	if pg := bobby.b.postForm(http.MethodPost, base+"/members/"+aMember+"/remove", url.Values{"_csrf": {bobby.b.csrf()}}, nil); pg.Status != http.StatusForbidden {
		t.Errorf("a member without the permission removes a removed member: %d", pg.Status)
	}
}

// The only member of an organization, its admin, who tries to leave it is
// not told to make someone else an admin (there is nobody): the page says
// deleting the organization is the way out. With a second member the last
// admin is told to make them an admin first.
func TestOnlyMemberLeavingIsToldToDelete(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ada := signedUp(t, p, "ada@example.com")
	acme := ada.createOrg(t, p, "Acme")

	general := ada.b.get("/organizations/" + acme.OrgID)
	alone := ada.b.submit(general, `form[action$="/leave"]`, map[string]string{"confirm_name": "Acme"})
	wantText(t, "the only member leaves", alone, http.StatusConflict,
		"You're the only member of this organization, so nobody can take over. Delete the organization instead")
	if strings.Contains(alone.text(), "Make someone else an admin first.") {
		t.Errorf("the only member is told to make someone else an admin:\n%s", alone.text())
	}
	userMembership(t, p, acme.OrgID, ada.id)

	addTestMember(t, p, acme.OrgID, newTestUser(t, p, "bob@example.com"), org.RoleMember)
	lastAdmin := ada.b.submit(general, `form[action$="/leave"]`, map[string]string{"confirm_name": "Acme"})
	wantText(t, "the last admin leaves", lastAdmin, http.StatusConflict, "Make someone else an admin first.")
}

// A form with a logo sent back for another field (a slug taken, a name
// left empty) asks for the logo again beside its file box: the browser
// cannot fill a file in, so pressing the button again as the page stands
// would make or save the organization without the logo that was chosen.
func TestFormSentBackAsksForTheLogoAgain(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ada := signedUp(t, p, "ada@example.com")
	acme := ada.createOrg(t, p, "Acme")
	const again = "Choose the logo again: a file can't be kept when the form comes back."

	taken := ada.b.postMultipart(withRedirect("/create-organization", appURL),
		map[string]string{"name": "Acme Two", "slug": "acme"}, "logo", "logo.png", tinyPNG)
	wantText(t, "slug taken, logo sent", taken, http.StatusConflict, "This slug is taken.", again)
	if got := taken.Doc.Find(`#logo-error`).Text(); got != again {
		t.Errorf("the file box's message = %q", got)
	}
	noLogo := ada.b.postMultipart(withRedirect("/create-organization", appURL),
		map[string]string{"name": "Acme Two", "slug": "acme"}, "", "", nil)
	wantText(t, "slug taken, no logo", noLogo, http.StatusConflict, "This slug is taken.")
	if strings.Contains(noLogo.text(), again) {
		t.Error("asks for a logo again that was never chosen")
	}

	general := ada.b.postMultipart("/organizations/"+acme.OrgID,
		map[string]string{"name": "", "slug": "acme"}, "logo", "logo.png", tinyPNG)
	wantText(t, "name empty, logo sent", general, http.StatusUnprocessableEntity, again)
	if o, err := p.Store.Q.OrganizationByID(context.Background(), acme.OrgID); err != nil || o.LogoVersion != 0 {
		t.Errorf("organization after the refused save: %+v, %v", o, err)
	}
}

// Each row's Change role button names its member, as Remove does: someone
// going through the page's buttons with a screen reader hears whose role a
// button changes, not the same "Change role" on every row.
func TestChangeRoleButtonsNameTheirMember(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ada := signedUp(t, p, "ada@example.com")
	acme := ada.createOrg(t, p, "Acme")
	for _, e := range []string{"bob@example.com", "carol@example.com"} {
		addTestMember(t, p, acme.OrgID, newTestUser(t, p, e), org.RoleMember)
	}
	pg := ada.b.get("/organizations/" + acme.OrgID + "/members")
	var names []string
	pg.Doc.Find(memberRoleForm + ` button[type="submit"]`).Each(func(_ int, b *goquery.Selection) {
		names = append(names, b.AttrOr("aria-label", b.Text()))
	})
	want := []string{"Change role of bob", "Change role of carol"}
	slices.Sort(names)
	if !slices.Equal(names, want) {
		t.Errorf("the Change role buttons are named %q, want %q", names, want)
	}
}

// Inviting one address says the invitation (one) is on its way; several,
// the invitations. It said "The invitations are on their way." for one.
func TestInviteNoticeCountsTheInvitations(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ada := signedUp(t, p, "ada@example.com")
	acme := ada.createOrg(t, p, "Acme")
	form := `form[action="/organizations/` + acme.OrgID + `/invitations"]`
	for emails, want := range map[string]string{
		"bob@example.com":                 "The invitation is on its way.",
		"cy@example.com, dee@example.com": "The invitations are on their way.",
	} {
		pg := ada.b.submit(ada.b.get("/organizations/"+acme.OrgID+"/invitations"), form, map[string]string{"email_address": emails})
		if got := strings.TrimSpace(pg.Doc.Find(".cl-alert--success").Text()); got != want {
			t.Errorf("inviting %s: the notice says %q, want %q", emails, got, want)
		}
	}
}

// "Send invitations" pressed twice (a double click) sends one invitation,
// and the page the browser shows, the second press's answer, says it is
// on its way: it said "bob@example.com has already been invited" of what
// the first press had just sent. Inviting that address again later still
// says it was invited already.
func TestInviteSentTwiceSaysItIsOnItsWay(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{Clock: clockwork.NewFakeClockAt(time.Now())})
	ada := signedUp(t, p, "ada@example.com")
	acme := ada.createOrg(t, p, "Acme")
	form := `form[action="/organizations/` + acme.OrgID + `/invitations"]`
	action, vals := ada.b.formValues(ada.b.get("/organizations/"+acme.OrgID+"/invitations"), form,
		map[string]string{"email_address": "Bob@example.com"})
	for i, pg := range sendTwice(t, ada.b, action, vals) {
		if pg.Status != http.StatusSeeOther || !strings.Contains(pg.Header.Get("Location"), "notice=invited_one") {
			t.Errorf("press %d: %d to %q, want 303 to the list saying the invitation is on its way:\n%.300s",
				i+1, pg.Status, pg.Header.Get("Location"), pg.text())
		}
	}
	if n := len(mailTo(p.SMTP, "bob@example.com")); n != 1 {
		t.Errorf("%d invitations emailed to bob@example.com, want 1", n)
	}
	p.Clock.(*clockwork.FakeClock).Advance(time.Minute)
	again := ada.b.submit(ada.b.get("/organizations/"+acme.OrgID+"/invitations"), form, map[string]string{"email_address": "bob@example.com"})
	if again.Status != http.StatusConflict || !strings.Contains(again.text(), "already been invited") {
		t.Errorf("inviting bob@example.com again a minute later: %d, want 409 saying already invited:\n%.300s", again.Status, again.text())
	}
}

// REQ-RL-04: creating organizations is anti-automated like the other costly
// forms: one network makes at most 30 of them per 10 minutes; past that the
// form comes back, 429 with the name typed and the network message, and
// nothing is created.
func TestCreateOrganizationLimitedPerNetwork_REQ_RL_04(t *testing.T) {
	const perNetwork = 30 // handlers.defaultLimits().start
	p, _ := startFake(t, portaltest.Options{})
	ada := signedUp(t, p, "ada@example.com")
	var pg *page
	made := 0
	for n := range perNetwork + 1 {
		pg = ada.b.submit(ada.b.get(withRedirect("/create-organization", appURL)), createOrgForm,
			map[string]string{"name": fmt.Sprintf("Acme %d", n)})
		if pg.Status == http.StatusTooManyRequests {
			break
		}
		if pg.Status != http.StatusSeeOther {
			t.Fatalf("organization %d: status %d:\n%s", n+1, pg.Status, pg.text())
		}
		made++
	}
	if made != perNetwork {
		t.Fatalf("%d organizations from one network in a moment before a refusal, want %d", made, perNetwork)
	}
	wantText(t, "past the network's allowance", pg, http.StatusTooManyRequests, "Too many attempts from your network")
	if got := pg.Doc.Find(`input[name="name"]`).AttrOr("value", ""); got != fmt.Sprintf("Acme %d", made) {
		t.Errorf("the refused form lost the name typed: %q", got)
	}
	if list, err := p.Store.Q.OrganizationsOfUser(t.Context(), ada.id); err != nil || len(list) != made {
		t.Errorf("organizations: %d (%v), want the %d made before the refusal", len(list), err, made)
	}
}
