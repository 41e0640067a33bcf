package account

import (
	"context"
	"slices"
	"time"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/session"
)

// Device is one active session of the user, as the account page lists it.
type Device struct {
	SessionID string
	session.Device
	IP           string
	SignedInAt   time.Time
	LastActiveAt time.Time
	This         bool // the session looking at the list
}

// Devices lists the active sessions of sess's user: this one first, then
// the most recently active.
func (s *Service) Devices(ctx context.Context, sess *session.Session) ([]Device, error) {
	list, err := s.Sessions.Live(ctx, sess.UserID)
	if err != nil {
		return nil, err
	}
	out := make([]Device, 0, len(list))
	for _, x := range list {
		out = append(out, Device{SessionID: x.ID, Device: session.ParseDevice(x.UserAgent), IP: x.IP,
			SignedInAt: x.CreatedAt, LastActiveAt: x.LastActiveAt, This: x.ID == sess.ID})
	}
	slices.SortStableFunc(out, func(a, b Device) int {
		switch {
		case a.This != b.This:
			if a.This {
				return -1
			}
			return 1
		case !a.LastActiveAt.Equal(b.LastActiveAt):
			return b.LastActiveAt.Compare(a.LastActiveAt)
		}
		return 0
	})
	return out, nil
}

var errThisDevice = apperr.New(apperr.Invalid, "To sign out of this device, use Sign out.").T("account.error.this_device")

// SignOutDevice ends one other session of the user. Another user's session,
// an unknown one and an ended one all get the same answer (REQ-AC-02).
func (s *Service) SignOutDevice(ctx context.Context, sess *session.Session, sessionID string) error {
	if !s.Fresh(sess) {
		return ErrReverify
	}
	if sessionID == sess.ID {
		return errThisDevice
	}
	return s.Sessions.Revoke(ctx, sess.UserID, sessionID)
}

// SignOutOthers ends every session of the user but sess, and says how many.
func (s *Service) SignOutOthers(ctx context.Context, sess *session.Session) (int, error) {
	if !s.Fresh(sess) {
		return 0, ErrReverify
	}
	n := 0
	err := s.InTx(ctx, func(r Repo) error {
		var err error
		n, err = s.Sessions.RevokeOthers(ctx, r, sess.UserID, sess.ID, s.Clock.Now())
		return err
	})
	return n, err
}
