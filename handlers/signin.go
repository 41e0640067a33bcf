package handlers

import (
	"maps"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/redirect"
	"github.com/portalhq/portal/internal/signin"
	"github.com/portalhq/portal/internal/signintoken"
	"github.com/portalhq/portal/views"
)

// GET /sign-in: the identifier step. A browser that is already signed in is
// sent straight back to the app with a fresh token.
func (a *app) signInStart(c echo.Context) error {
	q := c.QueryParams()
	target, err := a.Redirects.ResolveOrPortal(q, redirect.SignIn, a.base)
	if err != nil {
		return a.refusedRedirect(c, err)
	}
	if q.Has(signintoken.Param) && a.SignIn.Tickets != nil { // a sign-in token's link
		return a.ticketPage(c, q)
	}
	if done, err := a.handBackSignedIn(c, target); done || err != nil {
		return err
	}
	if err := a.primeClient(c); err != nil {
		return err
	}
	prefill := q.Get("identifier")
	for _, name := range []string{"email_address", "phone_number", "username"} {
		if prefill == "" {
			prefill = q.Get(name)
		}
	}
	return a.renderSignInStart(c, http.StatusOK, prefill, q, nil)
}

func (a *app) renderSignInStart(c echo.Context, status int, identifier string, q url.Values, errs views.Errors) error {
	ids := a.SignIn.Identifiers
	typ := "text"
	switch {
	case ids.Email && !ids.Phone && !ids.Username:
		typ = "email"
	case ids.Phone && !ids.Email && !ids.Username:
		typ = "tel"
	}
	p := views.SignInStart{
		Page: a.page(c, a.t(c, "button.sign_in")), Action: "/sign-in", Identifier: identifier, Social: a.socialButtons(c, q, "sign_in", nil),
		IdentifierLabel: a.identifierLabel(c, ids), IdentifierType: typ,
		Hidden: redirectHidden(q), Errors: errs, SignUpURL: a.signUpLink(q), JoinWaitlist: a.waitlistOn(),
		Passkey: a.passkeyLogin(c, redirectHidden(q))}
	p.Page.Passkeys = p.Passkey != nil
	a.markLastUsed(c, &p)
	return render(c, status, views.SignInStartPage(p))
}

// markLastUsed marks the provider button or the passkey button this
// browser last signed in with, as Clerk's sign-in does ("Last used"): the
// strategy its client's last sign-in recorded. It reads the client only
// when the page offers such a button. A password or code needs no mark:
// the identifier field is the way to either.
func (a *app) markLastUsed(c echo.Context, p *views.SignInStart) {
	if len(p.Social) == 0 && p.Passkey == nil {
		return
	}
	last := a.Sessions.LastStrategy(c.Request().Context(), a.clientID(c))
	if last == "" {
		return
	}
	for i := range p.Social {
		p.Social[i].LastUsed = last == "oauth_"+p.Social[i].Provider
	}
	if p.Passkey != nil {
		p.Passkey.LastUsed = last == flow.Passkey
	}
}

// POST /sign-in: start a flow for the identifier, and start its first
// factor right away when that factor sends something (a code or a link).
func (a *app) signInSubmitIdentifier(c echo.Context) error {
	ctx := c.Request().Context()
	form, _ := c.FormParams()
	identifier := strings.TrimSpace(form.Get("identifier"))
	target, err := a.Redirects.ResolveOrPortal(form, redirect.SignIn, a.base)
	if err != nil {
		return a.refusedRedirect(c, err)
	}
	if ok, msg := a.allow(c, "start", a.limits.start); !ok {
		return a.renderSignInStart(c, http.StatusTooManyRequests, identifier, form, views.Errors{"": msg})
	}
	cid, err := a.ensureClient(c)
	if err != nil {
		return err
	}
	f, again, err := a.SignIn.Start(ctx, cid, identifier, targetString(target))
	if err != nil {
		if errs, status, ok := a.formErrors(c, err); ok {
			return a.renderSignInStart(c, status, identifier, form, errs)
		}
		return err
	}
	if again {
		// The same identifier sent a moment ago (a double click): this
		// answer lands where that one does, on its flow, and sends no
		// second code; the first is on its way.
		return c.Redirect(http.StatusSeeOther, factorOneURL(f.ID))
	}
	offered, err := a.SignIn.Offered(ctx, f)
	if err != nil {
		return err
	}
	if len(offered) > 0 && offered[0] != flow.Password {
		if err := a.SignIn.Prepare(ctx, f, offered[0], a.meta(c)); err != nil {
			if errs, status, ok := a.formErrors(c, err); ok {
				return a.renderSignInStart(c, status, identifier, form, views.Errors{"": firstMessage(errs)})
			}
			return err
		}
	}
	return c.Redirect(http.StatusSeeOther, factorOneURL(f.ID))
}

// onlyPassword words a wrong password for a step that offers no other way
// in and no reset: there is no "other method" to point to. It depends only
// on what the page shows, so it tells nothing about the account.
func (a *app) onlyPassword(c echo.Context, errs views.Errors) views.Errors {
	if errs["password"] != a.say(c, signin.ErrBadPassword) {
		return errs
	}
	out := maps.Clone(errs)
	out["password"] = a.t(c, "error.signin.bad_password_retry")
	return out
}

func forgotURL(flowID string) string {
	return "/sign-in/forgot-password?sign_in=" + url.QueryEscape(flowID)
}

func factorOneURL(flowID string) string {
	return "/sign-in/factor-one?sign_in=" + url.QueryEscape(flowID)
}

// GET /sign-in/factor-one: the first-factor step of a flow. While waiting
// for an email link opened on another device, each (automatic) reload checks
// whether it was, and completes here when it was.
func (a *app) signInFactorOne(c echo.Context) error {
	ctx := c.Request().Context()
	f, err := a.SignIn.Load(ctx, a.clientID(c), c.QueryParam("sign_in"))
	if err != nil {
		return a.flowGone(c, err)
	}
	if isWaitProbe(c) {
		return answerWaitProbe(c, f.Status == flow.NeedsFirstFactor && f.Data.Strategy == flow.EmailLink &&
			(f.Data.LinkVerifiedAt == nil || !a.sameBrowser(c, f)))
	}
	switch f.Status {
	case flow.Complete:
		return a.finished(c, f, nil)
	case flow.NeedsSecondFactor: // the second step cannot be skipped (REQ-IN-09)
		return c.Redirect(http.StatusSeeOther, factorTwoURL(f.ID))
	case flow.NeedsNewPassword:
		return c.Redirect(http.StatusSeeOther, "/sign-in/reset-password?sign_in="+url.QueryEscape(f.ID))
	}
	// Only the browser that asked for the link is signed in by it, not
	// another holding the flow's client cookie (REQ-SES-02).
	if f.Data.LinkVerifiedAt != nil && a.sameBrowser(c, f) {
		sess, err := a.SignIn.CompleteLinked(ctx, f, a.meta(c))
		if err != nil {
			return a.flowGone(c, err)
		}
		if sess != nil {
			target, _ := a.Redirects.CheckOrPortal(orHome(f.RedirectURL), a.base)
			return a.handBack(c, sess, target)
		}
		if f.Status == flow.NeedsSecondFactor || f.Status == flow.NeedsNewPassword {
			return a.nextStep(c, f)
		}
	}
	return a.renderFactorOne(c, http.StatusOK, f, f.Data.Strategy, nil, "")
}

// renderFactorOne shows the step for strategy (the flow's chosen one, or the
// first offered), with the other offered factors as alternatives.
func (a *app) renderFactorOne(c echo.Context, status int, f *flow.Flow, strategy string, errs views.Errors, notice string) error {
	ctx := c.Request().Context()
	offered, err := a.SignIn.Offered(ctx, f)
	if err != nil {
		return err
	}
	resets, err := a.SignIn.ResetOffered(ctx, f)
	if err != nil {
		return err
	}
	if strategy == "" || !contains(offered, strategy) && !contains(resets, strategy) {
		strategy = ""
		if len(offered) > 0 {
			strategy = offered[0]
		}
	}
	var others []views.Method
	for _, s := range offered {
		if s != strategy {
			others = append(others, views.Method{Strategy: s, Label: a.methodLabel(c, f, s)})
		}
	}
	// "Change" goes back to the identifier step with what was typed.
	back := url.Values{"identifier": {f.Identifier}}
	if f.RedirectURL != "" {
		back.Set("redirect_url", f.RedirectURL)
	}
	change := "/sign-in?" + back.Encode()
	// The chip shows where the code goes, or else what was typed.
	dest, err := a.destination(c, f, strategy)
	if err != nil {
		return err
	}
	if dest == "" {
		dest = a.shownIdentifier(f)
	}
	switch strategy {
	case flow.EmailCode, flow.PhoneCode, flow.ResetPasswordEmailCode, flow.ResetPasswordPhoneCode:
		heading := a.t(c, "signin.code_title_email")
		switch strategy {
		case flow.PhoneCode:
			heading = a.t(c, "signin.code_title_phone")
		case flow.ResetPasswordEmailCode, flow.ResetPasswordPhoneCode:
			heading = a.t(c, "signin.code_title_reset")
		}
		wait, sent := a.sendState(c, f.ID, strategy)
		if !sent {
			errs = a.notSentAlert(c, errs, strategy, dest)
		}
		return render(c, status, views.SignInCodePage(views.SignInCode{
			Page: a.page(c, heading), Action: "/sign-in/factor-one", Heading: heading,
			ResendAction: "/sign-in/factor-one/prepare", FlowID: f.ID, Strategy: strategy,
			Destination: dest, ChangeURL: change, Errors: errs,
			ResendWait: wait, OtherMethods: others, NotSent: !sent}))
	case flow.EmailLink:
		wait, sent := a.sendState(c, f.ID, strategy)
		p := a.page(c, a.t(c, "signin.link_title"))
		if sent {
			p.Refresh = 3
		} else {
			errs = a.notSentAlert(c, errs, strategy, dest)
		}
		return render(c, status, views.SignInLinkPage(views.SignInLink{Page: p, FlowID: f.ID, FlowField: "sign_in",
			Destination: dest, ChangeURL: change, ResendAction: "/sign-in/factor-one/prepare",
			ResendWait: wait, Errors: errs, Notice: notice,
			OtherMethods: others, OtherAction: "/sign-in/factor-one/prepare", NotSent: !sent}))
	case flow.Passkey:
		p := views.SignInPasskey{Page: a.page(c, a.t(c, "signin.passkey_title")), Identifier: a.shownIdentifier(f), ChangeURL: change,
			Form: views.PasskeyForm{Action: "/sign-in/factor-one", OptionsURL: passkeyOptionsURL, Label: a.t(c, "button.use_passkey"),
				Hidden: []views.Hidden{{Name: "sign_in", Value: f.ID}, {Name: "strategy", Value: flow.Passkey}}},
			Errors: errs, OtherMethods: others, PrepareAction: "/sign-in/factor-one/prepare", FlowID: f.ID}
		p.Page.Passkeys = true
		return render(c, status, views.SignInPasskeyPage(p))
	case flow.Password:
		forgot := ""
		if len(resets) > 0 {
			forgot = forgotURL(f.ID)
		}
		if len(others) == 0 && forgot == "" {
			errs = a.onlyPassword(c, errs)
		}
		return render(c, status, views.SignInPasswordPage(views.SignInPassword{
			Page: a.page(c, a.t(c, "signin.password_title")), Action: "/sign-in/factor-one", FlowID: f.ID,
			Identifier: f.Identifier, Shown: a.shownIdentifier(f), ChangeURL: change, Errors: errs, OtherMethods: others,
			PrepareAction: "/sign-in/factor-one/prepare", ForgotURL: forgot}))
	}
	return apperr.New(apperr.Unavailable, "No way of signing in is enabled for this account. Contact the site's support.").T("error.signin.no_factor")
}

// POST /sign-in/factor-one/prepare: choose a factor (and send its code or
// link); also "Resend" and "Forgot password?" choices.
func (a *app) signInPrepare(c echo.Context) error {
	ctx := c.Request().Context()
	f, err := a.SignIn.Load(ctx, a.clientID(c), c.FormValue("sign_in"))
	if err != nil {
		return a.flowGone(c, err)
	}
	if f.Status == flow.Complete { // "Resend" on a page left behind after signing in
		return a.finished(c, f, signin.ErrFlowGone)
	}
	strategy := c.FormValue("strategy")
	if ok, msg := a.allow(c, "start", a.limits.start); !ok {
		return a.renderFactorOne(c, http.StatusTooManyRequests, f, strategy, views.Errors{"": msg}, "")
	}
	if err := a.SignIn.Choose(ctx, f, strategy, a.meta(c)); err != nil {
		if errs, status, ok := a.formErrors(c, err); ok {
			shown := f.Data.Strategy
			if apperr.CodeOf(err) == apperr.RateLimited && strategy != "" {
				shown = strategy // the code already sent still works: show its page
			}
			return a.renderFactorOne(c, status, f, shown, views.Errors{"": firstMessage(errs)}, "")
		}
		if err == signin.ErrFlowGone {
			return a.flowGone(c, err)
		}
		return err
	}
	return c.Redirect(http.StatusSeeOther, factorOneURL(f.ID))
}

// POST /sign-in/factor-one: attempt the chosen factor.
func (a *app) signInAttempt(c echo.Context) error {
	ctx := c.Request().Context()
	f, err := a.SignIn.Load(ctx, a.clientID(c), c.FormValue("sign_in"))
	if err != nil {
		return a.flowGone(c, err)
	}
	switch f.Status {
	case flow.Complete:
		return a.finished(c, f, signin.ErrFlowGone)
	case flow.NeedsSecondFactor, flow.NeedsNewPassword:
		// Past this step already: the same form sent a moment earlier (a
		// double click) moved it on. Go where that one went, as a reload
		// of this step's page does.
		return c.Redirect(http.StatusSeeOther, stepURL(f))
	}
	strategy := c.FormValue("strategy")
	if strategy == "" {
		strategy = flow.Password
	}
	if ok, msg := a.allow(c, "attempt", a.limits.attempt); !ok {
		return a.renderFactorOne(c, http.StatusTooManyRequests, f, strategy, views.Errors{"": msg}, "")
	}
	// Per identifier too, known or not, so spreading guesses over many
	// addresses from one network and many networks at one address are both
	// capped (REQ-RL-02); the account lockout in the store adds to this.
	if ok, retry := a.Limiter.Allow("identifier:"+f.Identifier, a.limits.identifier); !ok {
		a.logLimited(c, "identifier", f.UserID)
		setRetryAfter(c, retry)
		return a.renderFactorOne(c, http.StatusTooManyRequests, f, strategy, views.Errors{"": a.t(c, "error.rate.account", "Wait", a.waitText(c, retry))}, "")
	}
	in := flow.Input{Password: c.FormValue("password"), Code: flow.CleanCode(c.FormValue("code")),
		ChallengeID: c.FormValue("challenge_id"), Credential: []byte(c.FormValue("credential"))}
	sess, err := a.SignIn.Attempt(ctx, f, strategy, in, a.meta(c))
	if err == signin.ErrPasswordCompromised || err == signin.ErrPasswordBreached {
		// The right password, marked as compromised or found in a data
		// breach just now: into the reset, whose page says why (only now,
		// the password proven: REQ-RL-05).
		a.logAttempt(c, stepFirstFactor, strategy, f.UserID, err)
		return c.Redirect(http.StatusSeeOther, forgotURL(f.ID))
	}
	if err != nil {
		if done, err := a.completedMeanwhile(c, f, err); done || err != nil {
			return err
		}
		a.logAttempt(c, stepFirstFactor, strategy, f.UserID, err)
		if strategy == flow.Passkey {
			a.passkeyRefused(c, err)
		}
		errs, status, ok := a.formErrors(c, err)
		if !ok || err == signin.ErrFlowGone {
			return a.flowGone(c, err)
		}
		return a.renderFactorOne(c, status, f, strategy, errs, "")
	}
	a.logAttempt(c, stepFirstFactor, strategy, f.UserID, nil)
	if sess == nil {
		// The second factor, or (a verified reset code, or every factor
		// passed with the password marked as compromised) a new password.
		return a.nextStep(c, f)
	}
	target, _ := a.Redirects.CheckOrPortal(orHome(f.RedirectURL), a.base)
	return a.handBack(c, sess, target)
}

// methodLabel is the button text offering another factor: "… to" where it
// goes, or "… to the address on your account" when that is not shown.
func (a *app) methodLabel(c echo.Context, f *flow.Flow, strategy string) string {
	dest, _ := a.destination(c, f, strategy)
	if dest == "" {
		switch strategy {
		case flow.EmailCode:
			return a.t(c, "method.email_code_account")
		case flow.EmailLink:
			return a.t(c, "method.email_link_account")
		case flow.PhoneCode:
			return a.t(c, "method.phone_code_account")
		case flow.ResetPasswordEmailCode:
			return a.t(c, "method.reset_email_code_account")
		case flow.ResetPasswordPhoneCode:
			return a.t(c, "method.reset_phone_code_account")
		}
	}
	switch strategy {
	case flow.EmailCode:
		return a.t(c, "method.email_code", "Destination", dest)
	case flow.EmailLink:
		return a.t(c, "method.email_link", "Destination", dest)
	case flow.PhoneCode:
		return a.t(c, "method.phone_code", "Destination", dest)
	case flow.ResetPasswordEmailCode:
		return a.t(c, "method.reset_email_code", "Destination", dest)
	case flow.ResetPasswordPhoneCode:
		return a.t(c, "method.reset_phone_code", "Destination", dest)
	case flow.Password:
		return a.t(c, "method.password")
	case flow.Passkey:
		return a.t(c, "method.passkey")
	}
	return strategy
}

// identifierLabel names what the sign-in field accepts.
func (a *app) identifierLabel(c echo.Context, ids flow.Identifiers) string {
	switch ids.Kinds() {
	case "phone":
		return a.t(c, "field.identifier.phone")
	case "username":
		return a.t(c, "field.identifier.username")
	case "email_phone":
		return a.t(c, "field.identifier.email_phone")
	case "email_username":
		return a.t(c, "field.identifier.email_username")
	case "phone_username":
		return a.t(c, "field.identifier.phone_username")
	case "email_phone_username":
		return a.t(c, "field.identifier.email_phone_username")
	}
	return a.t(c, "field.identifier.email")
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// firstMessage is the message of a one-field error map.
func firstMessage(errs views.Errors) string {
	for _, m := range errs {
		return m
	}
	return ""
}

// signUpLink is the sign-in page's "Sign up" link, with q's redirect; none on
// a restricted instance, where only invitations lead to sign-up; the
// waiting list in waitlist mode.
func (a *app) signUpLink(q url.Values) string {
	if a.waitlistOn() {
		return withRedirect("/waitlist", q)
	}
	if a.SignUp.Restricted {
		return ""
	}
	return withRedirect("/sign-up", q)
}
