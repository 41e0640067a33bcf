package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"github.com/portalhq/portal/static"
)

// Route is one entry of the route table. Tests enumerate it, so a new POST
// route cannot slip past the CSRF check.
type Route struct {
	Method string
	Path   string
	h      func(a *app, c echo.Context) error
}

// Routes is the one route table.
func Routes() []Route {
	return []Route{
		{http.MethodGet, "/", (*app).home},
		{http.MethodGet, "/sign-in", (*app).signInStart},
		{http.MethodPost, "/sign-in", (*app).signInSubmitIdentifier},
		{http.MethodGet, "/sign-in/factor-one", (*app).signInFactorOne},
		{http.MethodPost, "/sign-in/factor-one", (*app).signInAttempt},
		{http.MethodPost, "/sign-in/factor-one/prepare", (*app).signInPrepare},
		{http.MethodGet, "/sign-in/forgot-password", (*app).signInForgot},
		{http.MethodGet, "/sign-in/reset-password", (*app).signInNewPasswordPage},
		{http.MethodPost, "/sign-in/reset-password", (*app).signInResetPassword},
		{http.MethodGet, "/v1/verify", (*app).linkPage},
		{http.MethodPost, "/v1/verify", (*app).linkConfirm},
		{http.MethodGet, "/sign-up", (*app).signUpStart},
		{http.MethodPost, "/sign-up", (*app).signUpSubmit},
		{http.MethodGet, "/sign-up/verify-email-address", (*app).signUpVerifyPage},
		{http.MethodPost, "/sign-up/verify-email-address", (*app).signUpVerify},
		{http.MethodPost, "/sign-up/verify-email-address/resend", (*app).signUpResend},
		{http.MethodPost, "/sign-up/verify-email-address/switch", (*app).signUpSwitch},
		{http.MethodGet, "/sign-up/verify-phone-number", (*app).signUpVerifyPage},
		{http.MethodPost, "/sign-up/verify-phone-number", (*app).signUpVerify},
		{http.MethodPost, "/sign-up/verify-phone-number/resend", (*app).signUpResend},
		{http.MethodGet, "/sign-out", (*app).signOutPage},
		{http.MethodPost, "/sign-out", (*app).signOut},
		{http.MethodGet, "/v1/client/handshake", (*app).handshake},
		{http.MethodGet, "/.well-known/jwks.json", (*app).jwks},
		{http.MethodGet, "/healthz", (*app).healthz},
		{http.MethodGet, "/readyz", (*app).readyz},
		{http.MethodGet, "/dev/outbox", (*app).devOutbox},
	}
}

// New builds the HTTP handler.
func New(d Deps) (*echo.Echo, error) {
	base, err := url.Parse(d.Config.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("handlers: base URL: %w", err)
	}
	a := &app{Deps: d, base: base, limits: defaultLimits()}
	a.clients = sessions.NewCookieStore(d.CookieKeys...)
	a.clients.Options = &sessions.Options{Path: "/", HttpOnly: true, Secure: a.secureCookies(),
		SameSite: http.SameSiteLaxMode, MaxAge: int(maxDuration(d.Config.SessionMaxLifetime, day).Seconds())}
	a.clients.MaxAge(a.clients.Options.MaxAge)

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = a.errorHandler
	e.IPExtractor = func(r *http.Request) string { return ClientIPFrom(r.Context()).String() }

	secHeaders, err := SecurityHeaders(!d.Config.Dev(), d.Config.AllowedRedirectOrigins)
	if err != nil {
		return nil, err
	}
	csrf, err := CSRF(CSRFConfig{
		BaseURL: d.Config.BaseURL, Secure: a.secureCookies(), Log: d.Log,
		Exempt: func(c echo.Context) bool {
			p := c.Request().URL.Path
			return strings.HasPrefix(p, "/static/") || p == "/.well-known/jwks.json" ||
				p == "/healthz" || p == "/readyz" || p == "/v1/client/handshake"
		},
		OnReject: func(c echo.Context, _ string) error {
			return a.message(c, http.StatusForbidden, "This form has expired",
				"The form was open too long or came from another site. Go back, reload the page and try again.", "/sign-in", "Back to sign in")
		},
	})
	if err != nil {
		return nil, err
	}
	e.Use(
		RequestID(),
		ClientIP(d.Config.TrustedProxies),
		Logger(d.Log),
		Recover(d.Log, func(c echo.Context) error {
			return a.message(c, http.StatusInternalServerError, "Something went wrong",
				"Please try again in a moment. If it keeps happening, contact support with the reference below.", "/", "Start again")
		}),
		secHeaders,
		NoStore(),
		BodyLimit(d.Config.MaxBodyBytes),
		FormLimit(100),
		csrf,
	)
	for _, r := range Routes() {
		h := r.h
		e.Add(r.Method, r.Path, func(c echo.Context) error { return h(a, c) })
	}
	e.GET("/static/*", echo.WrapHandler(staticHandler()))
	return e, nil
}

func staticHandler() http.Handler {
	fs := http.StripPrefix("/static/", http.FileServerFS(static.FS))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") { // no directory listings (REQ-HDR-07)
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		fs.ServeHTTP(w, r)
	})
}
