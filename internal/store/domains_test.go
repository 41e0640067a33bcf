package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/org"
	"github.com/portalhq/portal/internal/store"
	"github.com/portalhq/portal/internal/user"
)

func newDomain(orgID, name string) *org.Domain {
	return &org.Domain{ID: id.New(org.DomainPrefix), OrgID: orgID, Name: name, EnrollmentMode: org.ManualInvitation,
		CreatedAt: base, UpdatedAt: base}
}

func createDomain(t *testing.T, s *store.Store, d *org.Domain) *org.Domain {
	t.Helper()
	if err := s.Q.CreateDomain(t.Context(), d); err != nil {
		t.Fatal(err)
	}
	return d
}

func sameDomain(t *testing.T, got, want *org.Domain) {
	t.Helper()
	if got.ID != want.ID || got.OrgID != want.OrgID || got.Name != want.Name || got.EnrollmentMode != want.EnrollmentMode ||
		got.AffiliationEmail != want.AffiliationEmail || got.Verified() != want.Verified() {
		t.Errorf("domain = %+v\nwant %+v", got, want)
	}
	if want.VerifiedAt != nil && got.VerifiedAt != nil {
		sameTime(t, "VerifiedAt", *got.VerifiedAt, *want.VerifiedAt)
	}
	sameTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
	sameTime(t, "UpdatedAt", got.UpdatedAt, want.UpdatedAt)
}

func testDomains(t *testing.T, open func(t *testing.T) *store.Store) {
	t.Run("create, read, update, delete; a name once per organization", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		acme, other := createOrg(t, s, "acme"), createOrg(t, s, "other")
		d := createDomain(t, s, newDomain(acme.ID, "acme.test"))
		got, err := s.Q.DomainByID(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		sameDomain(t, got, d)
		if err := s.Q.CreateDomain(ctx, newDomain(acme.ID, "acme.test")); !errors.Is(err, store.ErrConflict) {
			t.Errorf("the same name twice in one organization: %v, want ErrConflict", err)
		}
		createDomain(t, s, newDomain(other.ID, "acme.test")) // another organization may claim it too

		v := at(time.Minute)
		d.VerifiedAt, d.AffiliationEmail, d.EnrollmentMode, d.UpdatedAt = &v, "it@acme.test", org.AutomaticInvitation, at(time.Hour)
		if err := s.Q.UpdateDomain(ctx, d); err != nil {
			t.Fatal(err)
		}
		got, _ = s.Q.DomainByID(ctx, d.ID)
		sameDomain(t, got, d)
		d.VerifiedAt, d.AffiliationEmail = nil, ""
		if err := s.Q.UpdateDomain(ctx, d); err != nil {
			t.Fatal(err)
		}
		if got, _ = s.Q.DomainByID(ctx, d.ID); got.Verified() {
			t.Error("unverifying did not clear verified_at")
		}
		if err := s.Q.DeleteDomain(ctx, d.ID); err != nil {
			t.Fatal(err)
		}
		for _, err := range []error{s.Q.DeleteDomain(ctx, d.ID), s.Q.UpdateDomain(ctx, d)} {
			if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("on a removed domain: %v, want ErrNotFound", err)
			}
		}
		if _, err := s.Q.DomainByID(ctx, d.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("DomainByID after delete: %v", err)
		}
	})

	t.Run("ListDomains filters by verification and mode, by name, in pages", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		acme, other := createOrg(t, s, "acme"), createOrg(t, s, "other")
		v := at(time.Second)
		c := newDomain(acme.ID, "c.test")
		c.VerifiedAt, c.EnrollmentMode = &v, org.AutomaticInvitation
		a, b := newDomain(acme.ID, "a.test"), newDomain(acme.ID, "b.test")
		b.VerifiedAt = &v
		for _, d := range []*org.Domain{c, a, b, newDomain(other.ID, "a.test")} {
			createDomain(t, s, d)
		}
		yes, no := true, false
		for _, tc := range []struct {
			f     org.DomainFilter
			want  []string
			total int
		}{
			{org.DomainFilter{Limit: 10}, []string{"a.test", "b.test", "c.test"}, 3},
			{org.DomainFilter{Limit: 2, Offset: 1}, []string{"b.test", "c.test"}, 3},
			{org.DomainFilter{Verified: &yes, Limit: 10}, []string{"b.test", "c.test"}, 2},
			{org.DomainFilter{Verified: &no, Limit: 10}, []string{"a.test"}, 1},
			{org.DomainFilter{Modes: []string{org.AutomaticInvitation}, Limit: 10}, []string{"c.test"}, 1},
			{org.DomainFilter{Modes: []string{org.ManualInvitation, org.AutomaticSuggestion}, Verified: &yes, Limit: 10}, []string{"b.test"}, 1},
		} {
			list, total, err := s.Q.ListDomains(ctx, acme.ID, tc.f)
			var names []string
			for _, d := range list {
				names = append(names, d.Name)
			}
			if err != nil || total != tc.total || len(names) != len(tc.want) || len(names) > 0 && names[0] != tc.want[0] ||
				len(names) > 1 && names[len(names)-1] != tc.want[len(tc.want)-1] {
				t.Errorf("ListDomains(%+v) = %v (total %d), %v; want %v (total %d)", tc.f, names, total, err, tc.want, tc.total)
			}
		}
		named, err := s.Q.VerifiedDomainsNamed(ctx, "c.test", org.AutomaticInvitation)
		if err != nil || len(named) != 1 || named[0].ID != c.ID {
			t.Errorf("VerifiedDomainsNamed(c.test) = %+v, %v", named, err)
		}
		for _, q := range [][2]string{{"a.test", org.ManualInvitation}, {"b.test", org.AutomaticInvitation}} {
			if named, err := s.Q.VerifiedDomainsNamed(ctx, q[0], q[1]); err != nil || len(named) != 0 {
				t.Errorf("VerifiedDomainsNamed(%s, %s) = %+v, %v; want none (unverified, or another mode)", q[0], q[1], named, err)
			}
		}
	})

	t.Run("addresses and pending invitations at exactly a domain", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		acme := createOrg(t, s, "acme")
		verified := func(email string) *user.User {
			u := newUser(email)
			u.Identifiers[0].VerifiedAt = &base
			if err := s.Q.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
			return u
		}
		ada, bob := verified("ada@acme.test"), verified("bob@sub.acme.test")
		createUser(t, s, "carol@acme.test") // unverified
		verified("dan@xacme.test")
		two := user.Identifier{ID: id.New(id.Identifier), UserID: bob.ID, Kind: user.Email, Value: "bob@acme.test",
			VerifiedAt: &base, CreatedAt: base, UpdatedAt: base}
		if err := s.Q.CreateIdentifier(ctx, two); err != nil {
			t.Fatal(err)
		}
		got, err := s.Q.VerifiedAddressesAt(ctx, "acme.test")
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"ada@acme.test": ada.ID, "bob@acme.test": bob.ID}
		if len(got) != len(want) {
			t.Fatalf("VerifiedAddressesAt = %+v, want %v", got, want)
		}
		for _, a := range got {
			if want[a.Email] != a.UserID {
				t.Errorf("address %+v is not one of %v", a, want)
			}
		}

		expired := newInvitation(acme.ID, "old@acme.test")
		expired.ExpireAt = at(time.Minute)
		accepted := newInvitation(acme.ID, "done@acme.test")
		accepted.Status = org.Accepted
		for _, inv := range []*org.Invitation{newInvitation(acme.ID, "ada@acme.test"), newInvitation(acme.ID, "x@sub.acme.test"),
			newInvitation(acme.ID, "y@elsewhere.test"), expired, accepted} {
			if err := s.Q.CreateInvitation(ctx, inv); err != nil {
				t.Fatal(err)
			}
		}
		n, err := s.Q.CountPendingInvitationsAt(ctx, acme.ID, "acme.test", at(2*time.Minute))
		wantCount(t, "CountPendingInvitationsAt", n, err, 1)
	})

	t.Run("deleting the organization deletes its domains", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		acme := createOrg(t, s, "acme")
		d := createDomain(t, s, newDomain(acme.ID, "acme.test"))
		if err := s.Q.DeleteOrganization(ctx, acme.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Q.DomainByID(ctx, d.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("domain of a deleted organization: %v", err)
		}
	})
}
