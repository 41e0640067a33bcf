package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
)

// serve runs one request through e and returns the recorder.
func serve(e *echo.Echo, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	e.ServeHTTP(w, r)
	return w
}

func TestRequestIDIsFreshAndIgnoresClientValue(t *testing.T) {
	e := echo.New()
	e.Use(RequestID())
	var seen string
	e.GET("/", func(c echo.Context) error {
		seen = RequestIDFrom(c.Request().Context())
		return c.NoContent(http.StatusNoContent)
	})

	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set(HeaderRequestID, "chosen-by-client")
	w := serve(e, r)
	got := w.Header().Get(HeaderRequestID)
	if len(got) != 16 || got != seen {
		t.Fatalf("header %q, context %q: want the same 16-char ID", got, seen)
	}
	if again := serve(e, httptest.NewRequest(http.MethodGet, "/", nil)).Header().Get(HeaderRequestID); again == got {
		t.Fatal("two requests got the same ID")
	}
}

// REQ-RL-06: the client address is the TCP peer unless the peer is a
// trusted proxy; then X-Forwarded-For is walked from the right, and hops
// the client wrote, X-Real-IP and garbage are never believed. The running
// portal's rate limits are held to it in internal/e2e/clientip_test.go.
func TestClientIPIgnoresSpoofedHeaders_REQ_RL_06(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	cases := []struct {
		name, peer string
		xff        []string
		realIP     string
		want       string
	}{
		{"untrusted peer, spoofed XFF", "203.0.113.5:4000", []string{"1.2.3.4"}, "1.2.3.4", "203.0.113.5"},
		{"no proxy, no header", "203.0.113.5:4000", nil, "", "203.0.113.5"},
		{"trusted proxy", "10.0.0.1:4000", []string{"198.51.100.9"}, "", "198.51.100.9"},
		{"client-prepended hops are skipped", "10.0.0.1:4000", []string{"1.2.3.4, 198.51.100.9, 10.0.0.2"}, "", "198.51.100.9"},
		{"several header lines", "10.0.0.1:4000", []string{"1.2.3.4", "198.51.100.9"}, "", "198.51.100.9"},
		{"X-Real-IP never trusted", "10.0.0.1:4000", nil, "1.2.3.4", "10.0.0.1"},
		{"garbage stops the walk", "10.0.0.1:4000", []string{"198.51.100.9, bogus, 10.0.0.2"}, "", "10.0.0.2"},
		{"hop with port", "10.0.0.1:4000", []string{"198.51.100.9:5555"}, "", "198.51.100.9"},
		{"bracketed IPv6 hop", "[fd00::1]:4000", []string{"[2001:db8::7]"}, "", "2001:db8::7"},
		{"all hops trusted", "10.0.0.1:4000", []string{"10.0.0.3, 10.0.0.2"}, "", "10.0.0.3"},
		{"mapped IPv4 peer", "[::ffff:203.0.113.5]:4000", []string{"1.2.3.4"}, "", "203.0.113.5"},
	}
	e := echo.New()
	e.Use(ClientIP(trusted))
	e.GET("/", func(c echo.Context) error {
		if RealIP(c) != ClientIPFrom(c.Request().Context()) {
			return errors.New("RealIP and ClientIPFrom disagree")
		}
		return c.String(http.StatusOK, RealIP(c).String())
	})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = tc.peer
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if tc.realIP != "" {
				r.Header.Set("X-Real-IP", tc.realIP)
			}
			if got := serve(e, r).Body.String(); got != tc.want {
				t.Fatalf("client IP %q, want %q", got, tc.want)
			}
		})
	}
}

// REQ-LOG-01: the request line carries no query string, body, cookie or
// Authorization. Whole flows through the portal's log, attempts and locks
// included, are in internal/e2e/logging_test.go.
func TestLoggerKeepsSecretsOut_REQ_LOG_01(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	e := echo.New()
	e.Use(RequestID(), ClientIP(nil), Logger(log))
	e.POST("/sign-in/verify", func(c echo.Context) error {
		return echo.NewHTTPError(http.StatusUnprocessableEntity, "wrong code")
	})

	r := httptest.NewRequest(http.MethodPost, "/sign-in/verify?code=482913", strings.NewReader("password=hunter2hunter2"))
	r.Header.Set(echo.HeaderContentType, echo.MIMEApplicationForm)
	r.Header.Set("Authorization", "Bearer sk_test_topsecret")
	r.Header.Set("Cookie", "__client=cookiesecret")
	r.RemoteAddr = "192.0.2.44:1234"
	w := serve(e, r)

	line := buf.String()
	for _, secret := range []string{"482913", "hunter2", "sk_test_topsecret", "cookiesecret"} {
		if strings.Contains(line, secret) {
			t.Errorf("log line contains %q: %s", secret, line)
		}
	}
	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("want exactly one JSON line, got %q: %v", line, err)
	}
	want := map[string]any{
		"msg": "request", "method": "POST", "path": "/sign-in/verify", "status": float64(422),
		"request_id": w.Header().Get(HeaderRequestID), "ip": "192.0.2.44",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if _, ok := got["duration"]; !ok {
		t.Error("no duration")
	}
	if w.Code != http.StatusUnprocessableEntity {
		t.Errorf("client got %d, want the handler's 422", w.Code)
	}
}

// The log level follows the status: a shed 503 ("try again") is a warning,
// any other 5xx an error, the rest information.
func TestLoggerLevelFollowsStatus(t *testing.T) {
	for _, tc := range []struct {
		status int
		level  string
	}{{200, "INFO"}, {422, "INFO"}, {503, "WARN"}, {500, "ERROR"}, {502, "ERROR"}} {
		var buf bytes.Buffer
		e := echo.New()
		e.Use(Logger(slog.New(slog.NewJSONHandler(&buf, nil))))
		e.GET("/", func(c echo.Context) error { return c.NoContent(tc.status) })
		serve(e, httptest.NewRequest(http.MethodGet, "/", nil))
		var got map[string]any
		if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
			t.Fatalf("%d: %q: %v", tc.status, buf.String(), err)
		}
		if got["level"] != tc.level {
			t.Errorf("status %d logged at %v, want %s", tc.status, got["level"], tc.level)
		}
	}
}

func TestRecoverAnswersGeneric500_REQ_LOG_02(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	boom := func(c echo.Context) error { panic("db password is swordfish") }

	t.Run("default page", func(t *testing.T) {
		buf.Reset()
		e := echo.New()
		e.Use(RequestID(), Logger(log), Recover(log, nil))
		e.GET("/", boom)
		w := serve(e, httptest.NewRequest(http.MethodGet, "/", nil))
		rid := w.Header().Get(HeaderRequestID)
		if w.Code != http.StatusInternalServerError {
			t.Fatalf("status %d", w.Code)
		}
		body := w.Body.String()
		if !strings.Contains(body, "Something went wrong") || !strings.Contains(body, rid) {
			t.Fatalf("body %q lacks the generic message or request ID %s", body, rid)
		}
		if strings.Contains(body, "swordfish") {
			t.Fatal("panic value shown to the user")
		}
		logged := buf.String()
		if !strings.Contains(logged, "swordfish") || !strings.Contains(logged, `"status":500`) {
			t.Fatalf("log lacks the panic or the 500 line: %s", logged)
		}
	})

	t.Run("rendered by callback", func(t *testing.T) {
		e := echo.New()
		e.Use(RequestID(), Recover(log, func(c echo.Context) error {
			return c.HTML(http.StatusInternalServerError, "<p>custom "+RequestIDFrom(c.Request().Context())+"</p>")
		}))
		e.GET("/", boom)
		w := serve(e, httptest.NewRequest(http.MethodGet, "/", nil))
		if w.Code != 500 || w.Body.String() != "<p>custom "+w.Header().Get(HeaderRequestID)+"</p>" {
			t.Fatalf("got %d %q", w.Code, w.Body.String())
		}
	})
}

func newSecurityEcho(t *testing.T, production bool, sources []string) *echo.Echo {
	t.Helper()
	sec, err := SecurityHeaders(production, sources)
	if err != nil {
		t.Fatal(err)
	}
	e := echo.New()
	e.Use(sec)
	e.GET("/", func(c echo.Context) error {
		if templ.GetNonce(c.Request().Context()) != CSPNonce(c) {
			return errors.New("templ nonce differs")
		}
		return c.String(http.StatusOK, CSPNonce(c))
	})
	return e
}

// REQ-HDR-01, REQ-HDR-02: the policy headers SecurityHeaders sets, HSTS
// for a year with subdomains in production only. That every answer of the
// portal carries them is internal/e2e/headers_test.go.
func TestSecurityHeaders_REQ_HDR_01_02(t *testing.T) {
	e := newSecurityEcho(t, false, []string{"http://localhost:*", "https://*.example.com", "https://app.example.org/"})
	w := serve(e, httptest.NewRequest(http.MethodGet, "/", nil))
	nonce := w.Body.String()
	if len(nonce) < 22 {
		t.Fatalf("nonce %q too short", nonce)
	}
	csp := w.Header().Get("Content-Security-Policy")
	for _, d := range []string{
		"default-src 'self'",
		"script-src 'self' 'nonce-" + nonce + "'",
		"style-src 'self' 'nonce-" + nonce + "'",
		"img-src 'self' data:",
		"object-src 'none'",
		"base-uri 'none'",
		"form-action 'self' http://localhost:* https://*.example.com https://app.example.org",
		"frame-ancestors 'none'",
	} {
		if !strings.Contains(csp, d+";") && !strings.HasSuffix(csp, d) {
			t.Errorf("CSP lacks %q: %s", d, csp)
		}
	}
	fixed := map[string]string{
		"X-Content-Type-Options":     "nosniff",
		"Referrer-Policy":            "strict-origin-when-cross-origin",
		"X-Frame-Options":            "DENY",
		"Cross-Origin-Opener-Policy": "same-origin",
	}
	for k, v := range fixed {
		if got := w.Header().Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if w.Header().Get("Permissions-Policy") == "" {
		t.Error("no Permissions-Policy")
	}
	if h := w.Header().Get("Strict-Transport-Security"); h != "" {
		t.Errorf("HSTS outside production: %q", h)
	}

	again := serve(e, httptest.NewRequest(http.MethodGet, "/", nil)).Body.String()
	if again == nonce {
		t.Error("nonce reused across requests")
	}

	prod := serve(newSecurityEcho(t, true, nil), httptest.NewRequest(http.MethodGet, "/", nil))
	if h := prod.Header().Get("Strict-Transport-Security"); h != "max-age=31536000; includeSubDomains" {
		t.Errorf("production HSTS = %q", h)
	}
	if csp := prod.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self';") {
		t.Errorf("form-action without sources: %s", csp)
	}
}

func TestCSPSourceRefusesInjection(t *testing.T) {
	good := map[string]string{
		"http://localhost:*":      "http://localhost:*",
		"https://*.example.com":   "https://*.example.com",
		"HTTPS://App.Example.com": "https://app.example.com",
		"http://127.0.0.1:3000/":  "http://127.0.0.1:3000",
	}
	for in, want := range good {
		if got, err := CSPSource(in); err != nil || got != want {
			t.Errorf("CSPSource(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{
		"https://a.com; script-src *", "*", "https://*", "javascript://x", "https://a.com/path",
		"https://a.com:0", "https://a.com:99999", "https://a.com:'self'", "https://[::1]:3000",
		"https://a..com", "https://user@a.com", "a.com",
	} {
		if got, err := CSPSource(in); err == nil {
			t.Errorf("CSPSource(%q) = %q, want an error", in, got)
		}
	}
	if _, err := SecurityHeaders(true, []string{"https://a.com 'unsafe-inline'"}); err == nil {
		t.Error("SecurityHeaders accepted a bad source")
	}
}

// REQ-HDR-06: no-store unless a handler says otherwise; which routes do is
// held to a list in internal/e2e/headers_test.go.
func TestNoStoreIsDefaultAndOverridable_REQ_HDR_06(t *testing.T) {
	e := echo.New()
	e.Use(NoStore())
	e.GET("/page", func(c echo.Context) error { return c.String(http.StatusOK, "hi") })
	e.GET("/static/app.css", func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", "public, max-age=3600")
		return c.String(http.StatusOK, "body{}")
	})
	if h := serve(e, httptest.NewRequest(http.MethodGet, "/page", nil)).Header().Get("Cache-Control"); h != "no-store" {
		t.Errorf("page Cache-Control = %q", h)
	}
	if h := serve(e, httptest.NewRequest(http.MethodGet, "/static/app.css", nil)).Header().Get("Cache-Control"); h != "public, max-age=3600" {
		t.Errorf("static Cache-Control = %q", h)
	}
}

func formBody(fields int) string {
	v := url.Values{}
	for i := range fields {
		v.Set(fmt.Sprintf("f%d", i), "x")
	}
	return v.Encode()
}

// REQ-IN-08: body and form-field limits, chunked bodies included. The
// server's timeouts and header limit are internal/e2e/limits_test.go.
func TestBodyAndFormLimits_REQ_IN_08(t *testing.T) {
	e := echo.New()
	e.Use(BodyLimit(1<<16), FormLimit(100))
	e.POST("/", func(c echo.Context) error {
		return c.String(http.StatusOK, c.FormValue("f0"))
	})
	e.POST("/raw", func(c echo.Context) error {
		b, err := io.ReadAll(c.Request().Body)
		if err != nil {
			return errTooLarge
		}
		return c.String(http.StatusOK, fmt.Sprint(len(b)))
	})
	post := func(path, body, ctype string, chunked bool) int {
		r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		if chunked {
			r.ContentLength = -1 // as with Transfer-Encoding: chunked
		}
		r.Header.Set(echo.HeaderContentType, ctype)
		return serve(e, r).Code
	}
	form := echo.MIMEApplicationForm
	cases := []struct {
		name    string
		path    string
		body    string
		ctype   string
		chunked bool
		want    int
	}{
		{"100 fields", "/", formBody(100), form, false, 200},
		{"101 fields", "/", formBody(101), form, false, 413},
		{"repeated key counts each value", "/", strings.Repeat("a=1&", 101), form, false, 413},
		{"declared too long", "/", strings.Repeat("a", 70000), form, false, 413},
		{"chunked form too long", "/", "f0=" + strings.Repeat("a", 70000), form, true, 413},
		{"chunked raw body too long", "/raw", strings.Repeat("a", 70000), "application/octet-stream", true, 413},
		{"malformed form", "/", "a=%zz", form, false, 400},
	}
	for _, tc := range cases {
		if got := post(tc.path, tc.body, tc.ctype, tc.chunked); got != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, got, tc.want)
		}
	}

	for fields, want := range map[int]int{100: 200, 101: 413} {
		var mp bytes.Buffer
		mw := multipart.NewWriter(&mp)
		for i := range fields {
			_ = mw.WriteField(fmt.Sprintf("f%d", i), "x")
		}
		_ = mw.Close()
		if got := post("/", mp.String(), mw.FormDataContentType(), false); got != want {
			t.Errorf("multipart with %d fields: status %d, want %d", fields, got, want)
		}
	}
}

const testBase = "https://accounts.example.com"

// csrfEcho serves a form page and a POST target behind CSRF; rejections
// land in *reasons.
func csrfEcho(t *testing.T, secure bool, reasons *[]string) *echo.Echo {
	t.Helper()
	mw, err := CSRF(CSRFConfig{
		BaseURL: testBase,
		Secure:  secure,
		Exempt:  func(c echo.Context) bool { return strings.HasPrefix(c.Request().URL.Path, "/v1/") },
		OnReject: func(c echo.Context, reason string) error {
			*reasons = append(*reasons, reason)
			return c.String(http.StatusForbidden, CSRFMessage)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	e := echo.New()
	e.Use(mw)
	e.GET("/sign-in", func(c echo.Context) error { return c.String(http.StatusOK, CSRFToken(c)) })
	e.POST("/sign-in", func(c echo.Context) error { return c.String(http.StatusOK, "signed in") })
	e.POST("/v1/users", func(c echo.Context) error { return c.String(http.StatusOK, "api") })
	return e
}

// getToken loads the form page as a browser would and returns the cookie it
// set and the token the page carries.
func getToken(t *testing.T, e *echo.Echo) (*http.Cookie, string) {
	t.Helper()
	w := serve(e, httptest.NewRequest(http.MethodGet, testBase+"/sign-in", nil))
	cookies := w.Result().Cookies()
	if len(cookies) != 1 {
		t.Fatalf("want one cookie on the first GET, got %v", cookies)
	}
	return cookies[0], w.Body.String()
}

// getTokenWith loads the form page again with the cookie the browser holds.
func getTokenWith(t *testing.T, e *echo.Echo, ck *http.Cookie) (*http.Cookie, string) {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, testBase+"/sign-in", nil)
	r.AddCookie(ck)
	return ck, serve(e, r).Body.String()
}

func TestCSRFCookieAvailableOnFirstPage_REQ_SES_08(t *testing.T) {
	var reasons []string
	for _, secure := range []bool{false, true} {
		e := csrfEcho(t, secure, &reasons)
		ck, token := getToken(t, e)
		wantName := CSRFCookie
		if secure {
			wantName = CSRFCookieSecure
		}
		if ck.Name != wantName || unmaskToken(token) != ck.Value || token == ck.Value || token == "" {
			t.Fatalf("cookie %s=%q, page token %q: want the cookie's token, masked", ck.Name, ck.Value, token)
		}
		if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Secure != secure {
			t.Fatalf("cookie attributes: %+v", ck)
		}

		// A returning browser keeps its token; no new cookie.
		r := httptest.NewRequest(http.MethodGet, testBase+"/sign-in", nil)
		r.AddCookie(ck)
		w := serve(e, r)
		if len(w.Result().Cookies()) != 0 || unmaskToken(w.Body.String()) != ck.Value {
			t.Fatalf("token changed on a later GET: %v %q", w.Result().Cookies(), w.Body.String())
		}
		// Pages are compressed: the same token must not appear twice in
		// the same bytes, or a page's size could give it away (BREACH).
		if w.Body.String() == token {
			t.Fatalf("two pages carry the same masked token %q", token)
		}
	}
}

func TestCSRF_REQ_SES_08_REQ_HDR_04(t *testing.T) {
	var reasons []string
	e := csrfEcho(t, true, &reasons)
	ck, token := getToken(t, e)
	wrong := strings.Repeat("A", len(token))
	// The same token masked for another page, the bare token from the
	// cookie, and a masked token with one bit of the token half flipped.
	_, token2 := getTokenWith(t, e, ck)
	tampered := []byte(token)
	tampered[len(tampered)-2] ^= 1
	// A token the portal never issued for this browser, but well-formed.
	otherCk, _ := getToken(t, e)

	cases := []struct {
		name    string
		path    string
		site    string // Sec-Fetch-Site
		origin  string
		cookie  *http.Cookie
		field   string
		header  string
		want    int
		because string
	}{
		{name: "same-origin with token", site: "same-origin", cookie: ck, field: token, want: 200},
		{name: "token in header", site: "same-origin", cookie: ck, header: token, want: 200},
		{name: "token masked for another page", site: "same-origin", cookie: ck, field: token2, want: 200},
		{name: "bare token as in the cookie", site: "same-origin", cookie: ck, field: ck.Value, want: 200},
		{name: "masked token tampered with", site: "same-origin", cookie: ck, field: string(tampered), want: 403, because: "token mismatch"},
		{name: "Origin null with Sec-Fetch-Site same-origin", site: "same-origin", origin: "null", cookie: ck, field: token, want: 200},
		{name: "old browser, own Origin", origin: testBase, cookie: ck, field: token, want: 200},
		{name: "old browser, no Origin, token only", cookie: ck, field: token, want: 200},
		{name: "cross-site even with token", site: "cross-site", origin: "https://evil.example", cookie: ck, field: token, want: 403, because: "Sec-Fetch-Site: cross-site"},
		{name: "same-site sibling", site: "same-site", origin: "https://evil.example.com", cookie: ck, field: token, want: 403, because: "Sec-Fetch-Site: same-site"},
		{name: "foreign Origin without Sec-Fetch-Site", origin: "https://evil.example", cookie: ck, field: token, want: 403, because: "foreign Origin"},
		{name: "own host but wrong scheme", origin: "http://accounts.example.com", cookie: ck, field: token, want: 403, because: "foreign Origin"},
		{name: "missing token", site: "same-origin", cookie: ck, want: 403, because: "token mismatch"},
		{name: "wrong token", site: "same-origin", cookie: ck, field: wrong, want: 403, because: "token mismatch"},
		{name: "token of another browser", site: "same-origin", cookie: otherCk, field: token, want: 403, because: "token mismatch"},
		{name: "no cookie", site: "same-origin", field: token, want: 403, because: "no token cookie"},
		{name: "forged cross-site POST, nothing else", site: "cross-site", origin: "https://evil.example", want: 403, because: "Sec-Fetch-Site: cross-site"},
		{name: "exempt API path", path: "/v1/users", site: "cross-site", want: 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			reasons = nil
			path := tc.path
			if path == "" {
				path = "/sign-in"
			}
			form := url.Values{"identifier": {"a@example.com"}}
			if tc.field != "" {
				form.Set(CSRFField, tc.field)
			}
			r := httptest.NewRequest(http.MethodPost, testBase+path, strings.NewReader(form.Encode()))
			r.Header.Set(echo.HeaderContentType, echo.MIMEApplicationForm)
			if tc.site != "" {
				r.Header.Set("Sec-Fetch-Site", tc.site)
			}
			if tc.origin != "" {
				r.Header.Set("Origin", tc.origin)
			}
			if tc.header != "" {
				r.Header.Set(CSRFHeader, tc.header)
			}
			if tc.cookie != nil {
				r.AddCookie(tc.cookie)
			}
			w := serve(e, r)
			if w.Code != tc.want {
				t.Fatalf("status %d, want %d (reasons %v)", w.Code, tc.want, reasons)
			}
			if tc.want == 403 {
				if len(reasons) != 1 || reasons[0] != tc.because {
					t.Fatalf("reasons %v, want [%s]", reasons, tc.because)
				}
				if w.Body.String() != CSRFMessage {
					t.Fatalf("body %q", w.Body.String())
				}
			}
			if tc.path == "/v1/users" && len(w.Result().Cookies()) != 0 {
				t.Fatal("exempt path got a CSRF cookie")
			}
		})
	}
}

func TestCSRFDefaultRejectionAndOriginFromHost(t *testing.T) {
	mw, err := CSRF(CSRFConfig{BaseURL: "http://localhost:4000"})
	if err != nil {
		t.Fatal(err)
	}
	e := echo.New()
	e.Use(mw)
	e.GET("/", func(c echo.Context) error { return c.String(http.StatusOK, CSRFToken(c)) })
	e.POST("/", func(c echo.Context) error { return c.String(http.StatusOK, "ok") })
	w := serve(e, httptest.NewRequest(http.MethodGet, "/", nil))
	ck, token := w.Result().Cookies()[0], w.Body.String()

	// A test server on 127.0.0.1: the Origin matches the request's Host.
	r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:38111/", strings.NewReader(CSRFField+"="+token))
	r.Header.Set(echo.HeaderContentType, echo.MIMEApplicationForm)
	r.Header.Set("Origin", "http://127.0.0.1:38111")
	r.AddCookie(ck)
	if w := serve(e, r); w.Code != 200 {
		t.Fatalf("Origin equal to Host refused: %d", w.Code)
	}

	r = httptest.NewRequest(http.MethodPost, "/", nil)
	r.Header.Set("Sec-Fetch-Site", "cross-site")
	w = serve(e, r)
	if w.Code != http.StatusForbidden || w.Body.String() != CSRFMessage ||
		!strings.HasPrefix(w.Header().Get(echo.HeaderContentType), "text/plain") {
		t.Fatalf("default rejection: %d %q %q", w.Code, w.Header().Get(echo.HeaderContentType), w.Body.String())
	}

	if _, err := CSRF(CSRFConfig{BaseURL: "localhost:4000"}); err == nil {
		t.Error("CSRF accepted a base URL without scheme")
	}
}
