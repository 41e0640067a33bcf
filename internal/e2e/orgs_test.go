package e2e

import (
	"context"
	"errors"
	"image/png"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/org"
	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// Creating an organization makes it active: the token handed back names
// it, with the creator as org:admin; switching to the personal account and
// back through the handshake's organization_id changes the next token.
func TestCreateAndSwitchOrganizations(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ada := signedUp(t, p, "ada@example.com")
	if c := ada.token(t, p); c.OrgID != "" {
		t.Fatalf("a new account's token names organization %q", c.OrgID)
	}
	c := ada.createOrg(t, p, "Acme Rockets")
	o, err := p.Store.Q.OrganizationBySlug(context.Background(), "acme-rockets")
	if err != nil {
		t.Fatal(err)
	}
	if c.OrgID != o.ID || c.OrgSlug != "acme-rockets" || c.OrgRole != org.RoleAdmin ||
		!slices.Contains(c.OrgPermissions, org.PermMembershipsManage) {
		t.Fatalf("claims after creating = %+v", c)
	}
	beta := ada.createOrg(t, p, "Beta")

	// The switcher lists both with the role, and the personal account.
	pg := ada.b.get(withRedirect("/switch-organization", appURL))
	wantText(t, "switcher", pg, http.StatusOK, "Personal account", "Acme Rockets", "Beta", "Admin")
	// Opened from the app, it has a way back that leaves the choice alone.
	if back := pg.Doc.Find(`.cl-footerAction a[href="` + appURL + `"]`); strings.TrimSpace(back.Text()) != "Back to the app" {
		t.Errorf("the switcher has no way back to the app:\n%s", pg.Body)
	}
	done := ada.b.submit(pg, switchOrgForm, map[string]string{"organization_id": o.ID})
	if c := verifyOrg(t, p, wantHandBack(t, done, http.StatusSeeOther, appURL)); c.OrgID != o.ID {
		t.Errorf("after choosing Acme: org_id %q", c.OrgID)
	}
	done = ada.b.submit(ada.b.get(withRedirect("/switch-organization", appURL)), switchOrgForm, map[string]string{"organization_id": ""})
	if c := verifyOrg(t, p, wantHandBack(t, done, http.StatusSeeOther, appURL)); c.OrgID != "" || c.OrgRole != "" || c.OrgPermissions != nil {
		t.Errorf("personal account token has organization claims: %+v", c)
	}

	// The handshake takes organization_id as an ID or a slug.
	for ref, want := range map[string]string{"acme-rockets": o.ID, beta.OrgID: beta.OrgID, "": ""} {
		pg := ada.b.getRaw(handshakePath(appURL) + "&organization_id=" + url.QueryEscape(ref))
		if c := verifyOrg(t, p, wantHandBack(t, pg, http.StatusTemporaryRedirect, appURL)); c.OrgID != want {
			t.Errorf("handshake organization_id=%q: org_id %q, want %q", ref, c.OrgID, want)
		}
	}
	// Someone else's organization is not taken: the active one stays.
	eve := signedUp(t, p, "eve@example.com")
	evil := eve.createOrg(t, p, "Evil")
	ada.b.getRaw(handshakePath(appURL) + "&organization_id=acme-rockets")
	pg = ada.b.getRaw(handshakePath(appURL) + "&organization_id=" + evil.OrgID)
	if c := verifyOrg(t, p, wantHandBack(t, pg, http.StatusTemporaryRedirect, appURL)); c.OrgID != o.ID {
		t.Errorf("handshake with another's organization: org_id %q, want the active %q", c.OrgID, o.ID)
	}
}

// A double click on "Create organization" (or the form sent again from the
// back button right after) creates one organization and takes the person
// where the first press did, not to "This slug is taken". Later, the same
// name is refused as before.
func TestCreateOrganizationPressedTwice(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{})
	ada := signedUp(t, p, "ada@example.com")
	form := ada.b.get(withRedirect("/create-organization", appURL))
	first := verifyOrg(t, p, wantHandBack(t, ada.b.submit(form, createOrgForm, map[string]string{"name": "Acme"}), http.StatusSeeOther, appURL))
	again := ada.b.submit(form, createOrgForm, map[string]string{"name": "Acme"})
	if again.Status != http.StatusSeeOther {
		t.Fatalf("second press: %d:\n%s", again.Status, again.text())
	}
	if c := verifyOrg(t, p, wantHandBack(t, again, http.StatusSeeOther, appURL)); c.OrgID != first.OrgID {
		t.Errorf("second press names %q, the first created %q", c.OrgID, first.OrgID)
	}
	if list, err := p.Store.Q.OrganizationsOfUser(context.Background(), ada.id); err != nil || len(list) != 1 {
		t.Errorf("organizations after pressing twice: %d, %v", len(list), err)
	}

	clock.Advance(10 * time.Minute)
	later := ada.b.submit(form, createOrgForm, map[string]string{"name": "Acme"})
	wantText(t, "the same name later", later, http.StatusConflict, "This slug is taken.")
	// Someone else's organization of that name is no press of theirs.
	bob := signedUp(t, p, "bob@example.com")
	ada.createOrg(t, p, "Beta")
	pg := bob.b.submit(bob.b.get("/create-organization"), createOrgForm, map[string]string{"name": "Beta"})
	wantText(t, "another's slug", pg, http.StatusConflict, "This slug is taken.")

	// The first press may take the last organization one may create.
	limited := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_ORG_CREATION_LIMIT": "1"}})
	carol := signedUp(t, limited, "carol@example.com")
	form = carol.b.get(withRedirect("/create-organization", appURL))
	first = verifyOrg(t, limited, wantHandBack(t, carol.b.submit(form, createOrgForm, map[string]string{"name": "Gamma"}), http.StatusSeeOther, appURL))
	if c := verifyOrg(t, limited, wantHandBack(t, carol.b.submit(form, createOrgForm, map[string]string{"name": "Gamma"}), http.StatusSeeOther, appURL)); c.OrgID != first.OrgID {
		t.Errorf("second press at the limit names %q, the first created %q", c.OrgID, first.OrgID)
	}
	pg = carol.b.submit(form, createOrgForm, map[string]string{"name": "Delta"})
	wantText(t, "past the limit", pg, http.StatusConflict, "You've reached the number of organizations you can create.")
}

// Someone who created as many organizations as they may is not offered
// "Create organization" on the switcher, and the form itself says so
// before they fill it in.
func TestCreateOrganizationNotOfferedPastTheLimit(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_ORG_CREATION_LIMIT": "1"}})
	ada := signedUp(t, p, "ada@example.com")
	if pg := ada.b.get(withRedirect("/switch-organization", appURL)); pg.Doc.Find(`a[href^="/create-organization"]`).Length() != 1 {
		t.Fatal("create is not offered below the limit")
	}
	ada.createOrg(t, p, "Acme")
	pg := ada.b.get(withRedirect("/switch-organization", appURL))
	wantText(t, "switcher at the limit", pg, http.StatusOK, "Acme")
	if pg.Doc.Find(`a[href^="/create-organization"]`).Length() != 0 {
		t.Error("create is offered at the limit")
	}
	pg = ada.b.get(withRedirect("/create-organization", appURL))
	wantText(t, "the form at the limit", pg, http.StatusConflict, "You've reached the number of organizations you can create.")
	if pg.Doc.Find(createOrgForm).Length() != 0 {
		t.Error("the form is shown at the limit")
	}
}

// The invitation link leads a new person to sign-up with the address
// filled in; after the emailed code they are a member, the organization is
// active and they land on the invitation's redirect URL. The link works once.
func TestInvitationAcceptedBySigningUp(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ada := signedUp(t, p, "ada@example.com")
	acme := ada.createOrg(t, p, "Acme")
	link := ada.invite(t, p, acme.OrgID, "bob@example.com", org.RoleMember)

	bob := newBrowser(t, p)
	pg := bob.get(link)
	if !strings.HasPrefix(pg.URL.Path, "/sign-up") || pg.URL.Query().Get("email_address") != "bob@example.com" ||
		pg.URL.Query().Get("redirect_url") != appURL {
		t.Fatalf("invitation link led to %s", pg.URL)
	}
	if v, _ := pg.Doc.Find(`input[name="email_address"]`).Attr("value"); v != "bob@example.com" {
		t.Errorf("sign-up email prefilled with %q", v)
	}
	// The link came through bob's mailbox: no code to wait for.
	c := verifyOrg(t, p, wantHandBack(t, bob.submit(pg, signUpForm, map[string]string{"password": goodPassword,
		"first_name": "Bob", "last_name": "B"}), http.StatusSeeOther, appURL))
	if c.OrgID != acme.OrgID || c.OrgRole != org.RoleMember {
		t.Fatalf("the new member's token = %+v", c)
	}
	if _, err := p.Store.Q.MembershipOf(context.Background(), acme.OrgID, c.Subject); err != nil {
		t.Errorf("membership: %v", err)
	}
	// Single use: the link now explains itself and does nothing.
	again := newBrowser(t, p).get(link)
	wantText(t, "used link", again, http.StatusGone, "This invitation can't be used")
}

// An address that already has an account goes to sign-in instead.
func TestInvitationAcceptedBySigningIn(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ada := signedUp(t, p, "ada@example.com")
	carol := signedUp(t, p, "carol@example.com")
	carol.b.submit(carol.b.get("/sign-out"), signOutForm, nil)
	acme := ada.createOrg(t, p, "Acme")
	link := ada.invite(t, p, acme.OrgID, "carol@example.com", org.RoleAdmin)

	pg := carol.b.get(link)
	if pg.URL.Path != "/sign-in" || pg.Doc.Find(`input[name="identifier"][value="carol@example.com"]`).Length() != 1 {
		t.Fatalf("invitation link led to %s:\n%s", pg.URL, pg.text())
	}
	pwPage := carol.b.submit(pg, signInForm, nil)
	c := verifyOrg(t, p, wantHandBack(t, carol.b.submit(pwPage, passwordForm, map[string]string{"password": goodPassword}),
		http.StatusSeeOther, appURL))
	if c.OrgID != acme.OrgID || c.OrgRole != org.RoleAdmin {
		t.Fatalf("token after signing in by the invitation = %+v", c)
	}
}

// Signed in as the invitee, the link asks to confirm; signed in as someone
// else it refuses, and that person cannot accept it by posting the ticket
// either.
func TestInvitationSignedIn(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ada := signedUp(t, p, "ada@example.com")
	bob := signedUp(t, p, "bob@example.com")
	eve := signedUp(t, p, "eve@example.com")
	acme := ada.createOrg(t, p, "Acme")
	link := ada.invite(t, p, acme.OrgID, "bob@example.com", "")
	ticket := mustParse(t, link).Query().Get("ticket")

	pg := eve.b.get(link)
	wantText(t, "someone else's invitation", pg, http.StatusForbidden, "This invitation is for someone else", "eve@example.com")
	forged := eve.b.postForm(http.MethodPost, "/accept-invitation", url.Values{"_csrf": {eve.b.csrf()}, "ticket": {ticket}}, nil)
	if forged.Status != http.StatusForbidden {
		t.Errorf("eve posts bob's ticket: status %d", forged.Status)
	}
	if _, err := p.Store.Q.MembershipOf(context.Background(), acme.OrgID, eve.id); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("eve became a member: %v", err)
	}

	pg = bob.b.get(link)
	// It says who invited them, as the email did.
	wantText(t, "confirmation", pg, http.StatusOK, "Join Acme", "bob@example.com", "Ada Lovelace invited you to join Acme as Member.")
	if pg.Header.Get("Referrer-Policy") == "" && pg.Doc.Find(`meta[name="referrer"][content="no-referrer"]`).Length() != 1 {
		t.Error("the page with the ticket in its URL may leak it in Referer")
	}
	c := verifyOrg(t, p, wantHandBack(t, bob.b.submit(pg, acceptForm, nil), http.StatusSeeOther, appURL))
	if c.OrgID != acme.OrgID || c.OrgRole != org.RoleMember {
		t.Errorf("token after confirming = %+v", c)
	}
}

// REQ-AC-04: a role change or a removal shows in the member's very next
// token; the token of a removed member carries no organization.
func TestRoleChangesReachTheNextToken_REQ_AC_04(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ada := signedUp(t, p, "ada@example.com")
	acme := ada.createOrg(t, p, "Acme")
	bob := newBrowser(t, p)
	link := ada.invite(t, p, acme.OrgID, "bob@example.com", org.RoleMember)
	// The link vouches for bob's address: signed up without a code.
	wantHandBack(t, bob.submit(bob.get(link), signUpForm, map[string]string{"password": goodPassword, "first_name": "Bob", "last_name": "B"}),
		http.StatusSeeOther, appURL)
	b := &member{b: bob, email: "bob@example.com"}
	if c := b.token(t, p); c.OrgRole != org.RoleMember {
		t.Fatalf("bob's role %q", c.OrgRole)
	}

	members := ada.b.get("/organizations/" + acme.OrgID + "/members")
	wantText(t, "members", members, http.StatusOK, "bob@example.com", "ada@example.com", "2 members")
	form := members.Doc.Find(memberRoleForm)
	if form.Length() != 1 {
		t.Fatalf("want one role form (not for ada herself), got %d", form.Length())
	}
	pg := ada.b.submit(members, memberRoleForm, map[string]string{"role": org.RoleAdmin})
	wantText(t, "after the change", pg, http.StatusOK, "The role is changed.")
	if c := b.token(t, p); c.OrgRole != org.RoleAdmin || !slices.Contains(c.OrgPermissions, org.PermProfileDelete) {
		t.Errorf("bob's next token after promotion = %+v", c)
	}
	members = ada.b.get("/organizations/" + acme.OrgID + "/members")
	pg = ada.b.removeMember(members, "")
	wantText(t, "after removing", pg, http.StatusOK, "The member is removed.", "1 member")
	if c := b.token(t, p); c.OrgID != "" || c.OrgRole != "" {
		t.Errorf("a removed member's next token = %+v", c)
	}
}

// REQ-AC-06 over HTTP: the last admin can neither leave nor demote
// themselves; the page says why.
func TestLastAdminStays_REQ_AC_06(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ada := signedUp(t, p, "ada@example.com")
	acme := ada.createOrg(t, p, "Acme")
	addTestMember(t, p, acme.OrgID, newTestUser(t, p, "bob@example.com"), org.RoleMember)
	general := ada.b.get("/organizations/" + acme.OrgID)
	pg := ada.b.submit(general, `form[action$="/leave"]`, nil)
	wantText(t, "last admin leaves", pg, http.StatusConflict, "needs at least one admin")
	if c := ada.token(t, p); c.OrgID != acme.OrgID {
		t.Errorf("still active: %+v", c)
	}
	self := userMembership(t, p, acme.OrgID, ada.id)
	pg = ada.b.postForm(http.MethodPost, "/organizations/"+acme.OrgID+"/members/"+self+"/role",
		url.Values{"_csrf": {ada.b.csrf()}, "role": {org.RoleMember}}, nil)
	wantText(t, "own role", pg, http.StatusForbidden, "You can't change your own role")
}

// Leaving says what it costs and is confirmed by the organization's name,
// like deleting it: a stray click takes no one out. A name that does not
// match keeps the member, the page holding what was typed.
func TestLeavingIsConfirmed(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ada := signedUp(t, p, "ada@example.com")
	acme := ada.createOrg(t, p, "Acme")
	bob := signedUp(t, p, "bob@example.com")
	bobUser, err := p.Store.Q.UserByID(context.Background(), bob.id)
	if err != nil {
		t.Fatal(err)
	}
	addTestMember(t, p, acme.OrgID, bobUser, org.RoleMember)

	general := bob.b.get("/organizations/" + acme.OrgID)
	wantText(t, "general", general, http.StatusOK, "You lose access to Acme", "Type Acme to confirm")
	if general.Doc.Find(`#leave_confirm_name-field`).Length() != 1 || general.Doc.Find(`label[for="leave_confirm_name-field"]`).Length() != 1 {
		t.Errorf("the leave form's name box is not labelled:\n%s", general.Body)
	}
	refused := bob.b.submit(general, `form[action$="/leave"]`, map[string]string{"confirm_name": "acme"})
	wantText(t, "wrong name", refused, http.StatusUnprocessableEntity, "Type the organization's name exactly as shown to confirm.")
	if v := refused.Doc.Find(`#leave_confirm_name-field`).AttrOr("value", ""); v != "acme" {
		t.Errorf("the name typed is not kept: %q", v)
	}
	if refused.Doc.Find(`#leave_confirm_name-error`).Length() != 1 {
		t.Errorf("the reason is not by the leave form's box:\n%s", refused.Body)
	}
	userMembership(t, p, acme.OrgID, bob.id) // still a member

	left := bob.b.submit(refused, `form[action$="/leave"]`, map[string]string{"confirm_name": "Acme"})
	wantText(t, "left", left, http.StatusOK, "You left the organization.")
	if _, err := p.Store.Q.MembershipOf(context.Background(), acme.OrgID, bob.id); err == nil {
		t.Error("still a member after leaving")
	}
}

// With PORTAL_PERSONAL_ACCOUNTS=false a person without an organization
// chooses or creates one after signing in before going back (Clerk's
// choose-organization task); until then the app sees them signed out.
func TestMembershipRequired(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_PERSONAL_ACCOUNTS": "false"}})
	b := newBrowser(t, p)
	pg := signUp(t, p, b, "ada@example.com", appURL)
	if pg.URL.Path != "/switch-organization" || pg.URL.Query().Get("redirect_url") != appURL || b.cookie("__session") != "" {
		t.Fatalf("after sign-up: %d at %s (want the choose-organization step, no token yet)", pg.Status, pg.URL)
	}
	wantText(t, "task", pg, http.StatusOK, "Choose an organization", "Create organization")
	if pg.Doc.Find(`a[href="`+appURL+`"]`).Length() != 0 {
		t.Error("the required choice offers a way back to the app, which would see the person signed out")
	}
	if hs := b.getRaw(handshakePath(appURL)); hs.setCookie("__client_uat") == nil || hs.setCookie("__client_uat").Value != "0" {
		t.Errorf("the app is not told 'signed out' while an organization is missing")
	}
	if tok := b.postForm(http.MethodPost, "/v1/client/sessions/"+activeSessionOf(t, p, "ada@example.com")+"/tokens", nil,
		map[string]string{"Origin": appOrigin, "Sec-Fetch-Site": "same-site"}); tok.Status != http.StatusUnauthorized || strings.Contains(tok.Body, "jwt") {
		t.Errorf("client token while an organization is missing: %d %s, want 401 as for a signed-out browser", tok.Status, tok.Body)
	}
	if strings.Contains(pg.text(), "Personal account") {
		t.Error("the personal account is offered although personal accounts are off")
	}
	refused := b.postForm(http.MethodPost, "/switch-organization", url.Values{"_csrf": {b.csrf()}, "organization_id": {""}}, nil)
	if refused.Status != http.StatusUnprocessableEntity {
		t.Errorf("choosing the personal account: status %d", refused.Status)
	}
	create := b.get(pg.Doc.Find(`a[href^="/create-organization"]`).AttrOr("href", ""))
	c := verifyOrg(t, p, wantHandBack(t, b.submit(create, createOrgForm, map[string]string{"name": "Acme"}), http.StatusSeeOther, appURL))
	if c.OrgSlug != "acme" {
		t.Errorf("token after creating = %+v", c)
	}
	// Signing in again goes straight back with the organization last
	// active, as Clerk remembers it.
	b.submit(b.get("/sign-out"), signOutForm, nil)
	pw := passwordStep(t, b, "ada@example.com", appURL)
	c = verifyOrg(t, p, wantHandBack(t, b.submit(pw, passwordForm, map[string]string{"password": goodPassword}), http.StatusSeeOther, appURL))
	if c.OrgSlug != "acme" {
		t.Errorf("token of the next session = %+v", c)
	}
}

// Deleting asks for the organization's name, and for the password when the
// sign-in is more than ten minutes old (minimal reverification).
func TestDeleteOrganization(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{})
	ada := signedUp(t, p, "ada@example.com")
	acme := ada.createOrg(t, p, "Acme")
	clock.Advance(11 * time.Minute)
	general := ada.b.get("/organizations/" + acme.OrgID)
	if general.Doc.Find(`form[action$="/delete"] input[name="password"]`).Length() != 1 {
		t.Fatal("the delete form does not ask for the password after ten minutes")
	}
	pg := ada.b.submit(general, `form[action$="/delete"]`, map[string]string{"confirm_name": "Acme", "password": wrongPassword})
	wantText(t, "wrong password", pg, http.StatusUnprocessableEntity, "Password is incorrect")
	// The name typed to confirm stays; the password never does.
	if v := pg.Doc.Find(`form[action$="/delete"] input[name="confirm_name"]`).AttrOr("value", ""); v != "Acme" {
		t.Errorf("after a wrong password the typed name is %q", v)
	}
	if v, ok := pg.Doc.Find(`form[action$="/delete"] input[name="password"]`).Attr("value"); ok && v != "" {
		t.Errorf("the password is sent back: %q", v)
	}
	pg = ada.b.submit(general, `form[action$="/delete"]`, map[string]string{"confirm_name": "Acme", "password": goodPassword})
	wantText(t, "deleted", pg, http.StatusOK, "The organization is deleted.")
	if _, err := p.Store.Q.OrganizationByID(context.Background(), acme.OrgID); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("organization after delete: %v", err)
	}
	if c := ada.token(t, p); c.OrgID != "" {
		t.Errorf("token after delete names %q", c.OrgID)
	}
}

// A person without a password is not asked for one to delete: after ten
// minutes the page says to sign in again instead of showing a password
// field they cannot fill; within them the form works.
func TestDeleteWithoutAPasswordAsksToSignInAgain(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{Env: map[string]string{"PORTAL_FACTORS": "email_code"}})
	ada := signedUp(t, p, "ada@example.com")
	acme := ada.createOrg(t, p, "Acme")
	clock.Advance(11 * time.Minute)
	general := ada.b.get("/organizations/" + acme.OrgID)
	wantText(t, "stale sign-in", general, http.StatusOK, "sign out and sign in again")
	if n := general.Doc.Find(`input[name="password"], form[action$="/delete"]`).Length(); n != 0 {
		t.Fatalf("a person without a password is offered the delete form with a password field (%d elements)", n)
	}

	bob := signedUp(t, p, "bob@example.com")
	beta := bob.createOrg(t, p, "Beta")
	general = bob.b.get("/organizations/" + beta.OrgID)
	if general.Doc.Find(`input[name="password"]`).Length() != 0 {
		t.Fatal("a fresh sign-in is asked for a password")
	}
	pg := bob.b.submit(general, `form[action$="/delete"]`, map[string]string{"confirm_name": "Beta"})
	wantText(t, "deleted", pg, http.StatusOK, "The organization is deleted.")
}

// A rename that is refused (a bad slug) shows the form again with what was
// typed, but deleting still asks for the name the organization has: typing
// the unsaved one would not match.
func TestDeleteConfirmationNamesTheSavedNameAfterARefusedSave(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ada := signedUp(t, p, "ada@example.com")
	acme := ada.createOrg(t, p, "Acme")
	general := ada.b.get("/organizations/" + acme.OrgID)
	pg := ada.b.submit(general, `form[action="/organizations/`+acme.OrgID+`"]`, map[string]string{"name": "Acme Rockets", "slug": "-bad-"})
	wantText(t, "refused save", pg, http.StatusUnprocessableEntity, "Use lower-case letters")
	if v := pg.Doc.Find(`input[name="name"]`).AttrOr("value", ""); v != "Acme Rockets" {
		t.Errorf("the typed name was lost: %q", v)
	}
	if label := pg.Doc.Find(`label[for="confirm_name-field"]`).Text(); !strings.Contains(label, "Type Acme to confirm") {
		t.Fatalf("the delete form asks for %q", label)
	}
	pg = ada.b.submit(pg, `form[action$="/delete"]`, map[string]string{"confirm_name": "Acme"})
	wantText(t, "deleted", pg, http.StatusOK, "The organization is deleted.")
}

// Logos: images only (checked by content, SVG refused), served to members
// with nosniff, and to nobody else.
func TestOrganizationLogo(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ada := signedUp(t, p, "ada@example.com")
	ada.b.get("/create-organization")
	pg := ada.b.postMultipart("/create-organization", map[string]string{"name": "Acme"}, "logo", "evil.png",
		[]byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`))
	wantText(t, "svg logo", pg, http.StatusUnprocessableEntity, "Use a PNG, JPEG, GIF or WebP image.")
	if v, _ := pg.Doc.Find(`input[name="name"]`).Attr("value"); v != "Acme" {
		t.Errorf("the typed name was lost: %q", v)
	}
	// A PNG with a page after its end: the portal serves the pixels only.
	polyglot := append(slices.Clip(tinyPNG), "<html><script>alert(1)</script>"...)
	pg = ada.b.postMultipart("/create-organization", map[string]string{"name": "Acme"}, "logo", "logo.png", polyglot)
	if pg.Status != http.StatusOK || !strings.HasPrefix(pg.URL.Path, "/organizations/org_") {
		t.Fatalf("create with a logo: %d at %s", pg.Status, pg.URL)
	}
	src := pg.Doc.Find("img.cl-orgAvatar").AttrOr("src", "")
	if !strings.HasPrefix(src, "/organizations/org_") {
		t.Fatalf("logo src %q", src)
	}
	img := ada.b.getRaw(src)
	if img.Status != http.StatusOK || img.Header.Get("Content-Type") != "image/png" || img.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("logo: %d %q %q", img.Status, img.Header.Get("Content-Type"), img.Header.Get("X-Content-Type-Options"))
	}
	if cfg, err := png.DecodeConfig(strings.NewReader(img.Body)); err != nil || cfg.Width != 1 || cfg.Height != 1 {
		t.Errorf("the logo served is not the one-pixel PNG: %+v, %v", cfg, err)
	}
	if strings.Contains(img.Body, "<script") {
		t.Error("the logo served carries the page that followed the upload's pixels")
	}
	eve := signedUp(t, p, "eve@example.com")
	if pg := eve.b.getRaw(src); pg.Status != http.StatusNotFound {
		t.Errorf("an outsider gets the logo: %d", pg.Status)
	}
}

// A logo straight from a phone (a few MB) is taken and scaled down; one
// over 5 MB is refused on the form, which keeps what was typed; one past
// even the upload limit gets a page that says what to do and leads back to
// the form, not "Too much data" and a way to sign-in.
func TestLargeLogoIsRefusedOnTheForm(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ada := signedUp(t, p, "ada@example.com")
	acme := ada.createOrg(t, p, "Acme")
	photo := append(append([]byte{}, tinyPNG...), make([]byte, 3<<20)...)
	ada.b.get("/create-organization")
	pg := ada.b.postMultipart("/create-organization", map[string]string{"name": "Beta"}, "logo", "photo.png", photo)
	if pg.Status != http.StatusOK || !strings.HasPrefix(pg.URL.Path, "/organizations/org_") {
		t.Errorf("a 3 MB photo as the logo: %d at %s", pg.Status, pg.URL)
	}

	over := append(append([]byte{}, tinyPNG...), make([]byte, org.MaxLogoBytes+1-len(tinyPNG))...)
	ada.b.get("/create-organization")
	pg = ada.b.postMultipart("/create-organization", map[string]string{"name": "Gamma"}, "logo", "photo.png", over)
	wantText(t, "a logo over 5 MB", pg, http.StatusUnprocessableEntity, "This image is larger than 5 MB. Choose a smaller one.")
	if v := pg.Doc.Find(`input[name="name"]`).AttrOr("value", ""); v != "Gamma" {
		t.Errorf("the typed name was lost: %q", v)
	}

	huge := append(append([]byte{}, tinyPNG...), make([]byte, 8<<20)...)
	pg = ada.b.postMultipart("/organizations/"+acme.OrgID, map[string]string{"name": "Acme", "slug": "acme"}, "logo", "huge.png", huge)
	wantText(t, "an 8 MB logo", pg, http.StatusRequestEntityTooLarge, "This image is larger than 5 MB. Choose a smaller one.")
	if pg.Doc.Find(`a[href="/organizations/`+acme.OrgID+`"]`).Length() != 1 || pg.Doc.Find(`a[href^="/sign-in"]`).Length() != 0 {
		t.Errorf("the page does not lead back to the settings:\n%s", pg.Body)
	}
}

// The member list searches and pages; the invitations tab lists, resends
// and revokes.
func TestMembersAndInvitationsPages(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ada := signedUp(t, p, "ada@example.com")
	acme := ada.createOrg(t, p, "Acme")
	ctx := context.Background()
	for i := range org.PerPage + 2 {
		u := newTestUser(t, p, "m"+string(rune('a'+i))+"@example.com")
		addTestMember(t, p, acme.OrgID, u, org.RoleMember)
	}
	pg := ada.b.get("/organizations/" + acme.OrgID + "/members")
	wantText(t, "page 1", pg, http.StatusOK, "Page 1 of 2", "23 members")
	if n := pg.Doc.Find("tbody tr").Length(); n != org.PerPage {
		t.Errorf("%d rows on page 1", n)
	}
	pg = ada.b.get(pg.Doc.Find(`a[rel="next"]`).AttrOr("href", ""))
	wantText(t, "page 2", pg, http.StatusOK, "Page 2 of 2")
	pg = ada.b.get("/organizations/" + acme.OrgID + "/members?query=" + url.QueryEscape("mc@"))
	if n := pg.Doc.Find("tbody tr").Length(); n != 1 || !strings.Contains(pg.text(), "mc@example.com") {
		t.Errorf("search: %d rows:\n%s", n, pg.text())
	}

	first := ada.invite(t, p, acme.OrgID, "zed@example.com", "")
	inv := ada.b.get("/organizations/" + acme.OrgID + "/invitations")
	wantText(t, "pending", inv, http.StatusOK, "zed@example.com", "Member")
	pg = ada.b.submit(inv, `form[action$="/resend"]`, nil)
	wantText(t, "resent", pg, http.StatusOK, "The invitation was sent again.")
	second := p.SMTP.WaitFor(t, "zed@example.com", mailWait).Link()
	if second == first {
		t.Error("a resent invitation has the same link")
	}
	if pg := newBrowser(t, p).get(first); pg.Status != http.StatusGone {
		t.Errorf("the replaced link: %d", pg.Status)
	}
	pg = ada.b.submit(pg, `form[action$="/revoke"]`, nil)
	wantText(t, "revoked", pg, http.StatusOK, "The invitation is revoked.", "No pending invitations.")
	if pg := newBrowser(t, p).get(second); pg.Status != http.StatusGone {
		t.Errorf("the revoked link: %d", pg.Status)
	}
	evs, _ := p.Store.Q.EventsAfter(ctx, 0, 1000)
	var types []string
	for _, e := range evs {
		if strings.HasPrefix(e.Type, "organization") {
			types = append(types, e.Type)
		}
	}
	for _, want := range []string{"organization.created", "organizationMembership.created", "organizationInvitation.created", "organizationInvitation.revoked"} {
		if !slices.Contains(types, want) {
			t.Errorf("no %s event in %v", want, types)
		}
	}
}

// An invitation form opened before its role was taken out of the
// configuration (or tampered with) says why nothing was sent, next to the
// role, and keeps the addresses typed.
func TestInvitationWithARoleNoLongerOfferedSaysSo(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ada := signedUp(t, p, "ada@example.com")
	acme := ada.createOrg(t, p, "Acme")
	pg := ada.b.get("/organizations/" + acme.OrgID + "/invitations")
	pg = ada.b.submit(pg, `form[action="/organizations/`+acme.OrgID+`/invitations"]`,
		map[string]string{"email_address": "zed@example.com", "role": "org:billing"})
	wantText(t, "unknown role", pg, http.StatusUnprocessableEntity, "Choose one of the roles offered.")
	if v := pg.Doc.Find(`input[name="email_address"]`).AttrOr("value", ""); v != "zed@example.com" {
		t.Errorf("the typed addresses were lost: %q", v)
	}
	sel := pg.Doc.Find(`select[name="role"]`)
	if sel.AttrOr("aria-invalid", "") != "true" || pg.Doc.Find("#"+sel.AttrOr("aria-describedby", "none")).Text() != "Choose one of the roles offered." {
		t.Errorf("the message is not tied to the role field")
	}
}

// Removing a member nobody can find (one of another organization, or made
// up) ends on the "not found" page (REQ-AC-02: missing and not theirs read
// alike); its way back keeps the app's redirect_url, so "Back to the app"
// is still offered there.
func TestRefusalPageKeepsTheWayBackToTheApp(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ada := signedUp(t, p, "ada@example.com")
	acme := ada.createOrg(t, p, "Acme")
	mid := addTestMember(t, p, acme.OrgID, newTestUser(t, p, "bob@example.com"), org.RoleMember)
	members := ada.b.get("/organizations/" + acme.OrgID + "/members?redirect_url=" + url.QueryEscape(appURL))
	if err := p.Store.Q.DeleteMembership(context.Background(), mid); err != nil { // gone without a trace
		t.Fatal(err)
	}
	again := ada.b.openRemove(members, mid)
	wantText(t, "removed elsewhere", again, http.StatusNotFound, "We couldn't find that.")
	back := again.Doc.Find(`a:contains("Your organization")`).AttrOr("href", "")
	pg := ada.b.get(back)
	if pg.Doc.Find(`a[href="`+appURL+`"]`).Length() == 0 {
		t.Errorf("the refusal's way back (%q) lost the app's redirect_url:\n%s", back, pg.text())
	}
}

// REQ-AC-07: a refused authorization is logged with who asked for what.
func TestRefusalsAreLogged_REQ_AC_07(t *testing.T) {
	log := &syncBuffer{}
	p := portaltest.Start(t, portaltest.Options{Log: log})
	ada := signedUp(t, p, "ada@example.com")
	acme := ada.createOrg(t, p, "Acme")
	eve := signedUp(t, p, "eve@example.com")
	mark := log.Len()
	if pg := eve.b.getRaw("/organizations/" + acme.OrgID + "/members"); pg.Status != http.StatusNotFound {
		t.Fatalf("outsider reads the members: %d", pg.Status)
	}
	got := log.String()[mark:]
	for _, want := range []string{"authorization refused", eve.id, acme.OrgID, "/organizations/:org_id/members", "not_found"} {
		if !strings.Contains(got, want) {
			t.Errorf("the log of the refusal lacks %q:\n%s", want, got)
		}
	}
}

// REQ-AC-03: forms take only their own fields. Extra ones naming a role, a
// limit, an owner or another organization change nothing.
func TestExtraFieldsAreIgnored_REQ_AC_03(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ada := signedUp(t, p, "ada@example.com")
	acme := ada.createOrg(t, p, "Acme")
	eve := signedUp(t, p, "eve@example.com")
	evil := eve.createOrg(t, p, "Evil")
	ctx := context.Background()

	pg := ada.b.postForm(http.MethodPost, "/organizations/"+acme.OrgID, url.Values{"_csrf": {ada.b.csrf()},
		"name": {"Acme 2"}, "slug": {"acme-2"}, "max_members": {"1000"}, "created_by": {eve.id}, "id": {evil.OrgID},
		"logo_version": {"7"}, "organization_id": {evil.OrgID}}, nil)
	if pg.Status != http.StatusSeeOther {
		t.Fatalf("update: %d\n%s", pg.Status, pg.text())
	}
	o, err := p.Store.Q.OrganizationByID(ctx, acme.OrgID)
	if err != nil || o.Name != "Acme 2" || o.MaxMembers != 0 || o.CreatedBy != ada.id || o.LogoVersion != 0 {
		t.Errorf("after an update with extra fields: %+v, %v", o, err)
	}
	if e, _ := p.Store.Q.OrganizationByID(ctx, evil.OrgID); e.Name != "Evil" {
		t.Errorf("another organization changed: %+v", e)
	}
	// Joining through the create form does not pick a role either.
	pg = eve.b.postForm(http.MethodPost, "/create-organization", url.Values{"_csrf": {eve.b.csrf()}, "name": {"Third"},
		"role": {"org:member"}, "organization_id": {acme.OrgID}, "user_id": {ada.id}}, nil)
	if pg.Status != http.StatusSeeOther {
		t.Fatalf("create: %d", pg.Status)
	}
	third, err := p.Store.Q.OrganizationBySlug(ctx, "third")
	if err != nil {
		t.Fatal(err)
	}
	if m, err := p.Store.Q.MembershipOf(ctx, third.ID, eve.id); err != nil || m.Role != org.RoleAdmin {
		t.Errorf("creator's membership = %+v, %v", m, err)
	}
	if _, err := p.Store.Q.MembershipOf(ctx, acme.OrgID, eve.id); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("eve joined acme through extra fields: %v", err)
	}
}

// When the mail server refuses an invitation that is already saved, the
// admin is told so and pointed at Resend — not told to "try again", which
// would only answer "already invited" — and Resend sends it once the mail
// server takes it.
func TestInvitationSavedButNotEmailed(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ada := signedUp(t, p, "ada@example.com")
	acme := ada.createOrg(t, p, "Acme")
	p.SMTP.Refuse("zed@example.com")
	pg := ada.b.get("/organizations/" + acme.OrgID + "/invitations")
	pg = ada.b.submit(pg, `form[action="/organizations/`+acme.OrgID+`/invitations"]`, map[string]string{"email_address": "zed@example.com"})
	wantText(t, "after a refused email", pg, http.StatusOK,
		"The invitations are saved, but the email couldn't be sent just now to zed@example.com. Press Resend in the list below in a moment.")
	if pg.URL.Path != "/organizations/"+acme.OrgID+"/invitations" {
		t.Errorf("after inviting: at %s", pg.URL)
	}
	p.SMTP.Accept("zed@example.com")
	pg = ada.b.submit(pg, `form[action$="/resend"]`, nil)
	wantText(t, "resent", pg, http.StatusOK, "The invitation was sent again.")
	if link := p.SMTP.WaitFor(t, "zed@example.com", mailWait).Link(); !strings.Contains(link, "/accept-invitation?ticket=") {
		t.Errorf("the resent invitation's link = %q", link)
	}
}
