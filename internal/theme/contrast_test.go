package theme

import (
	"math"
	"testing"
)

// textPairs are the text colour / background pairs static/portal.css
// actually paints: body text and hints in the card, the footer's muted
// text and links on its tinted band, button labels, typed input, links,
// and alerts and badges on the card.
var textPairs = [][2]string{
	{"colorForeground", "colorBackground"},
	{"colorMutedForeground", "colorBackground"},
	{"colorMutedForeground", "colorMuted"},
	{"colorPrimaryForeground", "colorPrimary"},
	{"colorInputForeground", "colorInput"},
	{"colorDanger", "colorBackground"},
	{"colorSuccess", "colorBackground"},
	{"colorWarning", "colorBackground"},
	{"colorPrimary", "colorBackground"},
	{"colorPrimary", "colorMuted"},
	{"colorForeground", "colorMuted"},      // the chosen organization, hovered buttons, the page behind the card
	{"colorMutedForeground", "colorInput"}, // placeholders
}

// nonTextPairs must reach 3:1 (WCAG 1.4.11): the focus ring on the card,
// and the border that shows where a field or a secondary button is, against
// both its sides.
var nonTextPairs = [][2]string{
	{"colorRing", "colorBackground"},
	{"colorNeutral", "colorInput"},
	{"colorNeutral", "colorBackground"},
}

// Every shipped theme, in light and (for auto) dark, meets WCAG 2.x AA for
// normal text: 4.5:1.
func TestShippedThemesMeetWCAGAAContrast(t *testing.T) {
	for _, name := range Shipped() {
		th, err := Load(name, false)
		if err != nil {
			t.Fatal(err)
		}
		for _, dark := range []bool{false, true} {
			pal := th.Palette(dark)
			if pal == nil {
				continue
			}
			for _, set := range []struct {
				pairs [][2]string
				min   float64
			}{{textPairs, 4.5}, {nonTextPairs, 3}} {
				for _, p := range set.pairs {
					fg, okF := pal[p[0]]
					bg, okB := pal[p[1]]
					if !okF || !okB {
						t.Errorf("%s (dark=%v): %s or %s unset", name, dark, p[0], p[1])
						continue
					}
					if r := Contrast(fg, bg); r < set.min {
						t.Errorf("%s (dark=%v): %s %s on %s %s is %.2f:1, want at least %.1f:1",
							name, dark, p[0], fg, p[1], bg, r, set.min)
					}
				}
			}
		}
	}
}

func TestContrastKnownValues(t *testing.T) {
	c := func(s string) RGBA {
		_, v, ok := parseColor(s)
		if !ok {
			t.Fatalf("%q does not parse", s)
		}
		return v
	}
	cases := []struct {
		fg, bg string
		want   float64
	}{
		{"#000", "#fff", 21},
		{"white", "white", 1},
		{"#767676", "#ffffff", 4.54},         // the usual lightest AA grey on white
		{"rgb(118 118 118)", "#fff", 4.54},   // the same, other spelling
		{"hsl(0, 0%, 46.3%)", "#fff", 4.54},  // and again
		{"rgba(0, 0, 0, 0.5)", "#fff", 3.98}, // half-black over white: grey 127.5
		{"#00000080", "#ffffff", 4.00},       // alpha 128/255: grey 127
	}
	for _, tc := range cases {
		if got := Contrast(c(tc.fg), c(tc.bg)); math.Abs(got-tc.want) > 0.02 {
			t.Errorf("%s on %s = %.3f, want %.2f", tc.fg, tc.bg, got, tc.want)
		}
	}
}
