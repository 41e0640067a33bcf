package e2e

import (
	"bytes"
	"context"
	"image"
	pngenc "image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/portalhq/portal/internal/app"
	"github.com/portalhq/portal/internal/config"
	"github.com/portalhq/portal/internal/testutil/portaltest"
	"github.com/portalhq/portal/internal/theme"
)

// stylesheets lists the page's stylesheet links in document order.
func stylesheets(pg *page) []string {
	var out []string
	pg.Doc.Find(`link[rel="stylesheet"]`).Each(func(_ int, s *goquery.Selection) {
		out = append(out, s.AttrOr("href", ""))
	})
	return out
}

func TestThemeDarkIsServedAndLinked(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_THEME": "dark"}})
	b := newBrowser(t, p)
	pg := b.get("/sign-in")
	links := stylesheets(pg)
	if len(links) != 2 || links[0] != "/static/portal.css" || !strings.HasPrefix(links[1], "/theme.css?v=") {
		t.Fatalf("stylesheets %v, want portal.css then /theme.css?v=…", links)
	}

	css := b.getRaw(links[1])
	dark, err := theme.Load("dark", true)
	if err != nil {
		t.Fatal(err)
	}
	if css.Status != http.StatusOK || !strings.HasPrefix(css.Header.Get("Content-Type"), "text/css") {
		t.Fatalf("theme.css: %d %s", css.Status, css.Header.Get("Content-Type"))
	}
	for _, decl := range []string{"--color-background:#212126;", "--color-foreground:#f4f4f5;", "--color-primary:#f4f4f5;"} {
		if !strings.Contains(css.Body, decl) {
			t.Errorf("theme.css lacks %s:\n%s", decl, css.Body)
		}
	}
	if css.Body != dark.Stylesheet() {
		t.Errorf("theme.css differs from the dark theme")
	}
	if cc := css.Header.Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
		t.Errorf("versioned theme.css Cache-Control %q", cc)
	}
	if css.Header.Get("Set-Cookie") != "" {
		t.Errorf("theme.css sets a cookie: %s", css.Header.Get("Set-Cookie"))
	}
	etag := css.Header.Get("ETag") // weak when it may go out gzipped (handlers.Compress)
	if etag == "" || !strings.Contains(links[1], strings.Trim(strings.TrimPrefix(etag, "W/"), `"`)) {
		t.Errorf("ETag %q does not match the linked version %s", etag, links[1])
	}

	plain := b.getRaw("/theme.css")
	if cc := plain.Header.Get("Cache-Control"); cc != "public, no-cache" || plain.Body != css.Body {
		t.Errorf("unversioned theme.css: Cache-Control %q", cc)
	}
	req := b.request(http.MethodGet, "/theme.css", nil)
	req.Header.Set("If-None-Match", etag)
	if again := b.send(req); again.Status != http.StatusNotModified || again.Body != "" {
		t.Errorf("If-None-Match: %d %q", again.Status, again.Body)
	}
	if got := b.getRaw("/theme-custom.css"); got.Status != http.StatusNotFound {
		t.Errorf("theme-custom.css without PORTAL_THEME_CSS: %d", got.Status)
	}
}

func TestOwnerThemeOptionsReachThePage(t *testing.T) {
	dir := t.TempDir()
	themeFile := filepath.Join(dir, "acme.yaml")
	write(t, themeFile, `extends: default
variables:
  colorPrimary: "#0b5394"
options:
  applicationName: Acme
  logoImageUrl: https://cdn.acme.example/logo.svg
  logoLinkUrl: https://acme.example/
  termsPageUrl: https://acme.example/terms
  privacyPageUrl: https://acme.example/privacy
  helpPageUrl: https://acme.example/help
`)
	customFile := filepath.Join(dir, "acme.css")
	write(t, customFile, ".cl-card { outline: 2px solid hotpink; }\n")
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{
		"PORTAL_THEME": themeFile, "PORTAL_THEME_CSS": customFile}})
	b := newBrowser(t, p)
	pg := b.get("/sign-in")

	links := stylesheets(pg)
	if len(links) != 3 || !strings.HasPrefix(links[2], "/theme-custom.css?v=") {
		t.Fatalf("stylesheets %v, want the owner's after the theme", links)
	}
	if got := b.getRaw(links[2]); got.Body != ".cl-card { outline: 2px solid hotpink; }\n" {
		t.Errorf("custom CSS %q", got.Body)
	}
	if got := b.getRaw(links[1]); !strings.Contains(got.Body, "--color-primary:#0b5394;") {
		t.Errorf("owner theme CSS:\n%s", got.Body)
	}
	logo := pg.Doc.Find(".cl-card .cl-header .cl-logoBox a.cl-logoLink img.cl-logoImage")
	if logo.AttrOr("src", "") != "https://cdn.acme.example/logo.svg" || logo.Parent().AttrOr("href", "") != "https://acme.example/" {
		t.Errorf("logo: %s", pg.Body)
	}
	if alt := logo.AttrOr("alt", ""); alt != "Acme home page" {
		t.Errorf("logo alt %q", alt)
	}
	for sel, href := range map[string]string{
		".cl-footer .cl-footerPagesLink__terms":   "https://acme.example/terms",
		".cl-footer .cl-footerPagesLink__privacy": "https://acme.example/privacy",
		".cl-footer .cl-footerPagesLink__help":    "https://acme.example/help",
	} {
		if got := pg.Doc.Find(sel).AttrOr("href", ""); got != href {
			t.Errorf("%s href %q, want %q", sel, got, href)
		}
	}
	if got := pg.Doc.Find(".cl-appName").Text(); got != "Acme" {
		t.Errorf("application name %q", got)
	}
	if csp := pg.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "img-src 'self' data: https://cdn.acme.example;") {
		t.Errorf("the logo's origin is not allowed by the CSP: %s", csp)
	}

	// German terms link text when the browser asks for German.
	de := newBrowser(t, p)
	de.header = http.Header{"Accept-Language": {"de-DE,de;q=0.9"}}
	dpg := de.get("/sign-in")
	if got := dpg.Doc.Find(".cl-footerPagesLink__terms").Text(); got != "Nutzungsbedingungen" {
		t.Errorf("terms link in German: %q", got)
	}
}

// A refused value stops start-up with the file, key and what is accepted.
func TestBadThemeStopsStartUp(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	write(t, bad, "variables:\n  colorPrimary: \"red;} body{display:none\"\n")
	logoless := filepath.Join(dir, "logoless.yaml")
	write(t, logoless, "options:\n  logoImageFile: img/logo.png\n")
	textLogo := filepath.Join(dir, "textlogo.yaml")
	write(t, filepath.Join(dir, "notes.png"), "just some notes\n")
	write(t, textLogo, "options:\n  logoImageFile: notes.png\n")
	darkOption := filepath.Join(dir, "darkoption.yaml")
	write(t, darkOption, "extends: auto\ndark:\n  options:\n    applicationName: Acme at night\n")
	for name, env := range map[string]map[string]string{
		"bad value":      {"PORTAL_THEME": bad},
		"unknown theme":  {"PORTAL_THEME": "purple-rain"},
		"missing css":    {"PORTAL_THEME_CSS": filepath.Join(dir, "nope.css")},
		"missing logo":   {"PORTAL_THEME": logoless},
		"text as logo":   {"PORTAL_THEME": textLogo},
		"dark option":    {"PORTAL_THEME": darkOption},
		"unknown locale": {"PORTAL_DEFAULT_LOCALE": "tlh"},
	} {
		t.Run(name, func(t *testing.T) {
			env["PORTAL_DATABASE_URL"] = "sqlite:" + filepath.Join(t.TempDir(), "portal.db")
			env["PORTAL_LOG_LEVEL"] = "error"
			cfg, err := config.FromMap(env)
			if err != nil {
				t.Fatal(err)
			}
			p, err := app.Build(context.Background(), cfg, app.Options{Log: io.Discard})
			if err == nil {
				p.Close()
				t.Fatal("started")
			}
			msg := err.Error()
			switch name {
			case "bad value":
				for _, want := range []string{bad, "variables.colorPrimary", "CSS colour"} {
					if !strings.Contains(msg, want) {
						t.Errorf("error lacks %q: %s", want, msg)
					}
				}
			case "unknown theme":
				if !strings.Contains(msg, "shades-of-purple") {
					t.Errorf("error does not list the shipped themes: %s", msg)
				}
			case "missing css":
				if !strings.Contains(msg, "PORTAL_THEME_CSS") {
					t.Errorf("error: %s", msg)
				}
			case "missing logo":
				for _, want := range []string{logoless, "options.logoImageFile", "no file img/logo.png", filepath.Join(dir, "img", "logo.png")} {
					if !strings.Contains(msg, want) {
						t.Errorf("error lacks %q: %s", want, msg)
					}
				}
			case "text as logo":
				for _, want := range []string{"options.logoImageFile", "is not a PNG, JPEG, WebP, GIF or SVG image"} {
					if !strings.Contains(msg, want) {
						t.Errorf("error lacks %q: %s", want, msg)
					}
				}
			case "dark option":
				for _, want := range []string{darkOption + ":4: dark.options.applicationName", "applicationName under options:"} {
					if !strings.Contains(msg, want) {
						t.Errorf("error lacks %q: %s", want, msg)
					}
				}
			case "unknown locale":
				if !strings.Contains(msg, "PORTAL_DEFAULT_LOCALE") || !strings.Contains(msg, "pt-BR") {
					t.Errorf("error: %s", msg)
				}
			}
		})
	}
}

func TestThemePreviewInDevelopment(t *testing.T) {
	dir := t.TempDir()
	mine := filepath.Join(dir, "mine.yaml")
	write(t, mine, "extends: default\nvariables:\n  colorPrimary: \"#123456\"\n")
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_THEME": mine}})
	b := newBrowser(t, p)

	pg := b.get("/dev/themes")
	if pg.Status != http.StatusOK {
		t.Fatalf("/dev/themes: %d", pg.Status)
	}
	var srcs []string
	pg.Doc.Find("iframe").Each(func(_ int, s *goquery.Selection) {
		srcs = append(srcs, s.AttrOr("src", ""))
	})
	// The owner's theme first, marked as the one in use, then every shipped one.
	if len(srcs) != len(theme.Shipped())+1 || srcs[0] != "/sign-in?__theme=in-use" || srcs[1] != "/sign-in?__theme=auto" {
		t.Fatalf("iframes %v", srcs)
	}
	if got := strings.Join(strings.Fields(pg.Doc.Find("figcaption").First().Text()), " "); got != "mine (in use) "+mine {
		t.Errorf("first caption %q", got)
	}
	if pg.Doc.Find(`[data-testid="theme-refused"], [data-testid="theme-contrast"]`).Length() != 0 {
		t.Errorf("problems shown for a theme that has none: %s", pg.Doc.Find(".cl-alert").Text())
	}
	if got := b.get("/dev/themes?page=/sign-up&locale=ja").Doc.Find("iframe").Eq(1).AttrOr("src", ""); got != "/sign-up?__theme=auto&locale=ja" {
		t.Errorf("sign-up preview frame %q", got)
	}
	if got := b.get("/dev/themes?page=https://evil.example/").Doc.Find("iframe").First().AttrOr("src", ""); got != "/sign-in?__theme=in-use" {
		t.Errorf("an unknown page was framed: %q", got)
	}
	inUse := b.get("/sign-in?__theme=in-use")
	if csp := inUse.Header.Get("Content-Security-Policy"); !strings.HasSuffix(csp, "frame-ancestors 'self'") {
		t.Errorf("the theme in use cannot be framed by /dev/themes: %s", csp)
	}
	if css := b.getRaw(stylesheets(inUse)[1]).Body; !strings.Contains(css, "--color-primary:#123456;") {
		t.Errorf("the in-use frame is not in the owner's theme:\n%s", css)
	}

	framed := b.get("/sign-in?__theme=neobrutalism")
	if csp := framed.Header.Get("Content-Security-Policy"); !strings.HasSuffix(csp, "frame-ancestors 'self'") ||
		framed.Header.Get("X-Frame-Options") != "SAMEORIGIN" {
		t.Errorf("previewed page cannot be framed by /dev/themes: %s / %s", csp, framed.Header.Get("X-Frame-Options"))
	}
	links := stylesheets(framed)
	if !strings.Contains(links[1], "__theme=neobrutalism") {
		t.Fatalf("preview links %v", links)
	}
	if css := b.getRaw(links[1]).Body; !strings.Contains(css, "--color-primary:#5b21b6;") || !strings.Contains(css, "box-shadow") {
		t.Errorf("preview theme CSS:\n%s", css)
	}
	if plain := b.get("/sign-in"); !strings.HasSuffix(plain.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Error("a page is frameable without the preview parameter")
	}
	if css := b.getRaw("/theme.css?__theme=../../etc/passwd").Body; !strings.Contains(css, "--color-primary:#123456;") {
		t.Errorf("a path in __theme was not ignored:\n%s", css)
	}

	// Editing the theme file shows on the next request, without a restart.
	write(t, mine, "extends: default\nvariables:\n  colorPrimary: \"#654321\"\n  spacing: 2rem\n")
	if css := b.getRaw("/theme.css").Body; !strings.Contains(css, "--color-primary:#654321;") {
		t.Errorf("edited theme not reloaded:\n%s", css)
	}

	// A refused edit keeps the last good theme, and /dev/themes says why
	// (not only the log); so does a colour pair below WCAG AA.
	write(t, mine, "extends: default\nvariables:\n  colorPrimary: \"#ffff00\"\n  spacing: 2rem\n")
	if css := b.getRaw("/theme.css").Body; !strings.Contains(css, "--color-primary:#ffff00;") {
		t.Fatalf("edited theme not reloaded:\n%s", css)
	}
	low := b.get("/dev/themes").Doc.Find(`[data-testid="theme-contrast"] li`).Text()
	if !strings.Contains(low, "colorPrimaryForeground #ffffff on colorPrimary #ffff00 is 1.07:1") {
		t.Errorf("contrast problem not shown: %q", low)
	}
	write(t, mine, "extends: default\nvariables:\n  colorPrimary: \"#ffff00\"\n  colorBorder: nope\n  spacing: 2rem\n")
	refused := b.get("/dev/themes?locale=en").Doc.Find(`[data-testid="theme-refused"]`)
	if text := refused.Text(); !strings.Contains(text, "A change was refused") || !strings.Contains(text, mine+": variables.colorBorder: \"nope\"") {
		t.Errorf("refused edit not shown: %q", text)
	}
	if css := b.getRaw("/theme.css").Body; !strings.Contains(css, "--color-primary:#ffff00;") {
		t.Errorf("the last good theme is not kept:\n%s", css)
	}
	write(t, mine, "extends: default\nvariables:\n  colorPrimary: \"#123456\"\n")
	if n := b.get("/dev/themes").Doc.Find(".cl-alert").Length(); n != 0 {
		t.Errorf("%d alerts after the theme was fixed", n)
	}
}

// A theme file (or PORTAL_THEME_CSS) edited into one that is refused is
// logged once per change of the file, not on every page, stylesheet and
// header that reads the theme (before: two to three warnings per page
// load, for as long as the file stayed broken).
func TestRefusedThemeEditIsLoggedOncePerChange(t *testing.T) {
	dir := t.TempDir()
	mine, extra := filepath.Join(dir, "mine.yaml"), filepath.Join(dir, "extra.css")
	write(t, mine, "extends: default\nvariables:\n  colorPrimary: \"#123456\"\n")
	write(t, extra, ".cl-card{color:red}")
	var log syncBuffer
	p := portaltest.Start(t, portaltest.Options{Log: &log, Env: map[string]string{
		"PORTAL_THEME": mine, "PORTAL_THEME_CSS": extra}})
	b := newBrowser(t, p)
	load := func() {
		t.Helper()
		pg := b.get("/sign-in")
		for _, css := range stylesheets(pg) {
			b.getRaw(css)
		}
	}
	refusals := func() int {
		return strings.Count(log.String(), "theme file refused, still using the last good version")
	}

	write(t, mine, "extends: default\nvariables:\n  colorBorder: nope\n")
	for range 3 {
		load()
	}
	if n := refusals(); n != 1 {
		t.Errorf("a refused theme edit logged %d times over three page loads, want once:\n%s", n, log.String())
	}
	write(t, mine, "extends: default\nvariables:\n  colorBorder: still-nope\n")
	load()
	load()
	if n := refusals(); n != 2 {
		t.Errorf("a second refused edit: %d warnings in all, want 2", n)
	}
	write(t, extra, strings.Repeat("x", 300<<10)) // over the size allowed
	load()
	load()
	if n := refusals(); n != 3 || !strings.Contains(log.String(), "PORTAL_THEME_CSS") {
		t.Errorf("a refused PORTAL_THEME_CSS edit: %d warnings in all, want 3:\n%s", n, log.String())
	}
}

// A shipped theme in use is framed once, first, marked as in use.
func TestThemePreviewOfAShippedThemeInUse(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_THEME": "dark"}})
	pg := newBrowser(t, p).get("/dev/themes")
	var names []string
	pg.Doc.Find("figcaption").Each(func(_ int, s *goquery.Selection) { names = append(names, strings.Join(strings.Fields(s.Text()), " ")) })
	if len(names) != len(theme.Shipped()) || names[0] != "dark (in use) themes/dark.yaml" || slices.Contains(names[1:], "dark") {
		t.Errorf("captions %q", names)
	}
}

func TestThemePreviewIsOffInProduction(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{
		"PORTAL_ENV": "production", "PORTAL_SECRET_KEY": "sk_test_" + strings.Repeat("k", 40),
		"PORTAL_COOKIE_SECRET": strings.Repeat("c", 40), "PORTAL_SMTP_URL": "smtp://localhost:2525",
	}})
	b := newBrowser(t, p)
	if got := b.getRaw("/dev/themes"); got.Status != http.StatusNotFound {
		t.Errorf("/dev/themes in production: %d", got.Status)
	}
	pg := b.get("/sign-in?__theme=dark")
	if links := stylesheets(pg); strings.Contains(links[1], "__theme") {
		t.Errorf("production honoured __theme: %v", links)
	}
	if css := b.getRaw("/theme.css?__theme=dark").Body; strings.Contains(css, "--color-background:#212126") {
		t.Error("production served the dark theme for ?__theme=dark")
	}
	if csp := pg.Header.Get("Content-Security-Policy"); !strings.HasSuffix(csp, "frame-ancestors 'none'") {
		t.Errorf("production page frameable: %s", csp)
	}
}

func TestLocaleNegotiationSetsLang(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_DEFAULT_LOCALE": "fr"}})
	for _, tc := range []struct{ query, accept, lang string }{
		{"", "", "fr"},
		{"", "ja,en;q=0.5", "ja"},
		{"?locale=pt-BR", "ja", "pt-BR"},
		{"?locale=xx", "es-MX", "es"},
		{"", "zh-TW", "fr"},
	} {
		b := newBrowser(t, p)
		if tc.accept != "" {
			b.header = http.Header{"Accept-Language": {tc.accept}}
		}
		pg := b.get("/sign-in" + tc.query)
		html := pg.Doc.Find("html")
		if got := html.AttrOr("lang", ""); got != tc.lang {
			t.Errorf("%q / %q: lang %q, want %q", tc.query, tc.accept, got, tc.lang)
		}
		if _, has := html.Attr("dir"); has {
			t.Errorf("%s: dir set for a left-to-right language", tc.lang)
		}
	}
}

func write(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

// A logo file the theme names is served by the portal itself, with a
// version in its URL, an ETag, and a policy that keeps an SVG opened on
// its own inert (REQ-HDR-01: no script runs at the portal's origin, even
// from a file that slipped past the check); every page shows it from the
// portal's own origin, and emails from the public URL.
func TestOwnerLogoFileIsServed_REQ_HDR_01(t *testing.T) {
	dir := t.TempDir()
	svg := `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 40"><circle cx="20" cy="20" r="18" fill="#0b5394"/></svg>` + "\n"
	write(t, filepath.Join(dir, "brand", "logo.svg"), svg)
	themeFile := filepath.Join(dir, "acme.yaml")
	write(t, themeFile, "extends: default\noptions:\n  applicationName: Acme\n  logoImageFile: brand/logo.svg\n")
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_THEME": themeFile}})
	b := newBrowser(t, p)

	th, err := theme.Load(themeFile, true)
	if err != nil {
		t.Fatal(err)
	}
	want := "/theme-logo?v=" + th.Logo().Version
	for _, path := range []string{"/sign-in", "/sign-up"} {
		pg := b.get(path)
		if got := pg.Doc.Find(".cl-card .cl-logoBox img.cl-logoImage").AttrOr("src", ""); got != want {
			t.Errorf("%s: logo src %q, want %q", path, got, want)
		}
		if csp := pg.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "img-src 'self' data:;") {
			t.Errorf("%s: a logo of the portal's own widened img-src: %s", path, csp)
		}
	}

	logo := b.getRaw(want)
	if logo.Status != http.StatusOK || logo.Body != svg {
		t.Fatalf("logo: %d %q", logo.Status, logo.Body)
	}
	h := logo.Header
	wantSecurityHeaders(t, "GET "+want, "/theme-logo", false, logo.Status, h, logo.Body)
	if ct := h.Get("Content-Type"); ct != "image/svg+xml; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	csp := h.Get("Content-Security-Policy")
	for _, part := range []string{"default-src 'none'", "sandbox"} {
		if !strings.Contains(csp, part) {
			t.Errorf("logo CSP %q lacks %s", csp, part)
		}
	}
	if strings.Contains(csp, "script-src") || strings.Contains(csp, "allow-scripts") {
		t.Errorf("logo CSP %q allows scripts", csp)
	}
	if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Cross-Origin-Resource-Policy") != "cross-origin" {
		t.Errorf("nosniff %q, CORP %q", h.Get("X-Content-Type-Options"), h.Get("Cross-Origin-Resource-Policy"))
	}
	if cc := h.Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
		t.Errorf("versioned logo Cache-Control %q", cc)
	}
	if h.Get("Set-Cookie") != "" {
		t.Errorf("the logo sets a cookie: %s", h.Get("Set-Cookie"))
	}
	etag := h.Get("ETag")
	if strings.Trim(strings.TrimPrefix(etag, "W/"), `"`) != th.Logo().Version {
		t.Errorf("ETag %q, version %s", etag, th.Logo().Version)
	}
	if plain := b.getRaw("/theme-logo"); plain.Header.Get("Cache-Control") != "public, no-cache" || plain.Body != svg {
		t.Errorf("unversioned logo: %q", plain.Header.Get("Cache-Control"))
	}
	req := b.request(http.MethodGet, "/theme-logo", nil)
	req.Header.Set("If-None-Match", etag)
	if again := b.send(req); again.Status != http.StatusNotModified || again.Body != "" {
		t.Errorf("If-None-Match: %d %q", again.Status, again.Body)
	}
	// The preview of a shipped theme has no logo file; the logo route
	// still serves the configured theme's, whatever ?__theme= says.
	if got := b.getRaw("/theme-logo?__theme=dark"); got.Body != svg {
		t.Errorf("?__theme= changed the logo served: %d", got.Status)
	}
}

// A PNG logo file heads the emails by the portal's public URL
// (PORTAL_BASE_URL, never the request's Host: REQ-OTP-08).
func TestOwnerLogoFileInEmails_REQ_OTP_08(t *testing.T) {
	dir := t.TempDir()
	var png bytes.Buffer
	if err := pngenc.Encode(&png, image.NewNRGBA(image.Rect(0, 0, 80, 40))); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "logo.png"), png.String())
	themeFile := filepath.Join(dir, "acme.yaml")
	write(t, themeFile, "options:\n  logoImageFile: logo.png\n")
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_THEME": themeFile}})
	b := newBrowser(t, p)
	b.submit(b.get("/sign-up"), signUpForm, map[string]string{
		"email_address": "ada@example.com", "password": goodPassword, "first_name": "Ada", "last_name": "Lovelace"})
	msg := p.SMTP.WaitFor(t, "ada@example.com", mailWait)
	th, err := theme.Load(themeFile, true)
	if err != nil {
		t.Fatal(err)
	}
	src := p.URL + "/theme-logo?v=" + th.Logo().Version
	if !strings.Contains(msg.HTML, `<img src="`+src+`" alt="" width="80" height="40"`) {
		t.Errorf("email lacks the logo %s:\n%s", src, msg.HTML)
	}
	logo := b.getRaw(strings.TrimPrefix(src, p.URL))
	if logo.Status != http.StatusOK || logo.Header.Get("Content-Type") != "image/png" || logo.Body != png.String() {
		t.Errorf("logo: %d %s", logo.Status, logo.Header.Get("Content-Type"))
	}
	if csp := logo.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "sandbox") {
		t.Errorf("logo CSP %q", csp)
	}
}

// Without a logo file, there is nothing at /theme-logo.
func TestNoLogoFileNoLogoRoute(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	if got := newBrowser(t, p).getRaw("/theme-logo"); got.Status != http.StatusNotFound {
		t.Errorf("/theme-logo without a logo file: %d", got.Status)
	}
}
