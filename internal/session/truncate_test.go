package session

import (
	"testing"
	"unicode/utf8"
)

// User agents are stored as text; PostgreSQL refuses invalid UTF-8, so what
// is kept must be valid whatever the browser sent.
func TestTruncateKeepsValidUTF8(t *testing.T) {
	for _, in := range []string{"Mozilla/5.0 \xff\xfe", "ééééé", string(make([]byte, 600))} {
		out := truncate(in, 5)
		if !utf8.ValidString(out) || len(out) > 5 {
			t.Errorf("truncate(%q, 5) = %q", in, out)
		}
	}
	if got := truncate("abc", 10); got != "abc" {
		t.Errorf("short input changed: %q", got)
	}
}
