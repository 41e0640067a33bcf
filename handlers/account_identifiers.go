package handlers

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/portalhq/portal/internal/account"
	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/user"
	"github.com/portalhq/portal/views"
)

// identifierBase is where the pages of one kind of identifier live.
func identifierBase(kind string) string {
	if kind == user.Phone {
		return "/user/phone-numbers"
	}
	return "/user/email-addresses"
}

// identifierField is the form field of the kind's address or number.
func identifierField(kind string) string {
	if kind == user.Phone {
		return "phone_number"
	}
	return "email_address"
}

// GET /user/email-addresses/new, /user/phone-numbers/new.
func (a *app) userAddIdentifierPage(c echo.Context, kind string) error {
	sess, _, ok, err := a.signedIn(c)
	if !ok {
		return err
	}
	if kind == user.Phone && !a.Account.SignIn.Phone {
		return echo.ErrNotFound
	}
	if !a.Account.Fresh(sess) {
		return a.reverify(c, identifierBase(kind)+"/new")
	}
	// Back from confirming it's you: the address or number typed before.
	return a.renderAddIdentifier(c, http.StatusOK, kind, a.takeDraft(c, sess.ID, identifierBase(kind)+"/new").Get(identifierField(kind)), nil)
}

func (a *app) renderAddIdentifier(c echo.Context, status int, kind, value string, errs views.Errors) error {
	p := views.UserAddIdentifier{Page: a.page(c, a.t(c, "account.identifiers.add_email")), Action: identifierBase(kind), Phone: kind == user.Phone,
		Value: value, Errors: errs, CancelURL: "/user"}
	if p.Phone {
		p.Page.Title = a.t(c, "account.identifiers.add_phone")
	}
	return render(c, status, views.UserAddIdentifierPage(p))
}

// POST /user/email-addresses, /user/phone-numbers: send a code to the new
// address; it is added once the code comes back.
func (a *app) userAddIdentifier(c echo.Context, kind string) error {
	sess, u, ok, err := a.signedIn(c)
	if !ok {
		return err
	}
	if kind == user.Phone && !a.Account.SignIn.Phone {
		return echo.ErrNotFound
	}
	field := identifierField(kind)
	value := c.FormValue(field)
	if ok, msg := a.allow(c, "start", a.limits.start); !ok {
		return a.renderAddIdentifier(c, http.StatusTooManyRequests, kind, value, views.Errors{"": msg})
	}
	add := a.Account.AddEmail
	if kind == user.Phone {
		add = a.Account.AddPhone
	}
	f, err := add(c.Request().Context(), sess, u, value, a.meta(c))
	if err != nil {
		if errors.Is(err, account.ErrReverify) {
			return a.reverifyKeeping(c, sess.ID, identifierBase(kind)+"/new", field)
		}
		if errs, status, ok := a.formErrors(c, err); ok {
			return a.renderAddIdentifier(c, status, kind, value, errs)
		}
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/user/verify-identifier?flow="+url.QueryEscape(f.ID))
}

// GET /user/verify-identifier?flow=…: the code step of an addition.
func (a *app) userVerifyIdentifierPage(c echo.Context) error {
	sess, u, ok, err := a.signedIn(c)
	if !ok {
		return err
	}
	f, err := a.Account.Pending(c.Request().Context(), sess, c.QueryParam("flow"))
	if err != nil {
		return a.pendingGone(c, sess, u, c.QueryParam("flow"), err)
	}
	return a.renderVerifyIdentifier(c, http.StatusOK, f, "", nil)
}

func (a *app) renderVerifyIdentifier(c echo.Context, status int, f *flow.Flow, notice string, errs views.Errors) error {
	p := views.UserVerifyIdentifier{Page: a.page(c, a.t(c, "link.verify_heading")), Action: "/user/verify-identifier",
		SendAction: "/user/verify-identifier/send", FlowID: f.ID, Destination: f.Identifier,
		Phone: f.Data.IdentifierKind == user.Phone, NoLink: f.Data.IdentifierID != "", Notice: notice, Errors: errs, CancelURL: "/user"}
	strategy := flow.EmailCode
	if p.Phone {
		p.Page.Title, p.Destination, strategy = a.t(c, "signup.verify_title_phone"), a.displayPhone(f.Identifier), flow.PhoneCode
	}
	p.ResendWait = a.resendWait(c, f.ID, strategy)
	return render(c, status, views.UserVerifyIdentifierPage(p))
}

// pendingGone answers an addition that cannot be verified any more: done
// already (by this session, the address still there) goes to the account
// page saying so; otherwise the reason.
func (a *app) pendingGone(c echo.Context, sess *session.Session, u *user.User, flowID string, err error) error {
	if f, ok := a.Account.Added(c.Request().Context(), sess, u, flowID); ok {
		return c.Redirect(http.StatusSeeOther, doneURL(f))
	}
	if e, ok := apperr.As(err); ok {
		return a.message(c, statusOf(e.Code), a.t(c, "page.expired_title"), a.say(c, e), "/user", a.t(c, "account.back_to_account"))
	}
	return err
}

// POST /user/verify-identifier: check the code; the address joins the account.
func (a *app) userVerifyIdentifier(c echo.Context) error {
	sess, u, ok, err := a.signedIn(c)
	if !ok {
		return err
	}
	ctx := c.Request().Context()
	f, err := a.Account.Pending(ctx, sess, c.FormValue("flow"))
	if err != nil {
		return a.pendingGone(c, sess, u, c.FormValue("flow"), err)
	}
	if ok, msg := a.allow(c, "attempt", a.limits.attempt); !ok {
		return a.renderVerifyIdentifier(c, http.StatusTooManyRequests, f, "", views.Errors{"": msg})
	}
	_, err = a.Account.VerifyCode(ctx, sess, f, flow.CleanCode(c.FormValue("code")))
	factor := flow.EmailCode
	if f.Data.IdentifierKind == user.Phone {
		factor = flow.PhoneCode
	}
	a.logAttempt(c, stepIdentifier, factor, u.ID, err)
	if err != nil {
		if errs, status, ok := a.formErrors(c, err); ok {
			return a.renderVerifyIdentifier(c, status, f, "", errs)
		}
		return err
	}
	return c.Redirect(http.StatusSeeOther, doneURL(f))
}

func addedURL(kind string) string {
	if kind == user.Phone {
		return "/user?done=phone_added"
	}
	return "/user?done=email_added"
}

// POST /user/verify-identifier/send: a new code, or a link instead.
func (a *app) userVerifyIdentifierSend(c echo.Context) error {
	sess, u, ok, err := a.signedIn(c)
	if !ok {
		return err
	}
	ctx := c.Request().Context()
	f, err := a.Account.Pending(ctx, sess, c.FormValue("flow"))
	if err != nil {
		return a.pendingGone(c, sess, u, c.FormValue("flow"), err)
	}
	if ok, msg := a.allow(c, "start", a.limits.start); !ok {
		return a.renderVerifyIdentifier(c, http.StatusTooManyRequests, f, "", views.Errors{"": msg})
	}
	strategy := c.FormValue("strategy")
	if err := a.Account.Send(ctx, f, strategy, a.meta(c)); err != nil {
		if errs, status, ok := a.formErrors(c, err); ok {
			return a.renderVerifyIdentifier(c, status, f, "", views.Errors{"": firstMessage(errs)})
		}
		return err
	}
	notice := a.t(c, "signup.code_resent")
	if strategy == flow.EmailLink {
		notice = a.t(c, "account.identifiers.link_sent")
	}
	return a.renderVerifyIdentifier(c, http.StatusOK, f, notice, nil)
}

// GET /user/verify-email?token=…: an emailed link shows a button first
// (mail scanners fetch links, REQ-OTP-09), and only on the session that
// asked for it.
func (a *app) userVerifyEmailPage(c echo.Context) error {
	c.Response().Header().Set("Referrer-Policy", "no-referrer")
	sess, err := a.current(c)
	if err != nil {
		return err
	}
	tok := c.QueryParam("token")
	if _, err := a.Account.PeekLink(c.Request().Context(), sess, tok); err != nil {
		return a.verifyLinkFailed(c, err, sess, tok)
	}
	p := views.LinkConfirm{Page: a.page(c, a.t(c, "signup.verify_title_email")), Action: "/user/verify-email", Token: tok,
		Heading: a.t(c, "link.verify_heading"), Button: a.t(c, "link.verify_button"),
		Body: a.t(c, "account.identifiers.verify_link_body")}
	p.Page.NoReferrer = true
	return render(c, http.StatusOK, views.LinkConfirmPage(p))
}

// POST /user/verify-email: use the link.
func (a *app) userVerifyEmail(c echo.Context) error {
	c.Response().Header().Set("Referrer-Policy", "no-referrer")
	sess, err := a.current(c)
	if err != nil {
		return err
	}
	i, err := a.Account.ConfirmLink(c.Request().Context(), sess, c.FormValue("token"))
	a.logAttempt(c, stepIdentifier, flow.EmailLink, sessionUser(sess), err)
	if err != nil {
		return a.verifyLinkFailed(c, err, sess, c.FormValue("token"))
	}
	return c.Redirect(http.StatusSeeOther, addedURL(i.Kind))
}

// verifyLinkFailed explains an unusable link to add an address. One used
// already, that added its address to this account (in another tab, by a
// first press), says the address is there: no new link is needed.
func (a *app) verifyLinkFailed(c echo.Context, err error, sess *session.Session, tok string) error {
	e, ok := apperr.As(err)
	if !ok {
		return err
	}
	if errors.Is(err, flow.ErrLinkUsed) {
		if added := a.Account.AddedByLink(c.Request().Context(), sess, tok); added != "" {
			return a.message(c, http.StatusOK, a.t(c, "link.verified_title"),
				a.t(c, "account.identifiers.link_done_body", "Value", added), "/user", a.t(c, "account.go_to_account"))
		}
	}
	status := statusOf(e.Code)
	if errors.Is(err, flow.ErrLinkInvalid) {
		status = http.StatusBadRequest
	}
	return a.message(c, status, a.t(c, "page.link_unusable_title"), a.say(c, e), "/user", a.t(c, "account.go_to_account"))
}

// GET /user/{email-addresses,phone-numbers}/:id/{primary,remove}: confirm
// the change, after reverification.
func (a *app) userIdentifierConfirm(c echo.Context, kind, action string) error {
	sess, u, ok, err := a.signedIn(c)
	if !ok {
		return err
	}
	i := u.Identifier(c.Param("id"))
	if i == nil || i.Kind != kind || action == "primary" && !i.Verified() {
		return a.message(c, http.StatusNotFound, a.t(c, "page.not_found_short"), a.say(c, account.ErrNoSuchIdentifier), "/user",
			a.t(c, "account.back_to_account"))
	}
	if action == "verify" && i.Verified() {
		// Verified meanwhile (another tab, the operator): nothing to do.
		return c.Redirect(http.StatusSeeOther, verifiedURL(kind))
	}
	// A removal the account cannot take (its only way in, the primary
	// address) is said at once on the account page, as pressing Remove
	// would say it: not after a password asked again and a confirmation
	// that can only be refused. The link did open a page: 200.
	if action == "remove" {
		if err := a.Account.CheckRemove(u, kind, i.ID); err != nil {
			e, ok := apperr.As(err)
			if !ok {
				return err
			}
			return a.renderProfile(c, http.StatusOK, sess, u, "", views.Errors{e.Field: a.say(c, e)}, nil)
		}
	}
	here := identifierBase(kind) + "/" + i.ID + "/" + action
	if !a.Account.Fresh(sess) {
		return a.reverify(c, here)
	}
	return a.confirm(c, a.identifierConfirm(c, u, i, action, nil))
}

// identifierConfirm is the page that asks before action (primary, remove,
// verify) on the identifier i of u; errs says why the last press failed.
func (a *app) identifierConfirm(c echo.Context, u *user.User, i *user.Identifier, action string, errs views.Errors) views.UserConfirm {
	kind := i.Kind
	here := identifierBase(kind) + "/" + i.ID + "/" + action
	shown := i.Value
	if kind == user.Phone {
		shown = a.displayPhone(i.Value)
	}
	p := views.UserConfirm{Page: a.page(c, a.t(c, "account.remove")), Action: here, CancelURL: "/user",
		Heading: a.t(c, "account.identifiers.remove_heading", "Value", shown), Button: a.t(c, "account.remove"), Danger: true,
		Body: a.t(c, "account.identifiers.remove_body"), Errors: errs}
	switch action {
	case "verify":
		p.Button, p.Danger = a.t(c, "account.verify.send_code"), false
		p.Heading = a.t(c, "account.identifiers.verify_heading", "Value", shown)
		p.Body = a.t(c, "account.identifiers.verify_body_email")
		if kind == user.Phone {
			p.Body = a.t(c, "account.identifiers.verify_body_phone")
		}
	case "primary":
		p.Page.Title, p.Button, p.Danger = a.t(c, "account.identifiers.make_primary"), a.t(c, "account.identifiers.make_primary"), false
		p.Heading = a.t(c, "account.identifiers.primary_heading", "Value", shown)
		p.Body = a.t(c, "account.identifiers.primary_body")
		if kind == user.Email {
			p.Body = a.t(c, "account.identifiers.primary_body_email", "Email", u.PrimaryEmail())
		}
	}
	return p
}

// confirm renders a confirmation page titled by its question ("Remove
// ada@example.com?"), which is what a screen reader says first and a tab
// shows: the verb alone does not say what it acts on.
func (a *app) confirm(c echo.Context, p views.UserConfirm) error {
	if p.Heading != "" {
		p.Page.Title = p.Heading
	}
	return render(c, http.StatusOK, views.UserConfirmPage(p))
}

// POST /user/{email-addresses,phone-numbers}/:id/{primary,remove}.
func (a *app) userIdentifierChange(c echo.Context, kind, action string) error {
	sess, u, ok, err := a.signedIn(c)
	if !ok {
		return err
	}
	ctx, id := c.Request().Context(), c.Param("id")
	if action == "verify" {
		return a.userIdentifierVerifyStart(c, sess, u, kind, id)
	}
	done := "removed"
	switch {
	case action == "primary" && kind == user.Phone:
		err, done = a.Account.SetPrimary(ctx, sess, u, kind, id), "primary_phone"
	case action == "primary":
		err, done = a.Account.SetPrimary(ctx, sess, u, kind, id), "primary_email"
	default:
		err = a.Account.Remove(ctx, sess, u.ID, kind, id)
	}
	if errors.Is(err, account.ErrReverify) {
		return a.reverify(c, identifierBase(kind)+"/"+id+"/"+action)
	}
	if err != nil {
		return a.profileFailed(c, sess, u, err, nil)
	}
	return c.Redirect(http.StatusSeeOther, "/user?done="+done)
}

// POST /user/{email-addresses,phone-numbers}/:id/verify: send a code to an
// unverified address of the account; the code page that follows is the
// one of an addition, and the same limits apply.
func (a *app) userIdentifierVerifyStart(c echo.Context, sess *session.Session, u *user.User, kind, id string) error {
	here := identifierBase(kind) + "/" + id + "/verify"
	i := u.Identifier(id)
	if i == nil || i.Kind != kind {
		return a.profileFailed(c, sess, u, account.ErrNoSuchIdentifier, nil)
	}
	if ok, msg := a.allow(c, "start", a.limits.start); !ok {
		return render(c, http.StatusTooManyRequests, views.UserConfirmPage(a.identifierConfirm(c, u, i, "verify", views.Errors{"": msg})))
	}
	f, err := a.Account.StartVerify(c.Request().Context(), sess, u, kind, id, a.meta(c))
	switch {
	case errors.Is(err, account.ErrReverify):
		return a.reverify(c, here)
	case errors.Is(err, account.ErrVerifiedAlready):
		return c.Redirect(http.StatusSeeOther, verifiedURL(kind))
	case err != nil:
		if e, ok := apperr.As(err); ok {
			return render(c, statusOf(e.Code), views.UserConfirmPage(a.identifierConfirm(c, u, i, "verify", views.Errors{"": a.say(c, e)})))
		}
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/user/verify-identifier?flow="+url.QueryEscape(f.ID))
}

func verifiedURL(kind string) string {
	if kind == user.Phone {
		return "/user?done=phone_verified"
	}
	return "/user?done=email_verified"
}

// doneURL is where a finished flow f goes: the account page, saying the
// address was added, or verified.
func doneURL(f *flow.Flow) string {
	if f.Data.IdentifierID != "" {
		return verifiedURL(f.Data.IdentifierKind)
	}
	return addedURL(f.Data.IdentifierKind)
}
