package views

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/a-h/templ"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// PlainText renders c and returns what it says as plain text: the text
// body of an email, or a text message.
//
// templ writes HTML, escaping & < > ' " in every value, so a text body
// cannot be a templ component written out as is: "Tom & Jerry's" would
// arrive as "Tom &amp; Jerry&#39;s". Unescaping the output afterwards is
// not sound either (a value that contains "&lt;" would change). Instead
// the HTML is parsed, as a mail client would, and its text nodes — which
// the parser has already decoded — are written out: block elements become
// paragraphs separated by a blank line, <br> a line break, a link its URL
// (a text reader cannot click a button), and <head>, <style> and <script>
// nothing. Whitespace runs collapse as a browser collapses them.
func PlainText(ctx context.Context, c templ.Component) (string, error) {
	var buf bytes.Buffer
	if err := c.Render(ctx, &buf); err != nil {
		return "", err
	}
	doc, err := html.Parse(&buf)
	if err != nil {
		return "", fmt.Errorf("views: parse rendered HTML: %w", err)
	}
	var t textWriter
	t.walk(doc)
	t.endBlock()
	return strings.Join(t.blocks, "\n\n"), nil
}

// textWriter collects paragraphs; cur is the one being written.
type textWriter struct {
	blocks []string
	cur    strings.Builder
}

// blockElements are the elements that start and end a paragraph.
var blockElements = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true, atom.H5: true,
	atom.H6: true, atom.Table: true, atom.Tr: true, atom.Td: true, atom.Th: true, atom.Ul: true, atom.Ol: true,
	atom.Li: true, atom.Blockquote: true, atom.Pre: true, atom.Section: true, atom.Header: true,
	atom.Footer: true, atom.Hr: true, atom.Body: true,
}

// skipped elements say nothing a reader sees.
var skippedElements = map[atom.Atom]bool{
	atom.Head: true, atom.Title: true, atom.Style: true, atom.Script: true, atom.Template: true,
	atom.Noscript: true,
}

func (t *textWriter) walk(n *html.Node) {
	switch n.Type {
	case html.TextNode:
		t.cur.WriteString(collapse(n.Data))
		return
	case html.ElementNode:
		switch {
		case skippedElements[n.DataAtom]:
			return
		case n.DataAtom == atom.Br:
			t.cur.WriteString("\n")
			return
		case n.DataAtom == atom.A:
			if href := attr(n, "href"); href != "" {
				t.cur.WriteString(href)
				return
			}
		case blockElements[n.DataAtom]:
			t.endBlock()
			defer t.endBlock()
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		t.walk(c)
	}
}

// endBlock closes the current paragraph: each of its lines trimmed, with
// single spaces, empty ones dropped.
func (t *textWriter) endBlock() {
	var lines []string
	for l := range strings.SplitSeq(t.cur.String(), "\n") {
		if l = strings.Join(strings.FieldsFunc(l, func(r rune) bool { return r == ' ' }), " "); l != "" {
			lines = append(lines, l)
		}
	}
	t.cur.Reset()
	if len(lines) > 0 {
		t.blocks = append(t.blocks, strings.Join(lines, "\n"))
	}
}

// collapse turns each run of HTML whitespace (not no-break spaces) into
// one space, as a browser shows text.
func collapse(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		if isHTMLSpace(r) {
			space = true
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	if space {
		b.WriteByte(' ')
	}
	return b.String()
}

func isHTMLSpace(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\f' || r == '\r' }

func attr(n *html.Node, name string) string {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}
