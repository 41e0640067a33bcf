package views

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxShownName is how much of a name written by a person (an
// organization's, an inviter's) an email shows: the portal's own limit on
// names, so that one imported or set through the Backend API cannot push
// the app's name and the sentence's meaning out of a subject line.
const maxShownName = 100

// shownName is a name written by a person as an email may show it, in the
// subject and the bodies. Such a name is the one part of the message an
// attacker chooses, so it must not be able to change how the rest reads:
//
//   - Unicode bidirectional controls (RLO and friends) are removed. In a
//     name they can make "‮moc.knab‬" display as "bank.com", or reverse
//     the text that follows, the app's name included. Right-to-left
//     names still show right to left: the bidi algorithm needs no
//     controls for that.
//   - Line breaks, other control characters and the Unicode line and
//     paragraph separators become spaces, and runs of spaces one.
//   - A name longer than maxShownName characters is cut, with an ellipsis.
func shownName(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	var b strings.Builder
	space := false
	n := 0
	for _, r := range strings.TrimSpace(s) {
		switch {
		case isBidiControl(r):
			continue
		case unicode.IsControl(r) || unicode.IsSpace(r) || r == '\u2028' || r == '\u2029':
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			n++
			space = false
		}
		if n == maxShownName {
			return strings.TrimSpace(b.String()) + "…"
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// isBidiControl reports the explicit directional formatting characters:
// ALM, LRM, RLM, the embeddings and overrides LRE…RLO with PDF, and the
// isolates LRI…PDI.
func isBidiControl(r rune) bool {
	return r == '\u061C' || r == '\u200E' || r == '\u200F' ||
		r >= '\u202A' && r <= '\u202E' || r >= '\u2066' && r <= '\u2069'
}
