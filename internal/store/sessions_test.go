package store_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/store"
)

func testSessions(t *testing.T, open func(t *testing.T) *store.Store) {
	t.Run("client create and get", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		c := session.Client{ID: id.New(id.Client), CreatedAt: base, UpdatedAt: at(time.Second)}
		if err := s.Q.CreateClient(ctx, c); err != nil {
			t.Fatal(err)
		}
		got, err := s.Q.ClientByID(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != c.ID {
			t.Errorf("ID = %q", got.ID)
		}
		sameTime(t, "CreatedAt", got.CreatedAt, c.CreatedAt)
		sameTime(t, "UpdatedAt", got.UpdatedAt, c.UpdatedAt)
		if _, err := s.Q.ClientByID(ctx, id.New(id.Client)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown client: %v, want ErrNotFound", err)
		}
	})

	// Every sign-in moves the browser to a new client (REQ-SES-02), so the
	// old ones are deleted a day on, unless a session (the account's
	// history) or a flow still names them.
	t.Run("DeleteIdleClients keeps clients with sessions, flows or youth", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		idle, withSession, withEnded, withFlow := createClient(t, s), createClient(t, s), createClient(t, s), createClient(t, s)
		storeSession(t, s, withSession, base)
		ended := storeSession(t, s, withEnded, base)
		if _, err := s.Q.EndSession(ctx, ended.ID, session.Ended, at(time.Minute)); err != nil {
			t.Fatal(err)
		}
		f := newFlow(base)
		f.ClientID = withFlow
		if err := s.Q.CreateFlow(ctx, f); err != nil {
			t.Fatal(err)
		}
		young := session.Client{ID: id.New(id.Client), CreatedAt: at(25 * time.Hour), UpdatedAt: at(25 * time.Hour)}
		if err := s.Q.CreateClient(ctx, young); err != nil {
			t.Fatal(err)
		}
		n, err := s.Q.DeleteIdleClients(ctx, at(24*time.Hour))
		if err != nil || n != 1 {
			t.Fatalf("DeleteIdleClients = %d, %v; want 1 (the idle client only)", n, err)
		}
		if _, err := s.Q.ClientByID(ctx, idle); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("idle client: %v, want deleted", err)
		}
		for what, cid := range map[string]string{"with a session": withSession, "with an ended session": withEnded,
			"with a flow": withFlow, "made after the cut-off": young.ID} {
			if _, err := s.Q.ClientByID(ctx, cid); err != nil {
				t.Errorf("client %s: %v, want kept", what, err)
			}
		}
	})

	// Sessions are the account's history for PORTAL_EVENT_RETENTION after
	// they end or run out; then housekeeping deletes them, and their
	// clients become idle.
	t.Run("DeleteFinishedSessions deletes what ended or ran out before the cut-off", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		client := createClient(t, s)
		active := storeSession(t, s, client, base)                // runs out at base+7d
		endedEarly := storeSession(t, s, client, base)            // signed out at base+1h
		endedLate := storeSession(t, s, client, base)             // revoked at base+9d
		lapsed := storeSession(t, s, client, at(-8*24*time.Hour)) // ran out at base-1d, still "active"
		if _, err := s.Q.EndSession(ctx, endedEarly.ID, session.Ended, at(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Q.EndSession(ctx, endedLate.ID, session.Revoked, at(9*24*time.Hour)); err != nil {
			t.Fatal(err)
		}
		n, err := s.Q.DeleteFinishedSessions(ctx, at(2*time.Hour))
		if err != nil || n != 2 {
			t.Fatalf("DeleteFinishedSessions = %d, %v; want 2 (signed out and ran out before the cut-off)", n, err)
		}
		for what, x := range map[string]session.Session{"signed out before": endedEarly, "ran out before": lapsed} {
			if _, err := s.Q.SessionByID(ctx, x.ID); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("session %s the cut-off: %v, want deleted", what, err)
			}
		}
		for what, x := range map[string]session.Session{"active": active, "revoked after the cut-off": endedLate} {
			if _, err := s.Q.SessionByID(ctx, x.ID); err != nil {
				t.Errorf("session %s: %v, want kept", what, err)
			}
		}
		// Once its last session goes, the client is idle.
		if n, err := s.Q.DeleteFinishedSessions(ctx, at(10*24*time.Hour)); err != nil || n != 2 {
			t.Fatalf("DeleteFinishedSessions ten days on = %d, %v; want 2", n, err)
		}
		if n, err := s.Q.DeleteIdleClients(ctx, at(24*time.Hour)); err != nil || n != 1 {
			t.Fatalf("DeleteIdleClients after its sessions went = %d, %v; want 1", n, err)
		}
	})

	// What the account has been used from lately, for the new sign-in
	// email: every status counts, activity decides, other users' do not.
	t.Run("SessionsOfUserSince lists the user's recently active sessions in any status", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		client := createClient(t, s)
		recent := newSession(t, s, client, at(2*time.Hour))
		signedOut, old, latest := recent, recent, recent
		signedOut.ID, signedOut.CreatedAt, signedOut.LastActiveAt = id.New(id.Session), at(time.Hour), at(time.Hour)
		old.ID, old.CreatedAt, old.LastActiveAt = id.New(id.Session), at(-48*time.Hour), at(-25*time.Hour)
		latest.ID, latest.ClientID, latest.LastActiveAt = id.New(id.Session), createClient(t, s), at(3*time.Hour)
		other := newSession(t, s, client, at(2*time.Hour)) // another user's, on the same client
		for _, x := range []session.Session{recent, signedOut, old, latest, other} {
			if err := s.Q.CreateSession(ctx, x); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.Q.EndSession(ctx, signedOut.ID, session.Ended, at(90*time.Minute)); err != nil {
			t.Fatal(err)
		}
		ids := func(list []session.Session) []string {
			var out []string
			for _, x := range list {
				out = append(out, x.ID)
			}
			return out
		}
		got, err := s.Q.SessionsOfUserSince(ctx, recent.UserID, at(-24*time.Hour), 10)
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{latest.ID, recent.ID, signedOut.ID}; !slices.Equal(ids(got), want) {
			t.Errorf("SessionsOfUserSince = %v, want %v (most recently active first, the signed-out one too)", ids(got), want)
		}
		if len(got) == 3 && (got[2].Status != session.Ended || got[1].UserAgent != recent.UserAgent || got[1].IP != recent.IP) {
			t.Errorf("sessions read back as %+v", got)
		}
		if got, err := s.Q.SessionsOfUserSince(ctx, recent.UserID, at(-24*time.Hour), 2); err != nil || len(got) != 2 {
			t.Errorf("SessionsOfUserSince with limit 2 = %d sessions, %v", len(got), err)
		}
	})

	t.Run("session create and get", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		want := newSession(t, s, createClient(t, s), base)
		want.SecondFactorAt, want.ActiveOrgID = ptr(at(time.Second)), "org_1"
		want.ReverifiedAt = ptr(at(2 * time.Second))
		if err := s.Q.CreateSession(ctx, want); err != nil {
			t.Fatal(err)
		}
		got, err := s.Q.SessionByID(ctx, want.ID)
		if err != nil {
			t.Fatal(err)
		}
		sameSession(t, got, &want)
		if _, err := s.Q.SessionByID(ctx, id.New(id.Session)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown session: %v, want ErrNotFound", err)
		}
	})

	t.Run("an impersonation session keeps its actor; others have none", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		client := createClient(t, s)
		imp := newSession(t, s, client, base)
		imp.Actor = json.RawMessage(`{"reason":"ticket 7","sub":"user_support"}`)
		own := newSession(t, s, client, at(time.Second))
		for _, x := range []session.Session{imp, own} {
			if err := s.Q.CreateSession(ctx, x); err != nil {
				t.Fatal(err)
			}
		}
		for _, want := range []session.Session{imp, own} {
			got, err := s.Q.SessionByID(ctx, want.ID)
			if err != nil {
				t.Fatal(err)
			}
			sameSession(t, got, &want)
		}
		if got, _ := s.Q.SessionByID(ctx, own.ID); got.Actor != nil || got.Impersonated() {
			t.Errorf("the user's own session has actor %q", got.Actor)
		}
	})

	// POST /v1/sessions starts a session nobody signed in to: no first
	// factor, a zero FirstFactorAt, which reads back zero (so its tokens'
	// fva[0] stays -1) until a reverification gives it one.
	t.Run("a session without a first factor reads back zero until reverified", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		want := newSession(t, s, createClient(t, s), base)
		want.FirstFactorAt = time.Time{}
		if err := s.Q.CreateSession(ctx, want); err != nil {
			t.Fatal(err)
		}
		got, err := s.Q.SessionByID(ctx, want.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !got.FirstFactorAt.IsZero() || got.ProvedFirstFactor() {
			t.Errorf("FirstFactorAt = %v, want the zero time", got.FirstFactorAt)
		}
		if err := s.Q.MarkReverified(ctx, want.ID, at(time.Minute), true, false); err != nil {
			t.Fatal(err)
		}
		if got, _ = s.Q.SessionByID(ctx, want.ID); !got.ProvedFirstFactor() {
			t.Errorf("after a reverification FirstFactorAt = %v", got.FirstFactorAt)
		} else {
			sameTime(t, "FirstFactorAt", got.FirstFactorAt, at(time.Minute))
		}
	})

	t.Run("active sessions of a client, newest first", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		c := createClient(t, s)
		if got, err := s.Q.ActiveSessionsOfClient(ctx, c); err != nil || len(got) != 0 {
			t.Errorf("ActiveSessionsOfClient of a new client = %v, %v", got, err)
		}
		if _, err := s.Q.ActiveSessionOfClient(ctx, c); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("ActiveSessionOfClient of a new client: %v, want ErrNotFound", err)
		}
		// Stored out of order so that the order read back is the store's.
		middle := storeSession(t, s, c, at(time.Second))
		newest := storeSession(t, s, c, at(2*time.Second))
		oldest := storeSession(t, s, c, base)
		ended := storeSession(t, s, c, at(3*time.Second))
		storeSession(t, s, createClient(t, s), at(4*time.Second))
		if ok, err := s.Q.EndSession(ctx, ended.ID, session.Ended, at(5*time.Second)); !ok || err != nil {
			t.Fatalf("EndSession = %v, %v", ok, err)
		}
		got, err := s.Q.ActiveSessionsOfClient(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, x := range got {
			ids = append(ids, x.ID)
		}
		if want := []string{newest.ID, middle.ID, oldest.ID}; !slices.Equal(ids, want) {
			t.Errorf("ActiveSessionsOfClient = %v, want %v", ids, want)
		}
		one, err := s.Q.ActiveSessionOfClient(ctx, c)
		if err != nil || one.ID != newest.ID {
			t.Errorf("ActiveSessionOfClient = %v, %v; want %s", one, err, newest.ID)
		}
	})

	t.Run("EndSession only once", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		x := storeSession(t, s, createClient(t, s), base)
		if ok, err := s.Q.EndSession(ctx, x.ID, session.Revoked, at(time.Minute)); !ok || err != nil {
			t.Fatalf("first EndSession = %v, %v", ok, err)
		}
		if ok, err := s.Q.EndSession(ctx, x.ID, session.Ended, at(2*time.Minute)); ok || err != nil {
			t.Errorf("second EndSession = %v, %v; want false, nil", ok, err)
		}
		got, err := s.Q.SessionByID(ctx, x.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != session.Revoked {
			t.Errorf("Status = %q, want the first end's %q", got.Status, session.Revoked)
		}
		sameTimePtr(t, "EndedAt", got.EndedAt, ptr(at(time.Minute)))
		sameTime(t, "UpdatedAt", got.UpdatedAt, at(time.Minute))
		if ok, err := s.Q.EndSession(ctx, id.New(id.Session), session.Ended, base); ok || err != nil {
			t.Errorf("EndSession of an unknown session = %v, %v; want false, nil", ok, err)
		}
	})

	// Sign-out racing a revocation must emit one session.ended, not two.
	t.Run("concurrent EndSession: exactly one ends it", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		x := storeSession(t, s, createClient(t, s), base)
		rs := race(t, s, 20, func(int) result {
			ok, err := s.Q.EndSession(ctx, x.ID, session.Ended, at(time.Minute))
			return result{ok, err}
		})
		if n := countOK(t, rs); n != 1 {
			t.Errorf("%d EndSession calls ended the session, want 1", n)
		}
	})

	t.Run("TouchSession records activity of active sessions only", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		c := createClient(t, s)
		live, gone := storeSession(t, s, c, base), storeSession(t, s, c, base)
		if ok, err := s.Q.EndSession(ctx, gone.ID, session.Ended, at(time.Minute)); !ok || err != nil {
			t.Fatalf("EndSession = %v, %v", ok, err)
		}
		for _, x := range []session.Session{live, gone} {
			if err := s.Q.TouchSession(ctx, x.ID, at(2*time.Minute)); err != nil {
				t.Fatalf("TouchSession: %v", err)
			}
		}
		got, err := s.Q.SessionByID(ctx, live.ID)
		if err != nil {
			t.Fatal(err)
		}
		sameTime(t, "LastActiveAt of the active session", got.LastActiveAt, at(2*time.Minute))
		got, err = s.Q.SessionByID(ctx, gone.ID)
		if err != nil {
			t.Fatal(err)
		}
		sameTime(t, "LastActiveAt of the ended session", got.LastActiveAt, base)
	})

	t.Run("TouchSession records the user's activity, not an impersonation's, never backwards", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		c := createClient(t, s)
		own := storeSession(t, s, c, base)
		imp := newSession(t, s, c, base)
		imp.Actor = json.RawMessage(`{"sub":"user_support"}`)
		if err := s.Q.CreateSession(ctx, imp); err != nil {
			t.Fatal(err)
		}
		activity := func(userID string) *time.Time {
			t.Helper()
			u, err := s.Q.UserByID(ctx, userID)
			if err != nil {
				t.Fatal(err)
			}
			return u.LastActiveAt
		}
		if a := activity(own.UserID); a != nil {
			t.Fatalf("a user never active has last_active_at %v", a)
		}
		for _, step := range []struct {
			at   time.Duration
			want time.Duration
		}{{5 * time.Minute, 5 * time.Minute}, {3 * time.Minute, 5 * time.Minute}, {9 * time.Minute, 9 * time.Minute}} {
			for _, x := range []session.Session{own, imp} {
				if err := s.Q.TouchSession(ctx, x.ID, at(step.at)); err != nil {
					t.Fatal(err)
				}
			}
			sameTimePtr(t, fmt.Sprintf("last_active_at after a touch at %v", step.at), activity(own.UserID), ptr(at(step.want)))
		}
		if a := activity(imp.UserID); a != nil {
			t.Errorf("an impersonation made its user active: %v", a)
		}
	})
}

func createClient(t *testing.T, s *store.Store) string {
	t.Helper()
	c := session.Client{ID: id.New(id.Client), CreatedAt: base, UpdatedAt: base}
	if err := s.Q.CreateClient(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	return c.ID
}

// newSession builds an active session of a fresh user on clientID.
func newSession(t *testing.T, s *store.Store, clientID string, created time.Time) session.Session {
	t.Helper()
	u := createUser(t, s, id.New("e")+"@example.com")
	return session.Session{ID: id.New(id.Session), ClientID: clientID, UserID: u.ID, Status: session.Active,
		FirstFactorAt: created, IP: "192.0.2.1", UserAgent: "test/1", CreatedAt: created, UpdatedAt: created,
		LastActiveAt: created, ExpireAt: created.Add(7 * 24 * time.Hour)}
}

func storeSession(t *testing.T, s *store.Store, clientID string, created time.Time) session.Session {
	t.Helper()
	x := newSession(t, s, clientID, created)
	if err := s.Q.CreateSession(t.Context(), x); err != nil {
		t.Fatal(err)
	}
	return x
}

func sameSession(t *testing.T, got, want *session.Session) {
	t.Helper()
	if got.ID != want.ID || got.ClientID != want.ClientID || got.UserID != want.UserID ||
		got.Status != want.Status || got.ActiveOrgID != want.ActiveOrgID || got.IP != want.IP ||
		got.UserAgent != want.UserAgent || string(got.Actor) != string(want.Actor) {
		t.Errorf("session = %+v\nwant %+v", got, want)
	}
	sameTime(t, "FirstFactorAt", got.FirstFactorAt, want.FirstFactorAt)
	sameTimePtr(t, "SecondFactorAt", got.SecondFactorAt, want.SecondFactorAt)
	sameTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
	sameTime(t, "UpdatedAt", got.UpdatedAt, want.UpdatedAt)
	sameTime(t, "LastActiveAt", got.LastActiveAt, want.LastActiveAt)
	sameTime(t, "ExpireAt", got.ExpireAt, want.ExpireAt)
	sameTimePtr(t, "EndedAt", got.EndedAt, want.EndedAt)
	sameTimePtr(t, "ReverifiedAt", got.ReverifiedAt, want.ReverifiedAt)
}
