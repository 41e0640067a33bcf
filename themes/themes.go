// Package themes holds the shipped themes as data files, embedded in the
// binary. internal/theme reads, validates and renders them; nothing here is
// code an owner has to touch.
package themes

import "embed"

// FS holds one <name>.yaml per shipped theme and the stylesheets a theme
// names with "stylesheet:".
//
//go:embed *.yaml *.css
var FS embed.FS
