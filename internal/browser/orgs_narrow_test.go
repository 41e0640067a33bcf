package browser

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/org"
	"github.com/portalhq/portal/internal/user"
)

// outOfSight lists the links, buttons and selects of the page's tables that a
// person at this width cannot see without scrolling the table sideways:
// those reaching past the right edge of their .cl-tableScroll box.
const outOfSight = `JSON.stringify([...document.querySelectorAll(".cl-tableScroll")].flatMap(box => {
	const edge = box.getBoundingClientRect().right + 0.5;
	return [...box.querySelectorAll("a, button, select")].filter(el => el.getBoundingClientRect().right > edge)
		.map(el => (el.getAttribute("aria-label") || el.textContent.trim() || el.id));
}))`

// cellLabels are the labels the page's organization tables show in each
// row, "+"-separated, a row per string, sorted: on a phone (.cl-rows) the header
// row is hidden, and each cell that is not self-explanatory names its
// column.
const cellLabels = `JSON.stringify([...document.querySelectorAll(".cl-rows tbody tr")].map(tr =>
	[...tr.querySelectorAll(".cl-cellLabel")].filter(l => l.getClientRects().length > 0).map(l => l.textContent).join("+")).sort())`

// offCentre lists the rows of the page's organization tables whose cells'
// contents do not share a middle line (within 2 px): on a desktop a name
// over its address, a date, a role menu and the row's links or buttons
// line up across the row, as a person reads it, not each at its cell's top.
const offCentre = `JSON.stringify([...document.querySelectorAll(".cl-rows tbody tr")].flatMap(tr => {
	const mids = [...tr.cells].map(td => {
		const r = document.createRange();
		r.selectNodeContents(td);
		const b = r.getBoundingClientRect();
		return b.height > 0 ? (b.top + b.bottom) / 2 : null;
	}).filter(m => m !== null);
	return Math.max(...mids) - Math.min(...mids) > 2 ? [tr.cells[0].textContent.trim() + ": " + mids.map(Math.round).join(",")] : [];
}))`

// TestOrganizationTablesFitAPhone: at 320 px, with the names and addresses
// people really have, an admin sees every row's role menu and its Change
// role and Remove links on the members page, Resend and Revoke on the
// invitations page, and Accept and Reject on the requests page, without
// having to find out that the table scrolls sideways. With the header row
// out of sight, each row names its dates and plain roles ("Joined",
// "Expires", "Role"); on a desktop the header does, the rows don't
// repeat it, and each row's cells line up on one middle line.
func TestOrganizationTablesFitAPhone(t *testing.T) {
	t.Parallel()
	w := start(t, clockwork.NewFakeClockAt(time.Now()))
	ada := w.b
	w.signUp()
	ada.open(w.p.URL + "/create-organization?redirect_url=" + url.QueryEscape(w.app.URL))
	ada.typeInto("name-field", "Acme")
	ada.submit("create the organization", `form[action="/create-organization"]`)
	orgID := ada.text("#org-id")

	ctx, now := context.Background(), w.p.Clock.Now()
	person := func(first, last, email string) *user.User {
		u := &user.User{ID: id.New(id.User), FirstName: first, LastName: last, CreatedAt: now, UpdatedAt: now}
		e := user.Identifier{ID: id.New(id.Identifier), UserID: u.ID, Kind: user.Email, Value: email, VerifiedAt: &now,
			CreatedAt: now, UpdatedAt: now}
		u.PrimaryEmailID, u.Identifiers = e.ID, []user.Identifier{e}
		if err := w.p.Store.Q.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		return u
	}
	bart := person("Bartholomew", "Featherstonehaugh-Smythe", "bartholomew.featherstonehaugh@engineering.example.com")
	if err := w.p.Store.Q.CreateMembership(ctx, &org.Membership{ID: id.New(id.OrgMember), OrgID: orgID, UserID: bart.ID,
		Role: org.RoleMember, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	ada.open(w.p.URL + "/organizations/" + orgID + "/invitations")
	ada.typeInto("email_address-field", "maximilian.oberhollenzer@engineering.example.com")
	ada.submit("send the invitation", `form[action$="/invitations"]`)

	labels := map[string]string{"/members": `["Joined","Joined+Role"]`, "/invitations": `["Role+Expires"]`}
	for _, tab := range []string{"/members", "/invitations"} {
		ada.open(w.p.URL + "/organizations/" + orgID + tab)
		if got := ada.eval(cellLabels); got != `[""`+strings.Repeat(`,""`, strings.Count(labels[tab], ","))+`]` {
			ada.fatalf("on a desktop, the rows of %s repeat the header: %s", tab, got)
		}
		if got := ada.eval(offCentre); got != "[]" {
			ada.fatalf("on a desktop, the cells of these rows of %s don't line up (their middles, px): %s", tab, got)
		}
	}
	ada.do("320 px viewport", chromedp.EmulateViewport(narrowWidth, narrowHeight))
	for _, tab := range []string{"/members", "/invitations"} {
		ada.open(w.p.URL + "/organizations/" + orgID + tab)
		if got := ada.eval(outOfSight); got != "[]" {
			ada.fatalf("at 320 px, %s hides past the table's edge: %s", tab, got)
		}
		if got := ada.eval(cellLabels); got != labels[tab] {
			ada.fatalf("at 320 px, the rows of %s name their cells %s, want %s", tab, got, labels[tab])
		}
	}
}
