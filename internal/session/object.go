package session

import "encoding/json"

// Object is the session as the Backend API and webhooks show it (Clerk's shape).
type Object struct {
	ID                       string  `json:"id"`
	Object                   string  `json:"object"`
	ClientID                 string  `json:"client_id"`
	UserID                   string  `json:"user_id"`
	Status                   string  `json:"status"`
	LastActiveOrganizationID *string `json:"last_active_organization_id"`
	// Actor is the actor object of an impersonation session, null otherwise.
	Actor        json.RawMessage `json:"actor"`
	LastActiveAt int64           `json:"last_active_at"`
	ExpireAt     int64           `json:"expire_at"`
	AbandonAt    int64           `json:"abandon_at"`
	CreatedAt    int64           `json:"created_at"`
	UpdatedAt    int64           `json:"updated_at"`
}

// ToObject converts s for the API and webhooks.
func (s *Session) ToObject() Object {
	o := Object{ID: s.ID, Object: "session", ClientID: s.ClientID, UserID: s.UserID, Status: s.Status,
		LastActiveAt: s.LastActiveAt.UnixMilli(), ExpireAt: s.ExpireAt.UnixMilli(), AbandonAt: s.ExpireAt.UnixMilli(),
		CreatedAt: s.CreatedAt.UnixMilli(), UpdatedAt: s.UpdatedAt.UnixMilli()}
	if s.Impersonated() {
		o.Actor = s.Actor
	}
	if s.ActiveOrgID != "" {
		org := s.ActiveOrgID
		o.LastActiveOrganizationID = &org
	}
	return o
}
