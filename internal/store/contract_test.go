package store_test

import (
	"database/sql"
	"sync"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/store"
	"github.com/portalhq/portal/internal/user"
)

// runContract is the behaviour every engine must show. Each subtest opens
// its own empty database, so subtests neither see nor depend on each other.
func runContract(t *testing.T, open func(t *testing.T) *store.Store) {
	t.Run("store", func(t *testing.T) { testStore(t, open) })
	t.Run("users", func(t *testing.T) { testUsers(t, open) })
	t.Run("sessions", func(t *testing.T) { testSessions(t, open) })
	t.Run("profile", func(t *testing.T) { testProfile(t, open) })
	t.Run("flows", func(t *testing.T) { testFlows(t, open) })
	t.Run("verifications", func(t *testing.T) { testVerifications(t, open) })
	t.Run("signing keys", func(t *testing.T) { testSigningKeys(t, open) })
	t.Run("events", func(t *testing.T) { testEvents(t, open) })
	t.Run("outbox", func(t *testing.T) { testOutbox(t, open) })
	t.Run("webhook leases", func(t *testing.T) { testWebhookLeases(t, open) })
	t.Run("settings", func(t *testing.T) { testSettings(t, open) })
	t.Run("tx adapter", func(t *testing.T) { testTxAdapter(t, open) })
	t.Run("passkeys", func(t *testing.T) { testPasskeys(t, open) })
	t.Run("factors", func(t *testing.T) { testFactors(t, open) })
	t.Run("oauth tokens", func(t *testing.T) { testOAuthTokens(t, open) })
	t.Run("session factors", func(t *testing.T) { testSessionFactors(t, open) })
	t.Run("admin", func(t *testing.T) { testAdmin(t, open) })
	t.Run("jwt templates", func(t *testing.T) { testJWTTemplates(t, open) })
	t.Run("organizations", func(t *testing.T) { testOrgs(t, open) })
	t.Run("organization domains", func(t *testing.T) { testDomains(t, open) })
	t.Run("organization suggestions", func(t *testing.T) { testSuggestions(t, open) })
	t.Run("app invitations", func(t *testing.T) { testAppInvitations(t, open) })
	t.Run("waitlist", func(t *testing.T) { testWaitlist(t, open) })
	t.Run("restrictions", func(t *testing.T) { testRestrictions(t, open) })
	t.Run("sign-in tokens", func(t *testing.T) { testSignInTokens(t, open) })
	t.Run("statements", func(t *testing.T) { testStatements(t, open) })
	t.Run("retention", func(t *testing.T) { testRetention(t, open) })
	t.Run("rate limits", func(t *testing.T) { testRateLimits(t, open) })
	t.Run("lock wait", func(t *testing.T) { testLockWait(t, open) })
}

func testStore(t *testing.T, open func(t *testing.T) *store.Store) {
	t.Run("ping, migrate again, close", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		if err := s.Ping(ctx); err != nil {
			t.Fatalf("Ping: %v", err)
		}
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("Migrate on a migrated database: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if err := s.Ping(ctx); err == nil {
			t.Error("Ping after Close succeeded")
		}
	})
}

// base has sub-millisecond digits so that every round trip shows the
// stored precision: milliseconds, in UTC.
var base = time.Date(2025, 3, 14, 15, 9, 26, 535_897_932, time.FixedZone("CET", 3600))

func at(d time.Duration) time.Time { return base.Add(d) }

// sameTime checks a stored time against what was written, at millisecond precision.
func sameTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want.Truncate(time.Millisecond)) {
		t.Errorf("%s = %v, want %v", what, got, want.Truncate(time.Millisecond))
	}
	if got.Location() != time.UTC {
		t.Errorf("%s is in %v, want UTC", what, got.Location())
	}
}

func sameTimePtr(t *testing.T, what string, got, want *time.Time) {
	t.Helper()
	switch {
	case got == nil && want == nil:
	case got == nil || want == nil:
		t.Errorf("%s = %v, want %v", what, got, want)
	default:
		sameTime(t, what, *got, *want)
	}
}

func ptr[T any](v T) *T { return &v }

// newUser builds a user owning email, not yet stored.
func newUser(email string) *user.User {
	u := &user.User{ID: id.New(id.User), CreatedAt: base, UpdatedAt: base}
	e := user.Identifier{ID: id.New(id.Identifier), UserID: u.ID, Kind: user.Email, Value: email,
		CreatedAt: base, UpdatedAt: base}
	u.PrimaryEmailID, u.Identifiers = e.ID, []user.Identifier{e}
	return u
}

func createUser(t *testing.T, s *store.Store, email string) *user.User {
	t.Helper()
	u := newUser(email)
	if err := s.Q.CreateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	return u
}

// warm fills the pool with idle connections first, so that racing
// goroutines meet in the database instead of queueing on connection setup
// while the first of them finishes alone.
func warm(t *testing.T, s *store.Store) {
	t.Helper()
	var conns []*sql.Conn
	for range 8 {
		c, err := s.DB().Conn(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	for _, c := range conns {
		c.Close()
	}
}

// race runs fn from n goroutines released together on a warm pool and
// returns the results in no particular order.
func race[T any](t *testing.T, s *store.Store, n int, fn func(i int) T) []T {
	t.Helper()
	warm(t, s)
	out := make([]T, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			out[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return out
}

type result struct {
	ok  bool
	err error
}

// countOK fails on any error and returns how many calls reported true.
func countOK(t *testing.T, rs []result) int {
	t.Helper()
	n := 0
	for _, r := range rs {
		if r.err != nil {
			t.Errorf("concurrent call: %v", r.err)
		}
		if r.ok {
			n++
		}
	}
	return n
}
