package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/org"
)

// The Backend API's organizations, memberships and invitations, with
// Clerk's paths: memberships are addressed by the member's user ID. The
// secret key acts as the instance's owner (org.Admin): no membership or
// role is asked, but the organization's rules hold.

// OrgInstance marks the Backend API's organization routes in Route.Org:
// the secret key is the instance's owner, so no membership or permission
// is checked (the organization matrix skips them; every API route's key
// check is tested on its own).
const OrgInstance = "instance"

func (a *app) orgAdmin() (*org.Admin, error) {
	if a.Orgs == nil {
		// Clerk's OrganizationNotEnabledInInstance.
		return nil, &apiError{Status: http.StatusForbidden, Code: "organization_not_enabled_in_instance",
			Message: "access denied", LongMessage: "This instance does not use organizations."}
	}
	return a.Orgs.Admin(), nil
}

// explainOrgNotFound says what an organization endpoint did not find when
// err is the organization's not-found, whose words are for a person on its
// pages ("… or you may not have access to it") and leave a developer
// holding the secret key guessing: no such organization; a slug where the
// path takes the ID (only GET /v1/organizations/{id or slug} reads a
// slug); or no such member, invitation or domain in it. Any other error is
// returned as it is.
func (a *app) explainOrgNotFound(c echo.Context, err error) error {
	const prefix = "/v1/organizations/:id"
	if !errors.Is(err, org.ErrNotFound) || a.Orgs == nil || !strings.HasPrefix(c.Path(), prefix) {
		return err
	}
	ref := c.Param("id")
	o, gerr := a.Orgs.Admin().Get(c.Request().Context(), ref, false)
	switch {
	case errors.Is(gerr, org.ErrNotFound):
		return apperr.New(apperr.NotFound, "No organization with that ID exists.")
	case gerr != nil:
		return err
	case o.ID != ref:
		return apperr.New(apperr.NotFound, fmt.Sprintf("This endpoint takes the organization's ID, not its slug: "+
			"use %s for %s. Only GET /v1/organizations/{id or slug} reads a slug.", o.ID, ref))
	}
	switch rest := strings.TrimPrefix(c.Path(), prefix); {
	case strings.HasPrefix(rest, "/memberships/:user_id"):
		return apperr.New(apperr.NotFound, "No member with that user ID in this organization.")
	case strings.HasPrefix(rest, "/invitations/:invitation_id"):
		return apperr.New(apperr.NotFound, "No invitation with that ID in this organization.")
	case strings.HasPrefix(rest, "/domains/:domain_id"):
		return apperr.New(apperr.NotFound, "No domain with that ID in this organization.")
	}
	return err
}

// orgAPI runs fn with the instance-admin side of organizations and answers
// its result as JSON: the shape of every organization endpoint.
func (a *app) orgAPI(c echo.Context, fn func(ctx context.Context, adm *org.Admin) (any, error)) error {
	adm, err := a.orgAdmin()
	if err != nil {
		return err
	}
	v, err := fn(c.Request().Context(), adm)
	if err != nil {
		return err
	}
	return apiJSON(c, http.StatusOK, v)
}

// orgAPIBody is orgAPI for an endpoint with a JSON body, read into a B
// before fn runs.
func orgAPIBody[B any](a *app, c echo.Context, fn func(ctx context.Context, adm *org.Admin, b B) (any, error)) error {
	return a.orgAPI(c, func(ctx context.Context, adm *org.Admin) (any, error) {
		var b B
		if err := bindJSON(c, &b); err != nil {
			return nil, err
		}
		return fn(ctx, adm, b)
	})
}

func queryBool(c echo.Context, name string) (bool, error) {
	v := c.QueryParam(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, apperr.Field(apperr.Invalid, name, name+" must be true or false.")
	}
	return b, nil
}

func queryPage(c echo.Context) (limit, offset int, err error) {
	if limit, err = queryLimit(c); err != nil {
		return 0, 0, err
	}
	offset, err = queryInt(c, "offset")
	return limit, offset, err
}

// GET /v1/organizations
func (a *app) apiOrgsList(c echo.Context) error {
	return a.orgAPI(c, func(ctx context.Context, adm *org.Admin) (any, error) {
		f := org.OrgFilter{Query: c.QueryParam("query"), UserIDs: queryList(c, "user_id"), OrderBy: c.QueryParam("order_by")}
		var err error
		if f.Limit, f.Offset, err = queryPage(c); err != nil {
			return nil, err
		}
		counts, err := queryBool(c, "include_members_count")
		if err != nil {
			return nil, err
		}
		list, total, err := adm.List(ctx, f, counts)
		return paginated{Data: list, TotalCount: total}, err
	})
}

// orgBody is the JSON of POST and PATCH /v1/organizations, with Clerk's names.
type orgBody struct {
	Name                  *string         `json:"name"`
	Slug                  *string         `json:"slug"`
	CreatedBy             string          `json:"created_by"`
	MaxAllowedMemberships *int            `json:"max_allowed_memberships"`
	PublicMetadata        json.RawMessage `json:"public_metadata"`
	PrivateMetadata       json.RawMessage `json:"private_metadata"`
	CreatedAt             *string         `json:"created_at"` // RFC 3339: when it was made elsewhere
}

// orgUpdateBody is the JSON of PATCH /v1/organizations/{id}: orgBody
// without created_by, which only creating takes.
type orgUpdateBody struct {
	Name                  *string         `json:"name"`
	Slug                  *string         `json:"slug"`
	MaxAllowedMemberships *int            `json:"max_allowed_memberships"`
	PublicMetadata        json.RawMessage `json:"public_metadata"`
	PrivateMetadata       json.RawMessage `json:"private_metadata"`
}

// metadataBody is the JSON of the metadata endpoints of organizations and
// memberships: the two metadata objects and nothing else.
type metadataBody struct {
	PublicMetadata  json.RawMessage `json:"public_metadata"`
	PrivateMetadata json.RawMessage `json:"private_metadata"`
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// POST /v1/organizations
func (a *app) apiOrgCreate(c echo.Context) error {
	return orgAPIBody(a, c, func(ctx context.Context, adm *org.Admin, b orgBody) (any, error) {
		created, err := rfc3339Param("created_at", "2019-10-20T07:15:20.902Z", b.CreatedAt)
		if err != nil {
			return nil, err
		}
		return adm.Create(ctx, org.AdminCreateInput{Name: deref(b.Name), Slug: deref(b.Slug),
			CreatedBy: b.CreatedBy, MaxMembers: b.MaxAllowedMemberships,
			PublicMetadata: b.PublicMetadata, PrivateMetadata: b.PrivateMetadata, CreatedAt: created})
	})
}

// GET /v1/organizations/:id, the ID or the slug.
func (a *app) apiOrgGet(c echo.Context) error {
	return a.orgAPI(c, func(ctx context.Context, adm *org.Admin) (any, error) {
		counts, err := queryBool(c, "include_members_count")
		if err != nil {
			return nil, err
		}
		return adm.Get(ctx, c.Param("id"), counts)
	})
}

// PATCH /v1/organizations/:id
func (a *app) apiOrgUpdate(c echo.Context) error {
	return orgAPIBody(a, c, func(ctx context.Context, adm *org.Admin, b orgUpdateBody) (any, error) {
		return adm.Update(ctx, c.Param("id"), org.AdminUpdateInput{Name: b.Name, Slug: b.Slug,
			MaxMembers: b.MaxAllowedMemberships, PublicMetadata: b.PublicMetadata, PrivateMetadata: b.PrivateMetadata})
	})
}

// PATCH /v1/organizations/:id/metadata: a deep merge; null removes a key.
func (a *app) apiOrgMetadata(c echo.Context) error {
	return orgAPIBody(a, c, func(ctx context.Context, adm *org.Admin, b metadataBody) (any, error) {
		return adm.MergeMetadata(ctx, c.Param("id"), b.PublicMetadata, b.PrivateMetadata)
	})
}

// PUT /v1/organizations/:id/logo: a multipart upload in the field file
// (uploader_user_id, Clerk's credit for the upload, is not kept), checked
// and re-encoded as the organization page's upload is.
func (a *app) apiOrgSetLogo(c echo.Context) error {
	return a.orgAPI(c, func(ctx context.Context, adm *org.Admin) (any, error) {
		// An unknown organization first, whatever was sent; by its ID, as
		// SetLogo and the other changes name it (a slug is for reading).
		o, err := adm.Get(ctx, c.Param("id"), false)
		if err != nil {
			return nil, err
		}
		if o.ID != c.Param("id") {
			return nil, org.ErrNotFound
		}
		data, err := apiUpload(c, org.MaxLogoBytes)
		if err != nil {
			return nil, err
		}
		o, err = adm.SetLogo(ctx, c.Param("id"), data)
		return o, fileField(err)
	})
}

// DELETE /v1/organizations/:id/logo
func (a *app) apiOrgDeleteLogo(c echo.Context) error {
	return a.orgAPI(c, func(ctx context.Context, adm *org.Admin) (any, error) {
		return adm.RemoveLogo(ctx, c.Param("id"))
	})
}

// DELETE /v1/organizations/:id
func (a *app) apiOrgDelete(c echo.Context) error {
	return a.orgAPI(c, func(ctx context.Context, adm *org.Admin) (any, error) {
		return adm.Delete(ctx, c.Param("id"))
	})
}

// GET /v1/organizations/:id/memberships
func (a *app) apiMembershipsList(c echo.Context) error {
	return a.orgAPI(c, func(ctx context.Context, adm *org.Admin) (any, error) {
		f := org.MemberFilter{Query: c.QueryParam("query"), Roles: queryList(c, "role"), UserIDs: queryList(c, "user_id"),
			OrderBy: c.QueryParam("order_by")}
		var err error
		if f.Limit, f.Offset, err = queryPage(c); err != nil {
			return nil, err
		}
		list, total, err := adm.Memberships(ctx, c.Param("id"), f)
		return paginated{Data: list, TotalCount: total}, err
	})
}

type membershipBody struct {
	UserID string `json:"user_id"`
	Role   string `json:"role"`
}

// membershipUpdateBody is the JSON of PATCH …/memberships/{user_id},
// whose path names the member.
type membershipUpdateBody struct {
	Role string `json:"role"`
}

// POST /v1/organizations/:id/memberships
func (a *app) apiMembershipCreate(c echo.Context) error {
	return orgAPIBody(a, c, func(ctx context.Context, adm *org.Admin, b membershipBody) (any, error) {
		if b.UserID == "" {
			return nil, apperr.Field(apperr.Invalid, "user_id", "Give the ID of the user to add.")
		}
		return adm.AddMember(ctx, c.Param("id"), b.UserID, b.Role)
	})
}

// PATCH /v1/organizations/:id/memberships/:user_id
func (a *app) apiMembershipUpdate(c echo.Context) error {
	return orgAPIBody(a, c, func(ctx context.Context, adm *org.Admin, b membershipUpdateBody) (any, error) {
		return adm.SetRole(ctx, c.Param("id"), c.Param("user_id"), b.Role)
	})
}

// PATCH /v1/organizations/:id/memberships/:user_id/metadata: a deep merge
// into the membership's metadata; null removes a key.
func (a *app) apiMembershipMetadata(c echo.Context) error {
	return orgAPIBody(a, c, func(ctx context.Context, adm *org.Admin, b metadataBody) (any, error) {
		return adm.MergeMembershipMetadata(ctx, c.Param("id"), c.Param("user_id"), b.PublicMetadata, b.PrivateMetadata)
	})
}

// DELETE /v1/organizations/:id/memberships/:user_id: the membership as it was.
func (a *app) apiMembershipDelete(c echo.Context) error {
	return a.orgAPI(c, func(ctx context.Context, adm *org.Admin) (any, error) {
		return adm.RemoveMember(ctx, c.Param("id"), c.Param("user_id"))
	})
}

// GET /v1/organizations/:id/invitations[?status=…]
func (a *app) apiInvitationsList(c echo.Context) error {
	return a.orgAPI(c, func(ctx context.Context, adm *org.Admin) (any, error) {
		f := org.InvitationFilter{Statuses: queryList(c, "status")}
		var err error
		if f.Limit, f.Offset, err = queryPage(c); err != nil {
			return nil, err
		}
		list, total, err := adm.Invitations(ctx, c.Param("id"), f)
		return paginated{Data: list, TotalCount: total}, err
	})
}

type invitationBody struct {
	EmailAddress    string          `json:"email_address"`
	Role            string          `json:"role"`
	RedirectURL     string          `json:"redirect_url"`
	InviterUserID   string          `json:"inviter_user_id"`
	ExpiresInDays   int             `json:"expires_in_days"`
	PublicMetadata  json.RawMessage `json:"public_metadata"`
	PrivateMetadata json.RawMessage `json:"private_metadata"`
}

// POST /v1/organizations/:id/invitations: stores the invitation and emails
// its link, as an admin's invitation from the organization's page does.
func (a *app) apiInvitationCreate(c echo.Context) error {
	return orgAPIBody(a, c, func(ctx context.Context, adm *org.Admin, b invitationBody) (any, error) {
		if b.RedirectURL != "" {
			u, err := a.Redirects.CheckOrPortal(b.RedirectURL, a.base)
			if err != nil {
				return nil, apperr.Field(apperr.Invalid, "redirect_url", "redirect_url must be on the portal or an allowed origin.")
			}
			b.RedirectURL = u.String()
		}
		return adm.Invite(ctx, c.Param("id"), org.AdminInviteInput{Email: b.EmailAddress,
			Role: b.Role, RedirectURL: b.RedirectURL, InviterID: b.InviterUserID, ExpiresInDays: b.ExpiresInDays,
			PublicMetadata: b.PublicMetadata, PrivateMetadata: b.PrivateMetadata})
	})
}

// POST /v1/organizations/:id/invitations/bulk: Clerk's bulk invitation,
// an array of what POST …/invitations takes, made all together or none;
// the answer is {"data","total_count"} as Clerk's.
func (a *app) apiInvitationBulk(c echo.Context) error {
	return orgAPIBody(a, c, func(ctx context.Context, adm *org.Admin, bs []invitationBody) (any, error) {
		ins := make([]org.AdminInviteInput, len(bs))
		for i, b := range bs {
			if b.RedirectURL != "" {
				u, err := a.Redirects.CheckOrPortal(b.RedirectURL, a.base)
				if err != nil {
					return nil, apperr.Nth(apperr.Field(apperr.Invalid, "redirect_url", "redirect_url must be on the portal or an allowed origin."),
						"Invitation", i, len(bs))
				}
				b.RedirectURL = u.String()
			}
			ins[i] = org.AdminInviteInput{Email: b.EmailAddress, Role: b.Role, RedirectURL: b.RedirectURL,
				InviterID: b.InviterUserID, ExpiresInDays: b.ExpiresInDays,
				PublicMetadata: b.PublicMetadata, PrivateMetadata: b.PrivateMetadata}
		}
		list, err := adm.InviteBulk(ctx, c.Param("id"), ins)
		if err != nil {
			return nil, err
		}
		return paginated{Data: list, TotalCount: len(list)}, nil
	})
}

// GET /v1/organizations/:id/invitations/:invitation_id
func (a *app) apiInvitationGet(c echo.Context) error {
	return a.orgAPI(c, func(ctx context.Context, adm *org.Admin) (any, error) {
		return adm.Invitation(ctx, c.Param("id"), c.Param("invitation_id"))
	})
}

// POST /v1/organizations/:id/invitations/:invitation_id/revoke
func (a *app) apiInvitationRevoke(c echo.Context) error {
	return a.orgAPI(c, func(ctx context.Context, adm *org.Admin) (any, error) {
		return adm.Revoke(ctx, c.Param("id"), c.Param("invitation_id"))
	})
}

// GET /v1/users/:id/organization_memberships: the user's memberships,
// newest first, each with its organization.
func (a *app) apiUserMemberships(c echo.Context) error {
	return a.orgAPI(c, func(ctx context.Context, adm *org.Admin) (any, error) {
		limit, offset, err := queryPage(c)
		if err != nil {
			return nil, err
		}
		list, total, err := adm.UserMemberships(ctx, c.Param("id"), limit, offset)
		return paginated{Data: list, TotalCount: total}, err
	})
}

// GET /v1/users/:id/organization_invitations[?status=…]: the invitations
// sent to the user's verified addresses, pending ones unless asked.
func (a *app) apiUserInvitations(c echo.Context) error {
	return a.orgAPI(c, func(ctx context.Context, adm *org.Admin) (any, error) {
		f := org.InvitationFilter{Statuses: queryList(c, "status")}
		var err error
		if f.Limit, f.Offset, err = queryPage(c); err != nil {
			return nil, err
		}
		list, total, err := adm.UserInvitations(ctx, c.Param("id"), f)
		return paginated{Data: list, TotalCount: total}, err
	})
}

// GET /v1/organization_memberships: every organization's memberships.
func (a *app) apiInstanceMemberships(c echo.Context) error {
	return a.orgAPI(c, func(ctx context.Context, adm *org.Admin) (any, error) {
		limit, offset, err := queryPage(c)
		if err != nil {
			return nil, err
		}
		list, total, err := adm.InstanceMemberships(ctx, c.QueryParam("order_by"), limit, offset)
		return paginated{Data: list, TotalCount: total}, err
	})
}
