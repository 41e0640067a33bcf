package waitlist_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/invitation"
	"github.com/portalhq/portal/internal/restrict"
	"github.com/portalhq/portal/internal/testutil/domaintest"
	"github.com/portalhq/portal/internal/waitlist"
)

var (
	created = events.WaitlistEntryCreated
	updated = events.WaitlistEntryUpdated
)

// Joining from the page reveals nothing about the address: a new one gets
// an entry (waitlistEntry.created) and the confirmation email; the same
// address again, in another case, and an address with an account get the
// same nil and nothing else — no second entry, no email. Bad input and
// the addresses sign-up refuses are refused on the email field with the
// sign-up's messages.
func TestJoin(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		if err := e.svc.Join(ctx, " Bob@Example.com "); err != nil {
			t.Fatal(err)
		}
		list := e.all()
		if len(list) != 1 || list[0].Email != "bob@example.com" || list[0].Status != waitlist.Pending ||
			!strings.HasPrefix(list[0].ID, "wle_") || list[0].Invitation != nil {
			t.Fatalf("entries after joining: %+v", list)
		}
		if got := domaintest.EventTypes(t, e.st.Q, list[0].ID); !slices.Equal(got, []string{created}) {
			t.Errorf("events %v, want [%s]", got, created)
		}
		evs, err := e.st.Q.EventsOfObject(ctx, list[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		var data map[string]any
		if err := json.Unmarshal(evs[0].Data, &data); err != nil {
			t.Fatal(err)
		}
		if data["object"] != "waitlist_entry" || data["email_address"] != "bob@example.com" || data["status"] != "pending" ||
			data["is_locked"] != false || data["invitation"] != nil {
			t.Errorf("waitlistEntry.created data %s", evs[0].Data)
		}

		e.user("ada@example.com")
		for _, again := range []string{"BOB@example.com", "ada@example.com"} {
			if err := e.svc.Join(ctx, again); err != nil {
				t.Errorf("Join(%s) = %v, want nil like any other address", again, err)
			}
		}
		if n := len(e.all()); n != 1 {
			t.Errorf("%d entries, want bob's alone", n)
		}
		if got := domaintest.EventTypes(t, e.st.Q, list[0].ID); len(got) != 1 {
			t.Errorf("joining again wrote events: %v", got)
		}
		if mails := e.mail.all(); len(mails) != 1 || mails[0] != (sent{kind: "joined", to: "bob@example.com"}) {
			t.Errorf("emails %+v, want bob's one confirmation", mails)
		}

		for _, tc := range []struct{ typed, id string }{
			{"", "error.identifier.email"},
			{"   ", "error.identifier.email"},
			{"not an address", "error.identifier.email_invalid"},
			{"Mallory@example.com", "error.restrict.email"},
			{"eve@blocked.example", "error.restrict.email"},
			{"bob+list@example.com", "error.restrict.subaddress"},
		} {
			domaintest.WantErr(t, "Join("+tc.typed+")", e.svc.Join(ctx, tc.typed), apperr.Invalid, tc.id)
		}
		if n := len(e.all()); n != 1 {
			t.Errorf("refused addresses made entries: %d", n)
		}
	})
}

// When the confirmation cannot be sent the entry stays (it is what was
// asked for) and the error says so; joining again sends nothing more.
func TestJoinKeepsTheEntryWhenTheConfirmationFails(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		e.mail.fail(true)
		if err := e.svc.Join(t.Context(), "bob@example.com"); !errors.Is(err, waitlist.ErrNotNotified) {
			t.Fatalf("Join = %v, want ErrNotNotified", err)
		}
		if list := e.all(); len(list) != 1 || list[0].Email != "bob@example.com" {
			t.Fatalf("entries %+v, want bob's", list)
		}
		e.mail.fail(false)
		if err := e.svc.Join(t.Context(), "bob@example.com"); err != nil || len(e.mail.all()) != 0 {
			t.Errorf("joining again: %v, %d emails", err, len(e.mail.all()))
		}
	})
}

// With Later set, a page join's confirmation goes out after the answer, so
// a new address is answered as fast as a listed one (REQ-RL-05); the
// operator's Create still sends at once and reports a failure.
func TestJoinConfirmsLater_REQ_RL_05(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		var queued []func(context.Context) error
		e.svc.Later = func(_ context.Context, fn func(context.Context) error) { queued = append(queued, fn) }
		if err := e.svc.Join(t.Context(), "bob@example.com"); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.Join(t.Context(), "bob@example.com"); err != nil {
			t.Fatal(err)
		}
		if len(queued) != 1 || len(e.mail.all()) != 0 {
			t.Fatalf("after two joins: %d queued, %d sent; want one queued for the new address, none sent", len(queued), len(e.mail.all()))
		}
		if err := queued[0](t.Context()); err != nil || len(e.mail.all()) != 1 || e.mail.all()[0].to != "bob@example.com" {
			t.Errorf("the queued confirmation: %v, %+v", err, e.mail.all())
		}
		if _, err := e.svc.Create(t.Context(), waitlist.CreateInput{Email: "carol@example.com", Notify: true}); err != nil ||
			len(queued) != 1 || len(e.mail.all()) != 2 {
			t.Errorf("Create with notify: %v, %d queued, %d sent; want sent at once", err, len(queued), len(e.mail.all()))
		}
	})
}

// The operator's Create answers an address on the list with its entry,
// unchanged, as Clerk's does; refuses an address with an account or one
// that is not an address; notifies only when asked, and only a new entry.
// The Backend API is the operator's: the blocklist does not apply.
func TestCreate(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		bob := e.create("Bob@Example.com")
		if bob.Email != "bob@example.com" || bob.Status != waitlist.Pending || len(e.mail.all()) != 0 {
			t.Fatalf("created %+v with %d emails; want pending and no email (notify false)", bob, len(e.mail.all()))
		}
		e.clock.Advance(time.Minute)
		again, err := e.svc.Create(ctx, waitlist.CreateInput{Email: "bob@example.com", Notify: true})
		if err != nil || again.ID != bob.ID || !again.UpdatedAt.Equal(bob.UpdatedAt) {
			t.Errorf("Create of an address on the list = %+v, %v; want bob's entry unchanged", again, err)
		}
		if n := len(e.mail.all()); n != 0 {
			t.Errorf("asking again with notify sent %d emails", n)
		}
		if got := domaintest.EventTypes(t, e.st.Q, bob.ID); !slices.Equal(got, []string{created}) {
			t.Errorf("events %v", got)
		}

		if _, err := e.svc.Create(ctx, waitlist.CreateInput{Email: "carol@example.com", Notify: true}); err != nil {
			t.Fatal(err)
		}
		if mails := e.mail.all(); len(mails) != 1 || mails[0].to != "carol@example.com" || mails[0].kind != "joined" {
			t.Errorf("emails %+v, want carol's confirmation", mails)
		}
		if _, err := e.svc.Create(ctx, waitlist.CreateInput{Email: "mallory@example.com"}); err != nil {
			t.Errorf("the operator adding a blocked address: %v", err)
		}

		e.user("ada@example.com")
		_, err = e.svc.Create(ctx, waitlist.CreateInput{Email: "ADA@example.com"})
		if ae, ok := apperr.As(err); !ok || ae.Code != apperr.Conflict || ae.Field != "email_address" {
			t.Errorf("an address with an account: %v, want a conflict on email_address", err)
		}
		_, err = e.svc.Create(ctx, waitlist.CreateInput{Email: "nope"})
		if ae, ok := apperr.As(err); !ok || ae.Code != apperr.Invalid || ae.Field != "email_address" {
			t.Errorf("not an address: %v", err)
		}
		if n := len(e.all()); n != 3 {
			t.Errorf("%d entries, want bob, carol and mallory", n)
		}
	})
}

// List checks what it is given, as the Backend API's 422s.
func TestListRefusesBadFilters(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		for _, f := range []waitlist.Filter{{Limit: 501}, {Limit: -1}, {Offset: -1}, {Statuses: []string{"accepted"}},
			{OrderBy: "status"}, {OrderBy: "-expires_at"}} {
			_, _, err := e.svc.List(t.Context(), f)
			if ae, ok := apperr.As(err); !ok || ae.Code != apperr.Invalid || ae.Field == "" {
				t.Errorf("List(%+v) = %v, want invalid naming the parameter", f, err)
			}
		}
		e.create("bob@example.com")
		list, total, err := e.svc.List(t.Context(), waitlist.Filter{Statuses: []string{waitlist.Pending}, OrderBy: "email_address"})
		if err != nil || total != 1 || len(list) != 1 {
			t.Errorf("List = %d of %d, %v", len(list), total, err)
		}
	})
}

// An entry's life: invited (an application invitation with the
// waitlist email, linked in the same transaction), its person signs up
// from the link and the entry reads completed, which can no longer be
// invited or rejected. Each change writes waitlistEntry.updated, and the
// invitation its own events.
func TestInviteUntilCompleted(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		bob := e.create("bob@example.com")
		e.clock.Advance(time.Minute)
		got, err := e.svc.Invite(ctx, bob.ID, false)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != waitlist.Invited || got.Shown() != waitlist.Invited || got.Invitation == nil ||
			got.InvitationID != got.Invitation.ID || got.Invitation.Status != invitation.Pending ||
			got.Invitation.Email != "bob@example.com" || !got.UpdatedAt.Equal(e.clock.Now()) {
			t.Fatalf("invited = %+v", got)
		}
		stored := e.entry(bob.ID)
		if stored.Status != waitlist.Invited || stored.InvitationID != got.Invitation.ID {
			t.Errorf("stored %+v", stored)
		}
		mails := e.mail.all()
		if len(mails) != 1 || mails[0].kind != invitation.TemplateWaitlist || mails[0].to != "bob@example.com" {
			t.Fatalf("emails %+v, want bob's waitlist invitation", mails)
		}
		if gotEv := domaintest.EventTypes(t, e.st.Q, bob.ID); !slices.Equal(gotEv, []string{created, updated}) {
			t.Errorf("entry events %v", gotEv)
		}
		if gotEv := domaintest.EventTypes(t, e.st.Q, got.Invitation.ID); !slices.Equal(gotEv, []string{events.AppInvitationCreated}) {
			t.Errorf("invitation events %v", gotEv)
		}
		obj := got.ToObject(e.clock.Now())
		if obj.Invitation == nil || obj.Invitation.ID != got.Invitation.ID || obj.Invitation.URL != "" || obj.Status != "invited" {
			t.Errorf("object %+v", obj)
		}

		// A live invitation is not sent twice unless asked.
		_, err = e.svc.Invite(ctx, bob.ID, false)
		if ae, ok := apperr.As(err); !ok || ae.Code != apperr.Conflict {
			t.Errorf("inviting again: %v, want a conflict", err)
		}
		e.clock.Advance(time.Minute)
		second, err := e.svc.Invite(ctx, bob.ID, true)
		if err != nil || second.InvitationID == got.InvitationID || len(e.mail.all()) != 2 {
			t.Fatalf("inviting again with ignore_existing: %+v, %v", second, err)
		}

		// bob signs up from the newest link.
		u := e.user("bob@example.com")
		link, _ := url.Parse(e.mail.all()[1].url)
		if _, err := e.inv.Accept(ctx, link.Query().Get("ticket"), u.ID); err != nil {
			t.Fatal(err)
		}
		done := e.entry(bob.ID)
		if done.Status != waitlist.Invited || done.Shown() != waitlist.Completed || done.ToObject(e.clock.Now()).Status != "completed" {
			t.Errorf("after sign-up: stored %q, shown %q; want invited, shown completed", done.Status, done.Shown())
		}
		list, total, err := e.svc.List(ctx, waitlist.Filter{Statuses: []string{waitlist.Completed}})
		if err != nil || total != 1 || list[0].ID != bob.ID {
			t.Errorf("List(completed) = %+v (%d), %v", list, total, err)
		}
		for what, err := range map[string]error{
			"Invite": func() error { _, err := e.svc.Invite(ctx, bob.ID, true); return err }(),
			"Reject": func() error { _, err := e.svc.Reject(ctx, bob.ID); return err }(),
		} {
			if !errors.Is(err, waitlist.ErrCompleted) {
				t.Errorf("%s of a completed entry: %v, want ErrCompleted", what, err)
			}
		}
		if _, err := e.svc.Invite(ctx, "wle_missing", false); !errors.Is(err, waitlist.ErrNotFound) {
			t.Errorf("Invite of an unknown entry: %v", err)
		}
	})
}

// An address that has an account is invited only with ignore_existing,
// as POST /v1/invitations.
func TestInviteAnAddressWithAnAccount(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		bob := e.create("bob@example.com")
		e.user("bob@example.com")
		_, err := e.svc.Invite(t.Context(), bob.ID, false)
		if ae, ok := apperr.As(err); !ok || ae.Code != apperr.Conflict || !strings.Contains(ae.Message, "already has an account") {
			t.Fatalf("Invite = %v, want a conflict: an account has the address", err)
		}
		if got := e.entry(bob.ID); got.Status != waitlist.Pending || got.InvitationID != "" {
			t.Errorf("the refused invitation changed the entry: %+v", got)
		}
		if _, err := e.svc.Invite(t.Context(), bob.ID, true); err != nil {
			t.Errorf("with ignore_existing: %v", err)
		}
	})
}

// Rejecting revokes the entry's pending invitation, so its link stops
// working; rejecting again changes nothing; a rejected entry may still be
// invited later.
func TestReject(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		bob := e.create("bob@example.com")
		invited, err := e.svc.Invite(ctx, bob.ID, false)
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Minute)
		got, err := e.svc.Reject(ctx, bob.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != waitlist.Rejected || got.Invitation == nil || got.Invitation.Status != invitation.Revoked {
			t.Fatalf("rejected = %+v", got)
		}
		link, _ := url.Parse(e.mail.all()[0].url)
		if _, err := e.inv.Lookup(ctx, link.Query().Get("ticket")); !errors.Is(err, invitation.ErrGone) {
			t.Errorf("the rejected entry's link: %v, want ErrGone", err)
		}
		if gotEv := domaintest.EventTypes(t, e.st.Q, invited.InvitationID); !slices.Equal(gotEv,
			[]string{events.AppInvitationCreated, events.AppInvitationRevoked}) {
			t.Errorf("invitation events %v", gotEv)
		}
		if _, err := e.svc.Reject(ctx, bob.ID); err != nil {
			t.Errorf("rejecting again: %v", err)
		}
		if gotEv := domaintest.EventTypes(t, e.st.Q, bob.ID); !slices.Equal(gotEv, []string{created, updated, updated}) {
			t.Errorf("entry events %v, want created, invited, rejected (once)", gotEv)
		}

		carol := e.create("carol@example.com")
		if r, err := e.svc.Reject(ctx, carol.ID); err != nil || r.Status != waitlist.Rejected || r.Invitation != nil {
			t.Errorf("rejecting a pending entry: %+v, %v", r, err)
		}
		if r, err := e.svc.Invite(ctx, carol.ID, false); err != nil || r.Status != waitlist.Invited {
			t.Errorf("inviting a rejected entry: %+v, %v", r, err)
		}
		if _, err := e.svc.Reject(ctx, "wle_missing"); !errors.Is(err, waitlist.ErrNotFound) {
			t.Errorf("Reject of an unknown entry: %v", err)
		}
	})
}

// When the invitation email cannot be sent, the invitation is revoked and
// the entry put back as it was (each change with its event), so that
// inviting again simply works.
func TestInviteUndoneWhenTheEmailFails(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		bob := e.create("bob@example.com")
		e.mail.fail(true)
		if _, err := e.svc.Invite(ctx, bob.ID, false); !errors.Is(err, waitlist.ErrNotSent) {
			t.Fatalf("Invite = %v, want ErrNotSent", err)
		}
		back := e.entry(bob.ID)
		if back.Status != waitlist.Pending || back.InvitationID != "" {
			t.Errorf("entry after the failed email: %+v, want pending without invitation", back)
		}
		invs, _, err := e.st.Q.ListAppInvitations(ctx, invitation.Filter{Now: e.clock.Now(), Limit: 10, OrderBy: "created_at"})
		if err != nil || len(invs) != 1 || invs[0].Status != invitation.Revoked {
			t.Fatalf("invitations %+v, %v; want the one, revoked", invs, err)
		}
		if gotEv := domaintest.EventTypes(t, e.st.Q, bob.ID); !slices.Equal(gotEv, []string{created, updated, updated}) {
			t.Errorf("entry events %v", gotEv)
		}
		e.mail.fail(false)
		if got, err := e.svc.Invite(ctx, bob.ID, false); err != nil || got.Status != waitlist.Invited {
			t.Errorf("inviting again: %+v, %v", got, err)
		}
	})
}

// Deleting takes the entry off the list, and the address may join again.
func TestDelete(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		bob := e.create("bob@example.com")
		if err := e.svc.Delete(ctx, bob.ID); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.Delete(ctx, bob.ID); !errors.Is(err, waitlist.ErrNotFound) {
			t.Errorf("deleting again: %v, want ErrNotFound", err)
		}
		if err := e.svc.Join(ctx, "bob@example.com"); err != nil || len(e.all()) != 1 || e.all()[0].ID == bob.ID {
			t.Errorf("joining after deletion: %v, %+v", err, e.all())
		}
	})
}

// With an allowlist, only an address sign-up would take may join: one on
// the list, and none at all when the list names only phone numbers.
func TestJoinFollowsTheAllowlist(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		for _, tc := range []struct {
			allow     []string
			email, id string
		}{
			{[]string{"@example.com"}, "eve@elsewhere.example", "error.restrict.email"},
			{[]string{"+14155550100"}, "bob@example.com", "error.restrict.none_allowed"},
		} {
			rules, err := restrict.New(tc.allow, nil, "", false)
			if err != nil {
				t.Fatal(err)
			}
			e.svc.Restrict = rules
			domaintest.WantErr(t, "Join("+tc.email+")", e.svc.Join(t.Context(), tc.email), apperr.Invalid, tc.id)
		}
		e.svc.Restrict, _ = restrict.New([]string{"@example.com"}, nil, "", false)
		if err := e.svc.Join(t.Context(), "bob@example.com"); err != nil || len(e.all()) != 1 {
			t.Errorf("an allowed address: %v, %d entries", err, len(e.all()))
		}
	})
}

// lostRace is a Repo on which every write of an entry loses its race: the
// store's ErrConflict, as when another request wrote first.
type lostRace struct{ waitlist.Repo }

func (lostRace) CreateWaitlistEntry(context.Context, *waitlist.Entry) error {
	return apperr.ErrConflict
}
func (lostRace) UpdateWaitlistEntry(context.Context, *waitlist.Entry, string, string) error {
	return apperr.ErrConflict
}

// A write that lost its race, twice over for a bulk add, is refused with
// the advice to try again and the Backend API's resource_locked (Clerk's
// answer for a resource another request is changing), not as a taken value.
func TestALostRaceIsResourceLocked(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		bob := e.create("bob@example.com")
		inTx := e.svc.InTx
		e.svc.InTx = func(ctx context.Context, fn func(waitlist.Repo) error) error {
			return inTx(ctx, func(r waitlist.Repo) error { return fn(lostRace{r}) })
		}
		_, rejectErr := e.svc.Reject(ctx, bob.ID)
		_, bulkErr := e.svc.CreateMany(ctx, []waitlist.CreateInput{{Email: "cy@example.com"}, {Email: "dee@example.com"}})
		for what, err := range map[string]error{"Reject": rejectErr, "CreateMany": bulkErr} {
			if ae, ok := apperr.As(err); !ok || ae.Code != apperr.Conflict || ae.APICode != "resource_locked" {
				t.Errorf("%s: %v, want a conflict coded resource_locked", what, err)
			}
		}
	})
}
