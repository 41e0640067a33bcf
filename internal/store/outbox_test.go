package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/notify"
	"github.com/portalhq/portal/internal/store"
)

func testOutbox(t *testing.T, open func(t *testing.T) *store.Store) {
	t.Run("SaveOutbox, ListOutbox newest first", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		var msgs []notify.OutboxMessage
		for _, d := range []time.Duration{time.Second, 3 * time.Second, 2 * time.Second} {
			m := notify.OutboxMessage{ID: id.New(id.Message), Channel: notify.ChannelEmail, To: "ada@example.com",
				Subject: "Your code", Text: "123456", HTML: "<p>123456</p>", CreatedAt: at(d)}
			if err := s.Q.SaveOutbox(ctx, m); err != nil {
				t.Fatal(err)
			}
			msgs = append(msgs, m)
		}
		got, err := s.Q.ListOutbox(ctx, 2)
		if err != nil {
			t.Fatal(err)
		}
		want := []notify.OutboxMessage{msgs[1], msgs[2]}
		if len(got) != len(want) {
			t.Fatalf("ListOutbox(2) returned %d messages", len(got))
		}
		for i, g := range got {
			w := want[i]
			if g.ID != w.ID || g.Channel != w.Channel || g.To != w.To || g.Subject != w.Subject ||
				g.Text != w.Text || g.HTML != w.HTML {
				t.Errorf("message %d = %+v\nwant %+v", i, g, w)
			}
			sameTime(t, "CreatedAt", g.CreatedAt, w.CreatedAt)
		}
	})
	t.Run("OutboxMessage", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		m := notify.OutboxMessage{ID: id.New(id.Message), Channel: notify.ChannelEmail, To: "ada@example.com",
			Subject: "Your code", Text: "123456", HTML: "<p>123456</p>", CreatedAt: at(time.Second)}
		if err := s.Q.SaveOutbox(ctx, m); err != nil {
			t.Fatal(err)
		}
		got, err := s.Q.OutboxMessage(ctx, m.ID)
		if err != nil || got.ID != m.ID || got.Channel != m.Channel || got.To != m.To || got.Subject != m.Subject ||
			got.Text != m.Text || got.HTML != m.HTML {
			t.Fatalf("OutboxMessage = %+v, %v\nwant %+v", got, err, m)
		}
		sameTime(t, "CreatedAt", got.CreatedAt, m.CreatedAt)
		if _, err := s.Q.OutboxMessage(ctx, id.New(id.Message)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("an unknown message: %v, want ErrNotFound", err)
		}
	})
}
