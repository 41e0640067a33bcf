package handlers

import (
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/redirect"
	"github.com/portalhq/portal/internal/signintoken"
	"github.com/portalhq/portal/internal/user"
	"github.com/portalhq/portal/views"
)

// Sign-in tokens, Clerk's /v1/sign_in_tokens: the Backend API makes a
// one-time link, /sign-in?__clerk_ticket=…, that signs a user in (actor
// tokens, actortokens.go, use the same link and pages). Opening
// it only shows whose account it opens and a button (mail scanners fetch
// links, REQ-OTP-09; no session without the person's action, REQ-SES-07);
// the button's POST uses the token and signs in like every other way.

// ticketAction is where the confirmation page posts.
const ticketAction = "/sign-in/ticket"

// ticketPage is GET /sign-in with __clerk_ticket: the confirmation. It is
// shown to a browser signed in as someone else too: continuing signs it in
// as the token's user instead. The page sends no Referer.
func (a *app) ticketPage(c echo.Context, q url.Values) error {
	c.Response().Header().Set("Referrer-Policy", "no-referrer")
	ticket := q.Get(signintoken.Param)
	t, u, err := a.SignIn.Tickets.Peek(c.Request().Context(), ticket)
	if err != nil {
		return a.ticketFailed(c, err)
	}
	account := ticketAccount(u)
	p := views.TicketConfirm{Page: a.page(c, a.t(c, "button.sign_in")), Action: ticketAction,
		Hidden:  append([]views.Hidden{{Name: signintoken.Param, Value: ticket}}, redirectHidden(q)...),
		Account: account, Button: a.t(c, "sign_in_token.continue", "Account", account)}
	p.Heading = a.t(c, "signin.start_title", "App", p.Page.AppName)
	p.Body = a.t(c, "sign_in_token.confirm_body", "App", p.Page.AppName, "Account", account)
	if t.Impersonates() {
		a.actorConfirm(c, &p, t)
	}
	p.Page.NoReferrer = true
	return render(c, http.StatusOK, views.TicketConfirmPage(p))
}

// ticketAccount names the account a token signs in to: its primary email
// address, else its username, else its phone number.
func ticketAccount(u *user.User) string {
	if name := u.AccountName(); name != "" {
		return name
	}
	return u.ID
}

// POST /sign-in/ticket: use the token (once) and sign in, then hand back
// to the target as every sign-in does — or go on to the second step for
// an account that has one.
func (a *app) signInTicket(c echo.Context) error {
	c.Response().Header().Set("Referrer-Policy", "no-referrer")
	ctx := c.Request().Context()
	form, _ := c.FormParams()
	target, err := a.Redirects.ResolveOrPortal(form, redirect.SignIn, a.base)
	if err != nil {
		return a.refusedRedirect(c, err)
	}
	if ok, msg := a.allow(c, "attempt", a.limits.attempt); !ok {
		return a.message(c, http.StatusTooManyRequests, a.t(c, "page.rate_limited_title"), msg, "", "")
	}
	if a.SignIn.Tickets == nil {
		return a.ticketFailed(c, signintoken.ErrGone)
	}
	cid, err := a.ensureClient(c)
	if err != nil {
		return err
	}
	sess, f, err := a.SignIn.SignInWithTicket(ctx, cid, form.Get(signintoken.Param), targetString(target), a.meta(c))
	if err != nil {
		a.logAttempt(c, stepFirstFactor, flow.Ticket, "", err)
		return a.ticketFailed(c, err)
	}
	a.logAttempt(c, stepFirstFactor, flow.Ticket, f.UserID, nil)
	if sess == nil { // a second factor, or a new password, first
		return a.nextStep(c, f)
	}
	return a.handBack(c, sess, target)
}

// ticketFailed explains a token that can't be used (410, like an
// invitation's) or an account that can't sign in.
func (a *app) ticketFailed(c echo.Context, err error) error {
	e, ok := apperr.As(err)
	if !ok {
		return err
	}
	if e.Code == apperr.Expired {
		return a.message(c, http.StatusGone, a.t(c, "sign_in_token.gone_title"), a.t(c, "sign_in_token.gone_body"), "/sign-in", a.t(c, "page.go_to_sign_in"))
	}
	return a.message(c, statusOf(e.Code), a.t(c, "page.error_title"), a.say(c, e), "/sign-in", a.t(c, "page.go_to_sign_in"))
}

type signInTokenBody struct {
	UserID           string `json:"user_id"`
	ExpiresInSeconds *int64 `json:"expires_in_seconds"`
}

func (a *app) signInTokensOn() error {
	if a.SignInTokens == nil {
		return &apiError{Status: http.StatusNotFound, Code: "resource_not_found", Message: "not found",
			LongMessage: "This instance does not use sign-in tokens."}
	}
	return nil
}

// POST /v1/sign_in_tokens: the answer carries the token and its url, once;
// only the token's hash is kept.
func (a *app) apiSignInTokenCreate(c echo.Context) error {
	if err := a.signInTokensOn(); err != nil {
		return err
	}
	var b signInTokenBody
	if err := bindJSON(c, &b); err != nil {
		return err
	}
	tok, ticket, link, err := a.SignInTokens.Create(c.Request().Context(),
		signintoken.CreateInput{UserID: b.UserID, ExpiresInSeconds: b.ExpiresInSeconds})
	if err != nil {
		return err
	}
	return apiJSON(c, http.StatusOK, tok.ToObject(ticket, link))
}

// POST /v1/sign_in_tokens/:id/revoke
func (a *app) apiSignInTokenRevoke(c echo.Context) error {
	if err := a.signInTokensOn(); err != nil {
		return err
	}
	tok, err := a.SignInTokens.Revoke(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return apiJSON(c, http.StatusOK, tok.ToObject("", ""))
}
