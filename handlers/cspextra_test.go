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

// A handler that learns as it renders that its page shows a widget widens
// the policy then: the request's own widening stays, the new origins
// join it, the nonce is the same, and nothing else changes. Without the
// middleware, widening does nothing.
func TestWidenCSPFromTheHandler_REQ_HDR_01(t *testing.T) {
	sec, err := SecurityHeaders(false, nil, func(echo.Context) CSPExtra {
		return CSPExtra{ImgSrc: []string{"https://cdn.acme.example"}}
	})
	if err != nil {
		t.Fatal(err)
	}
	e := echo.New()
	e.Use(sec)
	e.GET("/plain", func(c echo.Context) error { return c.NoContent(http.StatusOK) })
	e.GET("/widget", func(c echo.Context) error {
		widenCSP(c, CSPExtra{ScriptSrc: []string{"https://challenges.cloudflare.com"}, FrameSrc: []string{"https://challenges.cloudflare.com"}})
		return c.NoContent(http.StatusOK)
	})
	plain := serve(e, httptest.NewRequest(http.MethodGet, "/plain", nil)).Header().Get("Content-Security-Policy")
	if strings.Contains(plain, "cloudflare") || strings.Contains(plain, "frame-src") {
		t.Errorf("a page that did not widen: %s", plain)
	}
	csp := serve(e, httptest.NewRequest(http.MethodGet, "/widget", nil)).Header().Get("Content-Security-Policy")
	for _, want := range []string{"script-src 'self' 'nonce-", "' https://challenges.cloudflare.com; style-src",
		"img-src 'self' data: https://cdn.acme.example;", "frame-src 'self' https://challenges.cloudflare.com;",
		"frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("widened CSP lacks %q: %s", want, csp)
		}
	}
	bare := echo.New()
	bare.GET("/", func(c echo.Context) error {
		widenCSP(c, CSPExtra{ScriptSrc: []string{"https://challenges.cloudflare.com"}})
		return c.NoContent(http.StatusOK)
	})
	if got := serve(bare, httptest.NewRequest(http.MethodGet, "/", nil)).Header().Get("Content-Security-Policy"); got != "" {
		t.Errorf("widening without the middleware set %q", got)
	}
}
