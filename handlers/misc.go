package handlers

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/views"
)

// GET /: who is signed in, for a person who came to the portal directly.
func (a *app) home(c echo.Context) error {
	sess, err := a.current(c)
	if err != nil {
		return err
	}
	if sess == nil {
		return c.Redirect(http.StatusSeeOther, "/sign-in")
	}
	u, err := a.Users.UserByID(c.Request().Context(), sess.UserID)
	if errors.Is(err, apperr.ErrNotFound) {
		return c.Redirect(http.StatusSeeOther, "/sign-in")
	}
	if err != nil {
		return err
	}
	a.followAccountLocale(c, u)
	// Accounts without an email are named by what they have, as on /sign-out.
	name, who := u.FullName(), firstNonEmpty(u.PrimaryEmail(), u.Username(), a.displayPhone(u.PrimaryPhone()))
	if who == "" {
		name, who = "", name
	}
	return render(c, http.StatusOK, views.HomePage(views.Home{Page: a.page(c, a.t(c, "home.page_title")),
		Name: name, Email: who, AccountURL: "/user", SignOutURL: "/sign-out"}))
}

// GET /.well-known/jwks.json: precomputed bytes, cacheable for a few minutes
// (rotation keeps the previous key published longer than that).
func (a *app) jwks(c echo.Context) error {
	body, etag := a.Signer.JWKSWithETag()
	h := c.Response().Header()
	h.Set("Cache-Control", "public, max-age=300")
	h.Set("ETag", etag)
	h.Set("Access-Control-Allow-Origin", "*") // public keys; readable by any app
	if etagMatches(c.Request().Header.Get("If-None-Match"), etag) {
		return c.NoContent(http.StatusNotModified)
	}
	return c.Blob(http.StatusOK, "application/json", body)
}

// etagMatches reports whether an If-None-Match header names etag, as RFC
// 9110 §13.1.2 has it: "*", or a comma-separated list of tags compared
// weakly (W/ ignored). Caches send every tag they hold, and proxies that
// compress weaken tags, so an exact string compare would miss both.
func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == strings.TrimPrefix(etag, "W/") {
			return true
		}
	}
	return false
}

// GET /healthz: the process is up.
func (a *app) healthz(c echo.Context) error { return c.String(http.StatusOK, "ok") }

// GET /readyz: the database answers and takes writes (Deps.Ready), and the
// portal is not shutting down.
// While it serves out its shutdown delay it answers 503 "shutting down"
// (logged at info: the operator asked for it), so that a load balancer or
// Kubernetes takes it out of rotation before it stops taking connections.
func (a *app) readyz(c echo.Context) error {
	if a.ShuttingDown != nil && a.ShuttingDown() {
		c.Set(shuttingDownKey, true)
		return c.String(http.StatusServiceUnavailable, "shutting down")
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if a.Ready != nil {
		if err := a.Ready(ctx); err != nil {
			noteCause(c, err) // on the request's line, a warning
			return c.String(http.StatusServiceUnavailable, "not ready")
		}
	}
	return c.String(http.StatusOK, "ready")
}

// GET /dev/outbox: the messages the development outbox captured.
func (a *app) devOutbox(c echo.Context) error {
	if a.Outbox == nil || !a.Config.Dev() {
		return echo.ErrNotFound
	}
	msgs, err := a.Outbox.ListOutbox(c.Request().Context(), 100)
	if err != nil {
		return err
	}
	items := make([]views.OutboxItem, 0, len(msgs))
	for _, m := range msgs {
		item := views.OutboxItem{ID: m.ID, Channel: m.Channel, To: m.To, Subject: m.Subject,
			Text: m.Text, CreatedAt: m.CreatedAt.Format(time.RFC3339)}
		if m.HTML != "" {
			item.HTMLURL = "/dev/outbox/" + url.PathEscape(m.ID) + "/html"
		}
		items = append(items, item)
	}
	return render(c, http.StatusOK, views.OutboxPage(views.Outbox{Page: a.page(c, a.t(c, "dev.outbox_page_title")), Items: items}))
}

// outboxHTMLPolicy is the security policy of an email's HTML part shown
// on /dev/outbox. The email is the portal's own, but it carries names
// people chose, so it is shown as mail clients show mail: no script, no
// form, no plugin, no fetching but images (over https or inline), and
// sandboxed into an origin of its own, so that nothing in it could act as
// the portal. Its inline styles are all that make it look as sent. Its
// links open in a new tab, outside the sandbox, as a mail client opens
// them in the browser (views.OutboxSandbox). Framing is allowed to the
// outbox page only.
const outboxHTMLPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data: https:; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'self'; sandbox " + views.OutboxSandbox

// outboxDocStart matches what may come before an email's <base>: the
// <head> tag, else the doctype and the <html> tag, either optional.
var outboxDocStart = regexp.MustCompile(`(?is)^.*?<head(?:\s[^>]*)?>|^\s*(?:<!doctype[^>]*>)?\s*(?:<html(?:\s[^>]*)?>)?`)

// outboxHTML is an email's HTML part with every link made to open in a new
// tab: in the sandboxed frame, a link that opened in the frame would go
// nowhere (the portal's pages refuse to be framed). A <base> with no href
// is not what base-uri restricts.
func outboxHTML(doc string) string {
	end := outboxDocStart.FindStringIndex(doc)[1]
	return doc[:end] + `<base target="_blank">` + doc[end:]
}

// GET /dev/outbox/:id/html: a captured email's HTML part, as it was sent,
// for the frame on /dev/outbox. Development only, as the outbox is.
func (a *app) devOutboxHTML(c echo.Context) error {
	if a.Outbox == nil || !a.Config.Dev() {
		return echo.ErrNotFound
	}
	m, err := a.Outbox.OutboxMessage(c.Request().Context(), c.Param("id"))
	if errors.Is(err, apperr.ErrNotFound) || err == nil && m.HTML == "" {
		return echo.ErrNotFound
	}
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Content-Security-Policy", outboxHTMLPolicy)
	h.Set("X-Frame-Options", "SAMEORIGIN")
	h.Set("Referrer-Policy", "no-referrer") // an image it loads learns nothing of the outbox
	return c.HTMLBlob(http.StatusOK, []byte(outboxHTML(m.HTML)))
}
