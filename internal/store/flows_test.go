package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/store"
)

func testFlows(t *testing.T, open func(t *testing.T) *store.Store) {
	t.Run("create and get", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		want := newFlow(base)
		want.Status, want.UserID, want.Identifier = flow.NeedsFirstFactor, "user_1", "ada@example.com"
		want.RedirectURL, want.SessionID = "http://localhost:3000/after", "sess_1"
		want.Data = flow.Data{FirstName: "Ada", LastName: "Lovelace", PasswordHash: "h", ExistingUser: true,
			Strategy: flow.Password, FirstFactorAt: ptr(at(time.Second))}
		if err := s.Q.CreateFlow(ctx, want); err != nil {
			t.Fatal(err)
		}
		got, err := s.Q.FlowByID(ctx, want.ID)
		if err != nil {
			t.Fatal(err)
		}
		sameFlow(t, got, want)
		if _, err := s.Q.FlowByID(ctx, id.New(id.SignIn)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown flow: %v, want ErrNotFound", err)
		}
	})

	t.Run("UpdateFlow bumps the version, a stale version is ErrConflict", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		f := newFlow(base)
		if err := s.Q.CreateFlow(ctx, f); err != nil {
			t.Fatal(err)
		}
		stale := *f
		f.Status, f.UpdatedAt, f.ExpireAt = flow.Complete, at(time.Minute), at(time.Hour)
		f.Data.Strategy = flow.EmailCode
		if err := s.Q.UpdateFlow(ctx, f); err != nil {
			t.Fatal(err)
		}
		if f.Version != 1 {
			t.Errorf("Version after update = %d, want 1", f.Version)
		}
		stale.Status = flow.Abandoned
		if err := s.Q.UpdateFlow(ctx, &stale); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("update of a stale copy: %v, want ErrConflict", err)
		}
		if stale.Version != 0 {
			t.Errorf("a failed update changed the copy's Version to %d", stale.Version)
		}
		got, err := s.Q.FlowByID(ctx, f.ID)
		if err != nil {
			t.Fatal(err)
		}
		sameFlow(t, got, f)
		missing := newFlow(base)
		if err := s.Q.UpdateFlow(ctx, missing); !errors.Is(err, store.ErrConflict) {
			t.Errorf("update of a missing flow: %v, want ErrConflict", err)
		}
	})

	// Two submissions of one step (a double click, a replay) must not both
	// apply it.
	t.Run("concurrent updates of one version: exactly one wins", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		f := newFlow(base)
		if err := s.Q.CreateFlow(ctx, f); err != nil {
			t.Fatal(err)
		}
		errs := race(t, s, 20, func(int) error {
			mine := *f
			mine.Identifier = id.New("e")
			return s.Q.UpdateFlow(ctx, &mine)
		})
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, store.ErrConflict):
				t.Errorf("losing update: %v, want ErrConflict", err)
			}
		}
		if won != 1 {
			t.Errorf("%d updates of version 0 applied, want 1", won)
		}
		if got, err := s.Q.FlowByID(ctx, f.ID); err != nil || got.Version != 1 {
			t.Errorf("stored flow = %+v, %v; want version 1", got, err)
		}
	})

	// A double click whose bot-protection token was spent finds the first
	// press's flow among the client's recent ones, with its data.
	t.Run("RecentFlows: the client's flows of a kind since a time, newest first", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		old, mid, last := newFlow(base), newFlow(at(time.Second)), newFlow(at(2*time.Second))
		last.Data.Captcha = "hash"
		other := newFlow(at(2 * time.Second))
		other.ClientID = "client_2"
		up := newFlow(at(2 * time.Second))
		up.Kind = flow.SignUp
		for _, f := range []*flow.Flow{old, mid, last, other, up} {
			if err := s.Q.CreateFlow(ctx, f); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.Q.RecentFlows(ctx, "client_1", flow.SignIn, at(time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].ID != last.ID || got[1].ID != mid.ID || got[0].Data.Captcha != "hash" {
			t.Fatalf("RecentFlows = %v, want the last two of client_1's sign-ins, newest first", got)
		}
	})

	// Two identical starts sent together (a double click) must end on one
	// flow: the client's starts take turns, so exactly one stores its own
	// and every other finds it.
	t.Run("CreateFlowOnce: of concurrent identical starts exactly one creates", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		client := createClient(t, s)
		same := func(o *flow.Flow) bool { return o.Identifier == "ada@example.com" }
		type got struct {
			id      string
			created bool
			err     error
		}
		rs := race(t, s, 10, func(int) got {
			f := newFlow(base)
			f.ClientID, f.Identifier = client, "ada@example.com"
			g, created, err := s.Q.CreateFlowOnce(ctx, f, base.Add(-time.Second), same)
			if err != nil {
				return got{err: err}
			}
			return got{id: g.ID, created: created}
		})
		created := 0
		for _, r := range rs {
			if r.err != nil {
				t.Fatalf("CreateFlowOnce: %v", r.err)
			}
			if r.created {
				created++
			}
			if r.id != rs[0].id {
				t.Errorf("starts ended on %s and %s, want one flow", rs[0].id, r.id)
			}
		}
		if created != 1 {
			t.Errorf("%d starts created a flow, want 1", created)
		}
		var n int
		if err := s.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM flows`).Scan(&n); err != nil || n != 1 {
			t.Errorf("%d flows stored (%v), want 1", n, err)
		}
	})

	t.Run("CreateFlowOnce looks only at the client's flows of the kind since the time given", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		client := createClient(t, s)
		old := newFlow(base)
		old.ClientID, old.Identifier = client, "ada@example.com"
		if err := s.Q.CreateFlow(ctx, old); err != nil {
			t.Fatal(err)
		}
		all := func(*flow.Flow) bool { return true }
		for _, c := range []struct {
			what  string
			f     *flow.Flow
			since time.Time
		}{
			{"created before since", newFlow(at(time.Minute)), at(time.Second)},
			{"another client", newFlow(at(time.Minute)), base},
			{"another kind", newFlow(at(time.Minute)), base},
		} {
			c.f.ClientID = client
			switch c.what {
			case "another client":
				c.f.ClientID = createClient(t, s)
			case "another kind":
				c.f.Kind = flow.SignUp
			}
			got, created, err := s.Q.CreateFlowOnce(ctx, c.f, c.since, all)
			if err != nil || !created || got.ID != c.f.ID {
				t.Errorf("%s: got %v, created %v, %v; want its own flow created", c.what, got, created, err)
			}
		}
		f := newFlow(at(time.Minute))
		f.ClientID = client
		got, created, err := s.Q.CreateFlowOnce(ctx, f, base, func(o *flow.Flow) bool { return o.ID == old.ID })
		if err != nil || created || got.ID != old.ID {
			t.Fatalf("a match: got %v, created %v, %v; want %s", got, created, err, old.ID)
		}
		sameFlow(t, got, old)
		if _, err := s.Q.FlowByID(ctx, f.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the matched start stored its flow too: %v", err)
		}
	})

	// Codes outlive their flow by a day: the daily send caps count them.
	t.Run("DeleteExpiredFlows removes expired flows and day-old codes", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		now := at(time.Hour)
		expired, live := newFlow(base), newFlow(base)
		expired.ExpireAt, live.ExpireAt = now.Add(-time.Millisecond), now.Add(time.Minute)
		for _, f := range []*flow.Flow{expired, live} {
			if err := s.Q.CreateFlow(ctx, f); err != nil {
				t.Fatal(err)
			}
		}
		old := newVerification(expired.ID, base)
		old.ExpireAt = now.Add(-time.Minute)
		fresh := newVerification(live.ID, base)
		fresh.ExpireAt = now.Add(time.Minute)
		for _, v := range []flow.Verification{old, fresh} {
			if err := s.Q.InsertVerification(ctx, v); err != nil {
				t.Fatal(err)
			}
		}
		n, err := s.Q.DeleteExpiredFlows(ctx, now)
		if err != nil || n != 1 {
			t.Fatalf("DeleteExpiredFlows = %d, %v; want 1", n, err)
		}
		if _, err := s.Q.FlowByID(ctx, expired.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("expired flow: %v, want ErrNotFound", err)
		}
		if _, err := s.Q.FlowByID(ctx, live.ID); err != nil {
			t.Errorf("live flow: %v", err)
		}
		if v, err := s.Q.LatestVerification(ctx, expired.ID, flow.EmailCode); v == nil || err != nil {
			t.Errorf("an hour-old code = %+v, %v; want kept for the send caps", v, err)
		}
		if v, err := s.Q.LatestVerification(ctx, live.ID, flow.EmailCode); v == nil || err != nil {
			t.Errorf("code of the live flow = %+v, %v", v, err)
		}
		if _, err := s.Q.DeleteExpiredFlows(ctx, base.Add(25*time.Hour+time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		if v, err := s.Q.LatestVerification(ctx, expired.ID, flow.EmailCode); v != nil || err != nil {
			t.Errorf("code older than a day = %+v, %v; want gone", v, err)
		}
	})
}

func newFlow(created time.Time) *flow.Flow {
	return &flow.Flow{ID: id.New(id.SignIn), Kind: flow.SignIn, ClientID: "client_1", Status: flow.NeedsIdentifier,
		CreatedAt: created, UpdatedAt: created, ExpireAt: created.Add(flow.Lifetime)}
}

func sameFlow(t *testing.T, got, want *flow.Flow) {
	t.Helper()
	if got.ID != want.ID || got.Kind != want.Kind || got.ClientID != want.ClientID || got.Status != want.Status ||
		got.UserID != want.UserID || got.Identifier != want.Identifier || got.RedirectURL != want.RedirectURL ||
		got.SessionID != want.SessionID || got.Version != want.Version {
		t.Errorf("flow = %+v\nwant %+v", got, want)
	}
	gd, wd := got.Data, want.Data
	if gd.FirstName != wd.FirstName || gd.LastName != wd.LastName || gd.PasswordHash != wd.PasswordHash ||
		gd.ExistingUser != wd.ExistingUser || gd.Strategy != wd.Strategy ||
		(gd.FirstFactorAt == nil) != (wd.FirstFactorAt == nil) ||
		(gd.FirstFactorAt != nil && !gd.FirstFactorAt.Equal(*wd.FirstFactorAt)) {
		t.Errorf("flow data = %+v\nwant %+v", gd, wd)
	}
	sameTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
	sameTime(t, "UpdatedAt", got.UpdatedAt, want.UpdatedAt)
	sameTime(t, "ExpireAt", got.ExpireAt, want.ExpireAt)
}
