package signup_test

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/invitation"
	organization "github.com/portalhq/portal/internal/org"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/signup"
	"github.com/portalhq/portal/internal/user"
)

// appInvitation stores a pending application invitation to email with
// public metadata {"plan":"pro"}, and returns what a browser holding its
// ticket passes to a provider sign-up.
func (e *env) appInvitation(email string) signup.Invite {
	e.t.Helper()
	now := e.clock.Now()
	inv := &invitation.Invitation{ID: id.New(id.Invitation), Email: email, PublicMetadata: json.RawMessage(`{"plan":"pro"}`),
		TicketHash: invitation.HashTicket(id.Secret(32)), Status: invitation.Pending, ExpiresAt: now.Add(time.Hour),
		CreatedAt: now, UpdatedAt: now}
	if err := e.st.Q.CreateAppInvitation(e.t.Context(), inv); err != nil {
		e.t.Fatal(err)
	}
	return signup.Invite{Email: email, AppInvitationID: inv.ID}
}

// viaProvider begins a provider sign-up on a new browser holding inv, the
// provider giving email (verified or not) and no names.
func (e *env) viaProvider(email string, verified bool, inv signup.Invite) (string, *flow.Flow, *session.Session, error) {
	e.t.Helper()
	client := e.client()
	f, sess, err := e.svc.StartExternal(e.t.Context(), client, flow.External{Provider: "oauth_github", Subject: "gh-" + email,
		Email: email, EmailVerified: verified}, inv, "", meta)
	return client, f, sess, err
}

// invitationTaken checks that the account with email was created having
// taken inv up: its user.created event, its first, already carries the
// invitation's public metadata, and the invitation is accepted by it.
func (e *env) invitationTaken(email string, inv signup.Invite) {
	e.t.Helper()
	u, stored, created := e.afterSignUp(email, inv)
	if stored.Status != invitation.Accepted || stored.AcceptedUserID != u.ID {
		e.t.Errorf("invitation %s, accepted by %q; want accepted by %s", stored.Status, stored.AcceptedUserID, u.ID)
	}
	if got := compact(created.PublicMetadata); got != `{"plan":"pro"}` {
		e.t.Errorf("user.created public_metadata %s, want the invitation's", got)
	}
	if got := compact(u.PublicMetadata); got != `{"plan":"pro"}` {
		e.t.Errorf("the account's public_metadata %s, want the invitation's", got)
	}
}

// invitationLeft checks that the account with email was created without
// inv, which is still pending.
func (e *env) invitationLeft(email string, inv signup.Invite) {
	e.t.Helper()
	_, stored, created := e.afterSignUp(email, inv)
	if stored.Status != invitation.Pending || stored.AcceptedUserID != "" || compact(created.PublicMetadata) != `{}` {
		e.t.Errorf("invitation %s by %q, user.created metadata %s; want it pending and {}", stored.Status,
			stored.AcceptedUserID, created.PublicMetadata)
	}
}

// afterSignUp returns the account with email, inv as stored and the
// account's user.created object, which must be its first event.
func (e *env) afterSignUp(email string, inv signup.Invite) (*user.User, *invitation.Invitation, user.Object) {
	e.t.Helper()
	ctx := e.t.Context()
	u, err := e.st.Q.UserByIdentifier(ctx, user.Email, email)
	if err != nil {
		e.t.Fatalf("the account of %s: %v", email, err)
	}
	stored, err := e.st.Q.AppInvitationByID(ctx, inv.AppInvitationID)
	if err != nil {
		e.t.Fatal(err)
	}
	evs, err := e.st.Q.EventsOfObject(ctx, u.ID)
	if err != nil || len(evs) == 0 || evs[0].Type != events.UserCreated {
		e.t.Fatalf("events of the new user: %v, %v; want user.created first", evs, err)
	}
	var created user.Object
	if err := json.Unmarshal(evs[0].Data, &created); err != nil {
		e.t.Fatal(err)
	}
	return u, stored, created
}

// On a restricted instance (PORTAL_SIGN_UP_MODE=restricted) a browser
// holding an invitation signs up through a provider that verified the
// invited address (its assertion is needed, as REQ-OA-05 asks of linking
// by email): the account exists at once and takes the application
// invitation up as it is created. Another address, one the provider did not
// verify, none at all, or no invitation: refused, and nothing is written or
// sent.
func TestRestrictedProviderSignUpTakesUpTheInvitation(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		e.svc.Restricted = true
		bob := e.appInvitation("bob@example.com")

		for _, tc := range []struct {
			name, email string
			verified    bool
			inv         signup.Invite
			want        string
		}{
			{"no invitation", "bob@example.com", true, signup.Invite{}, "error.signup.invitation_only"},
			{"another address", "robert@example.com", true, bob, "error.signup.invited_account"},
			{"the address, not verified by the provider", "bob@example.com", false, bob, "error.signup.invited_account"},
			{"no address from the provider", "", true, bob, "error.signup.invited_account"},
		} {
			_, _, _, err := e.viaProvider(tc.email, tc.verified, tc.inv)
			wantErr(t, tc.name, err, apperr.Forbidden, tc.want)
		}
		if e.users() != 0 || e.rows("flows") != 0 || e.mail.Count() != 0 {
			t.Fatalf("refused sign-ups left %d users, %d flows, %d messages", e.users(), e.rows("flows"), e.mail.Count())
		}
		e.noAccount("robert@example.com")

		_, f, sess, err := e.viaProvider("Bob@Example.com", true, bob)
		if err != nil || sess == nil || f.Status != flow.Complete {
			t.Fatalf("the invited address, verified: %+v, %v, %v; want the account and a session at once", f, sess, err)
		}
		e.invitationTaken("bob@example.com", bob)
		if e.mail.Count() != 0 {
			t.Errorf("%d messages sent; the provider verified the address", e.mail.Count())
		}
	})
}

// On a restricted instance an organization's invitation opens a provider
// sign-up as it opens the form (Form.Invited): for its address only.
func TestRestrictedProviderSignUpByOrganizationInvitation(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		e.svc.Restricted = true
		e.orgInvitation("carol@example.com")
		org := signup.Invite{Email: "carol@example.com"} // no application invitation
		_, _, _, err := e.viaProvider("dave@example.com", true, org)
		wantErr(t, "another address", err, apperr.Forbidden, "error.signup.invited_account")
		if _, _, sess, err := e.viaProvider("carol@example.com", true, org); err != nil || sess == nil {
			t.Fatalf("the invited address: %v, %v; want a session", sess, err)
		}
		if e.users() != 1 {
			t.Errorf("%d users, want carol's account only", e.users())
		}
	})
}

// On a public instance a provider sign-up takes up the application
// invitation the browser holds when the addresses are the same, in the
// transaction that creates the account (user.created carries its public
// metadata); an address the provider did not verify is verified by code
// first. Another address signs up as usual and leaves the invitation
// pending.
func TestProviderSignUpTakesUpTheInvitation(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		bob := e.appInvitation("bob@example.com")
		if _, _, sess, err := e.viaProvider("bob@example.com", true, bob); err != nil || sess == nil {
			t.Fatalf("the invited address, verified: %v, %v; want a session", sess, err)
		}
		e.invitationTaken("bob@example.com", bob)

		carol := e.appInvitation("carol@example.com")
		client, f, sess, err := e.viaProvider("carol@example.com", false, carol)
		if err != nil || sess != nil || f.Data.Strategy != flow.EmailCode {
			t.Fatalf("the invited address, unverified: %+v, %v, %v; want the code sent", f, sess, err)
		}
		if _, err := e.verify(client, f.ID, signUpCode(t, e.mail, "carol@example.com")); err != nil {
			t.Fatal(err)
		}
		e.invitationTaken("carol@example.com", carol)

		dave := e.appInvitation("dave@example.com")
		if _, _, sess, err := e.viaProvider("erin@example.com", true, dave); err != nil || sess == nil {
			t.Fatalf("another address: %v, %v; want a session", sess, err)
		}
		e.invitationLeft("erin@example.com", dave)
	})
}

// A provider sign-up that must first ask for fields the provider did not
// give still takes the invitation up when the account is finally created:
// the names (restricted instance), or the address itself (public instance,
// where the handler passes the invitation to the address typed, as for the
// form).
func TestProviderSignUpWithMissingFieldsTakesUpTheInvitation(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		e.svc.Fields.Required[signup.FieldFirstName] = true
		e.svc.Fields.Required[signup.FieldLastName] = true
		e.svc.Restricted = true
		bob := e.appInvitation("bob@example.com")
		client, f, sess, err := e.viaProvider("bob@example.com", true, bob)
		if err != nil || sess != nil || len(f.Data.Missing) != 2 {
			t.Fatalf("no names from the provider: %+v, %v, %v; want them asked for", f, sess, err)
		}
		e.noAccount("bob@example.com")
		sess, err = e.svc.Fill(t.Context(), e.load(client, f.ID), signup.Form{FirstName: "Bob", LastName: "Builder"}, meta)
		if err != nil || sess == nil {
			t.Fatalf("Fill: %v, %v; want the account", sess, err)
		}
		e.invitationTaken("bob@example.com", bob)

		e.svc.Restricted = false
		carol := e.appInvitation("carol@example.com")
		client, f, _, err = e.viaProvider("", true, carol)
		if err != nil || !slices.Contains(f.Data.Missing, signup.FieldEmail) {
			t.Fatalf("no address from the provider: %+v, %v; want it asked for", f, err)
		}
		_, err = e.svc.Fill(t.Context(), e.load(client, f.ID), signup.Form{Email: "carol@example.com", FirstName: "Carol",
			LastName: "C", InvitationID: carol.AppInvitationID}, meta)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.verify(client, f.ID, signUpCode(t, e.mail, "carol@example.com")); err != nil {
			t.Fatal(err)
		}
		e.invitationTaken("carol@example.com", carol)
	})
}

// orgInvitation stores an organization with a live invitation to email, as
// an invite-only instance needs one standing when the account is made.
func (e *env) orgInvitation(email string) {
	e.t.Helper()
	ctx, now := e.t.Context(), e.clock.Now()
	o := &organization.Organization{ID: id.New(id.Org), Name: "Acme", Slug: "acme-" + id.Random(6),
		CreatedAt: now, UpdatedAt: now}
	if err := e.st.Q.CreateOrganization(ctx, o); err != nil {
		e.t.Fatal(err)
	}
	inv := &organization.Invitation{ID: id.New(id.OrgInvite), OrgID: o.ID, Email: email, Role: "org:member",
		Status: organization.Pending, TicketHash: id.Secret(32), CreatedAt: now, UpdatedAt: now, ExpireAt: now.Add(24 * time.Hour)}
	if err := e.st.Q.CreateInvitation(ctx, inv); err != nil {
		e.t.Fatal(err)
	}
}

// A browser holding an application invitation and an organization
// invitation to another address: either address signs up on a restricted
// instance, on the form or through a provider; only the application
// invitation's address takes that invitation up.
func TestRestrictedSignUpWithBothKindsOfInvitation(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		e.svc.Restricted = true
		app := e.appInvitation("ada@example.com")
		e.orgInvitation("carol@example.com")
		both := signup.Invite{Email: app.Email, AppInvitationID: app.AppInvitationID, AlsoEmail: "carol@example.com"}

		_, _, sess, err := e.viaProvider("carol@example.com", true, both)
		if err != nil || sess == nil {
			t.Fatalf("the organization invitation's address through a provider: %v, %v; want a session", sess, err)
		}
		if stored, err := e.st.Q.AppInvitationByID(t.Context(), app.AppInvitationID); err != nil || stored.Status != invitation.Pending {
			t.Errorf("the application invitation after carol's sign-up: %+v, %v; want it pending", stored, err)
		}
		f := e.mustStart(e.client(), signup.Form{Email: "Carol2@example.com", Password: pw, Invited: app.Email,
			AlsoInvited: "carol2@example.com"})
		if f.Status != flow.MissingRequirements {
			t.Errorf("the form with the other invited address: status %q", f.Status)
		}
		_, err = e.start(e.client(), signup.Form{Email: "eve@example.com", Password: pw, Invited: app.Email,
			AlsoInvited: "carol@example.com"})
		var fe *signup.FormError
		if !errors.As(err, &fe) {
			t.Errorf("an address neither invitation was sent to: %v, want a field error", err)
		}
		if _, _, _, err := e.viaProvider("ada@example.com", true, both); err != nil {
			t.Fatalf("the application invitation's address: %v", err)
		}
		e.invitationTaken("ada@example.com", app)
	})
}
