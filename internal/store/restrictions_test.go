package store_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/restrict"
	"github.com/portalhq/portal/internal/store"
	"github.com/portalhq/portal/internal/user"
)

var (
	_ restrict.Repo   = (*store.Q)(nil)
	_ restrict.Source = (*store.Q)(nil)
)

func testRestrictions(t *testing.T, open func(t *testing.T) *store.Store) {
	t.Run("create, list newest first, one key per list", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		ada := addEntry(t, s, restrict.Allowlist, "Ada@Example.com", base)
		corp := addEntry(t, s, restrict.Allowlist, "*@corp.example", at(time.Second))
		digits := addEntry(t, s, restrict.Allowlist, "4155550100", at(2*time.Second)) // a number and a username
		blocked := addEntry(t, s, restrict.Blocklist, "ada@example.com", at(3*time.Second))

		got, total, err := s.Q.ListRestrictions(ctx, restrict.Allowlist, 10, 0)
		if err != nil {
			t.Fatal(err)
		}
		if total != 3 || len(got) != 3 {
			t.Fatalf("allowlist: %d of %d entries, want 3 of 3", len(got), total)
		}
		for i, want := range []*restrict.Stored{digits, corp, ada} {
			sameRestriction(t, &got[i], want)
		}
		page, total, err := s.Q.ListRestrictions(ctx, restrict.Allowlist, 1, 1)
		if err != nil || total != 3 || len(page) != 1 || page[0].ID != corp.ID {
			t.Errorf("second page of one: %v of %d (%v), want %s", page, total, err, corp.ID)
		}
		got, total, err = s.Q.ListRestrictions(ctx, restrict.Blocklist, 10, 0)
		if err != nil || total != 1 || len(got) != 1 {
			t.Fatalf("blocklist: %v of %d (%v)", got, total, err)
		}
		sameRestriction(t, &got[0], blocked)

		// The same address again on the allowlist, and a number one entry
		// already holds (through its digits), are conflicts; on the other
		// list the address was fine (blocked, above).
		for _, raw := range []string{"ada@example.com", "+14155550100"} {
			e := parsed(t, restrict.Allowlist, raw, at(time.Minute))
			if err := s.Q.CreateRestriction(ctx, e); !errors.Is(err, store.ErrConflict) {
				t.Errorf("%s a second time: %v, want ErrConflict", raw, err)
			}
		}
		if _, total, _ := s.Q.ListRestrictions(ctx, restrict.Allowlist, 10, 0); total != 3 {
			t.Errorf("a refused entry was kept in part: %d entries", total)
		}
	})

	t.Run("the entry holding a key", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		digits := addEntry(t, s, restrict.Blocklist, "4155550100", base)
		for _, keys := range [][]restrict.Key{
			{{Kind: user.Username, Value: "4155550100"}},
			{{Kind: user.Email, Value: "x@example.com"}, {Kind: user.Phone, Value: "+14155550100"}},
		} {
			got, err := s.Q.RestrictionHolding(ctx, restrict.Blocklist, keys)
			if err != nil {
				t.Fatalf("%v: %v", keys, err)
			}
			sameRestriction(t, got, digits)
		}
		for list, keys := range map[string][]restrict.Key{
			restrict.Allowlist: {{Kind: user.Phone, Value: "+14155550100"}}, // the other list
			restrict.Blocklist: {{Kind: user.Phone, Value: "+14155550101"}},
		} {
			if _, err := s.Q.RestrictionHolding(ctx, list, keys); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s %v: %v, want ErrNotFound", list, keys, err)
			}
		}
		if _, err := s.Q.RestrictionHolding(ctx, restrict.Blocklist, nil); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("no keys: %v, want ErrNotFound", err)
		}
	})

	t.Run("delete frees the keys, only on its own list", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		e := addEntry(t, s, restrict.Allowlist, "ada@example.com", base)
		if err := s.Q.DeleteRestriction(ctx, restrict.Blocklist, e.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("deleting from the other list: %v, want ErrNotFound", err)
		}
		if err := s.Q.DeleteRestriction(ctx, restrict.Allowlist, e.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.Q.DeleteRestriction(ctx, restrict.Allowlist, e.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("deleting twice: %v, want ErrNotFound", err)
		}
		if f := found(t, s, restrict.KeysOf(user.Email, "ada@example.com")...); len(f.Allowed) != 0 || len(f.AllowKinds) != 0 {
			t.Errorf("after delete the allowlist still holds %v, kinds %v", f.Allowed, f.AllowKinds)
		}
		addEntry(t, s, restrict.Allowlist, "ada@example.com", at(time.Second)) // not a duplicate any more
	})

	t.Run("an entry keeps its invitation", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		inv := createAppInvitation(t, s, "ada@example.com", base)
		e := parsed(t, restrict.Allowlist, "ada@example.com", base)
		e.InvitationID = inv.ID
		if err := s.Q.CreateRestriction(ctx, e); err != nil {
			t.Fatal(err)
		}
		got, err := s.Q.RestrictionHolding(ctx, restrict.Allowlist, e.Keys)
		if err != nil {
			t.Fatal(err)
		}
		sameRestriction(t, got, e)
	})

	t.Run("what the lists hold of some keys", func(t *testing.T) {
		s := open(t)
		if f := found(t, s, restrict.KeysOf(user.Email, "ada@corp.example")...); len(f.Allowed)+len(f.Blocked)+len(f.AllowKinds) != 0 {
			t.Errorf("empty lists hold %+v", f)
		}
		addEntry(t, s, restrict.Allowlist, "*@corp.example", base)
		addEntry(t, s, restrict.Allowlist, "+14155550100", base)
		addEntry(t, s, restrict.Blocklist, "mallory@corp.example", base)
		addEntry(t, s, restrict.Blocklist, "admin", base)

		keys := append(restrict.KeysOf(user.Email, "Mallory@Corp.example"), restrict.KeysOf(user.Username, "Admin")...)
		keys = append(keys, restrict.KeysOf(user.Phone, "+14155550199")...)
		f := found(t, s, keys...)
		domain := restrict.Key{Kind: restrict.KindDomain, Value: "corp.example"}
		wantAllowed := map[restrict.Key]bool{domain: true}
		wantBlocked := map[restrict.Key]bool{{Kind: user.Email, Value: "mallory@corp.example"}: true,
			{Kind: user.Username, Value: "admin"}: true}
		// Kinds are the allowlist's whatever was asked: numbers are on it
		// though none was asked about, usernames are not (only blocked).
		wantKinds := map[string]bool{restrict.KindDomain: true, user.Phone: true}
		if !reflect.DeepEqual(f.Allowed, wantAllowed) || !reflect.DeepEqual(f.Blocked, wantBlocked) ||
			!reflect.DeepEqual(f.AllowKinds, wantKinds) {
			t.Errorf("found %+v, want allowed %v, blocked %v, kinds %v", f, wantAllowed, wantBlocked, wantKinds)
		}
		if f := found(t, s); !reflect.DeepEqual(f.AllowKinds, wantKinds) || len(f.Allowed)+len(f.Blocked) != 0 {
			t.Errorf("no keys: %+v, want the kinds only", f)
		}
	})

	t.Run("an account against the stored blocklist", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		addEntry(t, s, restrict.Blocklist, "@spam.example", base)
		addEntry(t, s, restrict.Blocklist, "eve_e", base)
		addEntry(t, s, restrict.Blocklist, "+14155550100", base)
		addEntry(t, s, restrict.Allowlist, "ada@example.com", base) // the allowlist is not the blocklist

		withIdentifier := func(email, kind, value string) *user.User {
			u := newUser(email)
			if kind != "" {
				u.Identifiers = append(u.Identifiers, user.Identifier{ID: id.New(id.Identifier), UserID: u.ID,
					Kind: kind, Value: value, CreatedAt: base, UpdatedAt: base})
			}
			if err := s.Q.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
			return u
		}
		for _, tc := range []struct {
			name string
			u    *user.User
			want bool
		}{
			{"address at a blocked domain", withIdentifier("eve@spam.example", "", ""), true},
			{"blocked username", withIdentifier("eve@example.org", user.Username, "eve_e"), true},
			{"blocked number", withIdentifier("bob@example.org", user.Phone, "+14155550100"), true},
			{"subdomain of a blocked domain", withIdentifier("eve@mail.spam.example", "", ""), false},
			{"domain in the local part", withIdentifier("spam.example@example.org", "", ""), false},
			{"allowlisted address", withIdentifier("ada@example.com", user.Phone, "+14155550101"), false},
		} {
			if got, err := s.Q.StoredBlocklistHolds(ctx, tc.u.ID); err != nil || got != tc.want {
				t.Errorf("%s: %v (%v), want %v", tc.name, got, err, tc.want)
			}
		}
		if got, err := s.Q.StoredBlocklistHolds(ctx, "user_nobody"); err != nil || got {
			t.Errorf("unknown user: %v (%v), want false", got, err)
		}

		// Inside the transaction that makes it, an account not yet
		// committed is judged too (sign-up checks it there).
		err := s.InTx(ctx, func(q *store.Q) error {
			u := newUser("new@spam.example")
			if err := q.CreateUser(ctx, u); err != nil {
				return err
			}
			if got, err := q.StoredBlocklistHolds(ctx, u.ID); err != nil || !got {
				t.Errorf("uncommitted account at a blocked domain: %v (%v), want true", got, err)
			}
			return errors.New("roll back")
		})
		if err == nil || err.Error() != "roll back" {
			t.Fatal(err)
		}
	})
}

// parsed is raw parsed for list, not yet stored.
func parsed(t *testing.T, list, raw string, created time.Time) *restrict.Stored {
	t.Helper()
	e, err := restrict.ParseEntry(raw, "US")
	if err != nil {
		t.Fatal(err)
	}
	prefix := id.AllowlistIdentifier
	if list == restrict.Blocklist {
		prefix = id.BlocklistIdentifier
	}
	return &restrict.Stored{ID: id.New(prefix), List: list, Entry: e, CreatedAt: created, UpdatedAt: created}
}

func addEntry(t *testing.T, s *store.Store, list, raw string, created time.Time) *restrict.Stored {
	t.Helper()
	e := parsed(t, list, raw, created)
	if err := s.Q.CreateRestriction(t.Context(), e); err != nil {
		t.Fatalf("add %s to the %s: %v", raw, list, err)
	}
	return e
}

func found(t *testing.T, s *store.Store, keys ...restrict.Key) restrict.Found {
	t.Helper()
	f, err := s.Q.StoredRestrictions(t.Context(), keys)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// sameRestriction compares what is read back (the keys are not).
func sameRestriction(t *testing.T, got, want *restrict.Stored) {
	t.Helper()
	if got.ID != want.ID || got.List != want.List || got.Identifier != want.Identifier || got.Type != want.Type ||
		got.InvitationID != want.InvitationID {
		t.Errorf("entry = %+v, want %+v", got, want)
	}
	sameTime(t, "created_at", got.CreatedAt, want.CreatedAt)
	sameTime(t, "updated_at", got.UpdatedAt, want.UpdatedAt)
}
