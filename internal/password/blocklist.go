package password

import (
	"strings"
	"sync"

	"github.com/trustelem/zxcvbn/frequency"
)

// The blocklist is zxcvbn's 30,000 most frequent passwords from public breach
// corpora (REQ-PW-05). It ships in the binary with the module and is built into
// a set on first use; the set is read-only afterwards.
var blocklist = sync.OnceValue(func() map[string]struct{} {
	list := frequency.FrequencyLists["passwords"]
	set := make(map[string]struct{}, len(list))
	for _, pw := range list {
		set[strings.ToLower(pw)] = struct{}{}
	}
	return set
})

// Common reports whether pw, compared whole and case-insensitively, is on the
// blocklist. pw should already be NFC-normalised.
func Common(pw string) bool {
	_, ok := blocklist()[strings.ToLower(pw)]
	return ok
}
