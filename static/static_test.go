package static

import (
	"io/fs"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func readCSS(t *testing.T) string {
	t.Helper()
	b, err := fs.ReadFile(FS, "portal.css")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestEmbedsAssets(t *testing.T) {
	for _, name := range []string{"portal.css", "favicon.svg", "wait.js", "resend.js", "password.js", "backup.js", "orgnav.js", "history.js", "typed.js"} {
		if _, err := fs.Stat(FS, name); err != nil {
			t.Errorf("%s not embedded: %v", name, err)
		}
	}
}

// The stylesheet stays small and loads nothing from elsewhere (no fonts, no
// CDNs). What a person waits for is the wire: /sign-in with everything it
// loads, gzipped, stays under 40 KB (internal/browser's
// TestSignInIsLightAndSelfContained). This ceiling on what is served (the
// file less its comments), 22 KiB since the backup codes' buttons and
// printout and the organization tabs that scroll on a phone, keeps the one
// stylesheet every page loads from growing unnoticed.
func TestStylesheetIsSmallAndSelfContained(t *testing.T) {
	css := string(Stylesheet())
	if len(css) >= 22<<10 {
		t.Errorf("portal.css is served as %d bytes, want < 22 KiB (and the whole sign-in page on the wire under 40 KB)", len(css))
	}
	for _, bad := range []string{"@import", "url(", "http://", "https://"} {
		if strings.Contains(css, bad) {
			t.Errorf("portal.css contains %q", bad)
		}
	}
}

// What is served is the file without its comments, every rule intact.
func TestStylesheetIsServedWithoutComments(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"a { color: red; } /* note */\n", "a { color: red; }\n"},
		{"/* heading\n   over lines */\n\nb { x: 1 }\n", "b { x: 1 }\n"},
		{`a::before { content: "/* kept */"; }` + "\n", `a::before { content: "/* kept */"; }` + "\n"},
		{`a { content: 'it\'s /*'; } /* gone */` + "\n", `a { content: 'it\'s /*'; }` + "\n"},
		{"a { x: 1 } /* unclosed", "a { x: 1 }\n"},
	} {
		if got := stripComments(c.in); got != c.want {
			t.Errorf("stripComments(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	served, raw := string(Stylesheet()), readCSS(t)
	if strings.Contains(served, "/*") || strings.Contains(served, "*/") {
		t.Error("the served stylesheet still has a comment")
	}
	if !strings.Contains(raw, "/*") {
		t.Fatal("portal.css has no comment: this test proves nothing")
	}
	// Every rule survives: the file's lines with the comments cut out by
	// a plain pattern (its strings hold no "/*") are the lines served.
	var want []string
	for _, l := range strings.Split(regexp.MustCompile(`(?s)/\*.*?\*/`).ReplaceAllString(raw, ""), "\n") {
		if l = strings.TrimRight(l, " \t"); l != "" {
			want = append(want, l)
		}
	}
	if got := strings.Split(strings.TrimSuffix(served, "\n"), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("served %d lines, the file has %d rule lines", len(got), len(want))
	}
}

func TestDeclaresThemeVariables(t *testing.T) {
	vars := rootVars(t)
	for _, name := range []string{
		"color-primary", "color-primary-foreground", "color-background", "color-foreground",
		"color-muted-foreground", "color-muted", "color-input", "color-input-foreground",
		"color-border", "color-ring", "color-danger", "color-success", "color-warning",
		"color-neutral", "font-family", "font-family-buttons", "font-size", "font-weight",
		"border-radius", "spacing",
	} {
		if _, ok := vars[name]; !ok {
			t.Errorf("--%s not declared on :root", name)
		}
	}
}

// WCAG 2.2 AA: 4.5:1 for text (1.4.3), 3:1 for focus rings and input borders (1.4.11).
func TestDefaultThemeContrast(t *testing.T) {
	vars := rootVars(t)
	for _, c := range []struct {
		fg, bg string
		min    float64
	}{
		{"color-foreground", "color-background", 4.5},
		{"color-foreground", "color-muted", 4.5},
		{"color-muted-foreground", "color-background", 4.5},
		{"color-muted-foreground", "color-muted", 4.5},
		{"color-primary-foreground", "color-primary", 4.5},
		{"color-primary", "color-background", 4.5}, // links and reset buttons
		{"color-primary", "color-muted", 4.5},      // links in the footer
		{"color-input-foreground", "color-input", 4.5},
		{"color-danger", "color-background", 4.5},
		{"color-success", "color-background", 4.5},
		{"color-warning", "color-background", 4.5},
		{"color-ring", "color-background", 3},
		{"color-neutral", "color-input", 3},
	} {
		r := contrast(hex(t, vars[c.fg]), hex(t, vars[c.bg]))
		if r < c.min {
			t.Errorf("--%s on --%s: %.2f:1, want ≥ %.1f:1", c.fg, c.bg, r, c.min)
		}
	}
}

func rootVars(t *testing.T) map[string]string {
	t.Helper()
	root := regexp.MustCompile(`(?s):root\s*\{(.*?)\}`).FindStringSubmatch(readCSS(t))
	if root == nil {
		t.Fatal("no :root block")
	}
	vars := map[string]string{}
	for _, m := range regexp.MustCompile(`--([a-z-]+)\s*:\s*([^;]+);`).FindAllStringSubmatch(root[1], -1) {
		vars[m[1]] = strings.TrimSpace(m[2])
	}
	return vars
}

func hex(t *testing.T, s string) [3]float64 {
	t.Helper()
	if len(s) != 7 || s[0] != '#' {
		t.Fatalf("colour %q is not #rrggbb", s)
	}
	var c [3]float64
	for i := range c {
		v, err := strconv.ParseUint(s[1+2*i:3+2*i], 16, 8)
		if err != nil {
			t.Fatal(err)
		}
		c[i] = float64(v) / 255
	}
	return c
}

func luminance(c [3]float64) float64 {
	lin := func(v float64) float64 {
		if v <= 0.04045 {
			return v / 12.92
		}
		return math.Pow((v+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(c[0]) + 0.7152*lin(c[1]) + 0.0722*lin(c[2])
}

func contrast(a, b [3]float64) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// REQ-SES-09: no script the portal ships keeps anything in the browser's
// storage or touches cookies; the session lives in HttpOnly cookies only.
// These files are all the script there is: the templates have no inline
// scripts. One exception: typed.js keeps what a person typed in a form
// (never a password or a code; internal/browser's
// TestFormsKeepWhatWasTypedAcrossReloadAndBack reads the storage) in the
// tab's session storage, gone with the tab, to put it back on a reload.
// The history entry's state would be the other place, and writing it
// while a form is sent cancels the sending in Chromium.
func TestScriptsKeepNothingInBrowserStorage_REQ_SES_09(t *testing.T) {
	scripts, err := fs.Glob(FS, "*.js")
	if err != nil || len(scripts) == 0 {
		t.Fatalf("no scripts embedded (%v): the check would prove nothing", err)
	}
	for _, name := range scripts {
		b, err := fs.ReadFile(FS, name)
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range []string{"localStorage", "sessionStorage", "indexedDB", "document.cookie", "caches."} {
			if strings.Contains(string(b), bad) && !(name == "typed.js" && bad == "sessionStorage") {
				t.Errorf("%s uses %s", name, bad)
			}
		}
	}
}
