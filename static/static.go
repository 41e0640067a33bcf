// Package static holds the stylesheet and icons, embedded in the binary so the
// portal serves every asset itself.
package static

import "embed"

// FS holds portal.css and favicon.svg at its root; add *.js to the pattern
// when the first script arrives (a pattern that matches nothing will not build).
//
//go:embed *.css *.svg *.js
var FS embed.FS
