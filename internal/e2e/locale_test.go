package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/portalhq/portal/internal/testutil/portaltest"
	"github.com/portalhq/portal/internal/testutil/smtptest"
)

// userLocale is the Backend API's locale of the user with email: "" for
// null.
func userLocale(t *testing.T, p *portaltest.Portal, email string) string {
	t.Helper()
	var users []struct {
		Locale *string `json:"locale"`
	}
	if r := api(t, p, http.MethodGet, "/v1/users?email_address="+url.QueryEscape(email), nil, &users); r.Status != http.StatusOK || len(users) != 1 {
		t.Fatalf("GET /v1/users for %s: %d, %d users: %s", email, r.Status, len(users), r.Body)
	}
	if users[0].Locale == nil {
		return ""
	}
	return *users[0].Locale
}

// pageLang is the language pg says it is written in: its html lang.
func pageLang(pg *page) string {
	l, _ := pg.Doc.Find("html").Attr("lang")
	return l
}

// wantOneMailIn checks that, from the message at index from on, exactly one
// went to addr, written in lang (its HTML part's lang attribute), and
// returns it.
func wantOneMailIn(t *testing.T, p *portaltest.Portal, addr string, from int, lang, what string) smtptest.Message {
	t.Helper()
	p.Settle()
	var got []smtptest.Message
	for _, m := range p.SMTP.Messages()[from:] {
		if slices.Contains(m.To, addr) {
			got = append(got, m)
		}
	}
	if len(got) != 1 {
		t.Fatalf("%s: %d messages to %s, want one", what, len(got), addr)
	}
	if !strings.Contains(got[0].HTML, `<html lang="`+lang+`"`) {
		head, _, _ := strings.Cut(got[0].HTML, "<head>")
		t.Errorf("%s: %q is not written in %q: %s", what, got[0].Subject, lang, head)
	}
	return got[0]
}

// REQ-RL-07: the language a person signs up in (their browser's, here
// German) becomes their account's locale (Clerk's user locale), and what
// the owner is told about what someone else may have done comes in it —
// a sign-in from a new device, the lock after ten wrong passwords, a
// sign-up tried with their address — whatever language that someone's
// browser asks for. Signing in from a French browser does not make the
// account French: whoever has the password must not choose how the owner
// is told.
func TestOwnerIsToldInTheLanguageTheySignedUpIn_REQ_RL_07(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{Env: map[string]string{notifyNewSignIn: "true", "PORTAL_TRUSTED_PROXIES": "127.0.0.1/32"}})
	const ada = "ada@example.com"
	home := browserAs(t, p, safariOnMac, "198.51.100.20")
	home.header.Set("Accept-Language", "de-DE,de;q=0.9,en;q=0.5")
	before := len(p.SMTP.Messages())
	wantHandBack(t, signUp(t, p, home, ada, appURL), http.StatusSeeOther, appURL)
	wantOneMailIn(t, p, ada, before, "de", "the sign-up code")
	if got := userLocale(t, p, ada); got != "de" {
		t.Fatalf("locale after signing up in German: %q, want de", got)
	}

	stranger := func(ip, lang string) *browser {
		b := browserAs(t, p, firefoxOnWin, ip)
		b.header.Set("Accept-Language", lang)
		return b
	}
	clock.Advance(time.Hour)
	before = len(p.SMTP.Messages())
	wantHandBack(t, signIn(t, stranger("203.0.113.9", "fr-FR,fr;q=0.9"), ada, goodPassword, appURL), http.StatusSeeOther, appURL)
	if m := wantOneMailIn(t, p, ada, before, "de", "the new sign-in notice"); m.Subject == newSignInTitle {
		t.Errorf("the new sign-in notice is headed in English: %q", m.Subject)
	}
	if got := userLocale(t, p, ada); got != "de" {
		t.Errorf("locale after a sign-in from a French browser: %q, want de still", got)
	}

	before = len(p.SMTP.Messages())
	es := stranger("203.0.113.10", "es-ES,es;q=0.9")
	step := passwordStep(t, es, ada, appURL)
	for i := range lockoutThreshold {
		if pg := es.submit(step, passwordForm, map[string]string{"password": wrongPassword}); pg.Status != http.StatusUnprocessableEntity {
			t.Fatalf("wrong password %d: %d", i+1, pg.Status)
		}
	}
	wantOneMailIn(t, p, ada, before, "de", "the lock notice")

	before = len(p.SMTP.Messages())
	b := stranger("203.0.113.11", "pt-BR,pt;q=0.9")
	if pg := b.submit(b.get("/sign-up"), signUpForm, map[string]string{"email_address": ada, "password": goodPassword,
		"first_name": "Eve", "last_name": "Mallory"}); pg.Status != http.StatusOK {
		t.Fatalf("signing up with a taken address: %d", pg.Status)
	}
	wantOneMailIn(t, p, ada, before, "de", "the note about a sign-up with the address")
}

// A language the person chose with ?locale= is the one recorded; a
// browser asking only for languages the portal does not speak records
// none (null), and its owner is told in the instance's default language,
// as before locales existed.
func TestSignUpRecordsTheLanguageThePersonAskedFor(t *testing.T) {
	p, _ := startFake(t, portaltest.Options{})
	ja := newBrowser(t, p)
	ja.header = http.Header{"Accept-Language": {"de-DE"}}
	ja.get("/sign-up?locale=ja")
	signUp(t, p, ja, "hana@example.com", "")
	if got := userLocale(t, p, "hana@example.com"); got != "ja" {
		t.Errorf("locale after choosing Japanese: %q, want ja", got)
	}

	zh := newBrowser(t, p)
	zh.header = http.Header{"Accept-Language": {"zh-CN,zh;q=0.9"}}
	signUp(t, p, zh, "li@example.com", "")
	if got := userLocale(t, p, "li@example.com"); got != "" {
		t.Errorf("locale after signing up from a Chinese browser: %q, want none", got)
	}
	before := len(p.SMTP.Messages())
	en := newBrowser(t, p)
	step := passwordStep(t, en, "li@example.com", "")
	for range lockoutThreshold {
		en.submit(step, passwordForm, map[string]string{"password": wrongPassword})
	}
	wantOneMailIn(t, p, "li@example.com", before, "en", "the lock notice")
}

// The Backend API reads and writes the locale as Clerk's does: POST and
// PATCH /v1/users take a BCP 47 tag, kept in its canonical form; "" removes
// it; anything else is a 422 naming locale that changes nothing. What the
// app sets is what the owner's messages are written in, matched to the
// closest language the portal speaks.
func TestUserLocaleThroughTheBackendAPI(t *testing.T) {
	p, _ := startFake(t, portaltest.Options{})
	type userLoc struct {
		ID     string  `json:"id"`
		Locale *string `json:"locale"`
	}
	var u userLoc
	if r := api(t, p, http.MethodPost, "/v1/users", map[string]any{"email_address": []string{"bo@example.com"},
		"password": goodPassword, "locale": "pt-br"}, &u); r.Status != http.StatusOK || u.Locale == nil || *u.Locale != "pt-BR" {
		t.Fatalf("create with locale pt-br: %d, locale %v: %s", r.Status, u.Locale, r.Body)
	}

	before := len(p.SMTP.Messages())
	en := newBrowser(t, p)
	step := passwordStep(t, en, "bo@example.com", "")
	for range lockoutThreshold {
		en.submit(step, passwordForm, map[string]string{"password": wrongPassword})
	}
	wantOneMailIn(t, p, "bo@example.com", before, "pt-BR", "the lock notice")

	for _, bad := range []string{"not a tag!", "en-US-x", strings.Repeat("a", 40)} {
		r := api(t, p, http.MethodPatch, "/v1/users/"+u.ID, map[string]any{"locale": bad, "first_name": "Bo"}, nil)
		if e := wantAPIError(t, r, http.StatusUnprocessableEntity, "form_param_format_invalid"); e.Errors[0].Meta["param_name"] != "locale" {
			t.Errorf("locale %q: meta %v, want param_name locale", bad, e.Errors[0].Meta)
		}
	}
	var got struct {
		userLoc
		FirstName *string `json:"first_name"`
	}
	if api(t, p, http.MethodGet, "/v1/users/"+u.ID, nil, &got); got.Locale == nil || *got.Locale != "pt-BR" || got.FirstName != nil {
		t.Errorf("after refused changes: locale %v, first name %v; want pt-BR and none", got.Locale, got.FirstName)
	}

	if r := api(t, p, http.MethodPatch, "/v1/users/"+u.ID, map[string]any{"locale": "fr-ca"}, &u); r.Status != http.StatusOK ||
		u.Locale == nil || *u.Locale != "fr-CA" {
		t.Errorf("PATCH locale fr-ca: %d, locale %v", r.Status, u.Locale)
	}
	if r := api(t, p, http.MethodPatch, "/v1/users/"+u.ID, map[string]any{"first_name": "Bo"}, &u); r.Status != http.StatusOK ||
		u.Locale == nil || *u.Locale != "fr-CA" {
		t.Errorf("PATCH without locale: %d, locale %v, want fr-CA kept", r.Status, u.Locale)
	}
	if r := api(t, p, http.MethodPatch, "/v1/users/"+u.ID, map[string]any{"locale": ""}, &u); r.Status != http.StatusOK || u.Locale != nil {
		t.Errorf("PATCH locale \"\": %d, locale %v, want null", r.Status, u.Locale)
	}
}

// The account page lets the owner choose their language from those the
// portal speaks, each named in itself and marked with its lang: saving it
// makes it the account's locale (the owner's notices follow, whoever
// causes them) and this browser's (the page answers in it). A language
// the list does not offer is refused with a message, changing nothing.
func TestAccountPageSetsTheLanguage(t *testing.T) {
	p, _ := startFake(t, portaltest.Options{})
	const ada = "ada@example.com"
	b := newBrowser(t, p)
	signUp(t, p, b, ada, "")
	if got := userLocale(t, p, ada); got != "" {
		t.Fatalf("locale after signing up from a browser that asks for none: %q", got)
	}

	pg := b.get("/user")
	sel := pg.Doc.Find(`form[action="/user/language"] select[name="locale"]`)
	if id, _ := sel.Attr("id"); id == "" || strings.TrimSpace(pg.Doc.Find(`label[for="`+id+`"]`).Text()) != "Preferred language" {
		t.Errorf("the language list has no label of its own: id %q", id)
	}
	var got []string
	sel.Find("option").Each(func(_ int, o *goquery.Selection) {
		v, _ := o.Attr("value")
		lang, _ := o.Attr("lang")
		_, on := o.Attr("selected")
		got = append(got, fmt.Sprintf("%s|%s|%s|%v", v, lang, o.Text(), on))
	})
	want := []string{"en|en|English|true", "de|de|Deutsch|false", "es|es|Español|false", "fr|fr|Français|false",
		"ja|ja|日本語|false", "pt-BR|pt-BR|Português (Brasil)|false"}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("language options (value|lang|name|selected):\n%q\nwant\n%q", got, want)
	}

	saved := b.submit(pg, `form[action="/user/language"]`, map[string]string{"locale": "de"})
	if lang, _ := saved.Doc.Find("html").Attr("lang"); saved.Status != http.StatusOK || lang != "de" ||
		!strings.Contains(saved.text(), "Ihre Sprache ist gespeichert.") {
		t.Fatalf("after saving German: %d, lang %q:\n%s", saved.Status, lang, saved.text())
	}
	if _, on := saved.Doc.Find(`select[name="locale"] option[value="de"]`).Attr("selected"); !on {
		t.Errorf("German is not the chosen language on the page after saving it")
	}
	if got := userLocale(t, p, ada); got != "de" {
		t.Errorf("locale after saving German: %q", got)
	}
	before := len(p.SMTP.Messages())
	en := newBrowser(t, p)
	step := passwordStep(t, en, ada, "")
	for range lockoutThreshold {
		en.submit(step, passwordForm, map[string]string{"password": wrongPassword})
	}
	wantOneMailIn(t, p, ada, before, "de", "the lock notice after choosing German")

	refused := b.submit(b.get("/user"), `form[action="/user/language"]`, map[string]string{"locale": "tlh"})
	if refused.Status != http.StatusUnprocessableEntity || !strings.Contains(refused.text(), "Wählen Sie eine der Sprachen aus der Liste.") {
		t.Errorf("a language not offered: %d\n%s", refused.Status, refused.text())
	}
	if inv, _ := refused.Doc.Find(`select[name="locale"]`).Attr("aria-invalid"); inv != "true" {
		t.Errorf("the refused list is not marked invalid")
	}
	if got := userLocale(t, p, ada); got != "de" {
		t.Errorf("locale after a refused change: %q, want de", got)
	}
}

// A signed-in person's pages follow their account's chosen language on a
// browser that has chosen none (no ?locale=, no locale cookie): an
// account the app set to French, signed in from a browser asking for
// English, reads its account page, the organization pages, the portal's
// home and the sign-out confirmation in French, with French chosen in the
// account page's list. The browser's own choice still wins (?locale=,
// then the cookie it sets), nothing is stored in the browser, and once
// signed out the pages are in the browser's language again.
func TestSignedInPagesFollowTheAccountLanguage(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	const grace = "grace@example.com"
	if r := api(t, p, http.MethodPost, "/v1/users", map[string]any{"email_address": []string{grace}, "password": goodPassword,
		"locale": "fr"}, nil); r.Status != http.StatusOK {
		t.Fatalf("POST /v1/users: %d %s", r.Status, r.Body)
	}
	b := newBrowser(t, p)
	b.header = http.Header{"Accept-Language": {"en-US,en;q=0.9"}}
	if pg := passwordStep(t, b, grace, appURL); pageLang(pg) != "en" {
		t.Fatalf("the sign-in page before signing in: lang %q, want the browser's en", pageLang(pg))
	}
	wantHandBack(t, signIn(t, b, grace, goodPassword, appURL), http.StatusSeeOther, appURL)

	acct := b.get("/user")
	if acct.Status != http.StatusOK || pageLang(acct) != "fr" || !strings.Contains(acct.text(), "Votre compte") {
		t.Fatalf("the account page: %d, lang %q, want French:\n%s", acct.Status, pageLang(acct), acct.text())
	}
	if _, on := acct.Doc.Find(`select[name="locale"] option[value="fr"]`).Attr("selected"); !on {
		t.Errorf("French is not the chosen language in the account page's list")
	}
	for _, path := range []string{"/user/security", "/create-organization", "/", "/sign-out"} {
		if pg := b.get(path); pg.Status != http.StatusOK || pageLang(pg) != "fr" {
			t.Errorf("%s: %d, lang %q, want fr", path, pg.Status, pageLang(pg))
		}
	}
	if c := b.cookie("__portal_locale"); c != "" {
		t.Errorf("the account's language was stored in the browser: __portal_locale=%q", c)
	}

	// Signed out, the browser's own language again.
	if out := b.submit(b.get("/sign-out"), signOutForm, nil); out.Status >= 400 {
		t.Fatalf("sign-out: %d", out.Status)
	}
	if pg := b.get("/sign-in"); pageLang(pg) != "en" {
		t.Errorf("the sign-in page after signing out: lang %q, want en", pageLang(pg))
	}

	// A browser that chose a language keeps it on the signed-in pages.
	d := newBrowser(t, p)
	d.header = http.Header{"Accept-Language": {"en"}}
	wantHandBack(t, signIn(t, d, grace, goodPassword, appURL), http.StatusSeeOther, appURL)
	if pg := d.get("/user?locale=de"); pageLang(pg) != "de" {
		t.Errorf("/user?locale=de: lang %q, want de", pageLang(pg))
	}
	if pg := d.get("/user"); pageLang(pg) != "de" || d.cookie("__portal_locale") != "de" {
		t.Errorf("/user after choosing German in this browser: lang %q, cookie %q, want de", pageLang(pg), d.cookie("__portal_locale"))
	}
}

// A language only recorded at sign-up (the browser that signed up asked
// for German) writes the owner's messages but does not make the pages
// German on another browser asking for English: the browser in use says
// more. Chosen on the account page in the first browser, it follows the
// person to the second.
func TestRecordedLanguageLeavesOtherBrowsersAlone(t *testing.T) {
	p, _ := startFake(t, portaltest.Options{})
	const hana = "hana@example.com"
	de := newBrowser(t, p)
	de.header = http.Header{"Accept-Language": {"de-DE,de;q=0.9"}}
	signUp(t, p, de, hana, "")
	if got := userLocale(t, p, hana); got != "de" {
		t.Fatalf("locale after signing up from a German browser: %q, want de", got)
	}
	en := newBrowser(t, p)
	en.header = http.Header{"Accept-Language": {"en"}}
	wantHandBack(t, signIn(t, en, hana, goodPassword, appURL), http.StatusSeeOther, appURL)
	if pg := en.get("/user"); pageLang(pg) != "en" {
		t.Errorf("the account page in an English browser, German only recorded: lang %q, want en", pageLang(pg))
	}

	saved := de.submit(de.get("/user"), `form[action="/user/language"]`, map[string]string{"locale": "de"})
	if saved.Status != http.StatusOK || !strings.Contains(saved.text(), "Ihre Sprache ist gespeichert.") {
		t.Fatalf("choosing German: %d\n%s", saved.Status, saved.text())
	}
	if pg := en.get("/user"); pageLang(pg) != "de" {
		t.Errorf("the account page in the English browser after choosing German: lang %q, want de", pageLang(pg))
	}
}
