package store_test

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/invitation"
	"github.com/portalhq/portal/internal/store"
)

var _ invitation.Repo = (*store.Q)(nil)

func testAppInvitations(t *testing.T, open func(t *testing.T) *store.Store) {
	t.Run("create, by ID and ticket, ticket unique", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		inv := newAppInvitation("bob@example.com", base)
		inv.PublicMetadata = json.RawMessage(`{"plan":"pro","seats":3}`)
		if err := s.Q.CreateAppInvitation(ctx, inv); err != nil {
			t.Fatal(err)
		}
		for what, get := range map[string]func() (*invitation.Invitation, error){
			"by ID":     func() (*invitation.Invitation, error) { return s.Q.AppInvitationByID(ctx, inv.ID) },
			"by ticket": func() (*invitation.Invitation, error) { return s.Q.AppInvitationByTicket(ctx, inv.TicketHash) },
		} {
			got, err := get()
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			sameAppInvitation(t, got, inv)
		}
		dup := newAppInvitation("carol@example.com", base)
		dup.TicketHash = inv.TicketHash
		if err := s.Q.CreateAppInvitation(ctx, dup); !errors.Is(err, store.ErrConflict) {
			t.Errorf("a second invitation with the same ticket hash: %v, want ErrConflict", err)
		}
		if _, err := s.Q.AppInvitationByID(ctx, id.New(id.Invitation)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown ID: %v, want ErrNotFound", err)
		}
		if _, err := s.Q.AppInvitationByTicket(ctx, invitation.HashTicket("nope")); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown ticket: %v, want ErrNotFound", err)
		}
	})

	t.Run("an unset metadata reads as {}", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		inv := newAppInvitation("bob@example.com", base)
		inv.PublicMetadata = nil
		if err := s.Q.CreateAppInvitation(ctx, inv); err != nil {
			t.Fatal(err)
		}
		got, err := s.Q.AppInvitationByID(ctx, inv.ID)
		if err != nil || string(got.PublicMetadata) != "{}" {
			t.Errorf("public metadata = %s, %v; want {}", got.PublicMetadata, err)
		}
	})

	t.Run("update only from the expected status", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		inv := createAppInvitation(t, s, "bob@example.com", base)
		u := createUser(t, s, "bob@example.com")
		inv.Status, inv.UpdatedAt, inv.AcceptedUserID = invitation.Accepted, at(time.Minute), u.ID
		if err := s.Q.UpdateAppInvitation(ctx, inv, invitation.Pending); err != nil {
			t.Fatal(err)
		}
		got, err := s.Q.AppInvitationByID(ctx, inv.ID)
		if err != nil {
			t.Fatal(err)
		}
		sameAppInvitation(t, got, inv)
		again := *inv
		again.Status = invitation.Revoked
		if err := s.Q.UpdateAppInvitation(ctx, &again, invitation.Pending); !errors.Is(err, store.ErrConflict) {
			t.Errorf("revoking an accepted invitation as if pending: %v, want ErrConflict", err)
		}
		if got, _ := s.Q.AppInvitationByID(ctx, inv.ID); got.Status != invitation.Accepted {
			t.Errorf("status after the lost update = %q", got.Status)
		}
		ghost := newAppInvitation("x@example.com", base)
		if err := s.Q.UpdateAppInvitation(ctx, ghost, invitation.Pending); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("updating a missing invitation: %v, want ErrNotFound", err)
		}
	})

	t.Run("pending invitations to an address", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		older := createAppInvitation(t, s, "bob@example.com", base)
		newer := createAppInvitation(t, s, "bob@example.com", at(time.Second))
		revoked := createAppInvitation(t, s, "bob@example.com", at(2*time.Second))
		revoked.Status = invitation.Revoked
		if err := s.Q.UpdateAppInvitation(ctx, revoked, invitation.Pending); err != nil {
			t.Fatal(err)
		}
		createAppInvitation(t, s, "carol@example.com", base)
		list, err := s.Q.PendingAppInvitations(ctx, "bob@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if got := appInvitationIDs(list); !slices.Equal(got, []string{newer.ID, older.ID}) {
			t.Errorf("pending to bob = %v, want %v", got, []string{newer.ID, older.ID})
		}
	})

	t.Run("list by status, newest first, paged", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		now := at(time.Hour)
		live := createAppInvitation(t, s, "a@example.com", base)      // expires at base+2h
		expired := newAppInvitation("b@example.com", at(time.Second)) // expires before now
		expired.ExpiresAt = at(30 * time.Minute)
		if err := s.Q.CreateAppInvitation(ctx, expired); err != nil {
			t.Fatal(err)
		}
		revoked := createAppInvitation(t, s, "c@example.com", at(2*time.Second))
		revoked.Status = invitation.Revoked
		if err := s.Q.UpdateAppInvitation(ctx, revoked, invitation.Pending); err != nil {
			t.Fatal(err)
		}
		accepted := createAppInvitation(t, s, "d@example.com", at(3*time.Second))
		accepted.Status = invitation.Accepted
		if err := s.Q.UpdateAppInvitation(ctx, accepted, invitation.Pending); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			statuses      []string
			limit, offset int
			want          []string
			total         int
		}{
			{nil, 10, 0, []string{accepted.ID, revoked.ID, expired.ID, live.ID}, 4},
			{nil, 2, 1, []string{revoked.ID, expired.ID}, 4},
			{[]string{invitation.Pending}, 10, 0, []string{live.ID}, 1},
			{[]string{invitation.Expired}, 10, 0, []string{expired.ID}, 1},
			{[]string{invitation.Revoked, invitation.Accepted}, 10, 0, []string{accepted.ID, revoked.ID}, 2},
			{[]string{invitation.Pending, invitation.Expired}, 1, 1, []string{live.ID}, 2},
		} {
			list, total, err := s.Q.ListAppInvitations(ctx, invitation.Filter{Statuses: tc.statuses, Now: now,
				Limit: tc.limit, Offset: tc.offset, OrderBy: "-created_at"})
			if err != nil {
				t.Fatal(err)
			}
			if got := appInvitationIDs(list); !slices.Equal(got, tc.want) || total != tc.total {
				t.Errorf("status %v limit %d offset %d: %v of %d, want %v of %d", tc.statuses, tc.limit, tc.offset,
					got, total, tc.want, tc.total)
			}
		}
	})

	t.Run("list by a piece of the address, ordered as asked", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		now := at(time.Hour)
		bob := createAppInvitation(t, s, "bob@example.com", base)
		bobby := createAppInvitation(t, s, "bobby_100%@corp.example", at(time.Second))
		carol := createAppInvitation(t, s, "carol@example.com", at(2*time.Second))
		for _, tc := range []struct {
			query, order string
			want         []string
		}{
			{"", "created_at", []string{bob.ID, bobby.ID, carol.ID}},
			{"", "-email_address", []string{carol.ID, bobby.ID, bob.ID}},
			{"BOB", "-created_at", []string{bobby.ID, bob.ID}},
			{"100%", "created_at", []string{bobby.ID}}, // % is a character here, not a wildcard
			{"_1", "created_at", []string{bobby.ID}},
			{"example.com", "+email_address", []string{bob.ID, carol.ID}},
		} {
			list, total, err := s.Q.ListAppInvitations(ctx, invitation.Filter{Query: tc.query, OrderBy: tc.order, Now: now, Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			if got := appInvitationIDs(list); !slices.Equal(got, tc.want) || total != len(tc.want) {
				t.Errorf("query %q order %q: %v of %d, want %v", tc.query, tc.order, got, total, tc.want)
			}
		}
	})

	t.Run("set a user's public metadata", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		u := createUser(t, s, "bob@example.com")
		if err := s.Q.SetPublicMetadata(ctx, u.ID, json.RawMessage(`{"plan":"pro"}`), at(time.Hour)); err != nil {
			t.Fatal(err)
		}
		got, err := s.Q.UserByID(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if string(got.PublicMetadata) != `{"plan":"pro"}` || string(got.PrivateMetadata) != "{}" {
			t.Errorf("metadata = %s / %s", got.PublicMetadata, got.PrivateMetadata)
		}
		sameTime(t, "UpdatedAt", got.UpdatedAt, at(time.Hour))
		if err := s.Q.SetPublicMetadata(ctx, id.New(id.User), json.RawMessage(`{}`), base); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a missing user: %v, want ErrNotFound", err)
		}
	})
}

// newAppInvitation is a pending invitation created at created, lasting two
// hours, not yet stored.
func newAppInvitation(email string, created time.Time) *invitation.Invitation {
	return &invitation.Invitation{ID: id.New(id.Invitation), Email: email, PublicMetadata: json.RawMessage(`{}`),
		RedirectURL: "https://app.example.com/welcome", TicketHash: invitation.HashTicket(id.Secret(32)),
		Status: invitation.Pending, ExpiresAt: created.Add(2 * time.Hour), CreatedAt: created, UpdatedAt: created}
}

func createAppInvitation(t *testing.T, s *store.Store, email string, created time.Time) *invitation.Invitation {
	t.Helper()
	inv := newAppInvitation(email, created)
	if err := s.Q.CreateAppInvitation(t.Context(), inv); err != nil {
		t.Fatal(err)
	}
	return inv
}

func appInvitationIDs(list []invitation.Invitation) []string {
	var out []string
	for _, i := range list {
		out = append(out, i.ID)
	}
	return out
}

func sameAppInvitation(t *testing.T, got, want *invitation.Invitation) {
	t.Helper()
	if got.ID != want.ID || got.Email != want.Email || got.RedirectURL != want.RedirectURL ||
		got.TicketHash != want.TicketHash || got.Status != want.Status || got.AcceptedUserID != want.AcceptedUserID {
		t.Errorf("invitation = %+v\nwant %+v", got, want)
	}
	var g, w any
	if json.Unmarshal(got.PublicMetadata, &g) != nil || json.Unmarshal(want.PublicMetadata, &w) != nil ||
		string(mustJSON(g)) != string(mustJSON(w)) {
		t.Errorf("public metadata = %s, want %s", got.PublicMetadata, want.PublicMetadata)
	}
	sameTime(t, "ExpiresAt", got.ExpiresAt, want.ExpiresAt)
	sameTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
	sameTime(t, "UpdatedAt", got.UpdatedAt, want.UpdatedAt)
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
