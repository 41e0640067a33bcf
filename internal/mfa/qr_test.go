package mfa_test

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"image"
	"image/png"
	"strings"
	"testing"

	"github.com/boombuler/barcode/qr"

	"github.com/portalhq/portal/internal/mfa"
)

const testURL = "otpauth://totp/Acme%20Portal:ada@example.com?algorithm=SHA1&digits=6&issuer=Acme+Portal&period=30&secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

// modules reads the QR matrix the image should show. No QR decoder is among
// the project's modules, so the test checks the drawing against the encoder's
// matrix and the finder patterns every scanner looks for.
func modules(t *testing.T) [][]bool {
	t.Helper()
	code, err := qr.Encode(testURL, qr.M, qr.Auto)
	if err != nil {
		t.Fatal(err)
	}
	n := code.Bounds().Dx()
	if (n-21)%4 != 0 || n < 21 {
		t.Fatalf("%d modules is not a QR version size", n)
	}
	m := make([][]bool, n)
	for y := range n {
		m[y] = make([]bool, n)
		for x := range n {
			r, _, _, _ := code.At(x, y).RGBA()
			m[y][x] = r == 0
		}
	}
	return m
}

func checkFinders(t *testing.T, dark func(x, y int) bool, n int) {
	t.Helper()
	for _, corner := range [][2]int{{0, 0}, {n - 7, 0}, {0, n - 7}} {
		for y := range 7 {
			for x := range 7 {
				ring := max(abs(x-3), abs(y-3))
				want := ring != 2 // dark outer ring, light ring, dark 3×3 centre
				if got := dark(corner[0]+x, corner[1]+y); got != want {
					t.Fatalf("finder at %v: module (%d,%d) dark=%v", corner, x, y, got)
				}
			}
		}
	}
}

func abs(v int) int { return max(v, -v) }

func TestQRCodePNG(t *testing.T) {
	b, err := mfa.QRCodePNG(testURL)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	want := modules(t)
	n := len(want)
	const px, quiet = 6, 4
	if got := img.Bounds(); got != image.Rect(0, 0, (n+2*quiet)*px, (n+2*quiet)*px) {
		t.Fatalf("size %v for %d modules", got, n)
	}
	dark := func(x, y int) bool { // module x,y of the code, -quiet…n+quiet
		r, _, _, _ := img.At((x+quiet)*px+px/2, (y+quiet)*px+px/2).RGBA()
		return r < 0x8000
	}
	for y := -quiet; y < n+quiet; y++ {
		for x := -quiet; x < n+quiet; x++ {
			inside := x >= 0 && y >= 0 && x < n && y < n
			if got := dark(x, y); got != (inside && want[y][x]) {
				t.Fatalf("module (%d,%d) dark=%v", x, y, got)
			}
		}
	}
	checkFinders(t, dark, n)
}

func TestQRCodeSVG(t *testing.T) {
	svg, err := mfa.QRCodeSVG(testURL)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		ViewBox string `xml:"viewBox,attr"`
		Path    struct {
			D string `xml:"d,attr"`
		} `xml:"path"`
	}
	if err := xml.Unmarshal([]byte(svg), &doc); err != nil {
		t.Fatalf("not XML: %v\n%s", err, svg)
	}
	want := modules(t)
	n := len(want)
	if doc.ViewBox != fmt.Sprintf("0 0 %d %d", n+8, n+8) {
		t.Errorf("viewBox %q", doc.ViewBox)
	}
	got := make([][]bool, n+8)
	for i := range got {
		got[i] = make([]bool, n+8)
	}
	for _, rect := range strings.Split(strings.TrimSuffix(doc.Path.D, "z"), "z") {
		var x, y, w, w2 int
		if _, err := fmt.Sscanf(rect, "M%d %dh%dv1h-%d", &x, &y, &w, &w2); err != nil || w != w2 {
			t.Fatalf("path piece %q: %v", rect, err)
		}
		for i := range w {
			got[y][x+i] = true
		}
	}
	dark := func(x, y int) bool { return got[y+4][x+4] }
	for y := range n {
		for x := range n {
			if dark(x, y) != want[y][x] {
				t.Fatalf("module (%d,%d)", x, y)
			}
		}
	}
	checkFinders(t, dark, n)
}

func TestQRCodeRefusesOtherContent(t *testing.T) {
	if _, err := mfa.QRCodePNG("https://example.com"); err == nil {
		t.Error("PNG of a web URL")
	}
	if _, err := mfa.QRCodeSVG("javascript:alert(1)"); err == nil {
		t.Error("SVG of a javascript: URL")
	}
}
