package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/organization"
	"github.com/clerk/clerk-sdk-go/v2/organizationdomain"
	"github.com/clerk/clerk-sdk-go/v2/organizationinvitation"

	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// Clerk's Go SDK (organizationdomain) adds, lists, changes and removes an
// organization's verified domains through the portal. The object has
// Clerk's fields; a verified domain in automatic_invitation mode invites
// the people who have an address there (organizationInvitation.created,
// counted in total_pending_invitations); each change writes its
// organizationDomain event.
func TestClerkSDKManagesOrganizationDomains(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ctx := context.Background()
	carol := newTestUser(t, p, "carol@acme.test")
	acme, err := organization.NewClient(clerkConfig(p)).Create(ctx, &organization.CreateParams{Name: str("Acme")})
	if err != nil {
		t.Fatal(err)
	}
	other, err := organization.NewClient(clerkConfig(p)).Create(ctx, &organization.CreateParams{Name: str("Other")})
	if err != nil {
		t.Fatal(err)
	}
	domains := organizationdomain.NewClient(clerkConfig(p))

	d, err := domains.Create(ctx, acme.ID, &organizationdomain.CreateParams{Name: str("Acme.test"),
		EnrollmentMode: str("automatic_invitation")})
	if err != nil {
		t.Fatal(err)
	}
	if d.Object != "organization_domain" || !strings.HasPrefix(d.ID, "orgdmn_") || d.OrganizationID != acme.ID ||
		d.Name != "acme.test" || d.EnrollmentMode != "automatic_invitation" || d.AffiliationEmailAddress != nil ||
		d.Verification == nil || d.Verification.Status != "verified" || d.Verification.Strategy != "email_code" ||
		d.TotalPendingInvitations != 1 || d.TotalPendingSuggestions != 0 || !aboutNow(p, d.CreatedAt, 0) ||
		d.UpdatedAt != d.CreatedAt {
		t.Errorf("created = %+v (verification %+v)", d, d.Verification)
	}
	invs, err := organizationinvitation.NewClient(clerkConfig(p)).List(ctx, &organizationinvitation.ListParams{
		OrganizationID: acme.ID, Statuses: &[]string{"pending"}})
	if err != nil || invs.TotalCount != 1 || invs.OrganizationInvitations[0].EmailAddress != carol.PrimaryEmail() ||
		invs.OrganizationInvitations[0].Role != "org:member" {
		t.Fatalf("pending invitations after the domain = %+v, %v", invs, err)
	}
	if got := eventTypes(eventsOf(t, p, invs.OrganizationInvitations[0].ID)); !slices.Equal(got, []string{events.InvitationCreated}) {
		t.Errorf("events of the automatic invitation = %v", got)
	}

	// A user the Backend API creates with an address there is invited too.
	if r := api(t, p, http.MethodPost, "/v1/users", map[string]any{"email_address": []string{"frank@acme.test"},
		"skip_password_requirement": true}, nil); r.Status != http.StatusOK {
		t.Fatalf("create a user: %d %s", r.Status, r.Body)
	}
	if _, err := p.Store.Q.PendingInvitation(ctx, acme.ID, "frank@acme.test"); err != nil {
		t.Errorf("the user created through the API was not invited: %v", err)
	}

	beta, err := domains.Create(ctx, acme.ID, &organizationdomain.CreateParams{Name: str("beta.test"), Verified: clerk.Bool(false)})
	if err != nil || beta.Verification != nil || beta.EnrollmentMode != "manual_invitation" {
		t.Fatalf("unverified domain = %+v, %v", beta, err)
	}
	_, err = domains.Create(ctx, acme.ID, &organizationdomain.CreateParams{Name: str("acme.test")})
	wantSDKError(t, err, http.StatusUnprocessableEntity, "organization_domain_already_exists_same_organization")
	if _, err := domains.Create(ctx, other.ID, &organizationdomain.CreateParams{Name: str("acme.test")}); err != nil {
		t.Errorf("another organization adds the same domain: %v", err)
	}
	_, err = domains.Create(ctx, "org_nope", &organizationdomain.CreateParams{Name: str("nope.test")})
	wantSDKError(t, err, http.StatusNotFound, "resource_not_found")

	// Refusals name the parameter and say why.
	for _, c := range []struct {
		body  map[string]any
		param string
		says  string
	}{
		{map[string]any{"name": "gmail.com"}, "name", "free email service"},
		{map[string]any{"name": "co.uk"}, "name", "shared by many unrelated sites"},
		{map[string]any{"name": "not a domain"}, "name", "isn't a domain name"},
		{map[string]any{"name": "gamma.test", "enrollment_mode": "everyone"}, "enrollment_mode",
			"manual_invitation, automatic_invitation or automatic_suggestion"},
	} {
		e := wantAPIError(t, api(t, p, http.MethodPost, "/v1/organizations/"+acme.ID+"/domains", c.body, nil),
			http.StatusUnprocessableEntity, "form_param_format_invalid")
		if got := e.Errors[0]; got.Meta["param_name"] != c.param || !strings.Contains(got.LongMessage, c.says) {
			t.Errorf("%v: error %+v, want param %s saying %q", c.body, got, c.param, c.says)
		}
	}

	list, err := domains.List(ctx, acme.ID, &organizationdomain.ListParams{})
	if err != nil || list.TotalCount != 2 || len(list.OrganizationDomains) != 2 || list.OrganizationDomains[0].Name != "acme.test" ||
		list.OrganizationDomains[1].Name != "beta.test" {
		t.Fatalf("List = %+v, %v", list, err)
	}
	verified, err := domains.List(ctx, acme.ID, &organizationdomain.ListParams{Verified: clerk.Bool(false)})
	if err != nil || verified.TotalCount != 1 || verified.OrganizationDomains[0].ID != beta.ID {
		t.Errorf("List(verified=false) = %+v, %v", verified, err)
	}
	byMode, err := domains.List(ctx, acme.ID, &organizationdomain.ListParams{EnrollmentModes: &[]string{"automatic_invitation"},
		ListParams: listPage(1, 0)})
	if err != nil || byMode.TotalCount != 1 || byMode.OrganizationDomains[0].ID != d.ID {
		t.Errorf("List(enrollment_mode) = %+v, %v", byMode, err)
	}

	updated, err := domains.Update(ctx, &organizationdomain.UpdateParams{OrganizationID: acme.ID, DomainID: beta.ID,
		Verified: clerk.Bool(true), EnrollmentMode: str("automatic_invitation")})
	if err != nil || updated.Verification == nil || updated.Verification.Status != "verified" ||
		updated.EnrollmentMode != "automatic_invitation" {
		t.Errorf("Update = %+v, %v", updated, err)
	}
	_, err = domains.Update(ctx, &organizationdomain.UpdateParams{OrganizationID: other.ID, DomainID: beta.ID,
		Verified: clerk.Bool(false)})
	wantSDKError(t, err, http.StatusNotFound, "resource_not_found")

	gone, err := domains.Delete(ctx, &organizationdomain.DeleteParams{OrganizationID: acme.ID, DomainID: beta.ID})
	if err != nil || gone.ID != beta.ID || gone.Object != "organization_domain" || !gone.Deleted {
		t.Errorf("Delete = %+v, %v", gone, err)
	}
	_, err = domains.Delete(ctx, &organizationdomain.DeleteParams{OrganizationID: acme.ID, DomainID: beta.ID})
	wantSDKError(t, err, http.StatusNotFound, "resource_not_found")
	if got := eventTypes(eventsOf(t, p, beta.ID)); !slices.Equal(got,
		[]string{events.DomainCreated, events.DomainUpdated, events.DomainDeleted}) {
		t.Errorf("events of the domain = %v", got)
	}
	evs := eventsOf(t, p, beta.ID)
	var del map[string]any
	if err := json.Unmarshal(evs[len(evs)-1].Data, &del); err != nil || !sameMap(del,
		map[string]any{"object": "organization_domain", "id": beta.ID, "deleted": true}) {
		t.Errorf("organizationDomain.deleted carries %v, %v", del, err)
	}
}

// Through Clerk's Go SDK, a domain in automatic_suggestion mode suggests
// the organization to the people with an address there: those there
// already when it is created or verified, and a user the Backend API
// creates; total_pending_suggestions counts them, nobody is invited, and
// no event but the domain's is written (Clerk has none for suggestions).
// Another mode withdraws the suggestions nobody asked for.
func TestClerkSDKDomainSuggests(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ctx := context.Background()
	carol, dan := newTestUser(t, p, "carol@acme.test"), newTestUser(t, p, "dan@beta.test")
	acme, err := organization.NewClient(clerkConfig(p)).Create(ctx, &organization.CreateParams{Name: str("Acme")})
	if err != nil {
		t.Fatal(err)
	}
	domains := organizationdomain.NewClient(clerkConfig(p))
	suggested := func(u string) string {
		t.Helper()
		s, err := p.Store.Q.LatestSuggestion(ctx, acme.ID, u)
		if err != nil {
			return "none"
		}
		return s.Status
	}

	d, err := domains.Create(ctx, acme.ID, &organizationdomain.CreateParams{Name: str("acme.test"),
		EnrollmentMode: str("automatic_suggestion")})
	if err != nil || d.EnrollmentMode != "automatic_suggestion" || d.TotalPendingSuggestions != 1 || d.TotalPendingInvitations != 0 {
		t.Fatalf("created = %+v, %v; want one pending suggestion", d, err)
	}
	if got := suggested(carol.ID); got != "pending" {
		t.Errorf("carol's suggestion is %s", got)
	}
	if got := eventTypes(eventsOf(t, p, d.ID)); !slices.Equal(got, []string{events.DomainCreated}) {
		t.Errorf("events of the domain = %v", got)
	}
	invs, err := organizationinvitation.NewClient(clerkConfig(p)).List(ctx, &organizationinvitation.ListParams{OrganizationID: acme.ID})
	if err != nil || invs.TotalCount != 0 {
		t.Errorf("invitations of a suggesting domain = %+v, %v", invs, err)
	}

	// A user the Backend API creates with an address there is suggested it too.
	var frank map[string]any
	if r := api(t, p, http.MethodPost, "/v1/users", map[string]any{"email_address": []string{"frank@acme.test"},
		"skip_password_requirement": true}, &frank); r.Status != http.StatusOK {
		t.Fatalf("create a user: %d %s", r.Status, r.Body)
	}
	frankID, _ := frank["id"].(string)
	if got := suggested(frankID); got != "pending" {
		t.Errorf("frank's suggestion is %s", got)
	}
	list, err := domains.List(ctx, acme.ID, &organizationdomain.ListParams{EnrollmentModes: &[]string{"automatic_suggestion"}})
	if err != nil || list.TotalCount != 1 || list.OrganizationDomains[0].TotalPendingSuggestions != 2 {
		t.Errorf("List(automatic_suggestion) = %+v, %v; want acme.test with 2 pending suggestions", list, err)
	}

	// An unverified domain in that mode suggests nothing until it is verified.
	beta, err := domains.Create(ctx, acme.ID, &organizationdomain.CreateParams{Name: str("beta.test"),
		EnrollmentMode: str("automatic_suggestion"), Verified: clerk.Bool(false)})
	if err != nil || beta.TotalPendingSuggestions != 0 || suggested(dan.ID) != "none" {
		t.Fatalf("unverified = %+v, %v; dan's suggestion %s", beta, err, suggested(dan.ID))
	}
	beta, err = domains.Update(ctx, &organizationdomain.UpdateParams{OrganizationID: acme.ID, DomainID: beta.ID,
		Verified: clerk.Bool(true)})
	if err != nil || suggested(dan.ID) != "pending" {
		t.Errorf("verified = %+v, %v; dan's suggestion %s", beta, err, suggested(dan.ID))
	}

	manual, err := domains.Update(ctx, &organizationdomain.UpdateParams{OrganizationID: acme.ID, DomainID: d.ID,
		EnrollmentMode: str("manual_invitation")})
	if err != nil || manual.EnrollmentMode != "manual_invitation" || manual.TotalPendingSuggestions != 0 {
		t.Errorf("back to manual = %+v, %v", manual, err)
	}
	for _, u := range []string{carol.ID, frankID} {
		if got := suggested(u); got != "withdrawn" {
			t.Errorf("a suggestion of acme.test after manual_invitation is %s", got)
		}
	}
	if got := suggested(dan.ID); got != "pending" {
		t.Errorf("beta.test's suggestion after acme.test stopped is %s", got)
	}
}

// The organization_domain object has exactly Clerk's fields, with
// Content-Type exactly application/json.
func TestOrganizationDomainObjectShape(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	acme, err := organization.NewClient(clerkConfig(p)).Create(context.Background(), &organization.CreateParams{Name: str("Acme")})
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	r := api(t, p, http.MethodPost, "/v1/organizations/"+acme.ID+"/domains", map[string]any{"name": "acme.test"}, &obj)
	if r.Status != http.StatusOK || r.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d, Content-Type %q: %s", r.Status, r.Header.Get("Content-Type"), r.Body)
	}
	var keys []string
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := []string{"affiliation_email_address", "created_at", "enrollment_mode", "id", "name", "object", "organization_id",
		"total_pending_invitations", "total_pending_suggestions", "updated_at", "verification"}
	if !slices.Equal(keys, want) {
		t.Errorf("keys = %v, want %v", keys, want)
	}
	v, _ := obj["verification"].(map[string]any)
	if v == nil || v["status"] != "verified" || v["strategy"] != "email_code" || v["attempts"] != float64(0) ||
		v["expire_at"] != nil || len(v) != 4 {
		t.Errorf("verification = %v", obj["verification"])
	}
	var list map[string]any
	api(t, p, http.MethodGet, "/v1/organizations/"+acme.ID+"/domains", nil, &list)
	if data, _ := list["data"].([]any); len(data) != 1 || list["total_count"] != float64(1) || len(list) != 2 {
		t.Errorf("list = %v", list)
	}
}
