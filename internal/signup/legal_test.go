package signup_test

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/signup"
	"github.com/portalhq/portal/internal/user"
)

// legalRefused checks that err is the form refused for the unticked
// consent box, with its own message beside the box.
func legalRefused(t *testing.T, what string, err error) *signup.FormError {
	t.Helper()
	var fe *signup.FormError
	if !errors.As(err, &fe) {
		t.Fatalf("%s: %v, want a *signup.FormError", what, err)
	}
	if e := fe.Errors[signup.FieldLegal]; e == nil || e.ID != "error.signup.legal_required" {
		t.Fatalf("%s: field errors %v, want error.signup.legal_required on %s", what, fe.Fields, signup.FieldLegal)
	}
	return fe
}

// created returns the account with email and the user object its first
// event, user.created, carried.
func (e *env) created(email string) (*user.User, user.Object) {
	e.t.Helper()
	u, err := e.st.Q.UserByIdentifier(e.t.Context(), user.Email, email)
	if err != nil {
		e.t.Fatalf("the account of %s: %v", email, err)
	}
	evs, err := e.st.Q.EventsOfObject(e.t.Context(), u.ID)
	if err != nil || len(evs) == 0 || evs[0].Type != events.UserCreated {
		e.t.Fatalf("events of the new user: %v, %v; want user.created first", evs, err)
	}
	var o user.Object
	if err := json.Unmarshal(evs[0].Data, &o); err != nil {
		e.t.Fatal(err)
	}
	return u, o
}

// acceptedAt checks that the account with email was created recording
// want as the moment its person agreed, in the store and in user.created.
func (e *env) acceptedAt(email string, want time.Time) {
	e.t.Helper()
	u, o := e.created(email)
	if u.LegalAcceptedAt == nil || !u.LegalAcceptedAt.Equal(want.Truncate(time.Millisecond)) {
		e.t.Errorf("user's legal_accepted_at %v, want %v", u.LegalAcceptedAt, want)
	}
	if o.LegalAcceptedAt == nil || *o.LegalAcceptedAt != want.UnixMilli() {
		e.t.Errorf("user.created legal_accepted_at %v, want %d", o.LegalAcceptedAt, want.UnixMilli())
	}
}

// PORTAL_LEGAL_CONSENT on the form: without the box ticked nothing is
// made or sent, and the message is the box's own, reported with the
// form's other mistakes at once. Ticked, the moment is carried through the
// verification and written as the user's legal_accepted_at when the
// account is created, user.created included.
func TestSignUpFormRecordsLegalConsent(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		e.svc.LegalConsent = true
		client := e.client()

		_, err := e.start(client, signup.Form{Email: "ada@example.com", Password: pw})
		if fe := legalRefused(t, "box not ticked", err); len(fe.Errors) != 1 {
			t.Errorf("field errors %v, want the box's only", fe.Fields)
		}
		_, err = e.start(client, signup.Form{Email: "ada@example.com"})
		if fe := legalRefused(t, "no box, no password", err); fe.Errors[signup.FieldPassword] == nil {
			t.Errorf("field errors %v, want the password's too", fe.Fields)
		}
		if e.rows("flows") != 0 || e.mail.Count() != 0 || e.users() != 0 {
			t.Fatalf("refused forms left %d flows, %d messages, %d users", e.rows("flows"), e.mail.Count(), e.users())
		}

		ticked := e.clock.Now()
		f := e.mustStart(client, signup.Form{Email: "ada@example.com", Password: pw, LegalAccepted: true})
		if got := e.load(client, f.ID).Data.LegalAcceptedAt; got == nil || !got.Equal(ticked) {
			t.Fatalf("stored flow's legal_accepted_at %v, want %v", got, ticked)
		}
		code := signUpCode(t, e.mail, "ada@example.com")
		e.clock.Advance(3 * time.Minute) // the code is typed later: the box was ticked before
		if sess, err := e.verify(client, f.ID, code); err != nil || sess == nil {
			t.Fatalf("right code = %v, %v; want a session", sess, err)
		}
		e.acceptedAt("ada@example.com", ticked)
	})
}

// Consent off: the form needs no box, and a box posted anyway records
// nothing (the person was shown none).
func TestSignUpWithoutLegalConsentRecordsNothing(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		client := e.client()
		f := e.mustStart(client, signup.Form{Email: "ada@example.com", Password: pw, LegalAccepted: true})
		if sess, err := e.verify(client, f.ID, signUpCode(t, e.mail, "ada@example.com")); err != nil || sess == nil {
			t.Fatalf("verify = %v, %v", sess, err)
		}
		u, o := e.created("ada@example.com")
		if u.LegalAcceptedAt != nil || o.LegalAcceptedAt != nil {
			t.Errorf("legal_accepted_at %v / %v, want none", u.LegalAcceptedAt, o.LegalAcceptedAt)
		}
	})
}

// A provider cannot agree for the person: a sign-up through one that gave
// everything else stops at the box (Clerk's missing_requirements with
// legal_accepted), no account until it is ticked, then the account is made
// at once with the moment it was.
func TestProviderSignUpWaitsForLegalConsent(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		e.svc.LegalConsent = true
		client := e.client()
		f, sess, err := e.svc.StartExternal(t.Context(), client, flow.External{Provider: "oauth_github", Subject: "gh-1",
			Email: "ada@example.com", EmailVerified: true, FirstName: "Ada"}, signup.Invite{}, "", meta)
		if err != nil || sess != nil || f.Status != flow.MissingRequirements || !slices.Equal(f.Data.Missing, []string{signup.FieldLegal}) {
			t.Fatalf("StartExternal = %+v, %v, %v; want no session, missing [legal_accepted]", f, sess, err)
		}
		e.noAccount("ada@example.com")
		if fs := e.svc.MissingFields(f); !fs.Required[signup.FieldLegal] || len(fs.Required) != 1 {
			t.Errorf("missing fields %v, want the box alone", fs.Required)
		}

		_, err = e.svc.Fill(t.Context(), e.load(client, f.ID), signup.Form{}, meta)
		legalRefused(t, "continue without the box", err)
		e.noAccount("ada@example.com")

		e.clock.Advance(time.Minute)
		ticked := e.clock.Now()
		sess, err = e.svc.Fill(t.Context(), e.load(client, f.ID), signup.Form{LegalAccepted: true}, meta)
		if err != nil || sess == nil {
			t.Fatalf("continue with the box = %v, %v; want the account and a session", sess, err)
		}
		e.acceptedAt("ada@example.com", ticked)
		if e.mail.Count() != 0 {
			t.Errorf("%d messages sent; the provider verified the address", e.mail.Count())
		}
	})
}

// When the provider left out a required field too, the box is asked for
// with it; an address it did not verify is then verified by code, and the
// moment the box was ticked is what the account records.
func TestProviderSignUpAsksForTheBoxWithMissingFields(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		e.svc.LegalConsent = true
		client := e.client()
		f, _, err := e.svc.StartExternal(t.Context(), client, flow.External{Provider: "oauth_github", Subject: "gh-2"},
			signup.Invite{}, "", meta)
		if err != nil || !slices.Equal(f.Data.Missing, []string{signup.FieldEmail, signup.FieldLegal}) {
			t.Fatalf("StartExternal = %+v, %v; want missing [email_address legal_accepted]", f, err)
		}
		_, err = e.svc.Fill(t.Context(), e.load(client, f.ID), signup.Form{Email: "bo@example.com"}, meta)
		legalRefused(t, "the address without the box", err)
		if e.mail.Count() != 0 {
			t.Fatalf("a refused form sent %d messages", e.mail.Count())
		}

		ticked := e.clock.Now()
		if sess, err := e.svc.Fill(t.Context(), e.load(client, f.ID), signup.Form{Email: "bo@example.com", LegalAccepted: true}, meta); err != nil || sess != nil {
			t.Fatalf("Fill = %v, %v; want the code step", sess, err)
		}
		e.clock.Advance(2 * time.Minute)
		if sess, err := e.verify(client, f.ID, signUpCode(t, e.mail, "bo@example.com")); err != nil || sess == nil {
			t.Fatalf("verify = %v, %v; want a session", sess, err)
		}
		e.acceptedAt("bo@example.com", ticked)
	})
}

// REQ-IN-09: a sign-up begun before consent was turned on cannot skip the
// box: once verified it stops at the box, and only the box ticked makes
// the account.
func TestSignUpBegunBeforeConsentStopsAtTheBox_REQ_IN_09(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		client := e.client()
		f := e.mustStart(client, signup.Form{Email: "ada@example.com", Password: pw})
		code := signUpCode(t, e.mail, "ada@example.com")

		e.svc.LegalConsent = true // the operator turned it on meanwhile
		var sess *session.Session
		sess, err := e.verify(client, f.ID, code)
		if err != nil || sess != nil {
			t.Fatalf("verify = %v, %v; want no session yet", sess, err)
		}
		e.noAccount("ada@example.com")
		stored := e.load(client, f.ID)
		if !stored.Data.EmailVerified || !slices.Equal(stored.Data.Missing, []string{signup.FieldLegal}) {
			t.Fatalf("flow: verified %v, missing %v; want verified, missing [legal_accepted]", stored.Data.EmailVerified, stored.Data.Missing)
		}
		if sess, err := e.svc.Continue(t.Context(), stored, meta); sess != nil || err != nil {
			t.Fatalf("Continue = %v, %v; want nothing without the box", sess, err)
		}
		e.noAccount("ada@example.com")

		ticked := e.clock.Now()
		if sess, err = e.svc.Fill(t.Context(), stored, signup.Form{LegalAccepted: true}, meta); err != nil || sess == nil {
			t.Fatalf("Fill = %v, %v; want the account", sess, err)
		}
		e.acceptedAt("ada@example.com", ticked)
	})
}

// On an invite-only instance a provider sign-up holding an application
// invitation (as an application or waitlist invitation's link leaves it)
// stops at the box too; ticked, the account takes the invitation up as it
// is created and records the moment.
func TestInvitedProviderSignUpWaitsForLegalConsent(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		e.svc.Restricted, e.svc.LegalConsent = true, true
		bob := e.appInvitation("bob@example.com")
		client, f, sess, err := e.viaProvider("bob@example.com", true, bob)
		if err != nil || sess != nil || !slices.Equal(f.Data.Missing, []string{signup.FieldLegal}) {
			t.Fatalf("invited provider sign-up = %+v, %v, %v; want missing [legal_accepted]", f, sess, err)
		}
		e.noAccount("bob@example.com")
		ticked := e.clock.Now()
		if sess, err := e.svc.Fill(t.Context(), e.load(client, f.ID), signup.Form{LegalAccepted: true}, meta); err != nil || sess == nil {
			t.Fatalf("Fill = %v, %v; want the account", sess, err)
		}
		e.invitationTaken("bob@example.com", bob)
		e.acceptedAt("bob@example.com", ticked)
	})
}
