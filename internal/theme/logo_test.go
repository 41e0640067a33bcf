package theme

import (
	"bytes"
	"encoding/hex"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/testutil/webptest"
)

// webp3x2 is a lossless 3×2 WebP of one colour.
var webp3x2, _ = hex.DecodeString("5249464618000000574542505650384c0c0000002f02400010e854174ad9ff00")

const svgLogo = `<?xml version="1.0" encoding="UTF-8"?>
<!-- exported by a drawing program -->
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 40 40">
  <defs><linearGradient id="g"><stop offset="0" stop-color="#0b5394"/></linearGradient></defs>
  <a xlink:href="https://acme.example/"><circle cx="20" cy="20" r="18" fill="url(#g)"/></a>
  <style>circle { opacity: .9 }</style>
</svg>
`

func encodeImage(t *testing.T, w, h int, enc func(*bytes.Buffer, image.Image) error) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		for y := range h {
			img.Set(x, y, color.NRGBA{R: 11, G: 83, B: 148, A: 255})
		}
	}
	var b bytes.Buffer
	if err := enc(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func pngOf(t *testing.T, w, h int) []byte {
	return encodeImage(t, w, h, func(b *bytes.Buffer, i image.Image) error { return png.Encode(b, i) })
}

func writeFile(t *testing.T, path string, data []byte) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// A theme names its logo by a path relative to the theme file; the file's
// content, not its name, says what it is, and the logo is read once, when
// the theme loads.
func TestLogoFileIsReadByItsContent(t *testing.T) {
	cases := []struct {
		name, file string
		data       []byte
		typ        string
		w, h       int
	}{
		{"png", "logo.png", pngOf(t, 120, 40), "image/png", 120, 40},
		{"jpeg", "logo.jpg", encodeImage(t, 30, 20, func(b *bytes.Buffer, i image.Image) error { return jpeg.Encode(b, i, nil) }), "image/jpeg", 30, 20},
		{"gif", "logo.gif", encodeImage(t, 16, 16, func(b *bytes.Buffer, i image.Image) error { return gif.Encode(b, i, nil) }), "image/gif", 16, 16},
		{"webp", "logo.webp", webp3x2, "image/webp", 3, 2},
		{"svg", "brand/logo.svg", []byte(svgLogo), "image/svg+xml", 0, 0},
		{"png named .svg", "logo.svg", pngOf(t, 8, 8), "image/png", 8, 8},
		{"svg named .png", "logo.png", []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`), "image/svg+xml", 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			file := writeFile(t, filepath.Join(dir, c.file), c.data)
			path := writeTheme(t, dir, "acme.yaml", "extends: default\noptions:\n  logoImageFile: "+c.file+"\n")
			th, err := Load(path, false)
			if err != nil {
				t.Fatal(err)
			}
			logo := th.Logo()
			if logo == nil {
				t.Fatal("no logo")
			}
			if logo.Type != c.typ || logo.Width != c.w || logo.Height != c.h || !bytes.Equal(logo.Data, c.data) {
				t.Errorf("logo %s %d×%d (%d bytes), want %s %d×%d (%d bytes)", logo.Type, logo.Width, logo.Height,
					len(logo.Data), c.typ, c.w, c.h, len(c.data))
			}
			if logo.File != file || th.Options.LogoImageFile != file || th.Options.LogoImageURL != "" {
				t.Errorf("file %q, options %+v", logo.File, th.Options)
			}
			if len(logo.Version) != 16 || logo.URL() != "/theme-logo?v="+logo.Version {
				t.Errorf("version %q, URL %q", logo.Version, logo.URL())
			}
			if logo.Raster() != (c.typ == "image/png" || c.typ == "image/jpeg" || c.typ == "image/gif") {
				t.Errorf("%s: Raster() = %v", c.typ, logo.Raster())
			}
		})
	}
}

// Each row is a logo file that must stop start-up with the file, the key
// (options.logoImageFile) and what to do instead.
func TestLogoFileRefused(t *testing.T) {
	big := append(pngOf(t, 4, 4), make([]byte, maxLogo)...)
	whole := pngOf(t, 64, 64)
	cases := []struct {
		name, option string
		data         []byte // written as the file; nil: none
		want         []string
	}{
		{"missing", "logoImageFile: logo.png", nil, []string{"no file logo.png (looked for ", "relative to the folder of acme.yaml"}},
		{"too big", "logoImageFile: logo.png", big, []string{"a logo may be at most 512 KiB", "export the logo"}},
		{"text", "logoImageFile: logo.png", []byte("not a picture\n"), []string{"is not a PNG, JPEG, WebP, GIF or SVG image"}},
		{"html named svg", "logoImageFile: logo.svg", []byte("<html><body><script>alert(1)</script></body></html>"), []string{"is not a PNG, JPEG, WebP, GIF or SVG image"}},
		{"empty", "logoImageFile: logo.png", []byte{}, []string{"is not a PNG"}},
		{"truncated png", "logoImageFile: logo.png", whole[:len(whole)/2], []string{"looks like a PNG image but cannot be read"}},
		{"animated webp", "logoImageFile: logo.webp", webptest.Animated(80, 40, color.NRGBA{R: 255, A: 255}), []string{"is an animated WebP; a logo is a still image", "one frame of it exported"}},
		{"too many pixels", "logoImageFile: logo.png", pngOf(t, 5000, 1), []string{"5000×1 pixels", "at most 4096"}},
		{"svg script", "logoImageFile: logo.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), []string{"<script> element", "no scripts"}},
		{"svg onload", "logoImageFile: logo.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`), []string{"event attribute (onload=…)"}},
		{"svg javascript link", "logoImageFile: logo.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg" xmlns:x="http://www.w3.org/1999/xlink"><a x:href=" JavaScript:alert(1)"><rect width="1" height="1"/></a></svg>`), []string{"javascript: link"}},
		{"svg entities", "logoImageFile: logo.svg", []byte(`<!DOCTYPE svg [<!ENTITY x "<script>alert(1)</script>">]><svg xmlns="http://www.w3.org/2000/svg">&x;</svg>`), []string{"declares XML entities"}},
		{"svg without namespace", "logoImageFile: logo.svg", []byte(`<svg viewBox="0 0 1 1"><rect width="1" height="1"/></svg>`), []string{`lacks xmlns="http://www.w3.org/2000/svg"`}},
		{"svg cut short", "logoImageFile: logo.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><rect`), []string{"not well-formed XML"}},
		{"folder", "logoImageFile: .", nil, []string{"is a folder"}},
		{"both", "logoImageFile: logo.png\n  logoImageUrl: https://cdn.acme.example/logo.png", pngOf(t, 4, 4), []string{"logoImageUrl is set too", "one of logoImageUrl"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if c.data != nil {
				name := strings.TrimSpace(strings.SplitN(strings.TrimPrefix(c.option, "logoImageFile:"), "\n", 2)[0])
				writeFile(t, filepath.Join(dir, name), c.data)
			}
			path := writeTheme(t, dir, "acme.yaml", "options:\n  "+c.option+"\n")
			_, err := Load(path, true)
			var te *Error
			if !errors.As(err, &te) {
				t.Fatalf("error %v, want a *theme.Error", err)
			}
			if te.File != path || te.Key != "options.logoImageFile" {
				t.Errorf("file %q key %q", te.File, te.Key)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%s", w, err)
				}
			}
		})
	}
}

// A logo path is relative to the file that names it, whichever file of
// the chain that is, or absolute; and a theme's logo setting replaces
// its parent's, whether it names a file or a URL.
func TestLogoFileInTheChain(t *testing.T) {
	dir := t.TempDir()
	abs := writeFile(t, filepath.Join(t.TempDir(), "elsewhere.png"), pngOf(t, 2, 2))
	writeFile(t, filepath.Join(dir, "brand", "logo.svg"), []byte(svgLogo))
	writeTheme(t, filepath.Join(dir, "brand"), "base.yaml", "options:\n  logoImageFile: logo.svg\n")
	child := writeTheme(t, dir, "child.yaml", "extends: brand/base.yaml\n")
	th, err := Load(child, false)
	if err != nil {
		t.Fatal(err)
	}
	if th.Logo() == nil || th.Logo().File != filepath.Join(dir, "brand", "logo.svg") {
		t.Fatalf("inherited logo %+v", th.Logo())
	}

	byURL := writeTheme(t, dir, "url.yaml", "extends: brand/base.yaml\noptions:\n  logoImageUrl: https://cdn.acme.example/l.png\n")
	if th, err := Load(byURL, false); err != nil || th.Logo() != nil || th.Options.LogoImageFile != "" ||
		th.Options.LogoImageURL != "https://cdn.acme.example/l.png" {
		t.Errorf("a URL over a parent's file: %v %+v %+v", err, th.Logo(), th.Options)
	}
	writeTheme(t, dir, "urlbase.yaml", "options:\n  logoImageUrl: https://cdn.acme.example/l.png\n")
	byFile := writeTheme(t, dir, "file.yaml", "extends: urlbase.yaml\noptions:\n  logoImageFile: "+abs+"\n")
	if th, err := Load(byFile, false); err != nil || th.Logo() == nil || th.Logo().File != abs || th.Options.LogoImageURL != "" {
		t.Errorf("an absolute file over a parent's URL: %v %+v", err, th)
	}
}

// logoImageUrl given a file path says where a file goes.
func TestLogoURLGivenAFileSaysLogoImageFile(t *testing.T) {
	path := writeTheme(t, t.TempDir(), "acme.yaml", "options:\n  logoImageUrl: ./logo.svg\n")
	_, err := Load(path, true)
	if err == nil || !strings.Contains(err.Error(), "options.logoImageUrl") || !strings.Contains(err.Error(), "use logoImageFile: path/to/logo.svg") {
		t.Errorf("error %v", err)
	}
}

// In development a changed logo file is read again with its theme; a
// broken one keeps the last good logo and says why.
func TestLiveRereadsLogoFile(t *testing.T) {
	dir := t.TempDir()
	logoPath := writeFile(t, filepath.Join(dir, "logo.png"), pngOf(t, 2, 2))
	path := writeTheme(t, dir, "acme.yaml", "options:\n  logoImageFile: logo.png\n")
	live, err := NewLive(path, "", true)
	if err != nil {
		t.Fatal(err)
	}
	first, _ := live.Theme()
	v1 := first.Logo().Version

	later := time.Now().Add(2 * time.Second)
	writeFile(t, logoPath, pngOf(t, 3, 3))
	if err := os.Chtimes(logoPath, later, later); err != nil {
		t.Fatal(err)
	}
	th, err := live.Theme()
	if err != nil || th.Logo().Version == v1 || th.Logo().Width != 3 {
		t.Fatalf("changed logo not read again: %v, %+v", err, th.Logo())
	}
	v2 := th.Logo().Version

	writeFile(t, logoPath, []byte("oops"))
	later = later.Add(2 * time.Second)
	if err := os.Chtimes(logoPath, later, later); err != nil {
		t.Fatal(err)
	}
	th, err = live.Theme()
	if err == nil || !strings.Contains(err.Error(), "options.logoImageFile") || th.Logo().Version != v2 {
		t.Errorf("a broken logo: error %v, version %s (want the last good %s)", err, th.Logo().Version, v2)
	}
}
