package i18n

import (
	"io/fs"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"text/template/parse"
	"time"

	"github.com/BurntSushi/toml"
	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
)

var shippedLocales = []string{"de", "en", "es", "fr", "ja", "pt-BR"}

func readCatalog(t *testing.T, fsys fs.FS, file string) map[string]*goi18n.Message {
	t.Helper()
	data, err := fs.ReadFile(fsys, file)
	if err != nil {
		t.Fatal(err)
	}
	mf, err := goi18n.ParseMessageFileBytes(data, file, map[string]goi18n.UnmarshalFunc{"toml": toml.Unmarshal})
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	out := map[string]*goi18n.Message{}
	for _, m := range mf.Messages {
		out[m.ID] = m
	}
	return out
}

// readLocale merges every area catalog of one locale (<area>.<loc>.toml).
func readLocale(t *testing.T, fsys fs.FS, loc string) map[string]*goi18n.Message {
	t.Helper()
	files, _ := fs.Glob(fsys, "*."+loc+".toml")
	if len(files) == 0 {
		t.Fatalf("no catalog for %s", loc)
	}
	out := map[string]*goi18n.Message{}
	for _, f := range files {
		for id, m := range readCatalog(t, fsys, f) {
			if _, dup := out[id]; dup {
				t.Errorf("%s: %s is also in another %s file", f, id, loc)
			}
			out[id] = m
		}
	}
	return out
}

// areas lists the area names of a locale's files ("core", "profile"…).
func areas(fsys fs.FS, loc string) []string {
	files, _ := fs.Glob(fsys, "*."+loc+".toml")
	var out []string
	for _, f := range files {
		out = append(out, strings.TrimSuffix(f, "."+loc+".toml"))
	}
	return out
}

// forms returns a message's plural forms that have text.
func forms(m *goi18n.Message) map[string]string {
	out := map[string]string{}
	for name, s := range map[string]string{"zero": m.Zero, "one": m.One, "two": m.Two, "few": m.Few, "many": m.Many, "other": m.Other} {
		if s != "" {
			out[name] = s
		}
	}
	return out
}

// placeholders lists the {{.Names}} a message uses, across its forms.
func placeholders(t *testing.T, id string, m *goi18n.Message) []string {
	t.Helper()
	seen := map[string]bool{}
	for form, text := range forms(m) {
		trees, err := parse.Parse(id, text, "{{", "}}")
		if err != nil {
			t.Fatalf("%s (%s): %v", id, form, err)
		}
		var walk func(n parse.Node)
		walk = func(n parse.Node) {
			switch n := n.(type) {
			case *parse.ListNode:
				for _, c := range n.Nodes {
					walk(c)
				}
			case *parse.ActionNode:
				for _, cmd := range n.Pipe.Cmds {
					for _, arg := range cmd.Args {
						walk(arg)
					}
				}
			case *parse.FieldNode:
				seen[strings.Join(n.Ident, ".")] = true
			}
		}
		for _, tree := range trees {
			walk(tree.Root)
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// Every catalog has every message of the English one, no more, with the
// same placeholders, and plural messages stay plural.
func TestCatalogsAreComplete(t *testing.T) {
	fsys := Locales()
	files, _ := fs.Glob(fsys, "*.toml")
	seen := map[string]bool{}
	for _, f := range files {
		name := strings.TrimSuffix(f, ".toml")
		seen[name[strings.LastIndexByte(name, '.')+1:]] = true
	}
	if got := slices.Sorted(maps.Keys(seen)); !slices.Equal(got, shippedLocales) {
		t.Fatalf("catalogs %v, want %v", got, shippedLocales)
	}
	en := readLocale(t, fsys, "en")
	if len(en) < 100 {
		t.Fatalf("the English catalog has only %d messages", len(en))
	}
	for _, loc := range shippedLocales {
		if loc == "en" {
			continue
		}
		if got, want := areas(fsys, loc), areas(fsys, "en"); !slices.Equal(got, want) {
			t.Errorf("%s has the files %v, English has %v", loc, got, want)
		}
		cat := readLocale(t, fsys, loc)
		for id, src := range en {
			m, ok := cat[id]
			if !ok {
				t.Errorf("%s: missing %s", loc, id)
				continue
			}
			if want, have := placeholders(t, id, src), placeholders(t, id, m); !slices.Equal(want, have) {
				t.Errorf("%s: %s uses %v, English uses %v", loc, id, have, want)
			}
			plural := src.One != ""
			if _, one := forms(m)["one"]; !plural && (one || len(forms(m)) != 1) {
				t.Errorf("%s: %s has plural forms, English has none", loc, id)
			}
			if m.Other == "" {
				t.Errorf("%s: %s has no 'other' text", loc, id)
			}
		}
		for id := range cat {
			if _, ok := en[id]; !ok {
				t.Errorf("%s: %s is not in the English catalog", loc, id)
			}
		}
	}
}

// Each message renders in each locale with its placeholders filled, in
// the plural forms that locale's rules pick for the counts the pages use.
func TestEveryMessageRendersInEveryLocale(t *testing.T) {
	c, err := New("en", "")
	if err != nil {
		t.Fatal(err)
	}
	en := readLocale(t, Locales(), "en")
	for _, loc := range shippedLocales {
		l := c.For(loc)
		if l.Locale() != loc {
			t.Fatalf("For(%s) gave %s", loc, l.Locale())
		}
		for id, m := range en {
			var args []any
			for _, p := range placeholders(t, id, m) {
				if p != "Count" {
					args = append(args, p, "«"+p+"»")
				}
			}
			counts := []int{-1}
			if m.One != "" {
				counts = []int{0, 1, 2, 5, 11, 21, 60}
			}
			for _, n := range counts {
				var s string
				var err error
				if n < 0 {
					s, err = l.loc.Localize(&goi18n.LocalizeConfig{MessageID: id, TemplateData: data(args)})
				} else {
					d := data(args)
					d["Count"] = n
					s, err = l.loc.Localize(&goi18n.LocalizeConfig{MessageID: id, PluralCount: n, TemplateData: d})
				}
				if err != nil || s == "" || strings.Contains(s, "<no value>") {
					t.Errorf("%s %s (count %d): %q, %v", loc, id, n, s, err)
				}
			}
		}
	}
}

// Negotiate picks the page's language; PersonLocale tells apart a
// language the person asked for (what a new account records) from the
// default taken for want of one.
func TestNegotiate(t *testing.T) {
	c, err := New("en", "")
	if err != nil {
		t.Fatal(err)
	}
	fr, err := New("fr", "")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name          string
		cat           *Catalog
		query, accept string
		want          string
		asked         bool // the person's choice or browser named it: PersonLocale is want
	}{
		{"nothing: the default", c, "", "", "en", false},
		{"nothing: another default", fr, "", "", "fr", false},
		{"query wins over the header", c, "de", "ja,en;q=0.5", "de", true},
		{"query with a region", c, "de-AT", "", "de", true},
		{"query in lower case", c, "pt-br", "", "pt-BR", true},
		{"bare Portuguese is Brazilian", c, "pt", "", "pt-BR", true},
		{"unknown query falls to the header", c, "xx", "es-MX,es;q=0.9", "es", true},
		{"garbage query falls to the header", c, "<script>", "ja", "ja", true},
		{"over-long query ignored", c, strings.Repeat("a", 100), "fr", "fr", true},
		{"header order by q", c, "", "de;q=0.4, ja;q=0.9, en;q=0.1", "ja", true},
		{"header with regions", c, "", "fr-CA,fr;q=0.9,en;q=0.8", "fr", true},
		{"header, first unsupported", c, "", "zh-CN,es;q=0.5", "es", true},
		{"header, nothing supported", c, "", "zh-CN,ko", "en", false},
		{"header, nothing supported, other default", fr, "", "zh-CN,ko", "fr", false},
		{"garbage header", c, "", ";;;q=abc,,", "en", false},
		{"wildcard header", fr, "", "*", "fr", false},
		{"English variant", fr, "", "en-GB", "en", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := tc.cat.Negotiate(tc.query, tc.accept)
			if l.Locale() != tc.want {
				t.Errorf("Negotiate(%q, %q) = %s, want %s", tc.query, tc.accept, l.Locale(), tc.want)
			}
			if l.Dir() != "ltr" {
				t.Errorf("dir %s", l.Dir())
			}
			person := ""
			if tc.asked {
				person = tc.want
			}
			if got := PersonLocale(NewContext(t.Context(), l)); got != person {
				t.Errorf("PersonLocale = %q, want %q", got, person)
			}
		})
	}
}

func TestLocalizer(t *testing.T) {
	c, err := New("en", "")
	if err != nil {
		t.Fatal(err)
	}
	de, ja := c.For("de"), c.For("ja")
	if got := de.T("signin.start_title", "App", "Acme"); got != "Bei Acme anmelden" {
		t.Errorf("de title %q", got)
	}
	if got := c.For("en").N("field.password_hint", 1); got != "At least 1 character." {
		t.Errorf("en one %q", got)
	}
	if got := c.For("en").N("field.password_hint", 15); got != "At least 15 characters." {
		t.Errorf("en other %q", got)
	}
	if got := ja.N("error.code.resend_wait", 30); got != "新しいコードは 30 秒後にリクエストできます。" {
		t.Errorf("ja plural %q", got)
	}
	if got := de.T("no.such.message"); got != "no.such.message" {
		t.Errorf("unknown ID gave %q", got)
	}
	// Values are data, never template code.
	if got := de.T("signin.start_title", "App", "{{.App}}<b>"); got != "Bei {{.App}}<b> anmelden" {
		t.Errorf("placeholder value was interpreted: %q", got)
	}
}

func TestNewRefusesUnknownDefault(t *testing.T) {
	_, err := New("tlh", "")
	if err == nil || !strings.Contains(err.Error(), "PORTAL_DEFAULT_LOCALE") || !strings.Contains(err.Error(), "pt-BR") {
		t.Errorf("error %v", err)
	}
	if _, err := NewFS("de", fstest.MapFS{"core.de.toml": {Data: []byte(`x = "y"`)}}); err == nil {
		t.Error("a set of catalogs without English was accepted")
	}
}

// An owner's right-to-left catalog gets dir="rtl" (and its own lang).
func TestRightToLeftCatalog(t *testing.T) {
	owner := fstest.MapFS{
		"mine.ar.toml": {Data: []byte("[button]\ncontinue = \"متابعة\"\n")},
		"mine.he.toml": {Data: []byte("[button]\ncontinue = \"המשך\"\n")},
	}
	c, err := NewFS("en", Locales(), owner)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ accept, lang, dir, text string }{
		{"ar-EG,ar;q=0.9", "ar", "rtl", "متابعة"},
		{"he", "he", "rtl", "המשך"},
		{"en-US", "en", "ltr", "Continue"},
	} {
		l := c.Negotiate("", tc.accept)
		if l.Locale() != tc.lang || l.Dir() != tc.dir || l.T("button.continue") != tc.text {
			t.Errorf("%s: lang %s dir %s text %q", tc.accept, l.Locale(), l.Dir(), l.T("button.continue"))
		}
	}
	// A message the owner's catalog lacks falls back to English.
	if got := c.For("ar").T("button.sign_in"); got != "Sign in" {
		t.Errorf("fallback %q", got)
	}
}

func TestDates(t *testing.T) {
	c, err := New("en", "")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, time.November, 26, 15, 3, 0, 0, time.FixedZone("CET", 3600))
	for _, tc := range []struct{ loc, day, dayTime string }{
		{"en", "26 Nov 2026", "26 Nov 2026, 14:03 UTC"},
		{"de", "26. Nov. 2026", "26. Nov. 2026, 14:03 UTC"},
		{"fr", "26 nov. 2026", "26 nov. 2026 à 14:03 UTC"},
		{"es", "26 nov 2026", "26 nov 2026, 14:03 UTC"},
		{"pt-BR", "26 de nov. de 2026", "26 de nov. de 2026, 14:03 UTC"},
		{"ja", "2026年11月26日", "2026年11月26日 14:03 UTC"},
	} {
		l := c.For(tc.loc)
		if got := l.Date(at); got != tc.day {
			t.Errorf("%s: Date %q, want %q", tc.loc, got, tc.day)
		}
		if got := l.DateTime(at); got != tc.dayTime {
			t.Errorf("%s: DateTime %q, want %q", tc.loc, got, tc.dayTime)
		}
	}
}

// The pages that ask before an action ("Remove ada@example.com?", "Sign
// out Safari on iOS?", "Disconnect Corp SSO?") all ask it as a question,
// in every language with its own question mark, where some said the
// button's words ("Disconnect Corp SSO") and others asked.
func TestConfirmationTitlesAreQuestions(t *testing.T) {
	ids := []string{
		"account.identifiers.verify_heading", "account.identifiers.remove_heading", "account.identifiers.primary_heading",
		"account.connected.disconnect_heading", "account.devices.sign_out_heading", "account.devices.sign_out_others_heading",
		"account.passkey.remove_heading", "account.totp.remove_heading", "account.sms.confirm_on_heading",
		"account.sms.confirm_off_heading", "account.backup.new_heading", "org.members.remove_title",
	}
	for _, loc := range shippedLocales {
		cat := readLocale(t, Locales(), loc)
		for _, id := range ids {
			m, ok := cat[id]
			if !ok {
				t.Errorf("%s: no %s", loc, id)
				continue
			}
			if !strings.HasSuffix(m.Other, "?") && !strings.HasSuffix(m.Other, "？") {
				t.Errorf("%s: %s = %q is no question", loc, id, m.Other)
			}
		}
	}
}

// A profile image and an organization's logo have the same limit, said
// the same way in each language: in the hint ("up to 5 MB", not "at most
// 5 MB" on the other form) and in the message when an image is over it.
func TestImageLimitIsWordedOneWay(t *testing.T) {
	for _, loc := range shippedLocales {
		cat := readLocale(t, Locales(), loc)
		image, logo := cat["account.profile.image_hint"], cat["org.field.logo_hint"]
		if image == nil || logo == nil {
			t.Fatalf("%s: the image hints are not where this test looks", loc)
		}
		if limit, _, _ := strings.Cut(strings.ReplaceAll(image.Other, "。", "."), "."); !strings.HasPrefix(strings.ReplaceAll(logo.Other, "。", "."), limit+".") {
			t.Errorf("%s: the logo's hint %q does not say the limit as the profile image's does, %q", loc, logo.Other, limit)
		}
		if a, b := cat["account.error.image_too_large"].Other, cat["org.error.logo_too_large"].Other; a != b {
			t.Errorf("%s: an image over the limit is %q on the account page and %q for a logo", loc, a, b)
		}
	}
}

// Endonym names a language in itself, capitalised as a list item, with the
// region a catalog is made for; what does not parse comes back as given.
func TestEndonym(t *testing.T) {
	for locale, want := range map[string]string{"en": "English", "de": "Deutsch", "fr": "Français", "es": "Español",
		"pt-BR": "Português (Brasil)", "pt-PT": "Português europeu", "en-GB": "British English", "ja": "日本語", "ar": "العربية", "not a tag": "not a tag"} {
		if got := Endonym(locale); got != want {
			t.Errorf("Endonym(%q) = %q, want %q", locale, got, want)
		}
	}
}

// frenchLoose is a plain space where French typography wants one that
// never breaks: before : ; ? ! and », after «. A browser may otherwise put
// the "?" or the "»" alone at the start of a line.
var frenchLoose = regexp.MustCompile(` [:;?!»]|« `)

// The French catalogs space their punctuation with no-break spaces (as
// most of their messages did): "… un lien : ce …" and « Renvoyer le
// code » did not.
func TestFrenchPunctuationDoesNotBreakAway(t *testing.T) {
	for id, m := range readLocale(t, Locales(), "fr") {
		for _, s := range []string{m.Other, m.One, m.Few, m.Many, m.Two, m.Zero} {
			if loose := frenchLoose.FindString(s); loose != "" {
				t.Errorf("fr %s: a plain space in %q: %q", id, loose, s)
			}
		}
	}
}
