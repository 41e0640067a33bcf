package handlers

import (
	"mime"
	"net/http"
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
//
// A strong ETag names one representation's exact bytes, and the gzipped
// bytes are another representation than the identity ones (RFC 9110
// §8.8.3), so a handler's strong tag is weakened (W/"…") on every answer
// that may go out gzipped: a 200, or the 304 that stands for one. Only
// If-None-Match is used on these routes, and it compares weakly, so a
// cache holding either coding's tag still gets its 304; a client that
// takes no gzip keeps the strong tag of the identity bytes.
func Compress() echo.MiddlewareFunc {
	gzip := middleware.GzipWithConfig(middleware.GzipConfig{
		Skipper:   func(c echo.Context) bool { return !compressible(c) },
		MinLength: compressMinLength,
	})
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		h := gzip(next)
		return func(c echo.Context) error {
			if compressible(c) && acceptsGzip(c.Request()) {
				res := c.Response()
				res.Before(func() { weakenETag(res.Header()) })
			}
			return h(c)
		}
	}
}

// acceptsGzip is the test echo's gzip middleware makes: the word gzip
// anywhere in Accept-Encoding. It must stay the same test, so that every
// answer that may be compressed carries a weak tag.
func acceptsGzip(r *http.Request) bool {
	return strings.Contains(r.Header.Get(echo.HeaderAcceptEncoding), "gzip")
}

// weakenETag turns a strong ETag into the weak one with the same opaque
// tag; a weak one or none is left as it is.
func weakenETag(h http.Header) {
	if t := h.Get("ETag"); strings.HasPrefix(t, `"`) {
		h.Set("ETag", "W/"+t)
	}
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
