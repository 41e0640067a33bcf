package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/factors"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/mfa"
	"github.com/portalhq/portal/internal/passkey"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/user"
	"github.com/portalhq/portal/views"
)

// /user/security: passkeys and second factors. Viewing needs a session;
// every change needs a recent verification too (reverify), and each change
// that a button starts has a GET page of its own, so "Confirm it's you" can
// come back to it and the person continues where they were.
const securityPath = "/user/security"

// securityNotice is the notice after a change, by the done= parameter of
// the redirect: fixed sentences, so nothing from the URL reaches the page.
func (a *app) securityNotice(c echo.Context, done string) string {
	switch done {
	case "passkey-added":
		return a.t(c, "account.notice.passkey_added")
	case "passkey-renamed":
		return a.t(c, "account.notice.passkey_renamed")
	case "passkey-removed":
		return a.t(c, "account.notice.passkey_removed")
	case "totp-added":
		return a.t(c, "account.notice.totp_added")
	case "totp-removed":
		return a.t(c, "account.notice.totp_removed")
	case "phone-on":
		return a.t(c, "account.notice.phone_on")
	case "phone-off":
		return a.t(c, "account.notice.phone_off")
	}
	return ""
}

// GET /user/security.
func (a *app) userSecurity(c echo.Context) error {
	_, u, ok, err := a.signedIn(c)
	if !ok {
		return err
	}
	return a.renderSecurity(c, http.StatusOK, u, a.securityNotice(c, c.QueryParam("done")), nil)
}

func (a *app) renderSecurity(c echo.Context, status int, u *user.User, notice string, errs views.Errors) error {
	return a.renderSecurityWith(c, status, u, notice, errs, views.PasskeyRename{})
}

// renderSecurityWith is renderSecurity with a refused passkey rename open.
func (a *app) renderSecurityWith(c echo.Context, status int, u *user.User, notice string, errs views.Errors, rename views.PasskeyRename) error {
	ctx := c.Request().Context()
	fs := a.Factors
	p := views.UserSecurity{Page: a.page(c, a.t(c, "account.security.title")), Notice: notice, Errors: errs, BackURL: "/user", Rename: rename,
		PasskeysEnabled: a.SignIn.PasskeysEnabled(),
		TOTPEnabled:     fs.Enabled(factors.TOTPFactor), TOTP: u.TOTP,
		PhoneEnabled: fs.Enabled(factors.PhoneFactor), PhoneOn: u.SecondFactorPhone != "",
		BackupEnabled: fs.Enabled(factors.BackupCodeFactor), BackupCodes: u.BackupCodes, SecondFactor: u.HasSecondFactor()}
	p.Page.Passkeys = p.PasskeysEnabled
	if ph := firstNonEmpty(u.SecondFactorPhone, u.PrimaryPhone()); ph != "" {
		p.Phone = a.displayPhone(ph)
	}
	if p.PasskeysEnabled {
		p.MaxPasskeys = a.Passkeys.MaxPerUser()
		creds, err := a.Passkeys.Passkeys(ctx, u.ID)
		if err != nil {
			return err
		}
		for _, k := range creds {
			item := views.PasskeyItem{ID: passkey.EncodeID(k.ID), Name: k.Name, Created: a.localizer(c).Date(k.CreatedAt)}
			if k.LastUsedAt != nil {
				item.LastUsed = a.localizer(c).Date(*k.LastUsedAt)
			}
			p.Passkeys = append(p.Passkeys, item)
		}
	}
	if rename.Error != "" && !slices.ContainsFunc(p.Passkeys, func(k views.PasskeyItem) bool { return k.ID == rename.ID }) {
		// Not one of the listed passkeys: say it at the top.
		p.Rename, p.Errors = views.PasskeyRename{}, views.Errors{"": rename.Error}
	}
	if target := a.continueTarget(c.QueryParam("redirect_url")); target != "" {
		p.Carry = "?redirect_url=" + url.QueryEscape(target)
		p.ContinueURL = continueURL(target)
	}
	// Required as mustEnrol decides it: a multi-factor session (a passkey
	// sign-in) is not told it must set up a second step.
	sess, _ := c.Get(currentKey).(*session.Session)
	p.Required = a.Config.RequireMFA && !u.HasSecondFactor() && (p.TOTPEnabled || p.PhoneEnabled) &&
		(sess == nil || !sess.MultiFactor())
	// Where phone numbers are no identifier, only the operator adds them
	// (Backend API): a person without one has no way to text codes, and
	// the page offers none rather than send them to add a number.
	if p.Phone == "" && !a.Account.SignIn.Phone {
		p.PhoneEnabled = false
	}
	return render(c, status, views.UserSecurityPage(p))
}

// continueTarget is a redirect target allowed for this instance, or "".
func (a *app) continueTarget(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := a.Redirects.CheckOrPortal(raw, a.base)
	if err != nil || u == nil {
		return ""
	}
	return u.String()
}

// continueURL goes back to the app through sign-in, which hands the
// session over (and checks nothing else is due).
func continueURL(target string) string {
	if target == "" {
		return securityPath
	}
	return "/sign-in?redirect_url=" + url.QueryEscape(target)
}

// mustEnrol is where a session goes instead of to the app while the
// instance requires a second factor, the user has none and the session is
// single-factor; "" otherwise.
func (a *app) mustEnrol(c echo.Context, sess *session.Session, target *url.URL) (string, error) {
	fs := a.Factors
	if !a.Config.RequireMFA || fs == nil || !(fs.Enabled(factors.TOTPFactor) || fs.Enabled(factors.PhoneFactor)) {
		return "", nil
	}
	// An impersonation enrols nothing (it can never confirm it is the
	// person, which enrolling asks): support reaches the app as the user,
	// who is asked to enrol at their own next sign-in.
	if sess.Impersonated() {
		return "", nil
	}
	// A session that is multi-factor already — a passkey sign-in, which
	// verified the user — has what the requirement asks, as in Clerk: it
	// goes on without an authenticator app. Signing in with a password
	// later starts a single-factor session, which is sent here again.
	if sess.MultiFactor() {
		return "", nil
	}
	u, err := a.Users.UserByID(c.Request().Context(), sess.UserID)
	if errors.Is(err, apperr.ErrNotFound) {
		return "", nil // the token is refused further on
	}
	if err != nil || u.HasSecondFactor() {
		return "", err
	}
	return securityPath + "?redirect_url=" + url.QueryEscape(target.String()), nil
}

// reverified guards a change on /user/security with the check every
// sensitive account change uses (account.Service.Fresh, the session's
// reverified_at): it returns the session and user when the person proved
// who they are within account.ReverifyWindow, and otherwise sends them to
// /user/verify, which continues to next — a page that shows the change
// again. A script asking for JSON gets a message to show instead.
func (a *app) reverified(c echo.Context, next string) (*session.Session, *user.User, bool, error) {
	sess, u, ok, err := a.signedIn(c)
	if !ok {
		return nil, nil, false, err
	}
	if a.Account.Fresh(sess) {
		return sess, u, true, nil
	}
	if strings.Contains(c.Request().Header.Get("Accept"), "application/json") {
		return nil, nil, false, jsonError(c, http.StatusUnauthorized, a.t(c, "account.verify.confirm_first"))
	}
	return nil, nil, false, a.reverify(c, next)
}

// securityFailed shows a refused change on the security page.
func (a *app) securityFailed(c echo.Context, u *user.User, err error) error {
	e, ok := apperr.As(err)
	if !ok {
		return err
	}
	return a.renderSecurity(c, statusOf(e.Code), u, "", views.Errors{"": a.say(c, e)})
}

// --- passkeys ---

// passkeyPromptURL offers a passkey right after sign-up.
func passkeyPromptURL(target *url.URL) string {
	v := url.Values{"after": {"sign-up"}}
	if target != nil {
		v.Set("redirect_url", target.String())
	}
	return securityPath + "/passkeys/new?" + v.Encode()
}

// GET /user/security/passkeys/new.
func (a *app) passkeyAddPage(c echo.Context) error {
	if !a.SignIn.PasskeysEnabled() {
		return echo.ErrNotFound
	}
	_, _, ok, err := a.reverified(c, c.Request().URL.RequestURI())
	if !ok {
		return err
	}
	return a.renderPasskeyAdd(c, http.StatusOK, c.QueryParam("after") == "sign-up", c.QueryParam("redirect_url"), nil)
}

func (a *app) renderPasskeyAdd(c echo.Context, status int, afterSignUp bool, redirectURL string, errs views.Errors) error {
	target := a.continueTarget(redirectURL)
	hidden := []views.Hidden{}
	if target != "" {
		hidden = append(hidden, views.Hidden{Name: "redirect_url", Value: target})
	}
	skip := securityPath
	if afterSignUp {
		hidden = append(hidden, views.Hidden{Name: "after", Value: "sign-up"})
		skip = continueURL(target)
		if target == "" {
			skip = "/"
		}
	}
	p := views.PasskeyAdd{Page: a.page(c, a.t(c, "account.security.add_passkey")), AfterSignUp: afterSignUp, SkipURL: skip, Errors: errs,
		Form: views.PasskeyForm{Action: securityPath + "/passkeys", OptionsURL: securityPath + "/passkeys/options",
			Hidden: hidden, Label: a.t(c, "account.security.add_passkey")}}
	p.Page.Passkeys = true
	return render(c, status, views.PasskeyAddPage(p))
}

// POST /user/security/passkeys/options: WebAuthn creation options (JSON).
func (a *app) passkeyAddOptions(c echo.Context) error {
	if !a.SignIn.PasskeysEnabled() {
		return jsonError(c, http.StatusNotFound, a.t(c, "account.security.passkeys_off"))
	}
	_, u, ok, err := a.reverified(c, securityPath+"/passkeys/new")
	if !ok {
		return err
	}
	ctx := c.Request().Context()
	existing, err := a.Passkeys.Passkeys(ctx, u.ID)
	if err != nil {
		return a.jsonFail(c, err)
	}
	name := firstNonEmpty(u.PrimaryEmail(), u.Username(), u.PrimaryPhone(), u.ID)
	opts, _, err := a.Passkeys.BeginRegistration(ctx, passkey.UserInfo{ID: u.ID, Name: name, DisplayName: u.FullName()}, existing)
	if err != nil {
		return a.jsonFail(c, err)
	}
	return c.JSONBlob(http.StatusOK, opts)
}

// POST /user/security/passkeys: store the passkey the browser created.
func (a *app) passkeyAdd(c echo.Context) error {
	if !a.SignIn.PasskeysEnabled() {
		return echo.ErrNotFound
	}
	afterSignUp := c.FormValue("after") == "sign-up"
	back := securityPath + "/passkeys/new"
	if afterSignUp {
		back += "?" + url.Values{"after": {"sign-up"}, "redirect_url": {c.FormValue("redirect_url")}}.Encode()
	}
	_, u, ok, err := a.reverified(c, back)
	if !ok {
		return err
	}
	ctx := c.Request().Context()
	_, err = a.Factors.FinishPasskey(ctx, u.ID, c.FormValue("challenge_id"), []byte(c.FormValue("credential")), c.Request().UserAgent())
	if err != nil {
		a.Log.InfoContext(ctx, "passkey not added", "err", err, "request_id", RequestIDFrom(ctx))
		if errs, status, ok := a.formErrors(c, err); ok {
			return a.renderPasskeyAdd(c, status, afterSignUp, c.FormValue("redirect_url"), views.Errors{"": firstMessage(errs)})
		}
		return err
	}
	if afterSignUp {
		return c.Redirect(http.StatusSeeOther, continueURL(a.continueTarget(c.FormValue("redirect_url"))))
	}
	return c.Redirect(http.StatusSeeOther, securityPath+"?done=passkey-added")
}

// POST /user/security/passkeys/:id/rename. Naming changes nothing about
// signing in, so it asks for no reverification.
func (a *app) passkeyRename(c echo.Context) error {
	if !a.SignIn.PasskeysEnabled() {
		return echo.ErrNotFound
	}
	_, u, ok, err := a.signedIn(c)
	if !ok {
		return err
	}
	id, err := passkey.DecodeID(c.Param("id"))
	if err == nil {
		err = a.Passkeys.Rename(c.Request().Context(), u.ID, id, c.FormValue("name"))
	}
	if e, ok := apperr.As(err); ok && e.Code == apperr.Invalid {
		return a.renderSecurityWith(c, statusOf(e.Code), u, "", nil,
			views.PasskeyRename{ID: c.Param("id"), Value: c.FormValue("name"), Error: a.say(c, e)})
	}
	if err != nil {
		return a.securityFailed(c, u, err)
	}
	return c.Redirect(http.StatusSeeOther, securityPath+"?done=passkey-renamed")
}

// GET and POST /user/security/passkeys/:id/remove.
func (a *app) passkeyRemove(c echo.Context) error {
	if !a.SignIn.PasskeysEnabled() {
		return echo.ErrNotFound
	}
	here := securityPath + "/passkeys/" + url.PathEscape(c.Param("id")) + "/remove"
	_, u, ok, err := a.reverified(c, here)
	if !ok {
		return err
	}
	ctx := c.Request().Context()
	id, err := passkey.DecodeID(c.Param("id"))
	if err != nil {
		return a.securityFailed(c, u, err)
	}
	creds, err := a.Passkeys.Passkeys(ctx, u.ID)
	if err != nil {
		return err
	}
	name := ""
	for _, k := range creds {
		if string(k.ID) == string(id) {
			name = k.Name
		}
	}
	if name == "" {
		return a.securityFailed(c, u, apperr.New(apperr.NotFound, "That passkey no longer exists.").T("account.error.passkey_gone"))
	}
	confirm := views.Confirm{Page: a.page(c, a.t(c, "account.passkey.remove_title")), Heading: a.t(c, "account.passkey.remove_heading"),
		Body:   a.t(c, "account.passkey.remove_body", "Name", name),
		Action: here, Button: a.t(c, "account.passkey.remove_title"), BackURL: securityPath, Danger: true}
	if c.Request().Method == http.MethodGet {
		return render(c, http.StatusOK, views.ConfirmPage(confirm))
	}
	if err := a.Factors.RemovePasskey(ctx, u.ID, id); err != nil {
		if e, ok := apperr.As(err); ok {
			confirm.Errors = views.Errors{"": a.say(c, e)}
			return render(c, statusOf(e.Code), views.ConfirmPage(confirm))
		}
		return err
	}
	return c.Redirect(http.StatusSeeOther, securityPath+"?done=passkey-removed")
}

// --- authenticator app ---

// GET /user/security/totp: the QR code and secret, made on the first visit
// and shown again while pending.
func (a *app) totpPage(c echo.Context) error {
	_, u, ok, err := a.reverified(c, c.Request().URL.RequestURI())
	if !ok {
		return err
	}
	return a.renderTOTP(c, http.StatusOK, u, c.QueryParam("redirect_url"), nil)
}

func (a *app) renderTOTP(c echo.Context, status int, u *user.User, redirectURL string, errs views.Errors) error {
	setup, err := a.Factors.BeginTOTP(c.Request().Context(), u)
	if err != nil {
		return a.securityFailed(c, u, err)
	}
	var hidden []views.Hidden
	if t := a.continueTarget(redirectURL); t != "" {
		hidden = append(hidden, views.Hidden{Name: "redirect_url", Value: t})
	}
	return render(c, status, views.TOTPSetupPage(views.TOTPSetup{Page: a.page(c, a.t(c, "account.security.set_up_totp")),
		Action: securityPath + "/totp", Secret: setup.Secret, QRSVG: setup.QRSVG, Hidden: hidden, Errors: errs,
		BackURL: securityPath}))
}

// POST /user/security/totp: confirm the app with a code.
func (a *app) totpConfirm(c echo.Context) error {
	redirectURL := c.FormValue("redirect_url")
	_, u, ok, err := a.reverified(c, securityPath+"/totp?redirect_url="+url.QueryEscape(redirectURL))
	if !ok {
		return err
	}
	if ok, msg := a.allow(c, "attempt", a.limits.attempt); !ok {
		return a.renderTOTP(c, http.StatusTooManyRequests, u, redirectURL, views.Errors{"": msg})
	}
	codes, err := a.Factors.ConfirmTOTP(c.Request().Context(), u, flow.CleanCode(c.FormValue("code")))
	if !errors.Is(err, factors.ErrTOTPExists) { // else nothing was checked
		a.logAttempt(c, stepEnrollment, flow.TOTP, u.ID, err)
	}
	if errors.Is(err, factors.ErrTOTPExists) {
		// A second press, or a stale tab: the app is on, so say that (or
		// go on) rather than ask to remove it.
		return a.afterSecondFactor(c, u, nil, "", "totp-added", redirectURL)
	}
	if err != nil {
		if e, ok := apperr.As(err); ok && e.Field == "code" {
			return a.renderTOTP(c, statusOf(e.Code), u, redirectURL, views.Errors{"code": a.say(c, e)})
		}
		return a.securityFailed(c, u, err)
	}
	return a.afterSecondFactor(c, u, codes, a.t(c, "account.totp.on_heading"), "totp-added", redirectURL)
}

// afterSecondFactor shows the backup codes a first second factor brought
// u, once, or goes back to the list.
func (a *app) afterSecondFactor(c echo.Context, u *user.User, codes []string, heading, done, redirectURL string) error {
	target := a.continueTarget(redirectURL)
	if len(codes) == 0 {
		if target != "" {
			return c.Redirect(http.StatusSeeOther, continueURL(target))
		}
		return c.Redirect(http.StatusSeeOther, securityPath+"?done="+done)
	}
	next := securityPath
	if target != "" {
		next = continueURL(target)
	}
	return render(c, http.StatusOK, views.BackupCodesPage(views.BackupCodesShown{Page: a.page(c, a.t(c, "account.backup.title")),
		Heading: heading, Codes: codes, Account: ticketAccount(u), ContinueURL: next}))
}

// GET and POST /user/security/totp/remove.
func (a *app) totpRemove(c echo.Context) error {
	here := securityPath + "/totp/remove"
	_, u, ok, err := a.reverified(c, here)
	if !ok {
		return err
	}
	body := a.t(c, "account.totp.remove_body")
	if backupCodesStop(u, factors.TOTPFactor) {
		body = a.t(c, "account.totp.remove_body_backup")
	}
	confirm := views.Confirm{Page: a.page(c, a.t(c, "account.totp.remove_title")), Heading: a.t(c, "account.totp.remove_heading"),
		Body: body, Action: here, Button: a.t(c, "account.remove"), BackURL: securityPath, Danger: true}
	if c.Request().Method == http.MethodGet {
		return render(c, http.StatusOK, views.ConfirmPage(confirm))
	}
	if err := a.Factors.RemoveTOTP(c.Request().Context(), u); err != nil {
		return a.confirmFailed(c, confirm, err)
	}
	return c.Redirect(http.StatusSeeOther, securityPath+"?done=totp-removed")
}

// backupCodesStop reports whether removing this second factor leaves none,
// so that the backup codes stop working too.
func backupCodesStop(u *user.User, removing string) bool {
	other := removing == factors.TOTPFactor && u.SecondFactorPhone != "" || removing == factors.PhoneFactor && u.TOTP
	return !other && u.BackupCodes > 0
}

func (a *app) confirmFailed(c echo.Context, p views.Confirm, err error) error {
	e, ok := apperr.As(err)
	if !ok {
		return err
	}
	p.Errors = views.Errors{"": a.say(c, e)}
	return render(c, statusOf(e.Code), views.ConfirmPage(p))
}

// --- text messages ---

// GET and POST /user/security/phone: texts as the second step, with the
// risk said plainly (REQ-OTP-06).
func (a *app) phoneEnable(c echo.Context) error {
	redirectURL := c.FormValue("redirect_url")
	here := securityPath + "/phone"
	_, u, ok, err := a.reverified(c, here+"?redirect_url="+url.QueryEscape(redirectURL))
	if !ok {
		return err
	}
	number := u.PrimaryPhone()
	if number == "" {
		return a.securityFailed(c, u, apperr.New(apperr.Invalid, "Add and verify a phone number first.").T("account.error.no_phone"))
	}
	var hidden []views.Hidden
	if t := a.continueTarget(redirectURL); t != "" {
		hidden = append(hidden, views.Hidden{Name: "redirect_url", Value: t})
	}
	confirm := views.Confirm{Page: a.page(c, a.t(c, "account.sms.title")), Heading: a.t(c, "account.sms.confirm_on_heading"),
		Body:   a.t(c, "account.sms.body", "Phone", a.displayPhone(number)),
		Action: here, Button: a.t(c, "account.turn_on"), Hidden: hidden, BackURL: securityPath}
	if c.Request().Method == http.MethodGet {
		return render(c, http.StatusOK, views.ConfirmPage(confirm))
	}
	codes, err := a.Factors.EnablePhone(c.Request().Context(), u)
	if err != nil {
		return a.confirmFailed(c, confirm, err)
	}
	return a.afterSecondFactor(c, u, codes, a.t(c, "account.sms.on_heading"), "phone-on", redirectURL)
}

// GET and POST /user/security/phone/remove.
func (a *app) phoneDisable(c echo.Context) error {
	here := securityPath + "/phone/remove"
	_, u, ok, err := a.reverified(c, here)
	if !ok {
		return err
	}
	body := a.t(c, "account.sms.off_body")
	if backupCodesStop(u, factors.PhoneFactor) {
		body = a.t(c, "account.sms.off_body_backup")
	}
	confirm := views.Confirm{Page: a.page(c, a.t(c, "account.sms.off_title")), Heading: a.t(c, "account.sms.confirm_off_heading"),
		Body: body, Action: here, Button: a.t(c, "account.turn_off"), BackURL: securityPath, Danger: true}
	if c.Request().Method == http.MethodGet {
		return render(c, http.StatusOK, views.ConfirmPage(confirm))
	}
	if err := a.Factors.DisablePhone(c.Request().Context(), u); err != nil {
		return a.confirmFailed(c, confirm, err)
	}
	return c.Redirect(http.StatusSeeOther, securityPath+"?done=phone-off")
}

// --- backup codes ---

// GET and POST /user/security/backup-codes: new codes replace the old ones.
func (a *app) backupCodes(c echo.Context) error {
	here := securityPath + "/backup-codes"
	_, u, ok, err := a.reverified(c, here)
	if !ok {
		return err
	}
	ctx := c.Request().Context()
	// The set this page replaces: pressed twice (or in two tabs), the
	// second press finds it gone and says so, rather than show codes
	// that the first press's set then outlives, or the other way round.
	version, err := a.Factors.BackupCodesVersion(ctx, u.ID)
	if err != nil {
		return err
	}
	confirm := views.Confirm{Page: a.page(c, a.t(c, "account.backup.new_title")), Heading: a.t(c, "account.backup.new_heading"),
		Body:   a.localizer(c).N("account.backup.new_body", mfa.BackupCodeCount),
		Action: here, Button: a.t(c, "account.security.backup_new"), BackURL: securityPath,
		Hidden: []views.Hidden{{Name: "replaces", Value: version}}}
	if c.Request().Method == http.MethodGet {
		return render(c, http.StatusOK, views.ConfirmPage(confirm))
	}
	replaces := c.FormValue("replaces")
	if replaces == "" {
		replaces = version // a form from before this field: as it is now
	}
	codes, err := a.Factors.RegenerateBackupCodes(ctx, u, replaces)
	if errors.Is(err, factors.ErrBackupCodesReplaced) {
		// Pressed again from here, it replaces the set there is now.
		if confirm.Hidden[0].Value, err = a.Factors.BackupCodesVersion(ctx, u.ID); err != nil {
			return err
		}
		err = factors.ErrBackupCodesReplaced
	}
	if err != nil {
		return a.confirmFailed(c, confirm, err)
	}
	return render(c, http.StatusOK, views.BackupCodesPage(views.BackupCodesShown{Page: a.page(c, a.t(c, "account.backup.title")),
		Heading: a.t(c, "account.backup.new_done"), Codes: codes, Account: ticketAccount(u), ContinueURL: securityPath}))
}
