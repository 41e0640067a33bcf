package e2e

import (
	"bytes"
	"crypto/tls"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// browser is an HTTP client that behaves like a person's browser with
// JavaScript off: it keeps cookies, fills in forms from the page it was
// given (hidden fields and _csrf included) and follows redirects, but only
// those within the portal, so a hand-back to an app stops at its 303/307.
type browser struct {
	t    testing.TB
	base *url.URL
	jar  *cookiejar.Jar
	hc   *http.Client
	// header is sent with every request (X-Forwarded-For behind a proxy).
	header http.Header
}

// page is a response with its body read and parsed.
type page struct {
	Status int
	Header http.Header
	Body   string
	Doc    *goquery.Document
	URL    *url.URL // where it was fetched
	Via    []string // Locations followed within the portal to get here
	resp   *http.Response
}

func newBrowser(t testing.TB, p *portaltest.Portal) *browser {
	t.Helper()
	base, err := url.Parse(p.URL)
	if err != nil {
		t.Fatal(err)
	}
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	if p.CertPool != nil { // served over HTTPS (portaltest.Options.TLS)
		hc.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: p.CertPool, MinVersion: tls.VersionTLS12}}
	}
	return &browser{t: t, base: base, jar: jar, hc: hc}
}

func (b *browser) abs(ref string) *url.URL {
	u, err := b.base.Parse(ref)
	if err != nil {
		b.t.Fatalf("bad URL %q: %v", ref, err)
	}
	return u
}

// in returns b for use in (sub)test t, sharing its cookies.
func (b *browser) in(t testing.TB) *browser {
	c := *b
	c.t = t
	return &c
}

// postForm posts form to path with extra headers, following nothing.
func (b *browser) postForm(method, path string, form url.Values, header map[string]string) *page {
	b.t.Helper()
	req := b.request(method, path, form)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return b.send(req)
}

// get fetches path and follows redirects within the portal.
func (b *browser) get(path string) *page {
	b.t.Helper()
	return b.follow(b.send(b.request(http.MethodGet, path, nil)))
}

// getRaw fetches path without following any redirect.
func (b *browser) getRaw(path string) *page {
	b.t.Helper()
	return b.send(b.request(http.MethodGet, path, nil))
}

func (b *browser) request(method, ref string, form url.Values) *http.Request {
	b.t.Helper()
	var body *strings.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	} else {
		body = strings.NewReader("")
	}
	req, err := http.NewRequest(method, b.abs(ref).String(), body)
	if err != nil {
		b.t.Fatal(err)
	}
	for k, v := range b.header {
		req.Header[k] = v
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return req
}

// send does one request, following nothing.
func (b *browser) send(req *http.Request) *page {
	b.t.Helper()
	resp, err := b.hc.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatalf("%s %s: reading body: %v", req.Method, req.URL, err)
	}
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(raw))
	if err != nil {
		b.t.Fatalf("%s %s: parsing body: %v", req.Method, req.URL, err)
	}
	return &page{Status: resp.StatusCode, Header: resp.Header, Body: string(raw), Doc: doc, URL: req.URL, resp: resp}
}

// follow GETs each redirect whose target is on the portal; a redirect
// elsewhere (the app) is returned as it is. GET suits every redirect the
// portal makes: POSTs are answered with 303, and 307 only follows a GET.
func (b *browser) follow(pg *page) *page {
	b.t.Helper()
	var via []string
	for range 10 {
		loc := pg.Header.Get("Location")
		if pg.Status < 300 || pg.Status > 399 || loc == "" {
			break
		}
		next := pg.URL.ResolveReference(mustParse(b.t, loc))
		if next.Scheme != b.base.Scheme || next.Host != b.base.Host {
			break
		}
		via = append(via, loc)
		pg = b.send(b.request(http.MethodGet, next.String(), nil))
	}
	pg.Via = via
	return pg
}

// formValues collects what submitting the form matching sel on pg would
// send, with fields overriding or adding values.
func (b *browser) formValues(pg *page, sel string, fields map[string]string) (*url.URL, url.Values) {
	b.t.Helper()
	form := pg.Doc.Find(sel).First()
	if form.Length() == 0 {
		b.t.Fatalf("no form %q on %s (status %d):\n%s", sel, pg.URL, pg.Status, pg.Body)
	}
	vals := url.Values{}
	form.Find("input[name]").Each(func(_ int, in *goquery.Selection) {
		typ, _ := in.Attr("type")
		switch typ {
		case "submit", "button", "image", "reset":
			return
		case "checkbox", "radio":
			if _, on := in.Attr("checked"); !on {
				return
			}
		}
		name, _ := in.Attr("name")
		v, _ := in.Attr("value")
		vals.Add(name, v)
	})
	for k, v := range fields {
		vals.Set(k, v)
	}
	action, _ := form.Attr("action")
	return pg.URL.ResolveReference(mustParse(b.t, action)), vals
}

// submit posts the form matching sel and follows redirects within the portal.
func (b *browser) submit(pg *page, sel string, fields map[string]string) *page {
	b.t.Helper()
	action, vals := b.formValues(pg, sel, fields)
	return b.follow(b.send(b.request(http.MethodPost, action.String(), vals)))
}

// csrf returns the token a page of the portal would put in its forms, which
// is the double-submit cookie's value.
func (b *browser) csrf() string {
	b.t.Helper()
	for _, c := range b.jar.Cookies(b.base) {
		if c.Name == "__csrf" || c.Name == "__Host-csrf" {
			return c.Value
		}
	}
	b.t.Fatal("browser has no CSRF cookie yet")
	return ""
}

// cookie returns the value the browser holds for name, "" if none.
func (b *browser) cookie(name string) string {
	for _, c := range b.jar.Cookies(b.base) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// setCookie returns the Set-Cookie named name on pg's response, or nil.
func (pg *page) setCookie(name string) *http.Cookie {
	for _, c := range pg.resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// text is the page's visible text with runs of white space collapsed.
func (pg *page) text() string {
	return strings.Join(strings.Fields(pg.Doc.Find("body").Text()), " ")
}

func mustParse(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatalf("parse %q: %v", s, err)
	}
	return u
}
