package jwttemplate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/portalhq/portal/internal/apperr"
)

// ClaimsError is a problem in a template's claims, with where it is: a
// 1-based line and column (in characters) and a 0-based byte offset into
// the claims as given.
type ClaimsError struct {
	Line, Column, Offset int
	Reason               string
}

func (e *ClaimsError) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Reason)
}

// Unwrap makes it a safe error for the claims field.
func (e *ClaimsError) Unwrap() error { return apperr.Field(apperr.Invalid, "claims", e.Error()) }

// APIMeta is what the Backend API adds to the error's meta.
func (e *ClaimsError) APIMeta() map[string]any {
	return map[string]any{"line": e.Line, "column": e.Column, "offset": e.Offset}
}

// Reserved claims are set by the portal on every token; a template cannot
// override them. act is the actor of an impersonation session, as in the
// session token: absent otherwise, so that no template (say one copying
// metadata the user writes) can make a token look like an impersonation.
func Reserved() []string { return []string{"act", "azp", "exp", "iat", "iss", "jti", "nbf", "sub"} }

const maxClaimsBytes = 16 << 10

// node is a parsed claims value.
type node struct {
	object []field
	array  []*node
	str    *text // a string, possibly with shortcodes
	lit    any   // json.Number, bool or nil for the other scalars
	kind   byte  // 'o', 'a', 's' or 'l'
}

type field struct {
	key string
	val *node
}

// text is a string value split into literal runs and shortcodes. whole is
// set when the string is exactly one shortcode: its value keeps its type.
type text struct {
	parts []part
	whole *expr
}

type part struct {
	lit  string
	expr *expr // nil for a literal run
}

// Compiled is a template's claims checked and ready to render.
type Compiled struct{ root *node }

// SessionReserved are the claims the session token has of its own, which
// its custom claims (PORTAL_SESSION_TOKEN_CLAIMS) cannot override.
func SessionReserved() []string {
	return append(Reserved(), "sid", "fva", "org_id", "org_slug", "org_role", "org_permissions")
}

// Compile parses claims and checks every shortcode, reporting the first
// problem with its position.
func Compile(claims []byte) (*Compiled, error) { return compile(claims, Reserved()) }

// CompileSession is Compile for the session token's custom claims.
func CompileSession(claims []byte) (*Compiled, error) { return compile(claims, SessionReserved()) }

// compile is Compile with the claims reserved; with none it lets reserved
// claims through, for templates stored before a claim became reserved:
// Sign overwrites them.
func compile(claims []byte, reserved []string) (*Compiled, error) {
	p := &parser{src: claims}
	if len(claims) > maxClaimsBytes {
		return nil, p.errAt(0, "the claims are larger than 16 KB")
	}
	p.dec = json.NewDecoder(bytes.NewReader(claims))
	p.dec.UseNumber()
	start := p.next()
	root, err := p.value()
	if err != nil {
		return nil, err
	}
	if root.kind != 'o' {
		return nil, p.errAt(start, "the claims must be a JSON object")
	}
	at := p.next()
	if _, err := p.dec.Token(); err != io.EOF {
		return nil, p.errAt(at, "unexpected data after the claims object")
	}
	for i, f := range root.object {
		for _, r := range reserved {
			if f.key == r {
				return nil, p.errAt(p.keyPos[i], fmt.Sprintf("%q is set by the portal and can't be overridden", r))
			}
		}
	}
	return &Compiled{root: root}, nil
}

type parser struct {
	src    []byte
	dec    *json.Decoder
	keyPos []int // positions of the root object's keys
	depth  int
}

// next is the offset where the decoder's next token starts.
func (p *parser) next() int {
	i := int(p.dec.InputOffset())
	for i < len(p.src) && strings.IndexByte(" \t\r\n,:", p.src[i]) >= 0 {
		i++
	}
	return i
}

func (p *parser) errAt(offset int, reason string) *ClaimsError {
	if offset > len(p.src) {
		offset = len(p.src)
	}
	line, col := 1, 1
	for _, r := range string(p.src[:offset]) {
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return &ClaimsError{Line: line, Column: col, Offset: offset, Reason: reason}
}

// syntax turns a decoder error into a positioned one. A streaming
// decoder's offsets are not offsets into the claims, so the claims are
// parsed whole once more for the exact place.
func (p *parser) syntax(err error, at int) error {
	var se *json.SyntaxError
	var v any
	switch {
	case errors.As(json.Unmarshal(p.src, &v), &se) && int(se.Offset) >= len(p.src):
		return p.errAt(len(p.src), "invalid JSON: unexpected end of the claims")
	case se != nil:
		off := int(se.Offset)
		if off > 0 {
			off-- // the offset is just past the offending byte
		}
		return p.errAt(off, "invalid JSON: "+se.Error())
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return p.errAt(len(p.src), "invalid JSON: unexpected end of the claims")
	}
	return p.errAt(at, "invalid JSON: "+err.Error())
}

func (p *parser) value() (*node, error) {
	at := p.next()
	tok, err := p.dec.Token()
	if err != nil {
		return nil, p.syntax(err, at)
	}
	switch t := tok.(type) {
	case json.Delim:
		if p.depth++; p.depth > 32 {
			return nil, p.errAt(at, "the claims are nested too deeply")
		}
		defer func() { p.depth-- }()
		if t == '{' {
			return p.object(p.depth == 1)
		}
		return p.array()
	case string:
		return p.text(t, at)
	default:
		return &node{kind: 'l', lit: t}, nil
	}
}

func (p *parser) object(root bool) (*node, error) {
	n := &node{kind: 'o'}
	for p.dec.More() {
		at := p.next()
		tok, err := p.dec.Token()
		if err != nil {
			return nil, p.syntax(err, at)
		}
		key, _ := tok.(string)
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		for _, f := range n.object {
			if f.key == key {
				return nil, p.errAt(at, fmt.Sprintf("the claim %q appears twice", key))
			}
		}
		n.object = append(n.object, field{key: key, val: v})
		if root {
			p.keyPos = append(p.keyPos, at)
		}
	}
	if _, err := p.dec.Token(); err != nil {
		return nil, p.syntax(err, p.next())
	}
	return n, nil
}

func (p *parser) array() (*node, error) {
	n := &node{kind: 'a'}
	for p.dec.More() {
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		n.array = append(n.array, v)
	}
	if _, err := p.dec.Token(); err != nil {
		return nil, p.syntax(err, p.next())
	}
	return n, nil
}

// text splits a string value into literal runs and shortcodes. at is the
// offset of its opening quote; a problem is reported at the shortcode when
// the string has no escapes before it (so offsets in the value are offsets
// in the source), else at the string.
func (p *parser) text(s string, at int) (*node, error) {
	end := int(p.dec.InputOffset())
	raw := p.src[at:min(end, len(p.src))]
	where := func(i int) int {
		if bytes.IndexByte(raw, '\\') < 0 {
			return at + 1 + i
		}
		return at
	}
	t := &text{}
	rest, pos := s, 0
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			if rest != "" {
				t.parts = append(t.parts, part{lit: rest})
			}
			break
		}
		if i > 0 {
			t.parts = append(t.parts, part{lit: rest[:i]})
		}
		j := strings.Index(rest[i:], "}}")
		if j < 0 {
			return nil, p.errAt(where(pos+i), "a shortcode opened with {{ is not closed with }}")
		}
		src := rest[i+2 : i+j]
		e, err := parseExpr(src)
		if err != nil {
			return nil, p.errAt(where(pos+i), fmt.Sprintf("{{%s}}: %v", src, err))
		}
		t.parts = append(t.parts, part{expr: e})
		rest, pos = rest[i+j+2:], pos+i+j+2
	}
	if len(t.parts) == 1 && t.parts[0].expr != nil {
		t.whole = t.parts[0].expr
	}
	if !utf8.ValidString(s) {
		return nil, p.errAt(at, "the string is not valid UTF-8")
	}
	return &node{kind: 's', str: t}, nil
}
