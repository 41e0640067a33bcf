package jwttemplate

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// expr is a shortcode: operands separated by ||, the first truthy one
// winning (or the last one when none is).
type expr struct{ operands []operand }

// operand is a path into the data (user.first_name,
// user.public_metadata.plan.tier) or a literal ('text', "text", 42, true,
// false, null).
type operand struct {
	path []string
	lit  any
}

// Shortcodes lists the paths a template may use; those ending in
// "metadata" may be followed by a dot path into the object.
func Shortcodes() []string {
	return []string{
		"user.id", "user.external_id", "user.first_name", "user.last_name", "user.full_name", "user.username",
		"user.primary_email_address", "user.primary_phone_address", "user.image_url", "user.has_image",
		"user.email_verified", "user.phone_number_verified", "user.two_factor_enabled",
		"user.created_at", "user.updated_at", "user.public_metadata", "user.unsafe_metadata",
		"org.id", "org.slug", "org.name", "org.image_url", "org.public_metadata",
		"org_membership.role", "org_membership.permissions", "org_membership.public_metadata",
		"session.id", "session.actor",
	}
}

func known(path []string) bool {
	for _, s := range Shortcodes() {
		name := strings.Split(s, ".")
		if len(path) < len(name) || strings.Join(path[:len(name)], ".") != s {
			continue
		}
		if len(path) == len(name) || strings.HasSuffix(s, "metadata") {
			return true
		}
	}
	return false
}

func parseExpr(src string) (*expr, error) {
	e := &expr{}
	for _, raw := range strings.Split(src, "||") {
		o, err := parseOperand(strings.TrimSpace(raw))
		if err != nil {
			return nil, err
		}
		e.operands = append(e.operands, o)
	}
	return e, nil
}

func parseOperand(s string) (operand, error) {
	switch {
	case s == "":
		return operand{}, errors.New("an empty shortcode or || operand")
	case len(s) >= 2 && (s[0] == '\'' && s[len(s)-1] == '\'' || s[0] == '"' && s[len(s)-1] == '"'):
		return operand{lit: s[1 : len(s)-1]}, nil
	case s == "true", s == "false", s == "null":
		var v any
		_ = json.Unmarshal([]byte(s), &v)
		return operand{lit: v}, nil
	case strings.ContainsAny(s[:1], "-0123456789"):
		var n json.Number
		if err := json.Unmarshal([]byte(s), &n); err != nil {
			return operand{}, fmt.Errorf("%q is not a number", s)
		}
		return operand{lit: n}, nil
	}
	path := strings.Split(s, ".")
	for _, seg := range path {
		if seg == "" || strings.Trim(seg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-$") != "" {
			return operand{}, fmt.Errorf("%q is not a shortcode path", s)
		}
	}
	if !known(path) {
		return operand{}, fmt.Errorf("unknown shortcode %q; known ones are %s", s, strings.Join(Shortcodes(), ", "))
	}
	return operand{path: path}, nil
}

// eval returns the expression's value against d.
func (e *expr) eval(d *values) any {
	var v any
	for _, o := range e.operands {
		if o.path == nil {
			v = o.lit
		} else {
			v = d.lookup(o.path)
		}
		if truthy(v) {
			return v
		}
	}
	return v
}

// truthy follows JavaScript, as Clerk's templates do: null, false, "" and 0
// are false; everything else, empty objects included, is true.
func truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case string:
		return x != ""
	case json.Number:
		f, err := x.Float64()
		return err != nil || f != 0
	case int64:
		return x != 0
	}
	return true
}

// stringify is how a value reads inside a longer string: null is empty,
// strings are themselves, anything else is its JSON.
func stringify(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// render builds the claim values from the parsed tree.
func (n *node) render(d *values) any {
	switch n.kind {
	case 'o':
		m := make(map[string]any, len(n.object))
		for _, f := range n.object {
			m[f.key] = f.val.render(d)
		}
		return m
	case 'a':
		a := make([]any, 0, len(n.array))
		for _, x := range n.array {
			a = append(a, x.render(d))
		}
		return a
	case 's':
		if n.str.whole != nil {
			return n.str.whole.eval(d)
		}
		var b strings.Builder
		for _, p := range n.str.parts {
			if p.expr == nil {
				b.WriteString(p.lit)
			} else {
				b.WriteString(stringify(p.expr.eval(d)))
			}
		}
		return b.String()
	}
	return n.lit
}
