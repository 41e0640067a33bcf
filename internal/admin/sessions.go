package admin

import (
	"context"
	"slices"

	"github.com/portalhq/portal/internal/session"
)

// SessionStatuses are the statuses a list may be filtered by.
func SessionStatuses() []string {
	return []string{session.Active, session.Ended, session.Expired, session.Revoked, "removed", "replaced", "abandoned"}
}

// ListSessions returns one page of the sessions f selects and how many it
// selects in all. Clerk asks for a user or a client, and so does this.
func ListSessions(ctx context.Context, r Repo, f SessionFilter) ([]session.Session, int, error) {
	if f.UserID == "" && f.ClientID == "" {
		return nil, 0, invalid("user_id", "Give user_id or client_id.")
	}
	if f.Status != "" && !slices.Contains(SessionStatuses(), f.Status) {
		return nil, 0, invalid("status", "Unknown session status.")
	}
	if err := checkPage(&f.Limit, &f.Offset); err != nil {
		return nil, 0, err
	}
	list, err := r.ListSessions(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	n, err := r.CountSessions(ctx, f)
	return list, n, err
}
