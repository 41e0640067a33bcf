package store_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/admin"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/metadata"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/store"
	"github.com/portalhq/portal/internal/user"
)

var _ admin.Repo = (*store.Q)(nil)

func testAdmin(t *testing.T, open func(t *testing.T) *store.Store) {
	t.Run("ListUsers and CountUsers filter, order and page alike on both engines", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		var ids []string
		for i, name := range []string{"carol", "Alice", "bob_", "Dave"} {
			u := newUser(fmt.Sprintf("u%d@example.com", i))
			u.FirstName, u.CreatedAt, u.ExternalID = name, at(time.Duration(i)*time.Second), fmt.Sprintf("ext-%d", i)
			u.Banned = i == 3
			if err := s.Q.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, u.ID)
		}
		list := func(f admin.UserFilter) string {
			t.Helper()
			if f.Limit == 0 {
				f.Limit = 10
			}
			if f.OrderBy == "" {
				f.OrderBy = "created_at"
			}
			us, err := s.Q.ListUsers(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, u := range us {
				if len(u.Identifiers) != 1 {
					t.Errorf("%s listed without its identifiers", u.ID)
				}
				names = append(names, u.FirstName)
			}
			n, err := s.Q.CountUsers(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			return fmt.Sprintf("%s (%d)", strings.Join(names, " "), n)
		}
		no := false
		for what, c := range map[string]struct {
			f    admin.UserFilter
			want string
		}{
			"all":                   {admin.UserFilter{}, "carol Alice bob_ Dave (4)"},
			"newest first":          {admin.UserFilter{OrderBy: "-created_at"}, "Dave bob_ Alice carol (4)"},
			"names ignore case":     {admin.UserFilter{OrderBy: "first_name"}, "Alice bob_ carol Dave (4)"},
			"page":                  {admin.UserFilter{Limit: 2, Offset: 1}, "Alice bob_ (4)"},
			"ids":                   {admin.UserFilter{UserIDs: []string{ids[2], ids[0]}}, "carol bob_ (2)"},
			"emails":                {admin.UserFilter{EmailAddresses: []string{"u1@example.com", "nobody@example.com"}}, "Alice (1)"},
			"external ids":          {admin.UserFilter{ExternalIDs: []string{"ext-3"}}, "Dave (1)"},
			"not banned":            {admin.UserFilter{Banned: &no}, "carol Alice bob_ (3)"},
			"query, any case":       {admin.UserFilter{Query: "ALICE"}, "Alice (1)"}, // long enough that no random ID holds it
			"query on email":        {admin.UserFilter{Query: "u2@"}, "bob_ (1)"},
			"query _ is literal":    {admin.UserFilter{Query: "b_"}, "bob_ (1)"},
			"query % is literal":    {admin.UserFilter{Query: "%"}, " (0)"},
			"filters combine (AND)": {admin.UserFilter{UserIDs: ids[:2], Query: "carol"}, "carol (1)"},
		} {
			if got := list(c.f); got != c.want {
				t.Errorf("%s: %q, want %q", what, got, c.want)
			}
		}
	})

	t.Run("SaveUser keeps metadata, external ID, locale, locks and legal acceptance", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		u := createUser(t, s, "ada@example.com")
		u.FirstName, u.ExternalID, u.AdminLocked, u.Banned, u.Locale, u.LocaleChosen = "Ada", "ext", true, true, "fr-CA", true
		u.LegalAcceptedAt = ptr(at(30 * time.Minute))
		u.PublicMetadata, u.PrivateMetadata = json.RawMessage(`{"a":1}`), json.RawMessage(`{"b":[1,2]}`)
		u.UpdatedAt = at(time.Hour)
		if err := s.Q.SaveUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		got, err := s.Q.UserByID(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.FirstName != "Ada" || got.ExternalID != "ext" || !got.AdminLocked || !got.Banned ||
			string(got.UnsafeMetadata) != "{}" || got.Locale != "fr-CA" || !got.LocaleChosen {
			t.Errorf("saved user = %+v", got)
		}
		sameTimePtr(t, "LegalAcceptedAt", got.LegalAcceptedAt, u.LegalAcceptedAt)
		for what, pair := range map[string][2]json.RawMessage{"public": {got.PublicMetadata, u.PublicMetadata},
			"private": {got.PrivateMetadata, u.PrivateMetadata}} {
			var a, b any
			_ = json.Unmarshal(pair[0], &a)
			_ = json.Unmarshal(pair[1], &b)
			if fmt.Sprint(a) != fmt.Sprint(b) {
				t.Errorf("%s metadata = %s, want %s", what, pair[0], pair[1])
			}
		}
		if err := s.Q.SaveUser(ctx, &user.User{ID: "user_missing"}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("SaveUser(missing) = %v", err)
		}
	})

	// set_compromised and unset_compromised go through SaveUser.
	t.Run("SaveUser sets and clears the compromised mark", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		u := createUser(t, s, "ada@example.com")
		u.PasswordHash = "hash"
		for _, mark := range []*time.Time{ptr(at(time.Hour)), nil} {
			u.PasswordCompromisedAt = mark
			if err := s.Q.SaveUser(ctx, u); err != nil {
				t.Fatal(err)
			}
			got, err := s.Q.UserByID(ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			sameTimePtr(t, "PasswordCompromisedAt", got.PasswordCompromisedAt, mark)
			if got.PasswordCompromised() != (mark != nil) {
				t.Errorf("PasswordCompromised() = %v with the mark %v", got.PasswordCompromised(), mark)
			}
		}
	})

	// external_id is unique, as Clerk documents it; '' is no ID and repeats.
	t.Run("external ID is one user's", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		ada, grace := newUser("ada@example.com"), newUser("grace@example.com")
		ada.ExternalID, grace.ExternalID = "crm-1", "crm-1"
		if err := s.Q.CreateUser(ctx, ada); err != nil {
			t.Fatal(err)
		}
		if err := s.Q.CreateUser(ctx, grace); !errors.Is(err, store.ErrConflict) {
			t.Errorf("a second user with external ID crm-1: %v, want ErrConflict", err)
		}
		grace.ExternalID = ""
		edsger := newUser("edsger@example.com")
		for _, u := range []*user.User{grace, edsger} {
			if err := s.Q.CreateUser(ctx, u); err != nil {
				t.Fatalf("users without an external ID: %v", err)
			}
		}
		grace.ExternalID = "crm-1"
		if err := s.Q.SaveUser(ctx, grace); !errors.Is(err, store.ErrConflict) {
			t.Errorf("SaveUser onto ada's external ID: %v, want ErrConflict", err)
		}
		ada.ExternalID = ""
		if err := s.Q.SaveUser(ctx, ada); err != nil {
			t.Fatal(err)
		}
		if err := s.Q.SaveUser(ctx, grace); err != nil {
			t.Errorf("SaveUser onto an external ID given up: %v", err)
		}
	})

	// LockUser makes read-modify-write of a user safe: concurrent merges
	// each keep the keys the others wrote.
	t.Run("LockUser serialises concurrent changes", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		u := createUser(t, s, "ada@example.com")
		errs := race(t, s, 8, func(i int) error {
			return store.Tx[admin.Repo](s)(ctx, func(r admin.Repo) error {
				if err := r.LockUser(ctx, u.ID); err != nil {
					return err
				}
				got, err := r.UserByID(ctx, u.ID)
				if err != nil {
					return err
				}
				merged, err := metadata.Merge(got.PublicMetadata, json.RawMessage(fmt.Sprintf(`{"k%d":%d}`, i, i)))
				if err != nil {
					return err
				}
				got.PublicMetadata = merged
				return r.SaveUser(ctx, got)
			})
		})
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		got, _ := s.Q.UserByID(ctx, u.ID)
		var m map[string]any
		if err := json.Unmarshal(got.PublicMetadata, &m); err != nil || len(m) != 8 {
			t.Errorf("after 8 concurrent merges: %s, want 8 keys", got.PublicMetadata)
		}
		if err := s.Q.LockUser(ctx, "user_missing"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("LockUser(missing) = %v", err)
		}
	})

	t.Run("SetIdentifierValue refuses a taken value", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		a, b := createUser(t, s, "a@example.com"), createUser(t, s, "b@example.com")
		if err := s.Q.SetIdentifierValue(ctx, a.Identifiers[0].ID, "b@example.com", base); !errors.Is(err, store.ErrConflict) {
			t.Errorf("taking b's address: %v, want ErrConflict", err)
		}
		if err := s.Q.SetIdentifierValue(ctx, b.Identifiers[0].ID, "c@example.com", base); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Q.UserByIdentifier(ctx, user.Email, "c@example.com"); err != nil {
			t.Errorf("after the change: %v", err)
		}
	})

	t.Run("DeleteUser takes the sessions and identifiers along", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		cid := createClient(t, s)
		x := storeSession(t, s, cid, base)
		if err := s.Q.DeleteUser(ctx, x.UserID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Q.SessionByID(ctx, x.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("session of a deleted user: %v", err)
		}
		if err := s.Q.DeleteUser(ctx, x.UserID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("deleting twice: %v", err)
		}
	})

	t.Run("ListSessions and CountSessions by user, client and status", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		c1, c2 := createClient(t, s), createClient(t, s)
		a := storeSession(t, s, c1, at(time.Second))
		b := newSession(t, s, c2, at(2*time.Second))
		b.UserID = a.UserID
		if err := s.Q.CreateSession(ctx, b); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Q.EndSession(ctx, a.ID, session.Revoked, at(time.Minute)); err != nil {
			t.Fatal(err)
		}
		storeSession(t, s, c1, at(3*time.Second)) // someone else's
		for what, c := range map[string]struct {
			f    admin.SessionFilter
			want []string
		}{
			"user":          {admin.SessionFilter{UserID: a.UserID}, []string{b.ID, a.ID}},
			"user, revoked": {admin.SessionFilter{UserID: a.UserID, Status: session.Revoked}, []string{a.ID}},
			"client":        {admin.SessionFilter{ClientID: c2}, []string{b.ID}},
			"user, page":    {admin.SessionFilter{UserID: a.UserID, Offset: 1}, []string{a.ID}},
		} {
			if c.f.Limit == 0 {
				c.f.Limit = 10
			}
			list, err := s.Q.ListSessions(ctx, c.f)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, x := range list {
				got = append(got, x.ID)
			}
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("%s: %v, want %v", what, got, c.want)
			}
			if n, err := s.Q.CountSessions(ctx, c.f); err != nil || (c.f.Offset == 0 && n != len(c.want)) {
				t.Errorf("%s: count %d, %v", what, n, err)
			}
		}
	})

	t.Run("clients list newest first with their sessions and the flows under way", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		var ids []string // oldest first
		for i := range 3 {
			c := session.Client{ID: id.New(id.Client), CreatedAt: at(time.Duration(i) * time.Second),
				UpdatedAt: at(time.Duration(i) * time.Second)}
			if err := s.Q.CreateClient(ctx, c); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, c.ID)
		}
		page := func(limit, offset int) string {
			t.Helper()
			list, err := s.Q.ListClients(ctx, limit, offset)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range list {
				got = append(got, c.ID)
			}
			return fmt.Sprint(got)
		}
		if got, want := page(10, 0), fmt.Sprint([]string{ids[2], ids[1], ids[0]}); got != want {
			t.Errorf("ListClients = %s, want %s", got, want)
		}
		if got, want := page(1, 1), fmt.Sprint([]string{ids[1]}); got != want {
			t.Errorf("ListClients(1, 1) = %s, want %s", got, want)
		}
		if n, err := s.Q.CountClients(ctx); err != nil || n != 3 {
			t.Errorf("CountClients = %d, %v", n, err)
		}

		old := storeSession(t, s, ids[0], at(time.Second))
		if _, err := s.Q.EndSession(ctx, old.ID, session.Ended, at(time.Minute)); err != nil {
			t.Fatal(err)
		}
		cur := storeSession(t, s, ids[0], at(2*time.Second))
		other := storeSession(t, s, ids[1], at(3*time.Second))
		storeSession(t, s, ids[2], at(4*time.Second)) // a client not asked about
		list, err := s.Q.SessionsOfClients(ctx, []string{ids[0], ids[1]})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, x := range list {
			got = append(got, x.ClientID+" "+x.ID+" "+x.Status)
		}
		want := []string{ids[1] + " " + other.ID + " active", ids[0] + " " + cur.ID + " active", ids[0] + " " + old.ID + " ended"}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("SessionsOfClients = %v, want %v", got, want)
		}
		if list, err := s.Q.SessionsOfClients(ctx, nil); err != nil || len(list) != 0 {
			t.Errorf("SessionsOfClients(none) = %v, %v", list, err)
		}

		now := at(time.Hour)
		mk := func(client, kind, status string, created, expire time.Time) string {
			t.Helper()
			f := newFlow(created)
			f.ClientID, f.Kind, f.Status, f.ExpireAt = client, kind, status, expire
			if kind == flow.SignUp {
				f.ID = id.New(id.SignUp)
			}
			if err := s.Q.CreateFlow(ctx, f); err != nil {
				t.Fatal(err)
			}
			return f.ID
		}
		later := now.Add(time.Minute)
		signIn := mk(ids[0], flow.SignIn, flow.NeedsFirstFactor, at(10*time.Minute), later)
		olderSignIn := mk(ids[0], flow.SignIn, flow.NeedsIdentifier, at(5*time.Minute), later)
		signUp := mk(ids[1], flow.SignUp, flow.MissingRequirements, at(9*time.Minute), later)
		mk(ids[0], flow.SignIn, flow.Complete, at(20*time.Minute), later)         // finished
		mk(ids[0], flow.SignIn, flow.Abandoned, at(20*time.Minute), later)        // finished
		mk(ids[1], flow.SignIn, flow.NeedsFirstFactor, at(20*time.Minute), now)   // expired at now
		mk(ids[2], flow.SignIn, flow.NeedsFirstFactor, at(20*time.Minute), later) // a client not asked about
		flows, err := s.Q.OpenFlowsOfClients(ctx, []string{ids[0], ids[1]}, now)
		if err != nil {
			t.Fatal(err)
		}
		got = got[:0]
		for _, f := range flows {
			got = append(got, f.ClientID+" "+f.Kind+" "+f.ID)
		}
		want = []string{ids[0] + " sign_in " + signIn, ids[1] + " sign_up " + signUp, ids[0] + " sign_in " + olderSignIn}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("OpenFlowsOfClients = %v, want %v", got, want)
		}
	})
}
