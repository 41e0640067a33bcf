package store_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/store"
	"github.com/portalhq/portal/internal/user"
)

func testProfile(t *testing.T, open func(t *testing.T) *store.Store) {
	t.Run("SetLocale sets the language as chosen", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		u := newUser("ada@example.com")
		u.Locale = "de" // recorded at sign-up: not chosen
		if err := s.Q.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		if got := reload(t, s, u.ID); got.Locale != "de" || got.LocaleChosen {
			t.Fatalf("created: locale %q chosen %v, want de, not chosen", got.Locale, got.LocaleChosen)
		}
		if err := s.Q.SetLocale(ctx, u.ID, "fr", at(time.Hour)); err != nil {
			t.Fatal(err)
		}
		got := reload(t, s, u.ID)
		if got.Locale != "fr" || !got.LocaleChosen {
			t.Errorf("after SetLocale: locale %q chosen %v, want fr, chosen", got.Locale, got.LocaleChosen)
		}
		sameTime(t, "UpdatedAt", got.UpdatedAt, at(time.Hour))
		if err := s.Q.SetLocale(ctx, "user_missing", "fr", base); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("SetLocale of a missing user: %v, want ErrNotFound", err)
		}
	})
	t.Run("SetNames", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		u := createUser(t, s, "ada@example.com")
		if err := s.Q.SetNames(ctx, u.ID, "Ada", "King", at(time.Hour)); err != nil {
			t.Fatal(err)
		}
		got := reload(t, s, u.ID)
		if got.FirstName != "Ada" || got.LastName != "King" {
			t.Errorf("names = %q %q", got.FirstName, got.LastName)
		}
		sameTime(t, "UpdatedAt", got.UpdatedAt, at(time.Hour))
		if err := s.Q.SetNames(ctx, "user_missing", "A", "B", base); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("SetNames of a missing user: %v, want ErrNotFound", err)
		}
	})

	t.Run("SetUsername adds, renames, refuses a taken one, removes", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		u := createUser(t, s, "ada@example.com")
		other := createUser(t, s, "grace@example.com")
		name := func(userID, v string) user.Identifier {
			return user.Identifier{ID: id.New(id.Identifier), UserID: userID, Value: v, CreatedAt: base, UpdatedAt: at(time.Minute)}
		}
		if err := s.Q.SetUsername(ctx, name(other.ID, "grace")); err != nil {
			t.Fatal(err)
		}
		if err := s.Q.SetUsername(ctx, name(u.ID, "ada")); err != nil {
			t.Fatal(err)
		}
		if got := reload(t, s, u.ID).Username(); got != "ada" {
			t.Errorf("after adding: username %q", got)
		}
		if err := s.Q.SetUsername(ctx, name(u.ID, "countess")); err != nil {
			t.Fatal(err)
		}
		got := reload(t, s, u.ID)
		if got.Username() != "countess" || len(got.Identifiers) != 2 {
			t.Errorf("after renaming: username %q, identifiers %+v", got.Username(), got.Identifiers)
		}
		if err := s.Q.SetUsername(ctx, name(u.ID, "grace")); !errors.Is(err, store.ErrConflict) {
			t.Errorf("renaming to a taken username: %v, want ErrConflict", err)
		}
		if err := s.Q.SetUsername(ctx, name(u.ID, "")); err != nil {
			t.Fatal(err)
		}
		if got := reload(t, s, u.ID); got.Username() != "" || len(got.Identifiers) != 1 {
			t.Errorf("after removing: username %q, identifiers %+v", got.Username(), got.Identifiers)
		}
		if got, err := s.Q.UserByIdentifier(ctx, user.Username, "countess"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("removed username still finds %v, %v", got, err)
		}
	})

	// REQ-AC-02: a primary address can only be one the user owns, verified.
	t.Run("SetPrimaryEmail and SetPrimaryPhone take only the user's verified identifiers", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		u := createUser(t, s, "ada@example.com")
		verified := addIdentifier(t, s, u.ID, user.Email, "ada@work.example", true)
		unverified := addIdentifier(t, s, u.ID, user.Email, "ada@old.example", false)
		phone := addIdentifier(t, s, u.ID, user.Phone, "+441632960001", true)
		other := createUser(t, s, "grace@example.com")
		theirs := other.Identifiers[0].ID
		for _, c := range []struct {
			name string
			set  func() error
		}{
			{"unverified email", func() error { return s.Q.SetPrimaryEmail(ctx, u.ID, unverified, base) }},
			{"another user's email", func() error { return s.Q.SetPrimaryEmail(ctx, u.ID, theirs, base) }},
			{"a phone as email", func() error { return s.Q.SetPrimaryEmail(ctx, u.ID, phone, base) }},
			{"an email as phone", func() error { return s.Q.SetPrimaryPhone(ctx, u.ID, verified, base) }},
			{"unknown", func() error { return s.Q.SetPrimaryPhone(ctx, u.ID, id.New(id.Identifier), base) }},
		} {
			if err := c.set(); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s: %v, want ErrNotFound", c.name, err)
			}
		}
		if err := s.Q.SetPrimaryEmail(ctx, u.ID, verified, at(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := s.Q.SetPrimaryPhone(ctx, u.ID, phone, at(time.Hour)); err != nil {
			t.Fatal(err)
		}
		got := reload(t, s, u.ID)
		if got.PrimaryEmailID != verified || got.PrimaryPhoneID != phone || got.PrimaryPhone() != "+441632960001" {
			t.Errorf("primary email %q phone %q, want %q %q", got.PrimaryEmailID, got.PrimaryPhoneID, verified, phone)
		}
		sameTime(t, "UpdatedAt", got.UpdatedAt, at(time.Hour))
		if reload(t, s, other.ID).PrimaryEmailID != theirs {
			t.Error("the other user's primary email changed")
		}
	})

	t.Run("DeleteIdentifier removes only the user's own, and the primary pointers to it", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		u := createUser(t, s, "ada@example.com")
		phone := addIdentifier(t, s, u.ID, user.Phone, "+441632960001", true)
		if err := s.Q.SetPrimaryPhone(ctx, u.ID, phone, base); err != nil {
			t.Fatal(err)
		}
		other := createUser(t, s, "grace@example.com")
		if err := s.Q.DeleteIdentifier(ctx, u.ID, other.Identifiers[0].ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("deleting another user's identifier: %v, want ErrNotFound", err)
		}
		if len(reload(t, s, other.ID).Identifiers) != 1 {
			t.Fatal("another user's identifier was deleted")
		}
		if err := s.Q.DeleteIdentifier(ctx, u.ID, phone); err != nil {
			t.Fatal(err)
		}
		got := reload(t, s, u.ID)
		if len(got.Identifiers) != 1 || got.PrimaryPhoneID != "" || got.PrimaryEmailID != u.PrimaryEmailID {
			t.Errorf("after delete: identifiers %+v, primary phone %q, primary email %q", got.Identifiers, got.PrimaryPhoneID, got.PrimaryEmailID)
		}
		if err := s.Q.DeleteIdentifier(ctx, u.ID, phone); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("second delete: %v, want ErrNotFound", err)
		}
		// The freed number can be someone else's now.
		addIdentifier(t, s, other.ID, user.Phone, "+441632960001", true)
	})

	t.Run("IdentifierOwner and VerifyIdentifier", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		u := createUser(t, s, "ada@example.com")
		other := createUser(t, s, "grace@example.com")
		pending := addIdentifier(t, s, u.ID, user.Email, "ada@work.example", false)
		if owner, err := s.Q.IdentifierOwner(ctx, pending); err != nil || owner != u.ID {
			t.Errorf("IdentifierOwner = %q, %v; want %s", owner, err, u.ID)
		}
		if _, err := s.Q.IdentifierOwner(ctx, "idn_missing"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("IdentifierOwner of a missing identifier: %v, want ErrNotFound", err)
		}
		if err := s.Q.VerifyIdentifier(ctx, other.ID, pending, at(time.Hour)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("verifying another user's identifier: %v, want ErrNotFound", err)
		}
		if err := s.Q.VerifyIdentifier(ctx, u.ID, pending, at(time.Hour)); err != nil {
			t.Fatal(err)
		}
		got := reload(t, s, u.ID).Identifier(pending)
		if got == nil || got.VerifiedAt == nil {
			t.Fatalf("after VerifyIdentifier: %+v", got)
		}
		sameTime(t, "VerifiedAt", *got.VerifiedAt, at(time.Hour))
		if err := s.Q.VerifyIdentifier(ctx, u.ID, pending, at(2*time.Hour)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("verifying a verified identifier: %v, want ErrNotFound", err)
		}
		sameTime(t, "VerifiedAt after a second verification", *reload(t, s, u.ID).Identifier(pending).VerifiedAt, at(time.Hour))
	})

	t.Run("profile images: put replaces, URL follows, delete", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		s.ServeImagesAt("https://accounts.example.com/")
		u := createUser(t, s, "ada@example.com")
		if got := reload(t, s, u.ID); got.ImageID != "" || got.ImageURL != "" {
			t.Errorf("new user has image %q %q", got.ImageID, got.ImageURL)
		}
		first := user.Image{ID: id.New("img"), UserID: u.ID, PNG: []byte("\x89PNG first"), CreatedAt: at(time.Second)}
		second := user.Image{ID: id.New("img"), UserID: u.ID, PNG: []byte{0x89, 0, 1, 2, 0xff}, CreatedAt: at(time.Minute)}
		for _, img := range []user.Image{first, second} {
			if err := s.Q.PutUserImage(ctx, img); err != nil {
				t.Fatal(err)
			}
		}
		got := reload(t, s, u.ID)
		if got.ImageID != second.ID || got.ImageURL != "https://accounts.example.com/images/"+second.ID+".png" {
			t.Errorf("image %q at %q, want %s", got.ImageID, got.ImageURL, second.ID)
		}
		img, err := s.Q.UserImage(ctx, second.ID)
		if err != nil {
			t.Fatal(err)
		}
		if img.UserID != u.ID || !bytes.Equal(img.PNG, second.PNG) {
			t.Errorf("image = %+v", img)
		}
		sameTime(t, "image CreatedAt", img.CreatedAt, second.CreatedAt)
		if _, err := s.Q.UserImage(ctx, first.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("replaced image: %v, want ErrNotFound", err)
		}
		// Inside a transaction the URL is built the same way.
		if err := s.InTx(ctx, func(q *store.Q) error {
			in, err := q.UserByID(ctx, u.ID)
			if err == nil && in.ImageURL != got.ImageURL {
				t.Errorf("in a transaction the image URL is %q", in.ImageURL)
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if err := s.Q.DeleteUserImage(ctx, u.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.Q.DeleteUserImage(ctx, u.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("second DeleteUserImage: %v, want ErrNotFound", err)
		}
		if got := reload(t, s, u.ID); got.ImageID != "" || got.ImageURL != "" {
			t.Errorf("after delete: image %q %q", got.ImageID, got.ImageURL)
		}
	})

	t.Run("MarkReverified on active sessions only", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		c := createClient(t, s)
		live, gone := storeSession(t, s, c, base), storeSession(t, s, c, base)
		if ok, err := s.Q.EndSession(ctx, gone.ID, session.Ended, at(time.Minute)); !ok || err != nil {
			t.Fatalf("EndSession = %v, %v", ok, err)
		}
		if err := s.Q.MarkReverified(ctx, live.ID, at(2*time.Minute), false, false); err != nil {
			t.Fatal(err)
		}
		got, err := s.Q.SessionByID(ctx, live.ID)
		if err != nil {
			t.Fatal(err)
		}
		sameTimePtr(t, "ReverifiedAt", got.ReverifiedAt, ptr(at(2*time.Minute)))
		if err := s.Q.MarkReverified(ctx, gone.ID, at(2*time.Minute), false, false); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("MarkReverified of an ended session: %v, want ErrNotFound", err)
		}
	})

	// REQ-SES-02: a reverification moves the session to a new client that
	// names the old as its previous; the old client's successor is found.
	t.Run("MoveSession and SuccessorClient", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		from := createClient(t, s)
		x := storeSession(t, s, from, base)
		if _, err := s.Q.SuccessorClient(ctx, from); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("SuccessorClient before any: %v, want ErrNotFound", err)
		}
		if _, err := s.Q.SuccessorClient(ctx, ""); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("SuccessorClient of no client: %v, want ErrNotFound (clients without a previous are not successors)", err)
		}
		older := session.Client{ID: id.New(id.Client), CreatedAt: at(time.Minute), UpdatedAt: at(time.Minute), PreviousID: from}
		newer := session.Client{ID: id.New(id.Client), CreatedAt: at(2 * time.Minute), UpdatedAt: at(2 * time.Minute),
			PreviousID: from, Handoff: "h", LastStrategy: "password"}
		for _, c := range []session.Client{older, newer} {
			if err := s.Q.CreateClient(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.Q.SuccessorClient(ctx, from)
		if err != nil || got.ID != newer.ID || got.Handoff != "h" || got.LastStrategy != "password" || !got.CreatedAt.Equal(newer.CreatedAt.Truncate(time.Millisecond)) {
			t.Fatalf("SuccessorClient = %+v, %v; want the newer, %+v", got, err, newer)
		}
		if ok, err := s.Q.MoveSession(ctx, x.ID, from, newer.ID, at(2*time.Minute)); !ok || err != nil {
			t.Fatalf("MoveSession = %v, %v", ok, err)
		}
		if list, err := s.Q.ActiveSessionsOfClient(ctx, newer.ID); err != nil || len(list) != 1 || list[0].ID != x.ID {
			t.Errorf("the new client's sessions: %v, %v", list, err)
		}
		if list, err := s.Q.ActiveSessionsOfClient(ctx, from); err != nil || len(list) != 0 {
			t.Errorf("the old client's sessions: %v, %v; want none", list, err)
		}
		// A second move from the old client finds nothing there.
		if ok, err := s.Q.MoveSession(ctx, x.ID, from, older.ID, at(3*time.Minute)); ok || err != nil {
			t.Errorf("MoveSession from a client it left = %v, %v; want false", ok, err)
		}
		if ok, err := s.Q.EndSession(ctx, x.ID, session.Ended, at(4*time.Minute)); !ok || err != nil {
			t.Fatalf("EndSession = %v, %v", ok, err)
		}
		if ok, err := s.Q.MoveSession(ctx, x.ID, newer.ID, older.ID, at(5*time.Minute)); ok || err != nil {
			t.Errorf("MoveSession of an ended session = %v, %v; want false", ok, err)
		}
	})

	// REQ-SES-05: deleting an account takes its sessions with it.
	t.Run("DeleteUser removes the user and what belongs to it", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		c := createClient(t, s)
		x := storeSession(t, s, c, base)
		addIdentifier(t, s, x.UserID, user.Phone, "+441632960001", true)
		if err := s.Q.PutUserImage(ctx, user.Image{ID: id.New("img"), UserID: x.UserID, PNG: []byte("p"), CreatedAt: base}); err != nil {
			t.Fatal(err)
		}
		if err := s.Q.CreateExternalAccount(ctx, user.ExternalAccount{ID: id.New("eac"), UserID: x.UserID,
			Provider: "github", Subject: "1", CreatedAt: base, UpdatedAt: base}); err != nil {
			t.Fatal(err)
		}
		keep := createUser(t, s, "grace@example.com")
		if err := s.Q.DeleteUser(ctx, x.UserID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Q.UserByID(ctx, x.UserID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("deleted user: %v, want ErrNotFound", err)
		}
		if got, err := s.Q.ActiveSessionsOfClient(ctx, c); err != nil || len(got) != 0 {
			t.Errorf("sessions of the deleted user = %v, %v", got, err)
		}
		if _, err := s.Q.UserByIdentifier(ctx, user.Phone, "+441632960001"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("deleted user's phone: %v, want ErrNotFound", err)
		}
		if _, err := s.Q.ExternalAccount(ctx, "github", "1"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("deleted user's connected account: %v, want ErrNotFound", err)
		}
		if _, err := s.Q.UserByID(ctx, keep.ID); err != nil {
			t.Errorf("another user: %v", err)
		}
		if err := s.Q.DeleteUser(ctx, x.UserID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("second DeleteUser: %v, want ErrNotFound", err)
		}
	})
}

func reload(t *testing.T, s *store.Store, userID string) *user.User {
	t.Helper()
	u, err := s.Q.UserByID(t.Context(), userID)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func addIdentifier(t *testing.T, s *store.Store, userID, kind, value string, verified bool) string {
	t.Helper()
	i := user.Identifier{ID: id.New(id.Identifier), UserID: userID, Kind: kind, Value: value, CreatedAt: base, UpdatedAt: base}
	if verified {
		i.VerifiedAt = ptr(base)
	}
	if err := s.Q.CreateIdentifier(t.Context(), i); err != nil {
		t.Fatal(err)
	}
	return i.ID
}
