package social_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/oauth"
	"github.com/portalhq/portal/internal/user"
)

func github(subject, email string, verified bool) *oauth.Identity {
	return &oauth.Identity{Provider: "github", Subject: subject, Email: email, EmailVerified: verified,
		FirstName: "Ada", LastName: "Lovelace", Username: "ada"}
}

// A first sign-in with a provider that vouches for the address creates the
// account at once, signed in, with the address verified and primary.
func TestFirstSignInCreatesTheUser(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		who := github("1001", "Ada@Example.com", true)
		sess := e.mustSignIn(who)
		u := e.user(sess.UserID)
		if !u.Has(user.Email, "ada@example.com") || u.PrimaryEmail() != "ada@example.com" {
			t.Errorf("identifiers %+v: want ada@example.com verified and primary", u.Identifiers)
		}
		if u.FirstName != "Ada" || u.LastName != "Lovelace" || u.PasswordHash != "" {
			t.Errorf("user %q %q, password set %v", u.FirstName, u.LastName, u.PasswordHash != "")
		}
		if e.owner(who) != u.ID || len(u.ExternalAccounts) != 1 {
			t.Errorf("connected to %q, %d external accounts; want %s, 1", e.owner(who), len(u.ExternalAccounts), u.ID)
		}
		if !slices.Contains(e.eventTypes(u.ID), events.UserCreated) || len(e.out.All()) != 0 {
			t.Errorf("events %v, sent %+v: want user.created and nothing sent", e.eventTypes(u.ID), e.out.All())
		}
	})
}

// An address the provider did not verify is verified by code first; no
// account exists until then.
func TestFirstSignInWithAnUnverifiedEmailVerifiesItFirst(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		who := github("1001", "ada@example.com", false)
		res, err := e.signIn(who)
		if err != nil {
			t.Fatal(err)
		}
		if res.Session != nil || res.Flow == nil || res.Flow.Data.Strategy != flow.EmailCode {
			t.Fatalf("result %+v: want a sign-up flow verifying by email code", res)
		}
		if sent := e.out.All(); len(sent) != 1 || sent[0].Kind != "code" || sent[0].To != "ada@example.com" {
			t.Errorf("sent %+v, want one code to ada@example.com", sent)
		}
		if _, err := e.st.Q.UserByIdentifier(t.Context(), user.Email, "ada@example.com"); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("a user exists before the code: %v", err)
		}
		if e.owner(who) != "" {
			t.Error("the provider account is connected before the code")
		}
	})
}

// REQ-OA-04: the provider account is (provider, subject). It signs in to
// the same user whatever email it now reports, and the same subject at
// another provider is someone else.
func TestReturningProviderAccount_REQ_OA_04(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		first := e.mustSignIn(github("1001", "ada@example.com", true))
		again := e.mustSignIn(github("1001", "ada@new.example", true))
		if again.UserID != first.UserID {
			t.Fatalf("returning sign-in as %s, want %s", again.UserID, first.UserID)
		}
		x, err := e.st.Q.ExternalAccount(t.Context(), "github", "1001")
		if err != nil || x.Email != "ada@new.example" {
			t.Errorf("stored provider account %+v, %v: want its email refreshed", x, err)
		}
		if _, err := e.st.Q.UserByIdentifier(t.Context(), user.Email, "ada@new.example"); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("the new provider email became an identifier: %v", err)
		}
		other := e.mustSignIn(&oauth.Identity{Provider: "google", Subject: "1001", Email: "carol@example.com", EmailVerified: true})
		if other.UserID == first.UserID {
			t.Error("subject 1001 at google signed in to github's 1001")
		}
	})
}

// REQ-OA-05: a provider account links to an existing account by email only
// when the provider verified the address and so did the account; otherwise
// the person signs in another way and connects it, and nothing changes.
func TestLinkByEmailOnlyWhenBothVerified_REQ_OA_05(t *testing.T) {
	cases := []struct {
		name                    string
		email                   string
		providerVerified, local bool
		link                    bool
	}{
		{"both verified", "ada@example.com", true, true, true},
		{"both verified, another case", "ADA@Example.COM", true, true, true},
		{"the provider did not verify it", "ada@example.com", false, true, false},
		{"the account did not verify it", "ada@example.com", true, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			onEngines(t, func(t *testing.T, e *env) {
				ada := e.person("ada@example.com", c.local)
				who := github("1001", c.email, c.providerVerified)
				res, err := e.signIn(who)
				if c.link {
					if err != nil || res.Session == nil || res.Session.UserID != ada.ID {
						t.Fatalf("sign-in: %+v, %v; want a session of %s", res, err, ada.ID)
					}
					if e.owner(who) != ada.ID || !slices.Contains(e.eventTypes(ada.ID), events.UserUpdated) {
						t.Errorf("connected to %q, events %v", e.owner(who), e.eventTypes(ada.ID))
					}
					return
				}
				wantErr(t, "sign-in", err, apperr.Conflict, "error.social.link_required")
				if e.owner(who) != "" || e.liveSessions(ada.ID) != 0 || len(e.eventTypes(ada.ID)) != 0 {
					t.Errorf("a refused link changed something: owner %q, sessions %d, events %v",
						e.owner(who), e.liveSessions(ada.ID), e.eventTypes(ada.ID))
				}
			})
		})
	}
}

// A banned account is refused, and the link it would have made is undone
// with the rest of the transaction.
func TestBannedUserCannotSignInWithAProvider(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ada := e.person("ada@example.com", true)
		ada.Banned = true
		if err := e.st.Q.SaveUser(t.Context(), ada); err != nil {
			t.Fatal(err)
		}
		who := github("1001", "ada@example.com", true)
		_, err := e.signIn(who)
		wantErr(t, "a banned account", err, apperr.Forbidden, "error.session.cannot_sign_in")
		if e.owner(who) != "" || e.liveSessions(ada.ID) != 0 {
			t.Error("the banned account was connected or signed in")
		}
	})
}

// A provider sign-in is the first factor only: a user with a second factor
// gets the second step, not a session.
func TestProviderSignInStillAsksForTheSecondFactor(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx, now := t.Context(), e.clock.Now()
		ada := e.person("ada@example.com", true)
		num := user.Identifier{ID: id.New(id.Identifier), UserID: ada.ID, Kind: user.Phone, Value: "+14155550100",
			VerifiedAt: &now, CreatedAt: now, UpdatedAt: now}
		if err := e.st.Q.CreateIdentifier(ctx, num); err != nil {
			t.Fatal(err)
		}
		if err := e.st.Q.SetSecondFactorPhone(ctx, ada.ID, num.ID, now); err != nil {
			t.Fatal(err)
		}
		who := github("1001", "ada@example.com", true)
		if err := e.svc.Connect(ctx, ada.ID, who); err != nil {
			t.Fatal(err)
		}
		res, err := e.signIn(who)
		if err != nil {
			t.Fatal(err)
		}
		if res.Session != nil || res.Next == nil || res.Next.Status != flow.NeedsSecondFactor ||
			res.Next.Data.FirstFactor != "oauth_github" {
			t.Fatalf("result %+v: want the second step after oauth_github", res)
		}
		if e.liveSessions(ada.ID) != 0 {
			t.Error("a session exists before the second factor")
		}
	})
}

// A signed-in person connects a provider account whatever its email says;
// connecting it again is a no-op, and it cannot be connected to a second user.
func TestConnect(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ada, bob := e.person("ada@example.com", true), e.person("bob@example.com", true)
		who := github("1001", "someone@elsewhere.example", false)
		for range 2 {
			if err := e.svc.Connect(ctx, ada.ID, who); err != nil {
				t.Fatal(err)
			}
		}
		if n := len(e.user(ada.ID).ExternalAccounts); n != 1 || e.owner(who) != ada.ID {
			t.Fatalf("%d provider accounts, owner %q", n, e.owner(who))
		}
		if got := e.eventTypes(ada.ID); !slices.Equal(got, []string{events.UserUpdated}) {
			t.Errorf("events %v: want one user.updated", got)
		}
		wantErr(t, "Bob connects Ada's", e.svc.Connect(ctx, bob.ID, who), apperr.Conflict, "error.social.taken")
		if sess := e.mustSignIn(who); sess.UserID != ada.ID {
			t.Errorf("signing in with it reaches %s, want Ada", sess.UserID)
		}
	})
}

// Disconnecting keeps a way in: an account made through the provider has
// no password on this email-and-password instance, so its only provider
// account stays until it sets one. Another user's ID is not found.
func TestDisconnectKeepsAWayIn(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		who := github("1001", "ada@example.com", true)
		ada := e.user(e.mustSignIn(who).UserID)
		x := ada.ExternalAccounts[0]
		wantErr(t, "the only way in", e.svc.Disconnect(ctx, ada.ID, x.ID), apperr.Invalid, "error.social.last_way")
		if e.owner(who) != ada.ID {
			t.Fatal("the last way in was disconnected")
		}

		bob := e.person("bob@example.com", true)
		bobs := github("2002", "bob@example.com", true)
		if err := e.svc.Connect(ctx, bob.ID, bobs); err != nil {
			t.Fatal(err)
		}
		bobsID := e.user(bob.ID).ExternalAccounts[0].ID
		wantErr(t, "Bob's, as Ada", e.svc.Disconnect(ctx, ada.ID, bobsID), apperr.NotFound, "error.social.not_found")
		if e.owner(bobs) != bob.ID {
			t.Error("Bob's provider account was disconnected")
		}
		// The operator's call (the Backend API) on a user that is not there.
		if err := e.svc.Disconnect(ctx, "user_missing", x.ID); err != user.ErrNoUser {
			t.Errorf("an unknown user: %v, want user.ErrNoUser", err)
		}

		hash, _ := hasher.Hash(ctx, "velvet-otter-harbour-lantern-42")
		if err := e.st.Q.SetPassword(ctx, ada.ID, hash, e.clock.Now()); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.Disconnect(ctx, ada.ID, x.ID); err != nil {
			t.Fatal(err)
		}
		if e.owner(who) != "" || !slices.Contains(e.eventTypes(ada.ID), events.UserUpdated) {
			t.Errorf("after disconnecting: owner %q, events %v", e.owner(who), e.eventTypes(ada.ID))
		}
	})
}
