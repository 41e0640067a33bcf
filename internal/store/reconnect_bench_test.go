package store_test

import (
	"testing"

	"github.com/portalhq/portal/internal/store"
	"github.com/portalhq/portal/internal/testutil/pgtest"
)

// BenchmarkPooledReadsPostgres is what taking pooled connections costs:
// UserByID runs four queries, each on a connection taken from the pool
// and checked before use, one after another and from several goroutines
// at once (a machine's requests).
//
//	go test -run '^$' -bench PooledReadsPostgres ./internal/store/
func BenchmarkPooledReadsPostgres(b *testing.B) {
	st, err := store.Open(b.Context(), pgtest.URL(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	u := newUser("ada@example.com")
	if err := st.Q.CreateUser(b.Context(), u); err != nil {
		b.Fatal(err)
	}
	b.Run("serial", func(b *testing.B) {
		for b.Loop() {
			if _, err := st.Q.UserByID(b.Context(), u.ID); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := st.Q.UserByID(b.Context(), u.ID); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
