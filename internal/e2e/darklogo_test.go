package e2e

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	pngenc "image/png"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/app"
	"github.com/portalhq/portal/internal/config"
	"github.com/portalhq/portal/internal/testutil/portaltest"
	"github.com/portalhq/portal/internal/theme"
)

// A dark-mode logo file is served by the portal beside the light one, at
// its own versioned URL and with the same headers: the sandboxing policy
// that keeps an SVG opened on its own inert (REQ-HDR-01), the ETag, and
// caching for good by version (REQ-HDR-06). Pages offer it to the browser
// under prefers-color-scheme: dark; the policy of the page needs no other
// origin for it.
func TestOwnerDarkLogoFileIsServed_REQ_HDR_01(t *testing.T) {
	dir := t.TempDir()
	light := `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 40"><circle cx="20" cy="20" r="18" fill="#0b5394"/></svg>` + "\n"
	dark := `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 40"><circle cx="20" cy="20" r="18" fill="#f4f4f5"/></svg>` + "\n"
	write(t, filepath.Join(dir, "brand", "logo.svg"), light)
	write(t, filepath.Join(dir, "brand", "logo-dark.svg"), dark)
	themeFile := filepath.Join(dir, "acme.yaml")
	write(t, themeFile, "extends: auto\noptions:\n  applicationName: Acme\n  logoImageFile: brand/logo.svg\n"+
		"dark:\n  options:\n    logoImageFile: brand/logo-dark.svg\n")
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_THEME": themeFile}})
	b := newBrowser(t, p)
	th, err := theme.Load(themeFile, true)
	if err != nil {
		t.Fatal(err)
	}
	lightURL, darkURL := "/theme-logo?v="+th.Logo().Version, "/theme-logo?v="+th.DarkLogo().Version+"&scheme=dark"

	pg := b.get("/sign-in")
	source := pg.Doc.Find(".cl-card .cl-logoBox picture source")
	if source.AttrOr("srcset", "") != darkURL || source.AttrOr("media", "") != "(prefers-color-scheme: dark)" {
		t.Errorf("dark logo source: %v, want srcset %s", source.Nodes, darkURL)
	}
	if img := pg.Doc.Find(".cl-card .cl-logoBox picture img.cl-logoImage"); img.AttrOr("src", "") != lightURL || img.AttrOr("alt", "") != "Acme" {
		t.Errorf("logo img: %v, want src %s", img.Nodes, lightURL)
	}
	if csp := pg.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "img-src 'self' data:;") {
		t.Errorf("logos of the portal's own widened img-src: %s", csp)
	}

	logo := b.getRaw(darkURL)
	if logo.Status != http.StatusOK || logo.Body != dark {
		t.Fatalf("dark logo: %d %q", logo.Status, logo.Body)
	}
	h := logo.Header
	wantSecurityHeaders(t, "GET "+darkURL, "/theme-logo", false, logo.Status, h, logo.Body)
	if ct := h.Get("Content-Type"); ct != "image/svg+xml; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "sandbox") ||
		strings.Contains(csp, "script") {
		t.Errorf("dark logo CSP %q", csp)
	}
	if h.Get("Cross-Origin-Resource-Policy") != "cross-origin" || h.Get("Set-Cookie") != "" {
		t.Errorf("CORP %q, Set-Cookie %q", h.Get("Cross-Origin-Resource-Policy"), h.Get("Set-Cookie"))
	}
	if cc := h.Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
		t.Errorf("versioned dark logo Cache-Control %q", cc)
	}
	etag := h.Get("ETag")
	if strings.Trim(strings.TrimPrefix(etag, "W/"), `"`) != th.DarkLogo().Version || th.DarkLogo().Version == th.Logo().Version {
		t.Errorf("ETag %q, dark version %s, light %s", etag, th.DarkLogo().Version, th.Logo().Version)
	}
	// Unversioned, it is revalidated by its own ETag; a light version
	// asked for with scheme=dark is not cached for good.
	if plain := b.getRaw("/theme-logo?scheme=dark"); plain.Body != dark || plain.Header.Get("Cache-Control") != "public, no-cache" {
		t.Errorf("unversioned dark logo: %q %q", plain.Header.Get("Cache-Control"), plain.Body)
	}
	if mixed := b.getRaw("/theme-logo?v=" + th.Logo().Version + "&scheme=dark"); mixed.Body != dark || mixed.Header.Get("Cache-Control") != "public, no-cache" {
		t.Errorf("dark logo by the light version: %q", mixed.Header.Get("Cache-Control"))
	}
	req := b.request(http.MethodGet, "/theme-logo?scheme=dark", nil)
	req.Header.Set("If-None-Match", etag)
	if again := b.send(req); again.Status != http.StatusNotModified || again.Body != "" {
		t.Errorf("If-None-Match: %d %q", again.Status, again.Body)
	}
	if got := b.getRaw(lightURL); got.Status != http.StatusOK || got.Body != light {
		t.Errorf("light logo beside the dark one: %d %q", got.Status, got.Body)
	}
	if got := b.getRaw("/theme-logo?scheme=sepia"); got.Status != http.StatusNotFound {
		t.Errorf("an unknown scheme: %d", got.Status)
	}
}

// Without a dark-mode logo file, the page shows the <img> alone and there
// is nothing at /theme-logo?scheme=dark.
func TestNoDarkLogoFileNoDarkLogo(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "logo.svg"), `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"/>`)
	themeFile := filepath.Join(dir, "acme.yaml")
	write(t, themeFile, "extends: auto\noptions:\n  logoImageFile: logo.svg\n")
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_THEME": themeFile}})
	b := newBrowser(t, p)
	if got := b.getRaw("/theme-logo?scheme=dark"); got.Status != http.StatusNotFound {
		t.Errorf("/theme-logo?scheme=dark without a dark logo: %d", got.Status)
	}
	if pg := b.get("/sign-in"); pg.Doc.Find(".cl-logoBox picture").Length() != 0 || pg.Doc.Find(".cl-logoBox img.cl-logoImage").Length() != 1 {
		t.Errorf("logo without a dark one: %d pictures", pg.Doc.Find(".cl-logoBox picture").Length())
	}
}

// A dark-mode logo on the web adds its origin to the page's img-src
// (REQ-HDR-01 keeps every other origin out), beside the light logo's.
func TestDarkLogoURLWidensImgSrc_REQ_HDR_01(t *testing.T) {
	dir := t.TempDir()
	themeFile := filepath.Join(dir, "acme.yaml")
	write(t, themeFile, "extends: auto\noptions:\n  logoImageUrl: https://cdn.acme.example/logo.svg\n"+
		"dark:\n  options:\n    logoImageUrl: https://night.acme.example:8443/logo-dark.svg\n")
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_THEME": themeFile}})
	pg := newBrowser(t, p).get("/sign-in")
	if csp := pg.Header.Get("Content-Security-Policy"); !strings.Contains(csp,
		"img-src 'self' data: https://cdn.acme.example https://night.acme.example:8443;") {
		t.Errorf("the logos' origins are not both allowed: %s", csp)
	}
	if got := pg.Doc.Find(".cl-logoBox picture source").AttrOr("srcset", ""); got != "https://night.acme.example:8443/logo-dark.svg" {
		t.Errorf("dark logo srcset %q", got)
	}
}

// Emails keep the light logo: mail clients' dark modes differ too much
// for a <picture> to be picked reliably, and most show none.
func TestEmailsKeepTheLightLogo(t *testing.T) {
	dir := t.TempDir()
	pngOf := func(c color.NRGBA) string {
		img := image.NewNRGBA(image.Rect(0, 0, 80, 40))
		for i := range img.Pix {
			img.Pix[i] = []uint8{c.R, c.G, c.B, c.A}[i%4]
		}
		var buf bytes.Buffer
		if err := pngenc.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		return buf.String()
	}
	write(t, filepath.Join(dir, "logo.png"), pngOf(color.NRGBA{11, 83, 148, 255}))
	write(t, filepath.Join(dir, "logo-dark.png"), pngOf(color.NRGBA{244, 244, 245, 255}))
	themeFile := filepath.Join(dir, "acme.yaml")
	write(t, themeFile, "extends: auto\noptions:\n  logoImageFile: logo.png\ndark:\n  options:\n    logoImageFile: logo-dark.png\n")
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_THEME": themeFile}})
	b := newBrowser(t, p)
	b.submit(b.get("/sign-up"), signUpForm, map[string]string{
		"email_address": "ada@example.com", "password": goodPassword, "first_name": "Ada", "last_name": "Lovelace"})
	msg := p.SMTP.WaitFor(t, "ada@example.com", mailWait)
	th, err := theme.Load(themeFile, true)
	if err != nil {
		t.Fatal(err)
	}
	if src := p.URL + th.Logo().URL(); !strings.Contains(msg.HTML, `<img src="`+src+`"`) || strings.Contains(msg.HTML, "scheme=dark") {
		t.Errorf("email, want the light logo %s alone:\n%s", src, msg.HTML)
	}
}

// A dark-mode logo on a theme that stays light when the browser prefers
// dark would show a logo made for a dark card on a light one: the portal
// refuses to start, naming the file, the key and the dark colours to pair
// it with, rather than draw it there.
func TestDarkLogoOnALightThemeStopsStartUp(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "logo.svg"), `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"/>`)
	write(t, filepath.Join(dir, "logo-dark.svg"), `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"/>`)
	themeFile := filepath.Join(dir, "acme.yaml")
	write(t, themeFile, "extends: default\noptions:\n  logoImageFile: logo.svg\ndark:\n  options:\n    logoImageFile: logo-dark.svg\n")
	cfg, err := config.FromMap(map[string]string{"PORTAL_THEME": themeFile, "PORTAL_LOG_LEVEL": "error",
		"PORTAL_DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "portal.db")})
	if err != nil {
		t.Fatal(err)
	}
	p, err := app.Build(context.Background(), cfg, app.Options{Log: io.Discard})
	if err == nil {
		p.Close()
		t.Fatal("started with a dark logo on a light theme")
	}
	var te *theme.Error
	if !errors.As(err, &te) || te.File != themeFile || te.Key != "dark.options.logoImageFile" {
		t.Fatalf("error %v, want one naming %s and dark.options.logoImageFile", err, themeFile)
	}
	for _, want := range []string{"no dark colours", "extends: auto", "dark: extends: dark"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %s", want, err)
		}
	}
}
