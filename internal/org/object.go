package org

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/portalhq/portal/internal/metadata"
	"github.com/portalhq/portal/internal/user"
)

// Object is the organization as the Backend API and webhooks show it,
// shaped like Clerk's (timestamps in milliseconds).
type Object struct {
	Object                string          `json:"object"`
	ID                    string          `json:"id"`
	Name                  string          `json:"name"`
	Slug                  string          `json:"slug"`
	ImageURL              string          `json:"image_url"`
	HasImage              bool            `json:"has_image"`
	MembersCount          *int            `json:"members_count,omitempty"` // when the API is asked for it
	MaxAllowedMemberships int             `json:"max_allowed_memberships"`
	AdminDeleteEnabled    bool            `json:"admin_delete_enabled"`
	PublicMetadata        json.RawMessage `json:"public_metadata"`
	PrivateMetadata       json.RawMessage `json:"private_metadata"`
	CreatedBy             string          `json:"created_by"`
	CreatedAt             int64           `json:"created_at"`
	UpdatedAt             int64           `json:"updated_at"`
}

// DeletedObject is what organization.deleted carries.
type DeletedObject struct {
	Object  string `json:"object"`
	ID      string `json:"id"`
	Slug    string `json:"slug"`
	Deleted bool   `json:"deleted"`
}

// MembershipObject is a membership, shaped like Clerk's.
type MembershipObject struct {
	Object          string          `json:"object"`
	ID              string          `json:"id"`
	Role            string          `json:"role"`
	RoleName        string          `json:"role_name"`
	Permissions     []string        `json:"permissions"`
	PublicMetadata  json.RawMessage `json:"public_metadata"`
	PrivateMetadata json.RawMessage `json:"private_metadata"`
	Organization    Object          `json:"organization"`
	PublicUserData  PublicUserData  `json:"public_user_data"`
	CreatedAt       int64           `json:"created_at"`
	UpdatedAt       int64           `json:"updated_at"`
}

// PublicUserData is what other members may know of a member.
type PublicUserData struct {
	UserID     string  `json:"user_id"`
	FirstName  *string `json:"first_name"`
	LastName   *string `json:"last_name"`
	ImageURL   string  `json:"image_url"`
	HasImage   bool    `json:"has_image"`
	Identifier string  `json:"identifier"`
	Username   *string `json:"username"`
}

// InvitationObject is an invitation, shaped like Clerk's. It never holds the
// ticket: events are readable by webhook endpoints.
type InvitationObject struct {
	Object          string          `json:"object"`
	ID              string          `json:"id"`
	EmailAddress    string          `json:"email_address"`
	Role            string          `json:"role"`
	RoleName        string          `json:"role_name"`
	OrganizationID  string          `json:"organization_id"`
	InviterUserID   string          `json:"inviter_user_id"`
	Status          string          `json:"status"`
	PublicMetadata  json.RawMessage `json:"public_metadata"`
	PrivateMetadata json.RawMessage `json:"private_metadata"`
	ExpiresAt       int64           `json:"expires_at"`
	CreatedAt       int64           `json:"created_at"`
	UpdatedAt       int64           `json:"updated_at"`
	// PublicOrganizationData names the organization in a user's invitation
	// list, as Clerk's does; other answers and events leave it out.
	PublicOrganizationData *PublicOrganizationData `json:"public_organization_data,omitempty"`
}

// PublicOrganizationData is what an invitee may know of the organization.
type PublicOrganizationData struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Slug     string `json:"slug"`
	ImageURL string `json:"image_url,omitempty"`
	HasImage bool   `json:"has_image"`
}

// ToObject converts o; baseURL builds the logo's address and maxMembers is
// the instance's limit, used when o has none of its own.
func (o *Organization) ToObject(baseURL string, maxMembers int) Object {
	obj := Object{Object: "organization", ID: o.ID, Name: o.Name, Slug: o.Slug, HasImage: o.LogoVersion != 0,
		MaxAllowedMemberships: maxMembers, AdminDeleteEnabled: true,
		PublicMetadata: metadata.OrEmpty(o.PublicMetadata), PrivateMetadata: metadata.OrEmpty(o.PrivateMetadata),
		CreatedBy: o.CreatedBy,
		CreatedAt: o.CreatedAt.UnixMilli(), UpdatedAt: o.UpdatedAt.UnixMilli()}
	if o.MaxMembers > 0 {
		obj.MaxAllowedMemberships = o.MaxMembers
	}
	if o.LogoVersion != 0 {
		obj.ImageURL = baseURL + LogoPath(o)
	}
	return obj
}

// LogoPath is where the portal serves o's logo (to its members).
func LogoPath(o *Organization) string {
	if o.LogoVersion == 0 {
		return ""
	}
	return "/organizations/" + o.ID + "/logo?v=" + strconv.FormatInt(o.LogoVersion, 10)
}

func (s *Service) object(o *Organization) Object { return o.ToObject(s.BaseURL, s.Policy.MaxMembers) }

func (s *Service) membershipObject(m *Membership, o *Organization, u *user.User) MembershipObject {
	obj := s.membershipShell(m, o)
	if u != nil {
		d := &obj.PublicUserData
		d.FirstName, d.LastName = nilIfEmpty(u.FirstName), nilIfEmpty(u.LastName)
		d.Identifier, d.Username = u.PrimaryEmail(), nilIfEmpty(u.Username())
		d.ImageURL, d.HasImage = u.ImageURL, u.ImageID != ""
		if d.Identifier == "" {
			d.Identifier = u.Username()
		}
	}
	return obj
}

// memberObject is membershipObject for a row of the member list.
func (s *Service) memberObject(m *Member, o *Organization) MembershipObject {
	obj := s.membershipShell(&m.Membership, o)
	d := &obj.PublicUserData
	d.FirstName, d.LastName = nilIfEmpty(m.FirstName), nilIfEmpty(m.LastName)
	d.Identifier, d.Username = m.Email, nilIfEmpty(m.Username)
	d.ImageURL, d.HasImage = m.ImageURL, m.ImageURL != ""
	if d.Identifier == "" {
		d.Identifier = m.Username
	}
	return obj
}

func (s *Service) membershipShell(m *Membership, o *Organization) MembershipObject {
	obj := MembershipObject{Object: "organization_membership", ID: m.ID, Role: m.Role, RoleName: Name(m.Role),
		Permissions: s.Roles.Permissions(m.Role), PublicMetadata: metadata.OrEmpty(m.PublicMetadata),
		PrivateMetadata: metadata.OrEmpty(m.PrivateMetadata), Organization: s.object(o), PublicUserData: PublicUserData{UserID: m.UserID},
		CreatedAt: m.CreatedAt.UnixMilli(), UpdatedAt: m.UpdatedAt.UnixMilli()}
	if obj.Permissions == nil {
		obj.Permissions = []string{}
	}
	return obj
}

func (s *Service) publicOrgData(o *Organization) *PublicOrganizationData {
	obj := s.object(o)
	return &PublicOrganizationData{ID: obj.ID, Name: obj.Name, Slug: obj.Slug, ImageURL: obj.ImageURL, HasImage: obj.HasImage}
}

// invitationObject is i as the Backend API and webhooks show it at now: a
// pending invitation past its expiry reads "expired", as the status filter
// counts it.
func invitationObject(i *Invitation, now time.Time) InvitationObject {
	return InvitationObject{Object: "organization_invitation", ID: i.ID, EmailAddress: i.Email, Role: i.Role,
		RoleName: Name(i.Role), OrganizationID: i.OrgID, InviterUserID: i.InviterID, Status: i.Shown(now),
		PublicMetadata: metadata.OrEmpty(i.PublicMetadata), PrivateMetadata: metadata.OrEmpty(i.PrivateMetadata),
		ExpiresAt: i.ExpireAt.UnixMilli(), CreatedAt: i.CreatedAt.UnixMilli(), UpdatedAt: i.UpdatedAt.UnixMilli()}
}

func nilIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
