package views

import (
	"context"
	"strings"
	"unicode"

	"github.com/a-h/templ"
	"golang.org/x/text/width"
)

// TextWidth is the widest line of an email's text body, in columns: RFC
// 5322 §2.1.1 asks for lines of no more than 78 characters, and plain-text
// readers that do not wrap show longer ones off the edge of the window.
const TextWidth = 78

// EmailText renders c as the text body of an email: what PlainText makes
// of it, each line wrapped to TextWidth (Wrap). Every email's text body
// comes from here; a text message does not, since SMS has no lines to
// keep short and its last line must stay as it is for WebOTP.
func EmailText(ctx context.Context, c templ.Component) (string, error) {
	s, err := PlainText(ctx, c)
	if err != nil {
		return "", err
	}
	return Wrap(s, TextWidth), nil
}

// Wrap breaks every line of s wider than limit columns at spaces, filling
// each line as far as it goes. It breaks nowhere else, so a URL, an email
// address or a code always arrives whole: one wider than limit stands on a
// line of its own (a reader can still copy or click it), and so does any
// other run without spaces.
//
// Width is counted in columns, not bytes: one per character, two for the
// wide characters of Chinese, Japanese and Korean (as a fixed-width reader
// shows them), none for combining marks. Japanese and Chinese put no
// spaces between words, so a sentence of theirs is one run that may exceed
// limit: splitting it would need the language's rules on where a line may
// end (kinsoku), and mail readers wrap such lines themselves. Lines of s
// that fit are left exactly as they are; the ones Wrap breaks lose runs of
// spaces, which PlainText has already collapsed anyway.
//
// A word that is only punctuation (French puts a space before ":" and
// "?", and inside « ») stays on the line of the word it belongs to, so
// that no line starts with ":" or ends with "«".
func Wrap(s string, limit int) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/limit + 1)
	for i, line := range strings.Split(s, "\n") {
		if i > 0 {
			b.WriteByte('\n')
		}
		if columns(line) <= limit {
			b.WriteString(line)
			continue
		}
		col := 0
		for j, u := range units(line) {
			w := columns(u)
			if j > 0 {
				if col+1+w <= limit {
					b.WriteByte(' ')
					col++
				} else {
					b.WriteByte('\n')
					col = 0
				}
			}
			b.WriteString(u)
			col += w
		}
	}
	return b.String()
}

// units are the pieces of line that Wrap may put on different lines: its
// words, with punctuation standing alone joined to its word.
func units(line string) []string {
	var out []string
	glue := false // the previous word opens ("«", "¿"): this one joins it
	for w := range strings.SplitSeq(line, " ") {
		if w == "" {
			continue
		}
		opens := allRunes(w, func(r rune) bool { return unicode.In(r, unicode.Ps, unicode.Pi) })
		if n := len(out); n > 0 && (glue || !opens && allRunes(w, unicode.IsPunct)) {
			out[n-1] += " " + w
		} else {
			out = append(out, w)
		}
		glue = opens
	}
	return out
}

func allRunes(s string, f func(rune) bool) bool {
	for _, r := range s {
		if !f(r) {
			return false
		}
	}
	return true
}

// columns is how wide s shows in a fixed-width font.
func columns(s string) int {
	n := 0
	for _, r := range s {
		switch {
		case r < 0x300: // ASCII and Latin-1, the common case
			n++
		case unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf):
		default:
			n++
			if k := width.LookupRune(r).Kind(); k == width.EastAsianWide || k == width.EastAsianFullwidth {
				n++
			}
		}
	}
	return n
}
