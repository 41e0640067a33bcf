package store_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/signintoken"
	"github.com/portalhq/portal/internal/store"
)

var _ signintoken.Repo = (*store.Q)(nil)

func newSignInToken(userID, ticket string, created time.Time) *signintoken.Token {
	return &signintoken.Token{ID: id.New(id.SignInToken), UserID: userID, TokenHash: signintoken.Hash(ticket),
		Status: signintoken.Pending, ExpiresAt: created.Add(time.Hour), CreatedAt: created, UpdatedAt: created}
}

func sameSignInToken(t *testing.T, got, want *signintoken.Token) {
	t.Helper()
	if got.ID != want.ID || got.UserID != want.UserID || got.TokenHash != want.TokenHash || got.Status != want.Status ||
		string(got.Actor) != string(want.Actor) || got.SessionMax != want.SessionMax {
		t.Errorf("token = %+v, want %+v", got, want)
	}
	sameTime(t, "expires_at", got.ExpiresAt, want.ExpiresAt)
	sameTime(t, "created_at", got.CreatedAt, want.CreatedAt)
	sameTime(t, "updated_at", got.UpdatedAt, want.UpdatedAt)
}

func testSignInTokens(t *testing.T, open func(t *testing.T) *store.Store) {
	t.Run("create, by ID and hash, hash unique, unknown ones", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		u := createUser(t, s, "bob@example.com")
		tok := newSignInToken(u.ID, "ticket-1", base)
		if err := s.Q.CreateSignInToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		for what, get := range map[string]func() (*signintoken.Token, error){
			"by ID":   func() (*signintoken.Token, error) { return s.Q.SignInTokenByID(ctx, tok.ID) },
			"by hash": func() (*signintoken.Token, error) { return s.Q.SignInTokenByHash(ctx, tok.TokenHash) },
		} {
			got, err := get()
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			sameSignInToken(t, got, tok)
		}
		dup := newSignInToken(u.ID, "ticket-1", base)
		if err := s.Q.CreateSignInToken(ctx, dup); !errors.Is(err, store.ErrConflict) {
			t.Errorf("a second token with the same hash: %v, want ErrConflict", err)
		}
		if _, err := s.Q.SignInTokenByID(ctx, id.New(id.SignInToken)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown ID: %v, want ErrNotFound", err)
		}
		if _, err := s.Q.SignInTokenByHash(ctx, signintoken.Hash("nope")); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown hash: %v, want ErrNotFound", err)
		}
		if err := s.Q.CreateSignInToken(ctx, newSignInToken("user_gone", "ticket-2", base)); err == nil {
			t.Error("a token for a user that does not exist was stored")
		}
	})

	t.Run("update only from the status read; concurrent uses, one wins", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		u := createUser(t, s, "bob@example.com")
		tok := newSignInToken(u.ID, "ticket-1", base)
		if err := s.Q.CreateSignInToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		wins := race(t, s, 8, func(int) result {
			c := *tok
			c.Status, c.UpdatedAt = signintoken.Accepted, at(time.Minute)
			err := s.Q.UpdateSignInToken(ctx, &c, signintoken.Pending)
			if errors.Is(err, store.ErrConflict) {
				return result{}
			}
			return result{ok: err == nil, err: err}
		})
		if n := countOK(t, wins); n != 1 {
			t.Errorf("%d concurrent uses of one token succeeded, want exactly 1", n)
		}
		got, err := s.Q.SignInTokenByID(ctx, tok.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := *tok
		want.Status, want.UpdatedAt = signintoken.Accepted, at(time.Minute)
		sameSignInToken(t, got, &want)

		revoke := want
		revoke.Status = signintoken.Revoked
		if err := s.Q.UpdateSignInToken(ctx, &revoke, signintoken.Pending); !errors.Is(err, store.ErrConflict) {
			t.Errorf("revoking a used token from pending: %v, want ErrConflict", err)
		}
		ghost := newSignInToken(u.ID, "ghost", base)
		if err := s.Q.UpdateSignInToken(ctx, ghost, signintoken.Pending); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("updating a missing token: %v, want ErrNotFound", err)
		}
	})

	t.Run("an actor token keeps its actor and session lifetime", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		u := createUser(t, s, "bob@example.com")
		tok := newSignInToken(u.ID, "ticket-1", base)
		tok.ID, tok.Actor, tok.SessionMax = id.New(id.ActorToken), json.RawMessage(`{"sub":"user_support"}`), 90*time.Minute
		plain := newSignInToken(u.ID, "ticket-2", base)
		for _, x := range []*signintoken.Token{tok, plain} {
			if err := s.Q.CreateSignInToken(ctx, x); err != nil {
				t.Fatal(err)
			}
		}
		for _, want := range []*signintoken.Token{tok, plain} {
			got, err := s.Q.SignInTokenByHash(ctx, want.TokenHash)
			if err != nil {
				t.Fatal(err)
			}
			sameSignInToken(t, got, want)
			if got.Impersonates() != (want == tok) {
				t.Errorf("%s: Impersonates() = %v", want.ID, got.Impersonates())
			}
		}
	})

	t.Run("deleting the user takes the tokens along", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		u := createUser(t, s, "bob@example.com")
		tok := newSignInToken(u.ID, "ticket-1", base)
		if err := s.Q.CreateSignInToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		if err := s.Q.DeleteUser(ctx, u.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Q.SignInTokenByHash(ctx, tok.TokenHash); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a deleted user's token: %v, want ErrNotFound", err)
		}
	})
}
