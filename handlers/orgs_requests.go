package handlers

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/portalhq/portal/internal/org"
	"github.com/portalhq/portal/views"
)

// The "Requests" tab of the organization's profile (Clerk's
// OrganizationProfile shows it beside members and invitations): the
// requests to join of people the organization's verified domains suggest
// it to, for those who manage its memberships to accept or reject.

// GET /organizations/:org_id/requests?page=…
func (a *app) orgRequests(c echo.Context) error {
	actor, _, ok, err := a.orgActor(c)
	if !ok {
		return err
	}
	return a.renderRequests(c, http.StatusOK, actor, nil, a.orgNotice(c, c.QueryParam("notice")))
}

func (a *app) renderRequests(c echo.Context, status int, actor org.Actor, errs views.Errors, notice string) error {
	page, _ := strconv.Atoi(c.QueryParam("page"))
	acc, list, err := a.Orgs.MembershipRequests(c.Request().Context(), actor, c.Param("org_id"), page)
	if err != nil {
		return a.orgRefused(c, actor, err)
	}
	q := query(c)
	p := views.OrgRequests{Page: a.page(c, a.t(c, "org.requests.title", "Org", acc.Org.Name)), Nav: a.orgNav(c, acc, "requests", q),
		Total: list.Total, PageNum: list.Page, Pages: list.Pages(), Errors: errs, Notice: notice,
		CannotAccept: !acc.CanGrant(org.RoleMember)}
	for _, r := range list.Requests {
		row := views.OrgRequestRow{ID: r.ID, Name: firstNonEmpty(fullName(r.FirstName, r.LastName), r.Username), Email: r.Email}
		if r.RequestedAt != nil {
			row.Asked = a.dayOf(c, *r.RequestedAt)
		}
		p.Requests = append(p.Requests, row)
	}
	path := "/organizations/" + acc.Org.ID + "/requests"
	if list.Page > 1 {
		p.PrevURL = pageURL(path, min(list.Page-1, list.Pages()), q, nil)
	}
	if list.Page < list.Pages() {
		p.NextURL = pageURL(path, list.Page+1, q, nil)
	}
	return render(c, status, views.OrgRequestsPage(p))
}

// POST /organizations/:org_id/requests/:request_id/accept: the person
// becomes a member.
func (a *app) orgAcceptRequest(c echo.Context) error {
	return a.requestChange(c, "request_accepted", func(actor org.Actor) error {
		return a.Orgs.AcceptRequest(c.Request().Context(), actor, c.Param("org_id"), c.Param("request_id"))
	})
}

// POST /organizations/:org_id/requests/:request_id/reject
func (a *app) orgRejectRequest(c echo.Context) error {
	return a.requestChange(c, "request_rejected", func(actor org.Actor) error {
		return a.Orgs.RejectRequest(c.Request().Context(), actor, c.Param("org_id"), c.Param("request_id"))
	})
}

// requestChange answers a request and goes back to the list: with a
// notice, or with the reason it could not be done (the member limit, an
// answer given meanwhile).
func (a *app) requestChange(c echo.Context, notice string, change func(org.Actor) error) error {
	return a.orgListChange(c, "requests", notice, change, func(actor org.Actor, status int, errs views.Errors) error {
		return a.renderRequests(c, status, actor, errs, "")
	})
}
