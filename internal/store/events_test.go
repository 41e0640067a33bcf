package store_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/store"
)

func testEvents(t *testing.T, open func(t *testing.T) *store.Store) {
	// Events are written in the transaction of the change they describe, so
	// a change that is rolled back leaves no event behind, and an event is
	// never lost for a change that stays.
	t.Run("InsertEvent is rolled back with its transaction", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		boom := errors.New("boom")
		u := newUser("ada@example.com")
		err := s.InTx(ctx, func(q *store.Q) error {
			if err := q.CreateUser(ctx, u); err != nil {
				return err
			}
			if err := q.InsertEvent(ctx, newEvent(t, events.UserCreated, u.ID, base)); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx = %v, want the function's error", err)
		}
		if _, err := s.Q.UserByID(ctx, u.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("user of the failed transaction: %v, want ErrNotFound", err)
		}
		if evs, err := s.Q.EventsOfObject(ctx, u.ID); err != nil || len(evs) != 0 {
			t.Errorf("events of the failed transaction = %v, %v; want none", evs, err)
		}

		// A failure of the store itself (the email is taken) also takes the
		// event written before it.
		createUser(t, s, "taken@example.com")
		dup := newUser("taken@example.com")
		err = s.InTx(ctx, func(q *store.Q) error {
			if err := q.InsertEvent(ctx, newEvent(t, events.UserCreated, dup.ID, base)); err != nil {
				return err
			}
			return q.CreateUser(ctx, dup)
		})
		if !errors.Is(err, store.ErrConflict) {
			t.Fatalf("InTx = %v, want ErrConflict", err)
		}
		if evs, err := s.Q.EventsAfter(ctx, 0, 10); err != nil || len(evs) != 0 {
			t.Errorf("events after two failed transactions = %v, %v; want none", evs, err)
		}

		err = s.InTx(ctx, func(q *store.Q) error {
			if err := q.CreateUser(ctx, u); err != nil {
				return err
			}
			return q.InsertEvent(ctx, newEvent(t, events.UserCreated, u.ID, base))
		})
		if err != nil {
			t.Fatal(err)
		}
		if evs, err := s.Q.EventsOfObject(ctx, u.ID); err != nil || len(evs) != 1 {
			t.Errorf("events of the committed transaction = %v, %v; want one", evs, err)
		}
	})

	t.Run("EventsAfter: oldest first from a cursor, at most limit", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		var written []events.Event
		for i := range 5 {
			e := newEvent(t, events.SessionCreated, fmt.Sprintf("sess_%d", i), at(-time.Duration(i)*time.Second))
			if err := s.Q.InsertEvent(ctx, e); err != nil {
				t.Fatal(err)
			}
			written = append(written, e)
		}
		all, err := s.Q.EventsAfter(ctx, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != len(written) {
			t.Fatalf("%d events, want %d", len(all), len(written))
		}
		// Insertion order, not created_at, which a clock step can reverse.
		for i, got := range all {
			sameEvent(t, got, written[i])
			if i > 0 && got.Seq <= all[i-1].Seq {
				t.Errorf("seq %d after %d", got.Seq, all[i-1].Seq)
			}
		}
		page, err := s.Q.EventsAfter(ctx, all[1].Seq, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) != 2 || page[0].ID != written[2].ID || page[1].ID != written[3].ID {
			t.Errorf("EventsAfter(seq of #1, 2) = %v, want events #2 and #3", eventIDs(page))
		}
		if rest, err := s.Q.EventsAfter(ctx, all[4].Seq, 10); err != nil || len(rest) != 0 {
			t.Errorf("EventsAfter(last seq) = %v, %v; want none", eventIDs(rest), err)
		}
	})

	t.Run("EventsOfObject: that object's events, oldest first", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		created := newEvent(t, events.SessionCreated, "sess_a", base)
		other := newEvent(t, events.SessionCreated, "sess_b", base)
		ended := newEvent(t, events.SessionEnded, "sess_a", at(time.Minute))
		for _, e := range []events.Event{created, other, ended} {
			if err := s.Q.InsertEvent(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.Q.EventsOfObject(ctx, "sess_a")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 {
			t.Fatalf("EventsOfObject = %v, want 2 events", eventIDs(got))
		}
		sameEvent(t, got[0], created)
		sameEvent(t, got[1], ended)
		if none, err := s.Q.EventsOfObject(ctx, "sess_none"); err != nil || len(none) != 0 {
			t.Errorf("EventsOfObject of an unknown object = %v, %v", eventIDs(none), err)
		}
	})

	// The request behind a change travels in its context to its event (for
	// webhooks' event_attributes.http_request); one the event names itself
	// stands, and a change no request made has none.
	t.Run("InsertEvent keeps the request the change came from", func(t *testing.T) {
		s := open(t)
		from := events.Request{ClientIP: "203.0.113.7", UserAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"}
		ctx := events.WithRequest(t.Context(), from)
		viaCtx := newEvent(t, events.UserCreated, "user_a", base)
		named := newEvent(t, events.UserUpdated, "user_a", at(time.Second))
		named.Request = events.Request{ClientIP: "198.51.100.1", UserAgent: "Go-http-client/1.1"}
		none := newEvent(t, events.UserDeleted, "user_a", at(time.Minute))
		for i, e := range []events.Event{viaCtx, named} {
			if err := s.Q.InsertEvent(ctx, e); err != nil {
				t.Fatalf("event %d: %v", i, err)
			}
		}
		if err := s.Q.InsertEvent(t.Context(), none); err != nil {
			t.Fatal(err)
		}
		got, err := s.Q.EventsOfObject(t.Context(), "user_a")
		if err != nil || len(got) != 3 {
			t.Fatalf("EventsOfObject = %v, %v; want 3 events", eventIDs(got), err)
		}
		for i, want := range []events.Request{from, named.Request, {}} {
			if got[i].Request != want {
				t.Errorf("event %d (%s): request %+v, want %+v", i, got[i].Type, got[i].Request, want)
			}
		}
		if e, err := s.Q.EventBySeq(t.Context(), got[0].Seq); err != nil || e.Request != from {
			t.Errorf("EventBySeq: request %+v (%v), want %+v", e.Request, err, from)
		}
		long := events.RequestOf(events.WithRequest(t.Context(), events.Request{UserAgent: strings.Repeat("é", 400)}))
		if len(long.UserAgent) > 512 || !utf8.ValidString(long.UserAgent) {
			t.Errorf("an 800-byte User-Agent is kept as %d bytes (valid UTF-8 %v), want at most 512",
				len(long.UserAgent), utf8.ValidString(long.UserAgent))
		}
	})
}

func newEvent(t *testing.T, typ, objectID string, created time.Time) events.Event {
	t.Helper()
	e, err := events.New(typ, objectID, map[string]any{"id": objectID, "object": "session", "n": 1.5, "tags": []string{"a"}}, created)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// sameEvent compares Data as JSON values: PostgreSQL keeps it as jsonb,
// which does not preserve whitespace or key order.
func sameEvent(t *testing.T, got, want events.Event) {
	t.Helper()
	if got.ID != want.ID || got.Type != want.Type || got.ObjectID != want.ObjectID || got.Seq <= 0 {
		t.Errorf("event = %+v\nwant %+v", got, want)
	}
	var g, w any
	if err := json.Unmarshal(got.Data, &g); err != nil {
		t.Errorf("stored data %s: %v", got.Data, err)
	}
	if err := json.Unmarshal(want.Data, &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("data = %s, want %s", got.Data, want.Data)
	}
	sameTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
}

func eventIDs(evs []events.Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, fmt.Sprintf("%d:%s", e.Seq, e.ID))
	}
	return out
}
