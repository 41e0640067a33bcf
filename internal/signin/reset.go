package signin

import (
	"context"
	"strings"
	"time"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/session"
)

// resetWindow is how long after the code a new password may be set.
const resetWindow = 10 * time.Minute

// ResetPassword sets a new password on a flow whose reset code was verified,
// then signs in, or — for an account with a second factor — moves the flow
// to needs_second_factor and returns a nil session. A flow whose factors
// all passed before it was asked for a new password (the old one marked as
// compromised: FactorsPassed) signs in at once. The new password clears
// the mark, and may not be the marked one again. Other sessions of the
// account end unless keepOthers. The account's owner is told by email
// afterwards (REQ-PW-07).
func (s *Service) ResetPassword(ctx context.Context, f *flow.Flow, newPassword string, keepOthers bool, meta flow.Meta) (*session.Session, error) {
	now := s.Clock.Now()
	if f.Status != flow.NeedsNewPassword || f.Data.ResetVerifiedAt == nil || now.Sub(*f.Data.ResetVerifiedAt) > resetWindow {
		return nil, apperr.New(apperr.Expired, "This password reset has expired. Please start again.").T("error.signin.reset_expired")
	}
	u, err := s.user(ctx, f)
	if err != nil {
		return nil, err
	}
	if u == nil {
		return nil, ErrFlowGone
	}
	words := []string{s.AppName, "portal", u.Username()}
	for _, e := range u.VerifiedEmails() {
		local, _, _ := strings.Cut(e, "@")
		words = append(words, local)
	}
	if err := s.Policy.Check(ctx, newPassword, words...); err != nil {
		return nil, err
	}
	if u.PasswordCompromised() {
		if err := s.Hasher.CheckNotExposed(ctx, newPassword, u.PasswordHash); err != nil {
			return nil, err
		}
	}
	hash, err := s.Hasher.Hash(ctx, newPassword)
	if err != nil {
		return nil, err
	}
	var sess *session.Session
	err = s.InTx(ctx, func(r Repo) error {
		now := s.Clock.Now()
		if err := r.SetPassword(ctx, u.ID, hash, now); err != nil {
			return err
		}
		if !keepOthers {
			if err := s.Sessions.RevokeUser(ctx, r, u.ID, now); err != nil {
				return err
			}
		}
		if err := s.emitUserUpdated(ctx, r, u.ID, now); err != nil {
			return err
		}
		// Signed in by the reset code, or, for a password marked as
		// compromised, by the factors that passed before it was asked for.
		strategy, first, second := f.Data.Strategy, now, (*time.Time)(nil)
		switch {
		case f.Data.FactorsPassed && f.Data.FirstFactorAt != nil:
			strategy, first, second = f.Data.FirstFactor, *f.Data.FirstFactorAt, f.Data.SecondFactorAt
		case s.NeedsSecondFactor(u): // the new password stands; signing in takes the second step
			f.Status, f.Data.FirstFactor, f.Data.FirstFactorAt, f.Data.Strategy, f.UpdatedAt =
				flow.NeedsSecondFactor, f.Data.Strategy, &now, "", now
			return s.save(ctx, r, f)
		}
		if err := r.RecordSignIn(ctx, u.ID, now); err != nil {
			return err
		}
		if sess, err = s.Sessions.Start(ctx, r, session.Proof{ClientID: f.ClientID, UserID: u.ID, IP: meta.IP,
			UserAgent: meta.UserAgent, Strategy: strategy, FirstFactorAt: first, SecondFactorAt: second}); err != nil {
			return err
		}
		f.Status, f.SessionID, f.UpdatedAt, f.Data.FirstFactorAt = flow.Complete, sess.ID, now, &first
		return s.save(ctx, r, f)
	})
	if err != nil {
		return nil, err
	}
	// The password-changed email tells the owner of this sign-in, as of
	// the change: no new sign-in email besides (signedIn is not told).
	if to := u.PrimaryEmail(); to != "" && s.Notifier != nil {
		_ = s.Notifier.SendPasswordChanged(ctx, to, u.Locale) // the change stands even if the notice fails
	}
	return sess, nil
}
