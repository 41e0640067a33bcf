package theme

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/portalhq/portal/internal/spelling"
)

// topKeys are the keys a theme file may have, in the order errors list them.
var topKeys = []string{"extends", "stylesheet", "variables", "options", "dark"}

// clerkKeys are the top-level keys of Clerk's appearance prop that have a
// counterpart here under another name.
var clerkKeys = map[string]string{
	"layout":    "options (Clerk's layout settings — logoImageUrl, socialButtonsVariant, … — go under options: here)",
	"baseTheme": "extends (a shipped theme's name, or a theme file next to this one)",
	"elements":  "stylesheet (a .css file next to the theme; every element has Clerk's cl-… class name: .cl-card, .cl-formButtonPrimary, …)",
}

// clerkRenamed are Clerk's former variable names, which its appearance
// settings written before the rename still carry.
var clerkRenamed = map[string]string{
	"colorText":                    "colorForeground",
	"colorTextSecondary":           "colorMutedForeground",
	"colorTextOnPrimaryBackground": "colorPrimaryForeground",
	"colorInputBackground":         "colorInput",
	"colorInputText":               "colorInputForeground",
	"spacingUnit":                  "spacing",
}

// suggest is what to write instead of an unknown name: Clerk's newer name
// for a former one, the right spelling of a name written in the wrong
// case, else intro followed by every accepted name.
func suggest(name string, names []string, intro string) string {
	if to, ok := clerkRenamed[name]; ok && slices.Contains(names, to) {
		return to + " (Clerk's newer name for " + name + ")"
	}
	for _, n := range names {
		if strings.EqualFold(n, name) {
			return n + " (names are case-sensitive)"
		}
	}
	if n, d := spelling.Nearest(name, names); d >= 0 && d <= 2 {
		return n + " (the nearest name; all of them: " + strings.Join(names, ", ") + ")"
	}
	return intro + strings.Join(names, ", ")
}

// checkShape reads a theme file as a YAML tree before it is decoded, so
// that a key in the wrong place, a misspelt section or a list where one
// value belongs is reported by its name and line, with what to write
// instead, rather than in the decoder's words.
func checkShape(source string, data []byte) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("theme: %s: %s%s", source, cleanYAML(err), syntaxHint(data))
	}
	if len(doc.Content) == 0 {
		return nil // an empty file: the default theme
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return &Error{File: source, Line: root.Line, Problem: "a theme file is a set of keys",
			Accepts: strings.Join(topKeys, ", ") + " (see themes/default.yaml)"}
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch k.Value {
		case "extends", "stylesheet":
			if err := single(source, k.Value, v, "a shipped theme's name or a file name"); err != nil {
				return err
			}
		case "variables", "options":
			if err := section(source, k.Value+".", v); err != nil {
				return err
			}
		case "dark":
			if err := darkShape(source, v); err != nil {
				return err
			}
		default:
			accepts, ok := clerkKeys[k.Value]
			if !ok {
				accepts = suggest(k.Value, topKeys, "one of the keys: ")
			}
			return &Error{File: source, Line: k.Line, Key: k.Value, Problem: "unknown key", Accepts: accepts}
		}
	}
	return nil
}

func darkShape(source string, v *yaml.Node) error {
	if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
		return nil
	}
	if v.Kind != yaml.MappingNode {
		return &Error{File: source, Line: v.Line, Key: "dark", Problem: "not a set of keys",
			Accepts: "extends, variables and options (the logo for dark mode) under it, as at the top of the file"}
	}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := v.Content[i], v.Content[i+1]
		switch k.Value {
		case "extends":
			if err := single(source, "dark.extends", val, "a shipped theme's name or a file name"); err != nil {
				return err
			}
		case "variables":
			if err := section(source, "dark.variables.", val); err != nil {
				return err
			}
		case "options":
			if err := section(source, "dark.options.", val); err != nil {
				return err
			}
			if val.Kind == yaml.MappingNode {
				for j := 0; j+1 < len(val.Content); j += 2 {
					if name := val.Content[j]; !slices.Contains(darkKeys, name.Value) {
						return unknownDarkOption(source, name.Line, name.Value, val.Content[j+1].Value)
					}
				}
			}
		default:
			accepts := suggest(k.Value, []string{"extends", "variables", "options"}, "one of the keys: ")
			if slices.Contains(darkKeys, k.Value) {
				accepts = "options: with " + k.Value + ": indented under it, under dark:"
			}
			return &Error{File: source, Line: k.Line, Key: "dark." + k.Value, Problem: "unknown key", Accepts: accepts}
		}
	}
	return nil
}

// section checks that variables: or options: (at the top or under dark:)
// holds name: value pairs.
func section(source, prefix string, v *yaml.Node) error {
	if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
		return nil
	}
	name := strings.TrimSuffix(prefix, ".")
	if v.Kind != yaml.MappingNode {
		return &Error{File: source, Line: v.Line, Key: name, Problem: "not a set of name: value pairs",
			Accepts: "one name: value per line, indented under " + name[strings.LastIndex(name, ".")+1:] + ":"}
	}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := v.Content[i], v.Content[i+1]
		accepts := "a single value"
		opts := strings.HasSuffix(prefix, "options.") // options. or dark.options.
		if vr, ok := lookupVariable(k.Value); ok && !opts {
			accepts = vr.kind.accepts
		} else if o, ok := lookupOption(k.Value); ok && opts {
			accepts = o.kind.accepts
		}
		if k.Value == "fontWeight" {
			accepts += " (Clerk's fontWeight {normal, medium, bold}: give the normal weight alone, e.g. 400)"
		}
		if err := single(source, prefix+k.Value, val, accepts); err != nil {
			return err
		}
	}
	return nil
}

// single checks that v is one value, not a list or a set of keys.
func single(source, key string, v *yaml.Node, accepts string) error {
	switch v.Kind {
	case yaml.MappingNode:
		return &Error{File: source, Line: v.Line, Key: key, Problem: "a set of keys is not accepted", Accepts: accepts}
	case yaml.SequenceNode:
		return &Error{File: source, Line: v.Line, Key: key, Problem: "a list is not accepted", Accepts: accepts}
	}
	return nil
}

// quotedThenMore is a line whose value is a quoted string followed by more,
// as a CSS font list is written: fontFamily: "Inter", sans-serif. YAML
// reads the quotes as its own and refuses what follows them.
var quotedThenMore = regexp.MustCompile(`^\s*([A-Za-z]+):\s*("[^"]*"|'[^']*')\s*,`)

// syntaxHint points at the line an owner most likely got wrong when YAML
// refuses the file, with the spelling that works.
func syntaxHint(data []byte) string {
	for i, line := range strings.Split(string(data), "\n") {
		if m := quotedThenMore.FindStringSubmatch(line); m != nil {
			value := strings.TrimSpace(line[strings.Index(line, ":")+1:])
			if strings.HasPrefix(value, `"`) {
				value = "'" + value + "'"
			} else {
				value = `"` + value + `"`
			}
			return fmt.Sprintf(" (line %d: a YAML value that starts with a quote ends at the closing quote; quote the whole list: %s: %s)",
				i+1, m[1], value)
		}
	}
	return " (keys: " + strings.Join(topKeys, ", ") + ")"
}
