package org_test

import (
	"bytes"
	"errors"
	"image"
	"image/png"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/org"
)

func TestCreate(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ada := e.person("ada@example.com")
		o := e.create(ada, "Acme Rockets")
		if o.Slug != "acme-rockets" || o.CreatedBy != ada.ID {
			t.Errorf("organization = %+v", o)
		}
		if m := e.membership(o, ada); m.Role != org.RoleAdmin {
			t.Errorf("creator's role = %q, want org:admin", m.Role)
		}
		if got := e.activeOrg(ada); got != o.ID {
			t.Errorf("active organization = %q, want the new one", got)
		}
		if got := e.eventTypes(o.ID); !slices.Equal(got, []string{events.OrganizationCreated}) {
			t.Errorf("events of the organization = %v", got)
		}
		if got := e.eventTypes(e.membership(o, ada).ID); !slices.Equal(got, []string{events.MembershipCreated}) {
			t.Errorf("events of the membership = %v", got)
		}
		_, err := e.svc.Create(ctx, ada.actor, org.CreateInput{Name: "Acme", Slug: "acme-rockets"})
		if !errors.Is(err, org.ErrSlugTaken) {
			t.Errorf("taken slug: %v", err)
		}
		if _, err := e.svc.Create(ctx, ada.actor, org.CreateInput{Name: "Acme", Slug: "Bad Slug"}); apperr.CodeOf(err) != apperr.Invalid {
			t.Errorf("bad slug: %v", err)
		}
		if _, err := e.svc.Create(ctx, ada.actor, org.CreateInput{Name: " "}); apperr.CodeOf(err) != apperr.Invalid {
			t.Errorf("empty name: %v", err)
		}
		e.svc.Policy.CreateEnabled = false
		if _, err := e.svc.Create(ctx, ada.actor, org.CreateInput{Name: "Nope"}); !errors.Is(err, org.ErrCreateDisabled) {
			t.Errorf("creation disabled: %v", err)
		}
	})
}

// The per-user creation limit holds when one person creates several at once.
func TestCreateLimit(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		e.svc.Policy.CreateLimit = 2
		ada := e.person("ada@example.com")
		errs := race(t, e.st, 6, func(i int) error {
			_, err := e.svc.Create(t.Context(), ada.actor, org.CreateInput{Name: "Org", Slug: "org-" + string(rune('a'+i))})
			return err
		})
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, org.ErrCreateLimit):
				t.Errorf("unexpected error: %v", err)
			}
		}
		if ok != 2 {
			t.Errorf("%d organizations created, want the limit of 2", ok)
		}
	})
}

// REQ-AC-01, REQ-AC-02, REQ-AC-05: every change checks the caller's role in
// that organization, and objects of another organization read as missing.
func TestAuthorization_REQ_AC_01_REQ_AC_02_REQ_AC_05(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ada, bob, eve := e.person("ada@example.com"), e.person("bob@example.com"), e.person("eve@example.com")
		acme, evil := e.create(ada, "Acme"), e.create(eve, "Evil")
		bobM := e.join(ada, bob, acme, org.RoleMember)
		eveM := e.membership(evil, eve)
		e.invite(ada, acme, "carol@example.com", "")
		acmeInv := mustPending(t, e, acme.ID)
		e.invite(eve, evil, "dan@example.com", "")
		evilInv := mustPending(t, e, evil.ID)
		before := len(e.allEvents())

		for _, c := range []struct {
			name string
			do   func() error
			want error
		}{
			{"member changes a role", func() error {
				return e.svc.ChangeRole(ctx, bob.actor, acme.ID, e.membership(acme, ada).ID, org.RoleMember)
			}, org.ErrForbidden},
			{"member removes someone", func() error { return e.svc.RemoveMember(ctx, bob.actor, acme.ID, e.membership(acme, ada).ID) }, org.ErrForbidden},
			{"member invites", func() error {
				_, err := e.svc.Invite(ctx, bob.actor, acme.ID, org.InviteInput{Emails: []string{"x@example.com"}})
				return err
			}, org.ErrForbidden},
			{"member revokes", func() error { return e.svc.Revoke(ctx, bob.actor, acme.ID, acmeInv.ID) }, org.ErrForbidden},
			{"member renames", func() error {
				_, err := e.svc.Update(ctx, bob.actor, acme.ID, org.UpdateInput{Name: "Mine", Slug: "mine"})
				return err
			}, org.ErrForbidden},
			{"member deletes", func() error { return e.svc.Delete(ctx, bob.actor, acme.ID, "Acme", "") }, org.ErrForbidden},
			{"outsider changes a role", func() error { return e.svc.ChangeRole(ctx, eve.actor, acme.ID, bobM.ID, org.RoleAdmin) }, org.ErrNotFound},
			{"outsider lists members", func() error { _, _, err := e.svc.Members(ctx, eve.actor, acme.ID, "", 1); return err }, org.ErrNotFound},
			{"outsider leaves", func() error { return e.svc.Leave(ctx, eve.actor, acme.ID, "Acme") }, org.ErrNotFound},
			{"outsider activates", func() error { _, err := e.svc.Activate(ctx, eve.actor, acme.Slug); return err }, org.ErrNotFound},
			{"outsider reads the logo", func() error { _, err := e.svc.Logo(ctx, eve.actor, acme.ID); return err }, org.ErrNotFound},
			{"admin uses another organization's membership", func() error { return e.svc.RemoveMember(ctx, ada.actor, acme.ID, eveM.ID) }, org.ErrNotFound},
			{"admin uses another organization's invitation", func() error { return e.svc.Revoke(ctx, ada.actor, acme.ID, evilInv.ID) }, org.ErrNotFound},
			{"admin resends another organization's invitation", func() error { return e.svc.Resend(ctx, ada.actor, acme.ID, evilInv.ID) }, org.ErrNotFound},
			{"unknown organization", func() error { return e.svc.Leave(ctx, ada.actor, "org_nope", "Acme") }, org.ErrNotFound},
		} {
			if err := c.do(); !errors.Is(err, c.want) {
				t.Errorf("%s: %v, want %v", c.name, err, c.want)
			}
		}
		if after := len(e.allEvents()); after != before {
			t.Errorf("refused requests wrote %d events", after-before)
		}
		if m := e.membership(evil, eve); m.Role != org.RoleAdmin {
			t.Errorf("another organization's member changed: %+v", m)
		}
	})
}

// REQ-AC-03, REQ-AC-06: nobody changes their own role, and an organization
// keeps an admin whatever is removed, demoted or left.
func TestInvariants_REQ_AC_03_REQ_AC_06(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ada, bob := e.person("ada@example.com"), e.person("bob@example.com")
		acme := e.create(ada, "Acme")
		adaM := e.membership(acme, ada)
		bobM := e.join(ada, bob, acme, org.RoleAdmin)

		if err := e.svc.ChangeRole(ctx, ada.actor, acme.ID, adaM.ID, org.RoleMember); !errors.Is(err, org.ErrOwnRole) {
			t.Errorf("own role: %v", err)
		}
		if err := e.svc.ChangeRole(ctx, ada.actor, acme.ID, bobM.ID, "org:ghost"); apperr.CodeOf(err) != apperr.Invalid {
			t.Errorf("unknown role: %v", err)
		}
		// Two admins: one may go.
		if err := e.svc.ChangeRole(ctx, ada.actor, acme.ID, bobM.ID, org.RoleMember); err != nil {
			t.Fatal(err)
		}
		if got := e.eventTypes(bobM.ID); !slices.Equal(got, []string{events.MembershipCreated, events.MembershipUpdated}) {
			t.Errorf("events of the membership = %v", got)
		}
		// Now ada is the last admin.
		if err := e.svc.Leave(ctx, ada.actor, acme.ID, "Acme"); !errors.Is(err, org.ErrLastAdmin) {
			t.Errorf("last admin leaves: %v", err)
		}
		// The last admin hears why before the typed name matters.
		if err := e.svc.Leave(ctx, ada.actor, acme.ID, ""); !errors.Is(err, org.ErrLastAdmin) {
			t.Errorf("last admin leaves without the name: %v", err)
		}
		if err := e.svc.RemoveMember(ctx, ada.actor, acme.ID, adaM.ID); !errors.Is(err, org.ErrLastAdmin) {
			t.Errorf("last admin removes herself: %v", err)
		}
		// Leaving is confirmed by the organization's name, as shown.
		for _, typed := range []string{"", "acme", "Acme Rockets"} {
			if ae, ok := apperr.As(e.svc.Leave(ctx, bob.actor, acme.ID, typed)); !ok || ae.Field != "confirm_name" {
				t.Errorf("leave confirmed by %q: %v", typed, ae)
			}
		}
		if _, err := e.st.Q.MembershipOf(ctx, acme.ID, bob.ID); err != nil {
			t.Errorf("a refused leave took the membership: %v", err)
		}
		if err := e.svc.Leave(ctx, bob.actor, acme.ID, " Acme "); err != nil {
			t.Errorf("a member leaves: %v", err)
		}
		if _, err := e.st.Q.MembershipOf(ctx, acme.ID, bob.ID); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("after leaving: %v", err)
		}
		if got := e.eventTypes(bobM.ID); got[len(got)-1] != events.MembershipDeleted {
			t.Errorf("events of the membership = %v", got)
		}
	})
}

func TestRemoveMemberDropsTheirTokenClaims_REQ_AC_04(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ada, bob := e.person("ada@example.com"), e.person("bob@example.com")
		acme := e.create(ada, "Acme")
		bobM := e.join(ada, bob, acme, org.RoleMember)
		if e.activeOrg(bob) != acme.ID {
			t.Fatal("accepting did not make the organization active")
		}
		c, err := e.svc.OrgClaims(ctx, bob.ID, acme.ID)
		if err != nil || c == nil || c.Role != org.RoleMember || c.Slug != "acme" ||
			!slices.Equal(c.Permissions, []string{org.PermMembershipsRead}) {
			t.Fatalf("claims = %+v, %v", c, err)
		}
		if err := e.svc.ChangeRole(ctx, ada.actor, acme.ID, bobM.ID, org.RoleAdmin); err != nil {
			t.Fatal(err)
		}
		if c, _ := e.svc.OrgClaims(ctx, bob.ID, acme.ID); c.Role != org.RoleAdmin || len(c.Permissions) != len(org.SystemPermissions()) {
			t.Errorf("claims after promotion = %+v", c)
		}
		if err := e.svc.RemoveMember(ctx, ada.actor, acme.ID, bobM.ID); err != nil {
			t.Fatal(err)
		}
		if c, err := e.svc.OrgClaims(ctx, bob.ID, acme.ID); c != nil || err != nil {
			t.Errorf("claims of a removed member = %+v, %v; want none", c, err)
		}
		if got := e.activeOrg(bob); got != "" {
			t.Errorf("removed member's session still has %q active", got)
		}
	})
}

// The invitation email gives the inviter's primary address only once it is
// verified: the person invited may trust the invitation for it.
func TestInvitationEmailGivesOnlyAVerifiedAddress(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ada, mallory := e.person("ada@example.com"), e.personWith("ceo@bank.example", false)
		acme := e.create(ada, "Acme")
		now := e.clock.Now()
		if err := e.st.Q.CreateMembership(ctx, &org.Membership{ID: id.New(id.OrgMember), OrgID: acme.ID, UserID: mallory.ID,
			Role: org.RoleAdmin, CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Invite(ctx, mallory.actor, acme.ID, org.InviteInput{Emails: []string{"bob@example.com"}}); err != nil {
			t.Fatal(err)
		}
		if mail := e.mail.sent["bob@example.com"][0]; mail.InviterName != "ceo" || mail.InviterEmail != "" {
			t.Errorf("email = %+v, want the name without the unverified address", mail)
		}
	})
}

func TestInvitations(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ada, bob, eve := e.person("ada@example.com"), e.person("bob@example.com"), e.person("eve@example.com")
		acme := e.create(ada, "Acme")
		invs, err := e.svc.Invite(ctx, ada.actor, acme.ID, org.InviteInput{Emails: []string{"Bob@Example.com", "bob@example.com", "carol@example.com"},
			Role: org.RoleAdmin, RedirectURL: "https://app.example.com/welcome"})
		if err != nil || len(invs) != 2 {
			t.Fatalf("Invite = %+v, %v; want two (duplicates folded)", invs, err)
		}
		if got := e.eventTypes(invs[0].ID); !slices.Equal(got, []string{events.InvitationCreated}) {
			t.Errorf("events = %v", got)
		}
		if _, err := e.svc.Invite(ctx, ada.actor, acme.ID, org.InviteInput{Emails: []string{"bob@example.com"}}); apperr.CodeOf(err) != apperr.Conflict {
			t.Errorf("inviting twice: %v", err)
		}
		if _, err := e.svc.Invite(ctx, ada.actor, acme.ID, org.InviteInput{Emails: []string{"ada@example.com"}}); apperr.CodeOf(err) != apperr.Conflict {
			t.Errorf("inviting a member: %v", err)
		}
		if _, err := e.svc.Invite(ctx, ada.actor, acme.ID, org.InviteInput{Emails: []string{"not an address"}}); apperr.CodeOf(err) != apperr.Invalid {
			t.Errorf("a bad address: %v", err)
		}
		mail := e.mail.sent["bob@example.com"][0]
		if mail.OrgName != "Acme" || mail.InviterName != "ada" || mail.InviterEmail != "ada@example.com" ||
			!mail.ExpireAt.Equal(e.clock.Now().Add(7*24*time.Hour)) {
			t.Errorf("email = %+v", mail)
		}
		ticket := e.mail.ticket(t, "bob@example.com")
		if inv, o, err := e.svc.Lookup(ctx, ticket); err != nil || o.ID != acme.ID || inv.Email != "bob@example.com" {
			t.Errorf("Lookup = %+v, %+v, %v", inv, o, err)
		}
		// Only the invited address's owner may accept.
		if _, _, err := e.svc.Accept(ctx, eve.actor, ticket); !errors.Is(err, org.ErrWrongAccount) {
			t.Errorf("another account accepts: %v", err)
		}
		o, inv, err := e.svc.Accept(ctx, bob.actor, ticket)
		if err != nil || o.ID != acme.ID || inv.RedirectURL != "https://app.example.com/welcome" {
			t.Fatalf("Accept = %+v, %+v, %v", o, inv, err)
		}
		if m := e.membership(acme, bob); m.Role != org.RoleAdmin {
			t.Errorf("role from the invitation = %q", m.Role)
		}
		if got := e.eventTypes(inv.ID); !slices.Equal(got, []string{events.InvitationCreated, events.InvitationAccepted}) {
			t.Errorf("events = %v", got)
		}
		// Single use.
		if _, _, err := e.svc.Accept(ctx, bob.actor, ticket); !errors.Is(err, org.ErrInvitationGone) {
			t.Errorf("second accept: %v", err)
		}
		if _, _, err := e.svc.Lookup(ctx, ticket); !errors.Is(err, org.ErrInvitationGone) {
			t.Errorf("lookup of a used ticket: %v", err)
		}
		if _, _, err := e.svc.Accept(ctx, bob.actor, "made-up"); !errors.Is(err, org.ErrInvitationGone) {
			t.Errorf("made-up ticket: %v", err)
		}
	})
}

func TestInvitationsExpireAndResendAndRevoke(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ada, bob := e.person("ada@example.com"), e.person("bob@example.com")
		acme := e.create(ada, "Acme")
		first := e.invite(ada, acme, "bob@example.com", "")
		inv := mustPending(t, e, acme.ID)

		if err := e.svc.Resend(ctx, ada.actor, acme.ID, inv.ID); err != nil {
			t.Fatal(err)
		}
		second := e.mail.ticket(t, "bob@example.com")
		if _, _, err := e.svc.Lookup(ctx, first); !errors.Is(err, org.ErrInvitationGone) {
			t.Errorf("the link replaced by a resend still works: %v", err)
		}
		e.clock.Advance(7*24*time.Hour + time.Second)
		if _, _, err := e.svc.Accept(ctx, bob.actor, second); !errors.Is(err, org.ErrInvitationGone) {
			t.Errorf("expired invitation: %v", err)
		}
		// An expired invitation does not block a new one.
		third := e.invite(ada, acme, "bob@example.com", "")
		newer := mustPending(t, e, acme.ID)
		if newer.ID == inv.ID {
			t.Fatal("the expired invitation is still the pending one")
		}
		if err := e.svc.Revoke(ctx, ada.actor, acme.ID, newer.ID); err != nil {
			t.Fatal(err)
		}
		if got := e.eventTypes(newer.ID); !slices.Equal(got, []string{events.InvitationCreated, events.InvitationRevoked}) {
			t.Errorf("events = %v", got)
		}
		if _, _, err := e.svc.Accept(ctx, bob.actor, third); !errors.Is(err, org.ErrInvitationGone) {
			t.Errorf("revoked invitation: %v", err)
		}
		// Revoking twice says it is done; the replaced one says what became
		// of it (the pages go back to the list with that as a notice).
		if err := e.svc.Revoke(ctx, ada.actor, acme.ID, newer.ID); !errors.Is(err, org.ErrInvitationRevokedAlready) {
			t.Errorf("revoking twice: %v", err)
		}
		if err := e.svc.Revoke(ctx, ada.actor, acme.ID, inv.ID); !errors.Is(err, org.ErrInvitationReplacedAlready) {
			t.Errorf("revoking the replaced one: %v", err)
		}
	})
}

func TestMemberLimitCountsPendingInvitations(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		e.svc.Policy.MaxMembers = 3
		ada := e.person("ada@example.com")
		acme := e.create(ada, "Acme")
		if _, err := e.svc.Invite(t.Context(), ada.actor, acme.ID, org.InviteInput{Emails: []string{"a@x.com", "b@x.com", "c@x.com"}}); !errors.Is(err, org.ErrMemberLimit) {
			t.Errorf("inviting past the limit: %v", err)
		}
		e.invite(ada, acme, "a@x.com", "")
		e.invite(ada, acme, "b@x.com", "")
		if _, err := e.svc.Invite(t.Context(), ada.actor, acme.ID, org.InviteInput{Emails: []string{"c@x.com"}}); !errors.Is(err, org.ErrMemberLimit) {
			t.Errorf("the fourth seat: %v", err)
		}
	})
}

func TestActivateAndPersonalAccounts(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ada := e.person("ada@example.com")
		acme, beta := e.create(ada, "Acme"), e.create(ada, "Beta")
		for _, ref := range []string{acme.Slug, beta.ID} {
			o, err := e.svc.Activate(ctx, ada.actor, ref)
			if err != nil || e.activeOrg(ada) != o.ID {
				t.Errorf("Activate(%q) = %+v, %v; active %q", ref, o, err, e.activeOrg(ada))
			}
		}
		if _, err := e.svc.Activate(ctx, ada.actor, ""); err != nil || e.activeOrg(ada) != "" {
			t.Errorf("personal account: %v, active %q", err, e.activeOrg(ada))
		}
		sess, _ := e.st.Q.SessionByID(ctx, ada.actor.SessionID)
		if need, _ := e.svc.NeedsOrganization(ctx, sess); need {
			t.Error("an organization is needed although personal accounts are on")
		}
		e.svc.Policy.PersonalAccounts = false
		if _, err := e.svc.Activate(ctx, ada.actor, ""); !errors.Is(err, org.ErrPersonalDisabled) {
			t.Errorf("personal account when disabled: %v", err)
		}
		if need, _ := e.svc.NeedsOrganization(ctx, sess); !need {
			t.Error("no organization needed although personal accounts are off")
		}
		if _, err := e.svc.Activate(ctx, ada.actor, "acme"); err != nil {
			t.Fatal(err)
		}
		sess, _ = e.st.Q.SessionByID(ctx, ada.actor.SessionID)
		if need, _ := e.svc.NeedsOrganization(ctx, sess); need {
			t.Error("an organization is needed although one is active")
		}
		// A new session of ada's gets that organization back when it needs one.
		next := e.newSession(ada)
		e.clock.Advance(time.Second)
		restored, need, err := e.svc.EnsureOrganization(ctx, next)
		if err != nil || need || restored != acme.ID || e.activeOrgOf(next.ID) != acme.ID {
			t.Errorf("EnsureOrganization = %q, %v, %v", restored, need, err)
		}
		e.svc.Policy.PersonalAccounts = true
		if restored, need, _ := e.svc.EnsureOrganization(ctx, e.newSession(ada)); restored != "" || need {
			t.Errorf("with personal accounts a new session starts without one: %q %v", restored, need)
		}
		list, err := e.svc.ForUser(ctx, ada.ID)
		if err != nil || len(list) != 2 || list[0].Name != "Acme" {
			t.Errorf("ForUser = %+v, %v", list, err)
		}
	})
}

func TestUpdateAndLogo(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ada := e.person("ada@example.com")
		acme, beta := e.create(ada, "Acme"), e.create(ada, "Beta")
		logo, err := org.CheckLogo(onePixelPNG(t))
		if err != nil {
			t.Fatal(err)
		}
		o, err := e.svc.Update(ctx, ada.actor, acme.ID, org.UpdateInput{Name: "Acme Inc", Slug: "acme-inc", Logo: logo})
		if err != nil || o.Name != "Acme Inc" || o.Slug != "acme-inc" || o.LogoVersion == 0 {
			t.Fatalf("Update = %+v, %v", o, err)
		}
		if l, err := e.svc.Logo(ctx, ada.actor, acme.ID); err != nil || l.ContentType != "image/png" {
			t.Errorf("Logo = %+v, %v", l, err)
		}
		if _, err := e.svc.Update(ctx, ada.actor, beta.ID, org.UpdateInput{Name: "Beta", Slug: "acme-inc"}); !errors.Is(err, org.ErrSlugTaken) {
			t.Errorf("taken slug: %v", err)
		}
		o, err = e.svc.Update(ctx, ada.actor, acme.ID, org.UpdateInput{Name: "Acme Inc", Slug: "acme-inc", RemoveLogo: true})
		if err != nil || o.LogoVersion != 0 {
			t.Errorf("remove logo = %+v, %v", o, err)
		}
		if _, err := e.svc.Logo(ctx, ada.actor, acme.ID); !errors.Is(err, org.ErrNotFound) {
			t.Errorf("removed logo: %v", err)
		}
		// A file whose header is whole but whose pixels are cut short
		// passes CheckLogo; decoding it refuses it, and nothing changes.
		var big bytes.Buffer
		if err := png.Encode(&big, image.NewGray(image.Rect(0, 0, 64, 64))); err != nil {
			t.Fatal(err)
		}
		cut, err := org.CheckLogo(big.Bytes()[:big.Len()-20])
		if err != nil {
			t.Fatalf("a header-whole PNG refused by CheckLogo: %v", err)
		}
		if _, err := e.svc.Update(ctx, ada.actor, acme.ID, org.UpdateInput{Name: "Acme Inc", Slug: "acme-inc", Logo: cut}); err == nil {
			t.Error("a PNG cut short was saved as the logo")
		} else if ae, ok := apperr.As(err); !ok || ae.Field != "logo" || ae.ID != "org.error.logo_type" {
			t.Errorf("a PNG cut short: %v", err)
		}
		before := len(e.eventTypes(acme.ID))
		if _, err := e.svc.Update(ctx, ada.actor, acme.ID, org.UpdateInput{Name: "Acme Inc", Slug: "acme-inc"}); err != nil {
			t.Fatal(err)
		}
		if got := e.eventTypes(acme.ID); len(got) != before || got[1] != events.OrganizationUpdated {
			t.Errorf("events = %v (an unchanged save must write none)", got)
		}
	})
}

func TestDeleteNeedsConfirmationAndReverification(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ada, bob := e.person("ada@example.com"), e.person("bob@example.com")
		acme := e.create(ada, "Acme")
		e.join(ada, bob, acme, org.RoleMember)
		if err := e.svc.Delete(ctx, ada.actor, acme.ID, "acme", ""); apperr.CodeOf(err) != apperr.Invalid {
			t.Errorf("wrong confirmation: %v", err)
		}
		e.clock.Advance(org.ReverifyWindow + time.Second)
		if !e.svc.NeedsPassword(ada.actor) {
			t.Fatal("an old sign-in does not ask for the password")
		}
		for pw, want := range map[string]string{"": "Enter your password", "wrong-password-here": "incorrect"} {
			err := e.svc.Delete(ctx, ada.actor, acme.ID, "Acme", pw)
			if e, ok := apperr.As(err); !ok || e.Field != "password" || !strings.Contains(e.Message, want) {
				t.Errorf("password %q: %v", pw, err)
			}
		}
		if err := e.svc.Delete(ctx, ada.actor, acme.ID, "Acme", "velvet-otter-harbour-lantern-42"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.st.Q.OrganizationByID(ctx, acme.ID); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("deleted organization: %v", err)
		}
		if e.activeOrg(bob) != "" {
			t.Error("a member's session still has the deleted organization active")
		}
		if got := e.eventTypes(acme.ID); got[len(got)-1] != events.OrganizationDeleted {
			t.Errorf("events = %v", got)
		}
	})
}

func TestMembersListNeedsReadPermission(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		roles, err := org.ParseRoles("org:member=org:reports:read; org:viewer=org:sys_memberships:read")
		if err != nil {
			t.Fatal(err)
		}
		e.svc.Roles = roles
		ada, bob, cat := e.person("ada@example.com"), e.person("bob@example.com"), e.person("cat@example.com")
		acme := e.create(ada, "Acme")
		e.join(ada, bob, acme, org.RoleMember)
		e.join(ada, cat, acme, "org:viewer")
		if _, _, err := e.svc.Members(ctx, bob.actor, acme.ID, "", 1); !errors.Is(err, org.ErrForbidden) {
			t.Errorf("member without read: %v", err)
		}
		_, page, err := e.svc.Members(ctx, cat.actor, acme.ID, "bob", 1)
		if err != nil || page.Total != 1 || page.Members[0].UserID != bob.ID || page.Pages() != 1 {
			t.Errorf("viewer searches = %+v, %v", page, err)
		}
		if c, _ := e.svc.OrgClaims(ctx, bob.ID, acme.ID); !slices.Equal(c.Permissions, []string{"org:reports:read"}) {
			t.Errorf("custom permissions in the claims = %v", c.Permissions)
		}
	})
}

func mustPending(t *testing.T, e *env, orgID string) *org.Invitation {
	t.Helper()
	list, err := e.st.Q.ListPendingInvitations(t.Context(), orgID)
	if err != nil || len(list) == 0 {
		t.Fatalf("pending invitations = %v, %v", list, err)
	}
	return &list[0]
}
