package session

import "context"

// OrgClaims are the organization claims of a session token.
type OrgClaims struct {
	ID          string
	Slug        string
	Role        string
	Permissions []string
}

// OrgResolver finds the claims of the session's active organization. It
// returns nil when the user is no longer a member, and the token then
// carries no organization (REQ-AC-04: a removed member's next token says so).
type OrgResolver interface {
	OrgClaims(ctx context.Context, userID, orgID string) (*OrgClaims, error)
}
