package e2e

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/portalhq/portal/handlers"
	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// hostileValues are what a clumsy person or bot types into a field.
var hostileValues = []struct{ name, value string }{
	{"empty", ""},
	{"white space", " \t \u00a0 "},
	{"long", strings.Repeat("a", 5000)},
	{"invalid UTF-8", "ab\xff\xfe\xc3("},
	{"NUL", "ada\x00@example.com"},
	{"control characters", "a\x01\x1b[31mb\x7f\u202e"},
	{"line breaks", "a\r\nb"},
	{"markup", `"><script>alert(1)</script>`},
}

// hostileBody is one request body sent to a form's action.
type hostileBody struct {
	name        string
	contentType string
	body        []byte
}

// hostileBodies builds the bodies worth sending to a form whose submit
// would send base: each hostile value in every field the person types into
// (the hidden ones kept), then in every field, then the whole form shaped
// wrongly.
func hostileBodies(base url.Values, typed []string, csrf string) []hostileBody {
	enc := func(v url.Values) []byte { return []byte(v.Encode()) }
	with := func(f func(v url.Values)) []byte {
		v := url.Values{}
		for k, vs := range base {
			v[k] = slices.Clone(vs)
		}
		f(v)
		v.Set("_csrf", csrf)
		return enc(v)
	}
	form := "application/x-www-form-urlencoded"
	var out []hostileBody
	for _, h := range hostileValues {
		out = append(out, hostileBody{"typed fields " + h.name, form, with(func(v url.Values) {
			for _, k := range typed {
				v.Set(k, h.value)
			}
		})})
		out = append(out, hostileBody{"every field " + h.name, form, with(func(v url.Values) {
			for k := range v {
				v.Set(k, h.value)
			}
		})})
	}
	out = append(out,
		hostileBody{"no fields", form, enc(url.Values{"_csrf": {csrf}})},
		hostileBody{"typed fields missing", form, with(func(v url.Values) {
			for _, k := range typed {
				v.Del(k)
			}
		})},
		hostileBody{"repeated fields", form, with(func(v url.Values) {
			for k, vs := range v {
				if k != "_csrf" {
					v[k] = append(vs, "second", "")
				}
			}
		})},
		hostileBody{"repeated fields, empty first", form, with(func(v url.Values) {
			for k, vs := range v {
				if k != "_csrf" {
					v[k] = append([]string{""}, vs...)
				}
			}
		})},
		hostileBody{"extra fields", form, with(func(v url.Values) {
			for _, k := range []string{"role", "user_id", "organization_id", "admin", "id", "status", "verified", "sign_in",
				"sign_up", "redirect_url", "strategy", "_method"} {
				if !v.Has(k) {
					v.Set(k, "org:admin")
				}
			}
		})},
		hostileBody{"malformed encoding", form, []byte("_csrf=" + url.QueryEscape(csrf) + "&" + encodeKeys(typed, "%zz%") + "&a=%")},
		hostileBody{"JSON", "application/json", jsonOf(base, typed)},
		hostileBody{"text/plain", "text/plain", enc(base)},
		hostileBody{"no Content-Type", "", enc(base)},
		hostileBody{"multipart without boundary", "multipart/form-data", enc(base)},
		hostileBody{"multipart, broken", "multipart/form-data; boundary=xyz", []byte("--xyz\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nb")},
	)
	// The same form as multipart/form-data, as a form with a file field sends it.
	var mp bytes.Buffer
	w := multipart.NewWriter(&mp)
	for k, vs := range base {
		for _, v := range vs {
			_ = w.WriteField(k, v)
		}
	}
	_ = w.WriteField("_csrf", csrf)
	fw, _ := w.CreateFormFile("image", "x.png")
	_, _ = fw.Write([]byte("not an image"))
	_ = w.Close()
	out = append(out, hostileBody{"multipart", w.FormDataContentType(), mp.Bytes()})
	return out
}

func encodeKeys(keys []string, value string) string {
	var parts []string
	for _, k := range keys {
		parts = append(parts, url.QueryEscape(k)+"="+value)
	}
	return strings.Join(parts, "&")
}

func jsonOf(base url.Values, typed []string) []byte {
	var parts []string
	for k := range base {
		parts = append(parts, fmt.Sprintf("%q:%q", k, base.Get(k)))
	}
	for _, k := range typed {
		parts = append(parts, fmt.Sprintf("%q:[1,2]", k))
	}
	return []byte("{" + strings.Join(parts, ",") + "}")
}

// formSeen is a form found on a page of the portal.
type formSeen struct {
	page   *page
	sel    string
	action string
	typed  []string // fields a person types into or chooses
	// signedOut: found midway through signing in or up, in the flow of
	// the browser that crawled
	signedOut bool
}

// crawl fetches start and the pages its links lead to within the portal,
// up to limit pages, and returns the POST forms found on them by action
// path (the first of each).
func crawl(b *browser, limit int, start ...string) map[string]formSeen {
	b.t.Helper()
	forms := map[string]formSeen{}
	seen := map[string]bool{}
	queue := slices.Clone(start)
	for len(queue) > 0 && len(seen) < limit {
		ref := queue[0]
		queue = queue[1:]
		if seen[ref] {
			continue
		}
		seen[ref] = true
		pg := b.get(ref)
		if pg.Status >= 500 {
			b.t.Errorf("GET %s: status %d:\n%s", ref, pg.Status, pg.text())
		}
		collectForms(pg, forms)
		pg.Doc.Find("a[href]").Each(func(_ int, a *goquery.Selection) {
			href, _ := a.Attr("href")
			u := pg.URL.ResolveReference(mustParse(b.t, href))
			if u.Host != b.base.Host || u.Path == "/sign-out" || strings.HasPrefix(u.Path, "/static/") ||
				strings.HasPrefix(u.Path, "/sign-in/oauth/") || strings.HasPrefix(u.Path, "/dev/") {
				return
			}
			queue = append(queue, u.RequestURI())
		})
	}
	return forms
}

func collectForms(pg *page, forms map[string]formSeen) {
	pg.Doc.Find("form").Each(func(_ int, f *goquery.Selection) {
		if m, _ := f.Attr("method"); !strings.EqualFold(m, "post") {
			return
		}
		action, _ := f.Attr("action")
		u, err := pg.URL.Parse(action)
		if err != nil {
			return
		}
		if _, ok := forms[u.Path]; ok {
			return
		}
		var typed []string
		f.Find("input[name], select[name], textarea[name]").Each(func(_ int, in *goquery.Selection) {
			name, _ := in.Attr("name")
			if typ, _ := in.Attr("type"); typ == "hidden" || typ == "submit" || name == "_csrf" || slices.Contains(typed, name) {
				return
			}
			typed = append(typed, name)
		})
		forms[u.Path] = formSeen{page: pg, sel: `form[action="` + action + `"]`, action: u.Path, typed: typed}
	})
}

// routeRE matches the paths of r.
func routeRE(path string) *regexp.Regexp {
	return regexp.MustCompile("^" + pathParam.ReplaceAllString(regexp.QuoteMeta(path), `[^/]+`) + "$")
}

// wantHumanAnswer checks pg is no server error and, unless a redirect,
// a page with something a person can read about what happened.
func wantHumanAnswer(t *testing.T, what string, pg *page) {
	t.Helper()
	if pg.Status >= 500 {
		t.Errorf("%s: status %d:\n%.600s", what, pg.Status, pg.text())
		return
	}
	if pg.Status >= 300 && pg.Status < 400 {
		return
	}
	ct := pg.Header.Get("Content-Type")
	if strings.HasPrefix(ct, "application/json") {
		return // the passkey endpoints answer their script
	}
	if !strings.HasPrefix(ct, "text/html") {
		t.Errorf("%s: status %d Content-Type %q, want an HTML page", what, pg.Status, ct)
		return
	}
	if pg.Status >= 400 {
		msg := strings.TrimSpace(pg.Doc.Find(".cl-alert, .cl-formFieldErrorText, h1, p").Text())
		if msg == "" {
			t.Errorf("%s: status %d with nothing to read:\n%.600s", what, pg.Status, pg.Body)
		}
	}
}

// plausible is what a careful person types into a field of that name.
var plausible = map[string]string{
	"first_name": "Grace", "last_name": "Hopper", "name": "Grace's Rockets", "slug": "graces-rockets",
	"email_address": "grace@example.com", "identifier": "grace@example.com", "username": "grace_h",
	"domain": "grace-rockets.test", "phone_number": "+14155550100", "code": "123456", "confirm_name": "Grace's Rockets",
	"confirmation": "Delete account", "query": "grace",
}

// secretFields are never sent back in a page.
var secretFields = map[string]bool{"password": true, "current_password": true, "new_password": true}

// Every POST route of the route table a browser can reach, signed in or
// out, sent what a clumsy person or a bot sends (fields missing, empty, white
// space, too long, invalid UTF-8, NUL and control characters, repeated,
// extra, and bodies that are JSON, multipart or no form at all) answers with
// a page a person can read, never a server error. Each form is found on the
// portal's own pages, with the hidden fields a real submit would carry; a
// route whose form the crawl does not reach is sent the same with
// made-up IDs. A form refused for one bad field comes back with what was
// typed in the others, and never with a password.
func TestEveryFormSurvivesBadInput(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_TRUSTED_PROXIES": "127.0.0.1"}})
	ip := 0
	fromNewAddress := func(b *browser) *browser {
		ip++
		b.header = http.Header{"X-Forwarded-For": {fmt.Sprintf("198.51.%d.%d", 100+ip/250, ip%250+1)}}
		return b
	}
	// newAdmin signs someone up and in and makes them the admin of an
	// organization with another admin, an invitation, a request to join and
	// domains (the authorization matrix's fixture). ids maps each of these
	// IDs, and the person's own, to a name that stands for it.
	type admin struct {
		b   *browser
		ids map[string]string
	}
	newAdmin := func() admin {
		b := fromNewAddress(newBrowser(t, p))
		email := fmt.Sprintf("admin%d@example.com", ip)
		signUp(t, p, b, email, "")
		uid := userID(t, p, email)
		m := &matrix{t: t, p: p, targetA: newTestUser(t, p, fmt.Sprintf("target%d@example.com", ip)),
			targetB:   newTestUser(t, p, fmt.Sprintf("targetb%d@example.com", ip)),
			suggested: newTestUser(t, p, fmt.Sprintf("suggested%d@example.com", ip)),
			requester: newTestUser(t, p, fmt.Sprintf("requester%d@example.com", ip)),
			actors:    []matrixActor{{name: "admin", b: b, userID: uid}}}
		s := m.fixture().a
		ids := map[string]string{s.org.ID: "ORG", s.target: "MEMBERSHIP", s.inv: "INVITATION", s.domain: "DOMAIN",
			s.verified: "VERIFIED", s.suggestion: "SUGGESTION", s.request: "REQUEST", uid: "USER"}
		for _, i := range userByID(t, p, uid).Identifiers {
			ids[i.ID] = "IDENTIFIER"
		}
		return admin{b: b, ids: ids}
	}
	// swap replaces one admin's IDs in s with another's.
	swap := func(s string, from, to admin) string {
		for id, name := range from.ids {
			for id2, name2 := range to.ids {
				if name2 == name {
					s = strings.ReplaceAll(s, id, id2)
				}
			}
		}
		return s
	}

	// The forms, found by crawling the pages of someone signed in and of
	// someone signed out midway through signing in and signing up.
	first := newAdmin()
	var orgID string
	for id, name := range first.ids {
		if name == "ORG" {
			orgID = id
		}
	}
	var domainID string
	for id, name := range first.ids {
		if name == "DOMAIN" {
			domainID = id
		}
	}
	forms := crawl(first.b, 80, "/user", "/user/security", "/organization", "/organizations/"+orgID,
		"/organizations/"+orgID+"/members", "/organizations/"+orgID+"/invitations",
		"/organizations/"+orgID+"/requests", "/organizations/"+orgID+"/domains/"+domainID,
		"/switch-organization", "/create-organization", "/sign-out")
	anon := fromNewAddress(newBrowser(t, p))
	signedOut := crawl(anon, 20, "/sign-in", "/sign-up", "/sign-in/forgot-password")
	collectForms(passwordStep(t, anon, "grace@example.com", ""), signedOut)
	up, _ := verifyPage(t, p, anon, "newcomer@example.com")
	collectForms(up, signedOut)
	for k, f := range signedOut {
		f.signedOut = true
		forms[k] = f
	}

	var unreached []string
	for _, r := range handlers.Routes() {
		if r.Method != http.MethodPost || r.API || r.NoCSRF != "" {
			continue
		}
		t.Run(r.Path, func(t *testing.T) {
			re := routeRE(r.Path)
			var found *formSeen
			for _, f := range forms {
				if re.MatchString(f.action) {
					found = &f
					break
				}
			}
			// A fresh person and organization for each route, so what one
			// route's bodies change leaves the next route's alone.
			fresh := newAdmin()
			b := fresh.b.in(t)
			stranger := fromNewAddress(newBrowser(t, p)).in(t)
			stranger.get("/sign-in")
			posters := []struct {
				name string
				b    *browser
			}{{"signed in", b}, {"signed out", stranger}}

			path := pathParam.ReplaceAllString(r.Path, "x")
			var typed []string
			var formPage *page
			sel := ""
			switch {
			case found == nil:
				unreached = append(unreached, r.Path)
			case found.signedOut:
				formPage, sel, path = found.page, found.sel, found.action
				posters[1].b = fromNewAddress(anon).in(t) // the browser whose flow it is
			default:
				formPage = b.get(swap(found.page.URL.RequestURI(), first, fresh))
				sel, path = swap(found.sel, first, fresh), swap(found.action, first, fresh)
			}
			if formPage != nil {
				typed = found.typed
			}
			var signedOut *browser
			if found != nil && found.signedOut {
				signedOut = posters[1].b
			}
			exercise(t, p, posters[0].b, posters[1].b, path, formPage, sel, typed, signedOut)
		})
	}
	t.Logf("routes whose form the crawl did not reach (sent made-up IDs): %v", unreached)
}

// postRaw sends hb to path as b, the CSRF token in the header too (a JSON
// body has no _csrf field), following nothing.
func postRaw(b *browser, path string, hb hostileBody) *page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.abs(path).String(), bytes.NewReader(hb.body))
	if err != nil {
		b.t.Fatal(err)
	}
	for k, v := range b.header {
		req.Header[k] = v
	}
	if hb.contentType != "" {
		req.Header.Set("Content-Type", hb.contentType)
	}
	req.Header.Set(handlers.CSRFHeader, b.csrf())
	return b.send(req)
}

// exercise sends path the hostile bodies as signedIn and signedOut, then,
// when the form is known (found on formPage by sel, typed being what a
// person fills in), one bad field at a time as owner (nil: signedIn).
func exercise(t *testing.T, p *portaltest.Portal, signedIn, signedOut *browser, path string, formPage *page, sel string,
	typed []string, owner *browser) {
	t.Helper()
	base := url.Values{}
	if formPage != nil {
		_, base = signedIn.formValues(formPage, sel, nil)
		base.Del("_csrf")
	} else {
		typed = []string{"name", "email_address", "code", "password"}
	}
	// Nothing is written for a request refused (REQ-IN-10: no half-done
	// change): every change writes its event in its transaction.
	refusedWritesNothing := func(what string, pg *page, before int64) {
		t.Helper()
		if pg.Status >= 400 {
			if evs := eventsAfter(t, p, before); len(evs) != 0 {
				t.Errorf("%s: refused with %d, yet %d events were written, first %s", what, pg.Status, len(evs), evs[0].Type)
			}
		}
	}
	for _, who := range []struct {
		name string
		b    *browser
	}{{"signed in", signedIn}, {"signed out", signedOut}} {
		for _, hb := range hostileBodies(base, typed, who.b.csrf()) {
			before := lastEvent(t, p)
			pg := postRaw(who.b, path, hb)
			wantHumanAnswer(t, who.name+", "+hb.name, pg)
			refusedWritesNothing(who.name+", "+hb.name, pg, before)
		}
	}
	if formPage == nil || owner != nil && strings.HasPrefix(path, "/sign-in/factor-one") {
		return
	}
	if owner == nil {
		owner = signedIn
	}
	// One bad field at a time, the others filled in with care.
	who := owner
	for _, bad := range typed {
		if secretFields[bad] {
			continue
		}
		for _, h := range []struct{ name, value string }{{"white space", "   "}, {"too long", strings.Repeat("x", 5000)},
			{"control characters", "a\x01b\x00c"}} {
			form := url.Values{}
			for k, vs := range base {
				form[k] = slices.Clone(vs)
			}
			for _, k := range typed {
				if v, ok := plausible[k]; ok {
					form.Set(k, v)
				} else if secretFields[k] {
					form.Set(k, "a secret that is long enough 42")
				}
			}
			// A choice is made away from the default, to see it kept.
			formPage.Doc.Find(sel + " select[name]").Each(func(_ int, s *goquery.Selection) {
				if name, _ := s.Attr("name"); name != bad {
					form.Set(name, s.Find("option").Last().AttrOr("value", ""))
				}
			})
			form.Set(bad, h.value)
			what := fmt.Sprintf("%s %s", bad, h.name)
			before := lastEvent(t, p)
			pg := who.post(path, form)
			wantHumanAnswer(t, what, pg)
			refusedWritesNothing(what, pg, before)
			if strings.Contains(pg.Body, "a secret that is long enough 42") {
				t.Errorf("%s: the page sends the password back", what)
			}
			if pg.Status < 400 || pg.Doc.Find(sel).Length() == 0 {
				continue // accepted, or a page without the form
			}
			again := pg.Doc.Find(sel)
			if msg := strings.TrimSpace(pg.Doc.Find(".cl-formFieldErrorText, .cl-alert").Text()); msg == "" {
				t.Errorf("%s: refused with %d and no message on the form:\n%.800s", what, pg.Status, pg.text())
			}
			formPage.Doc.Find(sel + ` input[type="hidden"][name]`).Each(func(_ int, in *goquery.Selection) {
				name, _ := in.Attr("name")
				if name == "_csrf" || name == bad {
					return
				}
				if got := again.Find(`input[name="`+name+`"]`).AttrOr("value", "(missing)"); got != form.Get(name) {
					t.Errorf("%s: refused with %d, and the hidden %s came back as %q, want %q", what, pg.Status, name, got, form.Get(name))
				}
			})
			again.Find("select[name]").Each(func(_ int, s *goquery.Selection) {
				name, _ := s.Attr("name")
				if name == bad {
					return
				}
				if got := s.Find("option[selected]").AttrOr("value", ""); got != form.Get(name) {
					t.Errorf("%s: refused with %d, and the choice %s came back as %q, want %q kept", what, pg.Status, name, got, form.Get(name))
				}
			})
			if h.name == "too long" {
				in := again.Find(`input[name="` + bad + `"]`)
				// A wrong code is cleared to be typed afresh.
				if textual(in) && in.AttrOr("autocomplete", "") != "one-time-code" && in.AttrOr("value", "") != h.value {
					t.Errorf("%s: refused with %d, and %s came back as %.40q, want what was typed kept to fix", what, pg.Status, bad, in.AttrOr("value", ""))
				}
			}
			for _, k := range typed {
				v, ok := plausible[k]
				if k == bad || !ok {
					continue
				}
				in := again.Find(`input[name="` + k + `"]`)
				if in.Length() == 0 {
					continue
				}
				if typ, _ := in.Attr("type"); typ == "hidden" || typ == "radio" || typ == "checkbox" || typ == "file" {
					continue
				}
				if got, _ := in.Attr("value"); got != v {
					t.Errorf("%s: refused with %d, and %s came back as %q, want %q kept", what, pg.Status, k, got, v)
				}
			}
		}
	}
}

func lastEvent(t *testing.T, p *portaltest.Portal) int64 {
	t.Helper()
	evs := eventsAfter(t, p, 0)
	if len(evs) == 0 {
		return 0
	}
	return evs[len(evs)-1].Seq
}

// eventsAfter lists the events written after seq, as "type object".
func eventsAfter(t *testing.T, p *portaltest.Portal, seq int64) []events.Event {
	t.Helper()
	evs, err := p.Store.Q.EventsAfter(context.Background(), seq, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// The forms TestEveryFormSurvivesBadInput's instance does not show: the
// waiting list, sign-up with a username and a phone number, adding a phone
// number, the password reset, re-verification and the code step of a new
// address, each sent the same bad input.
func TestFormsOfOtherSettingsSurviveBadInput(t *testing.T) {
	stranger := func(t *testing.T, p *portaltest.Portal, addr string) *browser {
		b := newBrowser(t, p)
		b.header = http.Header{"X-Forwarded-For": {addr}}
		b.get("/sign-in")
		return b
	}
	trusted := map[string]string{"PORTAL_TRUSTED_PROXIES": "127.0.0.1"}
	with := func(env map[string]string) map[string]string {
		for k, v := range trusted {
			env[k] = v
		}
		return env
	}
	formOn := func(t *testing.T, b *browser, pg *page, action string) (*page, string, []string) {
		t.Helper()
		forms := map[string]formSeen{}
		collectForms(pg, forms)
		f, ok := forms[action]
		if !ok {
			t.Fatalf("no form to %s on %s (status %d):\n%s", action, pg.URL, pg.Status, pg.text())
		}
		return pg, f.sel, f.typed
	}

	t.Run("waitlist", func(t *testing.T) {
		p := portaltest.Start(t, portaltest.Options{Env: with(map[string]string{"PORTAL_SIGN_UP_MODE": "waitlist"})})
		b := stranger(t, p, "198.51.100.1")
		pg, sel, typed := formOn(t, b, b.get("/waitlist?redirect_url="+url.QueryEscape(appURL)), "/waitlist")
		exercise(t, p, b, stranger(t, p, "198.51.100.2"), "/waitlist", pg, sel, typed, nil)
	})

	t.Run("phone and username", func(t *testing.T) {
		p, _, tw := startTwilio(t, with(map[string]string{"PORTAL_IDENTIFIERS": "email,phone,username",
			"PORTAL_SIGN_UP_REQUIRED": "password"}))
		b := stranger(t, p, "198.51.100.1")
		pg, sel, typed := formOn(t, b, b.get("/sign-up?redirect_url="+url.QueryEscape(appURL)), "/sign-up")
		exercise(t, p, b, stranger(t, p, "198.51.100.2"), "/sign-up", pg, sel, typed, nil)

		ada := newBrowser(t, p)
		ada.header = http.Header{"X-Forwarded-For": {"198.51.100.3"}}
		signUpByPhone(t, ada, tw, "+1 415 555 0100", adaPhone, "")
		pg, sel, typed = formOn(t, ada, ada.get("/user/phone-numbers/new"), "/user/phone-numbers")
		exercise(t, p, ada, stranger(t, p, "198.51.100.4"), "/user/phone-numbers", pg, sel, typed, nil)
	})

	t.Run("reset, re-verification and a new address's code", func(t *testing.T) {
		p, clock := startFake(t, portaltest.Options{Env: with(map[string]string{})})
		ada := newBrowser(t, p)
		ada.header = http.Header{"X-Forwarded-For": {"198.51.100.1"}}
		signUp(t, p, ada, "ada@example.com", "")

		added := ada.submit(ada.get("/user/email-addresses/new"), addEmailForm, map[string]string{"email_address": "ada@work.example"})
		pg, sel, typed := formOn(t, ada, added, "/user/verify-identifier")
		exercise(t, p, ada, stranger(t, p, "198.51.100.2"), "/user/verify-identifier", pg, sel, typed, nil)

		clock.Advance(11 * time.Minute)
		pg, sel, typed = formOn(t, ada, ada.get("/user/email-addresses/new"), "/user/verify")
		exercise(t, p, ada, stranger(t, p, "198.51.100.3"), "/user/verify", pg, sel, typed, nil)

		b := newBrowser(t, p)
		b.header = http.Header{"X-Forwarded-For": {"198.51.100.4"}}
		codePage := b.submit(forgotPage(t, b, "ada@example.com"), prepareForm, map[string]string{"strategy": "reset_password_email_code"})
		code := p.SMTP.WaitFor(t, "ada@example.com", mailWait).Code()
		pwPage := b.submit(codePage, codeForm, map[string]string{"code": code})
		pg, sel, typed = formOn(t, b, pwPage, "/sign-in/reset-password")
		exercise(t, p, b, stranger(t, p, "198.51.100.5"), "/sign-in/reset-password", pg, sel, typed, b)
	})
}

// textual reports whether in is a field a person types text into.
func textual(in *goquery.Selection) bool {
	if in.Length() == 0 || in.Is("[readonly]") {
		return false
	}
	switch in.AttrOr("type", "text") {
	case "text", "email", "tel", "search", "url":
		return true
	}
	return false
}

// formRuleBreaks lists what breaks the forms' markup rules on pg: submit
// buttons are buttons that say their type; every field a person fills in
// has a label; passwords say whether they are current or new, codes are
// one-time codes typed on a number pad, addresses say what they are; no
// two elements share an id.
func formRuleBreaks(pg *page) []string {
	var out []string
	ids := map[string]int{}
	pg.Doc.Find("[id]").Each(func(_ int, s *goquery.Selection) { ids[s.AttrOr("id", "")]++ })
	for id, n := range ids {
		if n > 1 {
			out = append(out, fmt.Sprintf("id %q is used %d times", id, n))
		}
	}
	pg.Doc.Find("form").Each(func(_ int, f *goquery.Selection) {
		where := f.AttrOr("action", "(no action)")
		f.Find(`input[type="submit"], input[type="image"], input[type="button"], input[type="reset"]`).Each(func(_ int, s *goquery.Selection) {
			out = append(out, where+": an <input type="+s.AttrOr("type", "")+"> where a <button> belongs")
		})
		f.Find("button").Each(func(_ int, s *goquery.Selection) {
			if _, ok := s.Attr("type"); !ok {
				out = append(out, where+": a <button> without a type")
			}
		})
		if strings.EqualFold(f.AttrOr("method", "get"), "post") && f.Find(`button[type="submit"]`).Length() == 0 {
			out = append(out, where+": no submit button")
		}
		f.Find(`[role="button"], a[onclick]`).Each(func(_ int, s *goquery.Selection) {
			out = append(out, where+": "+goquery.NodeName(s)+" acting as a button")
		})
		f.Find("input, select, textarea").Each(func(_ int, in *goquery.Selection) {
			typ := in.AttrOr("type", "text")
			if goquery.NodeName(in) != "input" {
				typ = goquery.NodeName(in)
			}
			name := in.AttrOr("name", "")
			field := where + " " + name
			if typ == "hidden" {
				return
			}
			id := in.AttrOr("id", "")
			_, aria := in.Attr("aria-label")
			_, ariaBy := in.Attr("aria-labelledby")
			if (id == "" || pg.Doc.Find(`label[for="`+id+`"]`).Length() == 0) && in.ParentsFiltered("label").Length() == 0 && !aria && !ariaBy {
				out = append(out, field+": no label")
			}
			ac := in.AttrOr("autocomplete", "")
			switch {
			case typ == "password":
				if ac != "current-password" && ac != "new-password" {
					out = append(out, fmt.Sprintf("%s: a password with autocomplete %q", field, ac))
				}
			case ac == "one-time-code" || strings.HasPrefix(in.AttrOr("pattern", ""), "[0-9]"):
				if ac != "one-time-code" || in.AttrOr("inputmode", "") != "numeric" {
					out = append(out, fmt.Sprintf("%s: a code with autocomplete %q inputmode %q", field, ac, in.AttrOr("inputmode", "")))
				}
			case typ == "email" || name == "identifier" || name == "username":
				if ac == "" {
					out = append(out, field+": an address without autocomplete")
				}
			}
		})
	})
	return out
}

// Every page with a form, signed in or out, follows the markup rules
// (formRuleBreaks).
func TestFormsMarkup(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	b := newBrowser(t, p)
	signUp(t, p, b, "ada@example.com", "")
	acme := (&member{b: b}).createOrg(t, p, "Acme")
	pages := []*page{}
	visit := func(b *browser, refs ...string) {
		for _, ref := range refs {
			pages = append(pages, b.get(ref))
		}
	}
	visit(b, "/user", "/user/security", "/user/password", "/user/delete", "/user/email-addresses/new",
		"/user/security/totp", "/user/security/passkeys/new", "/switch-organization", "/create-organization",
		"/organizations/"+acme.OrgID, "/organizations/"+acme.OrgID+"/members", "/organizations/"+acme.OrgID+"/invitations",
		"/sign-out")
	anon := newBrowser(t, p)
	visit(anon, "/sign-in", "/sign-up")
	forgot := forgotPage(t, anon, "ada@example.com")
	pages = append(pages, passwordStep(t, anon, "ada@example.com", ""), forgot,
		anon.submit(forgot, prepareForm, map[string]string{"strategy": "reset_password_email_code"}))
	up, _ := verifyPage(t, p, anon, "bob@example.com")
	pages = append(pages, up)
	for _, pg := range pages {
		if pg.Status >= 400 {
			t.Errorf("%s: status %d", pg.URL.RequestURI(), pg.Status)
		}
		for _, e := range formRuleBreaks(pg) {
			t.Errorf("%s: %s", pg.URL.Path, e)
		}
	}
}

// A logo that only starts like an image (a PNG signature with nothing
// usable after it) is refused on the settings form with a message and what
// was typed kept; the rename sent with it is not saved.
func TestBrokenLogoIsRefusedAndNothingSaved(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ada := signedUp(t, p, "ada@example.com")
	acme := ada.createOrg(t, p, "Acme")
	broken := append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), make([]byte, 32)...)
	for path, fields := range map[string]map[string]string{
		"/create-organization":         {"name": "Beta", "slug": "beta"},
		"/organizations/" + acme.OrgID: {"name": "Renamed", "slug": "renamed"},
	} {
		before := lastEvent(t, p)
		pg := ada.b.postMultipart(path, fields, "logo", "logo.png", broken)
		wantText(t, path, pg, http.StatusUnprocessableEntity, "Use a PNG, JPEG, GIF or WebP image.")
		if v := pg.Doc.Find(`input[name="name"]`).AttrOr("value", ""); v != fields["name"] {
			t.Errorf("%s: name came back as %q, want %q", path, v, fields["name"])
		}
		if evs := eventsAfter(t, p, before); len(evs) != 0 {
			t.Errorf("%s: refused, yet %d events were written, first %s", path, len(evs), evs[0].Type)
		}
	}
	if o, err := p.Store.Q.OrganizationByID(context.Background(), acme.OrgID); err != nil || o.Name != "Acme" {
		t.Errorf("the organization after the refused save: %+v, %v", o, err)
	}
}
