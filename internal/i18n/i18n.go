// Package i18n holds the message catalogs every user-facing string comes
// from and picks a person's language: ?locale=, then Accept-Language, then
// the instance default. Catalogs are TOML files named <area>.<locale>.toml
// (core.de.toml, profile.de.toml…), several per locale, embedded in the
// binary; an owner may add or override catalogs from a directory
// (PORTAL_LOCALES_DIR). Messages are go-i18n messages with stable IDs,
// plural forms and {{.Placeholders}}.
package i18n

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/BurntSushi/toml"
	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/cases"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

//go:embed locales/*.toml
var shipped embed.FS

// Source is the locale every other catalog is translated from.
const Source = "en"

// Catalog is the loaded catalogs; safe for concurrent use once built.
//
// A locale's messages are parsed when a request first needs them (the
// default's and English at start), each locale in a bundle of its own
// with English under it for what it lacks: parsing every catalog at start
// cost tens of milliseconds and megabytes an idle portal does not need.
type Catalog struct {
	tags    []language.Tag // supported locales, the default first
	matcher language.Matcher
	files   map[language.Tag][]catalogFile // each locale's files, in load order
	bundles map[language.Tag]*lazyBundle
}

type catalogFile struct {
	fsys fs.FS
	name string
}

type lazyBundle struct {
	once   sync.Once
	bundle *goi18n.Bundle
	err    error
}

// Locales returns the shipped catalogs' file system (<area>.<locale>.toml
// files), for tests and tools.
func Locales() fs.FS {
	sub, _ := fs.Sub(shipped, "locales")
	return sub
}

// New loads the shipped catalogs with defaultLocale as the instance
// default (PORTAL_DEFAULT_LOCALE), then those in ownerDir when it is not
// empty (PORTAL_LOCALES_DIR): an owner's file may add a locale or replace
// some shipped messages.
func New(defaultLocale, ownerDir string) (*Catalog, error) {
	if ownerDir == "" {
		return NewFS(defaultLocale, Locales())
	}
	if st, err := os.Stat(ownerDir); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("PORTAL_LOCALES_DIR: %q is not a readable directory; give a directory of <name>.<locale>.toml catalogs, or leave it empty", ownerDir)
	}
	return NewFS(defaultLocale, Locales(), os.DirFS(ownerDir))
}

// NewFS reads every *.toml in each fsys in turn, later messages
// replacing earlier ones with the same ID. The files must include the
// English source catalog; defaultLocale must be one of the locales they
// hold. Files from fsys after the first (an owner's) are parsed now, so a
// mistake in them stops start-up; the shipped ones, which tests hold
// valid, when their locale is first used.
func NewFS(defaultLocale string, fsyss ...fs.FS) (*Catalog, error) {
	c := &Catalog{files: map[language.Tag][]catalogFile{}, bundles: map[language.Tag]*lazyBundle{}}
	for i, fsys := range fsyss {
		files, err := fs.Glob(fsys, "*.toml")
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			tag, ok := fileLocale(f)
			if !ok {
				return nil, fmt.Errorf("i18n: %s: name it <name>.<locale>.toml, like profile.de.toml", f)
			}
			if i > 0 {
				if err := checkFile(fsys, f); err != nil {
					return nil, err
				}
			}
			if _, seen := c.files[tag]; !seen {
				c.tags = append(c.tags, tag)
				c.bundles[tag] = &lazyBundle{}
			}
			c.files[tag] = append(c.files[tag], catalogFile{fsys, f})
		}
	}
	if !slices.Contains(c.tags, language.English) {
		return nil, fmt.Errorf("i18n: no %s catalog (*.%s.toml), the source every other is translated from", Source, Source)
	}
	def, err := language.Parse(defaultLocale)
	at := slices.Index(c.tags, def)
	if err != nil || at < 0 {
		return nil, fmt.Errorf("PORTAL_DEFAULT_LOCALE: %q is not a catalog; use one of %s", defaultLocale, strings.Join(names(c.tags), ", "))
	}
	// The matcher answers with its first tag when nothing matches, so the
	// default goes first.
	c.tags[0], c.tags[at] = c.tags[at], c.tags[0]
	c.matcher = language.NewMatcher(c.tags)
	if _, err := c.bundle(c.tags[0]); err != nil {
		return nil, err
	}
	return c, nil
}

// fileLocale is the locale a catalog file's name gives: the part between
// the last two dots of <name>.<locale>.toml.
func fileLocale(name string) (language.Tag, bool) {
	base, ok := strings.CutSuffix(name, ".toml")
	i := strings.LastIndexByte(base, '.')
	if !ok || i < 0 {
		return language.Und, false
	}
	tag, err := language.Parse(base[i+1:])
	return tag, err == nil && tag != language.Und
}

// checkFile parses one catalog file, for its errors only.
func checkFile(fsys fs.FS, name string) error {
	data, err := fs.ReadFile(fsys, name)
	if err == nil {
		_, err = goi18n.ParseMessageFileBytes(data, name, map[string]goi18n.UnmarshalFunc{"toml": toml.Unmarshal})
	}
	if err != nil {
		return fmt.Errorf("i18n: %s: %w", name, err)
	}
	return nil
}

// bundle is tag's messages over English's, parsed on first use.
func (c *Catalog) bundle(tag language.Tag) (*goi18n.Bundle, error) {
	lb := c.bundles[tag]
	lb.once.Do(func() {
		b := goi18n.NewBundle(language.English)
		b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
		load := c.files[language.English]
		if tag != language.English {
			load = append(slices.Clip(load), c.files[tag]...)
		}
		for _, f := range load {
			if _, err := b.LoadMessageFileFS(f.fsys, f.name); err != nil {
				lb.err = fmt.Errorf("i18n: %s: %w", f.name, err)
				return
			}
		}
		lb.bundle = b
	})
	return lb.bundle, lb.err
}

func names(tags []language.Tag) []string {
	out := make([]string, len(tags))
	for i, t := range tags {
		out[i] = t.String()
	}
	slices.Sort(out)
	return out
}

// Locales lists the available locales, sorted.
func (c *Catalog) Locales() []string { return names(c.tags) }

// Default is the instance's default locale.
func (c *Catalog) Default() string { return c.tags[0].String() }

// Negotiate picks the locale for a request: the ?locale= value when a
// catalog matches it, else the best match for Accept-Language, else the
// default. Unparseable input is skipped, never an error.
func (c *Catalog) Negotiate(query, acceptLanguage string) *Localizer {
	if tag, ok := c.matchQuery(query); ok {
		return c.preferred(tag)
	}
	if len(acceptLanguage) <= 1024 {
		if prefs, _, err := language.ParseAcceptLanguage(acceptLanguage); err == nil && len(prefs) > 0 {
			if tag, ok := c.match(prefs...); ok {
				return c.preferred(tag)
			}
		}
	}
	return c.localizer(c.tags[0])
}

// preferred is the localizer for tag, a catalog the person asked for.
func (c *Catalog) preferred(tag language.Tag) *Localizer {
	l := c.localizer(tag)
	l.asked = true
	return l
}

// Match is the catalog locale a ?locale= value names, if any.
func (c *Catalog) Match(query string) (string, bool) {
	tag, ok := c.matchQuery(query)
	return tag.String(), ok
}

func (c *Catalog) matchQuery(query string) (language.Tag, bool) {
	q := strings.TrimSpace(query)
	if q == "" || len(q) > 35 {
		return language.Und, false
	}
	t, err := language.Parse(q)
	if err != nil {
		return language.Und, false
	}
	return c.match(t)
}

// For returns the localizer for a locale, or the default's when no
// catalog matches it (e.g. for an email in a user's stored locale).
func (c *Catalog) For(locale string) *Localizer { return c.Negotiate(locale, "") }

func (c *Catalog) match(prefs ...language.Tag) (language.Tag, bool) {
	_, i, conf := c.matcher.Match(prefs...)
	if conf == language.No {
		return language.Tag{}, false
	}
	return c.tags[i], true
}

func (c *Catalog) localizer(tag language.Tag) *Localizer {
	b, err := c.bundle(tag)
	if err != nil { // a shipped catalog that does not parse: tests keep this from happening
		tag = language.English
		b, _ = c.bundle(tag)
	}
	return &Localizer{tag: tag, loc: goi18n.NewLocalizer(b, tag.String())}
}

type ctxKey struct{}

// NewContext returns ctx carrying l: the language of the request, for
// what is rendered below the handlers (emails, text messages).
func NewContext(ctx context.Context, l *Localizer) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// FromContext is the localizer NewContext put in ctx, or nil.
func FromContext(ctx context.Context) *Localizer {
	l, _ := ctx.Value(ctxKey{}).(*Localizer)
	return l
}

// Localizer renders messages in one locale.
type Localizer struct {
	tag   language.Tag
	loc   *goi18n.Localizer
	asked bool // the person's choice or browser asked for it (Negotiate)
}

// Locale is the BCP 47 tag of the catalog in use, for <html lang>.
func (l *Localizer) Locale() string { return l.tag.String() }

// Endonym is the name of the language locale names in that language, as
// a list to pick one's language from shows it ("Deutsch", "Français",
// "Português (Brasil)", "日本語"): CLDR's name, its first letter
// capitalised as an item of a list; the tag itself when CLDR has none.
func Endonym(locale string) string {
	tag, err := language.Parse(locale)
	if err != nil {
		return locale
	}
	name := display.Self.Name(tag)
	if name == "" {
		return locale
	}
	// CLDR names a language's usual region by the language alone: pt-BR
	// is plain "português" (pt-PT is "português europeu"). A catalog made
	// for a region that CLDR does not name apart says it, so that two of
	// one language read differently.
	if reg, conf := tag.Region(); conf == language.Exact {
		base, _ := tag.Base()
		if rn := display.Regions(tag).Name(reg); rn != "" && name == display.Self.Name(base) {
			name += " (" + rn + ")"
		}
	}
	r, size := utf8.DecodeRuneInString(name)
	return cases.Upper(tag).String(string(r)) + name[size:]
}

// PersonLocale is the language of the request in ctx when the person
// asked for it, by ?locale= or their browser's Accept-Language: what a new
// account records as its user's locale. It is "" when the page fell back
// to the instance's default for want of a match, or ctx carries no request
// language: the account then has no locale, and the instance's default
// stays in force for it (including when the default changes).
func PersonLocale(ctx context.Context) string {
	if l := FromContext(ctx); l != nil && l.asked {
		return l.Locale()
	}
	return ""
}

// Dir is "rtl" for locales written right to left, else "ltr".
func (l *Localizer) Dir() string {
	if s, _ := l.tag.Script(); rtlScripts[s.String()] {
		return "rtl"
	}
	return "ltr"
}

var rtlScripts = map[string]bool{"Arab": true, "Hebr": true, "Thaa": true, "Syrc": true, "Nkoo": true,
	"Adlm": true, "Rohg": true, "Mand": true, "Samr": true, "Mend": true, "Yezi": true}

// T renders message id; args are placeholder name/value pairs:
// T("signin.start_title", "App", name). A "Count" int argument picks the
// plural form, as N does. An unknown ID comes back as itself, so a
// missing message is visible rather than blank.
func (l *Localizer) T(id string, args ...any) string {
	d := data(args)
	cfg := &goi18n.LocalizeConfig{MessageID: id, TemplateData: d}
	if n, ok := d["Count"].(int); ok {
		cfg.PluralCount = n
	}
	return l.render(cfg)
}

// N renders the plural form of message id for count, which is also
// available to the message as {{.Count}}.
func (l *Localizer) N(id string, count int, args ...any) string {
	d := data(args)
	d["Count"] = count
	return l.render(&goi18n.LocalizeConfig{MessageID: id, PluralCount: count, TemplateData: d})
}

func (l *Localizer) render(cfg *goi18n.LocalizeConfig) string {
	s, err := l.loc.Localize(cfg)
	if err != nil && s == "" {
		return cfg.MessageID
	}
	return s
}

func data(args []any) map[string]any {
	d := make(map[string]any, len(args)/2+1)
	for i := 0; i+1 < len(args); i += 2 {
		if k, ok := args[i].(string); ok {
			d[k] = args[i+1]
		}
	}
	return d
}

// monthIDs name the months' short names in the catalogs, January first.
var monthIDs = [12]string{"date.month_1", "date.month_2", "date.month_3", "date.month_4", "date.month_5", "date.month_6",
	"date.month_7", "date.month_8", "date.month_9", "date.month_10", "date.month_11", "date.month_12"}

// Date is t's day in UTC written the locale's way: "26 Nov 2026",
// "26. Nov. 2026", "2026年11月26日".
func (l *Localizer) Date(t time.Time) string {
	t = t.UTC()
	return l.T("date.day", "Day", t.Day(), "Month", l.T(monthIDs[t.Month()-1]), "Year", t.Year())
}

// DateTime is t in UTC with its time of day: "26 Nov 2026, 14:03 UTC".
func (l *Localizer) DateTime(t time.Time) string {
	return l.T("date.day_time", "Date", l.Date(t), "Time", t.UTC().Format("15:04"))
}
