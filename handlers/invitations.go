package handlers

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/invitation"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/signup"
	"github.com/portalhq/portal/internal/user"
)

// Application invitations (Clerk's /v1/invitations; organization ones are
// in orgs_invitations.go). The emailed link keeps the ticket in a sealed
// cookie of its own while the invitee signs up, which is what opens
// sign-up on a restricted instance; handing the session back accepts it.

// appInvitationCookie keeps an application invitation's ticket, sealed like
// __client, apart from an organization's __invitation so that one does not
// replace the other.
const appInvitationCookie = "__app_invitation"

// GET /invitation?ticket=…: the emailed link. It keeps the ticket and goes
// on to sign-up, the address filled in (to sign-in when an account has it
// already, as ignore_existing allows), with the invitation's redirect URL
// when it is an allowed one. A ticket that can't be used gets a 410 page.
func (a *app) appInvitationPage(c echo.Context) error {
	if a.Invitations == nil {
		return echo.ErrNotFound
	}
	ctx := c.Request().Context()
	ticket := c.QueryParam("ticket")
	inv, err := a.Invitations.Lookup(ctx, ticket)
	if err != nil {
		if e, ok := apperr.As(err); ok && e.Code == apperr.Expired {
			return a.message(c, http.StatusGone, a.t(c, "invitation.gone_title"), a.t(c, "invitation.gone_body"), "/sign-in", a.t(c, "page.go_to_sign_in"))
		}
		return err
	}
	if err := a.keepTicket(c, appInvitationCookie, ticket, inv.ExpiresAt); err != nil {
		return err
	}
	q := url.Values{"email_address": {inv.Email}}
	if target := a.appInvitationTarget(inv); target != nil {
		q.Set("redirect_url", target.String())
	}
	path := "/sign-up"
	if has, err := a.Invitations.HasAccount(ctx, inv.Email); err != nil {
		return err
	} else if has {
		path = "/sign-in"
	}
	return c.Redirect(http.StatusSeeOther, path+"?"+q.Encode())
}

// appInvitationTarget is the invitation's redirect URL when it is on the
// portal or an allowed origin, else nil (the usual target then).
func (a *app) appInvitationTarget(inv *invitation.Invitation) *url.URL {
	if inv.RedirectURL == "" {
		return nil
	}
	u, err := a.Redirects.CheckOrPortal(inv.RedirectURL, a.base)
	if err != nil {
		return nil
	}
	return u
}

// keptAppInvitation is the live application invitation the browser keeps,
// nil when none.
func (a *app) keptAppInvitation(c echo.Context) *invitation.Invitation {
	ticket := a.keptTicket(c, appInvitationCookie)
	if a.Invitations == nil || ticket == "" {
		return nil
	}
	inv, err := a.Invitations.Lookup(c.Request().Context(), ticket)
	if err != nil {
		return nil
	}
	return inv
}

// appInvitedEmail is the address of the live application invitation the
// browser keeps, "" when none.
func (a *app) appInvitedEmail(c echo.Context) string {
	if inv := a.keptAppInvitation(c); inv != nil {
		return inv.Email
	}
	return ""
}

// appInvitationTo is the ID of the live application invitation the browser
// keeps when it was sent to email, "" otherwise: a sign-up with that
// address takes it up as the account is created.
func (a *app) appInvitationTo(c echo.Context, email string) string {
	if email == "" {
		return ""
	}
	if inv := a.keptAppInvitation(c); inv != nil && user.NormalizeEmail(email) == inv.Email {
		return inv.ID
	}
	return ""
}

// heldInvite is the invitation the browser keeps, as a provider sign-up
// needs it: the address the form would accept (invitedEmail) and, when the
// invitation is the application's, its ID.
func (a *app) heldInvite(c echo.Context) signup.Invite {
	org := a.orgInvitedEmail(c)
	if inv := a.keptAppInvitation(c); inv != nil {
		held := signup.Invite{Email: inv.Email, AppInvitationID: inv.ID}
		if org != inv.Email {
			held.AlsoEmail = org
		}
		return held
	}
	return signup.Invite{Email: org}
}

// appInvitationHandBack accepts an application invitation kept while its
// invitee signed up (or in): its public metadata lands on the user and its
// redirect URL, when allowed, becomes the target. done means it answered
// (the invitation could not be used; the person is signed in all the same).
func (a *app) appInvitationHandBack(c echo.Context, sess *session.Session, target *url.URL) (*url.URL, bool, error) {
	if a.Invitations == nil {
		return target, false, nil
	}
	ticket := a.takeTicket(c, appInvitationCookie)
	if ticket == "" {
		return target, false, nil
	}
	// Taken up already as the account was created from it (signup).
	if inv := a.Invitations.AcceptedBy(c.Request().Context(), ticket, sess.UserID); inv != nil {
		if u := a.appInvitationTarget(inv); u != nil {
			target = u
		}
		return target, false, nil
	}
	inv, err := a.Invitations.Accept(c.Request().Context(), ticket, sess.UserID)
	if errors.Is(err, invitation.ErrWrongAccount) {
		// Someone else signing in on a browser where an invitee once
		// opened a link: the invitation is not theirs, and not their
		// concern; it stays pending for its invitee.
		return target, false, nil
	}
	if err != nil {
		if e, ok := apperr.As(err); ok && e.Code != "" {
			return nil, true, a.message(c, statusOf(e.Code), a.t(c, "invitation.unusable_title"), a.say(c, e),
				target.String(), a.t(c, "button.continue"))
		}
		return nil, true, err
	}
	if u := a.appInvitationTarget(inv); u != nil {
		target = u
	}
	return target, false, nil
}
