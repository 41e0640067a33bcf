package signin

import (
	"context"

	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/session"
)

// LinkResult says what confirming an email link did.
type LinkResult struct {
	Flow *flow.Flow
	// Session is set when this browser is now signed in: it is the browser
	// that asked for the link, or the instance lets other devices sign in.
	Session *session.Session
	// OtherDevice is true when the link was opened away from the browser
	// that asked for it; that browser completes by itself.
	OtherDevice bool
}

// ConfirmLink consumes a sign-in link for the verification v (already
// checked and consumed by flow.Codes.CheckLink) from the browser clientID.
func (s *Service) ConfirmLink(ctx context.Context, v *flow.Verification, clientID string, meta flow.Meta) (*LinkResult, error) {
	f, err := s.byID(ctx, v.FlowID)
	if err != nil {
		return nil, err
	}
	if f.Status != flow.NeedsFirstFactor || f.UserID == "" {
		return nil, ErrFlowGone
	}
	u, err := s.user(ctx, f)
	if err != nil || u == nil {
		return nil, ErrFlowGone
	}
	if flow.OwnedBy(ctx, s.Repo, f, clientID) { // this browser asked, in this tab or another
		sess, err := s.complete(ctx, f, u, meta, flow.EmailLink)
		return &LinkResult{Flow: f, Session: sess}, err
	}
	now := s.Clock.Now()
	f.Data.LinkVerifiedAt, f.UpdatedAt = &now, now
	if err := s.save(ctx, s.Repo, f); err != nil {
		return nil, err
	}
	res := &LinkResult{Flow: f, OtherDevice: true}
	// The other device gets a session of its own only when no second
	// factor is due: that step happens in the browser that asked. Nor
	// while a new password is due (the old one marked as compromised).
	if s.LinkOtherDeviceSession && clientID != "" && !s.NeedsSecondFactor(u) && !u.PasswordCompromised() {
		if err := s.InTx(ctx, func(r Repo) error {
			res.Session, err = s.Sessions.Start(ctx, r, session.Proof{ClientID: clientID, UserID: u.ID, IP: meta.IP,
				UserAgent: meta.UserAgent, Strategy: flow.EmailLink, FirstFactorAt: now})
			return err
		}); err != nil {
			return nil, err
		}
		s.signedIn(ctx, res.Session, flow.EmailLink)
	}
	return res, nil
}

// CompleteLinked finishes, in the browser that asked for it, a flow whose
// link was confirmed on another device. It returns a nil session while the
// link has not been confirmed yet, or when a second factor is due.
func (s *Service) CompleteLinked(ctx context.Context, f *flow.Flow, meta flow.Meta) (*session.Session, error) {
	if f.Status != flow.NeedsFirstFactor || f.Data.LinkVerifiedAt == nil {
		return nil, nil
	}
	u, err := s.user(ctx, f)
	if err != nil || u == nil {
		return nil, ErrFlowGone
	}
	return s.complete(ctx, f, u, meta, flow.EmailLink)
}
