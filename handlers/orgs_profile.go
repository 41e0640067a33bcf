package handlers

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/org"
	"github.com/portalhq/portal/views"
)

// orgNav is the profile's header and tabs, showing only the tabs the role
// opens. q carries the app's redirect_url from page to page.
func (a *app) orgNav(c echo.Context, acc *org.Access, current string, q url.Values) views.OrgNav {
	n := views.OrgNav{OrgID: acc.Org.ID, Name: acc.Org.Name, LogoURL: org.LogoPath(acc.Org),
		Role: a.roleName(c, acc.Membership.Role), Current: current,
		ShowMembers: acc.Can(org.PermMembershipsRead), ShowInvitations: acc.Can(org.PermMembershipsManage),
		SwitchURL: "/switch-organization"}
	// The requests tab, with how many wait, while the organization takes
	// requests; a failure to tell hides the tab, and the page itself says
	// more if the database is down.
	show, waiting, err := a.Orgs.TakesRequests(c.Request().Context(), acc)
	if err != nil {
		a.Log.ErrorContext(c.Request().Context(), "requests tab", "org_id", acc.Org.ID, "err", err,
			"request_id", RequestIDFrom(c.Request().Context()))
	}
	n.ShowRequests, n.Requests = show || current == "requests", waiting
	if raw := q.Get("redirect_url"); raw != "" {
		if u, err := a.Redirects.CheckOrPortal(raw, a.base); err == nil {
			n.BackURL, n.Query = u.String(), backQuery(q)
			n.Hidden = []views.Hidden{{Name: "redirect_url", Value: raw}}
			n.SwitchURL += n.Query
		}
	}
	return n
}

// query is the request's query, or for a POST its form: both carry the
// redirect_url the profile pages pass along.
func query(c echo.Context) url.Values {
	if c.Request().Method == http.MethodGet {
		return c.QueryParams()
	}
	form, _ := c.FormParams()
	return form
}

// afterPost is the page a profile form returns to, with a notice.
func afterPost(path, notice string, q url.Values) string {
	v := url.Values{"notice": {notice}}
	if r := q.Get("redirect_url"); r != "" {
		v.Set("redirect_url", r)
	}
	return path + "?" + v.Encode()
}

// GET /organizations/:org_id: details, settings for those who may change
// them, leaving, and deleting for those who may.
func (a *app) orgGeneral(c echo.Context) error {
	actor, _, ok, err := a.orgActor(c)
	if !ok {
		return err
	}
	acc, err := a.Orgs.View(c.Request().Context(), actor, c.Param("org_id"))
	if err != nil {
		return a.orgRefused(c, actor, err)
	}
	return a.renderOrgGeneral(c, http.StatusOK, actor, acc, views.OrgGeneral{Name: acc.Org.Name, Slug: acc.Org.Slug,
		Notice: a.orgNotice(c, c.QueryParam("notice"))})
}

func (a *app) renderOrgGeneral(c echo.Context, status int, actor org.Actor, acc *org.Access, p views.OrgGeneral) error {
	p.Page, p.Nav = a.page(c, acc.Org.Name), a.orgNav(c, acc, "general", query(c))
	p.HasLogo, p.CanManage, p.CanDelete = acc.Org.LogoVersion != 0, acc.Can(org.PermProfileManage), acc.Can(org.PermProfileDelete)
	p.NeedsPassword = a.Orgs.NeedsPassword(actor)
	if p.CanDelete && p.NeedsPassword {
		again, err := a.Orgs.MustSignInAgain(c.Request().Context(), actor)
		if err != nil {
			return a.orgRefused(c, actor, err)
		}
		p.NeedsPassword, p.SignInAgain = !again, again
	}
	if acc.Can(org.PermDomainsRead) {
		list, err := a.Orgs.Domains(c.Request().Context(), actor, acc.Org.ID)
		if err != nil {
			return a.orgRefused(c, actor, err)
		}
		p.ShowDomains, p.ManageDomains = true, acc.Can(org.PermDomainsManage)
		for _, d := range list {
			p.Domains = append(p.Domains, views.OrgDomainRow{ID: d.ID, Name: d.Name, Verified: d.Verified(),
				Mode: d.EnrollmentMode})
		}
	}
	return render(c, status, views.OrgGeneralPage(p))
}

// viewAgain reads the organization for re-rendering a form after a
// refused change; a refusal of its own ends there.
func (a *app) viewAgain(c echo.Context, actor org.Actor) (*org.Access, error) {
	return a.Orgs.View(c.Request().Context(), actor, c.Param("org_id"))
}

// POST /organizations/:org_id: rename, change the slug or the logo.
func (a *app) orgUpdate(c echo.Context) error {
	actor, _, ok, err := a.orgActor(c)
	if !ok {
		return err
	}
	form, _ := c.FormParams()
	in := org.UpdateInput{Name: form.Get("name"), Slug: strings.TrimSpace(form.Get("slug")), RemoveLogo: form.Get("remove_logo") != ""}
	logo, logoErr := formLogo(c)
	in.Logo = logo
	var o *org.Organization
	if logoErr == nil {
		o, err = a.Orgs.Update(c.Request().Context(), actor, c.Param("org_id"), in)
	} else if _, err = a.Orgs.Require(c.Request().Context(), actor, c.Param("org_id"), org.PermProfileManage); err == nil {
		err = logoErr // the permission comes first: a refusal must not depend on the file
	}
	if err == nil {
		return c.Redirect(http.StatusSeeOther, afterPost("/organizations/"+o.ID, "saved", form))
	}
	if isRefusal(err) {
		return a.orgRefused(c, actor, err)
	}
	acc, verr := a.viewAgain(c, actor)
	if verr != nil {
		return a.orgRefused(c, actor, verr)
	}
	errs, status := a.formErrorsOf(c, err)
	errs = a.logoAgain(c, logo, errs)
	return a.renderOrgGeneral(c, status, actor, acc, views.OrgGeneral{Name: in.Name, Slug: in.Slug, Errors: errs})
}

// POST /organizations/:org_id/delete.
func (a *app) orgDelete(c echo.Context) error {
	actor, sess, ok, err := a.orgActor(c)
	if !ok {
		return err
	}
	if sess.Impersonated() && a.Orgs.NeedsPassword(actor) {
		u, err := a.Users.UserByID(c.Request().Context(), sess.UserID)
		if err != nil {
			return err
		}
		return a.impersonationCannotVerify(c, u) // the password is the person's
	}
	form, _ := c.FormParams()
	id := c.Param("org_id")
	if ok, msg := a.allow(c, "attempt", a.limits.attempt); !ok {
		err = apperr.New(apperr.RateLimited, msg)
	} else {
		err = a.Orgs.DeleteChecked(c.Request().Context(), actor, id, form.Get("confirm_name"), form.Get("password"),
			func(err error) { a.logAttempt(c, stepOrgDeletion, flow.Password, actor.UserID, err) })
	}
	if err == nil {
		return c.Redirect(http.StatusSeeOther, afterPost("/switch-organization", "deleted", form))
	}
	if isRefusal(err) {
		return a.orgRefused(c, actor, err)
	}
	acc, verr := a.viewAgain(c, actor)
	if verr != nil {
		return a.orgRefused(c, actor, verr)
	}
	errs, status := a.formErrorsOf(c, err)
	return a.renderOrgGeneral(c, status, actor, acc, views.OrgGeneral{Name: acc.Org.Name, Slug: acc.Org.Slug,
		ConfirmName: form.Get("confirm_name"), DeleteErrors: errs})
}

// POST /organizations/:org_id/leave.
func (a *app) orgLeave(c echo.Context) error {
	actor, _, ok, err := a.orgActor(c)
	if !ok {
		return err
	}
	form, _ := c.FormParams()
	err = a.Orgs.Leave(c.Request().Context(), actor, c.Param("org_id"), form.Get("confirm_name"))
	if err == nil {
		return c.Redirect(http.StatusSeeOther, afterPost("/switch-organization", "left", form))
	}
	if isRefusal(err) {
		return a.orgRefused(c, actor, err)
	}
	acc, verr := a.viewAgain(c, actor)
	if verr != nil {
		return a.orgRefused(c, actor, verr)
	}
	errs, status := a.formErrorsOf(c, err)
	return a.renderOrgGeneral(c, status, actor, acc, views.OrgGeneral{Name: acc.Org.Name, Slug: acc.Org.Slug,
		LeaveConfirm: form.Get("confirm_name"), LeaveErrors: errs})
}

// GET /organizations/:org_id/logo: to members only. The URL changes with
// every new logo, so browsers may keep it.
func (a *app) orgLogo(c echo.Context) error {
	actor, _, ok, err := a.orgActor(c)
	if !ok {
		return err
	}
	l, err := a.Orgs.Logo(c.Request().Context(), actor, c.Param("org_id"))
	if err != nil {
		return a.orgRefused(c, actor, err)
	}
	c.Response().Header().Set("Cache-Control", "private, max-age=86400")
	return c.Blob(http.StatusOK, l.ContentType, l.Data)
}

// formErrorsOf is formErrors for an error known to be safe to show.
func (a *app) formErrorsOf(c echo.Context, err error) (views.Errors, int) {
	errs, status, _ := a.formErrors(c, err)
	return errs, status
}
