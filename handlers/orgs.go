package handlers

import (
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/org"
	"github.com/portalhq/portal/internal/redirect"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/views"
)

// What an organization route asks of the caller, besides a system
// permission (Route.Org).
const (
	OrgUser   = "user"   // any signed-in person
	OrgMember = "member" // any member of the organization the request names
	OrgTicket = "ticket" // the person an invitation was sent to
	// OrgInvitee: the person to one of whose verified addresses the
	// invitation the request names (:invitation_id) was sent.
	OrgInvitee = "invitee"
	// OrgSuggested: the person the suggestion the request names
	// (:suggestion_id) was made to.
	OrgSuggested = "suggested"
)

// orgActor returns the signed-in person as an organization actor, or
// answers with a redirect to sign-in and back (ok false). Nothing about
// the organization named in the request is looked at before this.
func (a *app) orgActor(c echo.Context) (org.Actor, *session.Session, bool, error) {
	if a.Orgs == nil {
		return org.Actor{}, nil, false, echo.ErrNotFound
	}
	sess, err := a.current(c)
	if err != nil {
		return org.Actor{}, nil, false, err
	}
	if sess == nil {
		back := a.base.JoinPath("/organization").String()
		if c.Request().Method == http.MethodGet {
			back = a.base.String() + c.Request().URL.RequestURI()
		}
		return org.Actor{}, nil, false, c.Redirect(http.StatusSeeOther, "/sign-in?redirect_url="+url.QueryEscape(back))
	}
	a.followAccountLocaleOf(c, sess)
	return actorOf(sess), sess, true, nil
}

// actorOf names the caller; FactorAt is when the session last proved who
// it is — its reverified_at (sign-in or /user/verify), or for a session
// from before that was recorded, the later of its factor times. An
// impersonation session's actor token proved nothing of the person: only
// a reverification counts there.
func actorOf(sess *session.Session) org.Actor {
	var at time.Time
	if !sess.Impersonated() {
		at = sess.FirstFactorAt
		if sess.SecondFactorAt != nil && sess.SecondFactorAt.After(at) {
			at = *sess.SecondFactorAt
		}
	}
	if sess.ReverifiedAt != nil && sess.ReverifiedAt.After(at) {
		at = *sess.ReverifiedAt
	}
	return org.Actor{UserID: sess.UserID, SessionID: sess.ID, FactorAt: at}
}

// orgRefused answers a request the caller may not make. Not found and not
// a member read the same (REQ-AC-02); every refusal is logged (REQ-AC-07).
// Other safe errors are shown as they are; anything else goes to the error
// handler.
func (a *app) orgRefused(c echo.Context, actor org.Actor, err error) error {
	e, ok := apperr.As(err)
	if !ok {
		return err
	}
	heading := a.t(c, "page.error_title")
	switch e.Code {
	case apperr.NotFound:
		heading = a.t(c, "page.not_found_short")
	case apperr.Forbidden:
		heading = a.t(c, "org.refused.forbidden")
	case apperr.Expired:
		heading = a.invitationHeading(c, err, "org.refused.invitation")
	case apperr.Conflict, apperr.Invalid:
		heading = a.t(c, "org.refused.failed")
	}
	if e.Code == apperr.NotFound || e.Code == apperr.Forbidden {
		a.Log.WarnContext(c.Request().Context(), "authorization refused", "user_id", actor.UserID,
			"method", c.Request().Method, "route", c.Path(), "org_id", c.Param("org_id"), "code", string(e.Code),
			"request_id", RequestIDFrom(c.Request().Context()))
	}
	back := "/organization"
	if q := query(c); q.Get("redirect_url") != "" {
		if _, err := a.Redirects.CheckOrPortal(q.Get("redirect_url"), a.base); err == nil {
			back += backQuery(q) // the way back to the app goes on from there
		}
	}
	return a.message(c, statusOf(e.Code), heading, a.say(c, e), back, a.t(c, "org.refused.back"))
}

// isRefusal tells the generic refusals (shown as their own page) from
// errors a form shows beside what was typed.
func isRefusal(err error) bool {
	return errors.Is(err, org.ErrNotFound) || errors.Is(err, org.ErrForbidden) || apperr.CodeOf(err) == ""
}

// GET /organization: the active organization's page, or the switcher when
// none is active.
func (a *app) activeOrgPage(c echo.Context) error {
	actor, sess, ok, err := a.orgActor(c)
	if !ok {
		return err
	}
	q := backQuery(c.QueryParams())
	if sess.ActiveOrgID != "" {
		if _, err := a.Orgs.View(c.Request().Context(), actor, sess.ActiveOrgID); err == nil {
			return c.Redirect(http.StatusSeeOther, "/organizations/"+sess.ActiveOrgID+q)
		}
	}
	return c.Redirect(http.StatusSeeOther, withRedirect("/switch-organization", c.QueryParams()))
}

// GET /switch-organization: the person's accounts to choose from.
func (a *app) switchOrgPage(c echo.Context) error {
	_, sess, ok, err := a.orgActor(c)
	if !ok {
		return err
	}
	q := c.QueryParams()
	if _, err := a.Redirects.ResolveOrPortal(q, redirect.SignIn, a.base); err != nil {
		return a.refusedRedirect(c, err)
	}
	return a.renderSwitch(c, http.StatusOK, sess, q, nil, a.orgNotice(c, c.QueryParam("notice")))
}

func (a *app) renderSwitch(c echo.Context, status int, sess *session.Session, q url.Values, errs views.Errors, notice string) error {
	ctx := c.Request().Context()
	list, err := a.Orgs.ForUser(ctx, sess.UserID)
	if err != nil {
		return err
	}
	need, err := a.Orgs.NeedsOrganization(ctx, sess)
	if err != nil {
		return err
	}
	p := views.SwitchOrg{Page: a.page(c, a.t(c, "org.switch.title")), Task: need, Personal: a.Orgs.Policy.PersonalAccounts,
		PersonalActive: sess.ActiveOrgID == "", Hidden: redirectHidden(q), Errors: errs, Notice: notice,
		SignOutURL: "/sign-out"}
	if need {
		p.Title = a.t(c, "org.switch.task_title")
	} else if raw := q.Get("redirect_url"); raw != "" {
		// Leaving without choosing keeps the app's current choice.
		if u, err := a.Redirects.CheckOrPortal(raw, a.base); err == nil {
			p.BackURL = u.String()
		}
	}
	if u, err := a.Users.UserByID(ctx, sess.UserID); err == nil {
		p.PersonalName = firstNonEmpty(u.FullName(), u.PrimaryEmail(), u.Username())
	}
	waiting, err := a.Orgs.Waiting(ctx, sess.UserID)
	if err != nil {
		return err
	}
	for _, w := range waiting {
		p.Invitations = append(p.Invitations, views.OrgInvitationItem{ID: w.ID, OrgName: w.Org.Name, Role: a.roleName(c, w.Role)})
	}
	suggested, err := a.Orgs.Suggestions(ctx, sess.UserID)
	if err != nil {
		return err
	}
	for _, s := range suggested {
		p.Suggestions = append(p.Suggestions, views.OrgSuggestionItem{ID: s.ID, OrgName: s.Org.Name, Email: s.Email,
			Requested: s.Status == org.Requested})
	}
	for _, o := range list {
		active := o.ID == sess.ActiveOrgID
		p.Orgs = append(p.Orgs, views.OrgItem{ID: o.ID, Name: o.Name, Role: a.roleName(c, o.Role),
			LogoURL: org.LogoPath(&o.Organization), Active: active})
		if active {
			p.ProfileURL = "/organizations/" + o.ID + backQuery(q)
		}
	}
	if can, err := a.Orgs.CanCreate(ctx, sess.UserID); err != nil {
		return err
	} else if can {
		p.CreateURL = withRedirect("/create-organization", q)
	}
	return render(c, status, views.SwitchOrgPage(p))
}

// POST /switch-organization: make the chosen organization (or, with an
// empty organization_id, the personal account) active and go back to the
// app with a token that says so.
func (a *app) switchOrg(c echo.Context) error {
	actor, sess, ok, err := a.orgActor(c)
	if !ok {
		return err
	}
	form, _ := c.FormParams()
	target, err := a.Redirects.ResolveOrPortal(form, redirect.SignIn, a.base)
	if err != nil {
		return a.refusedRedirect(c, err)
	}
	o, err := a.Orgs.Activate(c.Request().Context(), actor, form.Get("organization_id"))
	if errors.Is(err, org.ErrPersonalDisabled) {
		return a.renderSwitch(c, http.StatusUnprocessableEntity, sess, form, views.Errors{"": a.say(c, org.ErrPersonalDisabled)}, "")
	}
	if err != nil {
		return a.orgRefused(c, actor, err)
	}
	if target == nil {
		target = a.base.JoinPath("/")
		if o != nil {
			target = a.base.JoinPath("/organizations", o.ID)
		}
	}
	return a.handBackFresh(c, target)
}

// POST /switch-organization/invitations/:invitation_id/accept: "Join" on
// an invitation waiting for the person. They become a member and come back
// to the switcher, where the organization is now theirs to choose.
func (a *app) joinInvitation(c echo.Context) error {
	return a.answerInvitation(c, "accepted", func(actor org.Actor) error {
		_, err := a.Orgs.Join(c.Request().Context(), actor, c.Param("invitation_id"))
		if errors.Is(err, org.ErrJoinedAlready) {
			return nil // pressed twice: the first press joined
		}
		return err
	})
}

// POST /switch-organization/invitations/:invitation_id/decline
func (a *app) declineInvitation(c echo.Context) error {
	return a.answerInvitation(c, "declined", func(actor org.Actor) error {
		err := a.Orgs.Decline(c.Request().Context(), actor, c.Param("invitation_id"))
		if errors.Is(err, org.ErrDeclinedAlready) {
			return nil // nothing left to join: as declined
		}
		return err
	})
}

// POST /switch-organization/suggestions/:suggestion_id/request: "Request
// to join" on an organization suggested to the person. Back on the
// switcher, the suggestion reads "Requested" until an admin answers.
func (a *app) requestToJoin(c echo.Context) error {
	return a.answerInvitation(c, "requested", func(actor org.Actor) error {
		_, err := a.Orgs.RequestToJoin(c.Request().Context(), actor, c.Param("suggestion_id"))
		return err
	})
}

// answerInvitation runs the person's answer to what waits for them on the
// switcher (an invitation, a suggestion) and comes back to it with notice,
// or with the reason it could not be done.
func (a *app) answerInvitation(c echo.Context, notice string, answer func(org.Actor) error) error {
	actor, sess, ok, err := a.orgActor(c)
	if !ok {
		return err
	}
	form, _ := c.FormParams()
	if _, err := a.Redirects.ResolveOrPortal(form, redirect.SignIn, a.base); err != nil {
		return a.refusedRedirect(c, err)
	}
	err = answer(actor)
	if err == nil {
		back := withRedirect("/switch-organization", form)
		sep := "?"
		if strings.Contains(back, "?") {
			sep = "&"
		}
		return c.Redirect(http.StatusSeeOther, back+sep+"notice="+notice)
	}
	if isRefusal(err) {
		return a.orgRefused(c, actor, err)
	}
	errs, status := a.formErrorsOf(c, err)
	return a.renderSwitch(c, status, sess, form, views.Errors{"": firstMessage(errs)}, "")
}

// handBackFresh reads the session again (its active organization just
// changed) and hands it back to target.
func (a *app) handBackFresh(c echo.Context, target *url.URL) error {
	sess, err := a.current(c)
	if err != nil {
		return err
	}
	if sess == nil {
		return c.Redirect(http.StatusSeeOther, "/sign-in")
	}
	return a.handBack(c, sess, target)
}

// GET /create-organization.
func (a *app) createOrgPage(c echo.Context) error {
	_, sess, ok, err := a.orgActor(c)
	if !ok {
		return err
	}
	q := c.QueryParams()
	if _, err := a.Redirects.ResolveOrPortal(q, redirect.SignIn, a.base); err != nil {
		return a.refusedRedirect(c, err)
	}
	if !a.Orgs.Policy.CreateEnabled {
		return a.message(c, http.StatusForbidden, a.t(c, "org.refused.forbidden"), a.say(c, org.ErrCreateDisabled),
			"/switch-organization", a.t(c, "button.go_back"))
	}
	if can, err := a.Orgs.CanCreate(c.Request().Context(), sess.UserID); err != nil {
		return err
	} else if !can { // said before the form is filled in, not after
		return a.message(c, http.StatusConflict, a.t(c, "org.refused.failed"), a.say(c, org.ErrCreateLimit),
			withRedirect("/switch-organization", q), a.t(c, "button.go_back"))
	}
	return a.renderCreateOrg(c, http.StatusOK, org.CreateInput{}, q, nil)
}

func (a *app) renderCreateOrg(c echo.Context, status int, in org.CreateInput, q url.Values, errs views.Errors) error {
	return render(c, status, views.CreateOrgPage(views.CreateOrg{Page: a.page(c, a.t(c, "org.create.title")),
		Name: in.Name, Slug: in.Slug, Hidden: redirectHidden(q), Errors: errs,
		BackURL: withRedirect("/switch-organization", q)}))
}

// POST /create-organization: the creator becomes its admin, it becomes
// active, and the person goes to redirect_url, the instance's
// after-create URL, or the new organization's page.
func (a *app) createOrg(c echo.Context) error {
	actor, _, ok, err := a.orgActor(c)
	if !ok {
		return err
	}
	form, _ := c.FormParams()
	target, err := a.Redirects.ResolveOrPortal(form, redirect.SignUp, a.base)
	if err != nil {
		return a.refusedRedirect(c, err)
	}
	in := org.CreateInput{Name: form.Get("name"), Slug: strings.TrimSpace(form.Get("slug"))}
	// Creating organizations is costly and abusable (REQ-RL-04): limited
	// per network as sign-ups are, with an allowance of its own.
	if ok, msg := a.allow(c, "org-create", a.limits.start); !ok {
		return a.renderCreateOrg(c, http.StatusTooManyRequests, in, form, views.Errors{"": msg})
	}
	logo, err := formLogo(c)
	if err != nil {
		return a.renderCreateOrg(c, http.StatusUnprocessableEntity, in, form, views.Errors{"logo": a.sayErr(c, err)})
	}
	in.Logo = logo
	o, err := a.Orgs.Create(c.Request().Context(), actor, in)
	if err != nil {
		errs, status, ok := a.formErrors(c, err)
		if !ok {
			return err
		}
		if errors.Is(err, org.ErrSlugTaken) && in.Slug == "" {
			in.Slug = org.Slugify(in.Name) // show what was tried, for the person to change
		}
		errs = a.logoAgain(c, logo, errs)
		return a.renderCreateOrg(c, status, in, form, errs)
	}
	if target == nil && a.Config.OrgAfterCreateURL != "" {
		target, _ = a.Redirects.CheckOrPortal(a.Config.OrgAfterCreateURL, a.base)
	}
	if target == nil {
		target = a.base.JoinPath("/organizations", o.ID)
	}
	return a.handBackFresh(c, target)
}

// logoAgain asks for the logo once more when a form that came with a good
// one is sent back for another field: a browser cannot fill a file input
// in, and the form sent again as it stands would go without the logo.
func (a *app) logoAgain(c echo.Context, logo *org.Logo, errs views.Errors) views.Errors {
	if logo != nil && errs["logo"] == "" {
		if errs == nil {
			errs = views.Errors{}
		}
		errs["logo"] = a.t(c, "org.error.logo_again")
	}
	return errs
}

// formLogo reads the optional "logo" file of a multipart form.
func formLogo(c echo.Context) (*org.Logo, error) {
	fh, err := c.FormFile("logo")
	if errors.Is(err, http.ErrMissingFile) || errors.Is(err, http.ErrNotMultipart) || (err == nil && fh.Size == 0 && fh.Filename == "") {
		return nil, nil
	}
	if err != nil {
		return nil, errLogoUnreadable
	}
	return readLogo(fh)
}

func readLogo(fh *multipart.FileHeader) (*org.Logo, error) {
	if fh.Size > org.MaxLogoBytes {
		return nil, org.ErrLogoTooLarge
	}
	f, err := fh.Open()
	if err != nil {
		return nil, errLogoUnreadable
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, org.MaxLogoBytes+1))
	if err != nil {
		return nil, errLogoUnreadable
	}
	return org.CheckLogo(data)
}

var (
	errLogoUnreadable = apperr.Field(apperr.Invalid, "logo", "The file could not be read.").T("org.error.logo_unreadable")
)

// logoForm is the page of the form with a logo that c posted, "" for any
// other request. Such a form may carry a photo straight from a phone: its
// routes take up to imageUploadLimit, so the form itself can refuse a logo
// over org.MaxLogoBytes and keep what was typed; past that, the error page
// leads back here.
func logoForm(c echo.Context) string {
	switch c.Request().Method + " " + c.Path() {
	case "POST /create-organization":
		return "/create-organization"
	case "POST /organizations/:org_id":
		return "/organizations/" + url.PathEscape(c.Param("org_id"))
	}
	return ""
}

// sayErr is a safe error's message in the request's language, or the
// generic apology for anything else.
func (a *app) sayErr(c echo.Context, err error) string {
	if e, ok := apperr.As(err); ok {
		return a.say(c, e)
	}
	return a.t(c, "page.error_title")
}

// backQuery carries the app's redirect_url from page to page of the profile.
func backQuery(q url.Values) string {
	if v := q.Get("redirect_url"); v != "" {
		return "?" + url.Values{"redirect_url": {v}}.Encode()
	}
	return ""
}

// orgNotice turns a notice code in the URL into its sentence; the URL never
// carries the text itself, so nobody can make the page say something else.
func (a *app) orgNotice(c echo.Context, code string) string {
	switch code {
	case "saved":
		return a.t(c, "org.notice.saved")
	case "role":
		return a.t(c, "org.notice.role")
	case "role_unchanged":
		return a.t(c, "org.notice.role_unchanged")
	case "removed":
		return a.t(c, "org.notice.removed")
	case "invited":
		return a.t(c, "org.notice.invited")
	case "invited_one":
		return a.t(c, "org.notice.invited_one")
	case "invited_unsent":
		return a.t(c, "org.notice.invited_unsent")
	case "resent":
		return a.t(c, "org.notice.resent")
	case "revoked":
		return a.t(c, "org.notice.revoked")
	case "left":
		return a.t(c, "org.notice.left")
	case "deleted":
		return a.t(c, "org.notice.deleted")
	case "accepted":
		return a.t(c, "org.notice.accepted")
	case "declined":
		return a.t(c, "org.notice.declined")
	case "domain_added":
		return a.t(c, "org.notice.domain_added")
	case "domain_verified":
		return a.t(c, "org.notice.domain_verified")
	case "code_sent":
		return a.t(c, "org.notice.code_sent")
	case "domain_removed":
		return a.t(c, "org.notice.domain_removed")
	case "requested":
		return a.t(c, "org.notice.requested")
	case "request_accepted":
		return a.t(c, "org.notice.request_accepted")
	case "request_rejected":
		return a.t(c, "org.notice.request_rejected")
	}
	for _, e := range removedAlready {
		if code == noticeCode(e) {
			return a.say(c, e)
		}
	}
	return ""
}

// removedAlready are the answers to removing again what an organization
// already removed: the pages go back to the list with the answer as a
// notice (noticeCode).
var removedAlready = []*apperr.Error{org.ErrMemberRemovedAlready, org.ErrDomainRemovedAlready,
	org.ErrInvitationRevokedAlready, org.ErrInvitationAcceptedAlready, org.ErrInvitationReplacedAlready}

// removedAlreadyNotice is the notice code for err when it is one of
// removedAlready, else "".
func removedAlreadyNotice(err error) string {
	for _, e := range removedAlready {
		if errors.Is(err, e) {
			return noticeCode(e)
		}
	}
	return ""
}

// noticeCode is the code of e as a notice: its message ID without the
// "org.error." every one of removedAlready has.
func noticeCode(e *apperr.Error) string { return strings.TrimPrefix(e.ID, "org.error.") }

// roleName is a role's display name: the built-in roles in the request's
// language, a role the owner configured as it is named (org.Name).
func (a *app) roleName(c echo.Context, role string) string {
	switch role {
	case org.RoleAdmin:
		return a.t(c, "org.role.admin")
	case org.RoleMember:
		return a.t(c, "org.role.member")
	}
	return org.Name(role)
}

// dayOf formats a date for lists in the request's language, in UTC.
func (a *app) dayOf(c echo.Context, t time.Time) string { return a.localizer(c).Date(t) }
