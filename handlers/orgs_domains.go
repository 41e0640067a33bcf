package handlers

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/org"
	"github.com/portalhq/portal/views"
)

// The "Verified domains" part of an organization's settings: adding a
// domain on the general page, then one page per domain to verify it by a
// code sent to an address there, choose its enrollment mode and remove it.

func domainPath(c echo.Context) string {
	return "/organizations/" + c.Param("org_id") + "/domains/" + c.Param("domain_id")
}

// POST /organizations/:org_id/domains: add a domain and go to its page.
func (a *app) orgAddDomain(c echo.Context) error {
	actor, _, ok, err := a.orgActor(c)
	if !ok {
		return err
	}
	form, _ := c.FormParams()
	name := form.Get("domain")
	d, err := a.Orgs.AddDomain(c.Request().Context(), actor, c.Param("org_id"), name)
	if err == nil {
		notice := "domain_added"
		if d.Verified() {
			notice = "domain_verified"
		}
		return c.Redirect(http.StatusSeeOther, afterPost("/organizations/"+d.OrgID+"/domains/"+d.ID, notice, form))
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
		DomainName: name, DomainErrors: errs})
}

// GET /organizations/:org_id/domains/:domain_id
func (a *app) orgDomainPage(c echo.Context) error {
	actor, _, ok, err := a.orgActor(c)
	if !ok {
		return err
	}
	return a.renderDomain(c, http.StatusOK, actor, views.OrgDomain{Notice: a.orgNotice(c, c.QueryParam("notice"))})
}

func (a *app) renderDomain(c echo.Context, status int, actor org.Actor, p views.OrgDomain) error {
	acc, st, err := a.Orgs.DomainPage(c.Request().Context(), actor, c.Param("org_id"), c.Param("domain_id"))
	if err != nil {
		return a.orgRefused(c, actor, err)
	}
	p.Page, p.Nav = a.page(c, a.t(c, "org.domains.title", "Domain", st.Name)), a.orgNav(c, acc, "general", query(c))
	p.ID, p.Name, p.Verified, p.AffiliationEmail = st.ID, st.Name, st.Verified(), st.AffiliationEmail
	p.Mode, p.PendingInvitations, p.PendingSuggestions, p.CodeSentTo = st.EnrollmentMode, st.PendingInvitations,
		st.PendingSuggestions, st.CodeSentTo
	if p.Email == "" {
		p.Email = st.CodeSentTo
	}
	return render(c, status, views.OrgDomainPage(p))
}

// POST /organizations/:org_id/domains/:domain_id/send-code: a code to an
// address at the domain.
func (a *app) orgDomainSendCode(c echo.Context) error {
	actor, _, ok, err := a.orgActor(c)
	if !ok {
		return err
	}
	form, _ := c.FormParams()
	email := form.Get("email_address")
	if ok, msg := a.allow(c, "start", a.limits.start); !ok {
		err = apperr.Field(apperr.RateLimited, "email_address", msg)
	} else {
		err = a.Orgs.SendDomainCode(c.Request().Context(), actor, c.Param("org_id"), c.Param("domain_id"), email,
			RealIP(c).String())
	}
	if err == nil {
		return c.Redirect(http.StatusSeeOther, afterPost(domainPath(c), "code_sent", form))
	}
	if errors.Is(err, org.ErrDomainVerified) { // verified meanwhile (another tab): nothing left to send
		return c.Redirect(http.StatusSeeOther, afterPost(domainPath(c), "domain_verified", form))
	}
	if isRefusal(err) {
		return a.orgRefused(c, actor, err)
	}
	errs, status := a.formErrorsOf(c, err)
	return a.renderDomain(c, status, actor, views.OrgDomain{Email: email, Errors: errs})
}

// POST /organizations/:org_id/domains/:domain_id/verify: the code.
func (a *app) orgDomainVerify(c echo.Context) error {
	return a.domainChange(c, "domain_verified", func(actor org.Actor, form url.Values) error {
		if ok, msg := a.allow(c, "attempt", a.limits.attempt); !ok {
			return apperr.Field(apperr.RateLimited, "code", msg)
		}
		_, err := a.Orgs.VerifyDomain(c.Request().Context(), actor, c.Param("org_id"), c.Param("domain_id"), flow.CleanCode(form.Get("code")))
		if err == nil || !isRefusal(err) { // a refusal comes before any code is checked
			a.logAttempt(c, stepDomain, flow.EmailCode, actor.UserID, err)
		}
		return err
	}, func(p *views.OrgDomain, msg string) { p.CodeError = msg })
}

// POST /organizations/:org_id/domains/:domain_id/enrollment
func (a *app) orgDomainEnrollment(c echo.Context) error {
	return a.domainChange(c, "saved", func(actor org.Actor, form url.Values) error {
		_, err := a.Orgs.SetEnrollmentMode(c.Request().Context(), actor, c.Param("org_id"), c.Param("domain_id"),
			form.Get("enrollment_mode"), form.Get("delete_pending") == "true")
		return err
	}, func(p *views.OrgDomain, msg string) { p.ModeError = msg })
}

// POST /organizations/:org_id/domains/:domain_id/remove: back to the
// settings.
func (a *app) orgDomainRemove(c echo.Context) error {
	actor, _, ok, err := a.orgActor(c)
	if !ok {
		return err
	}
	form, _ := c.FormParams()
	err = a.Orgs.RemoveDomain(c.Request().Context(), actor, c.Param("org_id"), c.Param("domain_id"))
	notice := "domain_removed"
	if code := removedAlreadyNotice(err); code != "" {
		err, notice = nil, code // pressed again (a stale tab): it is gone all the same
	}
	if err == nil {
		return c.Redirect(http.StatusSeeOther, afterPost("/organizations/"+c.Param("org_id"), notice, form))
	}
	if isRefusal(err) {
		return a.orgRefused(c, actor, err)
	}
	errs, status := a.formErrorsOf(c, err)
	return a.renderDomain(c, status, actor, views.OrgDomain{RemoveError: firstMessage(errs)})
}

// domainChange runs a change from a domain's page: back to the page with a
// notice, or the page again with the message where show puts it.
func (a *app) domainChange(c echo.Context, notice string, change func(org.Actor, url.Values) error,
	show func(p *views.OrgDomain, msg string)) error {
	actor, _, ok, err := a.orgActor(c)
	if !ok {
		return err
	}
	form, _ := c.FormParams()
	err = change(actor, form)
	if err == nil {
		return c.Redirect(http.StatusSeeOther, afterPost(domainPath(c), notice, form))
	}
	if isRefusal(err) {
		return a.orgRefused(c, actor, err)
	}
	errs, status := a.formErrorsOf(c, err)
	var p views.OrgDomain
	show(&p, firstMessage(errs))
	return a.renderDomain(c, status, actor, p)
}
