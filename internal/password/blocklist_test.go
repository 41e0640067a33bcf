package password

import (
	"bytes"
	"flag"
	"os"
	"testing"

	"github.com/trustelem/zxcvbn/frequency"
)

var updateBlocklist = flag.Bool("update", false, "rewrite blocklist.bin from the zxcvbn module")

// TestBlocklistFile holds blocklist.bin to the module it is derived from, and
// rewrites it with -update (after upgrading github.com/trustelem/zxcvbn).
func TestBlocklistFile(t *testing.T) {
	list := frequency.FrequencyLists["passwords"]
	want := buildBlocklist(list)
	if *updateBlocklist {
		if err := os.WriteFile("blocklist.bin", want, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote blocklist.bin: %d passwords", len(want)/8)
		return
	}
	if !bytes.Equal(blocklistBin, want) {
		t.Fatalf("blocklist.bin (%d entries) is not what zxcvbn's list gives (%d entries): "+
			"run go test ./internal/password -run TestBlocklistFile -update", len(blocklistBin)/8, len(want)/8)
	}
	// REQ-PW-05: every listed password is refused, whatever its case.
	for _, pw := range list {
		if !Common(pw) || !Common(upper(pw)) {
			t.Fatalf("Common(%q) = false, want true for every listed password", pw)
		}
	}
}

func upper(s string) string { return string(bytes.ToUpper([]byte(s))) }
