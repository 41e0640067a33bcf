package store

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/portalhq/portal/internal/testutil/pgtest"
)

// BenchmarkIdleAndOpen is the check every pooled connection passes before
// the pool hands it out again, on an idle connection the server has said
// nothing on (the usual case), beside the ping pgx itself sends to one
// idle for over a second (a round trip), over plain TCP and TLS.
//
//	go test -run '^$' -bench IdleAndOpen ./internal/store/
func BenchmarkIdleAndOpen(b *testing.B) {
	for _, mode := range []string{"disable", "require"} {
		conn, err := pgconn.Connect(b.Context(), strings.Replace(pgtest.URL(b), "sslmode=disable", "sslmode="+mode, 1))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { conn.Close(context.Background()) })
		b.Run("check/sslmode="+mode, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if !idleAndOpen(conn) {
					b.Fatal("a live idle connection failed the check")
				}
			}
		})
		b.Run("ping/sslmode="+mode, func(b *testing.B) {
			for b.Loop() {
				if err := conn.Ping(b.Context()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
