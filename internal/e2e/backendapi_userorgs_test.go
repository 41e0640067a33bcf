package e2e

import (
	"context"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/emailaddress"
	"github.com/clerk/clerk-sdk-go/v2/organization"
	"github.com/clerk/clerk-sdk-go/v2/organizationinvitation"
	"github.com/clerk/clerk-sdk-go/v2/organizationmembership"
	clerkuser "github.com/clerk/clerk-sdk-go/v2/user"

	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/org"
	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// membershipOrgs names the organizations of a page of memberships, checking
// each is user's and the page newest first.
func membershipOrgs(t *testing.T, list *clerk.OrganizationMembershipList, userID string) []string {
	t.Helper()
	var out []string
	for i, m := range list.OrganizationMemberships {
		if m.Organization == nil || m.PublicUserData == nil || m.PublicUserData.UserID != userID {
			t.Errorf("membership %s: organization %+v, public_user_data %+v", m.ID, m.Organization, m.PublicUserData)
			continue
		}
		if i > 0 && m.CreatedAt > list.OrganizationMemberships[i-1].CreatedAt {
			t.Errorf("membership %s is newer than the one before it", m.ID)
		}
		out = append(out, m.Organization.Name)
	}
	return out
}

// Clerk's Go SDK asks which organizations a user is in: every membership,
// each with its organization and the user's public data, the same object
// the organization's member list answers, newest first and in pages. An
// unknown user is 404 and a bad page 422, as in the other lists.
func TestClerkSDKListsAUsersMemberships(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ada, bob := newTestUser(t, p, "ada@example.com"), newTestUser(t, p, "bob@example.com")
	cfg, ctx := clerkConfig(p), context.Background()
	orgs, members, users := organization.NewClient(cfg), organizationmembership.NewClient(cfg), clerkuser.NewClient(cfg)
	acme, err := orgs.Create(ctx, &organization.CreateParams{Name: str("Acme"), CreatedBy: str(ada.ID)})
	if err != nil {
		t.Fatal(err)
	}
	beta, err := orgs.Create(ctx, &organization.CreateParams{Name: str("Beta"), CreatedBy: str(bob.ID)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := members.Create(ctx, &organizationmembership.CreateParams{OrganizationID: beta.ID, UserID: str(ada.ID),
		Role: str("org:member")}); err != nil {
		t.Fatal(err)
	}
	if _, err := orgs.Create(ctx, &organization.CreateParams{Name: str("Bob's own"), CreatedBy: str(bob.ID)}); err != nil {
		t.Fatal(err)
	}

	withImage, err := users.UpdateProfileImage(ctx, ada.ID, &clerkuser.UpdateProfileImageParams{File: pngFile(t, 300, 300)})
	if err != nil || withImage.ImageURL == nil || *withImage.ImageURL == "" {
		t.Fatalf("UpdateProfileImage = %+v, %v", withImage, err)
	}
	list, err := users.ListOrganizationMemberships(ctx, ada.ID, &clerkuser.ListOrganizationMembershipsParams{})
	if err != nil {
		t.Fatal(err)
	}
	if got := membershipOrgs(t, list, ada.ID); list.TotalCount != 2 || !sameSet(got, []string{"Acme", "Beta"}) {
		t.Fatalf("Ada's memberships: %q (total %d)", got, list.TotalCount)
	}
	// Her public data shows her profile image, as on the user object.
	for _, m := range list.OrganizationMemberships {
		if d := m.PublicUserData; d.ImageURL == nil || *d.ImageURL != *withImage.ImageURL || !d.HasImage {
			t.Errorf("membership %s: public_user_data image_url %v has_image %v, want %s", m.ID, deref(d.ImageURL), d.HasImage, *withImage.ImageURL)
		}
	}
	for _, m := range list.OrganizationMemberships {
		want := map[string]string{acme.ID: "org:admin", beta.ID: "org:member"}[m.Organization.ID]
		if m.Object != "organization_membership" || m.Role != want || m.PublicUserData.Identifier != "ada@example.com" ||
			m.Organization.Slug == "" || m.Organization.Object != "organization" {
			t.Errorf("membership = %+v in %+v", m, m.Organization)
		}
		// The organization's own list answers the same object.
		of, err := members.List(ctx, &organizationmembership.ListParams{OrganizationID: m.Organization.ID, UserIDs: []string{ada.ID}})
		if err != nil || len(of.OrganizationMemberships) != 1 {
			t.Fatalf("%s's member list: %+v, %v", m.Organization.Name, of, err)
		}
		if !reflect.DeepEqual(of.OrganizationMemberships[0], m) {
			t.Errorf("listed for the user %+v\nlisted for the organization %+v", m, of.OrganizationMemberships[0])
		}
	}

	var paged []string
	for offset := range int64(2) {
		page, err := users.ListOrganizationMemberships(ctx, ada.ID, &clerkuser.ListOrganizationMembershipsParams{
			ListParams: listPage(1, offset)})
		if err != nil || page.TotalCount != 2 || len(page.OrganizationMemberships) != 1 {
			t.Fatalf("page at %d: %+v, %v", offset, page, err)
		}
		paged = append(paged, membershipOrgs(t, page, ada.ID)...)
	}
	if all := membershipOrgs(t, list, ada.ID); !slices.Equal(paged, all) {
		t.Errorf("pages of one: %q, the whole list: %q", paged, all)
	}
	if none, err := users.ListOrganizationMemberships(ctx, ada.ID, &clerkuser.ListOrganizationMembershipsParams{
		ListParams: listPage(10, 2)}); err != nil || none.TotalCount != 2 || len(none.OrganizationMemberships) != 0 {
		t.Errorf("past the end: %+v, %v", none, err)
	}

	_, err = users.ListOrganizationMemberships(ctx, "user_nobody", &clerkuser.ListOrganizationMembershipsParams{})
	wantSDKError(t, err, http.StatusNotFound, "resource_not_found")
	for _, lp := range []clerk.ListParams{listPage(501, 0), listPage(10, -1)} {
		_, err = users.ListOrganizationMemberships(ctx, ada.ID, &clerkuser.ListOrganizationMembershipsParams{ListParams: lp})
		wantSDKError(t, err, http.StatusUnprocessableEntity, "form_param_format_invalid")
	}
	e := wantAPIError(t, api(t, p, http.MethodGet, "/v1/users/"+ada.ID+"/organization_memberships?limit=ten", nil, nil),
		http.StatusUnprocessableEntity, "form_param_format_invalid")
	if e.Errors[0].Meta["param_name"] != "limit" {
		t.Errorf("a bad limit names %v", e.Errors[0].Meta)
	}
}

// Clerk's Go SDK asks which organizations a user is invited to: the
// invitations sent to any of their verified addresses, by any
// organization, pending ones unless other statuses are asked for, each
// with the organization's public data; an accepted, a revoked and an
// expired one come when asked for, and an invitation to someone else or to
// an address the user has not verified never does.
func TestClerkSDKListsAUsersInvitations(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ada := signedUp(t, p, "ada@example.com") // her browser joins one below
	bob := newTestUser(t, p, "bob@example.com")
	cfg, ctx := clerkConfig(p), context.Background()
	orgs, invs, users := organization.NewClient(cfg), organizationinvitation.NewClient(cfg), clerkuser.NewClient(cfg)
	emails := emailaddress.NewClient(cfg)
	for addr, verified := range map[string]bool{"ada@work.example": true, "ada@unverified.example": false} {
		if _, err := emails.Create(ctx, &emailaddress.CreateParams{UserID: str(ada.id), EmailAddress: str(addr),
			Verified: boolPtr(verified)}); err != nil {
			t.Fatal(err)
		}
	}
	newOrg := func(name string) *clerk.Organization {
		t.Helper()
		o, err := orgs.Create(ctx, &organization.CreateParams{Name: str(name), CreatedBy: str(bob.ID)})
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	invite := func(o *clerk.Organization, email, role string) *clerk.OrganizationInvitation {
		t.Helper()
		inv, err := invs.Create(ctx, &organizationinvitation.CreateParams{OrganizationID: o.ID, EmailAddress: str(email),
			Role: str(role), InviterUserID: str(bob.ID)})
		if err != nil {
			t.Fatalf("invite %s to %s: %v", email, o.Name, err)
		}
		return inv
	}
	gamma, delta, epsilon, zeta := newOrg("Gamma"), newOrg("Delta"), newOrg("Epsilon"), newOrg("Zeta")
	pending := invite(gamma, "ada@work.example", "org:member")
	revoked := invite(delta, "ada@example.com", "org:member")
	if _, err := invs.Revoke(ctx, &organizationinvitation.RevokeParams{OrganizationID: delta.ID, ID: revoked.ID}); err != nil {
		t.Fatal(err)
	}
	accepted := invite(epsilon, "ada@example.com", "org:admin")
	joined := ada.b.submit(ada.b.get("/switch-organization"), joinForm(accepted.ID), nil)
	wantText(t, "after joining", joined, http.StatusOK, "Welcome! You joined the organization.")
	invite(gamma, "ada@unverified.example", "org:member")
	invite(gamma, "cy@example.com", "org:member")
	// One that ran out before anyone took it up.
	now := p.Clock.Now()
	expired := &org.Invitation{ID: id.New(id.OrgInvite), OrgID: zeta.ID, Email: "ada@example.com", Role: org.RoleMember,
		Status: org.Pending, TicketHash: org.HashTicket(id.Secret(32)), CreatedAt: now.Add(-48 * time.Hour),
		UpdatedAt: now.Add(-48 * time.Hour), ExpireAt: now.Add(-24 * time.Hour)}
	if err := p.Store.Q.CreateInvitation(ctx, expired); err != nil {
		t.Fatal(err)
	}

	list := func(limit, offset int64, statuses ...string) (map[string]*clerk.OrganizationInvitation, []string, int64) {
		t.Helper()
		params := &clerkuser.ListOrganizationInvitationsParams{UserID: ada.id}
		if limit > 0 {
			params.ListParams = listPage(limit, offset)
		}
		if statuses != nil {
			params.Statuses = &statuses
		}
		got, err := users.ListOrganizationInvitations(ctx, params)
		if err != nil {
			t.Fatalf("ListOrganizationInvitations(%v): %v", statuses, err)
		}
		byID, ids := map[string]*clerk.OrganizationInvitation{}, []string{}
		for i, inv := range got.OrganizationInvitations {
			byID[inv.ID], ids = inv, append(ids, inv.ID)
			if i > 0 && inv.CreatedAt > got.OrganizationInvitations[i-1].CreatedAt {
				t.Errorf("invitation %s is newer than the one before it", inv.ID)
			}
		}
		return byID, ids, got.TotalCount
	}
	for _, c := range []struct {
		statuses []string
		want     []string
	}{
		{nil, []string{pending.ID}},
		{[]string{"pending"}, []string{pending.ID}},
		{[]string{"accepted"}, []string{accepted.ID}},
		{[]string{"revoked"}, []string{revoked.ID}},
		{[]string{"expired"}, []string{expired.ID}},
		{[]string{"accepted", "revoked"}, []string{accepted.ID, revoked.ID}},
	} {
		if _, ids, total := list(0, 0, c.statuses...); !sameSet(ids, c.want) || total != int64(len(c.want)) {
			t.Errorf("status %v: %q (total %d), want %q", c.statuses, ids, total, c.want)
		}
	}

	byID, _, _ := list(0, 0, "pending", "accepted", "revoked", "expired")
	for invID, want := range map[string]struct {
		org                 *clerk.Organization
		email, role, status string
	}{
		pending.ID:  {gamma, "ada@work.example", "org:member", "pending"},
		accepted.ID: {epsilon, "ada@example.com", "org:admin", "accepted"},
		revoked.ID:  {delta, "ada@example.com", "org:member", "revoked"},
		expired.ID:  {zeta, "ada@example.com", "org:member", "expired"},
	} {
		inv := byID[invID]
		if inv == nil {
			t.Errorf("%s is not listed", invID)
			continue
		}
		d := inv.PublicOrganizationData
		if inv.Object != "organization_invitation" || inv.OrganizationID != want.org.ID || inv.EmailAddress != want.email ||
			inv.Role != want.role || inv.Status != want.status || inv.ExpiresAt == nil || inv.CreatedAt == 0 || inv.URL != "" ||
			d == nil || d.ID != want.org.ID || d.Name != want.org.Name || d.Slug != want.org.Slug || d.HasImage {
			t.Errorf("invitation %+v with %+v, want %+v", inv, d, want)
		}
		jsonEqual(t, "public_metadata", inv.PublicMetadata, `{}`)
	}

	// Pages of two over the four, newest first.
	_, all, total := list(10, 0, "pending", "accepted", "revoked", "expired")
	_, first, total1 := list(2, 0, "pending", "accepted", "revoked", "expired")
	_, second, total2 := list(2, 2, "pending", "accepted", "revoked", "expired")
	if total != 4 || total1 != 4 || total2 != 4 || len(first) != 2 || len(second) != 2 ||
		!slices.Equal(append(first, second...), all) {
		t.Errorf("pages %q + %q (totals %d, %d), the whole list %q (total %d)", first, second, total1, total2, all, total)
	}
	if all[len(all)-1] != expired.ID {
		t.Errorf("the oldest, made two days ago, is not last: %q", all)
	}

	_, err := users.ListOrganizationInvitations(ctx, &clerkuser.ListOrganizationInvitationsParams{UserID: "user_nobody"})
	wantSDKError(t, err, http.StatusNotFound, "resource_not_found")
	_, err = users.ListOrganizationInvitations(ctx, &clerkuser.ListOrganizationInvitationsParams{UserID: ada.id,
		Statuses: &[]string{"declined"}})
	wantSDKError(t, err, http.StatusUnprocessableEntity, "form_param_format_invalid")
	_, err = users.ListOrganizationInvitations(ctx, &clerkuser.ListOrganizationInvitationsParams{UserID: ada.id,
		ListParams: listPage(501, 0)})
	wantSDKError(t, err, http.StatusUnprocessableEntity, "form_param_format_invalid")
}

// instanceMembershipsParams is what Clerk's JS SDK sends to
// GET /v1/organization_memberships (getInstanceOrganizationMembershipList);
// clerk-sdk-go v2.4.2 has no client for it, so the test calls it through
// the SDK's own backend and decodes into its types.
type instanceMembershipsParams struct {
	clerk.APIParams
	clerk.ListParams
	OrderBy string
}

func (p *instanceMembershipsParams) ToQuery() url.Values {
	q := p.ListParams.ToQuery()
	if p.OrderBy != "" {
		q.Set("order_by", p.OrderBy)
	}
	return q
}

func listInstanceMemberships(ctx context.Context, cfg *clerk.ClientConfig, params *instanceMembershipsParams) (*clerk.OrganizationMembershipList, error) {
	req := clerk.NewAPIRequest(http.MethodGet, "/organization_memberships")
	req.SetParams(params)
	list := &clerk.OrganizationMembershipList{}
	return list, clerk.NewBackend(&cfg.BackendConfig).Call(ctx, req, list)
}

// Every membership of the instance, Clerk's GET /v1/organization_memberships:
// newest first by default, in the orders Clerk offers, in pages.
func TestClerkSDKListsTheInstancesMemberships(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ada, bob := newTestUser(t, p, "ada@example.com"), newTestUser(t, p, "bob@example.com")
	cfg, ctx := clerkConfig(p), context.Background()
	orgs, members := organization.NewClient(cfg), organizationmembership.NewClient(cfg)
	if _, err := orgs.Create(ctx, &organization.CreateParams{Name: str("Acme"), CreatedBy: str(ada.ID)}); err != nil {
		t.Fatal(err)
	}
	beta, err := orgs.Create(ctx, &organization.CreateParams{Name: str("Beta"), CreatedBy: str(bob.ID)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := members.Create(ctx, &organizationmembership.CreateParams{OrganizationID: beta.ID, UserID: str(ada.ID),
		Role: str("org:member")}); err != nil {
		t.Fatal(err)
	}
	who := func(list *clerk.OrganizationMembershipList) []string {
		var out []string
		for _, m := range list.OrganizationMemberships {
			out = append(out, m.PublicUserData.Identifier+"@"+m.Organization.Slug)
		}
		return out
	}

	all, err := listInstanceMemberships(ctx, cfg, &instanceMembershipsParams{})
	if err != nil {
		t.Fatal(err)
	}
	if got := who(all); all.TotalCount != 3 || !sameSet(got, []string{"ada@example.com@acme", "bob@example.com@beta",
		"ada@example.com@beta"}) {
		t.Fatalf("every membership: %q (total %d)", got, all.TotalCount)
	}
	for i := 1; i < len(all.OrganizationMemberships); i++ {
		if all.OrganizationMemberships[i].CreatedAt > all.OrganizationMemberships[i-1].CreatedAt {
			t.Errorf("not newest first: %q", who(all))
		}
	}
	byEmail, err := listInstanceMemberships(ctx, cfg, &instanceMembershipsParams{OrderBy: "-email_address"})
	if got := who(byEmail); err != nil || len(got) != 3 || got[0] != "bob@example.com@beta" {
		t.Errorf("-email_address: %q, %v", got, err)
	}
	if got := who(byEmail); len(got) == 3 && !sameSet(got[1:], []string{"ada@example.com@acme", "ada@example.com@beta"}) {
		t.Errorf("-email_address: %q", got)
	}
	var paged []string
	for offset := range int64(3) {
		page, err := listInstanceMemberships(ctx, cfg, &instanceMembershipsParams{ListParams: listPage(1, offset)})
		if err != nil || page.TotalCount != 3 || len(page.OrganizationMemberships) != 1 {
			t.Fatalf("page at %d: %+v, %v", offset, page, err)
		}
		paged = append(paged, who(page)...)
	}
	if !slices.Equal(paged, who(all)) {
		t.Errorf("pages of one %q, the whole list %q", paged, who(all))
	}

	for query, param := range map[string]string{"order_by=role": "order_by", "limit=501": "limit", "offset=-1": "offset"} {
		e := wantAPIError(t, api(t, p, http.MethodGet, "/v1/organization_memberships?"+query, nil, nil),
			http.StatusUnprocessableEntity, "form_param_format_invalid")
		if e.Errors[0].Meta["param_name"] != param {
			t.Errorf("%s: the error names %v", query, e.Errors[0].Meta)
		}
	}
	_, err = listInstanceMemberships(ctx, cfg, &instanceMembershipsParams{OrderBy: "role"})
	wantSDKError(t, err, http.StatusUnprocessableEntity, "form_param_format_invalid")
}

// sameSet reports whether a and b hold the same values, in any order.
func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
