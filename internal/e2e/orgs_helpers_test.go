package e2e

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/org"
	"github.com/portalhq/portal/internal/testutil/portaltest"
	"github.com/portalhq/portal/internal/user"
)

// Form selectors of the organization pages.
const (
	createOrgForm  = `form[action="/create-organization"]`
	switchOrgForm  = `form[action="/switch-organization"]`
	acceptForm     = `form[action="/accept-invitation"]`
	memberRoleForm = `form[action$="/role"]`
	// removeForm is the form of the page that confirms removing a member.
	removeForm = `form[action$="/remove"]`
)

// openRemove follows the Remove link of membership mid on the members page
// (the first one when mid is ""), which asks to confirm.
func (b *browser) openRemove(members *page, mid string) *page {
	b.t.Helper()
	sel := `a[href*="/members/` + mid + `"][href*="/remove"]`
	href, ok := members.Doc.Find(sel).First().Attr("href")
	if !ok {
		b.t.Fatalf("no Remove link %q on %s (status %d):\n%s", sel, members.URL, members.Status, members.Body)
	}
	return b.get(members.URL.ResolveReference(mustParse(b.t, href)).String())
}

// removeMember presses Remove for membership mid on the members page (the
// first one when mid is "") and confirms.
func (b *browser) removeMember(members *page, mid string) *page {
	b.t.Helper()
	return b.submit(b.openRemove(members, mid), removeForm, nil)
}

// orgClaims are the session token's claims with the organization ones.
type orgClaims struct {
	claims
	OrgID          string   `json:"org_id"`
	OrgSlug        string   `json:"org_slug"`
	OrgRole        string   `json:"org_role"`
	OrgPermissions []string `json:"org_permissions"`
}

// verifyOrg checks raw against the JWKS as a relying app does and returns
// its claims, organization ones included.
func verifyOrg(t *testing.T, p *portaltest.Portal, raw string) orgClaims {
	t.Helper()
	var c orgClaims
	verifyInto(t, p, raw, &c)
	return c
}

// member is a person signed in through the forms in a browser of their own.
type member struct {
	b     *browser
	id    string
	email string
}

// signedUp signs a new person up (password, emailed code) and back to the app.
func signedUp(t *testing.T, p *portaltest.Portal, email string) *member {
	t.Helper()
	b := newBrowser(t, p)
	c := verifyOrg(t, p, wantHandBack(t, signUp(t, p, b, email, appURL), http.StatusSeeOther, appURL))
	return &member{b: b, id: c.Subject, email: email}
}

// token runs the handshake for the app and returns the fresh token's claims.
func (m *member) token(t *testing.T, p *portaltest.Portal) orgClaims {
	t.Helper()
	return verifyOrg(t, p, wantHandBack(t, m.b.getRaw(handshakePath(appURL)), http.StatusTemporaryRedirect, appURL))
}

// createOrg creates an organization through the form and returns the
// token handed back to the app.
func (m *member) createOrg(t *testing.T, p *portaltest.Portal, name string) orgClaims {
	t.Helper()
	pg := m.b.submit(m.b.get(withRedirect("/create-organization", appURL)), createOrgForm, map[string]string{"name": name})
	return verifyOrg(t, p, wantHandBack(t, pg, http.StatusSeeOther, appURL))
}

// invite invites email into orgID from its invitations page and returns the
// link of the email that arrives.
func (m *member) invite(t *testing.T, p *portaltest.Portal, orgID, email, role string) string {
	t.Helper()
	pg := m.b.get("/organizations/" + orgID + "/invitations?redirect_url=" + url.QueryEscape(appURL))
	pg = m.b.submit(pg, `form[action="/organizations/`+orgID+`/invitations"]`, map[string]string{"email_address": email, "role": role})
	wantText(t, "after inviting", pg, http.StatusOK, "The invitation is on its way.", email)
	link := p.SMTP.WaitFor(t, email, mailWait).Link()
	if !strings.Contains(link, "/accept-invitation?ticket=") {
		t.Fatalf("invitation email link = %q", link)
	}
	return link
}

// userID is the ID of the account owning email.
func userID(t *testing.T, p *portaltest.Portal, email string) string {
	t.Helper()
	u, err := p.Store.Q.UserByIdentifier(context.Background(), user.Email, email)
	if err != nil {
		t.Fatalf("user %s: %v", email, err)
	}
	return u.ID
}

// postMultipart posts fields and one file the way a browser sends a form
// with enctype=multipart/form-data, CSRF token included.
func (b *browser) postMultipart(path string, fields map[string]string, fileField, fileName string, data []byte) *page {
	b.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	fields["_csrf"] = b.csrf()
	for k, v := range fields {
		_ = w.WriteField(k, v)
	}
	if fileField != "" {
		fw, err := w.CreateFormFile(fileField, fileName)
		if err != nil {
			b.t.Fatal(err)
		}
		_, _ = fw.Write(data)
	}
	w.Close()
	req, err := http.NewRequest(http.MethodPost, b.abs(path).String(), &body)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	return b.follow(b.send(req))
}

// tinyPNG is a one-pixel PNG, a logo the portal takes.
var tinyPNG = func() []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 1, 1))); err != nil {
		panic(err)
	}
	return b.Bytes()
}()

// newTestUser stores an account with a verified email directly, for tests
// that need many members but not their sign-in.
func newTestUser(t *testing.T, p *portaltest.Portal, email string) *user.User {
	t.Helper()
	return namedTestUser(t, p, strings.Split(email, "@")[0], "", email)
}

// namedTestUser is newTestUser with a first and last name.
func namedTestUser(t *testing.T, p *portaltest.Portal, first, last, email string) *user.User {
	t.Helper()
	now := p.Clock.Now()
	u := &user.User{ID: id.New(id.User), FirstName: first, LastName: last, CreatedAt: now, UpdatedAt: now}
	e := user.Identifier{ID: id.New(id.Identifier), UserID: u.ID, Kind: user.Email, Value: email, VerifiedAt: &now,
		CreatedAt: now, UpdatedAt: now}
	u.PrimaryEmailID, u.Identifiers = e.ID, []user.Identifier{e}
	if err := p.Store.Q.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return u
}

// addTestMember stores a membership directly and returns its ID.
func addTestMember(t *testing.T, p *portaltest.Portal, orgID string, u *user.User, role string) string {
	t.Helper()
	now := p.Clock.Now()
	m := &org.Membership{ID: id.New(id.OrgMember), OrgID: orgID, UserID: u.ID, Role: role, CreatedAt: now, UpdatedAt: now}
	if err := p.Store.Q.CreateMembership(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	return m.ID
}

// userMembership is the ID of userID's membership of orgID.
func userMembership(t *testing.T, p *portaltest.Portal, orgID, userID string) string {
	t.Helper()
	m, err := p.Store.Q.MembershipOf(context.Background(), orgID, userID)
	if err != nil {
		t.Fatal(err)
	}
	return m.ID
}
