package theme

import (
	"reflect"
	"strings"
	"testing"
	"unicode"
)

// hostileSeeds try every way out of a CSS declaration we know of; the
// valid ones keep the fuzzer near the accepted grammar.
var hostileSeeds = []string{
	"#fff", "#FFFFFF80", "rgb(1 2 3 / 50%)", "rgba(1, 2, 3, .5)", "hsl(220deg 80% 50%)", "navy", "transparent",
	"1rem", "0", "12.5px", "100%", "400", "bold",
	`system-ui, -apple-system, "Segoe UI", Roboto, sans-serif`, "'Noto Sans JP', メイリオ",
	"https://cdn.example.com/logo.svg?v=1", "http://localhost:3000/x", "Acme & Co's",
	"red;}body{display:none}", "red}", "red{", "#fff;--x:url(https://evil/)", "rgb(1,2,3);x:y",
	"</style><script>alert(1)</script>", "expression(alert(1))", "url(javascript:alert(1))", "URL(x)",
	"red/**/", "/*", "*/", "red\n}", "red\r\n", "\\72 ed", "r\\65 d", "'a\\'", `"a"b"`, `"a`, `'a', "b`,
	"Arial; color: red", "Arial}body{x:y", "'Segoe UI", `"Seg"oe"`, "Arial\\3b x", "a,,b", "3D",
	"rgb(calc(1) 2 3)", "rgb(1e2 2 3)", "hsl(1, 2, 3)", "rgb(1 2 3 / )", "rgb(1 2 3 4)", "rgb((1) 2 3)",
	"1e3px", "-1rem", "+1rem", ".px", "1.px", "var(--x)", "attr(x)", "inherit", "!important", "1px !important",
	"javascript:alert(1)", "https://a.example/\"onload=x", "https://a.example/<x>", "https://u:p@a.example/",
	"https://a.example/;x", "https://a.example/*x", "Acme\u0007", "\u2028", "\x00", "\xff",
}

// FuzzValidate: whatever a check accepts cannot leave its CSS declaration
// (REQ-IN-03). Accepted CSS values contain none of ; { } < > \ quotes
// (except whole quoted names in a font list), no comment, no url(, no
// newline, and the written CSS reads back as exactly the declaration
// that was meant. URLs and text, which go into HTML attributes and text,
// are held to their own rules. `go test` runs the seeds; run
// `go test -fuzz=FuzzValidate ./internal/theme/` to search further.
func FuzzValidate(f *testing.F) {
	for _, s := range hostileSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, value string) {
		for _, v := range variables {
			got, ok := v.kind.check(value, true)
			if !ok {
				continue
			}
			cssSafe(t, v.Name, value, got)
			th := &Theme{vars: map[string]string{v.Name: got}, dark: map[string]string{v.Name: got}}
			blocks, err := parseCSS(th.render())
			if err != nil {
				t.Fatalf("%s accepted %q as %q, and the CSS does not read back: %v", v.Name, value, got, err)
			}
			decls := [][2]string{{v.Property, got}}
			if _, c, ok := parseColor(got); ok && v.Name == "colorBackground" {
				// The background's scheme follows it (a fixed word).
				scheme := "light"
				if c.over(RGBA{255, 255, 255, 1}).Luminance() < darkBelow {
					scheme = "dark"
				}
				decls = append(decls, [2]string{"--color-scheme", scheme})
			}
			want := []block{
				{":root", decls},
				{"@media (prefers-color-scheme: dark) :root", decls},
			}
			if !reflect.DeepEqual(blocks, want) {
				t.Fatalf("%s accepted %q; CSS reads back as %v, want %v", v.Name, value, blocks, want)
			}
		}
		if got, ok := urlKind.check(value, true); ok {
			if strings.ContainsAny(got, " \t\r\n\"'<>\\;{}`") || strings.Contains(got, "/*") ||
				!(strings.HasPrefix(got, "https://") || strings.HasPrefix(got, "http://")) {
				t.Fatalf("URL %q accepted as %q", value, got)
			}
			for _, r := range got {
				if r < 0x21 || r > unicode.MaxASCII {
					t.Fatalf("URL %q accepted with %q", value, r)
				}
			}
		}
		if got, ok := textKind.check(value, true); ok {
			for _, r := range got {
				if unicode.IsControl(r) {
					t.Fatalf("text %q accepted with a control character", value)
				}
			}
		}
	})
}

func cssSafe(t *testing.T, name, in, got string) {
	t.Helper()
	lower := strings.ToLower(got)
	if strings.ContainsAny(got, ";{}<>\\\n\r\f\x00") || strings.Contains(got, "/*") || strings.Contains(lower, "url(") ||
		strings.Contains(lower, "expression") || strings.Contains(lower, "var(") || strings.Contains(got, "!") {
		t.Fatalf("%s accepted %q as %q", name, in, got)
	}
	if !strings.ContainsAny(got, `"'`) {
		return
	}
	if !strings.HasPrefix(name, "fontFamily") {
		t.Fatalf("%s accepted a quote: %q", name, got)
	}
	for _, entry := range strings.Split(got, ", ") {
		q := strings.IndexAny(entry, `"'`)
		if q < 0 {
			continue
		}
		quote := entry[0]
		if q != 0 || len(entry) < 3 || entry[len(entry)-1] != quote ||
			strings.ContainsAny(entry[1:len(entry)-1], `"'`) {
			t.Fatalf("%s accepted %q with unbalanced quotes in %q", name, in, entry)
		}
	}
}

// REQ-IN-05: the theme's value checks are hand-written parsers, so each
// caps its input before it looks closer (colours 64 bytes, other values
// 300, URLs 2,048, texts 100 characters): a megabyte of the most awkward
// text — nested parentheses, endless lists, escapes — is refused by every
// check after one look at its length, and the worst input within the caps
// is judged in one pass.
func TestChecksBoundTheirWork_REQ_IN_05(t *testing.T) {
	huge := map[string]string{
		"parentheses": "rgb(" + strings.Repeat("(", 1<<20),
		"list":        strings.Repeat("a,", 1<<19),
		"escapes":     strings.Repeat(`\`, 1<<20),
		"url":         "https://a.example/" + strings.Repeat("a", 1<<20),
	}
	for name, value := range huge {
		for _, v := range variables {
			if _, ok := v.kind.check(value, true); ok {
				t.Errorf("%s accepted a megabyte of %s", v.Name, name)
			}
		}
		for kname, k := range map[string]kind{"url": urlKind, "text": textKind} {
			if _, ok := k.check(value, true); ok {
				t.Errorf("%s accepted a megabyte of %s", kname, name)
			}
		}
	}
	within := []string{"rgb(" + strings.Repeat("(", 59), strings.Repeat("a,", 149), strings.Repeat("1 ", 149),
		"https://a.example/" + strings.Repeat("a", 2020)}
	for _, value := range within {
		for _, v := range variables {
			v.kind.check(value, true) // judged, accepted or not, without blowing up
		}
	}
	if _, ok := urlKind.check(within[3], true); !ok {
		t.Error("a 2,038-byte URL was refused; the cap is 2,048")
	}
}
