package app

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/config"
	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/store"
	"github.com/portalhq/portal/internal/user"
)

// build makes a portal on the SQLite file db, with clock, as a second
// machine sharing that database would.
func build(t *testing.T, db string, clock clockwork.Clock) *Portal {
	t.Helper()
	cfg, err := config.FromMap(map[string]string{"PORTAL_DATABASE_URL": "sqlite:" + db, "PORTAL_LOG_LEVEL": "error"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := Build(t.Context(), cfg, Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// eventually polls cond for up to two seconds of real time: maintain runs
// on its own goroutine.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal(what)
		}
	}
}

// A serving portal keeps itself: every minute it picks up signing keys
// another machine rotated (REQ-JWT-07's rotation reaching every machine), and
// once an hour has passed it prunes what PORTAL_EVENT_RETENTION (30 days)
// no longer keeps — after a jump of the clock too (a suspended machine), where
// counting ticks would wait for sixty more.
func TestMaintainReloadsKeysAndHousekeepsHourly(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	clock := clockwork.NewFakeClockAt(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	db := filepath.Join(t.TempDir(), "portal.db")
	p := build(t, db, clock)

	old, err := events.New(events.UserCreated, id.New(id.User), map[string]string{"object": "user"}, clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Store.Q.InsertEvent(ctx, old); err != nil {
		t.Fatal(err)
	}
	countOld := func() int {
		list, err := p.Store.Q.EventsOfObject(ctx, old.ObjectID)
		if err != nil {
			t.Fatal(err)
		}
		return len(list)
	}

	go p.maintain(ctx)
	clock.BlockUntil(1) // maintain's ticker exists: Build starts nothing else that waits on the clock

	// Another machine rotates the key; within a minute this one signs with it.
	other := build(t, db, clock)
	kid, err := other.Signer.Rotate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if p.Signer.ActiveKID() == kid {
		t.Fatal("the rotation reached this machine before any reload")
	}
	clock.Advance(time.Minute)
	eventually(t, "a minute after another machine rotated the key, this one still signs with the old one",
		func() bool { return p.Signer.ActiveKID() == kid })
	if countOld() != 1 {
		t.Fatal("the event was pruned on the first minute, when it was a minute old")
	}

	// The clock jumps 31 days: the next tick housekeeps.
	clock.Advance(31 * 24 * time.Hour)
	eventually(t, "31 days on, the event is still there: housekeeping did not run on the first tick after the jump",
		func() bool { return countOld() == 0 })
}

// Housekeeping keeps a session that ended for PORTAL_EVENT_RETENTION (30
// days by default), then deletes it and the client that held it; with
// retention 0 both stay for ever. A live session and its client stay.
func TestHousekeepDeletesFinishedSessionsAndTheirClients(t *testing.T) {
	for _, c := range []struct {
		retention string
		gone      bool
	}{{"", true}, {"0", false}} {
		settings := map[string]string{"PORTAL_DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "portal.db"), "PORTAL_LOG_LEVEL": "error"}
		if c.retention != "" {
			settings["PORTAL_EVENT_RETENTION"] = c.retention
		}
		cfg, err := config.FromMap(settings)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
		clock := clockwork.NewFakeClockAt(start)
		p, err := Build(t.Context(), cfg, Options{Clock: clock})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close() })
		ctx := t.Context()
		signedIn := func(at time.Time) (clientID, sessionID string) {
			u := &user.User{ID: id.New(id.User), CreatedAt: at, UpdatedAt: at}
			if err := p.Store.Q.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
			cl := session.Client{ID: id.New(id.Client), CreatedAt: at, UpdatedAt: at}
			if err := p.Store.Q.CreateClient(ctx, cl); err != nil {
				t.Fatal(err)
			}
			s := session.Session{ID: id.New(id.Session), ClientID: cl.ID, UserID: u.ID, Status: session.Active,
				FirstFactorAt: at, CreatedAt: at, UpdatedAt: at, LastActiveAt: at, ExpireAt: at.Add(7 * 24 * time.Hour)}
			if err := p.Store.Q.CreateSession(ctx, s); err != nil {
				t.Fatal(err)
			}
			return cl.ID, s.ID
		}
		oldClient, oldSession := signedIn(start)
		if _, err := p.Store.Q.EndSession(ctx, oldSession, session.Ended, start.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		clock.Advance(31 * 24 * time.Hour)
		liveClient, liveSession := signedIn(clock.Now().Add(-48 * time.Hour))
		p.Housekeep(ctx)

		_, errS := p.Store.Q.SessionByID(ctx, oldSession)
		_, errC := p.Store.Q.ClientByID(ctx, oldClient)
		if gone := errors.Is(errS, store.ErrNotFound) && errors.Is(errC, store.ErrNotFound); gone != c.gone {
			t.Errorf("retention %q: a session signed out 31 days ago and its client: session %v, client %v; want deleted %v",
				c.retention, errS, errC, c.gone)
		}
		if _, err := p.Store.Q.SessionByID(ctx, liveSession); err != nil {
			t.Errorf("retention %q: live session: %v, want kept", c.retention, err)
		}
		if _, err := p.Store.Q.ClientByID(ctx, liveClient); err != nil {
			t.Errorf("retention %q: live session's client: %v, want kept", c.retention, err)
		}
	}
}
