package theme

import (
	"fmt"
	"strings"
)

// This is a deliberately strict reader of the CSS the theme writes, used to
// prove that what comes out is exactly the declarations that went in. It
// follows CSS tokenisation where a hostile value would try to break out
// (strings, comments, escapes, blocks, parentheses) and refuses anything
// the theme never writes.

type block struct {
	prelude string      // ":root" or "@media (prefers-color-scheme: dark) :root"
	decls   [][2]string // property, value
}

func parseCSS(css string) ([]block, error) {
	p := &cssReader{s: css}
	var out []block
	for {
		p.space()
		if p.eof() {
			return out, nil
		}
		pre, err := p.prelude()
		if err != nil {
			return nil, err
		}
		if strings.HasPrefix(pre, "@media") {
			inner, err := p.prelude()
			if err != nil {
				return nil, err
			}
			decls, err := p.declarations()
			if err != nil {
				return nil, err
			}
			p.space()
			if !p.take('}') {
				return nil, fmt.Errorf("@media block not closed at %d", p.i)
			}
			out = append(out, block{pre + " " + inner, decls})
			continue
		}
		decls, err := p.declarations()
		if err != nil {
			return nil, err
		}
		out = append(out, block{pre, decls})
	}
}

type cssReader struct {
	s string
	i int
}

func (p *cssReader) eof() bool { return p.i >= len(p.s) }

func (p *cssReader) space() {
	for !p.eof() && strings.ContainsRune(" \t\n", rune(p.s[p.i])) {
		p.i++
	}
}

func (p *cssReader) take(c byte) bool {
	if !p.eof() && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

// prelude reads up to and including the next "{" outside parentheses.
func (p *cssReader) prelude() (string, error) {
	start, depth := p.i, 0
	for !p.eof() {
		switch c := p.s[p.i]; {
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == '{' && depth == 0:
			pre := strings.TrimSpace(p.s[start:p.i])
			p.i++
			return pre, nil
		case strings.IndexByte(`;}"'\`, c) >= 0 || strings.HasPrefix(p.s[p.i:], "/*"):
			return "", fmt.Errorf("unexpected %q in prelude at %d", c, p.i)
		}
		p.i++
	}
	return "", fmt.Errorf("prelude without a block")
}

// declarations reads "name:value;"… up to and including the closing "}".
func (p *cssReader) declarations() ([][2]string, error) {
	var out [][2]string
	for {
		p.space()
		if p.take('}') {
			return out, nil
		}
		start := p.i
		for !p.eof() && p.s[p.i] != ':' {
			if c := p.s[p.i]; !(c == '-' || c >= 'a' && c <= 'z') {
				return nil, fmt.Errorf("bad property name at %d: %q", p.i, p.s[start:p.i+1])
			}
			p.i++
		}
		name := p.s[start:p.i]
		if !p.take(':') || !strings.HasPrefix(name, "--") {
			return nil, fmt.Errorf("declaration without a custom property at %d", start)
		}
		vstart, depth := p.i, 0
	value:
		for {
			if p.eof() {
				return nil, fmt.Errorf("declaration %s not ended", name)
			}
			c := p.s[p.i]
			switch {
			case c == '"' || c == '\'':
				end := strings.IndexByte(p.s[p.i+1:], c)
				if end < 0 {
					return nil, fmt.Errorf("unterminated string in %s", name)
				}
				str := p.s[p.i+1 : p.i+1+end]
				if strings.ContainsAny(str, "\\\n") {
					return nil, fmt.Errorf("escape or newline in a string in %s", name)
				}
				p.i += end + 2
				continue
			case c == '\\' || c == '\n' || c == '{' || c == '<' || c == '>':
				return nil, fmt.Errorf("%q in the value of %s", c, name)
			case strings.HasPrefix(p.s[p.i:], "/*"):
				return nil, fmt.Errorf("comment in the value of %s", name)
			case c == '(':
				depth++
			case c == ')':
				if depth--; depth < 0 {
					return nil, fmt.Errorf("unbalanced ) in %s", name)
				}
			case c == ';' && depth == 0:
				break value
			case c == '}' && depth == 0:
				return nil, fmt.Errorf("block closed inside %s", name)
			}
			p.i++
		}
		out = append(out, [2]string{name, p.s[vstart:p.i]})
		p.i++ // the ;
	}
}
