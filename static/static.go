// Package static holds the stylesheet and icons, embedded in the binary so the
// portal serves every asset itself.
package static

import (
	"embed"
	"strings"
	"sync"
)

// FS holds portal.css and favicon.svg at its root; add *.js to the pattern
// when the first script arrives (a pattern that matches nothing will not build).
//
//go:embed *.css *.svg *.js
var FS embed.FS

// Stylesheet is portal.css as browsers get it: the comments, written for
// whoever edits the file, are left out, and so are the blank lines they
// leave behind; every rule is kept as written.
var Stylesheet = sync.OnceValue(func() []byte {
	b, err := FS.ReadFile("portal.css")
	if err != nil {
		panic(err) // embedded at build time: cannot happen
	}
	return []byte(stripComments(string(b)))
})

// stripComments removes /* … */ comments from CSS text, leaving quoted
// strings alone, and drops lines left empty or holding only spaces.
func stripComments(css string) string {
	var b strings.Builder
	b.Grow(len(css))
	for i := 0; i < len(css); i++ {
		switch c := css[i]; {
		case c == '"' || c == '\'':
			j := i + 1
			for j < len(css) && css[j] != c && css[j] != '\n' {
				if css[j] == '\\' {
					j++
				}
				j++
			}
			j = min(j+1, len(css))
			b.WriteString(css[i:j])
			i = j - 1
		case c == '/' && strings.HasPrefix(css[i:], "/*"):
			end := strings.Index(css[i+2:], "*/")
			if end < 0 {
				end = len(css) - i - 2 // an unclosed comment runs to the end
			}
			i += 2 + end + 1
		default:
			b.WriteByte(c)
		}
	}
	lines := strings.Split(b.String(), "\n")
	kept := lines[:0]
	for _, l := range lines {
		if l = strings.TrimRight(l, " \t"); l != "" {
			kept = append(kept, l)
		}
	}
	return strings.Join(kept, "\n") + "\n"
}
