package metadata

import (
	"encoding/json"
	"testing"
)

// Merging is deep, null removes a key, and numbers keep their exact text
// (a large ID must not come back rounded through float64).
func TestMerge(t *testing.T) {
	for _, c := range []struct{ base, patch, want string }{
		{``, `{"a":1}`, `{"a":1}`},
		{`{"a":{"b":1,"c":2}}`, `{"a":{"c":3,"d":4}}`, `{"a":{"b":1,"c":3,"d":4}}`},
		{`{"a":{"b":1},"x":true}`, `{"a":null}`, `{"x":true}`},
		{`{"a":[1,2]}`, `{"a":[3]}`, `{"a":[3]}`},
		{`{"a":1}`, `{"a":{"b":null,"c":1}}`, `{"a":{"c":1}}`},
		{`{}`, `{"id":12345678901234567890}`, `{"id":12345678901234567890}`},
	} {
		got, err := Merge(json.RawMessage(c.base), json.RawMessage(c.patch))
		if err != nil || string(got) != c.want {
			t.Errorf("Merge(%s, %s) = %s, %v; want %s", c.base, c.patch, got, err, c.want)
		}
	}
	for _, bad := range []string{`[1]`, `null`, `"x"`, `{"a":1} {}`, `{`} {
		if _, err := Merge(nil, json.RawMessage(bad)); err == nil {
			t.Errorf("Merge(%s) accepted", bad)
		}
	}
}
