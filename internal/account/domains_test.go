package account_test

import (
	"testing"

	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/org"
)

// An address verified on /user at a domain an organization verified in
// automatic_invitation mode earns a pending invitation, written with its
// event in the transaction that adds the address; an address elsewhere
// earns none.
func TestVerifiedAddressAtAVerifiedDomainIsInvited(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		admin := e.person("admin@example.com", true)
		acme := e.org("Acme", admin, e.signIn(admin.ID))
		if _, err := e.orgs.Admin().CreateDomain(ctx, acme.ID, org.AdminDomainInput{Name: "acme.test",
			EnrollmentMode: org.AutomaticInvitation}); err != nil {
			t.Fatal(err)
		}
		ada := e.person("ada@example.com", true)
		sess := e.signIn(ada.ID)
		for _, address := range []string{"ada@elsewhere.test", "ada@acme.test"} {
			f, err := e.svc.AddEmail(ctx, sess, e.user(ada.ID), address, meta)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.svc.VerifyCode(ctx, sess, f, e.out.Latest(t, "code", address)); err != nil {
				t.Fatal(err)
			}
		}
		list, err := e.orgs.Waiting(ctx, ada.ID)
		if err != nil || len(list) != 1 || list[0].OrgID != acme.ID || list[0].Email != "ada@acme.test" || list[0].Role != org.RoleMember {
			t.Fatalf("waiting = %+v, %v", list, err)
		}
		evs, err := e.st.Q.EventsOfObject(ctx, list[0].ID)
		if err != nil || len(evs) != 1 || evs[0].Type != events.InvitationCreated {
			t.Errorf("events of the invitation = %+v, %v", evs, err)
		}
		if got := e.mail.urls["ada@acme.test"]; got != "" {
			t.Errorf("the automatic invitation was emailed: %s", got)
		}
	})
}
