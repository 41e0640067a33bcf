package account

import (
	"context"
	"strings"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/user"
)

// PasswordChange is what the password form sends.
type PasswordChange struct {
	Current string // needed when the account has a password and sess is not freshly reverified
	New     string
	// SignOutOthers ends every other session of the account (REQ-SES-05).
	SignOutOthers bool
	// Checked, when not nil, hears the outcome of the current-password
	// check (nil when it matched) each time one is made, for the attempt
	// log (REQ-LOG-01).
	Checked func(error)
}

// NeedsCurrentPassword reports whether the password form must ask for the
// current password: the account has one and sess has not just proved
// itself some other way (REQ-PW-07).
func (s *Service) NeedsCurrentPassword(sess *session.Session, u *user.User) bool {
	return u.PasswordHash != "" && !s.Fresh(sess)
}

// ChangePassword sets a new password, or a first one for an account that
// has none (which needs reverification instead of a current password). The
// owner is told by email afterwards (REQ-PW-07).
func (s *Service) ChangePassword(ctx context.Context, sess *session.Session, u *user.User, in PasswordChange) error {
	switch {
	case s.NeedsCurrentPassword(sess, u):
		if in.Current == "" {
			return apperr.Field(apperr.Invalid, "current_password", "Enter your current password.").T("account.error.enter_current_password")
		}
		err := s.Password.Attempt(ctx, nil, u, flow.Input{Password: in.Current})
		if in.Checked != nil {
			in.Checked(err)
		}
		if err != nil {
			if e, ok := apperr.As(err); ok && e.Code == apperr.Invalid {
				return apperr.Field(apperr.Invalid, "current_password", "Your current password is incorrect.").T("account.error.current_password_wrong")
			}
			return err
		}
		// Proven: a policy complaint below need not ask for it again. A
		// password marked as compromised may still be changed for another
		// one, but proves nothing else (PasswordFactor).
		if !u.PasswordCompromised() {
			if err := s.Sessions.Reverified(ctx, sess, true, false); err != nil {
				return err
			}
		}
	case !s.Fresh(sess):
		return ErrReverify
	}
	words := []string{s.AppName, "portal", u.Username()}
	for _, e := range u.VerifiedEmails() {
		local, _, _ := strings.Cut(e, "@")
		words = append(words, local)
	}
	if err := s.Policy.Check(ctx, in.New, words...); err != nil {
		return err
	}
	// A password marked as compromised is changed for another one; the
	// new one clears the mark (SetPassword).
	if u.PasswordCompromised() {
		if err := s.Hasher.CheckNotExposed(ctx, in.New, u.PasswordHash); err != nil {
			return err
		}
	}
	hash, err := s.Hasher.Hash(ctx, in.New)
	if err != nil {
		return err
	}
	err = s.InTx(ctx, func(r Repo) error {
		now := s.Clock.Now()
		if err := r.SetPassword(ctx, u.ID, hash, now); err != nil {
			return err
		}
		if in.SignOutOthers {
			if _, err := s.Sessions.RevokeOthers(ctx, r, u.ID, sess.ID, now); err != nil {
				return err
			}
		}
		return s.updated(ctx, r, u.ID, now)
	})
	if err != nil {
		return err
	}
	if to := u.PrimaryEmail(); to != "" {
		_ = s.Notifier.SendPasswordChanged(ctx, to, u.Locale) // the change stands even if the notice fails
	}
	return nil
}
