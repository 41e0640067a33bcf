package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/redirect"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/signup"
	"github.com/portalhq/portal/views"
)

// GET /sign-up.
func (a *app) signUpStart(c echo.Context) error {
	q := c.QueryParams()
	target, err := a.Redirects.ResolveOrPortal(q, redirect.SignUp, a.base)
	if err != nil {
		return a.refusedRedirect(c, err)
	}
	if done, err := a.handBackSignedIn(c, target); done || err != nil {
		return err
	}
	if a.SignUp.Restricted && a.invitedEmail(c) == "" {
		return a.invitationOnly(c, q)
	}
	if err := a.primeClient(c); err != nil {
		return err
	}
	in := signup.Form{Email: q.Get("email_address"), Phone: q.Get("phone_number"), Username: q.Get("username"),
		FirstName: q.Get("first_name"), LastName: q.Get("last_name")}
	return a.renderSignUp(c, http.StatusOK, in, q, nil)
}

// invitationOnly answers a sign-up on a restricted instance without an
// invitation: no form, a way to sign in instead. In waitlist mode the
// person goes to the waiting list, with q's redirect parameters and
// address.
func (a *app) invitationOnly(c echo.Context, q url.Values) error {
	if a.waitlistOn() {
		return c.Redirect(http.StatusSeeOther, waitlistURL(q))
	}
	return a.message(c, http.StatusForbidden, a.t(c, "signup.invitation_only_title"), a.say(c, signup.ErrInvitationOnly),
		"/sign-in", a.t(c, "page.go_to_sign_in"))
}

func (a *app) renderSignUp(c echo.Context, status int, in signup.Form, q url.Values, errs views.Errors) error {
	fs := a.SignUp.Fields
	invitedTo, invitedBy := a.heldOrgInvitation(c)
	return render(c, status, views.SignUpPage(views.SignUp{
		Page: a.page(c, a.t(c, "signup.title")), Action: "/sign-up", Social: a.signUpSocial(c, q),
		Email: in.Email, Phone: in.Phone, Username: in.Username, FirstName: in.FirstName, LastName: in.LastName,
		ShowEmail: fs.Shown[signup.FieldEmail], RequireEmail: fs.Required[signup.FieldEmail],
		ShowPhone: fs.Shown[signup.FieldPhone], RequirePhone: fs.Required[signup.FieldPhone],
		ShowUsername: fs.Shown[signup.FieldUsername], RequireUsername: fs.Required[signup.FieldUsername],
		ShowPassword: fs.Shown[signup.FieldPassword],
		ShowNames:    fs.Shown[signup.FieldFirstName] || fs.Shown[signup.FieldLastName], RequireNames: a.SignUp.RequireNames(),
		PasswordMin: a.PasswordMin, Hidden: redirectHidden(q), Errors: errs, SignInURL: withRedirect("/sign-in", q),
		Legal: a.legalBox(a.SignUp.LegalConsent, in.LegalAccepted), Captcha: a.captchaWidget(a.captchaExempt(c, in.Email)),
		Focus: q.Get("focus"), InvitedTo: invitedTo, InvitedBy: invitedBy, InvitedEmail: a.invitedEmail(c)}))
}

// legalBox is the consent box with the instance's documents when asked is
// set, else nil (no box).
func (a *app) legalBox(asked, ticked bool) *views.LegalConsent {
	if !asked {
		return nil
	}
	return &views.LegalConsent{TermsURL: a.Config.TermsURL, PrivacyURL: a.Config.PrivacyURL, Checked: ticked}
}

// POST /sign-up: validate, then send the first verification.
func (a *app) signUpSubmit(c echo.Context) error {
	ctx := c.Request().Context()
	form, _ := c.FormParams()
	in := signupForm(form)
	in.InvitationID = a.appInvitationTo(c, in.Email) // taken up as the account is created
	in.Invited, in.AlsoInvited, in.Proved = a.heldInvitations(c)
	if a.SignUp.Restricted && in.Invited == "" {
		return a.invitationOnly(c, form)
	}
	target, err := a.Redirects.ResolveOrPortal(form, redirect.SignUp, a.base)
	if err != nil {
		return a.refusedRedirect(c, err)
	}
	if ok, msg := a.allow(c, "start", a.limits.start); !ok {
		return a.renderSignUp(c, http.StatusTooManyRequests, in, form, views.Errors{"": msg})
	}
	// Bot protection comes before anything is stored or sent.
	if a.Captcha != nil && !a.captchaExempt(c, in.Email) {
		prev, refused, err := a.signUpCaptcha(c, form, a.clientID(c), &in, targetString(target))
		switch {
		case err != nil:
			return err
		case refused != nil:
			return a.renderSignUp(c, refused.status, in, form, views.Errors{"": refused.msg})
		case prev != nil: // a double click whose first press spent the token
			return c.Redirect(http.StatusSeeOther, signUpVerifyURL(prev))
		}
	}
	cid, err := a.ensureClient(c)
	if err != nil {
		return err
	}
	f, again, err := a.SignUp.Start(ctx, cid, in, targetString(target), a.meta(c))
	if err != nil {
		var fe *signup.FormError
		if errors.As(err, &fe) {
			return a.renderSignUp(c, http.StatusUnprocessableEntity, in, form, a.fieldErrors(c, fe))
		}
		if errs, status, ok := a.formErrors(c, err); ok {
			if f != nil { // created, but the message could not be sent: the next page offers a resend
				return a.renderSignUpStep(c, status, f, views.Errors{"": firstMessage(errs)}, "")
			}
			return a.renderSignUp(c, status, in, form, views.Errors{"": firstMessage(errs)})
		}
		return err
	}
	if again {
		// The same form sent a moment ago (a double click): this answer
		// lands where that one does, on its flow, and nothing more is sent.
		return c.Redirect(http.StatusSeeOther, signUpVerifyURL(f))
	}
	if f.Data.Strategy == "" { // nothing to verify: done
		sess, err := a.SignUp.Continue(ctx, f, a.meta(c))
		return a.signUpDone(c, f, sess, err)
	}
	return c.Redirect(http.StatusSeeOther, signUpVerifyURL(f))
}

// signUpVerifyURL is the verification step the flow is on.
func signUpVerifyURL(f *flow.Flow) string {
	path := "/sign-up/verify-email-address"
	if f.Data.Strategy == flow.PhoneCode {
		path = "/sign-up/verify-phone-number"
	}
	return path + "?sign_up=" + url.QueryEscape(f.ID)
}

// GET /sign-up/verify-email-address and /sign-up/verify-phone-number. While
// an email link is pending, each automatic reload checks whether it was
// opened on another device.
func (a *app) signUpVerifyPage(c echo.Context) error {
	ctx := c.Request().Context()
	f, err := a.SignUp.Load(ctx, a.clientID(c), c.QueryParam("sign_up"))
	if err != nil {
		return a.flowGone(c, err)
	}
	if isWaitProbe(c) {
		return answerWaitProbe(c, f.Status != flow.Complete && len(f.Data.Missing) == 0 &&
			(f.Data.Strategy == flow.EmailLink || f.Data.Strategy == "" && !a.sameBrowser(c, f)))
	}
	if f.Status == flow.Complete {
		return a.finished(c, f, nil)
	}
	if len(f.Data.Missing) > 0 {
		return c.Redirect(http.StatusSeeOther, "/sign-up/continue?sign_up="+url.QueryEscape(f.ID))
	}
	if f.Data.Strategy == "" { // verified elsewhere; nothing left
		// Only in the browser that began the sign-up, not another
		// holding the flow's client cookie (REQ-SES-02).
		if !a.sameBrowser(c, f) {
			return a.flowGone(c, signup.ErrFlowGone)
		}
		sess, err := a.SignUp.Continue(ctx, f, a.meta(c))
		return a.signUpDone(c, f, sess, err)
	}
	if want := signUpVerifyURL(f); !strings.HasPrefix(want, c.Request().URL.Path+"?") {
		return c.Redirect(http.StatusSeeOther, want)
	}
	return a.renderSignUpStep(c, http.StatusOK, f, nil, "")
}

func (a *app) signUpDone(c echo.Context, f *flow.Flow, sess *session.Session, err error) error {
	if err != nil {
		if e, ok := apperr.As(err); ok {
			return a.message(c, statusOf(e.Code), a.headingFor(c, e.Code), a.say(c, e), "/sign-up", a.t(c, "page.start_again"))
		}
		return err
	}
	if sess == nil {
		return c.Redirect(http.StatusSeeOther, signUpVerifyURL(f))
	}
	target, _ := a.Redirects.CheckOrPortal(orHome(f.RedirectURL), a.base)
	if a.Config.PasskeyPromptAfterSignUp && a.SignIn.PasskeysEnabled() {
		if err := a.adopt(c, sess); err != nil {
			return err
		}
		return c.Redirect(http.StatusSeeOther, passkeyPromptURL(target))
	}
	return a.handBack(c, sess, target)
}

// renderSignUpStep shows the current verification: a code form, or the
// page that waits for the email link.
func (a *app) renderSignUpStep(c echo.Context, status int, f *flow.Flow, errs views.Errors, notice string) error {
	// "Change" goes back to the form with what was typed, but the password.
	back := url.Values{}
	for name, v := range map[string]string{"email_address": f.Data.Email, "phone_number": f.Data.Phone,
		"username": f.Data.Username, "first_name": f.Data.FirstName, "last_name": f.Data.LastName,
		"redirect_url": f.RedirectURL} {
		if v != "" {
			back.Set(name, v)
		}
	}
	// …and puts the person in the field the code or link went to.
	if f.Data.Strategy == flow.PhoneCode {
		back.Set("focus", "phone_number")
	} else {
		back.Set("focus", "email_address")
	}
	change := "/sign-up?" + back.Encode()
	var others []views.Method
	if f.Data.Strategy == flow.EmailCode || f.Data.Strategy == flow.EmailLink {
		for _, s := range []string{a.SignUp.EmailVia, a.SignUp.EmailAlt} {
			if s != "" && s != f.Data.Strategy {
				label := a.t(c, "method.signup_email_link")
				if s == flow.EmailCode {
					label = a.t(c, "method.signup_email_code")
				}
				others = append(others, views.Method{Strategy: s, Label: label})
			}
		}
	}
	switch f.Data.Strategy {
	case flow.EmailLink:
		wait, sent := a.sendState(c, f.ID, flow.EmailLink)
		p := a.page(c, a.t(c, "signup.verify_title_email"))
		if sent {
			p.Refresh = 3
		} else {
			errs = a.notSentAlert(c, errs, flow.EmailLink, f.Data.Email)
		}
		return render(c, status, views.SignInLinkPage(views.SignInLink{Page: p, FlowID: f.ID, FlowField: "sign_up",
			Destination: f.Data.Email, ChangeURL: change, ResendAction: "/sign-up/verify-email-address/resend",
			ResendWait: wait, Errors: errs, Notice: notice, NotSent: !sent,
			OtherMethods: others, OtherAction: "/sign-up/verify-email-address/switch"}))
	case flow.PhoneCode:
		phone := a.displayPhone(f.Data.Phone)
		wait, sent := a.sendState(c, f.ID, flow.PhoneCode)
		if !sent {
			errs = a.notSentAlert(c, errs, flow.PhoneCode, phone)
		}
		return render(c, status, views.SignUpVerifyPage(views.SignUpVerify{
			Page: a.page(c, a.t(c, "signup.verify_title_phone")), Heading: a.t(c, "signup.verify_title_phone"),
			Action: "/sign-up/verify-phone-number", ResendAction: "/sign-up/verify-phone-number/resend",
			FlowID: f.ID, Email: phone, Errors: errs, Notice: notice,
			ResendWait: wait, ChangeURL: change, NotSent: !sent}))
	}
	wait, sent := a.sendState(c, f.ID, flow.EmailCode)
	if !sent {
		errs = a.notSentAlert(c, errs, flow.EmailCode, f.Data.Email)
	}
	return render(c, status, views.SignUpVerifyPage(views.SignUpVerify{
		Page: a.page(c, a.t(c, "signup.verify_title_email")), Heading: a.t(c, "signup.verify_title_email"),
		Action: "/sign-up/verify-email-address", ResendAction: "/sign-up/verify-email-address/resend",
		FlowID: f.ID, Email: f.Data.Email, Errors: errs, Notice: notice,
		ResendWait: wait, ChangeURL: change, NotSent: !sent,
		OtherMethods: others, OtherAction: "/sign-up/verify-email-address/switch"}))
}

// POST /sign-up/verify-email-address and /sign-up/verify-phone-number:
// check the code; create the account when nothing is left to verify.
func (a *app) signUpVerify(c echo.Context) error {
	ctx := c.Request().Context()
	f, err := a.SignUp.Load(ctx, a.clientID(c), c.FormValue("sign_up"))
	if err != nil {
		return a.flowGone(c, err)
	}
	if f.Status == flow.Complete {
		return a.finished(c, f, signup.ErrFlowGone)
	}
	// A code form for a step the sign-up has left (the email's, sent again
	// by a double click after the first press moved on to the phone): to
	// the step it is at, its code's attempts untouched.
	if posted := codeStepOf(c.Path()); posted != "" && posted != f.Data.Strategy &&
		(f.Data.Strategy == flow.EmailCode || f.Data.Strategy == flow.PhoneCode) {
		return c.Redirect(http.StatusSeeOther, signUpVerifyURL(f))
	}
	if ok, msg := a.allow(c, "attempt", a.limits.attempt); !ok {
		return a.renderSignUpStep(c, http.StatusTooManyRequests, f, views.Errors{"": msg}, "")
	}
	if ok, retry := a.Limiter.Allow("sign-up:"+f.Identifier, a.limits.identifier); !ok {
		a.logLimited(c, "sign-up", "")
		setRetryAfter(c, retry)
		return a.renderSignUpStep(c, http.StatusTooManyRequests, f, views.Errors{"": a.t(c, "error.rate.address", "Wait", a.waitText(c, retry))}, "")
	}
	factor := f.Data.Strategy // Verify moves the flow on to what is left
	sess, err := a.SignUp.Verify(ctx, f, flow.CleanCode(c.FormValue("code")), a.meta(c))
	if err != nil {
		if done, err := a.completedMeanwhile(c, f, err); done || err != nil {
			return err
		}
		a.logAttempt(c, stepSignUp, factor, "", err)
		errs, status, ok := a.formErrors(c, err)
		if !ok || err == signup.ErrFlowGone {
			return a.flowGone(c, err)
		}
		if errs["code"] == "" {
			errs = views.Errors{"": firstMessage(errs)}
		}
		return a.renderSignUpStep(c, status, f, errs, "")
	}
	a.logAttempt(c, stepSignUp, factor, sessionUser(sess), nil)
	return a.signUpDone(c, f, sess, nil)
}

// POST …/resend.
func (a *app) signUpResend(c echo.Context) error {
	ctx := c.Request().Context()
	f, err := a.SignUp.Load(ctx, a.clientID(c), c.FormValue("sign_up"))
	if err != nil {
		return a.flowGone(c, err)
	}
	if ok, msg := a.allow(c, "start", a.limits.start); !ok {
		return a.renderSignUpStep(c, http.StatusTooManyRequests, f, views.Errors{"": msg}, "")
	}
	if err := a.SignUp.Resend(ctx, f, a.meta(c)); err != nil {
		if err == signup.ErrFlowGone {
			return a.flowGone(c, err)
		}
		if e, ok := apperr.As(err); ok {
			return a.renderSignUpStep(c, statusOf(e.Code), f, views.Errors{"": a.say(c, e)}, "")
		}
		return err
	}
	to := f.Data.Email
	if f.Data.Strategy == flow.PhoneCode {
		to = a.displayPhone(f.Data.Phone)
	}
	notice := a.t(c, "signup.code_resent_to", "Destination", to)
	if f.Data.Strategy == flow.EmailLink {
		notice = a.t(c, "signup.link_resent_to", "Destination", to)
	}
	return a.renderSignUpStep(c, http.StatusOK, f, nil, notice)
}

// POST /sign-up/verify-email-address/switch: code ↔ link.
func (a *app) signUpSwitch(c echo.Context) error {
	ctx := c.Request().Context()
	f, err := a.SignUp.Load(ctx, a.clientID(c), c.FormValue("sign_up"))
	if err != nil {
		return a.flowGone(c, err)
	}
	if ok, msg := a.allow(c, "start", a.limits.start); !ok {
		return a.renderSignUpStep(c, http.StatusTooManyRequests, f, views.Errors{"": msg}, "")
	}
	if err := a.SignUp.Switch(ctx, f, c.FormValue("strategy"), a.meta(c)); err != nil {
		if e, ok := apperr.As(err); ok {
			return a.renderSignUpStep(c, statusOf(e.Code), f, views.Errors{"": a.say(c, e)}, "")
		}
		return err
	}
	return c.Redirect(http.StatusSeeOther, signUpVerifyURL(f))
}

type flowT = flow.Flow

// signupForm reads the sign-up fields of a form.
func signupForm(form url.Values) signup.Form {
	return signup.Form{Email: strings.TrimSpace(form.Get("email_address")), Phone: strings.TrimSpace(form.Get("phone_number")),
		Username: strings.TrimSpace(form.Get("username")), Password: form.Get("password"),
		FirstName: form.Get("first_name"), LastName: form.Get("last_name"),
		LegalAccepted: ticked(form.Get(signup.FieldLegal))}
}

// ticked reads a checkbox: sent with a value (the box's own is "true")
// when ticked, absent when not.
func ticked(v string) bool { return v != "" && v != "false" && v != "0" }

// fieldErrors is a sign-up form's field messages in the request's language.
func (a *app) fieldErrors(c echo.Context, fe *signup.FormError) views.Errors {
	out := views.Errors{}
	for name, m := range fe.Fields {
		out[name] = m
		if e := fe.Errors[name]; e != nil {
			out[name] = a.say(c, e)
		}
	}
	return out
}

func asFormError(err error) (*signup.FormError, bool) {
	var fe *signup.FormError
	return fe, errors.As(err, &fe)
}

// signUpSocial are the sign-up page's provider buttons; on a restricted
// instance only for a browser that holds an invitation (an account the
// provider verified the invited address of takes it up).
func (a *app) signUpSocial(c echo.Context, q url.Values) []views.SocialButton {
	if a.SignUp.Restricted && a.invitedEmail(c) == "" {
		return nil
	}
	return a.socialButtons(c, q, "sign_up", nil)
}

// codeStepOf is the code strategy a sign-up verification route is for.
func codeStepOf(path string) string {
	switch path {
	case "/sign-up/verify-email-address":
		return flow.EmailCode
	case "/sign-up/verify-phone-number":
		return flow.PhoneCode
	}
	return ""
}
