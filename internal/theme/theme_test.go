package theme

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/portalhq/portal/static"
)

func writeTheme(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestShippedThemesLoad(t *testing.T) {
	want := []string{"auto", "dark", "default", "neobrutalism", "shades-of-purple", "simple"}
	if got := Shipped(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Shipped() = %v, want %v", got, want)
	}
	for _, name := range want {
		th, err := Load(name, false)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		blocks, err := parseCSS(th.CSS())
		if err != nil {
			t.Fatalf("%s: CSS does not parse: %v\n%s", name, err, th.CSS())
		}
		if blocks[0].prelude != ":root" || len(blocks[0].decls) < 19 {
			t.Errorf("%s: first block %q with %d declarations", name, blocks[0].prelude, len(blocks[0].decls))
		}
		if got := (name == "auto"); th.HasDark() != got || (len(blocks) == 2) != got {
			t.Errorf("%s: HasDark=%v, %d blocks", name, th.HasDark(), len(blocks))
		}
		if !strings.HasPrefix(th.Stylesheet(), th.CSS()) || th.Version() == "" {
			t.Errorf("%s: stylesheet does not start with the variables, or no version", name)
		}
	}
	auto, _ := Load("auto", false)
	dark, _ := Load("dark", false)
	blocks, _ := parseCSS(auto.CSS())
	if blocks[1].prelude != "@media (prefers-color-scheme: dark) :root" {
		t.Errorf("auto's second block is %q", blocks[1].prelude)
	}
	// auto's dark block is the dark theme's colours (and colour scheme):
	// fonts, sizes and radius do not change with the scheme.
	darkBlocks, _ := parseCSS(dark.CSS())
	var darkColours [][2]string
	for _, d := range darkBlocks[0].decls {
		if strings.HasPrefix(d[0], "--color-") {
			darkColours = append(darkColours, d)
		}
	}
	if !reflect.DeepEqual(blocks[1].decls, darkColours) {
		t.Errorf("auto's dark block is not the dark theme's colours:\n%v\n%v", blocks[1].decls, darkColours)
	}
	neo, _ := Load("neobrutalism", false)
	if !strings.Contains(neo.Stylesheet(), "box-shadow: 8px 8px 0") {
		t.Error("neobrutalism's stylesheet is not appended")
	}
}

// The default theme says what static/portal.css already says, so a page
// looks the same with or without /theme.css.
func TestDefaultThemeMatchesStylesheet(t *testing.T) {
	css, err := static.FS.ReadFile("portal.css")
	if err != nil {
		t.Fatal(err)
	}
	s := string(css)
	root := s[strings.Index(s, ":root {")+len(":root {"):]
	root = root[:strings.Index(root, "}")]
	base := map[string]string{}
	for _, line := range strings.Split(root, ";") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), ":"); ok {
			base[k] = strings.TrimSpace(v)
		}
	}
	th, err := Load("default", false)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range variables {
		got, set := th.Var(v.Name)
		if !set {
			if v.Name != "fontFamilyButtons" {
				t.Errorf("default theme leaves %s unset", v.Name)
			}
			continue
		}
		if base[v.Property] != got {
			t.Errorf("%s: default theme %q, portal.css %q", v.Name, got, base[v.Property])
		}
	}
}

// Each row is a theme file whose value must stop start-up with the file,
// the key and what is accepted (REQ-IN-03).
func TestLoadRefusesBadValues(t *testing.T) {
	cases := []struct {
		name, body, key, accepts string
	}{
		{"css injection in a colour", `variables: {colorPrimary: "red;} body{display:none"}`, "variables.colorPrimary", "CSS colour"},
		{"closing style tag", `variables: {colorBackground: "</style><script>alert(1)</script>"}`, "variables.colorBackground", "CSS colour"},
		{"url in a colour", `variables: {colorPrimary: "url(https://evil.example/x)"}`, "variables.colorPrimary", "CSS colour"},
		{"expression", `variables: {colorPrimary: "expression(alert(1))"}`, "variables.colorPrimary", "CSS colour"},
		{"var() smuggled", `variables: {colorPrimary: "var(--x)"}`, "variables.colorPrimary", "CSS colour"},
		{"rgb with a declaration", `variables: {colorPrimary: "rgb(1,2,3);x:y"}`, "variables.colorPrimary", "CSS colour"},
		{"rgb with calc", `variables: {colorPrimary: "rgb(calc(1) 2 3)"}`, "variables.colorPrimary", "CSS colour"},
		{"rgb out of range", `variables: {colorPrimary: "rgb(300, 0, 0)"}`, "variables.colorPrimary", "CSS colour"},
		{"hex too long", `variables: {colorPrimary: "#1234567"}`, "variables.colorPrimary", "CSS colour"},
		{"unquoted hash is a YAML comment", "variables:\n  colorPrimary: #fff\n", "variables.colorPrimary", "quote values that start with #"},
		{"newline in a colour", `variables: {colorPrimary: "red\n}"}`, "variables.colorPrimary", "CSS colour"},
		{"unknown colour name", `variables: {colorPrimary: "blurple"}`, "variables.colorPrimary", "named colour"},
		{"length without unit", `variables: {borderRadius: "12"}`, "variables.borderRadius", "length"},
		{"length with calc", `variables: {spacing: "calc(1rem + 1px)"}`, "variables.spacing", "length"},
		{"negative length", `variables: {spacing: "-1rem"}`, "variables.spacing", "length"},
		{"length with exponent", `variables: {fontSize: "1e3px"}`, "variables.fontSize", "length"},
		{"font with semicolon", `variables: {fontFamily: "Arial; color: red"}`, "variables.fontFamily", "font-family"},
		{"font with brace", `variables: {fontFamily: "Arial}body{x:y"}`, "variables.fontFamily", "font-family"},
		{"unbalanced quote", `variables: {fontFamily: "'Segoe UI, Arial"}`, "variables.fontFamily", "font-family"},
		{"quote inside a name", `variables: {fontFamily: "\"Seg\"oe\", Arial"}`, "variables.fontFamily", "font-family"},
		{"escape in a font", `variables: {fontFamily: "Arial\\3b x"}`, "variables.fontFamily", "font-family"},
		{"url in a font", `variables: {fontFamily: "url(x)"}`, "variables.fontFamily", "font-family"},
		{"comment in a font", `variables: {fontFamily: "Arial/**/"}`, "variables.fontFamily", "font-family"},
		{"font starting with a digit", `variables: {fontFamily: "3D, Arial"}`, "variables.fontFamily", "font-family"},
		{"empty font entry", `variables: {fontFamily: "Arial,,serif"}`, "variables.fontFamily", "font-family"},
		{"weight out of range", `variables: {fontWeight: "1001"}`, "variables.fontWeight", "font weight"},
		{"weight as text", `variables: {fontWeight: "heavy"}`, "variables.fontWeight", "font weight"},
		{"unknown variable", `variables: {colorShimmer: "red"}`, "variables.colorShimmer", "a variable name"},
		{"unknown option", `options: {logo: "x"}`, "options.logo", "an option name"},
		{"unknown top-level key", `colours: {}`, "", "keys: extends"},
		{"http logo in production", `options: {logoImageUrl: "http://localhost/logo.png"}`, "options.logoImageUrl", "https://"},
		{"javascript logo", `options: {logoImageUrl: "javascript:alert(1)"}`, "options.logoImageUrl", "https://"},
		{"data logo", `options: {logoImageUrl: "data:image/svg+xml,<svg/>"}`, "options.logoImageUrl", "https://"},
		{"quote in a URL", `options: {termsPageUrl: "https://example.com/\"onload=x"}`, "options.termsPageUrl", "https://"},
		{"credentials in a URL", `options: {helpPageUrl: "https://user:pw@example.com/"}`, "options.helpPageUrl", "https://"},
		{"relative URL", `options: {privacyPageUrl: "/privacy"}`, "options.privacyPageUrl", "https://"},
		{"odd host", `options: {logoLinkUrl: "https://exa_mple.com/"}`, "options.logoLinkUrl", "https://"},
		{"bad placement", `options: {socialButtonsPlacement: "left"}`, "options.socialButtonsPlacement", "top, bottom"},
		{"bad variant", `options: {socialButtonsVariant: "big"}`, "options.socialButtonsVariant", "blockButton, iconButton, auto"},
		{"bad boolean", `options: {showOptionalFields: "sometimes"}`, "options.showOptionalFields", "true or false"},
		{"control character in name", `options: {applicationName: "Acme\u0007"}`, "options.applicationName", "plain text"},
		{"unknown parent", `extends: nosuch`, "extends", "shipped theme"},
		{"stylesheet outside the folder", `stylesheet: ../secret.css`, "stylesheet", ".css file in the same folder"},
		{"stylesheet not css", `stylesheet: notes.txt`, "stylesheet", ".css file in the same folder"},
		{"bad dark value", `dark: {variables: {colorBackground: "black;"}}`, "dark.variables.colorBackground", "CSS colour"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeTheme(t, t.TempDir(), "owner.yaml", c.body)
			_, err := Load(path, false)
			if err == nil {
				t.Fatal("accepted")
			}
			msg := err.Error()
			if !strings.Contains(msg, c.accepts) {
				t.Errorf("error does not say what is accepted (%q): %s", c.accepts, msg)
			}
			var te *Error
			if c.key == "" {
				if !strings.Contains(msg, path) {
					t.Errorf("error does not name the file: %s", msg)
				}
				return
			}
			if !errors.As(err, &te) || te.Key != c.key {
				t.Fatalf("error %v, want key %s", err, c.key)
			}
			if te.File != path {
				t.Errorf("file %q, want %q", te.File, path)
			}
		})
	}
}

func TestLoadAcceptsOwnerTheme(t *testing.T) {
	dir := t.TempDir()
	writeTheme(t, dir, "acme.css", ".cl-card { outline: 1px solid red; }")
	writeTheme(t, dir, "base.yaml", "extends: dark\nvariables:\n  colorPrimary: '#ff00aa'\n")
	path := writeTheme(t, dir, "acme.json", `{
		"extends": "./base.yaml",
		"stylesheet": "acme.css",
		"variables": {
			"colorPrimary": "RGB(10, 20, 30)", "colorRing": "hsl(220 80% 50% / 50%)",
			"fontFamily": "  'Inter Var',   \"Noto Sans JP\", system-ui,sans-serif ",
			"fontFamilyButtons": "メイリオ, sans-serif",
			"fontSize": "15PX", "fontWeight": 500, "borderRadius": "0", "spacing": ".75rem"
		},
		"options": {
			"applicationName": "Acme & Co's", "logoImageUrl": "https://cdn.acme.example/logo.svg",
			"logoLinkUrl": "https://acme.example/", "logoPlacement": "outside",
			"socialButtonsVariant": "iconButton", "socialButtonsPlacement": "bottom", "showOptionalFields": false,
			"termsPageUrl": "https://acme.example/terms", "privacyPageUrl": "https://acme.example/privacy?x=1&y=2",
			"helpPageUrl": "https://help.acme.example:8443/"
		}
	}`)
	th, err := Load(path, false)
	if err != nil {
		t.Fatal(err)
	}
	if th.Name != "acme" || th.Source != path {
		t.Errorf("name %q source %q", th.Name, th.Source)
	}
	want := map[string]string{
		"colorPrimary": "rgb(10, 20, 30)", "colorRing": "hsl(220 80% 50% / 50%)",
		"fontFamily": `'Inter Var', "Noto Sans JP", system-ui, sans-serif`, "fontFamilyButtons": "メイリオ, sans-serif",
		"fontSize": "15px", "fontWeight": "500", "borderRadius": "0", "spacing": ".75rem",
		"colorBackground": "#212126", // from dark, through base.yaml
	}
	for k, v := range want {
		if got, _ := th.Var(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	wantOpts := Options{ApplicationName: "Acme & Co's", LogoImageURL: "https://cdn.acme.example/logo.svg",
		LogoLinkURL: "https://acme.example/", LogoPlacement: "outside", SocialButtonsVariant: "iconButton",
		SocialButtonsPlacement: "bottom", TermsPageURL: "https://acme.example/terms",
		PrivacyPageURL: "https://acme.example/privacy?x=1&y=2", HelpPageURL: "https://help.acme.example:8443/"}
	if th.Options != wantOpts {
		t.Errorf("options\n got %+v\nwant %+v", th.Options, wantOpts)
	}
	if !strings.HasSuffix(strings.TrimSpace(th.Stylesheet()), ".cl-card { outline: 1px solid red; }") {
		t.Errorf("owner stylesheet missing: %s", th.Stylesheet())
	}
	if _, err := parseCSS(th.CSS()); err != nil {
		t.Error(err)
	}
	def, _ := Load("default", false)
	if def.Options.LogoPlacement != "inside" || !def.Options.ShowOptionalFields || def.Options.SocialButtonsVariant != "auto" {
		t.Errorf("default options: %+v", def.Options)
	}
}

func TestDevAcceptsLocalhostURLs(t *testing.T) {
	path := writeTheme(t, t.TempDir(), "local.yaml", "options:\n  logoImageUrl: http://localhost:3000/logo.png\n  helpPageUrl: http://127.0.0.1/help\n")
	if _, err := Load(path, false); err == nil {
		t.Error("production accepted http://localhost")
	}
	th, err := Load(path, true)
	if err != nil {
		t.Fatal(err)
	}
	if th.Options.LogoImageURL != "http://localhost:3000/logo.png" {
		t.Errorf("logo %q", th.Options.LogoImageURL)
	}
	other := writeTheme(t, t.TempDir(), "remote.yaml", "options:\n  logoImageUrl: http://example.com/logo.png\n")
	if _, err := Load(other, true); err == nil {
		t.Error("development accepted http:// to a host that is not loopback")
	}
}

func TestExtendsLoopIsRefused(t *testing.T) {
	dir := t.TempDir()
	writeTheme(t, dir, "a.yaml", "extends: ./b.yaml\n")
	writeTheme(t, dir, "b.yaml", "extends: ./a.yaml\n")
	_, err := Load(filepath.Join(dir, "a.yaml"), false)
	var te *Error
	if !errors.As(err, &te) || te.Key != "extends" {
		t.Fatalf("loop: %v", err)
	}
}

func TestLiveReloadsInDevelopment(t *testing.T) {
	dir := t.TempDir()
	path := writeTheme(t, dir, "mine.yaml", "extends: default\nvariables:\n  colorPrimary: '#111111'\n")
	custom := writeTheme(t, dir, "extra.css", ".cl-card{color:red}")
	live, err := NewLive(path, custom, true)
	if err != nil {
		t.Fatal(err)
	}
	var loaded []string
	live.Loaded = func(th *Theme) { v, _ := th.Var("colorPrimary"); loaded = append(loaded, v) }
	th, _ := live.Theme()
	if v, _ := th.Var("colorPrimary"); v != "#111111" {
		t.Fatalf("colorPrimary %q", v)
	}
	// Editors save whole files; a different size or time is what is seen.
	touch := func(p, body string) {
		t.Helper()
		writeTheme(t, dir, filepath.Base(p), body)
		later := time.Now().Add(time.Duration(len(body)) * time.Second)
		if err := os.Chtimes(p, later, later); err != nil {
			t.Fatal(err)
		}
	}
	touch(path, "extends: default\nvariables:\n  colorPrimary: '#222222'\n")
	th, err = live.Theme()
	if v, _ := th.Var("colorPrimary"); err != nil || v != "#222222" {
		t.Fatalf("after edit: %q, %v", v, err)
	}
	touch(path, "extends: default\nvariables:\n  colorPrimary: 'red;}'\n")
	th, err = live.Theme()
	if v, _ := th.Var("colorPrimary"); err == nil || v != "#222222" {
		t.Fatalf("after a bad edit: %q, %v (want the last good theme and the error)", v, err)
	}
	if _, err := live.Theme(); err == nil {
		t.Error("the error is forgotten before the file is fixed")
	}
	touch(path, "extends: dark\n")
	th, err = live.Theme()
	if v, _ := th.Var("colorPrimary"); err != nil || v != "#f4f4f5" {
		t.Fatalf("after the fix: %q, %v", v, err)
	}
	if want := []string{"#222222", "#f4f4f5"}; !reflect.DeepEqual(loaded, want) {
		t.Errorf("Loaded was called with %v, want %v (each good reload, once)", loaded, want)
	}
	touch(custom, ".cl-card{color:blue}")
	c, err := live.Custom()
	if err != nil || string(c.CSS) != ".cl-card{color:blue}" || c.Version == "" {
		t.Fatalf("custom CSS: %+v %v", c, err)
	}

	prod, err := NewLive(path, "", false)
	if err != nil {
		t.Fatal(err)
	}
	touch(path, "extends: default\n")
	th, _ = prod.Theme()
	if v, _ := th.Var("colorPrimary"); v != "#f4f4f5" {
		t.Errorf("production re-read the file: %q", v)
	}
	if c, err := prod.Custom(); c != nil || err != nil {
		t.Errorf("no custom CSS configured: %v %v", c, err)
	}
}

func TestNewLiveStopsOnBadFiles(t *testing.T) {
	if _, err := NewLive("nosuch", "", false); err == nil || !strings.Contains(err.Error(), "default, neobrutalism") {
		t.Errorf("unknown theme: %v", err)
	}
	if _, err := NewLive("default", filepath.Join(t.TempDir(), "missing.css"), false); err == nil ||
		!strings.Contains(err.Error(), "PORTAL_THEME_CSS") {
		t.Errorf("missing custom CSS: %v", err)
	}
}

// The page's color-scheme follows its background, so that what the
// browser draws itself (a file input's button, a select's arrow) is dark on
// a dark theme: light for default, dark for dark, each in its place for
// auto, and light for a translucent background over the white page.
func TestColorSchemeFollowsTheBackground(t *testing.T) {
	scheme := func(b block) string {
		for _, d := range b.decls {
			if d[0] == "--color-scheme" {
				return d[1]
			}
		}
		return ""
	}
	for name, want := range map[string][]string{"default": {"light"}, "dark": {"dark"}, "auto": {"light", "dark"}} {
		th, err := Load(name, false)
		if err != nil {
			t.Fatal(err)
		}
		blocks, err := parseCSS(th.CSS())
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, b := range blocks {
			got = append(got, scheme(b))
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: color-scheme %v, want %v", name, got, want)
		}
	}
	th := &Theme{vars: map[string]string{"colorBackground": "rgba(0, 0, 0, .05)"}}
	if blocks, _ := parseCSS(th.render()); scheme(blocks[0]) != "light" {
		t.Errorf("a faint translucent background: %v", blocks)
	}
}

// The README's example theme loads as written, once the logos and the
// stylesheet it names sit next to it; without a logo the error says
// where it was looked for, without the stylesheet that the line may be
// left out.
func TestReadmeThemeExample(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	const open = "```yaml\n# acme.yaml — PORTAL_THEME=./acme.yaml\n"
	_, body, ok := strings.Cut(string(readme), open)
	if !ok {
		t.Fatal("README has no acme.yaml example")
	}
	body, _, _ = strings.Cut(body, "```")
	dir := t.TempDir()
	path := writeTheme(t, dir, "acme.yaml", body)
	_, err = Load(path, false)
	var te *Error
	if !errors.As(err, &te) || te.Key != "options.logoImageFile" || !strings.Contains(err.Error(), filepath.Join(dir, "brand", "logo.svg")) {
		t.Fatalf("without brand/logo.svg: %v, want an error on options.logoImageFile saying where it looked", err)
	}
	writeFile(t, filepath.Join(dir, "brand", "logo.svg"), []byte(svgLogo))
	_, err = Load(path, false)
	if !errors.As(err, &te) || te.Key != "dark.options.logoImageFile" || !strings.Contains(err.Error(), filepath.Join(dir, "brand", "logo-dark.svg")) {
		t.Fatalf("without brand/logo-dark.svg: %v, want an error on dark.options.logoImageFile saying where it looked", err)
	}
	writeFile(t, filepath.Join(dir, "brand", "logo-dark.svg"), []byte(svgDarkLogo))
	_, err = Load(path, false)
	if !errors.As(err, &te) || te.Key != "stylesheet" || !strings.Contains(err.Error(), "leave the stylesheet line out") {
		t.Fatalf("without acme.css: %v, want an error on stylesheet saying it may be left out", err)
	}
	writeTheme(t, dir, "acme.css", ".cl-card { box-shadow: none; }")
	th, err := Load(path, false)
	if err != nil {
		t.Fatalf("the README's example theme is refused: %v", err)
	}
	if th.Logo() == nil || th.Logo().Type != "image/svg+xml" {
		t.Errorf("logo %+v", th.Logo())
	}
	if th.DarkLogo() == nil || th.DarkLogo().File != filepath.Join(dir, "brand", "logo-dark.svg") {
		t.Errorf("dark logo %+v", th.DarkLogo())
	}
	if v, _ := th.Var("colorPrimary"); v != "#0b5394" || th.Options.ApplicationName != "Acme" || !th.HasDark() {
		t.Errorf("colorPrimary %q, applicationName %q, dark %v", v, th.Options.ApplicationName, th.HasDark())
	}
	if ps := th.ContrastProblems(); len(ps) != 0 {
		t.Errorf("the README's example has contrast problems: %v", ps)
	}
}

// An owner's theme extending auto keeps its fonts, sizes and radius in
// dark mode: only colours switch with prefers-color-scheme.
func TestOwnFontsHoldInDarkMode(t *testing.T) {
	path := writeTheme(t, t.TempDir(), "acme.yaml", "extends: auto\nvariables:\n  colorPrimary: '#c2410c'\n"+
		"  fontFamily: '\"Inter\", sans-serif'\n  borderRadius: 2px\n  spacing: 0.75rem\n")
	th, err := Load(path, false)
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := parseCSS(th.CSS())
	if err != nil || len(blocks) != 2 {
		t.Fatalf("CSS: %v, %d blocks\n%s", err, len(blocks), th.CSS())
	}
	for _, d := range blocks[1].decls {
		if !strings.HasPrefix(d[0], "--color-") {
			t.Errorf("dark mode sets %s: %s over the theme's own", d[0], d[1])
		}
	}
	if v, _ := th.Var("fontFamily"); v != `"Inter", sans-serif` {
		t.Errorf("fontFamily = %q", v)
	}
}

// Two start-up mistakes answered with what to do: a shipped theme's name
// written with capitals, and a PORTAL_THEME_CSS file that is not there.
func TestThemeNameCaseAndMissingCustomCSS(t *testing.T) {
	if _, err := Load("Dark", false); err == nil || !strings.Contains(err.Error(), "dark (theme names are lower-case)") {
		t.Errorf("PORTAL_THEME=Dark: %v", err)
	}
	_, err := NewLive("default", "brand.css", false)
	if err == nil || !strings.Contains(err.Error(), "no file brand.css (looked for /") || strings.Contains(err.Error(), "stat ") {
		t.Errorf("a missing PORTAL_THEME_CSS: %v", err)
	}
}

// A theme file that is not there, named by PORTAL_THEME or by another
// theme's extends, is answered with the setting, the path looked for and
// what to give instead, not a bare "stat …: no such file or directory".
func TestMissingThemeFileNamesTheSettingAndThePath(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "acme.yaml")
	_, err := Load(missing, false)
	if err == nil || !strings.Contains(err.Error(), "theme: PORTAL_THEME: no file "+missing) ||
		!strings.Contains(err.Error(), "use the path of a theme file") || strings.Contains(err.Error(), "stat ") {
		t.Errorf("PORTAL_THEME naming no file: %v", err)
	}
	child := filepath.Join(dir, "child.yaml")
	if err := os.WriteFile(child, []byte("extends: base.yaml\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Load(child, false)
	if err == nil || !strings.Contains(err.Error(), child+": extends: no file base.yaml (looked for "+filepath.Join(dir, "base.yaml")+")") ||
		!strings.Contains(err.Error(), "relative to the folder of "+child) || strings.Contains(err.Error(), "stat ") {
		t.Errorf("extends naming no file: %v", err)
	}
}
