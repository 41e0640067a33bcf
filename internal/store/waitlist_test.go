package store_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/invitation"
	"github.com/portalhq/portal/internal/store"
	"github.com/portalhq/portal/internal/waitlist"
)

var _ waitlist.Repo = (*store.Q)(nil)

func testWaitlist(t *testing.T, open func(t *testing.T) *store.Store) {
	t.Run("create, by ID and address, one entry per address", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		e := createEntry(t, s, "bob@example.com", base)
		for what, get := range map[string]func() (*waitlist.Entry, error){
			"by ID":      func() (*waitlist.Entry, error) { return s.Q.WaitlistEntryByID(ctx, e.ID) },
			"by address": func() (*waitlist.Entry, error) { return s.Q.WaitlistEntryByEmail(ctx, "bob@example.com") },
		} {
			got, err := get()
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			sameEntry(t, got, e)
			if got.Invitation != nil {
				t.Errorf("%s: an entry never invited reads with invitation %+v", what, got.Invitation)
			}
		}
		if err := s.Q.CreateWaitlistEntry(ctx, newEntry("bob@example.com", at(time.Second))); !errors.Is(err, store.ErrConflict) {
			t.Errorf("a second entry for the address: %v, want ErrConflict", err)
		}
		if _, err := s.Q.WaitlistEntryByID(ctx, id.New(id.WaitlistEntry)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown ID: %v, want ErrNotFound", err)
		}
		if _, err := s.Q.WaitlistEntryByEmail(ctx, "carol@example.com"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown address: %v, want ErrNotFound", err)
		}
	})

	t.Run("update links the invitation, only from the state read", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		e := createEntry(t, s, "bob@example.com", base)
		inv := createAppInvitation(t, s, "bob@example.com", at(time.Minute))
		e.Status, e.InvitationID, e.UpdatedAt = waitlist.Invited, inv.ID, at(time.Minute)
		if err := s.Q.UpdateWaitlistEntry(ctx, e, waitlist.Pending, ""); err != nil {
			t.Fatal(err)
		}
		got, err := s.Q.WaitlistEntryByID(ctx, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		sameEntry(t, got, e)
		if got.Invitation == nil {
			t.Fatal("the linked invitation was not read with the entry")
		}
		sameAppInvitation(t, got.Invitation, inv)

		// Someone else's change in between: the state read is gone.
		stale := *e
		stale.Status = waitlist.Rejected
		if err := s.Q.UpdateWaitlistEntry(ctx, &stale, waitlist.Pending, ""); !errors.Is(err, store.ErrConflict) {
			t.Errorf("an update from a stale status: %v, want ErrConflict", err)
		}
		if err := s.Q.UpdateWaitlistEntry(ctx, &stale, waitlist.Invited, "inv_other"); !errors.Is(err, store.ErrConflict) {
			t.Errorf("an update from a stale invitation: %v, want ErrConflict", err)
		}
		if got, _ := s.Q.WaitlistEntryByID(ctx, e.ID); got.Status != waitlist.Invited {
			t.Errorf("status after the lost updates = %q", got.Status)
		}
		ghost := newEntry("x@example.com", base)
		if err := s.Q.UpdateWaitlistEntry(ctx, ghost, waitlist.Pending, ""); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("updating a missing entry: %v, want ErrNotFound", err)
		}
		// Back to no invitation at all.
		e.Status, e.InvitationID = waitlist.Pending, ""
		if err := s.Q.UpdateWaitlistEntry(ctx, e, waitlist.Invited, inv.ID); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Q.WaitlistEntryByID(ctx, e.ID); got.InvitationID != "" || got.Invitation != nil {
			t.Errorf("after unlinking: %+v", got)
		}
	})

	t.Run("delete", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		e := createEntry(t, s, "bob@example.com", base)
		if err := s.Q.DeleteWaitlistEntry(ctx, e.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Q.WaitlistEntryByID(ctx, e.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("after delete: %v", err)
		}
		if err := s.Q.DeleteWaitlistEntry(ctx, e.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("deleting again: %v, want ErrNotFound", err)
		}
		// The address may join again.
		createEntry(t, s, "bob@example.com", at(time.Second))
	})

	t.Run("list by status (completed read from the invitation), query, order, page", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		pending := createEntry(t, s, "ada@example.com", base)
		invited := invitedEntry(t, s, "bobby_100%@corp.example", at(time.Second), invitation.Pending)
		completed := invitedEntry(t, s, "carol@example.com", at(2*time.Second), invitation.Accepted)
		rejected := createEntry(t, s, "dave@example.com", at(3*time.Second))
		rejected.Status = waitlist.Rejected
		if err := s.Q.UpdateWaitlistEntry(ctx, rejected, waitlist.Pending, ""); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			statuses      []string
			query, order  string
			limit, offset int
			want          []string
			total         int
		}{
			{nil, "", "-created_at", 10, 0, []string{rejected.ID, completed.ID, invited.ID, pending.ID}, 4},
			{nil, "", "created_at", 2, 1, []string{invited.ID, completed.ID}, 4},
			{nil, "", "-email_address", 10, 0, []string{rejected.ID, completed.ID, invited.ID, pending.ID}, 4},
			{[]string{waitlist.Invited}, "", "created_at", 10, 0, []string{invited.ID}, 1},
			{[]string{waitlist.Completed}, "", "created_at", 10, 0, []string{completed.ID}, 1},
			{[]string{waitlist.Pending, waitlist.Rejected}, "", "created_at", 10, 0, []string{pending.ID, rejected.ID}, 2},
			{nil, "CAROL", "created_at", 10, 0, []string{completed.ID}, 1},
			{nil, "100%", "created_at", 10, 0, []string{invited.ID}, 1}, // % is a character here, not a wildcard
			{nil, "_1", "created_at", 10, 0, []string{invited.ID}, 1},
			{nil, pending.ID, "created_at", 10, 0, []string{pending.ID}, 1},
			{[]string{waitlist.Pending}, "example.com", "created_at", 10, 0, []string{pending.ID}, 1},
		} {
			list, total, err := s.Q.ListWaitlistEntries(ctx, waitlist.Filter{Statuses: tc.statuses, Query: tc.query,
				OrderBy: tc.order, Limit: tc.limit, Offset: tc.offset})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range list {
				got = append(got, e.ID)
			}
			if !slices.Equal(got, tc.want) || total != tc.total {
				t.Errorf("status %v query %q order %s limit %d offset %d: %v of %d, want %v of %d", tc.statuses, tc.query,
					tc.order, tc.limit, tc.offset, got, total, tc.want, tc.total)
			}
			for _, e := range list {
				if e.ID == completed.ID && e.Shown() != waitlist.Completed {
					t.Errorf("carol's entry shows %q, want completed", e.Shown())
				}
			}
		}
	})
}

// newEntry is a pending entry created at created, not yet stored.
func newEntry(email string, created time.Time) *waitlist.Entry {
	return &waitlist.Entry{ID: id.New(id.WaitlistEntry), Email: email, Status: waitlist.Pending,
		CreatedAt: created, UpdatedAt: created}
}

func createEntry(t *testing.T, s *store.Store, email string, created time.Time) *waitlist.Entry {
	t.Helper()
	e := newEntry(email, created)
	if err := s.Q.CreateWaitlistEntry(t.Context(), e); err != nil {
		t.Fatal(err)
	}
	return e
}

// invitedEntry is an entry created at created and invited, its invitation
// then set to invStatus.
func invitedEntry(t *testing.T, s *store.Store, email string, created time.Time, invStatus string) *waitlist.Entry {
	t.Helper()
	ctx := t.Context()
	e := createEntry(t, s, email, created)
	inv := createAppInvitation(t, s, email, created)
	if invStatus != invitation.Pending {
		inv.Status = invStatus
		if err := s.Q.UpdateAppInvitation(ctx, inv, invitation.Pending); err != nil {
			t.Fatal(err)
		}
	}
	e.Status, e.InvitationID = waitlist.Invited, inv.ID
	if err := s.Q.UpdateWaitlistEntry(ctx, e, waitlist.Pending, ""); err != nil {
		t.Fatal(err)
	}
	return e
}

func sameEntry(t *testing.T, got, want *waitlist.Entry) {
	t.Helper()
	if got.ID != want.ID || got.Email != want.Email || got.Status != want.Status || got.InvitationID != want.InvitationID {
		t.Errorf("entry = %+v\nwant %+v", got, want)
	}
	sameTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
	sameTime(t, "UpdatedAt", got.UpdatedAt, want.UpdatedAt)
}
