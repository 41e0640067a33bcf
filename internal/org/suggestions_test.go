package org_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/org"
	"github.com/portalhq/portal/internal/store"
	"github.com/portalhq/portal/internal/testutil/domaintest"
	"github.com/portalhq/portal/internal/user"
)

// suggested lists what p's switcher shows of suggestions: organization,
// address and status.
func (e *env) suggested(p *person) []string {
	e.t.Helper()
	list, err := e.svc.Suggestions(e.t.Context(), p.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, s := range list {
		if s.Org.ID != s.OrgID || s.Org.Name == "" || s.UserID != p.ID {
			e.t.Errorf("suggestion %s comes with organization %+v for %s", s.ID, s.Org, s.UserID)
		}
		out = append(out, s.Org.Name+" "+s.Email+" "+s.Status)
	}
	return out
}

// suggestionOf is p's one suggestion, failing the test when there is not
// exactly one.
func (e *env) suggestionOf(p *person) org.UserSuggestion {
	e.t.Helper()
	list, err := e.svc.Suggestions(e.t.Context(), p.ID)
	if err != nil || len(list) != 1 {
		e.t.Fatalf("%s's suggestions = %+v, %v; want one", p.email, list, err)
	}
	return list[0]
}

// enroll runs p through enrollment as signing up or verifying an address
// does, with every address p has verified.
func (e *env) enroll(p *person) {
	e.t.Helper()
	ctx := e.t.Context()
	if err := store.Tx[org.Repo](e.st)(ctx, func(r org.Repo) error {
		return e.svc.Enroll(ctx, r, &p.User, p.VerifiedEmails())
	}); err != nil {
		e.t.Fatal(err)
	}
}

// suggesting adds name to o as admin (verified by the admin's own address
// there) in automatic_suggestion mode.
func (e *env) suggesting(admin *person, o *org.Organization, name string) *org.Domain {
	e.t.Helper()
	d := e.domain(admin, o, name)
	if !d.Verified() {
		e.t.Fatalf("%s is not verified by %s", name, admin.email)
	}
	d, err := e.svc.SetEnrollmentMode(e.t.Context(), admin.actor, o.ID, d.ID, org.AutomaticSuggestion, false)
	if err != nil {
		e.t.Fatal(err)
	}
	return d
}

// requests lists the requests o's admins see, by address.
func (e *env) requests(admin *person, o *org.Organization) []string {
	e.t.Helper()
	_, page, err := e.svc.MembershipRequests(e.t.Context(), admin.actor, o.ID, 1)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, r := range page.Requests {
		out = append(out, r.Email)
	}
	return out
}

// automatic_suggestion: once the domain is verified in that mode, everyone
// with a verified address at exactly that domain who is not a member has
// the organization suggested, once, with no invitation, email or event;
// the domain counts them; a new address there earns one as it is verified.
func TestAutomaticSuggestions(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ada := e.person("ada@acme.test") // the admin, a member already
		acme := e.create(ada, "Acme")
		carol, dan, erin, frank := e.person("carol@acme.test"), e.person("dan@elsewhere.test"), e.person("erin@sub.acme.test"), e.person("frank@elsewhere.test")
		e.addEmail(dan, "dan@acme.test", false) // not verified
		e.addEmail(frank, "frank@acme.test", true)
		e.addEmail(frank, "f@acme.test", true)
		before := len(e.allEvents())

		d := e.suggesting(ada, acme, "acme.test")
		if got := e.suggested(carol); !slices.Equal(got, []string{"Acme carol@acme.test pending"}) {
			t.Errorf("carol is suggested %q", got)
		}
		if got := e.suggested(frank); len(got) != 1 || got[0] != "Acme f@acme.test pending" {
			t.Errorf("frank, with two addresses there, is suggested %q", got)
		}
		for _, p := range []*person{ada, dan, erin} {
			if got := e.suggested(p); len(got) != 0 {
				t.Errorf("%s is suggested %q", p.email, got)
			}
		}
		for _, p := range []*person{carol, frank} {
			if got := e.waiting(p); len(got) != 0 {
				t.Errorf("%s was invited in automatic_suggestion mode: %q", p.email, got)
			}
		}
		if len(e.mail.sent) != 0 {
			t.Errorf("suggestions were emailed: %v", e.mail.sent)
		}
		// The domain's own events only (created, updated twice); Clerk has
		// none for suggestions.
		for _, ev := range e.allEvents()[before:] {
			if ev.ObjectID != d.ID {
				t.Errorf("a suggestion wrote %s about %s", ev.Type, ev.ObjectID)
			}
		}
		objs, _, err := e.svc.Admin().Domains(ctx, acme.ID, org.DomainFilter{})
		if err != nil || len(objs) != 1 || objs[0].TotalPendingSuggestions != 2 || objs[0].TotalPendingInvitations != 0 {
			t.Errorf("domain object = %+v, %v; want 2 pending suggestions", objs, err)
		}
		if _, st, err := e.svc.DomainPage(ctx, ada.actor, acme.ID, d.ID); err != nil || st.PendingSuggestions != 2 {
			t.Errorf("domain page = %+v, %v; want 2 pending suggestions", st, err)
		}

		// Setting the mode again suggests nobody twice.
		if _, err := e.svc.SetEnrollmentMode(ctx, ada.actor, acme.ID, d.ID, org.AutomaticSuggestion, false); err != nil {
			t.Fatal(err)
		}
		if got := e.suggested(carol); len(got) != 1 {
			t.Errorf("after setting the mode again carol is suggested %q", got)
		}

		// Hank verifies a new address there, as /user does: in the
		// transaction that stores it, it earns him the suggestion.
		hank := e.person("hank@elsewhere.test")
		now := e.clock.Now()
		added := user.Identifier{ID: id.New(id.Identifier), UserID: hank.ID, Kind: user.Email, Value: "hank@acme.test",
			VerifiedAt: &now, CreatedAt: now, UpdatedAt: now}
		withNew := hank.User
		withNew.Identifiers = append(slices.Clone(hank.Identifiers), added)
		err = store.Tx[org.Repo](e.st)(ctx, func(r org.Repo) error {
			if err := r.(identifiers).CreateIdentifier(ctx, added); err != nil {
				return err
			}
			return e.svc.Enroll(ctx, r, &withNew, []string{added.Value})
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := e.suggested(hank); !slices.Equal(got, []string{"Acme hank@acme.test pending"}) {
			t.Errorf("after verifying an address there hank is suggested %q", got)
		}
	})
}

// A person asks to join through a suggestion of theirs; the organization's
// admins see the request and let them in: a member with the member role,
// organizationMembership.created written in the transaction. Nobody else
// can ask with their suggestion or answer it (REQ-AC-01, REQ-AC-02).
func TestRequestToJoinAndAccept_REQ_AC_01_REQ_AC_02(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ada, bob, eve := e.person("ada@acme.test"), e.person("bob@example.com"), e.person("eve@evil.test")
		acme, evil := e.create(ada, "Acme"), e.create(eve, "Evil")
		e.join(ada, bob, acme, org.RoleMember)
		e.suggesting(ada, acme, "acme.test")
		carol := e.person("carol@acme.test")
		e.enroll(carol)
		sg := e.suggestionOf(carol)
		if e.requests(ada, acme) != nil {
			t.Errorf("a suggestion nobody asked for is a request: %q", e.requests(ada, acme))
		}

		before := len(e.allEvents())
		for _, c := range []struct {
			name string
			do   func() error
			want error
		}{
			{"someone else asks with carol's suggestion", func() error { _, err := e.svc.RequestToJoin(ctx, eve.actor, sg.ID); return err }, org.ErrNotFound},
			{"a made-up suggestion", func() error {
				_, err := e.svc.RequestToJoin(ctx, carol.actor, id.New(org.SuggestionPrefix))
				return err
			}, org.ErrNotFound},
		} {
			if err := c.do(); !errors.Is(err, c.want) {
				t.Errorf("%s: %v, want %v", c.name, err, c.want)
			}
		}
		o, err := e.svc.RequestToJoin(ctx, carol.actor, sg.ID)
		if err != nil || o.ID != acme.ID {
			t.Fatalf("carol asks: %+v, %v", o, err)
		}
		if _, err := e.svc.RequestToJoin(ctx, carol.actor, sg.ID); err != nil {
			t.Errorf("asking twice: %v", err)
		}
		if got := e.suggested(carol); !slices.Equal(got, []string{"Acme carol@acme.test requested"}) {
			t.Errorf("after asking carol's switcher shows %q", got)
		}
		if got := e.requests(ada, acme); !slices.Equal(got, []string{"carol@acme.test"}) {
			t.Errorf("ada sees the requests %q", got)
		}
		if n := len(e.allEvents()); n != before {
			t.Errorf("asking to join wrote %d events; Clerk has none for it", n-before)
		}

		for _, c := range []struct {
			name string
			do   func() error
			want error
		}{
			{"a member lists", func() error { _, _, err := e.svc.MembershipRequests(ctx, bob.actor, acme.ID, 1); return err }, org.ErrForbidden},
			{"a member accepts", func() error { return e.svc.AcceptRequest(ctx, bob.actor, acme.ID, sg.ID) }, org.ErrForbidden},
			{"a member rejects", func() error { return e.svc.RejectRequest(ctx, bob.actor, acme.ID, sg.ID) }, org.ErrForbidden},
			{"an outsider lists", func() error { _, _, err := e.svc.MembershipRequests(ctx, eve.actor, acme.ID, 1); return err }, org.ErrNotFound},
			{"an outsider accepts", func() error { return e.svc.AcceptRequest(ctx, eve.actor, acme.ID, sg.ID) }, org.ErrNotFound},
			{"another organization's admin, through theirs", func() error { return e.svc.AcceptRequest(ctx, eve.actor, evil.ID, sg.ID) }, org.ErrNotFound},
			{"a made-up request", func() error { return e.svc.AcceptRequest(ctx, ada.actor, acme.ID, id.New(org.SuggestionPrefix)) }, org.ErrNotFound},
		} {
			if err := c.do(); !errors.Is(err, c.want) {
				t.Errorf("%s: %v, want %v", c.name, err, c.want)
			}
		}
		if n := len(e.allEvents()); n != before {
			t.Errorf("refusals wrote %d events", n-before)
		}

		if err := e.svc.AcceptRequest(ctx, ada.actor, acme.ID, sg.ID); err != nil {
			t.Fatal(err)
		}
		m := e.membership(acme, carol)
		if m.Role != org.RoleMember {
			t.Errorf("carol joined as %s", m.Role)
		}
		if got := e.eventTypes(m.ID); !slices.Equal(got, []string{events.MembershipCreated}) {
			t.Errorf("events of carol's membership = %v", got)
		}
		if got := e.suggested(carol); len(got) != 0 {
			t.Errorf("a member is still suggested %q", got)
		}
		if got := e.requests(ada, acme); len(got) != 0 {
			t.Errorf("after accepting the requests are %q", got)
		}
		if now, _ := e.st.Q.SuggestionByID(ctx, sg.ID); now.Status != org.Accepted {
			t.Errorf("the request is %s after accepting", now.Status)
		}
		err = e.svc.AcceptRequest(ctx, ada.actor, acme.ID, sg.ID)
		domaintest.WantErr(t, "accepting twice", err, apperr.Conflict, "org.error.request_gone")
		_, err = e.svc.RequestToJoin(ctx, carol.actor, sg.ID)
		if err != nil {
			t.Errorf("a member asking again: %v", err)
		}
	})
}

// A rejected request lets nobody in, and the organization suggests itself
// to that person no more; a person whose address is gone cannot ask with
// it, and their request can no longer be answered.
func TestRejectAndGoneAddress(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ada := e.person("ada@acme.test")
		acme := e.create(ada, "Acme")
		dan, gus, ivy := e.person("dan@acme.test"), e.person("gus@acme.test"), e.person("ivy@acme.test")
		d := e.suggesting(ada, acme, "acme.test")
		for _, p := range []*person{dan, ivy} {
			if _, err := e.svc.RequestToJoin(ctx, p.actor, e.suggestionOf(p).ID); err != nil {
				t.Fatal(err)
			}
		}
		before := len(e.allEvents())
		sg := e.suggestionOf(dan)
		if err := e.svc.RejectRequest(ctx, ada.actor, acme.ID, sg.ID); err != nil {
			t.Fatal(err)
		}
		if n := len(e.allEvents()); n != before {
			t.Errorf("rejecting wrote %d events", n-before)
		}
		if _, err := e.st.Q.MembershipOf(ctx, acme.ID, dan.ID); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("a rejected person is a member: %v", err)
		}
		if got := e.suggested(dan); len(got) != 0 {
			t.Errorf("after the rejection dan is suggested %q", got)
		}
		err := e.svc.AcceptRequest(ctx, ada.actor, acme.ID, sg.ID)
		domaintest.WantErr(t, "accepting a rejected request", err, apperr.Conflict, "org.error.request_gone")
		e.setModes(ada, d, org.ManualInvitation, org.AutomaticSuggestion)
		if got := e.suggested(dan); len(got) != 0 {
			t.Errorf("after the mode was set again dan is suggested %q", got)
		}

		// Gus loses the address his suggestion was made for: he cannot ask
		// with it, nor is it shown; Ivy loses hers after asking: her
		// request leaves the list and cannot be accepted.
		gusSg, ivySg := e.suggestionOf(gus), e.suggestionOf(ivy)
		for _, p := range []*person{gus, ivy} {
			if err := e.st.Q.DeleteIdentifier(ctx, p.ID, p.Identifiers[0].ID); err != nil {
				t.Fatal(err)
			}
		}
		_, err = e.svc.RequestToJoin(ctx, gus.actor, gusSg.ID)
		domaintest.WantErr(t, "asking without the address", err, apperr.Expired, "org.error.suggestion_gone")
		if got := e.suggested(gus); len(got) != 0 {
			t.Errorf("without the address gus is suggested %q", got)
		}
		if got := e.requests(ada, acme); len(got) != 0 {
			t.Errorf("requests of people without the address: %q", got)
		}
		err = e.svc.AcceptRequest(ctx, ada.actor, acme.ID, ivySg.ID)
		domaintest.WantErr(t, "accepting without the address", err, apperr.Conflict, "org.error.request_gone")
		if _, err := e.st.Q.MembershipOf(ctx, acme.ID, ivy.ID); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("ivy became a member: %v", err)
		}
	})
}

// A domain that stops suggesting (another mode, removed) withdraws the
// suggestions nobody asked for; requests already made stay to be
// answered. An organization that invites gives an invitation, not a
// suggestion.
func TestSuggestionsWithdrawnWhenTheDomainStops(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ada := e.person("ada@acme.test")
		acme := e.create(ada, "Acme")
		carol, dan := e.person("carol@acme.test"), e.person("dan@acme.test")
		d := e.suggesting(ada, acme, "acme.test")
		if _, err := e.svc.RequestToJoin(ctx, dan.actor, e.suggestionOf(dan).ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.SetEnrollmentMode(ctx, ada.actor, acme.ID, d.ID, org.ManualInvitation, false); err != nil {
			t.Fatal(err)
		}
		if got := e.suggested(carol); len(got) != 0 {
			t.Errorf("after manual_invitation carol is suggested %q", got)
		}
		if got := e.suggested(dan); !slices.Equal(got, []string{"Acme dan@acme.test requested"}) {
			t.Errorf("dan's request after manual_invitation: %q", got)
		}
		if got := e.requests(ada, acme); !slices.Equal(got, []string{"dan@acme.test"}) {
			t.Errorf("requests after manual_invitation: %q", got)
		}
		// Suggesting again: carol's comes back.
		if _, err := e.svc.SetEnrollmentMode(ctx, ada.actor, acme.ID, d.ID, org.AutomaticSuggestion, false); err != nil {
			t.Fatal(err)
		}
		if got := e.suggested(carol); len(got) != 1 {
			t.Errorf("suggesting again, carol is suggested %q", got)
		}
		// Inviting instead: carol is invited, her suggestion withdrawn.
		if _, err := e.svc.SetEnrollmentMode(ctx, ada.actor, acme.ID, d.ID, org.AutomaticInvitation, false); err != nil {
			t.Fatal(err)
		}
		if got, inv := e.suggested(carol), e.waiting(carol); len(got) != 0 || len(inv) != 1 {
			t.Errorf("after automatic_invitation carol is suggested %q and invited %q", got, inv)
		}
		// An organization that has invited someone does not suggest itself to them.
		if _, err := e.svc.SetEnrollmentMode(ctx, ada.actor, acme.ID, d.ID, org.AutomaticSuggestion, false); err != nil {
			t.Fatal(err)
		}
		if got := e.suggested(carol); len(got) != 0 {
			t.Errorf("invited carol is suggested %q too", got)
		}
		// Removing the domain withdraws what was suggested through it.
		erin := e.person("erin@acme.test")
		e.enroll(erin)
		if got := e.suggested(erin); len(got) != 1 {
			t.Fatalf("erin is suggested %q", got)
		}
		if err := e.svc.RemoveDomain(ctx, ada.actor, acme.ID, d.ID); err != nil {
			t.Fatal(err)
		}
		if got := e.suggested(erin); len(got) != 0 {
			t.Errorf("after removing the domain erin is suggested %q", got)
		}
		if got := e.requests(ada, acme); !slices.Equal(got, []string{"dan@acme.test"}) {
			t.Errorf("requests after removing the domain: %q", got)
		}
	})
}

// Accepting requests holds the member limit, also when several are
// accepted at once: each runs under the organization's lock (REQ-AC-06).
func TestAcceptingRequestsKeepsTheMemberLimit_REQ_AC_06(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ada := e.person("ada@acme.test")
		acme := e.create(ada, "Acme")
		const n = 5
		var people []*person
		for i := range n {
			people = append(people, e.person("p"+string(rune('a'+i))+"@acme.test"))
		}
		e.suggesting(ada, acme, "acme.test")
		var ids []string
		for _, p := range people {
			sg := e.suggestionOf(p)
			if _, err := e.svc.RequestToJoin(ctx, p.actor, sg.ID); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, sg.ID)
		}
		e.svc.Policy.MaxMembers = 3 // Ada and two more
		errs := race(t, e.st, n, func(i int) error { return e.svc.AcceptRequest(ctx, ada.actor, acme.ID, ids[i]) })
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, org.ErrMemberLimit):
				t.Errorf("accepting: %v", err)
			}
		}
		count, err := e.st.Q.CountMembers(ctx, acme.ID)
		if ok != 2 || err != nil || count != 3 {
			t.Errorf("%d requests accepted, %d members (%v); want 2 and 3", ok, count, err)
		}
		if got := e.requests(ada, acme); len(got) != n-2 {
			t.Errorf("requests left: %q", got)
		}
	})
}

// A domain turned to automatic_suggestion while people sign up at it: each
// of them ends with exactly one suggestion, whichever transaction runs
// first (the domain's named lock orders them).
func TestAutomaticSuggestionsWhileSigningUp(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ada := e.person("ada@acme.test")
		acme := e.create(ada, "Acme")
		d := e.domain(ada, acme, "acme.test")
		const n = 6
		signUps := make([]*user.User, n)
		race(t, e.st, n+1, func(i int) error {
			if i == n {
				_, err := e.svc.SetEnrollmentMode(ctx, ada.actor, acme.ID, d.ID, org.AutomaticSuggestion, false)
				if err != nil {
					t.Errorf("set the mode: %v", err)
				}
				return err
			}
			now := e.clock.Now()
			u := &user.User{ID: id.New(id.User), CreatedAt: now, UpdatedAt: now}
			idn := user.Identifier{ID: id.New(id.Identifier), UserID: u.ID, Kind: user.Email,
				Value: "person" + string(rune('a'+i)) + "@acme.test", VerifiedAt: &now, CreatedAt: now, UpdatedAt: now}
			u.PrimaryEmailID, u.Identifiers = idn.ID, []user.Identifier{idn}
			signUps[i] = u
			err := store.Tx[org.Repo](e.st)(ctx, func(r org.Repo) error {
				if err := r.(users).CreateUser(ctx, u); err != nil {
					return err
				}
				return e.svc.Enroll(ctx, r, u, u.VerifiedEmails())
			})
			if err != nil {
				t.Errorf("sign-up %d: %v", i, err)
			}
			return err
		})
		for _, u := range signUps {
			list, err := e.svc.Suggestions(ctx, u.ID)
			if err != nil || len(list) != 1 || list[0].OrgID != acme.ID {
				t.Errorf("%s is suggested %+v, %v; want Acme once", u.PrimaryEmail(), list, err)
			}
		}
	})
}

// REQ-AC-03: accepting a request gives the member role, so a custom role
// that manages members but lacks what the member role grants (here the
// relying app's org:reports:read) cannot accept one: the request stays
// open and nobody joins. An admin then can.
func TestAcceptingARequestNeedsARoleThatGivesMember_REQ_AC_03(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		roles, err := org.ParseRoles("org:member=org:reports:read; org:manager=org:sys_memberships:read org:sys_memberships:manage")
		if err != nil {
			t.Fatal(err)
		}
		e.svc.Roles = roles
		ada, max := e.person("ada@acme.test"), e.person("max@example.com")
		acme := e.create(ada, "Acme")
		e.join(ada, max, acme, "org:manager")
		e.suggesting(ada, acme, "acme.test")
		carol := e.person("carol@acme.test")
		e.enroll(carol)
		sg := e.suggestionOf(carol)
		if _, err := e.svc.RequestToJoin(ctx, carol.actor, sg.ID); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.AcceptRequest(ctx, max.actor, acme.ID, sg.ID); !errors.Is(err, org.ErrRequestAbove) {
			t.Fatalf("the manager accepts: %v, want ErrRequestAbove", err)
		}
		if got := e.requests(ada, acme); !slices.Equal(got, []string{"carol@acme.test"}) {
			t.Errorf("after the refusal the open requests are %q", got)
		}
		if _, err := e.st.Q.MembershipOf(ctx, acme.ID, carol.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("carol is a member after the refusal: %v", err)
		}
		if err := e.svc.AcceptRequest(ctx, ada.actor, acme.ID, sg.ID); err != nil {
			t.Fatalf("the admin accepts: %v", err)
		}
		if m := e.membership(acme, carol); m.Role != org.RoleMember {
			t.Errorf("carol joined as %s", m.Role)
		}
	})
}
