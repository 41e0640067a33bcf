package store_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/store"
	"github.com/portalhq/portal/internal/user"
)

// testOAuthTokens: an external account keeps one token set, replaced at
// each save; a refresh replaces only the set it refreshed; the set goes
// with its account and with its user.
func testOAuthTokens(t *testing.T, open func(t *testing.T) *store.Store) {
	connect := func(t *testing.T, s *store.Store, userID, subject string) string {
		t.Helper()
		x := user.ExternalAccount{ID: id.New("eac"), UserID: userID, Provider: "github", Subject: subject,
			CreatedAt: base, UpdatedAt: base}
		if err := s.Q.CreateExternalAccount(t.Context(), x); err != nil {
			t.Fatal(err)
		}
		return x.ID
	}

	t.Run("saved, replaced, read back", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		u := createUser(t, s, "ada@example.com")
		x := connect(t, s, u.ID, "1")
		if _, err := s.Q.OAuthToken(ctx, x); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("OAuthToken with none kept: %v, want ErrNotFound", err)
		}
		first := user.OAuthToken{ExternalAccountID: x, Sealed: "sealed-1", Scopes: []string{"repo", "user:email"},
			ExpiresAt: ptr(at(time.Hour)), UpdatedAt: base}
		if err := s.Q.SaveOAuthToken(ctx, first); err != nil {
			t.Fatal(err)
		}
		got, err := s.Q.OAuthToken(ctx, x)
		if err != nil || got.Sealed != "sealed-1" || !slices.Equal(got.Scopes, first.Scopes) {
			t.Fatalf("OAuthToken = %+v, %v", got, err)
		}
		sameTimePtr(t, "ExpiresAt", got.ExpiresAt, first.ExpiresAt)
		sameTime(t, "UpdatedAt", got.UpdatedAt, base)

		// A token that does not expire, with no scopes: the second save
		// replaces the first whole.
		if err := s.Q.SaveOAuthToken(ctx, user.OAuthToken{ExternalAccountID: x, Sealed: "sealed-2", UpdatedAt: at(time.Minute)}); err != nil {
			t.Fatal(err)
		}
		got, err = s.Q.OAuthToken(ctx, x)
		if err != nil || got.Sealed != "sealed-2" || got.Scopes == nil || len(got.Scopes) != 0 || got.ExpiresAt != nil {
			t.Fatalf("replaced = %+v, %v; want sealed-2, no scopes, no expiry", got, err)
		}
		sameTime(t, "UpdatedAt", got.UpdatedAt, at(time.Minute))
	})

	t.Run("a refresh replaces only the set it refreshed", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		u := createUser(t, s, "ada@example.com")
		x := connect(t, s, u.ID, "1")
		if err := s.Q.SaveOAuthToken(ctx, user.OAuthToken{ExternalAccountID: x, Sealed: "signed-in", UpdatedAt: base}); err != nil {
			t.Fatal(err)
		}
		refreshed := user.OAuthToken{ExternalAccountID: x, Sealed: "refreshed", Scopes: []string{"openid"},
			ExpiresAt: ptr(at(2 * time.Hour)), UpdatedAt: at(time.Hour)}
		if ok, err := s.Q.ReplaceOAuthToken(ctx, refreshed, "signed-in"); !ok || err != nil {
			t.Fatalf("ReplaceOAuthToken of the stored set = %v, %v", ok, err)
		}
		// A second refresh of the set that is no longer there changes nothing.
		stale := refreshed
		stale.Sealed = "refreshed-again"
		if ok, err := s.Q.ReplaceOAuthToken(ctx, stale, "signed-in"); ok || err != nil {
			t.Errorf("ReplaceOAuthToken of a replaced set = %v, %v; want false", ok, err)
		}
		got, _ := s.Q.OAuthToken(ctx, x)
		if got.Sealed != "refreshed" || !slices.Equal(got.Scopes, []string{"openid"}) {
			t.Errorf("after the refreshes: %+v", got)
		}
		sameTimePtr(t, "ExpiresAt", got.ExpiresAt, refreshed.ExpiresAt)
		if ok, err := s.Q.ReplaceOAuthToken(ctx, user.OAuthToken{ExternalAccountID: "eac_none", Sealed: "x", UpdatedAt: base}, "x"); ok || err != nil {
			t.Errorf("ReplaceOAuthToken without an account = %v, %v; want false", ok, err)
		}
	})

	t.Run("it goes with its account, and with its user", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		u := createUser(t, s, "ada@example.com")
		gone, kept := connect(t, s, u.ID, "1"), connect(t, s, u.ID, "2")
		other := createUser(t, s, "grace@example.com")
		theirs := connect(t, s, other.ID, "3")
		for _, x := range []string{gone, kept, theirs} {
			if err := s.Q.SaveOAuthToken(ctx, user.OAuthToken{ExternalAccountID: x, Sealed: "s-" + x, UpdatedAt: base}); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Q.DeleteExternalAccount(ctx, u.ID, gone); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Q.OAuthToken(ctx, gone); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("token of a disconnected account: %v, want ErrNotFound", err)
		}
		if got, err := s.Q.OAuthToken(ctx, kept); err != nil || got.Sealed != "s-"+kept {
			t.Errorf("the other account's token = %+v, %v", got, err)
		}
		if err := s.Q.DeleteUser(ctx, u.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Q.OAuthToken(ctx, kept); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("token of a deleted user's account: %v, want ErrNotFound", err)
		}
		if got, err := s.Q.OAuthToken(ctx, theirs); err != nil || got.Sealed != "s-"+theirs {
			t.Errorf("another user's token = %+v, %v", got, err)
		}
		// None is kept for an account that does not exist.
		if err := s.Q.SaveOAuthToken(ctx, user.OAuthToken{ExternalAccountID: "eac_none", Sealed: "x", UpdatedAt: base}); err == nil {
			t.Error("SaveOAuthToken for no account succeeded")
		}
	})
}
