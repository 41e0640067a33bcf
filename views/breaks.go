package views

import (
	"context"
	"io"
	"regexp"
	"unicode"
	"unicode/utf8"

	"github.com/a-h/templ"
)

// addressLike is a run without spaces with an "@" inside: an email
// address as a sentence holds it, with any punctuation after it.
var addressLike = regexp.MustCompile(`[^\s@]+@[^\s@]+`)

// addressBreaks cuts s where a line may break inside an email address in
// it, as typesetters break one: after the "@", and before a "." that more
// of the address follows (never before the sentence's own full stop).
// Browsers find no place to break "ada.unverified@example.com?" and, with
// overflow-wrap: anywhere, cut it where the line ends: "exampl" / "e.com?",
// or the "?" alone on the last line.
func addressBreaks(s string) []string {
	var parts []string
	last := 0
	for _, m := range addressLike.FindAllStringIndex(s, -1) {
		for i := m[0] + 1; i < m[1]; i++ {
			cut := -1
			switch s[i] {
			case '@':
				cut = i + 1
			case '.':
				if next, _ := utf8.DecodeRuneInString(s[i+1 : m[1]]); s[i-1] != '.' && (unicode.IsLetter(next) || unicode.IsDigit(next)) {
					cut = i
				}
			}
			if cut > last && cut < m[1] {
				parts = append(parts, s[last:cut])
				last = cut
			}
		}
	}
	return append(parts, s[last:])
}

// compound is a word joined by hyphens: "text-message", "QR-Code",
// "Authenticator-App".
var compound = regexp.MustCompile(`[\p{L}\p{N}]+(?:-[\p{L}\p{N}]+)+`)

// longestWholeCompound is the most runes a compound kept whole has: one
// that long fits a 320 px phone's heading in every shipped theme (266 px
// wide; "Authenticator-App", 17 runes and the longest of the catalogs'
// titles, is 209 px), with room for wide letters; a longer one
// ("Zwei-Faktor-Authentifizierung") may still break at its hyphens rather
// than stick out of the card.
const longestWholeCompound = 18

// writeCompoundsWhole writes s escaped, each short compound in it in a
// span of class cl-compound, which the stylesheet keeps on one line
// (white-space: nowrap): a phone shows "Turn on" over "text-message
// codes?", not "Turn on text-" over "message codes?". The span is inline
// and only holds the text, so what a screen reader says or a person
// copies is the same (an inline-block would add a space to the heading's
// accessible name before a "?" after it).
func writeCompoundsWhole(w io.Writer, s string) error {
	return writeWhole(w, s, compound, func(m string) bool { return utf8.RuneCountInString(m) <= longestWholeCompound })
}

// writeWhole writes s escaped, each match of re that keep accepts in an
// inline span of class cl-compound (white-space: nowrap), so it stays on
// one line while what is read aloud or copied stays the same text.
func writeWhole(w io.Writer, s string, re *regexp.Regexp, keep func(string) bool) error {
	last := 0
	for _, m := range re.FindAllStringIndex(s, -1) {
		if !keep(s[m[0]:m[1]]) {
			continue
		}
		if _, err := io.WriteString(w, templ.EscapeString(s[last:m[0]])+`<span class="cl-compound">`+
			templ.EscapeString(s[m[0]:m[1]])+"</span>"); err != nil {
			return err
		}
		last = m[1]
	}
	_, err := io.WriteString(w, templ.EscapeString(s[last:]))
	return err
}

// breakableText renders s as text with a <wbr> at each of its
// addressBreaks, and its compounds kept whole (writeCompoundsWhole): a
// page's title and subtitle, which may name an address ("Verify
// ada.unverified@example.com?"). The text, and so what a screen reader
// says or a person copies, is the same. (breakable is for a cell that
// holds only an address.)
func breakableText(s string) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		for i, part := range addressBreaks(s) {
			if i > 0 {
				if _, err := io.WriteString(w, "<wbr>"); err != nil {
					return err
				}
			}
			if err := writeCompoundsWhole(w, part); err != nil {
				return err
			}
		}
		return nil
	})
}

// breakable writes an address, or a member's name, in a span of class
// cl-address, with breakableText's places to wrap: a phone's narrow table
// cell shows "grace@" over "example.com" rather than breaking inside a word.
func breakable(s string) templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		if _, err := io.WriteString(w, `<span class="cl-address">`); err != nil {
			return err
		}
		if err := breakableText(s).Render(ctx, w); err != nil {
			return err
		}
		_, err := io.WriteString(w, "</span>")
		return err
	})
}

// phoneLike is a phone number as a sentence writes one: "+" and digits,
// spaced or hyphenated ("+1 415 555 0100", "+55 11 91234-5678").
var phoneLike = regexp.MustCompile(`\+\d[\d -]*\d`)

// numbersWhole renders s as text with each phone number in it kept on
// one line (in a span of class cl-compound, white-space: nowrap): a
// field's hint on a phone shows "like" over "+1 415 555 0100", not
// "+1 415 555" over "0100", which reads as two numbers. What a screen
// reader says or a person copies is the same text, plain spaces and all.
func numbersWhole(s string) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		return writeWhole(w, s, phoneLike, func(string) bool { return true })
	})
}
