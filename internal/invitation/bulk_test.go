package invitation_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/invitation"
	"github.com/portalhq/portal/internal/testutil/domaintest"
)

// Every change of an invitation writes its event, as Clerk's
// invitation.created, invitation.accepted and invitation.revoked, with the
// Backend API's object minus url: the ticket stays in the email alone.
func TestInvitationEvents(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		inv, ticket := e.invite(invitation.CreateInput{Email: "bob@example.com", Notify: true,
			PublicMetadata: json.RawMessage(`{"plan":"pro"}`)})
		if got := domaintest.EventTypes(t, e.st.Q, inv.ID); !slices.Equal(got, []string{events.AppInvitationCreated}) {
			t.Fatalf("events after Create: %v", got)
		}
		evs, err := e.st.Q.EventsOfObject(t.Context(), inv.ID)
		if err != nil {
			t.Fatal(err)
		}
		var data map[string]any
		if err := json.Unmarshal(evs[0].Data, &data); err != nil {
			t.Fatal(err)
		}
		if data["object"] != "invitation" || data["id"] != inv.ID || data["email_address"] != "bob@example.com" ||
			data["status"] != "pending" || data["public_metadata"].(map[string]any)["plan"] != "pro" {
			t.Errorf("invitation.created data %s", evs[0].Data)
		}
		if _, has := data["url"]; has || strings.Contains(string(evs[0].Data), ticket) {
			t.Errorf("invitation.created data carries the link: %s", evs[0].Data)
		}

		u := e.user("bob@example.com", true, `{}`)
		if _, err := e.svc.Accept(t.Context(), ticket, u.ID); err != nil {
			t.Fatal(err)
		}
		if got := domaintest.EventTypes(t, e.st.Q, inv.ID); !slices.Equal(got, []string{events.AppInvitationCreated, events.AppInvitationAccepted}) {
			t.Errorf("events after Accept: %v", got)
		}

		gone, _ := e.invite(invitation.CreateInput{Email: "carol@example.com"})
		if _, err := e.svc.Revoke(t.Context(), gone.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Revoke(t.Context(), gone.ID); !errors.Is(err, invitation.ErrRevokedAlready) {
			t.Errorf("second Revoke: %v, want ErrRevokedAlready", err)
		}
		if got := domaintest.EventTypes(t, e.st.Q, gone.ID); !slices.Equal(got, []string{events.AppInvitationCreated, events.AppInvitationRevoked}) {
			t.Errorf("events after Revoke (twice): %v", got)
		}
	})
}

// CreateMany creates every invitation of a request or none: a refusal of
// any names it (and its address) and stores, sends and records nothing.
func TestCreateManyIsAllOrNothing(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		e.user("ada@example.com", true, `{}`)
		for _, tc := range []struct {
			name string
			ins  []invitation.CreateInput
			code apperr.Code
			says string
		}{
			{"none", nil, apperr.Invalid, "between 1 and 10"},
			{"eleven", make([]invitation.CreateInput, 11), apperr.Invalid, "between 1 and 10"},
			{"an account has the second", []invitation.CreateInput{{Email: "x@example.com"}, {Email: "Ada@example.com"}, {Email: "y@example.com"}},
				apperr.Conflict, "Invitation 2 of 3: ada@example.com already has an account."},
			{"the third is not an address", []invitation.CreateInput{{Email: "x@example.com"}, {Email: "y@example.com"}, {Email: "z"}},
				apperr.Invalid, "Invitation 3 of 3: Give an email address"},
			{"the same address twice", []invitation.CreateInput{{Email: "x@example.com"}, {Email: "X@Example.com", IgnoreExisting: true}},
				apperr.Conflict, "Invitation 2 of 2: x@example.com is invited twice"},
			{"an unknown template", []invitation.CreateInput{{Email: "x@example.com", TemplateSlug: "welcome"}},
				apperr.Invalid, "template_slug"},
		} {
			_, _, err := e.svc.CreateMany(t.Context(), tc.ins)
			if ae, ok := apperr.As(err); !ok || ae.Code != tc.code || !strings.Contains(ae.Message, tc.says) {
				t.Errorf("%s: %v, want %s saying %q", tc.name, err, tc.code, tc.says)
			}
		}
		if n, m := len(e.all()), len(e.mail.all()); n != 0 || m != 0 {
			t.Fatalf("refused requests stored %d invitations and sent %d emails", n, m)
		}

		invs, links, err := e.svc.CreateMany(t.Context(), []invitation.CreateInput{
			{Email: "x@example.com", Notify: true, PublicMetadata: json.RawMessage(`{"team":1}`), TemplateSlug: "invitation"},
			{Email: "y@example.com", Notify: true, ExpiresInDays: 3, TemplateSlug: "waitlist_invitation"},
			{Email: "ada@example.com", IgnoreExisting: true},
		})
		if err != nil || len(invs) != 3 || len(links) != 3 {
			t.Fatalf("CreateMany = %d, %d, %v", len(invs), len(links), err)
		}
		for i, want := range []string{"x@example.com", "y@example.com", "ada@example.com"} {
			if invs[i].Email != want || e.stored(invs[i].ID).TicketHash != invitation.HashTicket(ticketOf(t, links[i])) {
				t.Errorf("invitation %d: %s with link %s, want %s and its own ticket", i, invs[i].Email, links[i], want)
			}
			if got := domaintest.EventTypes(t, e.st.Q, invs[i].ID); !slices.Equal(got, []string{events.AppInvitationCreated}) {
				t.Errorf("invitation %d events %v", i, got)
			}
		}
		if !e.stored(invs[1].ID).ExpiresAt.Equal(e.clock.Now().Add(3 * day)) {
			t.Error("expires_in_days of the second was not kept")
		}
		mails := e.mail.all()
		if len(mails) != 2 || mails[0].to != "x@example.com" || mails[1].to != "y@example.com" {
			t.Fatalf("emails %+v, want x and y (ada's had notify false)", mails)
		}
		// template_slug picks the email: y is let in from a waiting list.
		if mails[0].m.Template != invitation.TemplateInvitation || mails[1].m.Template != invitation.TemplateWaitlist {
			t.Errorf("email templates %q and %q, want invitation and waitlist_invitation", mails[0].m.Template, mails[1].m.Template)
		}
	})
}

// failSecond sends the first email and fails the rest.
type failSecond struct {
	mu   sync.Mutex
	sent []string
}

func (f *failSecond) SendAppInvitation(_ context.Context, to, _ string, _ invitation.Mail) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.sent) > 0 {
		return errors.New("smtp: 451 try later")
	}
	f.sent = append(f.sent, to)
	return nil
}

// When one email of a request cannot be sent, the whole request is
// withdrawn (each invitation revoked, with its event), so it can simply be
// made again; the retry sends everyone a working link.
func TestCreateManyWithdrawsAllWhenAnEmailFails(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		e.svc.Notifier = &failSecond{}
		ins := []invitation.CreateInput{{Email: "x@example.com", Notify: true}, {Email: "y@example.com", Notify: true}}
		invs, _, err := e.svc.CreateMany(t.Context(), ins)
		if !errors.Is(err, invitation.ErrNotSentBulk) || invs != nil {
			t.Fatalf("CreateMany = %v, %v; want ErrNotSentBulk", invs, err)
		}
		all := e.all()
		if len(all) != 2 {
			t.Fatalf("%d stored, want the 2 withdrawn", len(all))
		}
		for _, inv := range all {
			if inv.Status != invitation.Revoked {
				t.Errorf("%s is %s, want revoked", inv.Email, inv.Status)
			}
			if got := domaintest.EventTypes(t, e.st.Q, inv.ID); !slices.Equal(got, []string{events.AppInvitationCreated, events.AppInvitationRevoked}) {
				t.Errorf("%s events %v", inv.Email, got)
			}
		}
		e.svc.Notifier = e.mail
		if invs, _, err := e.svc.CreateMany(t.Context(), ins); err != nil || len(invs) != 2 || len(e.mail.all()) != 2 {
			t.Fatalf("retry: %d invitations, %d emails, %v", len(invs), len(e.mail.all()), err)
		}
	})
}

// GET /v1/invitations?query= matches a piece of the address or the ID, as
// Clerk's.
func TestListQueryMatchesID(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		bob, _ := e.invite(invitation.CreateInput{Email: "bob@example.com"})
		e.invite(invitation.CreateInput{Email: "carol@example.com"})
		for q, want := range map[string][]string{bob.ID: {bob.ID}, "BOB@": {bob.ID}, bob.ID[:8]: nil} {
			list, total, err := e.svc.List(t.Context(), invitation.Filter{Query: q})
			var got []string
			for _, inv := range list {
				got = append(got, inv.ID)
			}
			if err != nil || !slices.Equal(got, want) || total != len(want) {
				t.Errorf("query %q: %v (total %d), %v; want %v", q, got, total, err, want)
			}
		}
	})
}
