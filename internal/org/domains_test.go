package org_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/org"
	"github.com/portalhq/portal/internal/store"
	"github.com/portalhq/portal/internal/testutil/domaintest"
	"github.com/portalhq/portal/internal/user"
)

// What the store does besides org.Repo, inside a test's transaction.
type (
	identifiers interface {
		CreateIdentifier(ctx context.Context, i user.Identifier) error
	}
	users interface {
		CreateUser(ctx context.Context, u *user.User) error
	}
)

func TestCleanDomain(t *testing.T) {
	for in, want := range map[string]string{
		"Example.COM":      "example.com",
		" @acme.test ":     "acme.test",
		"acme.test.":       "acme.test",
		"bücher.example":   "xn--bcher-kva.example",
		"mail.acme.co.uk":  "mail.acme.co.uk",
		"x-1.example.org":  "x-1.example.org",
		"acme.example.com": "acme.example.com",
	} {
		if got, err := org.CleanDomain(in); err != nil || got != want {
			t.Errorf("CleanDomain(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for in, id := range map[string]string{
		"":                 "org.error.domain_required",
		"  ":               "org.error.domain_required",
		"acme":             "org.error.domain_invalid",
		"acme..test":       "org.error.domain_invalid",
		"-acme.test":       "org.error.domain_invalid",
		"acme-.test":       "org.error.domain_invalid",
		"1.2.3.4":          "org.error.domain_invalid",
		"acme.123":         "org.error.domain_invalid",
		"a b.test":         "org.error.domain_invalid",
		"http://acme.test": "org.error.domain_invalid",
		"ada@acme.test":    "org.error.domain_invalid",
		"com":              "org.error.domain_invalid",
		"co.uk":            "org.error.domain_public_suffix",
		"github.io":        "org.error.domain_public_suffix",
		"gmail.com":        "org.error.domain_free_mail",
		"Hotmail.com":      "org.error.domain_free_mail",
		"yahoo.co.jp":      "org.error.domain_free_mail",
	} {
		_, err := org.CleanDomain(in)
		domaintest.WantErr(t, "CleanDomain("+in+")", err, apperr.Invalid, id)
	}
}

// domain adds name to o as admin and returns it.
func (e *env) domain(admin *person, o *org.Organization, name string) *org.Domain {
	e.t.Helper()
	d, err := e.svc.AddDomain(e.t.Context(), admin.actor, o.ID, name)
	if err != nil {
		e.t.Fatalf("add %s: %v", name, err)
	}
	return d
}

// verify verifies d with a code sent to an address there.
func (e *env) verify(admin *person, d *org.Domain, address string) {
	e.t.Helper()
	ctx := e.t.Context()
	if err := e.svc.SendDomainCode(ctx, admin.actor, d.OrgID, d.ID, address, "192.0.2.1"); err != nil {
		e.t.Fatalf("send a code to %s: %v", address, err)
	}
	if _, err := e.svc.VerifyDomain(ctx, admin.actor, d.OrgID, d.ID, e.mail.code(e.t, address, "verify-domain")); err != nil {
		e.t.Fatalf("verify %s: %v", d.Name, err)
	}
}

// setModes sets d's enrollment mode to each of modes in turn, as admin,
// without deleting what was given.
func (e *env) setModes(admin *person, d *org.Domain, modes ...string) {
	e.t.Helper()
	for _, mode := range modes {
		if _, err := e.svc.SetEnrollmentMode(e.t.Context(), admin.actor, d.OrgID, d.ID, mode, false); err != nil {
			e.t.Fatalf("setting %s to %s: %v", d.Name, mode, err)
		}
	}
}

func (e *env) domainNow(d *org.Domain) *org.Domain {
	e.t.Helper()
	got, err := e.st.Q.DomainByID(e.t.Context(), d.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return got
}

// An admin adds a domain and verifies it with a code sent to an address
// there (REQ-OTP-01…05: the flow package's codes, kept as a keyed hash, five
// attempts); the domain's events are written as it changes.
func TestAddAndVerifyDomain(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ada := e.person("ada@example.com")
		acme := e.create(ada, "Acme")
		d := e.domain(ada, acme, "Acme-Rockets.test")
		if d.Name != "acme-rockets.test" || d.Verified() || d.EnrollmentMode != org.ManualInvitation || !strings.HasPrefix(d.ID, org.DomainPrefix+"_") {
			t.Fatalf("new domain = %+v", d)
		}
		_, err := e.svc.AddDomain(ctx, ada.actor, acme.ID, "acme-rockets.test")
		domaintest.WantErr(t, "the same domain again", err, apperr.Conflict, "org.error.domain_taken")
		_, err = e.svc.AddDomain(ctx, ada.actor, acme.ID, "gmail.com")
		domaintest.WantErr(t, "a free email service", err, apperr.Invalid, "org.error.domain_free_mail")

		err = e.svc.SendDomainCode(ctx, ada.actor, acme.ID, d.ID, "it@elsewhere.test", "192.0.2.1")
		domaintest.WantErr(t, "an address at another domain", err, apperr.Invalid, "org.error.domain_email_elsewhere")
		err = e.svc.SendDomainCode(ctx, ada.actor, acme.ID, d.ID, "it@sub.acme-rockets.test", "192.0.2.1")
		domaintest.WantErr(t, "an address at a subdomain", err, apperr.Invalid, "org.error.domain_email_elsewhere")
		err = e.svc.SendDomainCode(ctx, ada.actor, acme.ID, d.ID, "not an address", "192.0.2.1")
		domaintest.WantErr(t, "not an address", err, apperr.Invalid, "org.error.email_invalid")
		_, err = e.svc.VerifyDomain(ctx, ada.actor, acme.ID, d.ID, "123456")
		domaintest.WantErr(t, "a code before any was sent", err, apperr.Invalid, "error.code.none_sent")

		if err := e.svc.SendDomainCode(ctx, ada.actor, acme.ID, d.ID, "IT@acme-rockets.test", "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
		code := e.mail.code(t, "it@acme-rockets.test", "verify-domain")
		if m := e.mail.domainMails[len(e.mail.domainMails)-1]; m.OrgName != acme.Name || m.Domain != "acme-rockets.test" {
			t.Errorf("the code's email names %+v, want the organization and the domain", m)
		}
		v, err := e.st.Q.LatestVerification(ctx, d.ID, flow.EmailCode)
		if err != nil || v == nil || v.SecretHash == code || len(v.SecretHash) != 64 || v.Target != "it@acme-rockets.test" {
			t.Fatalf("stored verification = %+v, %v", v, err)
		}
		err = e.svc.SendDomainCode(ctx, ada.actor, acme.ID, d.ID, "it@acme-rockets.test", "192.0.2.1")
		domaintest.WantErr(t, "another code at once", err, apperr.RateLimited, "error.code.resend_wait")
		_, st, err := e.svc.DomainPage(ctx, ada.actor, acme.ID, d.ID)
		if err != nil || st.CodeSentTo != "it@acme-rockets.test" {
			t.Errorf("domain page after sending = %+v, %v", st, err)
		}
		_, err = e.svc.VerifyDomain(ctx, ada.actor, acme.ID, d.ID, domaintest.OtherCode(code))
		domaintest.WantErr(t, "a wrong code", err, apperr.Invalid, "error.code.incorrect_email")
		if e.domainNow(d).Verified() {
			t.Fatal("a wrong code verified the domain")
		}
		got, err := e.svc.VerifyDomain(ctx, ada.actor, acme.ID, d.ID, code)
		if err != nil || !got.Verified() || got.AffiliationEmail != "it@acme-rockets.test" {
			t.Fatalf("after the right code: %+v, %v", got, err)
		}
		if now := e.domainNow(d); !now.Verified() || now.AffiliationEmail != "it@acme-rockets.test" {
			t.Errorf("stored domain = %+v", now)
		}
		if got := e.eventTypes(d.ID); !slices.Equal(got, []string{events.DomainCreated, events.DomainUpdated}) {
			t.Errorf("events of the domain = %v", got)
		}
		err = e.svc.SendDomainCode(ctx, ada.actor, acme.ID, d.ID, "it@acme-rockets.test", "192.0.2.1")
		domaintest.WantErr(t, "a code for a verified domain", err, apperr.Conflict, "org.error.domain_verified")

		// The admin's own verified address there verifies a domain at once.
		own := e.domain(ada, acme, "example.com")
		if !own.Verified() || own.AffiliationEmail != "ada@example.com" {
			t.Errorf("domain of the admin's own address = %+v", own)
		}

		if err := e.svc.RemoveDomain(ctx, ada.actor, acme.ID, d.ID); err != nil {
			t.Fatal(err)
		}
		if got := e.eventTypes(d.ID); !slices.Equal(got, []string{events.DomainCreated, events.DomainUpdated, events.DomainDeleted}) {
			t.Errorf("events after removing = %v", got)
		}
		if _, err := e.st.Q.DomainByID(ctx, d.ID); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("removed domain: %v", err)
		}
	})
}

// Five wrong codes spend a domain's code (REQ-OTP-04).
func TestDomainCodeAttempts_REQ_OTP_04(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ada := e.person("ada@example.com")
		acme := e.create(ada, "Acme")
		d := e.domain(ada, acme, "acme.test")
		if err := e.svc.SendDomainCode(ctx, ada.actor, acme.ID, d.ID, "it@acme.test", "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
		code := e.mail.code(t, "it@acme.test", "verify-domain")
		for range flow.MaxAttempts {
			if _, err := e.svc.VerifyDomain(ctx, ada.actor, acme.ID, d.ID, domaintest.OtherCode(code)); apperr.CodeOf(err) != apperr.Invalid {
				t.Fatalf("wrong code: %v", err)
			}
		}
		_, err := e.svc.VerifyDomain(ctx, ada.actor, acme.ID, d.ID, code)
		domaintest.WantErr(t, "the right code after five wrong ones", err, apperr.Expired, "error.code.too_many")
		if _, st, _ := e.svc.DomainPage(ctx, ada.actor, acme.ID, d.ID); st.CodeSentTo != "" {
			t.Errorf("a spent code is still offered for %s", st.CodeSentTo)
		}
		e.clock.Advance(flow.ResendAfter)
		if err := e.svc.SendDomainCode(ctx, ada.actor, acme.ID, d.ID, "it@acme.test", "192.0.2.1"); err != nil {
			t.Fatalf("a new code: %v", err)
		}
		if _, err := e.svc.VerifyDomain(ctx, ada.actor, acme.ID, d.ID, e.mail.code(t, "it@acme.test", "verify-domain")); err != nil {
			t.Errorf("the new code: %v", err)
		}
	})
}

// Only those whose role holds org:sys_domains:manage change domains, and a
// domain of another organization reads as missing (REQ-AC-01, REQ-AC-02).
func TestDomainAuthorization_REQ_AC_01_REQ_AC_02(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ada, bob, eve := e.person("ada@example.com"), e.person("bob@example.com"), e.person("eve@example.com")
		acme, evil := e.create(ada, "Acme"), e.create(eve, "Evil")
		e.join(ada, bob, acme, org.RoleMember)
		d, evilD := e.domain(ada, acme, "acme.test"), e.domain(eve, evil, "evil.test")
		before := len(e.allEvents())
		for _, c := range []struct {
			name string
			do   func() error
			want error
		}{
			{"member adds", func() error { _, err := e.svc.AddDomain(ctx, bob.actor, acme.ID, "more.test"); return err }, org.ErrForbidden},
			{"member lists", func() error { _, err := e.svc.Domains(ctx, bob.actor, acme.ID); return err }, org.ErrForbidden},
			{"member sends a code", func() error {
				return e.svc.SendDomainCode(ctx, bob.actor, acme.ID, d.ID, "it@acme.test", "192.0.2.1")
			}, org.ErrForbidden},
			{"member sets the mode", func() error {
				_, err := e.svc.SetEnrollmentMode(ctx, bob.actor, acme.ID, d.ID, org.AutomaticInvitation, false)
				return err
			}, org.ErrForbidden},
			{"member removes", func() error { return e.svc.RemoveDomain(ctx, bob.actor, acme.ID, d.ID) }, org.ErrForbidden},
			// The permission is judged before what was typed.
			{"member adds a free email domain", func() error { _, err := e.svc.AddDomain(ctx, bob.actor, acme.ID, "gmail.com"); return err }, org.ErrForbidden},
			{"member sets an unknown mode", func() error {
				_, err := e.svc.SetEnrollmentMode(ctx, bob.actor, acme.ID, d.ID, "everyone", false)
				return err
			}, org.ErrForbidden},
			{"member sends a code elsewhere", func() error {
				return e.svc.SendDomainCode(ctx, bob.actor, acme.ID, d.ID, "x@elsewhere.test", "192.0.2.1")
			}, org.ErrForbidden},
			{"outsider removes", func() error { return e.svc.RemoveDomain(ctx, eve.actor, acme.ID, d.ID) }, org.ErrNotFound},
			{"outsider opens", func() error { _, _, err := e.svc.DomainPage(ctx, eve.actor, acme.ID, d.ID); return err }, org.ErrNotFound},
			{"admin with another's domain", func() error { return e.svc.RemoveDomain(ctx, ada.actor, acme.ID, evilD.ID) }, org.ErrNotFound},
			{"admin verifies another's domain", func() error {
				_, err := e.svc.VerifyDomain(ctx, ada.actor, acme.ID, evilD.ID, "123456")
				return err
			}, org.ErrNotFound},
			{"admin sends for another's domain", func() error {
				return e.svc.SendDomainCode(ctx, ada.actor, acme.ID, evilD.ID, "x@evil.test", "192.0.2.1")
			}, org.ErrNotFound},
		} {
			if err := c.do(); !errors.Is(err, c.want) {
				t.Errorf("%s: %v, want %v", c.name, err, c.want)
			}
		}
		if n := len(e.allEvents()); n != before {
			t.Errorf("refusals wrote %d events", n-before)
		}
		_, err := e.svc.SetEnrollmentMode(ctx, ada.actor, acme.ID, d.ID, org.AutomaticInvitation, false)
		domaintest.WantErr(t, "the mode of an unverified domain", err, apperr.Invalid, "org.error.domain_unverified")
		e.verify(ada, d, "it@acme.test")
		if _, err = e.svc.SetEnrollmentMode(ctx, ada.actor, acme.ID, d.ID, org.AutomaticSuggestion, false); err != nil {
			t.Errorf("automatic suggestions: %v", err)
		}
		_, err = e.svc.SetEnrollmentMode(ctx, ada.actor, acme.ID, d.ID, "everyone", false)
		domaintest.WantErr(t, "an unknown mode", err, apperr.Invalid, "org.error.enrollment_mode")
	})
}

// automatic_invitation: once the domain is verified in that mode, everyone
// with a verified address at exactly that domain who is not a member gets
// one pending invitation with the member role, and no email; a new
// address there gets one as it is verified.
func TestAutomaticInvitations(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ada := e.person("ada@acme.test") // the admin, a member already
		acme := e.create(ada, "Acme")
		carol, dan, erin, frank := e.person("carol@acme.test"), e.person("dan@elsewhere.test"), e.person("erin@sub.acme.test"), e.person("frank@elsewhere.test")
		e.addEmail(dan, "dan@acme.test", false) // not verified
		e.addEmail(frank, "frank@acme.test", true)
		e.addEmail(frank, "f@acme.test", true)

		d := e.domain(ada, acme, "acme.test") // verified at once: Ada's own address
		if !d.Verified() {
			t.Fatal("Ada's own address did not verify the domain")
		}
		if got := e.waiting(carol); len(got) != 0 {
			t.Fatalf("manual_invitation invited carol: %q", got)
		}
		if _, err := e.svc.SetEnrollmentMode(ctx, ada.actor, acme.ID, d.ID, org.AutomaticInvitation, false); err != nil {
			t.Fatal(err)
		}
		if got := e.waiting(carol); !slices.Equal(got, []string{"Acme carol@acme.test org:member"}) {
			t.Errorf("carol waits for %q", got)
		}
		if got := e.waiting(frank); !slices.Equal(got, []string{"Acme f@acme.test org:member"}) {
			t.Errorf("frank, with two addresses there, waits for %q", got)
		}
		for _, p := range []*person{ada, dan, erin} {
			if got := e.waiting(p); len(got) != 0 {
				t.Errorf("%s waits for %q", p.email, got)
			}
		}
		if len(e.mail.sent) != 0 {
			t.Errorf("automatic invitations were emailed: %v", e.mail.sent)
		}
		pending, err := e.st.Q.ListPendingInvitations(ctx, acme.ID)
		if err != nil || len(pending) != 2 {
			t.Fatalf("pending invitations = %+v, %v", pending, err)
		}
		for _, p := range pending {
			if got := e.eventTypes(p.ID); !slices.Equal(got, []string{events.InvitationCreated}) {
				t.Errorf("events of %s's invitation = %v", p.Email, got)
			}
		}

		// Setting the mode again, or back and forth, invites nobody twice.
		e.setModes(ada, d, org.AutomaticInvitation, org.ManualInvitation, org.AutomaticInvitation)
		if again, _ := e.st.Q.ListPendingInvitations(ctx, acme.ID); len(again) != 2 {
			t.Errorf("after setting the mode again: %d pending invitations", len(again))
		}

		// Hank verifies a new address there, as /user does: in the
		// transaction that stores it, it earns him the invitation.
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
		if got := e.waiting(hank); !slices.Equal(got, []string{"Acme hank@acme.test org:member"}) {
			t.Errorf("after verifying an address there hank waits for %q", got)
		}

		// An automatic invitation that ran out while the domain invited no
		// more is replaced when the mode is set again. (While the domain
		// invites, it stands: domains_standing_test.go.)
		if _, err := e.svc.SetEnrollmentMode(ctx, ada.actor, acme.ID, d.ID, org.ManualInvitation, false); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(8 * 24 * time.Hour)
		if got := e.waiting(carol); len(got) != 0 {
			t.Fatalf("expired invitation still waits: %q", got)
		}
		if _, err := e.svc.SetEnrollmentMode(ctx, ada.actor, acme.ID, d.ID, org.AutomaticInvitation, false); err != nil {
			t.Fatal(err)
		}
		if got := e.waiting(carol); len(got) != 1 {
			t.Errorf("after the mode was set again carol waits for %q", got)
		}
	})
}

// Automatic invitations hold the member limit, pending ones included: when
// the organization is full, nobody is invited.
func TestAutomaticInvitationsKeepTheMemberLimit(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ada := e.person("ada@acme.test")
		acme := e.create(ada, "Acme")
		carol, dan := e.person("carol@acme.test"), e.person("dan@acme.test")
		e.svc.Policy.MaxMembers = 2
		d := e.domain(ada, acme, "acme.test")
		if _, err := e.svc.SetEnrollmentMode(t.Context(), ada.actor, acme.ID, d.ID, org.AutomaticInvitation, false); err != nil {
			t.Fatal(err)
		}
		n := len(e.waiting(carol)) + len(e.waiting(dan))
		if n != 1 {
			t.Errorf("%d automatic invitations in an organization with room for one more", n)
		}
	})
}

// A domain turned to automatic_invitation while people sign up at it: each
// of them ends with exactly one invitation, whichever transaction runs
// first (the domain's named lock orders them).
func TestAutomaticInvitationsWhileSigningUp(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ada := e.person("ada@acme.test")
		acme := e.create(ada, "Acme")
		d := e.domain(ada, acme, "acme.test")
		const n = 6
		signUps := make([]*user.User, n)
		race(t, e.st, n+1, func(i int) error {
			if i == n {
				_, err := e.svc.SetEnrollmentMode(ctx, ada.actor, acme.ID, d.ID, org.AutomaticInvitation, false)
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
			inv, err := e.st.Q.PendingInvitation(ctx, acme.ID, u.PrimaryEmail())
			if err != nil {
				t.Errorf("%s has no invitation: %v", u.PrimaryEmail(), err)
				continue
			}
			if got := e.eventTypes(inv.ID); !slices.Equal(got, []string{events.InvitationCreated}) {
				t.Errorf("events of %s's invitation = %v", u.PrimaryEmail(), got)
			}
		}
	})
}

// An organization with two domains invites a person with addresses at
// both once, whether the addresses or the domains come second.
func TestOneAutomaticInvitationPerOrganization(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ada := e.person("ada@a.test")
		acme := e.create(ada, "Acme")
		e.addEmail(ada, "ada@b.test", true)
		carol := e.person("carol@a.test")
		e.addEmail(carol, "carol@b.test", true)
		for _, name := range []string{"a.test", "b.test"} {
			d := e.domain(ada, acme, name) // Ada's own addresses verify them
			if _, err := e.svc.SetEnrollmentMode(ctx, ada.actor, acme.ID, d.ID, org.AutomaticInvitation, false); err != nil {
				t.Fatal(err)
			}
		}
		if got := e.waiting(carol); len(got) != 1 {
			t.Errorf("carol waits for %q, want one invitation", got)
		}
		// Dan arrives with addresses at both at once (as the Backend API
		// may create him).
		now := e.clock.Now()
		dan := &user.User{ID: id.New(id.User), CreatedAt: now, UpdatedAt: now}
		for _, a := range []string{"dan@b.test", "dan@a.test"} {
			dan.Identifiers = append(dan.Identifiers, user.Identifier{ID: id.New(id.Identifier), UserID: dan.ID,
				Kind: user.Email, Value: a, VerifiedAt: &now, CreatedAt: now, UpdatedAt: now})
		}
		dan.PrimaryEmailID = dan.Identifiers[0].ID
		err := store.Tx[org.Repo](e.st)(ctx, func(r org.Repo) error {
			if err := r.(users).CreateUser(ctx, dan); err != nil {
				return err
			}
			return e.svc.Enroll(ctx, r, dan, dan.VerifiedEmails())
		})
		if err != nil {
			t.Fatal(err)
		}
		list, err := e.svc.Waiting(ctx, dan.ID)
		if err != nil || len(list) != 1 {
			t.Errorf("dan waits for %+v, %v; want one invitation", list, err)
		}
	})
}

// Changing the mode with deletePending (Clerk's "delete pending
// invitations and suggestions") revokes the live invitations to addresses
// at the domain, automatic or by hand, each with its event, and withdraws
// the suggestions nobody asked for; invitations elsewhere and requests a
// person made stay. The Backend API's delete_pending does the same.
func TestEnrollmentModeChangeDeletesPending(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ada := e.person("ada@acme.test")
		acme := e.create(ada, "Acme")
		carol, dan, gus := e.person("carol@acme.test"), e.person("dan@acme.test"), e.person("gus@acme.test")
		d := e.domain(ada, acme, "acme.test")
		if _, err := e.svc.SetEnrollmentMode(ctx, ada.actor, acme.ID, d.ID, org.AutomaticInvitation, false); err != nil {
			t.Fatal(err)
		}
		e.invite(ada, acme, "hal@acme.test", org.RoleAdmin)       // by hand, at the domain
		e.invite(ada, acme, "ivy@elsewhere.test", org.RoleMember) // elsewhere: stays
		if got := e.waiting(carol); len(got) != 1 {
			t.Fatalf("carol waits for %q", got)
		}

		// To suggestions: carol and dan are invited already, gus is not.
		if _, err := e.svc.SetEnrollmentMode(ctx, ada.actor, acme.ID, d.ID, org.AutomaticSuggestion, true); err != nil {
			t.Fatal(err)
		}
		pending, err := e.st.Q.ListPendingInvitations(ctx, acme.ID)
		if err != nil || len(pending) != 1 || pending[0].Email != "ivy@elsewhere.test" {
			t.Fatalf("pending invitations after delete_pending = %+v, %v; want only ivy's", pending, err)
		}
		for _, p := range []*person{carol, dan, gus} {
			if got := e.waiting(p); len(got) != 0 {
				t.Errorf("%s still waits for %q", p.email, got)
			}
		}
		revoked, _, err := e.svc.Admin().Invitations(ctx, acme.ID, org.InvitationFilter{Statuses: []string{org.Revoked}})
		if err != nil || len(revoked) != 4 { // carol, dan, gus (automatic), hal (by hand)
			t.Fatalf("revoked = %+v, %v", revoked, err)
		}
		for _, inv := range revoked {
			if got := e.eventTypes(inv.ID); !slices.Equal(got, []string{events.InvitationCreated, events.InvitationRevoked}) {
				t.Errorf("events of %s's invitation = %v", inv.EmailAddress, got)
			}
		}
		// The new mode then suggests the organization to everyone there.
		for _, p := range []*person{carol, dan, gus} {
			if got := e.suggested(p); len(got) != 1 {
				t.Errorf("%s is suggested %q", p.email, got)
			}
		}

		// Carol asks to join; the others' suggestions are withdrawn, her
		// request stays.
		if _, err := e.svc.RequestToJoin(ctx, carol.actor, e.suggestionOf(carol).ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.SetEnrollmentMode(ctx, ada.actor, acme.ID, d.ID, org.AutomaticSuggestion, true); err != nil {
			t.Fatal(err)
		}
		for _, p := range []*person{dan, gus} {
			if got := e.suggested(p); len(got) != 0 {
				t.Errorf("%s is still suggested %q", p.email, got)
			}
		}
		if _, page, err := e.svc.MembershipRequests(ctx, ada.actor, acme.ID, 1); err != nil || page.Total != 1 {
			t.Errorf("requests after delete_pending = %+v, %v; want carol's", page, err)
		}

		// Without delete_pending nothing given is taken back.
		e.invite(ada, acme, "jo@acme.test", org.RoleMember)
		if _, err := e.svc.SetEnrollmentMode(ctx, ada.actor, acme.ID, d.ID, org.ManualInvitation, false); err != nil {
			t.Fatal(err)
		}
		if p, _ := e.st.Q.PendingInvitation(ctx, acme.ID, "jo@acme.test"); p == nil {
			t.Error("a mode change without delete_pending revoked jo's invitation")
		}
		// Through the Backend API.
		obj, err := e.svc.Admin().UpdateDomain(ctx, acme.ID, d.ID, org.AdminDomainUpdate{DeletePending: true})
		if err != nil || obj.TotalPendingInvitations != 0 || obj.EnrollmentMode != org.ManualInvitation {
			t.Errorf("UpdateDomain(delete_pending) = %+v, %v", obj, err)
		}
		if p, err := e.st.Q.PendingInvitation(ctx, acme.ID, "jo@acme.test"); err == nil {
			t.Errorf("jo's invitation is still pending after the Backend API's delete_pending: %+v", p)
		}
	})
}
