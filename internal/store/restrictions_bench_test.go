package store_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/restrict"
	"github.com/portalhq/portal/internal/store"
	"github.com/portalhq/portal/internal/testutil/pgtest"
	"github.com/portalhq/portal/internal/user"
)

// BenchmarkRestrictionReads is what reading the stored lists costs each
// check, on lists of 5,000 entries each (half of them domains), beside
// the one query every token refresh ran before (UserStanding):
//
//	go test -run '^$' -bench RestrictionReads ./internal/store/
func BenchmarkRestrictionReads(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			url := "sqlite:" + filepath.Join(b.TempDir(), "portal.db")
			if engine == "postgres" {
				url = pgtest.URL(b)
			}
			s, err := store.Open(b.Context(), url)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { s.Close() })
			fillLists(b, s, 5000)
			u := newUser("ada@example.com")
			u.Identifiers = append(u.Identifiers, user.Identifier{ID: id.New(id.Identifier), UserID: u.ID,
				Kind: user.Username, Value: "ada_l", CreatedAt: base, UpdatedAt: base})
			if err := s.Q.CreateUser(b.Context(), u); err != nil {
				b.Fatal(err)
			}
			keys := restrict.KeysOf(user.Email, "ada@example.com")
			b.Run("address check", func(b *testing.B) {
				for b.Loop() {
					if _, err := s.Q.StoredRestrictions(b.Context(), keys); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("account check", func(b *testing.B) {
				for b.Loop() {
					if held, err := s.Q.StoredBlocklistHolds(b.Context(), u.ID); err != nil || held {
						b.Fatal(held, err)
					}
				}
			})
			b.Run("user standing", func(b *testing.B) {
				for b.Loop() {
					if _, err := s.Q.UserStanding(b.Context(), u.ID); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// fillLists puts n entries on each list, half addresses and half domains.
func fillLists(b *testing.B, s *store.Store, n int) {
	b.Helper()
	err := s.InTx(b.Context(), func(q *store.Q) error {
		for _, list := range []string{restrict.Allowlist, restrict.Blocklist} {
			for i := range n {
				raw := fmt.Sprintf("person%d@%s.example", i, list)
				if i%2 == 1 {
					raw = fmt.Sprintf("*@d%d.%s.example", i, list)
				}
				e, err := restrict.ParseEntry(raw, "")
				if err != nil {
					return err
				}
				if err := q.CreateRestriction(b.Context(), &restrict.Stored{ID: id.New("x"), List: list, Entry: e,
					CreatedAt: base, UpdatedAt: base}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}
