package e2e

import (
	"context"
	"errors"
	"fmt"
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

// Remove on the members page asks first: a page titled by its question,
// saying what the person loses, with Remove and a Cancel back to the page
// and search it came from. Opening it changes nothing; confirming removes
// the member, writes organizationMembership.deleted once, and comes back to
// that page of the search. No form on the members page removes anyone in
// one press.
func TestRemovingAMemberIsConfirmed(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ada := signedUp(t, p, "ada@example.com")
	acme := ada.createOrg(t, p, "Acme")
	ctx := context.Background()
	for i := range org.PerPage + 2 {
		addTestMember(t, p, acme.OrgID, newTestUser(t, p, fmt.Sprintf("team-%02d@example.com", i)), org.RoleMember)
	}
	// Members are listed by when they joined, then by ID (random): Bob
	// joins a moment after the others, so that he is last, on page 2,
	// not tied with one of them in the same millisecond.
	time.Sleep(2 * time.Millisecond)
	bob := namedTestUser(t, p, "Bob", "Jones", "team-bob@example.com")
	bobM := addTestMember(t, p, acme.OrgID, bob, org.RoleMember)

	list := "/organizations/" + acme.OrgID + "/members"
	members := ada.b.get(list + "?query=team-&page=2&redirect_url=" + url.QueryEscape(appURL))
	wantText(t, "page 2 of the search", members, http.StatusOK, "Page 2 of 2", "Bob Jones")
	if n := members.Doc.Find(`form[action$="/remove"]`).Length(); n != 0 {
		t.Fatalf("the members page has %d forms that remove someone in one press", n)
	}

	before := orgEventTypes(t, p)
	confirm := ada.b.openRemove(members, bobM)
	wantText(t, "the confirmation", confirm, http.StatusOK,
		"Bob Jones loses access to Acme in every app, even where they're signed in right now: their sessions no longer carry Acme.")
	if got := confirm.Doc.Find("title").Text(); got != "Remove Bob Jones from Acme? · Portal" {
		t.Errorf("title %q", got)
	}
	if got := confirm.Doc.Find("h1").Text(); got != "Remove Bob Jones from Acme?" {
		t.Errorf("heading %q", got)
	}
	if b := confirm.Doc.Find(removeForm + ` button[type="submit"]`); strings.TrimSpace(b.Text()) != "Remove" || !b.HasClass("cl-formButtonDanger") {
		t.Errorf("the confirmation's button: %q, class %q", b.Text(), b.AttrOr("class", ""))
	}
	if _, err := p.Store.Q.MembershipByID(ctx, bobM); err != nil {
		t.Fatalf("opening the confirmation removed the member: %v", err)
	}
	if got := orgEventTypes(t, p); len(got) != len(before) {
		t.Errorf("opening the confirmation wrote events: %v", got[len(before):])
	}

	// Cancel: back to page 2 of the search, the way back to the app kept.
	cancel := confirm.Doc.Find(`a:contains("Cancel")`).AttrOr("href", "")
	back := ada.b.get(cancel)
	wantText(t, "cancelled", back, http.StatusOK, "Page 2 of 2", "Bob Jones")
	if q := back.URL.Query(); back.URL.Path != list || q.Get("page") != "2" || q.Get("query") != "team-" || q.Get("redirect_url") != appURL {
		t.Errorf("Cancel leads to %s, want page 2 of the search with the way back to the app", back.URL)
	}

	done := ada.b.submit(confirm, removeForm, nil)
	wantText(t, "removed", done, http.StatusOK, "The member is removed.", "Page 2 of 2")
	if strings.Contains(done.text(), "Bob Jones") {
		t.Errorf("Bob is still listed:\n%s", done.text())
	}
	if q := done.URL.Query(); q.Get("page") != "2" || q.Get("query") != "team-" || q.Get("redirect_url") != appURL {
		t.Errorf("after removing: at %s, want page 2 of the search with the way back to the app", done.URL)
	}
	if _, err := p.Store.Q.MembershipByID(ctx, bobM); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("the member is still there: %v", err)
	}
	if got := orgEventTypes(t, p)[len(before):]; !slices.Equal(got, []string{"organizationMembership.deleted"}) {
		t.Errorf("events of the removal = %v", got)
	}

	// The Remove link of a page opened before the removal says it is done.
	again := ada.b.openRemove(members, bobM)
	wantText(t, "removed from another tab", again, http.StatusOK, "That member was already removed.")
	if again.URL.Path != list || again.URL.Query().Get("page") != "2" {
		t.Errorf("a stale Remove ends at %s, want the page it came from", again.URL)
	}
}

// The last admin, and an admin with another beside them, cannot remove
// themselves from the members page's routes: the first hears that the
// organization needs an admin, the other that leaving is the General tab's
// Leave, confirmed by the organization's name (which removing oneself would
// skip). Neither is asked to confirm what would be refused; nothing changes.
func TestRemovingYourselfIsRefused(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ada := signedUp(t, p, "ada@example.com")
	acme := ada.createOrg(t, p, "Acme")
	self := userMembership(t, p, acme.OrgID, ada.id)
	path := "/organizations/" + acme.OrgID + "/members/" + self + "/remove"
	before := len(orgEventTypes(t, p))

	pg := ada.b.get(path)
	wantText(t, "the last admin", pg, http.StatusConflict, "An organization needs at least one admin. Make someone else an admin first.")
	if pg.Doc.Find(removeForm).Length() != 0 {
		t.Errorf("the last admin is asked to confirm removing herself")
	}
	pg = ada.b.postForm(http.MethodPost, path, url.Values{"_csrf": {ada.b.csrf()}}, nil)
	wantText(t, "the last admin, posted", pg, http.StatusConflict, "Make someone else an admin first.")

	addTestMember(t, p, acme.OrgID, newTestUser(t, p, "grace@example.com"), org.RoleAdmin)
	pg = ada.b.get(path)
	wantText(t, "another admin beside her", pg, http.StatusForbidden,
		`You can't remove yourself. To leave the organization, use "Leave organization" on its General tab.`)
	if pg.Doc.Find(removeForm).Length() != 0 {
		t.Errorf("Ada is asked to confirm removing herself")
	}
	pg = ada.b.postForm(http.MethodPost, path, url.Values{"_csrf": {ada.b.csrf()}}, nil)
	wantText(t, "another admin beside her, posted", pg, http.StatusForbidden, "You can't remove yourself.")
	if _, err := p.Store.Q.MembershipByID(context.Background(), self); err != nil {
		t.Errorf("Ada removed herself: %v", err)
	}
	if n := len(orgEventTypes(t, p)); n != before {
		t.Errorf("refusals wrote %d events", n-before)
	}
}

// orgEventTypes are the types of the organization events written so far,
// oldest first.
func orgEventTypes(t *testing.T, p *portaltest.Portal) []string {
	t.Helper()
	evs, err := p.Store.Q.EventsAfter(context.Background(), 0, 100_000)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		if strings.HasPrefix(e.Type, "organization") {
			out = append(out, e.Type)
		}
	}
	return out
}
