package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/org"
	"github.com/portalhq/portal/internal/redirect"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/user"
	"github.com/portalhq/portal/views"
)

// GET /organizations/:org_id/invitations
func (a *app) orgInvitations(c echo.Context) error {
	actor, _, ok, err := a.orgActor(c)
	if !ok {
		return err
	}
	return a.renderInvitations(c, http.StatusOK, actor, "", org.RoleMember, nil, a.orgNotice(c, c.QueryParam("notice")))
}

func (a *app) renderInvitations(c echo.Context, status int, actor org.Actor, emails, role string, errs views.Errors, notice string) error {
	acc, list, err := a.Orgs.Invitations(c.Request().Context(), actor, c.Param("org_id"))
	if err != nil {
		return a.orgRefused(c, actor, err)
	}
	p := views.OrgInvitations{Page: a.page(c, a.t(c, "org.invite.title", "Org", acc.Org.Name)), Nav: a.orgNav(c, acc, "invitations", query(c)),
		Emails: emails, Role: role, Roles: a.roleOptions(c, acc), Errors: errs, Notice: notice}
	now := a.Clock.Now()
	for _, inv := range list {
		p.Invitations = append(p.Invitations, views.OrgInvitationRow{ID: inv.ID, Email: inv.Email,
			RoleName: a.roleName(c, inv.Role), Expires: a.dayOf(c, inv.ExpireAt), Expired: !inv.Live(now), Above: !acc.CanGrant(inv.Role)})
	}
	if notice != "" && c.QueryParam("notice") == "invited_unsent" {
		if to := unsentTo(list, c.QueryParam("unsent")); len(to) > 0 {
			p.Notice = a.t(c, "org.notice.invited_unsent_to", "Emails", strings.Join(to, ", "))
		}
	}
	return render(c, status, views.OrgInvitationsPage(p))
}

// unsentTo is the addresses of the invitations in list, pending ones of
// the organization shown, that ids (comma-separated, from the URL) names:
// those whose email could not be sent. An ID of anything else names
// nothing, so the URL cannot make the page say other addresses.
func unsentTo(list []org.Invitation, ids string) []string {
	named := map[string]bool{}
	for _, id := range strings.Split(ids, ",") {
		named[id] = true
	}
	var to []string
	for _, inv := range list {
		if named[inv.ID] {
			to = append(to, inv.Email)
		}
	}
	return to
}

// POST /organizations/:org_id/invitations: invite one or more addresses.
// The invitee lands on the app this page was opened from.
func (a *app) orgInvite(c echo.Context) error {
	actor, _, ok, err := a.orgActor(c)
	if !ok {
		return err
	}
	form, _ := c.FormParams()
	target, err := a.Redirects.ResolveOrPortal(form, redirect.SignUp, a.base)
	if err != nil {
		return a.refusedRedirect(c, err)
	}
	var made []org.Invitation
	if ok, msg := a.allow(c, "start", a.limits.start); !ok {
		err = apperr.New(apperr.RateLimited, msg)
	} else {
		made, err = a.Orgs.Invite(c.Request().Context(), actor, c.Param("org_id"), org.InviteInput{
			Emails: org.ParseEmails(form.Get("email_address")), Role: form.Get("role"), RedirectURL: targetString(target)})
	}
	emails := org.ParseEmails(form.Get("email_address"))
	if err == nil || a.justInvited(c, actor, emails, err) {
		notice := "invited"
		if (err == nil && len(made) == 1) || (err != nil && len(emails) == 1) {
			notice = "invited_one" // "The invitation is on its way", not "invitations"
		}
		return c.Redirect(http.StatusSeeOther, afterPost("/organizations/"+c.Param("org_id")+"/invitations", notice, form))
	}
	if len(made) > 0 && apperr.CodeOf(err) == apperr.Unavailable {
		// Saved, but the mail server refused some: "try again" would only
		// say "already invited", so the list says which were not emailed
		// and what to do instead (Resend). The URL carries their IDs; the
		// page names only pending invitations of this organization.
		var unsent *org.UnsentError
		var ids []string
		if errors.As(err, &unsent) {
			for _, inv := range unsent.Invitations {
				ids = append(ids, inv.ID)
			}
		}
		a.Log.WarnContext(c.Request().Context(), "organization invitation saved but not emailed", "err", err,
			"invitations", strings.Join(ids, ","), "request_id", RequestIDFrom(c.Request().Context()))
		to := afterPost("/organizations/"+c.Param("org_id")+"/invitations", "invited_unsent", form)
		if len(ids) > 0 {
			to += "&" + url.Values{"unsent": {strings.Join(ids, ",")}}.Encode()
		}
		return c.Redirect(http.StatusSeeOther, to)
	}
	if isRefusal(err) {
		return a.orgRefused(c, actor, err)
	}
	errs, status := a.formErrorsOf(c, err)
	return a.renderInvitations(c, status, actor, form.Get("email_address"), form.Get("role"), errs, "")
}

// doubleSubmit is how recent an invitation from the same person is, for
// "already invited" to be the second press of one Send (a double click).
const doubleSubmit = 10 * time.Second

// justInvited tells a form sent twice (a double click) from a second
// invitation: err refuses an address as already invited, and every
// address of the form has a pending invitation this person sent in the
// last seconds. The browser shows the second answer, which would say
// "already invited" of what the first press just sent.
func (a *app) justInvited(c echo.Context, actor org.Actor, emails []string, err error) bool {
	if e, ok := apperr.As(err); !ok || e.APICode != "organization_invitation_not_unique" || len(emails) == 0 {
		return false
	}
	now := a.Clock.Now()
	for _, email := range emails {
		inv, err := a.Orgs.Repo.PendingInvitation(c.Request().Context(), c.Param("org_id"), user.NormalizeEmail(email))
		if err != nil || inv.InviterID != actor.UserID || now.Sub(inv.CreatedAt) > doubleSubmit {
			return false
		}
	}
	return true
}

// POST /organizations/:org_id/invitations/:invitation_id/revoke
func (a *app) orgRevoke(c echo.Context) error {
	return a.invitationChange(c, "revoked", func(actor org.Actor) error {
		return a.Orgs.Revoke(c.Request().Context(), actor, c.Param("org_id"), c.Param("invitation_id"))
	})
}

// POST /organizations/:org_id/invitations/:invitation_id/resend
func (a *app) orgResend(c echo.Context) error {
	return a.invitationChange(c, "resent", func(actor org.Actor) error {
		if ok, msg := a.allow(c, "start", a.limits.start); !ok {
			return apperr.New(apperr.RateLimited, msg)
		}
		return a.Orgs.Resend(c.Request().Context(), actor, c.Param("org_id"), c.Param("invitation_id"))
	})
}

func (a *app) invitationChange(c echo.Context, notice string, change func(org.Actor) error) error {
	return a.orgListChange(c, "invitations", notice, change, func(actor org.Actor, status int, errs views.Errors) error {
		return a.renderInvitations(c, status, actor, "", org.RoleMember, errs, "")
	})
}

// orgListChange makes a change from one of an organization's lists (list,
// the path under /organizations/:org_id/) and goes back to it with a
// notice, or shows it again (again) with the reason the change could not
// be made; a refusal (no such organization, no permission) gets its page.
func (a *app) orgListChange(c echo.Context, list, notice string, change func(org.Actor) error,
	again func(actor org.Actor, status int, errs views.Errors) error) error {
	actor, _, ok, err := a.orgActor(c)
	if !ok {
		return err
	}
	form, _ := c.FormParams()
	err = change(actor)
	if code := removedAlreadyNotice(err); code != "" {
		err, notice = nil, code // pressed again: what it was for is done
	}
	if err == nil {
		return c.Redirect(http.StatusSeeOther, afterPost("/organizations/"+c.Param("org_id")+"/"+list, notice, form))
	}
	if isRefusal(err) {
		return a.orgRefused(c, actor, err)
	}
	errs, status := a.formErrorsOf(c, err)
	return again(actor, status, views.Errors{"": firstMessage(errs)})
}

// invitationCookie keeps an invitation's ticket while its invitee signs in
// or up, so that finishing that accepts it (handBack). Sealed like __client.
const invitationCookie = "__invitation"

// ticketKept is how long a followed invitation link is remembered at most:
// long enough to come back to a sign-up form the next day.
const ticketKept = 24 * time.Hour

// ticketProves is how long after its link was followed an invitation
// vouches for its address at sign-up, so that no emailed code is needed:
// the lifetime of an emailed link or code (REQ-OTP-02). Later, on a
// computer someone else used the day before say, the invitation still lets
// sign-up go ahead, but the address is verified by a code, as any other.
const ticketProves = 10 * time.Minute

// GET /accept-invitation?ticket=…: the emailed link. Signed out, it goes on
// to sign-in (an account has the address) or sign-up, the address filled
// in; signed in as the invitee, it asks to confirm; signed in as someone
// else, it says so.
func (a *app) acceptInvitationPage(c echo.Context) error {
	if a.Orgs == nil {
		return echo.ErrNotFound
	}
	ctx := c.Request().Context()
	ticket := c.QueryParam("ticket")
	inv, o, err := a.Orgs.Lookup(ctx, ticket)
	if err != nil {
		return a.invitationGone(c, err)
	}
	sess, err := a.current(c)
	if err != nil {
		return err
	}
	if sess == nil {
		if err := a.keepTicket(c, invitationCookie, ticket, inv.ExpireAt); err != nil {
			return err
		}
		target := inv.RedirectURL
		if target == "" {
			target = a.base.JoinPath("/organization").String()
		}
		q := url.Values{"email_address": {inv.Email}, "redirect_url": {target}}
		path := "/sign-up"
		if has, err := a.Orgs.HasAccount(ctx, inv.Email); err != nil {
			return err
		} else if has {
			path = "/sign-in"
		}
		return c.Redirect(http.StatusSeeOther, path+"?"+q.Encode())
	}
	u, err := a.Users.UserByID(ctx, sess.UserID)
	if err != nil {
		return err
	}
	if !u.Has(user.Email, inv.Email) {
		here := a.base.String() + c.Request().URL.RequestURI()
		return a.message(c, http.StatusForbidden, a.t(c, "org.invite.wrong_account_title"), a.say(c, org.ErrWrongAccount)+
			" "+a.t(c, "org.invite.signed_in_as", "Account", firstNonEmpty(u.PrimaryEmail(), u.Username())),
			"/sign-out?"+url.Values{"redirect_url": {here}}.Encode(), a.t(c, "button.sign_out"))
	}
	p := a.page(c, a.t(c, "org.accept.title", "Org", o.Name))
	p.NoReferrer = true // the ticket is in this page's URL
	return render(c, http.StatusOK, views.AcceptInvitationPage(views.AcceptInvitation{Page: p, OrgName: o.Name,
		Inviter: a.Orgs.InviterName(ctx, inv), Email: inv.Email, Role: a.roleName(c, inv.Role), Ticket: ticket, NotNow: a.invitationApp(inv)}))
}

// invitationApp is where "Not now" leads: the app the invitation was sent
// from while it is still allowed, else the portal's home, as a sign-in
// without a redirect_url ends.
func (a *app) invitationApp(inv *org.Invitation) string {
	if inv.RedirectURL != "" {
		if u, err := a.Redirects.CheckOrPortal(inv.RedirectURL, a.base); err == nil {
			return u.String()
		}
	}
	return "/"
}

// POST /accept-invitation: a signed-in invitee joins.
func (a *app) acceptInvitation(c echo.Context) error {
	actor, _, ok, err := a.orgActor(c)
	if !ok {
		return err
	}
	o, inv, err := a.Orgs.Accept(c.Request().Context(), actor, c.FormValue("ticket"))
	if err != nil && !errors.Is(err, org.ErrJoinedAlready) { // pressed twice: the first press joined
		return a.orgRefused(c, actor, err)
	}
	return a.handBackFresh(c, a.afterAccept(o, inv))
}

// afterAccept is where an invitee lands: the invitation's redirect URL, or
// the organization's page.
func (a *app) afterAccept(o *org.Organization, inv *org.Invitation) *url.URL {
	if inv.RedirectURL != "" {
		if u, err := a.Redirects.CheckOrPortal(inv.RedirectURL, a.base); err == nil {
			return u
		}
	}
	u := a.base.JoinPath("/organizations", o.ID)
	u.RawQuery = "notice=accepted"
	return u
}

func (a *app) invitationGone(c echo.Context, err error) error {
	if e, ok := apperr.As(err); ok && e.Code == apperr.Expired {
		return a.message(c, http.StatusGone, a.invitationHeading(c, err, "org.refused.invitation"), a.say(c, e), "/sign-in",
			a.t(c, "page.go_to_sign_in"))
	}
	return err
}

// invitationHeading heads the page saying why an invitation's link cannot
// be used: that it was replaced by a newer email's, or else the catalog
// message id.
func (a *app) invitationHeading(c echo.Context, err error, id string) string {
	if errors.Is(err, org.ErrInvitationResent) {
		return a.t(c, "org.refused.invitation_resent")
	}
	return a.t(c, id)
}

// keepTicket keeps an invitation's ticket in the sealed cookie name while
// its invitee signs in or up: for ticketKept, or until the invitation
// expires if sooner.
func (a *app) keepTicket(c echo.Context, name, ticket string, expires time.Time) error {
	s, _ := a.clients.New(c.Request(), a.ownCookie(name))
	s.Values["ticket"] = ticket
	s.Values["followed"] = a.Clock.Now().Unix()
	keep := min(ticketKept, expires.Sub(a.Clock.Now()))
	s.Options = &sessions.Options{Path: "/", MaxAge: max(1, int(keep.Seconds())), HttpOnly: true, Secure: a.secureCookies(),
		SameSite: http.SameSiteLaxMode}
	return s.Save(c.Request(), c.Response())
}

// keptTicket is the ticket the cookie name keeps, "" when none.
func (a *app) keptTicket(c echo.Context, name string) string {
	s, err := a.clients.Get(c.Request(), a.ownCookie(name))
	if err != nil {
		return ""
	}
	ticket, _ := s.Values["ticket"].(string)
	return ticket
}

// ticketFresh reports whether the cookie name keeps a ticket whose link
// this browser followed within ticketProves.
func (a *app) ticketFresh(c echo.Context, name string) bool {
	s, err := a.clients.Get(c.Request(), a.ownCookie(name))
	if err != nil {
		return false
	}
	followed, ok := s.Values["followed"].(int64)
	return ok && a.Clock.Now().Sub(time.Unix(followed, 0)) < ticketProves
}

// provedEmails is, of app and org (the addresses of the live application
// and organization invitations the browser keeps, "" for none), those
// whose links this browser followed within ticketProves: those sign-up
// verifies without a code.
func (a *app) provedEmails(c echo.Context, app, org string) []string {
	var out []string
	if app != "" && a.ticketFresh(c, appInvitationCookie) {
		out = append(out, app)
	}
	if org != "" && a.ticketFresh(c, invitationCookie) {
		out = append(out, org)
	}
	return out
}

// takeTicket returns the ticket the cookie name keeps, if any, and forgets
// it.
func (a *app) takeTicket(c echo.Context, name string) string {
	ticket := a.keptTicket(c, name)
	if ticket == "" {
		return ""
	}
	s, _ := a.clients.Get(c.Request(), a.ownCookie(name))
	s.Options = &sessions.Options{Path: "/", MaxAge: -1, HttpOnly: true, Secure: a.secureCookies(),
		SameSite: http.SameSiteLaxMode}
	_ = s.Save(c.Request(), c.Response())
	return ticket
}

// invitedEmail is the address of the pending invitation the browser keeps,
// an application invitation's or else an organization's, "" when it keeps
// none or the invitation can no longer be used.
func (a *app) invitedEmail(c echo.Context) string {
	first, _ := a.invitedEmails(c)
	return first
}

// invitedEmails are the addresses of the live invitations the browser
// keeps: the application invitation's first, else an organization
// invitation's; also is the organization invitation's address when the
// browser keeps both and it differs.
func (a *app) invitedEmails(c echo.Context) (first, also string) {
	first, also, _ = a.heldInvitations(c)
	return first, also
}

// heldInvitations is invitedEmails, and which of them sign-up verifies
// without a code (provedEmails).
func (a *app) heldInvitations(c echo.Context) (first, also string, proved []string) {
	app, org := a.appInvitedEmail(c), a.orgInvitedEmail(c)
	proved = a.provedEmails(c, app, org)
	switch {
	case app == "":
		return org, "", proved
	case org == app:
		return app, "", proved
	}
	return app, org, proved
}

// orgInvitedEmail is the address of the live organization invitation the
// browser keeps, "" when none.
func (a *app) orgInvitedEmail(c echo.Context) string {
	ticket := a.keptTicket(c, invitationCookie)
	if a.Orgs == nil || ticket == "" {
		return ""
	}
	inv, _, err := a.Orgs.Lookup(c.Request().Context(), ticket)
	if err != nil {
		return ""
	}
	return inv.Email
}

// heldOrgInvitation names the organization of the live organization
// invitation the browser keeps, and who sent it (by name, or address;
// "" when neither is on file), so that sign-up can say what the new
// account is for; both ""
// when the browser keeps none.
func (a *app) heldOrgInvitation(c echo.Context) (orgName, inviter string) {
	ticket := a.keptTicket(c, invitationCookie)
	if a.Orgs == nil || ticket == "" {
		return "", ""
	}
	ctx := c.Request().Context()
	inv, o, err := a.Orgs.Lookup(ctx, ticket)
	if err != nil {
		return "", ""
	}
	return o.Name, a.Orgs.InviterName(ctx, inv)
}

// orgHandBack is what organizations add to handing a session back to an
// app: an invitation kept while its invitee signed in or up is accepted
// (the organization becomes active and its redirect URL the target), and
// an instance without personal accounts has a person without an
// organization choose or create one first. done means it answered.
func (a *app) orgHandBack(c echo.Context, sess *session.Session, target *url.URL) (*session.Session, *url.URL, bool, error) {
	ctx := c.Request().Context()
	if ticket := a.takeTicket(c, invitationCookie); ticket != "" {
		o, inv, err := a.Orgs.Accept(ctx, actorOf(sess), ticket)
		var e *apperr.Error
		switch {
		case err == nil, errors.Is(err, org.ErrJoinedAlready):
			if fresh, err := a.current(c); err == nil && fresh != nil {
				sess = fresh
			}
			target = a.afterAccept(o, inv)
		case errors.As(err, &e):
			// Signed in all the same: the app's handshake hands out the token.
			return nil, nil, true, a.message(c, statusOf(e.Code), a.invitationHeading(c, err, "org.invite.unusable_title"), a.say(c, e),
				target.String(), a.t(c, "button.continue"))
		default:
			return nil, nil, true, err
		}
	}
	restored, need, err := a.Orgs.EnsureOrganization(ctx, sess)
	if err != nil {
		return nil, nil, true, err
	}
	if restored != "" {
		s := *sess
		s.ActiveOrgID, sess = restored, &s
	}
	if need {
		return nil, nil, true, c.Redirect(http.StatusSeeOther,
			"/switch-organization?"+url.Values{"redirect_url": {target.String()}}.Encode())
	}
	return sess, target, false, nil
}

// handshakeOrg applies the handshake's organization_id (an ID or a slug;
// empty for the personal account) when the person may use it, and reports
// whether the session still needs an organization, in which case the app
// is told the person is signed out until they choose one.
func (a *app) handshakeOrg(c echo.Context, sess *session.Session) (*session.Session, bool, error) {
	ctx := c.Request().Context()
	// Only the handshake (a GET) chooses an organization by its URL; the
	// front end's token endpoint (a POST) mints for the session as it is.
	if refs, ok := c.QueryParams()["organization_id"]; ok && c.Request().Method == http.MethodGet {
		ref := ""
		if len(refs) > 0 {
			ref = refs[0]
		}
		_, err := a.Orgs.Activate(ctx, actorOf(sess), ref)
		if err != nil && apperr.CodeOf(err) == "" {
			return nil, false, err
		}
		if err == nil {
			fresh, err := a.current(c)
			if err != nil || fresh == nil {
				return nil, false, err
			}
			sess = fresh
		}
	}
	restored, need, err := a.Orgs.EnsureOrganization(ctx, sess)
	if restored != "" {
		s := *sess
		s.ActiveOrgID, sess = restored, &s
	}
	return sess, need, err
}
