package theme

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // decoders: a logo file is decoded whole before it is served
	_ "image/jpeg"
	_ "image/png"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	_ "golang.org/x/image/webp"

	"github.com/portalhq/portal/internal/avatar"
)

// Logo is an image file a theme names by path (options.logoImageFile): read
// and checked when the theme loads, and served by the portal itself at
// LogoPath, so an owner needs no web server of their own for it.
type Logo struct {
	Data          []byte
	Type          string // image/png, image/jpeg, image/gif, image/webp or image/svg+xml
	Width, Height int    // in pixels; 0 for SVG, which scales
	Version       string // a short hash of Data, for ETags and cache-busting URLs
	File          string // where it was read from
	Dark          bool   // the logo for prefers-color-scheme: dark (dark.options.logoImageFile)
}

// LogoPath is where the portal serves the theme's logo file; with
// ?scheme=dark (LogoScheme), the dark-mode one.
const (
	LogoPath   = "/theme-logo"
	LogoScheme = "scheme"
)

// URL is the logo's path on the portal, with its version.
func (l *Logo) URL() string {
	if l.Dark {
		return LogoPath + "?v=" + l.Version + "&" + LogoScheme + "=dark"
	}
	return LogoPath + "?v=" + l.Version
}

// Raster reports whether the logo is a PNG, JPEG or GIF: the formats every
// mail client shows (several show neither SVG nor WebP).
func (l *Logo) Raster() bool {
	return l.Type == "image/png" || l.Type == "image/jpeg" || l.Type == "image/gif"
}

const (
	// maxLogo caps a logo file: it is served on every page, and a logo
	// exported at the size it is shown is a few KiB.
	maxLogo = 512 << 10
	// maxLogoSide caps a raster logo's canvas, which is decoded whole
	// when the theme loads (16 Mpx, 64 MiB at most).
	maxLogoSide = 4096
)

// logoFormats are the decoders a logo may use, whatever else is registered.
var logoFormats = map[string]string{"png": "image/png", "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp"}

const logoAccepts = "the path of a PNG, JPEG, WebP, GIF or SVG file, relative to the theme file or absolute " +
	"(or logoImageUrl: https://… for a logo served elsewhere)"

// logo reads the file a theme names as its logo under key
// (options.logoImageFile or dark.options.logoImageFile). Only a theme file
// on disk may name one: ref is relative to its folder, dir, unless
// absolute. What the file is, is told by its content, never by its name.
func (l *loader) logo(ref, dir string, disk bool, source, key string) (*Logo, error) {
	fail := func(problem, accepts string) error {
		return &Error{File: source, Key: key, Value: ref, Problem: problem, Accepts: accepts}
	}
	if !disk {
		return nil, fail("a shipped theme cannot name a file", "logoImageUrl")
	}
	path := ref
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, ref)
	}
	abs, _ := filepath.Abs(path)
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fail(fmt.Sprintf("no file %s (looked for %s)", ref, abs),
			"the path of the logo file, relative to the folder of "+filepath.Base(source)+" or absolute")
	case err != nil:
		return nil, fmt.Errorf("theme: %s: %s: %w", source, key, err)
	case st.IsDir():
		return nil, fail(abs+" is a folder", "the path of an image file in it")
	case st.Size() > maxLogo:
		return nil, fail(fmt.Sprintf("%s is %s; a logo may be at most %d KiB", abs, size(st.Size()), maxLogo>>10),
			"a smaller file: export the logo at about the size it is shown (40 px high, 80 for sharp screens), or compress it")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("theme: %s: %s: %w", source, key, err)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxLogo+1))
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("theme: %s: %s: %w", source, key, err)
	}
	if len(data) > maxLogo { // it grew since the Stat
		return nil, fail(fmt.Sprintf("%s is larger than %d KiB", abs, maxLogo>>10), "a smaller file")
	}
	l.files = append(l.files, stamp{path: path, mod: st.ModTime(), size: st.Size(), found: true})

	logo := &Logo{Data: data, File: path}
	sum := sha256.Sum256(data)
	logo.Version = hex.EncodeToString(sum[:8])
	if cfg, format, err := image.DecodeConfig(bytes.NewReader(data)); err == nil && logoFormats[format] != "" {
		if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > maxLogoSide || cfg.Height > maxLogoSide {
			return nil, fail(fmt.Sprintf("%s is %d×%d pixels; a logo may be at most %d on each side", abs, cfg.Width, cfg.Height, maxLogoSide),
				"a smaller image: export the logo at about the size it is shown (40 px high, 80 for sharp screens)")
		}
		// Decoded whole, so that a truncated or damaged file is found now,
		// not as a broken image on every page.
		if _, _, err := image.Decode(bytes.NewReader(data)); err != nil {
			if format == "webp" && avatar.AnimatedWebP(data) {
				return nil, fail(abs+" is an animated WebP; a logo is a still image",
					"one frame of it exported as PNG, WebP or SVG")
			}
			return nil, fail(fmt.Sprintf("%s looks like a %s image but cannot be read (%v)", abs, strings.ToUpper(format), err),
				"an image file that opens in an image viewer; export it again")
		}
		logo.Type, logo.Width, logo.Height = logoFormats[format], cfg.Width, cfg.Height
		return logo, nil
	}
	if problem := checkSVG(data); problem != "" {
		if problem == notSVG {
			return nil, fail(abs+" is not a PNG, JPEG, WebP, GIF or SVG image (read by its content, whatever its name)", logoAccepts)
		}
		return nil, fail(abs+": "+problem,
			"an SVG that is only a picture: no scripts, event attributes (onload=…), javascript: links or entity declarations — "+
				"export it again as plain SVG (an image shown in a page runs none of them anyway)")
	}
	logo.Type = "image/svg+xml"
	return logo, nil
}

const notSVG = "not an SVG"

// checkSVG says what is wrong with data as an SVG logo, or "" when
// nothing is. A logo is drawn by an <img>, where no script runs and
// nothing else is fetched, and the portal serves it with a sandboxing
// Content-Security-Policy for anyone who opens it on its own; a script,
// an event attribute or a javascript: link in one is still refused, as a
// sign of a file that is more than a picture. Entity declarations are
// refused because they could hide markup from this check that a
// browser's XML parser would expand.
func checkSVG(data []byte) string {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	root := false
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			if !root {
				return notSVG
			}
			return ""
		}
		if err != nil {
			if !root {
				return notSVG
			}
			return "not well-formed XML (" + err.Error() + ")"
		}
		switch t := tok.(type) {
		case xml.Directive:
			if bytes.Contains(bytes.ToUpper(t), []byte("<!ENTITY")) {
				return "it declares XML entities"
			}
		case xml.StartElement:
			if !root {
				if t.Name.Local != "svg" {
					return notSVG
				}
				if t.Name.Space != "http://www.w3.org/2000/svg" {
					return `its <svg> element lacks xmlns="http://www.w3.org/2000/svg", without which browsers do not draw it as an image`
				}
				root = true
			}
			if strings.EqualFold(t.Name.Local, "script") {
				return "it contains a <script> element"
			}
			for _, a := range t.Attr {
				name := strings.ToLower(a.Name.Local)
				if strings.HasPrefix(name, "on") {
					return "it has an event attribute (" + a.Name.Local + "=…)"
				}
				if name == "href" && strings.HasPrefix(strings.ToLower(strings.TrimSpace(a.Value)), "javascript:") {
					return "it has a javascript: link"
				}
			}
		case xml.CharData:
			if !root && len(bytes.TrimSpace(t)) > 0 {
				return notSVG
			}
		}
	}
}

func size(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d KiB", (n+1023)>>10)
}
