package invitation_test

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/invitation"
	"github.com/portalhq/portal/internal/testutil/domaintest"
)

// Create stores a pending invitation to the normalised address with its
// metadata, redirect URL and expiry, keeps only the ticket's hash, and
// emails the link unless told not to.
func TestCreateStoresAndEmails(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		now := e.clock.Now()
		inv, ticket := e.invite(invitation.CreateInput{Email: "  Bob@Example.COM ", Notify: true,
			PublicMetadata: json.RawMessage(`{"plan": "pro", "seats": 3}`), RedirectURL: "https://app.example.com/welcome"})
		got := e.stored(inv.ID)
		if got.Email != "bob@example.com" || got.Status != invitation.Pending || got.RedirectURL != "https://app.example.com/welcome" ||
			got.TicketHash != invitation.HashTicket(ticket) || got.AcceptedUserID != "" {
			t.Errorf("stored %+v", got)
		}
		if got.TicketHash == ticket || len(ticket) < 40 {
			t.Errorf("ticket %q, stored %q: want a long ticket, stored hashed", ticket, got.TicketHash)
		}
		if !got.ExpiresAt.Equal(now.Add(invitation.DefaultTTL)) || !got.CreatedAt.Equal(now) {
			t.Errorf("expires %v, created %v; want %v, %v", got.ExpiresAt, got.CreatedAt, now.Add(invitation.DefaultTTL), now)
		}
		sameJSON(t, "public metadata", got.PublicMetadata, `{"plan":"pro","seats":3}`)
		mails := e.mail.all()
		if len(mails) != 1 || mails[0].to != "bob@example.com" || ticketOf(t, mails[0].m.URL) != ticket ||
			!mails[0].m.ExpireAt.Equal(got.ExpiresAt) {
			t.Fatalf("emails %+v", mails)
		}

		quiet, _ := e.invite(invitation.CreateInput{Email: "carol@example.com", Notify: false, ExpiresInDays: 7})
		if n := len(e.mail.all()); n != 1 {
			t.Errorf("notify=false sent an email (%d in all)", n)
		}
		if got := e.stored(quiet.ID); !got.ExpiresAt.Equal(now.Add(7*day)) || string(got.PublicMetadata) != "{}" {
			t.Errorf("expires_in_days 7: expires %v, metadata %s", got.ExpiresAt, got.PublicMetadata)
		}
	})
}

// An address that has an account or a live invitation is refused unless
// ignore_existing; bad input is refused field by field; a refusal stores
// and sends nothing.
func TestCreateRefusals(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		e.user("ada@example.com", true, `{}`)
		e.invite(invitation.CreateInput{Email: "bob@example.com"})
		stale, _ := e.invite(invitation.CreateInput{Email: "old@example.com", ExpiresInDays: 1})
		e.clock.Advance(2 * day)
		before, mails := len(e.all()), len(e.mail.all())
		for _, tc := range []struct {
			name  string
			in    invitation.CreateInput
			code  apperr.Code
			field string
		}{
			{"not an address", invitation.CreateInput{Email: "bob"}, apperr.Invalid, "email_address"},
			{"an account has it", invitation.CreateInput{Email: "ADA@example.com"}, apperr.Conflict, "email_address"},
			{"a live invitation has it", invitation.CreateInput{Email: "bob@example.com"}, apperr.Conflict, "email_address"},
			{"metadata not an object", invitation.CreateInput{Email: "x@example.com", PublicMetadata: json.RawMessage(`[1]`)},
				apperr.Invalid, "public_metadata"},
			{"expires_in_days too long", invitation.CreateInput{Email: "x@example.com", ExpiresInDays: 366},
				apperr.Invalid, "expires_in_days"},
		} {
			_, _, err := e.svc.Create(t.Context(), tc.in)
			if ae, ok := apperr.As(err); !ok || ae.Code != tc.code || ae.Field != tc.field {
				t.Errorf("%s: %v, want %s on %s", tc.name, err, tc.code, tc.field)
			}
		}
		if len(e.all()) != before || len(e.mail.all()) != mails {
			t.Fatalf("refusals stored or sent something: %d invitations (was %d), %d emails (was %d)",
				len(e.all()), before, len(e.mail.all()), mails)
		}

		// An expired invitation does not block a new one; ignore_existing
		// invites an account's address and a second time.
		e.invite(invitation.CreateInput{Email: "old@example.com"})
		e.invite(invitation.CreateInput{Email: "ada@example.com", IgnoreExisting: true})
		e.invite(invitation.CreateInput{Email: "bob@example.com", IgnoreExisting: true})
		if n := len(e.all()); n != before+3 {
			t.Errorf("%d invitations, want %d", n, before+3)
		}
		if e.stored(stale.ID).Status != invitation.Pending {
			t.Error("the expired invitation changed")
		}
	})
}

// Accept needs the account to have verified the invited address; it then
// marks the invitation accepted by that user, merges its public metadata
// into the user's (one user.updated event) and works once. The link then
// reads as gone.
func TestAcceptCopiesMetadataOnce(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		inv, ticket := e.invite(invitation.CreateInput{Email: "bob@example.com",
			PublicMetadata: json.RawMessage(`{"plan":"pro","team":{"id":7}}`)})
		if got, err := e.svc.Lookup(t.Context(), ticket); err != nil || got.ID != inv.ID || got.Email != "bob@example.com" {
			t.Fatalf("Lookup = %+v, %v", got, err)
		}
		eve := e.user("eve@example.com", true, `{}`)
		_, err := e.svc.Accept(t.Context(), ticket, eve.ID)
		domaintest.WantErr(t, "another account", err, apperr.Forbidden, "error.invitation.wrong_account")
		unverified := e.user("bob@example.com", false, `{}`)
		_, err = e.svc.Accept(t.Context(), ticket, unverified.ID)
		domaintest.WantErr(t, "the address unverified", err, apperr.Forbidden, "error.invitation.wrong_account")
		if got := e.stored(inv.ID); got.Status != invitation.Pending {
			t.Fatalf("refused acceptances changed the status to %q", got.Status)
		}
		if err := e.st.Q.DeleteUser(t.Context(), unverified.ID); err != nil {
			t.Fatal(err)
		}

		bob := e.user("bob@example.com", true, `{"plan":"free","beta":true}`)
		e.clock.Advance(time.Minute)
		if _, err := e.svc.Accept(t.Context(), ticket, bob.ID); err != nil {
			t.Fatal(err)
		}
		got := e.stored(inv.ID)
		if got.Status != invitation.Accepted || got.AcceptedUserID != bob.ID || !got.UpdatedAt.Equal(e.clock.Now()) {
			t.Errorf("after accepting: %+v", got)
		}
		u, err := e.st.Q.UserByID(t.Context(), bob.ID)
		if err != nil {
			t.Fatal(err)
		}
		sameJSON(t, "bob's public metadata", u.PublicMetadata, `{"plan":"pro","beta":true,"team":{"id":7}}`)
		if types := domaintest.EventTypes(t, e.st.Q, bob.ID); !slices.Equal(types, []string{events.UserUpdated}) {
			t.Errorf("events about bob: %v, want one user.updated", types)
		}

		_, err = e.svc.Accept(t.Context(), ticket, bob.ID)
		domaintest.WantErr(t, "accepting twice", err, apperr.Expired, "error.invitation.gone")
		_, err = e.svc.Lookup(t.Context(), ticket)
		domaintest.WantErr(t, "looking up a used ticket", err, apperr.Expired, "error.invitation.gone")
		if types := domaintest.EventTypes(t, e.st.Q, bob.ID); len(types) != 1 {
			t.Errorf("the refused second acceptance wrote events: %v", types)
		}
	})
}

// Revoked, expired and unknown tickets all read as gone, for Lookup and
// Accept alike; revoking works on a pending invitation only.
func TestRevokedAndExpiredTicketsAreGone(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		bob := e.user("bob@example.com", true, `{}`)
		revoked, revokedTicket := e.invite(invitation.CreateInput{Email: "bob@example.com", IgnoreExisting: true})
		e.clock.Advance(time.Second)
		got, err := e.svc.Revoke(t.Context(), revoked.ID)
		if err != nil || got.Status != invitation.Revoked {
			t.Fatalf("Revoke = %+v, %v", got, err)
		}
		if s := e.stored(revoked.ID); s.Status != invitation.Revoked || !s.UpdatedAt.Equal(e.clock.Now()) {
			t.Errorf("stored after revoking: %+v", s)
		}
		_, err = e.svc.Revoke(t.Context(), revoked.ID)
		domaintest.WantErr(t, "revoking twice", err, apperr.Conflict, "")
		_, err = e.svc.Revoke(t.Context(), id.New(id.Invitation))
		domaintest.WantErr(t, "revoking an unknown ID", err, apperr.NotFound, "")

		expiring, expiringTicket := e.invite(invitation.CreateInput{Email: "bob@example.com", IgnoreExisting: true,
			ExpiresInDays: 1})
		e.clock.Advance(day)
		for what, ticket := range map[string]string{"revoked": revokedTicket, "expired": expiringTicket,
			"unknown": "no-such-ticket", "empty": ""} {
			_, err := e.svc.Lookup(t.Context(), ticket)
			domaintest.WantErr(t, what+" Lookup", err, apperr.Expired, "error.invitation.gone")
			_, err = e.svc.Accept(t.Context(), ticket, bob.ID)
			domaintest.WantErr(t, what+" Accept", err, apperr.Expired, "error.invitation.gone")
		}
		if s := e.stored(expiring.ID); s.Status != invitation.Pending {
			t.Errorf("the expired invitation is %q, want still pending (shown as expired)", s.Status)
		}
		list, total, err := e.svc.List(t.Context(), invitation.Filter{Statuses: []string{invitation.Expired}})
		if err != nil || total != 1 || len(list) != 1 || list[0].ID != expiring.ID ||
			list[0].ToObject(e.clock.Now(), "").Status != invitation.Expired {
			t.Errorf("expired list = %+v (%d), %v", list, total, err)
		}
	})
}

// List pages through invitations newest first, filtered by status, and
// refuses a status or page it does not know.
func TestList(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		var ids []string
		for _, email := range []string{"a@example.com", "b@example.com", "c@example.com"} {
			inv, _ := e.invite(invitation.CreateInput{Email: email})
			ids = append(ids, inv.ID)
			e.clock.Advance(time.Second)
		}
		if _, err := e.svc.Revoke(t.Context(), ids[1]); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			f     invitation.Filter
			want  []string
			total int
		}{
			{invitation.Filter{}, []string{ids[2], ids[1], ids[0]}, 3},
			{invitation.Filter{Limit: 1, Offset: 1}, []string{ids[1]}, 3},
			{invitation.Filter{Statuses: []string{invitation.Pending}}, []string{ids[2], ids[0]}, 2},
			{invitation.Filter{Statuses: []string{invitation.Revoked}}, []string{ids[1]}, 1},
		} {
			list, total, err := e.svc.List(t.Context(), tc.f)
			var got []string
			for _, i := range list {
				got = append(got, i.ID)
			}
			if err != nil || total != tc.total || !slices.Equal(got, tc.want) {
				t.Errorf("List(%+v) = %v of %d, %v; want %v of %d", tc.f, got, total, err, tc.want, tc.total)
			}
		}
		for _, f := range []invitation.Filter{{Statuses: []string{"done"}}, {Limit: 501}, {Offset: -1}} {
			if _, _, err := e.svc.List(t.Context(), f); apperr.CodeOf(err) != apperr.Invalid {
				t.Errorf("List(%+v): %v, want Invalid", f, err)
			}
		}
	})
}

// Two acceptances of one ticket at once: exactly one wins.
func TestAcceptOnceUnderRace(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		bob := e.user("bob@example.com", true, `{}`)
		inv, ticket := e.invite(invitation.CreateInput{Email: "bob@example.com", IgnoreExisting: true,
			PublicMetadata: json.RawMessage(`{"n":1}`)})
		errs := make(chan error, 4)
		for range 4 {
			go func() {
				_, err := e.svc.Accept(t.Context(), ticket, bob.ID)
				errs <- err
			}()
		}
		won := 0
		for range 4 {
			err := <-errs
			switch {
			case err == nil:
				won++
			case !errors.Is(err, invitation.ErrGone):
				t.Errorf("a losing acceptance: %v, want ErrGone", err)
			}
		}
		if won != 1 || e.stored(inv.ID).Status != invitation.Accepted {
			t.Errorf("%d acceptances won, status %q", won, e.stored(inv.ID).Status)
		}
		if types := domaintest.EventTypes(t, e.st.Q, bob.ID); len(types) != 1 {
			t.Errorf("events about bob: %v, want one user.updated", types)
		}
	})
}
