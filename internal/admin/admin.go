// Package admin is what the Backend API does with users and sessions: the
// operations a relying app's server performs with the instance's secret
// key, with Clerk's semantics. Every change writes its event in the same
// transaction.
package admin

import (
	"context"
	"time"

	"github.com/portalhq/portal/internal/factors"
	"github.com/portalhq/portal/internal/org"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/user"
)

// UserFilter selects users, with Clerk's query parameters. Filters of
// different kinds must all match; values within one kind are alternatives.
type UserFilter struct {
	UserIDs        []string
	EmailAddresses []string // normalised
	PhoneNumbers   []string // E.164
	Usernames      []string // normalised
	ExternalIDs    []string
	Query          string // part of an ID, name, email, phone or username
	Banned         *bool
	// Times, each a bound when not nil: created after or before, last
	// active after (or at, ActiveSince) or before. A user never active
	// matches no activity bound.
	CreatedAfter, CreatedBefore            *time.Time
	ActiveAfter, ActiveSince, ActiveBefore *time.Time
	OrderBy                                string // one of OrderBy's keys, with + or - (default -created_at)
	Limit, Offset                          int
}

// OrderColumns maps the order_by names the API accepts to their columns.
func OrderColumns() map[string]string {
	return map[string]string{"created_at": "created_at", "updated_at": "updated_at",
		"first_name": "first_name", "last_name": "last_name", "last_sign_in_at": "last_sign_in_at",
		"last_active_at": "last_active_at"}
}

// SessionFilter selects sessions by user and/or client, and status.
type SessionFilter struct {
	UserID, ClientID, Status string
	Limit, Offset            int
}

// Repo is what admin needs from the store.
type Repo interface {
	session.Repo
	org.Repo // deleting a user takes it out of its organizations
	// An authenticator app and backup codes imported with a new user.
	factors.ImportRepo
	ListUsers(ctx context.Context, f UserFilter) ([]*user.User, error)
	CountUsers(ctx context.Context, f UserFilter) (int, error)
	// LockUser holds the user's row until the transaction ends, so
	// read-modify-write changes (metadata merges) do not lose each other.
	LockUser(ctx context.Context, id string) error
	CreateUser(ctx context.Context, u *user.User) error
	UserByIdentifier(ctx context.Context, kind, value string) (*user.User, error)
	CreateIdentifier(ctx context.Context, i user.Identifier) error
	SetIdentifierValue(ctx context.Context, id, value string, at time.Time) error
	// SaveUser writes the columns the Backend API changes.
	SaveUser(ctx context.Context, u *user.User) error
	SetPassword(ctx context.Context, userID, hash string, at time.Time) error
	RehashPassword(ctx context.Context, userID, oldHash, newHash string) error
	DeleteUser(ctx context.Context, id string) error
	ListSessions(ctx context.Context, f SessionFilter) ([]session.Session, error)
	CountSessions(ctx context.Context, f SessionFilter) (int, error)
	ClientRepo
}
