package handlers

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/avatar"
	"github.com/portalhq/portal/internal/org"
	"github.com/portalhq/portal/internal/redirect"
	"github.com/portalhq/portal/internal/store"
	"github.com/portalhq/portal/views"
)

const day = 24 * time.Hour

// page fills what every page shell needs.
func (a *app) page(c echo.Context, title string) views.Page {
	p := views.Page{Title: title, AppName: a.Config.AppName, Lang: "en", Nonce: CSPNonce(c),
		CSRF: CSRFToken(c), DevMode: a.Config.Dev()}
	a.dress(c, &p)
	p.Impersonation = a.impersonation(c)
	return p
}

// render writes a templ component as an HTML page with status. A page
// answered 4xx is a form sent back with something to fix, and its title
// says so (views.WithFormError); message pages go through renderMessage.
func render(c echo.Context, status int, comp templ.Component) error {
	ctx := c.Request().Context()
	if status >= 400 && status < 500 {
		ctx = views.WithFormError(ctx)
		if u := stepAddress(c); u != "" {
			ctx = views.WithStepURL(ctx, u)
		}
	}
	return write(ctx, c, status, comp)
}

// formPages are forms without a flow whose page a GET shows again: sent
// back with a mistake, the answer's history entry takes the address of the
// form's page (the route's parameters from the request, the redirect
// parameters the form carries), so that a reload or Back shows the page
// again instead of offering to send the form again ("Confirm Form
// Resubmission"), a password with it. Forms marked data-keep-typed get
// what was typed back from static/typed.js, which keeps it in the tab's
// session storage (never passwords or codes): an email address or a name
// in the address would end up in the history list and in logs.
var formPages = map[string]string{
	"/sign-up":                                            "/sign-up",
	"/create-organization":                                "/create-organization",
	"/user/profile":                                       "/user",
	"/user/email-addresses":                               "/user/email-addresses/new",
	"/user/phone-numbers":                                 "/user/phone-numbers/new",
	"/organizations/:org_id":                              "/organizations/:org_id",
	"/organizations/:org_id/domains":                      "/organizations/:org_id",
	"/organizations/:org_id/invitations":                  "/organizations/:org_id/invitations",
	"/organizations/:org_id/domains/:domain_id/send-code": "/organizations/:org_id/domains/:domain_id",
	// Forms of passwords, and confirmations typed to delete or leave: the
	// page again, typed anew (their forms are not marked). A reload must
	// not send a password again.
	"/user/password":                "/user/password",
	"/user/delete":                  "/user/delete",
	"/organizations/:org_id/delete": "/organizations/:org_id",
	"/organizations/:org_id/leave":  "/organizations/:org_id",
}

// filled is the route pattern with its parameters (":org_id") taken from
// the request.
func filled(pattern string, c echo.Context) string {
	parts := strings.Split(pattern, "/")
	for i, part := range parts {
		if name, ok := strings.CutPrefix(part, ":"); ok {
			parts[i] = url.PathEscape(c.Param(name))
		}
	}
	return strings.Join(parts, "/")
}

// flowParams are the form fields that carry a flow's ID from step to step,
// named as the steps' addresses name them; "return" is where "confirm
// it's you" (/user/verify) goes on to, with the way chosen ("strategy").
var flowParams = []string{"sign_in", "sign_up", "flow", "return"}

// stepAddress is the address of the step a POST carrying a flow's ID sent
// back with a mistake: its path with that ID, when a GET of that path is
// a page (it shows the step where the flow is now); for a form of
// formPages, its page. "" otherwise: the entry stays the POST's.
func stepAddress(c echo.Context) string {
	r := c.Request()
	if r.Method != http.MethodPost {
		return ""
	}
	if pattern, ok := formPages[c.Path()]; ok {
		page := filled(pattern, c)
		q := url.Values{}
		for _, name := range redirect.Params() {
			if v := c.FormValue(name); v != "" {
				q.Set(name, v)
			}
		}
		if len(q) == 0 {
			return page
		}
		return page + "?" + q.Encode()
	}
	q := url.Values{}
	for _, name := range flowParams {
		if v := c.FormValue(name); v != "" {
			q.Set(name, v)
		}
	}
	if len(q) == 0 {
		return ""
	}
	if q.Has("return") && c.FormValue("strategy") != "" {
		q.Set("strategy", c.FormValue("strategy"))
	}
	// The step's own path, or the one it is an action of
	// (/sign-up/verify-email-address/resend).
	for _, path := range []string{c.Path(), c.Path()[:max(0, strings.LastIndex(c.Path(), "/"))]} {
		for _, rt := range c.Echo().Routes() {
			if rt.Method == http.MethodGet && rt.Path == path && path != "" && !strings.Contains(path, ":") {
				return path + "?" + q.Encode()
			}
		}
	}
	return ""
}

// renderMessage is render for a page whose heading names what went wrong
// ("Link expired"): its title is that heading alone.
func renderMessage(c echo.Context, status int, comp templ.Component) error {
	return write(c.Request().Context(), c, status, comp)
}

// write renders comp whole even when the request is out of time (see
// Deadline): the status is sent already, and a page cut off at its first
// component would be an empty 200; writing it costs no more waiting.
func write(ctx context.Context, c echo.Context, status int, comp templ.Component) error {
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	c.Response().WriteHeader(status)
	return comp.Render(context.WithoutCancel(ctx), c.Response())
}

// message renders the one-sentence page used for errors and notices.
func (a *app) message(c echo.Context, status int, heading, body, back, backLabel string) error {
	p := views.Message{Page: a.page(c, heading), Status: status, Heading: heading, Body: body,
		BackURL: back, BackLabel: backLabel}
	if status >= 500 {
		p.RequestID = RequestIDFrom(c.Request().Context())
	}
	return renderMessage(c, status, views.MessagePage(p))
}

// statusOf maps an error's code to an HTTP status.
func statusOf(code apperr.Code) int {
	switch code {
	case apperr.Invalid:
		return http.StatusUnprocessableEntity
	case apperr.NotFound:
		return http.StatusNotFound
	case apperr.Conflict:
		return http.StatusConflict
	case apperr.Unauthorized:
		return http.StatusUnauthorized
	case apperr.Forbidden:
		return http.StatusForbidden
	case apperr.RateLimited:
		return http.StatusTooManyRequests
	case apperr.Unavailable:
		return http.StatusServiceUnavailable
	case apperr.Expired:
		return http.StatusGone
	}
	return http.StatusInternalServerError
}

// formErrors turns a safe error into the field messages of a form. ok is
// false for errors that are not the person's to fix (they go to errorHandler).
// The message is in the request's language.
func (a *app) formErrors(c echo.Context, err error) (views.Errors, int, bool) {
	e, ok := apperr.As(err)
	if !ok {
		return nil, 0, false
	}
	return views.Errors{e.Field: a.say(c, e)}, statusOf(e.Code), true
}

// errorHandler renders every error that reached Echo: safe errors with their
// message, anything else as "Something went wrong" with the request ID,
// the cause going to the log only (REQ-LOG-02).
func (a *app) errorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	var he *echo.HTTPError
	if errors.As(err, &he) && isAPIRequest(c) {
		a.apiHTTPError(c, he)
		return
	}
	switch {
	case errors.As(err, &he):
		heading, body := a.t(c, "page.bad_request_title"), a.t(c, "page.check_address")
		switch he.Code {
		case http.StatusNotFound:
			heading, body = a.t(c, "page.not_found_title"), a.t(c, "page.not_found_body")
		case http.StatusMethodNotAllowed:
			heading, body = a.t(c, "page.wrong_method_title"), a.t(c, "page.wrong_method_body")
			if allow := c.Response().Header().Get(echo.HeaderAllow); allow != "" && !strings.Contains(allow, http.MethodPost) {
				// A form sent to an address that only opens as a link (an
				// app sending a form post on to the handshake with a 307):
				// "only takes what a form sends" would say the opposite.
				heading, body = a.t(c, "page.link_only_title"), a.t(c, "page.link_only_body")
			}
		case http.StatusRequestEntityTooLarge:
			heading, body = a.t(c, "page.too_large_title"), a.t(c, "page.too_large_body")
			if c.Path() == "/user/profile-image" {
				_ = a.message(c, he.Code, a.t(c, "page.image_too_large_title"), a.say(c, avatar.ErrTooLarge), "/user",
					a.t(c, "page.back_to_account"))
				return
			}
			if form := logoForm(c); form != "" && errors.Is(err, errTooLarge) {
				_ = a.message(c, he.Code, a.t(c, "page.image_too_large_title"), a.sayErr(c, org.ErrLogoTooLarge), form,
					a.t(c, "button.go_back"))
				return
			}
		}
		_ = a.message(c, he.Code, heading, body, "/sign-in", a.t(c, "page.go_to_sign_in"))
	default:
		if e, ok := apperr.As(err); ok && e.Code != "" {
			if e.Err != nil {
				a.Log.WarnContext(c.Request().Context(), "request failed", "err", err,
					"request_id", RequestIDFrom(c.Request().Context()))
			}
			_ = a.message(c, statusOf(e.Code), a.headingFor(c, e.Code), a.say(c, e), "/sign-in", a.t(c, "page.start_again"))
			return
		}
		if a.interrupted(c, err, "") {
			// A write under way when the database restarted, or one that
			// waited too long for a row another session held: not a fault
			// of the request nor of the code, and sending it again works.
			_ = a.message(c, http.StatusServiceUnavailable, a.t(c, "page.unavailable_title"),
				a.t(c, "page.interrupted_body"), "/", a.t(c, "page.start_again"))
			return
		}
		a.Log.ErrorContext(c.Request().Context(), "internal error", "err", err,
			"request_id", RequestIDFrom(c.Request().Context()))
		a.somethingWentWrong(c)
	}
}

// interrupted reports whether the database did something to the request
// that sending it again can get through: a connection lost (back at once),
// a database that refuses connections (stopped or restarting: back in a
// while) or a lock held past the lock wait (likely held a while longer). If so,
// it logs a warning naming the cause (after prefix) and sets Retry-After;
// the caller answers 503 in its own form.
func (a *app) interrupted(c echo.Context, err error, prefix string) bool {
	var cause, retry string
	level := slog.LevelWarn
	switch {
	case store.CannotWrite(err):
		// Lasts until someone acts: an error, for the alert that wakes them.
		cause, retry, level = "database cannot write: its disk is full or it is read-only (SQLite: free space "+
			"on the volume of PORTAL_DATABASE_URL's file and check its and its folder's permissions; PostgreSQL: "+
			"free disk space, or point PORTAL_DATABASE_URL at the primary); served again by itself once fixed", "30", slog.LevelError
	case store.ConnectionLost(err):
		cause, retry = "database connection lost", "1"
	case store.Busy(err):
		cause, retry = "database busy: gave up waiting for a lock another session held", "5"
	case errors.Is(err, context.DeadlineExceeded) && errors.Is(c.Request().Context().Err(), context.DeadlineExceeded):
		cause, retry = "out of time: what the request waited for (the database, a provider) did not answer "+
			"within the write timeout (PORTAL_WRITE_TIMEOUT)", "5"
	case store.Unreachable(err):
		cause, retry = "database unreachable: could not connect to the database (stopped, restarting, or its network down)", "5"
	default:
		return false
	}
	ctx := c.Request().Context()
	a.Log.Log(ctx, level, prefix+cause, "err", err, "request_id", RequestIDFrom(ctx))
	c.Response().Header().Set("Retry-After", retry)
	return true
}

// somethingWentWrong is the page for an error that is not the person's
// doing; the request ID on it finds the cause in the log.
func (a *app) somethingWentWrong(c echo.Context) error {
	return a.message(c, http.StatusInternalServerError, a.t(c, "page.error_title"), a.t(c, "page.error_body"),
		"/", a.t(c, "page.start_again"))
}

// headingFor is the heading of the page that shows a safe error: what
// happened, in words (the status is in the page's small print). "Something
// went wrong" is kept for what is not the person's doing.
func (a *app) headingFor(c echo.Context, code apperr.Code) string {
	switch code {
	case apperr.Expired:
		return a.t(c, "page.expired_title")
	case apperr.RateLimited:
		return a.t(c, "page.rate_limited_title")
	case apperr.Unavailable:
		return a.t(c, "page.unavailable_title")
	case apperr.Invalid:
		return a.t(c, "page.link_unusable_title")
	case apperr.NotFound:
		return a.t(c, "page.not_found_short")
	case apperr.Forbidden, apperr.Unauthorized:
		return a.t(c, "page.forbidden_title")
	case apperr.Conflict:
		return a.t(c, "page.conflict_title")
	}
	return a.t(c, "page.error_title")
}

func maxDuration(a, b time.Duration) time.Duration {
	if a > b {
		return a
	}
	return b
}

// isAPIRequest is true for a Backend API call that matched no route: it
// gets JSON, not an HTML page.
func isAPIRequest(c echo.Context) bool {
	return strings.HasPrefix(c.Request().URL.Path, "/v1/") &&
		strings.HasPrefix(c.Request().Header.Get(echo.HeaderAuthorization), "Bearer ")
}
