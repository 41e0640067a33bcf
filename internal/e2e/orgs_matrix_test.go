package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/portalhq/portal/handlers"
	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/invitation"
	"github.com/portalhq/portal/internal/org"
	"github.com/portalhq/portal/internal/testutil/portaltest"
	"github.com/portalhq/portal/internal/user"
)

// The authorization matrix (REQ-AC-01, REQ-AC-02, REQ-AC-05, REQ-AC-07) is
// generated from the route table: every organization route, by everyone
// who might call it (an admin and a member of organization A, a member of
// another organization B, someone signed out), with A's IDs, B's IDs, A
// with an object of B's, A with an object that does not exist, and an
// organization that does not exist. Only what the caller's role allows
// succeeds; every refusal changes nothing, and "not found" and "not yours"
// are the same response.
func TestOrganizationAuthorizationMatrix_REQ_AC_01_REQ_AC_02_REQ_AC_05(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_TRUSTED_PROXIES": "127.0.0.1"}})
	roles := org.DefaultRoles()
	m := &matrix{t: t, p: p, targetA: newTestUser(t, p, "target-a@example.com"), targetB: newTestUser(t, p, "target-b@example.com"),
		suggested: newTestUser(t, p, "suggested@example.com"), requester: newTestUser(t, p, "requester@example.com")}
	for i, name := range []string{"outsider", "member", "admin"} {
		u := signedUp(t, p, name+"@example.com")
		// Each caller from an address of its own, so per-IP limits count
		// each separately, as they would for real people.
		u.b.header = http.Header{"X-Forwarded-For": {fmt.Sprintf("198.51.100.%d", i+1)}}
		m.actors = append(m.actors, matrixActor{name: name, b: u.b, userID: u.id})
	}
	anon := newBrowser(t, p)
	anon.header = http.Header{"X-Forwarded-For": {"198.51.100.9"}}
	anon.get("/sign-in")
	m.actors = append([]matrixActor{{name: "signed out", b: anon}}, m.actors...)

	for _, r := range handlers.Routes() {
		if r.Org == handlers.OrgInstance {
			continue // the secret key's routes (TestBackendAPIRefusesRequestsWithoutTheSecretKey)
		}
		if r.Org == "" {
			// Application invitations (Clerk's /v1/invitations and their
			// link) are no organization's: the secret key's routes are
			// checked with every other API route, the link by its ticket.
			appInvitation := r.Path == invitation.AcceptPath || strings.HasPrefix(r.Path, "/v1/invitations")
			if strings.Contains(r.Path, "organization") || strings.Contains(r.Path, "invitation") && !appInvitation {
				t.Errorf("%s %s concerns organizations but does not say what it needs (Route.Org): deny by default", r.Method, r.Path)
			}
			continue
		}
		t.Run(r.Method+" "+r.Path, func(t *testing.T) {
			bodies := map[string]string{} // the first refusal of each kind, to compare the rest with
			for _, set := range idSets(r) {
				fx := m.fixture()
				for _, who := range m.actors {
					ids := fx.ids(set)
					want := m.expect(r, who, ids, roles)
					before := m.lastEvent()
					pg := m.do(who, r, ids)
					what := fmt.Sprintf("%s with %s", who.name, set)
					if !m.check(t, what, pg, want) {
						continue
					}
					if want != allowed {
						if n := m.eventsSince(before); n != 0 {
							t.Errorf("%s: refused, yet %d events were written", what, n)
						}
						key := fmt.Sprint(want)
						if want == forbidden && r.Org == handlers.OrgTicket {
							key += who.name // the page names who is signed in
						}
						body := ticketRE.ReplaceAllString(normalise(pg.Body), "ticket=T")
						if first, seen := bodies[key]; !seen {
							bodies[key] = body
						} else if body != first && (want == notFound || want == forbidden) {
							t.Errorf("%s: the %d page differs from the route's first one; it must not tell what exists", what, pg.Status)
						}
					}
				}
			}
		})
	}
}

// ticketRE finds invitation tickets, which a page about an invitation may
// repeat (in a link back to it).
var ticketRE = regexp.MustCompile(`ticket(=|%3D)[A-Za-z0-9_-]+`)

type outcome int

const (
	allowed   outcome = iota
	toSignIn          // 303 to sign-in (or sign-up)
	forbidden         // 403: a member whose role lacks the permission
	notFound          // 404: not a member, or no such object, alike
	gone              // 410: an unknown invitation ticket
)

func (o outcome) String() string {
	return [...]string{"allowed", "sign-in", "403", "404", "410"}[o]
}

type matrixActor struct {
	name   string
	b      *browser
	userID string // "" when signed out
}

type matrix struct {
	t                *testing.T
	p                *portaltest.Portal
	actors           []matrixActor
	targetA, targetB *user.User
	// Two people no organization has: one each is suggested (not asked
	// for yet), one each asked to join.
	suggested, requester *user.User
}

// matrixSide is one organization of a fixture: another admin besides the
// callers (so admins may leave and demote), an invitation and a logo.
type matrixSide struct {
	org    *org.Organization
	target string // membership of the other admin
	inv    string
	ticket string
	// An unverified domain (to send a code for, to remove) and a verified
	// one (whose "verify" and enrollment mode succeed).
	domain, verified string
	// A suggestion nobody asked for yet, and a request to join.
	suggestion, request string
}

type matrixFixture struct{ a, b matrixSide }

// matrixIDs is what a request names.
type matrixIDs struct {
	set                         string
	org, orgName                string
	membership, invitation, tkt string
	domain, verified            string
	domainName                  string // of domain
	suggestion, request         string
}

// fixture makes organizations A (admin, member, another admin) and B (the
// outsider as a member, another admin), fresh for each set of cells.
func (m *matrix) fixture() matrixFixture {
	m.t.Helper()
	side := func(target *user.User, callers map[string]string) matrixSide {
		ctx, now := context.Background(), m.p.Clock.Now()
		slug := "m-" + strings.ToLower(id.Random(10))
		o := &org.Organization{ID: id.New(id.Org), Name: "Org " + slug, Slug: slug, LogoVersion: now.UnixMilli(),
			CreatedAt: now, UpdatedAt: now}
		if err := m.p.Store.Q.CreateOrganization(ctx, o); err != nil {
			m.t.Fatal(err)
		}
		if err := m.p.Store.Q.SetOrganizationLogo(ctx, o.ID, &org.Logo{ContentType: "image/png", Data: tinyPNG}); err != nil {
			m.t.Fatal(err)
		}
		s := matrixSide{org: o, target: addTestMember(m.t, m.p, o.ID, target, org.RoleAdmin), ticket: id.Secret(32)}
		for _, a := range m.actors {
			if role := callers[a.name]; role != "" {
				u, err := m.p.Store.Q.UserByID(ctx, a.userID)
				if err != nil {
					m.t.Fatal(err)
				}
				addTestMember(m.t, m.p, o.ID, u, role)
			}
		}
		inv := &org.Invitation{ID: id.New(id.OrgInvite), OrgID: o.ID, Email: "invitee-" + slug + "@example.com",
			Role: org.RoleMember, Status: org.Pending, TicketHash: org.HashTicket(s.ticket), CreatedAt: now,
			UpdatedAt: now, ExpireAt: now.Add(24 * time.Hour)}
		if err := m.p.Store.Q.CreateInvitation(ctx, inv); err != nil {
			m.t.Fatal(err)
		}
		s.inv = inv.ID
		for i, name := range []string{slug + ".test", "verified-" + slug + ".test"} {
			d := &org.Domain{ID: id.New(org.DomainPrefix), OrgID: o.ID, Name: name, EnrollmentMode: org.ManualInvitation,
				CreatedAt: now, UpdatedAt: now}
			if i == 1 {
				d.VerifiedAt = &now
				s.verified = d.ID
			} else {
				s.domain = d.ID
			}
			if err := m.p.Store.Q.CreateDomain(ctx, d); err != nil {
				m.t.Fatal(err)
			}
		}
		suggested := &org.Suggestion{ID: id.New(org.SuggestionPrefix), OrgID: o.ID, UserID: m.suggested.ID,
			Email: m.suggested.PrimaryEmail(), Status: org.Suggested, CreatedAt: now, UpdatedAt: now}
		requested := &org.Suggestion{ID: id.New(org.SuggestionPrefix), OrgID: o.ID, UserID: m.requester.ID,
			Email: m.requester.PrimaryEmail(), Status: org.Requested, RequestedAt: &now, CreatedAt: now, UpdatedAt: now}
		for _, sg := range []*org.Suggestion{suggested, requested} {
			if err := m.p.Store.Q.CreateSuggestion(ctx, sg); err != nil {
				m.t.Fatal(err)
			}
		}
		s.suggestion, s.request = suggested.ID, requested.ID
		return s
	}
	return matrixFixture{
		a: side(m.targetA, map[string]string{"admin": org.RoleAdmin, "member": org.RoleMember}),
		b: side(m.targetB, map[string]string{"outsider": org.RoleMember}),
	}
}

// idSets are the combinations of IDs worth trying on r.
func idSets(r handlers.Route) []string {
	switch {
	case r.Org == handlers.OrgUser:
		return []string{"A's IDs"}
	case r.Org == handlers.OrgTicket, r.Org == handlers.OrgInvitee, r.Org == handlers.OrgSuggested:
		return []string{"A's IDs", "B's IDs", "a made-up organization"}
	case strings.Contains(r.Path, ":membership_id") || strings.Contains(r.Path, ":invitation_id") ||
		strings.Contains(r.Path, ":domain_id") || strings.Contains(r.Path, ":request_id"):
		return []string{"A's IDs", "B's IDs", "A with B's object", "A with a made-up object", "a made-up organization"}
	}
	return []string{"A's IDs", "B's IDs", "a made-up organization"}
}

func (fx matrixFixture) ids(set string) matrixIDs {
	a, b := fx.a, fx.b
	made := matrixIDs{set: set, org: id.New(id.Org), orgName: "Nothing", membership: id.New(id.OrgMember),
		invitation: id.New(id.OrgInvite), tkt: id.Secret(32), domain: id.New(org.DomainPrefix),
		verified: id.New(org.DomainPrefix), domainName: "nothing.test", suggestion: id.New(org.SuggestionPrefix),
		request: id.New(org.SuggestionPrefix)}
	switch set {
	case "A's IDs":
		return matrixIDs{set: set, org: a.org.ID, orgName: a.org.Name, membership: a.target, invitation: a.inv, tkt: a.ticket,
			domain: a.domain, verified: a.verified, domainName: a.org.Slug + ".test", suggestion: a.suggestion, request: a.request}
	case "B's IDs":
		return matrixIDs{set: set, org: b.org.ID, orgName: b.org.Name, membership: b.target, invitation: b.inv, tkt: b.ticket,
			domain: b.domain, verified: b.verified, domainName: b.org.Slug + ".test", suggestion: b.suggestion, request: b.request}
	case "A with B's object":
		return matrixIDs{set: set, org: a.org.ID, orgName: a.org.Name, membership: b.target, invitation: b.inv, tkt: b.ticket,
			domain: b.domain, verified: b.verified, domainName: b.org.Slug + ".test", suggestion: b.suggestion, request: b.request}
	case "A with a made-up object":
		made.org, made.orgName = a.org.ID, a.org.Name
	}
	return made
}

// expect is what the rules say: who may call r with ids.
func (m *matrix) expect(r handlers.Route, who matrixActor, ids matrixIDs, roles *org.Roles) outcome {
	switch {
	case r.Org == handlers.OrgTicket && r.Method == http.MethodGet && ids.set == "a made-up organization":
		return gone // checked before anything else: an unknown ticket tells nothing
	case who.userID == "":
		return toSignIn
	case r.Org == handlers.OrgUser:
		return allowed
	case r.Org == handlers.OrgTicket:
		if ids.set == "a made-up organization" {
			return gone
		}
		return forbidden // the callers are never the invitee
	case r.Org == handlers.OrgInvitee:
		return notFound // the callers are never the invitee: someone else's invitation reads as missing
	case r.Org == handlers.OrgSuggested:
		return notFound // nor the person suggested: someone else's suggestion reads as missing
	}
	mem, err := m.p.Store.Q.MembershipOf(context.Background(), ids.org, who.userID)
	switch {
	case err != nil:
		return notFound
	case r.Org != handlers.OrgMember && !roles.Has(mem.Role, r.Org):
		return forbidden
	case ids.set == "A with B's object" || ids.set == "A with a made-up object":
		return notFound
	}
	return allowed
}

// do sends r as who would: the path's IDs filled in, and a form that would
// succeed for a caller who may.
func (m *matrix) do(who matrixActor, r handlers.Route, ids matrixIDs) *page {
	domain := ids.domain
	if strings.HasSuffix(r.Path, "/verify") || strings.HasSuffix(r.Path, "/enrollment") {
		domain = ids.verified
	}
	path := strings.NewReplacer(":org_id", ids.org, ":membership_id", ids.membership, ":invitation_id", ids.invitation,
		":domain_id", domain, ":suggestion_id", ids.suggestion, ":request_id", ids.request).Replace(r.Path)
	fresh := strings.ToLower(id.Random(8))
	form := url.Values{}
	switch r.Method + " " + r.Path {
	case "POST /create-organization":
		form.Set("name", "Matrix "+fresh)
	case "POST /switch-organization":
		form.Set("organization_id", ids.org)
	case "POST /organizations/:org_id":
		form.Set("name", "Renamed")
		form.Set("slug", "renamed-"+fresh)
	case "POST /organizations/:org_id/leave":
		form.Set("confirm_name", ids.orgName)
	case "POST /organizations/:org_id/delete":
		form.Set("confirm_name", ids.orgName)
		form.Set("password", goodPassword)
	case "POST /organizations/:org_id/members/:membership_id/role":
		form.Set("role", org.RoleMember)
	case "POST /organizations/:org_id/invitations":
		form.Set("email_address", "new-"+fresh+"@example.com")
		form.Set("role", org.RoleMember)
	case "POST /organizations/:org_id/domains":
		form.Set("domain", "new-"+fresh+".test")
	case "POST /organizations/:org_id/domains/:domain_id/send-code":
		form.Set("email_address", "it@"+ids.domainName)
	case "POST /organizations/:org_id/domains/:domain_id/verify":
		form.Set("code", "123456")
	case "POST /organizations/:org_id/domains/:domain_id/enrollment":
		form.Set("enrollment_mode", org.AutomaticInvitation)
	case "POST " + org.AcceptPath:
		form.Set("ticket", ids.tkt)
	case "GET " + org.AcceptPath:
		path += "?ticket=" + ids.tkt
	}
	if r.Method == http.MethodGet {
		return who.b.getRaw(path)
	}
	form.Set("_csrf", who.b.csrf())
	return who.b.postForm(r.Method, path, form, nil)
}

// check reports whether pg is the outcome wanted, failing t when not.
func (m *matrix) check(t *testing.T, what string, pg *page, want outcome) bool {
	t.Helper()
	loc := pg.Header.Get("Location")
	var ok bool
	switch want {
	case allowed:
		ok = pg.Status == http.StatusOK || pg.Status >= 300 && pg.Status < 400 &&
			!strings.HasPrefix(loc, "/sign-in") && !strings.HasPrefix(loc, "/sign-up")
	case toSignIn:
		ok = pg.Status == http.StatusSeeOther && (strings.HasPrefix(loc, "/sign-in") || strings.HasPrefix(loc, "/sign-up"))
	case forbidden:
		ok = pg.Status == http.StatusForbidden
	case notFound:
		ok = pg.Status == http.StatusNotFound
	case gone:
		ok = pg.Status == http.StatusGone
	}
	if !ok {
		t.Errorf("%s: got %d %s, want %s:\n%s", what, pg.Status, loc, want, pg.text())
	}
	return ok
}

func (m *matrix) lastEvent() int64 {
	evs, err := m.p.Store.Q.EventsAfter(context.Background(), 0, 1_000_000)
	if err != nil || len(evs) == 0 {
		return 0
	}
	return evs[len(evs)-1].Seq
}

func (m *matrix) eventsSince(seq int64) int {
	evs, err := m.p.Store.Q.EventsAfter(context.Background(), seq, 1000)
	if err != nil {
		m.t.Fatal(err)
	}
	return len(evs)
}
