package store_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/org"
	"github.com/portalhq/portal/internal/store"
	"github.com/portalhq/portal/internal/user"
)

func newSuggestion(orgID, userID, email string) *org.Suggestion {
	return &org.Suggestion{ID: id.New(org.SuggestionPrefix), OrgID: orgID, UserID: userID, Email: email,
		Status: org.Suggested, CreatedAt: base, UpdatedAt: base}
}

func createSuggestion(t *testing.T, s *store.Store, sg *org.Suggestion) *org.Suggestion {
	t.Helper()
	if err := s.Q.CreateSuggestion(t.Context(), sg); err != nil {
		t.Fatal(err)
	}
	return sg
}

// verifiedUser stores a user whose addresses are all verified, the first
// primary.
func verifiedUser(t *testing.T, s *store.Store, emails ...string) *user.User {
	t.Helper()
	u := newUser(emails[0])
	u.FirstName, u.LastName = "First", "Last"
	for _, e := range emails[1:] {
		u.Identifiers = append(u.Identifiers, user.Identifier{ID: id.New(id.Identifier), UserID: u.ID, Kind: user.Email,
			Value: e, CreatedAt: base, UpdatedAt: base})
	}
	for i := range u.Identifiers {
		u.Identifiers[i].VerifiedAt = &base
	}
	if err := s.Q.CreateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	return u
}

func sameSuggestion(t *testing.T, got, want *org.Suggestion) {
	t.Helper()
	if got.ID != want.ID || got.OrgID != want.OrgID || got.UserID != want.UserID || got.Email != want.Email ||
		got.Status != want.Status {
		t.Errorf("suggestion = %+v\nwant %+v", got, want)
	}
	sameTimePtr(t, "RequestedAt", got.RequestedAt, want.RequestedAt)
	sameTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
	sameTime(t, "UpdatedAt", got.UpdatedAt, want.UpdatedAt)
}

func testSuggestions(t *testing.T, open func(t *testing.T) *store.Store) {
	t.Run("create, read, update from a status; one open per person and organization", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		acme, other := createOrg(t, s, "acme"), createOrg(t, s, "other")
		ada := verifiedUser(t, s, "ada@acme.test")
		sg := createSuggestion(t, s, newSuggestion(acme.ID, ada.ID, "ada@acme.test"))
		got, err := s.Q.SuggestionByID(ctx, sg.ID)
		if err != nil {
			t.Fatal(err)
		}
		sameSuggestion(t, got, sg)
		if err := s.Q.CreateSuggestion(ctx, newSuggestion(acme.ID, ada.ID, "ada@acme.test")); !errors.Is(err, store.ErrConflict) {
			t.Errorf("a second open suggestion: %v, want ErrConflict", err)
		}
		createSuggestion(t, s, newSuggestion(other.ID, ada.ID, "ada@acme.test")) // another organization's

		req := at(time.Minute)
		sg.Status, sg.RequestedAt, sg.UpdatedAt = org.Requested, &req, req
		if err := s.Q.UpdateSuggestion(ctx, sg, org.Suggested); err != nil {
			t.Fatal(err)
		}
		got, _ = s.Q.SuggestionByID(ctx, sg.ID)
		sameSuggestion(t, got, sg)
		if err := s.Q.CreateSuggestion(ctx, newSuggestion(acme.ID, ada.ID, "ada@acme.test")); !errors.Is(err, store.ErrConflict) {
			t.Errorf("a suggestion beside a request: %v, want ErrConflict", err)
		}
		// Another change came first: the status is no longer the one expected.
		sg.Status = org.Rejected
		if err := s.Q.UpdateSuggestion(ctx, sg, org.Suggested); !errors.Is(err, store.ErrConflict) {
			t.Errorf("update from a status it no longer has: %v, want ErrConflict", err)
		}
		if err := s.Q.UpdateSuggestion(ctx, sg, org.Requested); err != nil {
			t.Fatal(err)
		}
		gone := newSuggestion(acme.ID, ada.ID, "x")
		if err := s.Q.UpdateSuggestion(ctx, gone, org.Suggested); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("update of a missing suggestion: %v, want ErrNotFound", err)
		}
		// Answered, the next one may be made, and is the latest.
		next := newSuggestion(acme.ID, ada.ID, "ada@acme.test")
		next.CreatedAt = at(time.Hour)
		createSuggestion(t, s, next)
		latest, err := s.Q.LatestSuggestion(ctx, acme.ID, ada.ID)
		if err != nil || latest.ID != next.ID {
			t.Errorf("LatestSuggestion = %+v, %v; want %s", latest, err, next.ID)
		}
		if _, err := s.Q.LatestSuggestion(ctx, acme.ID, id.New(id.User)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("LatestSuggestion of nobody: %v", err)
		}
		if _, err := s.Q.SuggestionByID(ctx, id.New(org.SuggestionPrefix)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("SuggestionByID of nothing: %v", err)
		}
	})

	t.Run("a person's open suggestions, for their addresses, outside their organizations", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		acme, beta, gamma, delta := createOrg(t, s, "acme"), createOrg(t, s, "beta"), createOrg(t, s, "gamma"), createOrg(t, s, "delta")
		ada, bob := verifiedUser(t, s, "ada@acme.test"), verifiedUser(t, s, "bob@acme.test")
		first := createSuggestion(t, s, newSuggestion(acme.ID, ada.ID, "ada@acme.test"))
		asked := newSuggestion(beta.ID, ada.ID, "ada@acme.test")
		asked.Status, asked.CreatedAt = org.Requested, at(time.Second)
		createSuggestion(t, s, asked)
		rejected := newSuggestion(gamma.ID, ada.ID, "ada@acme.test")
		rejected.Status = org.Rejected
		createSuggestion(t, s, rejected)
		createSuggestion(t, s, newSuggestion(delta.ID, ada.ID, "ada@acme.test"))
		addMember(t, s, delta.ID, ada.ID, org.RoleMember, base)                  // a member there already
		createSuggestion(t, s, newSuggestion(gamma.ID, ada.ID, "old@acme.test")) // an address she no longer has
		createSuggestion(t, s, newSuggestion(acme.ID, bob.ID, "bob@acme.test"))  // someone else's

		list, err := s.Q.SuggestionsForUser(ctx, ada.ID, []string{"ada@acme.test"})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, us := range list {
			if us.Org.ID != us.OrgID {
				t.Errorf("suggestion %s comes with organization %+v", us.ID, us.Org)
			}
			got = append(got, us.Org.Slug+" "+us.Status)
		}
		if want := []string{"acme pending", "beta requested"}; !slices.Equal(got, want) {
			t.Errorf("SuggestionsForUser = %q, want %q", got, want)
		}
		if list[0].ID != first.ID || list[0].Org.Name != acme.Name {
			t.Errorf("first suggestion = %+v", list[0])
		}
		if list, err := s.Q.SuggestionsForUser(ctx, ada.ID, nil); err != nil || len(list) != 0 {
			t.Errorf("without addresses: %+v, %v", list, err)
		}
	})

	t.Run("an organization's requests to join, counts, and withdrawing", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		acme, other := createOrg(t, s, "acme"), createOrg(t, s, "other")
		request := func(u *user.User, orgID, email string, asked time.Duration) *org.Suggestion {
			sg := newSuggestion(orgID, u.ID, email)
			r := at(asked)
			sg.Status, sg.RequestedAt = org.Requested, &r
			return createSuggestion(t, s, sg)
		}
		ada, bob, carol := verifiedUser(t, s, "ada@acme.test"), verifiedUser(t, s, "bob@acme.test"), verifiedUser(t, s, "carol@acme.test")
		dan, erin, frank := verifiedUser(t, s, "dan@acme.test"), verifiedUser(t, s, "erin@acme.test"), verifiedUser(t, s, "frank@acme.test")
		second := request(bob, acme.ID, "bob@acme.test", 2*time.Minute)
		first := request(ada, acme.ID, "ada@acme.test", time.Minute)
		request(carol, acme.ID, "carol@acme.test", 3*time.Minute)
		addMember(t, s, acme.ID, carol.ID, org.RoleMember, base)                    // let in another way
		request(dan, acme.ID, "gone@acme.test", 4*time.Minute)                      // an address Dan no longer has
		request(erin, other.ID, "erin@acme.test", time.Minute)                      // another organization's
		createSuggestion(t, s, newSuggestion(acme.ID, frank.ID, "frank@acme.test")) // not asked for

		list, total, err := s.Q.ListMembershipRequests(ctx, acme.ID, 10, 0)
		if err != nil || total != 2 || len(list) != 2 || list[0].ID != first.ID || list[1].ID != second.ID {
			t.Fatalf("ListMembershipRequests = %+v (total %d), %v; want Ada's then Bob's", list, total, err)
		}
		if list[0].FirstName != "First" || list[0].LastName != "Last" || list[0].Email != "ada@acme.test" {
			t.Errorf("request comes with %+v", list[0])
		}
		sameTimePtr(t, "RequestedAt", list[0].RequestedAt, first.RequestedAt)
		page, total, err := s.Q.ListMembershipRequests(ctx, acme.ID, 1, 1)
		if err != nil || total != 2 || len(page) != 1 || page[0].ID != second.ID {
			t.Errorf("second page = %+v (total %d), %v", page, total, err)
		}
		if none, total, err := s.Q.ListMembershipRequests(ctx, acme.ID, 0, 0); err != nil || total != 2 || len(none) != 0 {
			t.Errorf("the count alone = %+v (total %d), %v", none, total, err)
		}

		// Pending suggestions at exactly a domain, of people who are not members.
		hank, ivy := verifiedUser(t, s, "hank@acme.test"), verifiedUser(t, s, "ivy@sub.acme.test")
		createSuggestion(t, s, newSuggestion(acme.ID, hank.ID, "hank@acme.test"))
		createSuggestion(t, s, newSuggestion(acme.ID, ivy.ID, "ivy@sub.acme.test"))
		joined := verifiedUser(t, s, "joined@acme.test")
		createSuggestion(t, s, newSuggestion(acme.ID, joined.ID, "joined@acme.test"))
		addMember(t, s, acme.ID, joined.ID, org.RoleMember, base)
		n, err := s.Q.CountPendingSuggestionsAt(ctx, acme.ID, "acme.test")
		wantCount(t, "CountPendingSuggestionsAt(acme.test)", n, err, 2) // Frank's and Hank's

		// Withdrawing those no suggesting domain stands behind any more
		// (here none suggests but b.test): not those asked for, not
		// those another suggesting domain of Acme still makes (Hank has
		// an address at b.test too), whatever address they were made for.
		now := at(time.Hour)
		b := newDomain(acme.ID, "b.test")
		b.VerifiedAt, b.EnrollmentMode = &now, org.AutomaticSuggestion
		createDomain(t, s, b)
		two := user.Identifier{ID: id.New(id.Identifier), UserID: hank.ID, Kind: user.Email, Value: "hank@b.test",
			VerifiedAt: &base, CreatedAt: base, UpdatedAt: base}
		if err := s.Q.CreateIdentifier(ctx, two); err != nil {
			t.Fatal(err)
		}
		n, err = s.Q.WithdrawUncoveredSuggestions(ctx, acme.ID, now)
		wantCount(t, "WithdrawUncoveredSuggestions", n, err, 3) // Frank's, Ivy's and the member's
		frankNow, err := s.Q.LatestSuggestion(ctx, acme.ID, frank.ID)
		if err != nil || frankNow.Status != org.Withdrawn {
			t.Errorf("Frank's suggestion after withdrawing = %+v, %v", frankNow, err)
		} else {
			sameTime(t, "withdrawn UpdatedAt", frankNow.UpdatedAt, now)
		}
		for u, want := range map[*user.User]string{hank: org.Suggested, ivy: org.Withdrawn, ada: org.Requested} {
			if got, err := s.Q.LatestSuggestion(ctx, acme.ID, u.ID); err != nil || got.Status != want {
				t.Errorf("%s's suggestion after withdrawing = %+v, %v; want %s", u.PrimaryEmail(), got, err, want)
			}
		}
		if _, total, _ := s.Q.ListMembershipRequests(ctx, acme.ID, 10, 0); total != 2 {
			t.Errorf("withdrawing touched requests: %d left", total)
		}
		// Once b.test stops suggesting too, Hank's goes.
		b.EnrollmentMode = org.ManualInvitation
		if err := s.Q.UpdateDomain(ctx, b); err != nil {
			t.Fatal(err)
		}
		n, err = s.Q.WithdrawUncoveredSuggestions(ctx, acme.ID, now)
		wantCount(t, "WithdrawUncoveredSuggestions once b.test invites", n, err, 1)
	})

	t.Run("deleting the organization or the person deletes their suggestions", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		acme, other := createOrg(t, s, "acme"), createOrg(t, s, "other")
		ada, bob := verifiedUser(t, s, "ada@acme.test"), verifiedUser(t, s, "bob@acme.test")
		byOrg := createSuggestion(t, s, newSuggestion(acme.ID, ada.ID, "ada@acme.test"))
		byUser := createSuggestion(t, s, newSuggestion(other.ID, bob.ID, "bob@acme.test"))
		if err := s.Q.DeleteOrganization(ctx, acme.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.Q.DeleteUser(ctx, bob.ID); err != nil {
			t.Fatal(err)
		}
		for _, sg := range []*org.Suggestion{byOrg, byUser} {
			if _, err := s.Q.SuggestionByID(ctx, sg.ID); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("suggestion %s after deleting: %v", sg.ID, err)
			}
		}
	})
}
