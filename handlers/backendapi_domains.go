package handlers

import (
	"context"

	"github.com/labstack/echo/v4"

	"github.com/portalhq/portal/internal/org"
)

// The Backend API's verified domains (Clerk's organization domains):
// /v1/organizations/:id/domains, the secret key acting as the instance's
// owner (org.Admin).

// GET /v1/organizations/:id/domains (verified, enrollment_mode, limit,
// offset): {"data","total_count"}.
func (a *app) apiDomainsList(c echo.Context) error {
	return a.orgAPI(c, func(ctx context.Context, adm *org.Admin) (any, error) {
		f := org.DomainFilter{Modes: queryList(c, "enrollment_mode")}
		if c.QueryParam("verified") != "" {
			v, err := queryBool(c, "verified")
			if err != nil {
				return nil, err
			}
			f.Verified = &v
		}
		var err error
		if f.Limit, f.Offset, err = queryPage(c); err != nil {
			return nil, err
		}
		list, total, err := adm.Domains(ctx, c.Param("id"), f)
		return paginated{Data: list, TotalCount: total}, err
	})
}

type domainBody struct {
	Name           string `json:"name"`
	EnrollmentMode string `json:"enrollment_mode"`
	Verified       *bool  `json:"verified"`
}

// POST /v1/organizations/:id/domains
func (a *app) apiDomainCreate(c echo.Context) error {
	return orgAPIBody(a, c, func(ctx context.Context, adm *org.Admin, b domainBody) (any, error) {
		return adm.CreateDomain(ctx, c.Param("id"), org.AdminDomainInput{Name: b.Name, EnrollmentMode: b.EnrollmentMode,
			Verified: b.Verified})
	})
}

type domainUpdateBody struct {
	EnrollmentMode *string `json:"enrollment_mode"`
	Verified       *bool   `json:"verified"`
	DeletePending  bool    `json:"delete_pending"`
}

// PATCH /v1/organizations/:id/domains/:domain_id
func (a *app) apiDomainUpdate(c echo.Context) error {
	return orgAPIBody(a, c, func(ctx context.Context, adm *org.Admin, b domainUpdateBody) (any, error) {
		return adm.UpdateDomain(ctx, c.Param("id"), c.Param("domain_id"), org.AdminDomainUpdate{
			EnrollmentMode: b.EnrollmentMode, Verified: b.Verified, DeletePending: b.DeletePending})
	})
}

// DELETE /v1/organizations/:id/domains/:domain_id
func (a *app) apiDomainDelete(c echo.Context) error {
	return a.orgAPI(c, func(ctx context.Context, adm *org.Admin) (any, error) {
		return adm.DeleteDomain(ctx, c.Param("id"), c.Param("domain_id"))
	})
}
