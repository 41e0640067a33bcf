package browser

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/org"
	"github.com/portalhq/portal/internal/user"
)

// TestOrganizationFormErrorsTakeTheFocus: the organization's settings page
// is long, with the settings, leaving and deleting in forms of their own,
// as the invitations page has the invite form above the pending list. On a
// phone, a refused form must take the person to the field to fix — the
// delete form's confirmation at the bottom of the page, not the top of the
// page with the message out of sight — announced and tied to its message.
// Opened, the settings page puts the focus in no field.
func TestOrganizationFormErrorsTakeTheFocus(t *testing.T) {
	t.Parallel()
	w := start(t, nil)
	b := w.b
	b.emulateFocus()
	w.signUp()
	b.open(w.p.URL + "/create-organization?redirect_url=" + url.QueryEscape(w.app.URL))
	b.typeInto("name-field", "Analytical Engines")
	b.submit("create the organization", `form[action="/create-organization"]`)
	orgID := b.text("#org-id")
	general := w.p.URL + "/organizations/" + orgID

	// A second admin, so that leaving is allowed and only the typed name
	// can be wrong.
	ctx, now := context.Background(), w.p.Clock.Now()
	grace := &user.User{ID: id.New(id.User), FirstName: "Grace", CreatedAt: now, UpdatedAt: now}
	if err := w.p.Store.Q.CreateUser(ctx, grace); err != nil {
		t.Fatal(err)
	}
	if err := w.p.Store.Q.CreateMembership(ctx, &org.Membership{ID: id.New(id.OrgMember), OrgID: orgID, UserID: grace.ID,
		Role: org.RoleAdmin, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}

	b.do("phone viewport", chromedp.EmulateViewport(narrowWidth, narrowHeight))
	b.open(general)
	if got := b.eval(`document.activeElement === document.body ? "" : document.activeElement.id`); got != "" {
		b.fatalf("the settings page opens with the focus on #%s, want the page itself", got)
	}

	b.typeInto("confirm_name-field", "Analytical")
	if st := b.submit("delete with the name half typed", `form[action$="/delete"]`); st != http.StatusUnprocessableEntity {
		b.fatalf("delete with a wrong name: status %d, want 422", st)
	}
	b.expectFieldError("confirm_name")
	if got := b.eval(`String(document.getElementById("confirm_name-field").getBoundingClientRect().top < innerHeight)`); got != "true" {
		b.fatalf("the refused confirmation is below the phone's screen")
	}

	b.open(general)
	b.typeInto("leave_confirm_name-field", "Analytical")
	b.submit("leave with the name half typed", `form[action$="/leave"]`)
	b.expectFieldError("leave_confirm_name")

	b.open(general)
	b.do("lift the slug's pattern", chromedp.Evaluate[chromedp.Void](`document.getElementById("slug-field").removeAttribute("pattern")`))
	b.do("clear the slug", chromedp.Clear(chromedp.ID("slug-field")))
	b.typeInto("slug-field", "Not A Slug")
	b.submit("save a slug with spaces", `form[action="/organizations/`+orgID+`"]`)
	b.expectFieldError("slug")

	b.open(general + "/invitations")
	b.typeInto("email_address-field", "grace@example.com, not-an-email")
	b.submit("invite an address that is none", `form[action$="/invitations"]`)
	b.expectFieldError("email_address")
	if got := b.value("#email_address-field"); got != "grace@example.com, not-an-email" {
		b.fatalf("the addresses typed came back as %q", got)
	}
}
