package views

import (
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/portalhq/portal/internal/i18n"
)

func themed(t *testing.T, mod func(p *Page)) Page {
	t.Helper()
	cat, err := i18n.New("en", "")
	if err != nil {
		t.Fatal(err)
	}
	p := page("Sign in")
	p.I18n = cat.For("en")
	mod(&p)
	return p
}

func TestThemeStylesheetsFollowPortalCSS(t *testing.T) {
	doc, _ := render(t, SignInStartPage(SignInStart{Page: page("Sign in")}))
	var hrefs []string
	doc.Find(`link[rel="stylesheet"]`).Each(func(_ int, s *goquery.Selection) { hrefs = append(hrefs, s.AttrOr("href", "")) })
	if strings.Join(hrefs, " ") != "/static/portal.css /theme.css" {
		t.Errorf("stylesheets %v", hrefs)
	}
	p := themed(t, func(p *Page) { p.ThemeCSS, p.CustomCSS = "/theme.css?v=abc", "/theme-custom.css?v=def" })
	doc, _ = render(t, SignInStartPage(SignInStart{Page: p}))
	hrefs = nil
	doc.Find(`link[rel="stylesheet"]`).Each(func(_ int, s *goquery.Selection) { hrefs = append(hrefs, s.AttrOr("href", "")) })
	if strings.Join(hrefs, " ") != "/static/portal.css /theme.css?v=abc /theme-custom.css?v=def" {
		t.Errorf("stylesheets %v", hrefs)
	}
}

func TestLogoPlacementAndFooterPages(t *testing.T) {
	logo := func(p *Page) { p.LogoURL, p.LogoLink = "https://cdn.example.com/l.svg", "https://example.com/" }
	cases := []struct {
		placement, where string
	}{
		{"", ".cl-card .cl-header > .cl-logoBox"},
		{"inside", ".cl-card .cl-header > .cl-logoBox"},
		{"outside", "main.cl-rootBox > .cl-logoBox"},
	}
	for _, c := range cases {
		p := themed(t, func(p *Page) { logo(p); p.LogoPlacement = c.placement })
		doc, _ := render(t, SignInStartPage(SignInStart{Page: p}))
		if doc.Find(".cl-logoBox").Length() != 1 || doc.Find(c.where).Length() != 1 {
			t.Errorf("placement %q: logo not at %s", c.placement, c.where)
		}
		img := doc.Find(c.where + " a.cl-logoLink[href='https://example.com/'] img.cl-logoImage")
		if img.AttrOr("alt", "") != "Acme home page" || img.AttrOr("src", "") != "https://cdn.example.com/l.svg" {
			t.Errorf("placement %q: image %v", c.placement, img.Nodes)
		}
	}
	p := themed(t, func(p *Page) { logo(p); p.LogoPlacement = "none" })
	if doc, _ := render(t, SignInStartPage(SignInStart{Page: p})); doc.Find(".cl-logoBox").Length() != 0 {
		t.Error("logo shown with placement none")
	}
	p = themed(t, func(p *Page) { p.LogoURL = "https://cdn.example.com/l.svg" })
	if doc, _ := render(t, SignInStartPage(SignInStart{Page: p})); doc.Find(".cl-logoBox > img.cl-logoImage").AttrOr("alt", "") != "Acme" {
		t.Error("unlinked logo's alt is not the application name")
	}

	p = themed(t, func(p *Page) {
		p.DevMode = false
		p.TermsURL, p.PrivacyURL, p.HelpURL = "https://e.com/t", "https://e.com/p", "https://e.com/h"
	})
	doc, _ := render(t, SignOutPage(SignOut{Page: p}))
	links := doc.Find(".cl-footer nav.cl-footerPages a.cl-footerPagesLink")
	if links.Length() != 3 || links.Eq(0).Text() != "Help" || links.Eq(1).Text() != "Privacy" || links.Eq(2).Text() != "Terms" ||
		links.Eq(2).AttrOr("href", "") != "https://e.com/t" {
		t.Errorf("footer pages: %d links", links.Length())
	}
	p = themed(t, func(p *Page) { p.DevMode = false })
	if doc, _ := render(t, HomePage(Home{Page: p})); doc.Find(".cl-footer").Length() != 0 {
		t.Error("empty footer rendered")
	}
}

// A dark-mode logo is a <source> the browser picks under
// prefers-color-scheme: dark, before the <img> that keeps the light logo,
// its alt text and its class; without one the <img> stands alone.
func TestDarkLogoIsAPictureSource(t *testing.T) {
	for _, link := range []string{"", "https://example.com/"} {
		p := themed(t, func(p *Page) {
			p.LogoURL, p.DarkLogoURL, p.LogoLink = "/theme-logo?v=1", "/theme-logo?v=2&scheme=dark", link
		})
		doc, _ := render(t, SignInStartPage(SignInStart{Page: p}))
		pic := doc.Find(".cl-logoBox picture.cl-logoPicture")
		src := pic.Children().First()
		img := pic.Children().Last()
		if pic.Length() != 1 || pic.Children().Length() != 2 || !src.Is("source") || !img.Is("img.cl-logoImage") {
			t.Fatalf("link %q: picture %v", link, pic.Nodes)
		}
		if src.AttrOr("media", "") != "(prefers-color-scheme: dark)" || src.AttrOr("srcset", "") != "/theme-logo?v=2&scheme=dark" {
			t.Errorf("link %q: source %v", link, src.Nodes[0].Attr)
		}
		alt := "Acme"
		if link != "" {
			alt = "Acme home page"
		}
		if img.AttrOr("src", "") != "/theme-logo?v=1" || img.AttrOr("alt", "") != alt {
			t.Errorf("link %q: img %v", link, img.Nodes[0].Attr)
		}
	}
	p := themed(t, func(p *Page) { p.LogoURL = "/theme-logo?v=1" })
	if doc, _ := render(t, SignInStartPage(SignInStart{Page: p})); doc.Find("picture, source").Length() != 0 {
		t.Error("a <picture> without a dark logo")
	}
}

func TestDirAttribute(t *testing.T) {
	doc, _ := render(t, SignInStartPage(SignInStart{Page: themed(t, func(p *Page) { p.Lang, p.Dir = "ar", "rtl" })}))
	if h := doc.Find("html"); h.AttrOr("lang", "") != "ar" || h.AttrOr("dir", "") != "rtl" {
		t.Errorf("html lang/dir: %v", h.Nodes[0].Attr)
	}
}
