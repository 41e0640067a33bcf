package handlers

import (
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/i18n"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/theme"
	"github.com/portalhq/portal/internal/user"
	"github.com/portalhq/portal/views"
)

// previewParam names a shipped theme for one request, in development only:
// /dev/themes frames each page once per theme with it. Its value
// previewInUse frames the configured theme itself (no shipped theme has
// that name).
const (
	previewParam = "__theme"
	previewInUse = "in-use"
)

// theme is the theme for this request: the configured one, or in
// development a shipped theme named by ?__theme=. The parameter can only
// name a shipped theme, never a path, so a request cannot make the server
// read a file.
func (a *app) theme(c echo.Context) *theme.Theme {
	if name := a.previewTheme(c); name != "" && name != previewInUse {
		if t, err := theme.Load(name, true); err == nil {
			return t
		}
	}
	// On a development edit that was refused, the last good theme (the
	// refusal is logged once, by Live.Refused).
	t, _ := a.Theme.Theme()
	return t
}

func (a *app) previewTheme(c echo.Context) string {
	if !a.Config.Dev() {
		return ""
	}
	if name := c.QueryParam(previewParam); name == previewInUse || theme.IsShipped(name) {
		return name
	}
	return ""
}

// localeCookie remembers a language chosen with ?locale= so that the
// forms and redirects that follow keep it without carrying the parameter.
const localeCookie = "__portal_locale"

// localeKey caches the request's localizer in the Echo context.
const localeKey = "portal.localizer"

// localizer is the request's language: ?locale= (remembered in a cookie
// for the pages that follow), then Accept-Language, then
// PORTAL_DEFAULT_LOCALE. It is negotiated once per request.
func (a *app) localizer(c echo.Context) *i18n.Localizer {
	if l, ok := c.Get(localeKey).(*i18n.Localizer); ok {
		return l
	}
	r := c.Request()
	chosen := r.URL.Query().Get("locale")
	ck, _ := r.Cookie(a.ownCookie(localeCookie))
	if loc, ok := a.I18n.Match(chosen); ok {
		if ck == nil || ck.Value != loc {
			a.rememberLocale(c, loc)
		}
	} else if ck != nil {
		chosen = ck.Value
	}
	l := a.I18n.Negotiate(chosen, r.Header.Get("Accept-Language"))
	c.Set(localeKey, l)
	return l
}

// followAccountLocale makes u's language, when it was chosen (on the
// account page, or by the app through the Backend API: user.LocaleChosen),
// the language of a signed-in page when this browser has chosen none
// itself (no ?locale= the portal speaks, no locale cookie): the choice
// follows the person to a browser that has never chosen, while they are
// signed in there, before its Accept-Language. A language only recorded
// from the browser that signed up does not: the browser in use now says
// more. Nothing is stored in the browser, so the pages are in its own
// language again once they sign out. Called before anything on the page
// is rendered.
func (a *app) followAccountLocale(c echo.Context, u *user.User) {
	loc, ok := a.I18n.Match(u.Locale)
	if !ok || !u.LocaleChosen || a.browserChoseLocale(c) {
		return
	}
	c.Set(localeKey, a.I18n.Negotiate(loc, c.Request().Header.Get("Accept-Language")))
}

// followAccountLocaleOf is followAccountLocale for a page that has the
// session but not its user: the user is read only when the browser has
// chosen no language.
func (a *app) followAccountLocaleOf(c echo.Context, sess *session.Session) {
	if a.browserChoseLocale(c) {
		return
	}
	if u, err := a.Users.UserByID(c.Request().Context(), sess.UserID); err == nil {
		a.followAccountLocale(c, u)
	}
}

// browserChoseLocale reports whether this request or browser names a
// language itself: a ?locale= the portal speaks, or the locale cookie.
func (a *app) browserChoseLocale(c echo.Context) bool {
	r := c.Request()
	if _, ok := a.I18n.Match(r.URL.Query().Get("locale")); ok {
		return true
	}
	ck, err := r.Cookie(a.ownCookie(localeCookie))
	return err == nil && ck.Value != ""
}

// rememberLocale keeps loc, a catalog locale, as this browser's language
// for the pages that follow.
func (a *app) rememberLocale(c echo.Context, loc string) {
	c.SetCookie(&http.Cookie{Name: a.ownCookie(localeCookie), Value: loc, Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, Secure: a.secureCookies(), SameSite: http.SameSiteLaxMode})
}

// t renders a catalog message in the request's language.
func (a *app) t(c echo.Context, id string, args ...any) string {
	return a.localizer(c).T(id, args...)
}

// say is a safe error's message in the request's language. A cause behind
// it (the mail server's refusal behind "We couldn't send the email") is
// noted for the request's log line: the page shows the message, and the
// operator must still learn why.
func (a *app) say(c echo.Context, e *apperr.Error) string {
	if e.Err != nil {
		noteCause(c, e)
	}
	if e.ID == "" {
		return e.Message
	}
	return a.localizer(c).T(e.ID, e.Args...)
}

// dress fills what the theme and the locale decide on a page.
func (a *app) dress(c echo.Context, p *views.Page) {
	loc := a.localizer(c)
	p.Lang, p.I18n = loc.Locale(), loc
	if loc.Dir() == "rtl" {
		p.Dir = "rtl"
	}
	t := a.theme(c)
	o := t.Options
	q := url.Values{"v": {t.Version()}}
	if name := a.previewTheme(c); name != "" {
		q.Set(previewParam, name)
	}
	p.ThemeCSS = "/theme.css?" + q.Encode()
	if custom, _ := a.Theme.Custom(); custom != nil {
		p.CustomCSS = "/theme-custom.css?v=" + custom.Version
	}
	p.AppName = t.AppName(p.AppName)
	p.LogoURL, p.LogoLink, p.LogoPlacement = o.LogoImageURL, o.LogoLinkURL, o.LogoPlacement
	if logo := t.Logo(); logo != nil {
		p.LogoURL = logo.URL()
	}
	p.DarkLogoURL = o.DarkLogoImageURL
	if logo := t.DarkLogo(); logo != nil {
		p.DarkLogoURL = logo.URL()
	}
	p.TermsURL, p.PrivacyURL, p.HelpURL = o.TermsPageURL, o.PrivacyPageURL, o.HelpPageURL
	p.SocialVariant, p.SocialPlacement = o.SocialButtonsVariant, o.SocialButtonsPlacement
	p.HideOptionalFields = !o.ShowOptionalFields
}

// cspExtra lets the theme's logos (light and dark) load from their own
// origins, in development lets /dev/themes frame a page it previews, and
// lets the pages with a bot-protection widget run it.
func (a *app) cspExtra(c echo.Context) CSPExtra {
	var e CSPExtra
	o := a.theme(c).Options
	for _, logo := range []string{o.LogoImageURL, o.DarkLogoImageURL} {
		if u, err := url.Parse(logo); err == nil && u.Host != "" {
			e.ImgSrc = append(e.ImgSrc, u.Scheme+"://"+u.Host)
		}
	}
	e.FrameSelf = a.previewTheme(c) != ""
	a.captchaCSP(c, &e)
	return e
}

// GET /theme.css: the theme's variables and stylesheets. The page links it
// with ?v=<version>, which may be cached for good; without a matching
// version it is revalidated by ETag.
func (a *app) themeCSS(c echo.Context) error {
	t := a.theme(c)
	return serveCSS(c, t.Version(), []byte(t.Stylesheet()))
}

// GET /theme-custom.css: the owner's stylesheet (PORTAL_THEME_CSS).
func (a *app) themeCustomCSS(c echo.Context) error {
	custom, _ := a.Theme.Custom() // on a refused edit, the last good version (Live.Refused logs it)
	if custom == nil {
		return echo.ErrNotFound
	}
	return serveCSS(c, custom.Version, custom.CSS)
}

// logoCSP is the policy of the theme's logo file. In a page's <img> an
// image runs nothing and fetches nothing whatever it holds; opened on its
// own, an SVG is a document of the portal's origin, and this keeps it
// inert: no script, no request, a sandbox (its own styles apply).
const logoCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"

// GET /theme-logo: the logo file the theme names (options.logoImageFile),
// as read at start-up (in development, again when it changes). Linked
// with ?v=<version> like /theme.css, and public: emails show it too.
// With ?scheme=dark, the dark-mode one (dark.options.logoImageFile), which
// pages offer the browser under prefers-color-scheme: dark.
func (a *app) themeLogo(c echo.Context) error {
	t, _ := a.Theme.Theme() // the configured theme: a previewed shipped theme has no file
	var logo *theme.Logo
	switch c.QueryParam(theme.LogoScheme) {
	case "":
		logo = t.Logo()
	case "dark":
		logo = t.DarkLogo()
	}
	if logo == nil {
		return echo.ErrNotFound
	}
	h := c.Response().Header()
	h.Set("Content-Security-Policy", logoCSP)
	h.Set("Cross-Origin-Resource-Policy", "cross-origin") // mail read on another origin shows it
	ct := logo.Type
	if ct == "image/svg+xml" { // checked as XML, which Go reads as UTF-8 only
		ct += "; charset=utf-8"
	}
	return serveVersioned(c, logo.Version, ct, logo.Data)
}

func serveCSS(c echo.Context, version string, body []byte) error {
	return serveVersioned(c, version, "text/css; charset=utf-8", body)
}

// serveVersioned serves body with an ETag of its version, cached for good
// when asked for by that version (?v=), else revalidated.
func serveVersioned(c echo.Context, version, contentType string, body []byte) error {
	h := c.Response().Header()
	etag := `"` + version + `"`
	h.Set("ETag", etag)
	if c.QueryParam("v") == version {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "public, no-cache")
	}
	if etagMatches(c.Request().Header.Get("If-None-Match"), etag) {
		return c.NoContent(http.StatusNotModified)
	}
	return c.Blob(http.StatusOK, contentType, body)
}

// devPreviewPages are the pages /dev/themes can show; a fixed list, so the
// preview frames nothing but the portal's own pages.
var devPreviewPages = []views.DevLink{
	{URL: "/sign-in"}, {URL: "/sign-up"}, {URL: "/sign-out"}, {URL: "/dev/themes/not-found"},
}

// devPageLabel names a page of devPreviewPages.
func (a *app) devPageLabel(c echo.Context, path string) string {
	switch path {
	case "/sign-in":
		return a.t(c, "button.sign_in")
	case "/sign-up":
		return a.t(c, "button.sign_up")
	case "/sign-out":
		return a.t(c, "button.sign_out")
	}
	return a.t(c, "dev.error_page")
}

// GET /dev/themes: the chosen page (?page=/sign-up) in the configured
// theme, then in every other shipped theme, in the locale given by
// ?locale= if any; above them, what the owner should fix: a change to a
// theme file that was refused (the pages keep the last good version, so
// the log was the only place to see it) and the colours below WCAG AA.
func (a *app) devThemes(c echo.Context) error {
	if !a.Config.Dev() {
		return echo.ErrNotFound
	}
	current := c.QueryParam("page")
	locale := c.QueryParam("locale")
	pages := make([]views.DevLink, len(devPreviewPages))
	copy(pages, devPreviewPages)
	found := false
	for i := range pages {
		pages[i].Label = a.devPageLabel(c, pages[i].URL)
		q := url.Values{"page": {pages[i].URL}}
		if locale != "" {
			q.Set("locale", locale)
		}
		if pages[i].URL == current {
			pages[i].Current, found = true, true
		}
		pages[i].URL = "/dev/themes?" + q.Encode()
	}
	if !found {
		current, pages[0].Current = devPreviewPages[0].URL, true
	}
	frame := func(preview string) string {
		q := url.Values{previewParam: {preview}}
		if locale != "" {
			q.Set("locale", locale)
		}
		return current + "?" + q.Encode()
	}

	p := views.DevThemes{Page: a.page(c, a.t(c, "dev.themes_title")), Pages: pages}
	inUse, err := a.Theme.Theme()
	if err != nil {
		p.Refused = append(p.Refused, err.Error())
	}
	if _, err := a.Theme.Custom(); err != nil {
		p.Refused = append(p.Refused, err.Error())
	}
	for _, problem := range inUse.ContrastProblems() {
		p.Contrast = append(p.Contrast, problem.String())
	}
	source := inUse.Source
	if css := a.Theme.CustomPath(); css != "" {
		source += " + " + css
	}
	p.Frames = append(p.Frames, views.DevFrame{Theme: inUse.Name, URL: frame(previewInUse), InUse: true, Source: source})
	for _, name := range theme.Shipped() {
		if inUse.Source != "themes/"+name+".yaml" { // the theme in use is framed already
			p.Frames = append(p.Frames, views.DevFrame{Theme: name, URL: frame(name)})
		}
	}
	return render(c, http.StatusOK, views.DevThemesPage(p))
}
