package handlers

import (
	"mime"
	"path"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// compressMinLength leaves tiny answers ("ok", an icon) alone: gzip's own
// framing would eat most of what it saves.
const compressMinLength = 256

// Compress gzips what is text — pages, CSS, JavaScript, JSON, SVG — for
// browsers that accept it, so /sign-in stays small on a slow line. Raster
// images are compressed already and pass through.
//
// Compressed pages carry the CSRF token; CSRFToken masks it afresh in
// every response so that compression cannot leak it (BREACH).
func Compress() echo.MiddlewareFunc {
	return middleware.GzipWithConfig(middleware.GzipConfig{
		Skipper:   func(c echo.Context) bool { return !compressible(c) },
		MinLength: compressMinLength,
	})
}

// compressible decides by route before the handler runs, since the
// middleware must wrap the writer before anything is written.
func compressible(c echo.Context) bool {
	switch c.Path() {
	case "/images/:file", "/organizations/:org_id/logo":
		return false
	}
	if c.Request().Header.Get("Range") != "" { // a byte range of the file as stored
		return false
	}
	p := c.Request().URL.Path
	if !strings.HasPrefix(p, "/static/") {
		return true
	}
	t, _, _ := strings.Cut(mime.TypeByExtension(path.Ext(p)), ";")
	switch t {
	case "text/css", "text/javascript", "application/javascript", "application/json", "image/svg+xml", "text/plain":
		return true
	}
	return false
}
