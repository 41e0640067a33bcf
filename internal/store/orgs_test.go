package store_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/org"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/store"
	"github.com/portalhq/portal/internal/user"
)

var _ org.Repo = (*store.Q)(nil)

func testOrgs(t *testing.T, open func(t *testing.T) *store.Store) {
	t.Run("organization create, get, update, slug unique", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		o := createOrg(t, s, "acme")
		got, err := s.Q.OrganizationByID(ctx, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		sameOrg(t, got, o)
		if got, err = s.Q.OrganizationBySlug(ctx, "acme"); err != nil || got.ID != o.ID {
			t.Errorf("OrganizationBySlug = %v, %v", got, err)
		}
		if err := s.Q.CreateOrganization(ctx, newOrg("acme")); !errors.Is(err, store.ErrConflict) {
			t.Errorf("second org with slug acme: %v, want ErrConflict", err)
		}
		other := createOrg(t, s, "other")
		other.Slug = "acme"
		if err := s.Q.UpdateOrganization(ctx, other); !errors.Is(err, store.ErrConflict) {
			t.Errorf("renaming to a taken slug: %v, want ErrConflict", err)
		}
		o.Name, o.Slug, o.LogoVersion, o.MaxMembers, o.UpdatedAt = "Acme 2", "acme-2", 7, 3, at(time.Hour)
		if err := s.Q.UpdateOrganization(ctx, o); err != nil {
			t.Fatal(err)
		}
		if got, err = s.Q.LockOrganization(ctx, o.ID); err != nil {
			t.Fatal(err)
		}
		sameOrg(t, got, o)
		for _, err := range []error{
			s.Q.UpdateOrganization(ctx, newOrg("ghost")),
			s.Q.DeleteOrganization(ctx, id.New(id.Org)),
			s.Q.LockUser(ctx, id.New(id.User)),
		} {
			if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("on a missing row: %v, want ErrNotFound", err)
			}
		}
		if _, err := s.Q.OrganizationBySlug(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown slug: %v", err)
		}
		if n, err := s.Q.CountOrganizationsCreatedBy(ctx, o.CreatedBy); err != nil || n != 1 {
			t.Errorf("CountOrganizationsCreatedBy = %d, %v; want 1", n, err)
		}
	})

	t.Run("logo set, replace, remove", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		o := createOrg(t, s, "acme")
		if _, err := s.Q.OrganizationLogo(ctx, o.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("no logo yet: %v", err)
		}
		for _, l := range []org.Logo{{ContentType: "image/png", Data: []byte{0x89, 'P', 0}}, {ContentType: "image/gif", Data: []byte("GIF89a")}} {
			if err := s.Q.SetOrganizationLogo(ctx, o.ID, &l); err != nil {
				t.Fatal(err)
			}
			got, err := s.Q.OrganizationLogo(ctx, o.ID)
			if err != nil || got.ContentType != l.ContentType || !bytes.Equal(got.Data, l.Data) {
				t.Errorf("logo = %+v, %v; want %+v", got, err, l)
			}
		}
		if err := s.Q.SetOrganizationLogo(ctx, o.ID, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Q.OrganizationLogo(ctx, o.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("removed logo: %v", err)
		}
	})

	t.Run("memberships and counts", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		o := createOrg(t, s, "acme")
		ada, bob := createUser(t, s, "ada@example.com"), createUser(t, s, "bob@example.com")
		ma := addMember(t, s, o.ID, ada.ID, org.RoleAdmin, base)
		mb := addMember(t, s, o.ID, bob.ID, org.RoleMember, at(time.Second))
		if err := s.Q.CreateMembership(ctx, &org.Membership{ID: id.New(id.OrgMember), OrgID: o.ID, UserID: ada.ID,
			Role: org.RoleMember, CreatedAt: base, UpdatedAt: base}); !errors.Is(err, store.ErrConflict) {
			t.Errorf("second membership of one user: %v, want ErrConflict", err)
		}
		got, err := s.Q.MembershipOf(ctx, o.ID, bob.ID)
		if err != nil || got.ID != mb.ID || got.OrgID != mb.OrgID || got.UserID != mb.UserID || got.Role != mb.Role ||
			!got.CreatedAt.Equal(mb.CreatedAt) || string(got.PublicMetadata) != "{}" || string(got.PrivateMetadata) != "{}" {
			t.Errorf("MembershipOf = %+v, %v; want %+v with empty metadata", got, err, mb)
		}
		got.PublicMetadata, got.PrivateMetadata, got.UpdatedAt = json.RawMessage(`{"seat":"A1"}`), json.RawMessage(`{"crm":7}`), at(time.Minute)
		if err := s.Q.UpdateMembershipMetadata(ctx, got); err != nil {
			t.Fatal(err)
		}
		again, err := s.Q.MembershipByID(ctx, mb.ID)
		if err != nil || string(again.PublicMetadata) != `{"seat":"A1"}` || string(again.PrivateMetadata) != `{"crm":7}` ||
			!again.UpdatedAt.Equal(at(time.Minute).Truncate(time.Millisecond)) {
			t.Errorf("after UpdateMembershipMetadata: %+v, %v", again, err)
		}
		if err := s.Q.UpdateMembershipMetadata(ctx, &org.Membership{ID: "orgmem_missing", UpdatedAt: base}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("metadata of a missing membership: %v, want ErrNotFound", err)
		}
		n, err := s.Q.CountMembers(ctx, o.ID)
		wantCount(t, "members", n, err, 2)
		admins := []string{org.RoleAdmin, "org:owner"}
		n, err = s.Q.CountMembersWithRoles(ctx, o.ID, admins)
		wantCount(t, "admins", n, err, 1)
		if err := s.Q.UpdateMembershipRole(ctx, mb.ID, org.RoleAdmin, at(time.Minute)); err != nil {
			t.Fatal(err)
		}
		n, err = s.Q.CountMembersWithRoles(ctx, o.ID, admins)
		wantCount(t, "admins after promotion", n, err, 2)
		if got, err = s.Q.MembershipByID(ctx, mb.ID); err != nil || got.Role != org.RoleAdmin {
			t.Errorf("after UpdateMembershipRole: %+v, %v", got, err)
		} else {
			sameTime(t, "UpdatedAt", got.UpdatedAt, at(time.Minute))
		}
		if err := s.Q.DeleteMembership(ctx, ma.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.Q.DeleteMembership(ctx, ma.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("deleting twice: %v", err)
		}
		if _, err := s.Q.MembershipOf(ctx, o.ID, ada.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("deleted membership: %v", err)
		}
	})

	t.Run("ListMembers searches names, emails and usernames and pages", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		o := createOrg(t, s, "acme")
		var want []string
		for i, who := range []struct{ first, last, email, username string }{
			{"Ada", "Lovelace", "ada@example.com", ""},
			{"Grace", "Hopper", "grace@navy.example", "amazing_grace"},
			{"Alan", "Turing", "alan@example.com", ""},
			{"Per%cent", "Under_score", "pc@example.com", ""},
		} {
			u := newUser(who.email)
			u.FirstName, u.LastName = who.first, who.last
			if who.username != "" {
				u.Identifiers = append(u.Identifiers, user.Identifier{ID: id.New(id.Identifier), UserID: u.ID,
					Kind: user.Username, Value: who.username, CreatedAt: base, UpdatedAt: base})
			}
			if err := s.Q.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
			want = append(want, addMember(t, s, o.ID, u.ID, org.RoleMember, at(time.Duration(i)*time.Second)).ID)
		}
		addMember(t, s, createOrg(t, s, "other").ID, createUser(t, s, "ada2@example.com").ID, org.RoleMember, base)

		for _, c := range []struct {
			query string
			want  []int
		}{
			{"", []int{0, 1, 2, 3}},
			{"ada", []int{0}}, // not ada2@, who is in another organization
			{"LOVELACE", []int{0}},
			{"ada lovelace", []int{0}},
			{"navy", []int{1}},
			{"amazing", []int{1}},
			{"example.com", []int{0, 2, 3}},
			{"%", []int{3}}, // a literal, not a wildcard
			{"_", []int{1, 3}},
			{"nobody", nil},
		} {
			list, total, err := s.Q.ListMembers(ctx, o.ID, c.query, 10, 0)
			if err != nil {
				t.Fatalf("ListMembers(%q): %v", c.query, err)
			}
			var got, exp []string
			for _, m := range list {
				got = append(got, m.ID)
			}
			for _, i := range c.want {
				exp = append(exp, want[i])
			}
			if !slices.Equal(got, exp) || total != len(exp) {
				t.Errorf("ListMembers(%q) = %v (total %d), want %v", c.query, got, total, exp)
			}
		}
		page, total, err := s.Q.ListMembers(ctx, o.ID, "", 2, 2)
		if err != nil || total != 4 || len(page) != 2 || page[0].ID != want[2] || page[1].ID != want[3] {
			t.Errorf("second page of 2 = %+v (total %d), %v", page, total, err)
		}
		if page[0].FirstName != "Alan" || page[0].Email != "alan@example.com" {
			t.Errorf("member details = %+v", page[0])
		}
		if one, _, _ := s.Q.ListMembers(ctx, o.ID, "grace", 1, 0); len(one) != 1 || one[0].Username != "amazing_grace" {
			t.Errorf("username of a member = %+v", one)
		}
	})

	t.Run("organizations of a user, by name", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		u := createUser(t, s, "ada@example.com")
		zeta, alpha := createOrg(t, s, "zeta"), createOrg(t, s, "alpha")
		zeta.Name, alpha.Name = "Zeta", "alpha"
		for _, o := range []*org.Organization{zeta, alpha} {
			if err := s.Q.UpdateOrganization(ctx, o); err != nil {
				t.Fatal(err)
			}
		}
		createOrg(t, s, "not-mine")
		addMember(t, s, zeta.ID, u.ID, org.RoleAdmin, base)
		addMember(t, s, alpha.ID, u.ID, org.RoleMember, base)
		list, err := s.Q.OrganizationsOfUser(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || list[0].ID != alpha.ID || list[0].Role != org.RoleMember || list[1].ID != zeta.ID ||
			list[1].Role != org.RoleAdmin || list[1].MembershipID == "" {
			t.Errorf("OrganizationsOfUser = %+v", list)
		}
	})

	t.Run("invitations: one pending per address, status changes are conditional", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		o := createOrg(t, s, "acme")
		inv := newInvitation(o.ID, "ada@example.com")
		if err := s.Q.CreateInvitation(ctx, inv); err != nil {
			t.Fatal(err)
		}
		if err := s.Q.CreateInvitation(ctx, newInvitation(o.ID, "ada@example.com")); !errors.Is(err, store.ErrConflict) {
			t.Errorf("second pending invitation to one address: %v, want ErrConflict", err)
		}
		for _, get := range []func() (*org.Invitation, error){
			func() (*org.Invitation, error) { return s.Q.InvitationByID(ctx, inv.ID) },
			func() (*org.Invitation, error) { return s.Q.InvitationByTicket(ctx, inv.TicketHash) },
			func() (*org.Invitation, error) { return s.Q.PendingInvitation(ctx, o.ID, "ada@example.com") },
		} {
			got, err := get()
			if err != nil {
				t.Fatal(err)
			}
			sameInvitation(t, got, inv)
		}
		inv.Status, inv.UpdatedAt = org.Accepted, at(time.Minute)
		if err := s.Q.UpdateInvitation(ctx, inv, org.Pending); err != nil {
			t.Fatal(err)
		}
		if err := s.Q.UpdateInvitation(ctx, inv, org.Pending); !errors.Is(err, store.ErrConflict) {
			t.Errorf("accepting twice: %v, want ErrConflict", err)
		}
		if _, err := s.Q.PendingInvitation(ctx, o.ID, "ada@example.com"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("pending after acceptance: %v", err)
		}
		again := newInvitation(o.ID, "ada@example.com")
		if err := s.Q.CreateInvitation(ctx, again); err != nil {
			t.Errorf("a new invitation once the first was accepted: %v", err)
		}
		list, err := s.Q.ListPendingInvitations(ctx, o.ID)
		if err != nil || len(list) != 1 || list[0].ID != again.ID {
			t.Errorf("ListPendingInvitations = %+v, %v", list, err)
		}
	})

	t.Run("declines: recorded per invitation, found by organization and person", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		ada, bob := createUser(t, s, "ada@example.com"), createUser(t, s, "bob@example.com")
		acme, beta := createOrg(t, s, "acme"), createOrg(t, s, "beta")
		declined, revoked := newInvitation(acme.ID, "ada@example.com"), newInvitation(acme.ID, "bob@example.com")
		for _, inv := range []*org.Invitation{declined, revoked, newInvitation(beta.ID, "ada@example.com")} {
			if err := s.Q.CreateInvitation(ctx, inv); err != nil {
				t.Fatal(err)
			}
		}
		for _, inv := range []*org.Invitation{declined, revoked} {
			inv.Status, inv.UpdatedAt = org.Revoked, at(time.Minute)
			if err := s.Q.UpdateInvitation(ctx, inv, org.Pending); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Q.RecordDecline(ctx, declined.ID, ada.ID, at(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := s.Q.RecordDecline(ctx, "orginv_missing", ada.ID, at(time.Minute)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("RecordDecline of no invitation: %v, want ErrNotFound", err)
		}
		for _, c := range []struct {
			org, user, name string
			want            bool
		}{
			{acme.ID, ada.ID, "ada at acme", true},  // declined
			{acme.ID, bob.ID, "bob at acme", false}, // revoked by an admin
			{beta.ID, ada.ID, "ada at beta", false}, // another organization's
			{acme.ID, "user_nobody", "nobody at acme", false},
		} {
			if got, err := s.Q.Declined(ctx, c.org, c.user); err != nil || got != c.want {
				t.Errorf("Declined(%s) = %v, %v; want %v", c.name, got, err, c.want)
			}
		}
		// The invitation itself reads as before: revoked.
		if got, err := s.Q.InvitationByID(ctx, declined.ID); err != nil || got.Status != org.Revoked {
			t.Errorf("declined invitation reads %+v, %v", got, err)
		}
		// Joining answers the decline, at that organization only.
		beta2 := newInvitation(beta.ID, "ada2@example.com")
		if err := s.Q.CreateInvitation(ctx, beta2); err != nil {
			t.Fatal(err)
		}
		if err := s.Q.RecordDecline(ctx, beta2.ID, ada.ID, at(time.Minute)); err != nil {
			t.Fatal(err)
		}
		addMember(t, s, acme.ID, ada.ID, org.RoleMember, at(2*time.Minute))
		if got, err := s.Q.Declined(ctx, acme.ID, ada.ID); err != nil || got {
			t.Errorf("Declined(ada at acme) after she joined = %v, %v; want false", got, err)
		}
		if got, err := s.Q.Declined(ctx, beta.ID, ada.ID); err != nil || !got {
			t.Errorf("Declined(ada at beta) = %v, %v; want true, joining acme answers nothing at beta", got, err)
		}
	})

	t.Run("InvitationsForUser: live pending ones to the addresses, outside the user's organizations", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		u := createUser(t, s, "ada@example.com")
		acme, beta, gamma, mine := createOrg(t, s, "acme"), createOrg(t, s, "beta"), createOrg(t, s, "gamma"), createOrg(t, s, "mine")
		addMember(t, s, mine.ID, u.ID, org.RoleMember, base)
		first, second := newInvitation(beta.ID, "ada@work.example"), newInvitation(acme.ID, "ada@example.com")
		second.CreatedAt = at(time.Second)
		expired := newInvitation(gamma.ID, "ada@example.com")
		expired.ExpireAt = at(time.Minute)
		accepted := newInvitation(gamma.ID, "ada@work.example")
		accepted.Status = org.Accepted
		for _, inv := range []*org.Invitation{second, first, expired, accepted,
			newInvitation(mine.ID, "ada@example.com"), newInvitation(acme.ID, "someone@example.com")} {
			if err := s.Q.CreateInvitation(ctx, inv); err != nil {
				t.Fatal(err)
			}
		}
		list, total, err := s.Q.InvitationsForUser(ctx, u.ID, org.UserInvitationFilter{
			Emails: []string{"ada@example.com", "ada@work.example"}, Joinable: true, Now: at(2 * time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || total != 2 {
			t.Fatalf("InvitationsForUser = %+v (total %d), want two", list, total)
		}
		sameInvitation(t, &list[0].Invitation, first)
		sameOrg(t, &list[0].Org, beta)
		sameInvitation(t, &list[1].Invitation, second)
		sameOrg(t, &list[1].Org, acme)
		if list, _, err := s.Q.InvitationsForUser(ctx, u.ID, org.UserInvitationFilter{Joinable: true, Now: base}); err != nil || len(list) != 0 {
			t.Errorf("without addresses: %+v, %v", list, err)
		}
	})

	t.Run("InvitationsForUser: by status as shown, newest first, in pages", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		u := createUser(t, s, "ada@example.com")
		acme, beta, mine := createOrg(t, s, "acme"), createOrg(t, s, "beta"), createOrg(t, s, "mine")
		addMember(t, s, mine.ID, u.ID, org.RoleMember, base)
		invs := map[string]*org.Invitation{}
		for i, c := range []struct{ name, orgID, email, status string }{
			{"pending", acme.ID, "ada@example.com", org.Pending},
			{"accepted", mine.ID, "ada@work.example", org.Accepted}, // she is a member there: still hers
			{"revoked", beta.ID, "ada@example.com", org.Revoked},
			{"replaced", acme.ID, "ada@work.example", org.Expired},
			{"ran out", beta.ID, "ada@work.example", org.Pending},
			{"someone else's", acme.ID, "bob@example.com", org.Pending},
		} {
			inv := newInvitation(c.orgID, c.email)
			inv.Status, inv.CreatedAt = c.status, at(time.Duration(i)*time.Second)
			if c.name == "ran out" {
				inv.ExpireAt = at(time.Minute)
			}
			if err := s.Q.CreateInvitation(ctx, inv); err != nil {
				t.Fatal(err)
			}
			invs[c.name] = inv
		}
		ids := func(list []org.UserInvitation) []string {
			var out []string
			for _, ui := range list {
				for name, inv := range invs {
					if inv.ID == ui.ID {
						out = append(out, name)
					}
				}
				if ui.Org.ID != ui.OrgID {
					t.Errorf("invitation %s comes with organization %s", ui.ID, ui.Org.ID)
				}
			}
			return out
		}
		emails := []string{"ada@example.com", "ada@work.example"}
		for _, c := range []struct {
			statuses []string
			want     []string
		}{
			{nil, []string{"ran out", "replaced", "revoked", "accepted", "pending"}},
			{[]string{org.Pending}, []string{"pending"}},
			{[]string{org.Expired}, []string{"ran out", "replaced"}},
			{[]string{org.Accepted, org.Revoked}, []string{"revoked", "accepted"}},
		} {
			list, total, err := s.Q.InvitationsForUser(ctx, u.ID, org.UserInvitationFilter{Emails: emails,
				Statuses: c.statuses, Now: at(2 * time.Minute), Limit: 10})
			if got := ids(list); err != nil || !slices.Equal(got, c.want) || total != len(c.want) {
				t.Errorf("statuses %v: %q (total %d), %v; want %q", c.statuses, got, total, err, c.want)
			}
		}
		// Before "ran out" expires it is pending.
		list, _, err := s.Q.InvitationsForUser(ctx, u.ID, org.UserInvitationFilter{Emails: emails,
			Statuses: []string{org.Pending}, Now: base, Limit: 10})
		if got := ids(list); err != nil || !slices.Equal(got, []string{"ran out", "pending"}) {
			t.Errorf("pending before the expiry: %q, %v", got, err)
		}
		page, total, err := s.Q.InvitationsForUser(ctx, u.ID, org.UserInvitationFilter{Emails: emails,
			Now: at(2 * time.Minute), Limit: 2, Offset: 2})
		if got := ids(page); err != nil || !slices.Equal(got, []string{"revoked", "accepted"}) || total != 5 {
			t.Errorf("second page of 2: %q (total %d), %v", got, total, err)
		}
		sameInvitation(t, &page[0].Invitation, invs["revoked"])
		sameOrg(t, &page[0].Org, beta)
		if list, total, err := s.Q.InvitationsForUser(ctx, u.ID, org.UserInvitationFilter{Emails: []string{"ada@work.example"},
			Statuses: []string{org.Accepted}, Now: base, Limit: 10}); err != nil || len(list) != 1 || total != 1 {
			t.Errorf("accepted ones to one address: %+v (total %d), %v", list, total, err)
		}
	})

	t.Run("ListInstanceMemberships: across organizations, a user's or everyone's, in Clerk's orders", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		acme, beta := createOrg(t, s, "acme"), createOrg(t, s, "beta")
		people := map[string]*user.User{}
		for _, who := range []struct{ first, last, email, phone, username string }{
			{"Ada", "Lovelace", "ada@example.com", "+14155550101", "countess"},
			{"bob", "Zed", "bob@example.com", "", "builder"},
			{"Cy", "adams", "cy@example.com", "+14155550100", ""},
		} {
			u := newUser(who.email)
			u.FirstName, u.LastName = who.first, who.last
			if who.phone != "" {
				p := user.Identifier{ID: id.New(id.Identifier), UserID: u.ID, Kind: user.Phone, Value: who.phone,
					CreatedAt: base, UpdatedAt: base}
				u.PrimaryPhoneID, u.Identifiers = p.ID, append(u.Identifiers, p)
			}
			if who.username != "" {
				u.Identifiers = append(u.Identifiers, user.Identifier{ID: id.New(id.Identifier), UserID: u.ID,
					Kind: user.Username, Value: who.username, CreatedAt: base, UpdatedAt: base})
			}
			if err := s.Q.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
			people[who.first] = u
		}
		// Created in this order: Ada in Acme, Bob in Acme, Ada in Beta, Cy in Beta.
		names := map[string]string{}
		for i, m := range []struct {
			o   *org.Organization
			who string
		}{{acme, "Ada"}, {acme, "bob"}, {beta, "Ada"}, {beta, "Cy"}} {
			names[addMember(t, s, m.o.ID, people[m.who].ID, org.RoleMember, at(time.Duration(i)*time.Second)).ID] = m.who + "@" + m.o.Slug
		}
		list := func(f org.InstanceMemberFilter) ([]string, int) {
			t.Helper()
			if f.Limit == 0 {
				f.Limit = 10
			}
			rows, total, err := s.Q.ListInstanceMemberships(ctx, f)
			if err != nil {
				t.Fatalf("ListInstanceMemberships(%+v): %v", f, err)
			}
			var out []string
			for _, r := range rows {
				if r.Org.ID != r.OrgID {
					t.Errorf("membership %s comes with organization %s", r.ID, r.Org.ID)
				}
				out = append(out, names[r.ID])
			}
			return out, total
		}
		for _, c := range []struct {
			orderBy string
			want    []string
		}{
			{"-created_at", []string{"Cy@beta", "Ada@beta", "bob@acme", "Ada@acme"}},
			{"created_at", []string{"Ada@acme", "bob@acme", "Ada@beta", "Cy@beta"}},
			{"+first_name", []string{"Ada@acme", "Ada@beta", "bob@acme", "Cy@beta"}},
			{"-last_name", []string{"bob@acme", "Ada@beta", "Ada@acme", "Cy@beta"}},
			{"-email_address", []string{"Cy@beta", "bob@acme", "Ada@beta", "Ada@acme"}},
			{"phone_number", []string{"Cy@beta", "Ada@acme", "Ada@beta", "bob@acme"}},  // no number last
			{"-phone_number", []string{"Ada@beta", "Ada@acme", "Cy@beta", "bob@acme"}}, // either way
			{"username", []string{"bob@acme", "Ada@acme", "Ada@beta", "Cy@beta"}},
		} {
			got, total := list(org.InstanceMemberFilter{OrderBy: c.orderBy})
			// Equal keys (Ada twice) fall back on the membership ID.
			if c.orderBy != "-created_at" && c.orderBy != "created_at" {
				got, c.want = adaInOrder(got), adaInOrder(c.want)
			}
			if !slices.Equal(got, c.want) || total != 4 {
				t.Errorf("order_by %s: %q (total %d), want %q", c.orderBy, got, total, c.want)
			}
		}
		got, total := list(org.InstanceMemberFilter{OrderBy: "-created_at", Limit: 2, Offset: 1})
		if !slices.Equal(got, []string{"Ada@beta", "bob@acme"}) || total != 4 {
			t.Errorf("second page: %q (total %d)", got, total)
		}
		got, total = list(org.InstanceMemberFilter{UserID: people["Ada"].ID, OrderBy: "-created_at"})
		if !slices.Equal(got, []string{"Ada@beta", "Ada@acme"}) || total != 2 {
			t.Errorf("Ada's: %q (total %d)", got, total)
		}
		rows, _, err := s.Q.ListInstanceMemberships(ctx, org.InstanceMemberFilter{UserID: people["Ada"].ID, OrderBy: "created_at", Limit: 1})
		if err != nil || len(rows) != 1 {
			t.Fatalf("Ada's first: %+v, %v", rows, err)
		}
		if r := rows[0]; r.UserID != people["Ada"].ID || r.Role != org.RoleMember || r.FirstName != "Ada" ||
			r.LastName != "Lovelace" || r.Email != "ada@example.com" || r.Username != "countess" ||
			string(r.PublicMetadata) != "{}" {
			t.Errorf("Ada's membership row = %+v", r)
		}
		sameOrg(t, &rows[0].Org, acme)
		if got, total := list(org.InstanceMemberFilter{UserID: "user_nobody"}); len(got) != 0 || total != 0 {
			t.Errorf("nobody's: %q (total %d)", got, total)
		}
	})

	t.Run("deleting an organization deletes what belongs to it", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		o, keep := createOrg(t, s, "acme"), createOrg(t, s, "keep")
		u := createUser(t, s, "ada@example.com")
		m := addMember(t, s, o.ID, u.ID, org.RoleAdmin, base)
		km := addMember(t, s, keep.ID, u.ID, org.RoleAdmin, base)
		inv := newInvitation(o.ID, "bob@example.com")
		if err := s.Q.CreateInvitation(ctx, inv); err != nil {
			t.Fatal(err)
		}
		if err := s.Q.SetOrganizationLogo(ctx, o.ID, &org.Logo{ContentType: "image/png", Data: []byte("x")}); err != nil {
			t.Fatal(err)
		}
		if err := s.Q.DeleteOrganization(ctx, o.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Q.MembershipByID(ctx, m.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("membership of a deleted organization: %v", err)
		}
		if _, err := s.Q.InvitationByID(ctx, inv.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("invitation of a deleted organization: %v", err)
		}
		if _, err := s.Q.OrganizationLogo(ctx, o.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("logo of a deleted organization: %v", err)
		}
		if _, err := s.Q.MembershipByID(ctx, km.ID); err != nil {
			t.Errorf("membership of another organization: %v", err)
		}
	})

	t.Run("active organization of sessions", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		c := createClient(t, s)
		a, b := storeSession(t, s, c, base), storeSession(t, s, c, base)
		for _, x := range []string{a.ID, b.ID} {
			if err := s.Q.SetSessionActiveOrg(ctx, x, "org_1", at(time.Minute)); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Q.ClearActiveOrg(ctx, "org_1", a.UserID, at(2*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Q.SessionByID(ctx, a.ID); got.ActiveOrgID != "" {
			t.Errorf("cleared for the user: %q", got.ActiveOrgID)
		}
		if got, _ := s.Q.SessionByID(ctx, b.ID); got.ActiveOrgID != "org_1" {
			t.Errorf("another user's session lost its organization: %q", got.ActiveOrgID)
		}
		if err := s.Q.ClearActiveOrg(ctx, "org_1", "", at(3*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Q.SessionByID(ctx, b.ID); got.ActiveOrgID != "" {
			t.Errorf("cleared for everyone: %q", got.ActiveOrgID)
		}
		if err := s.Q.SetSessionActiveOrg(ctx, id.New(id.Session), "org_1", base); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown session: %v", err)
		}
	})

	t.Run("LastActiveOrg is the newest other session's", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		c := createClient(t, s)
		old := storeSession(t, s, c, base)
		mk := func(created time.Time) session.Session {
			x := newSession(t, s, c, created)
			x.UserID = old.UserID
			if err := s.Q.CreateSession(ctx, x); err != nil {
				t.Fatal(err)
			}
			return x
		}
		newer, current := mk(at(time.Second)), mk(at(2*time.Second))
		if got, err := s.Q.LastActiveOrg(ctx, old.UserID, current.ID); got != "" || err != nil {
			t.Errorf("no organization ever: %q, %v", got, err)
		}
		for _, x := range []struct {
			id, org string
			at      time.Time
		}{{old.ID, "org_old", at(time.Minute)}, {newer.ID, "org_new", at(2 * time.Minute)}, {current.ID, "org_current", at(3 * time.Minute)}} {
			if err := s.Q.SetSessionActiveOrg(ctx, x.id, x.org, x.at); err != nil {
				t.Fatal(err)
			}
		}
		if got, err := s.Q.LastActiveOrg(ctx, old.UserID, current.ID); got != "org_new" || err != nil {
			t.Errorf("LastActiveOrg = %q, %v; want org_new", got, err)
		}
	})

	// LockOrganization serialises transactions on an organization: without
	// it these read-modify-write increments would lose updates on PostgreSQL.
	t.Run("LockOrganization serialises transactions", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		o := createOrg(t, s, "acme")
		const n = 12
		errs := race(t, s, n, func(int) error {
			return s.InTx(ctx, func(q *store.Q) error {
				got, err := q.LockOrganization(ctx, o.ID)
				if err != nil {
					return err
				}
				got.MaxMembers++
				return q.UpdateOrganization(ctx, got)
			})
		})
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if got, _ := s.Q.OrganizationByID(ctx, o.ID); got.MaxMembers != n {
			t.Errorf("after %d locked increments: %d", n, got.MaxMembers)
		}
	})
}

// adaInOrder makes the order of Ada's two memberships, equal on every key
// but the creation, not matter: the store breaks such ties by ID.
func adaInOrder(list []string) []string {
	out := slices.Clone(list)
	var at []int
	for i, s := range out {
		if strings.HasPrefix(s, "Ada@") {
			at = append(at, i)
		}
	}
	if len(at) == 2 {
		out[at[0]], out[at[1]] = "Ada@", "Ada@"
	}
	return out
}

func newOrg(slug string) *org.Organization {
	return &org.Organization{ID: id.New(id.Org), Name: "Org " + slug, Slug: slug, CreatedBy: id.New(id.User),
		CreatedAt: base, UpdatedAt: at(time.Second)}
}

func createOrg(t *testing.T, s *store.Store, slug string) *org.Organization {
	t.Helper()
	o := newOrg(slug)
	if err := s.Q.CreateOrganization(t.Context(), o); err != nil {
		t.Fatal(err)
	}
	return o
}

func addMember(t *testing.T, s *store.Store, orgID, userID, role string, created time.Time) *org.Membership {
	t.Helper()
	m := &org.Membership{ID: id.New(id.OrgMember), OrgID: orgID, UserID: userID, Role: role,
		CreatedAt: created.Truncate(time.Millisecond).UTC(), UpdatedAt: created.Truncate(time.Millisecond).UTC()}
	if err := s.Q.CreateMembership(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	return m
}

func newInvitation(orgID, email string) *org.Invitation {
	return &org.Invitation{ID: id.New(id.OrgInvite), OrgID: orgID, Email: email, Role: org.RoleMember,
		Status: org.Pending, TicketHash: org.HashTicket(id.Secret(32)), RedirectURL: "https://app.example.com/x",
		InviterID: id.New(id.User), CreatedAt: base, UpdatedAt: base, ExpireAt: at(time.Hour)}
}

func wantCount(t *testing.T, what string, n int, err error, want int) {
	t.Helper()
	if err != nil || n != want {
		t.Errorf("%s = %d, %v; want %d", what, n, err, want)
	}
}

func sameOrg(t *testing.T, got, want *org.Organization) {
	t.Helper()
	if got.ID != want.ID || got.Name != want.Name || got.Slug != want.Slug || got.LogoVersion != want.LogoVersion ||
		got.MaxMembers != want.MaxMembers || got.CreatedBy != want.CreatedBy {
		t.Errorf("organization = %+v\nwant %+v", got, want)
	}
	sameTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
	sameTime(t, "UpdatedAt", got.UpdatedAt, want.UpdatedAt)
}

func sameInvitation(t *testing.T, got, want *org.Invitation) {
	t.Helper()
	if got.ID != want.ID || got.OrgID != want.OrgID || got.Email != want.Email || got.Role != want.Role ||
		got.Status != want.Status || got.TicketHash != want.TicketHash || got.RedirectURL != want.RedirectURL ||
		got.InviterID != want.InviterID {
		t.Errorf("invitation = %+v\nwant %+v", got, want)
	}
	sameTime(t, "ExpireAt", got.ExpireAt, want.ExpireAt)
	sameTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
}
