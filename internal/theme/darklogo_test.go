package theme

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const svgDarkLogo = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 40"><circle cx="20" cy="20" r="18" fill="#f4f4f5"/></svg>`

// A theme's dark: section names the logo for dark mode by file (read and
// served by the portal, at its own URL) or by URL, next to the light one.
func TestDarkLogoByFileOrURL(t *testing.T) {
	dir := t.TempDir()
	light := writeFile(t, filepath.Join(dir, "logo.png"), pngOf(t, 120, 40))
	dark := writeFile(t, filepath.Join(dir, "brand", "logo-dark.svg"), []byte(svgDarkLogo))

	path := writeTheme(t, dir, "file.yaml", "extends: auto\noptions:\n  logoImageFile: logo.png\n"+
		"dark:\n  options:\n    logoImageFile: brand/logo-dark.svg\n")
	th, err := Load(path, false)
	if err != nil {
		t.Fatal(err)
	}
	d := th.DarkLogo()
	if d == nil || d.File != dark || d.Type != "image/svg+xml" || !bytes.Equal(d.Data, []byte(svgDarkLogo)) || !d.Dark {
		t.Fatalf("dark logo %+v", d)
	}
	if d.URL() != "/theme-logo?v="+d.Version+"&scheme=dark" {
		t.Errorf("dark logo URL %q", d.URL())
	}
	if th.Logo() == nil || th.Logo().File != light || th.Logo().Dark || th.Logo().URL() != "/theme-logo?v="+th.Logo().Version {
		t.Errorf("light logo %+v", th.Logo())
	}
	if th.Options.DarkLogoImageFile != dark || th.Options.DarkLogoImageURL != "" {
		t.Errorf("options %+v", th.Options)
	}
	if !th.HasDark() {
		t.Error("an auto theme with a dark logo has no dark mode")
	}

	// JSON reads the same; a URL is checked as logoImageUrl is.
	byURL := writeTheme(t, dir, "url.json", `{"options": {"logoImageUrl": "https://cdn.acme.example/logo.svg"},
		"dark": {"extends": "dark", "options": {"logoImageUrl": " https://cdn.acme.example/logo-dark.svg "}}}`)
	th, err = Load(byURL, false)
	if err != nil {
		t.Fatal(err)
	}
	if th.DarkLogo() != nil || th.Options.DarkLogoImageURL != "https://cdn.acme.example/logo-dark.svg" || th.Options.DarkLogoImageFile != "" {
		t.Errorf("dark logo by URL: %+v %+v", th.DarkLogo(), th.Options)
	}
}

// Each row must stop start-up naming the file and the key under dark:,
// with what to write instead, as the light logo's refusals do.
func TestDarkLogoRefused(t *testing.T) {
	cases := []struct {
		name string
		dark string // the lines under dark: options: ("": a logo key under dark: itself)
		file string // written next to the theme with data, when set
		data []byte
		key  string
		line int // 0: not checked
		want []string
	}{
		{"file and URL", "logoImageFile: d.svg\n    logoImageUrl: https://cdn.acme.example/d.svg", "d.svg", []byte(svgDarkLogo),
			"dark.options.logoImageFile", 0, []string{"logoImageUrl is set too", "one of logoImageUrl"}},
		{"another option", "applicationName: Acme at night", "", nil,
			"dark.options.applicationName", 6, []string{"unknown dark option", "applicationName under options: (it holds in both colour schemes)"}},
		{"misspelt", "logoImageURL: https://cdn.acme.example/d.svg", "", nil,
			"dark.options.logoImageURL", 6, []string{"logoImageUrl (names are case-sensitive)"}},
		{"not an option", "background: black", "", nil,
			"dark.options.background", 6, []string{"one of the options: logoImageFile, logoImageUrl"}},
		{"http URL", "logoImageUrl: http://cdn.acme.example/d.svg", "", nil,
			"dark.options.logoImageUrl", 0, []string{"an absolute https:// URL"}},
		{"missing file", "logoImageFile: d.svg", "", nil,
			"dark.options.logoImageFile", 0, []string{"no file d.svg (looked for "}},
		{"svg script", "logoImageFile: d.svg", "d.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`),
			"dark.options.logoImageFile", 0, []string{"<script> element"}},
		{"text", "logoImageFile: d.png", "d.png", []byte("not a picture\n"),
			"dark.options.logoImageFile", 0, []string{"is not a PNG, JPEG, WebP, GIF or SVG image"}},
		{"too many pixels", "logoImageFile: d.png", "d.png", pngOf(t, 1, 5000),
			"dark.options.logoImageFile", 0, []string{"1×5000 pixels"}},
		{"too big", "logoImageFile: d.png", "d.png", append(pngOf(t, 4, 4), make([]byte, maxLogo)...),
			"dark.options.logoImageFile", 0, []string{"at most 512 KiB"}},
		{"not under options", "", "", nil,
			"dark.logoImageFile", 5, []string{"unknown key", "options: with logoImageFile: indented under it"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "logo.png"), pngOf(t, 4, 4))
			if c.file != "" {
				writeFile(t, filepath.Join(dir, c.file), c.data)
			}
			body := "extends: auto\noptions:\n  logoImageFile: logo.png\ndark:\n  options:\n    " + c.dark + "\n"
			if c.dark == "" {
				body = "extends: auto\noptions:\n  logoImageFile: logo.png\ndark:\n  logoImageFile: logo.png\n"
			}
			path := writeTheme(t, dir, "acme.yaml", body)
			_, err := Load(path, false)
			var te *Error
			if !errors.As(err, &te) {
				t.Fatalf("error %v, want a *theme.Error", err)
			}
			if te.File != path || te.Key != c.key || (c.line != 0 && te.Line != c.line) {
				t.Errorf("file %q key %q line %d, want %q %d", te.File, te.Key, te.Line, c.key, c.line)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%s", w, err)
				}
			}
		})
	}
}

// A dark-mode logo stands in for a logo: a theme with none is told to
// set one, rather than showing a logo in dark mode alone.
func TestDarkLogoWithoutALogoIsRefused(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "d.svg"), []byte(svgDarkLogo))
	path := writeTheme(t, dir, "acme.yaml", "extends: auto\ndark:\n  options:\n    logoImageFile: d.svg\n")
	_, err := Load(path, false)
	var te *Error
	if !errors.As(err, &te) || te.File != path || te.Key != "dark.options.logoImageFile" ||
		!strings.Contains(err.Error(), "no logo for it to replace") || !strings.Contains(err.Error(), "options.logoImageFile or options.logoImageUrl") {
		t.Errorf("error %v", err)
	}
}

// Through extends:, a theme inherits its parent's dark logo (a file path
// stays relative to the parent that named it) unless it sets its own; a
// theme that sets its own logo leaves the parent's dark one behind, as it
// was a version of the parent's logo; dark.extends takes colours only
// and leaves the logos as they are.
func TestDarkLogoInTheChain(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "brand", "logo.svg"), []byte(svgLogo))
	darkFile := writeFile(t, filepath.Join(dir, "brand", "logo-dark.svg"), []byte(svgDarkLogo))
	writeTheme(t, filepath.Join(dir, "brand"), "base.yaml",
		"extends: auto\noptions:\n  logoImageFile: logo.svg\ndark:\n  options:\n    logoImageFile: logo-dark.svg\n")

	load := func(name, body string) *Theme {
		t.Helper()
		th, err := Load(writeTheme(t, dir, name, body), false)
		if err != nil {
			t.Fatal(err)
		}
		return th
	}
	th := load("child.yaml", "extends: brand/base.yaml\nvariables:\n  colorPrimary: \"#0b5394\"\n")
	if th.DarkLogo() == nil || th.DarkLogo().File != darkFile || th.Options.DarkLogoImageFile != darkFile {
		t.Errorf("inherited dark logo %+v", th.DarkLogo())
	}
	grand := load("grand.yaml", "extends: child.yaml\ndark:\n  extends: dark\n  variables:\n    colorPrimary: \"#9fc5e8\"\n")
	if grand.DarkLogo() == nil || grand.DarkLogo().File != darkFile {
		t.Errorf("dark.extends and dark.variables dropped the inherited dark logo: %+v", grand.DarkLogo())
	}

	byURL := load("url.yaml", "extends: brand/base.yaml\ndark:\n  options:\n    logoImageUrl: https://cdn.acme.example/d.svg\n")
	if byURL.DarkLogo() != nil || byURL.Options.DarkLogoImageFile != "" || byURL.Options.DarkLogoImageURL != "https://cdn.acme.example/d.svg" ||
		byURL.Logo() == nil {
		t.Errorf("a dark URL over a parent's dark file: %+v %+v", byURL.DarkLogo(), byURL.Options)
	}
	overURL := load("overurl.yaml", "extends: url.yaml\ndark:\n  options:\n    logoImageFile: brand/logo-dark.svg\n")
	if overURL.DarkLogo() == nil || overURL.DarkLogo().File != darkFile || overURL.Options.DarkLogoImageURL != "" {
		t.Errorf("a dark file over a parent's dark URL: %+v %+v", overURL.DarkLogo(), overURL.Options)
	}

	own := load("own.yaml", "extends: brand/base.yaml\noptions:\n  logoImageUrl: https://cdn.other.example/l.svg\n")
	if own.DarkLogo() != nil || own.Options.DarkLogoImageFile != "" || own.Options.DarkLogoImageURL != "" {
		t.Errorf("a theme with its own logo kept its parent's dark logo: %+v %+v", own.DarkLogo(), own.Options)
	}
	pair := load("pair.yaml", "extends: brand/base.yaml\noptions:\n  logoImageUrl: https://cdn.other.example/l.svg\n"+
		"dark:\n  options:\n    logoImageUrl: https://cdn.other.example/l-dark.svg\n")
	if pair.Options.DarkLogoImageURL != "https://cdn.other.example/l-dark.svg" || pair.DarkLogo() != nil {
		t.Errorf("own logo and dark logo: %+v", pair.Options)
	}
}

// In development a changed dark logo file is read again with its theme.
func TestLiveRereadsDarkLogoFile(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "logo.png"), pngOf(t, 2, 2))
	darkPath := writeFile(t, filepath.Join(dir, "dark.png"), pngOf(t, 2, 2))
	path := writeTheme(t, dir, "acme.yaml", "extends: auto\noptions:\n  logoImageFile: logo.png\ndark:\n  options:\n    logoImageFile: dark.png\n")
	live, err := NewLive(path, "", true)
	if err != nil {
		t.Fatal(err)
	}
	first, _ := live.Theme()
	v1 := first.DarkLogo().Version
	later := time.Now().Add(2 * time.Second)
	writeFile(t, darkPath, pngOf(t, 5, 5))
	if err := os.Chtimes(darkPath, later, later); err != nil {
		t.Fatal(err)
	}
	th, err := live.Theme()
	if err != nil || th.DarkLogo().Version == v1 || th.DarkLogo().Width != 5 {
		t.Errorf("changed dark logo not read again: %v, %+v", err, th.DarkLogo())
	}
}

// A dark-mode logo is drawn only when the browser prefers dark; on a
// theme whose card stays light then, it would show a logo made for a dark
// background on a light card. Such a theme is refused at load, naming the
// file and key of the dark logo and the fix; whether the card turns dark
// is judged after inheritance, by the colours in force.
func TestDarkLogoNeedsDarkColours(t *testing.T) {
	cases := []struct {
		name   string
		parent string // base.yaml, when set
		body   string // acme.yaml, after the logo lines
		from   string // the file the refusal names ("": accepted)
		want   string
	}{
		{"auto", "", "extends: auto\n", "", ""},
		{"dark extends dark", "", "extends: default\ndark:\n  extends: dark\n", "", ""},
		{"dark background", "", "extends: default\ndark:\n  variables: {colorBackground: '#111114', colorForeground: white}\n", "", ""},
		{"light theme", "", "extends: default\n", "acme.yaml", "the theme has no dark colours"},
		{"no extends", "", "", "acme.yaml", "the theme has no dark colours"},
		{"dark brand colour only", "", "extends: default\ndark:\n  variables: {colorPrimary: '#9fc5e8'}\n", "acme.yaml", "stay light when the browser prefers dark"},
		{"dark extends default", "", "extends: auto\ndark:\n  extends: default\n", "acme.yaml", "the theme has no dark colours"},
		{"always dark", "", "extends: dark\n", "acme.yaml", "dark in both colour schemes"},
		{"child adds dark colours", "extends: default\noptions:\n  logoImageFile: logo.png\ndark:\n  options:\n    logoImageFile: d.svg\n",
			"extends: base.yaml\ndark:\n  extends: dark\n", "", ""},
		{"child makes dark light", "extends: auto\noptions:\n  logoImageFile: logo.png\ndark:\n  options:\n    logoImageFile: d.svg\n",
			"extends: base.yaml\ndark:\n  variables: {colorBackground: white}\n", "base.yaml", "the theme has no dark colours"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "logo.png"), pngOf(t, 4, 4))
			writeFile(t, filepath.Join(dir, "d.svg"), []byte(svgDarkLogo))
			body := c.body
			if c.parent != "" {
				writeTheme(t, dir, "base.yaml", c.parent)
			} else {
				body += "options:\n  logoImageFile: logo.png\n"
				if strings.Contains(body, "dark:\n") {
					body = strings.Replace(body, "dark:\n", "dark:\n  options:\n    logoImageFile: d.svg\n", 1)
				} else {
					body += "dark:\n  options:\n    logoImageFile: d.svg\n"
				}
			}
			path := writeTheme(t, dir, "acme.yaml", body)
			th, err := Load(path, false)
			if c.from == "" {
				if err != nil || th.DarkLogo() == nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var te *Error
			if !errors.As(err, &te) {
				t.Fatalf("error %v, want a *theme.Error", err)
			}
			if te.File != filepath.Join(dir, c.from) || te.Key != "dark.options.logoImageFile" ||
				!strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "; use ") {
				t.Errorf("error %v, want one on %s dark.options.logoImageFile saying %q", err, c.from, c.want)
			}
		})
	}
	// A URL is refused the same way, by its own key.
	dir := t.TempDir()
	path := writeTheme(t, dir, "acme.yaml", "options:\n  logoImageUrl: https://cdn.acme.example/l.svg\n"+
		"dark:\n  options:\n    logoImageUrl: https://cdn.acme.example/d.svg\n")
	var te *Error
	if _, err := Load(path, false); !errors.As(err, &te) || te.Key != "dark.options.logoImageUrl" {
		t.Errorf("dark logo URL on a light theme: %v", err)
	}
}
