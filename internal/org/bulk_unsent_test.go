package org_test

import (
	"context"
	"errors"
	"testing"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/org"
)

// refusing fails to email one address and sends the others as its
// mailbox does.
type refusing struct {
	*mailbox
	to string
}

var errMailDown = apperr.New(apperr.Unavailable, "We couldn't send the email just now.")

func (m refusing) SendOrgInvitation(ctx context.Context, to, locale string, mail org.InvitationMail) error {
	if to == m.to {
		return errMailDown
	}
	return m.mailbox.SendOrgInvitation(ctx, to, locale, mail)
}

// The Backend API's bulk invitation is made all together or none: when an
// email cannot be sent, none of the request's invitations is left pending
// (one not emailed could never be used, and each would refuse the same
// request sent again as organization_invitation_not_unique), so sending
// it again works.
func TestInviteBulkEmailNotSentLeavesNothingPending(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx, adm := t.Context(), e.svc.Admin()
		ada := e.person("ada@example.com")
		o, err := adm.Create(ctx, org.AdminCreateInput{Name: "Acme", CreatedBy: ada.ID})
		if err != nil {
			t.Fatal(err)
		}
		ins := []org.AdminInviteInput{{Email: "a@example.com", Role: org.RoleMember},
			{Email: "b@example.com", Role: org.RoleMember}, {Email: "c@example.com", Role: org.RoleMember}}
		e.svc.Notifier = refusing{e.mail, "b@example.com"}
		if _, err := adm.InviteBulk(ctx, o.ID, ins); !errors.Is(err, errMailDown) && apperr.CodeOf(err) != apperr.Unavailable {
			t.Fatalf("bulk with an email that cannot be sent: %v, want it unavailable", err)
		}
		if pending, err := e.st.Q.ListPendingInvitations(ctx, o.ID); err != nil || len(pending) != 0 {
			t.Fatalf("after the failed send: %d pending invitations (%v), want none", len(pending), err)
		}
		e.svc.Notifier = e.mail
		list, err := adm.InviteBulk(ctx, o.ID, ins)
		if err != nil || len(list) != 3 {
			t.Fatalf("the same request again: %d invitations, %v", len(list), err)
		}
	})
}
