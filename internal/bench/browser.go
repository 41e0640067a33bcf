package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
)

// Names from the portal's cookie and form contract (DESIGN.md).
const (
	csrfCookie    = "__csrf"
	csrfField     = "_csrf"
	clientCookie  = "__client"
	sessionCookie = "__session"
	appRedirect   = "http://localhost:3000/"
)

// browser is one simulated person: its own cookies, and its own address,
// which the generator passes as X-Forwarded-For (the portal trusts loopback
// as a proxy during the bench).
type browser struct {
	srv     *server
	hc      *http.Client
	ip      string
	cookies map[string]string
}

// ipSeq hands out distinct client addresses, 10.0.0.1 onwards.
type ipSeq struct{ n atomic.Uint32 }

func (s *ipSeq) next() string {
	n := s.n.Add(1)
	return fmt.Sprintf("10.%d.%d.%d", byte(n>>16), byte(n>>8), byte(n))
}

func newBrowser(srv *server, hc *http.Client, ip string) *browser {
	// A CSRF token has the shape the portal issues; the double-submit check
	// accepts any well-formed one, exactly as if a GET had set it, which
	// saves the sign-in benchmark a page load per attempt.
	tok := make([]byte, 32)
	_, _ = rand.Read(tok)
	return &browser{srv: srv, hc: hc, ip: ip,
		cookies: map[string]string{csrfCookie: base64.RawURLEncoding.EncodeToString(tok)}}
}

// cookieHeader is the Cookie header the browser would send.
func (b *browser) cookieHeader() string {
	var parts []string
	for k, v := range b.cookies {
		parts = append(parts, k+"="+v)
	}
	return strings.Join(parts, "; ")
}

// request builds a request to path on the portal with the browser's cookies
// and address. form non-nil makes it a POST carrying the CSRF token.
func (b *browser) request(ctx context.Context, path string, form url.Values) *http.Request {
	method, body := http.MethodGet, io.Reader(nil)
	if form != nil {
		form.Set(csrfField, b.cookies[csrfCookie])
		method, body = http.MethodPost, strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequestWithContext(ctx, method, b.srv.url+path, body)
	req.Host = b.srv.host
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Cookie", b.cookieHeader())
	req.Header.Set("X-Forwarded-For", b.ip)
	return req
}

// do sends req and keeps the cookies it sets. It returns the status, the
// Location header and the body.
func (b *browser) do(req *http.Request) (int, string, string, error) {
	resp, err := b.hc.Do(req)
	if err != nil {
		return 0, "", "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, "", "", err
	}
	for _, c := range resp.Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c.Value
		}
	}
	return resp.StatusCode, resp.Header.Get("Location"), string(body), nil
}

// expect sends req and fails unless the answer is status.
func (b *browser) expect(req *http.Request, status int) (string, error) {
	got, loc, body, err := b.do(req)
	if err != nil {
		return "", err
	}
	if got != status {
		return "", fmt.Errorf("%s %s: status %d, want %d: %s", req.Method, req.URL.Path, got, status, excerpt(body))
	}
	return loc, nil
}

// signUp creates an account through the real pages, reading the emailed
// code from the development outbox, and leaves the browser signed in.
func (b *browser) signUp(ctx context.Context, email, pw string) error {
	loc, err := b.expect(b.request(ctx, "/sign-up", url.Values{"email_address": {email}, "password": {pw},
		"first_name": {"Bench"}, "last_name": {"User"}}), http.StatusSeeOther)
	if err != nil {
		return err
	}
	u, err := url.Parse(loc)
	if err != nil {
		return err
	}
	code, err := b.outboxCode(ctx, email)
	if err != nil {
		return err
	}
	form := url.Values{"sign_up": {u.Query().Get("sign_up")}, "code": {code}}
	if _, err := b.expect(b.request(ctx, "/sign-up/verify-email-address", form), http.StatusSeeOther); err != nil {
		return err
	}
	if b.cookies[sessionCookie] == "" || b.cookies[clientCookie] == "" {
		return fmt.Errorf("sign-up of %s: no session cookies after verification", email)
	}
	return nil
}

// outboxCode finds the newest code emailed to email on /dev/outbox, whose
// subject starts with the code.
func (b *browser) outboxCode(ctx context.Context, email string) (string, error) {
	_, _, body, err := b.do(b.request(ctx, "/dev/outbox", nil))
	if err != nil {
		return "", err
	}
	code, ok := codeFor(body, email)
	if !ok {
		return "", fmt.Errorf("no code for %s on /dev/outbox", email)
	}
	return code, nil
}

// codeFor finds, in the outbox page, the first (newest) message to email
// and the code its subject begins with.
func codeFor(page, email string) (string, bool) {
	re := regexp.MustCompile(`>` + regexp.QuoteMeta(html.EscapeString(email)) + `</td>\s*<td[^>]*>(\d{6}) `)
	m := re.FindStringSubmatch(page)
	if m == nil {
		return "", false
	}
	return m[1], true
}

// startSignIn submits the identifier and returns the flow ID.
func (b *browser) startSignIn(ctx context.Context, email string) (string, error) {
	loc, err := b.expect(b.request(ctx, "/sign-in", url.Values{"identifier": {email}}), http.StatusSeeOther)
	if err != nil {
		return "", err
	}
	u, err := url.Parse(loc)
	if err != nil {
		return "", err
	}
	id := u.Query().Get("sign_in")
	if id == "" {
		return "", fmt.Errorf("sign-in of %s: redirected to %q, not to a factor step", email, loc)
	}
	return id, nil
}

// passwordAttempt is the password step of flow; the caller judges status.
func (b *browser) passwordAttempt(ctx context.Context, flowID, pw string) *http.Request {
	return b.request(ctx, "/sign-in/factor-one",
		url.Values{"sign_in": {flowID}, "strategy": {"password"}, "password": {pw}})
}

// signInOK is true for an answer that completed a sign-in: a redirect that
// hands a session token to the app.
func signInOK(status int, b *browser) bool {
	return status == http.StatusSeeOther && b.cookies[sessionCookie] != ""
}

func excerpt(s string) string {
	if i := strings.Index(s, `class="cl-alert`); i >= 0 {
		s = s[i:]
	}
	if len(s) > 300 {
		s = s[:300]
	}
	return strings.Join(strings.Fields(s), " ")
}
