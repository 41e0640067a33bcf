package browser

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// A person whose browser prefers dark sees the theme's dark-mode logo, and
// one who prefers light sees the light logo, the same size in the same
// place, with scripts off: the browser picks the picture's source itself.
// The two files differ in width so that what was drawn tells them apart.
func TestDarkLogoInDarkMode(t *testing.T) {
	dir := t.TempDir()
	logo := func(name string, w int, c color.NRGBA) {
		t.Helper()
		img := image.NewNRGBA(image.Rect(0, 0, w, 40))
		for x := range w {
			for y := range 40 {
				img.SetNRGBA(x, y, c)
			}
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	logo("logo.png", 120, color.NRGBA{11, 83, 148, 255})
	logo("logo-dark.png", 80, color.NRGBA{244, 244, 245, 255})
	file := filepath.Join(dir, "acme.yaml")
	if err := os.WriteFile(file, []byte("extends: auto\noptions:\n  applicationName: Acme\n  logoImageFile: logo.png\n"+
		"dark:\n  options:\n    logoImageFile: logo-dark.png\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	w := startWith(t, portaltest.Options{Env: map[string]string{"PORTAL_THEME": file}})
	b := w.b
	b.disableJavaScript()

	type drawn struct {
		Src    string  // the URL the <img> shows
		Width  int     // of the image file drawn
		Height float64 // on the page, in CSS pixels
		Alt    string
		Card   string // the card's computed background colour
	}
	const seen = `(() => {
		const img = document.querySelector(".cl-card .cl-logoBox .cl-logoImage");
		if (!img || !img.complete || !img.naturalWidth) return "";
		return JSON.stringify({src: img.currentSrc, width: img.naturalWidth, height: img.getBoundingClientRect().height, alt: img.alt,
			card: getComputedStyle(document.querySelector(".cl-card")).backgroundColor});
	})()`
	look := func(scheme string) drawn {
		t.Helper()
		ctx, cancel := b.bounded()
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}})
		cancel()
		if err != nil {
			b.fatalf("prefers-color-scheme: %s: %v", scheme, err)
		}
		b.open(w.p.URL + "/sign-in")
		var d drawn
		if err := json.Unmarshal([]byte(b.waitEval(seen)), &d); err != nil {
			b.fatalf("%s: %v", scheme, err)
		}
		return d
	}

	light := look("light")
	if !strings.Contains(light.Src, "/theme-logo?v=") || strings.Contains(light.Src, "scheme=dark") || light.Width != 120 {
		t.Errorf("light mode shows %+v, want the light logo (120 px wide)", light)
	}
	dark := look("dark")
	if !strings.HasSuffix(dark.Src, "&scheme=dark") || dark.Width != 80 {
		t.Errorf("dark mode shows %+v, want the dark logo (80 px wide)", dark)
	}
	// Each logo on the card it was made for: the theme's dark colours are
	// in force wherever the dark logo is (a theme without them is refused).
	if light.Card != "rgb(255, 255, 255)" || dark.Card != "rgb(33, 33, 38)" {
		t.Errorf("card behind the light logo %s, behind the dark one %s", light.Card, dark.Card)
	}
	if light.Height != dark.Height || light.Height == 0 || light.Alt != "Acme" || dark.Alt != "Acme" {
		t.Errorf("light %+v and dark %+v differ in height or alt text", light, dark)
	}
}
