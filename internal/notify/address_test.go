package notify

import (
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/apperr"
)

// REQ-IN-07, REQ-IN-06: one plain address, normalised once.
func TestValidAddress(t *testing.T) {
	long := strings.Repeat("a", 64)
	label := strings.Repeat("d", 63)
	domain := strings.Join([]string{label, label, label, strings.Repeat("e", 60)}, ".") // 252 bytes
	ok := map[string]string{
		"ada@example.com":             "ada@example.com",
		"  Ada.Lovelace@Example.COM ": "Ada.Lovelace@example.com",
		"a+tag@sub.example.co.uk":     "a+tag@sub.example.co.uk",
		"o'brien@example.ie":          "o'brien@example.ie",
		"x@xn--bcher-kva.example":     "x@xn--bcher-kva.example",
		long + "@example.com":         long + "@example.com",
		"a@" + domain:                 "a@" + domain, // 254 bytes
	}
	for in, want := range ok {
		got, err := ValidAddress(in)
		if err != nil || got != want {
			t.Errorf("ValidAddress(%q) = %q, %v; want %q", in, got, err, want)
		}
	}

	bad := []string{
		"", "   ", "ada", "ada@", "@example.com", "ada@example", "ada@@example.com",
		"ada@example..com", "ada@.example.com", "ada@example.com.", "ada@-example.com", "ada@example-.com",
		"ada@exa_mple.com", "ada@[127.0.0.1]", "ada@1.2.3.4", "a b@example.com", "ada@exam ple.com",
		"Ada <ada@example.com>", "<ada@example.com>", "ada@example.com (Ada)", `"ada"@example.com`,
		`"a b"@example.com`, "ada@example.com, bob@example.com", "ada@example.com\r\nBcc: x@y.com",
		"ada\x00@example.com", "ada\t@example.com", "zoë@example.com", "ada@exämple.com",
		".ada@example.com", "ada.@example.com", "a..da@example.com",
		long + "a@example.com", "a@" + strings.Repeat("d", 64) + ".com",
		"ab@" + domain, // 255 bytes
	}
	for _, in := range bad {
		_, err := ValidAddress(in)
		e, ok := apperr.As(err)
		if !ok || e.Code != apperr.Invalid || e.Field != "email_address" ||
			e.Message != "Enter an email address like name@example.com." {
			t.Errorf("ValidAddress(%q) err = %v; want an invalid email_address error", in, err)
		}
	}
}
