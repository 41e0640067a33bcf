package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/redirect"
	"github.com/portalhq/portal/internal/testutil/portaltest"
)

const hostile = "https://evil.example/"

// wantRefused checks the "this link can't be used" page: a 400 that goes
// nowhere.
func wantRefused(t *testing.T, what string, pg *page) {
	t.Helper()
	if pg.Status != http.StatusBadRequest || pg.Header.Get("Location") != "" {
		t.Errorf("%s: status %d Location %q, want 400 and no Location", what, pg.Status, pg.Header.Get("Location"))
	}
	if !strings.Contains(pg.text(), "This link can't be used") {
		t.Errorf("%s: page does not explain the refusal:\n%s", what, pg.text())
	}
	if strings.Contains(pg.Body, "evil.example") {
		t.Errorf("%s: the page links to the refused target", what)
	}
}

// REQ-HDR-05: every redirect parameter, on every page that takes one, is
// checked before anything else happens, and a hostile one is refused.
func TestHostileRedirectParamsAreRefused_REQ_HDR_05(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	b := newBrowser(t, p)
	for _, name := range redirect.Params() {
		q := "?" + url.Values{name: {hostile}}.Encode()
		for _, path := range []string{"/sign-in", "/sign-up", "/sign-out"} {
			wantRefused(t, "GET "+path+q, b.getRaw(path+q))
		}
		// A hostile value hidden among allowed ones is still refused.
		mixed := "?" + url.Values{"redirect_url": {appURL}, name: {appURL, hostile}}.Encode()
		wantRefused(t, "GET /sign-in"+mixed, b.getRaw("/sign-in"+mixed))
		// Forms carry the parameters; a forged form is judged the same way.
		form := url.Values{"_csrf": {b.csrf()}, "identifier": {"ada@example.com"}, "email_address": {"ada@example.com"},
			"password": {goodPassword}, name: {hostile}}
		for _, path := range []string{"/sign-in", "/sign-up", "/sign-out"} {
			wantRefused(t, "POST "+path+" with "+name, b.postForm(http.MethodPost, path, form, nil))
		}
	}
}

// REQ-HDR-05: after sign-in the browser goes exactly where the app asked,
// and the force parameter wins over redirect_url.
func TestSignInRedirectsExactly_REQ_HDR_05(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	signUp(t, p, newBrowser(t, p), "ada@example.com", "")

	b := newBrowser(t, p)
	wantHandBack(t, signIn(t, b, "ada@example.com", goodPassword, appURL), http.StatusSeeOther, appURL)

	// Signed in already: the sign-in page hands straight back.
	const other = "http://localhost:8080/welcome?from=portal"
	q := "/sign-in?" + url.Values{"redirect_url": {appURL}, "sign_in_force_redirect_url": {other}}.Encode()
	raw := wantHandBack(t, b.getRaw(q), http.StatusSeeOther, other)
	if c, _ := verify(t, p, raw); c.AZP != "http://localhost:8080" {
		t.Errorf("azp = %q, want the origin of %s", c.AZP, other)
	}

	fresh := newBrowser(t, p)
	pg := fresh.submit(fresh.get(q), signInForm, map[string]string{"identifier": "ada@example.com"})
	wantHandBack(t, fresh.submit(pg, passwordForm, map[string]string{"password": goodPassword}), http.StatusSeeOther, other)
}

// A refused redirect tells the person only that the link can't be used;
// the log tells the developer why and what to change. An app opened on
// 127.0.0.1 while PORTAL_ALLOWED_REDIRECT_ORIGINS allows localhost (the
// README's first stumble) reads in the log as that origin against the
// setting and its value.
func TestRefusedRedirectLogNamesTheSetting(t *testing.T) {
	log := &syncBuffer{}
	p := portaltest.Start(t, portaltest.Options{Log: log, Env: map[string]string{"PORTAL_LOG_FORMAT": "json"}})
	b := newBrowser(t, p)
	wantRefused(t, "sign-in back to 127.0.0.1", b.getRaw(withRedirect("/sign-in", "http://127.0.0.1:3000/")))
	wantRefused(t, "handshake back to 127.0.0.1", b.getRaw(handshakePath("http://127.0.0.1:3000/")))
	var refusals int
	for _, l := range logLines(t, log) {
		if l["msg"] != "redirect refused" {
			continue
		}
		refusals++
		if err, _ := l["err"].(string); !strings.Contains(err, "http://127.0.0.1:3000") ||
			!strings.Contains(err, "PORTAL_ALLOWED_REDIRECT_ORIGINS allows http://localhost:*") {
			t.Errorf("log line %v does not name the origin, the setting and its value", l)
		}
	}
	if refusals != 2 {
		t.Errorf("%d refusals logged, want 2:\n%s", refusals, log.String())
	}

	// A relative URL is named as such, with what to give instead.
	wantRefused(t, "handshake back to a relative URL", b.getRaw(handshakePath("dashboard")))
	var last string
	for _, l := range logLines(t, log) {
		if l["msg"] == "redirect refused" {
			last, _ = l["err"].(string)
		}
	}
	if !strings.Contains(last, `"dashboard" refused: not an absolute URL: give the app's whole URL`) {
		t.Errorf("relative redirect_url logged as %q", last)
	}
}

// An allowed app the session cookies never reach (another host while
// PORTAL_COOKIE_DOMAIN is unset: 127.0.0.1 beside a portal on localhost,
// or app.example.com beside accounts.example.com) would be sent back from
// sign-in without a token and send the browser to sign in again, round
// and round. Start-up warns, naming those origins and the setting; apps
// the cookies reach are not named.
func TestStartWarnsOfAppsTheCookiesNeverReach(t *testing.T) {
	for _, c := range []struct {
		origins string
		want    string // "" = no warning
	}{
		{"http://localhost:*", ""},
		{"http://localhost:*,http://127.0.0.1:3000", "http://127.0.0.1:3000"},
	} {
		log := &syncBuffer{}
		portaltest.Start(t, portaltest.Options{Log: log, Env: map[string]string{
			"PORTAL_LOG_FORMAT": "json", "PORTAL_ALLOWED_REDIRECT_ORIGINS": c.origins}})
		var warned []map[string]any
		for _, l := range logLines(t, log) {
			if msg, _ := l["msg"].(string); strings.Contains(msg, "never receive the __session") {
				warned = append(warned, l)
			}
		}
		switch {
		case c.want == "" && len(warned) > 0:
			t.Errorf("%s: warned %v", c.origins, warned)
		case c.want != "" && (len(warned) != 1 || warned[0]["origins"] != c.want ||
			!strings.Contains(warned[0]["msg"].(string), "PORTAL_COOKIE_DOMAIN")):
			t.Errorf("%s: warnings %v, want one naming %s and PORTAL_COOKIE_DOMAIN", c.origins, warned, c.want)
		}
	}
}

// A portal on https:// marks its cookies Secure, which a browser never
// sends to an app on http:// (localhost aside): start-up warns, naming
// those apps, and names none when every app is on https:// or loopback.
func TestStartWarnsOfAppsOnPlainHTTPBesideASecurePortal(t *testing.T) {
	for _, c := range []struct {
		tls           bool
		origins, want string // want "" = no warning
	}{
		{true, "https://app.example.com,http://localhost:*,http://127.0.0.1:3000", ""},
		{true, "https://app.example.com,http://app.example.com,http://localhost:*", "http://app.example.com"},
		{false, "http://app.example.com", ""},
	} {
		log := &syncBuffer{}
		portaltest.Start(t, portaltest.Options{TLS: c.tls, Log: log, Env: map[string]string{
			"PORTAL_LOG_FORMAT": "json", "PORTAL_ALLOWED_REDIRECT_ORIGINS": c.origins}})
		var warned []map[string]any
		for _, l := range logLines(t, log) {
			if msg, _ := l["msg"].(string); strings.Contains(msg, "served over http://") {
				warned = append(warned, l)
			}
		}
		switch {
		case c.want == "" && len(warned) > 0:
			t.Errorf("%s: warned %v", c.origins, warned)
		case c.want != "" && (len(warned) != 1 || warned[0]["origins"] != c.want ||
			!strings.Contains(warned[0]["msg"].(string), "serve the apps over https://")):
			t.Errorf("%s: warnings %v, want one naming %s", c.origins, warned, c.want)
		}
	}
}

// In development the page that refuses a redirect also tells the
// developer integrating an app which setting refused it and what it
// allows (never the refused address itself); in production the person
// sees only their message. A target refused for being no URL at all
// gets no such line: no origin setting would help.
func TestRedirectRefusedPageTellsTheDeveloper(t *testing.T) {
	const detail = "For the developer: the origin (scheme, host and port) of the address this link returns to " +
		"is not among those PORTAL_ALLOWED_REDIRECT_ORIGINS allows: http://localhost:*."
	dev := portaltest.Start(t, portaltest.Options{})
	b := newBrowser(t, dev)
	for _, path := range []string{"/sign-in?redirect_url=http://127.0.0.1:3000/", handshakePath("https://app.example.com/")} {
		pg := b.getRaw(path)
		wantRefused(t, path, pg)
		if !strings.Contains(pg.text(), detail) {
			t.Errorf("%s in development: no word for the developer:\n%s", path, pg.text())
		}
		if strings.Contains(pg.Body, "127.0.0.1:3000") || strings.Contains(pg.Body, "app.example.com") {
			t.Errorf("%s: the page repeats the refused address", path)
		}
	}
	if pg := b.getRaw("/sign-in?redirect_url=dashboard"); strings.Contains(pg.text(), "For the developer") {
		t.Errorf("a relative redirect_url: the page blames the allowed origins:\n%s", pg.text())
	}

	prod := portaltest.Start(t, portaltest.Options{TLS: true, Env: map[string]string{
		"PORTAL_ENV": "production", "PORTAL_SECRET_KEY": "sk_test_" + strings.Repeat("k", 40),
		"PORTAL_COOKIE_SECRET": strings.Repeat("c", 40), "PORTAL_SMTP_URL": "smtp://localhost:2525",
	}})
	if prod.Config.Dev() {
		t.Fatal("precondition: the portal runs in production")
	}
	pg := newBrowser(t, prod).getRaw("/sign-in?redirect_url=http://127.0.0.1:3000/")
	wantRefused(t, "production", pg)
	if strings.Contains(pg.text(), "PORTAL_ALLOWED_REDIRECT_ORIGINS") {
		t.Errorf("in production the page names the setting:\n%s", pg.text())
	}
}

// A developer who opens the portal at 127.0.0.1 while PORTAL_BASE_URL
// says localhost signs in there, on cookies the apps and the handshake
// (on localhost) never see. In development the portal warns once per
// such host, naming it and the base URL; pages at the base URL's host,
// the API and the JWKS do not warn.
func TestDevelopmentWarnsOfPagesOpenedAtAnotherHost(t *testing.T) {
	log := &syncBuffer{}
	p := portaltest.Start(t, portaltest.Options{Log: log, Env: map[string]string{"PORTAL_LOG_FORMAT": "json"}})
	other := strings.Replace(p.URL, "localhost", "127.0.0.1", 1)
	if other == p.URL {
		t.Fatalf("precondition: the test portal is on localhost, not %s", p.URL)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(u string) {
		t.Helper()
		res, err := client.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	get(p.URL + "/sign-in")
	get(other + "/.well-known/jwks.json")
	get(other + "/healthz")
	get(other + "/v1/client/handshake?redirect_url=" + url.QueryEscape(appURL))
	get(other + "/sign-in")
	get(other + "/sign-up")
	var warned []map[string]any
	for _, l := range logLines(t, log) {
		if msg, _ := l["msg"].(string); strings.Contains(msg, "but PORTAL_BASE_URL is") {
			warned = append(warned, l)
		}
	}
	host := strings.TrimPrefix(other, "http://")
	if len(warned) != 1 || warned[0]["host"] != host || !strings.Contains(warned[0]["msg"].(string), "open the portal at its base URL") {
		t.Errorf("warnings %v, want one naming %s", warned, host)
	}
}
