package handlers

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// A theme can add its logo's origin to img-src, but nothing that is not an
// origin reaches the header, and framing opens only to the portal itself.
func TestSecurityHeadersWiden_REQ_HDR_01(t *testing.T) {
	cases := []struct {
		extra   CSPExtra
		img     string
		frame   string
		xframes string
	}{
		{CSPExtra{}, "img-src 'self' data:;", "frame-ancestors 'none'", "DENY"},
		{CSPExtra{ImgSrc: []string{"https://cdn.acme.example"}}, "img-src 'self' data: https://cdn.acme.example;", "frame-ancestors 'none'", "DENY"},
		{CSPExtra{ImgSrc: []string{"https://a.example; script-src *", "javascript://x"}}, "img-src 'self' data:;", "frame-ancestors 'none'", "DENY"},
		{CSPExtra{FrameSelf: true}, "img-src 'self' data:;", "frame-ancestors 'self'", "SAMEORIGIN"},
	}
	for _, c := range cases {
		sec, err := SecurityHeaders(false, nil, func(echo.Context) CSPExtra { return c.extra })
		if err != nil {
			t.Fatal(err)
		}
		e := echo.New()
		e.Use(sec)
		e.GET("/", func(c echo.Context) error { return c.NoContent(http.StatusOK) })
		w := serve(e, httptest.NewRequest(http.MethodGet, "/", nil))
		csp := w.Header().Get("Content-Security-Policy")
		if !strings.Contains(csp, c.img) || !strings.HasSuffix(csp, c.frame) || strings.Contains(csp, "script-src *") {
			t.Errorf("%+v: CSP %s", c.extra, csp)
		}
		if got := w.Header().Get("X-Frame-Options"); got != c.xframes {
			t.Errorf("%+v: X-Frame-Options %s", c.extra, got)
		}
	}
}
