package theme

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// RGBA is a parsed colour, channels 0–255 and alpha 0–1.
type RGBA struct{ R, G, B, A float64 }

const colorAccepts = `a CSS colour: #rgb, #rgba, #rrggbb, #rrggbbaa, rgb()/rgba()/hsl()/hsla() with numbers (e.g. rgb(37 99 235 / 0.5), hsl(220, 80%, 50%)), or a named colour such as navy`

// parseColor accepts the colour grammars an owner is likely to paste and
// returns the value rewritten in one canonical spelling with the colour it
// denotes. Anything else is refused rather than repaired (REQ-IN-03).
func parseColor(v string) (string, RGBA, bool) {
	s := strings.ToLower(strings.TrimSpace(v))
	if len(s) > 64 {
		return "", RGBA{}, false
	}
	if strings.HasPrefix(s, "#") {
		c, ok := parseHex(s[1:])
		return s, c, ok
	}
	if hex, ok := namedColors[s]; ok {
		c, _ := parseHex(hex)
		if s == "transparent" {
			c.A = 0
		}
		return s, c, true
	}
	name, rest, ok := strings.Cut(s, "(")
	if !ok || !strings.HasSuffix(rest, ")") {
		return "", RGBA{}, false
	}
	inner := strings.TrimSuffix(rest, ")")
	switch name {
	case "rgb", "rgba":
		return parseFunc(name, inner, rgbChannels)
	case "hsl", "hsla":
		return parseFunc(name, inner, hslChannels)
	}
	return "", RGBA{}, false
}

func parseHex(h string) (RGBA, bool) {
	for _, r := range h {
		if !strings.ContainsRune("0123456789abcdef", r) {
			return RGBA{}, false
		}
	}
	digit := func(i, w int) float64 {
		n, _ := strconv.ParseUint(h[i*w:i*w+w], 16, 8)
		if w == 1 {
			n *= 17
		}
		return float64(n)
	}
	switch len(h) {
	case 3, 4:
		c := RGBA{digit(0, 1), digit(1, 1), digit(2, 1), 1}
		if len(h) == 4 {
			c.A = digit(3, 1) / 255
		}
		return c, true
	case 6, 8:
		c := RGBA{digit(0, 2), digit(1, 2), digit(2, 2), 1}
		if len(h) == 8 {
			c.A = digit(3, 2) / 255
		}
		return c, true
	}
	return RGBA{}, false
}

// number is one argument of a colour function: a plain decimal with an
// optional unit. No exponents, no escapes, no calc().
type number struct {
	v    float64
	unit string // "", "%" or "deg"
	text string
}

func parseNumber(s string) (number, bool) {
	n := number{text: s}
	switch {
	case strings.HasSuffix(s, "%"):
		n.unit, s = "%", strings.TrimSuffix(s, "%")
	case strings.HasSuffix(s, "deg"):
		n.unit, s = "deg", strings.TrimSuffix(s, "deg")
	}
	body := strings.TrimLeft(s, "+-")
	if len(s)-len(body) > 1 || body == "" || len(body) > 12 {
		return n, false
	}
	whole, frac, hasDot := strings.Cut(body, ".")
	if (whole == "" && frac == "") || (hasDot && frac == "") || !digits(whole) || !digits(frac) {
		return n, false
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return n, false
	}
	n.v = v
	return n, true
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// parseFunc reads "a, b, c[, alpha]" or "a b c[ / alpha]".
func parseFunc(name, inner string, channels func([3]number, bool) (RGBA, bool)) (string, RGBA, bool) {
	inner = strings.TrimSpace(inner)
	var parts []string
	alpha, comma := "", strings.Contains(inner, ",")
	if comma {
		if strings.Contains(inner, "/") {
			return "", RGBA{}, false
		}
		for _, p := range strings.Split(inner, ",") {
			parts = append(parts, strings.TrimSpace(p))
		}
		if len(parts) == 4 {
			alpha, parts = parts[3], parts[:3]
		}
	} else {
		main, a, slash := strings.Cut(inner, "/")
		parts = strings.Fields(main)
		if slash {
			if alpha = strings.TrimSpace(a); alpha == "" {
				return "", RGBA{}, false
			}
		}
	}
	if len(parts) != 3 {
		return "", RGBA{}, false
	}
	var ns [3]number
	for i, p := range parts {
		n, ok := parseNumber(p)
		if !ok {
			return "", RGBA{}, false
		}
		ns[i] = n
	}
	c, ok := channels(ns, comma)
	if !ok {
		return "", RGBA{}, false
	}
	c.A = 1
	if alpha != "" {
		a, ok := parseNumber(alpha)
		switch {
		case !ok || a.unit == "deg":
			return "", RGBA{}, false
		case a.unit == "%":
			a.v /= 100
		}
		if a.v < 0 || a.v > 1 {
			return "", RGBA{}, false
		}
		c.A = a.v
	}
	sep, out := " ", name+"("+parts[0]+" "+parts[1]+" "+parts[2]
	if comma {
		sep, out = ", ", name+"("+strings.Join(parts, ", ")
	}
	if alpha != "" {
		if comma {
			out += sep + alpha
		} else {
			out += " / " + alpha
		}
	}
	return out + ")", c, true
}

func rgbChannels(ns [3]number, comma bool) (RGBA, bool) {
	var ch [3]float64
	for i, n := range ns {
		switch n.unit {
		case "":
			ch[i] = n.v
		case "%":
			ch[i] = n.v * 255 / 100
		default:
			return RGBA{}, false
		}
		if ch[i] < 0 || ch[i] > 255.0001 {
			return RGBA{}, false
		}
		// The comma syntax wants all numbers or all percentages.
		if comma && n.unit != ns[0].unit {
			return RGBA{}, false
		}
	}
	return RGBA{R: ch[0], G: ch[1], B: ch[2]}, true
}

func hslChannels(ns [3]number, comma bool) (RGBA, bool) {
	if ns[0].unit == "%" {
		return RGBA{}, false
	}
	for _, n := range ns[1:] {
		if n.unit == "deg" || (comma && n.unit != "%") || n.v < 0 || n.v > 100 {
			return RGBA{}, false
		}
	}
	h := math.Mod(math.Mod(ns[0].v, 360)+360, 360) / 360
	s, l := ns[1].v/100, ns[2].v/100
	hue := func(t float64) float64 {
		t = math.Mod(t+1, 1)
		q := l + s - l*s
		if l < 0.5 {
			q = l * (1 + s)
		}
		p := 2*l - q
		switch {
		case t < 1.0/6:
			return p + (q-p)*6*t
		case t < 0.5:
			return q
		case t < 2.0/3:
			return p + (q-p)*(2.0/3-t)*6
		}
		return p
	}
	return RGBA{R: 255 * hue(h+1.0/3), G: 255 * hue(h), B: 255 * hue(h-1.0/3)}, true
}

// over composites c onto an opaque background.
func (c RGBA) over(bg RGBA) RGBA {
	return RGBA{R: c.R*c.A + bg.R*(1-c.A), G: c.G*c.A + bg.G*(1-c.A), B: c.B*c.A + bg.B*(1-c.A), A: 1}
}

// Luminance is the WCAG 2.x relative luminance of an opaque colour.
func (c RGBA) Luminance() float64 {
	lin := func(v float64) float64 {
		v /= 255
		if v <= 0.04045 {
			return v / 12.92
		}
		return math.Pow((v+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(c.R) + 0.7152*lin(c.G) + 0.0722*lin(c.B)
}

// Contrast is the WCAG 2.x contrast ratio of text colour fg on bg; a
// translucent colour is first composited (bg onto white, fg onto bg).
func Contrast(fg, bg RGBA) float64 {
	white := RGBA{255, 255, 255, 1}
	bg = bg.over(white)
	fg = fg.over(bg)
	a, b := fg.Luminance(), bg.Luminance()
	if a < b {
		a, b = b, a
	}
	return (a + 0.05) / (b + 0.05)
}

func (c RGBA) String() string {
	return fmt.Sprintf("#%02x%02x%02x", int(math.Round(c.R)), int(math.Round(c.G)), int(math.Round(c.B)))
}
