package store_test

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/admin"
	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/store"
	"github.com/portalhq/portal/internal/user"
)

func testUsers(t *testing.T, open func(t *testing.T) *store.Store) {
	t.Run("UserStanding reads the ban and the lock, and ErrNotFound for a gone user", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		free, banned, locked := newUser("free@example.com"), newUser("banned@example.com"), newUser("locked@example.com")
		banned.Banned, locked.AdminLocked = true, true
		for _, u := range []*user.User{free, banned, locked} {
			if err := s.Q.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
		}
		for _, tt := range []struct {
			u    *user.User
			want user.Standing
		}{{free, user.Standing{}}, {banned, user.Standing{Banned: true}}, {locked, user.Standing{AdminLocked: true}}} {
			if st, err := s.Q.UserStanding(ctx, tt.u.ID); err != nil || st != tt.want || st.Allowed() != (tt.want == user.Standing{}) {
				t.Errorf("%s: standing=%+v err=%v, want %+v", tt.u.Identifiers[0].Value, st, err, tt.want)
			}
		}
		if _, err := s.Q.UserStanding(ctx, "user_gone"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("gone user: err=%v, want ErrNotFound", err)
		}
	})

	t.Run("SignInOwner finds verified identifiers and usernames only", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		u := newUser("ada@example.com")
		u.Identifiers[0].VerifiedAt = ptr(base)
		u.Identifiers = append(u.Identifiers,
			user.Identifier{ID: id.New(id.Identifier), UserID: u.ID, Kind: user.Email, Value: "later@example.com", CreatedAt: base, UpdatedAt: base},
			user.Identifier{ID: id.New(id.Identifier), UserID: u.ID, Kind: user.Username, Value: "ada_l", CreatedAt: base, UpdatedAt: base})
		if err := s.Q.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			kind, value, want string
		}{
			{user.Email, "ada@example.com", u.ID},
			{user.Username, "ada_l", u.ID},
			{user.Email, "later@example.com", ""}, // not verified yet
			{user.Email, "nobody@example.com", ""},
			{user.Username, "ada@example.com", ""}, // another kind
		} {
			got, err := s.Q.SignInOwner(ctx, tt.kind, tt.value)
			if tt.want == "" && !errors.Is(err, store.ErrNotFound) || tt.want != "" && (err != nil || got != tt.want) {
				t.Errorf("SignInOwner(%s, %s) = %q, %v; want %q", tt.kind, tt.value, got, err, tt.want)
			}
		}
	})

	t.Run("create with identifiers, get by ID and by identifier", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		u := newUser("ada@example.com")
		u.FirstName, u.LastName, u.PasswordHash = "Ada", "Lovelace", "$argon2id$v=19$m=1024,t=1,p=1$c2FsdA$aGFzaA"
		u.LastSignInAt, u.UpdatedAt = ptr(at(-time.Hour)), at(time.Minute)
		u.Banned, u.FailedSignIns, u.LockedUntil = true, 2, ptr(at(time.Hour))
		u.LegalAcceptedAt, u.Locale = ptr(at(-2*time.Minute)), "pt-BR"
		u.Identifiers[0].VerifiedAt = ptr(at(time.Second))
		u.Identifiers = append(u.Identifiers, user.Identifier{ID: id.New(id.Identifier), UserID: u.ID,
			Kind: user.Phone, Value: "+441632960001", CreatedAt: at(time.Second), UpdatedAt: at(time.Second)})
		u.PrimaryPhoneID = u.Identifiers[1].ID
		if err := s.Q.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		byID, err := s.Q.UserByID(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		sameUser(t, byID, u)
		for _, i := range u.Identifiers {
			got, err := s.Q.UserByIdentifier(ctx, i.Kind, i.Value)
			if err != nil {
				t.Fatalf("UserByIdentifier(%s): %v", i.Value, err)
			}
			sameUser(t, got, u)
		}
	})

	t.Run("unknown user is ErrNotFound", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		createUser(t, s, "ada@example.com")
		if _, err := s.Q.UserByID(ctx, id.New(id.User)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("UserByID: %v, want ErrNotFound", err)
		}
		// Same value, other kind: identifiers are unique per kind.
		if _, err := s.Q.UserByIdentifier(ctx, user.Phone, "ada@example.com"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("UserByIdentifier: %v, want ErrNotFound", err)
		}
		_, failErr := s.Q.RecordFailedSignIn(ctx, "user_missing", 3, time.Hour, base)
		for _, err := range []error{
			s.Q.SetPassword(ctx, "user_missing", "h", base),
			failErr,
			s.Q.RecordSignIn(ctx, "user_missing", base),
		} {
			if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("update of a missing user: %v, want ErrNotFound", err)
			}
		}
	})

	// One account per canonical email (REQ-IN-10): the database refuses a
	// second owner, and the half-created user goes with the transaction.
	t.Run("REQ-IN-10 taken identifier is ErrConflict", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		first := createUser(t, s, "ada@example.com")
		second := newUser("ada@example.com")
		err := s.InTx(ctx, func(q *store.Q) error { return q.CreateUser(ctx, second) })
		if !errors.Is(err, store.ErrConflict) {
			t.Fatalf("CreateUser with a taken email: %v, want ErrConflict", err)
		}
		if _, err := s.Q.UserByID(ctx, second.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("user of the failed transaction: %v, want ErrNotFound", err)
		}
		// Outside a transaction too: no user is left without its email.
		third := newUser("ada@example.com")
		if err := s.Q.CreateUser(ctx, third); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("CreateUser with a taken email: %v, want ErrConflict", err)
		}
		if _, err := s.Q.UserByID(ctx, third.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("user of the failed CreateUser: %v, want ErrNotFound", err)
		}
		other := createUser(t, s, "grace@example.com")
		taken := user.Identifier{ID: id.New(id.Identifier), UserID: other.ID, Kind: user.Email,
			Value: "ada@example.com", CreatedAt: base, UpdatedAt: base}
		if err := s.Q.CreateIdentifier(ctx, taken); !errors.Is(err, store.ErrConflict) {
			t.Errorf("CreateIdentifier with a taken email: %v, want ErrConflict", err)
		}
		got, err := s.Q.UserByIdentifier(ctx, user.Email, "ada@example.com")
		if err != nil || got.ID != first.ID {
			t.Errorf("owner after the conflicts = %v, %v; want %s", got, err, first.ID)
		}
	})

	t.Run("concurrent sign-ups with one email: exactly one succeeds", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		errs := race(t, s, 10, func(int) error {
			return s.InTx(ctx, func(q *store.Q) error { return q.CreateUser(ctx, newUser("ada@example.com")) })
		})
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, store.ErrConflict):
				t.Errorf("losing sign-up: %v, want ErrConflict", err)
			}
		}
		if won != 1 {
			t.Errorf("%d sign-ups succeeded, want 1", won)
		}
	})

	t.Run("SetPassword", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		u := createUser(t, s, "ada@example.com")
		if err := s.Q.SetPassword(ctx, u.ID, "new-hash", at(time.Hour)); err != nil {
			t.Fatal(err)
		}
		got, err := s.Q.UserByID(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.PasswordHash != "new-hash" {
			t.Errorf("PasswordHash = %q", got.PasswordHash)
		}
		sameTime(t, "UpdatedAt", got.UpdatedAt, at(time.Hour))
	})

	// A password marked as compromised keeps its mark through CreateUser,
	// UserByID and the user lists; a new password (SetPassword) clears
	// it, a stronger hash of the same one (RehashPassword) does not.
	t.Run("the compromised mark: kept, cleared by a new password only", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		u := newUser("ada@example.com")
		u.PasswordHash, u.PasswordCompromisedAt = "old-hash", ptr(at(time.Minute))
		if err := s.Q.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		load := func(what string) *user.User {
			t.Helper()
			got, err := s.Q.UserByID(ctx, u.ID)
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			return got
		}
		got := load("created")
		sameTimePtr(t, "PasswordCompromisedAt", got.PasswordCompromisedAt, u.PasswordCompromisedAt)
		if !got.PasswordCompromised() {
			t.Error("PasswordCompromised() = false for a marked password")
		}
		listed, err := s.Q.ListUsers(ctx, admin.UserFilter{UserIDs: []string{u.ID}, OrderBy: "-created_at", Limit: 10})
		if err != nil || len(listed) != 1 {
			t.Fatalf("ListUsers = %v, %v", listed, err)
		}
		sameTimePtr(t, "listed PasswordCompromisedAt", listed[0].PasswordCompromisedAt, u.PasswordCompromisedAt)

		if err := s.Q.RehashPassword(ctx, u.ID, "old-hash", "stronger-hash"); err != nil {
			t.Fatalf("RehashPassword: %v", err)
		}
		got = load("rehashed")
		if got.PasswordHash != "stronger-hash" {
			t.Errorf("PasswordHash after RehashPassword = %q", got.PasswordHash)
		}
		sameTimePtr(t, "PasswordCompromisedAt after RehashPassword", got.PasswordCompromisedAt, u.PasswordCompromisedAt)
		sameTime(t, "UpdatedAt after RehashPassword", got.UpdatedAt, base)

		if err := s.Q.SetPassword(ctx, u.ID, "new-hash", at(time.Hour)); err != nil {
			t.Fatal(err)
		}
		got = load("new password")
		if got.PasswordCompromisedAt != nil || got.PasswordCompromised() {
			t.Errorf("PasswordCompromisedAt after SetPassword = %v, want nil", got.PasswordCompromisedAt)
		}
	})

	// A password found in a data breach at sign-in is marked while it is
	// still the one proven (hash), once; the user object shows nothing new.
	t.Run("MarkPasswordCompromised marks the proven password once", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		u := newUser("ada@example.com")
		u.PasswordHash = "old-hash"
		if err := s.Q.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		load := func() *user.User {
			t.Helper()
			got, err := s.Q.UserByID(ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		if err := s.Q.MarkPasswordCompromised(ctx, u.ID, "stale-hash", at(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if load().PasswordCompromised() {
			t.Error("a password set meanwhile (another hash) was marked")
		}
		if err := s.Q.MarkPasswordCompromised(ctx, u.ID, "old-hash", at(time.Minute)); err != nil {
			t.Fatal(err)
		}
		got := load()
		sameTimePtr(t, "PasswordCompromisedAt", got.PasswordCompromisedAt, ptr(at(time.Minute)))
		sameTime(t, "UpdatedAt", got.UpdatedAt, base)
		if err := s.Q.MarkPasswordCompromised(ctx, u.ID, "old-hash", at(time.Hour)); err != nil {
			t.Fatal(err)
		}
		sameTimePtr(t, "PasswordCompromisedAt marked again", load().PasswordCompromisedAt, ptr(at(time.Minute)))
		if err := s.Q.MarkPasswordCompromised(ctx, "user_missing", "old-hash", at(time.Hour)); err != nil {
			t.Errorf("a missing user: %v, want no error", err)
		}
	})

	// A rehash computed from a hash that changed meanwhile (the person set
	// a new password while the old one was being verified) must not put
	// the old password back.
	t.Run("RehashPassword refuses a hash that changed meanwhile", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		u := createUser(t, s, "ada@example.com")
		if err := s.Q.SetPassword(ctx, u.ID, "new-hash", at(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := s.Q.RehashPassword(ctx, u.ID, "", "rehash-of-old"); !errors.Is(err, store.ErrConflict) {
			t.Errorf("RehashPassword from a stale hash = %v, want ErrConflict", err)
		}
		if got, err := s.Q.UserByID(ctx, u.ID); err != nil || got.PasswordHash != "new-hash" {
			t.Errorf("PasswordHash = %q, %v; want the new password's", got.PasswordHash, err)
		}
		if err := s.Q.RehashPassword(ctx, "user_missing", "a", "b"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("RehashPassword of a missing user = %v, want ErrNotFound", err)
		}
	})

	// REQ-RL-01: consecutive failures lock the account at the threshold,
	// not one later; a success resets the count.
	t.Run("REQ-RL-01 RecordFailedSignIn locks exactly at the threshold, RecordSignIn resets", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		u := createUser(t, s, "ada@example.com")
		const threshold = 3
		for n := 1; n <= threshold; n++ {
			now := at(time.Duration(n) * time.Minute)
			locked, err := s.Q.RecordFailedSignIn(ctx, u.ID, threshold, time.Hour, now)
			if err != nil {
				t.Fatal(err)
			}
			if locked != (n == threshold) {
				t.Errorf("failure %d reported locked=%v; only the one reaching the threshold (%d) locks", n, locked, threshold)
			}
			got, err := s.Q.UserByID(ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.FailedSignIns != n {
				t.Errorf("after %d failures FailedSignIns = %d", n, got.FailedSignIns)
			}
			switch {
			case n < threshold && got.LockedUntil != nil:
				t.Errorf("locked after %d failures, threshold %d", n, threshold)
			case n == threshold:
				sameTimePtr(t, "LockedUntil", got.LockedUntil, ptr(now.Add(time.Hour)))
				if !got.Locked(now) || got.Locked(now.Add(time.Hour)) {
					t.Errorf("Locked is wrong around LockedUntil %v", got.LockedUntil)
				}
			}
		}
		if err := s.Q.RecordSignIn(ctx, u.ID, at(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		got, err := s.Q.UserByID(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.FailedSignIns != 0 || got.LockedUntil != nil {
			t.Errorf("after RecordSignIn FailedSignIns = %d, LockedUntil = %v", got.FailedSignIns, got.LockedUntil)
		}
		sameTimePtr(t, "LastSignInAt", got.LastSignInAt, ptr(at(2*time.Hour)))
	})

	// A guessing burst must not slip failures past the counter by racing it.
	t.Run("REQ-RL-01 concurrent failures are all counted", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		u := createUser(t, s, "ada@example.com")
		const n = 20
		var lockers atomic.Int32
		errs := race(t, s, n, func(int) error {
			locked, err := s.Q.RecordFailedSignIn(ctx, u.ID, n, time.Hour, base)
			if locked {
				lockers.Add(1)
			}
			return err
		})
		for _, err := range errs {
			if err != nil {
				t.Errorf("RecordFailedSignIn: %v", err)
			}
		}
		got, err := s.Q.UserByID(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.FailedSignIns != n {
			t.Errorf("FailedSignIns = %d, want %d", got.FailedSignIns, n)
		}
		if !got.Locked(base) {
			t.Errorf("not locked after %d concurrent failures with threshold %d", n, n)
		}
		if k := lockers.Load(); k != 1 {
			t.Errorf("%d failures reported locking the account, want exactly one (its owner is told once)", k)
		}
	})
}

func sameUser(t *testing.T, got, want *user.User) {
	t.Helper()
	if got.ID != want.ID || got.FirstName != want.FirstName || got.LastName != want.LastName ||
		got.PasswordHash != want.PasswordHash || got.PrimaryEmailID != want.PrimaryEmailID ||
		got.Banned != want.Banned || got.FailedSignIns != want.FailedSignIns || got.PrimaryPhoneID != want.PrimaryPhoneID ||
		got.ImageID != want.ImageID || got.Locale != want.Locale || got.LocaleChosen != want.LocaleChosen {
		t.Errorf("user = %+v\nwant %+v", got, want)
	}
	sameTimePtr(t, "LockedUntil", got.LockedUntil, want.LockedUntil)
	sameTimePtr(t, "LastSignInAt", got.LastSignInAt, want.LastSignInAt)
	sameTimePtr(t, "LegalAcceptedAt", got.LegalAcceptedAt, want.LegalAcceptedAt)
	sameTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
	sameTime(t, "UpdatedAt", got.UpdatedAt, want.UpdatedAt)
	if len(got.Identifiers) != len(want.Identifiers) {
		t.Fatalf("%d identifiers, want %d", len(got.Identifiers), len(want.Identifiers))
	}
	for i, g := range got.Identifiers {
		w := want.Identifiers[i]
		if g.ID != w.ID || g.UserID != w.UserID || g.Kind != w.Kind || g.Value != w.Value {
			t.Errorf("identifier %d = %+v, want %+v", i, g, w)
		}
		sameTimePtr(t, "VerifiedAt", g.VerifiedAt, w.VerifiedAt)
		sameTime(t, "identifier CreatedAt", g.CreatedAt, w.CreatedAt)
		sameTime(t, "identifier UpdatedAt", g.UpdatedAt, w.UpdatedAt)
	}
}
