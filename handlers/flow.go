package handlers

import (
	"cmp"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/phone"
	"github.com/portalhq/portal/internal/ratelimit"
	"github.com/portalhq/portal/internal/redirect"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/signin"
	"github.com/portalhq/portal/internal/signup"
	"github.com/portalhq/portal/internal/user"
	"github.com/portalhq/portal/views"
)

// handBack finishes a sign-in or sign-up: it mints a token for the app at
// target, sets the app cookies and answers 303 there (the portal's home when
// target is nil).
func (a *app) handBack(c echo.Context, sess *session.Session, target *url.URL) error {
	if target == nil {
		target = a.base.JoinPath("/")
	}
	// Before any of the redirects below.
	if err := a.adopt(c, sess); err != nil {
		return err
	}
	// An instance that requires a second factor sends people without one
	// to set it up before any app gets a token; the organization task
	// (choose or restore one, accept an invitation) comes after it, so the
	// session is complete before anything is done in an organization.
	if enrol, err := a.mustEnrol(c, sess, target); err != nil || enrol != "" {
		if err != nil {
			return err
		}
		return c.Redirect(http.StatusSeeOther, enrol)
	}
	// An application invitation is accepted before an organization's, so
	// that the organization's redirect URL, when there is one, wins.
	target, done, err := a.appInvitationHandBack(c, sess, target)
	if done || err != nil {
		return err
	}
	if a.Orgs != nil {
		if sess, target, done, err = a.orgHandBack(c, sess, target); done || err != nil {
			return err
		}
	}
	tok, _, err := a.Sessions.Token(c.Request().Context(), sess, redirect.Origin(target))
	if errors.Is(err, session.ErrSignedOut) {
		a.clearSessionCookies(c)
		return c.Redirect(http.StatusSeeOther, "/sign-in")
	}
	if err != nil {
		return err
	}
	a.setSessionCookies(c, tok, sess.CreatedAt)
	return c.Redirect(http.StatusSeeOther, target.String())
}

// adopt gives the browser sess's client: a sign-in puts its session on a
// new client (REQ-SES-02), and the browser that signed in gets that
// client's cookie in the same response, whatever page comes next.
func (a *app) adopt(c echo.Context, sess *session.Session) error {
	if sess.ClientID == a.clientID(c) {
		return nil
	}
	if err := a.setClientCookie(c, sess.ClientID); err != nil {
		return err
	}
	c.Set(currentKey, sess)
	return nil
}

// refusedRedirect answers a redirect target outside the allowed origins with
// a clear page and a 400; the target is never followed (REQ-HDR-05).
func (a *app) refusedRedirect(c echo.Context, err error) error {
	a.Log.WarnContext(c.Request().Context(), "redirect refused", "err", err,
		"request_id", RequestIDFrom(c.Request().Context()))
	heading := a.t(c, "page.link_unusable_title")
	p := views.Message{Page: a.page(c, heading), Status: http.StatusBadRequest, Heading: heading,
		Body: a.t(c, "page.redirect_refused_body")}
	if r, ok := redirect.RefusalOf(err); ok && a.Config.Dev() {
		// A developer integrating an app meets this page first, the log
		// line in another window: say here which setting, and what it
		// allows. The refused origin itself is not shown: the page never
		// repeats an address it refuses.
		p.DevDetail = a.t(c, "page.redirect_refused_dev", "Allowed", cmp.Or(r.Allowed, "—"))
	}
	return renderMessage(c, http.StatusBadRequest, views.MessagePage(p))
}

// flowGone shows that a sign-in or sign-up can't continue, with a way back
// to the start of the same.
func (a *app) flowGone(c echo.Context, err error) error {
	if e, ok := apperr.As(err); ok && e.Code == apperr.Expired {
		start := a.startAgainURL(c, "/sign-in", flow.SignIn, "sign_in", a.SignIn.Repo)
		if err == signup.ErrFlowGone {
			start = a.startAgainURL(c, "/sign-up", flow.SignUp, "sign_up", a.SignUp.Repo)
		}
		return a.message(c, http.StatusGone, a.t(c, "page.expired_title"), a.say(c, e), start, a.t(c, "page.start_again"))
	}
	return err
}

// sameBrowser reports whether the request comes from the browser that
// began f, known by its CSRF secret (flow.Data.Browser). A flow begun
// before flows kept it counts as this browser's, as before.
func (a *app) sameBrowser(c echo.Context, f *flow.Flow) bool {
	return f.Data.Browser == "" || session.SameBrowser(f.Data.Browser, csrfSecret(c))
}

// startAgainURL is start with the redirect URL of the flow the request
// names (its param, as every step of the flow carries it), when this
// browser began that flow and the target still passes the redirect check;
// plain start otherwise.
func (a *app) startAgainURL(c echo.Context, start, kind, param string, st flow.Finder) string {
	f := flow.Began(c.Request().Context(), st, kind, c.FormValue(param), a.clientID(c))
	if f == nil || f.RedirectURL == "" {
		return start
	}
	if _, err := a.Redirects.CheckOrPortal(f.RedirectURL, a.base); err != nil {
		return start
	}
	return withRedirect(start, url.Values{"redirect_url": {f.RedirectURL}})
}

// finished answers a page or a form of a flow that is complete already: a
// reload, the back button, or the same form sent twice (a double click). A
// browser that is still signed in goes on to the flow's app, as the first
// answer sent it; any other is told the flow is gone (gone), or for a page
// (gone nil) sent to the portal's home.
func (a *app) finished(c echo.Context, f *flow.Flow, gone error) error {
	sess, err := a.current(c)
	if err != nil {
		return err
	}
	if cid := a.clientID(c); sess == nil && f.Status == flow.Complete &&
		(f.ClientID == cid || flow.PreviousOwner(c.Request().Context(), a.SignIn.Repo, f, cid)) {
		// The same final form sent twice: the first answer moved the
		// browser to the flow's new client, and this one still carries the
		// old cookie. It follows for a few seconds, when it proves itself
		// the browser that signed in: it holds this flow's client (or, for
		// a flow left open in another tab while the browser signed in
		// there, the client that one moved it to) and ID (Load checked
		// both), and the secret the sign-in was made with.
		if sess, err = a.Sessions.Successor(c.Request().Context(), cid, f.SessionID, csrfSecret(c)); err != nil {
			return err
		}
	}
	if sess != nil {
		target, _ := a.Redirects.CheckOrPortal(orHome(f.RedirectURL), a.base)
		return a.handBack(c, sess, target)
	}
	if gone == nil {
		return c.Redirect(http.StatusSeeOther, "/")
	}
	return a.flowGone(c, gone)
}

// completedMeanwhile answers a final form whose attempt failed because the
// same form, sent at the same moment (a double click), completed the flow
// first: that copy saved the flow before this one could (a conflict) or
// used up its code. This one then goes on as finished says; done reports
// that it answered. Any other failure is left to the caller.
func (a *app) completedMeanwhile(c echo.Context, f *flow.Flow, failed error) (done bool, err error) {
	load := func() (*flow.Flow, error) {
		if f.Kind == flow.SignUp {
			return a.SignUp.Load(c.Request().Context(), a.clientID(c), f.ID)
		}
		return a.SignIn.Load(c.Request().Context(), a.clientID(c), f.ID)
	}
	gone := signin.ErrFlowGone
	if f.Kind == flow.SignUp {
		gone = signup.ErrFlowGone
	}
	// A code found used was most likely used by the same form sent a
	// moment earlier (a double click), which is finishing the flow now:
	// wait for it a little, so this answer, the one the browser shows,
	// lands where that one does instead of saying the code was used.
	wait := time.Duration(0)
	if errors.Is(failed, flow.ErrCodeUsed) {
		wait = codeUsedWait
	}
	for deadline := time.Now().Add(wait); ; {
		g, err := load()
		if err == nil && g.Status == flow.Complete {
			return true, a.finished(c, g, gone)
		}
		if err == nil && wait > 0 && g.Version != f.Version {
			// The other request moved the flow on to a step before its
			// end (a second factor, the next address to verify): no end
			// is coming to wait for. Go where that one went.
			return true, c.Redirect(http.StatusSeeOther, stepURL(g))
		}
		if err != nil || !time.Now().Before(deadline) {
			return false, nil
		}
		select {
		case <-c.Request().Context().Done():
			return false, nil
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// stepURL is the page of the step f is at, for a flow that is not
// complete: what a reload of the flow's pages would show.
func stepURL(f *flow.Flow) string {
	if f.Kind == flow.SignUp {
		return signUpVerifyURL(f)
	}
	switch f.Status {
	case flow.NeedsSecondFactor:
		return factorTwoURL(f.ID)
	case flow.NeedsNewPassword:
		return "/sign-in/reset-password?sign_in=" + url.QueryEscape(f.ID)
	}
	return factorOneURL(f.ID)
}

// codeUsedWait bounds how long a request whose code another one used waits
// for that one to finish the flow (see completedMeanwhile).
const codeUsedWait = 3 * time.Second

// allow applies a per-IP rate limit; msg explains a refusal to a person.
func (a *app) allow(c echo.Context, what string, w ratelimit.Window) (bool, string) {
	ok, retry := a.Limiter.Allow(what+":"+ratelimit.IPKey(RealIP(c)), w)
	if ok {
		return true, ""
	}
	a.logLimited(c, what, "")
	setRetryAfter(c, retry)
	return false, a.t(c, "error.rate.network", "Wait", a.waitText(c, retry))
}

// setRetryAfter tells a refused client when to come back (RFC 9110 §10.2.3),
// in whole seconds, rounded up.
func setRetryAfter(c echo.Context, d time.Duration) {
	c.Response().Header().Set("Retry-After", strconv.Itoa(int((d+time.Second-1)/time.Second)))
}

// waitText says how long to wait, roughly, in the request's language.
func (a *app) waitText(c echo.Context, d time.Duration) string {
	switch {
	case d <= time.Minute:
		return a.t(c, "wait.a_minute")
	case d < time.Hour:
		return a.localizer(c).N("wait.minutes", int(d.Minutes()+0.999))
	}
	return a.t(c, "wait.an_hour")
}

func (a *app) meta(c echo.Context) flow.Meta {
	return flow.Meta{IP: RealIP(c).String(), UserAgent: c.Request().UserAgent()}
}

// resendWait is the number of seconds before another code may be sent.
func (a *app) resendWait(c echo.Context, flowID, strategy string) int {
	wait, _ := a.sendState(c, flowID, strategy)
	return wait
}

// sendState is resendWait and whether a code or link of strategy went out
// at all for the flow: a send the mail server or SMS provider refused
// leaves none. When the store cannot tell, it answers as if one did.
func (a *app) sendState(c echo.Context, flowID, strategy string) (wait int, sent bool) {
	v, err := a.SignIn.Repo.LatestVerification(c.Request().Context(), flowID, strategy)
	if err != nil {
		return 0, true
	}
	return int(flow.ResendWait(v, a.Clock.Now()).Seconds() + 0.999), v != nil
}

// notSentAlert is what a code or link step says when nothing went out to
// dest: the error the failed send gave, while the page answers that send,
// and on a later visit (a reload, "Change" and back) that nothing came,
// with the button that tries again.
func (a *app) notSentAlert(c echo.Context, errs views.Errors, strategy, dest string) views.Errors {
	if len(errs) > 0 {
		return errs
	}
	key := "error.code.not_sent_email"
	switch strategy {
	case flow.PhoneCode, flow.ResetPasswordPhoneCode:
		key = "error.code.not_sent_phone"
	case flow.EmailLink:
		key = "error.link.not_sent"
	}
	return views.Errors{"": a.t(c, key, "Destination", dest)}
}

// signInAgainURL is the way back to sign-in from a refused form: it keeps
// the redirect parameters the form (or its address) carried when the
// policy allows every one of them, so the person still ends in their app,
// and drops them all otherwise.
func (a *app) signInAgainURL(c echo.Context) string {
	q, err := c.FormParams()
	if err != nil {
		return "/sign-in"
	}
	if _, err := a.Redirects.ResolveOrPortal(q, redirect.SignIn, a.base); err != nil {
		return "/sign-in"
	}
	return withRedirect("/sign-in", q)
}

// redirectHidden carries the redirect parameters of q into a form.
func redirectHidden(q url.Values) []views.Hidden {
	var out []views.Hidden
	for _, name := range redirect.Params() {
		if v := q.Get(name); v != "" {
			out = append(out, views.Hidden{Name: name, Value: v})
		}
	}
	return out
}

// withRedirect appends the redirect parameters of q to path.
func withRedirect(path string, q url.Values) string {
	keep := url.Values{}
	for _, name := range redirect.Params() {
		if v := q.Get(name); v != "" {
			keep.Set(name, v)
		}
	}
	if len(keep) == 0 {
		return path
	}
	return path + "?" + keep.Encode()
}

func targetString(u *url.URL) string {
	if u == nil {
		return ""
	}
	return u.String()
}

func orHome(s string) string {
	if s == "" {
		return "/"
	}
	return s
}

// shownIdentifier is what the person typed to sign in, as the pages show
// it: a phone number formatted as sign-up shows it, anything else as is.
func (a *app) shownIdentifier(f *flow.Flow) string {
	if f.Data.IdentifierKind == user.Phone {
		return a.displayPhone(f.Identifier)
	}
	return f.Identifier
}

// destination is where strategy's code or link goes, for the page: the
// typed identifier shown as shownIdentifier does, or a masked address.
func (a *app) destination(c echo.Context, f *flow.Flow, strategy string) (string, error) {
	dest, err := a.SignIn.Destination(c.Request().Context(), f, strategy)
	if err != nil || dest != f.Identifier {
		return dest, err
	}
	return a.shownIdentifier(f), nil
}

// displayPhone formats an E.164 number for people.
func (a *app) displayPhone(e164 string) string {
	if n, err := phone.Parse(e164, ""); err == nil {
		return n.Display()
	}
	return e164
}
