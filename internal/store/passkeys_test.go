package store_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/passkey"
	"github.com/portalhq/portal/internal/store"
	"github.com/portalhq/portal/internal/user"
)

func newCredential(userID string, idByte byte, created time.Time) passkey.Credential {
	return passkey.Credential{ID: []byte{idByte, 0, 0xff, 1}, UserID: userID, Name: "Chrome on Linux",
		PublicKey: []byte{0xa5, 1, 2}, AttestationType: "none", AAGUID: make([]byte, 16), SignCount: 7,
		BackupEligible: true, BackupState: false, Transports: []string{"internal", "hybrid"}, CreatedAt: created}
}

func testPasskeys(t *testing.T, open func(t *testing.T) *store.Store) {
	t.Run("REQ-WA-02 TakeChallenge returns the challenge once", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		c := passkey.Challenge{ID: id.New("pkc"), FlowID: "client_1", Kind: passkey.KindLogin,
			Data: []byte(`{"challenge":"abc"}`), ExpiresAt: at(5 * time.Minute)}
		if err := s.Q.SaveChallenge(ctx, c); err != nil {
			t.Fatal(err)
		}
		got, err := s.Q.TakeChallenge(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != c.ID || got.FlowID != c.FlowID || got.UserID != "" || got.Kind != c.Kind || !bytes.Equal(got.Data, c.Data) {
			t.Errorf("TakeChallenge = %+v, want %+v", got, c)
		}
		sameTime(t, "ExpiresAt", got.ExpiresAt, c.ExpiresAt)
		if _, err := s.Q.TakeChallenge(ctx, c.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("second TakeChallenge: %v, want ErrNotFound", err)
		}
	})

	t.Run("REQ-WA-02 one of 10 racing TakeChallenge gets it", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		c := passkey.Challenge{ID: id.New("pkc"), UserID: "user_1", Kind: passkey.KindRegister, Data: []byte("{}"), ExpiresAt: at(time.Minute)}
		if err := s.Q.SaveChallenge(ctx, c); err != nil {
			t.Fatal(err)
		}
		rs := race(t, s, 10, func(int) result {
			_, err := s.Q.TakeChallenge(ctx, c.ID)
			if errors.Is(err, store.ErrNotFound) {
				return result{}
			}
			return result{err == nil, err}
		})
		if n := countOK(t, rs); n != 1 {
			t.Errorf("%d takes succeeded, want 1", n)
		}
	})

	t.Run("expired challenges are deleted", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		for i, exp := range []time.Time{at(-time.Minute), at(time.Minute)} {
			c := passkey.Challenge{ID: "pkc_" + string(rune('a'+i)), Kind: passkey.KindLogin, Data: []byte("{}"), ExpiresAt: exp}
			if err := s.Q.SaveChallenge(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		if n, err := s.Q.DeleteExpiredPasskeyChallenges(ctx, base); err != nil || n != 1 {
			t.Fatalf("DeleteExpiredPasskeyChallenges = %d, %v; want 1", n, err)
		}
		if _, err := s.Q.TakeChallenge(ctx, "pkc_b"); err != nil {
			t.Errorf("live challenge: %v", err)
		}
	})

	t.Run("credential round trip, list, user's count", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		u := createUser(t, s, "ada@example.com")
		second := newCredential(u.ID, 2, at(time.Hour))
		second.LastUsedAt, second.Transports, second.AAGUID = ptr(at(2*time.Hour)), nil, nil
		first := newCredential(u.ID, 1, base)
		for _, c := range []passkey.Credential{second, first} {
			if err := s.Q.InsertCredential(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.Q.CredentialByID(ctx, first.ID)
		if err != nil {
			t.Fatal(err)
		}
		sameCredential(t, got, &first)
		list, err := s.Q.CredentialsOfUser(ctx, u.ID)
		if err != nil || len(list) != 2 {
			t.Fatalf("CredentialsOfUser = %d, %v", len(list), err)
		}
		sameCredential(t, &list[0], &first)
		sameCredential(t, &list[1], &second)
		if _, err := s.Q.CredentialByID(ctx, []byte{9}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown ID: %v", err)
		}
		owner, _ := s.Q.UserByID(ctx, u.ID)
		if owner.Passkeys != 2 {
			t.Errorf("user.Passkeys = %d, want 2", owner.Passkeys)
		}
		// The user object lists them by name, as Clerk's does.
		if len(owner.PasskeyList) != 2 || owner.PasskeyList[0].Name != "Chrome on Linux" || owner.PasskeyList[0].ID == "" {
			t.Errorf("user.PasskeyList = %+v, want both passkeys with names and IDs", owner.PasskeyList)
		}
		if obj := owner.ToObject(base, user.Abilities{}); len(obj.Passkeys) != 2 {
			t.Errorf("user object lists %d passkeys, want 2", len(obj.Passkeys))
		}
	})

	t.Run("REQ-WA-07 a credential ID registered twice is ErrConflict", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		a, b := createUser(t, s, "a@example.com"), createUser(t, s, "b@example.com")
		if err := s.Q.InsertCredential(ctx, newCredential(a.ID, 1, base)); err != nil {
			t.Fatal(err)
		}
		for _, owner := range []string{a.ID, b.ID} {
			if err := s.Q.InsertCredential(ctx, newCredential(owner, 1, base)); !errors.Is(err, store.ErrConflict) {
				t.Errorf("second insert for %s: %v, want ErrConflict", owner, err)
			}
		}
	})

	t.Run("REQ-WA-09 the counter only moves forwards", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		u := createUser(t, s, "ada@example.com")
		c := newCredential(u.ID, 1, base) // counter 7
		zero := newCredential(u.ID, 2, base)
		zero.SignCount = 0
		for _, x := range []passkey.Credential{c, zero} {
			if err := s.Q.InsertCredential(ctx, x); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Q.UpdateCredentialUse(ctx, c.ID, 8, true, at(time.Minute)); err != nil {
			t.Fatalf("8 after 7: %v", err)
		}
		for _, n := range []uint32{8, 3, 0} {
			if err := s.Q.UpdateCredentialUse(ctx, c.ID, n, false, at(time.Hour)); !errors.Is(err, store.ErrConflict) {
				t.Errorf("%d after 8: %v, want ErrConflict", n, err)
			}
		}
		got, _ := s.Q.CredentialByID(ctx, c.ID)
		if got.SignCount != 8 || !got.BackupState {
			t.Errorf("stored %d/%v, want 8/true", got.SignCount, got.BackupState)
		}
		sameTimePtr(t, "LastUsedAt", got.LastUsedAt, ptr(at(time.Minute)))
		// Synced passkeys report zero every time.
		for range 2 {
			if err := s.Q.UpdateCredentialUse(ctx, zero.ID, 0, true, at(time.Minute)); err != nil {
				t.Errorf("zero after zero: %v", err)
			}
		}
		if err := s.Q.UpdateCredentialUse(ctx, []byte{9}, 1, false, base); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown credential: %v, want ErrNotFound", err)
		}
		// Upper end of the 32-bit counter survives the round trip.
		if err := s.Q.UpdateCredentialUse(ctx, c.ID, 0xffffffff, false, base); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Q.CredentialByID(ctx, c.ID); got.SignCount != 0xffffffff {
			t.Errorf("counter %d", got.SignCount)
		}
	})

	t.Run("REQ-WA-09 one of 10 racing updates with one counter value wins", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		u := createUser(t, s, "ada@example.com")
		c := newCredential(u.ID, 1, base)
		if err := s.Q.InsertCredential(ctx, c); err != nil {
			t.Fatal(err)
		}
		rs := race(t, s, 10, func(int) result {
			err := s.Q.UpdateCredentialUse(ctx, c.ID, 8, false, at(time.Minute))
			if errors.Is(err, store.ErrConflict) {
				return result{}
			}
			return result{err == nil, err}
		})
		if n := countOK(t, rs); n != 1 {
			t.Errorf("%d updates succeeded, want 1", n)
		}
	})

	t.Run("REQ-AC-02 rename and delete touch only the owner's passkey", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		a, b := createUser(t, s, "a@example.com"), createUser(t, s, "b@example.com")
		c := newCredential(a.ID, 1, base)
		if err := s.Q.InsertCredential(ctx, c); err != nil {
			t.Fatal(err)
		}
		if err := s.Q.RenameCredential(ctx, b.ID, c.ID, "Mine"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("rename by another user: %v", err)
		}
		if err := s.Q.DeleteCredential(ctx, b.ID, c.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("delete by another user: %v", err)
		}
		if err := s.Q.RenameCredential(ctx, a.ID, c.ID, "Work laptop"); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Q.CredentialByID(ctx, c.ID); got.Name != "Work laptop" {
			t.Errorf("name %q", got.Name)
		}
		if err := s.Q.DeleteCredential(ctx, a.ID, c.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.Q.DeleteCredential(ctx, a.ID, c.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("second delete: %v", err)
		}
	})
}

func sameCredential(t *testing.T, got, want *passkey.Credential) {
	t.Helper()
	if !bytes.Equal(got.ID, want.ID) || got.UserID != want.UserID || got.Name != want.Name ||
		!bytes.Equal(got.PublicKey, want.PublicKey) || got.AttestationType != want.AttestationType ||
		!bytes.Equal(got.AAGUID, want.AAGUID) || got.SignCount != want.SignCount ||
		got.BackupEligible != want.BackupEligible || got.BackupState != want.BackupState ||
		len(got.Transports) != len(want.Transports) {
		t.Errorf("credential = %+v\nwant %+v", got, want)
	}
	for i := range want.Transports {
		if got.Transports[i] != want.Transports[i] {
			t.Errorf("transports = %v, want %v", got.Transports, want.Transports)
		}
	}
	sameTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
	sameTimePtr(t, "LastUsedAt", got.LastUsedAt, want.LastUsedAt)
}
