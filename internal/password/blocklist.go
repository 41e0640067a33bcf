package password

import (
	_ "embed"
	"encoding/binary"
	"hash/fnv"
	"slices"
	"sort"
	"strings"
)

// The blocklist is zxcvbn's 30,000 most frequent passwords from public breach
// corpora (REQ-PW-05), shipped as blocklist.bin: the sorted, distinct 64-bit
// FNV-1a hashes of the lower-cased entries, little-endian. TestBlocklistFile
// derives it from github.com/trustelem/zxcvbn and fails when it is stale
// ("go test ./internal/password -run TestBlocklistFile -update" rewrites it).
//
// Hashes rather than the words keep the list out of the Go heap: the module's
// own word lists build maps of 100,000 strings at start-up, which cost start
// time and idle memory, and which the garbage collector would scan on every
// cycle of a sign-in burst. A collision can only make some other password
// count as common, with odds near 30,000 in 2^64.
//
//go:embed blocklist.bin
var blocklistBin []byte

// blocklistHash is the key a password is looked up by.
func blocklistHash(pw string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(strings.ToLower(pw)))
	return h.Sum64()
}

// buildBlocklist encodes list the way blocklist.bin holds it.
func buildBlocklist(list []string) []byte {
	keys := make([]uint64, 0, len(list))
	for _, pw := range list {
		keys = append(keys, blocklistHash(pw))
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	out := make([]byte, 0, 8*len(keys))
	for _, k := range keys {
		out = binary.LittleEndian.AppendUint64(out, k)
	}
	return out
}

// blocklistLen is the number of passwords on the blocklist.
func blocklistLen() int { return len(blocklistBin) / 8 }

func blocklistKey(i int) uint64 { return binary.LittleEndian.Uint64(blocklistBin[8*i:]) }

// Common reports whether pw, compared whole and case-insensitively, is on the
// blocklist. pw should already be NFC-normalised.
func Common(pw string) bool {
	k := blocklistHash(pw)
	i := sort.Search(blocklistLen(), func(i int) bool { return blocklistKey(i) >= k })
	return i < blocklistLen() && blocklistKey(i) == k
}
