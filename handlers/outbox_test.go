package handlers

import "testing"

// An email's HTML part gets its <base target="_blank"> where a <base>
// belongs: first in <head>, whatever its case and attributes, else after
// the doctype and <html> tag, so that a document without <head> keeps its
// doctype first (and so out of quirks mode).
func TestOutboxHTMLOpensLinksInANewTab(t *testing.T) {
	const base = `<base target="_blank">`
	for doc, want := range map[string]string{
		`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"></head><body><a href="https://x.example/">x</a></body></html>`: `<!DOCTYPE html><html lang="en"><head>` + base + `<meta charset="utf-8"></head><body><a href="https://x.example/">x</a></body></html>`,
		"<!doctype html>\n<HTML>\n<HEAD profile=\"x\">\n<title>T</title></HEAD><body><header>h</header></body>":                    "<!doctype html>\n<HTML>\n<HEAD profile=\"x\">" + base + "\n<title>T</title></HEAD><body><header>h</header></body>",
		`<!DOCTYPE html><html><body><header>no head</header></body></html>`:                                                        `<!DOCTYPE html><html>` + base + `<body><header>no head</header></body></html>`,
		`<p>a fragment</p>`: base + `<p>a fragment</p>`,
		``:                  base,
	} {
		if got := outboxHTML(doc); got != want {
			t.Errorf("outboxHTML(%q)\n= %q\nwant %q", doc, got, want)
		}
	}
}
