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

	"github.com/portalhq/portal/static"
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

// A strong ETag names one representation's bytes (RFC 9110 §8.8.3): on an
// answer that may go out gzipped, a 200 or the 304 standing for one, it
// is weakened; the identity bytes, and routes never compressed, keep it.
func TestCompressWeakensStrongETags(t *testing.T) {
	doc := strings.Repeat(`{"kid":"k"}`, 100)
	png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0}, 4096)...)
	const tag = `"v1"`
	conditional := func(c echo.Context, body func() error) error {
		c.Response().Header().Set("ETag", tag)
		if etagMatches(c.Request().Header.Get("If-None-Match"), tag) {
			return c.NoContent(http.StatusNotModified)
		}
		return body()
	}
	e := echo.New()
	e.Use(Compress())
	e.GET("/doc.json", func(c echo.Context) error {
		return conditional(c, func() error { return c.Blob(http.StatusOK, "application/json", []byte(doc)) })
	})
	e.GET("/images/:file", func(c echo.Context) error {
		return conditional(c, func() error { return c.Blob(http.StatusOK, "image/png", png) })
	})
	e.GET("/weak.json", func(c echo.Context) error {
		c.Response().Header().Set("ETag", `W/"v1"`)
		return c.Blob(http.StatusOK, "application/json", []byte(doc))
	})
	for _, tc := range []struct {
		path, acceptEncoding, inm string
		status                    int
		gzipped                   bool
		etag                      string
	}{
		{"/doc.json", "gzip", "", http.StatusOK, true, `W/"v1"`},
		{"/doc.json", "gzip", `W/"v1"`, http.StatusNotModified, false, `W/"v1"`},
		{"/doc.json", "gzip", tag, http.StatusNotModified, false, `W/"v1"`},
		{"/doc.json", "", "", http.StatusOK, false, tag},
		{"/doc.json", "identity", `W/"v1"`, http.StatusNotModified, false, tag},
		{"/images/a.png", "gzip", "", http.StatusOK, false, tag},
		{"/weak.json", "gzip", "", http.StatusOK, true, `W/"v1"`},
	} {
		r := httptest.NewRequest(http.MethodGet, tc.path, nil)
		if tc.acceptEncoding != "" {
			r.Header.Set("Accept-Encoding", tc.acceptEncoding)
		}
		if tc.inm != "" {
			r.Header.Set("If-None-Match", tc.inm)
		}
		w := serve(e, r)
		gzipped := w.Header().Get("Content-Encoding") == "gzip"
		if w.Code != tc.status || gzipped != tc.gzipped || w.Header().Get("ETag") != tc.etag {
			t.Errorf("%s (Accept-Encoding %q, If-None-Match %q): %d gzip %v ETag %q; want %d gzip %v ETag %q", tc.path,
				tc.acceptEncoding, tc.inm, w.Code, gzipped, w.Header().Get("ETag"), tc.status, tc.gzipped, tc.etag)
		}
	}
}

// The stylesheet goes out as static.Stylesheet has it, without the
// comments portal.css keeps for its editors, typed as CSS.
func TestStylesheetIsServedWithoutComments(t *testing.T) {
	e := echo.New()
	e.GET("/static/*", echo.WrapHandler(staticHandler()))
	w := serve(e, httptest.NewRequest(http.MethodGet, "/static/portal.css", nil))
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "text/css; charset=utf-8" {
		t.Fatalf("status %d, Content-Type %q", w.Code, w.Header().Get("Content-Type"))
	}
	raw, err := static.FS.ReadFile("portal.css")
	if err != nil {
		t.Fatal(err)
	}
	body := w.Body.String()
	if body != string(static.Stylesheet()) || strings.Contains(body, "/*") || len(body) >= len(raw) {
		t.Errorf("served %d bytes (file %d), comments left: %v", len(body), len(raw), strings.Contains(body, "/*"))
	}
	if !strings.Contains(body, ".cl-formFieldInput") {
		t.Error("the rules are missing")
	}
}
