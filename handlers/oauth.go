package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/oauth"
	"github.com/portalhq/portal/internal/ratelimit"
	"github.com/portalhq/portal/internal/redirect"
	"github.com/portalhq/portal/internal/signup"
	"github.com/portalhq/portal/internal/social"
	"github.com/portalhq/portal/views"
)

// provider finds an enabled provider by name.
func (a *app) provider(name string) oauth.Provider {
	for _, p := range a.Providers {
		if p.Name() == name {
			return p
		}
	}
	return nil
}

// socialButtons lists the providers as links that start their flow, with the
// page's redirect parameters.
func (a *app) socialButtons(c echo.Context, q url.Values, intent string, skip map[string]bool) []views.SocialButton {
	var out []views.SocialButton
	for _, p := range a.Providers {
		if skip[p.Name()] {
			continue
		}
		v := url.Values{"intent": {intent}}
		for _, name := range redirect.Params() {
			if s := q.Get(name); s != "" {
				v.Set(name, s)
			}
		}
		label := a.t(c, "social.continue_with", "Provider", p.DisplayName())
		if intent == oauth.IntentConnect {
			label = a.t(c, "social.connect", "Provider", p.DisplayName())
		}
		out = append(out, views.SocialButton{Provider: p.Name(), Name: p.DisplayName(), Label: label,
			URL: "/sign-in/oauth/" + url.PathEscape(p.Name()) + "?" + v.Encode()})
	}
	return out
}

// GET /sign-in/oauth/:provider: seal the one-time state, nonce and PKCE
// verifier into a short-lived cookie bound to this browser and provider, and
// go to the provider. Nothing changes on the server, so a GET is right.
func (a *app) oauthStart(c echo.Context) error {
	ctx := c.Request().Context()
	p := a.provider(c.Param("provider"))
	if p == nil {
		return echo.ErrNotFound
	}
	q := c.QueryParams()
	intent := q.Get("intent")
	kind := redirect.SignIn
	switch intent {
	case oauth.IntentSignUp:
		kind = redirect.SignUp
	case oauth.IntentConnect:
	default:
		intent = oauth.IntentSignIn
	}
	target, err := a.Redirects.ResolveOrPortal(q, kind, a.base)
	if err != nil {
		return a.refusedRedirect(c, err)
	}
	if fromAnotherSite(c) {
		return a.oauthConfirm(c, p, intent, q)
	}
	// A network whose callbacks keep failing would be refused on its way
	// back: say so before sending the person to the provider.
	if ok, retry := a.Limiter.Check(a.oauthFailedKey(c), a.limits.oauthFailed); !ok {
		return a.oauthLimited(c, intent, targetString(target), "oauth_failed", "", a.t(c, "error.rate.network", "Wait", a.waitText(c, retry)), retry)
	}
	connectFor := ""
	if intent == oauth.IntentConnect {
		// A connected account is a new way in, so the person confirms it
		// is them first, as for a passkey (REQ-SES-06); an impersonation
		// session cannot, and so cannot give anyone a way in as the user.
		sess, _, ok, err := a.reverified(c, c.Request().URL.RequestURI())
		if !ok {
			return err
		}
		// Linking is a way in like the others, limited like them
		// (REQ-RL-03): per user, every start counting, whatever becomes
		// of it at the provider.
		if ok, retry := a.Limiter.Allow("connect:"+sess.UserID, a.limits.connect); !ok {
			return a.oauthLimited(c, intent, "", "connect", sess.UserID, a.t(c, "error.rate.connect", "Wait", a.waitText(c, retry)), retry)
		}
		connectFor = sess.UserID
	}
	if err := p.Prepare(ctx); err != nil {
		a.Log.WarnContext(ctx, "oauth provider unavailable", "provider", p.Name(), "err", err)
		return a.message(c, http.StatusServiceUnavailable, a.t(c, "oauth.unavailable_title", "Provider", p.DisplayName()),
			a.t(c, "oauth.unavailable_body", "Provider", p.DisplayName()), "/sign-in", a.t(c, "signin.back_to_sign_in"))
	}
	pend := oauth.NewPending(p.Name(), intent, "", targetString(target), a.Clock.Now())
	pend.UserID = connectFor
	sealed, err := a.Sealer.Seal(pend)
	if err != nil {
		return err
	}
	c.SetCookie(oauth.PendingCookie(sealed, p.FormPost(), a.secureCookies()))
	return c.Redirect(http.StatusSeeOther, p.AuthCodeURL(pend.State, pend.Nonce, pend.Verifier, a.callbackURL(p)))
}

// fromAnotherSite reports a navigation that another site started: a link,
// a script or a redirect from a page that is not the portal's. A browser
// that sends no Sec-Fetch-Site (an old one), an address typed or
// bookmarked ("none") and the portal's own pages are not.
func fromAnotherSite(c echo.Context) bool {
	switch c.Request().Header.Get("Sec-Fetch-Site") {
	case "cross-site", "same-site":
		return true
	}
	return false
}

// oauthConfirm answers a provider sign-in that another site started with a
// page asking the person to continue (REQ-SES-07, ASVS 7.6.2). Without it,
// any site could send a browser through a provider that remembers the
// person's consent and back, signing them in, making them an account or
// linking a provider account, with nothing done on the portal. Nothing is
// set or stored here; the button is the same start, now a navigation from
// the portal's own page.
func (a *app) oauthConfirm(c echo.Context, p oauth.Provider, intent string, q url.Values) error {
	back, backLabel := a.oauthBack(c, intent, "")
	v := url.Values{}
	for _, name := range redirect.Params() {
		if s := q.Get(name); s != "" && intent != oauth.IntentConnect {
			v.Set(name, s)
		}
	}
	if len(v) > 0 {
		back += "?" + v.Encode()
	}
	label := a.t(c, "social.continue_with", "Provider", p.DisplayName())
	if intent == oauth.IntentConnect {
		label = a.t(c, "social.connect", "Provider", p.DisplayName())
	}
	heading := a.t(c, "oauth.confirm_title", "Provider", p.DisplayName())
	c.Response().Header().Set("Cache-Control", "no-store")
	return renderMessage(c, http.StatusOK, views.OAuthConfirmPage(views.OAuthConfirm{Page: a.page(c, heading),
		Heading: heading, Body: a.t(c, "oauth.confirm_body", "Provider", p.DisplayName()),
		ContinueURL: c.Request().URL.RequestURI(), ContinueLabel: label, BackURL: back, BackLabel: backLabel}))
}

func (a *app) callbackURL(p oauth.Provider) string {
	return oauth.CallbackURL(a.Config.BaseURL, p.Name())
}

// GET /v1/oauth_callback/:provider (a form_post provider's POST comes back
// here as a GET). The state in the sealed cookie is the CSRF control here
// (REQ-OA-01); the cookie is cleared whatever happens, so a state is used
// once.
func (a *app) oauthCallback(c echo.Context) error {
	ctx := c.Request().Context()
	name := c.Param("provider")
	p := a.provider(name)
	if p == nil {
		return echo.ErrNotFound
	}
	if c.Request().Method == http.MethodPost {
		if !p.FormPost() {
			return echo.ErrMethodNotAllowed
		}
		// The provider's answer is a cross-site POST, which brings no
		// SameSite=Lax cookie (__client, a kept invitation): go on as a
		// top-level GET of this same callback, which does. Nothing is
		// checked or used up here; the GET does all of it.
		form, err := c.FormParams()
		if err != nil {
			return err
		}
		return c.Redirect(http.StatusSeeOther, "/v1/oauth_callback/"+url.PathEscape(name)+"?"+form.Encode())
	}
	c.SetCookie(oauth.ClearPendingCookie(p.FormPost(), a.secureCookies()))
	params := c.QueryParams()
	var pend *oauth.Pending
	ck, err := c.Cookie(oauth.PendingCookieName(a.secureCookies()))
	if err != nil {
		err = oauth.ErrCookie
	} else if opened, openErr := a.Sealer.Open(ck.Value, a.Clock.Now()); openErr != nil {
		err = openErr
	} else {
		pend = &opened
	}
	// Failed callbacks are limited per network and per round trip
	// (REQ-RL-03), checked before anything is asked of the provider.
	if ok, retry := a.Limiter.Check(a.oauthFailedKey(c), a.limits.oauthFailed); !ok {
		intent, back := "", ""
		if pend != nil {
			intent, back = pend.Intent, pend.RedirectURL
		}
		return a.oauthLimited(c, intent, back, "oauth_failed", "", a.t(c, "error.rate.network", "Wait", a.waitText(c, retry)), retry)
	}
	if pend != nil {
		if ok, retry := a.Limiter.Check(oauthFlowKey(pend), a.limits.oauthFlow); !ok {
			return a.oauthLimited(c, pend.Intent, pend.RedirectURL, "oauth_flow", pend.UserID, a.t(c, "error.rate.flow"), retry)
		}
	}
	if err != nil {
		return a.callbackFailed(c, p, pend, err)
	}
	code, state, err := oauth.ParseCallback(p, params)
	if err != nil {
		return a.callbackFailed(c, p, pend, err)
	}
	if err := pend.Check(name, state); err != nil {
		return a.callbackFailed(c, p, pend, err)
	}
	who, err := p.Exchange(ctx, code, pend.Nonce, pend.Verifier, a.callbackURL(p))
	if err != nil {
		return a.callbackFailed(c, p, pend, err)
	}
	oauth.CallbackProfile(p, params, who)
	if pend.Intent == oauth.IntentConnect {
		sess, err := a.current(c)
		if err != nil {
			return err
		}
		// The account goes to the user who asked for it: not to whoever
		// signed in to this browser while the person was at the provider.
		if sess == nil || pend.UserID == "" || sess.UserID != pend.UserID {
			return a.callbackFailed(c, p, pend, oauth.ErrCookie)
		}
		if err := a.Social.Connect(ctx, sess.UserID, who); err != nil {
			return a.oauthFailed(c, p, pend, err)
		}
		return c.Redirect(http.StatusSeeOther, "/user?connected="+url.QueryEscape(p.Name()))
	}
	cid, err := a.ensureClient(c)
	if err != nil {
		return err
	}
	res, err := a.Social.SignIn(ctx, cid, who, a.heldInvite(c), pend.RedirectURL, a.meta(c))
	if errors.Is(err, signup.ErrInvitedAccount) {
		return a.notInvitedAccount(c, p, pend, err)
	}
	if err != nil {
		return a.oauthFailed(c, p, pend, err)
	}
	uid := sessionUser(res.Session)
	if res.Next != nil {
		uid = res.Next.UserID
	}
	a.logAttempt(c, stepFirstFactor, "oauth", uid, nil)
	if res.Session != nil {
		target, _ := a.Redirects.CheckOrPortal(orHome(pend.RedirectURL), a.base)
		return a.handBack(c, res.Session, target)
	}
	if res.Next != nil {
		return a.nextStep(c, res.Next)
	}
	if len(res.Flow.Data.Missing) > 0 {
		return c.Redirect(http.StatusSeeOther, "/sign-up/continue?sign_up="+url.QueryEscape(res.Flow.ID))
	}
	return c.Redirect(http.StatusSeeOther, signUpVerifyURL(res.Flow))
}

// notInvitedAccount answers a provider sign-up that a restricted instance
// refused because the provider did not vouch for the invited address: the
// sign-up page again, saying so, its form filled in with that address, and
// its provider buttons for another account. Nothing was made.
func (a *app) notInvitedAccount(c echo.Context, p oauth.Provider, pend *oauth.Pending, err error) error {
	a.Log.InfoContext(c.Request().Context(), "oauth sign-up refused: not the invited address", "provider", p.Name(),
		"request_id", RequestIDFrom(c.Request().Context()))
	q := url.Values{}
	if pend.RedirectURL != "" {
		q.Set("redirect_url", pend.RedirectURL)
	}
	e, _ := apperr.As(err)
	return a.renderSignUp(c, statusOf(e.Code), signup.Form{Email: a.invitedEmail(c)}, q, views.Errors{"": a.say(c, e)})
}

// oauthFailedKey is the network's count of failed provider callbacks.
func (a *app) oauthFailedKey(c echo.Context) string {
	return "oauth-failed:" + ratelimit.IPKey(RealIP(c))
}

// oauthFlowKey is one round trip's count of failed callbacks: its state,
// which only the sealed cookie and the provider's answer carry.
func oauthFlowKey(pend *oauth.Pending) string {
	return "oauth-flow:" + pend.State
}

// callbackFailed counts a failed callback against the network and the round
// trip, when the failure is one a forged, replayed or guessed answer makes
// (a missing or altered cookie or state, an answer for another provider, a
// code or ID token the provider or the portal refused), then answers as
// oauthFailed does. A person who cancels at the provider, and a provider
// that cannot be reached, read or answer (oauth.ProviderFault), are nobody's
// attempt and count for nothing, so an outage does not use up an office's
// allowance.
func (a *app) callbackFailed(c echo.Context, p oauth.Provider, pend *oauth.Pending, err error) error {
	switch {
	case errors.Is(err, oauth.ErrDenied), oauth.ProviderFault(err):
	default:
		a.Limiter.Allow(a.oauthFailedKey(c), a.limits.oauthFailed)
		if pend != nil {
			a.Limiter.Allow(oauthFlowKey(pend), a.limits.oauthFlow)
		}
	}
	return a.oauthFailed(c, p, pend, err)
}

// oauthLimited answers a provider sign-in, sign-up or connect that a limit
// refuses (REQ-RL-03): 429 with Retry-After, the "Too many attempts" page
// saying how long to wait, and the way back to where the person started.
func (a *app) oauthLimited(c echo.Context, intent, redirectURL, limit, userID, body string, retry time.Duration) error {
	a.logLimited(c, limit, userID)
	setRetryAfter(c, retry)
	back, backLabel := a.oauthBack(c, intent, redirectURL)
	c.Response().Header().Set("Cache-Control", "no-store")
	return a.message(c, http.StatusTooManyRequests, a.t(c, "page.rate_limited_title"), body, back, backLabel)
}

// oauthBack is the way back from a provider sign-in, sign-up or connect
// that stopped on a page of the portal's: to where the person started, with
// the app's redirect_url kept (not for a connect, which returns to /user).
func (a *app) oauthBack(c echo.Context, intent, redirectURL string) (href, label string) {
	switch intent {
	case oauth.IntentConnect:
		return "/user", a.t(c, "page.back_to_account")
	case oauth.IntentSignUp:
		href, label = "/sign-up", a.t(c, "oauth.back_to_sign_up")
	default:
		href, label = "/sign-in", a.t(c, "signin.back_to_sign_in")
	}
	if redirectURL != "" {
		href += "?redirect_url=" + url.QueryEscape(redirectURL)
	}
	return href, label
}

// oauthFailed ends a provider sign-in on a page a person understands, with a
// way back to where they started (pend, when the cookie opened, says
// where), and no session (REQ-LOG-02: the cause goes to the log).
func (a *app) oauthFailed(c echo.Context, p oauth.Provider, pend *oauth.Pending, err error) error {
	a.Log.WarnContext(c.Request().Context(), "oauth sign-in refused", "provider", p.Name(), "err", err,
		"request_id", RequestIDFrom(c.Request().Context()))
	a.logAttempt(c, stepFirstFactor, "oauth", "", err)
	name := p.DisplayName()
	intent, redirectURL := "", ""
	if pend != nil {
		intent, redirectURL = pend.Intent, pend.RedirectURL
	}
	connecting := intent == oauth.IntentConnect
	back, backLabel := a.oauthBack(c, intent, redirectURL)
	status, heading, body := http.StatusBadRequest, a.t(c, "oauth.failed_sign_in_title", "Provider", name),
		a.t(c, "oauth.failed_body", "Provider", name)
	if connecting {
		heading = a.t(c, "oauth.failed_connect_title", "Provider", name)
	}
	switch {
	case errors.Is(err, oauth.ErrDenied):
		heading, body = a.t(c, "oauth.cancelled_sign_in_title", "Provider", name), a.t(c, "oauth.cancelled_body")
		if connecting {
			heading = a.t(c, "oauth.cancelled_connect_title", "Provider", name)
		}
	case errors.Is(err, oauth.ErrCookie), errors.Is(err, oauth.ErrExpired), errors.Is(err, oauth.ErrState),
		errors.Is(err, oauth.ErrProvider):
		heading, body = a.t(c, "oauth.attempt_unusable_title"), a.t(c, "oauth.attempt_unusable_body")
	case oauth.ProviderFault(err):
		status = http.StatusBadGateway
		body = a.t(c, "oauth.bad_answer_body", "Provider", name)
	}
	if e, ok := apperr.As(err); ok && (errors.Is(err, social.ErrLinkRequired) || errors.Is(err, social.ErrTaken) ||
		e.Code == apperr.Forbidden || e.Code == apperr.Invalid || e.Code == apperr.Conflict) {
		status, body = statusOf(e.Code), a.say(c, e)
	}
	if errors.Is(err, signup.ErrInvitationOnly) && a.waitlistOn() {
		back, backLabel = "/waitlist", a.t(c, "button.join_waitlist")
		if pend != nil && pend.RedirectURL != "" {
			back += "?redirect_url=" + url.QueryEscape(pend.RedirectURL)
		}
	}
	return a.message(c, status, heading, body, back, backLabel)
}
