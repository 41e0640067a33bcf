package account

import (
	"context"
	"strings"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/user"
)

// DeletePhrase is what a person types to confirm deleting their account.
const DeletePhrase = "Delete account"

// ErrDeletionOff answers a deletion on an instance that does not allow it.
var ErrDeletionOff = apperr.New(apperr.Forbidden, "Accounts can't be deleted here. Contact the site's support.").T("account.error.deletion_off")

// Delete removes the account of sess's user for good: every session ends
// (REQ-SES-05), the person leaves their organizations (each with its
// organizationMembership.deleted), user.deleted is written, and the user
// with everything that belongs to it is gone. The only admin of an
// organization that has other members is asked to hand it over first.
func (s *Service) Delete(ctx context.Context, sess *session.Session, confirmation string) error {
	if !s.AllowDeletion {
		return ErrDeletionOff
	}
	if !s.Fresh(sess) {
		return ErrReverify
	}
	if !strings.EqualFold(strings.Join(strings.Fields(confirmation), " "), DeletePhrase) {
		return apperr.Field(apperr.Invalid, "confirmation", `Type "`+DeletePhrase+`" to confirm.`).
			T("account.error.delete_confirm", "Phrase", DeletePhrase)
	}
	return s.InTx(ctx, func(r Repo) error {
		now := s.Clock.Now()
		if _, err := locked(ctx, r, sess.UserID, now); err != nil {
			return err
		}
		if s.Orgs != nil {
			sole, err := s.Orgs.SoleManagerOf(ctx, r, sess.UserID)
			if err != nil {
				return err
			}
			if len(sole) > 0 {
				names := strings.Join(sole, ", ")
				return apperr.New(apperr.Conflict, "You're the only admin of "+names+
					". Make another member an admin, or delete the organization, before you delete your account.").
					T("account.error.sole_admin", "Orgs", names)
			}
			if err := s.Orgs.RemoveUser(ctx, r, sess.UserID); err != nil {
				return err
			}
		}
		if err := s.Sessions.RevokeUser(ctx, r, sess.UserID, now); err != nil {
			return err
		}
		e, err := events.New(events.UserDeleted, sess.UserID, user.Deleted{ID: sess.UserID, Object: "user", Deleted: true}, now)
		if err != nil {
			return err
		}
		if err := r.InsertEvent(ctx, e); err != nil {
			return err
		}
		return r.DeleteUser(ctx, sess.UserID)
	})
}
