package handlers

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// Text goes out gzipped to browsers that accept it; raster images, tiny
// answers and browsers that do not ask for gzip get the bytes as they are.
func TestCompress(t *testing.T) {
	page := "<!DOCTYPE html><p>" + strings.Repeat("Sign in to continue. ", 200) + "</p>"
	png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0}, 4096)...)
	e := echo.New()
	e.Use(Compress())
	e.GET("/sign-in", func(c echo.Context) error { return c.HTML(http.StatusOK, page) })
	e.GET("/healthz", func(c echo.Context) error { return c.String(http.StatusOK, "ok") })
	e.GET("/images/:file", func(c echo.Context) error { return c.Blob(http.StatusOK, "image/png", png) })
	e.GET("/organizations/:org_id/logo", func(c echo.Context) error { return c.Blob(http.StatusOK, "image/png", png) })
	e.GET("/static/*", echo.WrapHandler(staticHandler()))

	cases := []struct {
		path, acceptEncoding string
		gzipped              bool
	}{
		{"/sign-in", "gzip, deflate, br", true},
		{"/static/portal.css", "gzip", true},
		{"/static/passkeys.js", "gzip", true},
		{"/sign-in", "", false},
		{"/healthz", "gzip", false},
		{"/images/img_1.png", "gzip", false},
		{"/organizations/org_1/logo", "gzip", false},
	}
	for _, tc := range cases {
		t.Run(tc.path+" "+tc.acceptEncoding, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, tc.path, nil)
			if tc.acceptEncoding != "" {
				r.Header.Set("Accept-Encoding", tc.acceptEncoding)
			}
			w := serve(e, r)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d", w.Code)
			}
			got := w.Header().Get("Content-Encoding") == "gzip"
			if got != tc.gzipped {
				t.Fatalf("Content-Encoding %q, want gzip %v", w.Header().Get("Content-Encoding"), tc.gzipped)
			}
			if !tc.gzipped {
				return
			}
			if !strings.Contains(w.Header().Get("Vary"), "Accept-Encoding") {
				t.Errorf("Vary %q: caches must keep the two encodings apart", w.Header().Get("Vary"))
			}
			zr, err := gzip.NewReader(w.Body)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(zr)
			if err != nil {
				t.Fatal(err)
			}
			if tc.path == "/sign-in" && string(body) != page {
				t.Fatalf("the page does not survive the round trip")
			}
		})
	}
}
