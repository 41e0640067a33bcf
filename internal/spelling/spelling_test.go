package spelling

import "testing"

func TestDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"abc", "", 3}, {"", "abc", 3}, {"kitten", "sitting", 3}, {"colorPrimery", "colorPrimary", 1},
		{"flaw", "lawn", 2}, {"same", "same", 0}} {
		if got := Distance(c.a, c.b); got != c.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

func TestNearest(t *testing.T) {
	names := []string{"colorPrimary", "colorBackground", "fontFamily"}
	if n, d := Nearest("ColorPrimery", names); n != "colorPrimary" || d != 1 {
		t.Errorf("Nearest = %q, %d", n, d)
	}
	if n, d := Nearest("x", nil); n != "" || d != -1 {
		t.Errorf("Nearest of none = %q, %d", n, d)
	}
}
