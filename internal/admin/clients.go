package admin

import (
	"context"
	"errors"
	"time"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/session"
)

// ClientFlow is a sign-in or sign-up under way on a client: unfinished
// and not expired.
type ClientFlow struct {
	ClientID string
	Kind     string // flow.SignIn or flow.SignUp
	ID       string
}

// ClientRepo is what the Backend API's clients need from the store.
type ClientRepo interface {
	ClientByID(ctx context.Context, id string) (*session.Client, error)
	// ListClients returns one page of every client, newest first;
	// CountClients counts them all.
	ListClients(ctx context.Context, limit, offset int) ([]session.Client, error)
	CountClients(ctx context.Context) (int, error)
	// SessionsOfClients returns the sessions of the clients ids, in any
	// status, newest first.
	SessionsOfClients(ctx context.Context, ids []string) ([]session.Session, error)
	// OpenFlowsOfClients returns the flows under way at now of the
	// clients ids, newest first.
	OpenFlowsOfClients(ctx context.Context, ids []string, now time.Time) ([]ClientFlow, error)
}

// ClientView is a client with what the Backend API shows of it: every
// session it holds (newest first), and the newest sign-in and sign-up
// under way on it ("" for none).
type ClientView struct {
	Client   session.Client
	Sessions []session.Session
	SignInID string
	SignUpID string
}

// clientNotFound answers for a client ID the store does not have, as
// Clerk's ClientNotFound: 404 resource_not_found.
func clientNotFound(id string) error {
	return apperr.New(apperr.NotFound, "No client was found with id "+id+".")
}

// GetClient returns the client id with its sessions and the flows under way
// on it at now.
func GetClient(ctx context.Context, r ClientRepo, id string, now time.Time) (*ClientView, error) {
	c, err := r.ClientByID(ctx, id)
	if errors.Is(err, apperr.ErrNotFound) {
		return nil, clientNotFound(id)
	}
	if err != nil {
		return nil, err
	}
	views, err := clientViews(ctx, r, []session.Client{*c}, now)
	if err != nil {
		return nil, err
	}
	return &views[0], nil
}

// ListClients returns one page of the instance's clients, newest first, as
// GetClient shows each, and how many there are in all.
func ListClients(ctx context.Context, r ClientRepo, limit, offset int, now time.Time) ([]ClientView, int, error) {
	if err := checkPage(&limit, &offset); err != nil {
		return nil, 0, err
	}
	list, err := r.ListClients(ctx, limit, offset)
	if err != nil {
		return nil, 0, err
	}
	views, err := clientViews(ctx, r, list, now)
	if err != nil {
		return nil, 0, err
	}
	total, err := r.CountClients(ctx)
	return views, total, err
}

// clientViews reads the sessions and open flows of list in one query each.
func clientViews(ctx context.Context, r ClientRepo, list []session.Client, now time.Time) ([]ClientView, error) {
	views := make([]ClientView, len(list))
	if len(list) == 0 {
		return views, nil
	}
	at := make(map[string]*ClientView, len(list))
	ids := make([]string, len(list))
	for i := range list {
		views[i].Client = list[i]
		at[list[i].ID] = &views[i]
		ids[i] = list[i].ID
	}
	sessions, err := r.SessionsOfClients(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, s := range sessions {
		if v := at[s.ClientID]; v != nil {
			v.Sessions = append(v.Sessions, s)
		}
	}
	flows, err := r.OpenFlowsOfClients(ctx, ids, now)
	if err != nil {
		return nil, err
	}
	for _, f := range flows { // newest first: the first of each kind is kept
		v := at[f.ClientID]
		switch {
		case v == nil:
		case f.Kind == flow.SignIn && v.SignInID == "":
			v.SignInID = f.ID
		case f.Kind == flow.SignUp && v.SignUpID == "":
			v.SignUpID = f.ID
		}
	}
	return views, nil
}

// ClientObject is a client as Clerk's Backend API shows it.
type ClientObject struct {
	Object              string           `json:"object"`
	ID                  string           `json:"id"`
	SessionIDs          []string         `json:"session_ids"`
	Sessions            []session.Object `json:"sessions"`
	SignInID            *string          `json:"sign_in_id"`
	SignUpID            *string          `json:"sign_up_id"`
	LastActiveSessionID *string          `json:"last_active_session_id"`
	// LastAuthenticationStrategy is how the sign-in that made the client
	// proved who the person was ("password", "oauth_google", …); null for a
	// client no sign-in made (one a browser holds before signing in, or
	// after a sign-in that was not recorded, before this was kept).
	LastAuthenticationStrategy *string `json:"last_authentication_strategy"`
	UpdatedAt                  int64   `json:"updated_at"`
	CreatedAt                  int64   `json:"created_at"`
}

// ToObject converts v for the API. The last active session is the active
// session used last; updated_at is the latest change of the client or of
// one of its sessions.
func (v *ClientView) ToObject() ClientObject {
	o := ClientObject{Object: "client", ID: v.Client.ID, SessionIDs: make([]string, 0, len(v.Sessions)),
		Sessions: make([]session.Object, 0, len(v.Sessions)), SignInID: optional(v.SignInID),
		SignUpID: optional(v.SignUpID), LastAuthenticationStrategy: optional(v.Client.LastStrategy), CreatedAt: v.Client.CreatedAt.UnixMilli(), UpdatedAt: v.Client.UpdatedAt.UnixMilli()}
	var last *session.Session
	for i := range v.Sessions {
		s := &v.Sessions[i]
		o.SessionIDs = append(o.SessionIDs, s.ID)
		o.Sessions = append(o.Sessions, s.ToObject())
		o.UpdatedAt = max(o.UpdatedAt, s.UpdatedAt.UnixMilli())
		if s.Status == session.Active && (last == nil || s.LastActiveAt.After(last.LastActiveAt)) {
			last = s
		}
	}
	if last != nil {
		o.LastActiveSessionID = optional(last.ID)
	}
	return o
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
