package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image"
	"image/png"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/clerk/clerk-sdk-go/v2"
	"github.com/clerk/clerk-sdk-go/v2/organization"
	"github.com/clerk/clerk-sdk-go/v2/organizationinvitation"
	"github.com/clerk/clerk-sdk-go/v2/organizationmembership"
	"github.com/clerk/clerk-sdk-go/v2/session"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// Clerk's Go SDK creates, lists, reads, updates and deletes organizations
// through the portal, and each answer decodes with the values written.
func TestClerkSDKManagesOrganizations(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ada := newTestUser(t, p, "ada@example.com")
	orgs := organization.NewClient(clerkConfig(p))
	ctx := context.Background()

	created, err := orgs.Create(ctx, &organization.CreateParams{Name: str("Acme Inc"), Slug: str("acme"),
		CreatedBy: str(ada.ID), MaxAllowedMemberships: clerk.Int64(5),
		PublicMetadata: raw(`{"plan":"pro"}`), PrivateMetadata: raw(`{"stripe":"cus_1"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if created.Object != "organization" || !strings.HasPrefix(created.ID, "org_") || created.Name != "Acme Inc" ||
		created.Slug != "acme" || created.CreatedBy != ada.ID || created.MaxAllowedMemberships != 5 ||
		created.HasImage || !created.AdminDeleteEnabled || !aboutNow(p, created.CreatedAt, 0) ||
		created.UpdatedAt != created.CreatedAt {
		t.Errorf("created = %+v", created)
	}
	jsonEqual(t, "public_metadata", created.PublicMetadata, `{"plan":"pro"}`)
	jsonEqual(t, "private_metadata", created.PrivateMetadata, `{"stripe":"cus_1"}`)
	other, err := orgs.Create(ctx, &organization.CreateParams{Name: str("Other Co")})
	if err != nil || other.Slug != "other-co" {
		t.Fatalf("Create without slug = %+v, %v", other, err)
	}

	list, err := orgs.List(ctx, &organization.ListParams{IncludeMembersCount: clerk.Bool(true), OrderBy: str("name")})
	if err != nil || list.TotalCount != 2 || len(list.Organizations) != 2 {
		t.Fatalf("List = %+v, %v", list, err)
	}
	if first := list.Organizations[0]; first.ID != created.ID || first.MembersCount == nil || *first.MembersCount != 1 {
		t.Errorf("first listed = %+v", first)
	}
	mine, err := orgs.List(ctx, &organization.ListParams{UserIDs: []string{ada.ID}, ListParams: listPage(1, 0)})
	if err != nil || mine.TotalCount != 1 || mine.Organizations[0].ID != created.ID {
		t.Errorf("List(user_id) = %+v, %v", mine, err)
	}
	for _, ref := range []string{created.ID, "acme"} {
		if got, err := orgs.Get(ctx, ref); err != nil || got.ID != created.ID || got.Name != "Acme Inc" {
			t.Errorf("Get(%s) = %+v, %v", ref, got, err)
		}
	}

	updated, err := orgs.Update(ctx, created.ID, &organization.UpdateParams{Name: str("Acme"), Slug: str("acme-2")})
	if err != nil || updated.Name != "Acme" || updated.Slug != "acme-2" || updated.MaxAllowedMemberships != 5 {
		t.Errorf("Update = %+v, %v", updated, err)
	}
	jsonEqual(t, "public_metadata after update", updated.PublicMetadata, `{"plan":"pro"}`)
	merged, err := orgs.UpdateMetadata(ctx, created.ID, &organization.UpdateMetadataParams{
		PublicMetadata: raw(`{"plan":null,"seats":3}`), PrivateMetadata: raw(`{"crm":{"id":1}}`)})
	if err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, "merged public_metadata", merged.PublicMetadata, `{"seats":3}`)
	jsonEqual(t, "merged private_metadata", merged.PrivateMetadata, `{"stripe":"cus_1","crm":{"id":1}}`)
	_, err = orgs.Update(ctx, other.ID, &organization.UpdateParams{Slug: str("acme-2")})
	wantSDKError(t, err, http.StatusUnprocessableEntity, "form_identifier_exists")
	_, err = orgs.Create(ctx, &organization.CreateParams{Name: str("Ghost's"), CreatedBy: str("user_missing")})
	wantSDKError(t, err, http.StatusNotFound, "resource_not_found")

	// organization.* events carry what the API answers (webhook data).
	evs, err := p.Store.Q.EventsOfObject(ctx, created.ID)
	if err != nil || len(evs) != 3 || evs[0].Type != events.OrganizationCreated || evs[2].Type != events.OrganizationUpdated {
		t.Fatalf("events = %+v, %v", evs, err)
	}
	var hooked clerk.Organization
	if err := json.Unmarshal(evs[2].Data, &hooked); err != nil || hooked.ID != created.ID || hooked.Slug != "acme-2" {
		t.Errorf("organization.updated data %s: %v", evs[2].Data, err)
	}
	jsonEqual(t, "webhook public_metadata", hooked.PublicMetadata, `{"seats":3}`)

	del, err := orgs.Delete(ctx, other.ID)
	if err != nil || !del.Deleted || del.ID != other.ID || del.Object != "organization" {
		t.Errorf("Delete = %+v, %v", del, err)
	}
	_, err = orgs.Get(ctx, other.ID)
	wantSDKError(t, err, http.StatusNotFound, "resource_not_found")
	if r := apiCall(t, p, http.MethodGet, "/v1/organizations", "Bearer pk_test_x", nil); r.Status != http.StatusUnauthorized {
		t.Errorf("a publishable key lists organizations: %d", r.Status)
	}
}

// Memberships by the member's user ID and invitations, through Clerk's SDK;
// the last admin stays, the member limit holds and a revoked invitation's
// link no longer works, for the secret key as for anyone (REQ-AC-06).
func TestClerkSDKManagesMembershipsAndInvitations_REQ_AC_06(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ada, bob := newTestUser(t, p, "ada@example.com"), newTestUser(t, p, "bob@example.com")
	cfg := clerkConfig(p)
	ctx := context.Background()
	o, err := organization.NewClient(cfg).Create(ctx, &organization.CreateParams{Name: str("Acme"), CreatedBy: str(ada.ID),
		MaxAllowedMemberships: clerk.Int64(3)})
	if err != nil {
		t.Fatal(err)
	}
	members := organizationmembership.NewClient(cfg)

	m, err := members.Create(ctx, &organizationmembership.CreateParams{OrganizationID: o.ID, UserID: str(bob.ID),
		Role: str("org:member")})
	if err != nil {
		t.Fatal(err)
	}
	if m.Object != "organization_membership" || !strings.HasPrefix(m.ID, "orgmem_") || m.Role != "org:member" ||
		m.RoleName != "Member" || m.Organization == nil || m.Organization.ID != o.ID || m.PublicUserData == nil ||
		m.PublicUserData.UserID != bob.ID || m.PublicUserData.Identifier != "bob@example.com" ||
		m.PublicUserData.FirstName == nil || *m.PublicUserData.FirstName != "bob" ||
		len(m.Permissions) != 1 || m.Permissions[0] != "org:sys_memberships:read" || m.CreatedAt == 0 {
		t.Errorf("created membership = %+v (%+v)", m, m.PublicUserData)
	}
	jsonEqual(t, "membership public_metadata", m.PublicMetadata, `{}`)
	_, err = members.Create(ctx, &organizationmembership.CreateParams{OrganizationID: o.ID, UserID: str(bob.ID),
		Role: str("org:member")})
	wantSDKError(t, err, http.StatusBadRequest, "already_a_member_in_organization")
	_, err = members.Create(ctx, &organizationmembership.CreateParams{OrganizationID: o.ID, UserID: str(bob.ID),
		Role: str("org:owner")})
	wantSDKError(t, err, http.StatusUnprocessableEntity, "form_param_format_invalid")

	list, err := members.List(ctx, &organizationmembership.ListParams{OrganizationID: o.ID})
	if err != nil || list.TotalCount != 2 || len(list.OrganizationMemberships) != 2 {
		t.Fatalf("List = %+v, %v", list, err)
	}
	roles := map[string]string{}
	for _, lm := range list.OrganizationMemberships {
		roles[lm.PublicUserData.UserID] = lm.Role
	}
	if roles[ada.ID] != "org:admin" || roles[bob.ID] != "org:member" {
		t.Errorf("listed roles %v", roles)
	}
	admins, err := members.List(ctx, &organizationmembership.ListParams{OrganizationID: o.ID, Roles: []string{"org:admin"}})
	if err != nil || admins.TotalCount != 1 || admins.OrganizationMemberships[0].PublicUserData.UserID != ada.ID {
		t.Errorf("List(role) = %+v, %v", admins, err)
	}

	// Membership metadata: a deep merge, null removes a key; the list shows
	// it, private included (a backend reads it); organizationMembership.updated.
	var merged struct {
		PublicMetadata  json.RawMessage `json:"public_metadata"`
		PrivateMetadata json.RawMessage `json:"private_metadata"`
	}
	metaPath := "/v1/organizations/" + o.ID + "/memberships/" + bob.ID + "/metadata"
	api(t, p, http.MethodPatch, metaPath, map[string]any{"public_metadata": map[string]any{"seat": "A1", "team": "red"},
		"private_metadata": map[string]any{"crm": map[string]any{"id": 7}}}, nil)
	if r := api(t, p, http.MethodPatch, metaPath, map[string]any{"public_metadata": map[string]any{"team": nil}}, &merged); r.Status != http.StatusOK {
		t.Fatalf("PATCH membership metadata: %d %s", r.Status, r.Body)
	}
	jsonEqual(t, "merged public_metadata", merged.PublicMetadata, `{"seat":"A1"}`)
	jsonEqual(t, "untouched private_metadata", merged.PrivateMetadata, `{"crm":{"id":7}}`)
	withMeta, err := members.List(ctx, &organizationmembership.ListParams{OrganizationID: o.ID, UserIDs: []string{bob.ID}})
	if err != nil || len(withMeta.OrganizationMemberships) != 1 {
		t.Fatalf("List(user) = %+v, %v", withMeta, err)
	}
	jsonEqual(t, "listed public_metadata", withMeta.OrganizationMemberships[0].PublicMetadata, `{"seat":"A1"}`)
	if n := countEvents(t, p, m.ID, events.MembershipUpdated); n != 2 {
		t.Errorf("%d organizationMembership.updated for two metadata changes, want 2", n)
	}
	wantAPIError(t, api(t, p, http.MethodPatch, metaPath, map[string]any{"public_metadata": []int{1}}, nil),
		http.StatusUnprocessableEntity, "form_param_format_invalid")
	wantAPIError(t, api(t, p, http.MethodPatch, "/v1/organizations/"+o.ID+"/memberships/user_nobody/metadata",
		map[string]any{"public_metadata": map[string]any{}}, nil), http.StatusNotFound, "resource_not_found")

	// The last admin keeps the role and the membership.
	_, err = members.Update(ctx, &organizationmembership.UpdateParams{OrganizationID: o.ID, UserID: ada.ID,
		Role: str("org:member")})
	wantSDKError(t, err, http.StatusBadRequest, "organization_minimum_permissions_needed")
	_, err = members.Delete(ctx, &organizationmembership.DeleteParams{OrganizationID: o.ID, UserID: ada.ID})
	wantSDKError(t, err, http.StatusBadRequest, "organization_minimum_permissions_needed")
	promoted, err := members.Update(ctx, &organizationmembership.UpdateParams{OrganizationID: o.ID, UserID: bob.ID,
		Role: str("org:admin")})
	if err != nil || promoted.Role != "org:admin" || promoted.ID != m.ID {
		t.Fatalf("Update = %+v, %v", promoted, err)
	}
	removed, err := members.Delete(ctx, &organizationmembership.DeleteParams{OrganizationID: o.ID, UserID: ada.ID})
	if err != nil || removed.PublicUserData.UserID != ada.ID || removed.Role != "org:admin" {
		t.Errorf("Delete = %+v, %v", removed, err)
	}
	_, err = members.Delete(ctx, &organizationmembership.DeleteParams{OrganizationID: o.ID, UserID: ada.ID})
	wantSDKError(t, err, http.StatusNotFound, "resource_not_found")
	evs, err := p.Store.Q.EventsOfObject(ctx, m.ID)
	// created, two metadata changes, the promotion
	if err != nil || len(evs) != 4 || evs[3].Type != events.MembershipUpdated {
		t.Fatalf("%d membership events (%v), want 4", len(evs), err)
	}
	var hooked clerk.OrganizationMembership
	if err := json.Unmarshal(evs[3].Data, &hooked); err != nil || hooked.Role != "org:admin" ||
		hooked.Organization.ID != o.ID || hooked.PublicUserData.UserID != bob.ID {
		t.Errorf("organizationMembership.updated data %s: %v", evs[3].Data, err)
	}

	invitations := organizationinvitation.NewClient(cfg)
	inv, err := invitations.Create(ctx, &organizationinvitation.CreateParams{OrganizationID: o.ID,
		EmailAddress: str("Cy@Example.com"), Role: str("org:member"), InviterUserID: str(bob.ID),
		RedirectURL: str(appURL), PublicMetadata: raw(`{"team":"red"}`), ExpiresInDays: clerk.Int64(2)})
	if err != nil {
		t.Fatal(err)
	}
	if inv.Object != "organization_invitation" || !strings.HasPrefix(inv.ID, "orginv_") ||
		inv.EmailAddress != "cy@example.com" || inv.Role != "org:member" || inv.RoleName != "Member" ||
		inv.OrganizationID != o.ID || inv.Status != "pending" || inv.ExpiresAt == nil ||
		!aboutNow(p, *inv.ExpiresAt, 48*time.Hour) {
		t.Errorf("created invitation = %+v", inv)
	}
	jsonEqual(t, "invitation public_metadata", inv.PublicMetadata, `{"team":"red"}`)
	link := p.SMTP.WaitFor(t, "cy@example.com", mailWait).Link()
	if !strings.Contains(link, "/accept-invitation?ticket=") {
		t.Errorf("invitation email link %q", link)
	}
	_, err = invitations.Create(ctx, &organizationinvitation.CreateParams{OrganizationID: o.ID,
		EmailAddress: str("cy@example.com"), Role: str("org:member")})
	wantSDKError(t, err, http.StatusBadRequest, "organization_invitation_not_unique")
	_, err = invitations.Create(ctx, &organizationinvitation.CreateParams{OrganizationID: o.ID,
		EmailAddress: str("dee@example.com"), Role: str("org:member"), RedirectURL: str("https://evil.example/")})
	wantSDKError(t, err, http.StatusUnprocessableEntity, "form_param_format_invalid")
	// bob, cy's pending invitation and one more fill the three places.
	_, err = members.Create(ctx, &organizationmembership.CreateParams{OrganizationID: o.ID, UserID: str(ada.ID),
		Role: str("org:member")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = invitations.Create(ctx, &organizationinvitation.CreateParams{OrganizationID: o.ID,
		EmailAddress: str("dee@example.com"), Role: str("org:member")})
	wantSDKError(t, err, http.StatusForbidden, "organization_membership_quota_exceeded")

	got, err := invitations.Get(ctx, &organizationinvitation.GetParams{OrganizationID: o.ID, ID: inv.ID})
	if err != nil || got.ID != inv.ID || got.Status != "pending" {
		t.Errorf("Get = %+v, %v", got, err)
	}
	all, err := invitations.List(ctx, &organizationinvitation.ListParams{OrganizationID: o.ID})
	if err != nil || all.TotalCount != 1 || all.OrganizationInvitations[0].ID != inv.ID {
		t.Errorf("List = %+v, %v", all, err)
	}
	revoked, err := invitations.Revoke(ctx, &organizationinvitation.RevokeParams{OrganizationID: o.ID, ID: inv.ID})
	if err != nil || revoked.Status != "revoked" || revoked.ID != inv.ID {
		t.Fatalf("Revoke = %+v, %v", revoked, err)
	}
	_, err = invitations.Revoke(ctx, &organizationinvitation.RevokeParams{OrganizationID: o.ID, ID: inv.ID})
	wantSDKError(t, err, http.StatusNotFound, "organization_invitation_not_pending")
	// Another organization's is not found, whatever became of it.
	other, err := organization.NewClient(cfg).Create(ctx, &organization.CreateParams{Name: str("Other"), CreatedBy: str(ada.ID)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = invitations.Revoke(ctx, &organizationinvitation.RevokeParams{OrganizationID: other.ID, ID: inv.ID})
	wantSDKError(t, err, http.StatusNotFound, "resource_not_found")
	pending := []string{"pending"}
	if none, err := invitations.List(ctx, &organizationinvitation.ListParams{OrganizationID: o.ID, Statuses: &pending}); err != nil || none.TotalCount != 0 {
		t.Errorf("List(pending) after revoking = %+v, %v", none, err)
	}
	_, err = invitations.Get(ctx, &organizationinvitation.GetParams{OrganizationID: "org_other", ID: inv.ID})
	wantSDKError(t, err, http.StatusNotFound, "resource_not_found")
	pg := newBrowser(t, p).get(strings.TrimPrefix(link, p.URL))
	if pg.Status != http.StatusGone {
		t.Errorf("the revoked invitation's link still opens: %d %s", pg.Status, pg.Body)
	}
	evs, err = p.Store.Q.EventsOfObject(ctx, inv.ID)
	if err != nil || len(evs) != 2 || evs[1].Type != events.InvitationRevoked {
		t.Fatalf("invitation events = %+v, %v", evs, err)
	}
	var hookedInv clerk.OrganizationInvitation
	if err := json.Unmarshal(evs[1].Data, &hookedInv); err != nil || hookedInv.Status != "revoked" ||
		hookedInv.EmailAddress != "cy@example.com" {
		t.Errorf("organizationInvitation.revoked data %s: %v", evs[1].Data, err)
	}
}

// A JWT template's {{org.…}} and {{org_membership.role}} come from the
// session's active organization when the token is minted: a role changed
// through the API shows in the next token, and a removed member's token
// has no organization.
func TestJWTTemplateOrganizationClaims(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ada := signedUp(t, p, "ada@example.com")
	tok := ada.createOrg(t, p, "Acme Labs")
	cfg := clerkConfig(p)
	ctx := context.Background()
	if _, err := organization.NewClient(cfg).UpdateMetadata(ctx, tok.OrgID, &organization.UpdateMetadataParams{
		PublicMetadata: raw(`{"tier":"gold"}`)}); err != nil {
		t.Fatal(err)
	}
	api(t, p, http.MethodPost, "/v1/jwt_templates", map[string]any{"name": "orgs", "claims": map[string]any{
		"org": map[string]any{"id": "{{org.id}}", "slug": "{{org.slug}}", "name": "{{org.name}}",
			"role": "{{org_membership.role}}", "tier": "{{org.public_metadata.tier || 'none'}}"},
		"who": "{{user.primary_email_address}} in {{org.name || 'no organization'}}"}}, nil)
	mint := func() map[string]any {
		t.Helper()
		got, err := session.NewClient(cfg).CreateToken(ctx, &session.CreateTokenParams{ID: tok.SID, TemplateName: "orgs"})
		if err != nil {
			t.Fatal(err)
		}
		parsed, err := jwt.ParseSigned(got.JWT, []jose.SignatureAlgorithm{jose.RS256})
		if err != nil {
			t.Fatal(err)
		}
		keys := jwks(t, p).Key(parsed.Headers[0].KeyID)
		var claims map[string]any
		if len(keys) != 1 || parsed.Claims(keys[0].Key, &claims) != nil {
			t.Fatal("the template token does not verify against the JWKS")
		}
		return claims
	}
	c := mint()
	want := map[string]any{"id": tok.OrgID, "slug": "acme-labs", "name": "Acme Labs", "role": "org:admin", "tier": "gold"}
	if o, _ := c["org"].(map[string]any); !sameMap(o, want) || c["who"] != "ada@example.com in Acme Labs" {
		t.Errorf("claims = %v", c)
	}

	bob := newTestUser(t, p, "bob@example.com")
	members := organizationmembership.NewClient(cfg)
	if _, err := members.Create(ctx, &organizationmembership.CreateParams{OrganizationID: tok.OrgID, UserID: str(bob.ID),
		Role: str("org:admin")}); err != nil {
		t.Fatal(err)
	}
	if _, err := members.Update(ctx, &organizationmembership.UpdateParams{OrganizationID: tok.OrgID, UserID: ada.id,
		Role: str("org:member")}); err != nil {
		t.Fatal(err)
	}
	if o, _ := mint()["org"].(map[string]any); o["role"] != "org:member" {
		t.Errorf("after the role change: %v", o)
	}
	if _, err := members.Delete(ctx, &organizationmembership.DeleteParams{OrganizationID: tok.OrgID, UserID: ada.id}); err != nil {
		t.Fatal(err)
	}
	c = mint()
	if o, _ := c["org"].(map[string]any); o["id"] != nil || o["role"] != nil || o["tier"] != "none" ||
		c["who"] != "ada@example.com in no organization" {
		t.Errorf("after removal: %v", c)
	}
}

// aboutNow reports whether ms, a time in milliseconds, is after from now
// give or take a minute.
func aboutNow(p *portaltest.Portal, ms int64, after time.Duration) bool {
	d := time.UnixMilli(ms).Sub(p.Clock.Now().Add(after))
	return d > -time.Minute && d < time.Minute
}

func sameMap(got, want map[string]any) bool {
	if len(got) != len(want) {
		return false
	}
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}

// readSeekFile is an uploaded file for the SDK's multipart params.
type readSeekFile struct{ *bytes.Reader }

func (readSeekFile) Close() error { return nil }

// Clerk's SDK sets and removes an organization's logo; the portal keeps a
// PNG it encoded of the picture, served to members, and refuses what is no
// image with the multipart field named.
func TestClerkSDKSetsOrganizationLogo(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ada := signedUp(t, p, "ada@example.com")
	orgs := organization.NewClient(clerkConfig(p))
	ctx := context.Background()
	acme, err := orgs.Create(ctx, &organization.CreateParams{Name: str("Acme"), CreatedBy: str(ada.id)})
	if err != nil {
		t.Fatal(err)
	}

	var wide bytes.Buffer
	if err := png.Encode(&wide, image.NewGray(image.Rect(0, 0, 600, 300))); err != nil {
		t.Fatal(err)
	}
	upload := append(wide.Bytes(), "<html><script>alert(1)</script>"...)
	withLogo, err := orgs.UpdateLogo(ctx, acme.ID, &organization.UpdateLogoParams{
		File: readSeekFile{bytes.NewReader(upload)}, UploaderUserID: str(ada.id)})
	if err != nil {
		t.Fatal(err)
	}
	if !withLogo.HasImage || withLogo.ImageURL == nil || !strings.Contains(*withLogo.ImageURL, "/organizations/"+acme.ID+"/logo") {
		t.Fatalf("after UpdateLogo: has_image %v, image_url %v", withLogo.HasImage, withLogo.ImageURL)
	}
	u, err := url.Parse(*withLogo.ImageURL)
	if err != nil {
		t.Fatal(err)
	}
	img := ada.b.getRaw(u.RequestURI())
	cfg, err := png.DecodeConfig(strings.NewReader(img.Body))
	if img.Status != http.StatusOK || err != nil || cfg.Width != 256 || cfg.Height != 128 || strings.Contains(img.Body, "<script") {
		t.Errorf("the logo served: %d, %+v, %v (want a 256×128 PNG of the pixels only)", img.Status, cfg, err)
	}

	_, err = orgs.UpdateLogo(ctx, acme.ID, &organization.UpdateLogoParams{
		File: readSeekFile{bytes.NewReader([]byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`))}})
	var apiErr *clerk.APIErrorResponse
	if !errors.As(err, &apiErr) || apiErr.HTTPStatusCode != http.StatusUnprocessableEntity ||
		len(apiErr.Errors) != 1 || apiErr.Errors[0].Meta == nil {
		t.Fatalf("an SVG logo: %v", err)
	}
	if meta := string(apiErr.Errors[0].Meta); !strings.Contains(meta, `"param_name":"file"`) {
		t.Errorf("an SVG logo: meta %s does not name the field file", meta)
	}
	if got, err := orgs.Get(ctx, acme.ID); err != nil || !got.HasImage || *got.ImageURL != *withLogo.ImageURL {
		t.Errorf("a refused upload changed the logo: %+v, %v", got, err)
	}

	removed, err := orgs.DeleteLogo(ctx, acme.ID)
	if err != nil || removed.HasImage || (removed.ImageURL != nil && *removed.ImageURL != "") {
		t.Fatalf("after DeleteLogo: %+v, %v", removed, err)
	}
	if pg := ada.b.getRaw(u.RequestURI()); pg.Status != http.StatusNotFound {
		t.Errorf("the removed logo is still served: %d", pg.Status)
	}
	if again, err := orgs.DeleteLogo(ctx, acme.ID); err != nil || again.HasImage {
		t.Errorf("DeleteLogo without a logo = %+v, %v", again, err)
	}
	if _, err := orgs.DeleteLogo(ctx, "org_unknown"); !errors.As(err, &apiErr) || apiErr.HTTPStatusCode != http.StatusNotFound {
		t.Errorf("an unknown organization: %v", err)
	}
}

// A 404 from an organization endpoint tells the developer what was not
// found, not the organization page's "… or you may not have access to it"
// (the secret key has access to everything): no such organization; its
// slug where the path takes its ID, with the ID to use (only GET reads a
// slug, as in Clerk's API); no such member, invitation or domain in it.
func TestBackendAPIOrganizationNotFoundSaysWhat(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ada := newTestUser(t, p, "ada@example.com")
	bob := newTestUser(t, p, "bob@example.com")
	var o struct{ ID string }
	api(t, p, http.MethodPost, "/v1/organizations", map[string]any{"name": "Acme", "slug": "acme", "created_by": ada.ID}, &o)

	for _, c := range []struct {
		method, path string
		body         any
		want         string
	}{
		{http.MethodGet, "/v1/organizations/org_missing", nil, "No organization with that ID exists."},
		{http.MethodPost, "/v1/organizations/org_missing/memberships", map[string]any{"user_id": bob.ID, "role": "org:member"},
			"No organization with that ID exists."},
		{http.MethodPost, "/v1/organizations/acme/memberships", map[string]any{"user_id": bob.ID, "role": "org:member"},
			"use " + o.ID + " for acme"},
		{http.MethodPatch, "/v1/organizations/acme", map[string]any{"name": "Acme Inc"}, "use " + o.ID + " for acme"},
		{http.MethodDelete, "/v1/organizations/" + o.ID + "/memberships/" + bob.ID, nil,
			"No member with that user ID in this organization."},
		{http.MethodGet, "/v1/organizations/" + o.ID + "/invitations/orginv_missing", nil,
			"No invitation with that ID in this organization."},
	} {
		e := wantAPIError(t, api(t, p, c.method, c.path, c.body, nil), http.StatusNotFound, "resource_not_found")
		if got := e.Errors[0].LongMessage; !strings.Contains(got, c.want) {
			t.Errorf("%s %s: long_message %q, want it to say %q", c.method, c.path, got, c.want)
		}
	}
	// Nothing was changed by the refused requests.
	var got struct{ Name string }
	api(t, p, http.MethodGet, "/v1/organizations/acme", nil, &got)
	if got.Name != "Acme" {
		t.Errorf("after the refusals the organization is named %q", got.Name)
	}
}
