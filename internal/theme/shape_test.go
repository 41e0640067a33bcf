package theme

import (
	"errors"
	"strings"
	"testing"
)

// Mistakes an owner makes in the shape of a theme file — a misspelt or
// Clerk-named section, a list or set of keys where one value belongs, a CSS
// font list left unquoted — are reported by key and line with what to
// write instead, never in the YAML decoder's Go type names.
func TestShapeMistakesSayWhatToWrite(t *testing.T) {
	cases := []struct {
		name, body, key string
		line            int
		says            []string
	}{
		{"misspelt section", "varables:\n  colorPrimary: \"#123456\"\n", "varables", 1, []string{"unknown key", "use variables"}},
		{"wrong case", "Options:\n  helpPageUrl: https://a.example/\n", "Options", 1, []string{"use options", "case-sensitive"}},
		{"Clerk's layout", "layout:\n  logoImageUrl: https://a.example/l.svg\n", "layout", 1, []string{"use options"}},
		{"Clerk's elements", "elements:\n  card: {}\n", "elements", 1, []string{"use stylesheet", "cl-card"}},
		{"Clerk's baseTheme", "baseTheme: dark\n", "baseTheme", 1, []string{"use extends"}},
		{"a set of keys as a colour", "variables:\n  colorPrimary:\n    base: \"#123456\"\n", "variables.colorPrimary", 3, []string{"set of keys", "CSS colour"}},
		{"Clerk's fontWeight object", "variables:\n  fontWeight: {normal: 400, bold: 700}\n", "variables.fontWeight", 2, []string{"set of keys", "e.g. 400"}},
		{"a list as an option", "options:\n  helpPageUrl: [https://a.example/]\n", "options.helpPageUrl", 2, []string{"a list", "https://"}},
		{"variables as a list", "variables: [colorPrimary]\n", "variables", 1, []string{"name: value"}},
		{"unknown key under dark", "dark:\n  colours: {}\n", "dark.colours", 2, []string{"unknown key", "extends, variables"}},
		{"Clerk's former variable name", "variables:\n  colorText: \"#111111\"\n", "variables.colorText", 0, []string{"use colorForeground", "newer name"}},
		{"misspelt variable", "variables:\n  colorPrimery: \"#111111\"\n", "variables.colorPrimery", 0, []string{"use colorPrimary (the nearest"}},
		{"option in the wrong case", "options:\n  logoImageURL: https://a.example/l.svg\n", "options.logoImageURL", 0, []string{"use logoImageUrl", "case-sensitive"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeTheme(t, t.TempDir(), "owner.yaml", c.body)
			_, err := Load(path, false)
			var te *Error
			if !errors.As(err, &te) {
				t.Fatalf("error %v is not a *theme.Error", err)
			}
			if te.File != path || te.Key != c.key || te.Line != c.line {
				t.Errorf("file %q key %q line %d, want %q %q %d", te.File, te.Key, te.Line, path, c.key, c.line)
			}
			msg := err.Error()
			for _, s := range c.says {
				if !strings.Contains(msg, s) {
					t.Errorf("error does not say %q: %s", s, msg)
				}
			}
			for _, s := range []string{"theme.file", "unmarshal", "!!"} {
				if strings.Contains(msg, s) {
					t.Errorf("error speaks of the decoder (%q): %s", s, msg)
				}
			}
			if strings.Contains(msg, "quote values that start with #") {
				t.Errorf("error gives the hint for an unquoted colour: %s", msg)
			}
		})
	}
}

// A CSS font list pasted as it is written in CSS is not valid YAML; the
// error points at that line and shows it quoted.
func TestUnquotedFontListIsShownQuoted(t *testing.T) {
	body := "variables:\n  colorPrimary: \"#123456\"\n  fontFamily: \"Inter\", sans-serif\n"
	_, err := Load(writeTheme(t, t.TempDir(), "owner.yaml", body), false)
	if err == nil {
		t.Fatal("accepted")
	}
	if want := `line 3: a YAML value that starts with a quote`; !strings.Contains(err.Error(), want) {
		t.Errorf("error does not point at line 3: %v", err)
	}
	if want := `fontFamily: '"Inter", sans-serif'`; !strings.Contains(err.Error(), want) {
		t.Errorf("error does not show %s: %v", want, err)
	}
}

// A stylesheet given where a theme belongs, and a key written twice, are
// said plainly.
func TestStylesheetAsThemeAndDuplicateKey(t *testing.T) {
	dir := t.TempDir()
	css := writeTheme(t, dir, "brand.css", ".cl-card { color: red; }")
	for _, ref := range []string{css, "brand.css"} {
		_, err := Load(ref, false)
		var te *Error
		if !errors.As(err, &te) || te.File != "PORTAL_THEME" || !strings.Contains(err.Error(), ref+" is a stylesheet") || !strings.Contains(err.Error(), "PORTAL_THEME_CSS") {
			t.Errorf("PORTAL_THEME=%s: %v, want an error pointing to PORTAL_THEME_CSS", ref, err)
		}
	}
	_, err := Load(writeTheme(t, dir, "dup.yaml", "variables:\n  colorPrimary: '#111111'\n  colorPrimary: '#222222'\n"), false)
	if err == nil || !strings.Contains(err.Error(), `line 3: mapping key "colorPrimary" already defined at line 2`) ||
		strings.Contains(err.Error(), "unmarshal") || strings.Contains(err.Error(), "\n") {
		t.Errorf("duplicate key: %v", err)
	}
}
