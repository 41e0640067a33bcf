package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/portalhq/portal/internal/account"
	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/avatar"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/i18n"
	"github.com/portalhq/portal/internal/oauth"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/signup"
	"github.com/portalhq/portal/internal/user"
	"github.com/portalhq/portal/views"
)

// signedIn returns the browser's session and user, or redirects to sign-in
// and back (ok false): to the page asked for on a GET, else to /user.
func (a *app) signedIn(c echo.Context) (*session.Session, *user.User, bool, error) {
	sess, err := a.current(c)
	if err != nil {
		return nil, nil, false, err
	}
	if sess != nil {
		u, err := a.Users.UserByID(c.Request().Context(), sess.UserID)
		if err == nil {
			a.followAccountLocale(c, u)
			return sess, u, true, nil
		}
		if !errors.Is(err, apperr.ErrNotFound) {
			return nil, nil, false, err
		}
	}
	back := a.base.JoinPath("/user").String()
	if c.Request().Method == http.MethodGet {
		back = a.base.String() + c.Request().URL.RequestURI()
	}
	return nil, nil, false, c.Redirect(http.StatusSeeOther, "/sign-in?redirect_url="+url.QueryEscape(back))
}

// GET /user: the account page. A redirect_url, validated like everywhere,
// is remembered for the "Back to the app" link.
func (a *app) userProfile(c echo.Context) error {
	var back *url.URL
	if raw := c.QueryParam("redirect_url"); raw != "" {
		t, err := a.Redirects.CheckOrPortal(raw, a.base)
		if err != nil {
			return a.refusedRedirect(c, err)
		}
		back = t
	}
	sess, u, ok, err := a.signedIn(c)
	if !ok {
		return err
	}
	if back != nil {
		if err := a.rememberBack(c, back.String()); err != nil {
			return err
		}
	}
	notice := a.profileNotice(c, c.QueryParam("done"))
	if p := a.provider(c.QueryParam("connected")); p != nil {
		notice = a.t(c, "account.notice.connected", "Provider", p.DisplayName())
	}
	return a.renderProfile(c, http.StatusOK, sess, u, notice, nil, nil)
}

// profileNotice is what a change says when it is done (?done=…): fixed
// sentences, so nothing from the URL reaches the page.
func (a *app) profileNotice(c echo.Context, done string) string {
	switch done {
	case "profile":
		return a.t(c, "account.notice.profile")
	case "language":
		return a.t(c, "account.language.saved")
	case "image":
		return a.t(c, "account.notice.image")
	case "image_removed":
		return a.t(c, "account.notice.image_removed")
	case "email_added":
		return a.t(c, "account.notice.email_added")
	case "phone_added":
		return a.t(c, "account.notice.phone_added")
	case "email_verified":
		return a.t(c, "account.notice.email_verified")
	case "phone_verified":
		return a.t(c, "account.notice.phone_verified")
	case "primary_email":
		return a.t(c, "account.notice.primary_email")
	case "primary_phone":
		return a.t(c, "account.notice.primary_phone")
	case "removed":
		return a.t(c, "account.notice.removed")
	case "password":
		return a.t(c, "account.notice.password")
	case "signed_out":
		return a.t(c, "account.notice.signed_out")
	case "signed_out_all":
		return a.t(c, "account.notice.signed_out_all")
	case "disconnected":
		return a.t(c, "account.notice.disconnected")
	}
	return ""
}

// renderProfile shows /user; form holds what was typed into a failed form.
func (a *app) renderProfile(c echo.Context, status int, sess *session.Session, u *user.User, notice string,
	errs views.Errors, form url.Values) error {
	ctx := c.Request().Context()
	p := views.UserProfile{Page: a.page(c, a.t(c, "account.title")), FirstName: u.FirstName, LastName: u.LastName, Username: u.Username(), ShowUsername: a.Account.SignIn.Username, HasUsername: u.Username() != "",
		Initials: u.Initials(), ImageURL: u.ImageURL, AddPhones: a.Account.SignIn.Phone,
		HasPassword: u.PasswordHash != "", AllowDelete: a.Account.AllowDeletion,
		Notice: notice, Errors: errs, SignOutURL: "/sign-out", BackURL: a.back(c)}
	if form != nil {
		p.FirstName, p.LastName, p.Username = form.Get("first_name"), form.Get("last_name"), form.Get("username")
	}
	for _, i := range u.Identifiers {
		item := views.ProfileIdentifier{ID: i.ID, Value: i.Value, Verified: i.Verified()}
		switch i.Kind {
		case user.Email:
			item.Primary = i.ID == u.PrimaryEmailID
			p.Emails = append(p.Emails, item)
		case user.Phone:
			item.Value, item.Primary = a.displayPhone(i.Value), i.Value == u.PrimaryPhone()
			p.Phones = append(p.Phones, item)
		}
	}
	// Numbers the operator added show even where people add none, the
	// unverified ones too: they can be verified here, or removed.
	p.ShowPhones = a.Account.SignIn.Phone || len(p.Phones) > 0
	devices, err := a.Account.Devices(ctx, sess)
	if err != nil {
		return err
	}
	loc := a.localizer(c)
	p.Language = loc.Locale()
	if l, ok := a.I18n.Match(u.Locale); ok {
		p.Language = l
	}
	for _, l := range a.I18n.Locales() {
		p.Languages = append(p.Languages, views.LanguageOption{Locale: l, Name: i18n.Endonym(l)})
	}
	for _, d := range devices {
		p.Devices = append(p.Devices, views.ProfileDevice{ID: d.SessionID, Browser: d.Browser, OS: d.OS, IP: d.IP,
			SignedIn: loc.DateTime(d.SignedInAt), LastActive: loc.DateTime(d.LastActiveAt), This: d.This})
	}
	connected := map[string]bool{}
	for _, x := range u.ExternalAccounts {
		name := x.Provider
		if pr := a.provider(x.Provider); pr != nil {
			name = pr.DisplayName()
		}
		connected[x.Provider] = true
		p.Connected = append(p.Connected, views.ConnectedAccount{ID: x.ID, Provider: name, Email: x.Email, Username: x.Username})
	}
	back := url.Values{"redirect_url": {a.base.JoinPath("/user").String()}}
	p.Connect = a.socialButtons(c, back, oauth.IntentConnect, connected)
	return render(c, status, views.UserProfilePage(p))
}

// profileFailed shows a safe error of a change on /user; anything else goes
// to the error handler.
func (a *app) profileFailed(c echo.Context, sess *session.Session, u *user.User, err error, form url.Values) error {
	if errors.Is(err, account.ErrReverify) {
		return a.reverify(c, "/user")
	}
	var fe *account.FormError
	if errors.As(err, &fe) {
		errs := views.Errors{}
		for name, e := range fe.Fields {
			errs[name] = a.say(c, e)
		}
		return a.renderProfile(c, http.StatusUnprocessableEntity, sess, u, "", errs, form)
	}
	e, ok := apperr.As(err)
	if !ok {
		return err
	}
	status := statusOf(e.Code)
	if errors.Is(err, avatar.ErrTooLarge) {
		status = http.StatusRequestEntityTooLarge
	}
	return a.renderProfile(c, status, sess, u, "", views.Errors{e.Field: a.say(c, e)}, form)
}

// GET and POST /user/external-accounts/:id/delete: disconnect, unless it is
// the last way to sign in. The link on /user opens the GET page, which asks
// before disconnecting (after "Confirm it's you" when the last proof is
// old), as removing an address or a passkey does; its button posts here.
func (a *app) userDisconnect(c echo.Context) error {
	// Removing a way in asks the person to confirm it is them, as the
	// other removals do (REQ-SES-06).
	here := "/user/external-accounts/" + url.PathEscape(c.Param("id")) + "/delete"
	sess, u, ok, err := a.reverified(c, here)
	if !ok {
		return err
	}
	if c.Request().Method == http.MethodGet {
		for _, x := range u.ExternalAccounts {
			if x.ID != c.Param("id") {
				continue
			}
			name := x.Provider
			if pr := a.provider(x.Provider); pr != nil {
				name = pr.DisplayName()
			}
			return a.confirm(c, views.UserConfirm{Page: a.page(c, a.t(c, "account.connected.disconnect")),
				Action: here, CancelURL: "/user", Heading: a.t(c, "account.connected.disconnect_heading", "Provider", name),
				Body: firstNonEmpty(x.Email, x.Username), Button: a.t(c, "account.connected.disconnect"), Danger: true})
		}
		return a.message(c, http.StatusNotFound, a.t(c, "page.not_found_short"), a.t(c, "error.social.not_found"), "/user",
			a.t(c, "account.back_to_account"))
	}
	if err := a.Social.Disconnect(c.Request().Context(), u.ID, c.Param("id")); err != nil {
		return a.profileFailed(c, sess, u, err, nil)
	}
	return c.Redirect(http.StatusSeeOther, "/user?done=disconnected")
}

// GET /sign-up/continue: the fields a provider sign-up still needs.
func (a *app) signUpContinuePage(c echo.Context) error {
	f, err := a.SignUp.Load(c.Request().Context(), a.clientID(c), c.QueryParam("sign_up"))
	if err != nil {
		return a.flowGone(c, err)
	}
	if len(f.Data.Missing) == 0 {
		return c.Redirect(http.StatusSeeOther, signUpVerifyURL(f))
	}
	return a.renderSignUpContinue(c, http.StatusOK, f, nil, nil)
}

func (a *app) renderSignUpContinue(c echo.Context, status int, f *flowT, form url.Values, errs views.Errors) error {
	fs := a.SignUp.MissingFields(f)
	get := func(name string) string {
		if form != nil {
			return strings.TrimSpace(form.Get(name))
		}
		return ""
	}
	var widget *views.Captcha
	if a.continueNeedsCaptcha(c, f, get(signup.FieldEmail)) {
		// The widget, and the policy that lets it run, only where the
		// check is asked for: not on every flow of this path.
		widget = a.captchaWidget(false)
		widenCSP(c, a.captchaSources())
	}
	provider := ""
	if f.Data.External != nil {
		provider = f.Data.External.Provider
		if p := a.provider(provider); p != nil {
			provider = p.DisplayName()
		}
	}
	// The ways out keep where the person was going.
	q := url.Values{}
	if f.RedirectURL != "" {
		q.Set("redirect_url", f.RedirectURL)
	}
	back := ""
	if !a.waitlistOn() {
		back = a.signUpLink(q) // "" when sign-up is by invitation only
	}
	return render(c, status, views.SignUpPage(views.SignUp{Page: a.page(c, a.t(c, "signup.continue_title")), Action: "/sign-up/continue",
		FlowID: f.ID, Provider: provider, SignInURL: withRedirect("/sign-in", q), BackURL: back,
		Email: get("email_address"), Phone: get("phone_number"), Username: get("username"),
		FirstName: firstNonEmpty(get("first_name"), f.Data.FirstName), LastName: firstNonEmpty(get("last_name"), f.Data.LastName),
		ShowEmail: fs.Shown["email_address"], RequireEmail: true, ShowPhone: fs.Shown["phone_number"], RequirePhone: true,
		ShowUsername: fs.Shown["username"], RequireUsername: true,
		ShowNames: fs.Shown["first_name"] || fs.Shown["last_name"], RequireNames: true, Errors: errs,
		Legal:   a.legalBox(fs.Shown[signup.FieldLegal], form != nil && ticked(form.Get(signup.FieldLegal))),
		Captcha: widget}))
}

// POST /sign-up/continue.
func (a *app) signUpContinue(c echo.Context) error {
	ctx := c.Request().Context()
	f, err := a.SignUp.Load(ctx, a.clientID(c), c.FormValue("sign_up"))
	if err != nil {
		return a.flowGone(c, err)
	}
	if f.Status == flow.Complete {
		// The same form sent a moment earlier (a double click, or back
		// and Continue again) made the account.
		return a.finished(c, f, signup.ErrFlowGone)
	}
	form, _ := c.FormParams()
	in := signupForm(form)
	in.InvitationID = a.appInvitationTo(c, in.Email) // when the provider gave no address
	// Bot protection, when the sign-up waits for it, comes before
	// anything is stored or made (REQ-RL-04, REQ-IN-09).
	in.BotChecked = true
	if a.continueNeedsCaptcha(c, f, in.Email) {
		moved, refused := a.continueCaptcha(c, f, form)
		if refused != nil {
			return a.renderSignUpContinue(c, refused.status, f, form, views.Errors{"": refused.msg})
		}
		if moved != nil {
			return a.continuedMeanwhile(c, moved)
		}
	}
	sess, err := a.SignUp.Fill(ctx, f, in, a.meta(c))
	if err != nil {
		if done, err := a.completedMeanwhile(c, f, err); done || err != nil {
			return err
		}
		if fe, ok := asFormError(err); ok {
			return a.renderSignUpContinue(c, http.StatusUnprocessableEntity, f, form, a.fieldErrors(c, fe))
		}
		if errs, status, ok := a.formErrors(c, err); ok {
			return a.renderSignUpContinue(c, status, f, form, views.Errors{"": firstMessage(errs)})
		}
		return err
	}
	return a.signUpDone(c, f, sess, nil)
}

// continuedMeanwhile answers a continue form that another copy of itself,
// sent a moment earlier, got past: to the app when that one made the
// account, else to the step it moved the sign-up on to.
func (a *app) continuedMeanwhile(c echo.Context, g *flowT) error {
	if g.Status == flow.Complete {
		return a.finished(c, g, signup.ErrFlowGone)
	}
	return c.Redirect(http.StatusSeeOther, stepURL(g))
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}
