package factors_test

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"golang.org/x/crypto/bcrypt"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/factors"
	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/passkey"
	"github.com/portalhq/portal/internal/store"
	"github.com/portalhq/portal/internal/testutil/pgtest"
	"github.com/portalhq/portal/internal/user"
)

// Each test runs on both engines: the single-use rules live in SQL.
func engines(t *testing.T, fn func(t *testing.T, f *fixture)) {
	t.Run("sqlite", func(t *testing.T) {
		fn(t, setup(t, "sqlite:"+filepath.Join(t.TempDir(), "portal.db")))
	})
	t.Run("postgres", func(t *testing.T) { fn(t, setup(t, pgtest.URL(t))) })
}

type fixture struct {
	st    *store.Store
	svc   *factors.Service
	clock *clockwork.FakeClock
}

func setup(t *testing.T, url string) *fixture {
	t.Helper()
	st, err := store.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	// On a 30-second boundary, so "adjacent window" means exactly that.
	clock := clockwork.NewFakeClockAt(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	key := make([]byte, 32)
	key[0] = 7
	svc := &factors.Service{Clock: clock, Repo: st.Q, InTx: store.Tx[factors.Repo](st), Key: key, Issuer: func() string { return "Acme" },
		SignIn: user.SignInOptions{Email: true, Factors: []string{"password", "email_code", "passkey"}}, SecondFactors: []string{"totp", "backup_code", "phone_code"}}
	return &fixture{st: st, svc: svc, clock: clock}
}

func (f *fixture) user(t *testing.T, phone bool) *user.User {
	t.Helper()
	now := f.clock.Now()
	u := &user.User{ID: id.New(id.User), CreatedAt: now, UpdatedAt: now, PasswordHash: "x"}
	e := user.Identifier{ID: id.New(id.Identifier), UserID: u.ID, Kind: user.Email, Value: u.ID + "@example.com",
		VerifiedAt: &now, CreatedAt: now, UpdatedAt: now}
	u.PrimaryEmailID, u.Identifiers = e.ID, []user.Identifier{e}
	if phone {
		u.Identifiers = append(u.Identifiers, user.Identifier{ID: id.New(id.Identifier), UserID: u.ID, Kind: user.Phone,
			Value: "+441632960001", VerifiedAt: &now, CreatedAt: now, UpdatedAt: now})
	}
	if err := f.st.Q.CreateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	return f.reload(t, u)
}

func (f *fixture) reload(t *testing.T, u *user.User) *user.User {
	t.Helper()
	got, err := f.st.Q.UserByID(t.Context(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// code computes the RFC 6238 code for secret at, independently of the
// package under test.
func code(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil {
		t.Fatal(err)
	}
	mac := hmac.New(sha1.New, key)
	_ = binary.Write(mac, binary.BigEndian, uint64(at.Unix()/30))
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	return fmt.Sprintf("%06d", (binary.BigEndian.Uint32(sum[off:])&0x7fffffff)%1_000_000)
}

// enrolTOTP sets up and confirms an authenticator app, returning its secret
// and the backup codes shown.
func (f *fixture) enrolTOTP(t *testing.T, u *user.User) (string, []string) {
	t.Helper()
	setup, err := f.svc.BeginTOTP(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	codes, err := f.svc.ConfirmTOTP(t.Context(), u, code(t, setup.Secret, f.clock.Now()))
	if err != nil {
		t.Fatalf("ConfirmTOTP: %v", err)
	}
	return setup.Secret, codes
}

func wantBadCode(t *testing.T, what string, err error) {
	t.Helper()
	if err != factors.ErrBadCode {
		t.Errorf("%s: %v, want ErrBadCode", what, err)
	}
}

func TestTOTPEnrolment(t *testing.T) {
	engines(t, func(t *testing.T, f *fixture) {
		ctx := t.Context()
		u := f.user(t, false)
		setup, err := f.svc.BeginTOTP(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(setup.URL, "otpauth://totp/Acme:") || !strings.Contains(setup.URL, "secret="+setup.Secret) ||
			!strings.HasPrefix(setup.QRSVG, "<svg") {
			t.Errorf("setup %+v", setup)
		}
		// The secret is sealed at rest.
		stored, err := f.st.Q.TOTPOfUser(ctx, u.ID)
		if err != nil || strings.Contains(stored.Secret, setup.Secret) || stored.ConfirmedAt != nil {
			t.Fatalf("stored %+v, %v", stored, err)
		}
		// Shown again while pending, not replaced (the person may be scanning it).
		if again, _ := f.svc.BeginTOTP(ctx, u); again.Secret != setup.Secret {
			t.Error("pending secret replaced")
		}
		// Pending is not a second factor.
		if f.reload(t, u).HasSecondFactor() {
			t.Error("unconfirmed TOTP counts")
		}
		_, err = f.svc.ConfirmTOTP(ctx, u, "000000")
		wantBadCode(t, "wrong confirmation code", err)

		codes, err := f.svc.ConfirmTOTP(ctx, u, code(t, setup.Secret, f.clock.Now()))
		if err != nil {
			t.Fatal(err)
		}
		if len(codes) != 10 {
			t.Errorf("%d backup codes at the first second factor, want 10", len(codes))
		}
		u = f.reload(t, u)
		if !u.TOTP || u.BackupCodes != 10 {
			t.Errorf("after confirm: TOTP %v, %d codes", u.TOTP, u.BackupCodes)
		}
		if _, err := f.svc.BeginTOTP(ctx, u); apperr.CodeOf(err) != apperr.Conflict {
			t.Errorf("BeginTOTP with one confirmed: %v", err)
		}
		evs, err := f.st.Q.EventsOfObject(ctx, u.ID)
		if err != nil || len(evs) == 0 || evs[len(evs)-1].Type != events.UserUpdated {
			t.Fatalf("events: %v %+v", err, evs)
		}
		var obj user.Object
		if err := json.Unmarshal(evs[len(evs)-1].Data, &obj); err != nil || !obj.TOTPEnabled || !obj.TwoFactorEnabled || !obj.BackupCodeEnabled {
			t.Errorf("user.updated says %s (%v)", evs[len(evs)-1].Data, err)
		}

		// Removing the only second factor takes the backup codes with it.
		if err := f.svc.RemoveTOTP(ctx, u); err != nil {
			t.Fatal(err)
		}
		if u = f.reload(t, u); u.TOTP || u.BackupCodes != 0 {
			t.Errorf("after remove: TOTP %v, %d codes", u.TOTP, u.BackupCodes)
		}
	})
}

// A pending secret goes stale: confirming it later fails, and a new one is made.
// The issuer in the otpauth URI (what the authenticator app files the
// account under) is the app's name as it is when the setup page shows it: a
// theme's applicationName changed meanwhile shows in the pending setup too.
func TestTOTPIssuerIsReadAtEachSetup(t *testing.T) {
	engines(t, func(t *testing.T, f *fixture) {
		name := "Acme Rockets"
		f.svc.Issuer = func() string { return name }
		u := f.user(t, false)
		for _, want := range []string{"Acme Rockets", "Smith & Co"} {
			name = want
			setup, err := f.svc.BeginTOTP(t.Context(), u)
			if err != nil {
				t.Fatal(err)
			}
			got, err := url.Parse(setup.URL)
			if err != nil {
				t.Fatal(err)
			}
			if issuer := got.Query().Get("issuer"); issuer != want || !strings.HasPrefix(got.Path, "/"+want+":") {
				t.Errorf("otpauth URI %s: issuer %q, want %q in the issuer and the label", setup.URL, issuer, want)
			}
		}
	})
}

func TestTOTPPendingExpires(t *testing.T) {
	engines(t, func(t *testing.T, f *fixture) {
		u := f.user(t, false)
		setup, _ := f.svc.BeginTOTP(t.Context(), u)
		f.clock.Advance(31 * time.Minute)
		if _, err := f.svc.ConfirmTOTP(t.Context(), u, code(t, setup.Secret, f.clock.Now())); apperr.CodeOf(err) != apperr.NotFound {
			t.Errorf("stale confirmation: %v", err)
		}
		if again, _ := f.svc.BeginTOTP(t.Context(), u); again.Secret == setup.Secret {
			t.Error("stale secret shown again")
		}
	})
}

// TOTP codes with an injected clock: the current window and one either side
// pass, older and newer ones do not, and a code passes once only — also
// against a code of an earlier window once a later one was used.
func TestTOTPWindowsAndReplay(t *testing.T) {
	engines(t, func(t *testing.T, f *fixture) {
		ctx := t.Context()
		u := f.user(t, false)
		secret, _ := f.enrolTOTP(t, u) // spends the current window
		f.clock.Advance(10 * time.Minute)
		now := f.clock.Now()

		for _, tc := range []struct {
			name   string
			offset time.Duration
			ok     bool
		}{
			{"two windows ago", -60 * time.Second, false},
			{"two windows ahead", 60 * time.Second, false},
			{"previous window", -30 * time.Second, true},
			{"previous window again", -30 * time.Second, false},
			{"current window", 0, true},
			{"previous window after the current one", -30 * time.Second, false},
			{"current window again", 0, false},
			{"next window", 30 * time.Second, true},
			{"current window after the next one", 0, false},
		} {
			err := f.svc.VerifyTOTP(ctx, u.ID, code(t, secret, now.Add(tc.offset)))
			if tc.ok && err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			if !tc.ok {
				wantBadCode(t, tc.name, err)
			}
		}
		wantBadCode(t, "not digits", f.svc.VerifyTOTP(ctx, u.ID, "12345a"))
		wantBadCode(t, "no app", f.svc.VerifyTOTP(ctx, f.user(t, false).ID, "123456"))
	})
}

// Two requests with the same TOTP code at once: one passes.
func TestTOTPRace(t *testing.T) {
	engines(t, func(t *testing.T, f *fixture) {
		u := f.user(t, false)
		secret, _ := f.enrolTOTP(t, u)
		f.clock.Advance(time.Minute)
		c := code(t, secret, f.clock.Now())
		if n := raceCount(10, func() error { return f.svc.VerifyTOTP(t.Context(), u.ID, c) }); n != 1 {
			t.Errorf("%d of 10 racing requests passed, want 1", n)
		}
	})
}

// Backup codes: each works once, even when two requests bring it together.
func TestBackupCodesSingleUse(t *testing.T) {
	engines(t, func(t *testing.T, f *fixture) {
		ctx := t.Context()
		u := f.user(t, false)
		_, codes := f.enrolTOTP(t, u)
		if err := f.svc.UseBackupCode(ctx, u.ID, strings.ToUpper(codes[0])); err != nil {
			t.Fatalf("first use: %v", err)
		}
		wantBadCode(t, "second use", f.svc.UseBackupCode(ctx, u.ID, codes[0]))
		wantBadCode(t, "made up", f.svc.UseBackupCode(ctx, u.ID, "abcde-fghjk"))
		if n := raceCount(8, func() error { return f.svc.UseBackupCode(ctx, u.ID, codes[1]) }); n != 1 {
			t.Errorf("%d of 8 racing uses passed, want 1", n)
		}
		if got := f.reload(t, u).BackupCodes; got != 8 {
			t.Errorf("%d unused, want 8", got)
		}
		// Regenerating replaces them all.
		fresh, err := f.svc.RegenerateBackupCodes(ctx, f.reload(t, u), "")
		if err != nil || len(fresh) != 10 {
			t.Fatalf("regenerate: %d, %v", len(fresh), err)
		}
		wantBadCode(t, "old code after regenerating", f.svc.UseBackupCode(ctx, u.ID, codes[2]))
		if err := f.svc.UseBackupCode(ctx, u.ID, fresh[2]); err != nil {
			t.Errorf("new code: %v", err)
		}
	})
}

// REQ-OTP-06: text-message codes go only to a number verified before; the
// first second factor brings backup codes, a second one does not replace
// them, and removing one keeps them while another remains.
func TestPhoneAndBackupCodeRules(t *testing.T) {
	engines(t, func(t *testing.T, f *fixture) {
		ctx := t.Context()
		if _, err := f.svc.EnablePhone(ctx, f.user(t, false)); apperr.CodeOf(err) != apperr.Invalid {
			t.Errorf("no phone: %v", err)
		}
		u := f.user(t, true)
		if _, err := f.svc.RegenerateBackupCodes(ctx, u, ""); apperr.CodeOf(err) != apperr.Invalid {
			t.Errorf("backup codes without a second factor: %v", err)
		}
		codes, err := f.svc.EnablePhone(ctx, u)
		if err != nil || len(codes) != 10 {
			t.Fatalf("EnablePhone: %d codes, %v", len(codes), err)
		}
		u = f.reload(t, u)
		if u.SecondFactorPhone != "+441632960001" {
			t.Errorf("SecondFactorPhone = %q", u.SecondFactorPhone)
		}
		if _, more := f.enrolTOTP(t, u); more != nil {
			t.Error("a second factor after the first issued new backup codes")
		}
		if err := f.svc.DisablePhone(ctx, f.reload(t, u)); err != nil {
			t.Fatal(err)
		}
		if u = f.reload(t, u); u.BackupCodes != 10 || !u.TOTP {
			t.Errorf("after disabling the phone: %d codes, TOTP %v", u.BackupCodes, u.TOTP)
		}
		// With MFA required, the last second factor stays.
		f.svc.RequireMFA = true
		if err := f.svc.RemoveTOTP(ctx, u); apperr.CodeOf(err) != apperr.Invalid {
			t.Errorf("removing the last factor with MFA required: %v", err)
		}
	})
}

// A passkey is a way in like any other (user.CanSignIn): the last one
// stays while nothing else would let the person sign in (REQ-WA-10).
func TestRemovePasskeyKeepsAWayIn(t *testing.T) {
	engines(t, func(t *testing.T, f *fixture) {
		ctx := t.Context()
		f.svc.SignIn = user.SignInOptions{Email: true, Factors: []string{"passkey"}} // the password and email don't count
		u := f.user(t, false)
		for _, b := range []byte{1, 2} {
			if err := f.st.Q.InsertCredential(ctx, passkey.Credential{ID: []byte{b, 9, 9}, UserID: u.ID, Name: "key",
				PublicKey: []byte{1}, CreatedAt: f.clock.Now()}); err != nil {
				t.Fatal(err)
			}
		}
		if err := f.svc.RemovePasskey(ctx, u.ID, []byte{7, 7, 7}); apperr.CodeOf(err) != apperr.NotFound {
			t.Errorf("someone else's or no passkey: %v", err)
		}
		if err := f.svc.RemovePasskey(ctx, u.ID, []byte{1, 9, 9}); err != nil {
			t.Fatalf("one of two: %v", err)
		}
		if err := f.svc.RemovePasskey(ctx, u.ID, []byte{2, 9, 9}); apperr.CodeOf(err) != apperr.Invalid {
			t.Errorf("the last way in: %v", err)
		}
		if got := f.reload(t, u).Passkeys; got != 1 {
			t.Errorf("passkeys after a refused removal = %d, want 1", got)
		}
		f.svc.SignIn.Factors = append(f.svc.SignIn.Factors, "password")
		if err := f.svc.RemovePasskey(ctx, u.ID, []byte{2, 9, 9}); err != nil {
			t.Errorf("with a password left: %v", err)
		}
	})
}

// raceCount runs fn from n goroutines released together and counts the nil
// results; an error that is not ErrBadCode fails through the count.
func raceCount(n int, fn func() error) int {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		ok    int
		start = make(chan struct{})
	)
	for range n {
		wg.Go(func() {
			<-start
			if err := fn(); err == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			}
		})
	}
	close(start)
	wg.Wait()
	return ok
}

// countUpdated counts the user.updated events about userID.
func (f *fixture) countUpdated(t *testing.T, userID string) int {
	t.Helper()
	evs, err := f.st.Q.EventsOfObject(t.Context(), userID)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range evs {
		if e.Type == events.UserUpdated {
			n++
		}
	}
	return n
}

// The operator's reset (the Backend API's DELETE …/mfa, …/totp,
// …/backup_code) takes what it names, even the last second factor where
// one is required; backup codes still go with the last second factor; one
// user.updated when something went, none when nothing did.
func TestResetByTheOperator(t *testing.T) {
	engines(t, func(t *testing.T, f *fixture) {
		ctx := t.Context()
		f.svc.RequireMFA = true
		u := f.user(t, true)
		if _, err := f.svc.EnablePhone(ctx, u); err != nil {
			t.Fatal(err)
		}
		f.enrolTOTP(t, f.reload(t, u))
		before := f.countUpdated(t, u.ID)

		// Backup codes alone: the second factors stay.
		if err := f.svc.Reset(ctx, u.ID, factors.BackupCodeFactor); err != nil {
			t.Fatal(err)
		}
		got := f.reload(t, u)
		if got.BackupCodes != 0 || !got.TOTP || got.SecondFactorPhone == "" {
			t.Errorf("after resetting backup codes: %d codes, TOTP %v, phone %q", got.BackupCodes, got.TOTP, got.SecondFactorPhone)
		}
		if n := f.countUpdated(t, u.ID) - before; n != 1 {
			t.Errorf("%d user.updated for the backup codes, want 1", n)
		}
		if err := f.svc.Reset(ctx, u.ID, factors.BackupCodeFactor); err != nil {
			t.Fatal(err)
		}
		if n := f.countUpdated(t, u.ID) - before; n != 1 {
			t.Errorf("resetting nothing wrote an event (%d in all)", n)
		}

		// The app while the phone stays: codes made again stay too.
		if _, err := f.svc.RegenerateBackupCodes(ctx, f.reload(t, u), ""); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.Reset(ctx, u.ID, factors.TOTPFactor); err != nil {
			t.Fatal(err)
		}
		if got = f.reload(t, u); got.TOTP || got.SecondFactorPhone == "" || got.BackupCodes != 10 {
			t.Errorf("after resetting the app: TOTP %v, phone %q, %d codes", got.TOTP, got.SecondFactorPhone, got.BackupCodes)
		}
		// The phone, the last second factor, with MFA required: the backup
		// codes go with it; the number stays on the account.
		if err := f.svc.Reset(ctx, u.ID, factors.PhoneFactor); err != nil {
			t.Fatalf("the last second factor with MFA required: %v", err)
		}
		if got = f.reload(t, u); got.HasSecondFactor() || got.BackupCodes != 0 || got.PrimaryPhone() != "+441632960001" {
			t.Errorf("after resetting the phone: second factor %v, %d codes, phone %q", got.HasSecondFactor(), got.BackupCodes, got.PrimaryPhone())
		}

		// Everything at once, from a user with all of it.
		v := f.user(t, false)
		f.enrolTOTP(t, v)
		if err := f.svc.Reset(ctx, v.ID, factors.TOTPFactor, factors.PhoneFactor, factors.BackupCodeFactor); err != nil {
			t.Fatal(err)
		}
		if got = f.reload(t, v); got.TOTP || got.BackupCodes != 0 {
			t.Errorf("after resetting everything: TOTP %v, %d codes", got.TOTP, got.BackupCodes)
		}
		if _, err := f.st.Q.TOTPOfUser(ctx, v.ID); err == nil {
			t.Error("the app's secret was kept")
		}

		if err := f.svc.Reset(ctx, "user_missing", factors.TOTPFactor); err != user.ErrNoUser {
			t.Errorf("an unknown user: %v, want user.ErrNoUser", err)
		}
	})
}

// VerifyCode (the Backend API's verify_totp) checks a code as sign-in's
// second step does, telling an app's code from a backup code by its shape:
// an app code once, shared with sign-in's replay guard, a backup code
// spent; whatever is wrong is ErrIncorrectCode, naming what it was
// checked as (six digits as the app's code, anything else as a backup
// code). Only the factors sign-in would offer are checked (REQ-OTP-03).
// Six digits the app refuses may be an imported backup code.
func TestVerifyCode(t *testing.T) {
	engines(t, func(t *testing.T, f *fixture) {
		ctx := t.Context()
		check := func(what string, u *user.User, code, wantFactor string, wantErr error) {
			t.Helper()
			got, err := f.svc.VerifyCode(ctx, f.reload(t, u), code)
			if got != wantFactor || err != wantErr {
				t.Errorf("%s: %q, %v; want %q, %v", what, got, err, wantFactor, wantErr)
			}
		}
		bare := f.user(t, false)
		if f.svc.CodeCheckable(bare) {
			t.Error("a user without a second factor has codes to check")
		}

		u := f.user(t, false)
		secret, backup := f.enrolTOTP(t, u)
		if !f.svc.CodeCheckable(f.reload(t, u)) {
			t.Fatal("an enrolled user has nothing to check")
		}
		check("the code that confirmed the app", u, code(t, secret, f.clock.Now()), factors.TOTPFactor, factors.ErrIncorrectCode)
		f.clock.Advance(time.Minute)
		now := code(t, secret, f.clock.Now())
		check("the app's code", u, now, factors.TOTPFactor, nil)
		check("the same code again", u, now, factors.TOTPFactor, factors.ErrIncorrectCode)
		f.clock.Advance(time.Minute)
		if err := f.svc.VerifyTOTP(ctx, u.ID, code(t, secret, f.clock.Now())); err != nil {
			t.Fatalf("sign-in's check: %v", err)
		}
		check("a code sign-in used", u, code(t, secret, f.clock.Now()), factors.TOTPFactor, factors.ErrIncorrectCode)
		check("letters", u, "12a456", factors.BackupCodeFactor, factors.ErrIncorrectCode)
		check("a backup code, typed loosely", u, " "+strings.ToUpper(backup[0])+" ", factors.BackupCodeFactor, nil)
		check("the same backup code again", u, backup[0], factors.BackupCodeFactor, factors.ErrIncorrectCode)
		if err := f.svc.UseBackupCode(ctx, u.ID, backup[1]); err != nil {
			t.Fatal(err)
		}
		check("a backup code sign-in used", u, backup[1], factors.BackupCodeFactor, factors.ErrIncorrectCode)
		check("a made-up backup code", u, "abcde-fghjk", factors.BackupCodeFactor, factors.ErrIncorrectCode)
		if got := f.reload(t, u).BackupCodes; got != 8 {
			t.Errorf("%d backup codes left, want 8", got)
		}

		// Text-message codes and backup codes: six digits are no backup
		// code, and there is no app to check them against.
		p := f.user(t, true)
		codes, err := f.svc.EnablePhone(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		check("six digits without an app", p, "123456", factors.TOTPFactor, factors.ErrIncorrectCode)
		check("a backup code without an app", p, codes[0], factors.BackupCodeFactor, nil)

		// Imported backup codes: six digits, when the app refuses them, and
		// a bcrypt digest; each once.
		w := f.user(t, false)
		digest, err := bcrypt.GenerateFromPassword([]byte("zyxw-4321"), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		im, err := f.svc.Import(w, ptr("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"), []string{"654321", string(digest)}, f.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if err := im.Save(ctx, f.st.Q); err != nil {
			t.Fatal(err)
		}
		check("an imported app's code", w, code(t, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", f.clock.Now()), factors.TOTPFactor, nil)
		check("an imported six-digit backup code", w, "654321", factors.BackupCodeFactor, nil)
		check("the same again", w, "654321", factors.TOTPFactor, factors.ErrIncorrectCode)
		check("an imported bcrypt backup code", w, " zyxw-4321 ", factors.BackupCodeFactor, nil)
		check("the same again", w, "zyxw-4321", factors.BackupCodeFactor, factors.ErrIncorrectCode)

		// A factor the instance no longer offers is not checked.
		f.svc.SecondFactors = []string{"phone_code"}
		if f.svc.CodeCheckable(f.reload(t, u)) {
			t.Error("factors the instance turned off are checkable")
		}
		check("a backup code the instance turned off", u, backup[2], factors.BackupCodeFactor, factors.ErrIncorrectCode)
		if got := f.reload(t, u).BackupCodes; got != 8 {
			t.Errorf("a refused backup code was spent: %d left", got)
		}
	})
}

func ptr[T any](v T) *T { return &v }

// An imported secret replaces the user's app, one set up here or a setup
// under way (whose page then answers that the app is on), and imported
// codes the user's backup codes; what is not given stays. Backup codes
// alone need a second factor the user has: an app, or text-message codes.
func TestImportReplaces(t *testing.T) {
	engines(t, func(t *testing.T, f *fixture) {
		ctx := t.Context()
		const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
		importInto := func(u *user.User, secret *string, codes ...string) error {
			t.Helper()
			im, err := f.svc.Import(f.reload(t, u), secret, codes, f.clock.Now())
			if err != nil {
				return err
			}
			return im.Save(ctx, f.st.Q)
		}

		own := f.user(t, false)
		old, issued := f.enrolTOTP(t, own)
		f.clock.Advance(30 * time.Second)
		if err := importInto(own, ptr(secret)); err != nil {
			t.Fatal(err)
		}
		wantBadCode(t, "the replaced app's code", f.svc.VerifyTOTP(ctx, own.ID, code(t, old, f.clock.Now())))
		if err := f.svc.VerifyTOTP(ctx, own.ID, code(t, secret, f.clock.Now())); err != nil {
			t.Errorf("the imported app's code: %v", err)
		}
		if err := f.svc.UseBackupCode(ctx, own.ID, issued[0]); err != nil {
			t.Errorf("a backup code issued before, no codes imported: %v", err)
		}
		if err := importInto(own, nil, "abcd-1234"); err != nil {
			t.Fatalf("codes alone beside an app: %v", err)
		}
		wantBadCode(t, "a replaced backup code", f.svc.UseBackupCode(ctx, own.ID, issued[1]))
		if got := f.reload(t, own); !got.TOTP || got.BackupCodes != 1 {
			t.Errorf("after the imports: app %v, %d codes; want the app and 1", got.TOTP, got.BackupCodes)
		}

		pending := f.user(t, false)
		if _, err := f.svc.BeginTOTP(ctx, pending); err != nil {
			t.Fatal(err)
		}
		if err := importInto(pending, ptr(secret)); err != nil {
			t.Fatalf("over a setup under way: %v", err)
		}
		if _, err := f.svc.ConfirmTOTP(ctx, pending, code(t, secret, f.clock.Now())); err != factors.ErrTOTPExists {
			t.Errorf("confirming the setup under way: %v, want ErrTOTPExists", err)
		}
		if !f.reload(t, pending).TOTP {
			t.Error("the imported app is not on")
		}

		texted := f.user(t, true)
		if e, ok := apperr.As(importInto(texted, nil, "abcd-1234")); !ok || e.Field != "totp_secret" {
			t.Errorf("codes alone without a second factor: %v, want totp_secret asked for", e)
		}
		if _, err := f.svc.EnablePhone(ctx, f.reload(t, texted)); err != nil {
			t.Fatal(err)
		}
		if err := importInto(texted, nil, "abcd-1234"); err != nil {
			t.Errorf("codes alone beside text-message codes: %v", err)
		}
		if got := f.reload(t, texted); got.TOTP || got.BackupCodes != 1 {
			t.Errorf("after importing codes: app %v, %d codes; want no app and 1", got.TOTP, got.BackupCodes)
		}
	})
}
