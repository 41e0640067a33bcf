package browser

import (
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"

	"github.com/portalhq/portal/internal/i18n"
)

// pseudoLocale is a catalog the matrix portal loads from PORTAL_LOCALES_DIR
// next to the shipped ones: every English message wrapped in ⟦ ⟧. A page
// seen in it shows, outside the brackets, only what does not come from a
// catalog — which must be data (names, addresses, codes), never words of
// the portal's own. It is Arabic, written right to left, so that the same
// pass proves what an owner's right-to-left catalog gets: dir="rtl" and
// pages that still fit 320 px. (No browser of the tests asks for Arabic
// otherwise.)
const pseudoLocale = "ar"

// pseudoCatalogDir writes the pseudo-locale catalog and returns its
// directory, for PORTAL_LOCALES_DIR.
func pseudoCatalogDir(t *testing.T) string {
	t.Helper()
	src := i18n.Locales()
	files, err := fs.Glob(src, "*."+i18n.Source+".toml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no English catalogs: %v", err)
	}
	var singles, plurals strings.Builder
	for _, f := range files {
		data, err := fs.ReadFile(src, f)
		if err != nil {
			t.Fatal(err)
		}
		mf, err := goi18n.ParseMessageFileBytes(data, f, map[string]goi18n.UnmarshalFunc{"toml": toml.Unmarshal})
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, m := range mf.Messages {
			if m.One != "" {
				// Arabic has six plural forms; each gets a text.
				plurals.WriteString("[" + tomlString(m.ID) + "]\none = " + tomlString(pseudo(m.One)))
				for _, form := range []string{"zero", "two", "few", "many", "other"} {
					plurals.WriteString("\n" + form + " = " + tomlString(pseudo(m.Other)))
				}
				plurals.WriteString("\n")
				continue
			}
			singles.WriteString(tomlString(m.ID) + " = " + tomlString(pseudo(m.Other)) + "\n")
		}
	}
	dir := t.TempDir()
	err = os.WriteFile(filepath.Join(dir, "pseudo."+pseudoLocale+".toml"), []byte(singles.String()+plurals.String()), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func pseudo(s string) string { return "⟦" + s + "⟧" }

// tomlString is s as a TOML basic string.
func tomlString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\t", `\t`)
	return `"` + r.Replace(s) + `"`
}

// pageTextsScript lists the texts a person meets on the page: text nodes
// (the title included) and the attributes that are read out or shown.
// What <code> shows (a TOTP secret, backup codes) is data. An element
// marked data-i18n-sentence is one message with others inside it (a
// sentence whose words are links), and an address (.cl-address) or a title
// naming one is one text with <wbr> inside it, a title with a hyphenated
// word one with that word in a span (.cl-compound): their text is read
// whole.
const pageTextsScript = `(() => {
	const out = [];
	const whole = "[data-i18n-sentence], .cl-address, :has(> wbr), :has(> .cl-compound)";
	const w = document.createTreeWalker(document.documentElement, NodeFilter.SHOW_TEXT);
	for (let n; (n = w.nextNode());) {
		// Scripts and styles are not read; <code> holds secrets and codes
		// (the TOTP secret in groups, spans inside it); the bot check's
		// widget ([data-sitekey]) is its provider's, in the provider's words;
		// text marked with a language of its own (body [lang]: the account
		// page's languages, each named in itself) is in no page's language.
		if (["SCRIPT", "STYLE", "NOSCRIPT"].includes(n.parentElement.tagName) || n.parentElement.closest("code, [data-sitekey], body [lang]")) continue;
		if (n.parentElement.closest(whole)) continue;
		const s = n.nodeValue.trim();
		if (s) out.push(s);
	}
	for (const el of document.querySelectorAll(whole)) {
		const s = el.textContent.trim();
		if (s) out.push(s);
	}
	for (const el of document.querySelectorAll("[placeholder], [aria-label], [alt], [title], input[type=submit], input[type=button]")) {
		if (el.closest("[data-sitekey]")) continue;
		for (const a of ["placeholder", "aria-label", "alt", "title"]) {
			if (el.hasAttribute(a) && el.getAttribute(a).trim()) out.push(el.getAttribute(a).trim());
		}
		if (el.matches("input[type=submit], input[type=button]") && el.value.trim()) out.push(el.value.trim());
	}
	return JSON.stringify(out);
})()`

// bracketed is one catalog message as the pseudo-locale shows it; messages
// inside messages (a label in a sentence) nest.
var bracketed = regexp.MustCompile(`⟦[^⟦⟧]*⟧`)

// word is what must not be left once catalog messages and data are taken
// out: two letters in a row.
var word = regexp.MustCompile(`\p{L}{2,}`)

// matrixData is what the matrix's pages show that people or the owner
// typed, or that names a product: data, not the portal's words.
var matrixData = []string{
	adaEmail, adaWorkEmail, adaUnverifiedEmail, graceEmail, kimEmail, linEmail, carolEmail, danEmail, eveEmail, heidiEmail, bobEmail, bobName, matrixOrgName, "acme-rockets",
	"acme-rockets.test", "beta-rockets.test", "example.com", // the organization's domains
	"Ada", "Grace", "Carol", "Dan", "Xi", "Li", "Corp SSO", "Portal", "localhost",
	"Eve", "Chrome on Linux", "HeadlessChrome", "Chrome", "Linux", "UTC",
}

// untranslated lists the texts of the page in the pseudo-locale that hold
// words from no catalog.
func untranslated(b *tab) []string {
	b.t.Helper()
	var texts []string
	if err := json.Unmarshal([]byte(b.eval(pageTextsScript)), &texts); err != nil {
		b.fatalf("page texts: %v", err)
	}
	data := slices.Clone(matrixData)
	slices.SortFunc(data, func(x, y string) int { return len(y) - len(x) }) // longest first
	var out []string
	for _, s := range texts {
		rest := s
		for prev := ""; prev != rest; {
			prev, rest = rest, bracketed.ReplaceAllString(rest, " ")
		}
		for _, d := range data {
			rest = strings.ReplaceAll(rest, d, " ")
		}
		if word.MatchString(rest) {
			out = append(out, s)
		}
	}
	return out
}

// checkTranslated reaches p with the browser asking for the pseudo-locale
// and fails for every text on it that no catalog gave, and unless the page
// is laid out right to left and fits 320 px so.
func (m *matrix) checkTranslated(ct *checkedTab, p portalPage) {
	b := ct.tab
	b.do("ask for the pseudo-locale, from a visitor's own address", m.from(network.Headers{"Accept-Language": pseudoLocale}))
	defer b.do("back to the browser's languages", extraHeaders(network.Headers{}))
	b.do("desktop viewport", chromedp.EmulateViewport(desktopWidth, desktopHeight))
	m.reach(b, p, "default")
	if lang := b.eval(`document.documentElement.lang`); lang != pseudoLocale {
		b.fatalf("lang=%q, want %q: the pseudo-locale was not chosen", lang, pseudoLocale)
	}
	if h1 := strings.NewReplacer("⟦", "", "⟧", "").Replace(b.text("h1")); !strings.HasPrefix(h1, p.h1) {
		b.fatalf("h1 %q, want it to start with %q: the state this page needs was not reached", h1, p.h1)
	}
	p.expectShown(b)
	for _, s := range untranslated(b) {
		b.t.Errorf("not from a catalog: %q", s)
	}
	if dir := b.eval(`document.documentElement.dir + " " + getComputedStyle(document.querySelector(".cl-card") || document.body).direction`); dir != "rtl rtl" {
		b.t.Errorf("right-to-left catalog: dir and direction %q, want rtl", dir)
	}
	b.do("320 px viewport", chromedp.EmulateViewport(narrowWidth, narrowHeight))
	if wide := b.eval(overflowScript); wide != "" {
		b.t.Errorf("right to left, scrolls sideways at %d px wide; sticking out: %s", narrowWidth, wide)
	}
}

// extraHeaders sends h with every request the tab makes from now on.
func extraHeaders(h network.Headers) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tt *chromedp.Target) error {
		_, err := cdp.Call(ctx, tt, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: h})
		return err
	})
}
