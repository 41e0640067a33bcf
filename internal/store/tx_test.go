package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/signin"
	"github.com/portalhq/portal/internal/signup"
	"github.com/portalhq/portal/internal/store"
	"github.com/portalhq/portal/internal/user"
)

func testTxAdapter(t *testing.T, open func(t *testing.T) *store.Store) {
	t.Run("Tx hands the domain a repository bound to one transaction", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		inTx := store.Tx[signup.Repo](s)
		u := newUser("ada@example.com")
		boom := errors.New("boom")
		err := inTx(ctx, func(r signup.Repo) error {
			if err := r.CreateUser(ctx, u); err != nil {
				return err
			}
			if _, err := r.UserByIdentifier(ctx, user.Email, "ada@example.com"); err != nil {
				t.Errorf("the transaction does not see its own write: %v", err)
			}
			// Outside the transaction the user does not exist yet.
			if _, err := s.Q.UserByID(ctx, u.ID); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("uncommitted user seen outside the transaction: %v", err)
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Tx = %v, want the function's error", err)
		}
		if _, err := s.Q.UserByID(ctx, u.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("user after rollback: %v, want ErrNotFound", err)
		}
		if err := inTx(ctx, func(r signup.Repo) error { return r.CreateUser(ctx, u) }); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Q.UserByID(ctx, u.ID); err != nil {
			t.Errorf("user after commit: %v", err)
		}
	})

	t.Run("Tx for session.Repo and signin.Repo commits", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		u := createUser(t, s, "ada@example.com")
		c := session.Client{ID: id.New(id.Client), CreatedAt: base, UpdatedAt: base}
		err := store.Tx[session.Repo](s)(ctx, func(r session.Repo) error {
			if err := r.CreateClient(ctx, c); err != nil {
				return err
			}
			e, err := events.New(events.SessionCreated, c.ID, nil, base)
			if err != nil {
				return err
			}
			return r.InsertEvent(ctx, e)
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Q.ClientByID(ctx, c.ID); err != nil {
			t.Errorf("client after commit: %v", err)
		}
		err = store.Tx[signin.Repo](s)(ctx, func(r signin.Repo) error {
			return r.RecordSignIn(ctx, u.ID, at(time.Hour))
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Q.UserByID(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		sameTimePtr(t, "LastSignInAt", got.LastSignInAt, ptr(at(time.Hour)))
	})
}
