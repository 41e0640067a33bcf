package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/signin"
	"github.com/portalhq/portal/internal/user"
	"github.com/portalhq/portal/views"
)

// ReverifyWindow is how recently the person must have proved who they are
// in this session before a sensitive change (REQ-SES-06, REQ-WA-10).
const ReverifyWindow = 10 * time.Minute

const reverifyPath = "/user/security/verify"

// signedIn returns the browser's live session and its user, or redirects to
// sign-in and back to back (ok false).
func (a *app) signedIn(c echo.Context, back string) (*session.Session, *user.User, bool, error) {
	sess, err := a.current(c)
	if err != nil {
		return nil, nil, false, err
	}
	if sess != nil {
		u, err := a.Users.UserByID(c.Request().Context(), sess.UserID)
		if err == nil {
			return sess, u, true, nil
		}
		if !errors.Is(err, apperr.ErrNotFound) {
			return nil, nil, false, err
		}
	}
	return nil, nil, false, c.Redirect(http.StatusSeeOther,
		"/sign-in?redirect_url="+url.QueryEscape(a.base.JoinPath(back).String()))
}

// reverify guards a sensitive change. When the session's last factor — the
// later of its first and second factor times, which a reverification moves
// — is within ReverifyWindow it returns the session and user; otherwise it
// sends the person to "Confirm it's you", which returns to next (a page
// that shows the change again) once they have.
func (a *app) reverify(c echo.Context, next string) (*session.Session, *user.User, bool, error) {
	next = safeNext(next)
	sess, u, ok, err := a.signedIn(c, next)
	if !ok {
		return nil, nil, false, err
	}
	if a.Clock.Now().Sub(sess.LastVerifiedAt()) < ReverifyWindow {
		return sess, u, true, nil
	}
	if strings.Contains(c.Request().Header.Get("Accept"), "application/json") {
		return nil, nil, false, jsonError(c, http.StatusUnauthorized, "For your security, confirm it's you first: reload the page.")
	}
	return nil, nil, false, c.Redirect(http.StatusSeeOther, reverifyPath+"?redirect_url="+url.QueryEscape(next))
}

// safeNext keeps "continue to" on the account pages: a path under /user,
// never another site (REQ-HDR-05).
func safeNext(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || strings.ContainsAny(s, "\\\r\n") ||
		strings.HasPrefix(s, "//") || path.Clean(u.Path) != u.Path ||
		(u.Path != "/user" && !strings.HasPrefix(u.Path, "/user/")) {
		return "/user/security"
	}
	return u.RequestURI()
}

// reverifyFlow stands in for a sign-in flow so the sign-in factors can run
// inside the session: codes it sends are bound to the session's ID.
func reverifyFlow(sess *session.Session, u *user.User) *flow.Flow {
	return &flow.Flow{ID: sess.ID, Kind: "reverification", ClientID: sess.ClientID, Status: flow.NeedsFirstFactor,
		UserID: u.ID, Identifier: u.PrimaryEmail(), Data: flow.Data{IdentifierKind: user.Email}}
}

// reverifiers lists the factors the person can confirm with, in order.
// The list is Deps.Reverify; an email code is offered only to people
// without a password.
func (a *app) reverifiers(f *flow.Flow, u *user.User) []flow.Strategy {
	var out []flow.Strategy
	for _, st := range a.Reverify {
		switch {
		case st.Name() == flow.Password && u.PasswordHash == "":
		case st.Name() == flow.EmailCode && u.PasswordHash != "":
		case st.Offered(f, u):
			out = append(out, st)
		}
	}
	return out
}

// refreshes says which of the session's factor times a factor renews: a
// user-verifying passkey is both.
func refreshes(strategy string) (first, second bool) {
	switch strategy {
	case flow.Passkey:
		return true, true
	case flow.TOTP, flow.BackupCode:
		return false, true
	}
	return true, false
}

// GET /user/security/verify: "Confirm it's you".
func (a *app) reverifyPage(c echo.Context) error {
	next := safeNext(c.QueryParam("redirect_url"))
	sess, u, ok, err := a.signedIn(c, next)
	if !ok {
		return err
	}
	return a.renderReverify(c, http.StatusOK, sess, u, next, c.QueryParam("strategy"), nil, "")
}

func (a *app) renderReverify(c echo.Context, status int, sess *session.Session, u *user.User, next, strategy string, errs views.Errors, notice string) error {
	f := reverifyFlow(sess, u)
	list := a.reverifiers(f, u)
	var names []string
	for _, st := range list {
		names = append(names, st.Name())
	}
	if !contains(names, strategy) {
		strategy = ""
		for _, n := range names { // a passkey needs a script: a form first
			if n != flow.Passkey {
				strategy = n
				break
			}
		}
		if strategy == "" && len(names) > 0 {
			strategy = names[0]
		}
	}
	if strategy == "" {
		return a.message(c, http.StatusConflict, "You can't confirm it's you",
			"Your account has no way to confirm it's you on this site. Contact the site's support.", "/user", "Back to your account")
	}
	p := views.Reverify{Page: a.page(c, "Confirm it's you"), Action: reverifyPath, PrepareAction: reverifyPath + "/prepare",
		Strategy: strategy, Next: next, Identifier: u.PrimaryEmail(), Errors: errs, Notice: notice, BackURL: "/user/security"}
	for _, n := range names {
		switch {
		case n == flow.Passkey:
			p.Passkey = &views.PasskeyForm{Action: reverifyPath, OptionsURL: passkeyOptionsURL, Label: "Use a passkey",
				Hidden: []views.Hidden{{Name: "strategy", Value: flow.Passkey}, {Name: "redirect_url", Value: next}}}
			p.Page.Passkeys = true
		case n != strategy:
			p.OtherMethods = append(p.OtherMethods, views.Method{Strategy: n, Label: reverifyLabel(n)})
		}
	}
	if strategy == flow.EmailCode {
		p.Destination = signin.Mask(signin.EmailTarget(f, u))
		if v, err := a.SignIn.Repo.LatestVerification(c.Request().Context(), sess.ID, flow.EmailCode); err == nil {
			p.ResendWait = int(flow.ResendWait(v, a.Clock.Now()).Seconds() + 0.999)
		}
	}
	return render(c, status, views.ReverifyPage(p))
}

func reverifyLabel(strategy string) string {
	switch strategy {
	case flow.Password:
		return "Use your password"
	case flow.EmailCode:
		return "Email me a code"
	case flow.TOTP:
		return "Use your authenticator app"
	}
	return strategy
}

// POST /user/security/verify/prepare: choose a factor; an email code is sent.
func (a *app) reverifyPrepare(c echo.Context) error {
	next := safeNext(c.FormValue("redirect_url"))
	sess, u, ok, err := a.signedIn(c, next)
	if !ok {
		return err
	}
	strategy := c.FormValue("strategy")
	f := reverifyFlow(sess, u)
	for _, st := range a.reverifiers(f, u) {
		if st.Name() != strategy || strategy != flow.EmailCode {
			continue
		}
		if ok, msg := a.allow(c, "start", a.limits.start); !ok {
			return a.renderReverify(c, http.StatusTooManyRequests, sess, u, next, strategy, views.Errors{"": msg}, "")
		}
		if err := st.Prepare(c.Request().Context(), f, u, a.meta(c)); err != nil {
			if errs, status, ok := formErrors(err); ok {
				return a.renderReverify(c, status, sess, u, next, strategy, views.Errors{"": firstMessage(errs)}, "")
			}
			return err
		}
	}
	return c.Redirect(http.StatusSeeOther, reverifyPath+"?"+url.Values{"redirect_url": {next}, "strategy": {strategy}}.Encode())
}

// POST /user/security/verify: check the factor, renew the session's factor
// time and continue to the change that asked for it.
func (a *app) reverifyAttempt(c echo.Context) error {
	ctx := c.Request().Context()
	next := safeNext(c.FormValue("redirect_url"))
	sess, u, ok, err := a.signedIn(c, next)
	if !ok {
		return err
	}
	strategy := c.FormValue("strategy")
	if ok, msg := a.allow(c, "attempt", a.limits.attempt); !ok {
		return a.renderReverify(c, http.StatusTooManyRequests, sess, u, next, strategy, views.Errors{"": msg}, "")
	}
	if ok, retry := a.Limiter.Allow("reverify:"+u.ID, a.limits.identifier); !ok {
		return a.renderReverify(c, http.StatusTooManyRequests, sess, u, next, strategy,
			views.Errors{"": "Too many attempts. Please wait " + humanWait(retry) + " and try again."}, "")
	}
	f := reverifyFlow(sess, u)
	var st flow.Strategy
	for _, s := range a.reverifiers(f, u) {
		if s.Name() == strategy {
			st = s
		}
	}
	if st == nil {
		return a.renderReverify(c, http.StatusUnprocessableEntity, sess, u, next, "", views.Errors{"": "Choose a way to confirm it's you."}, "")
	}
	if strategy == flow.TOTP && u.Locked(a.Clock.Now()) {
		return a.renderReverify(c, http.StatusForbidden, sess, u, next, strategy, views.Errors{"": signin.ErrCannotSignIn.Message}, "")
	}
	in := flow.Input{Password: c.FormValue("password"), Code: strings.TrimSpace(c.FormValue("code")),
		ChallengeID: c.FormValue("challenge_id"), Credential: []byte(c.FormValue("credential"))}
	if err := st.Attempt(ctx, f, u, in); err != nil {
		a.Log.InfoContext(ctx, "reverification refused", "strategy", strategy, "err", err, "request_id", RequestIDFrom(ctx))
		if strategy == flow.Passkey {
			a.passkeyRefused(c, err)
		}
		e, safe := apperr.As(err)
		if !safe {
			return err
		}
		if strategy == flow.TOTP && e.Code == apperr.Invalid { // guesses count as for a password (REQ-RL-01)
			if err := a.SignIn.Repo.RecordFailedSignIn(ctx, u.ID, a.SignIn.Lockout.Threshold, a.SignIn.Lockout.Duration, a.Clock.Now()); err != nil {
				return err
			}
		}
		errs := views.Errors{e.Field: e.Message}
		if e.Field != "password" && e.Field != "code" {
			errs = views.Errors{"": e.Message}
		}
		return a.renderReverify(c, statusOf(e.Code), sess, u, next, strategy, errs, "")
	}
	first, second := refreshes(strategy)
	if err := a.Sessions.Reverified(ctx, sess, first, second); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, next)
}
