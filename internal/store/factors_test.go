package store_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/factors"
	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/store"
	"github.com/portalhq/portal/internal/user"
)

func testFactors(t *testing.T, open func(t *testing.T) *store.Store) {
	t.Run("TOTP pending, replaced, confirmed, then kept", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		u := createUser(t, s, "ada@example.com")
		if _, err := s.Q.TOTPOfUser(ctx, u.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("TOTPOfUser with none: %v", err)
		}
		for i, secret := range []string{"sealed-1", "sealed-2"} {
			if err := s.Q.SaveTOTP(ctx, factors.TOTP{UserID: u.ID, Secret: secret, CreatedAt: at(time.Duration(i) * time.Minute)}); err != nil {
				t.Fatalf("SaveTOTP %s: %v", secret, err)
			}
		}
		got, err := s.Q.TOTPOfUser(ctx, u.ID)
		if err != nil || got.Secret != "sealed-2" || got.ConfirmedAt != nil || got.LastUsedStep != 0 {
			t.Fatalf("pending = %+v, %v", got, err)
		}
		sameTime(t, "CreatedAt", got.CreatedAt, at(time.Minute))
		if ok, err := s.Q.ConfirmTOTP(ctx, u.ID, 100, at(2*time.Minute)); !ok || err != nil {
			t.Fatalf("ConfirmTOTP = %v, %v", ok, err)
		}
		if ok, err := s.Q.ConfirmTOTP(ctx, u.ID, 101, at(2*time.Minute)); ok || err != nil {
			t.Errorf("second ConfirmTOTP = %v, %v; want false", ok, err)
		}
		if err := s.Q.SaveTOTP(ctx, factors.TOTP{UserID: u.ID, Secret: "sealed-3", CreatedAt: base}); !errors.Is(err, store.ErrConflict) {
			t.Errorf("SaveTOTP over a confirmed secret: %v, want ErrConflict", err)
		}
		got, _ = s.Q.TOTPOfUser(ctx, u.ID)
		if got.Secret != "sealed-2" || got.LastUsedStep != 100 {
			t.Errorf("confirmed = %+v", got)
		}
		sameTimePtr(t, "ConfirmedAt", got.ConfirmedAt, ptr(at(2*time.Minute)))
		if lu, _ := s.Q.UserByID(ctx, u.ID); !lu.TOTP || !lu.HasSecondFactor() {
			t.Error("user.TOTP not loaded")
		}
		if err := s.Q.DeleteTOTP(ctx, u.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.Q.DeleteTOTP(ctx, u.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("second DeleteTOTP: %v", err)
		}
	})

	t.Run("TOTP inserted confirmed, as an import stores it, once", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		u := createUser(t, s, "ada@example.com")
		imported := factors.TOTP{UserID: u.ID, Secret: "sealed-imported", ConfirmedAt: ptr(at(time.Minute)), CreatedAt: at(time.Minute)}
		if err := s.Q.InsertTOTP(ctx, imported); err != nil {
			t.Fatalf("InsertTOTP: %v", err)
		}
		got, err := s.Q.TOTPOfUser(ctx, u.ID)
		if err != nil || got.Secret != "sealed-imported" || got.LastUsedStep != 0 {
			t.Fatalf("inserted = %+v, %v", got, err)
		}
		sameTimePtr(t, "ConfirmedAt", got.ConfirmedAt, ptr(at(time.Minute)))
		sameTime(t, "CreatedAt", got.CreatedAt, at(time.Minute))
		if lu, _ := s.Q.UserByID(ctx, u.ID); !lu.TOTP {
			t.Error("an inserted confirmed secret does not count as the user's app")
		}
		// Its first code, of any step, is accepted once.
		if ok, err := s.Q.UseTOTPStep(ctx, u.ID, 1); !ok || err != nil {
			t.Errorf("UseTOTPStep after InsertTOTP = %v, %v", ok, err)
		}
		if err := s.Q.InsertTOTP(ctx, factors.TOTP{UserID: u.ID, Secret: "other", CreatedAt: base}); !errors.Is(err, store.ErrConflict) {
			t.Errorf("InsertTOTP over a secret: %v, want ErrConflict", err)
		}
		if got, _ := s.Q.TOTPOfUser(ctx, u.ID); got.Secret != "sealed-imported" {
			t.Errorf("secret after the refused insert: %q", got.Secret)
		}
	})

	t.Run("TOTP steps move forwards only, one of 10 racing wins", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		u := createUser(t, s, "ada@example.com")
		if ok, _ := s.Q.UseTOTPStep(ctx, u.ID, 5); ok {
			t.Error("step used without a secret")
		}
		if err := s.Q.SaveTOTP(ctx, factors.TOTP{UserID: u.ID, Secret: "x", CreatedAt: base}); err != nil {
			t.Fatal(err)
		}
		if ok, _ := s.Q.UseTOTPStep(ctx, u.ID, 5); ok {
			t.Error("step used on an unconfirmed secret")
		}
		if ok, err := s.Q.ConfirmTOTP(ctx, u.ID, 10, base); !ok || err != nil {
			t.Fatal(ok, err)
		}
		for step, want := range map[int64]bool{10: false, 9: false} {
			if ok, err := s.Q.UseTOTPStep(ctx, u.ID, step); ok != want || err != nil {
				t.Errorf("UseTOTPStep(%d) = %v, %v; want %v", step, ok, err, want)
			}
		}
		rs := race(t, s, 10, func(int) result {
			ok, err := s.Q.UseTOTPStep(ctx, u.ID, 11)
			return result{ok, err}
		})
		if n := countOK(t, rs); n != 1 {
			t.Errorf("%d racing uses of step 11 succeeded, want 1", n)
		}
	})

	t.Run("backup codes replaced, listed, used once; 10 racing uses, one wins", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		u, other := createUser(t, s, "ada@example.com"), createUser(t, s, "bob@example.com")
		codes := func(owner string, n int) []factors.BackupCode {
			var out []factors.BackupCode
			for i := range n {
				out = append(out, factors.BackupCode{ID: id.New("bkc"), UserID: owner, Hash: fmt.Sprintf("h%d", i), CreatedAt: at(time.Duration(i) * time.Second)})
			}
			return out
		}
		if err := s.Q.ReplaceBackupCodes(ctx, other.ID, codes(other.ID, 2)); err != nil {
			t.Fatal(err)
		}
		if err := s.Q.ReplaceBackupCodes(ctx, u.ID, codes(u.ID, 3)); err != nil {
			t.Fatal(err)
		}
		fresh := codes(u.ID, 10)
		if err := s.Q.ReplaceBackupCodes(ctx, u.ID, fresh); err != nil {
			t.Fatal(err)
		}
		list, err := s.Q.UnusedBackupCodes(ctx, u.ID)
		if err != nil || len(list) != 10 || list[0].ID != fresh[0].ID || list[0].Hash != "h0" || list[0].UserID != u.ID {
			t.Fatalf("UnusedBackupCodes = %+v, %v", list, err)
		}
		rs := race(t, s, 10, func(int) result {
			ok, err := s.Q.UseBackupCode(ctx, fresh[3].ID, at(time.Hour))
			return result{ok, err}
		})
		if n := countOK(t, rs); n != 1 {
			t.Errorf("%d racing uses succeeded, want 1", n)
		}
		if list, _ := s.Q.UnusedBackupCodes(ctx, u.ID); len(list) != 9 {
			t.Errorf("%d unused after one use, want 9", len(list))
		}
		if lu, _ := s.Q.UserByID(ctx, u.ID); lu.BackupCodes != 9 {
			t.Errorf("user.BackupCodes = %d", lu.BackupCodes)
		}
		if err := s.Q.DeleteBackupCodes(ctx, u.ID); err != nil {
			t.Fatal(err)
		}
		if list, _ := s.Q.UnusedBackupCodes(ctx, other.ID); len(list) != 2 {
			t.Errorf("another user's codes: %d, want 2", len(list))
		}
	})

	t.Run("REQ-OTP-06 second-factor phone is one of the user's verified numbers", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		u, other := newUser("ada@example.com"), newUser("bob@example.com")
		phone := user.Identifier{ID: id.New(id.Identifier), UserID: u.ID, Kind: user.Phone, Value: "+441632960001",
			VerifiedAt: ptr(base), CreatedAt: base, UpdatedAt: base}
		u.Identifiers = append(u.Identifiers, phone)
		for _, x := range []*user.User{u, other} {
			if err := s.Q.CreateUser(ctx, x); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Q.SetSecondFactorPhone(ctx, other.ID, phone.ID, base); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("another user's number: %v, want ErrNotFound", err)
		}
		for range 2 { // setting it again replaces
			if err := s.Q.SetSecondFactorPhone(ctx, u.ID, phone.ID, base); err != nil {
				t.Fatal(err)
			}
		}
		if lu, _ := s.Q.UserByID(ctx, u.ID); lu.SecondFactorPhone != "+441632960001" || !lu.HasSecondFactor() {
			t.Errorf("SecondFactorPhone = %q", lu.SecondFactorPhone)
		}
		if lo, _ := s.Q.UserByID(ctx, other.ID); lo.SecondFactorPhone != "" || lo.HasSecondFactor() {
			t.Error("other user has a second factor")
		}
		if err := s.Q.DeleteSecondFactorPhone(ctx, u.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.Q.DeleteSecondFactorPhone(ctx, u.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("second delete: %v", err)
		}
	})
}

// A reverification records reverified_at and moves the session's factor
// times for the factor used (REQ-SES-06); an ended session is not changed.
func testSessionFactors(t *testing.T, open func(t *testing.T) *store.Store) {
	s, ctx := open(t), t.Context()
	sess := storeSession(t, s, createClient(t, s), base)
	if err := s.Q.MarkReverified(ctx, sess.ID, at(time.Minute), false, true); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Q.SessionByID(ctx, sess.ID)
	sameTime(t, "FirstFactorAt", got.FirstFactorAt, sess.FirstFactorAt)
	sameTimePtr(t, "SecondFactorAt", got.SecondFactorAt, ptr(at(time.Minute)))
	sameTimePtr(t, "ReverifiedAt", got.ReverifiedAt, ptr(at(time.Minute)))
	if err := s.Q.MarkReverified(ctx, sess.ID, at(time.Hour), true, false); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Q.SessionByID(ctx, sess.ID)
	sameTime(t, "FirstFactorAt", got.FirstFactorAt, at(time.Hour))
	sameTimePtr(t, "SecondFactorAt", got.SecondFactorAt, ptr(at(time.Minute)))
	sameTimePtr(t, "ReverifiedAt", got.ReverifiedAt, ptr(at(time.Hour)))
	if _, err := s.Q.EndSession(ctx, sess.ID, "ended", at(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.Q.MarkReverified(ctx, sess.ID, at(2*time.Hour), true, true); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ended session: %v, want ErrNotFound", err)
	}
}
