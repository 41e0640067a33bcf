package handlers

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/signintoken"
	"github.com/portalhq/portal/views"
)

// Actor tokens, Clerk's /v1/actor_tokens: impersonation. The Backend API
// makes a one-time link, the same /sign-in?__clerk_ticket=… as a sign-in
// token's, whose confirmation page says plainly that it starts an
// impersonation session (ticketPage); its button signs the browser in as
// the user, with the actor recorded on the session. Every page of that
// session then carries a banner saying who is acting for whom.

type actorTokenBody struct {
	UserID                      string          `json:"user_id"`
	Actor                       json.RawMessage `json:"actor"`
	ExpiresInSeconds            *int64          `json:"expires_in_seconds"`
	SessionMaxDurationInSeconds *int64          `json:"session_max_duration_in_seconds"`
}

func (a *app) actorTokensOn() error {
	if a.SignInTokens == nil {
		return &apiError{Status: http.StatusNotFound, Code: "resource_not_found", Message: "not found",
			LongMessage: "This instance does not use actor tokens."}
	}
	return nil
}

// POST /v1/actor_tokens: the answer carries the token and its url, once;
// only the token's hash is kept.
func (a *app) apiActorTokenCreate(c echo.Context) error {
	if err := a.actorTokensOn(); err != nil {
		return err
	}
	var b actorTokenBody
	if err := bindJSON(c, &b); err != nil {
		return err
	}
	tok, ticket, link, err := a.SignInTokens.CreateActor(c.Request().Context(), signintoken.ActorInput{UserID: b.UserID,
		Actor: b.Actor, ExpiresInSeconds: b.ExpiresInSeconds, SessionMaxDurationInSeconds: b.SessionMaxDurationInSeconds})
	if err != nil {
		return err
	}
	return apiJSON(c, http.StatusOK, tok.ToActorObject(ticket, link))
}

// POST /v1/actor_tokens/:id/revoke
func (a *app) apiActorTokenRevoke(c echo.Context) error {
	if err := a.actorTokensOn(); err != nil {
		return err
	}
	tok, err := a.SignInTokens.RevokeActor(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return apiJSON(c, http.StatusOK, tok.ToActorObject("", ""))
}

// actorConfirm words the confirmation page of an actor token: whose
// account, on behalf of whom, and that this is an impersonation session
// that ends by itself.
func (a *app) actorConfirm(c echo.Context, p *views.TicketConfirm, t *signintoken.Token) {
	actor := a.actorName(c, t.Actor)
	minutes := max(1, int((t.SessionMax+time.Minute-1)/time.Minute)) // rounded up
	p.Heading = a.t(c, "actor_token.confirm_title", "Account", p.Account, "Actor", actor)
	p.Body = a.localizer(c).N("actor_token.confirm_body", minutes, "App", p.Page.AppName, "Account", p.Account, "Actor", actor)
	p.Button = a.t(c, "actor_token.continue", "Account", p.Account)
}

// actorName names the actor for a person: the account of the user their
// sub names, when it is one of this instance's users, else the sub as it
// was given.
func (a *app) actorName(c echo.Context, actor json.RawMessage) string {
	sub := signintoken.ActorSub(actor)
	if strings.HasPrefix(sub, id.User+"_") {
		if u, err := a.Users.UserByID(c.Request().Context(), sub); err == nil {
			return ticketAccount(u)
		}
	}
	return sub
}

// impersonation is the banner of a page seen in an impersonation session:
// the session the request already looked up (a.current), so that pages
// without a session cost nothing more.
func (a *app) impersonation(c echo.Context) *views.Impersonation {
	sess, _ := c.Get(currentKey).(*session.Session)
	if sess == nil || !sess.Impersonated() {
		return nil
	}
	account := sess.UserID
	if u, err := a.Users.UserByID(c.Request().Context(), sess.UserID); err == nil {
		account = ticketAccount(u)
	}
	return &views.Impersonation{Account: account, Actor: a.actorName(c, sess.Actor)}
}
