package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// Inviting many people at once emails them a few at a time, not one after
// another: ten addresses on a slow mail server, each send allowed half the
// write timeout, would otherwise run past it. Every invitee gets their
// email; the sends overlap, never more than four at once; and an address
// the mail server refuses is the one named as not emailed, while the
// others' emails arrive. From the organization's form, and from the
// Backend API's bulk request, which stays all or none and names the item
// whose email failed.
func TestInvitationEmailsGoAFewAtATime(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ada := signedUp(t, p, "ada@example.com")
	acme := ada.createOrg(t, p, "Acme")
	p.SMTP.Slow(500 * time.Millisecond)

	var guests []string
	for i := range 10 {
		guests = append(guests, fmt.Sprintf("guest%d@example.com", i))
	}
	p.SMTP.Refuse("guest3@example.com")
	pg := ada.b.get("/organizations/" + acme.OrgID + "/invitations")
	pg = ada.b.submit(pg, `form[action="/organizations/`+acme.OrgID+`/invitations"]`,
		map[string]string{"email_address": strings.Join(guests, ", ")})
	wantText(t, "after inviting ten, one refused", pg, http.StatusOK,
		"The invitations are saved, but the email couldn't be sent just now to guest3@example.com. Press Resend in the list below in a moment.")
	for _, g := range guests {
		if g == "guest3@example.com" {
			continue
		}
		if link := p.SMTP.WaitFor(t, g, mailWait).Link(); !strings.Contains(link, "/accept-invitation?ticket=") {
			t.Errorf("%s: invitation email link %q", g, link)
		}
	}
	if n := p.SMTP.MostAtOnce(); n < 2 || n > 4 {
		t.Errorf("the mail server took %d invitation emails at once, want them to overlap, four at most", n)
	}
	pending, err := p.Store.Q.ListPendingInvitations(t.Context(), acme.OrgID)
	if err != nil || len(pending) != 10 {
		t.Errorf("%d pending invitations (%v), want all ten saved", len(pending), err)
	}

	// The bulk request: all emailed but one, so none is left pending,
	// and the answer names that one.
	var items []map[string]any
	for i := range 10 {
		items = append(items, map[string]any{"email_address": fmt.Sprintf("bulk%d@example.com", i), "role": "org:member"})
	}
	p.SMTP.Refuse("bulk6@example.com")
	path := "/v1/organizations/" + acme.OrgID + "/invitations/bulk"
	r := apiCall(t, p, http.MethodPost, path, "Bearer "+p.SecretKey, items)
	var e clerkErrors
	if r.Status != http.StatusServiceUnavailable || json.Unmarshal(r.Body, &e) != nil || len(e.Errors) != 1 ||
		e.Errors[0].Code != "service_unavailable" || !strings.HasPrefix(e.Errors[0].LongMessage, "Invitation 7 of 10: ") ||
		e.Errors[0].Meta["index"] != float64(6) {
		t.Errorf("bulk with bulk6's email refused: %d %s, want 503 naming invitation 7 (index 6)", r.Status, r.Body)
	}
	if after, err := p.Store.Q.ListPendingInvitations(t.Context(), acme.OrgID); err != nil || len(after) != 10 {
		t.Errorf("%d pending invitations after the failed bulk request (%v), want the form's ten only", len(after), err)
	}
	// All or none: once bulk6's email failed no other was started, so the
	// last two, whose turn came after it, got no link that no longer works
	// (bulk6 is refused at once; each email takes the server 500 ms).
	for _, m := range p.SMTP.Messages() {
		for _, late := range []string{"bulk8@example.com", "bulk9@example.com"} {
			if slices.Contains(m.To, late) {
				t.Errorf("%s was emailed a withdrawn invitation", late)
			}
		}
	}
	p.SMTP.Accept("bulk6@example.com")
	r = apiCall(t, p, http.MethodPost, path, "Bearer "+p.SecretKey, items)
	if r.Status != http.StatusOK {
		t.Fatalf("the same bulk request again: %d %s", r.Status, r.Body)
	}
	for i := range 10 {
		if link := p.SMTP.WaitFor(t, fmt.Sprintf("bulk%d@example.com", i), mailWait).Link(); !strings.Contains(link, "/accept-invitation?ticket=") {
			t.Errorf("bulk%d: invitation email link %q", i, link)
		}
	}
	if n := p.SMTP.MostAtOnce(); n > 4 {
		t.Errorf("the mail server took %d invitation emails at once, want four at most", n)
	}
}

// The "not emailed" notice names addresses from the IDs in its URL, which
// anyone can write: only pending invitations of the organization on the
// page, which its viewer may see, are named. Another organization's
// invitation ID names nothing, and that organization's page stays closed
// to whoever is not its member (REQ-AC-02, REQ-AC-05); text in the URL is
// never shown.
func TestUnsentNoticeNamesOnlyThisOrganizationsInvitations_REQ_AC_05(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ada := signedUp(t, p, "ada@example.com")
	acme := ada.createOrg(t, p, "Acme")
	p.SMTP.Refuse("secret-guest@example.com")
	pg := ada.b.get("/organizations/" + acme.OrgID + "/invitations")
	pg = ada.b.submit(pg, `form[action="/organizations/`+acme.OrgID+`/invitations"]`,
		map[string]string{"email_address": "secret-guest@example.com"})
	wantText(t, "Acme's invitation not emailed", pg, http.StatusOK, "secret-guest@example.com")
	ids := pg.URL.Query().Get("unsent")
	if ids == "" {
		t.Fatalf("no unsent IDs in %s", pg.URL)
	}

	eve := signedUp(t, p, "eve@example.com")
	evil := eve.createOrg(t, p, "Evil")
	for _, q := range []string{ids, ids + ",<b>Send your password to eve</b>", "<script>alert(1)</script>"} {
		crafted := eve.b.get("/organizations/" + evil.OrgID + "/invitations?notice=invited_unsent&unsent=" + url.QueryEscape(q))
		if strings.Contains(crafted.Body, "secret-guest") || strings.Contains(crafted.Body, "Send your password") ||
			strings.Contains(crafted.Body, "<script>alert") {
			t.Errorf("Evil's page with unsent=%q shows another organization's address or the URL's text:\n%s", q, crafted.text())
		}
	}
	other := eve.b.get("/organizations/" + acme.OrgID + "/invitations?notice=invited_unsent&unsent=" + url.QueryEscape(ids))
	if other.Status < 400 || strings.Contains(other.Body, "secret-guest") {
		t.Errorf("Acme's invitations page for a non-member: status %d:\n%s", other.Status, other.text())
	}
}
