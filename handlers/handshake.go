package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/redirect"
	"github.com/portalhq/portal/internal/session"
)

// GET /v1/client/handshake?redirect_url=…: a relying app whose token expired
// sends the browser here. With a live session it gets a fresh token; without
// one the app cookies are cleared. Either way the answer is 307 back to the
// app, which never comes back here in a loop: a signed-out browser returns
// with __client_uat=0 and the app treats it as signed out. An
// organization_id parameter (ID or slug, empty = personal account) makes
// that organization active first when the person is a member of it.
func (a *app) handshake(c echo.Context) error {
	raw := c.QueryParam("redirect_url")
	if raw == "" {
		return a.message(c, http.StatusBadRequest, a.t(c, "page.link_unusable_title"), a.t(c, "page.no_return_body"), "", "")
	}
	target, err := a.Redirects.CheckOrPortal(raw, a.base)
	if err != nil {
		return a.refusedRedirect(c, err)
	}
	sess, err := a.current(c)
	if err != nil {
		return err
	}
	if sess, err = a.forApps(c, sess, target); err != nil {
		return err
	}
	a.noteRefusedToken(c, sess, target)
	if sess == nil {
		a.clearSessionCookies(c)
		return c.Redirect(http.StatusTemporaryRedirect, target.String())
	}
	tok, _, err := a.Sessions.Token(c.Request().Context(), sess, redirect.Origin(target))
	if errors.Is(err, session.ErrSignedOut) || apperr.CodeOf(err) == apperr.Unauthorized {
		a.clearSessionCookies(c)
		return c.Redirect(http.StatusTemporaryRedirect, target.String())
	}
	if err != nil {
		return err
	}
	a.setSessionCookies(c, tok, sess.CreatedAt)
	return c.Redirect(http.StatusTemporaryRedirect, target.String())
}

// refusedTokenAge is how recent a token the handshake hands out again may
// be for noteRefusedToken to name the app: older than that, an app may
// have had reasons of its own to refresh it.
const refusedTokenAge = 10 * time.Second

// noteRefusedToken logs a warning when the browser comes for a fresh token
// while it holds one the portal issued for this app moments ago and that
// is still good: the app refuses what the portal gives it, and sends the
// browser back, round and round until the browser gives up ("too many
// redirects"). The usual causes are the app's: its clock, the issuer or
// origin it expects, a JWKS it never fetches again. The log line says
// which values to compare. A switch of organization (organization_id) is
// a reason of its own, and two tabs refreshing at once may cross once.
func (a *app) noteRefusedToken(c echo.Context, sess *session.Session, target *url.URL) {
	if sess == nil || c.QueryParams().Has("organization_id") {
		return
	}
	ck, err := c.Request().Cookie(sessionCookie)
	// An expired token, what the handshake mostly sees, is told by its iat
	// before any signature is checked.
	if err != nil || !a.Signer.IssuedWithin(ck.Value, refusedTokenAge) {
		return
	}
	claims, err := a.Signer.Verify(ck.Value, a.Sessions.Issuer)
	origin := redirect.Origin(target)
	now := a.Clock.Now()
	if err != nil || claims.AuthorizedParty != origin || claims.SessionID != sess.ID ||
		now.Sub(time.Unix(claims.IssuedAt, 0)) > refusedTokenAge {
		return
	}
	stamp := func(unix int64) string { return time.Unix(unix, 0).UTC().Format(time.RFC3339) }
	a.Log.WarnContext(c.Request().Context(), "handshake for an app that holds a token the portal issued it moments ago "+
		"and that is still good: the app refuses the token, and if the browser goes round between the app and the "+
		"handshake (\"too many redirects\"), check in the app its clock against the portal's (portal_time; the token "+
		"is good from nbf to exp), the issuer it expects (iss, the portal's base URL), its own origin as azp, and "+
		"that it fetches the JWKS again for a kid it has not seen (portal keys rotate)",
		"origin", origin, "portal_time", now.UTC().Format(time.RFC3339), "iss", claims.Issuer, "azp", claims.AuthorizedParty,
		"nbf", stamp(claims.NotBefore), "exp", stamp(claims.Expiry), "kid", a.Signer.ActiveKID(),
		// Clerk's SDKs name why they sent the browser (__clerk_hs_reason):
		// session-token-nbf or session-token-iat-in-the-future is the
		// app's clock behind the portal's.
		"app_reason", c.QueryParam("__clerk_hs_reason"),
		"request_id", RequestIDFrom(c.Request().Context()))
}

// forApps is sess as the relying apps may see it, for the handshake and
// the front end's token endpoint: nil (signed out) while a required second
// factor is still to enrol — the app's sign-in page leads through the
// enrolment — or an organization must be chosen first; this order is
// handBack's. The request's organization_id, when there is one, is applied.
func (a *app) forApps(c echo.Context, sess *session.Session, target *url.URL) (*session.Session, error) {
	if sess == nil {
		return nil, nil
	}
	if enrol, err := a.mustEnrol(c, sess, target); err != nil || enrol != "" {
		return nil, err
	}
	if a.Orgs == nil {
		return sess, nil
	}
	sess, pending, err := a.handshakeOrg(c, sess)
	if err != nil || pending {
		return nil, err
	}
	return sess, nil
}
