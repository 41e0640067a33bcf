package mfa

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strings"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/qr"
)

// QR rendering: crisp square modules and the four-module quiet zone that
// scanners need around the code.
const (
	qrModulePixels = 6
	qrQuietZone    = 4
)

// qrMatrix encodes an otpauth:// URL with medium error correction. The
// portal draws the code itself: the secret never leaves the server.
func qrMatrix(otpauthURL string) (barcode.Barcode, error) {
	if !strings.HasPrefix(otpauthURL, "otpauth://") {
		return nil, errors.New("mfa: QR code content is not an otpauth:// URL")
	}
	code, err := qr.Encode(otpauthURL, qr.M, qr.Auto)
	if err != nil {
		return nil, fmt.Errorf("mfa: QR encode: %w", err)
	}
	return code, nil
}

// QRCodePNG renders the URL as a black-on-white PNG, to be served from the
// portal (not a data: URL if the CSP forbids those for images).
func QRCodePNG(otpauthURL string) ([]byte, error) {
	code, err := qrMatrix(otpauthURL)
	if err != nil {
		return nil, err
	}
	n := code.Bounds().Dx()
	side := (n + 2*qrQuietZone) * qrModulePixels
	img := image.NewPaletted(image.Rect(0, 0, side, side), color.Palette{color.White, color.Black})
	for y := range n {
		for x := range n {
			if !isDark(code, x, y) {
				continue
			}
			x0, y0 := (x+qrQuietZone)*qrModulePixels, (y+qrQuietZone)*qrModulePixels
			for dy := range qrModulePixels {
				for dx := range qrModulePixels {
					img.SetColorIndex(x0+dx, y0+dy, 1)
				}
			}
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("mfa: QR PNG: %w", err)
	}
	return buf.Bytes(), nil
}

// QRCodeSVG renders the URL as an SVG document that scales with its
// container, for inlining in the page (no request, no data: URL). Each row's
// runs of dark modules become one rectangle of the path.
func QRCodeSVG(otpauthURL string) (string, error) {
	code, err := qrMatrix(otpauthURL)
	if err != nil {
		return "", err
	}
	n := code.Bounds().Dx()
	side := n + 2*qrQuietZone
	var path strings.Builder
	for y := range n {
		for x := 0; x < n; {
			if !isDark(code, x, y) {
				x++
				continue
			}
			run := 1
			for x+run < n && isDark(code, x+run, y) {
				run++
			}
			fmt.Fprintf(&path, "M%d %dh%dv1h-%dz", x+qrQuietZone, y+qrQuietZone, run, run)
			x += run
		}
	}
	return fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" shape-rendering="crispEdges">`+
		`<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="%s"/></svg>`,
		side, side, side, side, path.String()), nil
}

func isDark(code barcode.Barcode, x, y int) bool {
	r, _, _, _ := code.At(x, y).RGBA()
	return r == 0
}
