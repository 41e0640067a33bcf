package seal_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/seal"
)

// A sealed value opens with its key and associated data only; it never
// holds the plain text, and sealing twice gives two values (fresh nonces).
func TestSealOpensOnlyForItsKeyAndRecord(t *testing.T) {
	key, other := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	const plain = "gho_secret-access-token"
	a, err := seal.Seal(key, "eac_1", plain)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := seal.Seal(key, "eac_1", plain)
	if a == b || strings.Contains(a, plain) {
		t.Errorf("sealed %q and %q: want two values, neither holding the text", a, b)
	}
	if got, err := seal.Open(key, "eac_1", a); err != nil || got != plain {
		t.Errorf("Open = %q, %v", got, err)
	}
	if _, err := seal.Open(key, "eac_2", a); !errors.Is(err, seal.ErrOpen) {
		t.Errorf("another record's value: %v, want ErrOpen", err)
	}
	if _, err := seal.Open(other, "eac_1", a); !errors.Is(err, seal.ErrOpen) {
		t.Errorf("another key: %v, want ErrOpen", err)
	}
	if _, err := seal.Open(key, "eac_1", "not base64!"); !errors.Is(err, seal.ErrMalformed) {
		t.Errorf("malformed: %v, want ErrMalformed", err)
	}
	if _, err := seal.Seal(key[:16], "eac_1", plain); !errors.Is(err, seal.ErrKey) {
		t.Errorf("a 16-byte key: %v, want ErrKey", err)
	}
}
