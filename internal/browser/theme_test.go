package browser

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// The theme's variables reach the rendered page: the auto theme follows the
// browser's colour scheme, a previewed theme's own stylesheet applies, and
// the locale switches the page's language and the catalog's text.
func TestThemeAndLocaleInTheBrowser(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "owner.yaml")
	if err := os.WriteFile(file, []byte("extends: auto\noptions:\n  termsPageUrl: https://acme.example/terms\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	w := startWith(t, portaltest.Options{Env: map[string]string{"PORTAL_THEME": file}})
	b := w.b
	style := func(sel, prop string) string {
		t.Helper()
		ctx, cancel := b.bounded()
		defer cancel()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](
			`getComputedStyle(document.querySelector(`+quoteJS(sel)+`)).`+prop))
		if err != nil {
			b.fatalf("computed %s of %s: %v", prop, sel, err)
		}
		return v
	}
	scheme := func(s string) {
		t.Helper()
		ctx, cancel := b.bounded()
		defer cancel()
		if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: s}}}); err != nil {
			b.fatalf("prefers-color-scheme: %s: %v", s, err)
		}
	}

	scheme("light")
	b.open(w.p.URL + "/sign-in")
	if got := style(".cl-card", "backgroundColor"); got != "rgb(255, 255, 255)" {
		t.Errorf("light card background %s", got)
	}
	if got := style(".cl-formButtonPrimary", "backgroundColor"); got != "rgb(47, 48, 55)" {
		t.Errorf("light primary button %s", got)
	}
	scheme("dark")
	b.open(w.p.URL + "/sign-in")
	if got := style(".cl-card", "backgroundColor"); got != "rgb(33, 33, 38)" {
		t.Errorf("dark card background %s", got)
	}
	if got := style(".cl-headerTitle", "color"); got != "rgb(244, 244, 245)" {
		t.Errorf("dark title colour %s", got)
	}

	b.open(w.p.URL + "/sign-in?__theme=neobrutalism")
	if got := style(".cl-card", "boxShadow"); !strings.Contains(got, "8px 8px 0px") {
		t.Errorf("neobrutalism card shadow %q", got)
	}
	if got := style(".cl-card", "borderTopLeftRadius"); got != "0px" {
		t.Errorf("neobrutalism radius %q", got)
	}

	b.open(w.p.URL + "/sign-in?locale=ja")
	if got := b.attr("html", "lang"); got != "ja" {
		t.Errorf("lang %q", got)
	}
	if got := b.text(".cl-footerPagesLink__terms"); got != "利用規約" {
		t.Errorf("terms link %q", got)
	}
	if got := b.text("h1"); got != "Portal にサインイン" {
		t.Errorf("title %q", got)
	}
	// The choice outlives the parameter: the form posts without it, and
	// the next step is Japanese still (the __portal_locale cookie).
	b.typeInto("identifier-field", "someone@example.com")
	b.submit("submit the identifier", `form[action="/sign-in"]`)
	b.expectURL(w.p.URL + "/sign-in/factor-one?")
	if got, lang := b.text("h1"), b.attr("html", "lang"); got != "パスワードを入力" || lang != "ja" {
		t.Errorf("after the POST: h1 %q, lang %q", got, lang)
	}
	if got := b.attr("#password-field", "autocomplete"); got != "current-password" {
		t.Errorf("password field autocomplete %q", got)
	}
	b.open(w.p.URL + "/sign-in?locale=de")
	if got := b.text("h1"); got != "Bei Portal anmelden" {
		t.Errorf("after ?locale=de: title %q", got)
	}
}

func quoteJS(s string) string { return "'" + strings.ReplaceAll(s, "'", `\'`) + "'" }
