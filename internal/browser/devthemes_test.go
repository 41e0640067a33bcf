package browser

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// /dev/themes shows the owner's own theme first, marked as the one in
// use, with its logo file served by the portal; under the title, what to
// fix in it: colours below WCAG AA, and an edit that was refused (the
// pages keep the last good version, so the log alone said so before).
// The page passes axe and fits 320 px with both notes showing.
func TestDevThemesShowsTheThemeInUse(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("logo.svg", `<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40" viewBox="0 0 40 40"><circle cx="20" cy="20" r="18" fill="#0b5394"/></svg>`)
	good := "extends: default\nvariables:\n  colorPrimary: \"#ffff00\"\noptions:\n  applicationName: Acme\n  logoImageFile: logo.svg\n"
	file := write("mine.yaml", good)
	w := startWith(t, portaltest.Options{Env: map[string]string{"PORTAL_THEME": file}})
	b := w.b
	b.do("desktop viewport", chromedp.EmulateViewport(desktopWidth, desktopHeight))
	b.open(w.p.URL + "/dev/themes")

	if got := strings.Join(strings.Fields(b.text(`[data-testid="theme-in-use"]`)), " "); got != "mine (in use) "+file {
		t.Errorf("first caption %q", got)
	}
	if got := b.attr("iframe", "title"); got != "Preview in the mine theme, the one in use" {
		t.Errorf("first frame's title %q", got)
	}
	// What the first frame draws: the owner's button colour and logo.
	const inFrame = `(() => {
		const d = document.querySelector("iframe").contentDocument;
		const img = d && d.querySelector(".cl-logoImage"), button = d && d.querySelector(".cl-formButtonPrimary");
		if (!img || !button || !img.complete) return "";
		return JSON.stringify({logo: img.getAttribute("src"), width: img.naturalWidth, button: getComputedStyle(button).backgroundColor});
	})()`
	var frame struct {
		Logo   string
		Width  int
		Button string
	}
	seen := b.waitEval(inFrame)
	if err := json.Unmarshal([]byte(seen), &frame); err != nil {
		b.fatalf("first frame: %q: %v", seen, err)
	}
	if !strings.HasPrefix(frame.Logo, "/theme-logo?v=") || frame.Width != 40 || frame.Button != "rgb(255, 255, 0)" {
		t.Errorf("first frame: %+v, want the logo file drawn and the owner's yellow button", frame)
	}
	if got := b.text(`[data-testid="theme-contrast"]`); !strings.Contains(got, "colorPrimaryForeground #ffffff on colorPrimary #ffff00 is 1.07:1") {
		t.Errorf("contrast note %q", got)
	}
	if n := b.count(`[data-testid="theme-refused"]`); n != 0 {
		t.Errorf("%d refused-edit notes before any edit", n)
	}

	// A refused edit: the note says what and where; the frames keep the
	// last good theme.
	write("mine.yaml", strings.Replace(good, "variables:\n", "variables:\n  colorBorder: nope\n", 1))
	b.open(w.p.URL + "/dev/themes")
	if got := b.text(`[data-testid="theme-refused"]`); !strings.Contains(got, "A change was refused") ||
		!strings.Contains(got, file+`: variables.colorBorder: "nope" is not accepted`) {
		t.Errorf("refused-edit note %q", got)
	}
	seen = b.waitEval(inFrame)
	if !strings.Contains(seen, `"button":"rgb(255, 255, 0)"`) {
		t.Errorf("first frame after a refused edit: %s", seen)
	}

	for _, v := range b.axe(axeScript(t)) {
		if v.blocking() {
			t.Errorf("axe: %s", v)
		}
	}

	b.do("320 px viewport", chromedp.EmulateViewport(narrowWidth, narrowHeight))
	if wide := b.eval(overflowScript); wide != "" {
		t.Errorf("/dev/themes scrolls sideways at %d px: %s", narrowWidth, wide)
	}
}

// waitEval evaluates js until it returns something other than "", for
// what a frame shows once it has loaded.
func (b *tab) waitEval(js string) string {
	b.t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if s := b.eval(js); s != "" || time.Now().After(deadline) {
			if s == "" {
				b.fatalf("nothing after 10 s: %.80q", js)
			}
			return s
		}
	}
}
