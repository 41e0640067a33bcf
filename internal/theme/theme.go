// Package theme loads the portal's appearance: a shipped theme from
// themes/ or an owner's file, with Clerk's variable and option names. Every
// value is checked against a narrow grammar when the theme is loaded and
// written out in its checked spelling, so nothing in a theme file can
// leave the CSS declaration it is put in (REQ-IN-03).
package theme

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/portalhq/portal/themes"
)

// Theme is a loaded, validated theme.
type Theme struct {
	Name    string // shipped name, or the file's base name
	Source  string // "themes/<name>.yaml" for a shipped theme, else the path
	Options Options

	vars    map[string]string // every variable set in the chain, checked
	dark    map[string]string // overrides under prefers-color-scheme: dark
	sheets  []string          // stylesheets named by the chain, parent first
	logo    *Logo             // options.logoImageFile, read
	dkLogo  *Logo             // dark.options.logoImageFile, read
	css     string
	body    string
	version string
	files   []stamp // files on disk the theme was read from
}

// Error says which file and key hold a value that was refused and what
// would be accepted instead.
type Error struct {
	File    string
	Line    int    // the line in File, when known (0: not said)
	Key     string // "variables.colorPrimary", "extends", …
	Value   string
	Problem string // what is wrong, when it is not the value ("unknown key"); else the value is quoted
	Accepts string
}

func (e *Error) Error() string {
	v := e.Value
	if len(v) > 80 {
		v = v[:80] + "…"
	}
	where := e.File
	if e.Line > 0 {
		where += ":" + strconv.Itoa(e.Line)
	}
	if e.Key != "" {
		where += ": " + e.Key
	}
	what := fmt.Sprintf("%q is not accepted", v)
	if e.Problem != "" {
		what = e.Problem
	}
	msg := fmt.Sprintf("theme: %s: %s; use %s", where, what, e.Accepts)
	if strings.HasPrefix(e.Key, "variables.") || strings.HasPrefix(e.Key, "dark.variables.") {
		if e.Value == "" && e.Problem == "" {
			msg += ` (in YAML, quote values that start with #: colorPrimary: "#2f3037")`
		}
	}
	return msg
}

// file is the format of a theme file (YAML, or JSON, which YAML reads too).
type file struct {
	Extends    string            `yaml:"extends"`
	Stylesheet string            `yaml:"stylesheet"` // a .css file next to the theme, appended to /theme.css
	Variables  map[string]string `yaml:"variables"`
	Options    map[string]string `yaml:"options"`
	Dark       *struct {
		Extends   string            `yaml:"extends"`
		Variables map[string]string `yaml:"variables"`
		Options   map[string]string `yaml:"options"` // logoImageFile or logoImageUrl only
	} `yaml:"dark"`
}

type stamp struct {
	path  string
	mod   time.Time
	size  int64
	found bool
}

const maxFile = 256 << 10

// Shipped lists the names of the themes built into the binary.
func Shipped() []string { return slices.Clone(shipped()) }

// shipped is Shipped, listed once: the embedded files never change, and
// IsShipped runs on every request of a development portal (the CSP asks
// whether ?preview_theme= names a theme), where a glob of the embedded
// directory each time was about 1% of a token refresh's CPU.
var shipped = sync.OnceValue(func() []string {
	entries, _ := fs.Glob(themes.FS, "*.yaml")
	out := make([]string, 0, len(entries))
	for _, e := range entries {
		out = append(out, strings.TrimSuffix(e, ".yaml"))
	}
	sort.Strings(out)
	return out
})

// IsShipped reports whether name is a shipped theme.
func IsShipped(name string) bool { return name != "" && slices.Contains(shipped(), name) }

// relativeTo says what a theme path named in from is read relative to:
// the working directory for PORTAL_THEME, the naming file's folder else.
func relativeTo(from, dir string) string {
	if dir == "" {
		return "the directory the portal runs in"
	}
	return "the folder of " + from
}

// isPath tells a file path from a shipped theme's name.
func isPath(s string) bool {
	ext := strings.ToLower(filepath.Ext(s))
	return strings.ContainsAny(s, `/\`) || ext == ".yaml" || ext == ".yml" || ext == ".json"
}

// Load reads a shipped theme by name or an owner's theme file by path.
// dev relaxes URLs to accept http://localhost. Any refused value is an
// *Error naming the file and key.
func Load(nameOrPath string, dev bool) (*Theme, error) {
	l := &loader{dev: dev, seen: map[string]bool{}}
	r, err := l.resolve(nameOrPath, "", "PORTAL_THEME", "")
	if err != nil {
		return nil, err
	}
	t := &Theme{Name: r.name, Source: r.source, vars: r.vars, dark: r.dark, sheets: r.sheets,
		logo: r.logo, dkLogo: r.darkLogo, files: l.files}
	merged := map[string]string{}
	for k, v := range defaultOptions {
		merged[k] = v
	}
	for k, v := range r.options {
		merged[k] = v
	}
	for _, o := range options {
		if v, ok := merged[o.Name]; ok {
			o.set(&t.Options, v)
		}
	}
	t.Options.DarkLogoImageURL = r.darkURL
	if r.darkLogo != nil {
		t.Options.DarkLogoImageFile = r.darkLogo.File
	}
	if r.darkAt != nil && !t.switchesToDark() {
		return nil, t.darkLogoRefused(*r.darkAt)
	}
	t.css = t.render()
	t.body = t.css + strings.Join(t.sheets, "")
	sum := sha256.Sum256([]byte(t.body))
	t.version = hex.EncodeToString(sum[:8])
	return t, nil
}

type loader struct {
	dev   bool
	seen  map[string]bool
	files []stamp
}

// resolved is a theme with its parents applied.
type resolved struct {
	name, source string
	vars, dark   map[string]string
	options      map[string]string
	sheets       []string
	logo         *Logo
	// The dark-mode logo: a URL or a file read, or neither, and the file
	// and key that named it.
	darkURL  string
	darkLogo *Logo
	darkAt   *Error
}

// resolve reads ref (a shipped name, or a path relative to dir) and its
// chain of parents. from and key say where ref was named, for errors.
func (l *loader) resolve(ref, dir, from, key string) (*resolved, error) {
	var (
		data   []byte
		source string
		name   string
		disk   = isPath(ref)
		err    error
	)
	if strings.EqualFold(filepath.Ext(ref), ".css") {
		return nil, &Error{File: from, Key: key, Value: ref, Problem: ref + " is a stylesheet, not a theme file",
			Accepts: "a theme file (.yaml, .yml or .json) here, and name the stylesheet in it (stylesheet: " + filepath.Base(ref) +
				") or in PORTAL_THEME_CSS"}
	}
	if disk {
		source = ref
		if dir != "" && !filepath.IsAbs(ref) {
			source = filepath.Join(dir, ref)
		}
		name = strings.TrimSuffix(filepath.Base(source), filepath.Ext(source))
		data, err = l.read(source)
		if errors.Is(err, fs.ErrNotExist) {
			abs, _ := filepath.Abs(source)
			return nil, &Error{File: from, Key: key, Value: ref, Problem: fmt.Sprintf("no file %s (looked for %s)", ref, abs),
				Accepts: "the path of a theme file (.yaml, .yml or .json), relative to " + relativeTo(from, dir) +
					", or a shipped theme (" + strings.Join(Shipped(), ", ") + ")"}
		}
	} else {
		if !IsShipped(ref) {
			accepts := "a shipped theme (" + strings.Join(Shipped(), ", ") + ") or a path to a theme file (.yaml, .yml or .json)"
			if IsShipped(strings.ToLower(ref)) { // Dark: names are lower-case
				accepts = strings.ToLower(ref) + " (theme names are lower-case), or " + accepts
			}
			return nil, &Error{File: from, Key: key, Value: ref, Accepts: accepts}
		}
		name, source = ref, "themes/"+ref+".yaml"
		data, err = fs.ReadFile(themes.FS, ref+".yaml")
	}
	if err != nil {
		return nil, fmt.Errorf("theme: %s: %w", source, err)
	}
	if l.seen[source] || len(l.seen) >= 8 {
		return nil, &Error{File: source, Key: "extends", Value: ref, Accepts: "a chain of themes without loops, at most 8 long"}
	}
	l.seen[source] = true // for this chain only: auto reaches default twice, legitimately
	defer delete(l.seen, source)

	if err := checkShape(source, data); err != nil {
		return nil, err
	}
	var f file
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("theme: %s: %v (keys: extends, stylesheet, variables, options, dark)", source, cleanYAML(err))
	}

	r := &resolved{name: name, source: source, vars: map[string]string{}, options: map[string]string{}}
	here := filepath.Dir(source)
	if f.Extends != "" {
		parent, err := l.child(f.Extends, here, disk, source, "extends")
		if err != nil {
			return nil, err
		}
		r.vars, r.options, r.dark, r.sheets, r.logo = parent.vars, parent.options, parent.dark, parent.sheets, parent.logo
		r.darkURL, r.darkLogo, r.darkAt = parent.darkURL, parent.darkLogo, parent.darkAt
	}
	if err := l.checkVars(source, "variables.", f.Variables, r.vars); err != nil {
		return nil, err
	}
	_, hasURL := f.Options["logoImageUrl"]
	file, hasFile := f.Options["logoImageFile"]
	if hasURL && hasFile {
		return nil, &Error{File: source, Key: "options.logoImageFile", Value: file, Problem: "logoImageUrl is set too",
			Accepts: "one of logoImageUrl (an image on the web) and logoImageFile (a file on this machine)"}
	}
	for k, raw := range f.Options {
		o, ok := lookupOption(k)
		if !ok {
			return nil, &Error{File: source, Key: "options." + k, Value: raw, Problem: "unknown option",
				Accepts: suggest(k, OptionNames(), "an option name: ")}
		}
		v, ok := o.kind.check(raw, l.dev)
		if !ok {
			return nil, &Error{File: source, Key: "options." + k, Value: raw, Accepts: o.kind.accepts}
		}
		r.options[k] = v
	}
	// Either logo setting of this file replaces the other one a parent set,
	// and the parent's dark-mode logo with it: that was a version of the
	// parent's logo, not of this one. This file's dark: options may set
	// one of its own.
	if hasURL || hasFile {
		r.darkURL, r.darkLogo, r.darkAt = "", nil, nil
	}
	switch {
	case hasURL:
		delete(r.options, "logoImageFile")
		r.logo = nil
	case hasFile:
		logo, err := l.logo(r.options["logoImageFile"], here, disk, source, "options.logoImageFile")
		if err != nil {
			return nil, err
		}
		delete(r.options, "logoImageUrl")
		r.options["logoImageFile"], r.logo = logo.File, logo
	}
	if f.Dark != nil {
		if err := l.darkLogo(r, f.Dark.Options, here, disk, source); err != nil {
			return nil, err
		}
		dark := map[string]string{}
		switch {
		case f.Dark.Extends != "":
			base, err := l.child(f.Dark.Extends, here, disk, source, "dark.extends")
			if err != nil {
				return nil, err
			}
			// Only the base's colours: fonts, sizes, radius and spacing
			// do not change with the colour scheme, so the theme's own
			// (or inherited) ones hold in dark mode too.
			dark = colours(base.vars)
		case r.dark != nil:
			dark = r.dark
		}
		if err := l.checkVars(source, "dark.variables.", f.Dark.Variables, dark); err != nil {
			return nil, err
		}
		r.dark = dark
	}
	if f.Stylesheet != "" {
		sheet, err := l.stylesheet(f.Stylesheet, here, disk, source)
		if err != nil {
			return nil, err
		}
		r.sheets = append(slices.Clip(r.sheets), sheet)
	}
	return r, nil
}

// darkKeys are the options a theme's dark: section may set: the logo
// drawn under prefers-color-scheme: dark. Every other option holds in
// both colour schemes.
var darkKeys = []string{"logoImageFile", "logoImageUrl"}

// darkLogo applies a dark: section's options to r: a logo for dark mode,
// by file or URL, checked as the light one is, replacing the one r
// inherited. A dark-mode logo needs a logo to stand in for.
func (l *loader) darkLogo(r *resolved, opts map[string]string, dir string, disk bool, source string) error {
	for k, raw := range opts {
		if !slices.Contains(darkKeys, k) {
			return unknownDarkOption(source, 0, k, raw)
		}
	}
	rawURL, hasURL := opts["logoImageUrl"]
	rawFile, hasFile := opts["logoImageFile"]
	switch {
	case hasURL && hasFile:
		return &Error{File: source, Key: "dark.options.logoImageFile", Value: rawFile, Problem: "logoImageUrl is set too",
			Accepts: "one of logoImageUrl (an image on the web) and logoImageFile (a file on this machine)"}
	case hasURL:
		v, ok := logoURLKind.check(rawURL, l.dev)
		if !ok {
			return &Error{File: source, Key: "dark.options.logoImageUrl", Value: rawURL, Accepts: logoURLKind.accepts}
		}
		r.darkURL, r.darkLogo = v, nil
		r.darkAt = &Error{File: source, Key: "dark.options.logoImageUrl", Value: rawURL}
	case hasFile:
		ref, ok := fileKind.check(rawFile, l.dev)
		if !ok {
			return &Error{File: source, Key: "dark.options.logoImageFile", Value: rawFile, Accepts: fileKind.accepts}
		}
		logo, err := l.logo(ref, dir, disk, source, "dark.options.logoImageFile")
		if err != nil {
			return err
		}
		logo.Dark = true
		r.darkURL, r.darkLogo = "", logo
		r.darkAt = &Error{File: source, Key: "dark.options.logoImageFile", Value: rawFile}
	default:
		return nil
	}
	if r.options["logoImageUrl"] == "" && r.options["logoImageFile"] == "" {
		key, value := "dark.options.logoImageUrl", rawURL
		if hasFile {
			key, value = "dark.options.logoImageFile", rawFile
		}
		return &Error{File: source, Key: key, Value: value, Problem: "there is no logo for it to replace in dark mode",
			Accepts: "options.logoImageFile or options.logoImageUrl as well, for the light colour scheme"}
	}
	return nil
}

// unknownDarkOption is the refusal of an option under dark: that is not
// the logo.
func unknownDarkOption(source string, line int, key, value string) error {
	accepts := suggest(key, darkKeys, "one of the options: ")
	if _, ok := lookupOption(key); ok {
		accepts = key + " under options: (it holds in both colour schemes); dark: options: sets only " +
			strings.Join(darkKeys, " or ")
	}
	return &Error{File: source, Line: line, Key: "dark.options." + key, Value: value, Problem: "unknown dark option",
		Accepts: accepts}
}

// child resolves a parent theme named in source. Only a theme file on disk
// may name another file; a shipped theme names shipped themes.
func (l *loader) child(ref, dir string, disk bool, source, key string) (*resolved, error) {
	if isPath(ref) && !disk {
		return nil, &Error{File: source, Key: key, Value: ref, Accepts: "a shipped theme name"}
	}
	r, err := l.resolve(ref, dir, source, key)
	if err != nil {
		return nil, err
	}
	// A fresh copy, so the child's values never write into the parent's maps.
	out := *r
	out.vars, out.options = clone(r.vars), clone(r.options)
	if r.dark != nil {
		out.dark = clone(r.dark)
	}
	return &out, nil
}

func (l *loader) checkVars(source, prefix string, in, into map[string]string) error {
	for k, raw := range in {
		v, ok := lookupVariable(k)
		if !ok {
			return &Error{File: source, Key: prefix + k, Value: raw, Problem: "unknown variable",
				Accepts: suggest(k, VariableNames(), "a variable name: ")}
		}
		val, ok := v.kind.check(raw, l.dev)
		if !ok {
			return &Error{File: source, Key: prefix + k, Value: raw, Accepts: v.kind.accepts}
		}
		into[k] = val
	}
	return nil
}

// stylesheet reads the CSS file a theme names. It must sit next to the
// theme: a bare file name ending in .css.
func (l *loader) stylesheet(name, dir string, disk bool, source string) (string, error) {
	if name != filepath.Base(name) || strings.ContainsAny(name, `/\`) || !strings.HasSuffix(name, ".css") || strings.HasPrefix(name, ".") {
		return "", &Error{File: source, Key: "stylesheet", Value: name, Accepts: "the name of a .css file in the same folder as the theme"}
	}
	var (
		data []byte
		err  error
	)
	if disk {
		data, err = l.read(filepath.Join(dir, name))
	} else {
		data, err = fs.ReadFile(themes.FS, name)
	}
	if errors.Is(err, fs.ErrNotExist) {
		return "", &Error{File: source, Key: "stylesheet", Value: name,
			Problem: fmt.Sprintf("no file %s next to the theme (looked for %s)", name, filepath.Join(dir, name)),
			Accepts: "the name of a .css file in the same folder as the theme, or leave the stylesheet line out (it is optional)"}
	}
	if err != nil {
		return "", fmt.Errorf("theme: %s: stylesheet: %w", source, err)
	}
	return "\n" + strings.TrimSpace(string(data)) + "\n", nil
}

// read reads a file on disk and remembers it, so a development server can
// tell when it changed.
func (l *loader) read(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.Size() > maxFile {
		return nil, fmt.Errorf("%s is larger than %d KiB", path, maxFile>>10)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	l.files = append(l.files, stamp{path: path, mod: st.ModTime(), size: st.Size(), found: true})
	return data, nil
}

// cleanYAML is the YAML decoder's message without its package prefix and
// the heading it puts over a list of type errors.
func cleanYAML(err error) string {
	s := strings.TrimPrefix(err.Error(), "yaml: ")
	if rest, ok := strings.CutPrefix(s, "unmarshal errors:\n"); ok {
		s = strings.Join(strings.Fields(rest), " ")
	}
	return s
}

func clone(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// CSS is the :root block of custom properties static/portal.css reads,
// and for a theme with dark values, the same under prefers-color-scheme.
func (t *Theme) CSS() string { return t.css }

// Stylesheet is the whole of /theme.css: CSS followed by any stylesheets
// the theme's chain names.
func (t *Theme) Stylesheet() string { return t.body }

// Version is a short hash of Stylesheet, for ETags and cache-busting URLs.
func (t *Theme) Version() string { return t.version }

// Logo returns the logo file the theme names (options.logoImageFile), or
// nil: a theme without a logo, or with one on the web (Options.LogoImageURL).
func (t *Theme) Logo() *Logo { return t.logo }

// DarkLogo returns the logo file the theme names for dark mode
// (dark.options.logoImageFile), or nil: none, or one on the web
// (Options.DarkLogoImageURL).
func (t *Theme) DarkLogo() *Logo { return t.dkLogo }

// Var returns a variable's checked value and whether the theme sets it.
func (t *Theme) Var(name string) (string, bool) {
	v, ok := t.vars[name]
	return v, ok
}

// Palette returns the colours in force: the light ones, or with dark, the
// ones under prefers-color-scheme: dark (nil when the theme has none).
func (t *Theme) Palette(dark bool) map[string]RGBA {
	vals := t.vars
	if dark {
		if t.dark == nil {
			return nil
		}
		vals = clone(t.vars)
		for k, v := range t.dark {
			vals[k] = v
		}
	}
	out := map[string]RGBA{}
	for k, v := range vals {
		if _, c, ok := parseColor(v); ok && strings.HasPrefix(k, "color") {
			out[k] = c
		}
	}
	return out
}

// HasDark reports whether the theme switches with prefers-color-scheme.
func (t *Theme) HasDark() bool { return t.dark != nil }

// darkLogoRefused is the refusal of a dark-mode logo on a theme whose
// card is not dark when the browser prefers dark: the logo is drawn only
// then, and one made for a dark background would show on a light card.
func (t *Theme) darkLogoRefused(at Error) *Error {
	if darkCard(t.Palette(false)) {
		at.Problem = "the theme is dark in both colour schemes, so the logo under dark: options: would show only when the browser prefers dark and the other on the same dark card otherwise"
		at.Accepts = "options.logoImageFile or options.logoImageUrl for the logo made for the dark card, and leave dark: options: out"
		return &at
	}
	at.Problem = "the theme has no dark colours, so its pages stay light when the browser prefers dark and this logo would show on a light card"
	at.Accepts = "dark colours with it (extends: auto, or dark: extends: dark, or dark: variables: with a dark colorBackground), " +
		"or leave the dark logo out"
	return &at
}

// switchesToDark reports whether the card is light, and dark under
// prefers-color-scheme: dark, where a dark-mode logo is drawn.
func (t *Theme) switchesToDark() bool {
	return !darkCard(t.Palette(false)) && darkCard(t.Palette(true))
}

// darkCard reports whether a palette's background is dark (a translucent
// one shows the white page).
func darkCard(palette map[string]RGBA) bool {
	bg, ok := palette["colorBackground"]
	return ok && bg.over(RGBA{255, 255, 255, 1}).Luminance() < darkBelow
}

// AppName is the name the app goes by: the theme's applicationName when it
// sets one, else fallback (PORTAL_APP_NAME). Pages, emails and texts,
// passkeys and authenticator apps all name it so; t may be nil.
func (t *Theme) AppName(fallback string) string {
	if t != nil && t.Options.ApplicationName != "" {
		return t.Options.ApplicationName
	}
	return fallback
}

func (t *Theme) render() string {
	var b strings.Builder
	b.WriteString(":root{")
	declarations(&b, t.vars)
	scheme(&b, t.Palette(false))
	b.WriteString("}\n")
	if len(t.dark) > 0 {
		b.WriteString("@media (prefers-color-scheme: dark){:root{")
		declarations(&b, t.dark)
		scheme(&b, t.Palette(true))
		b.WriteString("}}\n")
	}
	return b.String()
}

// scheme declares the color-scheme the palette's background calls for, so
// that what the browser draws itself (a file input's button, a select's
// arrow, scroll bars) is light on a light page and dark on a dark one.
func scheme(b *strings.Builder, palette map[string]RGBA) {
	if _, ok := palette["colorBackground"]; !ok {
		return
	}
	if darkCard(palette) {
		b.WriteString("--color-scheme:dark;")
	} else {
		b.WriteString("--color-scheme:light;")
	}
}

// darkBelow is the luminance under which white text reads better than
// black on a background: the background is dark.
const darkBelow = 0.179

func declarations(b *strings.Builder, vals map[string]string) {
	for _, v := range variables {
		if val, ok := vals[v.Name]; ok {
			b.WriteString(v.Property + ":" + val + ";")
		}
	}
}

// colours is the colour variables of vars.
func colours(vars map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range vars {
		if x, ok := lookupVariable(k); ok && strings.HasPrefix(x.Property, "--color-") {
			out[k] = v
		}
	}
	return out
}
