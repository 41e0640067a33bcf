package account_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/account"
	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/user"
)

// REQ-SES-05: deleting the account ends every session (session.revoked),
// writes user.deleted and frees the address; the phrase must be typed.
func TestDeleteAccount_REQ_SES_05(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ada := e.person("ada@example.com", true)
		here, other := e.signIn(ada.ID), e.signIn(ada.ID)

		e.svc.AllowDeletion = false
		wantErr(t, "deletion turned off", e.svc.Delete(ctx, here, account.DeletePhrase), apperr.Forbidden, "account.error.deletion_off")
		e.svc.AllowDeletion = true
		wantErr(t, "the wrong phrase", e.svc.Delete(ctx, here, "delete"), apperr.Invalid, "account.error.delete_confirm")
		if _, err := e.st.Q.UserByID(ctx, ada.ID); err != nil || e.session(other.ID).Status != session.Active {
			t.Fatalf("a refused deletion had an effect: user %v, other session %s", err, e.session(other.ID).Status)
		}

		if err := e.svc.Delete(ctx, here, "  delete   ACCOUNT "); err != nil {
			t.Fatal(err)
		}
		if _, err := e.st.Q.UserByID(ctx, ada.ID); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("user after deletion: %v", err)
		}
		if _, err := e.st.Q.UserByIdentifier(ctx, user.Email, "ada@example.com"); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("the address after deletion: %v", err)
		}
		for _, s := range []*session.Session{here, other} {
			if !slices.Contains(e.eventTypes(s.ID), events.SessionRevoked) {
				t.Errorf("session %s: events %v, want %s", s.ID, e.eventTypes(s.ID), events.SessionRevoked)
			}
		}
		if got := e.eventTypes(ada.ID); len(got) == 0 || got[len(got)-1] != events.UserDeleted {
			t.Errorf("user events %v, want %s last", got, events.UserDeleted)
		}
	})
}

// The only admin of an organization with other members hands it over
// first; a plain member leaves it with organizationMembership.deleted.
func TestDeleteAccountInOrganizations(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ada, bob := e.person("ada@example.com", true), e.person("bob@example.com", true)
		adaSess := e.signIn(ada.ID)
		o := e.org("Analytical Engines", ada, adaSess, bob)

		err := e.svc.Delete(ctx, adaSess, account.DeletePhrase)
		wantErr(t, "the sole admin", err, apperr.Conflict, "account.error.sole_admin")
		if ae, _ := apperr.As(err); ae == nil || !strings.Contains(ae.Message, "Analytical Engines") {
			t.Errorf("the refusal does not name the organization: %v", err)
		}
		if _, err := e.st.Q.UserByID(ctx, ada.ID); err != nil || e.session(adaSess.ID).Status != session.Active ||
			slices.Contains(e.eventTypes(ada.ID), events.UserDeleted) {
			t.Fatal("the refused deletion had an effect")
		}

		m, err := e.st.Q.MembershipOf(ctx, o.ID, bob.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.svc.Delete(ctx, e.signIn(bob.ID), account.DeletePhrase); err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(e.eventTypes(m.ID), events.MembershipDeleted) {
			t.Errorf("Bob's membership events %v, want %s", e.eventTypes(m.ID), events.MembershipDeleted)
		}
		if _, err := e.st.Q.OrganizationByID(ctx, o.ID); err != nil {
			t.Errorf("the organization after its member left: %v", err)
		}
		// Now alone, Ada may go too.
		if err := e.svc.Delete(ctx, e.session(adaSess.ID), account.DeletePhrase); err != nil {
			t.Errorf("the admin of an organization without other members: %v", err)
		}
	})
}
