package store_test

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/store"
	"github.com/portalhq/portal/internal/token"
)

func testSigningKeys(t *testing.T, open func(t *testing.T) *store.Store) {
	t.Run("KeyStore: every key oldest first, retired ones with RetiredAt", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		if keys, err := s.Q.SigningKeys(ctx); err != nil || len(keys) != 0 {
			t.Fatalf("SigningKeys of an empty store = %v, %v", keys, err)
		}
		newer := token.Key{KID: "kid-b", Alg: token.Alg, PrivatePEM: []byte("-----BEGIN PRIVATE KEY-----\nb\n"), CreatedAt: at(time.Hour)}
		older := token.Key{KID: "kid-a", Alg: token.Alg, PrivatePEM: []byte("-----BEGIN PRIVATE KEY-----\na\n"), CreatedAt: base}
		for _, k := range []token.Key{newer, older} {
			if err := s.Q.InsertSigningKey(ctx, k); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Q.RetireSigningKey(ctx, older.KID, at(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		// Retiring again must not move the date the publication window counts from.
		if err := s.Q.RetireSigningKey(ctx, older.KID, at(3*time.Hour)); err != nil {
			t.Fatal(err)
		}
		older.RetiredAt = ptr(at(2 * time.Hour))
		keys, err := s.Q.SigningKeys(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(keys) != 2 {
			t.Fatalf("%d keys, want 2", len(keys))
		}
		for i, want := range []token.Key{older, newer} {
			got := keys[i]
			if got.KID != want.KID || got.Alg != want.Alg || !bytes.Equal(got.PrivatePEM, want.PrivatePEM) {
				t.Errorf("key %d = %s/%s/%q, want %s/%s/%q", i, got.KID, got.Alg, got.PrivatePEM, want.KID, want.Alg, want.PrivatePEM)
			}
			sameTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
			sameTimePtr(t, "RetiredAt", got.RetiredAt, want.RetiredAt)
		}
		if err := s.Q.DeleteSigningKey(ctx, older.KID); err != nil {
			t.Fatal(err)
		}
		if keys, err := s.Q.SigningKeys(ctx); err != nil || len(keys) != 1 || keys[0].KID != newer.KID {
			t.Errorf("after delete SigningKeys = %v, %v; want only %s", keys, err, newer.KID)
		}
	})

	// REQ-JWT-07: a rotation in one process reaches the others through the
	// store, and the retired key stays published beside the new one.
	t.Run("REQ-JWT-07 Signer NewSigner, Rotate, Reload on the store", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		clock := clockwork.NewFakeClockAt(base)
		a, err := token.NewSigner(ctx, s.Q, clock, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		b, err := token.NewSigner(ctx, s.Q, clock, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		first := a.ActiveKID()
		if first == "" || b.ActiveKID() != first {
			t.Fatalf("second process signs with %q, first with %q: want one shared key", b.ActiveKID(), first)
		}
		clock.Advance(time.Hour)
		second, err := a.Rotate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if second == first || a.ActiveKID() != second {
			t.Fatalf("after Rotate active = %q, new = %q, old = %q", a.ActiveKID(), second, first)
		}
		if err := b.Reload(ctx); err != nil {
			t.Fatal(err)
		}
		if b.ActiveKID() != second {
			t.Errorf("other process after Reload signs with %q, want %q", b.ActiveKID(), second)
		}
		keys, err := s.Q.SigningKeys(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(keys) != 2 || keys[0].KID != first || keys[1].KID != second {
			t.Fatalf("stored keys = %v, want [%s %s]", kids(keys), first, second)
		}
		sameTimePtr(t, "RetiredAt of the old key", keys[0].RetiredAt, ptr(clock.Now()))
		if keys[1].RetiredAt != nil {
			t.Errorf("new key retired at %v", keys[1].RetiredAt)
		}
		if got := published(t, b.JWKS()); !slices.Contains(got, first) || !slices.Contains(got, second) {
			t.Errorf("JWKS publishes %v, want both %s and %s", got, first, second)
		}
	})
}

func kids(keys []token.Key) []string {
	var out []string
	for _, k := range keys {
		out = append(out, k.KID)
	}
	return out
}

func published(t *testing.T, jwks []byte) []string {
	t.Helper()
	var set struct {
		Keys []struct {
			KID string `json:"kid"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(jwks, &set); err != nil {
		t.Fatalf("JWKS %s: %v", jwks, err)
	}
	var out []string
	for _, k := range set.Keys {
		out = append(out, k.KID)
	}
	return out
}
