package e2e

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/org"
	"github.com/portalhq/portal/internal/testutil/portaltest"
)

func requestForm(suggestionID string) string {
	return `form[action="/switch-organization/suggestions/` + suggestionID + `/request"]`
}

func answerForm(orgID, requestID, answer string) string {
	return `form[action="/organizations/` + orgID + `/requests/` + requestID + `/` + answer + `"]`
}

// suggestionTo is the ID of the open suggestion of orgID to the person with
// email.
func suggestionTo(t *testing.T, p *portaltest.Portal, orgID, email string) string {
	t.Helper()
	s, err := p.Store.Q.LatestSuggestion(context.Background(), orgID, userID(t, p, email))
	if err != nil || !s.Open() {
		t.Fatalf("suggestion of %s to %s: %+v, %v", orgID, email, s, err)
	}
	return s.ID
}

// An admin turns on automatic suggestions for a verified domain on its
// page: the person who already has an address there, the one who signs up
// with one and the one who adds one on /user each find the organization
// suggested on /switch-organization ("Request to join"); a member gets
// none. Requesting makes it read "Requested"; the admin finds the requests
// under the "Requests" tab, rejects one and accepts another, who then has
// the organization in their list. Accepting holds the member limit, and an
// answered request cannot be answered again.
func TestSuggestionsThroughThePages(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_ORG_MAX_MEMBERS": "3"}})
	ada := signedUp(t, p, "ada@acme.test")
	carol := signedUp(t, p, "carol@acme.test") // has an address there already
	acme := ada.createOrg(t, p, "Acme")
	bob := signedUp(t, p, "bob@example.com")
	ada.invite(t, p, acme.OrgID, "bob@example.com", org.RoleMember)
	bob.b.submit(bob.b.get("/switch-organization"), joinForm(pendingTo(t, p, acme.OrgID, "bob@example.com")), nil)

	// Ada's own address verifies the domain as she adds it.
	added := ada.b.submit(ada.b.get("/organizations/"+acme.OrgID), domainForm(acme.OrgID), map[string]string{"domain": "acme.test"})
	wantText(t, "after adding", added, http.StatusOK, "The domain is verified.", "Automatic suggestions")
	dp := added.URL.Path
	domainID := strings.TrimPrefix(dp, "/organizations/"+acme.OrgID+"/domains/")
	if tab := added.Doc.Find(`a[href^="/organizations/` + acme.OrgID + `/requests"]`); tab.Length() != 0 {
		t.Error("the requests tab shows before the organization takes requests")
	}
	saved := ada.b.submit(added, domainStepForm(dp, "enrollment"), map[string]string{"enrollment_mode": "automatic_suggestion"})
	wantText(t, "after choosing automatic suggestions", saved, http.StatusOK, "Your changes are saved.",
		"1 person at acme.test can ask to join.")
	if saved.Doc.Find(`input[name="enrollment_mode"][value="automatic_suggestion"][checked]`).Length() != 1 {
		t.Error("the chosen mode is not checked")
	}
	if tab := saved.Doc.Find(`nav a[href^="/organizations/` + acme.OrgID + `/requests"]`); tab.Text() != "Requests" {
		t.Errorf("the requests tab reads %q", tab.Text())
	}
	settings := ada.b.get("/organizations/" + acme.OrgID)
	if got := settings.Doc.Find(`[data-domain="` + domainID + `"] .cl-tag`).Text(); !strings.Contains(got, "Automatic suggestions") {
		t.Errorf("the domain is tagged %q in the settings", got)
	}

	// Carol had an address there: the suggestion waits, the form carries the app.
	pg := carol.b.get(withRedirect("/switch-organization", appURL))
	wantText(t, "carol's switcher", pg, http.StatusOK, "Suggested organizations", "Acme", "Suggested for carol@acme.test", "Request to join")
	carolSg := suggestionTo(t, p, acme.OrgID, "carol@acme.test")
	ask := pg.Doc.Find(requestForm(carolSg) + ` button[type="submit"]`)
	if label, _ := ask.Attr("aria-label"); ask.Text() != "Request to join" || label != "Request to join Acme" {
		t.Errorf("request button %q labelled %q", ask.Text(), label)
	}
	var toCarol []string
	for _, m := range p.SMTP.Messages() {
		if slices.Contains(m.To, "carol@acme.test") {
			toCarol = append(toCarol, m.Subject)
		}
	}
	if len(toCarol) != 1 { // the sign-up code only: suggestions are not emailed
		t.Errorf("carol was emailed %q", toCarol)
	}
	// Dave signs up with an address there; Eve adds one on /user; Bob, a
	// member, adds one and is suggested nothing.
	dave := signedUp(t, p, "dave@acme.test")
	wantText(t, "dave's switcher", dave.b.get("/switch-organization"), http.StatusOK, "Suggested organizations", "Acme", "Request to join")
	eve := signedUp(t, p, "eve@example.com")
	addEmail(t, p, eve.b, "eve@acme.test")
	wantText(t, "eve's switcher", eve.b.get("/switch-organization"), http.StatusOK, "Suggested for eve@acme.test", "Request to join")
	addEmail(t, p, bob.b, "bob@acme.test")
	if _, err := p.Store.Q.LatestSuggestion(context.Background(), acme.OrgID, bob.id); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("a member was suggested the organization: %v", err)
	}

	// Someone else cannot ask with Carol's suggestion (404, nothing
	// changes); the form needs the CSRF token.
	other := eve.b.postForm(http.MethodPost, "/switch-organization/suggestions/"+carolSg+"/request",
		url.Values{"_csrf": {eve.b.csrf()}}, nil)
	if other.Status != http.StatusNotFound {
		t.Errorf("eve asks with carol's suggestion: status %d", other.Status)
	}
	if noToken := carol.b.postForm(http.MethodPost, "/switch-organization/suggestions/"+carolSg+"/request", url.Values{}, nil); noToken.Status != http.StatusForbidden {
		t.Errorf("requesting without the CSRF token: status %d", noToken.Status)
	}
	requested := carol.b.submit(pg, requestForm(carolSg), nil)
	wantText(t, "after requesting", requested, http.StatusOK, "Your request is sent. An admin of the organization will answer it.",
		"Requested", "Waiting for an admin to let you in.")
	if requested.URL.Path != "/switch-organization" || requested.URL.Query().Get("redirect_url") != appURL {
		t.Errorf("after requesting the browser is at %s", requested.URL)
	}
	if requested.Doc.Find(requestForm(carolSg)).Length() != 0 {
		t.Error("a requested suggestion still offers the request form")
	}
	if got := requested.Doc.Find(`#` + carolSg + ` [data-testid="requested"]`).Text(); got != "Requested" {
		t.Errorf("carol's suggestion reads %q", got)
	}
	for _, who := range []*member{dave, eve} {
		pg := who.b.get("/switch-organization")
		who.b.submit(pg, requestForm(suggestionTo(t, p, acme.OrgID, who.email)), nil)
	}

	// Ada's tab counts them; a member cannot open it.
	general := ada.b.get("/organizations/" + acme.OrgID)
	if tab := general.Doc.Find(`nav a[href^="/organizations/` + acme.OrgID + `/requests"]`); tab.Text() != "Requests (3)" {
		t.Errorf("the requests tab reads %q", tab.Text())
	}
	if pg := bob.b.get("/organizations/" + acme.OrgID + "/requests"); pg.Status != http.StatusForbidden {
		t.Errorf("a member opens the requests: status %d", pg.Status)
	}
	if pg := bob.b.get("/organizations/" + acme.OrgID); pg.Doc.Find(`a[href^="/organizations/`+acme.OrgID+`/requests"]`).Length() != 0 {
		t.Error("a member sees the requests tab")
	}
	reqs := ada.b.get("/organizations/" + acme.OrgID + "/requests?redirect_url=" + url.QueryEscape(appURL))
	wantText(t, "the requests", reqs, http.StatusOK, "Requests to join", "carol@acme.test", "dave@acme.test", "eve@acme.test")
	if n := reqs.Doc.Find(`[data-testid="org-request"]`).Length(); n != 3 {
		t.Errorf("%d requests listed, want 3", n)
	}

	daveReq := suggestionTo(t, p, acme.OrgID, "dave@acme.test")
	rejected := ada.b.submit(reqs, answerForm(acme.OrgID, daveReq, "reject"), nil)
	wantText(t, "after rejecting", rejected, http.StatusOK, "The request is rejected.")
	if rejected.URL.Path != "/organizations/"+acme.OrgID+"/requests" || rejected.URL.Query().Get("redirect_url") != appURL {
		t.Errorf("after rejecting the browser is at %s", rejected.URL)
	}
	if strings.Contains(rejected.text(), "dave@acme.test") {
		t.Error("the rejected request is still listed")
	}
	if strings.Contains(dave.b.get("/switch-organization").text(), "Acme") {
		t.Error("after the rejection dave still sees Acme")
	}

	accepted := ada.b.submit(rejected, answerForm(acme.OrgID, carolSg, "accept"), nil)
	wantText(t, "after accepting", accepted, http.StatusOK, "The request is accepted: they're a member now.")
	m, err := p.Store.Q.MembershipOf(context.Background(), acme.OrgID, carol.id)
	if err != nil || m.Role != org.RoleMember {
		t.Fatalf("carol's membership = %+v, %v", m, err)
	}
	if got := eventTypes(eventsOf(t, p, m.ID)); !slices.Equal(got, []string{events.MembershipCreated}) {
		t.Errorf("events of carol's membership = %v", got)
	}
	theirs := carol.b.get("/switch-organization")
	if theirs.Doc.Find(switchOrgForm+` button[name="organization_id"][value="`+acme.OrgID+`"]`).Length() != 1 {
		t.Errorf("Acme is not in carol's list after she was let in:\n%s", theirs.text())
	}
	if theirs.Doc.Find(`[data-testid="org-suggestion"]`).Length() != 0 {
		t.Error("carol is still suggested Acme")
	}

	// Acme is full now (Ada, Bob, Carol): Eve's request waits, and says why.
	eveReq := suggestionTo(t, p, acme.OrgID, "eve@acme.test")
	full := ada.b.submit(accepted, answerForm(acme.OrgID, eveReq, "accept"), nil)
	wantText(t, "accepting into a full organization", full, http.StatusConflict,
		"This organization has reached its member limit.", "eve@acme.test")
	if full.Doc.Find(`[role="alert"]`).Length() == 0 {
		t.Error("the refusal is not announced")
	}
	// Carol's request again, from a page shown before it was accepted.
	again := ada.b.submit(reqs, answerForm(acme.OrgID, carolSg, "accept"), nil)
	wantText(t, "accepting twice", again, http.StatusConflict, "This request was answered already")

	// Another organization's admin cannot answer Acme's requests through theirs.
	beta := eve.createOrg(t, p, "Beta")
	if pg := eve.b.postForm(http.MethodPost, "/organizations/"+beta.OrgID+"/requests/"+eveReq+"/reject",
		url.Values{"_csrf": {eve.b.csrf()}}, nil); pg.Status != http.StatusNotFound {
		t.Errorf("another organization's admin rejects Acme's request: status %d", pg.Status)
	}
	if s, _ := p.Store.Q.SuggestionByID(context.Background(), eveReq); s.Status != org.Requested {
		t.Errorf("eve's request is %s", s.Status)
	}

	// Back to manual invitations: suggestions nobody asked for go, the
	// waiting request stays.
	frank := signedUp(t, p, "frank@acme.test")
	ada.b.submit(ada.b.get(dp), domainStepForm(dp, "enrollment"), map[string]string{"enrollment_mode": "manual_invitation"})
	if strings.Contains(frank.b.get("/switch-organization").text(), "Acme") {
		t.Error("after manual_invitation frank is still suggested Acme")
	}
	wantText(t, "requests after manual_invitation", ada.b.get("/organizations/"+acme.OrgID+"/requests"), http.StatusOK, "eve@acme.test")
}
