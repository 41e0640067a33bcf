package theme

import (
	"math"
	"strings"
	"testing"
)

// Every shipped theme, in light and (for auto) dark, meets WCAG 2.x AA for
// normal text: 4.5:1.
func TestShippedThemesMeetWCAGAAContrast(t *testing.T) {
	for _, name := range Shipped() {
		th, err := Load(name, false)
		if err != nil {
			t.Fatal(err)
		}
		// Every pair is set by the theme itself (none left to a fallback),
		// and none falls short (ContrastProblems, which owners' themes get).
		for _, dark := range []bool{false, true} {
			pal := th.Palette(dark)
			if pal == nil {
				continue
			}
			for _, p := range append(append([][2]string(nil), textPairs...), nonTextPairs...) {
				if _, ok := pal[p[0]]; !ok {
					t.Errorf("%s (dark=%v): %s unset", name, dark, p[0])
				}
				if _, ok := pal[p[1]]; !ok {
					t.Errorf("%s (dark=%v): %s unset", name, dark, p[1])
				}
			}
		}
		for _, p := range th.ContrastProblems() {
			t.Errorf("%s: %s", name, p)
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

// An owner's brand colour that leaves text hard to read is reported pair
// by pair, in light and dark, also when the file extends nothing (the page
// then draws the rest from static/portal.css, that is the default theme).
func TestOwnerThemeContrastProblems(t *testing.T) {
	dir := t.TempDir()
	names := func(ps []ContrastProblem) map[string]bool {
		out := map[string]bool{}
		for _, p := range ps {
			key := p.Foreground + "/" + p.Background
			if p.Dark {
				key = "dark " + key
			}
			out[key] = true
		}
		return out
	}
	yellow, err := Load(writeTheme(t, dir, "yellow.yaml", "variables:\n  colorPrimary: '#ffff00'\n  colorPrimaryForeground: white\n"), false)
	if err != nil {
		t.Fatal(err)
	}
	got := names(yellow.ContrastProblems())
	for _, want := range []string{"colorPrimaryForeground/colorPrimary", "colorPrimary/colorBackground", "colorPrimary/colorMuted"} {
		if !got[want] {
			t.Errorf("%s not reported; got %v", want, got)
		}
	}
	if len(got) != 3 {
		t.Errorf("reported %v, want the three pairs with yellow", got)
	}
	msg := yellow.ContrastProblems()[0].String()
	if !strings.Contains(msg, "1.07:1") || !strings.Contains(msg, "4.5:1") || !strings.Contains(msg, "#ffff00") {
		t.Errorf("message %q does not give the colours, the ratio and what AA asks", msg)
	}

	dark, err := Load(writeTheme(t, dir, "auto-navy.yaml", "extends: auto\ndark:\n  extends: dark\n  variables: {colorPrimary: navy, colorRing: '#222222'}\n"), false)
	if err != nil {
		t.Fatal(err)
	}
	got = names(dark.ContrastProblems())
	if !got["dark colorPrimaryForeground/colorPrimary"] || !got["dark colorRing/colorBackground"] || got["colorPrimary/colorBackground"] {
		t.Errorf("dark problems %v", got)
	}

	for _, name := range Shipped() {
		th, _ := Load(name, false)
		if ps := th.ContrastProblems(); len(ps) != 0 {
			t.Errorf("%s: %v", name, ps)
		}
	}
}
