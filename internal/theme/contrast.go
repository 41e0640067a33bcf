package theme

import (
	"fmt"
	"math"
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

// ContrastProblem is a pair of the theme's colours that the pages paint one
// on the other with less contrast than WCAG 2.x AA asks.
type ContrastProblem struct {
	Foreground, Background string // variable names
	Fg, Bg                 RGBA
	Ratio, Min             float64
	Dark                   bool // under prefers-color-scheme: dark
}

func (p ContrastProblem) String() string {
	s := fmt.Sprintf("%s %s on %s %s is %.2f:1, WCAG AA asks at least %.1f:1", p.Foreground, p.Fg, p.Background, p.Bg, math.Floor(p.Ratio*100)/100, p.Min)
	if p.Dark {
		s = "dark: " + s
	}
	return s
}

// ContrastProblems lists the pairs of colours in force, light and dark,
// that fall short of WCAG AA: 4.5:1 for text, 3:1 for the focus ring and
// field borders. Every shipped theme has none (a test holds this); an
// owner's theme is told of its own when it loads.
func (t *Theme) ContrastProblems() []ContrastProblem {
	var out []ContrastProblem
	// A theme that extends nothing leaves the rest to static/portal.css,
	// which says what the default theme says.
	var fallback map[string]RGBA
	if base, err := Load("default", false); err == nil && t.Source != base.Source {
		fallback = base.Palette(false)
	}
	for _, dark := range []bool{false, true} {
		pal := t.Palette(dark)
		if pal == nil {
			continue
		}
		for k, v := range fallback {
			if _, ok := pal[k]; !ok {
				pal[k] = v
			}
		}
		for _, set := range []struct {
			pairs [][2]string
			min   float64
		}{{textPairs, 4.5}, {nonTextPairs, 3}} {
			for _, p := range set.pairs {
				fg, okF := pal[p[0]]
				bg, okB := pal[p[1]]
				if !okF || !okB {
					continue
				}
				if r := Contrast(fg, bg); r < set.min {
					out = append(out, ContrastProblem{Foreground: p[0], Background: p[1], Fg: fg.over(bg.over(RGBA{255, 255, 255, 1})),
						Bg: bg.over(RGBA{255, 255, 255, 1}), Ratio: r, Min: set.min, Dark: dark})
				}
			}
		}
	}
	return out
}
