package handlers

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/netip"
	"net/url"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/session"
)

// The middleware below is meant to run in this order, outermost first:
//
//	RequestID, ClientIP, Compress, Logger, Recover, SecurityHeaders,
//	NoStore, BodyLimit, FormLimit, CSRF
//
// Logger sits outside Recover so that a recovered panic is logged as a 500,
// and RequestID and ClientIP sit outside Logger so that its line has both.
// Compress sits outside Logger so that the error pages Logger renders are
// compressed too.

type ctxKey int

const (
	requestIDKey ctxKey = iota
	clientIPKey
)

// Keys for values kept on the echo.Context.
const (
	nonceKey = "portal.cspNonce"
	widenKey = "portal.cspWiden"
	csrfKey  = "portal.csrfToken"
)

// HeaderRequestID carries the request ID back to the browser, so that a person
// reporting a problem can quote it.
const HeaderRequestID = "X-Request-Id"

// RequestID gives every request a fresh random ID. An incoming X-Request-Id is
// ignored: it could be chosen by anyone and would then pollute the logs.
func RequestID() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			rid := id.Secret(12)
			c.Response().Header().Set(HeaderRequestID, rid)
			r := c.Request()
			c.SetRequest(r.WithContext(context.WithValue(r.Context(), requestIDKey, rid)))
			return next(c)
		}
	}
}

// Deadline gives each request's context the time in which its answer can
// still be written (the server's write timeout, less a margin for the
// error page), so that a database or service that stops answering ends
// the request with "Something interrupted this request" instead of holding
// it, and a pool connection, until the browser gives up. Work a request
// leaves to run after its answer (Later) is not bound by it.
func Deadline(write time.Duration) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		if write <= 0 {
			return next
		}
		d := write - min(write/10, 2*time.Second)
		return func(c echo.Context) error {
			r := c.Request()
			ctx, cancel := context.WithTimeout(r.Context(), d)
			defer cancel()
			c.SetRequest(r.WithContext(ctx))
			return next(c)
		}
	}
}

// RequestIDFrom returns the request ID set by RequestID, or "".
func RequestIDFrom(ctx context.Context) string {
	rid, _ := ctx.Value(requestIDKey).(string)
	return rid
}

// ClientIP works out the client's address (REQ-RL-06): the TCP peer, unless
// the peer is one of the trusted proxies; then X-Forwarded-For is read right
// to left, skipping trusted hops, and the first untrusted hop is the client.
// Hops left of it were written by the client and are never believed, and
// X-Real-IP is ignored altogether, so no end user can choose their address.
func ClientIP(trusted []netip.Prefix) echo.MiddlewareFunc {
	nets := make([]netip.Prefix, len(trusted))
	for i, p := range trusted {
		nets[i] = p.Masked()
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			ip := clientIP(r, nets)
			ctx := context.WithValue(r.Context(), clientIPKey, ip)
			// The events this request writes say where it came from
			// (webhooks' event_attributes.http_request).
			ctx = events.WithRequest(ctx, events.Request{ClientIP: ip.String(), UserAgent: r.UserAgent()})
			c.SetRequest(r.WithContext(ctx))
			return next(c)
		}
	}
}

func clientIP(r *http.Request, trusted []netip.Prefix) netip.Addr {
	isTrusted := func(a netip.Addr) bool {
		for _, p := range trusted {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	addr := peerAddr(r.RemoteAddr)
	if !isTrusted(addr) {
		return addr
	}
	lines := r.Header.Values("X-Forwarded-For")
	for i := len(lines) - 1; i >= 0; i-- {
		hops := strings.Split(lines[i], ",")
		for j := len(hops) - 1; j >= 0; j-- {
			hop, ok := parseHop(hops[j])
			if !ok {
				// A trusted proxy never writes garbage, so the client did:
				// the last hop we could vouch for is the best answer.
				return addr
			}
			addr = hop
			if !isTrusted(hop) {
				return hop
			}
		}
	}
	return addr
}

func peerAddr(remote string) netip.Addr {
	if ap, err := netip.ParseAddrPort(remote); err == nil {
		return ap.Addr().Unmap()
	}
	a, _ := netip.ParseAddr(remote)
	return a.Unmap()
}

// parseHop accepts what proxies put in X-Forwarded-For: an address,
// sometimes with a port, IPv6 sometimes in brackets.
func parseHop(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")); err == nil {
		return a.WithZone("").Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().WithZone("").Unmap(), true
	}
	return netip.Addr{}, false
}

// ClientIPFrom returns the address found by ClientIP, or the zero Addr.
func ClientIPFrom(ctx context.Context) netip.Addr {
	a, _ := ctx.Value(clientIPKey).(netip.Addr)
	return a
}

// RealIP returns the client address found by ClientIP. Without that
// middleware it falls back to the TCP peer, never to a header.
func RealIP(c echo.Context) netip.Addr {
	if a := ClientIPFrom(c.Request().Context()); a.IsValid() {
		return a
	}
	return peerAddr(c.Request().RemoteAddr)
}

// causeKey holds the error behind a message a handler showed in its own
// page (a form re-rendered with "We couldn't send the email"), which the
// handler does not return: Logger adds it to the request's line.
const causeKey = "portal.cause"

// noteCause records err as the cause of the message this request shows.
func noteCause(c echo.Context, err error) { c.Set(causeKey, err) }

// shuttingDownKey marks /readyz's 503 while the portal serves out its
// shutdown delay: expected, so not a warning.
const shuttingDownKey = "portal.shutting_down"

// Logger writes one line per request. It logs the path without the query
// string, which may carry codes and tokens, and never bodies, cookies or
// Authorization (REQ-LOG-01). Paths are logged, so secrets must never travel
// in path segments. An error returned by the handler is rendered here, via
// the Echo error handler, so that the line shows the status the client got.
func Logger(log *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			err := next(c)
			if err != nil {
				c.Error(err)
			}
			r, res := c.Request(), c.Response()
			attrs := []slog.Attr{
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.Int("status", res.Status),
				slog.Duration("duration", time.Since(start)),
				slog.String("request_id", RequestIDFrom(r.Context())),
				slog.String("ip", RealIP(c).String()),
			}
			if err != nil {
				attrs = append(attrs, slog.String("err", err.Error()))
			} else if cause, ok := c.Get(causeKey).(error); ok {
				attrs = append(attrs, slog.String("err", cause.Error()))
			}
			// A 503 is load shed on purpose ("try again" while the password
			// hashers are busy): worth a warning, not an alarm.
			level := slog.LevelInfo
			switch {
			case res.Status == http.StatusOK && (r.URL.Path == "/healthz" || r.URL.Path == "/readyz"):
				// A load balancer asks every few seconds: a line each
				// would bury the requests of people.
				level = slog.LevelDebug
			case c.Get(shuttingDownKey) != nil:
				// What the operator asked for: a line each, but no alarm.
			case res.Status == http.StatusServiceUnavailable:
				level = slog.LevelWarn
			case res.Status >= 500:
				level = slog.LevelError
			}
			log.LogAttrs(r.Context(), level, "request", attrs...)
			return nil
		}
	}
}

// Recover is the last-resort panic handler (REQ-LOG-02): it logs the panic
// with its stack and the request ID, then answers 500 through render, or
// with a plain "Something went wrong" page when render is nil. The person
// sees the request ID and nothing of the panic.
func Recover(log *slog.Logger, render func(c echo.Context) error) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) (err error) {
			defer func() {
				v := recover()
				if v == nil {
					return
				}
				if v == http.ErrAbortHandler {
					panic(v) // net/http's way to abort a response on purpose
				}
				ctx := c.Request().Context()
				rid := RequestIDFrom(ctx)
				log.LogAttrs(ctx, slog.LevelError, "panic",
					slog.String("panic", fmt.Sprint(v)),
					slog.String("request_id", rid),
					slog.String("stack", string(debug.Stack())))
				switch {
				case c.Response().Committed:
					err = nil // too late to replace what was sent
				case render != nil:
					c.Response().Status = http.StatusInternalServerError
					err = render(c)
				default:
					err = c.String(http.StatusInternalServerError,
						"Something went wrong. If it keeps happening, quote this reference: "+rid)
				}
			}()
			return next(c)
		}
	}
}

// SecurityHeaders sets the browser security headers on every response
// (REQ-HDR-01, REQ-HDR-02) and a fresh CSP nonce per request, read with
// CSPNonce and also handed to templ through templ.WithNonce.
//
// form-action lists formActionSources (the allowed redirect origins, e.g.
// "https://*.example.com", "http://localhost:*") besides 'self', because
// Chromium applies form-action to the redirect that follows a form POST, and
// sign-in ends with a 303 to the app. Referrer-Policy is
// strict-origin-when-cross-origin, not no-referrer, because with no-referrer
// Chromium sends Origin: null on same-origin POSTs; a page with a secret in
// its URL sets no-referrer for itself. HSTS is only sent in production.
//
// widen, when given, may add to the policy for one request: the origin a
// theme's logo is served from, and framing by the portal itself for the
// development theme preview.
func SecurityHeaders(production bool, formActionSources []string, widen ...func(echo.Context) CSPExtra) (echo.MiddlewareFunc, error) {
	formAction := []string{"'self'"}
	for _, p := range formActionSources {
		s, err := CSPSource(p)
		if err != nil {
			return nil, err
		}
		formAction = append(formAction, s)
	}
	formActions := strings.Join(formAction, " ")

	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			nonce := id.Secret(16)
			c.Set(nonceKey, nonce)
			r := c.Request()
			c.SetRequest(r.WithContext(templ.WithNonce(r.Context(), nonce)))

			var extra CSPExtra
			for _, w := range widen {
				extra = extra.with(w(c))
			}
			h := c.Response().Header()
			setCSP := func(extra CSPExtra) {
				frame, xfo := "'none'", "DENY"
				if extra.FrameSelf {
					frame, xfo = "'self'", "SAMEORIGIN"
				}
				policy := "default-src 'self'; script-src 'self' 'nonce-" + nonce + "'" + sources(extra.ScriptSrc) +
					"; style-src 'self' 'nonce-" + nonce + "'" + sources(extra.StyleSrc) +
					"; img-src 'self' data:" + sources(extra.ImgSrc)
				if len(extra.FrameSrc) > 0 {
					policy += "; frame-src 'self'" + sources(extra.FrameSrc)
				}
				if len(extra.ConnectSrc) > 0 {
					policy += "; connect-src 'self'" + sources(extra.ConnectSrc)
				}
				h.Set("Content-Security-Policy", policy+"; object-src 'none'; base-uri 'none'; form-action "+
					formActions+"; frame-ancestors "+frame)
				h.Set("X-Frame-Options", xfo)
			}
			setCSP(extra)
			// A page that learns only as it renders that it needs more
			// (a widget shown on some flows of a path, not all) widens
			// the policy then, before the body is written (widenCSP).
			c.Set(widenKey, func(more CSPExtra) { extra = extra.with(more); setCSP(extra) })
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
			h.Set("Cross-Origin-Opener-Policy", "same-origin")
			h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()")
			if production {
				h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
			}
			return next(c)
		}
	}, nil
}

// CSPExtra widens the security policy for one request. The *Src entries
// are origins, checked by CSPSource (anything else is left out): ImgSrc
// for a theme's logo; ScriptSrc, FrameSrc, ConnectSrc and StyleSrc for a
// bot-protection widget, which runs the provider's script in its frames.
// FrameSrc and ConnectSrc, when given, replace default-src for frames and
// fetches with 'self' and themselves.
type CSPExtra struct {
	ImgSrc, ScriptSrc, FrameSrc, ConnectSrc, StyleSrc []string
	FrameSelf                                         bool
}

// with is e widened by more.
func (e CSPExtra) with(more CSPExtra) CSPExtra {
	e.ImgSrc = append(slices.Clip(e.ImgSrc), more.ImgSrc...)
	e.ScriptSrc = append(slices.Clip(e.ScriptSrc), more.ScriptSrc...)
	e.FrameSrc = append(slices.Clip(e.FrameSrc), more.FrameSrc...)
	e.ConnectSrc = append(slices.Clip(e.ConnectSrc), more.ConnectSrc...)
	e.StyleSrc = append(slices.Clip(e.StyleSrc), more.StyleSrc...)
	e.FrameSelf = e.FrameSelf || more.FrameSelf
	return e
}

// widenCSP widens this request's policy (set by SecurityHeaders) by more;
// call it before the response is written. Without SecurityHeaders it does
// nothing.
func widenCSP(c echo.Context, more CSPExtra) {
	if f, ok := c.Get(widenKey).(func(CSPExtra)); ok {
		f(more)
	}
}

// sources is the valid origins of list as a CSP source list, each with a
// leading space.
func sources(list []string) string {
	var out string
	for _, src := range list {
		if s, err := CSPSource(src); err == nil {
			out += " " + s
		}
	}
	return out
}

// CSPNonce returns this request's CSP nonce, for <script nonce> and
// <style nonce> in templates.
func CSPNonce(c echo.Context) string {
	n, _ := c.Get(nonceKey).(string)
	return n
}

// CSPSource turns an allowed-origin pattern ("https://app.example.com",
// "https://*.example.com", "http://localhost:*") into a CSP source
// expression. Both wildcard forms are CSP syntax already; the work is to
// refuse anything else, since a pattern smuggling "; script-src *" into
// the header would undo the policy.
func CSPSource(pattern string) (string, error) {
	bad := fmt.Errorf("origin %q: want scheme://host[:port] with http or https, an optional leading *. and an optional port or *", pattern)
	scheme, rest, ok := strings.Cut(strings.ToLower(strings.TrimSpace(pattern)), "://")
	if !ok || (scheme != "http" && scheme != "https") {
		return "", bad
	}
	rest = strings.TrimSuffix(rest, "/")
	host, port, hasPort := strings.Cut(rest, ":")
	if hasPort && port != "*" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || port[0] == '0' {
			return "", bad
		}
	}
	labels := strings.Split(strings.TrimPrefix(host, "*."), ".")
	for _, l := range labels {
		if l == "" || strings.Trim(l, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
			return "", bad
		}
	}
	return scheme + "://" + rest, nil
}

// OtherHost warns, in development, the first time pages are asked for
// under a host other than PORTAL_BASE_URL's (127.0.0.1 for localhost, a
// LAN address): the cookies a sign-in sets there belong to that host,
// while the apps, the handshake and emailed links use the base URL's, so
// the person seems signed out and signs in again. Production stays quiet:
// behind a proxy the Host a portal sees need not be its public one.
func OtherHost(dev bool, base *url.URL, log *slog.Logger) echo.MiddlewareFunc {
	var (
		mu     sync.Mutex
		warned = map[string]bool{} // a developer has few hosts; a flood of made-up ones stops at 20
	)
	if !dev {
		return func(next echo.HandlerFunc) echo.HandlerFunc { return next }
	}
	want := strings.ToLower(base.Host)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			host := strings.ToLower(r.Host)
			p := r.URL.Path
			if host != want && r.Method == http.MethodGet && !strings.HasPrefix(p, "/v1/") &&
				!strings.HasPrefix(p, "/static/") && !strings.HasPrefix(p, "/.well-known/") && p != "/healthz" && p != "/readyz" {
				mu.Lock()
				first := !warned[host] && len(warned) < 20
				if first {
					warned[host] = true
				}
				mu.Unlock()
				if first {
					log.WarnContext(r.Context(), "a page of this portal was opened at "+base.Scheme+"://"+r.Host+
						" but PORTAL_BASE_URL is "+base.Scheme+"://"+base.Host+": cookies set here (a sign-in) stay with "+
						r.Host+" while the apps, the handshake and emailed links use "+base.Host+
						", so the browser reads as signed out there; open the portal at its base URL, or set PORTAL_BASE_URL",
						"host", r.Host, "base_url", base.String(), "request_id", RequestIDFrom(r.Context()))
				}
			}
			return next(c)
		}
	}
}

// NoStore marks every response Cache-Control: no-store (REQ-HDR-06), since
// most pages show personal data. It runs before the handler, so a handler
// serving something cacheable (static files, the JWKS) overrides it by
// setting its own Cache-Control.
func NoStore() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			c.Response().Header().Set("Cache-Control", "no-store")
			return next(c)
		}
	}
}

var errTooLarge = echo.NewHTTPError(http.StatusRequestEntityTooLarge, "The request is too large.")

// BodyLimit refuses bodies over maxBytes with 413 (REQ-IN-08): at once when
// Content-Length says so, otherwise when reading passes the limit.
func BodyLimit(maxBytes int64) echo.MiddlewareFunc { return BodyLimitPer(maxBytes, nil) }

// BodyLimitPer is BodyLimit with other limits for some routes, keyed by
// "METHOD /route/path" (Echo's route pattern, known once routed).
func BodyLimitPer(maxBytes int64, routes map[string]int64) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			limit := maxBytes
			if n, ok := routes[r.Method+" "+c.Path()]; ok {
				limit = n
			}
			if r.ContentLength > limit {
				return errTooLarge
			}
			if r.Body != nil && r.Body != http.NoBody {
				r.Body = http.MaxBytesReader(c.Response(), r.Body, limit)
			}
			return next(c)
		}
	}
}

// FormLimit parses form bodies up front and refuses those with more than
// maxFields fields (413) or that cannot be parsed (400), so that no handler
// goes on with a silently empty or truncated form (REQ-IN-08). Put it after
// BodyLimit, which bounds the parsing.
func FormLimit(maxFields int) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			mt, _, _ := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType))
			var err error
			n := 0
			switch mt {
			case echo.MIMEApplicationForm:
				err = r.ParseForm()
				n = countValues(r.PostForm)
			case echo.MIMEMultipartForm:
				err = r.ParseMultipartForm(1 << 20)
				if r.MultipartForm != nil {
					n = countValues(r.MultipartForm.Value) + len(r.MultipartForm.File)
				}
			default:
				return next(c)
			}
			var tooBig *http.MaxBytesError
			switch {
			case errors.As(err, &tooBig):
				return errTooLarge
			case err != nil:
				return echo.NewHTTPError(http.StatusBadRequest, "The form could not be read.")
			case n > maxFields:
				return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "The form has too many fields.")
			}
			return next(c)
		}
	}
}

func countValues(m map[string][]string) int {
	n := 0
	for _, v := range m {
		n += len(v)
	}
	return n
}

// Names the CSRF token travels under.
const (
	CSRFCookie       = "__csrf"      // over http://localhost
	CSRFCookieSecure = "__Host-csrf" // everywhere else (REQ-CK-01)
	CSRFField        = "_csrf"
	CSRFHeader       = "X-CSRF-Token"
)

// CSRFMessage is what a refused request shows unless OnReject renders a page.
const CSRFMessage = "This form has expired or came from another site. Go back, reload the page and try again."

// CSRFConfig configures CSRF.
type CSRFConfig struct {
	// BaseURL is the portal's configured public URL. An Origin header must
	// equal its origin, or its scheme with the request's Host.
	BaseURL string
	// Secure sets the Secure attribute and the __Host- prefix on the token
	// cookie; false only for http://localhost development.
	Secure bool
	// Exempt requests get neither the check nor a cookie: the Bearer-token
	// Backend API, and cacheable responses (static files, the JWKS) that
	// must not carry a Set-Cookie.
	Exempt func(c echo.Context) bool
	// OnReject answers a refused request; reason is for logs, not people.
	// Nil answers 403 with CSRFMessage as text.
	OnReject func(c echo.Context, reason string) error
	// Log, when set, records each refusal (REQ-LOG-01).
	Log *slog.Logger
}

// CSRF protects every POST, PUT, PATCH and DELETE (REQ-SES-08, REQ-HDR-04)
// twice over:
//
//   - an origin check: Sec-Fetch-Site must be same-origin or none; without
//     it, an Origin header other than "null" must be the portal's own. An
//     Origin of "null" (Chromium sends it on same-origin POSTs under
//     no-referrer) or none at all leaves the decision to the token.
//   - a double-submit token: a random token in an HttpOnly SameSite=Lax
//     cookie must come back in the _csrf field or the X-CSRF-Token header.
//
// The cookie is set on the first request that lacks one, and CSRFToken
// returns the token within that same request, so the first page rendered
// already carries a form that will pass.
func CSRF(cfg CSRFConfig) (echo.MiddlewareFunc, error) {
	base, err := url.Parse(cfg.BaseURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("csrf: base URL %q is not an http(s) URL", cfg.BaseURL)
	}
	ownOrigin := base.Scheme + "://" + base.Host
	if p := base.Port(); (base.Scheme == "https" && p == "443") || (base.Scheme == "http" && p == "80") {
		ownOrigin = base.Scheme + "://" + base.Hostname()
	}
	name := CSRFCookie
	if cfg.Secure {
		name = CSRFCookieSecure
	}

	reject := func(c echo.Context, reason string) error {
		if cfg.Log != nil {
			r := c.Request()
			cfg.Log.LogAttrs(r.Context(), slog.LevelWarn, "csrf refused",
				slog.String("reason", reason),
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.String("request_id", RequestIDFrom(r.Context())),
				slog.String("ip", RealIP(c).String()))
		}
		if cfg.OnReject != nil {
			c.Response().Status = http.StatusForbidden
			return cfg.OnReject(c, reason)
		}
		return c.String(http.StatusForbidden, CSRFMessage)
	}

	foreignOrigin := func(r *http.Request) string {
		switch site := r.Header.Get("Sec-Fetch-Site"); site {
		case "same-origin", "none":
			return ""
		case "":
		default:
			return "Sec-Fetch-Site: " + site
		}
		o := r.Header.Get("Origin")
		if o == "" || o == "null" || strings.EqualFold(o, ownOrigin) ||
			strings.EqualFold(o, base.Scheme+"://"+r.Host) {
			return ""
		}
		return "foreign Origin"
	}

	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if cfg.Exempt != nil && cfg.Exempt(c) {
				return next(c)
			}
			r := c.Request()
			stored := ""
			if ck, err := r.Cookie(name); err == nil && validToken(ck.Value) {
				stored = ck.Value
			}
			token := stored
			if token == "" {
				token = id.Secret(32)
				c.SetCookie(&http.Cookie{
					Name: name, Value: token, Path: "/",
					HttpOnly: true, Secure: cfg.Secure, SameSite: http.SameSiteLaxMode,
				})
			}
			c.Set(csrfKey, maskToken(token))
			// The browser's secret, which a host-only cookie keeps from
			// other sites: a flow begun here remembers the browser by it
			// (flow.Data.Browser), and a sign-in this request makes, so
			// that the same form sent twice can follow (session.Successor).
			// A POST reaches the handler only with the cookie's own value.
			r = r.WithContext(session.WithHandoff(r.Context(), token))
			c.SetRequest(r)

			switch r.Method {
			case http.MethodGet, http.MethodHead, http.MethodOptions:
				return next(c)
			}
			if reason := foreignOrigin(r); reason != "" {
				return reject(c, reason)
			}
			if stored == "" {
				return reject(c, "no token cookie")
			}
			sent := r.Header.Get(CSRFHeader)
			if sent == "" {
				sent = r.PostFormValue(CSRFField)
			}
			if subtle.ConstantTimeCompare([]byte(unmaskToken(sent)), []byte(stored)) != 1 {
				return reject(c, "token mismatch")
			}
			return next(c)
		}
	}, nil
}

// csrfSecret is the browser's CSRF secret (its cookie's token), or "".
func csrfSecret(c echo.Context) string {
	if t := CSRFToken(c); t != "" {
		return unmaskToken(t)
	}
	return ""
}

// validToken accepts only what CSRF itself issues, so that a junk cookie is
// replaced rather than echoed into pages.
func validToken(s string) bool {
	b, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil && len(b) == 32
}

// CSRFToken returns the token a form must send in its _csrf field: the
// cookie's token, masked for this response.
func CSRFToken(c echo.Context) string {
	t, _ := c.Get(csrfKey).(string)
	return t
}

// maskToken hides the token behind a fresh one-time pad (pad, then token
// XOR pad), so that no two pages carry the same bytes: a compressed page
// that also reflects what an attacker typed cannot leak the token through
// its size (BREACH). The bare token, as in the cookie, is still accepted.
func maskToken(token string) string {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return token
	}
	pad := make([]byte, len(raw))
	if _, err := rand.Read(pad); err != nil {
		return token
	}
	return base64.RawURLEncoding.EncodeToString(append(pad, xorBytes(raw, pad)...))
}

// unmaskToken undoes maskToken; anything else comes back unchanged.
func unmaskToken(sent string) string {
	b, err := base64.RawURLEncoding.DecodeString(sent)
	if err != nil || len(b) != 64 {
		return sent
	}
	return base64.RawURLEncoding.EncodeToString(xorBytes(b[32:], b[:32]))
}

func xorBytes(a, b []byte) []byte {
	out := make([]byte, len(a))
	for i := range a {
		out[i] = a[i] ^ b[i]
	}
	return out
}
